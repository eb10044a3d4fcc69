#include "analysis/ops.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <span>

namespace rooflab {

std::string_view opClassName(OpClass c) {
    switch (c) {
    case OpClass::Gemm:
        return "gemm";
    case OpClass::Attention:
        return "attention";
    case OpClass::Norm:
        return "norm";
    case OpClass::Elementwise:
        return "elementwise";
    case OpClass::Rope:
        return "rope";
    case OpClass::Embedding:
        return "embedding";
    case OpClass::KvAppend:
        return "kv_append";
    case OpClass::Collective:
        return "collective";
    case OpClass::Other:
        return "other";
    }
    return "?";
}

std::string_view boundName(Bound b) {
    switch (b) {
    case Bound::Compute:
        return "compute";
    case Bound::L1:
        return "l1";
    case Bound::L2:
        return "l2";
    case Bound::L3:
        return "l3";
    case Bound::Dram:
        return "dram";
    case Bound::Communication:
        return "communication";
    case Bound::Overhead:
        return "overhead";
    case Bound::Launch:
        return "launch";
    }
    return "?";
}

std::string_view collectiveName(Collective c) {
    switch (c) {
    case Collective::AllReduce:
        return "all_reduce";
    case Collective::AllGather:
        return "all_gather";
    case Collective::ReduceScatter:
        return "reduce_scatter";
    case Collective::AllToAll:
        return "all_to_all";
    case Collective::SendRecv:
        return "send_recv";
    }
    return "?";
}

void finishOp(const PlatformModel& pm, OpResult& r, LaunchMode launch, double extraFixedPerKernelS) {
    finishOpFixed(pm, r, launch, pm.kernelOverheadS + extraFixedPerKernelS);
}

void finishOpFixed(const PlatformModel& pm, OpResult& r, LaunchMode launch, double fixedPerKernelS) {
    double roof = r.computeS;
    Bound b = Bound::Compute;
    static constexpr Bound kLevelBound[kMemLevels] = {Bound::L1, Bound::L2, Bound::L3, Bound::Dram};
    for (int i = 0; i < kMemLevels; ++i) {
        if (r.memoryS[static_cast<std::size_t>(i)] > roof) {
            roof = r.memoryS[static_cast<std::size_t>(i)];
            b = kLevelBound[i];
        }
    }
    if (r.commS > roof) {
        roof = r.commS;
        b = Bound::Communication;
    }
    const double fixed = fixedPerKernelS * r.kernels;
    double t = roof + fixed;
    if (fixed > roof)
        b = Bound::Overhead;
    // A kernel cannot finish faster than the host (or the graph) can issue it.
    const double floorS = r.kernels * (launch == LaunchMode::Graph ? pm.graphLaunchS : pm.launchS);
    if (floorS > t) {
        r.overheadS = floorS - roof;
        t = floorS;
        b = Bound::Launch;
    } else {
        r.overheadS = fixed;
    }
    r.timeS = t;
    r.bound = b;
}

namespace {
inline double ceilDiv(double a, double b) {
    return std::ceil(a / b);
}

/// Memory time of `bytes` at level i, served by the nearest level that holds `footprint` when it is small.
inline double levelTime(const PlatformModel& pm, int i, double bytes) {
    const double bw = pm.bandwidth[static_cast<std::size_t>(i)];
    return bw > 0 ? bytes / bw : 0.0;
}
} // namespace

GemmTraffic gemmTraffic(double m, double n, double k, DType aType, DType bType, double batch, double outBytes) {
    GemmTraffic t;
    t.aBytes = m * k * bytesPerElement(aType) * batch;
    t.bBytes = k * n * bytesPerElement(bType) * batch;
    if (bType == DType::int4)
        t.bBytes += k * n / 128.0 * 2.0 * batch; // group-wise fp16 scales, group size 128
    t.cBytes = m * n * outBytes * batch;
    return t;
}

namespace {
/// A fitted efficiency applied to the device time: every roof and the fixed time scale, the launch floor does not.
void scaleRoofs(OpResult& r, double timeScale) {
    r.computeS *= timeScale;
    for (double& t : r.memoryS)
        t *= timeScale;
    r.commS *= timeScale;
}
} // namespace

OpResult evalGemm(const PlatformModel& pm, const char* name, double m, double n, double k, DType aType, DType bType,
                  DType computeType, LaunchMode launch, double batch, double outBytes, double timeScale) {
    OpResult r;
    r.name = name;
    r.cls = OpClass::Gemm;
    r.computeType = computeType;
    r.m = static_cast<int64_t>(m);
    r.n = static_cast<int64_t>(n);
    r.k = static_cast<int64_t>(k);
    r.batchCount = batch;
    r.flops = 2.0 * m * n * k * batch;
    if (m <= 0 || n <= 0 || k <= 0 || batch <= 0) {
        r.kernels = 0;
        return r;
    }
    const GemmTraffic traffic = gemmTraffic(m, n, k, aType, bType, batch, outBytes);
    const double aBytes = traffic.aBytes, bBytes = traffic.bBytes, cBytes = traffic.cBytes;

    const std::size_t ct = static_cast<std::size_t>(computeType);
    const double peak = pm.tensorPeak[ct] > 0 ? pm.tensorPeak[ct] : pm.vectorPeakFp32;
    const double frac = pm.tensorPeak[ct] > 0 ? pm.gemmFraction[ct] : pm.vectorFraction;

    // Tile and wave quantization. Libraries choose among tile shapes per problem; the engine does the same over
    // the platform's tile (tileM x tileN) and its halves, each smaller tile paying a small efficiency cost.
    // Skinny products (small M) run narrow tiles (swapped operands, M padded to 16 or the next power of 2);
    // split-K fills the machine when there are fewer tiles than units.
    struct TileChoice {
        double tm, tn, eff;
    };
    // A single row on a CPU or a GPU's SIMT path is a matrix-vector product: nothing to pad (tensor-core
    // kernels pad M to at least 16).
    const bool simt = isSimtGemm(computeType);
    const bool gemv = m <= 1 && (pm.kind == DeviceKind::Cpu || simt);
    // The smallest power of 2 at or above m is the one at or above ceil(m) (powers of 2 are integers): bit_ceil,
    // not log2 and exp2 (they were a tenth of a decode step). Beyond 2^62 rows the tile choice no longer matters.
    // A CPU's vector-unit GEMM (fp32 on AVX-512) blocks a few rows per register tile: no 16-row minimum (AMX's
    // tiles, like tensor cores, have one).
    const bool cpuVector = simt && pm.kind == DeviceKind::Cpu;
    const double narrowM = gemv         ? 1.0
                           : cpuVector  ? std::ceil(m)
                           : m <= 16.0  ? 16.0
                           : m < 0x1p62 ? double(std::bit_ceil(static_cast<uint64_t>(std::ceil(m))))
                                        : m;
    // SIMT kernels (fp32/fp64 without a tensor path) also come with small tiles, which the tensor-core
    // kernels' minimum shapes rule out.
    const TileChoice choices[] = {
        {pm.tileM, pm.tileN, 1.0},          {pm.tileM, pm.tileN / 2, 0.95},
        {pm.tileM / 2, pm.tileN / 2, 0.85}, {std::min(pm.tileM, narrowM), pm.tileN, 1.0},
        {pm.tileM / 4, pm.tileN / 4, 0.7},  {std::min(pm.tileM / 4, narrowM), pm.tileN / 8, 0.6}};
    // Each choice's time is padded FLOPs / (peak x fraction x eff x wave utilisation), with utilisation
    // work / (waves x units): (padded x waves) / (eff x work) times a common factor. The choices are compared as
    // those fractions, cross-multiplied, and the one division comes at the end.
    double bestNum = 0, bestDen = 1, bestTilesM = 1, bestTilesN = 1;
    const double minKPerSplit = pm.minKPerSplitByType[ct];
    for (const auto& c : std::span(choices, simt ? 6 : 4)) {
        const double tM = ceilDiv(m, c.tm), tN = ceilDiv(n, c.tn);
        const double tiles = tM * tN * batch;
        double split = 1;
        if (tiles < pm.units)
            split = std::max(1.0, std::min(std::floor(pm.units / tiles), std::floor(k / minKPerSplit)));
        const double work = tiles * split;
        const double waves = ceilDiv(work, pm.units);
        const double num = tM * c.tm * tN * c.tn * waves, den = c.eff * work;
        if (bestNum == 0 || num * bestDen < bestNum * den) {
            bestNum = num;
            bestDen = den;
            bestTilesM = tM;
            bestTilesN = tN;
        }
    }
    r.computeS = 2.0 * k * batch * bestNum * pm.units / (peak * frac * bestDen);
    const double tilesM = bestTilesM, tilesN = bestTilesN;

    r.bytes[kDram] = aBytes + bBytes + cBytes;
    // Each output tile streams its A rows and B columns through L2 (and shared memory); on GPUs, pairs of
    // thread blocks in a cluster share B tiles (TMA multicast), halving B's re-reads.
    const double bReuse = pm.kind == DeviceKind::Gpu ? std::max(1.0, std::ceil(tilesM / 2.0)) : tilesM;
    r.bytes[kL2] = aBytes * tilesN + bBytes * bReuse + cBytes;
    r.bytes[kL1] = r.bytes[kL2];
    r.memoryS[kDram] =
        pm.gemmDramBytesPerS > 0 ? r.bytes[kDram] / pm.gemmDramBytesPerS : levelTime(pm, kDram, r.bytes[kDram]);
    if (!pm.cpuGemvShape.empty()) // a CPU framework's kernel streams some weight shapes slower than others
        r.memoryS[kDram] *= cpuGemvShapeFactor(pm, n, k);
    r.memoryS[kL2] = levelTime(pm, kL2, r.bytes[kL2]);
    r.memoryS[kL1] = pm.bandwidth[kL1] > 0 ? r.bytes[kL1] / (pm.bandwidth[kL1] * pm.units) : 0.0;
    if (pm.smallMHalf > 0 && !(gemv && pm.kind == DeviceKind::Cpu)) {
        // Kernels for skinny GEMMs (few rows) do not reach the roof: ramp-up, too little work per unit. (A CPU's
        // one-row product is a GEMV kernel that streams the weights: no ramp.)
        r.computeS *= 1.0 + pm.smallMHalf / m;
    }
    // SIMT GEMMs of several rows (not a GEMV) stream the weights more slowly than tensor-core kernels, the more
    // so the more rows each register tile holds, and carry a longer fixed time (calibrated per platform).
    double simtFixedS = 0;
    if (simt && !gemv && pm.kind == DeviceKind::Gpu) {
        if (pm.simtGemmDramBytesPerS > 0) {
            const double rate =
                pm.simtGemmDramBytesPerS / (pm.simtGemmDramHalfM > 0 ? 1.0 + m / pm.simtGemmDramHalfM : 1.0);
            r.memoryS[kDram] = std::max(r.memoryS[kDram], bBytes / rate);
        }
        simtFixedS = pm.simtGemmOverheadS;
    }
    r.kernels = 1;
    if (timeScale != 1.0) {
        scaleRoofs(r, timeScale);
        finishOpFixed(pm, r, launch, (pm.kernelOverheadS + simtFixedS) * timeScale);
        return r;
    }
    finishOp(pm, r, launch, simtFixedS);
    return r;
}

/// Bytes per kernel from which ATen runs an element-wise op on all threads (its GRAIN_SIZE, 32768 elements, of
/// 2-byte elements read and written).
constexpr double kCpuParallelGrainBytes = 32768.0 * 2 * 2;

OpResult evalMemoryOp(const PlatformModel& pm, const char* name, OpClass cls, double bytesRead, double bytesWritten,
                      double flops, double kernels, LaunchMode launch, double rowElements, double kernelBytesPerS) {
    OpResult r;
    r.name = name;
    r.cls = cls;
    r.kernels = kernels;
    r.computeType = DType::fp32;
    r.flops = flops;
    if (kernels <= 0) {
        // Fused into a neighbouring kernel: its traffic stays in registers.
        r.timeS = 0;
        r.bound = Bound::Overhead;
        return r;
    }
    const double total = bytesRead + bytesWritten;
    const double footprint = total / kernels;
    // Activations just written by the previous kernel are still in L2 when they fit comfortably.
    const bool inL2 = pm.capacityBytes[kL2] > 0 && footprint < 0.5 * pm.capacityBytes[kL2];
    if (inL2) {
        r.bytes[kL2] = total;
        r.memoryS[kL2] = levelTime(pm, kL2, total);
    } else {
        r.bytes[kDram] = total;
        r.bytes[kL2] = total;
        r.memoryS[kDram] = levelTime(pm, kDram, total);
        r.memoryS[kL2] = levelTime(pm, kL2, total);
    }
    r.computeS = pm.vectorPeakFp32 > 0 ? flops / (pm.vectorPeakFp32 * pm.vectorFraction) : 0.0;
    // Strided kernels move their bytes no faster than their own rate, from whichever level serves them.
    if (kernelBytesPerS > 0) {
        double& served = r.memoryS[inL2 ? kL2 : kDram];
        served = std::max(served, total / kernelBytesPerS);
    }
    // One CTA walks each row: its latency adds to the op's fixed time once (a norm written as several kernels, as
    // transformers' RMSNorm, walks the row in its one reduction kernel). On a CPU the fixed time is an OpenMP
    // parallel region, which ATen opens only for tensors of at least its grain (32768 elements, ~64 KiB).
    const double fixedS =
        pm.kind == DeviceKind::Cpu && footprint < kCpuParallelGrainBytes ? 0.0 : pm.elementwiseOverheadS;
    finishOpFixed(pm, r, launch, fixedS + (rowElements > 0 ? rowElements * pm.normRowElementS / kernels : 0));
    return r;
}

int flashDecodeSplits(double units, double slots, double keyBlocks) {
    if (units <= 0 || slots <= 0 || units >= 0.8 * slots)
        return 1;
    const int blocks = static_cast<int>(std::max(1.0, keyBlocks));
    const int maxSplits = std::min({128, static_cast<int>(slots), blocks});
    auto blocksPerSplit = [&](int s) { return (blocks + s - 1) / s; };
    // A split count is only distinct when it changes the blocks per split (else it is the previous one).
    auto eligible = [&](int s) { return s == 1 || blocksPerSplit(s) != blocksPerSplit(s - 1); };
    auto efficiency = [&](int s) {
        const double waves = units * s / slots;
        return waves / std::ceil(waves);
    };
    double best = 0;
    for (int s = 1; s <= maxSplits; ++s)
        if (eligible(s))
            best = std::max(best, efficiency(s));
    for (int s = 1; s <= maxSplits; ++s)
        if (eligible(s) && efficiency(s) >= 0.85 * best)
            return s;
    return 1;
}

AttentionTraffic attentionTraffic(const AttentionShape& s) {
    AttentionTraffic t;
    // Key positions each query sees: causal over the new tokens, capped by the window.
    const double past = s.keys - s.queries;
    double pairs; // (query, key) pairs per sequence per head
    if (s.causal) {
        // Query i (0-based among the new ones) sees past + i + 1 keys.
        const double q = s.queries;
        pairs = q * past + q * (q + 1) / 2.0;
        if (s.window > 0) {
            const double w = s.window;
            // Sum over queries of min(keys seen, w).
            double capped = 0;
            const double firstSeen = past + 1;
            const double lastSeen = past + q;
            if (lastSeen <= w)
                capped = pairs;
            else if (firstSeen >= w)
                capped = q * w;
            else {
                const double below = w - firstSeen + 1; // queries that see fewer than w keys
                capped = below * (firstSeen + w) / 2.0 + (q - below) * w;
            }
            pairs = capped;
        }
    } else {
        pairs = s.queries * (s.window > 0 ? std::min(s.keys, s.window) : s.keys);
    }
    t.flops = 2.0 * s.batch * s.heads * pairs * (s.qkDim + s.vDim);
    t.keysRead = s.window > 0 ? std::min(s.keys, s.window + s.queries) : s.keys;
    // K/V bytes: per KV head, or once for a shared MLA latent.
    const double kvWidth = s.kvHeadsShareLatent > 0 ? s.kvHeadsShareLatent : s.kvHeads * (s.qkDim + s.vDim);
    t.kvBytes = s.batch * t.keysRead * kvWidth * s.kvBytesPerElement;
    t.qoBytes = s.batch * s.queries * s.heads * (s.qkDim + s.vDim) * s.actBytesPerElement;
    return t;
}

OpResult evalAttention(const PlatformModel& pm, const char* name, const AttentionShape& s, DType computeType,
                       LaunchMode launch, double timeScale) {
    OpResult r;
    r.name = name;
    r.cls = OpClass::Attention;
    r.computeType = computeType;
    r.kernels = 1;
    const AttentionTraffic traffic = attentionTraffic(s);
    r.flops = traffic.flops;
    const double keysRead = traffic.keysRead, kvBytes = traffic.kvBytes, qoBytes = traffic.qoBytes;
    r.bytes[kDram] = kvBytes + qoBytes;
    // Flash tiling re-reads K/V once per 128-query tile (half of them under a causal mask).
    const double qTiles =
        std::max(1.0, std::ceil(s.queries * (s.kvHeadsShareLatent > 0 ? 1.0 : s.heads / s.kvHeads) / 128.0));
    // Under a sliding window a query tile reads only the window before it and its own keys, not every earlier key:
    // the re-reads grow with the tiles, not with their square (issue 17: 128-key windows at 8k-16k tokens were
    // predicted 7-10x slow from the full-causal re-read count).
    double kvRereads = std::max(1.0, qTiles * (s.causal && s.queries > 1 ? 0.5 : 1.0));
    if (s.window > 0 && s.queries > 1 && keysRead > 0)
        kvRereads = std::max(1.0, std::min(kvRereads, qTiles * std::min(keysRead, s.window + 128.0) / keysRead));
    r.bytes[kL2] = kvBytes * kvRereads + qoBytes;
    r.bytes[kL1] = r.bytes[kL2];
    const std::size_t ct = static_cast<std::size_t>(computeType);
    const double peak = pm.tensorPeak[ct] > 0 ? pm.tensorPeak[ct] : pm.vectorPeakFp32;
    const double seq = std::max(1.0, s.window > 0 ? std::min(s.keys, s.window) : s.keys);
    const double eff = pm.attentionFraction * seq / (seq + pm.attentionHalfSeq);
    // Work units: (batch x heads x query tiles); few units leave SMs idle (flash-decoding splits keys to refill).
    const double units = s.batch * s.heads * std::ceil(s.queries / 128.0);
    const double fill = s.queries > 1 ? std::min(1.0, units / pm.units) : 1.0;
    // A CPU framework's one-query attention path (llama.cpp) takes a fixed time per query head, query and key.
    const bool perHeadKey = pm.attentionDecodeSPerHeadKey > 0 && s.queries < 16;
    r.computeS = perHeadKey ? s.batch * s.heads * s.queries * keysRead * pm.attentionDecodeSPerHeadKey
                            : r.flops / (peak * eff * std::max(fill, 1e-3));
    double dramBytesPerS = pm.attentionDramBytesPerS;
    double fixedS = pm.attentionOverheadS;
    double streamBytes = r.bytes[kDram];
    if (pm.kind == DeviceKind::Gpu && s.queries == 1) {
        // Decode: the query heads of one KV head share a CTA; keys come in blocks of 256 / 128 / 64 by head size.
        // Past the kernel's group limit (decodeKernel.maxQueryGroup) each query head is a CTA of its own (TensorRT-LLM
        // falls back from XQA to masked MHA): the keys are read once per query head, the first time from DRAM, then
        // from L2, and the dot products run on the CUDA cores.
        const double group = s.kvHeadsShareLatent > 0 ? 1.0 : s.heads / s.kvHeads;
        const double limit = s.decodeKernel.maxQueryGroup;
        const bool perQueryHead = limit > 0 && group > limit;
        if (perQueryHead) {
            r.bytes[kL2] = kvBytes * group + qoBytes;
            r.bytes[kL1] = r.bytes[kL2];
            if (!perHeadKey && pm.vectorPeakFp32 > 0)
                r.computeS = r.flops / (pm.vectorPeakFp32 * pm.vectorFraction);
        }
        const double kvUnits = s.batch * (s.kvHeadsShareLatent > 0 ? 1.0 : (perQueryHead ? s.heads : s.kvHeads));
        const double blockKeys = s.qkDim <= 64 ? 256 : (s.qkDim <= 128 ? 128 : 64);
        const double slots = 2.0 * pm.units;
        const double keyBlocks = std::ceil(keysRead / blockKeys);
        const int splits = flashDecodeSplits(kvUnits, slots, keyBlocks);
        // A partial block of keys costs a whole one (masked tile): 129 keys at head size 64 take as long as 256.
        streamBytes = kvBytes * (keyBlocks * blockKeys / keysRead) + qoBytes;
        if (splits > 1) {
            r.kernels = 2; // the split kernel and the combine kernel
            dramBytesPerS = pm.attentionSplitDramBytesPerS;
        } else {
            // Unsplit: each wave of CTAs pays the kernel's latency again (64 sequences x 8 KV heads: 2 waves).
            fixedS *= std::ceil(kvUnits / slots);
            // The CTAs go round-robin over the SMs and an SM's share of the bandwidth limits its CTAs, so the time
            // follows the most loaded SM: ceil(units / SMs) CTAs. Measured (H100, 8193 keys, 8 KV heads): batch 40
            // (320 units on 132 SMs, 3 on some) streams 13 % slower than batch 32 or 48 (2 and 3 on every SM).
            const double sms = std::max(1.0, pm.units);
            streamBytes *= std::ceil(kvUnits / sms) * sms / kvUnits;
        }
    }
    r.memoryS[kDram] = dramBytesPerS > 0 ? streamBytes / dramBytesPerS : levelTime(pm, kDram, streamBytes);
    r.memoryS[kL2] = levelTime(pm, kL2, r.bytes[kL2]);
    if (timeScale != 1.0) {
        scaleRoofs(r, timeScale);
        fixedS *= timeScale;
    }
    finishOpFixed(pm, r, launch, fixedS);
    return r;
}

void scaleOpTime(OpResult& r, double timeScale) {
    if (timeScale == 1.0)
        return;
    scaleRoofs(r, timeScale);
    r.overheadS *= timeScale;
    r.timeS *= timeScale;
}

double collectiveSeconds(const PlatformModel& pm, Collective c, double bytes, double devices) {
    if (devices <= 1 || bytes <= 0)
        return 0.0;
    const bool inNode = devices <= pm.scaleUpDomain && pm.scaleUpBytesPerS > 0;
    const double bw =
        (inNode ? pm.scaleUpBytesPerS : (pm.scaleOutBytesPerS > 0 ? pm.scaleOutBytesPerS : pm.hostLinkBytesPerS)) *
        pm.collectiveFraction;
    const double lat = std::max(pm.collectiveStepS, inNode ? pm.scaleUpLatencyS : pm.scaleOutLatencyS);
    if (bw <= 0)
        return 0.0;
    const double n = devices;
    switch (c) {
    case Collective::AllReduce: {
        const double ring = 2.0 * (n - 1) / n * bytes / bw + 2.0 * (n - 1) * lat;
        const double tree = 2.0 * bytes / bw + 2.0 * std::ceil(std::log2(n)) * lat;
        return std::min(ring, tree);
    }
    case Collective::AllGather:
    case Collective::ReduceScatter:
        return (n - 1) / n * bytes / bw + (n - 1) * lat;
    case Collective::AllToAll:
        return (n - 1) / n * bytes / bw + (n - 1) * lat;
    case Collective::SendRecv:
        return bytes / bw + lat;
    }
    return 0.0;
}

OpResult evalCollective(const PlatformModel& pm, const char* name, Collective c, double bytes, double devices,
                        LaunchMode launch) {
    OpResult r;
    r.name = name;
    r.cls = OpClass::Collective;
    r.kernels = devices > 1 ? 1 : 0;
    r.commBytes = bytes;
    r.commS = collectiveSeconds(pm, c, bytes, devices);
    if (r.kernels == 0)
        return r;
    finishOp(pm, r, launch);
    return r;
}

} // namespace rooflab
