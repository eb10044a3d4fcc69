// Golden tests of the step graph per preset and phase, with no platform: op names and order, counts, shapes,
// flops and bytes. The expected numbers are computed by hand from the presets' config values (written out in the
// comments), not copied from the program's output.
#include "analysis/llm_engine.hpp"
#include "analysis/step_graph.hpp"
#include "io/data_paths.hpp"
#include "io/model_loader.hpp"
#include "io/platform_loader.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <gtest/gtest.h>
#include <string>
#include <vector>

using namespace rooflab;

namespace {

/// The struct's defaults: fused QKV and gate-up, one kernel and one pass per op, router 2 kernels, prefill
/// launched on streams and decode replayed from a graph. Hand-checkable; the shipped stacks are data files.
StackProfile plainStack() {
    StackProfile s;
    s.name = "plain";
    return s;
}

Scenario decode(int64_t batch, int64_t context) {
    Scenario s;
    s.phase = Phase::Decode;
    s.batch = batch;
    s.context = context;
    return s;
}

Scenario prefill(int64_t batch, int64_t prompt) {
    Scenario s;
    s.phase = Phase::Prefill;
    s.batch = batch;
    s.prompt = prompt;
    return s;
}

std::vector<std::string> names(const StepGraph& g) {
    std::vector<std::string> out;
    for (const OpSpec& op : g.ops)
        out.emplace_back(op.name);
    return out;
}

/// The `nth` op called `name` (0-based); fails the test when absent.
const OpSpec& op(const StepGraph& g, const char* name, int nth = 0) {
    for (const OpSpec& o : g.ops)
        if (std::strcmp(o.name, name) == 0 && nth-- == 0)
            return o;
    ADD_FAILURE() << "no op " << name;
    static const OpSpec none;
    return none;
}

int countOps(const StepGraph& g, const char* name) {
    int n = 0;
    for (const OpSpec& o : g.ops)
        n += std::strcmp(o.name, name) == 0;
    return n;
}

double sumFlops(const StepGraph& g, OpKind kind) {
    double f = 0;
    for (const OpSpec& o : g.ops)
        f += o.kind == kind ? o.totalFlops() : 0.0;
    return f;
}

void expectGemm(const OpSpec& o, double m, double n, double k, double batch = 1) {
    EXPECT_EQ(o.kind, OpKind::Gemm) << o.name;
    EXPECT_EQ(o.cls, OpClass::Gemm) << o.name;
    EXPECT_DOUBLE_EQ(o.gemm.m, m) << o.name;
    EXPECT_DOUBLE_EQ(o.gemm.n, n) << o.name;
    EXPECT_DOUBLE_EQ(o.gemm.k, k) << o.name;
    EXPECT_DOUBLE_EQ(o.gemm.batch, batch) << o.name;
    EXPECT_DOUBLE_EQ(o.flops, 2.0 * m * n * k * batch) << o.name;
}

} // namespace

// llama-3.1-8b: hidden 4096, 32 heads, 8 KV heads, head_dim 4096/32 = 128, MLP 14336, vocab 128256, 32 layers.
TEST(StepGraph, Llama8BDecodeBatch1) {
    const LlmArch a = io::loadModel("llama-3.1-8b");
    const StepGraph g = buildStepGraph(a, plainStack(), decode(1, 1023));
    const std::vector<std::string> expected = {"embedding",        "input_norm",   "qkv_proj",   "rope",
                                               "kv_append",        "attention",    "o_proj",     "residual_add",
                                               "pre_mlp_norm",     "gate_up_proj", "activation", "down_proj",
                                               "residual_add_mlp", "final_norm",   "lm_head"};
    EXPECT_EQ(names(g), expected);
    EXPECT_EQ(g.launch, LaunchMode::Graph);
    EXPECT_EQ(g.gemmType, DType::bf16);
    EXPECT_DOUBLE_EQ(g.tokens, 1);
    EXPECT_DOUBLE_EQ(g.lmHeadRows, 1);

    // QKV: n = (32 + 2 x 8) x 128 = 6144; flops 2 x 4096 x 6144 = 50,331,648; bytes x (8 KiB) + W (48 MiB) + y.
    const OpSpec& qkv = op(g, "qkv_proj");
    expectGemm(qkv, 1, 6144, 4096);
    EXPECT_EQ(qkv.flops, 50331648.0);
    EXPECT_EQ(qkv.bytes, 4096.0 * 2 + 4096.0 * 6144 * 2 + 6144.0 * 2);
    EXPECT_EQ(qkv.count, 32);
    EXPECT_TRUE(qkv.perLayer);
    expectGemm(op(g, "o_proj"), 1, 4096, 4096);
    expectGemm(op(g, "gate_up_proj"), 1, 28672, 4096);
    expectGemm(op(g, "down_proj"), 1, 4096, 14336);

    // Decode attention over 1023 cached + 1 new key: 1024 (query, key) pairs per head, qk + v = 256.
    const OpSpec& at = op(g, "attention");
    EXPECT_EQ(at.kind, OpKind::Attention);
    EXPECT_EQ(at.attention.queries, 1);
    EXPECT_EQ(at.attention.keys, 1024);
    EXPECT_EQ(at.attention.heads, 32);
    EXPECT_EQ(at.attention.kvHeads, 8);
    EXPECT_EQ(at.attention.qkDim, 128);
    EXPECT_EQ(at.flops, 2.0 * 32 * 1024 * 256);
    // K and V of 8 heads for 1024 keys in bf16, plus Q and O of 32 heads.
    EXPECT_EQ(at.bytes, 1024.0 * 8 * 256 * 2 + 32.0 * 256 * 2);

    // KV append: one token's K and V, 2 x 8 x 128 = 2048 elements, read bf16 and written bf16.
    const OpSpec& kv = op(g, "kv_append");
    EXPECT_EQ(kv.memory.elements, 2048);
    EXPECT_EQ(kv.bytes, 2048.0 * 2 * 2);
    EXPECT_EQ(op(g, "rope").memory.elements, (32.0 + 8) * 128);
    const OpSpec& norm = op(g, "input_norm");
    EXPECT_EQ(norm.memory.rowElements, 4096);
    EXPECT_EQ(norm.flops, 4.0 * 4096);

    // LM head once (not per layer), fp32 logits: 2 x 4096 x 128256 flops.
    const OpSpec& lm = op(g, "lm_head");
    expectGemm(lm, 1, 128256, 4096);
    EXPECT_EQ(lm.count, 1);
    EXPECT_FALSE(lm.perLayer);
    EXPECT_EQ(lm.gemm.outBytesPerElement, 4);
    EXPECT_EQ(op(g, "embedding").bytes, 4096.0 * 2 * 2);

    // All GEMM flops of one token: 2 x the matrix parameters outside the embedding table.
    const double layerParams = 4096.0 * 6144 + 4096.0 * 4096 + 3.0 * 4096 * 14336;
    EXPECT_EQ(sumFlops(g, OpKind::Gemm), 2.0 * (32 * layerParams + 4096.0 * 128256));
    EXPECT_EQ(describeShape(qkv), "1 x 6144 x 4096 bf16.bf16");
}

