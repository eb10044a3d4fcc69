#!/usr/bin/env python3
"""Hugging Face transformers on the GPU, measured for rooflab's `hf-transformers` stack (issue 21).

Models are built from configs with random weights (AutoModelForCausalLM.from_config, no downloads), bf16, SDPA
attention, and run through the library's own modeling code, the way a user runs them:
  * prefill: eager `model(input_ids, logits_to_keep=1)` (the library's default DynamicCache), timed with CUDA events
    around one forward, median of many after warm-up;
  * decode: one step `model(input_ids[b, 1], past_key_values=StaticCache, cache_position=[context])` captured in a
    CUDA graph and timed by graph replay (what generate(cache_implementation="static") runs once compiled; the
    static cache makes the step's shapes fixed). The cache holds `context` random keys/values in a cache of
    context + 1 slots.
Every config the harness builds is saved as transformers writes it (`configs/<name>.config.json`): the e2e rows name
that file as their model, so rooflab reads the same config back.

Writes under --out:
  e2e.csv          e2e rows (profilers/gpu/trace/formats.cpp schema), stack hf-transformers: VALIDATION ONLY
  ops.csv          single-op rows for calibration: op,batch,rows,cols,heads,kv_heads,head_dim,seq_k,cache_len,
                   dtype,median_s,p10_s,p90_s,runs,note
  host_floor.csv   eager host cost: the model's own forward on tiny tensors, per family, with its kernel count
  kernels.csv      torch.profiler (CUPTI) kernel list of one prefill and one decode step per model
                   (model,phase,batch,n,idx,name,duration_ns,grid,block)
  configs/         the configs, as saved by transformers
  provenance.json  card, driver, torch, transformers, date, command
"""
import argparse
import csv
import datetime
import json
import math
import os
import platform
import subprocess
import sys
import time
import traceback

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# the e2e harness's row layout, case syntax and quantiles
from llama_bench import E2E_HEADER, REPO, parse_cases, quantiles  # noqa: E402

OPS_HEADER = ["op", "batch", "rows", "cols", "heads", "kv_heads", "head_dim", "seq_k", "cache_len", "dtype",
              "median_s", "p10_s", "p90_s", "runs", "note"]
L2_ROTATE_BYTES = 3 * 60 * 1024 * 1024


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def card_id():
    n = torch.cuda.get_device_name().lower()
    if "h100" in n and "pcie" not in n:
        return "h100-sxm5-80gb"
    return "h200-sxm-141gb" if "h200" in n else n.replace(" ", "-")


class Csv:
    def __init__(self, path, header):
        new = not os.path.exists(path)
        self.f = open(path, "a", newline="")
        self.w = csv.writer(self.f)
        if new:
            self.w.writerow(header)
        self.f.flush()

    def row(self, r):
        self.w.writerow(r)
        self.f.flush()


def load_preset(name):
    import yaml
    path = name if os.path.exists(name) else os.path.join(REPO, "resources", "models", name + ".yaml")
    with open(path) as f:
        return yaml.safe_load(f)


# name -> (preset, layers kept (None: all), family): slices keep every per-layer shape and cut the depth so that a
# model fits one card with room for the cache; rooflab predicts the slice from the saved config.
MODELS = {
    "llama-3.2-1b": ("llama-3.2-1b", None),
    "llama-3.1-8b": ("llama-3.1-8b", None),
    "qwen2.5-7b": ("qwen2.5-7b", None),
    "qwen3-8b": ("qwen3-8b", None),
    "mixtral-8x7b-4layers": ("mixtral-8x7b", 4),
    "qwen3-30b-a3b-12layers": ("qwen3-30b-a3b", 12),
    "gemma-2-9b": ("gemma-2-9b", None),
}


def build_config(name):
    from transformers import AutoConfig
    preset, layers = MODELS[name]
    raw = load_preset(preset)
    keys = {k: v for k, v in raw.items() if k not in ("architectures", "name", "source", "torch_dtype")}
    mt = keys.pop("model_type")
    if layers:
        keys["num_hidden_layers"] = layers
        if "layer_types" in keys:
            keys["layer_types"] = keys["layer_types"][:layers]
        if "max_window_layers" in keys:
            keys["max_window_layers"] = min(int(keys["max_window_layers"]), layers)
    cfg = AutoConfig.for_model(mt, **keys)
    cfg.architectures = raw.get("architectures")
    return cfg


