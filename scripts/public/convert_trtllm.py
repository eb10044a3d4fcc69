#!/usr/bin/env python3
"""Convert the transcribed TensorRT-LLM performance tables into what rooflab can be compared with.

Dev tool, not part of the test run. Usage:
    python3 scripts/public/convert_trtllm.py [--src ../shared/datasets/trtllm-perf-docs] [--out datasets/public/trtllm-perf-docs]

Writes:
  e2e_ttft_h100.csv, e2e_ttft_l40s.csv  first-token latency at batch 1 (TensorRT-LLM v0.5, FP8) as rooflab prefill
        rows -- the one metric in these tables that is a single, directly comparable step. Only the models with a rooflab
        preset of the same architecture: "LLaMA 7B" -> llama-2-7b (same shapes as LLaMA-1 7B), "LLaMA 70B" ->
        llama-2-70b. GPT-J 6B and Falcon 180B have no preset; A100 rows have no platform file. Values are published
        to the millisecond (7 ms rows carry up to +-7% rounding). FP8 weights and activations; KV fp8 (assumed).
  throughput.csv  the static-batch output-throughput rows (performance.md; "LLaMA 7B" / "LLaMA 70B" on H100 and L40S)
        with the rooflab model and platform they are compared against by scripts/public/report.py. NOT a validation
        dataset (a throughput under a serving schedule is not one rooflab step); see README.md here.
Validation data only: nothing here is used to fit a platform.
"""
import argparse
import csv
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
E2E = ["id", "model", "phase", "batch", "prompt", "context", "tp", "weights", "kv", "act", "stack", "measured_s"]
MODELS = {"LLaMA 7B": "llama-2-7b", "LLaMA 70B": "llama-2-70b"}


def gpu_key(g):
    if g.startswith("H100"):
        return "h100"
    if g.startswith("L40S"):
        return "l40s"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", default=os.path.join(ROOT, "..", "shared", "datasets", "trtllm-perf-docs"))
    ap.add_argument("--out", default=os.path.join(ROOT, "datasets", "public", "trtllm-perf-docs"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    ttft = {"h100": [], "l40s": []}
    thr = []
    with open(os.path.join(args.src, "trtllm_perf_docs.csv"), newline="") as f:
        for r in csv.DictReader(f):
            g, model = gpu_key(r["gpu"]), MODELS.get(r["model"])
            if g is None or model is None or not r["source_doc"].startswith("docs/source/performance.md"):
                continue
            tp, b, inp = int(r["tp"]), int(r["batch_size"]), int(r["input_len"])
            prec = r["precision"].lower()
            if r["metric"] == "first_token_latency":
                ttft[g].append([f"{model}-ttft-b{b}-p{inp}-tp{tp}-{g}", model, "prefill", b, inp, 0, tp,
                                prec, prec, prec, "tensorrt-llm", f"{float(r['value']) / 1e3:.6e}"])
            elif r["metric"] in ("output_throughput_per_gpu", "output_throughput"):
                out = int(r["output_len"])
                per_gpu = float(r["value"]) if r["metric"] == "output_throughput_per_gpu" else float(r["value"]) / tp
                thr.append([g, model, r["trtllm_version"], prec, tp, b, inp, out, f"{per_gpu:g}", r["metric"]])
    for g, rows in ttft.items():
        with open(os.path.join(args.out, f"e2e_ttft_{g}.csv"), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(E2E)
            w.writerows(rows)
        print(f"e2e_ttft_{g}.csv: {len(rows)} rows")
    with open(os.path.join(args.out, "throughput.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["gpu", "model", "trtllm_version", "precision", "tp", "batch", "input", "output",
                    "output_tokens_per_s_per_gpu", "source_metric"])
        w.writerows(thr)
    print(f"throughput.csv: {len(thr)} rows")
    lic = "/usr/share/common-licenses/Apache-2.0"
    if os.path.exists(lic):
        shutil.copyfile(lic, os.path.join(args.out, "LICENSE"))


if __name__ == "__main__":
    main()