TEST(StepGraph, Llama8BPrefillIsCausalAndTheHeadSeesTheLastTokens) {
    const LlmArch a = io::loadModel("llama-3.1-8b");
    const StepGraph g = buildStepGraph(a, plainStack(), prefill(2, 512));
    EXPECT_EQ(g.launch, LaunchMode::Stream);
    EXPECT_DOUBLE_EQ(g.tokens, 1024);
    expectGemm(op(g, "qkv_proj"), 1024, 6144, 4096);
    // Causal: query i sees i + 1 keys, 512 x 513 / 2 = 131,328 pairs per sequence and head.
    const OpSpec& at = op(g, "attention");
    EXPECT_EQ(at.attention.batch, 2);
    EXPECT_EQ(at.attention.queries, 512);
    EXPECT_EQ(at.flops, 2.0 * 2 * 32 * 131328 * 256);
    expectGemm(op(g, "lm_head"), 2, 128256, 4096);
    EXPECT_EQ(op(g, "final_norm").memory.elements, 2.0 * 4096);
}

TEST(StepGraph, Llama8BChunkedHasTwoAttentions) {
    const LlmArch a = io::loadModel("llama-3.1-8b");
    Scenario s = decode(4, 1023);
    s.phase = Phase::Chunked;
    s.chunk = 256;
    s.chunkOffset = 512;
    const StepGraph g = buildStepGraph(a, plainStack(), s);
    EXPECT_DOUBLE_EQ(g.tokens, 4 + 256);
    EXPECT_DOUBLE_EQ(g.lmHeadRows, 5);
    EXPECT_EQ(countOps(g, "attention"), 0);
    const OpSpec& pre = op(g, "attention_prefill");
    EXPECT_EQ(pre.attention.batch, 1);
    EXPECT_EQ(pre.attention.queries, 256);
    EXPECT_EQ(pre.attention.keys, 768);
    // 256 queries after 512 cached keys: 256 x 512 + 256 x 257 / 2 = 131,072 + 32,896 = 163,968 pairs.
    EXPECT_EQ(pre.flops, 2.0 * 32 * 163968 * 256);
    const OpSpec& dec = op(g, "attention_decode");
    EXPECT_EQ(dec.attention.batch, 4);
    EXPECT_EQ(dec.attention.keys, 1024);
    expectGemm(op(g, "qkv_proj"), 260, 6144, 4096);
    expectGemm(op(g, "lm_head"), 5, 128256, 4096);
}

TEST(StepGraph, TensorSequenceAndPipelineParallelism) {
    const LlmArch a = io::loadModel("llama-3.1-8b");
    Scenario s = decode(8, 1023);
    s.tp = 2;
    StepGraph g = buildStepGraph(a, plainStack(), s);
    // 16 query and 4 KV heads per device: n = (16 + 8) x 128 = 3072; o_proj k = 16 x 128.
    expectGemm(op(g, "qkv_proj"), 8, 3072, 4096);
    expectGemm(op(g, "o_proj"), 8, 4096, 2048);
    expectGemm(op(g, "gate_up_proj"), 8, 14336, 4096);
    const OpSpec& ar = op(g, "all_reduce_attn");
    EXPECT_EQ(ar.kind, OpKind::Collective);
    EXPECT_EQ(ar.collective.kind, Collective::AllReduce);
    EXPECT_EQ(ar.collective.bytes, 8.0 * 4096 * 2);
    EXPECT_EQ(ar.collective.ranks, 2);
    EXPECT_EQ(ar.count, 32);
    EXPECT_EQ(countOps(g, "all_reduce_mlp"), 1);
    const OpSpec& lg = op(g, "logits_gather");
    EXPECT_EQ(lg.collective.kind, Collective::AllGather);
    EXPECT_EQ(lg.collective.bytes, 8.0 * 128256 * 4);
    expectGemm(op(g, "lm_head"), 8, 64128, 4096);

    // Sequence parallel: a reduce-scatter and an all-gather per all-reduce; norms see tokens / tp.
    s.sequenceParallel = true;
    g = buildStepGraph(a, plainStack(), s);
    EXPECT_EQ(countOps(g, "all_reduce_attn") + countOps(g, "all_reduce_mlp"), 0);
    EXPECT_EQ(countOps(g, "reduce_scatter"), 2);
    EXPECT_EQ(countOps(g, "all_gather"), 2);
    EXPECT_EQ(op(g, "input_norm").memory.elements, 4.0 * 4096);

    // tp 16 > 8 KV heads: each device keeps one (replicated) KV head: n = (2 + 2) x 128.
    s = decode(1, 1023);
    s.tp = 16;
    g = buildStepGraph(a, plainStack(), s);
    expectGemm(op(g, "qkv_proj"), 1, 512, 4096);
    EXPECT_EQ(op(g, "attention").attention.kvHeads, 1);

    // Two pipeline stages: 16 layers each, one activation transfer between them.
    s = decode(4, 1023);
    s.pp = 2;
    g = buildStepGraph(a, plainStack(), s);
    EXPECT_EQ(op(g, "qkv_proj").count, 16);
    const OpSpec& pp = g.ops.back();
    EXPECT_STREQ(pp.name, "pp_send_recv");
    EXPECT_TRUE(pp.betweenStages);
    EXPECT_EQ(pp.count, 1);
    EXPECT_EQ(pp.collective.kind, Collective::SendRecv);
    EXPECT_EQ(pp.collective.bytes, 4.0 * 4096 * 2);
}

