// Deployments of the serving simulator (simulateDeployment): replicas, disaggregated prefill/decode pools with the
// KV-cache transfer, attention data parallelism in the step graph, the front-end latency; the sanity properties of
// issue 16 (TTFT at concurrency 1, throughput monotone in decode workers, Little's law).
#include "analysis/moe_routing.hpp"
#include "analysis/step_graph.hpp"
#include "codec/catalog.hpp"
#include "engine/predict.hpp"
#include "serving/serving.hpp"
#include "serving_fixture.hpp"

#include <cmath>
#include <cstring>
#include <gtest/gtest.h>

using namespace rooflab;
using namespace rooflab::serving;
using namespace rooflab::serving::test_support;

namespace {

Deployment aggregated(int workers, int tp = 1) {
    Deployment d;
    d.aggregated.workers = workers;
    d.aggregated.tp = tp;
    d.aggregated.moeTp = tp;
    return d;
}

Deployment disagg(int pw, int ptp, int dw, int dtp) {
    Deployment d;
    d.mode = DeploymentMode::Disaggregated;
    d.prefill.workers = pw;
    d.prefill.tp = d.prefill.moeTp = ptp;
    d.decode.workers = dw;
    d.decode.tp = d.decode.moeTp = dtp;
    return d;
}

double stepTime(const PlatformModel& pm, const LlmArch& arch, const StackProfile& stack, const Scenario& s) {
    const Result r = predict(pm, llmRequestOf(arch, stack, s, false));
    EXPECT_TRUE(r.ok) << r.error;
    return r.latencyS;
}

const OpSpec* findOp(const StepGraph& g, const char* name) {
    for (const OpSpec& op : g.ops)
        if (std::strcmp(op.name, name) == 0)
            return &op;
    return nullptr;
}

} // namespace

TEST(Deployment, OneAggregatedWorkerIsSimulate) {
    const Scenario base = ScenarioBuilder().build();
    const serving::Workload w = closedLoop(8, 512, 64);
    const ServingResult a = simulate(fx().pm, fx().llama, fx().vllm, base, w);
    const ServingResult b = simulateDeployment(fx().pm, fx().llama, fx().vllm, base, aggregated(1), w);
    ASSERT_TRUE(a.ok && b.ok) << a.error << b.error;
    EXPECT_EQ(a.ttftS.mean, b.ttftS.mean);
    EXPECT_EQ(a.tpotS.p99, b.tpotS.p99);
    EXPECT_EQ(a.outputTokensPerS, b.outputTokensPerS);
    EXPECT_EQ(b.gpus, 1);
}

TEST(Deployment, ReplicasSplitClientsAndAddThroughput) {
    const Scenario base = ScenarioBuilder().build();
    // Even split: 4 workers x 8 clients are four copies of one worker with 8 clients.
    const ServingResult one = simulate(fx().pm, fx().llama, fx().vllm, base, closedLoop(8, 512, 128));
    const ServingResult four =
        simulateDeployment(fx().pm, fx().llama, fx().vllm, base, aggregated(4), closedLoop(32, 512, 128));
    ASSERT_TRUE(one.ok && four.ok) << one.error << four.error;
    EXPECT_EQ(four.gpus, 4);
    EXPECT_EQ(four.workers, 4);
    EXPECT_EQ(four.measured, 4 * one.measured);
    EXPECT_NEAR(four.outputTokensPerS / one.outputTokensPerS, 4.0, 1e-9);
    EXPECT_NEAR(four.outputTokensPerSPerGpu / one.outputTokensPerSPerGpu, 1.0, 1e-9);
    EXPECT_NEAR(four.ttftS.mean / one.ttftS.mean, 1.0, 1e-12);
    EXPECT_NEAR(four.tpotS.p90 / one.tpotS.p90, 1.0, 1e-9);
    EXPECT_NEAR(four.meanConcurrency, 32.0, 0.32);
    // Uneven: 3 workers and 8 clients = two workers of 3 and one of 2; throughput is their sum.
    const ServingResult w3 = simulate(fx().pm, fx().llama, fx().vllm, base, closedLoop(3, 512, 128));
    const ServingResult w2 = simulate(fx().pm, fx().llama, fx().vllm, base, closedLoop(2, 512, 128));
    const ServingResult three =
        simulateDeployment(fx().pm, fx().llama, fx().vllm, base, aggregated(3), closedLoop(8, 512, 128));
    ASSERT_TRUE(w3.ok && w2.ok && three.ok) << three.error;
    EXPECT_NEAR(three.requestsPerS / (2 * w3.requestsPerS + w2.requestsPerS), 1.0, 1e-9);
    EXPECT_EQ(three.measured, 2 * w3.measured + w2.measured);
    // The merged mean lies between the workers' means, weighted towards the busier (3-client) workers' requests.
    EXPECT_GT(three.e2eS.mean, w2.e2eS.mean);
    EXPECT_LT(three.e2eS.mean, w3.e2eS.mean);
    // Little's law for the merged closed loop.
    EXPECT_NEAR(three.requestsPerS * three.e2eS.mean / 8.0, 1.0, 0.02);
    // More workers than clients: the idle ones count as GPUs, not as throughput.
    const ServingResult idle =
        simulateDeployment(fx().pm, fx().llama, fx().vllm, base, aggregated(4), closedLoop(2, 512, 128));
    const ServingResult w1 = simulate(fx().pm, fx().llama, fx().vllm, base, closedLoop(1, 512, 128));
    ASSERT_TRUE(idle.ok) << idle.error;
    EXPECT_NEAR(idle.outputTokensPerS / (2 * w1.outputTokensPerS), 1.0, 1e-9);
    EXPECT_NEAR(idle.outputTokensPerSPerGpu, idle.outputTokensPerS / 4, 1e-9);
}

