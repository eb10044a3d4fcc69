#!/usr/bin/env python3
"""Pools the `rooflab validate` datasets of several machines (the per-session validate/<stack>-t<threads>.csv that
to_validation.py writes) into the median host: one row per point measured on at least --min-machines machines, its
measured_s the median over the machines of each machine's median of repeats, min_s / max_s the fastest and slowest
machine's median, spread_pct (max - min) / median, runs the number of machines, card naming them, date the last.

The hosts are VM slices of shared servers that run the same point up to 2.2x apart; the stacks are fitted on the
per-point median of several machines' single-op rows, so the e2e rows they describe are the median machine's.

Usage: pool_machines.py --out DIR [--min-machines 3] [LABEL=]SESSION_DIR ...   (each holds validate/*.csv)"""
import argparse
import csv
import os
import statistics
from collections import defaultdict

from to_validation import write_rows_atomic


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sessions", nargs="+",
                    help="[LABEL=]session folder with validate/<stack>-t<threads>.csv (label: the folder's name)")
    ap.add_argument("--out", required=True, help="folder for the pooled <stack>-t<threads>.csv files")
    ap.add_argument("--min-machines", type=int, default=3)
    args = ap.parse_args()
    files = defaultdict(list)  # file name -> [(session label, path)]
    for s in args.sessions:
        label, _, folder = s.rpartition("=")
        vdir = os.path.join(folder, "validate")
        label = label or os.path.basename(os.path.abspath(folder))
        for name in sorted(os.listdir(vdir)):
            if name.endswith(".csv"):
                files[name].append((label, os.path.join(vdir, name)))
    os.makedirs(args.out, exist_ok=True)
    for name, paths in sorted(files.items()):
        points = defaultdict(list)  # id -> [(label, row)]
        order = []
        for label, path in paths:
            with open(path) as f:
                for r in csv.DictReader(f):
                    if r["id"] not in points:
                        order.append(r["id"])
                    points[r["id"]].append((label, r))
        rows = []
        for rid in order:
            got = points[rid]
            if len(got) < args.min_machines:
                continue
            v = [float(r["measured_s"]) for _, r in got]
            med = statistics.median(v)
            first = dict(got[0][1])
            first.update(measured_s=f"{med:.6e}", min_s=f"{min(v):.6e}", max_s=f"{max(v):.6e}",
                         spread_pct=f"{(max(v) - min(v)) / med * 100:.2f}", runs=len(v),
                         card="median of " + str(len(v)) + " xeon-amx-16vcpu hosts (" +
                              " ".join(label for label, _ in got) + ")",
                         date=max(r["date"] for _, r in got))
            rows.append(first)
        if rows:
            write_rows_atomic(os.path.join(args.out, name), rows)
            print(f"{name}: {len(rows)} points pooled over {len(paths)} machines")


if __name__ == "__main__":
    main()