TEST(StepGraph, UnfusedStackAndDatatypes) {
    const LlmArch a = io::loadModel("llama-3.1-8b");
    StackProfile st = plainStack();
    st.fusedQkv = false;
    st.fusedGateUp = false;
    st.activationKernels = 2;
    st.stridedElementwise = true;
    const StepGraph g = buildStepGraph(a, st, decode(1, 0));
    expectGemm(op(g, "q_proj"), 1, 4096, 4096);
    expectGemm(op(g, "k_proj"), 1, 1024, 4096);
    expectGemm(op(g, "v_proj"), 1, 1024, 4096);
    expectGemm(op(g, "gate_proj"), 1, 14336, 4096);
    expectGemm(op(g, "up_proj"), 1, 14336, 4096);
    EXPECT_EQ(countOps(g, "qkv_proj") + countOps(g, "gate_up_proj"), 0);
    EXPECT_EQ(op(g, "activation").kernels, 2);
    EXPECT_TRUE(op(g, "activation").memory.strided);
    EXPECT_TRUE(op(g, "rope").memory.strided);
    EXPECT_FALSE(op(g, "residual_add").memory.strided);

    // fp8 weights and activations ask for the fp8 tensor path; attention stays bf16; fp8 KV halves its bytes.
    Scenario s = decode(1, 1023);
    s.weights = DType::fp8_e4m3;
    s.act = DType::fp8_e4m3;
    s.kv = DType::fp8_e4m3;
    StepGraph f = buildStepGraph(a, plainStack(), s);
    EXPECT_EQ(f.gemmType, DType::fp8_e4m3);
    EXPECT_EQ(f.attentionType, DType::bf16);
    EXPECT_EQ(op(f, "qkv_proj").bytes, 4096.0 + 4096.0 * 6144 + 6144.0);
    EXPECT_EQ(op(f, "attention").attention.kvBytesPerElement, 1);
    // int4 weights: half a byte per weight plus an fp16 scale per group of 128; int8 activations are stored bf16.
    s.weights = DType::int4;
    s.act = DType::int8;
    s.kv = DType::bf16;
    f = buildStepGraph(a, plainStack(), s);
    EXPECT_EQ(f.gemmType, DType::bf16);
    EXPECT_EQ(f.activationType, DType::bf16);
    EXPECT_EQ(op(f, "qkv_proj").bytes, 4096.0 * 2 + 4096.0 * 6144 * 0.5 + 4096.0 * 6144 / 128 * 2 + 6144.0 * 2);
}

// qwen3-8b: hidden 4096, 32 heads, 8 KV heads, head_dim 128, MLP 12288, 36 layers, per-head q/k RMSNorm.
TEST(StepGraph, Qwen3NormsQueriesAndKeys) {
    const LlmArch a = io::loadModel("qwen3-8b");
    const StepGraph g = buildStepGraph(a, plainStack(), decode(16, 2047));
    const std::vector<std::string> head = names(g);
    ASSERT_GE(head.size(), 5u);
    EXPECT_EQ(std::vector<std::string>(head.begin(), head.begin() + 5),
              (std::vector<std::string>{"embedding", "input_norm", "qkv_proj", "qk_norm", "rope"}));
    const OpSpec& qk = op(g, "qk_norm");
    EXPECT_EQ(qk.cls, OpClass::Norm);
    EXPECT_EQ(qk.count, 36);
    EXPECT_EQ(qk.memory.elements, 16.0 * (32 + 8) * 128);
    EXPECT_EQ(qk.memory.rowElements, (32.0 + 8) * 128);
    EXPECT_EQ(qk.bytes, 2.0 * 16 * 40 * 128 * 2);
    expectGemm(op(g, "gate_up_proj"), 16, 24576, 4096);
    const OpSpec& at = op(g, "attention");
    EXPECT_EQ(at.flops, 2.0 * 16 * 32 * 2048 * 256);
}

// mixtral-8x7b: 8 experts, top 2, expert width 14336, hidden 4096, 32 layers, vocab 32000.
TEST(StepGraph, MixtralExpertsAndExpertParallelism) {
    const LlmArch a = io::loadModel("mixtral-8x7b");
    StepGraph g = buildStepGraph(a, plainStack(), decode(1, 1023));
    EXPECT_EQ(countOps(g, "gate_up_proj"), 0);
    expectGemm(op(g, "router"), 1, 8, 4096);
    EXPECT_EQ(op(g, "router_topk").kernels, 2);
    // One token picks 2 of 8 experts: P(touched) = 1 - (6/8)^1 = 1/4, 8 x 1/4 = 2 experts of 1 token each.
    expectGemm(op(g, "experts_gate_up"), 1, 28672, 4096, 2);
    expectGemm(op(g, "experts_down"), 1, 4096, 14336, 2);
    EXPECT_EQ(op(g, "experts_activation").memory.elements, 2.0 * 14336);
    EXPECT_EQ(countOps(g, "all_reduce_moe") + countOps(g, "moe_dispatch"), 0);
    // Expert flops of one token = 2 x top-2 experts' parameters (3 x 4096 x 14336 each).
    EXPECT_EQ(op(g, "experts_gate_up").flops + op(g, "experts_down").flops, 2.0 * 2 * 3 * 4096 * 14336);

    // 64 tokens touch all but (3/4)^64 of the experts: ~8, each with 64 x 2 / 8 = 16 tokens.
    g = buildStepGraph(a, plainStack(), decode(64, 1023));
    const OpSpec& gu = op(g, "experts_gate_up");
    const double touched = 1.0 - std::pow(0.75, 64);
    EXPECT_DOUBLE_EQ(gu.gemm.batch, 8 * touched);
    EXPECT_DOUBLE_EQ(gu.gemm.m, 16 / touched);
    EXPECT_DOUBLE_EQ(8 * touched, expectedDistinctExperts(8, 2, 64));

    // tp 2 = ep 2: 4 whole experts per device, an all-to-all before and after them, no all-reduce of the MoE.
    Scenario s = decode(1, 1023);
    s.tp = 2;
    s.ep = 2;
    g = buildStepGraph(a, plainStack(), s);
    const OpSpec& d = op(g, "moe_dispatch");
    EXPECT_EQ(d.collective.kind, Collective::AllToAll);
    EXPECT_EQ(d.collective.ranks, 2);
    EXPECT_EQ(d.collective.bytes, 1.0 * 2 / 2 * 4096 * 2);
    EXPECT_EQ(countOps(g, "moe_combine"), 1);
    EXPECT_EQ(countOps(g, "all_reduce_moe"), 0);
    expectGemm(op(g, "experts_gate_up"), 1, 28672, 4096, 1);
    // tp 2 without EP: experts split in width, partial sums reduced.
    s.ep = 1;
    g = buildStepGraph(a, plainStack(), s);
    expectGemm(op(g, "experts_gate_up"), 1, 14336, 4096, 2);
    EXPECT_EQ(countOps(g, "all_reduce_moe"), 1);
}

