#include "analysis/llm_engine.hpp"

#include "units/quantity.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace rooflab {

double expectedDistinctExperts(double experts, double topK, double tokens) {
    if (experts <= 0 || tokens <= 0)
        return 0.0;
    return experts * (1.0 - std::pow(1.0 - topK / experts, tokens));
}

double weightBytes(double params, DType w) {
    double b = params * bytesPerElement(w);
    if (w == DType::int4)
        b += params / 128.0 * 2.0; // fp16 scale per group of 128
    return b;
}

namespace {

struct Layout {
    double tp, pp, ep, dp;
    double headsDev, kvHeadsDev, kvReplication;
    double layersScale; // per-device share of each layer group (1/pp)
};

/// Per-device, per-layer weight parameters (TP/EP sharded).
double layerParamsDevice(const LlmArch& a, const LayerGroup& g, const Layout& L) {
    double attn = a.attentionParams();
    if (!a.isMla() && L.tp > a.numKvHeads) {
        // K/V projections are replicated once tp exceeds the KV heads.
        const double kv = 2.0 * static_cast<double>(a.hiddenSize) * a.numKvHeads * static_cast<double>(a.headDim);
        attn = (attn - kv) / L.tp + kv / a.numKvHeads;
    } else {
        attn /= L.tp;
    }
    const double mlp = (g.moe ? a.moeLayerParams() : a.denseMlpParams()) / L.tp;
    return attn + mlp + a.normsPerLayer * static_cast<double>(a.hiddenSize);
}

double kvBytesPerTokenLayerDevice(const LlmArch& a, const Layout& L, DType kv) {
    if (a.isMla())
        return static_cast<double>(a.kvLoraRank + a.qkRopeHeadDim) * bytesPerElement(kv); // latent is replicated
    return 2.0 * L.kvHeadsDev * static_cast<double>(a.headDim) * bytesPerElement(kv);
}

std::string fmtPct(double f) {
    char b[16];
    std::snprintf(b, sizeof b, "%.0f%%", f * 100.0);
    return b;
}

} // namespace

MemoryUse memoryUse(const PlatformModel& pm, const LlmArch& a, const StackProfile& stack, const Scenario& s) {
    MemoryUse m;
    const double tp = s.tp, pp = s.pp;
    Layout L{tp, pp, double(s.ep), double(s.dp), a.numHeads / tp, std::max(1.0, a.numKvHeads / tp),
             1.0, 1.0 / pp};
    double params = 0;
    for (const auto& g : a.groups)
        params += g.count / pp * layerParamsDevice(a, g, L);
    const double heads = pp > 1 ? std::max(a.embeddingParams(), a.lmHeadParams()) : a.embeddingParams() + a.lmHeadParams();
    params += heads / tp;
    m.weightsBytes = weightBytes(params, s.weights);

    // KV cache: tokens held per sequence at the end of the step.
    const double kvTok = kvBytesPerTokenLayerDevice(a, L, s.kv);
    auto kvForTokens = [&](double tokens) {
        double b = 0;
        for (const auto& g : a.groups) {
            const double held = g.windowTokens > 0 ? std::min<double>(tokens, g.windowTokens) : tokens;
            b += g.count / pp * held * kvTok;
        }
        return b;
    };
    double perSeqKv = 0, chunkKv = 0;
    double tokensStep = 0;
    double seqTokens = 0;
    switch (s.phase) {
    case Phase::Prefill:
        seqTokens = double(s.prompt);
        tokensStep = double(s.batch * s.prompt);
        break;
    case Phase::Decode:
        seqTokens = double(s.context + 1);
        tokensStep = double(s.batch);
        break;
    case Phase::Chunked:
        seqTokens = double(s.context + 1);
        tokensStep = double(s.batch + s.chunk);
        chunkKv = kvForTokens(double(s.chunkOffset + s.chunk));
        break;
    }
    perSeqKv = kvForTokens(seqTokens);
    m.kvCacheBytes = perSeqKv * double(s.batch) + chunkKv;
    const double h = double(a.hiddenSize);
    const double inter = std::max<double>(double(a.intermediateSize), double(a.moeIntermediateSize) * a.topK) / tp;
    const double actPerToken = (4.0 * h + 2.0 * inter) * bytesPerElement(s.act) * stack.activationMemoryFactor;
    const double logitsRows = s.phase == Phase::Decode ? double(s.batch) : double(s.batch) + (s.phase == Phase::Chunked ? 1 : 0);
    const double logits = logitsRows * double(a.vocabSize) / tp * 4.0;
    m.activationBytes = tokensStep * actPerToken + logits;
    m.workspaceBytes = stack.workspaceBytes;
    m.totalBytes = m.weightsBytes + m.kvCacheBytes + m.activationBytes + m.workspaceBytes;
    m.capacityBytes = pm.capacityBytes[kDram];
    m.fits = m.capacityBytes <= 0 || m.totalBytes <= m.capacityBytes;

    // Largest batch at this context, and largest context at this batch.
    const double perSeqAct = (s.phase == Phase::Prefill ? double(s.prompt) : 1.0) * actPerToken +
                             double(a.vocabSize) / tp * 4.0;
    const double fixed = m.weightsBytes + m.workspaceBytes + chunkKv;
    const double free = m.capacityBytes - fixed;
    m.maxBatch = free > 0 ? static_cast<int64_t>(std::floor(free / std::max(1.0, perSeqKv + perSeqAct))) : 0;
    const double freeForKv = m.capacityBytes - fixed - m.activationBytes;
    double perTokenAll = 0; // bytes per extra context token for the whole batch (windows ignored: upper bound)
    for (const auto& g : a.groups)
        perTokenAll += (g.windowTokens > 0 ? 0.0 : g.count / pp * kvTok) * double(s.batch);
    if (perTokenAll <= 0)
        m.maxContext = a.maxPositions > 0 ? a.maxPositions : 0;
    else
        m.maxContext = freeForKv > 0 ? static_cast<int64_t>(std::floor(freeForKv / perTokenAll)) : 0;
    if (a.maxPositions > 0)
        m.maxContext = std::min<int64_t>(m.maxContext, a.maxPositions);
    return m;
}

