#!/usr/bin/env python3
"""Turns a bench/cpu_llm/llama_cpp_run.py run into rooflab datasets:

  <out>/ops.csv                 the single-op rows (ggml_ops_bench) and the framework floor (tiny models under
                                llama-bench) in the schema `rooflab calibrate cpu --stack` reads (the PyTorch CPU
                                harness's ops.csv: op, dtype, threads, m, n, k, elements, median_s, ...):
                                  mul_mat      -> linear (dtype = the weight format: q4_k, q8_0, q6_k, bf16)
                                  flash_attn   -> sdpa_gqa_decode (one query) / sdpa_gqa_prefill (512 queries),
                                                  32/8 heads of 64 (the fit's attention shape), f16 K/V -> bf16
                                  rms_norm, rope, swiglu, add -> hf_rmsnorm, hf_rope, silu_mul, add (bf16 label:
                                                  the passes are fitted on 2-byte elements, as the stack is used)
                                  tiny-2/16 tg -> tiny_model_decode (per token), pp16 -> tiny_model_prefill
  <out>/validate/llama.cpp-t<threads>.csv   the llama-bench rows of the real shapes as `rooflab validate` rows:
                                pp N -> prefill of N tokens (batch 1); tg N at depth d -> decode at the mean context
                                d + N/2, the per-token time = the repeat's time / N. measured_s = median of repeats.

Usage: llamacpp_to_rooflab.py RUN_DIR --out datasets/cpu/<machine>-llamacpp --card "<host of GPU ...>"
"""
import argparse
import csv
import json
import os
import statistics

FMT = {"q4_K": "q4_k", "q8_0": "q8_0", "bf16": "bf16", "q6_K": "q6_k", "q5_K": "q5_k", "f16": "fp16"}
ELEM = {"rms_norm": "hf_rmsnorm", "rope": "hf_rope", "swiglu": "silu_mul", "add": "add"}
OPS_FIELDS = ["op", "dtype", "threads", "m", "n", "k", "elements", "bytes", "flops", "median_s", "min_s", "max_s",
              "spread_pct", "repeats", "inner", "runs_s", "note", "date", "heads", "kv_heads", "head_dim"]
VAL_FIELDS = ["id", "model", "phase", "batch", "prompt", "context", "tp", "weights", "kv", "act", "stack", "threads",
              "measured_s", "min_s", "max_s", "spread_pct", "runs", "card", "date"]


def jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(ln) for ln in f if ln.strip()]