TEST(Deployment, OpenLoopRoundRobinOverReplicas) {
    const Scenario base = ScenarioBuilder().build();
    serving::Workload w;
    w.arrival = Arrival::Poisson;
    w.ratePerS = 40;
    w.inputTokens = 600;
    w.outputTokens = 60;
    w.requests = 400;
    Options opt;
    opt.keepIterations = true;
    const ServingResult two = simulateDeployment(fx().pm, fx().llama, fx().vllm, base, aggregated(2), w, opt);
    ASSERT_TRUE(two.ok) << two.error;
    EXPECT_EQ(two.measured, 400);
    EXPECT_EQ(two.outputTokens, 400 * 60);
    EXPECT_EQ(two.gpus, 2);
    // Under capacity the request rate is the arrival rate; both workers ran, each about half the prompts.
    EXPECT_NEAR(two.requestsPerS / 40.0, 1.0, 0.15);
    int64_t prefilled[2] = {0, 0};
    for (const IterationStat& it : two.iterations) {
        ASSERT_TRUE(it.worker == 0 || it.worker == 1);
        prefilled[it.worker] += it.prefillTokens;
    }
    EXPECT_EQ(prefilled[0], 200 * 600); // requests 0, 2, 4, ... (round-robin)
    EXPECT_EQ(prefilled[1], 200 * 600);
    // Each worker sees every other arrival: less queueing than one worker at the whole rate.
    const ServingResult one = simulate(fx().pm, fx().llama, fx().vllm, base, w);
    ASSERT_TRUE(one.ok) << one.error;
    EXPECT_LT(two.ttftS.mean, one.ttftS.mean);
}

TEST(Deployment, DisaggregatedTtftIsOnePrefillAtConcurrencyOne) {
    const Scenario base = ScenarioBuilder().build();
    const int64_t isl = 2048, osl = 64;
    // The engine alone (the shipped front end, fitted, adds its own exponential draw to every TTFT).
    StackProfile vllm = fx().vllm;
    vllm.scheduler.frontendLatencyS = 0;
    const ServingResult r =
        simulateDeployment(fx().pm, fx().llama, vllm, base, disagg(1, 1, 1, 1), closedLoop(1, isl, osl, 10));
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.gpus, 2);
    const double host = vllm.scheduler.iterationOverheadS + vllm.scheduler.sequenceOverheadS; // batch 1
    const double prefill =
        stepTime(fx().pm, fx().llama, vllm, ScenarioBuilder(base).phase(Phase::Prefill).prompt(isl).batch(1).build());
    EXPECT_NEAR(r.ttftS.mean / (prefill + host), 1.0, 1e-9);
    EXPECT_NEAR(r.ttftS.p99 / (prefill + host), 1.0, 1e-9);
    // The KV transfer: prompt tokens x the model's KV bytes per token (Llama-3.1-8B, bf16: 2 x 8 KV heads x 128 x
    // 32 layers x 2 bytes = 128 KiB) over NVLink (both GPUs in one node), one link per GPU.
    const double bytes = double(isl) * 2 * 8 * 128 * 32 * 2;
    EXPECT_NEAR(r.kvTransferBytes / bytes, 1.0, 1e-9);
    const double transfer = bytes / (fx().pm.scaleUpBytesPerS * fx().pm.collectiveFraction) + fx().pm.scaleUpLatencyS;
    EXPECT_NEAR(r.kvTransferS / transfer, 1.0, 1e-9);
    // TPOT: the transfer and the decode steps (batch 1) spread over the 63 decoded tokens.
    const double decode = stepTime(fx().pm, fx().llama, vllm,
                                   ScenarioBuilder(base).phase(Phase::Decode).batch(1).context(isl + 32).build());
    EXPECT_NEAR(r.tpotS.mean / (decode + host + transfer / double(osl - 1)), 1.0, 0.02);
    // Little's law holds across the two pools.
    EXPECT_NEAR(r.requestsPerS * r.e2eS.mean, 1.0, 0.02);
}

TEST(Deployment, KvTransferCrossesNodesOverTheScaleOutNetwork) {
    const Scenario base = ScenarioBuilder().build();
    const PlatformModel& pm = fx().hgx;
    // 4 + 4 GPUs: one node, NVLink. 8 + 8: two nodes, the scale-out network, 8 NICs in parallel.
    const ServingResult in =
        simulateDeployment(pm, fx().llama, fx().vllm, base, disagg(1, 4, 1, 4), closedLoop(2, 4096, 16, 8));
    const ServingResult out =
        simulateDeployment(pm, fx().llama, fx().vllm, base, disagg(1, 8, 1, 8), closedLoop(2, 4096, 16, 8));
    ASSERT_TRUE(in.ok && out.ok) << in.error << out.error;
    const double bytes = 4096.0 * 2 * 8 * 128 * 32 * 2;
    EXPECT_NEAR(in.kvTransferS / (bytes / (4 * pm.scaleUpBytesPerS * pm.collectiveFraction) + pm.scaleUpLatencyS), 1.0,
                1e-9);
    EXPECT_NEAR(out.kvTransferS / (bytes / (8 * pm.scaleOutBytesPerS * pm.collectiveFraction) + pm.scaleOutLatencyS),
                1.0, 1e-9);
    EXPECT_GT(out.kvTransferS, in.kvTransferS);
    EXPECT_EQ(out.gpus, 16);
}

