#!/usr/bin/env python3
"""Convert Vidur's H100 per-operator profiles into rooflab validation datasets.

Dev tool, not part of the test run. Usage:
    python3 scripts/public/convert_vidur.py [--src ../shared/datasets/vidur-h100] [--out datasets/public/vidur-h100]

Vidur profiles one transformer layer's non-attention operators (sarathi-serve layers, fp16, torch profiler CUDA time,
2 warm-up + 20 active steps) with the tensor-parallel shard on ONE GPU (shapes divided by TP, no communication).
The operators that are GEMMs become rooflab gemm.csv rows (dtype fp16, M = num_tokens):
  gemm_mlp.csv        mlp_up_proj   N = (2 if gated else 1) * n_expanded_embd / TP, K = n_embd   (gate+up merged)
                      mlp_down_proj N = n_embd, K = n_expanded_embd / TP
  gemm_attn_proj.csv  attn_pre_proj N = (n_head + 2 n_kv_head) * head_dim / TP, K = n_embd        (merged QKV)
                      attn_post_proj N = n_embd, K = n_head * head_dim / TP
  (shapes from vidur/profiling/mlp/mlp_impl.py: ColumnParallelLinear / RowParallelLinear of sarathi-serve)
median_s = median over duplicate (model, num_tokens, TP) rows of time_stats.<op>.median (ms -> s); p10/p90 are
not published (min/max/mean/median/std are) and are left empty; runs = 20 x duplicates. `algo` names the source:
vidur:<model>:<op>:tp<TP> (used by scripts/public/report.py for the per-TP/model/op breakdown).
The all-reduce profiles (network/*/all_reduce.csv) become allreduce.csv (median over duplicate rows of the
per-size median, seconds) -- rooflab validate has no collective dataset kind; report.py compares them with the
engine's collective model through `rooflab predict llm` operator rows.
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
COLUMNS = ["m", "n", "k", "dtype", "layout", "median_s", "p10_s", "p90_s", "runs", "flop_per_s", "algo"]
MODELS = ["meta-llama/Llama-2-7b-hf", "meta-llama/Llama-2-70b-hf", "codellama/CodeLlama-34b-Instruct-hf",
          "internlm/internlm-20b", "Qwen/Qwen-72B", "microsoft/phi-2"]


def shapes(r, tp):
    h, nh, nkv, ff = int(r["n_embd"]), int(r["n_head"]), int(r["n_kv_head"]), int(r["n_expanded_embd"])
    gated = r["use_gated_mlp"].strip().lower() == "true"
    hd = h // nh
    return {
        "mlp_up_proj": ((2 if gated else 1) * ff // tp, h),
        "mlp_down_proj": (h, ff // tp),
        "attn_pre_proj": ((nh + 2 * nkv) * hd // tp, h),
        "attn_post_proj": (h, nh * hd // tp),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", default=os.path.join(ROOT, "..", "shared", "datasets", "vidur-h100"))
    ap.add_argument("--out", default=os.path.join(ROOT, "datasets", "public", "vidur-h100"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    out = {"gemm_mlp.csv": [], "gemm_attn_proj.csv": []}
    for model in MODELS:
        times = defaultdict(list)
        shape_of = {}
        with open(os.path.join(args.src, "compute", "h100", model, "mlp.csv"), newline="") as f:
            for r in csv.DictReader(f):
                m, tp = int(r["num_tokens"]), int(r["num_tensor_parallel_workers"])
                for op, (n, k) in shapes(r, tp).items():
                    times[(op, tp, m)].append(float(r[f"time_stats.{op}.median"]) / 1e3)
                    shape_of[(op, tp, m)] = (n, k)
        short = model.split("/")[1]
        for (op, tp, m), v in sorted(times.items(), key=lambda x: (x[0][0], x[0][1], x[0][2])):
            n, k = shape_of[(op, tp, m)]
            t = statistics.median(v)
            row = [m, n, k, "fp16", "tn", f"{t:.6e}", "", "", 20 * len(v), f"{2.0 * m * n * k / t:.6e}",
                   f"vidur:{short}:{op}:tp{tp}"]
            out["gemm_mlp.csv" if op.startswith("mlp") else "gemm_attn_proj.csv"].append(row)
    for name, rows in out.items():
        with open(os.path.join(args.out, name), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(COLUMNS)
            w.writerows(rows)
        print(f"{name}: {len(rows)} rows")

    # All-reduce: median time per (node, workers, bytes).
    ar = defaultdict(list)
    for node in ("h100_dgx", "h100_pairwise_nvlink"):
        with open(os.path.join(args.src, "network", node, "all_reduce.csv"), newline="") as f:
            for r in csv.DictReader(f):
                ar[(node, int(r["num_workers"]), int(r["size"]))].append(float(r["time_stats.all_reduce.median"]) / 1e3)
    with open(os.path.join(args.out, "allreduce.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["node", "devices", "bytes", "dtype", "median_s"])
        for (node, n, b), v in sorted(ar.items()):
            w.writerow([node, n, b, "fp16", f"{statistics.median(v):.6e}"])
    print(f"allreduce.csv: {len(ar)} rows")
    shutil.copyfile(os.path.join(args.src, "LICENSE"), os.path.join(args.out, "LICENSE"))


if __name__ == "__main__":
    main()
