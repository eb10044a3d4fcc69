#!/usr/bin/env python3
"""Run rooflab on the converted public datasets and print the numbers behind datasets/public/VALIDATION.md.

Dev tool, not part of the test run. Usage (from the repository root):
    python3 scripts/public/report.py [--rooflab build/h6/app/cli/rooflab] [--json out.json]

- `rooflab validate --format json` on every converted validation dataset, plus breakdowns that `validate` does not
  group by (phase x TP; GEMM rows by TP, model and operator, taken from the `algo` tags the converters wrote).
- Vidur all-reduce times vs the engine's collective model: the engine's all-reduce operator time is read from
  `rooflab predict llm --format json` operator rows (a TP prefill of llama-2-70b moves prompt x 8192 x 2 bytes per
  all-reduce), and the Vidur curve is interpolated (log-log) at those sizes.
- TensorRT-LLM static-batch throughput rows vs `rooflab predict llm --phase decode` (batch = concurrent requests,
  context = input + output/2) and `--phase request` (prefill of the batch + every decode step).
Nothing is fitted; the script only reads.
"""
import argparse
import bisect
import csv
import json
import math
import os
import subprocess
import sys
from collections import defaultdict

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PUB = "datasets/public"

VALIDATIONS = [  # (set, platform, dataset)
    ("splitwise-sim", "hgx-h100-8gpu", f"{PUB}/splitwise-sim/e2e.csv"),
    ("deepgemm-h800", "platforms/h800-sxm5-80gb.yaml", f"{PUB}/deepgemm-h800/gemm.csv"),
    ("deepgemm-h800", "platforms/h800-sxm5-80gb.yaml", f"{PUB}/deepgemm-h800/gemm_grouped.csv"),
    ("vidur-h100", "h100-sxm5-80gb", f"{PUB}/vidur-h100/gemm_mlp.csv"),
    ("vidur-h100", "h100-sxm5-80gb", f"{PUB}/vidur-h100/gemm_attn_proj.csv"),
    ("trtllm-perf-docs", "hgx-h100-8gpu", f"{PUB}/trtllm-perf-docs/e2e_ttft_h100.csv"),
    ("trtllm-perf-docs", "l40s", f"{PUB}/trtllm-perf-docs/e2e_ttft_l40s.csv"),
]


def run(exe, args, ok=(0, 1)):
    p = subprocess.run([exe] + args, cwd=ROOT, capture_output=True, text=True)
    if p.returncode not in ok:
        sys.exit(f"rooflab {' '.join(args)} failed ({p.returncode}):\n{p.stderr}")
    return p.stdout


def stats(errs):
    if not errs:
        return {"n": 0}
    a = [abs(e) for e in errs]
    return {"n": len(errs), "mape": sum(a) / len(a), "bias": sum(errs) / len(errs), "max": max(a),
            "w10": 100.0 * sum(x <= 10 for x in a) / len(a), "w25": 100.0 * sum(x <= 25 for x in a) / len(a)}


def fmt(s):
    if s["n"] == 0:
        return "n=0"
    return (f"n={s['n']:5d}  MAPE {s['mape']:6.1f}%  bias {s['bias']:+6.1f}%  max {s['max']:6.1f}%  "
            f"<=10%: {s['w10']:5.1f}%  <=25%: {s['w25']:5.1f}%")


def mbucket(m):
    return "1" if m < 2 else f"{2 ** int(math.log2(m))}-{2 ** (int(math.log2(m)) + 1) - 1}"