TEST(Deployment, DecodeWorkersNeverLowerThroughputWhenDecodeBinds) {
    // Short prompts, long outputs, a decode batch limit of 16: the decode pool is the bottleneck.
    const Scenario base = ScenarioBuilder().build();
    double last = 0;
    for (const int dw : {1, 2, 3, 4}) {
        Deployment d = disagg(1, 1, dw, 1);
        d.decode.batch = 16;
        const ServingResult r =
            simulateDeployment(fx().pm, fx().llama, fx().vllm, base, d, closedLoop(64, 256, 256, 40 * 64));
        ASSERT_TRUE(r.ok) << r.error;
        EXPECT_GE(r.outputTokensPerS, last * 0.999) << dw << " decode workers";
        if (dw == 2) {
            EXPECT_GT(r.outputTokensPerS, 1.5 * last); // a real bottleneck: a second worker nearly doubles it
        }
        EXPECT_LE(r.meanDecodeBatch, 16.0);
        EXPECT_EQ(r.gpus, 1 + dw);
        EXPECT_NEAR(r.requestsPerS * r.e2eS.mean / 64.0, 1.0, 0.02)
            << dw << ": " << r.requestsPerS << " req/s x " << r.e2eS.mean << " s"; // Little's law
        last = r.outputTokensPerS;
    }
}

TEST(Deployment, DisaggregatedConservationAndPools) {
    const Scenario base = ScenarioBuilder().build();
    Options opt;
    opt.keepIterations = true;
    for (const StackProfile* s : {&fx().vllm, &fx().sglang, &fx().trt}) {
        const ServingResult r =
            simulateDeployment(fx().pm, fx().llama, *s, base, disagg(2, 1, 1, 2), closedLoop(12, 700, 40, 96), opt);
        ASSERT_TRUE(r.ok) << s->name << ": " << r.error;
        EXPECT_EQ(r.measured, 96);
        EXPECT_EQ(r.outputTokens, 96 * 40);
        EXPECT_EQ(r.workers, 3);
        EXPECT_EQ(r.gpus, 4);
        int64_t prefilledInDecode = 0, decodedInPrefill = 0;
        for (const IterationStat& it : r.iterations) {
            if (it.pool == PoolRole::Decode)
                prefilledInDecode += it.prefillTokens;
            if (it.pool == PoolRole::Prefill)
                decodedInPrefill += it.decodeSeqs;
        }
        EXPECT_EQ(prefilledInDecode, 0) << s->name; // no preemption: the decode pool never recomputes
        EXPECT_EQ(decodedInPrefill, 0) << s->name;
        EXPECT_GT(r.kv.tokens, r.prefillKv.tokens) << s->name; // decode tp 2 holds more KV than prefill tp 1
        EXPECT_NEAR(r.requestsPerS * r.e2eS.mean / 12.0, 1.0, 0.02) << s->name;
    }
}

TEST(Deployment, FrontendLatencyAddsToTtftAndEndToEnd) {
    const Scenario base = ScenarioBuilder().build();
    StackProfile s = fx().vllm;
    s.scheduler.frontendLatencyS = 0;
    const ServingResult a = simulate(fx().pm, fx().llama, s, base, closedLoop(1, 1024, 32, 1000));
    s.scheduler.frontendLatencyS = 0.025;
    const ServingResult b = simulate(fx().pm, fx().llama, s, base, closedLoop(1, 1024, 32, 1000));
    ASSERT_TRUE(a.ok && b.ok);
    // Each request draws its front-end time (exponential, mean 25 ms; a fixed seed): the mean of 1000 draws lies
    // within a few standard errors (0.8 ms) of 25 ms, and adds to TTFT and end-to-end alike.
    EXPECT_NEAR(b.ttftS.mean - a.ttftS.mean, 0.025, 0.0025);
    EXPECT_NEAR(b.e2eS.mean - a.e2eS.mean, b.ttftS.mean - a.ttftS.mean, 1e-9);
    EXPECT_GT(b.ttftS.p99 - b.ttftS.p50, 0.05); // its spread: an exponential's P99 is 4.6 means above zero
    EXPECT_NEAR(b.tpotS.mean, a.tpotS.mean, 1e-12);
    EXPECT_NEAR(b.requestsPerS * b.e2eS.mean, 1.0, 0.02); // the client waits for it too
    // The shipped profiles' front ends are fitted on measured runs and say so.
    for (const StackProfile* p : {&fx().vllm, &fx().sglang, &fx().trt}) {
        EXPECT_GT(p->scheduler.frontendLatencyS, 0.0) << p->name;
        const auto& keys = p->scheduler.fitted.keys;
        EXPECT_NE(std::find(keys.begin(), keys.end(), "frontend_latency"), keys.end()) << p->name;
    }
}

