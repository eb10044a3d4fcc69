// Engine speed: single-threaded predictions per second (the targets: >= 1,000,000 GEMM and >= 200,000
// LLM step predictions/s for an 8B dense model). Run: rooflab_bench --benchmark_min_time=1
#include "analysis/llm_engine.hpp"
#include "io/data_paths.hpp"
#include "io/model_loader.hpp"
#include "io/platform_loader.hpp"
#include "io/stack_loader.hpp"

#include <benchmark/benchmark.h>

using namespace rooflab;

namespace {
struct Fixture {
    PlatformModel pm;
    LlmArch llama8b, mixtral, deepseek;
    StackProfile stack;
    Fixture() {
        io::setBuiltinDataDir(ROOFLAB_SOURCE_DIR);
        pm = PlatformModel::from(io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb")));
        llama8b = io::loadModel("llama-3.1-8b");
        mixtral = io::loadModel("mixtral-8x7b");
        deepseek = io::loadModel("deepseek-v3");
        stack = io::loadStack("pytorch-eager");
    }
};
const Fixture& fx() {
    static const Fixture f;
    return f;
}
} // namespace

static void BM_GemmPredict(benchmark::State& state) {
    const auto& f = fx();
    double m = 1;
    for (auto _ : state) {
        const OpResult r = evalGemm(f.pm, "gemm", m, 4096, 4096, DType::bf16, DType::bf16, DType::bf16, LaunchMode::Stream);
        benchmark::DoNotOptimize(r.timeS);
        m = m >= 16384 ? 1 : m + 7;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GemmPredict);

static void stepBench(benchmark::State& state, const LlmArch& a, Phase phase) {
    const auto& f = fx();
    Scenario s;
    s.phase = phase;
    s.prompt = 2048;
    int64_t b = 1;
    for (auto _ : state) {
        s.batch = b;
        s.context = 512 + b * 16;
        const Prediction p = predictStep(f.pm, a, f.stack, s, false);
        benchmark::DoNotOptimize(p.latencyS);
        b = b >= 256 ? 1 : b + 1;
    }
    state.SetItemsProcessed(state.iterations());
}

static void BM_LlmDecodeStep_Llama8B(benchmark::State& state) { stepBench(state, fx().llama8b, Phase::Decode); }
static void BM_LlmPrefillStep_Llama8B(benchmark::State& state) { stepBench(state, fx().llama8b, Phase::Prefill); }
static void BM_LlmDecodeStep_Mixtral(benchmark::State& state) { stepBench(state, fx().mixtral, Phase::Decode); }
static void BM_LlmDecodeStep_DeepSeekV3(benchmark::State& state) { stepBench(state, fx().deepseek, Phase::Decode); }
BENCHMARK(BM_LlmDecodeStep_Llama8B);
BENCHMARK(BM_LlmPrefillStep_Llama8B);
BENCHMARK(BM_LlmDecodeStep_Mixtral);
BENCHMARK(BM_LlmDecodeStep_DeepSeekV3);

static void BM_LlmStepWithOpsTable(benchmark::State& state) {
    const auto& f = fx();
    Scenario s;
    s.batch = 32;
    s.context = 4096;
    for (auto _ : state) {
        const Prediction p = predictStep(f.pm, f.llama8b, f.stack, s, true);
        benchmark::DoNotOptimize(p.ops.data());
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LlmStepWithOpsTable);

BENCHMARK_MAIN();
