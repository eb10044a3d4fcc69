#include "analysis/llm_engine.hpp"

#include "units/quantity.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
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
    double ffnShards; // GPUs the FFN / experts of a layer are split over: tp x attention DP
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
        // A DSA indexer is replicated on every TP rank (SGLang, vLLM: replicated linears).
        attn = (attn - a.indexerParams()) / L.tp + a.indexerParams();
    }
    const double mlp = (g.moe ? a.moeLayerParams() : a.denseMlpParams()) / L.ffnShards;
    return attn + mlp + a.normsPerLayer * static_cast<double>(a.hiddenSize);
}

double kvBytesPerTokenLayerDevice(const LlmArch& a, const Layout& L, DType kv) {
    if (a.isMla())
        // The latent (and a DSA indexer's key) is replicated.
        return static_cast<double>(a.kvLoraRank + a.qkRopeHeadDim + a.indexHeadDim) * bytesPerElement(kv);
    return 2.0 * L.kvHeadsDev * static_cast<double>(a.headDim) * bytesPerElement(kv);
}

/// Appends `v` as printf's "%.<precision>f" would (std::to_chars is specified so); to_chars spares the step the
/// cost of the printf machinery, a fifth of a step's time.
void appendFixed(std::string& out, double v, int precision) {
    char b[400]; // DBL_MAX in fixed notation has 309 digits
    const auto r = std::to_chars(b, b + sizeof b, v, std::chars_format::fixed, precision);
    out.append(b, r.ptr);
}

void appendPct(std::string& out, double f) {
    appendFixed(out, f * 100.0, 0);
    out += '%';
}

/// The "why" sentence: which roof binds the step and why. `frac` is the bound category's share of the time.
std::string boundSentence(const PlatformModel& pm, const Prediction& p, Phase phase, int devices, DType gemmType,
                          double frac) {
    const std::size_t gi = static_cast<std::size_t>(gemmType);
    const double ridge = pm.tensorPeak[gi] > 0 && pm.bandwidth[kDram] > 0 ? pm.tensorPeak[gi] / pm.bandwidth[kDram] : 0;
    const double intensity = p.bytes > 0 ? p.flops / p.bytes : 0;
    std::string w;
    w.reserve(200);
    switch (p.bound) {
    case Bound::Compute:
        w += "compute-bound: ";
        appendPct(w, frac);
        w += " of the time in operators at the ";
        w += dtypeName(gemmType);
        w += " tensor roof; arithmetic intensity ";
        appendFixed(w, intensity, 0);
        w += " flop/B is above the ridge point ";
        appendFixed(w, ridge, 0);
        w += " flop/B";
        break;
    case Bound::Dram: {
        int lvl = kDram;
        for (int i = 0; i < kMemLevels; ++i)
            if (p.memoryLevelS[static_cast<std::size_t>(i)] > p.memoryLevelS[static_cast<std::size_t>(lvl)])
                lvl = i;
        if (lvl == kDram) {
            // What the operators achieve and the roof, quoted separately (the roof alone read as the achieved rate).
            double bytes = 0, secs = 0;
            for (const OpResult& op : p.ops)
                if (op.bound == Bound::Dram) {
                    bytes += op.bytes[kDram] * op.count;
                    secs += op.timeS * op.count;
                }
            if (secs <= 0 && p.memoryLevelS[kDram] > 0) {
                bytes = p.bytes;
                secs = p.memoryLevelS[kDram];
            }
            w += "memory-bound: ";
            appendPct(w, frac);
            w += " of the time streams weights";
            w += phase == Phase::Prefill ? " and activations" : " and KV cache";
            w += " from DRAM; the memory-bound operators achieve ";
            w += formatQuantity(secs > 0 ? bytes / secs : 0.0, Dimension::BytesPerSecond, 3);
            w += " of the ";
            w += formatQuantity(pm.bandwidth[kDram], Dimension::BytesPerSecond, 3);
            w += " DRAM roof; arithmetic intensity ";
            appendFixed(w, intensity, 1);
            w += " flop/B is below the ridge point ";
            appendFixed(w, ridge, 0);
            w += " flop/B";
        } else {
            w += "cache-bound: ";
            appendPct(w, frac);
            w += " of the time in operators limited by ";
            w += lvl == kL2 ? "L2" : lvl == kL1 ? "L1/shared" : "L3";
            w += " bandwidth (";
            w += formatQuantity(pm.bandwidth[static_cast<std::size_t>(lvl)], Dimension::BytesPerSecond, 3);
            w += "): tiles re-read operands through the cache faster than the tensor cores consume them";
        }
        break;
    }
    case Bound::Communication:
        w += "communication-bound: ";
        appendPct(w, frac);
        w += " of the time in collectives across ";
        w += std::to_string(devices);
        w += " devices";
        break;
    default:
        w += "overhead-bound: ";
        appendPct(w, frac);
        w += " of the time is per-kernel fixed cost and launches (";
        w += std::to_string(p.ops.size());
        w += " kernel kinds); batch more work per kernel or fuse";
        break;
    }
    // The sentence used to be printed into a 320-byte buffer: keep its cut for absurd magnitudes.
    if (w.size() > 319)
        w.resize(319);
    return w;
}

} // namespace