def build_model(cfg):
    from transformers import AutoModelForCausalLM
    torch.manual_seed(0)
    with torch.device("cuda"):
        try:
            m = AutoModelForCausalLM.from_config(cfg, dtype=torch.bfloat16, attn_implementation="sdpa")
        except TypeError:
            m = AutoModelForCausalLM.from_config(cfg, torch_dtype=torch.bfloat16, attn_implementation="sdpa")
    m.eval()
    for p in m.parameters():  # never time zeros: from_config leaves some tensors (norms, biases) constant
        if p.dim() >= 2 and float(p.float().abs().max()) == 0.0:
            p.data.normal_(0, 0.02)
    return m


def make_static_cache(model, cfg, batch, length):
    from transformers import StaticCache
    try:
        cache = StaticCache(config=cfg, max_cache_len=length)
    except TypeError:
        cache = StaticCache(config=cfg, max_batch_size=batch, max_cache_len=length, device="cuda",
                            dtype=torch.bfloat16)
    # one token at position 0 initializes the layers (batch, heads, dtype); then the whole cache gets random data
    ids = torch.randint(0, cfg.vocab_size, (batch, 1), device="cuda")
    with torch.no_grad():
        model(input_ids=ids, past_key_values=cache, cache_position=torch.zeros(1, dtype=torch.long, device="cuda"),
              use_cache=True, logits_to_keep=1)
    layers = getattr(cache, "layers", None)
    tensors = []
    if layers:
        for lay in layers:
            tensors += [lay.keys, lay.values]
    else:
        tensors = list(cache.key_cache) + list(cache.value_cache)
    for t in tensors:
        if t is not None:
            t.normal_(0, 1.0)
    return cache


def events_timed(fn, warmup, budget_s, min_runs, max_runs):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    a.record()
    fn()
    b.record()
    b.synchronize()
    est = a.elapsed_time(b) * 1e-3
    runs = int(max(min_runs, min(max_runs, budget_s / max(est, 1e-6))))
    ts = []
    for _ in range(runs):
        a.record()
        fn()
        b.record()
        b.synchronize()
        ts.append(a.elapsed_time(b) * 1e-3)
    return (*quantiles(ts), len(ts))


def capture(fn):
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            fn()
    torch.cuda.current_stream().wait_stream(s)
    torch.cuda.synchronize()
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        fn()
    return g


def graph_timed(fn, budget_s, min_runs, max_runs):
    g = capture(fn)
    r = events_timed(g.replay, 3, budget_s, min_runs, max_runs)
    del g
    return r


def profile_kernels(fn):
    """Kernel names and device durations of fn() through torch.profiler (CUPTI)."""
    from torch.profiler import ProfilerActivity, profile
    import tempfile
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        fn()
        torch.cuda.synchronize()
    tmp = tempfile.mktemp(suffix=".json")
    prof.export_chrome_trace(tmp)
    with open(tmp) as f:
        ev = json.load(f).get("traceEvents", [])
    os.unlink(tmp)
    ks = sorted((e for e in ev if e.get("cat") == "kernel"), key=lambda e: e["ts"])
    out = []
    for e in ks:
        a = e.get("args", {})
        out.append((e["name"], int(round(float(e.get("dur", 0)) * 1000)),
                    "x".join(str(v) for v in (a.get("grid") or [])), "x".join(str(v) for v in (a.get("block") or []))))
    return out


DEFAULT_CASES = {
    "llama-3.2-1b": "prefill:1x128,1x2048,8x512;decode:1x1024,16x2048,64x512",
    "llama-3.1-8b": "prefill:1x128,1x1024,4x2048;decode:1x2048,8x1024,32x2048",
    "qwen2.5-7b": "prefill:1x256,2x2048;decode:1x1024,8x2048,32x1024,64x512",
    "qwen3-8b": "prefill:1x512,4x1024;decode:1x512,16x2048,32x4096",
    "mixtral-8x7b-4layers": "prefill:1x128,1x1024,4x2048;decode:1x1024,8x2048,32x512",
    "qwen3-30b-a3b-12layers": "prefill:1x256,2x2048;decode:1x1024,16x1024,64x512",
    "gemma-2-9b": "prefill:1x512,2x2048;decode:1x1024,16x2048",
}

