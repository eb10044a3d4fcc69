#!/usr/bin/env python3
"""rooflab end-to-end validation harness: a Llama-style decoder with random bf16 weights (no downloads).

Eager PyTorch modules: RMSNorm, fused QKV projection, RoPE, SDPA (flash) attention with GQA, fused gate-up
projection + SiLU, down projection, residual adds, final norm, LM head (last token only for prefill). The KV
cache is preallocated. Prefill is timed eagerly with CUDA events (or, with --prefill-graph, by replaying it from a
CUDA graph); a decode step is CUDA-graph-captured and timed by graph replay. Each case reports the median of many runs after warm-up.

Tensor parallel: start one process per GPU (python3 -m torch.distributed.run --nproc-per-node N ...); QKV and
gate-up are column-parallel, o and down row-parallel followed by an NCCL all-reduce, the LM head is split by
vocabulary and all-gathered. NCCL_NVLS_ENABLE=0 is forced.

Writes e2e.csv rows (schema in profilers/gpu/trace/formats.cpp) and, with --trace, a kernel trace of one case.
"""
import argparse
import csv
import datetime
import json
import math
import os
import socket
import sys
import time

os.environ.setdefault("NCCL_NVLS_ENABLE", "0")
os.environ["NCCL_NVLS_ENABLE"] = "0"
os.environ.setdefault("TORCH_SYMM_MEM_DISABLE_MULTICAST", "1")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
E2E_HEADER = ["id", "model", "phase", "batch", "prompt", "context", "tp", "weights", "kv", "act", "stack",
              "measured_s", "p10_s", "p90_s", "runs", "card", "date"]
TRACE_HEADER = ["idx", "name", "class", "grid_x", "grid_y", "grid_z", "block_x", "block_y", "block_z", "registers",
                "shared_bytes", "start_ns", "end_ns", "duration_ns"]


def load_config(model):
    """Preset id (resources/models/<id>.yaml) or a path to a YAML/JSON file with HF config.json keys."""
    path = model
    if not os.path.exists(path):
        path = os.path.join(REPO, model)
    if not os.path.exists(path):
        path = os.path.join(REPO, "resources", "models", model + ".yaml")
    with open(path) as f:
        if path.endswith(".json"):
            cfg = json.load(f)
        else:
            import yaml
            cfg = yaml.safe_load(f)
    return cfg


