// The serving simulator (model/serving): conservation, Little's law, load behaviour, scheduler rules, determinism,
// traces, step-time caching, speed.
#include "codec/catalog.hpp"
#include "engine/predict.hpp"
#include "io/stack_loader.hpp"
#include "serving/serving.hpp"
#include "serving_fixture.hpp"
#include "units/errors.hpp"

#include <chrono>
#include <cmath>
#include <gtest/gtest.h>

using namespace rooflab;
using namespace rooflab::serving;
using namespace rooflab::serving::test_support;

namespace {

Scenario bf16Tp1() {
    return ScenarioBuilder().build();
}

/// The stack with its KV cache cut to about `tokens` tokens (by the memory fraction).
StackProfile withKvTokens(const StackProfile& s, const Scenario& base, double tokens) {
    StackProfile out = s;
    out.scheduler.kvMemoryFraction = 1.0;
    out.scheduler.kvBudget = SchedulerProfile::KvBudget::Total;
    const KvCapacity k = kvCapacity(fx().pm, fx().llama, out, base);
    out.scheduler.kvMemoryFraction =
        (tokens * k.bytesPerToken + k.weightsBytes + k.activationBytes + k.workspaceBytes) / k.capacityBytes;
    return out;
}

} // namespace

TEST(Serving, StackProfilesCarryTheirSchedulers) {
    EXPECT_EQ(fx().vllm.scheduler.framework, "vllm");
    EXPECT_EQ(fx().vllm.scheduler.tokenBudget, 8192);
    EXPECT_EQ(fx().vllm.scheduler.maxSeqs, 1024);
    EXPECT_EQ(fx().sglang.scheduler.batching, SchedulerProfile::Batching::PrefillFirst);
    EXPECT_EQ(fx().trt.scheduler.admissionReserve, 1.0);
    EXPECT_FALSE(fx().trt.scheduler.chunkedPrefill);
    // A profile without a scheduler section gets vLLM v1's defaults, the same as the built-in default profile.
    EXPECT_EQ(io::loadStack("pytorch-eager").scheduler, SchedulerProfile{});
    EXPECT_THROW(io::loadStackString("version: 1\nname: x\nscheduler: {framework: vllm, token_budgt: 5}\n", "x.yaml"),
                 InputError);
}

TEST(Serving, ChunkedStepOfPrefillOnlyEqualsPrefill) {
    // A chunked step with no decoding sequence and one whole prompt is the prefill of that prompt.
    const Scenario pre = ScenarioBuilder().phase(Phase::Prefill).prompt(1000).batch(1).build();
    const Scenario chunk = ScenarioBuilder().phase(Phase::Chunked).batch(0).chunk(1000).chunkOffset(0).build();
    const Result a = predict(fx().pm, llmRequestOf(fx().llama, fx().vllm, pre, false));
    const Result b = predict(fx().pm, llmRequestOf(fx().llama, fx().vllm, chunk, false));
    ASSERT_TRUE(a.ok && b.ok) << a.error << b.error;
    EXPECT_NEAR(b.latencyS, a.latencyS, 1e-12 * a.latencyS);
    // Four prompts' chunks of 250 tokens: the same GEMM tokens, less attention than one chunk of 1000.
    const Scenario four = ScenarioBuilder(chunk).chunkSeqs(4).build();
    const Result c = predict(fx().pm, llmRequestOf(fx().llama, fx().vllm, four, false));
    ASSERT_TRUE(c.ok) << c.error;
    EXPECT_LT(c.flops, b.flops);
    EXPECT_GT(c.flops, 0.95 * b.flops);
}

TEST(Serving, ConservationClosedLoop) {
    const ServingResult r = simulate(fx().pm, fx().llama, fx().vllm, bf16Tp1(), closedLoop(8, 256, 64, 40));
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.measured, 40);
    EXPECT_EQ(r.outputTokens, 40 * 64);
    EXPECT_EQ(r.ttftS.count, 40);
    EXPECT_EQ(r.tpotS.count, 40);
    EXPECT_EQ(r.itlS.count, 40 * 63);
    EXPECT_GE(r.completed, 48); // the warm-up wave too
    EXPECT_EQ(r.preemptions, 0);
}