# shapes in none of DEFAULT_CASES (validation only); the first prefill and decode case of each model is traced
HELDOUT_CASES = {
    "llama-3.2-1b": "prefill:4x1024,1x512;decode:4x4096,32x1024",
    "llama-3.1-8b": "prefill:2x512,1x4096;decode:4x4096,16x512,64x1024",
    "qwen2.5-7b": "prefill:4x512,1x1024;decode:4x512,16x4096",
    "qwen3-8b": "prefill:1x128,2x2048;decode:8x1024,64x512",
    "mixtral-8x7b-4layers": "prefill:4x1536,2x512,1x4096;decode:4x4096,16x1024,64x256",
    "qwen3-30b-a3b-12layers": "prefill:4x1024,1x4096,1x64;decode:8x2048,32x1024,4x512",
    "gemma-2-9b": "prefill:1x1024,4x512;decode:4x4096,32x512",
}


def run_model(name, args, e2e, kern, date, card):
    cfg = build_config(name)
    cfg_dir = os.path.join(args.out, "configs")
    os.makedirs(cfg_dir, exist_ok=True)
    cfg_path = os.path.join(cfg_dir, name + ".config.json")
    cfg.to_json_file(cfg_path)
    model_ref = "datasets/hopper/hf-transformers/configs/" + name + ".config.json"
    t0 = time.time()
    model = build_model(cfg)
    print(f"[{name}] built in {time.time() - t0:.1f} s, experts impl "
          f"{getattr(cfg, '_experts_implementation', None)}, attn {getattr(cfg, '_attn_implementation', None)}",
          flush=True)
    spec = args.cases or (HELDOUT_CASES if args.case_set == "heldout" else DEFAULT_CASES)[name]
    cases = [(c["phase"], c["batch"], c["prompt"] if c["phase"] == "prefill" else c["context"])
             for c in parse_cases(spec)]
    traced = set()
    for phase, b, n in cases:
        if time.time() > args.deadline:
            print(f"[{name}] deadline: skipping the rest", flush=True)
            break
        cid = f"{name}-{phase}-b{b}-{'p' if phase == 'prefill' else 'c'}{n}-hf"
        try:
            with torch.no_grad():
                if phase == "prefill":
                    ids = torch.randint(0, cfg.vocab_size, (b, n), device="cuda")

                    def step():
                        return model(input_ids=ids, logits_to_keep=1)

                    r = events_timed(step, 3, args.budget_s, 5, 60)
                    fn = step
                else:
                    cache = make_static_cache(model, cfg, b, n + 1)
                    ids = torch.randint(0, cfg.vocab_size, (b, 1), device="cuda")
                    pos = torch.tensor([n], dtype=torch.long, device="cuda")

                    def step():
                        return model(input_ids=ids, past_key_values=cache, cache_position=pos, use_cache=True,
                                     logits_to_keep=1)

                    try:
                        r = graph_timed(step, args.budget_s, 20, 300)
                        mode = "graph"
                    except Exception as ex:  # noqa: BLE001
                        print(f"[{name}] decode graph capture failed ({type(ex).__name__}: {str(ex)[:200]}); "
                              "eager", flush=True)
                        torch.cuda.synchronize()
                        r = events_timed(step, 3, args.budget_s, 10, 100)
                        mode = "eager"
                    fn = step
            med, p10, p90, runs = r
            prompt, ctx = (n, 0) if phase == "prefill" else (0, n)
            e2e.row([cid, model_ref, phase, b, prompt, ctx, 1, "bf16", "bf16", "bf16", "hf-transformers",
                     f"{med:.6e}", f"{p10:.6e}", f"{p90:.6e}", runs, card, date])
            print(f"[{name}] {cid}: {med * 1e3:.3f} ms (p10 {p10 * 1e3:.3f}, p90 {p90 * 1e3:.3f}, {runs} runs"
                  f"{'' if phase == 'prefill' else ', ' + mode})", flush=True)
            if phase not in traced:
                traced.add(phase)
                with torch.no_grad():
                    ks = profile_kernels(fn)
                for i, (kn, dur, grid, block) in enumerate(ks):
                    kern.row([name, phase, b, n, i, kn, dur, grid, block])
                print(f"[{name}] {phase} trace: {len(ks)} kernels, {sum(k[1] for k in ks) / 1e6:.3f} ms of kernels",
                      flush=True)
            if phase == "decode":
                del cache
        except Exception as ex:  # noqa: BLE001
            print(f"[{name}] {cid} FAILED: {type(ex).__name__}: {str(ex)[:300]}", flush=True)
            traceback.print_exc(limit=3)
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
    del model
    torch.cuda.empty_cache()


