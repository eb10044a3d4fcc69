#!/usr/bin/env python3
"""LLM inference on the CPU: PyTorch eager forward and Hugging Face `generate`, plus single-op microbenchmarks.

Models are built from rooflab's presets (resources/models/*.yaml hold the keys of the Hugging Face config.json) with
random weights: `AutoModelForCausalLM.from_config`, nothing downloaded. Timed on the CPU only (CUDA hidden).

Sections (each writes its own CSV under --out, flushed row by row, so a run stopped at its time limit keeps its rows):
  facts   host facts: lscpu, /proc/meminfo, torch config, versions, date          -> host.txt
  ops     single-op microbenchmarks for calibration: GEMM/GEMV (torch.nn.functional.linear, weights rotated over
          >= 1 GiB of copies so GEMV streams them from DRAM), element-wise, HF RMSNorm, SiLU-multiply, RoPE, softmax,
          SDPA, and the framework floor (tiny tensors; a tiny model's forward and generate)  -> ops.csv
  e2e     eager forward (stack pytorch-cpu): prefill of N tokens (logits of the last token), decode one token at
          context C with a KV cache (DynamicCache filled with random K/V, cropped back after each step);
          generate (stack hf-transformers-cpu): greedy generate of D new tokens after a prompt, the per-token decode
          time is (t(1 + D new) - t(1 new)) / D                                     -> e2e.csv
  profile one model's decode and prefill steps under torch.profiler at 16 and 4 threads: each top-level ATen op's
          CPU time per step, and the time between them (Python, transformers)      -> profile.csv
Every point: one warm-up, then --repeats timed runs; median, min, max and spread ((max - min) / median) recorded.
"""
import argparse
import csv
import datetime
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

try:
    import yaml  # noqa: E402
except ImportError:  # pragma: no cover
    yaml = None

T0 = time.monotonic()
DTYPES = {"bf16": torch.bfloat16, "fp32": torch.float32}


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def log(*a):
    print(f"[{time.monotonic() - T0:7.1f}s]", *a, flush=True)


class Budget:
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def left(self):
        return self.end - time.monotonic()


class Writer:
    def __init__(self, path, fields):
        self.fields = fields
        self.f = open(path, "w", newline="")
        self.w = csv.DictWriter(self.f, fieldnames=fields, extrasaction="ignore")
        self.w.writeheader()
        self.f.flush()

    def row(self, **kw):
        self.w.writerow(kw)
        self.f.flush()


def stats(ts):
    med = statistics.median(ts)
    return dict(median_s=f"{med:.6e}", min_s=f"{min(ts):.6e}", max_s=f"{max(ts):.6e}",
                spread_pct=f"{100.0 * (max(ts) - min(ts)) / med:.2f}" if med > 0 else "0",
                repeats=len(ts), runs_s=";".join(f"{t:.6e}" for t in ts))


def time_runs(fn, repeats, warmup=1, target_s=0.0):
    """Times fn: warm-up, then `repeats` timings. With target_s > 0 each timing is the mean of an inner loop long
    enough to take about target_s (for microsecond ops)."""
    for _ in range(warmup):
        fn()
    inner = 1
    if target_s > 0:
        t = time.perf_counter()
        fn()
        one = max(time.perf_counter() - t, 1e-7)
        inner = int(min(100000, max(1, target_s / one)))
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(inner):
            fn()
        ts.append((time.perf_counter() - t) / inner)
    return ts, inner


# ---------------------------------------------------------------- facts

def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30).stdout
    except Exception as e:  # noqa: BLE001
        return f"({cmd}: {e})\n"


def facts(out):
    import transformers
    with open(os.path.join(out, "host.txt"), "w") as f:
        f.write(f"date: {now_utc()}\n")
        f.write(f"python: {sys.version.split()[0]}  torch: {torch.__version__}  transformers: {transformers.__version__}\n")
        f.write(f"platform: {platform.platform()}\n")
        f.write(f"torch.get_num_threads(): {torch.get_num_threads()}  os.cpu_count(): {os.cpu_count()}\n")
        f.write(f"mkldnn: {torch.backends.mkldnn.is_available()}  cpu capability: "
                f"{getattr(torch.backends.cpu, 'get_cpu_capability', lambda: '?')()}\n")
        for k in ("OMP_NUM_THREADS", "KMP_AFFINITY", "OMP_PROC_BIND", "CUDA_VISIBLE_DEVICES"):
            f.write(f"env {k}={os.environ.get(k)}\n")
        f.write("\n== lscpu\n" + sh("lscpu"))
        f.write("\n== meminfo\n" + sh("head -5 /proc/meminfo"))
        f.write("\n== uptime/load\n" + sh("uptime; cat /proc/loadavg"))
        f.write("\n== torch config\n" + torch.__config__.show())
        f.write("\n== torch parallel info\n" + torch.__config__.parallel_info())
        f.write("\n== nvidia-smi -L\n" + sh("nvidia-smi -L"))


# ---------------------------------------------------------------- models

def load_preset(root, name):
    path = os.path.join(root, "resources", "models", name + ".yaml")
    with open(path) as f:
        cfg = yaml.safe_load(f)
    for k in ("name", "source", "architectures", "torch_dtype"):
        cfg.pop(k, None)
    return cfg