TEST(Deployment, InvalidLayoutsAreResults) {
    const Scenario base = ScenarioBuilder().build();
    Deployment d = aggregated(1, 2);
    d.aggregated.moeTp = 1; // 1 x ep 1 != tp 2: an error for a MoE model, ignored for a dense one
    const ServingResult r = simulateDeployment(fx().pm, fx().qwenMoe, fx().vllm, base, d, closedLoop(1, 100, 10));
    EXPECT_TRUE(simulateDeployment(fx().pm, fx().llama, fx().vllm, base, d, closedLoop(1, 100, 10)).ok);
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("moe_tp"), std::string::npos) << r.error;
    Deployment z = disagg(0, 1, 1, 1);
    EXPECT_FALSE(simulateDeployment(fx().pm, fx().llama, fx().vllm, base, z, closedLoop(1, 100, 10)).ok);
    // A prompt that fits the prefill pool but not the decode pool's KV cache with its output.
    Deployment tight = disagg(1, 1, 1, 1);
    const ServingResult big =
        simulateDeployment(fx().pm, fx().llama, fx().vllm, base, tight, closedLoop(1, 2'000'000, 10));
    EXPECT_FALSE(big.ok);
    EXPECT_NE(big.error.find("does not fit the KV cache"), std::string::npos) << big.error;
}

TEST(AttentionDp, DenseModelSplitsAttentionSharesTheFfn) {
    // Llama-3.1-8B decode of 64 sequences on 2 GPUs: attention DP 2 (tp 1 per rank) vs tp 2.
    const Scenario dp2 = ScenarioBuilder().phase(Phase::Decode).batch(64).context(2048).build();
    Scenario s = dp2;
    s.attentionDp = 2;
    const StepGraph g = buildStepGraph(fx().llama, fx().vllm, s);
    const OpSpec* attn = findOp(g, "attention");
    const OpSpec* qkv = findOp(g, "qkv_proj");
    const OpSpec* gu = findOp(g, "gate_up_proj");
    ASSERT_TRUE(attn && qkv && gu);
    EXPECT_EQ(attn->attention.batch, 32);               // each rank its own 32 sequences
    EXPECT_EQ(attn->attention.heads, 32);               // all heads (tp 1 per rank)
    EXPECT_EQ(qkv->gemm.m, 32);                         // projections over the rank's tokens
    EXPECT_EQ(gu->gemm.m, 64);                          // the FFN over every rank's tokens ...
    EXPECT_EQ(gu->gemm.n, 2.0 * 14336 / 2);             // ... split over both GPUs
    ASSERT_NE(findOp(g, "dp_all_gather"), nullptr);     // tokens gathered before the FFN
    ASSERT_NE(findOp(g, "dp_reduce_scatter"), nullptr); // partial sums scattered back
    EXPECT_EQ(findOp(g, "all_reduce_attn"), nullptr);   // no TP inside a rank
    EXPECT_EQ(findOp(g, "dp_all_gather")->collective.ranks, 2);
    EXPECT_EQ(findOp(g, "dp_all_gather")->collective.bytes, 64.0 * 4096 * 2);
    EXPECT_EQ(g.tokens, 64);
    // Odd batches: the busiest rank sets the pace.
    s.batch = 63;
    EXPECT_EQ(findOp(buildStepGraph(fx().llama, fx().vllm, s), "attention")->attention.batch, 32);
    // Memory: the attention weights replicated per rank, the FFN split; each rank holds its own sequences' KV.
    s.batch = 64;
    const MemoryUse m = memoryUse(fx().pm, fx().llama, fx().vllm, s);
    const MemoryUse one = memoryUse(fx().pm, fx().llama, fx().vllm, dp2);
    EXPECT_NEAR(m.kvCacheBytes / one.kvCacheBytes, 0.5, 1e-12);
    EXPECT_LT(m.weightsBytes, one.weightsBytes);
    EXPECT_GT(m.weightsBytes, 0.5 * one.weightsBytes);
    // Attention DP 1 is the graph of today (no DP collectives).
    EXPECT_EQ(findOp(buildStepGraph(fx().llama, fx().vllm, dp2), "dp_all_gather"), nullptr);
    // The prediction counts every GPU.
    const Result r = predict(fx().pm, llmRequestOf(fx().llama, fx().vllm, s, false));
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.step()->devices, 2);
}