def host_floor(args, out, date, card):
    """The library's own eager forward on tiny tensors (hidden 256, 8 tokens): the GPU finishes each kernel long
    before the host issues the next, so the time is host time. Two depths per family: the slope per layer over the
    kernels per layer (torch.profiler) is the host time per kernel."""
    fams = {
        "llama": dict(model_type="llama"),
        "qwen2": dict(model_type="qwen2"),
        "qwen3": dict(model_type="qwen3"),
        "mixtral": dict(model_type="mixtral", num_local_experts=8, num_experts_per_tok=2),
        "qwen3_moe": dict(model_type="qwen3_moe", num_experts=8, num_experts_per_tok=2, moe_intermediate_size=128,
                          decoder_sparse_step=1, mlp_only_layers=[]),
    }
    from transformers import AutoConfig
    for fam, extra in fams.items():
        for layers in (2, 8):
            try:
                keys = dict(hidden_size=256, intermediate_size=512, num_hidden_layers=layers, num_attention_heads=4,
                            num_key_value_heads=2, head_dim=64, vocab_size=1024, max_position_embeddings=4096)
                keys.update(extra)
                mt = keys.pop("model_type")
                cfg = AutoConfig.for_model(mt, **keys)
                model = build_model(cfg)
                ids = torch.randint(0, 1024, (1, 8), device="cuda")
                with torch.no_grad():
                    def step():
                        return model(input_ids=ids, logits_to_keep=1)
                    med, p10, p90, runs = events_timed(step, 20, 1.0, 50, 200)
                    ks = profile_kernels(step)
                    med2, _, _, _ = events_timed(step, 5, 0.5, 30, 100)
                # RMSNorm kernels of the forward (8 per norm: 2 per layer, Qwen3's q_norm and k_norm, the final norm)
                norm_kernels = layers * (4 if fam.startswith("qwen3") else 2) * 8 + 8
                out.row([fam, layers, len(ks), norm_kernels, f"{med:.6e}", f"{p10:.6e}", f"{p90:.6e}", runs, f"{med2:.6e}",
                         card, date])
                print(f"[host] {fam} {layers} layers: {med * 1e3:.3f} ms, {len(ks)} kernels "
                      f"({med / max(1, len(ks)) * 1e6:.2f} us/kernel); after profiler {med2 * 1e3:.3f} ms", flush=True)
                del model
            except Exception as ex:  # noqa: BLE001
                print(f"[host] {fam} {layers} FAILED: {type(ex).__name__}: {str(ex)[:300]}", flush=True)
        torch.cuda.empty_cache()


def rotating(make, set_bytes, fn):
    """Input sets rotated so that their total exceeds 3x L2; returns one callable per set."""
    n = max(2, min(256, math.ceil(L2_ROTATE_BYTES / max(1, set_bytes))))
    sets = [make() for _ in range(n)]
    return [lambda s=s: fn(*s) for s in sets]


def time_calls(calls, budget_s=0.2):
    for c in calls:
        c()
    torch.cuda.synchronize()
    k = len(calls) * max(1, math.ceil(16 / len(calls)))
    a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    a.record()
    calls[0]()
    b.record()
    b.synchronize()
    if a.elapsed_time(b) * 1e-3 < 1e-3:
        def many():
            for i in range(k):
                calls[i % len(calls)]()
        g = capture(many)
        med, p10, p90, runs = events_timed(g.replay, 2, budget_s, 10, 200)
        del g
        return med / k, p10 / k, p90 / k, runs
    i = [0]

    def one():
        calls[i[0] % len(calls)]()
        i[0] += 1
    return events_timed(one, 2, budget_s, 5, 40)


