#!/bin/bash
# One device-machine session of rooflab GPU measurements. Usage (from the repo root, on the GPU host):
#   profilers/gpu/harness/run_device.sh <plan>      plan: h100 | h200 | smoke, or one of the single-purpose plans below (decode8k, cpuprof, cpucal, h200f, cpugemm, ...)
# Needs rooflab-gpu-bench and librooflab_cupti_inject.so in $BIN (default build/gpu/profilers/gpu); writes
# everything under $OUT/raw and packs it into $OUT/<plan>.tar.gz after each step (a later kill keeps the earlier).
set -u
PLAN=${1:-smoke}
OUT=${OUT:-/tmp/rooflab-out}
BIN=${BIN:-build/gpu/profilers/gpu}
R=$OUT/raw
mkdir -p "$R"
PYNV=$(python3 -c "import nvidia, os; print(os.path.dirname(list(nvidia.__path__)[0]) + '/nvidia')" 2>/dev/null)
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:/usr/local/cuda/extras/CUPTI/lib64:${LD_LIBRARY_PATH:-}:$PYNV/cublas/lib:$PYNV/cuda_cupti/lib:$PYNV/cu13/lib
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1 PYTHONUNBUFFERED=1
LIMIT=${LIMIT:-540}
pack() { tar czf "$OUT/$PLAN.tar.gz" -C "$R" . 2>/dev/null; }
left() { echo $((LIMIT - SECONDS)); }
step() { echo "=== [$SECONDS s] $*"; }
triad() { # <csv name> <seconds>: the host's OpenMP STREAM triad at 1, 4 and 16 threads
  [ -x /tmp/st ] || gcc -O3 -march=native -fopenmp profilers/cpu/reference/stream_triad.c -o /tmp/st 2>&1 | tail -2
  timeout "$2" /tmp/st 160000000 1,4,16 10 > "$R/$1" 2>&1; cat "$R/$1"
}
host_begin() { # the host-CPU plans' start: lscpu, the CPU time counters (steal), a STREAM triad
  { lscpu; free -g; nproc; } > "$R/host_cpu.txt" 2>&1
  head -1 /proc/stat > "$R/cpu_stat.txt"
  step stream triad
  triad stream_triad.csv 40; pack
}
host_end() { # and their end: the counters and the triad again, then stop
  head -1 /proc/stat >> "$R/cpu_stat.txt"
  triad stream_triad_after.csv 30
  pack; step done; exit 0
}

step env
{ nvidia-smi; nvidia-smi -q -d CLOCK,PERFORMANCE,POWER; cat /proc/driver/nvidia/version; uname -a; nvcc --version;
  python3 -c "import torch; print('torch', torch.__version__, torch.version.cuda)"; date -u +%FT%TZ; } > "$R/env.txt" 2>&1
{ ldd "$BIN/rooflab-gpu-bench"; ldd "$BIN/librooflab_cupti_inject.so"; } > "$R/ldd.txt" 2>&1; grep "not found" "$R/ldd.txt"
pack

step torch baselines
case $PLAN in decode8k | cpuprof | cpucal | gemvctx) ;; *) timeout 90 python3 profilers/gpu/harness/torch_baselines.py --out "$R/torch_baseline.csv" --provenance "$R/torch_provenance.json" 2>&1 | tail -12 ;; esac
pack