TEST(AttentionDp, MoeExpertsOverAllRanks) {
    // Qwen3-30B-A3B (128 experts, top 8), decode of 256 sequences on 8 GPUs, attention DP 8.
    Scenario s = ScenarioBuilder().phase(Phase::Decode).batch(256).context(1024).build();
    s.attentionDp = 8;
    // Pure EP: experts 16 per GPU, tokens dispatched to them by all-to-all; no gather.
    s.ep = 8;
    const StepGraph ep = buildStepGraph(fx().qwenMoe, fx().sglang, s);
    ASSERT_TRUE(checkScenario(fx().qwenMoe, s).empty() ||
                checkScenario(fx().qwenMoe, s).front().severity != ScenarioStatus::Severity::Error);
    EXPECT_EQ(findOp(ep, "attention")->attention.batch, 32);
    ASSERT_NE(findOp(ep, "moe_dispatch"), nullptr);
    EXPECT_EQ(findOp(ep, "moe_dispatch")->collective.ranks, 8);
    EXPECT_EQ(findOp(ep, "dp_all_gather"), nullptr);
    EXPECT_EQ(findOp(ep, "experts_gate_up")->gemm.n, 2.0 * 768); // whole experts (moe_tp 1)
    // The expert GEMMs see all 256 tokens' routing: 256 x 8 picks over 128 experts, routed as the stack's MoE tables
    // were measured (kMoeRouting, a power law: fewer experts touched than uniform picks touch), an eighth of them
    // here.
    MoeRouting routing;
    ASSERT_TRUE(moeRoutingFromName(kMoeRouting, routing));
    const RankExperts all = rankExperts(routing, 256, 8, 128, 1);
    EXPECT_NEAR(findOp(ep, "experts_gate_up")->gemm.batch, all.experts / 8, 1e-9);
    EXPECT_LT(all.experts, 128 * (1 - std::pow(1 - 8.0 / 128, 256)));
    EXPECT_NEAR(findOp(ep, "experts_gate_up")->gemm.m, all.rowsPerExpert, 1.0);
    // MoE-TP 8: every GPU holds 1/8 of every expert; tokens gathered, partial sums reduce-scattered.
    s.ep = 1;
    s.moeTp = 8;
    const StepGraph tpg = buildStepGraph(fx().qwenMoe, fx().sglang, s);
    ASSERT_NE(findOp(tpg, "dp_all_gather"), nullptr);
    ASSERT_NE(findOp(tpg, "dp_reduce_scatter"), nullptr);
    EXPECT_EQ(findOp(tpg, "dp_reduce_scatter")->collective.ranks, 8);
    EXPECT_EQ(findOp(tpg, "moe_dispatch"), nullptr);
    EXPECT_EQ(findOp(tpg, "experts_gate_up")->gemm.n, 2.0 * 768 / 8);
    // moe_tp x ep must cover tp x attention_dp.
    s.moeTp = 4;
    const auto st = checkScenario(fx().qwenMoe, s);
    ASSERT_FALSE(st.empty());
    EXPECT_EQ(st.front().severity, ScenarioStatus::Severity::Error);
}

TEST(AttentionDp, ServingWorkerHoldsEveryRanksKv) {
    // An aggregated worker of tp 1 x attention DP 2 holds twice a rank's KV cache; decode steps of the same batch
    // are faster than one GPU's (attention split over two ranks, FFN over two GPUs).
    const Scenario base = ScenarioBuilder().build();
    Deployment d = aggregated(1, 1);
    d.aggregated.attentionDp = 2;
    d.aggregated.moeTp = 2;
    const ServingResult r = simulateDeployment(fx().pm, fx().llama, fx().vllm, base, d, closedLoop(32, 1024, 256));
    const ServingResult one = simulate(fx().pm, fx().llama, fx().vllm, base, closedLoop(32, 1024, 256));
    ASSERT_TRUE(r.ok && one.ok) << r.error;
    EXPECT_EQ(r.gpus, 2);
    EXPECT_GT(r.kv.tokens, 2 * one.kv.tokens); // two ranks, and the FFN weights halved on each
    EXPECT_LT(r.tpotS.mean, one.tpotS.mean);
    EXPECT_GT(r.outputTokensPerS, one.outputTokensPerS);
}

TEST(SpeculativeDecoding, AllAcceptedEmitsKPlusOneTokensPerIteration) {
    const Scenario base = ScenarioBuilder().build();
    Options opt;
    opt.speculativeTokens = 3;
    opt.acceptanceRate = 1.0;
    const ServingResult r = simulate(fx().pm, fx().llama, fx().vllm, base, closedLoop(1, 1024, 129, 4), opt);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.outputTokens, 4 * 129);
    // One prefill and 128 / 4 verification iterations per request (5 requests with the warm-up one).
    EXPECT_EQ(r.iterationCount, 5 * (1 + 32));
    // TPOT: the verification step (a chunk of 4 tokens at the context) plus 3 one-layer draft passes, per 4 tokens.
    const double host = fx().vllm.scheduler.iterationOverheadS;
    const int64_t ctx = 1024 + 64;
    const double verify =
        stepTime(fx().pm, fx().llama, fx().vllm,
                 ScenarioBuilder(base).phase(Phase::Chunked).batch(0).chunk(4).chunkSeqs(1).chunkOffset(ctx).build());
    const double decode = stepTime(fx().pm, fx().llama, fx().vllm,
                                   ScenarioBuilder(base).phase(Phase::Decode).batch(1).context(ctx).build());
    EXPECT_NEAR(r.tpotS.mean / ((verify + 3 * decode / 32 + host) / 4), 1.0, 0.02);
    // TTFT is untouched (the prefill is the same).
    const ServingResult plain = simulate(fx().pm, fx().llama, fx().vllm, base, closedLoop(1, 1024, 129, 4));
    EXPECT_NEAR(r.ttftS.mean, plain.ttftS.mean, 1e-12);
    EXPECT_LT(r.tpotS.mean, 0.5 * plain.tpotS.mean);
}