class Dims:
    def __init__(self, cfg, tp):
        self.hidden = int(cfg["hidden_size"])
        self.inter = int(cfg["intermediate_size"])
        self.layers = int(cfg["num_hidden_layers"])
        self.heads = int(cfg["num_attention_heads"])
        self.kv_heads = int(cfg.get("num_key_value_heads", self.heads))
        self.head_dim = int(cfg.get("head_dim") or self.hidden // self.heads)
        self.vocab = int(cfg["vocab_size"])
        self.eps = float(cfg.get("rms_norm_eps", 1e-5))
        self.theta = float(cfg.get("rope_theta", 10000.0))
        self.tp = tp
        for name, v in (("heads", self.heads), ("kv_heads", self.kv_heads), ("intermediate", self.inter)):
            if v % tp:
                raise ValueError(f"{name}={v} not divisible by tp={tp}")
        self.h_l = self.heads // tp
        self.kv_l = self.kv_heads // tp
        self.i_l = self.inter // tp
        self.v_l = (self.vocab + tp - 1) // tp

    def weight_bytes_per_gpu(self):
        per_layer = (self.h_l + 2 * self.kv_l) * self.head_dim * self.hidden + self.hidden * self.h_l * self.head_dim \
            + 2 * self.i_l * self.hidden + self.hidden * self.i_l + 2 * self.hidden
        return 2 * (self.layers * per_layer + self.vocab * self.hidden + self.v_l * self.hidden + self.hidden)

    def kv_bytes_per_token(self):
        return 2 * 2 * self.layers * self.kv_l * self.head_dim


class Llama(torch.nn.Module):
    def __init__(self, d, device, dtype=torch.bfloat16, seed=0):
        super().__init__()
        self.d = d
        g = torch.Generator(device=device)
        g.manual_seed(seed)

        def w(*shape, std=0.02):
            t = torch.empty(*shape, device=device, dtype=dtype)
            t.normal_(0.0, std, generator=g)
            return t

        h, hd = d.hidden, d.head_dim
        self.embed = w(d.vocab, h)
        self.layers = []
        for _ in range(d.layers):
            self.layers.append(dict(
                ln1=torch.ones(h, device=device, dtype=dtype) + w(h, std=0.01),
                wqkv=w((d.h_l + 2 * d.kv_l) * hd, h),
                wo=w(h, d.h_l * hd),
                ln2=torch.ones(h, device=device, dtype=dtype) + w(h, std=0.01),
                wgu=w(2 * d.i_l, h),
                wdown=w(h, d.i_l),
            ))
        self.norm = torch.ones(h, device=device, dtype=dtype)
        self.lm_head = w(d.v_l, h)
        inv = 1.0 / (d.theta ** (torch.arange(0, hd, 2, device=device, dtype=torch.float32) / hd))
        self.inv_freq = inv
        self.rope_cache = None

    def rope_tables(self, max_pos):
        if self.rope_cache is None or self.rope_cache[0].shape[0] < max_pos:
            t = torch.arange(max_pos, device=self.inv_freq.device, dtype=torch.float32)
            f = torch.outer(t, self.inv_freq)
            emb = torch.cat((f, f), dim=-1)
            self.rope_cache = (emb.cos().to(torch.bfloat16), emb.sin().to(torch.bfloat16))
        return self.rope_cache

    @staticmethod
    def rotate_half(x):
        x1, x2 = x.chunk(2, dim=-1)
        return torch.cat((-x2, x1), dim=-1)

    def forward(self, tokens, pos0, kcache, vcache, prefill, group=None, collectives=True):
        d = self.d
        b, s = tokens.shape
        hd = d.head_dim
        cos, sin = self.rope_tables(pos0 + s)
        cos = cos[pos0:pos0 + s].view(1, 1, s, hd)
        sin = sin[pos0:pos0 + s].view(1, 1, s, hd)
        x = F.embedding(tokens, self.embed)
        for li, L in enumerate(self.layers):
            r = x
            x = F.rms_norm(x, (d.hidden,), L["ln1"], d.eps)
            qkv = F.linear(x, L["wqkv"])
            q, k, v = qkv.split([d.h_l * hd, d.kv_l * hd, d.kv_l * hd], dim=-1)
            q = q.view(b, s, d.h_l, hd).transpose(1, 2)
            k = k.view(b, s, d.kv_l, hd).transpose(1, 2)
            v = v.view(b, s, d.kv_l, hd).transpose(1, 2)
            q = q * cos + self.rotate_half(q) * sin
            k = k * cos + self.rotate_half(k) * sin
            kcache[li][:, :, pos0:pos0 + s] = k
            vcache[li][:, :, pos0:pos0 + s] = v
            kk = kcache[li][:, :, :pos0 + s]
            vv = vcache[li][:, :, :pos0 + s]
            o = F.scaled_dot_product_attention(q, kk, vv, is_causal=(prefill and s > 1), enable_gqa=True)
            o = o.transpose(1, 2).reshape(b, s, d.h_l * hd)
            x = F.linear(o, L["wo"])
            if d.tp > 1 and collectives:
                torch.distributed.all_reduce(x, group=group)
            x = r + x
            r = x
            x = F.rms_norm(x, (d.hidden,), L["ln2"], d.eps)
            gu = F.linear(x, L["wgu"])
            gate, up = gu.chunk(2, dim=-1)
            x = F.silu(gate) * up
            x = F.linear(x, L["wdown"])
            if d.tp > 1 and collectives:
                torch.distributed.all_reduce(x, group=group)
            x = r + x
        if prefill:
            x = x[:, -1:, :]
        x = F.rms_norm(x, (d.hidden,), self.norm, d.eps)
        logits = F.linear(x, self.lm_head)
        if d.tp > 1 and collectives:
            parts = [torch.empty_like(logits) for _ in range(d.tp)]
            torch.distributed.all_gather(parts, logits, group=group)
            logits = torch.cat(parts, dim=-1)
        return logits


def quantiles(ts):
    s = sorted(ts)

    def q(p):
        pos = p * (len(s) - 1)
        lo = int(math.floor(pos))
        hi = min(lo + 1, len(s) - 1)
        f = pos - lo
        return s[lo] * (1 - f) + s[hi] * f

    return q(0.5), q(0.1), q(0.9)


def sdpa_context(backend):
    from torch.nn.attention import SDPBackend, sdpa_kernel
    if backend == "flash":
        return sdpa_kernel([SDPBackend.FLASH_ATTENTION])
    return sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.CUDNN_ATTENTION,
                        SDPBackend.MATH])