def stats(samples):
    med = statistics.median(samples)
    return med, min(samples), max(samples), 100.0 * (max(samples) - min(samples)) / med


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run")
    ap.add_argument("--out", required=True)
    ap.add_argument("--card", required=True)
    a = ap.parse_args()
    os.makedirs(os.path.join(a.out, "validate"), exist_ok=True)
    date = ""
    with open(os.path.join(a.run, "host.txt")) as f:
        first = f.readline()
        date = first.split("date:", 1)[1].strip()[:19] + "Z" if first.startswith("date:") else ""

    ops = []
    with open(os.path.join(a.run, "ops.csv")) as f:
        for r in csv.DictReader(f):
            op, t = r["op"], r["threads"]
            base = dict(threads=t, bytes=r["bytes"], flops=r["flops"], median_s=r["median_s"], min_s=r["min_s"],
                        max_s=r["max_s"], spread_pct=f"{100 * float(r['spread']):.2f}", repeats=r["reps"],
                        inner=r["copies"], runs_s="", date=date)
            if op == "mul_mat":
                # One row (decode's GEMV) and 16+ rows (prefill's ubatches). 2-8 rows are left out: ggml's
                # non-repacked paths run them row by row, a regime single-sequence inference never reaches and the
                # fit's one small-M ramp cannot share with the prefill shapes.
                if 1 < int(r["m"]) < 16:
                    continue
                ops.append(dict(base, op="linear", dtype=FMT.get(r["type"], r["type"]), m=r["m"], n=r["n"], k=r["k"],
                                elements=0, note=f"ggml mul_mat, weights in {r['buft']}, rotated over {r['copies']} copies"))
            elif op == "flash_attn":
                # Decode (one query): every measured shape, named by heads / KV heads / head size (the fit times
                # it per query head and key, by head size). Prefill (512 queries): the fit's 32/8/64 shape.
                standard = (r["heads"], r["kv_heads"], r["head_dim"]) == ("32", "8", "64")
                if not (r["m"] == "1" or (r["m"] == "512" and standard)):
                    continue
                decode = r["m"] == "1"
                ops.append(dict(base, op="sdpa_gqa_decode" if decode else "sdpa_gqa_prefill", dtype="bf16", m=1,
                                n=r["m"], k=r["ctx"], elements=0, heads=r["heads"], kv_heads=r["kv_heads"],
                                head_dim=r["head_dim"],
                                note="ggml flash_attn_ext, f16 K/V (m = batch, n = queries, k = keys)"))
            elif op in ELEM:
                ops.append(dict(base, op=ELEM[op], dtype="bf16", m=r["m"], n=r["n"], k=0,
                                elements=int(r["m"]) * int(r["n"]), note=f"ggml {op} (f32), {r['copies']} per graph"))
            elif op == "node":
                ops.append(dict(base, op="ggml_node", dtype="fp32", m=1, n=r["n"], k=0, elements=r["n"],
                                note="one tiny add node of a 2000-node chain: the per-node cost"))
    for row in jsonl(os.path.join(a.run, "floor.jsonl")):
        layers = int(row["preset"].split("-")[1])
        samples = [s / 1e9 for s in row["samples_ns"]]
        if row["n_gen"] > 0:
            samples = [s / row["n_gen"] for s in samples]
            op, m = "tiny_model_decode", 1
        else:
            op, m = "tiny_model_prefill", row["n_prompt"]
        med, lo, hi, spread = stats(samples)
        ops.append(dict(op=op, dtype="bf16", threads=row["n_threads"], m=m, n=0, k=layers, elements=0, bytes=0, flops=0,
                        median_s=f"{med:.6e}", min_s=f"{lo:.6e}", max_s=f"{hi:.6e}", spread_pct=f"{spread:.2f}",
                        repeats=len(samples), inner=row["n_gen"] or 1, runs_s=";".join(f"{s:.6e}" for s in samples),
                        note=f"llama-bench on a 256-wide llama of {layers} layers, q8_0 (k = layers)",
                        date=row["test_time"]))
    with open(os.path.join(a.out, "ops.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=OPS_FIELDS)
        w.writeheader()
        w.writerows(ops)

    groups = {}
    for row in jsonl(os.path.join(a.run, "e2e.jsonl")):
        fmt = row["format"]
        t = row["n_threads"]
        samples = [s / 1e9 for s in row["samples_ns"]]
        if row["n_gen"] > 0:
            samples = [s / row["n_gen"] for s in samples]
            phase, prompt, context = "decode", 0, row["n_depth"] + row["n_gen"] // 2
        else:
            phase, prompt, context = "prefill", row["n_prompt"], row["n_depth"]
        med, lo, hi, spread = stats(samples)
        rid = f"{row['preset']}-{fmt}-{phase}-b1-p{prompt}-c{context}-t{t}"
        groups.setdefault(t, []).append(dict(
            id=rid, model=row["preset"], phase=phase, batch=1, prompt=prompt, context=context, tp=1, weights=fmt,
            kv="fp16", act="bf16", stack="llama.cpp", threads=t, measured_s=f"{med:.6e}", min_s=f"{lo:.6e}",
            max_s=f"{hi:.6e}", spread_pct=f"{spread:.2f}", runs=len(samples), card=a.card, date=row["test_time"]))
    for t, rows in sorted(groups.items()):
        with open(os.path.join(a.out, "validate", f"llama.cpp-t{t}.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=VAL_FIELDS)
            w.writeheader()
            w.writerows(rows)
    print(f"{len(ops)} op rows, {sum(len(r) for r in groups.values())} e2e rows in {len(groups)} thread counts")


if __name__ == "__main__":
    main()
