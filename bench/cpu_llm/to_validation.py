#!/usr/bin/env python3
"""Turns bench/cpu_llm e2e.csv rows into `rooflab validate` datasets, one file per stack and thread count:
<out>/<stack>-t<threads>.csv with the e2e columns (id, model, phase, batch, prompt, context, tp, weights, kv, act,
stack, threads, measured_s = the median of the repeats, min_s, max_s, spread_pct, runs, card, date).

pytorch-cpu: prefill and decode rows as measured. hf-transformers-cpu: `generate-prefill` (generate with one new
token: prefill + first token) becomes a prefill row; `decode` (per-token time of generate) a decode row at the mean
context; `generate-total` rows are kept out (they are the sum of the other two)."""
import argparse
import csv
import os
import tempfile
from collections import defaultdict

FIELDS = ["id", "model", "phase", "batch", "prompt", "context", "tp", "weights", "kv", "act", "stack", "threads",
          "measured_s", "min_s", "max_s", "spread_pct", "runs", "card", "date"]


def write_rows_atomic(path, rows):
    """Writes a validate dataset (FIELDS columns) through a temporary file in the same folder and a rename: a failed
    run leaves the previous file, or none, and no partial one."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".validate-", suffix=".csv")
    try:
        with os.fdopen(fd, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=FIELDS)
            w.writeheader()
            w.writerows(rows)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("e2e")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    groups = defaultdict(list)
    with open(args.e2e) as f:
        for r in csv.DictReader(f):
            phase = r["phase"]
            if phase == "generate-total":
                continue
            if phase == "generate-prefill":
                phase = "prefill"
            if phase not in ("prefill", "decode") or int(r["repeats"]) < 3:
                continue
            prompt = r["prompt"] if phase == "prefill" else "0"
            context = "0" if phase == "prefill" else r["context"]
            rid = f"{r['model']}-{r['weights']}-{phase}-b{r['batch']}-p{prompt}-c{context}-t{r['threads']}"
            groups[(r["stack"], r["threads"])].append(dict(
                id=rid, model=r["model"], phase=phase, batch=r["batch"], prompt=prompt, context=context, tp=1,
                weights=r["weights"], kv=r["kv"], act=r["act"], stack=r["stack"], threads=r["threads"],
                measured_s=r["median_s"], min_s=r["min_s"], max_s=r["max_s"], spread_pct=r["spread_pct"],
                runs=r["repeats"], card=r["card"], date=r["date"]))
    os.makedirs(args.out, exist_ok=True)
    for (stack, threads), rows in sorted(groups.items()):
        path = os.path.join(args.out, f"{stack}-t{threads}.csv")
        write_rows_atomic(path, rows)
        print(f"wrote {path} ({len(rows)} rows)")


if __name__ == "__main__":
    main()