if [ "$PLAN" = h100b ]; then # second H100 pass: new bandwidth kernels (twice, for the spread), counters, CLI
  step bench bandwidth,counters
  timeout 120 "$BIN/rooflab-gpu-bench" --only bandwidth,counters --out "$R/bench" > "$R/bench_fast.log" 2>&1; echo "rc=$?"
  grep -E "counters|l2 [0-9]+ MiB|FAILED" "$R/bench_fast.log" | tail -24; pack
  step bench bandwidth repeat
  timeout 60 "$BIN/rooflab-gpu-bench" --only bandwidth --out "$R/bench_repeat" > "$R/bench_repeat.log" 2>&1; echo "rc=$?"; pack
  step rooflab CLI
  export LD_LIBRARY_PATH=$BIN/lib:$LD_LIBRARY_PATH
  timeout 60 "$BIN/rooflab" bench gpu --only launch --quick --out "$R/cli_launch" 2>&1 | tail -4
  timeout 200 "$BIN/rooflab" profile --metrics roofline --window --out "$R/trace_metrics_llama-3.2-1b-prefill-b1-p512-c0-tp1.csv" -- \
    python3 profilers/gpu/harness/llama_bench.py --model llama-3.2-1b --cases prefill:1x512 --window 2>&1 | grep -v Warning | tail -15
  timeout 60 "$BIN/rooflab" profile --out "$R/trace_cli_decode_llama-3.2-1b-b1-c128.csv" --window -- \
    python3 profilers/gpu/harness/llama_bench.py --model llama-3.2-1b --cases decode:1x128 --window 2>&1 | grep -v Warning | tail -12
  pack; step done; exit 0
fi

if [ "$PLAN" = metrics ]; then # counters through the injection library on a PyTorch prefill (1 pass)
  export LD_LIBRARY_PATH=$BIN/lib:$LD_LIBRARY_PATH
  step profile metrics prefill
  timeout 150 "$BIN/rooflab" profile --metrics roofline --window --out "$R/trace_metrics_llama-3.2-1b-prefill-b1-p512-c0-tp1.csv" -- \
    python3 profilers/gpu/harness/llama_bench.py --model llama-3.2-1b --cases prefill:1x512 --window 2>&1 | grep -v Warning | tail -16
  step profile metrics prefill 8b
  timeout 150 "$BIN/rooflab" profile --metrics roofline --window --out "$R/trace_metrics_llama-3.1-8b-prefill-b1-p1024-c0-tp1.csv" -- \
    python3 profilers/gpu/harness/llama_bench.py --model llama-3.1-8b --cases prefill:1x1024 --window 2>&1 | grep -v Warning | tail -12
  pack; step done; exit 0
fi

if [ "$PLAN" = s3 ]; then # one GPU: host floor, counters through the injection library on PyTorch, a long-prefill trace
  export LD_LIBRARY_PATH=$BIN/lib:$LD_LIBRARY_PATH
  step host floor tp1
  timeout 90 python3 profilers/gpu/harness/llama_bench.py --host-floor "$R/host_floor.csv" 2>&1 | grep -E "^\[host\]|Error"
  pack
  step counters
  timeout 90 "$BIN/rooflab-gpu-bench" --only counters --out "$R/bench" > "$R/bench_counters.log" 2>&1; echo "rc=$?"
  grep -iE "counters|pass|FAILED" "$R/bench_counters.log" | tail -8; tail -3 "$R/bench/counters_metrics.txt" 2>/dev/null
  pack
  step profile metrics prefill
  timeout 150 "$BIN/rooflab" profile --metrics roofline --window --out "$R/trace_metrics_llama-3.2-1b-prefill-b1-p512-c0-tp1.csv" -- \
    python3 profilers/gpu/harness/llama_bench.py --model llama-3.2-1b --cases prefill:1x512 --window 2>&1 | grep -v Warning | tail -14
  echo "rc=$?"; pack
  step trace long prefill
  timeout 60 python3 profilers/gpu/harness/llama_bench.py --model llama-3.1-8b --cases prefill:4x2048 \
    --torch-trace "$R/trace_llama-3.1-8b-prefill-b4-p2048-c0-tp1.csv" 2>&1 | grep -v Warning | tail -2
  pack; step done; exit 0
fi

