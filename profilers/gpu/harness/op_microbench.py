#!/usr/bin/env python3
"""Single-operator PyTorch microbenchmarks (bf16) used to CALIBRATE rooflab's operator model -- never end-to-end runs.

Writes under --out:
  attention.csv       batch,heads,kv_heads,seq_q,seq_k,head_dim,causal,dtype,median_s,p10_s,p90_s,runs
                      F.scaled_dot_product_attention, GQA (enable_gqa=True), [b, h, s, d] contiguous inputs.
                      Prefill: causal, seq_q = seq_k. Decode-like: seq_q = 1, not causal.
  attention_decode.csv  (--only attention_decode) the same columns, a denser decode grid: head_dim 64 and 128,
                      kv heads 8 and 4, batch 1..128, seq_k 256..16384
  elementwise.csv     op,rows,cols,bytes_moved,median_s,p10_s,p90_s,runs   (rms_norm, add, silu_mul, rope, copy)
  gemm_torch.csv      (--only torch_gemm) F.linear / torch._scaled_mm as PyTorch dispatches them, gemm.csv's layout
  eager_overhead.csv  what,median_s,runs   host cost per op of eager PyTorch (tiny ops) and per node of a CUDA graph
  op_provenance.json  card, sm_count, driver, torch, cuda, date, command

Method (profilers METHOD.md): random normal data (never zeros); every case has several input sets whose total exceeds
3x the 50 MB L2 (capped at 512 sets, so the tiniest cases stay L2 resident -- they are latency bound anyway) and the
timed calls rotate over them; eager warm-up of every set first. Short ops (< 1 ms) are timed as a CUDA graph of K
rotating calls (K >= 16) replayed many times: one sample = replay time / K (device time per op, launch gaps removed),
median/p10/p90 over replays, runs = replays. Long ops (>= 1 ms) are timed one eager call per CUDA-event pair,
runs = calls. Each case is wrapped so that one failure (OOM, unsupported backend) costs only that row.
"""
import argparse
import csv
import datetime
import json
import math
import os
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

L2_BYTES = 50 * 1024 * 1024
ROTATE_BYTES = 3 * L2_BYTES
MAX_SETS = 512
DT = torch.bfloat16
ESZ = 2  # bytes per bf16 element


def quant(ts):
    ts = sorted(ts)
    q = lambda p: ts[min(len(ts) - 1, int(round(p * (len(ts) - 1))))]  # noqa: E731
    return q(0.5), q(0.1), q(0.9), len(ts)


def nsets_for(set_bytes):
    return max(2, min(MAX_SETS, math.ceil(ROTATE_BYTES / max(1, set_bytes))))


def measure(calls, target_s=0.25, min_k=16):
    """calls: zero-argument callables, one per input set. Returns (median, p10, p90, runs, mode) in seconds per call."""
    n = len(calls)
    for c in calls:  # eager warm-up of every set (backend choice, workspace, allocator)
        c()
    torch.cuda.synchronize()
    e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    e0.record()
    calls[0]()
    e1.record()
    e1.synchronize()
    t1 = e0.elapsed_time(e1) * 1e-3
    if t1 < 1e-3:
        try:
            k = n * max(1, math.ceil(min_k / n))
            s = torch.cuda.Stream()
            s.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(s):
                for c in calls[: min(n, 4)]:
                    c()
            torch.cuda.current_stream().wait_stream(s)
            torch.cuda.synchronize()
            g = torch.cuda.CUDAGraph()
            with torch.cuda.graph(g):
                for i in range(k):
                    calls[i % n]()
            for _ in range(2):
                g.replay()
            torch.cuda.synchronize()
            e0.record()
            g.replay()
            e1.record()
            e1.synchronize()
            tr = e0.elapsed_time(e1) * 1e-3
            runs = int(max(10, min(100, target_s / max(tr, 1e-7))))
            ts = []
            for _ in range(runs):
                e0.record()
                g.replay()
                e1.record()
                e1.synchronize()
                ts.append(e0.elapsed_time(e1) * 1e-3 / k)
            del g
            return (*quant(ts), f"graph k={k} sets={n}")
        except Exception as ex:  # noqa: BLE001
            print(f"  graph capture failed ({type(ex).__name__}: {str(ex)[:120]}); eager events instead", flush=True)
            try:
                torch.cuda.synchronize()
            except Exception:  # noqa: BLE001
                pass
    runs = int(max(5, min(40, target_s * 2 / max(t1, 1e-7))))
    ts = []
    for i in range(runs):
        e0.record()
        calls[i % n]()
        e1.record()
        e1.synchronize()
        ts.append(e0.elapsed_time(e1) * 1e-3)
    return (*quant(ts), f"eager sets={n}")


