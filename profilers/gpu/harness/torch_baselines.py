#!/usr/bin/env python3
"""PyTorch reference numbers for rooflab's GPU microbenchmarks, measured on the same card in the same session:
device-to-device copy (bytes read + written), a read-only reduction, and 8192^3 matmuls (bf16, fp16, fp8 via
torch._scaled_mm with fast accumulation). Random data, warm-up, median of many CUDA-event-timed runs.
Writes torch_baseline.csv: name,size,median_s,p10_s,p90_s,runs,rate (rate in bytes/s or FLOP/s)."""
import argparse
import csv
import datetime
import json
import socket
import sys

import torch


def timeit(fn, warmup=5, runs=30):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    ts = []
    a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    for _ in range(runs):
        a.record()
        fn()
        b.record()
        b.synchronize()
        ts.append(a.elapsed_time(b) * 1e-3)
    ts.sort()
    q = lambda p: ts[min(len(ts) - 1, int(round(p * (len(ts) - 1))))]  # noqa: E731
    return q(0.5), q(0.1), q(0.9), len(ts)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default="torch_baseline.csv")
    p.add_argument("--provenance", default="torch_provenance.json")
    args = p.parse_args()
    dev = torch.device("cuda")
    rows = []

    def add(name, size, res, rate):
        rows.append([name, size, f"{res[0]:.6e}", f"{res[1]:.6e}", f"{res[2]:.6e}", res[3], f"{rate:.6e}"])
        print(f"[torch] {name}: {res[0] * 1e3:.3f} ms, {rate / 1e12:.3f} T/s", flush=True)

    for gib in (1, 2):
        n = gib * (1 << 30) // 4
        src = torch.rand(n, device=dev)
        dst = torch.empty_like(src)
        r = timeit(lambda: dst.copy_(src))
        add(f"copy_d2d_{gib}GiB", 2 * n * 4, r, 2 * n * 4 / r[0])
        r = timeit(lambda: src.sum())
        add(f"sum_read_{gib}GiB", n * 4, r, n * 4 / r[0])
        del src, dst
    torch.cuda.empty_cache()
    s = 8192
    flop = 2 * s ** 3
    for dt in (torch.bfloat16, torch.float16):
        a = torch.randn(s, s, device=dev, dtype=dt)
        b = torch.randn(s, s, device=dev, dtype=dt)
        r = timeit(lambda: a @ b, warmup=5, runs=30)
        add(f"matmul_{str(dt).split('.')[-1]}_8192", flop, r, flop / r[0])
        bt = b.t().contiguous()
        r = timeit(lambda: torch.nn.functional.linear(a, bt), warmup=5, runs=30)
        add(f"linear_{str(dt).split('.')[-1]}_8192", flop, r, flop / r[0])
        del a, b, bt
    try:
        a = torch.randn(s, s, device=dev).to(torch.float8_e4m3fn)
        b = torch.randn(s, s, device=dev).to(torch.float8_e4m3fn).t()
        one = torch.ones((), device=dev)
        r = timeit(lambda: torch._scaled_mm(a, b, scale_a=one, scale_b=one, out_dtype=torch.bfloat16,
                                            use_fast_accum=True), warmup=5, runs=30)
        add("scaled_mm_fp8_e4m3_fastacc_8192", flop, r, flop / r[0])
        r = timeit(lambda: torch._scaled_mm(a, b, scale_a=one, scale_b=one, out_dtype=torch.bfloat16,
                                            use_fast_accum=False), warmup=5, runs=30)
        add("scaled_mm_fp8_e4m3_8192", flop, r, flop / r[0])
    except Exception as e:  # noqa: BLE001
        print(f"[torch] fp8 scaled_mm unavailable: {e}", flush=True)
    with open(args.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name", "size", "median_s", "p10_s", "p90_s", "runs", "rate"])
        w.writerows(rows)
    props = torch.cuda.get_device_properties(0)
    with open(args.provenance, "w") as f:
        json.dump({"card": props.name, "sm_count": props.multi_processor_count,
                   "l2_bytes": getattr(props, "L2_cache_size", 0), "torch": torch.__version__,
                   "cuda_runtime": torch.version.cuda, "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                   "host": socket.gethostname(), "tool": "profilers/gpu/harness/torch_baselines.py",
                   "command": " ".join(sys.argv)}, f, indent=2)


if __name__ == "__main__":
    main()
