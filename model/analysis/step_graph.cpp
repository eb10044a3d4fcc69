#include "analysis/step_graph.hpp"

#include "analysis/moe_routing.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace rooflab {

std::string_view opKindName(OpKind k) {
    switch (k) {
    case OpKind::Gemm:
        return "gemm";
    case OpKind::Attention:
        return "attention";
    case OpKind::Memory:
        return "memory";
    case OpKind::Collective:
        return "collective";
    }
    return "?";
}

namespace {
/// Whole numbers (shapes, element counts) in full; fractions (expected tokens per expert) as "%.6g" would.
void appendNum(std::string& out, double v) {
    char b[64];
    const bool whole = std::floor(v) == v && std::fabs(v) < 1e15;
    const auto r = whole ? std::to_chars(b, b + sizeof b, static_cast<int64_t>(v))
                         : std::to_chars(b, b + sizeof b, v, std::chars_format::general, 6);
    out.append(b, r.ec == std::errc() ? r.ptr : b);
}
} // namespace

std::string describeShape(const OpSpec& op) {
    std::string s;
    switch (op.kind) {
    case OpKind::Gemm: {
        const GemmSpec& g = op.gemm;
        appendNum(s, g.m);
        s += " x ";
        appendNum(s, g.n);
        s += " x ";
        appendNum(s, g.k);
        if (g.batch != 1) {
            s += " x";
            appendNum(s, g.batch);
        }
        s += ' ';
        s += dtypeName(g.aType);
        s += '.';
        s += dtypeName(g.bType);
        break;
    }
    case OpKind::Attention: {
        const AttentionShape& a = op.attention;
        s += "b ";
        appendNum(s, a.batch);
        s += " q ";
        appendNum(s, a.queries);
        s += " k ";
        appendNum(s, a.keys);
        s += " h ";
        appendNum(s, a.heads);
        s += '/';
        appendNum(s, a.kvHeadsShareLatent > 0 ? 1.0 : a.kvHeads);
        s += " d ";
        appendNum(s, a.qkDim);
        if (a.vDim != a.qkDim) {
            s += '/';
            appendNum(s, a.vDim);
        }
        if (a.window > 0) {
            s += " w ";
            appendNum(s, a.window);
        }
        if (a.kvHeadsShareLatent > 0)
            s += " latent";
        break;
    }
    case OpKind::Memory:
        appendNum(s, op.memory.elements);
        s += " el";
        if (op.memory.rowElements > 0) {
            s += " row ";
            appendNum(s, op.memory.rowElements);
        }
        if (op.memory.strided)
            s += " strided";
        break;
    case OpKind::Collective:
        s += collectiveName(op.collective.kind);
        s += ' ';
        appendNum(s, op.collective.bytes);
        s += " B / ";
        appendNum(s, op.collective.ranks);
        break;
    }
    return s;
}

std::vector<ScenarioStatus> checkScenario(const LlmArch& a, const Scenario& s) {
    std::vector<ScenarioStatus> out;
    // Every error names the key at fault (issue 20: "tp 3 does not divide ..." named none).
    auto fail = [&](const char* key, std::string why) {
        out.push_back({ScenarioStatus::Severity::Error, std::move(why), key});
        return out;
    };
    auto n = [](int64_t v) { return std::to_string(v); };
    // A chunked step may carry prefill chunks only (no decoding sequence).
    if (s.batch < (s.phase == Phase::Chunked ? 0 : 1))
        return fail("batch", n(s.batch) + " must be at least " + (s.phase == Phase::Chunked ? "0" : "1"));
    const std::pair<const char*, int> atLeastOne[] = {
        {"tp", s.tp}, {"pp", s.pp}, {"ep", s.ep}, {"dp", s.dp}, {"microbatches", s.microbatches}};
    for (const auto& [key, v] : atLeastOne)
        if (v < 1)
            return fail(key, n(v) + " must be at least 1");
    if (s.phase == Phase::Prefill && s.prompt < 1)
        return fail("prompt", "prefill needs a prompt of at least 1 token");
    if (s.phase != Phase::Prefill && s.context < 0)
        return fail("context", "must not be negative");
    if (s.phase == Phase::Chunked && s.chunk < 1)
        return fail("chunk", "a chunked step needs a chunk of at least 1 token");
    if (s.phase == Phase::Chunked && s.chunkOffset < 0)
        return fail("chunk_offset", "must not be negative");
    if (s.phase == Phase::Chunked && (s.chunkSeqs < 1 || s.chunkSeqs > s.chunk))
        return fail("chunk_seqs", "a chunked step's prefill tokens come from 1 .. chunk prompts");
    if (a.numHeads % s.tp != 0)
        return fail("tp", n(s.tp) + " does not divide the " + n(a.numHeads) + " attention heads");
    if (a.numKvHeads >= s.tp && a.numKvHeads % s.tp != 0)
        return fail("tp", n(s.tp) + " does not divide the " + n(a.numKvHeads) + " KV heads");
    if (s.pp > a.numLayers)
        return fail("pp", n(s.pp) + " exceeds the " + n(a.numLayers) + " layers");
    if (s.attentionDp < 1)
        return fail("attention_dp", n(s.attentionDp) + " must be at least 1");
    if (s.moeTp < 0)
        return fail("moe_tp", n(s.moeTp) + " must be at least 0 (0: tp x attention_dp / ep)");
    // The FFN group: tp x attention-DP GPUs, experts split moe_tp x ep over it.
    const int ffnGroup = s.tp * s.attentionDp;
    if (s.ep > 1 && !a.isMoe())
        return fail("ep", n(s.ep) + ": ep > 1 needs a mixture-of-experts model");
    if (s.ep > 1 && (ffnGroup % s.ep != 0 || a.numExperts % s.ep != 0))
        return fail("ep", n(s.ep) + " must divide tp x attention_dp (" + n(ffnGroup) + ") and the number of experts (" +
                              n(a.numExperts) + "): experts spread over the tensor-parallel group");
    if (s.moeTp > 0 && s.moeTp * s.ep != ffnGroup)
        return fail("moe_tp", n(s.moeTp) + " x ep " + n(s.ep) + " must equal tp " + n(s.tp) + " x attention_dp " +
                                  n(s.attentionDp));
    const int64_t maxTok = a.maxPositions;
    const int64_t seqLen = s.phase == Phase::Prefill ? s.prompt : s.context + 1;
    if (maxTok > 0 && seqLen > maxTok)
        out.push_back({ScenarioStatus::Severity::Note,
                       "sequence length " + n(seqLen) + " exceeds the model's max_position_embeddings " + n(maxTok),
                       s.phase == Phase::Prefill ? "prompt" : "context"});
    return out;
}