class Out:
    def __init__(self, path, header):
        self.f = open(path, "w", newline="")
        self.w = csv.writer(self.f)
        self.w.writerow(header)
        self.f.flush()

    def row(self, r):
        self.w.writerow(r)
        self.f.flush()


def fmt(x):
    return f"{x:.6e}"


def free():
    torch.cuda.synchronize()
    torch.cuda.empty_cache()


# ---------------------------------------------------------------------------------------------------------- attention
def sdpa_backend_names(fn):
    """Run fn once under the profiler and return the CUDA kernel names (to tell which SDPA backend ran)."""
    try:
        from torch.profiler import ProfilerActivity, profile
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            fn()
            torch.cuda.synchronize()
        names = sorted({e.name for e in prof.events() if str(e.device_type).endswith("CUDA")})
    except Exception as ex:  # noqa: BLE001
        return f"profiler failed: {ex}"
    tag = "unknown"
    j = " ".join(names).lower()
    if "flash" in j and "cudnn" not in j:
        tag = "FLASH_ATTENTION"
    elif "fmha_cutlass" in j or "mem_eff" in j or "efficient" in j:
        tag = "EFFICIENT_ATTENTION"
    elif "cudnn" in j or "sm90" in j:
        tag = "CUDNN_ATTENTION(?)"
    elif "gemm" in j or "softmax" in j:
        tag = "MATH"
    return f"{tag}: {'; '.join(n[:90] for n in names[:6])}"


SDPA_BACKEND = "any"


def sdpa_ctx():
    """The SDPA backend to measure: 'flash' forces FlashAttention (what the e2e harness uses), 'any' lets
    PyTorch choose (cuDNN on Hopper)."""
    import contextlib
    from torch.nn.attention import SDPBackend, sdpa_kernel
    if SDPA_BACKEND == "flash":
        return sdpa_kernel([SDPBackend.FLASH_ATTENTION])
    return contextlib.nullcontext()


def attention_cases():
    """(batch, heads, kv_heads, seq_q, seq_k, causal, head_dim): Llama-3-8B (32/8) and 70B (64/8) heads."""
    cases = []
    for h, kvh in ((32, 8), (64, 8)):
        for b in (1, 4, 16):
            for s in (128, 256, 512, 1024, 2048, 4096, 8192):
                if b * s <= 65536:
                    cases.append((b, h, kvh, s, s, True, 128))
        for sk in (128, 512, 2048, 8192):
            for b in (1, 8, 32, 64):
                cases.append((b, h, kvh, 1, sk, False, 128))
    return cases


DECODE_SEQ_K = (256, 1024, 4096, 16384)
DECODE_BATCHES = (1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128)


def attention_decode_cases():
    """A denser decode grid (seq_q = 1): Llama-3.2-1B heads (32/8, head_dim 64), 8B (32/8, 128), 70B (64/8, 128),
    a 4-kv-head layout (28/4, 128); batch 1..128 and seq_k 256..16384 (KV cache at most 8 GiB); --decode-seq-k and
    --decode-batches replace the key counts and batches (e.g. 8193 keys around the flash-decoding split threshold)."""
    cases = []
    for h, kvh, d in ((32, 8, 64), (32, 8, 128), (64, 8, 128), (28, 4, 128)):
        for sk in DECODE_SEQ_K:
            for b in DECODE_BATCHES:
                if 2 * b * kvh * sk * d * ESZ <= 8 * 2**30:
                    cases.append((b, h, kvh, 1, sk, False, d))
    return cases