// deepseek-v3: hidden 7168, 128 heads, q_lora 1536, kv_lora 512, qk nope 128 + rope 64, v 128, 256 experts of
// 2048, top 8, one shared expert, first 3 layers dense (MLP 18432), 61 layers, vocab 129280.
TEST(StepGraph, DeepSeekV3MlaDecodeAbsorbsAndPrefillDecompresses) {
    const LlmArch a = io::loadModel("deepseek-v3");
    const StepGraph g = buildStepGraph(a, plainStack(), decode(1, 4095));
    EXPECT_EQ(countOps(g, "qkv_proj"), 0);
    EXPECT_EQ(countOps(g, "attention"), 2); // dense group and MoE group
    EXPECT_EQ(op(g, "q_a_proj", 0).count, 3);
    EXPECT_EQ(op(g, "q_a_proj", 1).count, 58);
    expectGemm(op(g, "q_a_proj"), 1, 1536, 7168);
    EXPECT_EQ(op(g, "q_a_norm").memory.rowElements, 1536);
    expectGemm(op(g, "q_b_proj"), 1, 128 * 192, 1536);
    expectGemm(op(g, "kv_a_proj"), 1, 576, 7168);
    EXPECT_EQ(op(g, "kv_a_norm").memory.rowElements, 512);
    EXPECT_EQ(op(g, "rope").memory.elements, (128.0 + 1) * 64);
    EXPECT_EQ(op(g, "kv_append").memory.elements, 576);
    // Decode: W_UK absorbed into the query (128 heads x [1 x 128] x [128 x 512]), attention over the shared
    // 576-wide latent (qk 512 + 64, v 512), W_UV applied after.
    expectGemm(op(g, "q_absorb"), 1, 512, 128, 128);
    expectGemm(op(g, "v_absorb"), 1, 128, 512, 128);
    const OpSpec& at = op(g, "attention");
    EXPECT_EQ(at.attention.kvHeadsShareLatent, 576);
    EXPECT_EQ(at.attention.qkDim, 576);
    EXPECT_EQ(at.attention.vDim, 512);
    EXPECT_EQ(at.flops, 2.0 * 128 * 4096 * (576 + 512));
    EXPECT_EQ(at.bytes, 4096.0 * 576 * 2 + 128.0 * 1088 * 2);
    expectGemm(op(g, "o_proj"), 1, 7168, 128 * 128);
    // The dense layers' MLP, then the MoE layers: 8 of 256 experts for one token, plus the shared expert.
    expectGemm(op(g, "gate_up_proj"), 1, 2 * 18432, 7168);
    EXPECT_EQ(op(g, "gate_up_proj").count, 3);
    expectGemm(op(g, "router"), 1, 256, 7168);
    expectGemm(op(g, "experts_gate_up"), 1, 4096, 7168, 8);
    expectGemm(op(g, "shared_gate_up"), 1, 4096, 7168);
    expectGemm(op(g, "shared_down"), 1, 7168, 2048);
    EXPECT_EQ(op(g, "shared_down").count, 58);
    EXPECT_EQ(describeShape(at), "b 1 q 1 k 4096 h 128/1 d 576/512 latent");

    // Prefill: the latent is decompressed to per-head K and V (kv_b_proj) for ordinary attention.
    const StepGraph p = buildStepGraph(a, plainStack(), prefill(1, 1024));
    EXPECT_EQ(countOps(p, "q_absorb") + countOps(p, "v_absorb"), 0);
    expectGemm(op(p, "kv_b_proj"), 1024, 128 * (128 + 128), 512);
    const OpSpec& pa = op(p, "attention");
    EXPECT_EQ(pa.attention.kvHeads, 128);
    EXPECT_EQ(pa.attention.qkDim, 192);
    EXPECT_EQ(pa.attention.vDim, 128);
    EXPECT_EQ(pa.flops, 2.0 * 128 * (1024.0 * 1025 / 2) * 320);
}

// gemma-2-9b: hidden 3584, 16 heads, 8 KV heads, head_dim 256, sliding window 4096 on every other layer (21 + 21),
// four norms per layer, tied embeddings, vocab 256000.
TEST(StepGraph, GemmaSlidingWindowLayersAndFourNorms) {
    const LlmArch a = io::loadModel("gemma-2-9b");
    const StepGraph g = buildStepGraph(a, plainStack(), decode(1, 8191));
    ASSERT_EQ(countOps(g, "attention"), 2);
    const OpSpec& local = op(g, "attention", 0);
    const OpSpec& global = op(g, "attention", 1);
    EXPECT_EQ(local.attention.window, 4096);
    EXPECT_EQ(global.attention.window, 0);
    EXPECT_EQ(local.count, 21);
    EXPECT_EQ(global.count, 21);
    // One query over 8192 keys: the window lets it see 4096, and reads the last 4096 + 1.
    EXPECT_EQ(local.flops, 2.0 * 16 * 4096 * 512);
    EXPECT_EQ(global.flops, 2.0 * 16 * 8192 * 512);
    EXPECT_EQ(local.bytes, 4097.0 * 8 * 512 * 2 + 16.0 * 512 * 2);
    EXPECT_EQ(global.bytes, 8192.0 * 8 * 512 * 2 + 16.0 * 512 * 2);
    EXPECT_EQ(countOps(g, "post_attn_norm"), 2);
    EXPECT_EQ(countOps(g, "post_mlp_norm"), 2);
    expectGemm(op(g, "qkv_proj"), 1, (16 + 16) * 256, 3584);
    expectGemm(op(g, "o_proj"), 1, 3584, 4096);
    expectGemm(op(g, "lm_head"), 1, 256000, 3584);

    // Prefill of 8192 tokens under a 4096 window: the first 4096 queries see 1..4096 keys, the rest 4096 each.
    const StepGraph p = buildStepGraph(a, plainStack(), prefill(1, 8192));
    EXPECT_EQ(op(p, "attention", 0).flops, 2.0 * 16 * (4096.0 * 4097 / 2 + 4096.0 * 4096) * 512);
    EXPECT_EQ(op(p, "attention", 1).flops, 2.0 * 16 * (8192.0 * 8193 / 2) * 512);
}