namespace {
std::string shortNumber(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}
} // namespace

double kvBudgetBytes(const SchedulerProfile& sp, double capacityBytes, double weightsBytes, double activationBytes,
                     double workspaceBytes) {
    const double f = sp.kvMemoryFraction;
    switch (sp.kvBudget) {
    case SchedulerProfile::KvBudget::Total:
        return f * capacityBytes - weightsBytes - activationBytes - workspaceBytes;
    case SchedulerProfile::KvBudget::Static:
        return f * capacityBytes - weightsBytes;
    case SchedulerProfile::KvBudget::Free:
        break;
    }
    return f * (capacityBytes - weightsBytes - activationBytes - workspaceBytes);
}

namespace {

/// memoryUse without the largest batch (which needs the peak iteration's activations, itself a memoryUse).
MemoryUse memoryOfStep(const PlatformModel& pm, const LlmArch& a, const StackProfile& stack, const Scenario& s,
                       double& kvPerTokenProbeBytes) {
    MemoryUse m;
    const double tp = s.tp, pp = s.pp;
    // Attention DP: attention weights tp-way on every rank, the FFN over all tp x attentionDp GPUs; each rank holds
    // the KV cache of its own sequences (the busiest rank's share counts).
    const double adp = std::max(1, s.attentionDp);
    Layout L{tp,  pp,      double(s.ep), double(s.dp), tp * adp, a.numHeads / tp, std::max(1.0, a.numKvHeads / tp),
             1.0, 1.0 / pp};
    auto perRank = [&](double n) { return std::ceil(n / adp); };
    double params = 0;
    for (const auto& g : a.groups)
        params += g.count / pp * layerParamsDevice(a, g, L);
    const double heads =
        pp > 1 ? std::max(a.embeddingParams(), a.lmHeadParams()) : a.embeddingParams() + a.lmHeadParams();
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
    const StepTokens tok = stepTokens(s);
    const double tokensStep = tok.tokens;
    // KV held per sequence at the end of the step (a static cache: all its slots).
    const double seqTokens = s.phase == Phase::Prefill ? double(s.prompt) : decodeKeysHeld(stack, s);
    if (s.phase == Phase::Chunked)
        chunkKv =
            perRank(double(s.chunkSeqs)) * kvForTokens(double(s.chunkOffset) + double(s.chunk) / double(s.chunkSeqs));
    perSeqKv = kvForTokens(seqTokens);
    m.kvCacheBytes = perSeqKv * perRank(double(s.batch)) + chunkKv;
    const double h = double(a.hiddenSize);
    const double inter =
        std::max<double>(double(a.intermediateSize), double(a.moeIntermediateSize) * a.topK) / (tp * adp);
    const double actPerToken = (4.0 * h + 2.0 * inter) * bytesPerElement(s.act) * stack.activationMemoryFactor;
    const double logitsRows = adp > 1 ? std::ceil(tok.lmHeadRows / adp) : tok.lmHeadRows;
    const double logits = logitsRows * double(a.vocabSize) / tp * 4.0;
    m.activationBytes = tokensStep * actPerToken + logits;
    // A static cache attended without GQA (decode_attention.repeat_kv): one layer's cache, copied once per query
    // head, is alive during that layer's attention.
    if (stack.decodeRepeatKv && s.phase == Phase::Decode && !a.isMla() && a.numHeads > a.numKvHeads) {
        const double headsDev = double(a.numHeads) / tp;
        m.activationBytes +=
            perRank(double(s.batch)) * seqTokens * 2.0 * headsDev * double(a.headDim) * bytesPerElement(s.kv);
    }
    m.workspaceBytes = stack.workspaceBytes;
    m.totalBytes = m.weightsBytes + m.kvCacheBytes + m.activationBytes + m.workspaceBytes;
    m.capacityBytes = pm.capacityBytes[kDram];
    m.fits = m.capacityBytes <= 0 || m.totalBytes <= m.capacityBytes;

    // KV bytes per token as the serving simulator books them: a 4096-token sequence's cache over its length (models
    // with sliding windows get the average over that length).
    constexpr double kProbeTokens = 4096;
    kvPerTokenProbeBytes = kvForTokens(kProbeTokens) / kProbeTokens;
    // Largest context at this batch (the largest batch: memoryUse).
    const double fixed = m.weightsBytes + m.workspaceBytes + chunkKv;
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
    // Beyond the model's positions is part of the verdict, not a note at the end (issue 19).
    m.maxPositions = a.maxPositions;
    const int64_t seqLen = s.phase == Phase::Prefill ? s.prompt : s.context + 1;
    m.beyondPositions = a.maxPositions > 0 && seqLen > a.maxPositions;
    return m;
}

} // namespace