TEST(SpeculativeDecoding, GeometricAcceptanceSetsTokensPerIteration) {
    const Scenario base = ScenarioBuilder().build();
    const serving::Workload w = closedLoop(16, 512, 400);
    const ServingResult plain = simulate(fx().pm, fx().llama, fx().vllm, base, w);
    Options off;
    off.speculativeTokens = 0;
    off.acceptanceRate = 0.9;
    const ServingResult same = simulate(fx().pm, fx().llama, fx().vllm, base, w, off);
    ASSERT_TRUE(plain.ok && same.ok);
    EXPECT_EQ(same.tpotS.mean, plain.tpotS.mean); // k = 0 is off whatever the rate
    Options spec;
    spec.speculativeTokens = 2;
    spec.acceptanceRate = 0.7;
    spec.keepIterations = true;
    const ServingResult r = simulate(fx().pm, fx().llama, fx().vllm, base, w, spec);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.outputTokens, plain.outputTokens);
    // Tokens per decoding sequence and iteration: 1 + 0.7 + 0.49.
    double seqIters = 0, decoded = 0;
    for (const IterationStat& it : r.iterations)
        seqIters += it.decodeSeqs;
    decoded = double(r.completed) * 399; // every finished request decoded 399 tokens after its first
    EXPECT_NEAR(decoded / seqIters, 2.19, 0.05);
    EXPECT_LT(r.tpotS.mean, plain.tpotS.mean);
    // Nothing accepted: one token per iteration at a higher cost than plain decoding.
    spec.acceptanceRate = 0;
    const ServingResult none = simulate(fx().pm, fx().llama, fx().vllm, base, w, spec);
    ASSERT_TRUE(none.ok) << none.error;
    EXPECT_GT(none.tpotS.mean, plain.tpotS.mean);
    EXPECT_NEAR(none.requestsPerS * none.e2eS.mean / 16.0, 1.0, 0.02); // Little's law
}

TEST(SpeculativeDecoding, DecodePoolOfADisaggregatedDeployment) {
    const Scenario base = ScenarioBuilder().build();
    Options spec;
    spec.speculativeTokens = 1;
    spec.acceptanceRate = 1.0;
    const ServingResult plain =
        simulateDeployment(fx().pm, fx().llama, fx().vllm, base, disagg(1, 1, 1, 1), closedLoop(4, 512, 65, 16));
    const ServingResult r =
        simulateDeployment(fx().pm, fx().llama, fx().vllm, base, disagg(1, 1, 1, 1), closedLoop(4, 512, 65, 16), spec);
    ASSERT_TRUE(r.ok && plain.ok) << r.error;
    EXPECT_EQ(r.outputTokens, 16 * 65);
    EXPECT_LT(r.tpotS.mean, 0.7 * plain.tpotS.mean);
}

TEST(WeightFormats, Fp4WeightsDequantizeOnHopperRunNativeWhereDeclared) {
    const Scenario bf = ScenarioBuilder().phase(Phase::Decode).batch(8).context(1024).build();
    auto graphOf = [&](DType w, DType act) {
        Scenario s = bf;
        s.weights = w;
        s.act = act;
        return buildStepGraph(fx().llama, fx().vllm, s);
    };
    // Weight-only nvfp4 / mxfp4 (bf16 activations): bf16 GEMMs streaming 4.5 / 4.25-bit weights.
    const StepGraph nv = graphOf(DType::nvfp4, DType::bf16);
    EXPECT_EQ(nv.gemmType, DType::bf16);
    EXPECT_EQ(findOp(nv, "gate_up_proj")->gemm.bType, DType::nvfp4);
    const StepGraph bfg = graphOf(DType::bf16, DType::bf16);
    const double wBf = findOp(bfg, "gate_up_proj")->bytes, wNv = findOp(nv, "gate_up_proj")->bytes;
    EXPECT_LT(wNv, 0.3 * wBf);
    EXPECT_GT(wNv, 0.28 * wBf);
    // W4A8: fp8 GEMMs. W4A4 nvfp4: native nvfp4, which an H100 lacks — it falls back and says so.
    EXPECT_EQ(graphOf(DType::mxfp4, DType::fp8_e4m3).gemmType, DType::fp8_e4m3);
    const StepGraph w4a4 = graphOf(DType::nvfp4, DType::nvfp4);
    EXPECT_EQ(w4a4.gemmType, DType::nvfp4);
    const GraphEvaluation hopper = evaluateGraph(fx().pm, w4a4);
    EXPECT_NE(hopper.gemmType, DType::nvfp4);
    bool said = false;
    for (const std::string& n : hopper.notes)
        said = said || n.find("no nvfp4 tensor path") != std::string::npos;
    EXPECT_TRUE(said);
    // A platform that declares an nvfp4 peak runs it natively.
    PlatformModel fp4 = fx().pm;
    fp4.tensorPeak[static_cast<std::size_t>(DType::nvfp4)] =
        2 * fp4.tensorPeak[static_cast<std::size_t>(DType::fp8_e4m3)];
    fp4.gemmFraction[static_cast<std::size_t>(DType::nvfp4)] =
        fp4.gemmFraction[static_cast<std::size_t>(DType::fp8_e4m3)];
    EXPECT_EQ(evaluateGraph(fp4, w4a4).gemmType, DType::nvfp4);
    // fp8_block: the fp8 path, a few more weight bytes than per-tensor fp8.
    const StepGraph blk = graphOf(DType::fp8_block, DType::fp8_e4m3);
    const StepGraph f8 = graphOf(DType::fp8_e4m3, DType::fp8_e4m3);
    EXPECT_EQ(blk.gemmType, DType::fp8_e4m3);
    EXPECT_GT(findOp(blk, "gate_up_proj")->bytes, findOp(f8, "gate_up_proj")->bytes);
    EXPECT_LT(findOp(blk, "gate_up_proj")->bytes, 1.001 * findOp(f8, "gate_up_proj")->bytes);
    // The memory model: nvfp4 weights take 4.5 / 16 of bf16's (norms and embeddings aside).
    Scenario s = bf;
    s.weights = DType::nvfp4;
    const double ratio = memoryUse(fx().pm, fx().llama, fx().vllm, s).weightsBytes /
                         memoryUse(fx().pm, fx().llama, fx().vllm, bf).weightsBytes;
    EXPECT_NEAR(ratio, 4.5 / 16, 1e-9);
    // The whole step runs and serves.
    const ServingResult r = simulate(fx().pm, fx().llama, fx().vllm, s, closedLoop(4, 512, 32, 8));
    ASSERT_TRUE(r.ok) << r.error;
}