TEST(StepGraph, CheckScenarioErrorsAndNotes) {
    const LlmArch llama = io::loadModel("llama-3.1-8b");
    EXPECT_TRUE(checkScenario(llama, decode(1, 1023)).empty());
    auto firstError = [&](const LlmArch& a, const Scenario& s) {
        const auto st = checkScenario(a, s);
        return !st.empty() && st.back().isError() ? st.back().text() : std::string();
    };
    Scenario s = decode(1, 1023);
    s.tp = 3;
    EXPECT_EQ(firstError(llama, s), "'tp': 3 does not divide the 32 attention heads");
    EXPECT_EQ(checkScenario(llama, s).back().key, "tp");
    s.tp = 0;
    EXPECT_EQ(firstError(llama, s), "'tp': 0 must be at least 1");
    s = decode(1, 1023);
    s.pp = 33;
    EXPECT_EQ(firstError(llama, s), "'pp': 33 exceeds the 32 layers");
    s = decode(1, 1023);
    s.ep = 2;
    s.tp = 2;
    EXPECT_EQ(firstError(llama, s), "'ep': 2: ep > 1 needs a mixture-of-experts model");
    // Issue 20: every layout error names its key.
    const LlmArch mixtral = io::loadModel("mixtral-8x7b");
    s = decode(1, 1023);
    s.tp = 4;
    s.ep = 3;
    EXPECT_EQ(firstError(mixtral, s),
              "'ep': 3 must divide tp x attention_dp (4) and the number of experts (8): experts "
              "spread over the tensor-parallel group");
    s.ep = 2;
    s.moeTp = 3;
    EXPECT_EQ(firstError(mixtral, s), "'moe_tp': 3 x ep 2 must equal tp 4 x attention_dp 1");
    s.moeTp = 0;
    s.attentionDp = 0;
    EXPECT_EQ(firstError(mixtral, s), "'attention_dp': 0 must be at least 1");
    s = decode(1, 1023);
    s.phase = Phase::Chunked;
    s.chunk = 0;
    EXPECT_EQ(firstError(llama, s), "'chunk': a chunked step needs a chunk of at least 1 token");
    // Too long a sequence is a note, not an error.
    s = decode(1, 200000);
    const auto st = checkScenario(llama, s);
    ASSERT_EQ(st.size(), 1u);
    EXPECT_FALSE(st[0].isError());
    EXPECT_NE(st[0].message.find("exceeds the model's max_position_embeddings"), std::string::npos);
}

TEST(StepGraph, EveryPresetEveryPhaseBuildsWithoutAPlatform) {
    const auto models = io::listModelNames();
    ASSERT_GE(models.size(), 20u);
    for (const auto& mn : models) {
        const LlmArch a = io::loadModel(mn);
        for (Phase ph : {Phase::Prefill, Phase::Decode, Phase::Chunked}) {
            Scenario s;
            s.phase = ph;
            s.batch = 4;
            s.prompt = 512;
            s.context = 1024;
            s.chunk = 256;
            ASSERT_TRUE(checkScenario(a, s).empty()) << mn;
            const StepGraph g = buildStepGraph(a, plainStack(), s);
            // Every layer has one input norm; the head ops run once.
            double layers = 0;
            for (const OpSpec& o : g.ops) {
                layers += std::strcmp(o.name, "input_norm") == 0 ? o.count : 0.0;
                EXPECT_TRUE(std::isfinite(o.flops) && o.flops >= 0) << mn << " " << o.name;
                EXPECT_TRUE(std::isfinite(o.bytes) && o.bytes > 0) << mn << " " << o.name;
                EXPECT_GT(o.count, 0) << mn << " " << o.name;
            }
            EXPECT_EQ(layers, a.numLayers) << mn;
            EXPECT_STREQ(g.ops.front().name, "embedding");
            EXPECT_STREQ(g.ops.back().name, "lm_head");
        }
    }
}