/// Device idle time caused by eager dispatch. The host issues the kernels one after another (OpResult::hostS
/// per occurrence); the device runs each as soon as it has been issued and the previous one has finished, so
/// host and device time hide behind each other. The step then takes the maximum over kernels i of (time at
/// which the host has issued i) + (device time from i to the end). For a run of identical layers that maximum
/// lies in the first or the last layer, and within an op of several kernels at its first or last kernel, so
/// only those are evaluated. Returns that step time minus the device time (0 when the device is the bottleneck).
/// Ops are taken in execution order; consecutive per-layer ops with the same count form one repeated layer.
static double eagerStallS(const std::vector<OpResult>& ops) {
    struct Block {
        std::size_t begin, end;
        double reps;
    };
    std::vector<Block> blocks;
    double deviceS = 0;
    for (std::size_t i = 0; i < ops.size(); ++i) {
        const OpResult& r = ops[i];
        if (std::string_view(r.name) == "pp_send_recv")
            continue;
        deviceS += r.totalS();
        // A head op is a block of its own, repeated `count` times; per-layer ops extend the current layer.
        if (!blocks.empty() && r.perLayer && ops[blocks.back().end - 1].perLayer && blocks.back().reps == r.count &&
            blocks.back().end == i)
            blocks.back().end = i + 1;
        else
            blocks.push_back({i, i + 1, r.count});
    }
    double hostBefore = 0, deviceBefore = 0, best = deviceS;
    for (const Block& b : blocks) {
        double sumH = 0, sumG = 0;
        for (std::size_t j = b.begin; j < b.end; ++j) {
            sumH += ops[j].hostS;
            sumG += ops[j].timeS;
        }
        const double deviceAfter = deviceS - deviceBefore - b.reps * sumG;
        for (const double rep : {0.0, std::max(0.0, b.reps - 1.0)}) {
            double issued = hostBefore + rep * sumH;              // host time before this op
            double remaining = deviceAfter + (b.reps - 1.0 - rep) * sumG + sumG; // device time from this op on
            for (std::size_t j = b.begin; j < b.end; ++j) {
                const OpResult& r = ops[j];
                const double k = std::max(1.0, r.kernels);
                const double h = r.hostS / k, g = r.timeS / k;
                best = std::max(best, issued + h + remaining);           // its first kernel
                best = std::max(best, issued + k * h + remaining - (k - 1) * g); // its last kernel
                issued += r.hostS;
                remaining -= r.timeS;
            }
        }
        hostBefore += b.reps * sumH;
        deviceBefore += b.reps * sumG;
    }
    return best - deviceS;
}