three_models() { # one TP-1 case set per model (1B, 8B, 70B 8-layer slice) into $1, each run limited to $2 s;
  # $3 $4 $5: the 1B, 8B and 70B cases; $6: more llama_bench.py options
  local out=$1 limit=$2 opts=${6:-} spec m c
  for spec in "llama-3.2-1b|$3" "llama-3.1-8b|$4" "datasets/hopper/models/llama-3.1-70b-8layers.yaml|$5"; do
    m=${spec%%|*}; c=${spec#*|}
    timeout "$limit" python3 profilers/gpu/harness/llama_bench.py --model "$m" --cases "$c" --out "$out" --budget-s 0.4 \
      $opts 2>&1 | grep "^\[e2e\]"
    pack
  done
}

e2e_set() { # the H100 plan's e2e case set (1B, 8B, 70B 8-layer slice) into $1; $2: more llama_bench.py options
  three_models "$1" 100 \
    "prefill:1x128,1x512,1x2048,1x8192,4x512,4x2048,16x128,16x1024,8x8192;decode:1x128,1x2048,1x8192,8x1024,16x2048,64x128,64x2048,64x8192" \
    "prefill:1x128,1x1024,1x4096,1x8192,4x2048,8x1024,16x512;decode:1x128,1x2048,1x8192,8x2048,16x4096,32x1024,64x512,64x2048" \
    "prefill:1x128,1x2048,4x1024,1x8192;decode:1x128,1x4096,16x1024,64x512,32x2048" "${2:-}"
}

host_floor_runs() { # $1 runs of the tp1 host floor, each its own process
  for i in $(seq 1 "$1"); do
    step host floor tp1 run $i
    timeout 60 python3 profilers/gpu/harness/llama_bench.py --host-floor "$R/host_floor.csv" 2>&1 | grep -E "^\[host\]|Error"
  done
  pack
}

if [ "$PLAN" = h200b ]; then # one H200, no binaries: host floor, single-op calibration, sustained clock, e2e set
  { lscpu; free -g; nproc; } > "$R/host_cpu.txt" 2>&1; grep -E "Model name|^CPU\(s\)|Model:" "$R/host_cpu.txt"
  host_floor_runs 3
  step e2e; e2e_set "$R/e2e.csv"
  step single-op microbenchmarks
  (cd profilers/gpu/harness && timeout 150 python3 op_microbench.py --out "$R/ops" --sdpa flash --budget-s 110 > "$R/op_microbench.log" 2>&1; echo "rc=$?")
  tail -4 "$R/op_microbench.log"; pack
  step sustained gemm
  (cd profilers/gpu/harness && timeout 60 python3 sustained_gemm.py --out "$R/sustained" --seconds 5 2>&1 | tail -3)
  pack; step done; exit 0
fi

if [ "$PLAN" = h200c ]; then # one H200: host floor timed before torch.profiler, a repeat of the e2e set, then
  # CPU sweeps of the host with the static rooflab-bench-cpu (CPU_BIN) at more thread counts
  { lscpu; free -g; nproc; } > "$R/host_cpu.txt" 2>&1; grep -E "Model name|^CPU\(s\)|Model:" "$R/host_cpu.txt"
  host_floor_runs 2
  step e2e; e2e_set "$R/e2e.csv"
  host_floor_runs 1
  if [ -n "${CPU_BIN:-}" ]; then
    step cpu sweeps
    N=$(nproc)
    THREADS_A=1,2,3,4,6,8,12,$N THREADS_B=1,4,8,12,$N ONLY_A=bandwidth \
      timeout $(( $(left) - 10 )) bash profilers/cpu/tools/run_sweeps.sh "$CPU_BIN" "$R/cpu" 2 2>&1 | tail -12
  fi
  pack; step done; exit 0
fi

if [ "$PLAN" = h200d ]; then # one H200: the e2e set's prefills replayed from CUDA graphs, twice
  for i in 1 2; do step graph prefill pass $i; e2e_set "$R/e2e_graph.csv" --prefill-graph; done
  step done; exit 0
fi

if [ "$PLAN" = h200e ]; then # one H200, another day's machine: a held-out GEMM sweep and the graph-captured e2e set
  { lscpu; free -g; nproc; } > "$R/host_cpu.txt" 2>&1
  step gemm sweep
  timeout 150 "$BIN/rooflab-gpu-bench" --only gemm --out "$R/bench_gemm" > "$R/bench_gemm.log" 2>&1
  echo "rc=$?"; grep -E "shapes|FAILED|done in" "$R/bench_gemm.log" | tail -8; pack
  step graph prefill; e2e_set "$R/e2e_graph.csv" --prefill-graph
  pack; step done; exit 0
fi

heldout2_set() { # shapes the e2e set does not have (odd batches, contexts between its grid points), graph-captured
  three_models "$1" 120 \
    "prefill:2x768,8x256,32x512,1x3072;decode:2x512,4x4096,12x1024,24x3072,48x1024,128x512,16x4096,32x8192" \
    "prefill:2x1536,1x6144,12x256,32x128;decode:2x4096,4x1024,12x6144,24x2048,48x1024,96x512,16x8192" \
    "prefill:2x512,1x4096,8x768;decode:2x2048,8x8192,24x1024,48x3072,128x256" --prefill-graph
}

heldout3_set() { # shapes measured after the model was frozen (2026-12-02 16:xx): other odd batches and contexts
  three_models "$1" 120 \
    "prefill:3x300,6x1000,1x5000,20x200;decode:3x1500,6x7000,10x300,20x5000,40x1500,80x300" \
    "prefill:3x1000,1x2500,6x600,10x300;decode:3x7000,6x1500,10x5000,20x1500,40x700,80x300" \
    "prefill:3x300,1x2500,2x1500;decode:3x5000,10x1500,20x700,40x300,80x1500" --prefill-graph
}

if [ "$PLAN" = h200h ]; then # one H200: e2e shapes measured after the model was frozen (validation only)
  { lscpu; free -g; nproc; } > "$R/host_cpu.txt" 2>&1
  step held-out shapes 3; heldout3_set "$R/e2e_heldout3.csv"
  pack; step done; exit 0
fi

if [ "$PLAN" = h200f ]; then # one H200: a dense decode-attention grid (calibration), then e2e shapes not measured
  # before (validation) and the graph-captured e2e set once more
  { lscpu; free -g; nproc; } > "$R/host_cpu.txt" 2>&1
  step decode attention grid
  (cd profilers/gpu/harness && timeout 200 python3 op_microbench.py --out "$R/ops" --sdpa flash --only attention_decode \
    --budget-s 180 > "$R/op_microbench_decode.log" 2>&1; echo "rc=$?")
  grep -c "^\[attn\] b=" "$R/op_microbench_decode.log"; tail -2 "$R/op_microbench_decode.log"; pack
  step held-out shapes; heldout2_set "$R/e2e_heldout2.csv"
  step graph prefill; e2e_set "$R/e2e_graph.csv" --prefill-graph
  pack; step done; exit 0
fi

if [ "$PLAN" = h200g ]; then # one H200: the stacks' strided element-wise ops at small sizes (calibration), and
  # per-kernel traces of two graph-replayed decode steps
  step strided elementwise
  (cd profilers/gpu/harness && timeout 150 python3 op_microbench.py --out "$R/ops" --sdpa flash --only strided \
    --budget-s 120 > "$R/op_microbench_strided.log" 2>&1; echo "rc=$?")
  grep -c "^\[elem\]" "$R/op_microbench_strided.log"; tail -3 "$R/op_microbench_strided.log"; pack
  for tc in "llama-3.2-1b|decode:64x128|llama-3.2-1b-decode-b64-p0-c128-tp1" \
            "llama-3.1-8b|decode:16x4096|llama-3.1-8b-decode-b16-p0-c4096-tp1"; do
    IFS='|' read -r m c id <<< "$tc"
    step trace $id
    timeout 90 python3 profilers/gpu/harness/llama_bench.py --model $m --cases "$c" --torch-trace "$R/trace_$id.csv" 2>&1 | tail -2
    pack
  done
  step done; exit 0
fi

if [ "$PLAN" = cpugemm ]; then # the host CPU: PyTorch GEMMs (oneDNN: AVX-512 fp32, AMX bf16), the CPU model's reference
  { lscpu; free -g; nproc; } > "$R/host_cpu.txt" 2>&1
  step cpu gemm
  CUDA_VISIBLE_DEVICES= timeout $(( $(left) - 10 )) python3 profilers/cpu/reference/torch_cpu_gemm.py \
    --out "$R/cpu_gemm.csv" 2>&1 | tail -60
  pack; step done; exit 0
fi

if [ "$PLAN" = tpgraph ]; then # a multi-GPU host (2 or 4 GPUs): the TP e2e cases with prefill replayed from one CUDA
  # graph per rank (NCCL all-reduces captured in it, as decode already is), so the host leaves the measurement;
  # then the NCCL sweep. Issue 6's "TP 2/4, graph-captured" rows. Writes e2e_graph.csv.
  NG=$(nvidia-smi -L | wc -l)
  nvidia-smi topo -m > "$R/topo.txt" 2>&1
  { lscpu; free -g; nproc; } > "$R/host_cpu.txt" 2>&1
  for n in 2 4; do
    [ $n -gt $NG ] && break
    step e2e graph tp$n
    RUN="python3 -m torch.distributed.run --nproc-per-node $n"
    for spec in "llama-3.1-8b|prefill:1x128,1x1024,4x2048,1x8192,16x512;decode:1x2048,16x4096,64x2048,8x1024" \
                "datasets/hopper/models/llama-3.1-70b-8layers.yaml|prefill:1x128,1x2048,1x8192,4x1024;decode:1x4096,64x512,32x2048" \
                "llama-3.2-1b|prefill:1x512,4x2048;decode:1x128,64x2048"; do
      m=${spec%%|*}; c=${spec#*|}
      t=$(( $(left) - ${RESERVE:-60} )); [ $t -lt 30 ] && break
      [ $t -gt 150 ] && t=150
      timeout $t $RUN profilers/gpu/harness/llama_bench.py --model "$m" --cases "$c" --out "$R/e2e_graph.csv" \
        --budget-s 0.3 --prefill-graph 2>&1 | grep "^\[e2e\]"
      pack
    done
  done
  step nccl tp$NG
  t=$(( $(left) - 10 )); [ $t -gt 20 ] && timeout $t python3 -m torch.distributed.run --nproc-per-node $NG \
    profilers/gpu/harness/nccl_bench.py --out "$R/nccl.csv" 2>&1 | grep -E "^\[nccl\]" | tail -4
  pack; step done; exit 0
fi

if [ "$PLAN" = tp ]; then # host floor at TP 1/2/4, TP2 and TP4 e2e on one multi-GPU H100 host
  NG=$(nvidia-smi -L | wc -l)
  nvidia-smi topo -m > "$R/topo.txt" 2>&1
  step host floor tp1
  timeout 90 python3 profilers/gpu/harness/llama_bench.py --host-floor "$R/host_floor.csv" 2>&1 | grep -E "^\[host\]|Error"
  for n in 2 4; do
    [ $n -gt $NG ] && break
    step host floor tp$n
    timeout 120 python3 -m torch.distributed.run --nproc-per-node $n profilers/gpu/harness/llama_bench.py \
      --host-floor "$R/host_floor.csv" 2>&1 | grep -E "^\[host\]|Error"
  done
  pack
  for n in 2 4; do
    [ $n -gt $NG ] && break
    step e2e tp$n
    RUN="python3 -m torch.distributed.run --nproc-per-node $n"
    for spec in "llama-3.1-8b|decode:1x2048,16x4096,64x2048;prefill:1x128,1x1024,4x2048,1x8192" \
                "datasets/hopper/models/llama-3.1-70b-8layers.yaml|decode:1x4096,64x512;prefill:1x2048,1x8192"; do
      m=${spec%%|*}; c=${spec#*|}
      t=$(( $(left) - ${RESERVE:-30} )); [ $t -lt 30 ] && break
      [ $t -gt 150 ] && t=150
      timeout $t $RUN profilers/gpu/harness/llama_bench.py --model "$m" --cases "$c" --out "$R/e2e.csv" --budget-s 0.3 2>&1 | grep "^\[e2e\]"
      pack
    done
  done
  step nccl tp2
  t=$(( $(left) - 10 )); [ $t -gt 20 ] && timeout $t python3 -m torch.distributed.run --nproc-per-node 2 \
    profilers/gpu/harness/nccl_bench.py --out "$R/nccl_tp2.csv" 2>&1 | grep -E "^\[nccl\]" | tail -4
  pack; step done; exit 0
fi

if [ "$PLAN" = cpucal ]; then # the host Xeon only (issue 18): the single-op microbenchmarks the CPU stacks are fitted on
  # and the e2e rows they are checked on, in one session on one machine, between two STREAM triads
  host_begin
  step cpu ops and e2e
  t=$(( $(left) - 45 ))
  timeout $t python3 bench/cpu_llm/cpu_llm_bench.py --out "$R/cpu" --sections facts,ops,e2e --models llama-3.2-1b,qwen2.5-0.5b \
    --op-threads 16,4,8,1 --ops-budget-s ${OPS_S:-190} --budget-s $((t - 10)) > "$R/cpu_llm.log" 2>&1; echo "rc=$?"
  grep -E "decode|prefill" "$R/cpu_llm.log" | head -40
  host_end
fi

if [ "$PLAN" = gemvctx ]; then # the host Xeon only (issue 18): one-token GEMVs alone, in model order, and with the host
  # time or the element-wise ops of a step in between; the 1B decode profiled and end to end on the same machine
  host_begin
  step gemv in context
  timeout 170 python3 bench/cpu_llm/gemv_context.py --out "$R/gemv_context.csv" --threads 16,8,4 --model llama-3.2-1b 2>&1 | grep gemvctx
  pack
  step cpu profile and e2e decode
  timeout 100 python3 bench/cpu_llm/cpu_llm_bench.py --out "$R/cpu" --sections facts,profile --models llama-3.2-1b \
    --budget-s 90 > "$R/cpu_profile.log" 2>&1; echo "rc=$?"; grep -E "profile" "$R/cpu_profile.log" | head -12; pack
  t=$(( $(left) - 40 )); [ $t -gt 40 ] && timeout $t python3 bench/cpu_llm/cpu_llm_bench.py --out "$R/cpu_e2e" \
    --sections e2e --models llama-3.2-1b --budget-s $((t - 10)) > "$R/cpu_llm.log" 2>&1
  grep -E "decode|prefill" "$R/cpu_llm.log" | head -24
  host_end
fi

if [ "$PLAN" = cpuprof ]; then # the host Xeon only (issue 18): speed probes, then where a real model's step goes
  host_begin
  step cpu profile
  timeout 170 python3 bench/cpu_llm/cpu_llm_bench.py --out "$R/cpu" --sections facts,profile \
    --models llama-3.2-1b,qwen2.5-0.5b --budget-s 160 > "$R/cpu_profile.log" 2>&1; echo "rc=$?"
  grep -E "profile" "$R/cpu_profile.log" | head -24; pack
  step cpu e2e
  t=$(( $(left) - 40 )); [ $t -gt 60 ] && timeout $t python3 bench/cpu_llm/cpu_llm_bench.py --out "$R/cpu_e2e" \
    --sections e2e --models llama-3.2-1b,qwen2.5-0.5b --budget-s $((t - 10)) > "$R/cpu_llm.log" 2>&1
  grep -E "decode|prefill" "$R/cpu_llm.log" | head -30
  host_end
fi

case $PLAN in
  smoke | decode8k) ONLY_FAST=launch; Q=--quick ;;
  x2) ONLY_FAST=bandwidth,counters; Q= ;;
  x4) ONLY_FAST=launch; Q=--quick ;;
  *) ONLY_FAST=launch,bandwidth,latency,flops,hostlink,counters; Q= ;;