def attention(out_dir, deadline, decode_grid=False):
    if decode_grid:
        name = "attention_decode.csv"
    else:
        name = "attention.csv" if SDPA_BACKEND == "flash" else f"attention_{SDPA_BACKEND}.csv"
    o = Out(os.path.join(out_dir, name),
            ["batch", "heads", "kv_heads", "seq_q", "seq_k", "head_dim", "causal", "dtype",
             "median_s", "p10_s", "p90_s", "runs"])
    cases = attention_decode_cases() if decode_grid else attention_cases()
    printed = set()
    for (b, h, kvh, sq, sk, causal, d) in cases:
        if time.time() > deadline:
            print(f"[attn] deadline: skipping b={b} h={h} sq={sq} sk={sk}", flush=True)
            continue
        try:
            qb = b * h * sq * d * ESZ
            kvb = 2 * b * kvh * sk * d * ESZ
            set_bytes = 2 * qb + kvb  # q, out, k, v
            n = nsets_for(set_bytes)
            n = max(1, min(n, int(8e9 // set_bytes)))  # keep the rotation under ~8 GB
            sets = [(torch.randn(b, h, sq, d, device="cuda", dtype=DT),
                     torch.randn(b, kvh, sk, d, device="cuda", dtype=DT),
                     torch.randn(b, kvh, sk, d, device="cuda", dtype=DT)) for _ in range(n)]
            calls = [(lambda q=q, k=k, v=v: F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=True))
                     for (q, k, v) in sets]
            key = (h, d, causal)
            if key not in printed:
                printed.add(key)
                print(f"[attn] backend h={h} kv={kvh} {'prefill causal' if causal else 'decode'} "
                      f"b={b} sq={sq} sk={sk}: {sdpa_backend_names(calls[0])}", flush=True)
                with sdpa_ctx():
                    print(f"[attn] forced backend {SDPA_BACKEND}: {sdpa_backend_names(calls[0])}", flush=True)
            with sdpa_ctx():
                med, p10, p90, runs, mode = measure(calls, target_s=0.2)
            o.row([b, h, kvh, sq, sk, d, int(causal), "bf16", fmt(med), fmt(p10), fmt(p90), runs])
            # FLOPs: QK^T and PV, 2*b*h*sq*sk*d each; causal (sq == sk) keeps (sk+1)/(2 sk) of the pairs
            frac = (sk + 1) / (2 * sk) if causal else 1.0
            flop = 4 * b * h * sq * sk * d * frac
            print(f"[attn] b={b:3d} h={h} kv={kvh} d={d} sq={sq:5d} sk={sk:5d} causal={int(causal)}: "
                  f"{med * 1e6:10.1f} us  {flop / med / 1e12:7.1f} TFLOP/s  {set_bytes / med / 1e9:7.1f} GB/s  [{mode}]",
                  flush=True)
            del sets, calls
        except Exception as ex:  # noqa: BLE001
            print(f"[attn] b={b} h={h} sq={sq} sk={sk} FAILED: {type(ex).__name__}: {str(ex)[:200]}", flush=True)
        free()


# -------------------------------------------------------------------------------------------------------- elementwise
def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def elementwise(out_dir, deadline, strided_only=False):
    """bytes_moved = sum over the kernels PyTorch launches for the op as written of (bytes read + bytes written),
    each tensor counted once per kernel that touches it, bf16 = 2 B, N = rows*cols:
      rms_norm  F.rms_norm(x, (cols,), w): read x + w, write y            -> (2N + cols) * 2 (one fused kernel)
      add       a + b                      : read a, b, write c             -> 3N * 2
      silu_mul  t = F.silu(a); t * b       : silu r N w N; mul r 2N w N     -> 5N * 2
      rope      q [rows, cols/128, 128], cos/sin [rows, 1, 128] (C = rows*128 each):
                q*cos + rotate_half(q)*sin : neg r N/2 w N/2; cat r N w N; q*cos r N+C w N; rot*sin r N+C w N;
                                             add r 2N w N                   -> (10N + 2C) * 2
      copy      cache.index_copy_(0, idx, src), src [rows, cols], cache [2*rows, cols], idx int64 random slots:
                                             read src + idx, write rows of cache -> 2N * 2 + rows * 8
    With --only strided (the eager stack's own views, as the e2e harness writes them; bytes as above), written to
    elementwise_strided.csv:
      silu_mul_chunked  gate, up = gu.chunk(2, -1) of gu [rows, 2*cols]; F.silu(gate) * up
      kv_copy_strided   cache[:, :, 5:6] = k, k [rows, cols/128, 1, 128] a transposed view of a fused QKV row per
                        sequence (the decode KV append), cache [rows, cols/128, 64, 128]: read N, write N -> 2N * 2
      rope_strided      q = qkv[..., :cols].view(1, rows, cols/128, 128).transpose(1, 2) of qkv [1, rows, 1.5*cols],
                        cos/sin [1, 1, rows, 128]; q*cos + rotate_half(q)*sin
    """
    o = Out(os.path.join(out_dir, "elementwise_strided.csv" if strided_only else "elementwise.csv"),
            ["op", "rows", "cols", "bytes_moved", "median_s", "p10_s", "p90_s", "runs"])
    rows_list = (1, 8, 64, 512, 2048, 8192, 16384)
    cases = []
    for op in ("rms_norm", "add", "rope", "copy"):
        for cols in (2048, 4096, 8192):
            for r in rows_list:
                cases.append((op, r, cols))
    for r in rows_list:
        cases.append(("silu_mul", r, 14336))
    if strided_only:
        cases = [(op, r, cols) for r in (1, 8, 64, 512, 2048, 8192, 16384)
                 for (op, cols) in (("silu_mul_chunked", 14336), ("silu_mul_chunked", 8192), ("rope_strided", 4096),
                                    ("rope_strided", 8192), ("kv_copy_strided", 1024))]

    def build(op, r, cols):
        N = r * cols
        if op == "rms_norm":
            w = torch.randn(cols, device="cuda", dtype=DT)
            byts = (2 * N + cols) * ESZ
            mk = lambda: torch.randn(r, cols, device="cuda", dtype=DT)  # noqa: E731
            return byts, lambda: (lambda x=mk(): F.rms_norm(x, (cols,), w, 1e-5))
        if op == "add":
            byts = 3 * N * ESZ
            return byts, lambda: (lambda a=torch.randn(r, cols, device="cuda", dtype=DT),
                                  b=torch.randn(r, cols, device="cuda", dtype=DT): a + b)
        if op == "silu_mul":
            byts = 5 * N * ESZ
            return byts, lambda: (lambda a=torch.randn(r, cols, device="cuda", dtype=DT),
                                  b=torch.randn(r, cols, device="cuda", dtype=DT): F.silu(a) * b)
        if op == "silu_mul_chunked":
            byts = 5 * N * ESZ

            def mk_act(gu=None):
                gu = torch.randn(r, 2 * cols, device="cuda", dtype=DT)
                gate, up = gu.chunk(2, dim=-1)
                return lambda: F.silu(gate) * up
            return byts, mk_act
        if op == "rope_strided":
            C = r * 128
            byts = (10 * N + 2 * C) * ESZ

            def mk_rope():
                qkv = torch.randn(1, r, cols + cols // 2, device="cuda", dtype=DT)
                q = qkv[..., :cols].view(1, r, cols // 128, 128).transpose(1, 2)
                cos = torch.randn(1, 1, r, 128, device="cuda", dtype=DT)
                sin = torch.randn(1, 1, r, 128, device="cuda", dtype=DT)
                return lambda: q * cos + rotate_half(q) * sin
            return byts, mk_rope
        if op == "kv_copy_strided":
            # the harness's KV append in decode: K of one new token per sequence, a view of the fused QKV output
            # [r, 1, (32 + 2*8) * 128] transposed to [r, 8, 1, 128], written into slot 5 of a [r, 8, 64, 128] cache
            byts = 2 * N * ESZ
            kvh = cols // 128

            def mk_kv():
                qkv = torch.randn(r, 1, (4 * kvh + 2 * kvh) * 128, device="cuda", dtype=DT)
                k = qkv[..., 4 * kvh * 128:5 * kvh * 128].view(r, 1, kvh, 128).transpose(1, 2)
                cache = torch.randn(r, kvh, 64, 128, device="cuda", dtype=DT)

                def call():
                    cache[:, :, 5:6] = k
                return call
            return byts, mk_kv
        if op == "rope":
            C = r * 128
            byts = (10 * N + 2 * C) * ESZ
            return byts, lambda: (lambda q=torch.randn(r, cols // 128, 128, device="cuda", dtype=DT),
                                  cos=torch.randn(r, 1, 128, device="cuda", dtype=DT),
                                  sin=torch.randn(r, 1, 128, device="cuda", dtype=DT):
                                  q * cos + rotate_half(q) * sin)
        if op == "copy":
            byts = 2 * N * ESZ + r * 8
            return byts, lambda: (lambda src=torch.randn(r, cols, device="cuda", dtype=DT),
                                  cache=torch.randn(2 * r, cols, device="cuda", dtype=DT),
                                  idx=torch.randperm(2 * r, device="cuda")[:r].contiguous():
                                  cache.index_copy_(0, idx, src))
        raise ValueError(op)

    for (op, r, cols) in cases:
        if time.time() > deadline:
            print(f"[elem] deadline: skipping {op} {r}x{cols}", flush=True)
            continue
        try:
            byts, factory = build(op, r, cols)
            foot = byts if op != "copy" else byts + 2 * r * cols * ESZ  # the copy's cache is twice src
            if op == "kv_copy_strided":
                foot = byts * 3 + r * cols * 64 * ESZ  # the fused QKV parent and the cache
            elif op.endswith("_chunked") or op.endswith("_strided"):
                foot *= 2  # the views' parent tensors are larger than what the op touches
            n = nsets_for(byts)
            n = max(1, min(n, int(6e9 // foot)))
            calls = [factory() for _ in range(n)]
            med, p10, p90, runs, mode = measure(calls, target_s=0.2)
            o.row([op, r, cols, byts, fmt(med), fmt(p10), fmt(p90), runs])
            print(f"[elem] {op:8s} {r:6d} x {cols:5d}: {med * 1e6:9.2f} us  {byts / med / 1e9:7.1f} GB/s  [{mode}]",
                  flush=True)
            del calls
        except Exception as ex:  # noqa: BLE001
            print(f"[elem] {op} {r}x{cols} FAILED: {type(ex).__name__}: {str(ex)[:200]}", flush=True)
        free()


# ----------------------------------------------------------------------------------------------------- eager overhead
class Ten(torch.nn.Module):
    """Ten tiny elementwise ops (one kernel each) in one forward."""

    def forward(self, x, y):
        x = x + y
        x = x * y
        x = x - y
        x = torch.relu(x)
        x = x + 1.0
        x = x * 0.5
        x = torch.neg(x)
        x = x + y
        x = torch.abs(x)
        x = x * y
        return x


def eager_overhead(out_dir, reps=7, n_ops=2000):
    o = Out(os.path.join(out_dir, "eager_overhead.csv"), ["what", "median_s", "runs"])
    x = torch.randn(1, device="cuda", dtype=DT)
    y = torch.randn(1, device="cuda", dtype=DT)
    xl = torch.randn(1, 64, device="cuda", dtype=DT)
    wl = torch.randn(64, 64, device="cuda", dtype=DT)
    mod = Ten()
    def b_add():
        for _ in range(n_ops):
            torch.add(x, y)

    def b_mod():
        for _ in range(n_ops // 10):
            mod(x, y)

    def b_lin():
        for _ in range(n_ops):
            F.linear(xl, wl)

    cases = [("torch_add_1elem", b_add, n_ops), ("module_10ops_1elem", b_mod, n_ops), ("linear_1x64x64", b_lin, n_ops)]
    e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    for name, body, cnt in cases:
        try:
            body()  # warm-up
            torch.cuda.synchronize()
            ts, gts = [], []
            for _ in range(reps):
                torch.cuda.synchronize()
                t0 = time.perf_counter()
                e0.record()
                body()
                e1.record()
                torch.cuda.synchronize()
                ts.append((time.perf_counter() - t0) / cnt)
                gts.append(e0.elapsed_time(e1) * 1e-3 / cnt)
            med = quant(ts)
            o.row([f"{name}_eager_wall_per_op", fmt(med[0]), med[3]])
            if name.startswith("module"):
                o.row([f"{name}_eager_wall_per_forward", fmt(med[0] * 10), med[3]])
            print(f"[eager] {name}: eager {med[0] * 1e6:.2f} us/op host wall "
                  f"(p10 {med[1] * 1e6:.2f}, p90 {med[2] * 1e6:.2f}); events span {quant(gts)[0] * 1e6:.2f} us/op",
                  flush=True)
            # the same ops captured once in a CUDA graph, replayed: per-node time
            s = torch.cuda.Stream()
            s.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(s):
                body()
            torch.cuda.current_stream().wait_stream(s)
            torch.cuda.synchronize()
            g = torch.cuda.CUDAGraph()
            with torch.cuda.graph(g):
                body()
            g.replay()
            torch.cuda.synchronize()
            gt, wt = [], []
            for _ in range(reps * 3):
                torch.cuda.synchronize()
                t0 = time.perf_counter()
                e0.record()
                g.replay()
                e1.record()
                torch.cuda.synchronize()
                wt.append((time.perf_counter() - t0) / cnt)
                gt.append(e0.elapsed_time(e1) * 1e-3 / cnt)
            mg, mw = quant(gt), quant(wt)
            o.row([f"{name}_graph_replay_device_per_node", fmt(mg[0]), mg[3]])
            o.row([f"{name}_graph_replay_wall_per_node", fmt(mw[0]), mw[3]])
            print(f"[eager] {name}: graph replay {mg[0] * 1e6:.3f} us/node device (events), "
                  f"{mw[0] * 1e6:.3f} us/node wall", flush=True)
            del g
        except Exception as ex:  # noqa: BLE001
            print(f"[eager] {name} FAILED: {type(ex).__name__}: {str(ex)[:200]}", flush=True)
        free()


# --------------------------------------------------------------------------------------------------------- provenance
# ------------------------------------------------------------------------------------------------------- torch GEMMs
def torch_gemm(out_dir, deadline):
    """GEMMs as PyTorch runs them (torch.matmul / torch._scaled_mm, cuBLAS's own heuristic choice), graph-replayed,
    rotating input sets (> 3x L2) as every other case: `gemm_torch.csv` in gemm.csv's layout (m,n,k,dtype,layout,
    median_s,...,algo = the kernel torch.profiler saw). Shapes: cubes 64..2048 and the small-M projections of
    1-8B decoders. Also `gemm_torch_hot.csv`: the same calls on one input set (L2-resident operands)."""
    hdr = ["m", "n", "k", "dtype", "layout", "median_s", "p10_s", "p90_s", "runs", "flop_per_s", "algo"]
    cold = Out(os.path.join(out_dir, "gemm_torch.csv"), hdr)
    hot = Out(os.path.join(out_dir, "gemm_torch_hot.csv"), hdr)
    shapes = [(s, s, s) for s in (64, 128, 192, 256, 384, 512, 640, 768, 896, 1024, 1536, 2048)]
    shapes += [(m, n, k) for m in (1, 16, 64, 256) for (n, k) in ((1024, 1024), (2048, 2048), (3072, 1024))]
    shapes += [(m, 1024, 1024) for m in (2048, 4096)]
    fp8 = getattr(torch, "float8_e4m3fn", None)
    for dname in ("bf16", "fp16", "fp32", "fp8_e4m3"):
        for (m, n, k) in shapes:
            if time.time() > deadline:
                print(f"[gemm] deadline: skipping {dname} {m}x{n}x{k}", flush=True)
                continue
            try:
                if dname == "fp8_e4m3":
                    if fp8 is None:
                        continue
                    one = torch.ones((), device="cuda")

                    def mk():
                        a = (torch.randn(m, k, device="cuda") * 0.5).to(fp8)
                        b = (torch.randn(n, k, device="cuda") * 0.5).to(fp8).t()
                        return a, b

                    def call(a, b):
                        return torch._scaled_mm(a, b, scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
                    esz = 1
                else:
                    dt = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[dname]

                    def mk(dt=dt):  # F.linear's layout: weight [n, k], used transposed (cuBLAS "tn")
                        return (torch.randn(m, k, device="cuda", dtype=dt), torch.randn(n, k, device="cuda", dtype=dt))

                    def call(a, b):
                        return F.linear(a, b)
                    esz = {"bf16": 2, "fp16": 2, "fp32": 4}[dname]
                set_bytes = (m * k + n * k) * esz + m * n * 2
                sets = [mk() for _ in range(nsets_for(set_bytes))]
                calls = [(lambda s=s: call(*s)) for s in sets]
                med, p10, p90, runs, mode = measure(calls, target_s=0.15)
                hmed, hp10, hp90, hruns, _ = measure([calls[0]] * 16, target_s=0.1)
                from torch.profiler import ProfilerActivity, profile
                with profile(activities=[ProfilerActivity.CUDA]) as prof:
                    calls[0]()
                    torch.cuda.synchronize()
                names = [e.name for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA]
                algo = "|".join(n.replace(",", ";")[:120] for n in names) or "?"
                flop = 2.0 * m * n * k
                cold.row([m, n, k, dname, "tn", fmt(med), fmt(p10), fmt(p90), runs, f"{flop / med:.5e}", algo])
                hot.row([m, n, k, dname, "tn", fmt(hmed), fmt(hp10), fmt(hp90), hruns, f"{flop / hmed:.5e}", algo])
                print(f"[gemm] {dname} {m}x{n}x{k}: {med * 1e6:8.2f} us (hot {hmed * 1e6:8.2f}) "
                      f"{flop / med / 1e12:7.1f} TFLOP/s [{mode}] {algo[:100]}", flush=True)
                del sets, calls
            except Exception as ex:  # noqa: BLE001
                print(f"[gemm] {dname} {m}x{n}x{k} FAILED: {type(ex).__name__}: {str(ex)[:200]}", flush=True)
            free()


def provenance(out_dir):
    p = torch.cuda.get_device_properties(0)
    try:
        drv = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30).stdout.strip().splitlines()[0]
    except Exception as ex:  # noqa: BLE001
        drv = f"unknown ({ex})"
    info = {
        "card": torch.cuda.get_device_name(0),
        "sm_count": p.multi_processor_count,
        "memory_bytes": p.total_memory,
        "l2_bytes": getattr(p, "L2_cache_size", None),
        "driver": drv,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tool": "profilers/gpu/harness/op_microbench.py",
        "command": "python3 " + " ".join(sys.argv),
    }
    with open(os.path.join(out_dir, "op_provenance.json"), "w") as f:
        json.dump(info, f, indent=2)
    print(f"[prov] {json.dumps(info)}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=".")
    ap.add_argument("--budget-s", type=float, default=230.0, help="skip remaining cases after this many seconds")
    ap.add_argument("--only", default="eager,attention,elementwise")
    ap.add_argument("--sdpa", choices=["flash", "any"], default="flash",
                    help="SDPA backend for the attention cases (flash: as the e2e harness)")
    ap.add_argument("--decode-seq-k", help="attention_decode: key counts instead of 256,1024,4096,16384")
    ap.add_argument("--decode-batches", help="attention_decode: batches instead of 1..128")
    a = ap.parse_args()
    global SDPA_BACKEND, DECODE_SEQ_K, DECODE_BATCHES
    SDPA_BACKEND = a.sdpa
    if a.decode_seq_k:
        DECODE_SEQ_K = tuple(int(x) for x in a.decode_seq_k.split(",") if x.strip())
    if a.decode_batches:
        DECODE_BATCHES = tuple(int(x) for x in a.decode_batches.split(",") if x.strip())
    os.makedirs(a.out, exist_ok=True)
    t0 = time.time()
    torch.manual_seed(0)
    torch.cuda.init()
    provenance(a.out)
    only = a.only.split(",")
    if "eager" in only:
        eager_overhead(a.out)
    # attention gets up to ~55% of the budget, elementwise the rest
    if "attention" in only:
        attention(a.out, t0 + a.budget_s * 0.55)
    if "attention_decode" in only:
        attention(a.out, t0 + a.budget_s, decode_grid=True)
    if "elementwise" in only:
        elementwise(a.out, t0 + a.budget_s)
    if "strided" in only:
        elementwise(a.out, t0 + a.budget_s, strided_only=True)
    if "torch_gemm" in only:
        torch_gemm(a.out, t0 + a.budget_s)
    print(f"[done] {time.time() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main()