def single_ops(args, out):
    """The ops in which the library's modeling code differs from rooflab's own harness, alone, for calibration."""
    from transformers.models.llama.modeling_llama import LlamaRMSNorm, apply_rotary_pos_emb, repeat_kv
    dt = torch.bfloat16
    # HF RMSNorm (fp32 upcast, pow, mean, rsqrt, two multiplies)
    for rows in (1, 8, 64, 512, 2048, 8192):
        for cols in (3584, 4096):
            try:
                norm = LlamaRMSNorm(cols).to("cuda", dt)
                norm.weight.data.normal_(1.0, 0.1)
                calls = rotating(lambda: (torch.randn(rows, cols, device="cuda", dtype=dt),), rows * cols * 2,
                                 lambda x: norm(x))
                with torch.no_grad():
                    r = time_calls(calls)
                out.row(["hf_rmsnorm", 1, rows, cols, 0, 0, 0, 0, 0, "bf16", *(f"{v:.6e}" for v in r[:3]), r[3], ""])
            except Exception as ex:  # noqa: BLE001
                print(f"[ops] hf_rmsnorm {rows}x{cols} FAILED: {ex}", flush=True)
    # rotate_half RoPE on q/k as the attention module makes them: view(b, s, h, d).transpose(1, 2) of a projection
    for rows in (1, 8, 64, 512, 2048, 8192):
        for heads, kvh in ((32, 8), (28, 4)):
            try:
                d = 128

                def mk():
                    q = torch.randn(1, rows, heads * d, device="cuda", dtype=dt).view(1, rows, heads, d).transpose(1, 2)
                    k = torch.randn(1, rows, kvh * d, device="cuda", dtype=dt).view(1, rows, kvh, d).transpose(1, 2)
                    cos = torch.randn(1, rows, d, device="cuda", dtype=dt)
                    sin = torch.randn(1, rows, d, device="cuda", dtype=dt)
                    return q, k, cos, sin
                calls = rotating(mk, rows * (heads + kvh) * d * 2 * 2, lambda q, k, c, s: apply_rotary_pos_emb(q, k, c, s))
                with torch.no_grad():
                    r = time_calls(calls)
                out.row(["hf_rope", 1, rows, (heads + kvh) * d, heads, kvh, d, 0, 0, "bf16", *(f"{v:.6e}" for v in r[:3]),
                         r[3], "q and k, transposed views"])
            except Exception as ex:  # noqa: BLE001
                print(f"[ops] hf_rope {rows} FAILED: {ex}", flush=True)
    # decode attention as sdpa_attention_forward runs it with a static cache: repeat_kv of the whole cache, then SDPA
    # with the boolean mask over the cache's slots (which backend runs is in the log); and, for comparison, SDPA with
    # enable_gqa and no mask (what runs without a mask)
    for (heads, kvh, d) in ((32, 8, 128), (28, 4, 128), (32, 8, 64), (16, 8, 256)):
        for batch in (1, 4, 16, 32, 64):
            for seq in (512, 2048, 8192):
                if batch * kvh * seq * d * 2 * 2 > 8e9:
                    continue
                for variant in ("repeat_kv_mask", "gqa_nomask", "repeat_kv_only"):
                    try:
                        def mk():
                            q = torch.randn(batch, heads, 1, d, device="cuda", dtype=dt)
                            k = torch.randn(batch, kvh, seq, d, device="cuda", dtype=dt)
                            v = torch.randn(batch, kvh, seq, d, device="cuda", dtype=dt)
                            m = torch.ones(batch, 1, 1, seq, device="cuda", dtype=torch.bool)
                            m[..., seq - seq // 8:] = False  # unfilled slots of the static cache
                            return q, k, v, m

                        if variant == "repeat_kv_mask":
                            def f(q, k, v, m):
                                g = heads // kvh
                                return F.scaled_dot_product_attention(q, repeat_kv(k, g), repeat_kv(v, g), attn_mask=m)
                        elif variant == "gqa_nomask":
                            def f(q, k, v, m):
                                return F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
                        else:
                            def f(q, k, v, m):
                                g = heads // kvh
                                return repeat_kv(k, g), repeat_kv(v, g)
                        calls = rotating(mk, batch * kvh * seq * d * 4, f)
                        with torch.no_grad():
                            r = time_calls(calls)
                        out.row([f"attn_decode_{variant}", batch, 1, 0, heads, kvh, d, seq, seq, "bf16",
                                 *(f"{v:.6e}" for v in r[:3]), r[3], ""])
                    except Exception as ex:  # noqa: BLE001
                        print(f"[ops] attn {variant} b{batch} s{seq} FAILED: {type(ex).__name__} {str(ex)[:150]}",
                              flush=True)
                    torch.cuda.empty_cache()
    # which SDPA backend each decode variant runs (kernel names)
    try:
        q = torch.randn(8, 32, 1, 128, device="cuda", dtype=dt)
        k = torch.randn(8, 8, 2048, 128, device="cuda", dtype=dt)
        m = torch.ones(8, 1, 1, 2048, device="cuda", dtype=torch.bool)
        ks = profile_kernels(lambda: F.scaled_dot_product_attention(q, repeat_kv(k, 4), repeat_kv(k, 4), attn_mask=m))
        print("[ops] repeat_kv + masked SDPA kernels: " + " | ".join(f"{n[:90]} {d_} ns" for n, d_, _, _ in ks),
              flush=True)
    except Exception as ex:  # noqa: BLE001
        print(f"[ops] backend probe FAILED: {ex}", flush=True)


def moe_ops(args, out):
    """The library's sparse-MoE block alone (router, token permutation, grouped GEMMs through its experts backend,
    combine), one decoder layer's worth, at several token counts: rows `moe_block` (batch = tokens, cols = hidden,
    heads = experts, kv_heads = top-k, head_dim = expert width). With torch.profiler at each size, the grouped GEMM
    kernels' own device time per call: rows `moe_grouped_gemm` (the rest of the block: `moe_other`)."""
    from transformers import AutoConfig
    for preset, keep in (("mixtral-8x7b", 1), ("qwen3-30b-a3b", 1)):
        try:
            raw = load_preset(preset)
            keys = {k: v for k, v in raw.items() if k not in ("architectures", "name", "source", "torch_dtype")}
            mt = keys.pop("model_type")
            keys["num_hidden_layers"] = keep
            if "max_window_layers" in keys:
                keys["max_window_layers"] = keep
            cfg = AutoConfig.for_model(mt, **keys)
            model = build_model(cfg)
            block = None
            for mod in model.modules():
                if "sparsemoe" in type(mod).__name__.lower() or type(mod).__name__.lower().endswith("moeblock"):
                    block = mod
                    break
            if block is None:
                print(f"[moe] {preset}: no sparse-MoE block found", flush=True)
                continue
            h = int(cfg.hidden_size)
            E = int(getattr(cfg, "num_local_experts", None) or getattr(cfg, "num_experts"))
            k = int(cfg.num_experts_per_tok)
            w = int(getattr(cfg, "moe_intermediate_size", None) or cfg.intermediate_size)
            print(f"[moe] {preset}: block {type(block).__name__}, experts impl "
                  f"{getattr(cfg, '_experts_implementation', None)}", flush=True)
            for T in (1, 4, 16, 64, 256, 1024, 4096, 16384):
                try:
                    calls = rotating(lambda: (torch.randn(1, T, h, device="cuda", dtype=torch.bfloat16),), T * h * 2,
                                     lambda x: block(x))
                    with torch.no_grad():
                        r = time_calls(calls[:8])
                        ks = profile_kernels(calls[0])
                    g = sum(d for n, d, _, _ in ks
                            if ("GroupProblemShape" in n or "grouped" in n.lower()) and "prepare" not in n)
                    o = sum(d for n, d, _, _ in ks) - g
                    out.row(["moe_block", T, T, h, E, k, w, 0, 0, "bf16", *(f"{v:.6e}" for v in r[:3]), r[3],
                             f"{preset} {len(ks)} kernels"])
                    out.row(["moe_grouped_gemm", T, T, h, E, k, w, 0, 0, "bf16", f"{g * 1e-9:.6e}", "", "", 1,
                             f"{preset} torch.profiler, one call"])
                    out.row(["moe_other", T, T, h, E, k, w, 0, 0, "bf16", f"{o * 1e-9:.6e}", "", "", 1,
                             f"{preset} torch.profiler, one call, {len(ks)} kernels"])
                    print(f"[moe] {preset} T={T}: {r[0] * 1e6:.1f} us per block ({len(ks)} kernels; grouped GEMMs "
                          f"{g / 1e3:.1f} us, rest {o / 1e3:.1f} us)", flush=True)
                except Exception as ex:  # noqa: BLE001
                    print(f"[moe] {preset} T={T} FAILED: {type(ex).__name__}: {str(ex)[:200]}", flush=True)
                torch.cuda.empty_cache()
            del model, block
            torch.cuda.empty_cache()
        except Exception as ex:  # noqa: BLE001
            print(f"[moe] {preset} FAILED: {type(ex).__name__}: {str(ex)[:300]}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--cases", default=None,
                    help="llama_bench.py's case syntax, 'prefill:1x128,4x2048;decode:1x1024' (default: a per-model set)")
    ap.add_argument("--case-set", default="", help="'heldout': a second set of shapes, none of the default set")
    ap.add_argument("--only", default="host,ops,e2e")
    ap.add_argument("--budget-s", type=float, default=0.6, help="timed seconds per case")
    ap.add_argument("--total-s", type=float, default=420)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    args.deadline = t0 + args.total_s
    import transformers
    date, card = now(), card_id()
    prov = dict(card=torch.cuda.get_device_name(), sm_count=torch.cuda.get_device_properties(0).multi_processor_count,
                torch=torch.__version__, cuda=torch.version.cuda, transformers=transformers.__version__,
                python=platform.python_version(), date=date, command=" ".join(sys.argv))
    try:
        q = subprocess.run(["nvidia-smi", "--query-gpu=driver_version,clocks.max.sm,clocks.max.mem",
                            "--format=csv,noheader"], capture_output=True, text=True).stdout.strip().split(",")
        prov["driver"], prov["max_sm_clock"], prov["max_mem_clock"] = (x.strip() for x in q[:3])
    except Exception:  # noqa: BLE001
        pass
    with open(os.path.join(args.out, "provenance.json"), "w") as f:
        json.dump(prov, f, indent=1)
    print(json.dumps(prov), flush=True)
    only = args.only.split(",")
    if "host" in only:
        host_floor(args, Csv(os.path.join(args.out, "host_floor.csv"),
                             ["family", "layers", "kernels", "norm_kernels", "median_s", "p10_s", "p90_s", "runs",
                              "median_after_profiler_s", "card", "date"]), date, card)
    if "ops" in only:
        single_ops(args, Csv(os.path.join(args.out, "ops.csv"), OPS_HEADER))
    if "moe" in only:
        moe_ops(args, Csv(os.path.join(args.out, "ops.csv"), OPS_HEADER))
    print(f"[{time.time() - t0:.0f} s] single ops done", flush=True)
    if "e2e" in only:
        e2e = Csv(os.path.join(args.out, "e2e.csv"), E2E_HEADER)
        kern = Csv(os.path.join(args.out, "kernels.csv"),
                   ["model", "phase", "batch", "n", "idx", "name", "duration_ns", "grid", "block"])
        for name in args.models.split(","):
            if time.time() > args.deadline:
                break
            try:
                run_model(name, args, e2e, kern, date, card)
            except Exception as ex:  # noqa: BLE001
                print(f"[{name}] FAILED: {type(ex).__name__}: {str(ex)[:300]}", flush=True)
                traceback.print_exc(limit=4)
            torch.cuda.empty_cache()
    print(f"[{time.time() - t0:.0f} s] done", flush=True)


if __name__ == "__main__":
    main()
