#!/usr/bin/env python3
"""Convert DeepGEMM's published FP8 GEMM table (H800 SXM5) into rooflab gemm.csv validation datasets.

Dev tool, not part of the test run. Usage:
    python3 scripts/public/convert_deepgemm.py [--src ../shared/datasets/deepgemm-h800] [--out datasets/public/deepgemm-h800]

The table gives TFLOP/s per shape, not times. Time is derived as t = 2*M*N*K*groups / (TFLOP/s * 1e12) and checked
against the table's effective memory bandwidth column (bytes = groups*(M*K + N*K) fp8 + groups*M*N*2 bf16 output);
the two agree to the rounding of the table (the check's worst disagreement is printed).
  gemm.csv          the 18 dense (normal) GEMMs: m = M, n = N, k = K.
  gemm_grouped.csv  the 10 grouped GEMMs (MoE; contiguous and masked layouts) as an EQUIVALENT dense GEMM
                    m = M_per_group, n = N * groups, k = K -- this keeps the FLOPs, the weight bytes (every group
                    has its own N x K weights) and the output bytes, and under-counts the activation bytes by a factor
                    of `groups` (small next to the weights for these shapes). rooflab has no grouped-GEMM operator;
                    this row is an approximation, labelled as such in `algo`.
dtype fp8_e4m3 (1x128 / 128x128 block scaling, BF16 output); layout "tn" = both operands K-major (DeepGEMM calls it NT).
runs / p10 / p90 are not published: left empty. Validation data only: nothing here is used to fit a platform.
"""
import argparse
import csv
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
COLUMNS = ["m", "n", "k", "dtype", "layout", "median_s", "p10_s", "p90_s", "runs", "flop_per_s", "algo"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", default=os.path.join(ROOT, "..", "shared", "datasets", "deepgemm-h800"))
    ap.add_argument("--out", default=os.path.join(ROOT, "datasets", "public", "deepgemm-h800"))
    args = ap.parse_args()
    dense, grouped = [], []
    worst = 0.0
    with open(os.path.join(args.src, "deepgemm_h800_fp8_gemm.csv"), newline="") as f:
        for r in csv.DictReader(f):
            g, M, N, K = int(r["num_groups"]), int(r["M_per_group"]), int(r["N"]), int(r["K"])
            tflops, gbps = float(r["tflops"]), float(r["mem_bw_GBps"])
            flop = 2.0 * g * M * N * K
            t = flop / (tflops * 1e12)
            nbytes = g * (M * K + N * K) + g * M * N * 2
            t_bw = nbytes / (gbps * 1e9)
            worst = max(worst, abs(t_bw / t - 1.0))
            if r["kind"] == "dense":
                dense.append([M, N, K, "fp8_e4m3", "tn", f"{t:.6e}", "", "", "", f"{tflops * 1e12:.6e}",
                              "deepgemm-dense"])
            else:
                grouped.append([M, N * g, K, "fp8_e4m3", "tn", f"{t:.6e}", "", "", "", f"{tflops * 1e12:.6e}",
                                f"deepgemm-{r['kind']}-g{g}-n{N}-equivalent"])
    os.makedirs(args.out, exist_ok=True)
    for name, rows in (("gemm.csv", dense), ("gemm_grouped.csv", grouped)):
        with open(os.path.join(args.out, name), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(COLUMNS)
            w.writerows(rows)
    shutil.copyfile(os.path.join(args.src, "LICENSE"), os.path.join(args.out, "LICENSE"))
    print(f"{len(dense)} dense + {len(grouped)} grouped rows; time from TFLOP/s vs time from GB/s: "
          f"worst disagreement {worst * 100:.2f}%")


if __name__ == "__main__":
    main()