def make_cache(model, d, batch, length, device):
    kc, vc = [], []
    for _ in range(d.layers):
        k = torch.empty(batch, d.kv_l, length, d.head_dim, device=device, dtype=torch.bfloat16)
        v = torch.empty_like(k)
        k.normal_(0, 1.0)
        v.normal_(0, 1.0)
        kc.append(k)
        vc.append(v)
    return kc, vc


def graph_timed(fn, args, window, min_runs, max_runs):
    """Captures fn() into a CUDA graph (after warm-up on a side stream) and times its replays with CUDA events.
    Returns (median, p10, p90, runs), or None after one profiler window of three replays."""
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            fn()
    torch.cuda.current_stream().wait_stream(s)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        out = fn()  # noqa: F841
    for _ in range(args.warmup + 2):
        graph.replay()
    torch.cuda.synchronize()
    if window:
        torch.cuda.profiler.start()
        for _ in range(3):
            graph.replay()
        torch.cuda.synchronize()
        torch.cuda.profiler.stop()
        return None
    a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    a.record()
    graph.replay()
    b.record()
    b.synchronize()
    est = a.elapsed_time(b) * 1e-3
    runs = int(max(min_runs, min(max_runs, args.budget_s / max(est, 1e-6))))
    ts = []
    for _ in range(runs):
        a.record()
        graph.replay()
        b.record()
        b.synchronize()
        ts.append(a.elapsed_time(b) * 1e-3)
    del graph
    return (*quantiles(ts), len(ts))


def run_case(model, d, case, device, args, group=None, window=False):
    """Returns (median, p10, p90, runs) in seconds."""
    phase, batch, prompt, context = case["phase"], case["batch"], case["prompt"], case["context"]
    gen = torch.Generator(device=device)
    gen.manual_seed(1)
    if phase == "prefill":
        tokens = torch.randint(0, d.vocab, (batch, prompt), device=device, generator=gen)
        kc, vc = make_cache(model, d, batch, prompt, device)

        def step():
            return model(tokens, 0, kc, vc, True, group)

        if args.prefill_graph:  # the whole forward replayed from one CUDA graph: no host cost per kernel
            with torch.no_grad():
                r = graph_timed(step, args, window, args.min_runs, args.max_runs_prefill)
            del kc, vc
            return r
        with torch.no_grad():
            for _ in range(args.warmup):
                step()
            torch.cuda.synchronize()
            if window:
                torch.cuda.profiler.start()
                step()
                torch.cuda.synchronize()
                torch.cuda.profiler.stop()
                return None
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            step()
            b.record()
            b.synchronize()
            est = a.elapsed_time(b) * 1e-3
            runs = int(max(args.min_runs, min(args.max_runs_prefill, args.budget_s / max(est, 1e-6))))
            ts = []
            for _ in range(runs):
                a.record()
                step()
                b.record()
                b.synchronize()
                ts.append(a.elapsed_time(b) * 1e-3)
        del kc, vc
        return (*quantiles(ts), len(ts))
    # decode: `context` tokens cached, one new token per sequence, graph-captured
    tokens = torch.randint(0, d.vocab, (batch, 1), device=device, generator=gen)
    kc, vc = make_cache(model, d, batch, context + 1, device)
    with torch.no_grad():
        r = graph_timed(lambda: model(tokens, context, kc, vc, False, group), args, window, args.min_runs * 4,
                        args.max_runs_decode)
    del kc, vc
    return r


