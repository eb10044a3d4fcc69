#!/usr/bin/env python3
"""Turn imported aiconfigurator tables of one GPU into `rooflab calibrate gpu` inputs (gemm.csv, nccl.csv).

The platform file holds hardware (tensor peak fraction, weight-streaming DRAM rate, fixed time per kernel, the link's
achievable bus bandwidth); the per-framework surfaces of `rooflab calibrate aic` learn the rest on top of it. So that
the platform fit never sees a shape the held-out gates check, only calibration rows are written: a row whose value on
any shape axis is in the stack's `held_out:` record of that platform (every fifth distinct value, `calibrate aic`'s
split) is dropped.

  gemm.csv  <- <system>__gemm__vllm.csv, dtype bfloat16 (vLLM's torch.nn.functional.linear: cuBLAS, as the pytorch
               stacks run it; weights rotated through copies larger than L2, CUDA-graph timed)
  nccl.csv  <- <system>__nccl__nccl.csv (nccl-tests), rows of --nccl-ranks ranks only (default 2: the link between a
               pair; more ranks share the host path, which the stacks' collective surfaces carry per rank count)

Usage: aic_platform_inputs.py --data DIR --system l40s --held-out STACK.yaml --platform l40s --out OUTDIR
"""
import argparse
import csv
import json
import os
import sys

import yaml

BUS_FACTOR = {
    "all_reduce": lambda n: 2.0 * (n - 1) / n,
    "all_gather": lambda n: (n - 1) / n,
    "reduce_scatter": lambda n: (n - 1) / n,
    "alltoall": lambda n: (n - 1) / n,
}


def held_out(stack_file, platform):
    with open(stack_file, encoding="utf-8") as f:
        stack = yaml.safe_load(f)
    rec = stack["efficiency"]["platforms"].get(platform)
    if not rec or "held_out" not in rec:
        sys.exit(f"{stack_file}: no efficiency.platforms.{platform}.held_out (run rooflab calibrate aic first)")
    return {fam: {ax: set(v) for ax, v in axes.items()} for fam, axes in rec["held_out"].items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder of imported tables (rooflab import aiconfigurator)")
    ap.add_argument("--system", required=True, help="aiconfigurator system name, e.g. l40s")
    ap.add_argument("--platform", required=True, help="rooflab platform name, e.g. l40s")
    ap.add_argument("--held-out", required=True, help="stack file whose held_out record defines the split")
    ap.add_argument("--nccl-ranks", type=int, default=2)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    ho = held_out(a.held_out, a.platform)
    os.makedirs(a.out, exist_ok=True)

    g = ho["gemm"]
    src = os.path.join(a.data, f"{a.system}__gemm__vllm.csv")
    n_in = n_out = 0
    device = ""
    with open(src, newline="", encoding="utf-8") as f, open(os.path.join(a.out, "gemm.csv"), "w", newline="") as o:
        w = csv.writer(o, lineterminator="\n")
        w.writerow(["m", "n", "k", "dtype", "layout", "median_s", "p10_s", "p90_s", "runs", "flop_per_s", "algo"])
        for line, r in enumerate(csv.DictReader(f), start=2):
            if r["dtype"] != "bfloat16":
                continue
            n_in += 1
            m, n, k = int(r["m"]), int(r["n"]), int(r["k"])
            if m in g["m"] or n in g["n"] or k in g["k"]:
                continue
            t = float(r["measured_s"])
            if not t > 0:
                sys.exit(f"{src}:{line}: 'measured_s': not > 0")
            w.writerow([m, n, k, "bf16", "tn", f"{t:.6g}", f"{t:.6g}", f"{t:.6g}", 1, f"{2.0 * m * n * k / t:.6g}",
                        r["kernel_source"]])
            n_out += 1
    print(f"gemm.csv: {n_out} of {n_in} bfloat16 rows of {src} (held-out m/n/k dropped)")

    c = ho["collective"]["elements"]
    src = os.path.join(a.data, f"{a.system}__nccl__nccl.csv")
    n_in = n_out = 0
    with open(src, newline="", encoding="utf-8") as f, open(os.path.join(a.out, "nccl.csv"), "w", newline="") as o:
        w = csv.writer(o, lineterminator="\n")
        w.writerow(["op", "gpus", "bytes", "median_s", "algbw_bytes_per_s", "busbw_bytes_per_s"])
        for line, r in enumerate(csv.DictReader(f), start=2):
            ranks = int(r["ranks"])
            if ranks != a.nccl_ranks or r["op"] not in BUS_FACTOR:
                continue
            n_in += 1
            if int(r["elements"]) in c:
                continue
            b, t = float(r["bytes"]), float(r["measured_s"])
            if not t > 0:
                sys.exit(f"{src}:{line}: 'measured_s': not > 0")
            alg = b / t
            w.writerow([r["op"], ranks, int(b), f"{t:.6g}", f"{alg:.6g}", f"{alg * BUS_FACTOR[r['op']](ranks):.6g}"])
            n_out += 1
    print(f"nccl.csv: {n_out} of {n_in} {a.nccl_ranks}-rank rows of {src} (held-out message sizes dropped)")

    with open(os.path.join(a.out, "provenance.json"), "w", encoding="utf-8") as o:
        json.dump({"card": "NVIDIA L40S" if a.system == "l40s" else a.system,
                   "tool": "NVIDIA aiconfigurator collector, per-op tables imported by rooflab import aiconfigurator",
                   "date": "2026-08-21"}, o, indent=2)
        o.write("\n")


if __name__ == "__main__":
    main()