esac
step bench $ONLY_FAST $Q
timeout 170 "$BIN/rooflab-gpu-bench" --only $ONLY_FAST $Q --out "$R/bench" > "$R/bench_fast.log" 2>&1
echo "rc=$?"; grep -E "TB/s|GB/s|TFLOP|us$|FAILED|cycles" "$R/bench_fast.log" | grep -vE "KiB: [0-9.]+ GB/s" | tail -40
pack

e2e() { # model cases [extra args]
  local m=$1 c=$2; shift 2
  local t=$(( $(left) - ${RESERVE:-150} ))
  [ $t -lt 20 ] && { echo "skip e2e $m: no time"; return; }
  timeout $t python3 profilers/gpu/harness/llama_bench.py --model "$m" --cases "$c" --out "$R/e2e.csv" --budget-s 0.4 "$@" 2>&1 | grep -v Warning
  pack
}
if [ "$PLAN" = decode8k ]; then # one GPU (issue 17: H200 decode at batch 32 x 8k keys predicted slow): the harness's
  # SDPA decode kernel at 8193 keys around the flash-decoding split threshold, and the same shapes end to end (graph
  # decode); first a probe of the host CPU's speed (issue 18: the same 1B decode ran 36 vs 66 ms on two machines)
  { lscpu; free -g; nproc; } > "$R/host_cpu.txt" 2>&1
  if [ -z "${SKIP_CPU:-}" ]; then # SKIP_CPU=1: the GPU parts only
  step cpu probe
  head -1 /proc/stat > "$R/cpu_stat.txt"
  timeout 100 python3 bench/cpu_llm/cpu_llm_bench.py --out "$R/cpu" --sections facts,e2e --models llama-3.2-1b \
    --budget-s 80 > "$R/cpu_llm.log" 2>&1; echo "rc=$?"; grep -E "decode|prefill" "$R/cpu_llm.log" | head -12
  timeout 75 python3 bench/cpu_llm/cpu_llm_bench.py --out "$R/cpu" --sections profile --models llama-3.2-1b \
    --budget-s 70 > "$R/cpu_profile.log" 2>&1; echo "rc=$?"; grep -E "profile" "$R/cpu_profile.log" | head -12
  head -1 /proc/stat >> "$R/cpu_stat.txt"
  triad stream_triad.csv 40; pack
  fi
  step decode attention at 8193 keys
  (cd profilers/gpu/harness && timeout 120 python3 op_microbench.py --out "$R/ops" --sdpa flash --only attention_decode \
    --decode-seq-k 8193 --decode-batches 16,20,24,26,28,32,40,48,64 --budget-s 100 > "$R/op_microbench_decode8k.log" 2>&1
   echo "rc=$?")
  grep -c "^\[attn\] b=" "$R/op_microbench_decode8k.log"; pack
  step e2e decode at 8k
  RESERVE=150 e2e llama-3.1-8b "decode:16x8192,24x8192,28x8192,32x8192,40x8192,48x8192"
  RESERVE=90 e2e llama-3.2-1b "decode:16x8192,24x8192,32x8192,48x8192,64x8192"
  RESERVE=30 e2e datasets/hopper/models/llama-3.1-70b-8layers.yaml "decode:16x8192,24x8192,32x8192,48x8192"
  pack; step done; exit 0