MemoryUse memoryUse(const PlatformModel& pm, const LlmArch& a, const StackProfile& stack, const Scenario& s) {
    double kvPerToken = 0;
    MemoryUse m = memoryOfStep(pm, a, stack, s, kvPerToken);
    // Largest batch at this context: what the stack's scheduler admits, with the serving simulator's accounting
    // (serving::kvCapacity): the KV budget is the scheduler's memory fraction of the device less the weights, the
    // peak activations of an iteration at the full token budget and the runtime workspace (vLLM
    // gpu_memory_utilization, SGLang mem_fraction_static, TensorRT-LLM free_gpu_memory_fraction), cut into whole
    // blocks; each sequence takes the blocks of its tokens. Issue 19: "max batch that fits" matches what the
    // framework admits.
    const SchedulerProfile& sp = stack.scheduler;
    Scenario peak = s;
    peak.phase = Phase::Chunked;
    peak.batch = 0;
    peak.chunk = sp.tokenBudget;
    peak.chunkSeqs = 1;
    peak.chunkOffset = 0;
    double unused = 0;
    const MemoryUse atPeak = memoryOfStep(pm, a, stack, peak, unused);
    const double kvBytes = kvBudgetBytes(sp, m.capacityBytes, m.weightsBytes, atPeak.activationBytes, m.workspaceBytes);
    m.maxBatch = 0;
    if (m.capacityBytes > 0 && kvBytes > 0 && kvPerToken > 0) {
        const double blockTokens = double(std::max<int64_t>(1, sp.blockSize));
        const double blocks = std::floor(kvBytes / kvPerToken / blockTokens) * double(std::max(1, s.attentionDp));
        const double seqTokens = s.phase == Phase::Prefill ? double(s.prompt) : decodeKeysHeld(stack, s);
        const double blocksPerSeq = std::max(1.0, std::ceil(seqTokens / blockTokens));
        m.maxBatch = static_cast<int64_t>(std::min(std::floor(blocks / blocksPerSeq), 9.0e18));
    }
    return m;
}

