#!/usr/bin/env python3
"""Does a GEMV run slower inside a model's step than alone? (issue 18: the e2e decode of Llama-3.2-1B on the Xeon
host takes ~1.5x the sum of its single-op GEMV times.)

One decoder's projections (Llama-3.2-1B shapes by default: q, k, v, o, gate, up, down; 16 layers of distinct
weights, then the LM head) as torch.nn.functional.linear on one token, bf16, timed on the CPU in five contexts:
  isolated   each projection shape alone, back to back over its 16 layer copies (what ops.csv times)
  sequence   the layers' projections in model order, back to back
  gap<G>     the same sequence with a Python busy-wait of G microseconds before each call (the host time between
             ops in a model's step), the waits subtracted
  tiny       the same sequence with a non-parallel torch op (add of 8 elements) before each call
  elementwise the same sequence with the model's element-wise ops in between (RMSNorm before q and gate, SiLU x up
             before down, the residual adds), their own single-op times subtracted
  input3d    the sequence on a [1, 1, hidden] input (as a model's hidden states are shaped)
  hfmodules  (--model PRESET) the nn.Linear modules of a transformers model built from the preset with random weights
             (bench/cpu_llm/cpu_llm_bench.build_model), called in forward order on a [1, 1, hidden] input under
             torch.inference_mode: the model's own weight tensors, without the rest of its forward
Each context: one warm-up, then --repeats timed runs; the median, min and max per thread count go to the CSV with
the host facts. Nothing is downloaded; weights are random.
"""
import argparse
import csv
import datetime
import os
import statistics
import time

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def spin(seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def rms(x, w):
    v = x.float().pow(2).mean(-1, keepdim=True)
    return (x.float() * torch.rsqrt(v + 1e-5)).to(x.dtype) * w


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="CSV to write")
    ap.add_argument("--threads", default="16,8,4")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--layers", type=int, default=16)
    ap.add_argument("--hidden", type=int, default=2048)
    ap.add_argument("--inter", type=int, default=8192)
    ap.add_argument("--kv", type=int, default=512)
    ap.add_argument("--vocab", type=int, default=128256)
    ap.add_argument("--gaps-us", default="10,40")
    ap.add_argument("--model", default="", help="also time this preset's own nn.Linear modules (hfmodules)")
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    args = ap.parse_args()
    torch.manual_seed(0)
    dt = torch.bfloat16
    h, i, kv = args.hidden, args.inter, args.kv
    shapes = {"q": (h, h), "k": (kv, h), "v": (kv, h), "o": (h, h), "gate": (i, h), "up": (i, h), "down": (h, i)}
    order = ["q", "k", "v", "o", "gate", "up", "down"]
    W = [{n: torch.randn(*s, dtype=dt) * 0.02 for n, s in shapes.items()} for _ in range(args.layers)]
    head = torch.randn(args.vocab, h, dtype=dt) * 0.02
    norm_w = torch.ones(h, dtype=dt)
    x = torch.randn(1, h, dtype=dt)
    xi = torch.randn(1, i, dtype=dt)
    tiny = torch.ones(8)
    weight_bytes = sum(w.numel() * 2 for layer in W for w in layer.values()) + head.numel() * 2
    calls = len(order) * len(W) + 1  # GEMVs per step: the layers' projections and the LM head
    x3, xi3 = x.view(1, 1, h), xi.view(1, 1, i)  # as a model's hidden states are shaped

    def run_sequence(before=None, hidden=x, inter=xi):
        for layer in W:
            for n in order:
                if before is not None:
                    before(n)
                F.linear(inter if n == "down" else hidden, layer[n])
        if before is not None:
            before("head")
        F.linear(hidden, head)

    def elementwise(n):
        if n in ("q", "gate"):
            rms(x, norm_w)
        elif n == "down":
            F.silu(xi) * xi
        elif n in ("o", "head"):
            x + x

    def isolated():
        for n in order:
            inp = xi if n == "down" else x
            for layer in W:
                F.linear(inp, layer[n])
        F.linear(x, head)

    def timed(fn, reps):
        fn()
        ts = []
        for _ in range(reps):
            t = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t)
        return ts

    hf = None
    if args.model:
        import sys
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import cpu_llm_bench as cb
        model, _ = cb.build_model(cb.load_preset(args.root, args.model), dt)
        mods = []
        for layer in model.model.layers:
            a, m = layer.self_attn, layer.mlp
            mods += [a.q_proj, a.k_proj, a.v_proj, a.o_proj, m.gate_proj, m.up_proj, m.down_proj]
        mods.append(model.lm_head)
        ins = {f: torch.randn(1, 1, f, dtype=dt) for f in {mod.in_features for mod in mods}}
        hf_bytes = sum(mod.weight.numel() * 2 for mod in mods)

        def hf():
            with torch.inference_mode():
                for mod in mods:
                    mod(ins[mod.in_features])

    rows = []
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        contexts = [("isolated", isolated, 0.0), ("sequence", run_sequence, 0.0)]
        for g in [float(v) for v in args.gaps_us.split(",") if v]:
            contexts.append((f"gap{int(g)}", lambda g=g: run_sequence(lambda n: spin(g * 1e-6)), g * 1e-6 * calls))
        contexts.append(("tiny", lambda: run_sequence(lambda n: tiny.add(1.0)), None))
        contexts.append(("elementwise", lambda: run_sequence(elementwise), None))
        contexts.append(("input3d", lambda: run_sequence(hidden=x3, inter=xi3), 0.0))
        if hf is not None:
            contexts.append(("hfmodules", hf, 0.0))
        # what the tiny op and the element-wise ops cost alone, without the GEMVs in between
        tiny_alone = statistics.median(timed(lambda: [tiny.add(1.0) for _ in range(calls)], args.repeats))

        def ew_only():
            for _ in W:
                for n in order:
                    elementwise(n)
            elementwise("head")

        ew_alone = statistics.median(timed(ew_only, args.repeats))
        for name, fn, sub in contexts:
            if sub is None:
                sub = tiny_alone if name == "tiny" else ew_alone
            ts = timed(fn, args.repeats)
            med = statistics.median(ts)
            nbytes = hf_bytes if name == "hfmodules" else weight_bytes
            rows.append({"context": name, "threads": threads, "calls": calls, "weight_bytes": nbytes,
                         "median_s": f"{med:.6e}", "min_s": f"{min(ts):.6e}", "max_s": f"{max(ts):.6e}",
                         "subtracted_s": f"{sub:.6e}", "gemv_s": f"{med - sub:.6e}",
                         "gemv_bytes_per_s": f"{nbytes / max(med - sub, 1e-9):.4e}",
                         "repeats": args.repeats, "date": date})
            print(f"[gemvctx] t{threads} {name:12s} {med * 1e3:8.2f} ms (less {sub * 1e3:6.2f} ms): "
                  f"{nbytes / max(med - sub, 1e-9) / 1e9:6.1f} GB/s", flush=True)
    tmp = args.out + ".tmp"
    try:
        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
            w.writeheader()
            w.writerows(rows)
        os.replace(tmp, args.out)
    finally:  # a failed or interrupted write leaves no partial file
        if os.path.exists(tmp):
            os.remove(tmp)


if __name__ == "__main__":
    main()
