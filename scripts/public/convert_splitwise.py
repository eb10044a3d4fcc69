#!/usr/bin/env python3
"""Convert SplitwiseSim's perf_model.csv (Llama2-70B on DGX-H100) into a rooflab e2e.csv validation dataset.

Dev tool, not part of the test run. Usage:
    python3 scripts/public/convert_splitwise.py [--src ../shared/datasets/splitwise-sim] [--out datasets/public/splitwise-sim]

Rows kept: model llama2-70b, hardware h100-80gb (the non-power-capped DGX-H100), TP 2/4/8.
  prefill rows: one per (tp, prompt, batch); measured_s = median prompt_time (TTFT of the batch) over all repetitions
                with that (tp, prompt, batch) -- prompt_time does not depend on the output length, so the output-length
                sweep at prompt 512 / batch 1 contributes repetitions too.
  decode rows:  one per (tp, prompt, batch, output); measured_s = median token_time (ms per decode iteration);
                context = prompt + generated/2 (mean KV length over the generation), where generated =
                min(output, (e2e_time - prompt_time) / token_time): several long-output runs stopped early (their
                e2e_time covers only a few hundred steps), so the nominal output length would overstate the context.
Consistency filter (not fitting): a configuration whose median e2e_time exceeds 1.5 x (prompt_time + output x
token_time) did not run as one batch (vLLM scheduled it in waves, e.g. KV cache too small), so neither its TTFT nor its
TPOT is the time of that batch; it is dropped (printed, and listed in SOURCE.md).
Validation data only: nothing here is used to fit a platform.
"""
import argparse
import csv
import os
import shutil
import statistics
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))

COLUMNS = ["id", "model", "phase", "batch", "prompt", "context", "tp", "weights", "kv", "act", "stack", "measured_s"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", default=os.path.join(ROOT, "..", "shared", "datasets", "splitwise-sim"))
    ap.add_argument("--out", default=os.path.join(ROOT, "datasets", "public", "splitwise-sim"))
    ap.add_argument("--hardware", default="h100-80gb")
    args = ap.parse_args()

    runs = defaultdict(list)  # (tp, prompt, batch, output) -> [(prompt_s, token_s, e2e_s)]
    n_in = 0
    with open(os.path.join(args.src, "perf_model.csv"), newline="") as f:
        for r in csv.DictReader(f):
            if r["model"] != "llama2-70b" or r["hardware"] != args.hardware:
                continue
            n_in += 1
            key = tuple(int(r[k]) for k in ("tensor_parallel", "prompt_size", "batch_size", "token_size"))
            runs[key].append(tuple(float(r[k]) / 1e3 for k in ("prompt_time", "token_time", "e2e_time")))

    med = lambda xs: statistics.median(xs)  # noqa: E731
    prefill = defaultdict(list)
    decode = {}
    dropped = []
    for (tp, p, b, o), v in sorted(runs.items()):
        pt, tt, e2e = med([x[0] for x in v]), med([x[1] for x in v]), med([x[2] for x in v])
        if e2e > 1.5 * (pt + o * tt):
            dropped.append(f"tp{tp} p{p} b{b} o{o}: e2e {e2e:.1f} s vs prompt + output x token {pt + o * tt:.1f} s")
            continue
        prefill[(tp, p, b)].extend(x[0] for x in v)
        generated = max(1, min(o, round((e2e - pt) / tt)))
        decode[(tp, p, b, o)] = (tt, generated)

    rows = []
    for (tp, p, b), v in sorted(prefill.items()):
        rows.append([f"llama-2-70b-prefill-b{b}-p{p}-tp{tp}", "llama-2-70b", "prefill", b, p, 0, tp,
                     "fp16", "fp16", "fp16", "vllm", f"{med(v):.6e}"])
    for (tp, p, b, o), (tt, gen) in sorted(decode.items()):
        ctx = p + gen // 2
        rows.append([f"llama-2-70b-decode-b{b}-p{p}-o{o}-c{ctx}-tp{tp}", "llama-2-70b", "decode", b, p, ctx, tp,
                     "fp16", "fp16", "fp16", "vllm", f"{tt:.6e}"])
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "e2e.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        w.writerows(rows)
    shutil.copyfile(os.path.join(args.src, "LICENSE"), os.path.join(args.out, "LICENSE"))
    for d in dropped:
        print("dropped", d)
    short = [(k, g) for k, (t, g) in decode.items() if g < 0.9 * k[3]]
    for k, g in short:
        print(f"stopped early: tp{k[0]} p{k[1]} b{k[2]} o{k[3]}: ~{g} tokens generated")
    print(f"{n_in} input rows -> {len(prefill)} prefill + {len(decode)} decode rows in {args.out}/e2e.csv")


if __name__ == "__main__":
    main()