TEST(EventSkipping, SameResultsAsIterationByIteration) {
    const Scenario base = ScenarioBuilder().build();
    serving::Workload poisson;
    poisson.arrival = Arrival::Poisson;
    poisson.ratePerS = 12;
    poisson.inputTokens = 800;
    poisson.outputTokens = 300;
    poisson.requests = 200;
    struct Case {
        const StackProfile* stack;
        Deployment dep;
        serving::Workload load;
    };
    const std::vector<Case> cases{
        {&fx().vllm, aggregated(1), closedLoop(64, 1024, 512)},
        {&fx().sglang, aggregated(1), closedLoop(24, 2000, 300)},
        {&fx().trt, aggregated(2), closedLoop(33, 700, 400)},
        {&fx().vllm, aggregated(1), poisson},
        {&fx().vllm, disagg(1, 1, 2, 1), closedLoop(16, 1500, 200)},
        {&fx().sglang, disagg(2, 1, 1, 2), poisson},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const Case& c = cases[i];
        Options on, off;
        off.skipDecodes = false;
        const ServingResult a = simulateDeployment(fx().pm, fx().llama, *c.stack, base, c.dep, c.load, on);
        const ServingResult b = simulateDeployment(fx().pm, fx().llama, *c.stack, base, c.dep, c.load, off);
        ASSERT_TRUE(a.ok && b.ok) << i << ": " << a.error << b.error;
        EXPECT_EQ(a.iterationCount, b.iterationCount) << i;
        EXPECT_EQ(a.outputTokens, b.outputTokens) << i;
        EXPECT_EQ(a.preemptions, b.preemptions) << i;
        for (const auto& [name, x, y] : {std::tuple{"ttft", a.ttftS, b.ttftS}, std::tuple{"tpot", a.tpotS, b.tpotS},
                                         std::tuple{"itl", a.itlS, b.itlS}, std::tuple{"e2e", a.e2eS, b.e2eS}}) {
            EXPECT_EQ(x.count, y.count) << i << " " << name;
            EXPECT_NEAR(x.mean / y.mean, 1.0, 1e-9) << i << " " << name;
            EXPECT_NEAR(x.p50 / y.p50, 1.0, 1e-9) << i << " " << name;
            EXPECT_NEAR(x.p99 / y.p99, 1.0, 1e-9) << i << " " << name;
        }
        EXPECT_NEAR(a.outputTokensPerS / b.outputTokensPerS, 1.0, 1e-9) << i;
        EXPECT_NEAR(a.meanKvUtilization / b.meanKvUtilization, 1.0, 1e-9) << i;
        EXPECT_EQ(a.peakKvUtilization, b.peakKvUtilization) << i;
        EXPECT_NEAR(a.meanDecodeBatch / b.meanDecodeBatch, 1.0, 1e-9) << i;
    }
    // Under KV pressure the spans stop where blocks run out (vLLM, SGLang: preemption) or run while admission
    // stays blocked (TensorRT-LLM's reserve: the queue waits).
    for (const StackProfile* stack : {&fx().vllm, &fx().sglang, &fx().trt}) {
        StackProfile tight = *stack;
        tight.scheduler.kvMemoryFraction = stack == &fx().sglang ? 0.2 : 0.35;
        Options off;
        off.skipDecodes = false;
        const serving::Workload w = closedLoop(200, 1024, 800, 400);
        const ServingResult a = simulate(fx().pm, fx().llama, tight, base, w);
        const ServingResult b = simulate(fx().pm, fx().llama, tight, base, w, off);
        ASSERT_TRUE(a.ok && b.ok) << a.error << b.error;
        if (stack != &fx().trt)
            EXPECT_GT(b.preemptions, 0) << stack->name;
        else
            EXPECT_GT(b.queueS.mean, 1.0) << stack->name;
        EXPECT_EQ(a.preemptions, b.preemptions) << stack->name;
        EXPECT_EQ(a.iterationCount, b.iterationCount) << stack->name;
        EXPECT_NEAR(a.tpotS.mean / b.tpotS.mean, 1.0, 1e-9) << stack->name;
        EXPECT_NEAR(a.ttftS.p99 / b.ttftS.p99, 1.0, 1e-9) << stack->name;
        EXPECT_NEAR(a.itlS.p90 / b.itlS.p90, 1.0, 1e-9) << stack->name;
    }
}