std::string ScenarioStatus::text() const {
    return key.empty() || severity == Severity::Note ? message : "'" + key + "': " + message;
}

MoeSideBytes moeSideBytes(double routedRows, double tokens, double hidden, double width, double actBytes) {
    MoeSideBytes b;
    const double routed = routedRows * hidden * actBytes, inter = routedRows * width * actBytes;
    b.permuteRead = 2 * routed; // gather, masked fill
    b.permuteWritten = 2 * routed;
    b.activationRead = 2 * inter + inter + 2 * inter; // mask the gate/up output, SiLU of the gate half, multiply
    b.activationWritten = 2 * inter + inter + inter;
    const double f32 = 4.0 / actBytes; // the weighting, gather and sum run in fp32
    b.combineRead = routed + routed + f32 * routed + f32 * routed + tokens * hidden * 4.0;
    b.combineWritten = routed + f32 * routed + f32 * routed + tokens * hidden * 4.0 + tokens * hidden * actBytes;
    return b;
}

MoeSlotBytes moeSlotBytes(MoeLayout layout, double tokens, double topK, double localRows, double hidden, double width,
                          double actBytes) {
    MoeSlotBytes b;
    const double slots = tokens * topK, local = std::min(slots, localRows);
    const double outBytes = tokens * hidden * actBytes; // the summed output, one row per token
    if (layout == MoeLayout::Slots) {
        b.activationRows = slots;
        b.routeRead = slots * hidden * actBytes;
        b.routeWritten = (slots - local) * (2 * width + hidden) * actBytes + outBytes;
    } else {
        b.activationRows = local;
        b.routeRead = 2 * local * hidden * actBytes;
        b.routeWritten = local * hidden * actBytes + outBytes;
    }
    b.activationRead = b.activationRows * 2 * width * actBytes;
    b.activationWritten = b.activationRows * width * actBytes;
    return b;
}

double decodeKeysHeld(const StackProfile& stack, const Scenario& s) {
    const int64_t keys =
        stack.decodeRepeatKv && s.phase == Phase::Decode ? std::max(s.context + 1, s.cacheLength) : s.context + 1;
    return double(keys);
}

ExpertsTouched expertsTouched(double tokens, double topK, double experts) {
    const double pTouched = 1.0 - std::pow(1.0 - topK / experts, tokens);
    return {experts * pTouched, (tokens * topK / experts) / std::max(pTouched, 1e-12)};
}

void applyGroupedGemmOverlap(OpResult& r, double overlap, double dramFraction) {
    if (overlap >= 1.0 && dramFraction >= 1.0)
        return;
    const double memBefore = *std::max_element(r.memoryS.begin(), r.memoryS.end());
    const double roofBefore = std::max(r.computeS, memBefore);
    if (dramFraction < 1.0 && dramFraction > 0)
        r.memoryS[kDram] /= dramFraction;
    const double mem = *std::max_element(r.memoryS.begin(), r.memoryS.end());
    r.timeS += std::max(r.computeS, mem) - roofBefore + (1.0 - overlap) * std::min(r.computeS, mem);
}

namespace {

/// What every block builder shares: the model, the stack, the scenario, the device's share of the heads, the
/// datatypes, and the graph it appends to. Each block appends its ops in execution order.
class GraphBuilder {
public:
    GraphBuilder(const LlmArch& a, const StackProfile& stack, const Scenario& s, StepGraph& g, const PlatformModel* pm,
                 const KernelEfficiency* eff)
        : m_a(a), m_stack(stack), m_pm(pm), m_eff(eff), m_s(s), m_g(g), m_tp(s.tp), m_pp(s.pp),
          m_adp(std::max(1, s.attentionDp)), m_h(double(a.hiddenSize)), m_d(double(a.headDim)),
          m_headsDev(a.numHeads / m_tp), m_kvHeadsDev(std::max(1.0, a.numKvHeads / m_tp)) {}

