#!/usr/bin/env python3
"""llama.cpp on the device machine's host CPU: build, random-weight GGUF files, single-op and end-to-end runs.

Run on the device machine from the repository root (the llama.cpp sources in third_party_src/llama.cpp, see
datasets/cpu/xeon-amx-16vcpu-llamacpp/README.md for where they come from):

    python3 bench/cpu_llm/llama_cpp_run.py --out $OUT/llamacpp --budget-s 540

Steps, each logged with its time, stopping cleanly when the budget runs out (every CSV is flushed as it goes):
  1. host facts (lscpu, meminfo, load, compilers, the llama.cpp commit)                    -> host.txt
  2. CMake build of llama-bench and llama-quantize (CPU backend, GGML_NATIVE: AVX-512, AMX) and of
     bench/cpu_llm/ggml_ops_bench.cpp against the same ggml
  3. GGUF files: bench/cpu_llm/gguf_random.py (bf16, random weights from resources/models/<preset>.yaml), then
     llama-quantize to each format (--pure: every tensor in that format, as rooflab's q4_k / q8_0 mean)
  4. single-op microbenchmarks (ggml_ops_bench: mul_mat per format with rotated weights, flash attention,
     per-node cost), the calibration input                                                   -> ops.csv
  5. llama-bench per model x format x thread count: prompt processing (pp) and token generation (tg) at depth 0
     and a deeper context, -r repeats (each repeat's time kept)                              -> e2e.jsonl
"""
import argparse
import json
import datetime
import os
import subprocess
import sys
import time

T0 = time.monotonic()
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LLAMA = os.path.join(ROOT, "third_party_src", "llama.cpp")


def log(*a):
    print(f"[{time.monotonic() - T0:7.1f}s]", *a, flush=True)


def left(budget):
    return budget - (time.monotonic() - T0)