// The graph is what the engine evaluates: a prediction's flops are the graph's, summed in the same order.
TEST(StepGraph, PredictionFlopsAreTheGraphs) {
    const PlatformModel pm = PlatformModel::from(io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb")));
    for (const char* mn : {"llama-3.1-8b", "mixtral-8x7b", "deepseek-v3", "gemma-2-9b"}) {
        const LlmArch a = io::loadModel(mn);
        for (const Scenario& s : {decode(8, 4095), prefill(2, 1024)}) {
            const StepGraph g = buildStepGraph(a, plainStack(), s);
            const GraphEvaluation ev = evaluateGraph(pm, g);
            ASSERT_EQ(ev.ops.size(), g.ops.size());
            double flops = 0;
            for (std::size_t i = 0; i < g.ops.size(); ++i) {
                EXPECT_STREQ(ev.ops[i].name, g.ops[i].name);
                EXPECT_EQ(ev.ops[i].flops, g.ops[i].flops) << mn << " " << g.ops[i].name;
                flops += g.ops[i].totalFlops();
            }
            const Prediction p = predictStep(pm, a, plainStack(), s);
            ASSERT_TRUE(p.ok) << p.error;
            EXPECT_EQ(p.flops, flops) << mn;
        }
    }
}

// evaluateGraph takes a repeated op's result from its earlier copy (DeepSeek-V3's dense and MoE layer groups share
// their attention half): it must give what evaluating each op alone gives, and a changed shape is evaluated anew.
TEST(StepGraph, RepeatedOpsEvaluateAsIfAlone) {
    const PlatformModel pm = PlatformModel::from(io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb")));
    const LlmArch a = io::loadModel("deepseek-v3");
    StepGraph g = buildStepGraph(a, plainStack(), decode(64, 2047));
    ASSERT_EQ(countOps(g, "q_b_proj"), 2); // the 3 dense layers' group and the 58 MoE layers'
    auto alone = [&](const OpSpec& o) {
        StepGraph one = g;
        one.ops = {o};
        return evaluateGraph(pm, one).ops.at(0);
    };
    auto indexOf = [&](const char* name, int nth) {
        return static_cast<std::size_t>(&op(g, name, nth) - g.ops.data());
    };
    const std::size_t first = indexOf("q_b_proj", 0), second = indexOf("q_b_proj", 1);
    const std::size_t attn = indexOf("attention", 1);
    GraphEvaluation ev = evaluateGraph(pm, g);
    for (const std::size_t i : {first, second, attn}) {
        const OpResult one = alone(g.ops[i]);
        EXPECT_EQ(ev.ops[i].timeS, one.timeS) << g.ops[i].name;
        EXPECT_EQ(ev.ops[i].bound, one.bound) << g.ops[i].name;
        EXPECT_EQ(ev.ops[i].count, g.ops[i].count) << g.ops[i].name; // its own count, not the earlier op's
    }
    EXPECT_NE(ev.ops[first].count, ev.ops[second].count);
    // The second group's projection with four times the rows: no longer the first's result.
    g.ops[second].gemm.m *= 4;
    g.ops[second].flops *= 4;
    ev = evaluateGraph(pm, g);
    const OpResult wider = alone(g.ops[second]);
    EXPECT_EQ(ev.ops[second].timeS, wider.timeS);
    EXPECT_GT(ev.ops[second].timeS, ev.ops[first].timeS);
}

// glm-5: MLA, 64 heads, q_lora 2048, kv_lora 512, rope 64; DSA indexer 32 heads x 128, top 2048 keys.
TEST(StepGraph, Glm5SparseAttentionIndexerAndTopKKeys) {
    const LlmArch a = io::loadModel("glm-5");
    const StepGraph g = buildStepGraph(a, plainStack(), decode(4, 8191));
    // Indexer projections are replicated (not split by tp): from the query latent and the hidden state.
    expectGemm(op(g, "indexer_q_proj"), 4, 32 * 128, 2048);
    expectGemm(op(g, "indexer_k_proj"), 4, 128, 6144);
    expectGemm(op(g, "indexer_weights_proj"), 4, 32, 6144);
    // The indexer scores all 8192 keys: 2 flops x 32 heads x 128 dims per key, logits only.
    const OpSpec& ix = op(g, "indexer_logits");
    EXPECT_EQ(ix.kind, OpKind::Attention);
    EXPECT_DOUBLE_EQ(ix.attention.keys, 8192);
    EXPECT_DOUBLE_EQ(ix.flops, 2.0 * 4 * 32 * 8192 * 128);
    // The MLA then attends to the 2048 keys picked (absorbed decode over the 576-wide latent).
    const OpSpec& at = op(g, "attention");
    EXPECT_DOUBLE_EQ(at.attention.window, 2048);
    EXPECT_DOUBLE_EQ(at.flops, 2.0 * 4 * 64 * 2048 * (576 + 512));
    // Past 2048 keys the MLA's cost no longer grows; the indexer's does.
    const StepGraph longer = buildStepGraph(a, plainStack(), decode(4, 16383));
    EXPECT_DOUBLE_EQ(op(longer, "attention").flops, at.flops);
    EXPECT_DOUBLE_EQ(op(longer, "indexer_logits").flops, 2 * ix.flops);
    // Dense MLA models have none of it.
    const StepGraph v3 = buildStepGraph(io::loadModel("deepseek-v3"), plainStack(), decode(4, 8191));
    EXPECT_EQ(countOps(v3, "indexer_logits"), 0);
}

// transformers over a StaticCache (issue 21): the slot mask makes SDPA refuse GQA, so repeat_kv copies the cache
// once per query head before the attention, which then streams the copy.
TEST(StepGraph, StaticCacheDecodeCopiesTheCachePerQueryHeadBeforeAttention) {
    const LlmArch a = io::loadModel("llama-3.1-8b"); // 32 query heads, 8 KV heads, head_dim 128
    StackProfile st = plainStack();
    st.decodeRepeatKv = true;
    st.repeatKvPasses = 1.5;
    st.decodeAttentionExtraKernels = 7;
    const StepGraph g = buildStepGraph(a, st, decode(4, 1023));
    ASSERT_EQ(countOps(g, "repeat_kv"), 1);
    const OpSpec& rep = op(g, "repeat_kv");
    const double cache = 4.0 * 1024 * 2 * 8 * 128 * 2; // K and V of 4 sequences x 1024 keys, bf16
    EXPECT_DOUBLE_EQ(rep.memory.bytesRead, 1.5 * cache);
    EXPECT_DOUBLE_EQ(rep.memory.bytesWritten, 1.5 * 4 * cache);
    EXPECT_EQ(rep.kernels, 2);
    EXPECT_TRUE(rep.memory.strided);
    // the copy comes right before the attention, which now has one KV head per query head and the extra kernels
    const std::vector<std::string> n = names(g);
    const auto at = std::find(n.begin(), n.end(), "repeat_kv");
    ASSERT_NE(at + 1, n.end());
    EXPECT_EQ(*(at + 1), "attention");
    EXPECT_DOUBLE_EQ(op(g, "attention").attention.kvHeads, 32);
    EXPECT_EQ(op(g, "attention").kernels, 8);

    // Prefill runs SDPA with GQA (no mask): no copy, 8 KV heads.
    const StepGraph p = buildStepGraph(a, st, prefill(1, 512));
    EXPECT_EQ(countOps(p, "repeat_kv"), 0);
    EXPECT_DOUBLE_EQ(op(p, "attention").attention.kvHeads, 8);
    EXPECT_EQ(op(p, "attention").kernels, 1);
    // Multi-head attention: repeat_kv returns the cache as it is.
    const StepGraph m = buildStepGraph(io::loadModel("llama-2-7b"), st, decode(4, 1023));
    EXPECT_EQ(countOps(m, "repeat_kv"), 0);
    EXPECT_EQ(op(m, "attention").kernels, 1);
    // Without the stack's flag nothing changes.
    EXPECT_EQ(countOps(buildStepGraph(a, plainStack(), decode(4, 1023)), "repeat_kv"), 0);
}

TEST(StepGraph, StaticCacheSlidingLayersCopyOnlyTheirWindow) {
    const LlmArch a = io::loadModel("gemma-2-9b"); // every other layer slides over 4096 keys; 16 / 8 heads, d 256
    StackProfile st = plainStack();
    st.decodeRepeatKv = true;
    const StepGraph g = buildStepGraph(a, st, decode(1, 8191));
    ASSERT_EQ(countOps(g, "repeat_kv"), 2);
    const double full = 8192.0 * 2 * 8 * 256 * 2, window = 4096.0 * 2 * 8 * 256 * 2;
    std::vector<double> read{op(g, "repeat_kv", 0).memory.bytesRead, op(g, "repeat_kv", 1).memory.bytesRead};
    std::sort(read.begin(), read.end());
    EXPECT_DOUBLE_EQ(read[0], window);
    EXPECT_DOUBLE_EQ(read[1], full);
}

TEST(StepGraph, StaticCacheIsAttendedOverItsAllocatedSlots) {
    // generate(cache_implementation="static") allocates prompt + max_new_tokens slots; every decode step's repeat_kv
    // and masked attention run over all of them. Stacks with paged / preallocated caches read only the context.
    const LlmArch a = io::loadModel("llama-3.1-8b");
    StackProfile st = plainStack();
    st.decodeRepeatKv = true;
    Scenario s = decode(2, 1023);
    s.cacheLength = 4096;
    const StepGraph g = buildStepGraph(a, st, s);
    EXPECT_DOUBLE_EQ(op(g, "attention").attention.keys, 4096);
    EXPECT_DOUBLE_EQ(op(g, "repeat_kv").memory.bytesRead, 2.0 * 4096 * 2 * 8 * 128 * 2);
    // a cache that cannot hold the context is refused at input (checkScenarioRanges)
    s.cacheLength = 100;
    ASSERT_TRUE(checkScenarioRanges(s).has_value());
    EXPECT_EQ(checkScenarioRanges(s)->key, "cache_length");
    s.cacheLength = 4096;
    EXPECT_FALSE(checkScenarioRanges(s).has_value());
    EXPECT_DOUBLE_EQ(op(buildStepGraph(a, plainStack(), s), "attention").attention.keys, 1024);
}

// transformers' grouped_mm experts backend (issue 21): the permutation and the combine are kernels of their own, and
// the activation runs on the whole gate/up output with a mask; their bytes come from moeSideBytes.
TEST(StepGraph, MoeSideKernelsWhereTheFrameworkRunsThemOnTheirOwn) {
    const LlmArch a = io::loadModel("mixtral-8x7b"); // 8 experts, top-2, hidden 4096, width 14336
    StackProfile st = plainStack();
    st.moePermuteKernels = 13;
    st.moeCombineKernels = 10;
    st.moePasses = 2;
    const StepGraph g = buildStepGraph(a, st, prefill(1, 1024));
    const MoeSideBytes b = moeSideBytes(1024.0 * 2, 1024, 4096, 14336, 2);
    EXPECT_DOUBLE_EQ(op(g, "experts_permute").memory.bytesRead, 2 * b.permuteRead);
    EXPECT_DOUBLE_EQ(op(g, "experts_permute").memory.bytesWritten, 2 * b.permuteWritten);
    EXPECT_EQ(op(g, "experts_permute").kernels, 13);
    EXPECT_TRUE(op(g, "experts_permute").memory.strided);
    EXPECT_DOUBLE_EQ(op(g, "experts_activation").memory.bytesRead, 2 * b.activationRead);
    EXPECT_DOUBLE_EQ(op(g, "experts_combine").memory.bytesWritten, 2 * b.combineWritten);
    EXPECT_EQ(op(g, "experts_combine").kernels, 10);
    // the byte count itself: gather + mask of 2048 routed rows of 4096 bf16 values, read and written
    EXPECT_DOUBLE_EQ(b.permuteRead, 2.0 * 2048 * 4096 * 2);
    // five reads and four writes of the routed rows' width (mask of gate/up, SiLU of the gate half, multiply)
    EXPECT_DOUBLE_EQ(b.activationRead, 5.0 * 2048 * 14336 * 2);
    EXPECT_DOUBLE_EQ(b.activationWritten, 4.0 * 2048 * 14336 * 2);
    // the order: router, top-k, permute, gate/up, activation, down, combine
    const std::vector<std::string> n = names(g);
    const auto at = std::find(n.begin(), n.end(), "experts_permute");
    ASSERT_NE(at, n.end());
    EXPECT_EQ(*(at + 1), "experts_gate_up");
    EXPECT_EQ(*(at + 4), "experts_combine");
    // a stack that fuses them (and names no MoE layout) has none of the side ops
    const StepGraph f = buildStepGraph(a, plainStack(), prefill(1, 1024));
    EXPECT_EQ(countOps(f, "experts_permute") + countOps(f, "experts_combine"), 0);
    // one that names its layout has the fused MoE's own combine (moeSlotBytes), under the MoE surface
    StackProfile named = plainStack();
    named.moeKernels = {{"bfloat16", 1, MoeLayout::Slots}};
    const StepGraph withLayout = buildStepGraph(a, named, prefill(1, 1024));
    EXPECT_EQ(countOps(withLayout, "experts_permute"), 0);
    EXPECT_EQ(op(withLayout, "experts_combine").kernels, 1);
    EXPECT_EQ(op(withLayout, "experts_combine").moePart, MoePart::Combine);
}

// The fused MoE's row layout (issue 17): Triton fused_moe (slots) writes and sums every token x top-k slot even where
// another EP rank owns the expert; CUTLASS (permuted) moves only the rank's own rows. Mixtral, 1024 tokens, top-2,
// hidden 4096, width 14336, ep 2 (= tp 2: whole experts). The two ranks share the picks evenly.
TEST(StepGraph, MoeLayoutSetsTheTrafficAroundTheExpertGemms) {
    const LlmArch a = io::loadModel("mixtral-8x7b");
    Scenario s = prefill(1, 1024);
    s.tp = 2;
    s.ep = 2;
    const double T = 1024, slots = 2 * T, local = slots / 2, h = 4096, w = 14336, B = 2;
    StackProfile st = plainStack();
    st.moeKernels = {{"bfloat16", 1, MoeLayout::Slots}};
    StepGraph g = buildStepGraph(a, st, s);
    EXPECT_EQ(g.moeLayout, MoeLayout::Slots);
    // the activation over every slot: gate and up halves read, one half written
    EXPECT_DOUBLE_EQ(op(g, "experts_activation").memory.bytesRead, slots * 2 * w * B);
    EXPECT_DOUBLE_EQ(op(g, "experts_activation").memory.bytesWritten, slots * w * B);
    // the other rank's slots zero-filled by both GEMMs, then every slot summed into one row per token
    EXPECT_DOUBLE_EQ(op(g, "experts_combine").memory.bytesRead, slots * h * B);
    EXPECT_DOUBLE_EQ(op(g, "experts_combine").memory.bytesWritten, (slots - local) * (2 * w + h) * B + T * h * B);

    st.moeKernels = {{"bfloat16", 1, MoeLayout::Slots}, {"bfloat16", 2, MoeLayout::Permuted}};
    g = buildStepGraph(a, st, s);
    EXPECT_EQ(g.moeLayout, MoeLayout::Permuted); // the rule from ep 2 on
    EXPECT_DOUBLE_EQ(op(g, "experts_activation").memory.bytesRead, local * 2 * w * B);
    // gathered into expert order (read + write), read back after the down GEMM, one row per token written
    EXPECT_DOUBLE_EQ(op(g, "experts_combine").memory.bytesRead, 2 * local * h * B);
    EXPECT_DOUBLE_EQ(op(g, "experts_combine").memory.bytesWritten, local * h * B + T * h * B);
    // without EP the two layouts move the same activation bytes (tp 2: half the width per rank)
    s.ep = 1;
    const StepGraph one = buildStepGraph(a, st, s);
    EXPECT_EQ(one.moeLayout, MoeLayout::Slots);
    EXPECT_DOUBLE_EQ(op(one, "experts_activation").memory.bytesRead, slots * 2 * (w / 2) * B);
    StackProfile cutlass = plainStack();
    cutlass.moeKernels = {{"bfloat16", 1, MoeLayout::Permuted}};
    const StepGraph onePermuted = buildStepGraph(a, cutlass, s);
    EXPECT_EQ(onePermuted.moeLayout, MoeLayout::Permuted);
    EXPECT_DOUBLE_EQ(op(onePermuted, "experts_activation").memory.bytesRead,
                     op(one, "experts_activation").memory.bytesRead);
    // a rule for another datatype does not apply: fp8 experts fall back to Permuted
    EXPECT_EQ(st.moeLayout("fp8", 1), MoeLayout::Permuted);
}

// Where the platform's tables timed only the other layout's kernels (vLLM's FP8 experts run Triton on Ada, FlashInfer's
// CUTLASS MoE on Hopper), the graph runs the layout whose surface it has, so bytes and correction agree; the platform's
// compute-type fallback picks the kernel (FP8 experts on a GPU without FP8 run the bf16 kernels).
TEST(StepGraph, MoeLayoutFollowsTheKernelsThePlatformHasSurfacesOf) {
    const LlmArch a = io::loadModel("mixtral-8x7b");
    Scenario s = prefill(1, 1024);
    s.weights = s.act = DType::fp8_e4m3;
    StackProfile st = plainStack();
    st.moeKernels = {{"fp8", 1, MoeLayout::Slots}, {"bfloat16", 1, MoeLayout::Permuted}};
    auto surface = [](const std::string& dtype) {
        EffSurface e;
        e.family = EffFamily::Moe;
        e.dtype = dtype;
        return e;
    };
    const std::string fp8 = std::string("fp8/") + kMoeRouting;
    KernelEfficiency eff;
    eff.surfaces = {surface(fp8 + "/permuted")};                     // CUTLASS only
    EXPECT_EQ(buildStepGraph(a, st, s).moeLayout, MoeLayout::Slots); // no platform surfaces: the stack's rule
    EXPECT_EQ(buildStepGraph(a, st, s, nullptr, &eff).moeLayout, MoeLayout::Permuted);
    eff.surfaces.push_back(surface(fp8));
    EXPECT_EQ(buildStepGraph(a, st, s, nullptr, &eff).moeLayout, MoeLayout::Slots); // both fitted: the rule
    KernelEfficiency none;
    EXPECT_EQ(buildStepGraph(a, st, s, nullptr, &none).moeLayout, MoeLayout::Slots); // neither: the rule
    // A platform without FP8 tensor cores (an H100 with its FP8 peak taken away) runs the experts in bf16: the bf16
    // rule
    PlatformModel noFp8 = PlatformModel::from(io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb")));
    noFp8.tensorPeak[static_cast<std::size_t>(DType::fp8_e4m3)] = 0;
    EXPECT_EQ(buildStepGraph(a, st, s, &noFp8).moeLayout, MoeLayout::Permuted);
    // the resolver the engine's correction uses agrees: the kernel's dtype first, then the layout
    const MoeSurfaceChoice c = eff.resolveMoe({"fp8", nullptr}, MoeLayout::Permuted);
    EXPECT_EQ(c.layout, MoeLayout::Permuted);
    EXPECT_EQ(c.surface->dtype, fp8 + "/permuted");
    EXPECT_EQ(KernelEfficiency{}.resolveMoe({"fp8", nullptr}, MoeLayout::Slots).surface, nullptr);
    // an "fp8" key never matches the block-scaled kernels' surface
    KernelEfficiency block;
    block.surfaces = {surface(std::string("fp8_block/") + kMoeRouting)};
    EXPECT_EQ(block.findMoe("fp8", MoeLayout::Slots), nullptr);
    EXPECT_NE(block.findMoe("fp8_block", MoeLayout::Slots), nullptr);
}

TEST(StepGraph, GroupedGemmOverlapAddsTheHiddenPartOfTheShorterRoof) {
    OpResult r;
    r.computeS = 3e-6;
    r.memoryS[kDram] = 5e-6;
    r.timeS = 5e-6;
    OpResult full = r;
    applyGroupedGemmOverlap(full, 1.0);
    EXPECT_DOUBLE_EQ(full.timeS, 5e-6);
    OpResult slowDram = r;
    applyGroupedGemmOverlap(r, 0.25);
    EXPECT_DOUBLE_EQ(r.timeS, 5e-6 + 0.75 * 3e-6);
    // streaming at half the rate: the DRAM roof doubles (10 us), and the hidden compute is added as before
    applyGroupedGemmOverlap(slowDram, 0.25, 0.5);
    EXPECT_DOUBLE_EQ(slowDram.memoryS[kDram], 10e-6);
    EXPECT_DOUBLE_EQ(slowDram.timeS, 10e-6 + 0.75 * 3e-6);
    // The same Mixtral prefill with the stack's overlap 0.5 takes longer in its expert GEMMs only.
    const PlatformModel pm = PlatformModel::from(io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb")));
    const LlmArch a = io::loadModel("mixtral-8x7b");
    StackProfile st = plainStack();
    const Prediction base = predictStep(pm, a, st, prefill(1, 1024), true);
    st.groupedGemmOverlap = 0.5;
    const Prediction slow = predictStep(pm, a, st, prefill(1, 1024), true);
    ASSERT_TRUE(base.ok && slow.ok);
    EXPECT_GT(slow.latencyS, base.latencyS);
    for (std::size_t i = 0; i < base.ops.size(); ++i) {
        const std::string_view nm = base.ops[i].name;
        if (nm == "experts_gate_up" || nm == "experts_down")
            EXPECT_GT(slow.ops[i].timeS, base.ops[i].timeS) << nm;
        else // (the step's sustained-clock estimate may move the others a little)
            EXPECT_NEAR(slow.ops[i].timeS, base.ops[i].timeS, 0.01 * base.ops[i].timeS) << nm;
    }
}