Prediction predictStep(const PlatformModel& pm, const LlmArch& a, const StackProfile& stack, const Scenario& s,
                       bool withOps) {
    Prediction p;
    auto fail = [&](const std::string& why) {
        p.ok = false;
        p.error = why;
        return p;
    };
    if (s.batch < 1 || s.tp < 1 || s.pp < 1 || s.ep < 1 || s.dp < 1 || s.microbatches < 1)
        return fail("batch, tp, pp, ep, dp and micro-batches must be at least 1");
    if (s.phase == Phase::Prefill && s.prompt < 1)
        return fail("prefill needs a prompt of at least 1 token");
    if (s.phase != Phase::Prefill && s.context < 0)
        return fail("context must not be negative");
    if (s.phase == Phase::Chunked && (s.chunk < 1 || s.chunkOffset < 0))
        return fail("a chunked step needs --chunk >= 1 and --chunk-offset >= 0");
    if (a.numHeads % s.tp != 0)
        return fail("tp " + std::to_string(s.tp) + " does not divide the " + std::to_string(a.numHeads) + " attention heads");
    if (a.numKvHeads >= s.tp && a.numKvHeads % s.tp != 0)
        return fail("tp " + std::to_string(s.tp) + " does not divide the " + std::to_string(a.numKvHeads) + " KV heads");
    if (s.pp > a.numLayers)
        return fail("pp " + std::to_string(s.pp) + " exceeds the " + std::to_string(a.numLayers) + " layers");
    if (s.ep > 1 && (!a.isMoe() || s.tp % s.ep != 0 || a.numExperts % s.ep != 0))
        return fail(a.isMoe() ? "ep must divide tp and the number of experts (experts spread over the tensor-parallel group)"
                              : "ep > 1 needs a mixture-of-experts model");
    const int64_t maxTok = a.maxPositions;
    const int64_t seqLen = s.phase == Phase::Prefill ? s.prompt : s.context + 1;
    if (maxTok > 0 && seqLen > maxTok)
        p.notes.push_back("sequence length " + std::to_string(seqLen) + " exceeds the model's max_position_embeddings " +
                          std::to_string(maxTok));

    const double tp = s.tp, pp = s.pp;
    Layout L{tp, pp, double(s.ep), double(s.dp), a.numHeads / tp, std::max(1.0, a.numKvHeads / tp),
             a.numKvHeads < s.tp ? tp / a.numKvHeads : 1.0, 1.0 / pp};
    p.devices = s.tp * s.pp * s.dp;
    if (p.devices > pm.devicesPerNode && pm.devicesPerNode >= 1 && s.tp * s.pp > pm.scaleUpDomain)
        p.notes.push_back("tp x pp = " + std::to_string(s.tp * s.pp) + " devices exceed the scale-up domain of " +
                          std::to_string(int(pm.scaleUpDomain)) + ": collectives use the scale-out network");

    const LaunchMode launch = (s.phase == Phase::Decode ? stack.decodeGraph : stack.prefillGraph) ? LaunchMode::Graph
                                                                                                : LaunchMode::Stream;
    // Datatypes.
    DType want = s.act;
    if (isFloat8(s.weights) && isFloat8(s.act))
        want = DType::fp8_e4m3;
    else if (s.weights == DType::int8 && s.act == DType::int8)
        want = DType::int8;
    else if (s.act == DType::int8 || s.act == DType::int4)
        want = DType::bf16;
    bool fell = false;
    const DType gemmType = pm.computeType(want, fell);
    if (fell)
        p.notes.push_back("platform has no " + std::string(dtypeName(want)) + " tensor path: GEMMs run in " +
                          std::string(dtypeName(gemmType)));
    bool fellAttn = false;
    const DType attnType = pm.computeType(s.act == DType::fp32 ? DType::fp32 : (isFloat8(s.act) ? DType::bf16 : s.act), fellAttn);
    const DType actStore = (s.act == DType::int8 || s.act == DType::int4) ? DType::bf16 : s.act;
    const double actB = bytesPerElement(actStore);
    const double kvB = bytesPerElement(s.kv);
    const double h = double(a.hiddenSize);
    const double d = double(a.headDim);

    // Tokens in this step.
    double T = 0, lmRows = 0;
    switch (s.phase) {
    case Phase::Prefill:
        T = double(s.batch * s.prompt);
        lmRows = double(s.batch);
        break;
    case Phase::Decode:
        T = double(s.batch);
        lmRows = double(s.batch);
        break;
    case Phase::Chunked:
        T = double(s.batch + s.chunk);
        lmRows = double(s.batch) + 1;
        break;
    }
    const double Tn = s.sequenceParallel ? T / tp : T; // tokens per device in norms/residuals

    std::vector<OpResult>& ops = p.ops;
    ops.reserve(40);
    double layerTime = 0, headTime = 0, commTime = 0, gemmTime = 0;
    // Outside graphs, the framework's host-side dispatch (Python, module calls) costs host time per kernel;
    // the platform scales the stack's cost for its own host CPU (fitted from the harness's host-floor run).
    const double hostFloorS = launch == LaunchMode::Stream ? stack.hostOverheadS * pm.hostOverheadScale : 0.0;
    const double collectiveFloorS =
        launch == LaunchMode::Stream ? stack.collectiveHostS(tp) * pm.hostOverheadScale : 0.0;
    auto add = [&](OpResult r, double count, bool inLayer) {
        r.count = count;
        r.perLayer = inLayer;
        // The host's dispatch cost is not device time: the step's timeline (eagerStallS) decides how much of
        // it the device waits for.
        r.hostS = r.kernels * (r.cls == OpClass::Collective ? collectiveFloorS : hostFloorS);
        const double t = r.totalS();
        if (r.cls == OpClass::Collective)
            commTime += inLayer ? t : 0;
        if (r.cls == OpClass::Gemm && inLayer)
            gemmTime += t;
        (inLayer ? layerTime : headTime) += t;
        if (r.cls == OpClass::Collective && !inLayer)
            commTime += t;
        ops.push_back(r);
    };
    auto norm = [&](const char* name, double tokens, double width, double count, double kernels) {
        const double base = tokens * width * actB;
        add(evalMemoryOp(pm, name, OpClass::Norm, base * stack.normPasses, base * stack.normPasses, 4.0 * tokens * width,
                         kernels, launch, width),
            count, true);
    };
    // `strided`: RoPE and the activation, on views where the stack says so, run at the strided element-wise rate.
    const double stridedBytesPerS = stack.stridedElementwise ? pm.stridedElementwiseBytesPerS : 0.0;
    auto elementwise = [&](const char* name, OpClass cls, double elems, double passes, double kernels, double count,
                           bool strided = false) {
        const double base = elems * actB;
        add(evalMemoryOp(pm, name, cls, base * passes, base * passes, elems, kernels, launch, 0,
                         strided ? stridedBytesPerS : 0.0),
            count, true);
    };
    auto gemm = [&](const char* name, double m, double n, double k, double count, double batch = 1) {
        add(evalGemm(pm, name, m, n, k, actStore, s.weights, gemmType, launch, batch, actB), count, true);
    };
    auto allReduce = [&](const char* name, double count) {
        if (tp <= 1)
            return;
        const double bytes = T * h * actB;
        if (s.sequenceParallel) {
            add(evalCollective(pm, "reduce_scatter", Collective::ReduceScatter, bytes, tp, launch), count, true);
            add(evalCollective(pm, "all_gather", Collective::AllGather, bytes, tp, launch), count, true);
        } else {
            add(evalCollective(pm, name, Collective::AllReduce, bytes, tp, launch), count, true);
        }
    };

    // Embedding (gather rows of the table) on the first stage.
    {
        OpResult e = evalMemoryOp(pm, "embedding", OpClass::Embedding, T * h * actB, T * h * actB, 0,
                                  stack.embeddingKernels, launch);
        add(e, 1, false);
    }

    for (const auto& g : a.groups) {
        const double c = g.count / pp;
        norm("input_norm", Tn, h, c, stack.normKernels);
        // Attention projections.
        if (a.isMla()) {
            const double qk = double(a.qkNopeHeadDim + a.qkRopeHeadDim);
            if (a.qLoraRank > 0) {
                gemm("q_a_proj", T, double(a.qLoraRank), h, c);
                norm("q_a_norm", T, double(a.qLoraRank), c, stack.normKernels);
                gemm("q_b_proj", T, L.headsDev * qk, double(a.qLoraRank), c);
            } else {
                gemm("q_proj", T, L.headsDev * qk, h, c);
            }
            gemm("kv_a_proj", T, double(a.kvLoraRank + a.qkRopeHeadDim), h, c);
            norm("kv_a_norm", T, double(a.kvLoraRank), c, stack.normKernels);
            elementwise("rope", OpClass::Rope, T * (L.headsDev + 1) * double(a.qkRopeHeadDim), stack.ropePasses,
                        stack.ropeKernels, c, true);
            add(evalMemoryOp(pm, "kv_append", OpClass::KvAppend, T * double(a.kvLoraRank + a.qkRopeHeadDim) * actB,
                             T * double(a.kvLoraRank + a.qkRopeHeadDim) * kvB, 0, stack.kvAppendKernels, launch),
                c, true);
        } else if (stack.fusedQkv) {
            gemm("qkv_proj", T, (L.headsDev + 2 * L.kvHeadsDev) * d, h, c);
        } else {
            gemm("q_proj", T, L.headsDev * d, h, c);
            gemm("k_proj", T, L.kvHeadsDev * d, h, c);
            gemm("v_proj", T, L.kvHeadsDev * d, h, c);
        }
        if (!a.isMla()) {
            if (a.qkNorm)
                norm("qk_norm", T, (L.headsDev + L.kvHeadsDev) * d, c, stack.qkNormKernels);
            elementwise("rope", OpClass::Rope, T * (L.headsDev + L.kvHeadsDev) * d, stack.ropePasses, stack.ropeKernels, c, true);
            const double kvElems = T * 2 * L.kvHeadsDev * d;
            add(evalMemoryOp(pm, "kv_append", OpClass::KvAppend, kvElems * actB, kvElems * kvB, 0, stack.kvAppendKernels,
                             launch),
                c, true);
        }
        // Attention.
        auto attention = [&](const char* name, double batch, double queries, double keys) {
            AttentionShape sh;
            sh.batch = batch;
            sh.queries = queries;
            sh.keys = keys;
            sh.heads = L.headsDev;
            sh.kvHeads = L.kvHeadsDev;
            sh.window = g.windowTokens;
            sh.kvBytesPerElement = kvB;
            sh.actBytesPerElement = actB;
            if (a.isMla()) {
                if (queries > 1) {
                    // Prefill: latent decompressed to per-head K/V (kv_b_proj), then ordinary attention.
                    gemm("kv_b_proj", batch * keys, L.headsDev * double(a.qkNopeHeadDim + a.vHeadDim),
                         double(a.kvLoraRank), c);
                    sh.kvHeads = L.headsDev;
                    sh.qkDim = double(a.qkNopeHeadDim + a.qkRopeHeadDim);
                    sh.vDim = double(a.vHeadDim);
                    sh.kvBytesPerElement = actB;
                } else {
                    // Decode: weights absorbed; attention runs over the shared latent (MQA-like).
                    gemm("q_absorb", batch, double(a.kvLoraRank), double(a.qkNopeHeadDim), c, L.headsDev);
                    sh.qkDim = double(a.kvLoraRank + a.qkRopeHeadDim);
                    sh.vDim = double(a.kvLoraRank);
                    sh.kvHeadsShareLatent = double(a.kvLoraRank + a.qkRopeHeadDim);
                }
            } else {
                sh.qkDim = d;
                sh.vDim = d;
            }
            OpResult r = evalAttention(pm, name, sh, attnType, launch);
            r.kernels = std::max(r.kernels, stack.attentionKernels);
            add(r, c, true);
            if (a.isMla() && queries == 1)
                gemm("v_absorb", batch, double(a.vHeadDim), double(a.kvLoraRank), c, L.headsDev);
        };
        switch (s.phase) {
        case Phase::Prefill: attention("attention", double(s.batch), double(s.prompt), double(s.prompt)); break;
        case Phase::Decode: attention("attention", double(s.batch), 1, double(s.context + 1)); break;
        case Phase::Chunked:
            attention("attention_prefill", 1, double(s.chunk), double(s.chunkOffset + s.chunk));
            attention("attention_decode", double(s.batch), 1, double(s.context + 1));
            break;
        }
        const double oIn = a.isMla() ? L.headsDev * double(a.vHeadDim) : L.headsDev * d;
        gemm("o_proj", T, h, oIn, c);
        allReduce("all_reduce_attn", c);
        elementwise("residual_add", OpClass::Elementwise, Tn * h, stack.residualPasses, stack.residualKernels, c);
        if (a.normsPerLayer == 4)
            norm("post_attn_norm", Tn, h, c, stack.normKernels);
        norm("pre_mlp_norm", Tn, h, c, stack.normKernels);

        auto denseMlp = [&](double width, const char* gu, const char* gname, const char* uname, const char* act,
                            const char* down) {
            if (stack.fusedGateUp)
                gemm(gu, T, 2 * width, h, c);
            else {
                gemm(gname, T, width, h, c);
                gemm(uname, T, width, h, c);
            }
            elementwise(act, OpClass::Elementwise, T * width, stack.activationPasses, stack.activationKernels, c, true);
            gemm(down, T, h, width, c);
        };
        if (!g.moe) {
            denseMlp(double(a.intermediateSize) / tp, "gate_up_proj", "gate_proj", "up_proj", "activation", "down_proj");
            allReduce("all_reduce_mlp", c);
        } else {
            const double E = a.numExperts, k = a.topK;
            gemm("router", T, E, h, c);
            elementwise("router_topk", OpClass::Other, T * E, 1, stack.routerKernels, c);
            const double ep = s.ep;
            const double width = double(a.moeIntermediateSize) * ep / tp;
            const double pTouched = 1.0 - std::pow(1.0 - k / E, T);
            const double distinctDev = E / ep * pTouched;
            const double tokensPerExpert = (T * k / E) / std::max(pTouched, 1e-12);
            if (ep > 1) {
                add(evalCollective(pm, "moe_dispatch", Collective::AllToAll, T * k / ep * h * actB, ep, launch), c, true);
            }
            gemm("experts_gate_up", tokensPerExpert, 2 * width, h, c, distinctDev);
            elementwise("experts_activation", OpClass::Elementwise, T * k / ep * width, stack.activationPasses,
                        stack.activationKernels, c, true);
            gemm("experts_down", tokensPerExpert, h, width, c, distinctDev);
            if (ep > 1)
                add(evalCollective(pm, "moe_combine", Collective::AllToAll, T * k / ep * h * actB, ep, launch), c, true);
            const double shared = a.numSharedExperts * double(a.moeIntermediateSize) + double(a.sharedExpertIntermediate);
            if (shared > 0)
                denseMlp(shared / tp, "shared_gate_up", "shared_gate", "shared_up", "shared_activation", "shared_down");
            if (ep < tp || shared > 0)
                allReduce("all_reduce_moe", c);
        }
        elementwise("residual_add_mlp", OpClass::Elementwise, Tn * h, stack.residualPasses, stack.residualKernels, c);
        if (a.normsPerLayer == 4)
            norm("post_mlp_norm", Tn, h, c, stack.normKernels);
    }
    // Final norm and LM head (last token of each prompt only in prefill), on the last stage.
    {
        const double base = lmRows * h * actB;
        add(evalMemoryOp(pm, "final_norm", OpClass::Norm, base * stack.normPasses, base * stack.normPasses,
                         4 * lmRows * h, stack.normKernels, launch, h),
            1, false);
        add(evalGemm(pm, "lm_head", lmRows, double(a.vocabSize) / tp, h, actStore, s.weights, gemmType, launch, 1, 4.0),
            1, false);
        if (tp > 1)
            add(evalCollective(pm, "logits_gather", Collective::AllGather, lmRows * double(a.vocabSize) * 4.0, tp, launch),
                1, false);
    }
    double p2p = 0;
    if (pp > 1) {
        OpResult r = evalCollective(pm, "pp_send_recv", Collective::SendRecv, T * h * actB, 2, launch);
        r.count = pp - 1;
        p2p = r.totalS();
        ops.push_back(r);
    }

    // Under a power limit, a step that keeps the tensor cores busy most of the time runs at lower clocks:
    // compute-bound operators slow down in proportion to the step's compute-bound share.
    if (pm.sustainedComputeFraction < 1.0) {
        double busy = 0, total = 0;
        for (const auto& r : ops) {
            total += r.totalS();
            busy += r.bound == Bound::Compute ? r.totalS() : 0.0;
        }
        const double derate = 1.0 - (1.0 - pm.sustainedComputeFraction) * (total > 0 ? busy / total : 0.0);
        layerTime = headTime = commTime = gemmTime = 0;
        for (auto& r : ops) {
            if (r.bound == Bound::Compute) {
                r.computeS /= derate;
                r.timeS = r.computeS + (r.timeS - r.computeS * derate);
            }
            const double t = r.totalS();
            (r.perLayer ? layerTime : headTime) += t;
            if (r.cls == OpClass::Collective && r.perLayer)
                commTime += t;
            if (r.cls == OpClass::Gemm && r.perLayer)
                gemmTime += t;
        }
    }
    // Totals for one device's table; the step latency runs through every stage.
    double overlapSaving = 0;
    if (s.overlapComm)
        overlapSaving = std::min(commTime, gemmTime);
    p.latencyS = pp * (layerTime - overlapSaving) + headTime + p2p;
    // Eager dispatch: the device waits for the host where the host issues kernels slower than they run.
    if (hostFloorS > 0 || collectiveFloorS > 0) {
        const double stallS = eagerStallS(ops);
        if (stallS > 0) {
            OpResult r;
            r.name = "host_dispatch";
            r.cls = OpClass::Other;
            r.kernels = 0;
            r.timeS = stallS;
            r.overheadS = stallS;
            r.bound = Bound::Launch;
            r.count = pp; // each stage's host issues its own layers
            p.latencyS += r.totalS();
            ops.push_back(r);
        }
    }
    for (const auto& r : ops) {
        const double t = r.totalS();
        switch (r.bound) {
        case Bound::Compute: p.computeS += t; break;
        case Bound::L1: p.memoryS += t; p.memoryLevelS[kL1] += t; break;
        case Bound::L2: p.memoryS += t; p.memoryLevelS[kL2] += t; break;
        case Bound::L3: p.memoryS += t; p.memoryLevelS[kL3] += t; break;
        case Bound::Dram: p.memoryS += t; p.memoryLevelS[kDram] += t; break;
        case Bound::Communication: p.commS += t; break;
        case Bound::Overhead:
        case Bound::Launch: p.overheadS += t; break;
        }
        p.flops += r.flops * r.count;
        p.bytes += r.bytes[kDram] * r.count;
    }
    p.commS -= std::min(p.commS, overlapSaving);
    // Bound of the step: the category with the largest share.
    const double shares[4] = {p.computeS, p.memoryS, p.commS, p.overheadS};
    const Bound kinds[4] = {Bound::Compute, Bound::Dram, Bound::Communication, Bound::Overhead};
    int best = 0;
    for (int i = 1; i < 4; ++i)
        if (shares[i] > shares[best])
            best = i;
    p.bound = kinds[best];
    const double totalShare = shares[0] + shares[1] + shares[2] + shares[3];
    const double frac = totalShare > 0 ? shares[best] / totalShare : 0;

    p.tokens = T * s.dp;
    const double m = s.microbatches;
    p.pipelineBubble = pp > 1 ? (pp - 1) / (m + pp - 1) : 0.0;
    const double stageTime = p.latencyS / pp;
    const double pipelinedTime = pp > 1 ? stageTime * (m + pp - 1) / m : p.latencyS;
    p.tokensPerS = pipelinedTime > 0 ? p.tokens / pipelinedTime : 0;

    const std::size_t gi = static_cast<std::size_t>(gemmType);
    const double ridge = pm.tensorPeak[gi] > 0 && pm.bandwidth[kDram] > 0 ? pm.tensorPeak[gi] / pm.bandwidth[kDram] : 0;
    const double intensity = p.bytes > 0 ? p.flops / p.bytes : 0;
    char buf[320];
    switch (p.bound) {
    case Bound::Compute:
        std::snprintf(buf, sizeof buf,
                      "compute-bound: %s of the time in operators at the %s tensor roof; arithmetic intensity %.0f "
                      "flop/B is above the ridge point %.0f flop/B",
                      fmtPct(frac).c_str(), std::string(dtypeName(gemmType)).c_str(), intensity, ridge);
        break;
    case Bound::Dram: {
        int lvl = kDram;
        for (int i = 0; i < kMemLevels; ++i)
            if (p.memoryLevelS[static_cast<std::size_t>(i)] > p.memoryLevelS[static_cast<std::size_t>(lvl)])
                lvl = i;
        if (lvl == kDram)
            std::snprintf(buf, sizeof buf,
                          "memory-bound: %s of the time streams weights%s from DRAM at %s; arithmetic intensity %.1f "
                          "flop/B is below the ridge point %.0f flop/B",
                          fmtPct(frac).c_str(), s.phase == Phase::Prefill ? " and activations" : " and KV cache",
                          formatQuantity(pm.bandwidth[kDram], Dimension::BytesPerSecond, 3).c_str(), intensity, ridge);
        else
            std::snprintf(buf, sizeof buf,
                          "cache-bound: %s of the time in operators limited by %s bandwidth (%s): tiles re-read "
                          "operands through the cache faster than the tensor cores consume them",
                          fmtPct(frac).c_str(), lvl == kL2 ? "L2" : lvl == kL1 ? "L1/shared" : "L3",
                          formatQuantity(pm.bandwidth[static_cast<std::size_t>(lvl)], Dimension::BytesPerSecond, 3).c_str());
        break;
    }
    case Bound::Communication:
        std::snprintf(buf, sizeof buf, "communication-bound: %s of the time in collectives across %d devices",
                      fmtPct(frac).c_str(), s.tp * s.pp);
        break;
    default:
        std::snprintf(buf, sizeof buf,
                      "overhead-bound: %s of the time is per-kernel fixed cost and launches (%zu kernel kinds); "
                      "batch more work per kernel or fuse",
                      fmtPct(frac).c_str(), ops.size());
        break;
    }
    p.why = buf;

    p.memory = memoryUse(pm, a, stack, s);
    if (!p.memory.fits)
        p.notes.push_back("does not fit: needs " + formatQuantity(p.memory.totalBytes, Dimension::Bytes, 3) + " of " +
                          formatQuantity(p.memory.capacityBytes, Dimension::Bytes, 3) +
                          " per device; largest batch that fits: " + std::to_string(p.memory.maxBatch) +
                          ", largest context at this batch: " + std::to_string(p.memory.maxContext));
    // Energy: static power for the step plus per-flop and per-byte energy where the platform has them,
    // else the busy fraction of (TDP - idle).
    const double t = p.latencyS;
    double dyn;
    if (pm.joulesPerFlop > 0 || pm.joulesPerDramByte > 0)
        dyn = p.flops * pm.joulesPerFlop + p.bytes * pm.joulesPerDramByte;
    else
        dyn = (pm.tdpW - pm.idleW) * t * std::min(1.0, (p.computeS + p.memoryS) / std::max(t, 1e-30));
    p.energyJ = (pm.idleW * t + std::min(dyn, (pm.tdpW - pm.idleW) * t)) * p.devices;
    if (!withOps)
        p.ops.clear();
    return p;
}

