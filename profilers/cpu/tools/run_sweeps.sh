#!/bin/bash
# Repeated CPU sweeps on a host without rooflab's dependencies (the Xeon host of the GPU machines), with the static
# rooflab-bench-cpu of build_static.sh. Usage: run_sweeps.sh BIN_DIR OUT_DIR [SWEEPS]
# Each sweep k writes OUT_DIR/sweep-k/{a,b}: a = bandwidth, latency, flops (default thread counts: 1, 2, 4, ... all);
# b = softmax and reduction at 1, half and all hardware threads. Sweep 1 also runs the SMT-pairing probe. First the
# plain OpenMP STREAM triad (-O3 -march=native) on the same host, three times: the reference for the triad target.
# Environment: ONLY_A (default bandwidth,latency,flops), THREADS_A (default: the benchmark's 1, 2, 4 … all) and
# THREADS_B (default 1,half,all) change what a and b measure.
set -u
BIN=$1; OUT=$2; N=${3:-3}
mkdir -p "$OUT"
{ date -u +%FT%TZ; lscpu; lscpu -e; free -g; nvidia-smi -L 2>/dev/null; uname -a; } > "$OUT/host_env.txt" 2>&1
"$BIN/rooflab-bench-cpu" --doctor > "$OUT/doctor.json" 2>&1
ALL=$(nproc); HALF=$((ALL / 2))
echo "=== [$SECONDS s] stream reference"
if gcc -O3 -march=native -fopenmp "$BIN/stream_triad.c" -o "$OUT/stream_triad" 2> "$OUT/stream_build.txt"; then
  gcc --version | head -1 >> "$OUT/stream_build.txt"
  for r in 1 2 3; do
    timeout 60 "$OUT/stream_triad" 160000000 1,2,4,8,$ALL 10 > "$OUT/stream_reference_$r.csv" 2>&1; echo "stream rc=$?"
  done
  rm -f "$OUT/stream_triad"
else
  echo "no gcc on this host: stream reference skipped"; cat "$OUT/stream_build.txt"
fi
for k in $(seq 1 "$N"); do
  echo "=== [$SECONDS s] sweep $k"
  d=$OUT/sweep-$k; mkdir -p "$d"
  ONLY=${ONLY_A:-bandwidth,latency,flops}; [ "$k" = 1 ] && [ -z "${ONLY_A:-}" ] && ONLY=$ONLY,smt
  TA=(); [ -n "${THREADS_A:-}" ] && TA=(--thread-counts "$THREADS_A")
  timeout 200 "$BIN/rooflab-bench-cpu" --quick --only "$ONLY" "${TA[@]}" --out "$d/a" > "$d/a.log" 2>&1; echo "a rc=$?"
  timeout 200 "$BIN/rooflab-bench-cpu" --quick --only softmax,reduction --thread-counts "${THREADS_B:-1,$HALF,$ALL}" --out "$d/b" \
    > "$d/b.log" 2>&1; echo "b rc=$?"
  tail -n 2 "$d/a.log" "$d/b.log"
done
echo "=== [$SECONDS s] done"
