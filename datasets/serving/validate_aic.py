#!/usr/bin/env python3
"""Validate `rooflab serve` against NVIDIA aiconfigurator's measured aggregated serving runs (aic-silicon).

Maps every row the simulator can represent (see README.md: mode agg, a model with a shipped preset, one GPU or
TP/EP within a node of the shipped h100-sxm5-80gb / h200-sxm-141gb platforms, bf16 or fp8 weights, no attention
data parallelism, concurrency == per-worker batch) to one closed-loop simulation and prints TTFT and TPOT MAPE.
Nothing is fitted on these rows.

usage: datasets/serving/validate_aic.py [--rooflab build/ci/app/cli/rooflab] [--rows datasets/serving/aic_silicon_agg_rows.csv]
                                        [--out datasets/serving/aic_agg_results.csv] [--baseline] [--jobs 2]
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

MODELS = {
    "meta-llama/Llama-3.1-8B-Instruct": "llama-3.1-8b",
    "nvidia/Llama-3.1-8B-Instruct-FP8": "llama-3.1-8b",
    "meta-llama/Llama-3.1-70B": "llama-3.1-70b",
    "Qwen/Qwen3-32B": "qwen3-32b",
    "Qwen/Qwen3-235B-A22B-FP8": "qwen3-235b-a22b",
    "deepseek-ai/DeepSeek-R1": "deepseek-v3",
    "deepseek-ai/DeepSeek-V3": "deepseek-v3",
}
PLATFORMS = {"H100-SXM-80GB": "h100-sxm5-80gb", "H200-SXM-141GB": "h200-sxm-141gb"}
STACKS = {"trtllm": "tensorrt-llm", "vllm": "vllm", "sglang": "sglang"}


def as_int(s, default=0):
    try:
        return int(float(s))
    except (TypeError, ValueError):
        return default


def representable(r):
    """(True, mapping) or (False, reason)."""
    if r["mode"] != "agg":
        return False, "disaggregated"
    if r["model_path"] not in MODELS:
        return False, "no preset for " + r["model_path"]
    if r["gpu"] not in PLATFORMS:
        return False, "gpu"
    c, b = as_int(r["concurrency"]), as_int(r["batch_size"])
    if c < 1 or c != b:
        return False, "concurrency differs from the per-worker batch (replicas)"
    tp, pp = as_int(r["tp_size"], 1), as_int(r["pp_size"], 1)
    adp = as_int(r["attention_dp_size"], 1) or 1
    ep, moe_tp = as_int(r["moe_ep_size"], 1) or 1, as_int(r["moe_tp_size"], 1) or 1
    if tp > 8 or pp != 1:
        return False, "more than one node or pipeline parallel"
    if adp > 1:
        return False, "attention data parallelism"
    if ep * moe_tp != tp and not (ep == 1 and moe_tp == 1) and not (ep == 0):
        return False, "MoE layout not tp = ep x moe_tp"
    prec = r["gemm_quant_mode"] or r["precision"]
    if prec in ("", "bf16", "fp16"):
        weights, act = "bf16", "bf16"
    elif prec in ("fp8", "fp8_block"):
        weights, act = "fp8", "fp8"
    else:
        return False, "weights " + prec
    return True, {
        "platform": PLATFORMS[r["gpu"]], "model": MODELS[r["model_path"]], "stack": STACKS[r["backend"]],
        "tp": tp, "ep": ep if ep > 1 else 1, "weights": weights, "act": act, "concurrency": c,
        "isl": as_int(r["isl"]), "osl": as_int(r["osl"]),
    }


def run_row(exe, m, baseline, extra):
    requests = max(20, 5 * m["concurrency"])
    args = [exe, "serve", "--platform", m["platform"], "--model", m["model"], "--stack", m["stack"],
            "--tp", str(m["tp"]), "--ep", str(m["ep"]), "--weights", m["weights"], "--act", m["act"],
            "--concurrency", str(m["concurrency"]), "--isl", str(m["isl"]), "--osl", str(m["osl"]),
            "--requests", str(requests), "--format", "csv"] + extra
    p = subprocess.run(args, capture_output=True, text=True, env=dict(os.environ, ROOFLAB_DATA_DIR=ROOT))
    out = {"ok": p.returncode == 0, "error": p.stderr.strip().splitlines()[-1] if p.returncode else ""}
    if p.returncode == 0:
        j = json.loads(p.stdout)
        out.update(ttft_s=j["ttft_s"], tpot_s=j["tpot_s"], wall_s=j["wall_s"], preemptions=j["preemptions"])
    if baseline:
        b = subprocess.run([exe, "predict", "llm", "--platform", m["platform"], "--model", m["model"], "--stack",
                            m["stack"], "--phase", "request", "--batch", str(m["concurrency"]), "--prompt",
                            str(m["isl"]), "--output", str(m["osl"]), "--tp", str(m["tp"]), "--ep", str(m["ep"]),
                            "--weights", m["weights"], "--act", m["act"], "--no-ops", "--format", "json"],
                           capture_output=True, text=True, env=dict(os.environ, ROOFLAB_DATA_DIR=ROOT))
        if b.returncode == 0:
            jb = json.loads(b.stdout)
            out.update(base_ttft_s=jb["ttft_s"], base_tpot_s=jb["tpot_s"])
    return out


def ape(pred, meas):
    return abs(pred - meas) / meas * 100.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rooflab", default=os.path.join(ROOT, "build/ci/app/cli/rooflab"))
    ap.add_argument("--rows", default=os.path.join(HERE, "aic_silicon_agg_rows.csv"))
    ap.add_argument("--out", default=os.path.join(HERE, "aic_agg_results.csv"))
    ap.add_argument("--baseline", action="store_true", help="also run today's request phase (predict --phase request)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--fp8-kv", action="store_true", help="fp8 KV cache for fp8 rows (the rows do not record it)")
    ap.add_argument("--serve-args", default="", help="extra `rooflab serve` options for every row (sensitivity runs)")
    a = ap.parse_args()
    rows = list(csv.DictReader(open(a.rows)))
    todo, skipped = [], {}
    for r in rows:
        ok, m = representable(r)
        if ok:
            todo.append((r, m))
        else:
            skipped[m] = skipped.get(m, 0) + 1
    t0 = time.time()
    with ThreadPoolExecutor(a.jobs) as ex:
        results = list(ex.map(lambda rm: run_row(a.rooflab, rm[1], a.baseline,
                                           a.serve_args.split() + (["--kv", "fp8"] if a.fp8_kv and rm[1]["weights"] == "fp8" else [])), todo))
    wall = time.time() - t0
    recs = []
    for (r, m), res in zip(todo, results):
        rec = {"id": r["id"], "gpu": r["gpu"], "backend": r["backend"], "model": r["model_path"], "tp": m["tp"],
               "ep": m["ep"], "weights": m["weights"], "isl": m["isl"], "osl": m["osl"],
               "concurrency": m["concurrency"], "ttft_ms": float(r["ttft_ms"]), "tpot_ms": float(r["tpot_ms"]),
               "ok": res["ok"], "error": res["error"]}
        if res["ok"]:
            rec.update(pred_ttft_ms=res["ttft_s"] * 1e3, pred_tpot_ms=res["tpot_s"] * 1e3,
                       preemptions=res["preemptions"], sim_wall_s=res["wall_s"])
            rec["ttft_ape"] = ape(rec["pred_ttft_ms"], rec["ttft_ms"])
            rec["tpot_ape"] = ape(rec["pred_tpot_ms"], rec["tpot_ms"])
        if "base_ttft_s" in res:
            rec["base_ttft_ape"] = ape(res["base_ttft_s"] * 1e3, rec["ttft_ms"])
            rec["base_tpot_ape"] = ape(res["base_tpot_s"] * 1e3, rec["tpot_ms"])
        recs.append(rec)
    keys = ["id", "gpu", "backend", "model", "tp", "ep", "weights", "isl", "osl", "concurrency", "ttft_ms",
            "pred_ttft_ms", "ttft_ape", "tpot_ms", "pred_tpot_ms", "tpot_ape", "preemptions", "sim_wall_s",
            "base_ttft_ape", "base_tpot_ape", "ok", "error"]
    with open(a.out, "w", newline="") as f:
        w = csv.DictWriter(f, keys, extrasaction="ignore")
        w.writeheader()
        for rec in recs:
            w.writerow({k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in rec.items()})
    good = [r for r in recs if r["ok"]]
    print(f"rows in file {len(rows)}; representable {len(todo)}; predicted {len(good)}; wall {wall:.1f} s")
    for why, n in sorted(skipped.items(), key=lambda x: -x[1]):
        print(f"  left out {n:4d}: {why}")
    for r in recs:
        if not r["ok"]:
            print(f"  failed {r['id']}: {r['error']}")

    def summary(name, sel):
        if not sel:
            return
        t = [r["ttft_ape"] for r in sel]
        p = [r["tpot_ape"] for r in sel]
        line = (f"{name:<58} n {len(sel):4d}  TTFT MAPE {statistics.mean(t):7.1f} % (median {statistics.median(t):6.1f})"
                f"  TPOT MAPE {statistics.mean(p):6.1f} % (median {statistics.median(p):5.1f})")
        b = [r for r in sel if "base_ttft_ape" in r]
        if b:
            line += (f"  | request phase: TTFT {statistics.mean(r['base_ttft_ape'] for r in b):7.1f} %"
                     f" TPOT {statistics.mean(r['base_tpot_ape'] for r in b):6.1f} %")
        print(line)

    summary("all", good)
    groups = {}
    for r in good:
        groups.setdefault((r["gpu"], r["backend"], r["model"]), []).append(r)
    for k in sorted(groups):
        summary(" ".join(k), groups[k])
    print("worst TTFT rows:")
    for r in sorted(good, key=lambda r: -r["ttft_ape"])[:8]:
        print(f"  {r['id']}: measured {r['ttft_ms']:.1f} ms, simulated {r['pred_ttft_ms']:.1f} ms")
    print("worst TPOT rows:")
    for r in sorted(good, key=lambda r: -r["tpot_ape"])[:8]:
        print(f"  {r['id']}: measured {r['tpot_ms']:.2f} ms, simulated {r['pred_tpot_ms']:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
