#include "analysis/platform_model.hpp"

#include "analysis/cpu_kernels.hpp"

#include <algorithm>
#include <cmath>

namespace rooflab {

PlatformModel PlatformModel::from(const Platform& p) {
    PlatformModel m;
    m.name = p.name;
    m.extends = p.extends;
    m.kind = p.kind;
    m.units = std::max(1.0, p.units());
    // Every efficiency parameter, the file's value or its default from the table (hardware/efficiency_params.hpp).
    m.efficiency = resolveEfficiency(p);
    const EfficiencyValues& e = m.efficiency;
    for (std::size_t t = 0; t < kDTypeCount; ++t)
        m.tensorPeak[t] = p.peakFlopPerS(static_cast<DType>(t));
    m.gemmFraction = e.gemmPeakFraction;
    for (const auto& c : p.compute) {
        if (c.kind == EngineKind::Vector || c.kind == EngineKind::Scalar)
            m.vectorPeakFp32 = std::max(m.vectorPeakFp32, c.peakFlopPerS[static_cast<std::size_t>(DType::fp32)].si);
    }
    if (m.vectorPeakFp32 <= 0)
        m.vectorPeakFp32 = m.tensorPeak[static_cast<std::size_t>(DType::fp32)];
    const double fractions[kMemLevels] = {e.l1Fraction, e.l2Fraction, kL3Fraction, e.dramFraction};
    double dramReadBytesPerS = 0;
    for (const auto& lvl : p.memory) {
        const int i = static_cast<int>(lvl.kind);
        // Calibrated copy bandwidth (read + write counted) is the best single figure when present.
        double bw = lvl.readBytesPerS.si;
        m.bandwidth[static_cast<std::size_t>(i)] = bw * fractions[i];
        m.capacityBytes[static_cast<std::size_t>(i)] = lvl.capacityBytes.si * (lvl.perUnit ? m.units : 1.0);
        m.latencyS[static_cast<std::size_t>(i)] = lvl.latencyS.si;
        if (lvl.kind == MemoryKind::Dram)
            dramReadBytesPerS = bw;
    }
    // The kernel families' DRAM rates: their fraction of the DRAM read bandwidth (SIMT GEMMs: 0 = not modelled).
    m.gemmDramBytesPerS = dramReadBytesPerS * e.gemmDramFraction;
    m.simtGemmDramBytesPerS = dramReadBytesPerS * e.simtGemmDramFraction;
    m.simtGemmDramHalfM = e.simtGemmDramHalfM;
    m.simtGemmOverheadS = e.simtGemmOverheadS;
    m.sustainedComputeFraction = e.sustainedComputeFraction;
    m.attentionDramBytesPerS = dramReadBytesPerS * e.attentionDramFraction;
    m.attentionSplitDramBytesPerS = dramReadBytesPerS * e.attentionSplitDramFraction;
    m.stridedElementwiseBytesPerS = dramReadBytesPerS * e.stridedElementwiseFraction;
    m.tileM = e.gemmTileM;
    m.tileN = e.gemmTileN;
    m.minKPerSplitByType = e.gemmMinKPerSplitByDType;
    m.smallMHalf = e.gemmSmallMHalf;
    m.launchS = p.launchOverheadS.valueOr(0);
    m.kernelOverheadS = e.kernelOverheadS;
    m.attentionOverheadS = e.attentionOverheadS;
    m.elementwiseOverheadS = e.elementwiseOverheadS;
    m.normRowElementS = e.normRowElementS;
    m.graphLaunchS = e.graphLaunchS;
    m.hostOverheadScale = e.hostOverheadScale;
    m.attentionFraction = e.attentionPeakFraction;
    m.attentionHalfSeq = e.attentionHalfSeq;
    m.vectorFraction = e.vectorFraction;
    m.scaleUpBytesPerS = p.scaleUp.bytesPerS.valueOr(0);
    m.scaleUpLatencyS = p.scaleUp.latencyS.valueOr(0);
    m.scaleUpDomain = p.scaleUp.devicesPerNode.valueOr(1);
    m.scaleOutBytesPerS = p.scaleOut.bytesPerS.valueOr(0);
    m.scaleOutLatencyS = p.scaleOut.latencyS.valueOr(0);
    m.collectiveFraction = e.collectiveBusFraction;
    m.collectiveStepS = e.collectiveStepLatencyS;
    m.hostLinkBytesPerS = p.hostLink.bytesPerS.valueOr(0);
    m.devicesPerNode = p.devicesPerNode.valueOr(1);
    m.tdpW = p.power.tdpW.valueOr(0);
    m.idleW = p.power.idleW.valueOr(m.tdpW * 0.15);
    m.joulesPerDramByte = p.power.joulesPerByteDram.valueOr(0);
    m.joulesPerFlop = p.power.joulesPerFlop.valueOr(0);
    return m;
}

PlatformModel withCpuThreads(const Platform& p, const PlatformModel& all, double threads) {
    if (p.kind != DeviceKind::Cpu || threads <= 0 || threads >= all.units)
        return all;
    const CpuMachine mc = cpuMachineFrom(p);
    const double units = std::max(1.0, mc.units);
    const double t = std::clamp(threads, 1.0, units);
    auto ratio = [](double part, double whole) { return whole > 0 && part > 0 ? std::min(1.0, part / whole) : 1.0; };
    PlatformModel m = all;
    for (std::size_t d = 0; d < kDTypeCount; ++d) {
        const auto dt = static_cast<DType>(d);
        m.tensorPeak[d] *= ratio(computeRate(mc, dt, t), computeRate(mc, dt, units));
    }
    m.vectorPeakFp32 *= ratio(computeRate(mc, DType::fp32, t), computeRate(mc, DType::fp32, units));
    double dramRatio = 1.0;
    for (const auto& level : mc.levels) {
        const auto i = static_cast<std::size_t>(level.kind);
        if (i >= m.bandwidth.size())
            continue;
        // Against the level's measured all-thread rate: where the model scales linearly (all >= units x one), one
        // thread still gets exactly its measured one-thread rate.
        const double r = ratio(levelBandwidth(mc, level, BwKind::Read, t), level.allCoreBytesPerS[0]);
        m.bandwidth[i] *= r;
        if (level.kind == MemoryKind::Dram)
            dramRatio = r;
        else if (level.perUnit)
            m.capacityBytes[i] *=
                ratio(levelCapacityForThreads(mc, level, t), levelCapacityForThreads(mc, level, units));
    }
    m.gemmDramBytesPerS *= dramRatio;
    m.attentionDramBytesPerS *= dramRatio;
    m.attentionSplitDramBytesPerS *= dramRatio;
    m.stridedElementwiseBytesPerS *= dramRatio;
    m.cpuThreads = t;
    return m;
}

PlatformModel withCpuStack(const PlatformModel& pm, const CpuStackProfile& c, DType gemmType, DType attentionType,
                           double headDim) {
    if (pm.kind != DeviceKind::Cpu || !c.present)
        return pm;
    PlatformModel m = pm;
    const double threads = pm.cpuThreads > 0 ? pm.cpuThreads : pm.units;
    const double dram = pm.bandwidth[kDram];
    auto curve = [&](const CpuStackProfile::ByType& by, DType t) -> const ThreadCurve* {
        const auto it = by.find(dtypeName(t));
        return it == by.end() ? nullptr : &it->second;
    };
    // The CPU's vector unit is its GEMM path where it has no matrix engine for the type (fp32 on AVX-512).
    for (const DType t : {gemmType, attentionType}) {
        const auto i = static_cast<std::size_t>(t);
        if (m.tensorPeak[i] <= 0 && t == DType::fp32)
            m.tensorPeak[i] = m.vectorPeakFp32;
    }
    // A GGUF block format the stack has rates for (llama.cpp) runs natively: 8-bit integer dot products of the
    // quantized weights with activations quantized to 8 bits, on the int8 engine (AMX/VNNI) where there is one;
    // the stack's fitted fraction of that peak carries the dequantization cost.
    if (isGgufBlock(gemmType) && curve(c.gemmPeakFraction, gemmType)) {
        const double int8Peak = m.tensorPeak[static_cast<std::size_t>(DType::int8)];
        const double bf16Peak = m.tensorPeak[static_cast<std::size_t>(DType::bf16)];
        m.tensorPeak[static_cast<std::size_t>(gemmType)] =
            int8Peak > 0 ? int8Peak : (bf16Peak > 0 ? bf16Peak : m.vectorPeakFp32);
    }
    const auto g = static_cast<std::size_t>(gemmType);
    if (const ThreadCurve* f = curve(c.gemvDramFraction, gemmType); f && dram > 0)
        m.gemmDramBytesPerS = threadCurveAt(*f, threads, 1.0) * dram;
    // The measured shapes of the thread count nearest to this one (in ratio); none for a datatype without them.
    m.cpuGemvShape.clear();
    if (const auto it = c.gemvShape.find(dtypeName(gemmType)); it != c.gemvShape.end() && !it->second.empty()) {
        const auto* best = &it->second.front();
        for (const auto& byThreads : it->second)
            if (std::abs(std::log(byThreads.first / threads)) < std::abs(std::log(best->first / threads)))
                best = &byThreads;
        for (const CpuStackProfile::GemvShape& p : best->second)
            if (p.n > 0 && p.k > 0 && p.ratio > 0)
                m.cpuGemvShape.push_back({std::log2(p.n), std::log2(p.k), std::log(p.ratio)});
    }
    if (const ThreadCurve* f = curve(c.gemmPeakFraction, gemmType))
        m.gemmFraction[g] = threadCurveAt(*f, threads, m.gemmFraction[g]);
    if (const ThreadCurve* f = curve(c.gemmHalfM, gemmType))
        m.smallMHalf = threadCurveAt(*f, threads, m.smallMHalf);
    // Only GEMMs pay kernelOverheadS (finishOp); element-wise ops pay elementwiseOverheadS where they run on all
    // threads (evalMemoryOp).
    m.kernelOverheadS = threadCurveAt(c.gemmOverheadS, threads, m.kernelOverheadS);
    m.elementwiseOverheadS = threadCurveAt(c.parallelOpOverheadS, threads, m.elementwiseOverheadS);
    m.attentionOverheadS = threadCurveAt(c.attentionOverheadS, threads, m.attentionOverheadS);
    if (const ThreadCurve* f = curve(c.attentionKvFraction, attentionType); f && dram > 0)
        m.attentionDramBytesPerS = threadCurveAt(*f, threads, 1.0) * dram;
    if (const ThreadCurve* f = curve(c.attentionPeakFraction, attentionType))
        m.attentionFraction = threadCurveAt(*f, threads, m.attentionFraction);
    if (!c.attentionDecodeSPerHeadKey.empty()) {
        // The measured head size nearest to the model's (in ratio); the first one when the model's is unknown.
        const ThreadCurve* best = &c.attentionDecodeSPerHeadKey.begin()->second;
        double bestRatio = 1e300;
        for (const auto& [hd, curveByThreads] : c.attentionDecodeSPerHeadKey) {
            const double r = headDim > 0 ? std::abs(std::log(double(hd) / headDim)) : 0.0;
            if (r < bestRatio) {
                bestRatio = r;
                best = &curveByThreads;
            }
        }
        m.attentionDecodeSPerHeadKey = threadCurveAt(*best, threads, 0.0);
    }
    return m;
}

double cpuGemvShapeFactor(const PlatformModel& pm, double n, double k) {
    if (pm.cpuGemvShape.empty() || !(n > 0) || !(k > 0))
        return 1.0;
    // Weights exp(-d^2 / (2 sigma^2)) over the distance d in octaves (sigma half an octave); the prior's weight
    // keeps a measured shape at about 90 % of its log ratio and sends shapes a few octaves away to 1.
    constexpr double kTwoSigma2 = 2 * 0.5 * 0.5, kPrior = 0.1;
    const double ln = std::log2(n), lk = std::log2(k);
    double sw = kPrior, s = 0;
    for (const auto& p : pm.cpuGemvShape) {
        const double dn = ln - p[0], dk = lk - p[1];
        const double w = std::exp(-(dn * dn + dk * dk) / kTwoSigma2);
        sw += w;
        s += w * p[2];
    }
    return std::exp(s / sw);
}

DType PlatformModel::computeType(DType want, bool& fellBack) const {
    fellBack = false;
    if (tensorPeak[static_cast<std::size_t>(want)] > 0)
        return want;
    fellBack = true;
    static constexpr DType kOrder[] = {DType::bf16, DType::fp16, DType::fp32};
    for (DType t : kOrder) {
        if (tensorPeak[static_cast<std::size_t>(t)] > 0)
            return t;
    }
    return DType::fp32;
}

} // namespace rooflab