// The inter-token gaps are kept as (gap, how many): sequences paused by the same iteration share an entry (SGLang's
// prefill-only iterations pause every running sequence). Each measured request's gaps add up to its decode time, so
// with a fixed output length the mean gap is the mean TPOT, and there are osl - 1 gaps per request.
TEST(Serving, InterTokenGapsAddUpToEachRequestsDecodeTime) {
    for (const StackProfile* stack : {&fx().sglang, &fx().vllm}) {
        const ServingResult r = simulate(fx().pm, fx().llama, *stack, bf16Tp1(), closedLoop(64, 512, 96, 256));
        ASSERT_TRUE(r.ok) << r.error;
        EXPECT_EQ(r.itlS.count, 256 * 95) << stack->name;
        EXPECT_NEAR(r.itlS.mean / r.tpotS.mean, 1.0, 1e-9) << stack->name;
        EXPECT_GE(r.itlS.max, r.tpotS.max) << stack->name;
        EXPECT_LE(r.itlS.min, r.tpotS.min) << stack->name;
    }
}

TEST(Serving, ConservationTrace) {
    std::vector<TraceRequest> trace;
    int64_t outputs = 0;
    for (int i = 0; i < 60; ++i) {
        trace.push_back({0.05 * i, 100 + 37 * (i % 7), 1 + 13 * (i % 5)});
        outputs += trace.back().outputTokens;
    }
    serving::Workload w;
    w.arrival = Arrival::Trace;
    w.trace = trace;
    for (const StackProfile* s : {&fx().vllm, &fx().sglang, &fx().trt}) {
        const ServingResult r = simulate(fx().pm, fx().llama, *s, bf16Tp1(), w);
        ASSERT_TRUE(r.ok) << s->name << ": " << r.error;
        EXPECT_EQ(r.measured, 60) << s->name;
        EXPECT_EQ(r.outputTokens, outputs) << s->name;
        int64_t generatedAll = 0, prefilled = 0;
        for (const IterationStat& it : r.iterations) {
            generatedAll += it.decodeSeqs;
            prefilled += it.prefillTokens;
        }
        // Every prompt token prefilled once (no preemption here); every output token after the first decoded.
        EXPECT_EQ(prefilled, [&] {
            int64_t sum = 0;
            for (const auto& t : trace)
                sum += t.inputTokens;
            return sum;
        }()) << s->name;
        EXPECT_EQ(generatedAll, outputs - 60) << s->name;
    }
}

TEST(Serving, LittlesLawClosedLoop) {
    for (const int c : {4, 32}) {
        const ServingResult r = simulate(fx().pm, fx().llama, fx().vllm, bf16Tp1(), closedLoop(c, 512, 128));
        ASSERT_TRUE(r.ok) << r.error;
        EXPECT_NEAR(r.requestsPerS * r.e2eS.mean / c, 1.0, 0.02) << "concurrency " << c;
        EXPECT_NEAR(r.meanConcurrency / c, 1.0, 0.01) << "concurrency " << c;
    }
}

TEST(Serving, TtftGrowsWithLoadTpotNearStepTimeAtLowLoad) {
    const Scenario base = bf16Tp1();
    double lastTtft = 0;
    StackProfile vllm = fx().vllm; // the engine alone: no front-end time
    vllm.scheduler.frontendLatencyS = 0;
    for (const int c : {1, 16, 128}) {
        const ServingResult r = simulate(fx().pm, fx().llama, vllm, base, closedLoop(c, 1024, 256));
        ASSERT_TRUE(r.ok) << r.error;
        EXPECT_GT(r.ttftS.mean, lastTtft) << "concurrency " << c;
        lastTtft = r.ttftS.mean;
        if (c == 1) {
            // One client: TPOT is one decode step at batch 1 (context between 1024 and 1280) plus the host time.
            const Scenario dec = ScenarioBuilder(base).phase(Phase::Decode).batch(1).context(1024 + 128).build();
            const Result step = predict(fx().pm, llmRequestOf(fx().llama, fx().vllm, dec, false));
            EXPECT_NEAR(r.tpotS.mean / (step.latencyS + fx().vllm.scheduler.iterationOverheadS), 1.0, 0.02);
            // TTFT: one prefill of the prompt plus the host time.
            const Scenario pre = ScenarioBuilder(base).phase(Phase::Prefill).prompt(1024).build();
            const Result p = predict(fx().pm, llmRequestOf(fx().llama, fx().vllm, pre, false));
            EXPECT_NEAR(r.ttftS.mean / (p.latencyS + fx().vllm.scheduler.iterationOverheadS), 1.0, 1e-6);
        }
    }
}