def sh(cmd, timeout=None, cwd=None, out=None):
    log("$", cmd if isinstance(cmd, str) else " ".join(cmd))
    r = subprocess.run(cmd, shell=isinstance(cmd, str), cwd=cwd, timeout=timeout, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if out:
        with open(out, "a") as f:
            f.write(r.stdout)
    if r.returncode != 0:
        log(f"exit {r.returncode}:", r.stdout[-3000:])
    return r


def facts(out):
    with open(os.path.join(out, "host.txt"), "w") as f:
        f.write("date: " + datetime.datetime.now(datetime.timezone.utc).isoformat() + "\n")
        for c in ["lscpu", "cat /proc/meminfo | head -5", "uptime", "nproc", "gcc --version | head -1",
                  "cmake --version | head -1", f"cat {LLAMA}/UPSTREAM_COMMIT", "uname -a"]:
            r = subprocess.run(c, shell=True, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            f.write(f"$ {c}\n{r.stdout}\n")


def build(out, build_dir, jobs):
    cfg = ["cmake", "-S", LLAMA, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release", "-DGGML_NATIVE=ON",
           "-DLLAMA_BUILD_SERVER=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF", "-DLLAMA_BUILD_APP=OFF",
           "-DLLAMA_OPENSSL=OFF", "-DLLAMA_BUILD_UI=OFF", "-DLLAMA_BUILD_TESTS=OFF"]
    log_file = os.path.join(out, "build.log")
    if sh(cfg, out=log_file).returncode != 0:
        return False
    if sh(["cmake", "--build", build_dir, "-j", str(jobs), "--target", "llama-bench", "llama-quantize"],
          out=log_file).returncode != 0:
        return False
    bench = ["g++", "-O2", "-std=c++17", "-march=native", "-I", os.path.join(LLAMA, "ggml", "include"),
             os.path.join(ROOT, "bench", "cpu_llm", "ggml_ops_bench.cpp"), "-o",
             os.path.join(build_dir, "bin", "ggml_ops_bench"), "-L", os.path.join(build_dir, "bin"), "-lggml",
             "-lggml-base", "-lggml-cpu", "-Wl,-rpath," + os.path.join(build_dir, "bin")]
    return sh(bench, out=log_file).returncode == 0


def write_jsonl(f, stdout, preset, fmt):
    """llama-bench's JSON lines (each with samples_ns: every repeat's time), tagged with the preset and format."""
    n = 0
    for ln in stdout.splitlines():
        ln = ln.strip()
        if not ln.startswith("{"):
            continue
        try:
            row = json.loads(ln)
        except ValueError:
            continue
        row = {"preset": preset, "format": fmt, **row}
        f.write(json.dumps(row) + "\n")
        f.flush()
        n += 1
    return n


def make_gguf(models_dir, build_dir, preset, formats, jobs):
    """preset: a resources/models name, or tiny-<layers> (the framework floor: gguf_random.py --tiny)."""
    bf16 = os.path.join(models_dir, f"{preset}-bf16.gguf")
    if not os.path.exists(bf16):
        extra = []
        if preset.startswith("tiny-"):
            extra = ["--tiny", "--layers", preset.split("-", 1)[1]]
            preset_file = "llama-3.2-1b"
        else:
            preset_file = preset
        r = sh([sys.executable, os.path.join(ROOT, "bench", "cpu_llm", "gguf_random.py"), "--preset",
                os.path.join(ROOT, "resources", "models", preset_file + ".yaml"), "--out", bf16, "--gguf-py",
                os.path.join(LLAMA, "gguf-py")] + extra)
        if r.returncode != 0:
            return {}
    files = {"bf16": bf16}
    for fmt in formats:
        if fmt == "bf16":
            continue
        path = os.path.join(models_dir, f"{preset}-{fmt}.gguf")
        q = os.path.join(build_dir, "bin", "llama-quantize")
        pure = [] if fmt.endswith("_m") or fmt.endswith("_s") else ["--pure"]
        r = sh([q] + pure + [bf16, path, fmt.upper(), str(jobs)])
        if r.returncode == 0:
            files[fmt] = path
    if "bf16" not in formats:  # 8B-class bf16 files are 16 GB: the disk holds only a few
        os.remove(bf16)
        del files["bf16"]
    return files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--budget-s", type=float, default=540)
    ap.add_argument("--ops-budget-s", type=float, default=150)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 8)
    ap.add_argument("--models", default="llama-3.2-1b,qwen2.5-0.5b,llama-3.2-3b")
    ap.add_argument("--formats", default="q4_k,q8_0,bf16")
    ap.add_argument("--threads", default="16,4")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--pp", default="32,128,512")
    ap.add_argument("--tg", default="32")
    ap.add_argument("--depths", default="0,512")
    ap.add_argument("--skip-ops", action="store_true")
    ap.add_argument("--build-dir", default="/tmp/llama-build")
    ap.add_argument("--models-dir", default="/tmp/llama-models")
    ap.add_argument("--floor", default="tiny-2,tiny-16",
                    help="framework-floor models (calibration input, not validation): llama-bench tg/pp of 16 tokens")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    build_dir = a.build_dir
    models_dir = a.models_dir
    os.makedirs(models_dir, exist_ok=True)
    facts(a.out)
    log("facts written")
    if not build(a.out, build_dir, a.jobs):
        log("build failed")
        return 1
    log("built")
    if not a.skip_ops:
        ops_budget = min(a.ops_budget_s, left(a.budget_s) - 60)
        with open(os.path.join(a.out, "ops.csv"), "w") as f:
            r = subprocess.run([os.path.join(build_dir, "bin", "ggml_ops_bench"), "--threads", a.threads, "--reps",
                                "5", "--budget-s", str(ops_budget)], stdout=f, stderr=subprocess.PIPE, text=True,
                               timeout=ops_budget + 120)
        log("ops done, exit", r.returncode, r.stderr[-500:] if r.returncode else "")
    # The framework floor: tiny models of 2 and 16 layers (per-step and per-layer host cost), q8_0, before the e2e.
    with open(os.path.join(a.out, "floor.jsonl"), "w") as f:
        for preset in [p for p in a.floor.split(",") if p]:
            files = make_gguf(models_dir, build_dir, preset, ["q8_0"], a.jobs)
            for t in a.threads.split(","):
                if "q8_0" not in files or left(a.budget_s) < 60:
                    continue
                r = subprocess.run([os.path.join(build_dir, "bin", "llama-bench"), "-m", files["q8_0"], "-t", t,
                                    "-p", "16", "-n", "16", "-r", "5", "-o", "jsonl"], text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
                n = write_jsonl(f, r.stdout, preset, "q8_0")
                if not n:
                    log("floor: no output", preset, t, r.stderr[-500:])
        log("floor done")
    e2e = os.path.join(a.out, "e2e.jsonl")
    formats = a.formats.split(",")
    for preset in [p for p in a.models.split(",") if p]:
        if left(a.budget_s) < 40:
            log("budget spent before", preset)
            break
        files = make_gguf(models_dir, build_dir, preset, formats, a.jobs)
        for fmt in formats:
            if fmt not in files:
                continue
            for t in a.threads.split(","):
                remaining = left(a.budget_s)
                if remaining < 25:
                    log("budget spent at", preset, fmt, t)
                    break
                # Prompt processing at depth 0; token generation at each depth (two runs: llama-bench crosses
                # -p/-n with -d, and a deep prefill before every pp repeat would cost more than the pp itself).
                for args in (["-p", a.pp, "-n", "0"], ["-p", "0", "-n", a.tg, "-d", a.depths]):
                    remaining = left(a.budget_s)
                    if remaining < 20:
                        break
                    cmd = [os.path.join(build_dir, "bin", "llama-bench"), "-m", files[fmt], "-t", t] + args + \
                          ["-r", str(a.repeats), "-o", "jsonl"]
                    try:
                        r = subprocess.run(cmd, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                           timeout=remaining - 10)
                        stdout = r.stdout
                    except subprocess.TimeoutExpired as e:
                        log("timeout", preset, fmt, t, args)
                        r = None
                        stdout = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
                    with open(e2e, "a") as f:
                        n = write_jsonl(f, stdout, preset, fmt)
                    if not n:
                        log("no output", preset, fmt, t, r.stderr[-800:] if r else "")
                    log("e2e", preset, fmt, "threads", t, args, n, "rows")
    with open(os.path.join(a.out, "host.txt"), "a") as f:
        r = subprocess.run("uptime; ls -la " + models_dir, shell=True, text=True, stdout=subprocess.PIPE)
        f.write("\n$ (end) uptime; ls -la models\n" + r.stdout)
    log("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