def hf_config(cfg):
    import transformers
    cfg = dict(cfg)
    mt = cfg.pop("model_type")
    return transformers.AutoConfig.for_model(mt, **cfg)


_buf_cache = {}


def fill_random(p):
    """Fills a tensor with uniform(-0.02, 0.02) values by tiling one random buffer (fast, multithreaded copy)."""
    key = p.dtype
    if key not in _buf_cache:
        g = torch.Generator().manual_seed(0)
        _buf_cache[key] = (torch.rand(1 << 22, generator=g) * 0.04 - 0.02).to(p.dtype)
    buf = _buf_cache[key]
    flat = p.data.view(-1)
    n = flat.numel()
    step = buf.numel()
    for i in range(0, n, step):
        j = min(n, i + step)
        flat[i:j].copy_(buf[: j - i])


def build_model(cfg, dtype):
    """Random-weight model: the constructors' normal_/uniform_ initialisation is skipped (it is single-threaded and
    takes minutes at 8B) and every weight matrix is filled by tiling a random buffer; norms keep their ones."""
    import transformers
    config = hf_config(cfg)
    saved = {n: torch.Tensor.__dict__.get(n) for n in ("normal_", "uniform_")}
    torch.Tensor.normal_ = lambda self, *a, **k: self  # noqa: E731
    torch.Tensor.uniform_ = lambda self, *a, **k: self  # noqa: E731
    try:
        try:
            model = transformers.AutoModelForCausalLM.from_config(config, dtype=dtype, attn_implementation="sdpa")
        except TypeError:
            model = transformers.AutoModelForCausalLM.from_config(config, torch_dtype=dtype,
                                                                  attn_implementation="sdpa")
    finally:
        for n, v in saved.items():
            if v is None:
                delattr(torch.Tensor, n)
            else:
                setattr(torch.Tensor, n, v)
    model = model.to(dtype).eval()
    with torch.no_grad():
        seen = set()
        for p in model.parameters():
            if p.dim() >= 2 and id(p) not in seen:
                seen.add(id(p))
                fill_random(p)
    return model, config


def make_cache(model, config, batch, context, dtype):
    from transformers import DynamicCache
    try:
        cache = DynamicCache(config=config)
    except TypeError:
        cache = DynamicCache()
    hd = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    kvh = config.num_key_value_heads
    for layer in range(config.num_hidden_layers):
        k = torch.empty(batch, kvh, context, hd, dtype=dtype)
        v = torch.empty(batch, kvh, context, hd, dtype=dtype)
        fill_random(k)
        fill_random(v)
        cache.update(k, v, layer)
    return cache


def cache_len(cache):
    return cache.get_seq_length()


def forward_prefill(model, ids):
    try:
        return model(input_ids=ids, use_cache=True, logits_to_keep=1)
    except TypeError:
        return model(input_ids=ids, use_cache=True, num_logits_to_keep=1)


def decode_step_fn(model, config, batch, context, dtype):
    cache = make_cache(model, config, batch, context, dtype)
    if cache_len(cache) != context:
        raise RuntimeError(f"cache length {cache_len(cache)} != {context}")
    ids = torch.randint(0, config.vocab_size, (batch, 1), generator=torch.Generator().manual_seed(2))
    pos = torch.full((batch, 1), context, dtype=torch.long)
    cpos = torch.tensor([context], dtype=torch.long)

    def crop():
        try:
            cache.crop(context)
        except Exception:  # noqa: BLE001  (older/newer Cache APIs)
            for layer in cache.layers:
                layer.keys = layer.keys[..., :context, :]
                layer.values = layer.values[..., :context, :]

    def step():
        model(input_ids=ids, past_key_values=cache, position_ids=pos, cache_position=cpos, use_cache=True)
        crop()

    return step


# ---------------------------------------------------------------- e2e

E2E_FIELDS = ["stack", "model", "phase", "batch", "prompt", "context", "new_tokens", "threads", "weights", "kv", "act",
              "median_s", "min_s", "max_s", "spread_pct", "repeats", "runs_s", "card", "date", "note"]