fi

if [ "$PLAN" = h100 ]; then
  step e2e
  RESERVE=260 e2e llama-3.2-1b "prefill:1x128,1x512,1x2048,1x8192,4x512,4x2048,16x128,16x1024,8x8192;decode:1x128,1x2048,1x8192,8x1024,16x2048,64x128,64x2048,64x8192"
  RESERVE=220 e2e llama-3.1-8b "prefill:1x128,1x1024,1x4096,1x8192,4x2048,8x1024,16x512;decode:1x128,1x2048,1x8192,8x2048,16x4096,32x1024,64x512,64x2048"
  RESERVE=190 e2e datasets/hopper/models/llama-3.1-70b-8layers.yaml "prefill:1x128,1x2048,4x1024,1x8192;decode:1x128,1x4096,16x1024,64x512,32x2048"
elif [ "$PLAN" = h200 ]; then
  step e2e
  RESERVE=200 e2e llama-3.2-1b "prefill:1x128,1x2048,1x8192,16x1024;decode:1x128,1x8192,64x2048,64x8192"
  RESERVE=170 e2e llama-3.1-8b "prefill:1x128,1x1024,1x8192,4x2048;decode:1x128,1x2048,16x4096,64x2048,64x8192"
  RESERVE=150 e2e datasets/hopper/models/llama-3.1-70b-8layers.yaml "prefill:1x2048,1x8192;decode:1x4096,64x512,64x2048"