TEST(Serving, ChunkedPrefillBoundsIterationTokens) {
    StackProfile s = fx().vllm;
    s.scheduler.tokenBudget = 512;
    const ServingResult r = simulate(fx().pm, fx().llama, s, bf16Tp1(), closedLoop(8, 3000, 32, 16));
    ASSERT_TRUE(r.ok) << r.error;
    bool partial = false;
    for (const IterationStat& it : r.iterations) {
        EXPECT_LE(it.prefillTokens + it.decodeSeqs, 512);
        partial = partial || (it.prefillTokens > 0 && it.prefillTokens < 3000 && it.prefillTokens % 512 != 0);
    }
    EXPECT_TRUE(partial); // decodes take part of the budget, prompts fill the rest
    EXPECT_GT(r.iterationCount, 16 * 3000 / 512);
    // SGLang: prefill iterations carry no decode; TensorRT-LLM without chunking runs whole prompts.
    const ServingResult g = simulate(fx().pm, fx().llama, fx().sglang, bf16Tp1(), closedLoop(8, 3000, 32, 16));
    ASSERT_TRUE(g.ok) << g.error;
    for (const IterationStat& it : g.iterations)
        EXPECT_TRUE(it.prefillTokens == 0 || it.decodeSeqs == 0);
    const ServingResult t = simulate(fx().pm, fx().llama, fx().trt, bf16Tp1(), closedLoop(8, 3000, 32, 16));
    ASSERT_TRUE(t.ok) << t.error;
    for (const IterationStat& it : t.iterations)
        EXPECT_EQ(it.prefillTokens % 3000, 0);
}

TEST(Serving, PreemptionOnlyWhenKvBlocksRunOut) {
    const Scenario base = bf16Tp1();
    const serving::Workload w = closedLoop(16, 512, 512, 64);
    // 16 clients x 1024 tokens need 16k tokens of KV: plenty of room, no preemption.
    const ServingResult roomy = simulate(fx().pm, fx().llama, fx().vllm, base, w);
    ASSERT_TRUE(roomy.ok) << roomy.error;
    EXPECT_EQ(roomy.preemptions, 0);
    EXPECT_LT(roomy.peakKvUtilization, 0.2);
    // A cache of ~6000 tokens: admission on demand (vLLM) runs out and preempts.
    const StackProfile tight = withKvTokens(fx().vllm, base, 6000);
    const ServingResult r = simulate(fx().pm, fx().llama, tight, base, w);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_LE(r.kv.tokens, 6016);
    EXPECT_GT(r.kv.tokens, 5000);
    EXPECT_GT(r.preemptions, 0);
    EXPECT_EQ(r.outputTokens, 64 * 512);
    EXPECT_LE(r.peakKvUtilization, 1.0);
    // The same cache under TensorRT-LLM's guaranteed-no-evict admission: no preemption, fewer sequences at once.
    StackProfile noEvict = withKvTokens(fx().trt, base, 6000);
    noEvict.scheduler.kvBudget = SchedulerProfile::KvBudget::Total;
    const ServingResult t = simulate(fx().pm, fx().llama, noEvict, base, w);
    ASSERT_TRUE(t.ok) << t.error;
    EXPECT_EQ(t.preemptions, 0);
    EXPECT_LE(t.meanDecodeBatch, 6000.0 / 1024.0 + 1e-9);
}

