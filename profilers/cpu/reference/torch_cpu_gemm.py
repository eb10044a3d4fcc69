#!/usr/bin/env python3
"""CPU GEMM reference timings with PyTorch (oneDNN/MKL: AVX-512 for fp32, AMX tiles for bf16 where present).

Y[m, n] = X[m, k] . W[n, k]^T (torch.nn.functional.linear), the shape of an LLM projection. Weights are rotated over
enough copies that two uses of one copy are >= 2 x 600 MiB apart (beyond the last-level cache of the hosts measured),
so every call streams its weights from memory as in LLM inference. Each point: warm-up, then the median of
>= --min-runs timed calls (time.perf_counter around one call; a CPU op returns when it is done). torch.set_num_threads
sets the thread count; OMP/KMP affinity is left as the host has it (recorded in the provenance).

Usage: torch_cpu_gemm.py --out gemm.csv [--threads 1,4,16] [--budget-s 0.3]
Writes gemm.csv (m,n,k,dtype,threads,median_s,p10_s,p90_s,runs,flop_per_s,rotated) and gemm_provenance.json.
"""
import argparse
import csv
import datetime
import json
import os
import platform
import statistics
import time

import torch

HEADER = ["m", "n", "k", "dtype", "threads", "median_s", "p10_s", "p90_s", "runs", "flop_per_s", "rotated"]
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}


def quantile(xs, q):
    s = sorted(xs)
    pos = q * (len(s) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--threads", default="1,4,16")
    p.add_argument("--ms", default="1,32,256,2048")
    p.add_argument("--nk", default="4096x4096,14336x4096", help="N x K pairs")
    p.add_argument("--dtypes", default="fp32,bf16")
    p.add_argument("--budget-s", type=float, default=0.3, help="timed seconds per point (approx.)")
    p.add_argument("--min-runs", type=int, default=3)
    p.add_argument("--max-runs", type=int, default=50)
    p.add_argument("--rotate-bytes", type=float, default=1.2e9)
    args = p.parse_args()
    torch.manual_seed(1)
    rows = []
    start = time.time()
    for dname in args.dtypes.split(","):
        dt = DTYPES[dname]
        for nk in args.nk.split(","):
            n, k = (int(v) for v in nk.lower().split("x"))
            wbytes = n * k * torch.tensor([], dtype=dt).element_size()
            copies = max(2, min(32, int(args.rotate_bytes // wbytes) + 1))
            ws = [torch.randn(n, k).to(dt) for _ in range(copies)]
            for m in (int(v) for v in args.ms.split(",")):
                x = torch.randn(m, k).to(dt)
                for t in (int(v) for v in args.threads.split(",")):
                    torch.set_num_threads(t)
                    i = 0

                    def call():
                        nonlocal i
                        w = ws[i % copies]
                        i += 1
                        t0 = time.perf_counter()
                        torch.nn.functional.linear(x, w)
                        return time.perf_counter() - t0

                    for _ in range(2):
                        est = call()
                    runs = int(max(args.min_runs, min(args.max_runs, args.budget_s / max(est, 1e-6))))
                    ts = [call() for _ in range(runs)]
                    med = statistics.median(ts)
                    flops = 2.0 * m * n * k
                    rows.append([m, n, k, dname, t, f"{med:.6e}", f"{quantile(ts, 0.1):.6e}",
                                 f"{quantile(ts, 0.9):.6e}", runs, f"{flops / med:.6e}", copies])
                    print(f"[gemm] {dname} m={m} n={n} k={k} threads={t}: {med * 1e3:.3f} ms, "
                          f"{flops / med / 1e12:.3f} TFLOP/s ({runs} runs, {copies} weight copies)", flush=True)
            del ws
    with open(args.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)
    prov = {
        "tool": "profilers/cpu/reference/torch_cpu_gemm.py",
        "command": "python3 torch_cpu_gemm.py " + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu": platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "torch_config": torch.__config__.show(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "env": {k: v for k, v in os.environ.items() if k.startswith(("OMP_", "KMP_", "MKL_", "DNNL_", "ONEDNN_"))},
        "elapsed_s": time.time() - start,
    }
    with open(os.path.splitext(args.out)[0] + "_provenance.json", "w") as f:
        json.dump(prov, f, indent=1)


if __name__ == "__main__":
    main()