elif [ "$PLAN" = x2 ] || [ "$PLAN" = x4 ]; then
  step nccl
  NG=$(nvidia-smi -L | wc -l)
  nvidia-smi topo -m > "$R/topo.txt" 2>&1
  timeout 150 python3 -m torch.distributed.run --nproc-per-node $NG profilers/gpu/harness/nccl_bench.py --out "$R/nccl.csv" 2>&1 | grep -E "^\[nccl\]|Error|error" | tail -20
  pack
  step e2e tp$NG
  RUN="python3 -m torch.distributed.run --nproc-per-node $NG"
  for spec in "llama-3.1-8b|prefill:1x1024,4x2048,1x8192;decode:1x2048,16x4096,64x2048" \
              "datasets/hopper/models/llama-3.1-70b-8layers.yaml|prefill:1x2048,1x8192;decode:1x4096,64x512"; do
    m=${spec%%|*}; c=${spec#*|}
    t=$(( $(left) - 40 )); [ $t -lt 30 ] && break
    timeout $t $RUN profilers/gpu/harness/llama_bench.py --model "$m" --cases "$c" --out "$R/e2e.csv" --budget-s 0.4 2>&1 | grep "^\[e2e\]"
    pack
  done
elif [ "$PLAN" = smoke ]; then
  e2e llama-3.2-1b "prefill:1x128;decode:2x128"
fi

if [ "$PLAN" != x2 ] && [ "$PLAN" != x4 ]; then
  step traces
  for tc in "prefill:1x1024" "decode:8x2048"; do
    id=llama-3.1-8b-${tc%%:*}-$( [ ${tc%%:*} = prefill ] && echo b1-p1024-c0 || echo b8-p0-c2048 )-tp1
    [ "$PLAN" = smoke ] && { id=smoke-${tc%%:*}; m=llama-3.2-1b; } || m=llama-3.1-8b
    [ $(left) -lt 90 ] && { echo "skip trace: no time"; break; }
    CUDA_INJECTION64_PATH=$PWD/$BIN/librooflab_cupti_inject.so ROOFLAB_TRACE_WINDOW=profiler \
      ROOFLAB_TRACE_OUT="$R/trace_$id.csv" timeout 60 python3 profilers/gpu/harness/llama_bench.py \
      --model $m --cases "$tc" --window 2>&1 | grep -v Warning | tail -5
    if [ ! -s "$R/trace_$id.csv" ]; then
      timeout 60 python3 profilers/gpu/harness/llama_bench.py --model $m --cases "$tc" --torch-trace "$R/trace_$id.csv" 2>&1 | tail -3
    fi
    wc -l "$R/trace_$id.csv" 2>/dev/null
    pack
  done
fi

T=$(( $(left) - 15 ))
if [ $T -gt 20 ] && [ "$PLAN" != x2 ] && [ "$PLAN" != x4 ]; then
  step gemm sweep, ${T}s
  [ "$PLAN" = smoke ] && GQ=--quick || GQ=
  timeout $T "$BIN/rooflab-gpu-bench" --only gemm $GQ --out "$R/bench_gemm" > "$R/bench_gemm.log" 2>&1
  echo "rc=$?"; grep -E "shapes|FAILED" "$R/bench_gemm.log" | tail -8
  wc -l "$R/bench_gemm/gemm.csv"
fi
pack
step done