def validate(exe, plat, ds):
    out = run(exe, ["validate", "--platform", plat, "--dataset", ds, "--format", "json"])
    j = json.loads(out)[0]
    with open(os.path.join(ROOT, ds), newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(j["rows"]), ds
    return j, rows


def report_validation(exe, res):
    for name, plat, ds in VALIDATIONS:
        j, rows = validate(exe, plat, ds)
        print(f"\n=== {name}: {ds} on {plat} (failed {j['failed']})")
        errs = [r["error_pct"] for r in j["rows"] if "error" not in r]
        print("  overall  " + fmt(stats(errs)))
        groups = defaultdict(list)
        for csvrow, r in zip(rows, j["rows"]):
            if "error" in r:
                print("  ERROR", r["id"], r["error"])
                continue
            e = r["error_pct"]
            if "phase" in csvrow:
                groups[("phase", csvrow["phase"])].append(e)
                groups[("tp", csvrow["tp"])].append(e)
                groups[("phase x tp", f"{csvrow['phase']} tp{csvrow['tp']}")].append(e)
                groups[("phase x batch", f"{csvrow['phase']} b{mbucket(int(csvrow['batch']))}")].append(e)
                if csvrow["phase"] == "prefill":
                    groups[("prefill prompt (b1)", csvrow["prompt"])].append(e) if csvrow["batch"] == "1" else None
                else:
                    groups[("decode context", csvrow["context"])].append(e) if csvrow["batch"] == "1" else None
            else:
                groups[("dtype", csvrow["dtype"])].append(e)
                groups[("m", mbucket(int(csvrow["m"])))].append(e)
                tag = csvrow["algo"].split(":")
                if tag[0] == "vidur":
                    groups[("tp", tag[3])].append(e)
                    groups[("model", tag[1])].append(e)
                    groups[("op", tag[2])].append(e)
                    groups[("op x m", f"{tag[2]} m{mbucket(int(csvrow['m']))}")].append(e)
                else:
                    groups[("algo", csvrow["algo"])].append(e)
        for (k, v), es in sorted(groups.items(), key=lambda x: (x[0][0], x[0][1])):
            print(f"  {k:>20} {v:<28} {fmt(stats(es))}")
        for key, val in j.get("breakdown", {}).get("bound", {}).items():
            print(f"  {'bound (validate)':>20} {key:<28} n={val['n']} MAPE {val['mape_pct']:.1f}% bias {val['bias_pct']:+.1f}%")
        if len(rows) <= 40 or name == "deepgemm-h800":
            for csvrow, r in zip(rows, j["rows"]):
                print(f"    {r['id']:<44} meas {r['measured_s'] * 1e3:9.4f} ms  pred {r['predicted_s'] * 1e3:9.4f} ms"
                      f"  {r['error_pct']:+7.1f}%")
        res.setdefault("validate", []).append({"set": name, "dataset": ds, "platform": plat, "overall": stats(errs),
                                               "groups": {f"{k}={v}": stats(es) for (k, v), es in groups.items()}})


def interp_loglog(xs, ys, x):
    i = bisect.bisect_left(xs, x)
    if i <= 0:
        return ys[0]
    if i >= len(xs):
        return ys[-1]
    x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
    t = (math.log(x) - math.log(x0)) / (math.log(x1) - math.log(x0))
    return math.exp(math.log(y0) + t * (math.log(y1) - math.log(y0)))


def report_allreduce(exe, res):
    curves = defaultdict(lambda: ([], []))
    with open(os.path.join(ROOT, PUB, "vidur-h100", "allreduce.csv"), newline="") as f:
        for r in csv.DictReader(f):
            if r["node"] != "h100_dgx":
                continue
            xs, ys = curves[int(r["devices"])]
            xs.append(int(r["bytes"]))
            ys.append(float(r["median_s"]))
    print("\n=== vidur-h100 all-reduce (h100_dgx, NCCL via torch.distributed) vs engine collective model (hgx-h100-8gpu)")
    out = []
    for n in (2, 4, 8):
        xs, ys = curves[n]
        order = sorted(range(len(xs)), key=lambda i: xs[i])
        xs, ys = [xs[i] for i in order], [ys[i] for i in order]
        for tokens in (1, 4, 16, 64, 256, 1024, 4096):
            nbytes = tokens * 8192 * 2
            if nbytes < xs[0] or nbytes > xs[-1]:
                continue
            j = json.loads(run(exe, ["predict", "llm", "--platform", "hgx-h100-8gpu", "--model", "llama-2-70b",
                                     "--phase", "prefill", "--batch", "1", "--prompt", str(tokens), "--tp", str(n),
                                     "--weights", "fp16", "--kv", "fp16", "--act", "fp16", "--stack", "vllm",
                                     "--format", "json"], ok=(0,)))
            op = next(o for o in j["ops"] if o["name"].startswith("all_reduce"))
            eng = op["time_s"]
            meas = interp_loglog(xs, ys, nbytes)
            print(f"  n={n} bytes={nbytes:>10d}  measured {meas * 1e6:9.1f} us  engine {eng * 1e6:9.1f} us "
                  f"(comm {op['comm_s'] * 1e6:8.1f} + overhead {op['overhead_s'] * 1e6:5.1f})  err {100 * (eng - meas) / meas:+6.1f}%")
            out.append({"devices": n, "bytes": nbytes, "measured_s": meas, "engine_s": eng})
    res["allreduce"] = out


def predict(exe, plat, args):
    return json.loads(run(exe, ["predict", "llm", "--platform", plat, "--format", "json", "--no-ops"] + args, ok=(0,)))


def report_trtllm(exe, res):
    print("\n=== trtllm-perf-docs static-batch throughput vs rooflab steady-state decode (ratio = rooflab / published)")
    out = []
    with open(os.path.join(ROOT, PUB, "trtllm-perf-docs", "throughput.csv"), newline="") as f:
        for r in csv.DictReader(f):
            plat = "hgx-h100-8gpu" if r["gpu"] == "h100" else "l40s"
            tp, b, i, o = int(r["tp"]), int(r["batch"]), int(r["input"]), int(r["output"])
            dt = ["--weights", "fp8", "--kv", "fp8", "--act", "fp8", "--stack", "tensorrt-llm", "--tp", str(tp),
                  "--model", r["model"]]
            d = predict(exe, plat, dt + ["--phase", "decode", "--batch", str(b), "--context", str(i + o // 2)])
            q = predict(exe, plat, dt + ["--phase", "request", "--batch", str(b), "--prompt", str(i), "--output", str(o)])
            pub = float(r["output_tokens_per_s_per_gpu"])
            dec = b / d["latency_s"] / tp
            req = b * o / q["e2e_s"] / tp
            fits = d.get("fits", True)
            print(f"  {r['gpu']:5} {r['model']:12} tp{tp} b{b:<5} in{i:<5} out{o:<5} published {pub:8.0f}  "
                  f"decode-only {dec:8.0f} ({dec / pub:4.2f}x)  request {req:8.0f} ({req / pub:4.2f}x)  "
                  f"fits={fits} step {d['latency_s'] * 1e3:.2f} ms")
            out.append({**r, "decode_tok_s_gpu": dec, "request_tok_s_gpu": req, "fits": fits,
                        "decode_ratio": dec / pub, "request_ratio": req / pub})
    res["trtllm_throughput"] = out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rooflab", default="build/h6/app/cli/rooflab")
    ap.add_argument("--json", help="also write all numbers to this file")
    args = ap.parse_args()
    exe = os.path.join(ROOT, args.rooflab) if not os.path.isabs(args.rooflab) else args.rooflab
    res = {}
    report_validation(exe, res)
    report_allreduce(exe, res)
    report_trtllm(exe, res)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