TEST(Deployment, WorkersBeyondOneNodeUseTheScaleOutNetwork) {
    // Llama-3.1-405B at TP 16 on 8-GPU HGX nodes: the all-reduces cross nodes over the scale-out network; at TP 8
    // they stay on NVLink.
    const PlatformModel& pm = fx().hgx;
    const LlmArch& big = fx().cat.model("llama-3.1-405b");
    for (const int tp : {8, 16}) {
        const Scenario s =
            ScenarioBuilder().phase(Phase::Decode).batch(32).context(2048).tp(tp).weights(DType::fp8_e4m3).build();
        const StepGraph g = buildStepGraph(big, fx().vllm, s);
        const GraphEvaluation ev = evaluateGraph(pm, g);
        const OpSpec* ar = findOp(g, "all_reduce_attn");
        ASSERT_NE(ar, nullptr);
        double commS = 0;
        for (const OpResult& r : ev.ops)
            if (std::strcmp(r.name, "all_reduce_attn") == 0)
                commS = r.commS;
        EXPECT_NEAR(commS, collectiveSeconds(pm, Collective::AllReduce, ar->collective.bytes, tp), 1e-15);
        const bool outOfNode = tp > pm.scaleUpDomain;
        EXPECT_EQ(outOfNode, tp == 16);
        bool noted = false;
        for (const std::string& n : ev.notes)
            noted = noted || n.find("scale-out") != std::string::npos;
        EXPECT_EQ(noted, outOfNode) << tp;
    }
    // A disaggregated deployment of two TP-16 workers spans four nodes and reports 32 GPUs.
    Deployment d = disagg(1, 16, 1, 16);
    const ServingResult r = simulateDeployment(pm, big, fx().vllm, ScenarioBuilder().weights(DType::fp8_e4m3).build(),
                                               d, closedLoop(4, 2048, 32, 8));
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.gpus, 32);
    // bf16 KV: 2 x 8 KV heads x 128 x 126 layers x 2 bytes per token, 16 NICs in parallel.
    const double bytes = 2048.0 * 2 * 8 * 128 * 126 * 2;
    EXPECT_NEAR(r.kvTransferS / (bytes / (16 * pm.scaleOutBytesPerS * pm.collectiveFraction) + pm.scaleOutLatencyS),
                1.0, 1e-9);
}

// A benchmark that starts cold (Workload::coldStartRounds = R): its first wave, every client at once, is 1 request in
// R of the TTFT statistics; the rest is the steady state. The wave is the trace of `concurrency` requests at time 0.
TEST(Deployment, ColdStartWaveWeighsOneRoundOfTheTtft) {
    const Scenario base = ScenarioBuilder().build();
    serving::Workload steadyLoad = closedLoop(16, 2048, 64);
    const ServingResult steady = simulateDeployment(fx().pm, fx().llama, fx().vllm, base, aggregated(1), steadyLoad);
    serving::Workload waveLoad = steadyLoad;
    waveLoad.arrival = Arrival::Trace;
    waveLoad.trace.assign(16, TraceRequest{0.0, 2048, 64});
    waveLoad.warmup = 0;
    waveLoad.requests = 16;
    const ServingResult wave = simulateDeployment(fx().pm, fx().llama, fx().vllm, base, aggregated(1), waveLoad);
    const ServingResult single =
        simulateDeployment(fx().pm, fx().llama, fx().vllm, base, aggregated(1), closedLoop(1, 2048, 64));
    serving::Workload cold = steadyLoad;
    cold.coldStartRounds = 10;
    const ServingResult r10 = simulateDeployment(fx().pm, fx().llama, fx().vllm, base, aggregated(1), cold);
    cold.coldStartRounds = 1;
    const ServingResult r1 = simulateDeployment(fx().pm, fx().llama, fx().vllm, base, aggregated(1), cold);
    ASSERT_TRUE(steady.ok && wave.ok && single.ok && r10.ok && r1.ok) << r10.error;
    // Sixteen prompts at once queue behind each other's prefills: on average several single-request prefills.
    EXPECT_GT(wave.ttftS.mean, 3.0 * single.ttftS.mean);
    EXPECT_LT(2.0 * steady.ttftS.mean, wave.ttftS.mean);
    EXPECT_NEAR(r10.ttftS.mean / (0.9 * steady.ttftS.mean + 0.1 * wave.ttftS.mean), 1.0, 1e-9);
    EXPECT_NEAR(r1.ttftS.mean / wave.ttftS.mean, 1.0, 1e-9);
    EXPECT_EQ(r10.ttftS.count, steady.ttftS.count + 16);
    EXPECT_DOUBLE_EQ(r10.ttftS.max, std::max(steady.ttftS.max, wave.ttftS.max));
    // Only the TTFT changes.
    EXPECT_EQ(r10.tpotS.mean, steady.tpotS.mean);
    EXPECT_EQ(r10.outputTokensPerS, steady.outputTokensPerS);
    bool noted = false;
    for (const std::string& n : r10.notes)
        noted = noted || n.find("cold start") != std::string::npos;
    EXPECT_TRUE(noted);
    // Open loops have no cold start: the option is ignored.
    serving::Workload poisson;
    poisson.arrival = Arrival::Poisson;
    poisson.ratePerS = 2;
    poisson.requests = 40;
    const ServingResult p0 = simulateDeployment(fx().pm, fx().llama, fx().vllm, base, aggregated(1), poisson);
    poisson.coldStartRounds = 10;
    const ServingResult p10 = simulateDeployment(fx().pm, fx().llama, fx().vllm, base, aggregated(1), poisson);
    ASSERT_TRUE(p0.ok && p10.ok);
    EXPECT_EQ(p0.ttftS.mean, p10.ttftS.mean);
}