TEST(Serving, InfeasibleIsAResult) {
    const ServingResult r = simulate(fx().pm, fx().llama, fx().vllm, bf16Tp1(), closedLoop(1, 2'000'000, 10));
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("does not fit the KV cache"), std::string::npos) << r.error;
    const Scenario tp3 = ScenarioBuilder().tp(3).build();
    const ServingResult bad = simulate(fx().pm, fx().llama, fx().vllm, tp3, closedLoop(1, 100, 10));
    EXPECT_FALSE(bad.ok);
    EXPECT_NE(bad.error.find("'tp': 3"), std::string::npos) << bad.error;
}

TEST(Serving, DeterministicWithSeed) {
    serving::Workload w;
    w.arrival = Arrival::Poisson;
    w.ratePerS = 20;
    w.inputTokens = 700;
    w.outputTokens = 90;
    w.requests = 300;
    w.seed = 42;
    const ServingResult a = simulate(fx().pm, fx().llama, fx().vllm, bf16Tp1(), w);
    const ServingResult b = simulate(fx().pm, fx().llama, fx().vllm, bf16Tp1(), w);
    ASSERT_TRUE(a.ok) << a.error;
    EXPECT_EQ(a.ttftS.mean, b.ttftS.mean);
    EXPECT_EQ(a.tpotS.p99, b.tpotS.p99);
    EXPECT_EQ(a.iterationCount, b.iterationCount);
    w.seed = 43;
    const ServingResult c = simulate(fx().pm, fx().llama, fx().vllm, bf16Tp1(), w);
    EXPECT_NE(a.ttftS.mean, c.ttftS.mean);
    // Open loop under capacity: the request rate is the arrival rate.
    EXPECT_NEAR(a.requestsPerS / 20.0, 1.0, 0.15);
}

TEST(Serving, TraceRoundTrip) {
    std::vector<TraceRequest> t{{0.0, 512, 10}, {0.123456789012345, 4808, 1}, {1.5, 33, 400}, {2e-7, 7, 7}};
    const std::vector<TraceRequest> back = parseTraceCsv(writeTraceCsv(t), "t.csv");
    ASSERT_EQ(back.size(), 4u);
    // Sorted by arrival, values exact.
    EXPECT_EQ(back[1].arrivalS, 2e-7);
    EXPECT_EQ(back[2].arrivalS, 0.123456789012345);
    EXPECT_EQ(back[2].inputTokens, 4808);
    EXPECT_EQ(back[3].outputTokens, 400);
    // The Azure LLM inference trace layout: date-times become seconds from the first request.
    const auto az = parseTraceCsv("TIMESTAMP,ContextTokens,GeneratedTokens\n"
                                  "2023-11-16 18:15:46.6805900,374,44\n"
                                  "2023-11-16 18:15:50.9951690,396,109\n"
                                  "2023-11-17 00:00:00.0000000,879,20\n",
                                  "azure.csv");
    ASSERT_EQ(az.size(), 3u);
    EXPECT_EQ(az[0].arrivalS, 0.0);
    EXPECT_NEAR(az[1].arrivalS, 4.314579, 1e-6);
    EXPECT_NEAR(az[2].arrivalS, 86400 - (18 * 3600 + 15 * 60 + 46.68059), 1e-6);
    EXPECT_EQ(az[1].inputTokens, 396);
    try {
        parseTraceCsv("arrival_timestamp,prompt_size,token_size\n0.5,12,x\n", "bad.csv");
        FAIL() << "accepted a bad output length";
    } catch (const InputError& e) {
        EXPECT_EQ(e.line(), 2);
    }
    EXPECT_THROW(parseTraceCsv("a,b,c\n1,2,3\n", "nohdr.csv"), InputError);
}

