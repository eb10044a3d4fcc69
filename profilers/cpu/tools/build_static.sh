#!/bin/sh
# Builds rooflab-bench-cpu as one fully static binary (glibc, libstdc++, libpfm4 linked in; hwloc left out,
# topology from sysfs) so it runs on hosts without rooflab's dependencies, e.g. the Xeon host of the GPU
# machines. Usage: profilers/cpu/tools/build_static.sh [OUTPUT_DIR]   (default: build-static)
set -eu
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
OUT=${1:-$ROOT/build-static}
mkdir -p "$OUT"
FLAGS="-O2 -std=c++20 -static -pthread"
PFM=""
if [ -f /usr/include/perfmon/pfmlib_perf_event.h ] && [ -f /usr/lib/x86_64-linux-gnu/libpfm.a ]; then
    PFM="-DROOFLAB_HAVE_LIBPFM=1 /usr/lib/x86_64-linux-gnu/libpfm.a"
fi
SRC="$ROOT/profilers/cpu"
# shellcheck disable=SC2086
g++ $FLAGS -Wall -Wextra -I"$ROOT" -DROOFLAB_PROFILERS_FLAGS="\"static: $FLAGS (no -march; run-time ISA dispatch)\"" \
    "$SRC/tools/bench_cpu_main.cpp" "$SRC/bandwidth.cpp" "$SRC/cpuinfo.cpp" "$SRC/flops.cpp" "$SRC/flops_kernels.cpp" \
    "$SRC/latency.cpp" "$SRC/pmu.cpp" "$SRC/smt.cpp" "$SRC/softmax.cpp" "$SRC/suite.cpp" "$SRC/thread_team.cpp" "$ROOT/profilers/topology/topology.cpp" \
    $PFM -o "$OUT/rooflab-bench-cpu"
cp "$SRC/reference/stream_triad.c" "$OUT/"
echo "built $OUT/rooflab-bench-cpu"