def parse_cases(spec):
    """'prefill:1x128,4x2048;decode:1x128,64x2048' -> list of dicts (decode BxC = batch x context)."""
    cases = []
    for part in spec.split(";"):
        part = part.strip()
        if not part:
            continue
        phase, items = part.split(":")
        for it in items.split(","):
            bsz, n = it.lower().split("x")
            if phase == "prefill":
                cases.append(dict(phase="prefill", batch=int(bsz), prompt=int(n), context=0))
            else:
                cases.append(dict(phase="decode", batch=int(bsz), prompt=0, context=int(n)))
    return cases


def card_id(name):
    n = name.lower()
    if "h100" in n:
        return "h100-sxm5-80gb"
    if "h200" in n:
        return "h200-sxm-141gb"
    return n.replace(" ", "-")


def torch_profiler_trace(model, d, case, device, args, group, path):
    """Fallback trace through torch.profiler (Kineto/CUPTI): kernels with grid/block from the Chrome trace."""
    from torch.profiler import ProfilerActivity, profile
    import tempfile
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        run_case(model, d, case, device, args, group, window=True)
    tmp = tempfile.mktemp(suffix=".json")
    prof.export_chrome_trace(tmp)
    with open(tmp) as f:
        events = json.load(f).get("traceEvents", [])
    os.unlink(tmp)
    ks = [e for e in events if e.get("cat") == "kernel"]
    ks.sort(key=lambda e: e["ts"])
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(TRACE_HEADER)
        for i, e in enumerate(ks):
            a = e.get("args", {})
            grid = (a.get("grid") or [0, 0, 0]) + [0, 0, 0]
            block = (a.get("block") or [0, 0, 0]) + [0, 0, 0]
            start = int(round(float(e["ts"]) * 1000))
            dur = int(round(float(e.get("dur", 0)) * 1000))
            # class left empty: rooflab's reader classifies by name (profilers/gpu/trace/kernel_class.cpp)
            w.writerow([i, e["name"], "", grid[0], grid[1], grid[2], block[0], block[1], block[2],
                        a.get("registers per thread", 0), a.get("shared memory", 0), start, start + dur, dur])
    return len(ks)


HOST_HEADER = ["what", "tp", "layers", "kernels", "collectives", "median_s", "p10_s", "p90_s", "runs",
               "per_kernel_s", "card", "date"]