    void build();

private:
    // ---- op constructors: one place per evaluator kind
    OpSpec& push(const char* name, OpClass cls, OpKind kind, double count, bool perLayer, double kernels) {
        return m_g.ops.emplace_back(name, cls, kind, count, perLayer, kernels);
    }
    /// A memory-bound kernel; `elements` only labels the table, `flops` is what the vector engine does.
    void memoryOp(const char* name, OpClass cls, double elements, double bytesRead, double bytesWritten, double flops,
                  double kernels, double count, bool perLayer, double rowElements = 0, bool strided = false) {
        OpSpec& op = push(name, cls, OpKind::Memory, count, perLayer, kernels);
        op.memory = {bytesRead, bytesWritten, elements, rowElements, strided};
        op.flops = flops;
        op.bytes = bytesRead + bytesWritten;
    }
    void gemm(const char* name, double m, double n, double k, double count, double batch = 1, bool perLayer = true,
              double outBytesPerElement = 0) {
        OpSpec& op = push(name, OpClass::Gemm, OpKind::Gemm, count, perLayer, 1);
        op.gemm = {
            m, n, k, batch, m_g.activationType, m_g.weights, outBytesPerElement > 0 ? outBytesPerElement : m_actB};
        op.flops = 2.0 * m * n * k * batch;
        op.bytes = gemmTraffic(m, n, k, op.gemm.aType, op.gemm.bType, batch, op.gemm.outBytesPerElement).total();
    }
    void collective(const char* name, Collective kind, double bytes, double ranks, double count, bool perLayer) {
        OpSpec& op = push(name, OpClass::Collective, OpKind::Collective, count, perLayer, ranks > 1 ? 1 : 0);
        op.collective = {kind, bytes, ranks};
        op.bytes = bytes;
    }
    void norm(const char* name, double tokens, double width, double count, double kernels) {
        const double base = tokens * width * m_actB;
        memoryOp(name, OpClass::Norm, tokens * width, base * m_stack.normPasses, base * m_stack.normPasses,
                 4.0 * tokens * width, kernels, count, true, width);
    }
    /// `strided`: RoPE and the activation, on views where the stack says so, run at the strided element-wise rate.
    void elementwise(const char* name, OpClass cls, double elems, double passes, double kernels, double count,
                     bool strided = false) {
        const double base = elems * m_actB;
        memoryOp(name, cls, elems, base * passes, base * passes, elems, kernels, count, true, 0,
                 strided && m_stack.stridedElementwise);
    }
    /// Tensor parallelism joins the partial sums of a row-parallel GEMM: one all-reduce, or under sequence
    /// parallelism a reduce-scatter and an all-gather around the norms.
    void tensorParallelReduce(const char* name, double count) {
        if (m_tp <= 1)
            return;
        const double bytes = m_T * m_h * m_actB;
        if (m_s.sequenceParallel) {
            collective("reduce_scatter", Collective::ReduceScatter, bytes, m_tp, count, true);
            collective("all_gather", Collective::AllGather, bytes, m_tp, count, true);
        } else {
            collective(name, Collective::AllReduce, bytes, m_tp, count, true);
        }
    }

    // ---- blocks
    void embedding();
    void attentionBlock(const LayerGroup& grp, double c);
    void gqaProjections(double c);
    void mlaProjections(double c);
    void indexerProjections(double c);
    void indexerCore(double batch, double queries, double keys, double c);
    void attentionCore(const LayerGroup& grp, const char* name, double batch, double queries, double keys, double c,
                       bool expandedKv = false);
    bool repeatKv(double batch, double keys, double c);
    void denseMlp(double width, const char* gu, const char* gname, const char* uname, const char* act, const char* down,
                  double c);
    void mlpBlock(const LayerGroup& grp, double c);
    void moe(double c);
    void lmHead();
    void pipelineTransfer();

    /// Attention data parallelism: the busiest rank's share of `n` sequences (the FFN waits for it).
    double perRank(double n) const { return std::ceil(n / m_adp); }
    /// Attention DP: the FFN's tokens come from every rank (all-gather before, reduce-scatter after, over the
    /// tp x attention-DP group); m_T is the rank's tokens outside it.
    void gatherForFfn();
    void scatterAfterFfn(bool partialSums);

