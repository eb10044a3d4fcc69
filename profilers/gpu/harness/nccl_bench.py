#!/usr/bin/env python3
"""NCCL collective sweep through torch.distributed (one process per GPU; start with
python3 -m torch.distributed.run --nproc-per-node N nccl_bench.py --out nccl.csv). NVLink multicast stays off
(NCCL_NVLS_ENABLE=0). Sizes follow nccl-tests: all_reduce and all_to_all count the per-rank buffer, all_gather
the gathered output; busbw = algbw * 2(n-1)/n (all_reduce), (n-1)/n (all_gather, all_to_all), 1 (send/recv).
Each point: warm-up, then the median over runs of the slowest rank's CUDA-event time.
Writes nccl.csv: op,gpus,bytes,median_s,algbw_bytes_per_s,busbw_bytes_per_s."""
import argparse
import csv
import os

os.environ["NCCL_NVLS_ENABLE"] = "0"
os.environ.setdefault("TORCH_SYMM_MEM_DISABLE_MULTICAST", "1")

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default="nccl.csv")
    p.add_argument("--max-bytes", type=int, default=1 << 30)
    p.add_argument("--runs", type=int, default=15)
    args = p.parse_args()
    local = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local)
    dev = torch.device("cuda", local)
    dist.init_process_group("nccl", device_id=dev)
    n = dist.get_world_size()
    rank = dist.get_rank()
    rows = []
    sizes = []
    b = 1024
    while b <= args.max_bytes:
        sizes.append(b)
        b *= 4
    for op in ("all_reduce", "all_gather", "all_to_all", "send_recv"):
        for size in sizes:
            elems = size // 2  # bf16
            if op == "all_gather":
                elems = max(n, elems // n * n)
                out = torch.empty(elems, device=dev, dtype=torch.bfloat16)
                inp = torch.randn(elems // n, device=dev, dtype=torch.bfloat16)
                fn = lambda: dist.all_gather_into_tensor(out, inp)  # noqa: E731
                factor = (n - 1) / n
            elif op == "all_to_all":
                elems = max(n, elems // n * n)
                inp = torch.randn(elems, device=dev, dtype=torch.bfloat16)
                out = torch.empty_like(inp)
                fn = lambda: dist.all_to_all_single(out, inp)  # noqa: E731
                factor = (n - 1) / n
            elif op == "all_reduce":
                inp = torch.randn(elems, device=dev, dtype=torch.bfloat16)
                fn = lambda: dist.all_reduce(inp)  # noqa: E731
                factor = 2 * (n - 1) / n
            else:  # ring: every rank sends to rank+1 and receives from rank-1
                inp = torch.randn(elems, device=dev, dtype=torch.bfloat16)
                out = torch.empty_like(inp)

                def fn():
                    ops = [dist.P2POp(dist.isend, inp, (rank + 1) % n), dist.P2POp(dist.irecv, out, (rank - 1) % n)]
                    for r in dist.batch_isend_irecv(ops):
                        r.wait()
                factor = 1.0
            nbytes = elems * 2
            inner = max(1, min(50, (64 << 20) // max(nbytes, 1)))
            for _ in range(3):
                fn()
            torch.cuda.synchronize()
            ts = []
            a, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            for _ in range(args.runs):
                dist.barrier()
                a.record()
                for _ in range(inner):
                    fn()
                e.record()
                e.synchronize()
                t = torch.tensor([a.elapsed_time(e) * 1e-3 / inner], device=dev, dtype=torch.float64)
                dist.all_reduce(t, op=dist.ReduceOp.MAX)
                ts.append(t.item())
            ts.sort()
            med = ts[len(ts) // 2]
            algbw = nbytes / med
            rows.append([op, n, nbytes, f"{med:.6e}", f"{algbw:.6e}", f"{algbw * factor:.6e}"])
            if rank == 0 and nbytes >= (16 << 20):
                print(f"[nccl] {op} {nbytes >> 20} MiB x{n}: {med * 1e6:.1f} us, busbw {algbw * factor / 1e9:.1f} GB/s",
                      flush=True)
    if rank == 0:
        with open(args.out, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["op", "gpus", "bytes", "median_s", "algbw_bytes_per_s", "busbw_bytes_per_s"])
            w.writerows(rows)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