/// Device idle time caused by eager dispatch. The host issues the kernels one after another (OpResult::hostS
/// per occurrence); the device runs each as soon as it has been issued and the previous one has finished, so
/// host and device time hide behind each other. The step then takes the maximum over kernels i of (time at
/// which the host has issued i) + (device time from i to the end). For a run of identical layers that maximum
/// lies in the first or the last layer, and within an op of several kernels at its first or last kernel, so
/// only those are evaluated. Returns that step time minus the device time (0 when the device is the bottleneck).
/// Ops are taken in execution order; consecutive per-layer ops with the same count form one repeated layer. The PP
/// transfer between stages (`graph` marks it) is no part of a stage's timeline.
static double eagerStallS(const std::vector<OpResult>& ops, const StepGraph& graph) {
    struct Block {
        std::size_t begin, end;
        double reps;
    };
    std::vector<Block> blocks;
    blocks.reserve(ops.size());
    double deviceS = 0;
    for (std::size_t i = 0; i < ops.size(); ++i) {
        const OpResult& r = ops[i];
        if (graph.ops[i].betweenStages)
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
            double issued = hostBefore + rep * sumH;                             // host time before this op
            double remaining = deviceAfter + (b.reps - 1.0 - rep) * sumG + sumG; // device time from this op on
            for (std::size_t j = b.begin; j < b.end; ++j) {
                const OpResult& r = ops[j];
                const double k = std::max(1.0, r.kernels);
                const double h = r.hostS / k, g = r.timeS / k;
                best = std::max(best, issued + h + remaining);                   // its first kernel
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

namespace {

/// A stack's fitted kernel efficiency on this platform, resolved once per graph (workloads/kernel_efficiency.hpp).
struct StackKernels {
    const KernelEfficiency* eff = nullptr;
    bool fp8Block = false;
};

const char* surfaceDtype(DType t) {
    switch (t) {
    case DType::bf16:
    case DType::fp16:
        return "bfloat16";
    case DType::fp8_e4m3:
    case DType::fp8_e5m2:
        return "fp8";
    case DType::fp8_block:
        return "fp8_block";
    default:
        return nullptr;
    }
}

/// The correction of one GEMM (single products only: grouped MoE GEMMs and MLA's batched products have their own
/// kernels) and of one attention kernel (MLA excluded), 1 where the stack has no surface.
double gemmScale(const StackKernels& sk, const OpSpec& op, DType gemmType) {
    if (!sk.eff || op.gemm.batch != 1)
        return 1.0;
    const char* dtype = gemmSurfaceDtype(gemmType, op.gemm.bType, sk.fp8Block);
    if (!dtype)
        return 1.0;
    return sk.eff->gemmScale(dtype, op.gemm.m, op.gemm.n, op.gemm.k);
}

double attentionScale(const StackKernels& sk, const AttentionShape& a, DType attnType) {
    if (!sk.eff || a.kvHeadsShareLatent > 0)
        return 1.0;
    const char* d = attnType == DType::fp8_block ? "fp8" : surfaceDtype(attnType); // attention has no block scales
    if (!d)
        return 1.0;
    const std::string dtype = std::string(d) + (a.kvBytesPerElement <= 1 ? "/fp8" : "/bfloat16");
    const int headDim = static_cast<int>(a.qkDim);
    if (a.queries > 1) {
        const double span = a.window > 0 ? std::min(a.keys, a.window) : a.keys;
        return sk.eff->contextScale(dtype, headDim, a.batch, a.queries, a.heads, a.kvHeads, std::min(span, a.queries));
    }
    const double keysRead = a.window > 0 ? std::min(a.keys, a.window) : a.keys;
    return sk.eff->generationScale(dtype, headDim, a.batch, a.keys, a.heads, a.kvHeads, keysRead);
}

/// The stack's fitted kernel efficiency on this GPU platform (or the GPU it extends), else nullptr.
const KernelEfficiency* stackEfficiency(const PlatformModel& pm, const StackProfile* stack) {
    return stack && !stack->kernelEfficiency.empty() && pm.kind == DeviceKind::Gpu
               ? stack->efficiencyFor(pm.name, pm.extends)
               : nullptr;
}

/// The correction of a fused MoE (its ops together), keyed by the grouped gate/up GEMM: rows per touched expert,
/// touched experts on this GPU, hidden x width; the surface of the graph's MoE layout. 1 where the stack has no MoE
/// surface.
double moeScale(const StackKernels& sk, const OpSpec& gateUp, DType gemmType, MoeLayout layout) {
    if (!sk.eff)
        return 1.0;
    const MoeSurfaceKey key = moeSurfaceKey(gemmType, gateUp.gemm.bType, sk.fp8Block);
    if (!key.dtype)
        return 1.0;
    return sk.eff->moeScale(key, layout, gateUp.gemm.m, gateUp.gemm.batch, gateUp.gemm.k, gateUp.gemm.n / 2);
}

/// The correction of a collective inside one NVLink domain (the tables' 2-8 GPUs of one node), 1 elsewhere.
double collectiveScale(const StackKernels& sk, const PlatformModel& pm, const CollectiveSpec& c, LaunchMode launch) {
    if (!sk.eff || c.ranks <= 1 || c.ranks > 8 || c.ranks > pm.scaleUpDomain)
        return 1.0;
    const char* op = nullptr;
    switch (c.kind) {
    case Collective::AllReduce:
        op = "all_reduce";
        break;
    case Collective::AllGather:
        op = "all_gather";
        break;
    case Collective::ReduceScatter:
        op = "reduce_scatter";
        break;
    case Collective::AllToAll:
        op = "alltoall";
        break;
    case Collective::SendRecv:
        return 1.0;
    }
    return sk.eff->collectiveScale(op, launch == LaunchMode::Graph, c.bytes, c.ranks);
}

/// One operator through the evaluator its kind names, with the datatypes the platform resolved.
OpResult evaluateOp(const PlatformModel& pm, const StepGraph& g, const OpSpec& op, DType gemmType, DType attnType,
                    const StackKernels& sk) {
    switch (op.kind) {
    case OpKind::Gemm:
        return evalGemm(pm, op.name, op.gemm.m, op.gemm.n, op.gemm.k, op.gemm.aType, op.gemm.bType, gemmType, g.launch,
                        op.gemm.batch, op.gemm.outBytesPerElement, gemmScale(sk, op, gemmType));
    case OpKind::Attention: {
        OpResult r =
            evalAttention(pm, op.name, op.attention, attnType, g.launch, attentionScale(sk, op.attention, attnType));
        // The stack may run attention as several kernels (e.g. a separate softmax); the split-KV choice may too.
        r.kernels = std::max(r.kernels, op.kernels);
        return r;
    }
    case OpKind::Memory:
        return evalMemoryOp(pm, op.name, op.cls, op.memory.bytesRead, op.memory.bytesWritten, op.flops, op.kernels,
                            g.launch, op.memory.rowElements, op.memory.strided ? pm.stridedElementwiseBytesPerS : 0.0);
    case OpKind::Collective: {
        OpResult r =
            evalCollective(pm, op.name, op.collective.kind, op.collective.bytes, op.collective.ranks, g.launch);
        scaleOpTime(r, collectiveScale(sk, pm, op.collective, g.launch));
        return r;
    }
    }
    return {};
}

/// Whether `b` evaluates to what `a` did: the same operator (the builder's name literal), kernels and shape. The
/// layer groups of a model repeat most of their ops (DeepSeek-V3's 3 dense and 58 MoE layers share their attention
/// half). The parts of a fused MoE are scaled by their group's surface and are never taken over.
bool sameEvaluation(const OpSpec& a, const OpSpec& b) {
    if (a.name != b.name || a.kind != b.kind || a.cls != b.cls || a.kernels != b.kernels ||
        a.moePart != MoePart::None || b.moePart != MoePart::None || a.betweenStages != b.betweenStages ||
        a.flops != b.flops)
        return false;
    switch (a.kind) {
    case OpKind::Gemm:
        return a.gemm == b.gemm;
    case OpKind::Attention:
        return a.attention == b.attention;
    case OpKind::Memory:
        return a.memory == b.memory;
    case OpKind::Collective:
        return a.collective == b.collective;
    }
    return false;
}

} // namespace

GraphEvaluation evaluateGraph(const PlatformModel& pm, const StepGraph& g, const StackProfile* stack) {
    GraphEvaluation ev;
    StackKernels sk;
    if ((sk.eff = stackEfficiency(pm, stack)))
        sk.fp8Block = stack->fp8BlockGemm;
    const int devices = g.tp * g.pp * g.dp * g.attentionDp;
    if (devices > pm.devicesPerNode && pm.devicesPerNode >= 1 && g.tp * g.pp > pm.scaleUpDomain)
        ev.notes.push_back("tp x pp = " + std::to_string(g.tp * g.pp) + " devices exceed the scale-up domain of " +
                           std::to_string(int(pm.scaleUpDomain)) + ": collectives use the scale-out network");
    bool fell = false;
    // GGUF block formats on a CPU framework that runs them natively (llama.cpp: the weights stay quantized and the
    // dot products run on 8-bit activations; withCpuStack gives the format its own rate): the format is the GEMM
    // type. Elsewhere they are dequantized to the activations' type.
    const bool nativeGguf = isGgufBlock(g.weights) && pm.tensorPeak[static_cast<std::size_t>(g.weights)] > 0;
    ev.gemmType = nativeGguf ? g.weights : pm.computeType(g.gemmType, fell);
    if (fell)
        ev.notes.push_back("platform has no " + std::string(dtypeName(g.gemmType)) + " tensor path: GEMMs run in " +
                           std::string(dtypeName(ev.gemmType)));
    bool fellAttn = false;
    ev.attentionType = pm.computeType(g.attentionType, fellAttn);
    // Outside graphs, the framework's host-side dispatch (Python, module calls) costs host time per kernel;
    // the platform scales the stack's cost for its own host CPU (fitted from the harness's host-floor run).
    const bool stream = g.launch == LaunchMode::Stream;
    ev.hostFloorS = stream ? g.hostOverheadS * pm.hostOverheadScale : 0.0;
    ev.collectiveFloorS = stream ? g.collectiveHostS * pm.hostOverheadScale : 0.0;
    ev.normFloorS = stream ? g.normHostS * pm.hostOverheadScale : 0.0;

    ev.ops.reserve(g.ops.size() + 1); // + the host_dispatch row summarizeStep may add
    double moeFactor = 1.0;           // the MoE surface's correction, set at each fused MoE's gate/up GEMM
    // The last op of each name (by its literal's address, hashed into a few slots): an op that repeats it exactly
    // takes its result instead of being evaluated again (the same numbers: evaluation depends on the spec only).
    constexpr std::size_t kSlots = 64;
    std::array<int, kSlots> lastOfName;
    lastOfName.fill(-1);
    for (const OpSpec& op : g.ops) {
        const std::size_t slot = (reinterpret_cast<std::uintptr_t>(op.name) >> 3) % kSlots;
        const int prev = lastOfName[slot];
        const int index = static_cast<int>(ev.ops.size());
        const bool repeat = prev >= 0 && sameEvaluation(g.ops[static_cast<std::size_t>(prev)], op);
        OpResult& r = ev.ops.emplace_back(repeat ? OpResult(ev.ops[static_cast<std::size_t>(prev)])
                                                 : evaluateOp(pm, g, op, ev.gemmType, ev.attentionType, sk));
        lastOfName[slot] = index;
        if (op.moePart == MoePart::GateUp)
            moeFactor = moeScale(sk, op, ev.gemmType, g.moeLayout);
        if (op.moePart != MoePart::None)
            scaleOpTime(r, moeFactor);
        if (stack && (op.moePart == MoePart::GateUp || op.moePart == MoePart::Down))
            applyGroupedGemmOverlap(r, stack->groupedGemmOverlap, stack->groupedGemmDramFraction);
        r.count = op.count;
        r.perLayer = op.perLayer;
        // The host's dispatch cost is not device time: the step's timeline (eagerStallS) decides how much of it
        // the device waits for. The PP transfer is issued by the stages' own streams.
        if (!op.betweenStages)
            r.hostS = r.kernels * (r.cls == OpClass::Collective ? ev.collectiveFloorS
                                   : r.cls == OpClass::Norm     ? ev.normFloorS
                                                                : ev.hostFloorS);
    }
    return ev;
}

Prediction summarizeStep(const PlatformModel& pm, const LlmArch& a, const StackProfile& stack, const Scenario& s,
                         const StepGraph& g, GraphEvaluation&& ev) {
    Prediction p;
    p.devices = s.tp * s.pp * s.dp * std::max(1, s.attentionDp);
    p.notes = std::move(ev.notes);
    p.ops = std::move(ev.ops);
    std::vector<OpResult>& ops = p.ops;
    const double pp = s.pp;
    const DType gemmType = ev.gemmType;

    // Stage time (layers, repeated on every stage), head time (embedding, LM head: once), the PP transfer.
    double layerTime = 0, headTime = 0, commTime = 0, gemmTime = 0, p2p = 0;
    for (std::size_t i = 0; i < ops.size(); ++i) {
        const OpResult& r = ops[i];
        const double t = r.totalS();
        if (g.ops[i].betweenStages) {
            p2p += t;
            continue;
        }
        if (r.cls == OpClass::Collective)
            commTime += t;
        if (r.cls == OpClass::Gemm && r.perLayer)
            gemmTime += t;
        (r.perLayer ? layerTime : headTime) += t;
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
        // These totals differ from the ones above: the PP transfer counts as head time and head collectives
        // (logits_gather) no longer count as communication. Kept as is: predictions are calibrated with it.
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
    // Eager dispatch: the device waits for the host where the host issues kernels slower than they run. A CPU
    // framework dispatches on the cores that compute: all of its host time adds to the step, plus its fixed
    // per-step cost (input preparation, masks, cache bookkeeping, sampling).
    const bool hostSerial = pm.kind == DeviceKind::Cpu && stack.cpu.present;
    if (hostSerial || ev.hostFloorS > 0 || ev.collectiveFloorS > 0 || ev.normFloorS > 0) {
        double stallS = 0;
        if (hostSerial) {
            for (const auto& r : ops)
                stallS += r.hostS * r.count * (r.perLayer ? pp : 1.0); // every stage's layers, one after another
            stallS += s.phase == Phase::Decode ? stack.cpu.decodeStepS : stack.cpu.prefillStepS;
        } else {
            stallS = eagerStallS(ops, g);
        }
        if (stallS > 0) {
            OpResult r;
            r.name = "host_dispatch";
            r.cls = OpClass::Other;
            r.kernels = 0;
            r.timeS = stallS;
            r.overheadS = stallS;
            r.bound = Bound::Launch;
            r.count = hostSerial ? 1.0 : pp; // each stage's host issues its own layers
            p.latencyS += r.totalS();
            ops.push_back(r);
        }
    }
    for (const auto& r : ops) {
        const double t = r.totalS();
        switch (r.bound) {
        case Bound::Compute:
            p.computeS += t;
            break;
        case Bound::L1:
            p.memoryS += t;
            p.memoryLevelS[kL1] += t;
            break;
        case Bound::L2:
            p.memoryS += t;
            p.memoryLevelS[kL2] += t;
            break;
        case Bound::L3:
            p.memoryS += t;
            p.memoryLevelS[kL3] += t;
            break;
        case Bound::Dram:
            p.memoryS += t;
            p.memoryLevelS[kDram] += t;
            break;
        case Bound::Communication:
            p.commS += t;
            break;
        case Bound::Overhead:
        case Bound::Launch:
            p.overheadS += t;
            break;
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

    p.tokens = g.tokens * s.dp;
    const double m = s.microbatches;
    p.pipelineBubble = pp > 1 ? (pp - 1) / (m + pp - 1) : 0.0;
    const double stageTime = p.latencyS / pp;
    const double pipelinedTime = pp > 1 ? stageTime * (m + pp - 1) / m : p.latencyS;
    p.tokensPerS = pipelinedTime > 0 ? p.tokens / pipelinedTime : 0;

    p.why = boundSentence(pm, p, s.phase, s.tp * s.pp, gemmType, frac);

    p.memory = memoryUse(pm, a, stack, s);
    if (!p.memory.fits)
        p.notes.push_back("does not fit: needs " + formatQuantity(p.memory.totalBytes, Dimension::Bytes, 3) + " of " +
                          formatQuantity(p.memory.capacityBytes, Dimension::Bytes, 3) +
                          " per device; largest batch that fits: " + std::to_string(p.memory.maxBatch) +
                          ", largest context at this batch: " + std::to_string(p.memory.maxContext));
    else if (p.memory.capacityBytes > 0 && s.batch > p.memory.maxBatch)
        p.notes.push_back("fits in memory, but the stack's scheduler admits at most " +
                          std::to_string(p.memory.maxBatch) +
                          " sequences at this context (its KV-cache budget: " + stack.scheduler.framework +
                          " memory fraction " + shortNumber(stack.scheduler.kvMemoryFraction) + ")");
    // Energy: static power for the step plus per-flop and per-byte energy where the platform has them,
    // else the busy fraction of (TDP - idle).
    const double t = p.latencyS;
    double dyn;
    if (pm.joulesPerFlop > 0 || pm.joulesPerDramByte > 0)
        dyn = p.flops * pm.joulesPerFlop + p.bytes * pm.joulesPerDramByte;
    else
        dyn = (pm.tdpW - pm.idleW) * t * std::min(1.0, (p.computeS + p.memoryS) / std::max(t, 1e-30));
    p.energyJ = (pm.idleW * t + std::min(dyn, (pm.tdpW - pm.idleW) * t)) * p.devices;
    return p;
}

Prediction predictStep(const PlatformModel& pm, const LlmArch& a, const StackProfile& stack, const Scenario& s,
                       bool withOps) {
    std::vector<ScenarioStatus> check = checkScenario(a, s);
    if (!check.empty() && check.back().isError()) {
        Prediction p;
        p.ok = false;
        p.error = check.back().text();
        p.errorKey = check.back().key;
        return p;
    }
    // Devices beyond the scale-up domain talk over the scale-out network (or the host link): a platform that
    // describes neither cannot run the step, rather than getting its collectives for free.
    if (const int linked = s.tp * s.pp; linked > 1 || s.ep > 1) {
        const bool inNode = std::max(linked, s.ep) <= pm.scaleUpDomain && pm.scaleUpBytesPerS > 0;
        if (!inNode && pm.scaleOutBytesPerS <= 0 && pm.hostLinkBytesPerS <= 0) {
            Prediction p;
            p.ok = false;
            p.errorKey = linked > 1 ? "tp" : "ep";
            p.error = "'" + p.errorKey + "': tp x pp = " + std::to_string(linked) +
                      (s.ep > 1 ? ", ep = " + std::to_string(s.ep) : "") +
                      " devices need a network between them: " + pm.name +
                      " describes no scale-up link for that many and no scale-out network (scale_out: in its "
                      "platform file)";
            return p;
        }
    }
    const StepGraph graph = buildStepGraph(a, stack, s, &pm, stackEfficiency(pm, &stack));
    Prediction p = summarizeStep(pm, a, stack, s, graph, evaluateGraph(pm, graph, &stack));
    if (!check.empty()) {
        // The check's notes (about the scenario) come before the platform's.
        std::vector<std::string> notes;
        notes.reserve(check.size() + p.notes.size());
        for (ScenarioStatus& st : check)
            notes.push_back(std::move(st.message));
        for (std::string& n : p.notes)
            notes.push_back(std::move(n));
        p.notes = std::move(notes);
    }
    // What the model file left out and the loader assumed comes first: it changes every number.
    if (!a.assumptions.empty())
        p.notes.insert(p.notes.begin(), a.assumptions.begin(), a.assumptions.end());
    if (!withOps)
        p.ops.clear();
    return p;
}

RequestPrediction predictRequest(const PlatformModel& pm, const LlmArch& a, const StackProfile& stack,
                                 const Scenario& s) {
    RequestPrediction r;
    r.prefill = predictStep(pm, a, stack, withPhase(s, Phase::Prefill));
    if (!r.prefill.ok)
        return r;
    r.ttftS = r.prefill.latencyS;
    const int64_t steps = std::max<int64_t>(0, s.outputTokens - 1);
    double energy = r.prefill.energyJ;
    if (steps > 0) {
        // Decode time is piecewise linear in context: sample up to 9 points and integrate (trapezoid).
        ScenarioBuilder dec(withPhase(s, Phase::Decode));
        const int samples = static_cast<int>(std::min<int64_t>(steps, 9));
        double sum = 0, esum = 0;
        double prevT = 0, prevE = 0;
        int64_t prevCtx = 0;
        for (int i = 0; i < samples; ++i) {
            const int64_t step = samples == 1 ? 0 : (steps - 1) * i / (samples - 1);
            const int64_t context = s.prompt + step;
            const Prediction d = predictStep(pm, a, stack, dec.context(context).unchecked(), i == 0);
            if (i == 0)
                r.decodeFirst = d;
            if (i > 0) {
                const double span = double(context - prevCtx);
                sum += (prevT + d.latencyS) / 2.0 * span;
                esum += (prevE + d.energyJ) / 2.0 * span;
            }
            prevT = d.latencyS;
            prevE = d.energyJ;
            prevCtx = context;
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
    r.endMemory = memoryUse(pm, a, stack, requestEndScenario(s));
    return r;
}

} // namespace rooflab