TEST(Serving, StepCacheIsNearlyExact) {
    // Context grid of 1 token (every step predicted at its exact mean context) vs the default 64.
    const serving::Workload w = closedLoop(24, 900, 300, 96);
    Options exact;
    exact.contextGrid = 1;
    const ServingResult a = simulate(fx().pm, fx().llama, fx().vllm, bf16Tp1(), w, exact);
    const ServingResult b = simulate(fx().pm, fx().llama, fx().vllm, bf16Tp1(), w);
    ASSERT_TRUE(a.ok && b.ok);
    EXPECT_NEAR(b.tpotS.mean / a.tpotS.mean, 1.0, 5e-3);
    EXPECT_NEAR(b.ttftS.mean / a.ttftS.mean, 1.0, 5e-3);
    EXPECT_LT(b.stepEvaluations, a.stepEvaluations);
    // The interpolation itself: a decode step at a context between grid points vs the step model there.
    double worst = 0;
    auto step = [&](int64_t batch, int64_t ctx) {
        const Scenario d = ScenarioBuilder().phase(Phase::Decode).batch(batch).context(ctx).build();
        return predict(fx().pm, llmRequestOf(fx().llama, fx().vllm, d, false)).latencyS;
    };
    for (const int64_t batch : {1, 8, 24, 64, 256})
        for (int64_t lo = 64; lo < 16384; lo = lo * 3 / 2 / 64 * 64 + 64)
            for (const int64_t off : {13, 32, 51}) {
                const double t0 = step(batch, lo), t1 = step(batch, lo + 64);
                const double interp = t0 + (t1 - t0) * double(off) / 64.0;
                worst = std::max(worst, std::fabs(interp / step(batch, lo + off) - 1.0));
            }
    // The step model's attention is a staircase in the context (128-key tiles); the interpolation smooths its
    // edges: up to 13 % at one point (batch 256, contexts below 128), a few % elsewhere. A batch mixes contexts, so
    // the staircase of the mean context is itself no closer to the batch; on simulated means the two agree (above).
    std::cout << "[ cache    ] worst interpolation error of a decode step: " << worst * 100 << " %\n";
    EXPECT_LT(worst, 0.15);
}

// Speed is measured by the benchmark (tests/bench: BM_ServingClosedLoop); what makes it fast is checked here: the
// simulator predicts each distinct step shape once, not once per iteration.
TEST(Serving, ThousandsOfRequestsReuseFewStepPredictions) {
    // aiperf-like: 20 x concurrency requests, 1k in / 1k out, concurrency 128.
    const ServingResult r = simulate(fx().pm, fx().llama, fx().vllm, bf16Tp1(), closedLoop(128, 1024, 1024));
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.measured, 2560);
    EXPECT_GT(r.iterationCount, 10 * r.stepEvaluations)
        << r.iterationCount << " iterations, " << r.stepEvaluations << " steps predicted";
}

TEST(Serving, MaxBatchAgreesWithTheSimulatorsKvCapacity) {
    // Issue 19: "max batch that fits" (memoryUse) uses the serving simulator's memory accounting (the scheduler's
    // memory fraction, the peak activations at the token budget, the workspace, whole KV blocks), so the two agree.
    for (const StackProfile* stack : {&fx().vllm, &fx().sglang, &fx().trt}) {
        for (int tp : {1, 2}) {
            for (int64_t context : {1023, 4095, 8191}) {
                const Scenario s = ScenarioBuilder().phase(Phase::Decode).tp(tp).batch(1).context(context).unchecked();
                const KvCapacity k = kvCapacity(fx().pm, fx().llama, *stack, s);
                const MemoryUse m = memoryUse(fx().pm, fx().llama, *stack, s);
                const int64_t block = stack->scheduler.blockSize;
                const int64_t blocksPerSeq = (context + 1 + block - 1) / block;
                EXPECT_EQ(m.maxBatch, k.blocks / blocksPerSeq)
                    << stack->scheduler.framework << " tp " << tp << " context " << context;
            }
        }
    }
    // The reserve matters: with the whole device given to the KV cache more sequences fit.
    StackProfile all = fx().vllm;
    all.scheduler.kvMemoryFraction = 1.0;
    const Scenario s = ScenarioBuilder().phase(Phase::Decode).batch(1).context(4095).unchecked();
    EXPECT_GT(memoryUse(fx().pm, fx().llama, all, s).maxBatch, memoryUse(fx().pm, fx().llama, fx().vllm, s).maxBatch);
}