    const LlmArch& m_a;
    const StackProfile& m_stack;
    const PlatformModel* m_pm;     ///< the target platform (may be null: its compute-type fallback unknown)
    const KernelEfficiency* m_eff; ///< the stack's surfaces on the target platform (may be null)
    const Scenario& m_s;
    StepGraph& m_g;
    double m_tp, m_pp, m_adp, m_h, m_d;
    double m_headsDev, m_kvHeadsDev; ///< query and KV heads on this device (KV heads replicated past tp)
    double m_T = 0, m_Tn = 0, m_lmRows = 0;
    double m_Tall = 0, m_Trank = 0;
    double m_groupCount = 1; ///< layers of the group being built, on this stage ///< tokens of the whole step, and of
                             ///< the busiest attention-DP rank
    double m_actB = 2, m_kvB = 2;
};

void GraphBuilder::embedding() {
    // Gather rows of the table, on the first stage.
    const double b = m_T * m_h * m_actB;
    memoryOp("embedding", OpClass::Embedding, m_T * m_h, b, b, 0, m_stack.embeddingKernels, 1, false);
}

void GraphBuilder::gqaProjections(double c) {
    if (m_stack.fusedQkv) {
        gemm("qkv_proj", m_T, (m_headsDev + 2 * m_kvHeadsDev) * m_d, m_h, c);
    } else {
        gemm("q_proj", m_T, m_headsDev * m_d, m_h, c);
        gemm("k_proj", m_T, m_kvHeadsDev * m_d, m_h, c);
        gemm("v_proj", m_T, m_kvHeadsDev * m_d, m_h, c);
    }
    if (m_a.qkNorm)
        norm("qk_norm", m_T, (m_headsDev + m_kvHeadsDev) * m_d, c, m_stack.qkNormKernels);
    elementwise("rope", OpClass::Rope, m_T * (m_headsDev + m_kvHeadsDev) * m_d, m_stack.ropePasses, m_stack.ropeKernels,
                c, true);
    const double kvElems = m_T * 2 * m_kvHeadsDev * m_d;
    // A cache that grows by concatenation (transformers' DynamicCache: torch.cat) reads the cached K/V and writes
    // them again with the new tokens, every step.
    const double pastElems = m_stack.kvAppendConcat && m_s.phase == Phase::Decode
                                 ? double(m_s.batch) * double(m_s.context) * 2 * m_kvHeadsDev * m_d
                                 : 0.0;
    memoryOp("kv_append", OpClass::KvAppend, kvElems, kvElems * m_actB + pastElems * m_kvB,
             (kvElems + pastElems) * m_kvB, 0, m_stack.kvAppendKernels, c, true);
}

void GraphBuilder::mlaProjections(double c) {
    const LlmArch& a = m_a;
    const double qk = double(a.qkNopeHeadDim + a.qkRopeHeadDim);
    if (a.qLoraRank > 0) {
        gemm("q_a_proj", m_T, double(a.qLoraRank), m_h, c);
        norm("q_a_norm", m_T, double(a.qLoraRank), c, m_stack.normKernels);
        gemm("q_b_proj", m_T, m_headsDev * qk, double(a.qLoraRank), c);
    } else {
        gemm("q_proj", m_T, m_headsDev * qk, m_h, c);
    }
    gemm("kv_a_proj", m_T, double(a.kvLoraRank + a.qkRopeHeadDim), m_h, c);
    norm("kv_a_norm", m_T, double(a.kvLoraRank), c, m_stack.normKernels);
    elementwise("rope", OpClass::Rope, m_T * (m_headsDev + 1) * double(a.qkRopeHeadDim), m_stack.ropePasses,
                m_stack.ropeKernels, c, true);
    // The latent (and the shared rope key) is cached, replicated on every TP rank.
    const double latent = double(a.kvLoraRank + a.qkRopeHeadDim);
    memoryOp("kv_append", OpClass::KvAppend, m_T * latent, m_T * latent * m_actB, m_T * latent * m_kvB, 0,
             m_stack.kvAppendKernels, c, true);
    if (a.isSparseAttention())
        indexerProjections(c);
}

void GraphBuilder::indexerProjections(double c) {
    // The DSA indexer's linears are replicated on every TP rank (SGLang, vLLM); its query comes from the query
    // latent, its single key and per-head gates from the hidden state. Its key is cached like the latent.
    const LlmArch& a = m_a;
    const double d = double(a.indexHeadDim), heads = double(a.indexHeads);
    gemm("indexer_q_proj", m_T, heads * d, a.qLoraRank > 0 ? double(a.qLoraRank) : m_h, c);
    gemm("indexer_k_proj", m_T, d, m_h, c);
    gemm("indexer_weights_proj", m_T, heads, m_h, c);
    norm("indexer_k_norm", m_T, d, c, m_stack.normKernels);
    elementwise("indexer_rope", OpClass::Rope, m_T * (heads + 1) * double(a.qkRopeHeadDim), m_stack.ropePasses,
                m_stack.ropeKernels, c, true);
    memoryOp("indexer_k_append", OpClass::KvAppend, m_T * d, m_T * d * m_actB, m_T * d * m_kvB, 0,
             m_stack.kvAppendKernels, c, true);
}

void GraphBuilder::indexerCore(double batch, double queries, double keys, double c) {
    // Lightning indexer: an MQA of indexHeads query heads over one shared key per token, logits only (no values),
    // over every cached key; then a top-k over each query's logits picks the keys the MLA attends to.
    const LlmArch& a = m_a;
    AttentionShape sh;
    sh.batch = batch;
    sh.queries = queries;
    sh.keys = keys;
    sh.heads = double(a.indexHeads);
    sh.kvHeads = 1;
    sh.qkDim = double(a.indexHeadDim);
    sh.vDim = 0;
    sh.kvHeadsShareLatent = double(a.indexHeadDim);
    sh.kvBytesPerElement = m_kvB;
    sh.actBytesPerElement = m_actB;
    OpSpec& op = push("indexer_logits", OpClass::Attention, OpKind::Attention, c, true, m_stack.attentionKernels);
    op.attention = sh;
    const AttentionTraffic t = attentionTraffic(sh);
    op.flops = t.flops;
    op.bytes = t.kvBytes + t.qoBytes;
    // Causal (query, key) logits per sequence, each read once by the top-k.
    const double past = keys - queries, logits = batch * (queries * past + queries * (queries + 1) / 2.0);
    elementwise("indexer_topk", OpClass::Other, logits, 1, m_stack.routerKernels, c);
}

void GraphBuilder::attentionCore(const LayerGroup& grp, const char* name, double batch, double queries, double keys,
                                 double c, bool expandedKv) {
    const LlmArch& a = m_a;
    AttentionShape sh;
    sh.batch = batch;
    sh.queries = queries;
    sh.keys = keys;
    sh.heads = m_headsDev;
    sh.kvHeads = m_kvHeadsDev;
    sh.window = grp.windowTokens;
    sh.decodeKernel = m_stack.decodeKernel;
    if (a.isSparseAttention()) {
        // DSA: each query attends to the indexTopkTokens keys its indexer picks; in cost, a window of that many
        // keys (query i sees min(i + 1, top-k)), with the indexer's pass over all keys before it.
        indexerCore(batch, queries, keys, c);
        sh.window = double(a.indexTopkTokens);
    }
    sh.kvBytesPerElement = m_kvB;
    sh.actBytesPerElement = m_actB;
    const bool mlaDecode = a.isMla() && queries <= 1;
    if (a.isMla()) {
        if (!mlaDecode) {
            // Prefill: latent decompressed to per-head K/V (kv_b_proj), then ordinary attention.
            gemm("kv_b_proj", batch * keys, m_headsDev * double(a.qkNopeHeadDim + a.vHeadDim), double(a.kvLoraRank), c);
            sh.kvHeads = m_headsDev;
            sh.qkDim = double(a.qkNopeHeadDim + a.qkRopeHeadDim);
            sh.vDim = double(a.vHeadDim);
            sh.kvBytesPerElement = m_actB;
        } else {
            // Decode: weights absorbed; attention runs over the shared latent (MQA-like).
            gemm("q_absorb", batch, double(a.kvLoraRank), double(a.qkNopeHeadDim), c, m_headsDev);
            sh.qkDim = double(a.kvLoraRank + a.qkRopeHeadDim);
            sh.vDim = double(a.kvLoraRank);
            sh.kvHeadsShareLatent = double(a.kvLoraRank + a.qkRopeHeadDim);
        }
    } else {
        sh.qkDim = m_d;
        sh.vDim = m_d;
    }
    double kernels = m_stack.attentionKernels;
    if (expandedKv) { // after repeat_kv: one K/V head per query head, and the masked path's own kernels
        sh.kvHeads = m_headsDev;
        kernels += m_stack.decodeAttentionExtraKernels;
    }
    OpSpec& op = push(name, OpClass::Attention, OpKind::Attention, c, true, kernels);
    op.attention = sh;
    const AttentionTraffic t = attentionTraffic(sh);
    op.flops = t.flops;
    op.bytes = t.kvBytes + t.qoBytes;
    if (mlaDecode)
        gemm("v_absorb", batch, double(a.vHeadDim), double(a.kvLoraRank), c, m_headsDev);
}

/// transformers' repeat_kv before a masked SDPA (the stack's decode_attention.repeat_kv): each KV head's cached keys
/// and values copied once per query head of its group. False where there is nothing to copy (MHA, MLA).
bool GraphBuilder::repeatKv(double batch, double keys, double c) {
    if (!m_stack.decodeRepeatKv || m_a.isMla() || m_headsDev <= m_kvHeadsDev)
        return false;
    const double cachedBytes = batch * keys * 2 * m_kvHeadsDev * m_d * m_kvB;
    const double expandedBytes = cachedBytes * m_headsDev / m_kvHeadsDev;
    const double passes = m_stack.repeatKvPasses;
    memoryOp("repeat_kv", OpClass::Attention, expandedBytes / m_kvB, cachedBytes * passes, expandedBytes * passes, 0, 2,
             c, true, 0, true);
    return true;
}

void GraphBuilder::attentionBlock(const LayerGroup& grp, double c) {
    const LlmArch& a = m_a;
    norm("input_norm", m_Tn, m_h, c, m_stack.normKernels);
    if (a.isMla())
        mlaProjections(c);
    else
        gqaProjections(c);
    // Under attention DP each rank attends over its own sequences: the busiest rank's share.
    switch (m_s.phase) {
    case Phase::Prefill:
        attentionCore(grp, "attention", perRank(double(m_s.batch)), double(m_s.prompt), double(m_s.prompt), c);
        break;
    case Phase::Decode: {
        // A static cache (the stack's decode_attention.repeat_kv) is attended over all its slots, filled or not.
        const double seqs = perRank(double(m_s.batch)), keys = decodeKeysHeld(m_stack, m_s);
        // A sliding-window layer's static cache holds only the window (transformers' sliding static layer).
        const double slots = grp.windowTokens > 0 ? std::min(keys, double(grp.windowTokens)) : keys;
        const bool expanded = repeatKv(seqs, slots, c);
        attentionCore(grp, "attention", seqs, 1, keys, c, expanded);
        break;
    }
    case Phase::Chunked:
        // Each prompt's chunk attends to its cached prefix and itself; the decoding sequences attend to their
        // contexts. Several prompts' chunks are summarized by their mean size (chunk / chunkSeqs) and mean offset.
        {
            const double seqs = double(m_s.chunkSeqs), per = double(m_s.chunk) / seqs;
            attentionCore(grp, "attention_prefill", perRank(seqs), per, double(m_s.chunkOffset) + per, c);
        }
        if (m_s.batch > 0)
            attentionCore(grp, "attention_decode", perRank(double(m_s.batch)), 1, double(m_s.context + 1), c);
        break;
    }
    const double oIn = a.isMla() ? m_headsDev * double(a.vHeadDim) : m_headsDev * m_d;
    gemm("o_proj", m_T, m_h, oIn, c);
    tensorParallelReduce("all_reduce_attn", c);
    elementwise("residual_add", OpClass::Elementwise, m_Tn * m_h, m_stack.residualPasses, m_stack.residualKernels, c);
    if (a.normsPerLayer == 4)
        norm("post_attn_norm", m_Tn, m_h, c, m_stack.normKernels);
}

void GraphBuilder::denseMlp(double width, const char* gu, const char* gname, const char* uname, const char* act,
                            const char* down, double c) {
    if (m_stack.fusedGateUp) {
        gemm(gu, m_T, 2 * width, m_h, c);
    } else {
        gemm(gname, m_T, width, m_h, c);
        gemm(uname, m_T, width, m_h, c);
    }
    elementwise(act, OpClass::Elementwise, m_T * width, m_stack.activationPasses, m_stack.activationKernels, c, true);
    gemm(down, m_T, m_h, width, c);
}

void GraphBuilder::gatherForFfn() {
    if (m_adp <= 1)
        return;
    collective("dp_all_gather", Collective::AllGather, m_Tall * m_h * m_actB, m_adp, m_groupCount, true);
    m_T = m_Tall;
}

void GraphBuilder::scatterAfterFfn(bool partialSums) {
    if (m_adp <= 1)
        return;
    // The partial sums over the tp x attention-DP group, each rank keeping its own tokens' rows.
    if (partialSums)
        collective("dp_reduce_scatter", Collective::ReduceScatter, m_Tall * m_h * m_actB, m_tp * m_adp, m_groupCount,
                   true);
    m_T = m_Trank;
}

void GraphBuilder::moe(double c) {
    const LlmArch& a = m_a;
    const double E = a.numExperts, k = a.topK;
    const double ep = m_s.ep;
    const double group = m_tp * m_adp;
    // Experts are spread over the EP ranks of the TP (x attention-DP) group; each expert's width is split over the
    // remaining moe_tp = group / ep.
    const double moeTp = m_s.moeTp > 0 ? double(m_s.moeTp) : group / ep;
    const double width = double(a.moeIntermediateSize) / moeTp;
    const double shared = a.numSharedExperts * double(a.moeIntermediateSize) + double(a.sharedExpertIntermediate);
    // Attention DP: experts split over ranks (moe_tp > 1) need every rank's tokens (all-gather, then reduce-scatter
    // of the partial sums); pure EP (moe_tp 1) sends each rank's tokens to their experts by all-to-all, and the
    // shared experts run on the rank's own tokens, tp-way, as attention does.
    const bool dpGather = m_adp > 1 && moeTp > 1;
    if (dpGather)
        gatherForFfn();
    const double T = m_adp > 1 ? m_Tall : m_T, h = m_h;
    gemm("router", m_T, E, h, c);
    elementwise("router_topk", OpClass::Other, m_T * E, 1, m_stack.routerKernels, c);
    // The grouped GEMM runs one product per touched expert of this rank, each over the tokens routed to it. A stack
    // whose MoE kernels were fitted on the frameworks' tables routes the picks as those were measured (kMoeRouting:
    // a power law over the experts); others route uniformly, E (1 - (1 - k/E)^T) experts touched on average. The
    // expert-parallel ranks share the touched experts and rows evenly (expert placement balanced by load, as
    // deployments at wide EP run with EPLB), not the tables' most loaded rank: on the calibration half of the
    // serving runs that rank was 1.3 points of TPOT MAPE worse (datasets/serving/README.md).
    MoeRouting routing;
    if (!m_stack.moeKernels.empty())
        moeRoutingFromName(kMoeRouting, routing);
    const RankExperts all = rankExperts(routing, T, k, E, 1);
    const double distinctDev = all.experts / ep;
    const double tokensPerExpert = std::max(1.0, all.rowsPerExpert);
    const double localRows = all.rows / ep;
    // Where the permutation, activation and combine run as kernels of their own (transformers' grouped_mm backend),
    // their bytes come from the backend's kernel list (moeSideBytes), at the rate of its generic (strided)
    // element-wise kernels, times the stack's fitted passes.moe.
    const bool sideKernels = m_stack.moePermuteKernels > 0;
    const MoeSideBytes side = sideKernels ? moeSideBytes(localRows, T, h, width, m_actB) : MoeSideBytes{};
    const double sp = m_stack.moePasses;
    if (sideKernels)
        memoryOp("experts_permute", OpClass::Other, localRows * h, side.permuteRead * sp, side.permuteWritten * sp, 0,
                 m_stack.moePermuteKernels, c, true, 0, true);
    if (ep > 1)
        collective("moe_dispatch", Collective::AllToAll, localRows * h * m_actB, ep, c, true);
    // A stack that names its fused MoE's layout (moe_kernels) moves the rows as that layout does (moeSlotBytes), the
    // bytes its MoE surfaces were fitted with; others keep the activation at their element-wise passes.
    const bool layoutBytes = !sideKernels && !m_stack.moeKernels.empty();
    const MoeSlotBytes slot =
        layoutBytes ? moeSlotBytes(m_g.moeLayout, T, k, localRows, h, width, m_actB) : MoeSlotBytes{};
    gemm("experts_gate_up", tokensPerExpert, 2 * width, h, c, distinctDev);
    m_g.ops.back().moePart = MoePart::GateUp;
    if (sideKernels)
        memoryOp("experts_activation", OpClass::Elementwise, localRows * width, side.activationRead * sp,
                 side.activationWritten * sp, localRows * width, m_stack.activationKernels, c, true, 0, true);
    else if (layoutBytes)
        memoryOp("experts_activation", OpClass::Elementwise, slot.activationRows * width, slot.activationRead,
                 slot.activationWritten, slot.activationRows * width, 1, c, true);
    else
        elementwise("experts_activation", OpClass::Elementwise, localRows * width, m_stack.activationPasses,
                    m_stack.activationKernels, c, true);
    m_g.ops.back().moePart = MoePart::Activation;
    gemm("experts_down", tokensPerExpert, h, width, c, distinctDev);
    m_g.ops.back().moePart = MoePart::Down;
    if (sideKernels && m_stack.moeCombineKernels > 0)
        memoryOp("experts_combine", OpClass::Other, localRows * h, side.combineRead * sp, side.combineWritten * sp, 0,
                 m_stack.moeCombineKernels, c, true, 0, true);
    else if (layoutBytes) {
        memoryOp("experts_combine", OpClass::Other, T * h, slot.routeRead, slot.routeWritten, T * k * h, 1, c, true);
        m_g.ops.back().moePart = MoePart::Combine;
    }
    if (ep > 1)
        collective("moe_combine", Collective::AllToAll, localRows * h * m_actB, ep, c, true);
    if (m_adp > 1) {
        if (dpGather) {
            if (shared > 0)
                denseMlp(shared / group, "shared_gate_up", "shared_gate", "shared_up", "shared_activation",
                         "shared_down", c);
            scatterAfterFfn(true);
        } else if (shared > 0) {
            denseMlp(shared / m_tp, "shared_gate_up", "shared_gate", "shared_up", "shared_activation", "shared_down",
                     c);
            tensorParallelReduce("all_reduce_moe", c);
        }
        return;
    }
    if (shared > 0)
        denseMlp(shared / m_tp, "shared_gate_up", "shared_gate", "shared_up", "shared_activation", "shared_down", c);
    // Experts split over tp/ep ranks, and shared experts split over tp, leave partial sums to reduce.
    if (ep < m_tp || shared > 0)
        tensorParallelReduce("all_reduce_moe", c);
}

void GraphBuilder::mlpBlock(const LayerGroup& grp, double c) {
    norm("pre_mlp_norm", m_Tn, m_h, c, m_stack.normKernels);
    if (!grp.moe && m_adp > 1) {
        // Attention DP: the dense FFN is shared by the tp x attention-DP group over every rank's tokens.
        gatherForFfn();
        denseMlp(double(m_a.intermediateSize) / (m_tp * m_adp), "gate_up_proj", "gate_proj", "up_proj", "activation",
                 "down_proj", c);
        scatterAfterFfn(true);
    } else if (!grp.moe) {
        denseMlp(double(m_a.intermediateSize) / m_tp, "gate_up_proj", "gate_proj", "up_proj", "activation", "down_proj",
                 c);
        tensorParallelReduce("all_reduce_mlp", c);
    } else {
        moe(c);
    }
    elementwise("residual_add_mlp", OpClass::Elementwise, m_Tn * m_h, m_stack.residualPasses, m_stack.residualKernels,
                c);
    if (m_a.normsPerLayer == 4)
        norm("post_mlp_norm", m_Tn, m_h, c, m_stack.normKernels);
}

void GraphBuilder::lmHead() {
    // Final norm and LM head (the last token of each prompt only in prefill), on the last stage; fp32 logits.
    const double rows = m_lmRows;
    const double base = rows * m_h * m_actB;
    memoryOp("final_norm", OpClass::Norm, rows * m_h, base * m_stack.normPasses, base * m_stack.normPasses,
             4 * rows * m_h, m_stack.normKernels, 1, false, m_h);
    gemm("lm_head", rows, double(m_a.vocabSize) / m_tp, m_h, 1, 1, false, 4.0);
    if (m_tp > 1)
        collective("logits_gather", Collective::AllGather, rows * double(m_a.vocabSize) * 4.0, m_tp, 1, false);
}

void GraphBuilder::pipelineTransfer() {
    // Activations cross each of the pp - 1 stage boundaries once.
    if (m_pp <= 1)
        return;
    collective("pp_send_recv", Collective::SendRecv, m_T * m_h * m_actB, 2, m_pp - 1, false);
    m_g.ops.back().betweenStages = true;
}

void GraphBuilder::build() {
    const Scenario& s = m_s;
    StepGraph& g = m_g;
    g.phase = s.phase;
    g.launch = (s.phase == Phase::Decode ? m_stack.decodeGraph : m_stack.prefillGraph) ? LaunchMode::Graph
                                                                                       : LaunchMode::Stream;
    // Datatypes. GEMMs run fp8 or int8 only when both operands are; int activations are stored as bf16.
    // Block-scaled fp8 computes on the fp8 path. 4-bit float weights (nvfp4, mxfp4) are dequantized in the GEMM to
    // the activations' type — bf16 (weight-only, as int4 is) or fp8 (W4A8) — and run natively only with fp4
    // activations on a platform that declares that fp4 peak (else evaluateGraph falls back and says so). The
    // weights stream at their own bytes (scales included) either way.
    DType want = s.act;
    const bool lowWeights = isFloat8(s.weights) || isFloat4(s.weights);
    if (isFloat4(s.weights) && s.act == s.weights)
        want = s.weights;
    else if (lowWeights && (isFloat8(s.act) || isFloat4(s.act)))
        want = DType::fp8_e4m3;
    else if (s.weights == DType::int8 && s.act == DType::int8)
        want = DType::int8;
    else if (s.act == DType::int8 || s.act == DType::int4 || isFloat4(s.act))
        want = DType::bf16;
    g.gemmType = want;
    g.attentionType = s.act == DType::fp32 ? DType::fp32 : (isFloat8(s.act) || isFloat4(s.act) ? DType::bf16 : s.act);
    g.activationType = (isInteger(s.act) || isFloat4(s.act)) ? DType::bf16 : s.act;
    g.weights = s.weights;
    g.kv = s.kv;
    // The fused MoE's layout: the stack's rule for the experts' kernel datatype (on the compute type the platform
    // runs, as the engine keys the MoE surface) at this EP degree, settled against the platform's surfaces.
    if (!m_stack.moeKernels.empty()) {
        bool fell = false;
        const DType compute = m_pm ? m_pm->computeType(want, fell) : want;
        if (const MoeSurfaceKey mk = moeSurfaceKey(compute, s.weights, m_stack.fp8BlockGemm); mk.dtype) {
            g.moeLayout = m_stack.moeLayout(mk.dtype, s.ep);
            if (m_eff)
                g.moeLayout = m_eff->resolveMoe(mk, g.moeLayout).layout;
        }
    }
    m_actB = bytesPerElement(g.activationType);
    m_kvB = bytesPerElement(s.kv);

    const StepTokens tok = stepTokens(s);
    m_Tall = tok.tokens;
    m_T = m_Tall;
    m_lmRows = tok.lmHeadRows;
    if (m_adp > 1) {
        // The busiest attention-DP rank: its share of the decoding sequences and of the prompts being prefilled.
        switch (s.phase) {
        case Phase::Prefill:
            m_T = perRank(double(s.batch)) * double(s.prompt);
            m_lmRows = perRank(double(s.batch));
            break;
        case Phase::Decode:
            m_T = m_lmRows = perRank(double(s.batch));
            break;
        case Phase::Chunked:
            m_T = perRank(double(s.batch)) + perRank(double(s.chunkSeqs)) * double(s.chunk) / double(s.chunkSeqs);
            m_lmRows = perRank(double(s.batch)) + perRank(double(s.chunkSeqs));
            break;
        }
    }
    m_Trank = m_T;
    m_Tn = s.sequenceParallel ? m_T / m_tp : m_T;
    g.tokens = m_Tall;
    g.lmHeadRows = m_lmRows;
    g.normTokens = m_Tn;
    g.tp = s.tp;
    g.pp = s.pp;
    g.ep = s.ep;
    g.dp = s.dp;
    g.attentionDp = s.attentionDp;
    g.microbatches = s.microbatches;
    g.overlapComm = s.overlapComm;
    if (g.launch == LaunchMode::Stream) {
        g.hostOverheadS = m_stack.hostOverheadS;
        g.normHostS = m_stack.normHostOverheadS > 0 ? m_stack.normHostOverheadS : m_stack.hostOverheadS;
        g.collectiveHostS = m_stack.collectiveHostS(m_tp);
    }

    // A dense layer has about 16 ops, an MoE layer about 20: reserve once for the whole step.
    g.ops.reserve(8 + 24 * m_a.groups.size());
    embedding();
    for (const LayerGroup& grp : m_a.groups) {
        const double c = grp.count / m_pp;
        m_groupCount = c;
        attentionBlock(grp, c);
        mlpBlock(grp, c);
    }
    lmHead();
    pipelineTransfer();
}

} // namespace

StepTokens stepTokens(const Scenario& s) {
    switch (s.phase) {
    case Phase::Prefill:
        return {double(s.batch * s.prompt), double(s.batch)};
    case Phase::Decode:
        return {double(s.batch), double(s.batch)};
    case Phase::Chunked:
        return {double(s.batch + s.chunk), double(s.batch + s.chunkSeqs)}; // the last token of each chunked prompt
    }
    return {};
}

StepGraph buildStepGraph(const LlmArch& arch, const StackProfile& stack, const Scenario& s, const PlatformModel* pm,
                         const KernelEfficiency* eff) {
    StepGraph g;
    GraphBuilder(arch, stack, s, g, pm, eff).build();
    return g;
}

} // namespace rooflab