def e2e_plan(quick):
    """(model, dtype, [threads], kind, params) in priority order. kind: prefill (batch, prompt),
    decode (batch, context), generate (batch, prompt, new)."""
    small_pre = [(1, 32), (1, 128), (1, 512), (1, 2048), (4, 512)]
    small_dec = [(1, 256), (1, 1024), (1, 4096), (4, 1024), (16, 256), (16, 1024)]
    plan = []
    for model in ("llama-3.2-1b", "qwen2.5-0.5b"):
        for thr in ((16, 4), (8, 1)):
            plan.append((model, "bf16", thr, "decode", small_dec if thr[0] == 16 else small_dec[:2] + [(4, 1024)]))
            plan.append((model, "bf16", thr, "prefill", small_pre if thr[0] == 16 else small_pre[:3]))
            if thr[0] == 16:
                plan.append((model, "bf16", thr, "generate", [(1, 128, 16), (4, 128, 16)]))
    for model in ("llama-3.2-1b", "qwen2.5-0.5b"):
        plan.append((model, "fp32", (16, 4), "decode", [(1, 256), (1, 1024), (4, 1024), (16, 256)]))
        plan.append((model, "fp32", (16, 4), "prefill", [(1, 32), (1, 128), (1, 512)]))
        plan.append((model, "fp32", (16, 4), "generate", [(1, 128, 16)]))
    plan.append(("llama-3.2-3b", "bf16", (16, 4), "decode", [(1, 1024), (4, 1024), (16, 256)]))
    plan.append(("llama-3.2-3b", "bf16", (16, 4), "prefill", [(1, 128), (1, 512)]))
    plan.append(("llama-3.2-3b", "bf16", (16,), "generate", [(1, 128, 16)]))
    plan.append(("llama-3.1-8b", "bf16", (16, 4), "decode", [(1, 1024), (8, 1024)]))
    plan.append(("llama-3.1-8b", "bf16", (16, 4), "prefill", [(1, 128), (1, 512)]))
    if quick:
        plan = [(m, d, thr[:1], k, pts[:1]) for (m, d, thr, k, pts) in plan[:3]]
    return plan


def run_e2e(args, out, budget, card):
    w = Writer(os.path.join(out, "e2e.csv"), E2E_FIELDS)
    plan = e2e_plan(args.quick)
    if args.models:
        keep = set(args.models.split(","))
        plan = [p for p in plan if p[0] in keep]
    loaded = (None, None)
    model = config = None
    for (mname, dname, threads, kind, points) in plan:
        if budget.left() < 20:
            log("e2e: budget spent, stopping before", mname, dname, kind)
            break
        dtype = DTYPES[dname]
        if loaded != (mname, dname):
            model = config = None
            import gc
            gc.collect()
            t = time.perf_counter()
            try:
                cfg = load_preset(args.root, mname)
                torch.set_num_threads(16 if os.cpu_count() >= 16 else os.cpu_count())
                model, config = build_model(cfg, dtype)
            except Exception:  # noqa: BLE001
                log("build failed", mname, dname)
                traceback.print_exc()
                loaded = (None, None)
                continue
            loaded = (mname, dname)
            log(f"built {mname} {dname} in {time.perf_counter() - t:.1f}s")
        for thr in threads:
            torch.set_num_threads(thr)
            for pt in points:
                if budget.left() < 15:
                    break
                key = (mname, dname, kind, thr, pt)
                try:
                    with torch.inference_mode():
                        row = dict(stack="pytorch-cpu", model=mname, threads=thr, weights=dname, kv=dname, act=dname,
                                   card=card, date=now_utc(), note="")
                        if kind == "prefill":
                            b, n = pt
                            ids = torch.randint(0, config.vocab_size, (b, n),
                                                generator=torch.Generator().manual_seed(3))
                            fn = lambda: forward_prefill(model, ids)  # noqa: E731
                            row.update(phase="prefill", batch=b, prompt=n, context=0, new_tokens=0,
                                       note="model(input_ids, use_cache=True, logits_to_keep=1)")
                        elif kind == "decode":
                            b, c = pt
                            fn = decode_step_fn(model, config, b, c, dtype)
                            row.update(phase="decode", batch=b, prompt=0, context=c, new_tokens=1,
                                       note="one token, DynamicCache of random K/V at context C, crop(C) after")
                        else:
                            b, p, d = pt
                            ids = torch.randint(0, config.vocab_size, (b, p),
                                                generator=torch.Generator().manual_seed(4))
                            mask = torch.ones_like(ids)

                            def gen(n, ids=ids, mask=mask):
                                model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=n,
                                               min_new_tokens=n, do_sample=False, pad_token_id=0)

                            t1, _ = time_runs(lambda: gen(1), args.repeats)
                            td, _ = time_runs(lambda: gen(1 + d), args.repeats)
                            base = {k2: v2 for k2, v2 in row.items() if k2 != "note"}
                            base.update(stack="hf-transformers-cpu", batch=b, prompt=p)
                            w.row(**base, phase="generate-prefill", context=0, new_tokens=1, **stats(t1),
                                  note="generate(max_new_tokens=1, greedy): prefill + first token")
                            per = [(x - statistics.median(t1)) / d for x in td]
                            w.row(**base, phase="decode", context=p + d // 2, new_tokens=d, **stats(per),
                                  note=f"(generate({1 + d} new) - median generate(1 new)) / {d}; "
                                       f"context = prompt + {d}/2 (mean)")
                            w.row(**base, phase="generate-total", context=0, new_tokens=1 + d, **stats(td),
                                  note=f"generate(max_new_tokens={1 + d}, greedy)")
                            log(f"gen {mname} {dname} t{thr} b{b} p{p}: 1 {statistics.median(t1) * 1e3:.1f} ms,"
                                f" per-token {statistics.median(per) * 1e3:.2f} ms")
                            continue
                        # skip points that would take too long (estimated from the first timing)
                        t = time.perf_counter()
                        fn()
                        one = time.perf_counter() - t
                        if one * (args.repeats + 1) > min(args.max_point_s, budget.left() - 10):
                            log(f"skip {key}: one run {one:.2f}s")
                            continue
                        ts, _ = time_runs(fn, args.repeats, warmup=0)
                        w.row(**row, **stats(ts))
                        log(f"{kind} {mname} {dname} t{thr} {pt}: {statistics.median(ts) * 1e3:.2f} ms "
                            f"(spread {stats(ts)['spread_pct']}%)")
                except Exception:  # noqa: BLE001
                    log("point failed", key)
                    traceback.print_exc()
    model = None