def host_floor(args, device, group, world, rank, card):
    """Host-side cost of the harness's own eager forward: the same Python code as the e2e prefill, with tiny
    tensors (hidden 256, 16 tokens), so that the GPU finishes each kernel long before the host issues the next.
    Timed like the e2e prefill (CUDA events around one forward, median of many); the kernel and collective counts
    come from torch.profiler. With tp > 1 the forward runs with and without its all-reduces, so that the cost of
    a collective call (including waiting for the slowest rank) can be separated from that of an ordinary kernel."""
    from torch.profiler import ProfilerActivity, profile
    cfg = dict(hidden_size=256, intermediate_size=512 * world, num_hidden_layers=args.layers or 8,
               num_attention_heads=4 * world, num_key_value_heads=world, head_dim=64, vocab_size=1024 * world)
    d = Dims(cfg, world)
    model = Llama(d, device)
    gen = torch.Generator(device=device)
    gen.manual_seed(1)
    tokens = torch.randint(0, d.vocab, (1, 16), device=device, generator=gen)
    kc, vc = make_cache(model, d, 1, 16, device)
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = []
    variants = [("forward", True)] + ([("forward_no_collectives", False)] if world > 1 else [])
    with torch.no_grad(), sdpa_context(args.sdpa):
        for what, coll in variants:
            def step():
                return model(tokens, 0, kc, vc, True, group, coll)

            def timed():
                a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                ts = []
                for _ in range(args.host_floor_runs):
                    if world > 1:
                        torch.distributed.barrier(group=group, device_ids=[device.index])
                        torch.cuda.synchronize()
                    a.record()
                    step()
                    b.record()
                    b.synchronize()
                    ts.append(a.elapsed_time(b) * 1e-3)
                return ts
            for _ in range(20):
                step()
            torch.cuda.synchronize()
            # Timed before torch.profiler runs: a profiler session can leave callbacks behind that slow every
            # later launch; the run after it is kept as a separate row (<what>_after_profiler) to show that cost.
            before = timed()
            try:
                with profile(activities=[ProfilerActivity.CUDA]) as prof:
                    step()
                    torch.cuda.synchronize()
                names = [e.name for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA]
            except Exception as ex:  # noqa: BLE001 - the timing is still useful; counts are then left empty
                print(f"[host] kernel count failed: {type(ex).__name__}: {str(ex)[:160]}", flush=True)
                names = []
            kernels = len(names)
            ncoll = sum(1 for n in names if "nccl" in n.lower())
            after = timed()
            for label, ts in ((what, before), (what + "_after_profiler", after)):
                med, p10, p90 = quantiles(ts)
                rows.append([label, world, d.layers, kernels, ncoll, f"{med:.6e}", f"{p10:.6e}", f"{p90:.6e}",
                             len(ts), f"{med / max(kernels, 1):.6e}", card_id(card), date])
                if rank == 0:
                    print(f"[host] {label} tp={world}: {med * 1e3:.3f} ms per forward, {kernels} kernels "
                          f"({ncoll} collectives), {med / max(kernels, 1) * 1e6:.2f} us per kernel", flush=True)
    if rank == 0:
        new = not os.path.exists(args.host_floor)
        with open(args.host_floor, "a", newline="") as f:
            w = csv.writer(f)
            if new:
                w.writerow(HOST_HEADER)
            w.writerows(rows)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", help="preset id (resources/models) or YAML path")
    p.add_argument("--model-id", help="id written in e2e.csv (default: --model)")
    p.add_argument("--layers", type=int, help="override num_hidden_layers (a slice of the model)")
    p.add_argument("--cases", help="e.g. 'prefill:1x128,4x2048;decode:1x128,64x2048'")
    p.add_argument("--host-floor", metavar="CSV",
                   help="measure the host cost per kernel of this harness's eager forward (tiny tensors) into CSV")
    p.add_argument("--host-floor-runs", type=int, default=200)
    p.add_argument("--out", default="e2e.csv", help="CSV to append to (header written when new)")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--min-runs", type=int, default=5)
    p.add_argument("--max-runs-prefill", type=int, default=20)
    p.add_argument("--max-runs-decode", type=int, default=100)
    p.add_argument("--budget-s", type=float, default=1.0, help="timed seconds per case (approx.)")
    p.add_argument("--sdpa", choices=["flash", "any"], default="flash")
    p.add_argument("--prefill-graph", action="store_true",
                   help="replay each prefill from a CUDA graph (stack pytorch-graph, id suffix -graph) instead of "
                        "launching it eagerly")
    p.add_argument("--window", action="store_true",
                   help="run the first case once inside cudaProfilerStart/Stop (for the CUPTI injection library)")
    p.add_argument("--torch-trace", help="write a trace CSV of the first case with torch.profiler")
    p.add_argument("--mem-fraction", type=float, default=0.9)
    args = p.parse_args()

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    torch.cuda.set_device(local)
    device = torch.device("cuda", local)
    group = None
    if world > 1:
        torch.distributed.init_process_group("nccl", device_id=device)
        group = torch.distributed.group.WORLD
    if args.host_floor:
        host_floor(args, device, group, world, rank, torch.cuda.get_device_name(device))
        if world > 1:
            torch.distributed.destroy_process_group()
        return
    if not args.model or not args.cases:
        p.error("--model and --cases are required (or --host-floor)")
    cfg = load_config(args.model)
    if args.layers:
        cfg = dict(cfg)
        cfg["num_hidden_layers"] = args.layers
    d = Dims(cfg, world)
    t0 = time.time()
    model = Llama(d, device)
    torch.cuda.synchronize()
    card = torch.cuda.get_device_name(device)
    if rank == 0:
        print(f"[e2e] {args.model} layers={d.layers} tp={world} on {card}: weights {d.weight_bytes_per_gpu() / 2**30:.1f} "
              f"GiB/GPU, built in {time.time() - t0:.1f} s", flush=True)
    cases = parse_cases(args.cases)
    free, total = torch.cuda.mem_get_info(device)
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    model_id = args.model_id or args.model

    if args.window or args.torch_trace:
        case = cases[0]
        with sdpa_context(args.sdpa):
            if args.torch_trace:
                n = torch_profiler_trace(model, d, case, device, args, group, args.torch_trace)
                print(f"[e2e] torch.profiler trace: {n} kernels -> {args.torch_trace}", flush=True)
            else:
                run_case(model, d, case, device, args, group, window=True)
                print("[e2e] profiler window done", flush=True)
        return

    new = not os.path.exists(args.out) or os.path.getsize(args.out) == 0
    f = open(args.out, "a", newline="") if rank == 0 else None
    w = csv.writer(f) if f else None
    if w and new:
        w.writerow(E2E_HEADER)
        f.flush()  # a run killed before its first row must still leave the header
    short = os.path.basename(model_id)
    for ext in (".yaml", ".yml", ".json"):
        if short.endswith(ext):
            short = short[: -len(ext)]
    for case in cases:
        tokens = case["batch"] * (case["prompt"] + case["context"] + 1)
        kv = tokens * d.kv_bytes_per_token()
        act = case["batch"] * max(case["prompt"], 1) * (2 * d.i_l + 4 * d.hidden) * 2 * 2
        free, _ = torch.cuda.mem_get_info(device)
        cid = f"{short}-{case['phase']}-b{case['batch']}-p{case['prompt']}-c{case['context']}-tp{world}"
        graph_prefill = args.prefill_graph and case["phase"] == "prefill"
        stack = "pytorch-graph" if graph_prefill else "pytorch-eager"
        if graph_prefill:
            cid += "-graph"
        if kv + act > free * args.mem_fraction:
            if rank == 0:
                print(f"[e2e] {cid}: skipped, needs {(kv + act) / 2**30:.1f} GiB, {free / 2**30:.1f} free", flush=True)
            continue
        t1 = time.time()
        try:
            with sdpa_context(args.sdpa):
                med, p10, p90, runs = run_case(model, d, case, device, args, group)
        except Exception as e:  # noqa: BLE001 - report and go on with the next case
            if rank == 0:
                print(f"[e2e] {cid}: FAILED {type(e).__name__}: {e}", flush=True)
            torch.cuda.empty_cache()
            continue
        torch.cuda.empty_cache()
        if rank == 0:
            w.writerow([cid, model_id, case["phase"], case["batch"], case["prompt"], case["context"], world,
                        "bf16", "bf16", "bf16", stack, f"{med:.6e}", f"{p10:.6e}", f"{p90:.6e}", runs,
                        card_id(card), date])
            f.flush()
            print(f"[e2e] {cid}: {med * 1e3:.3f} ms (p10 {p10 * 1e3:.3f}, p90 {p90 * 1e3:.3f}, {runs} runs, "
                  f"{time.time() - t1:.1f} s)", flush=True)
    if f:
        f.close()
    if world > 1:
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main()
