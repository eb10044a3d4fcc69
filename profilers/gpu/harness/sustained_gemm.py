"""Sustained tensor-core throughput: does a long run of large bf16 GEMMs (as in a long prefill) keep the rate of a
short burst? Times every product with CUDA events over several seconds, rotating weights larger than L2, random data,
and samples the SM clock and power with nvidia-smi. Writes sustained_gemm.csv (t_s, shape, seconds, tflops) and
sustained_clock.csv. A microbenchmark for calibration (never an end-to-end run)."""
import argparse, csv, json, os, subprocess, threading, time
import torch

ap = argparse.ArgumentParser()
ap.add_argument("--out", default=".")
ap.add_argument("--seconds", type=float, default=6.0)
a = ap.parse_args()
os.makedirs(a.out, exist_ok=True)
torch.manual_seed(0)
dev = "cuda"
shapes = [(8192, 28672, 4096), (8192, 8192, 8192), (8192, 4096, 14336)]
samples = []
stop = False


def sampler():
    while not stop:
        try:
            q = subprocess.run(["nvidia-smi", "--query-gpu=clocks.sm,power.draw,temperature.gpu",
                                "--format=csv,noheader,nounits"], capture_output=True, text=True, timeout=5).stdout
            sm, pw, tc = [x.strip() for x in q.strip().split(",")[:3]]
            samples.append((time.time(), float(sm), float(pw), float(tc)))
        except Exception:  # noqa: BLE001
            pass
        time.sleep(0.1)


rows = []
th = threading.Thread(target=sampler, daemon=True)
th.start()
t0 = time.time()
for (m, n, k) in shapes:
    A = [torch.randn(m, k, device=dev, dtype=torch.bfloat16) for _ in range(2)]
    B = [torch.randn(k, n, device=dev, dtype=torch.bfloat16) for _ in range(2)]
    for i in range(5):
        A[i % 2] @ B[i % 2]
    torch.cuda.synchronize()
    # idle 1 s so each shape starts from a cool, boosted state
    time.sleep(1.0)
    start = time.time()
    i = 0
    while time.time() - start < a.seconds:
        e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        e0.record()
        A[i % 2] @ B[i % 2]
        e1.record()
        e1.synchronize()
        s = e0.elapsed_time(e1) / 1e3
        rows.append((time.time() - start, f"{m}x{n}x{k}", s, 2.0 * m * n * k / s / 1e12))
        i += 1
stop = True
th.join(timeout=2)
with open(os.path.join(a.out, "sustained_gemm.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["t_s", "shape", "seconds", "tflops"])
    w.writerows(rows)
with open(os.path.join(a.out, "sustained_clock.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["t_s", "sm_clock_mhz", "power_w", "temp_c"])
    w.writerows([(s[0] - t0, s[1], s[2], s[3]) for s in samples])
prov = {"card": torch.cuda.get_device_name(), "torch": torch.__version__, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": "python3 sustained_gemm.py --out $OUT --seconds %g" % a.seconds}
json.dump(prov, open(os.path.join(a.out, "sustained_provenance.json"), "w"), indent=1)
import statistics
for shape in sorted(set(r[1] for r in rows)):
    rs = [r for r in rows if r[1] == shape]
    first = [r[3] for r in rs if r[0] < 0.05]
    late = [r[3] for r in rs if r[0] > a.seconds / 2]
    print(shape, "first 50 ms: %.0f TFLOP/s" % statistics.median(first) if first else "", "second half: %.0f TFLOP/s" % statistics.median(late))
print("clock samples (MHz, W):", [(round(s[1]), round(s[2])) for s in samples[::5]])