# ---------------------------------------------------------------- profile

PROFILE_FIELDS = ["model", "dtype", "phase", "batch", "prompt", "context", "threads", "op", "calls", "total_s",
                  "wall_s", "profiled_wall_s", "note", "date"]


def run_profile(args, out, budget):
    """Where a real model's step goes: one model, decode and prefill points at 16 and 4 threads. Per point the
    unprofiled wall time (median of `repeats`), then 3 steps under torch.profiler: every top-level ATen op's total
    CPU time (children included) summed by name, per step. What the top-level ops do not cover is Python and
    transformers' own code between them (row op=_between_ops)."""
    from torch.profiler import profile, ProfilerActivity
    w = Writer(os.path.join(out, "profile.csv"), PROFILE_FIELDS)
    date = now_utc()
    models = (args.models or "llama-3.2-1b").split(",")
    points = [("decode", 1, 1024), ("decode", 4, 1024), ("decode", 16, 256), ("prefill", 1, 128), ("prefill", 1, 512)]
    for mname in models:
        if budget.left() < 30:
            break
        cfg = load_preset(args.root, mname)
        torch.set_num_threads(16 if os.cpu_count() >= 16 else os.cpu_count())
        model, config = build_model(cfg, torch.bfloat16)
        for thr in (16, 4):
            torch.set_num_threads(thr)
            for (phase, b, n) in points:
                if budget.left() < 15:
                    break
                with torch.inference_mode():
                    if phase == "decode":
                        fn = decode_step_fn(model, config, b, n, torch.bfloat16)
                    else:
                        ids = torch.randint(0, config.vocab_size, (b, n), generator=torch.Generator().manual_seed(3))
                        fn = lambda ids=ids: forward_prefill(model, ids)  # noqa: E731
                    ts, _ = time_runs(fn, args.repeats, warmup=2)
                    steps = 3
                    with profile(activities=[ProfilerActivity.CPU]) as prof:
                        t = time.perf_counter()
                        for _ in range(steps):
                            fn()
                        pw = (time.perf_counter() - t) / steps
                tot, calls = {}, {}
                for e in prof.events():
                    if e.cpu_parent is None and e.name.startswith("aten::"):
                        tot[e.name] = tot.get(e.name, 0.0) + e.cpu_time_total * 1e-6 / steps
                        calls[e.name] = calls.get(e.name, 0) + 1
                base = dict(model=mname, dtype="bf16", phase=phase, batch=b, prompt=n if phase == "prefill" else 0,
                            context=n if phase == "decode" else 0, threads=thr, wall_s=f"{statistics.median(ts):.6e}",
                            profiled_wall_s=f"{pw:.6e}", date=date)
                for name in sorted(tot, key=lambda k: -tot[k]):
                    w.row(**base, op=name, calls=calls[name] // steps, total_s=f"{tot[name]:.6e}")
                w.row(**base, op="_between_ops", calls=0, total_s=f"{max(0.0, pw - sum(tot.values())):.6e}",
                      note="profiled wall time less the top-level ATen ops")
                log(f"profile {mname} {phase} b{b} n{n} t{thr}: wall {statistics.median(ts) * 1e3:.2f} ms, "
                    f"profiled {pw * 1e3:.2f} ms, ops {sum(tot.values()) * 1e3:.2f} ms")
        model = None


# ---------------------------------------------------------------- ops

OPS_FIELDS = ["op", "dtype", "threads", "m", "n", "k", "elements", "bytes", "flops", "median_s", "min_s", "max_s",
              "spread_pct", "repeats", "inner", "runs_s", "note", "date"]

GEMM_SHAPES = [  # (N, K): Llama-3.2-1B q/o, k/v, gate/up, down, lm_head; Qwen2.5-0.5B q/o, gate/up; Llama-3.1-8B gate
    # and down; then Qwen2.5-0.5B's k/v, down and (tied) LM head
    (2048, 2048), (512, 2048), (8192, 2048), (2048, 8192), (128256, 2048),
    (896, 896), (4864, 896), (14336, 4096), (4096, 14336),
    (128, 896), (896, 4864), (151936, 896)]
# Qwen2's q/k/v projections carry a bias: F.linear(x, W, b) is ATen's addmm, not mm (another kernel path); measured
# with and without the bias at the same shapes (and one Llama shape for contrast)
BIAS_SHAPES = [(896, 896), (128, 896), (2048, 2048)]


def rotating_weights(n, k, dt):
    """Copies of a random [n, k] weight filling >= 1 GiB (at most 64), so that a GEMV rotating over them streams its
    weights from DRAM, as in a model's decode: (copies list, count, bytes of one)."""
    wbytes = n * k * dt.itemsize
    copies = int(max(1, min(64, math.ceil((1 << 30) / wbytes))))
    ws = [torch.empty(n, k, dtype=dt) for _ in range(copies)]
    for x in ws:
        fill_random(x)
    return ws, copies, wbytes


def time_rotating_linear(xa, ws, bias, rep):
    """F.linear(xa, W, bias) timed with W rotating over the copies ws (time_runs: warm-up, repeats of ~30 ms)."""
    idx = [0]

    def f():
        idx[0] = (idx[0] + 1) % len(ws)
        return F.linear(xa, ws[idx[0]], bias)

    with torch.inference_mode():
        return time_runs(f, rep, warmup=2, target_s=0.03)


def hf_rmsnorm(x, weight, eps=1e-5):
    dt = x.dtype
    h = x.to(torch.float32)
    var = h.pow(2).mean(-1, keepdim=True)
    h = h * torch.rsqrt(var + eps)
    return weight * h.to(dt)


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def hf_rope(q, k, cos, sin):
    cos = cos.unsqueeze(1)
    sin = sin.unsqueeze(1)
    return (q * cos) + (rotate_half(q) * sin), (k * cos) + (rotate_half(k) * sin)


def run_ops(args, out, budget):
    w = Writer(os.path.join(out, "ops.csv"), OPS_FIELDS)
    thr_list = [int(t) for t in args.op_threads.split(",")]
    rep = args.repeats
    date = now_utc()

    def emit(op, dt, thr, ts, inner, m=0, n=0, k=0, elements=0, nbytes=0, flops=0, note=""):
        w.row(op=op, dtype=dt, threads=thr, m=m, n=n, k=k, elements=elements, bytes=nbytes, flops=flops,
              inner=inner, note=note, date=date, **stats(ts))

    # framework floor first: it is what small models pay per op
    for thr in thr_list:
        torch.set_num_threads(thr)
        with torch.inference_mode():
            x = torch.ones(8)
            ts, inner = time_runs(lambda: torch.add(x, x), rep, target_s=0.05)
            emit("tiny_add", "fp32", thr, ts, inner, elements=8, note="torch.add on 8 elements: dispatch floor")
            a = torch.ones(1, 8, dtype=torch.bfloat16)
            wt = torch.ones(8, 8, dtype=torch.bfloat16)
            ts, inner = time_runs(lambda: F.linear(a, wt), rep, target_s=0.05)
            emit("tiny_linear", "bf16", thr, ts, inner, m=1, n=8, k=8, note="F.linear 1x8x8 bf16")
            lin = torch.nn.Linear(8, 8, bias=False).to(torch.bfloat16)
            ts, inner = time_runs(lambda: lin(a), rep, target_s=0.05)
            emit("tiny_module_linear", "bf16", thr, ts, inner, m=1, n=8, k=8, note="nn.Linear module call")
    log("ops: tiny done")

    # tiny models: the host floor of the whole forward / generate
    try:
        tiny = dict(model_type="llama", hidden_size=64, intermediate_size=128, num_attention_heads=4,
                    num_key_value_heads=2, head_dim=16, vocab_size=256, rms_norm_eps=1e-5, rope_theta=10000.0,
                    max_position_embeddings=4096, tie_word_embeddings=True)
        for layers in (2, 16):
            cfg = dict(tiny, num_hidden_layers=layers)
            model, config = build_model(cfg, torch.bfloat16)
            for thr in thr_list:
                torch.set_num_threads(thr)
                with torch.inference_mode():
                    ids = torch.randint(0, 256, (1, 16))
                    ts, inner = time_runs(lambda: forward_prefill(model, ids), rep, target_s=0.2)
                    emit("tiny_model_prefill", "bf16", thr, ts, inner, m=16, k=layers,
                         note=f"tiny llama forward, {layers} layers, 16 tokens (k = layers)")
                    step = decode_step_fn(model, config, 1, 16, torch.bfloat16)
                    ts, inner = time_runs(step, rep, target_s=0.2)
                    emit("tiny_model_decode", "bf16", thr, ts, inner, m=1, k=layers,
                         note=f"tiny llama decode step at context 16, {layers} layers (k = layers)")
                    mask = torch.ones_like(ids)
                    g1 = lambda: model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=1,  # noqa: E731
                                                min_new_tokens=1, do_sample=False, pad_token_id=0)
                    g17 = lambda: model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=17,  # noqa: E731
                                                 min_new_tokens=17, do_sample=False, pad_token_id=0)
                    t1, _ = time_runs(g1, rep)
                    t17, _ = time_runs(g17, rep)
                    emit("tiny_model_generate1", "bf16", thr, t1, 1, m=16, k=layers,
                         note=f"tiny llama generate 1 new token after 16, {layers} layers")
                    per = [(x - statistics.median(t1)) / 16 for x in t17]
                    emit("tiny_model_generate_per_token", "bf16", thr, per, 1, m=1, k=layers,
                         note=f"tiny llama (generate 17 - generate 1)/16, {layers} layers")
            # count aten ops of one decode step (what a per-op overhead multiplies)
            try:
                from torch.profiler import profile, ProfilerActivity
                step = decode_step_fn(model, config, 1, 16, torch.bfloat16)
                with torch.inference_mode(), profile(activities=[ProfilerActivity.CPU]) as prof:
                    step()
                evs = [e for e in prof.events() if e.cpu_parent is None and e.name.startswith("aten::")]
                w.row(op="tiny_model_decode_top_aten_ops", dtype="bf16", threads=0, m=1, k=layers, elements=len(evs),
                      note="top-level aten ops in one decode step: " + " ".join(sorted({e.name for e in evs})),
                      date=date)
                prefill_ids = torch.randint(0, 256, (1, 16))
                with torch.inference_mode(), profile(activities=[ProfilerActivity.CPU]) as prof:
                    forward_prefill(model, prefill_ids)
                evs = [e for e in prof.events() if e.cpu_parent is None and e.name.startswith("aten::")]
                w.row(op="tiny_model_prefill_top_aten_ops", dtype="bf16", threads=0, m=16, k=layers,
                      elements=len(evs), note="top-level aten ops in one prefill forward", date=date)
            except Exception:  # noqa: BLE001
                traceback.print_exc()
            model = None
    except Exception:  # noqa: BLE001
        log("tiny model failed")
        traceback.print_exc()
    log("ops: tiny models done")

    # GEMM / GEMV: weights rotated over >= 1 GiB so GEMV streams them from DRAM, as in a model's decode
    ms = [1, 4, 8, 16, 32, 64, 128, 256, 1024]
    for dname in ("bf16", "fp32"):
        dt = DTYPES[dname]
        for (n, k) in GEMM_SHAPES:
            if budget.left() < args.ops_reserve_s:
                break
            ws, copies, wbytes = rotating_weights(n, k, dt)
            for thr in thr_list:
                torch.set_num_threads(thr)
                mlist = ms + ([2048] if dname == "bf16" else []) if thr in (16, 4) else [1, 16, 256]
                for m in mlist:
                    flops = 2 * m * n * k
                    if thr < 16 and m > 256 and flops > 2e10:
                        continue
                    xa = torch.rand(m, k).to(dt)
                    ts, inner = time_rotating_linear(xa, ws, None, rep)
                    emit("linear", dname, thr, ts, inner, m=m, n=n, k=k, flops=flops,
                         nbytes=wbytes + (m * k + m * n) * dt.itemsize,
                         note=f"F.linear(x[m,k], W[n,k]), W rotated over {copies} copies")
            ws = None
        log("ops: gemm", dname, "done")

    for dname in ("bf16", "fp32"):
        dt = DTYPES[dname]
        for (n, k) in BIAS_SHAPES:
            if budget.left() < args.ops_reserve_s:
                break
            ws, copies, wbytes = rotating_weights(n, k, dt)
            bias = torch.rand(n).to(dt)
            for thr in [t for t in thr_list if t in (16, 4)]:
                torch.set_num_threads(thr)
                for m in (1, 4, 16, 128, 512):
                    xa = torch.rand(m, k).to(dt)
                    for op, b in (("linear_nobias_pair", None), ("linear_bias", bias)):
                        ts, inner = time_rotating_linear(xa, ws, b, rep)
                        emit(op, dname, thr, ts, inner, m=m, n=n, k=k, flops=2 * m * n * k,
                             nbytes=wbytes + (m * k + m * n + (n if b is not None else 0)) * dt.itemsize,
                             note=("F.linear(x, W, b): addmm" if b is not None else
                                   "F.linear(x, W) timed beside linear_bias") + f", W rotated over {copies} copies")
            ws = None
        log("ops: linear bias", dname, "done")

    # element-wise / norm / rope / softmax / sdpa at Llama-3.2-1B shapes
    hidden, inter, heads, kvh, hd = 2048, 8192, 32, 8, 64
    for dname in ("bf16", "fp32"):
        dt = DTYPES[dname]
        for thr in thr_list:
            if budget.left() < 30:
                break
            torch.set_num_threads(thr)
            for t in (1, 16, 128, 512, 2048):
                with torch.inference_mode():
                    a = torch.rand(t, hidden).to(dt)
                    b = torch.rand(t, hidden).to(dt)
                    e = t * hidden
                    ts, inner = time_runs(lambda: a + b, rep, target_s=0.02)
                    emit("add", dname, thr, ts, inner, m=t, n=hidden, elements=e, nbytes=3 * e * dt.itemsize)
                    wn = torch.ones(hidden, dtype=dt)
                    ts, inner = time_runs(lambda: hf_rmsnorm(a, wn), rep, target_s=0.02)
                    emit("hf_rmsnorm", dname, thr, ts, inner, m=t, n=hidden, elements=e, nbytes=2 * e * dt.itemsize,
                         note="transformers LlamaRMSNorm: to fp32, pow, mean, add, rsqrt, mul, to, mul")
                    if hasattr(F, "rms_norm"):
                        ts, inner = time_runs(lambda: F.rms_norm(a, (hidden,), wn, 1e-5), rep, target_s=0.02)
                        emit("rms_norm", dname, thr, ts, inner, m=t, n=hidden, elements=e,
                             nbytes=2 * e * dt.itemsize, note="torch.nn.functional.rms_norm")
                    g = torch.rand(t, inter).to(dt)
                    u = torch.rand(t, inter).to(dt)
                    ts, inner = time_runs(lambda: F.silu(g) * u, rep, target_s=0.02)
                    emit("silu_mul", dname, thr, ts, inner, m=t, n=inter, elements=t * inter,
                         nbytes=3 * t * inter * dt.itemsize, note="act_fn(gate_proj(x)) * up_proj(x): 2 ops")
                    q = torch.rand(1, t, heads, hd).to(dt).transpose(1, 2)
                    kk = torch.rand(1, t, kvh, hd).to(dt).transpose(1, 2)
                    cos = torch.rand(1, t, hd).to(dt)
                    sin = torch.rand(1, t, hd).to(dt)
                    ts, inner = time_runs(lambda: hf_rope(q, kk, cos, sin), rep, target_s=0.02)
                    emit("hf_rope", dname, thr, ts, inner, m=t, n=(heads + kvh) * hd, elements=t * (heads + kvh) * hd,
                         nbytes=2 * t * (heads + kvh) * hd * dt.itemsize,
                         note="apply_rotary_pos_emb on transposed q/k views (rotate_half: slice, neg, cat)")
                    s = torch.rand(heads * t, 1024).to(dt)
                    ts, inner = time_runs(lambda: torch.softmax(s, -1), rep, target_s=0.02)
                    emit("softmax", dname, thr, ts, inner, m=heads * t, n=1024, elements=heads * t * 1024,
                         nbytes=2 * heads * t * 1024 * dt.itemsize)
        log("ops: elementwise", dname, "done")

    # attention through SDPA as transformers calls it (K/V expanded by repeat_kv, or enable_gqa)
    for dname in ("bf16", "fp32"):
        dt = DTYPES[dname]
        for thr in thr_list:
            if budget.left() < 30:
                break
            torch.set_num_threads(thr)
            cases = [("decode", b, 1, c) for b in (1, 4, 16) for c in (256, 1024, 4096)] + \
                    [("prefill", 1, n, n) for n in (32, 128, 512, 2048)]
            for (ph, b, sq, skv) in cases:
                if thr < 16 and ph == "prefill" and sq > 512:
                    continue
                with torch.inference_mode():
                    q = torch.rand(b, heads, sq, hd).to(dt)
                    k = torch.rand(b, kvh, skv, hd).to(dt)
                    v = torch.rand(b, kvh, skv, hd).to(dt)
                    kvb = 2 * b * kvh * skv * hd * dt.itemsize
                    fl = 4 * b * heads * sq * skv * hd * (0.5 if ph == "prefill" else 1.0)
                    try:
                        ts, inner = time_runs(lambda: F.scaled_dot_product_attention(
                            q, k, v, is_causal=(ph == "prefill"), enable_gqa=True), rep, target_s=0.02)
                        emit("sdpa_gqa_" + ph, dname, thr, ts, inner, m=b, n=sq, k=skv, nbytes=kvb, flops=fl,
                             note="SDPA enable_gqa (m = batch, n = query tokens, k = kv tokens), 32/8 heads, d 64")
                    except Exception:  # noqa: BLE001
                        traceback.print_exc()

                    def rep_kv():
                        ke = k[:, :, None].expand(b, kvh, heads // kvh, skv, hd).reshape(b, heads, skv, hd)
                        ve = v[:, :, None].expand(b, kvh, heads // kvh, skv, hd).reshape(b, heads, skv, hd)
                        return F.scaled_dot_product_attention(q, ke, ve, is_causal=(ph == "prefill"))

                    ts, inner = time_runs(rep_kv, rep, target_s=0.02)
                    emit("sdpa_repeat_kv_" + ph, dname, thr, ts, inner, m=b, n=sq, k=skv, nbytes=kvb, flops=fl,
                         note="repeat_kv (expand + reshape copy) then SDPA")
        log("ops: sdpa", dname, "done")

    # the DynamicCache append: torch.cat of a layer's cached K (or V) with the new token's, a fresh output each call.
    # The same cached tensor is reused, so it stays in the last-level cache (a model's cache of all layers streams
    # from DRAM): an upper bound on the append's rate, not the in-model one (not used by calibrate).
    for dname in ("bf16", "fp32"):
        dt = DTYPES[dname]
        for thr in [t for t in thr_list if t in (16, 4)]:
            if budget.left() < 10:
                break
            torch.set_num_threads(thr)
            for b in (1, 16):
                for c in (256, 1024, 4096):
                    with torch.inference_mode():
                        past = torch.rand(b, kvh, c, hd).to(dt)
                        new = torch.rand(b, kvh, 1, hd).to(dt)
                        ts, inner = time_runs(lambda: torch.cat([past, new], dim=-2), rep, target_s=0.02)
                    nb = (2 * c + 2) * b * kvh * hd * dt.itemsize
                    emit("kv_cat", dname, thr, ts, inner, m=b, n=1, k=c, elements=b * kvh * (c + 1) * hd, nbytes=nb,
                         note="torch.cat([K[b, 8, c, 64], k[b, 8, 1, 64]], dim=-2): one of a layer's two appends")
        log("ops: kv_cat", dname, "done")


def run_cold(args, out):
    """Host floor with cold caches: the tiny models again, each decoder layer preceded (forward pre-hook) by a GEMV
    that streams 32 MiB of weights, as a real model's projections do between its small ops. The hook's own time,
    timed alone, is subtracted: what is left is the framework's dispatch after its working set was evicted."""
    w = Writer(os.path.join(out, "ops_cold.csv"), OPS_FIELDS)
    date = now_utc()
    rep = args.repeats
    tiny = dict(model_type="llama", hidden_size=64, intermediate_size=128, num_attention_heads=4,
                num_key_value_heads=2, head_dim=16, vocab_size=256, rms_norm_eps=1e-5, rope_theta=10000.0,
                max_position_embeddings=4096, tie_word_embeddings=True)
    ws = [torch.empty(8192, 2048, dtype=torch.bfloat16) for _ in range(8)]
    for x in ws:
        fill_random(x)
    xa = torch.rand(1, 2048).to(torch.bfloat16)
    idx = [0]

    def evict():
        idx[0] = (idx[0] + 1) % len(ws)
        F.linear(xa, ws[idx[0]])

    thr_list = [int(t) for t in args.op_threads.split(",")]
    for layers in (2, 16):
        model, config = build_model(dict(tiny, num_hidden_layers=layers), torch.bfloat16)
        for thr in thr_list:
            torch.set_num_threads(thr)
            with torch.inference_mode():
                te, inner = time_runs(evict, rep, target_s=0.1)
                ev = statistics.median(te)
                w.row(op="evict_gemv", dtype="bf16", threads=thr, m=1, n=8192, k=2048, inner=inner,
                      note="the hook alone: F.linear 1x8192x2048 bf16 over 8 rotating weight copies", date=date,
                      **stats(te))
                hooks = [layer.register_forward_pre_hook(lambda m, a: evict()) for layer in model.model.layers]
                try:
                    ids = torch.randint(0, 256, (1, 16))
                    step = decode_step_fn(model, config, 1, 16, torch.bfloat16)
                    mask = torch.ones_like(ids)
                    cases = [
                        ("tiny_model_prefill_cold", 16, lambda: forward_prefill(model, ids), 1),
                        ("tiny_model_decode_cold", 1, step, 1),
                        ("tiny_model_generate1_cold", 16, lambda: model.generate(
                            input_ids=ids, attention_mask=mask, max_new_tokens=1, min_new_tokens=1, do_sample=False,
                            pad_token_id=0), 1),
                        ("tiny_model_generate17_cold", 16, lambda: model.generate(
                            input_ids=ids, attention_mask=mask, max_new_tokens=17, min_new_tokens=17,
                            do_sample=False, pad_token_id=0), 17)]
                    res = {}
                    for name, m, fn, steps in cases:
                        ts, inner = time_runs(fn, rep, target_s=0.2 if steps == 1 else 0.0)
                        ts = [t - steps * layers * ev for t in ts]
                        res[name] = ts
                        w.row(op=name, dtype="bf16", threads=thr, m=m, k=layers, inner=inner, date=date,
                              note=f"tiny llama, {layers} layers (k), each layer after an evicting GEMV; "
                                   f"{steps * layers} x the GEMV's time subtracted", **stats(ts))
                    g1 = statistics.median(res["tiny_model_generate1_cold"])
                    per = [(t - g1) / 16 for t in res["tiny_model_generate17_cold"]]
                    w.row(op="tiny_model_generate_per_token_cold", dtype="bf16", threads=thr, m=1, k=layers, inner=1,
                          date=date, note="(generate 17 - generate 1) / 16, cold", **stats(per))
                    log(f"cold {layers} layers t{thr}: decode {statistics.median(res['tiny_model_decode_cold'])*1e3:.2f}"
                        f" ms, evict {ev*1e6:.1f} us")
                finally:
                    for h in hooks:
                        h.remove()
        model = None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."),
                    help="repository root (resources/models/*.yaml)")
    ap.add_argument("--sections", default="facts,ops,e2e")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--op-threads", default="16,4,8,1")
    ap.add_argument("--budget-s", type=float, default=520, help="wall-clock budget for all sections")
    ap.add_argument("--ops-budget-s", type=float, default=170, help="of which the op microbenchmarks")
    ap.add_argument("--ops-reserve-s", type=float, default=60)
    ap.add_argument("--max-point-s", type=float, default=25, help="skip e2e points whose runs would take longer")
    ap.add_argument("--models", default="", help="only these presets (comma list)")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    budget = Budget(args.budget_s)
    card = "xeon-amx-16vcpu host of " + (sh("nvidia-smi -L | head -1").split("(")[0].strip() or "?")
    secs = args.sections.split(",")
    if "facts" in secs:
        facts(args.out)
        log("facts written")
    if "ops" in secs:
        try:
            run_ops(args, args.out, Budget(min(args.ops_budget_s, budget.left())))
        except Exception:  # noqa: BLE001
            traceback.print_exc()
    if "cold" in secs:
        try:
            run_cold(args, args.out)
        except Exception:  # noqa: BLE001
            traceback.print_exc()
    if "profile" in secs:
        try:
            run_profile(args, args.out, budget)
        except Exception:  # noqa: BLE001
            traceback.print_exc()
    if "e2e" in secs:
        run_e2e(args, args.out, budget, card)
    log("done")


if __name__ == "__main__":
    main()
