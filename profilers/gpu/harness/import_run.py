#!/usr/bin/env python3
"""Copies one device run (the unpacked <plan>.tar.gz of run_device.sh) into a dataset folder: the CSVs, the
traces, env.txt, and one provenance.json merged from the bench and torch provenance files.
Usage: import_run.py RAW_DIR DATASET_DIR [--only name,...] [--command "..."]"""
import argparse
import csv
import json
import os
import shutil


def short_model(model):
    s = os.path.basename(model)
    for ext in (".yaml", ".yml", ".json"):
        if s.endswith(ext):
            s = s[: -len(ext)]
    return s


def fix_e2e_ids(path):
    """Early harness versions cut 'llama-3.2-1b' to 'llama-3' in ids; ids are rebuilt from the other columns."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    head, body = rows[0], rows[1:]
    ix = {k: i for i, k in enumerate(head)}
    for r in body:
        r[ix["id"]] = (f"{short_model(r[ix['model']])}-{r[ix['phase']]}-b{r[ix['batch']]}-p{r[ix['prompt']]}"
                       f"-c{r[ix['context']]}-tp{r[ix['tp']]}")
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([head] + body)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("raw")
    p.add_argument("dest")
    p.add_argument("--only", help="comma-separated file names to take (default: all)")
    p.add_argument("--command", default="")
    a = p.parse_args()
    os.makedirs(a.dest, exist_ok=True)
    only = set(a.only.split(",")) if a.only else None
    prov = {}
    for sub in ("bench", "bench_gemm", "."):
        d = os.path.join(a.raw, sub)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            src = os.path.join(d, name)
            if not os.path.isfile(src):
                continue
            if name == "provenance.json":
                with open(src) as f:
                    pj = json.load(f)
                cmds = prov.get("commands", [])
                prov.update({k: v for k, v in pj.items() if k != "command"})
                prov["commands"] = cmds + [pj.get("command", "")]
                continue
            if name == "torch_provenance.json":
                with open(src) as f:
                    tj = json.load(f)
                prov["torch"] = tj.get("torch", "")
                continue
            if not name.endswith((".csv", ".txt", ".log")) or name in ("ldd.txt",):
                continue
            if only and name not in only:
                continue
            shutil.copy(src, os.path.join(a.dest, name))
            if name == "e2e.csv":
                fix_e2e_ids(os.path.join(a.dest, name))
    out = os.path.join(a.dest, "provenance.json")
    old = {}
    if os.path.exists(out):
        with open(out) as f:
            old = json.load(f)
    old.update(prov)
    old["tool"] = "rooflab-gpu-bench 0.1 + profilers/gpu/harness (torch_baselines.py, llama_bench.py, nccl_bench.py)"
    cmds = old.get("commands", [])
    if a.command:
        cmds = [a.command] + [c for c in cmds if c != a.command]
    old["commands"] = cmds
    old["command"] = " ; ".join(c for c in cmds if c)
    with open(out, "w") as f:
        json.dump(old, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