RequestPrediction predictRequest(const PlatformModel& pm, const LlmArch& a, const StackProfile& stack,
                                 const Scenario& s) {
    RequestPrediction r;
    Scenario pre = s;
    pre.phase = Phase::Prefill;
    r.prefill = predictStep(pm, a, stack, pre);
    if (!r.prefill.ok)
        return r;
    r.ttftS = r.prefill.latencyS;
    const int64_t steps = std::max<int64_t>(0, s.outputTokens - 1);
    double energy = r.prefill.energyJ;
    if (steps > 0) {
        // Decode time is piecewise linear in context: sample up to 9 points and integrate (trapezoid).
        Scenario dec = s;
        dec.phase = Phase::Decode;
        const int samples = static_cast<int>(std::min<int64_t>(steps, 9));
        double sum = 0, esum = 0;
        double prevT = 0, prevE = 0;
        int64_t prevCtx = 0;
        for (int i = 0; i < samples; ++i) {
            const int64_t step = samples == 1 ? 0 : (steps - 1) * i / (samples - 1);
            dec.context = s.prompt + step;
            const Prediction d = predictStep(pm, a, stack, dec, i == 0);
            if (i == 0)
                r.decodeFirst = d;
            if (i > 0) {
                const double span = double(dec.context - prevCtx);
                sum += (prevT + d.latencyS) / 2.0 * span;
                esum += (prevE + d.energyJ) / 2.0 * span;
            }
            prevT = d.latencyS;
            prevE = d.energyJ;
            prevCtx = dec.context;
        }
        r.tpotS = samples == 1 ? prevT : sum / double(steps - 1);
        energy += samples == 1 ? prevE * double(steps) : esum / double(steps - 1) * double(steps);
        if (samples > 1 && steps > 1) {
            // The trapezoid covers steps-1 intervals; spread it over all steps.
            r.tpotS = sum / double(steps - 1);
        }
    }
    r.e2eS = r.ttftS + r.tpotS * double(steps);
    const double generated = double(s.batch) * double(s.outputTokens) * s.dp;
    r.tokensPerS = r.e2eS > 0 ? generated / r.e2eS : 0;
    r.energyPerTokenJ = generated > 0 ? energy / generated : 0;
    return r;
}

} // namespace rooflab
