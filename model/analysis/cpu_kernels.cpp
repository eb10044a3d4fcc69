#include "analysis/cpu_kernels.hpp"

#include "analysis/platform_model.hpp"
#include "units/errors.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace rooflab {

namespace {

constexpr std::size_t idx(DType t) {
    return static_cast<std::size_t>(t);
}
constexpr std::size_t idx(BwKind k) {
    return static_cast<std::size_t>(k);
}

bool isAchieved(const Platform& p, const Value& v) {
    const auto it = p.sources.find(v.source);
    if (it == p.sources.end())
        return false;
    const SourceKind k = it->second.kind;
    return k == SourceKind::Measured || k == SourceKind::Fitted || k == SourceKind::Published;
}

double derate(const EfficiencyValues& e, MemoryKind kind) {
    switch (kind) {
    case MemoryKind::L1:
        return e.l1Fraction;
    case MemoryKind::L2:
        return e.l2Fraction;
    case MemoryKind::L3:
        return kL3Fraction;
    case MemoryKind::Dram:
        return e.dramFraction;
    }
    return 1.0;
}

double timePerByteMix(double r, double c, double w, double writeShare) {
    const double tr = 1.0 / r, tc = 1.0 / c, tw = 1.0 / w;
    if (writeShare <= 0.5)
        return tr + (writeShare / 0.5) * (tc - tr);
    return tc + ((writeShare - 0.5) / 0.5) * (tw - tc);
}

double vectorRate(const CpuMachine& m, double threads) {
    double best = 0;
    for (const auto& e : m.engines) {
        if (e.kind != EngineKind::Vector && e.kind != EngineKind::Scalar)
            continue;
        const double all = e.allCoreFlopPerS[idx(DType::fp32)];
        const double one = e.oneThreadFlopPerS[idx(DType::fp32)];
        if (all > 0)
            best = std::max(best, threadScaledRate(m, one, all, true, threads));
    }
    return best;
}

std::string levelBoundName(const CpuLevel& l) {
    return std::string(memoryKindName(l.kind)) + " bandwidth (" + l.name + ")";
}

void finishPass(const CpuMachine& m, CpuPass& pass, double bw, double flopRate) {
    pass.memoryS = bw > 0 ? (pass.bytesRead + pass.bytesWritten) / bw : 0;
    pass.computeS = flopRate > 0 ? pass.flops / flopRate : 0;
    pass.timeS = std::max(pass.memoryS, pass.computeS) + m.kernelOverheadS + m.passOverheadS;
}

/// Time per byte of a stream with write share `share` over a working set, served by the levels in proportion.
double streamSecondsPerByte(const CpuMachine& m, double workingSet, double share, double threads,
                            std::size_t* dominant) {
    const std::vector<double> f = servedShares(m, workingSet, threads);
    double tpb = 0, best = -1;
    for (std::size_t i = 0; i < f.size(); ++i) {
        if (f[i] > best) {
            best = f[i];
            if (dominant)
                *dominant = i;
        }
        if (f[i] <= 0)
            continue;
        const double bw = mixedBandwidth(m, m.levels[i], share, threads);
        if (bw <= 0)
            return 0;
        tpb += f[i] / bw;
    }
    return tpb;
}

} // namespace

std::string_view cpuOpName(CpuOp op) {
    switch (op) {
    case CpuOp::Read:
        return "read";
    case CpuOp::Write:
        return "write";
    case CpuOp::Copy:
        return "copy";
    case CpuOp::Scale:
        return "scale";
    case CpuOp::Add:
        return "add";
    case CpuOp::Triad:
        return "triad";
    case CpuOp::Softmax3Pass:
        return "softmax-3pass";
    case CpuOp::Softmax2Pass:
        return "softmax-2pass";
    case CpuOp::Reduction:
        return "reduction";
    case CpuOp::Gemm:
        return "gemm";
    }
    return "?";
}

CpuOp parseCpuOp(std::string_view name, const std::string& key) {
    for (int i = 0; i <= static_cast<int>(CpuOp::Gemm); ++i) {
        const auto op = static_cast<CpuOp>(i);
        if (cpuOpName(op) == name)
            return op;
    }
    if (name == "sum")
        return CpuOp::Reduction;
    throw InputError("", 0, key,
                     "unknown CPU kernel '" + std::string(name) +
                         "' (read, write, copy, scale, add, triad, softmax-3pass, softmax-2pass, reduction, gemm)");
}

CpuOp cpuOpFromKernel(CpuKernel k) {
    switch (k) {
    case CpuKernel::Copy:
        return CpuOp::Copy;
    case CpuKernel::Scale:
        return CpuOp::Scale;
    case CpuKernel::Add:
        return CpuOp::Add;
    case CpuKernel::Triad:
        return CpuOp::Triad;
    case CpuKernel::Softmax3Pass:
        return CpuOp::Softmax3Pass;
    case CpuKernel::Softmax2Pass:
        return CpuOp::Softmax2Pass;
    case CpuKernel::Reduction:
        return CpuOp::Reduction;
    case CpuKernel::Gemm:
        return CpuOp::Gemm;
    }
    return CpuOp::Triad;
}

int streamArrays(CpuOp op) {
    switch (op) {
    case CpuOp::Read:
    case CpuOp::Write:
    case CpuOp::Reduction:
        return 1;
    case CpuOp::Copy:
    case CpuOp::Scale:
        return 2;
    case CpuOp::Add:
    case CpuOp::Triad:
        return 3;
    default:
        return 0;
    }
}

double streamWriteShare(CpuOp op) {
    switch (op) {
    case CpuOp::Write:
        return 1.0;
    case CpuOp::Copy:
    case CpuOp::Scale:
        return 0.5;
    case CpuOp::Add:
    case CpuOp::Triad:
        return 1.0 / 3.0;
    default:
        return 0.0;
    }
}

CpuMachine cpuMachineFrom(const Platform& p) {
    CpuMachine m;
    m.name = p.name;
    m.units = std::max(1.0, p.units());
    const EfficiencyValues eff = resolveEfficiency(p);
    for (const auto& lvl : p.memory) {
        CpuLevel l;
        l.kind = lvl.kind;
        l.name = lvl.name;
        l.perUnit = lvl.perUnit;
        l.capacityBytes = lvl.capacityBytes.si;
        // SCHEMA.md: the l1 bandwidth is per unit, every other level's is a device total.
        const double scale = lvl.kind == MemoryKind::L1 ? m.units : 1.0;
        const double read =
            lvl.readBytesPerS.si * scale * (isAchieved(p, lvl.readBytesPerS) ? 1.0 : derate(eff, lvl.kind));
        // write/copy are recorded as achieved rates; absent ones fall back to the read rate.
        const double write = lvl.writeBytesPerS ? lvl.writeBytesPerS.si * scale : read;
        const double copy = lvl.copyBytesPerS ? lvl.copyBytesPerS.si * scale : read;
        l.allCoreBytesPerS = {read, write, copy};
        for (std::size_t k = 0; k < 3; ++k)
            l.oneThreadBytesPerS[k] = l.allCoreBytesPerS[k] / m.units;
        l.latencyS = lvl.latencyS.si;
        m.levels.push_back(std::move(l));
    }
    for (const auto& c : p.compute) {
        CpuEngine e;
        e.name = c.name;
        e.kind = c.kind;
        e.units = std::max(1.0, c.units.si);
        for (std::size_t t = 0; t < kDTypeCount; ++t) {
            e.allCoreFlopPerS[t] = c.peakFlopPerS[t].si;
            e.oneThreadFlopPerS[t] = c.peakFlopPerS[t].si / e.units;
        }
        m.engines.push_back(std::move(e));
    }
    m.gemmFraction = eff.gemmPeakFraction;
    m.gemmMemoryFraction = eff.gemmMemoryFractionByDType;
    m.gemmSmallMHalf = eff.gemmSmallMHalf;
    m.vectorFraction = eff.vectorFraction;
    // The CPU model's kernel overhead takes the CPU default whatever the platform's kind.
    m.kernelOverheadS = p.efficiency.kernelOverheadS.valueOr(
        efficiencyParam(EffParam::kernelOverheadS).constantDefault(DeviceKind::Cpu));
    // Older calibrated files: single-thread rates as tokens "<level|engine kind>.<read|write|copy|dtype>=<number>"
    // in the note of the `single-thread-rates` source (efficiency.cpu.single_thread replaces it).
    const auto it = p.sources.find(std::string(kSingleThreadSourceId));
    if (it != p.sources.end()) {
        std::istringstream in(it->second.note);
        std::string tok;
        while (in >> tok) {
            while (!tok.empty() && (tok.back() == ',' || tok.back() == ';' || tok.back() == '.'))
                tok.pop_back();
            const auto eq = tok.find('='), dot = tok.find('.');
            if (eq == std::string::npos || dot == std::string::npos || dot > eq)
                continue;
            const std::string what = tok.substr(0, dot), field = tok.substr(dot + 1, eq - dot - 1);
            const std::string num = tok.substr(eq + 1);
            char* end = nullptr;
            const double v = std::strtod(num.c_str(), &end);
            if (end == num.c_str() || *end != '\0' || !std::isfinite(v) || v <= 0)
                throw InputError(p.file, 0, "sources." + std::string(kSingleThreadSourceId) + ".note",
                                 "bad single-thread rate '" + tok + "' (expected <level>.<read|write|copy>=<B/s>)");
            bool used = false;
            for (auto& l : m.levels) {
                if (memoryKindName(l.kind) != what)
                    continue;
                const int k = field == "read" ? 0 : field == "write" ? 1 : field == "copy" ? 2 : -1;
                if (k >= 0) {
                    l.oneThreadBytesPerS[static_cast<std::size_t>(k)] = v;
                    used = true;
                }
            }
            for (auto& e : m.engines) {
                if (used || engineKindName(e.kind) != what)
                    continue;
                if (const auto t = parseDType(field)) {
                    e.oneThreadFlopPerS[idx(*t)] = v;
                    used = true;
                }
            }
            if (!used)
                throw InputError(p.file, 0, "sources." + std::string(kSingleThreadSourceId) + ".note",
                                 "single-thread rate '" + tok + "' names no memory level or engine of this platform");
            m.singleThreadFromFile = true;
        }
    }
    // efficiency.cpu (written by rooflab calibrate cpu) wins over the older note.
    const CpuEfficiency& ce = p.efficiency.cpu;
    m.threadsPerCore = ce.threadsPerCore.valueOr(1.0);
    m.passOverheadS = ce.passOverheadS.valueOr(0.0);
    m.siblingStride = ce.siblingStride.valueOr(0.0);
    for (const auto& [from, to] :
         {std::pair{&ce.threadScaling, &m.threadScaling}, std::pair{&ce.sharedThreadScaling, &m.sharedThreadScaling}})
        for (const auto& [threads, v] : *from)
            if (v.present && threads > 1 && threads < m.units)
                to->emplace_back(static_cast<double>(threads), v.si);
    for (auto& l : m.levels) {
        const auto k = static_cast<std::size_t>(l.kind);
        l.spillSteepness = ce.spillSteepness[k].valueOr(0.0);
        for (std::size_t b = 0; b < 3; ++b)
            if (ce.singleThreadBytesPerS[k][b].present) {
                l.oneThreadBytesPerS[b] = ce.singleThreadBytesPerS[k][b].si;
                m.singleThreadFromFile = true;
            }
    }
    for (auto& e : m.engines)
        for (std::size_t t = 0; t < kDTypeCount; ++t)
            if (ce.singleThreadFlopPerS[static_cast<std::size_t>(e.kind)][t].present && e.allCoreFlopPerS[t] > 0) {
                e.oneThreadFlopPerS[t] = ce.singleThreadFlopPerS[static_cast<std::size_t>(e.kind)][t].si;
                m.singleThreadFromFile = true;
            }

    return m;
}

std::string formatSingleThreadTokens(const CpuMachine& m) {
    std::string out;
    char buf[64];
    const char* kinds[3] = {"read", "write", "copy"};
    for (const auto& l : m.levels)
        for (std::size_t k = 0; k < 3; ++k) {
            std::snprintf(buf, sizeof buf, "%s.%s=%.4g", std::string(memoryKindName(l.kind)).c_str(), kinds[k],
                          l.oneThreadBytesPerS[k]);
            out += (out.empty() ? "" : " ") + std::string(buf);
        }
    for (const auto& e : m.engines)
        for (std::size_t t = 0; t < kDTypeCount; ++t)
            if (e.allCoreFlopPerS[t] > 0) {
                std::snprintf(buf, sizeof buf, "%s.%s=%.4g", std::string(engineKindName(e.kind)).c_str(),
                              std::string(dtypeName(static_cast<DType>(t))).c_str(), e.oneThreadFlopPerS[t]);
                out += " " + std::string(buf);
            }
    return out;
}

double busyCores(const CpuMachine& m, double threads) {
    const double cores = m.cores();
    const double t = std::clamp(threads, 1.0, std::max(1.0, m.units));
    const auto stride = static_cast<long>(std::lround(m.siblingStride));
    const auto perCore = static_cast<long>(std::lround(std::max(1.0, m.threadsPerCore)));
    if (stride <= 0 || perCore <= 1)
        return std::min(t, cores);
    // Hardware thread i sits on core (i / (stride x perCore)) x stride + i mod stride.
    const auto n = static_cast<long>(std::ceil(t - 1e-9));
    std::vector<char> seen(static_cast<std::size_t>(std::max(1.0, std::ceil(m.units))) + 1, 0);
    long busy = 0;
    for (long i = 0; i < n; ++i) {
        const long core = (i / (stride * perCore)) * stride + i % stride;
        if (core >= 0 && static_cast<std::size_t>(core) < seen.size() && !seen[static_cast<std::size_t>(core)]) {
            seen[static_cast<std::size_t>(core)] = 1;
            ++busy;
        }
    }
    // Fractional thread counts (sweeps) interpolate between the integer placements.
    const double frac = t - std::floor(t);
    if (frac > 1e-9 && n > 1) {
        const double below = busyCores(m, std::floor(t));
        return below + frac * (static_cast<double>(busy) - below);
    }
    return std::min(static_cast<double>(busy), cores);
}

double threadScalingFactor(const CpuMachine& m, double threads, bool shared) {
    const auto& curve = shared && !m.sharedThreadScaling.empty() ? m.sharedThreadScaling : m.threadScaling;
    if (curve.empty())
        return 1.0;
    const double units = std::max(1.0, m.units);
    const double t = std::clamp(threads, 1.0, units);
    double x0 = 1.0, y0 = 1.0;
    for (const auto& [x1, y1] : curve) {
        if (t <= x1)
            return x1 > x0 ? y0 + (y1 - y0) * (t - x0) / (x1 - x0) : y1;
        x0 = x1;
        y0 = y1;
    }
    return units > x0 ? y0 + (1.0 - y0) * (t - x0) / (units - x0) : 1.0;
}

namespace {
/// threadScaledRate without the thread-scaling factor.
double coreFillRate(const CpuMachine& m, double one, double all, bool privateResource, double threads) {
    if (all <= 0)
        return 0;
    if (one <= 0)
        return all;
    const double t = std::clamp(threads, 1.0, std::max(1.0, m.units));
    const double cores = m.cores();
    if (privateResource) {
        const double busy = busyCores(m, t), siblings = std::max(0.0, t - busy);
        const double gain = m.units > cores ? std::clamp(all / (cores * one) - 1.0, 0.0, 1.0) : 0.0;
        return std::min(one * (busy + gain * siblings), all);
    }
    // Shared: requests of all threads (siblings too) queue at one resource. Smooth saturation
    // 1 / rate(t)^2 = a / t^2 + c through rate(1) = one and rate(units) = all (c = 1 / rate(infinity)^2); where
    // all >= units x one nothing saturates and the rate is linear.
    const double units = std::max(1.0, m.units);
    if (units <= 1 || all >= units * one)
        return std::min(t * one, all);
    const double a = (1.0 / (one * one) - 1.0 / (all * all)) / (1.0 - 1.0 / (units * units));
    const double c = std::max(0.0, 1.0 / (one * one) - a);
    return 1.0 / std::sqrt(a / (t * t) + c);
}
} // namespace

double threadScaledRate(const CpuMachine& m, double one, double all, bool privateResource, double threads) {
    return threadScalingFactor(m, threads, !privateResource) * coreFillRate(m, one, all, privateResource, threads);
}

double levelBandwidth(const CpuMachine& m, const CpuLevel& level, BwKind kind, double threads) {
    const bool privateLevel = level.perUnit && level.kind != MemoryKind::Dram;
    return threadScaledRate(m, level.oneThreadBytesPerS[idx(kind)], level.allCoreBytesPerS[idx(kind)], privateLevel,
                            threads);
}

double mixedBandwidth(const CpuMachine& m, const CpuLevel& level, double writeShare, double threads) {
    const double r = levelBandwidth(m, level, BwKind::Read, threads);
    const double w = levelBandwidth(m, level, BwKind::Write, threads);
    const double c = levelBandwidth(m, level, BwKind::Copy, threads);
    if (r <= 0 || w <= 0 || c <= 0)
        return 0;
    return 1.0 / timePerByteMix(r, c, w, writeShare);
}

double levelCapacityForThreads(const CpuMachine& m, const CpuLevel& level, double threads) {
    if (!level.perUnit)
        return level.capacityBytes;
    // Private caches: one per busy core; SMT siblings share their core's.
    return level.capacityBytes * busyCores(m, threads);
}

std::vector<double> servedShares(const CpuMachine& m, double workingSetBytes, double threads) {
    std::vector<double> f(m.levels.size(), 0.0);
    if (m.levels.empty())
        return f;
    double reached = 0; // share served by the levels so far (monotone)
    for (std::size_t i = 0; i + 1 < m.levels.size(); ++i) {
        const double cap = levelCapacityForThreads(m, m.levels[i], threads);
        double p = 0;
        if (cap > 0) {
            const double s = m.levels[i].spillSteepness;
            p = s > 0 ? 1.0 / (1.0 + std::pow(workingSetBytes / cap, s)) : (workingSetBytes <= cap ? 1.0 : 0.0);
        }
        p = std::max(p, reached);
        f[i] = p - reached;
        reached = p;
    }
    f.back() = 1.0 - reached;
    return f;
}

std::size_t servingLevel(const CpuMachine& m, double workingSetBytes, double threads) {
    const std::vector<double> f = servedShares(m, workingSetBytes, threads);
    std::size_t best = 0;
    for (std::size_t i = 1; i < f.size(); ++i)
        if (f[i] > f[best] + 1e-12)
            best = i;
    return best;
}

double computeRate(const CpuMachine& m, DType t, double threads, std::string* engineOut) {
    double best = 0;
    for (const auto& e : m.engines) {
        const double all = e.allCoreFlopPerS[idx(t)];
        if (all <= 0)
            continue;
        const double r = threadScaledRate(m, e.oneThreadFlopPerS[idx(t)], all, true, threads);
        if (r > best) {
            best = r;
            if (engineOut)
                *engineOut = e.name;
        }
    }
    return best;
}

CpuKernelResult evalCpuKernel(const CpuMachine& m, const CpuKernelRequest& r) {
    CpuKernelResult res;
    res.op = r.op;
    res.threads = r.threads > 0 ? r.threads : m.units;
    const double t = res.threads;
    if (m.levels.empty()) {
        res.ok = false;
        res.failReason = "platform has no memory levels";
        return res;
    }
    const double s = bytesPerElement(r.dtype);
    const double n = r.elements;

    auto stream = [&](const std::string& what, double rd, double wr, double flops, double workingSet, double rate) {
        CpuPass p;
        p.what = what;
        p.bytesRead = rd;
        p.bytesWritten = wr;
        p.flops = flops;
        p.workingSetBytes = workingSet;
        const double share = rd + wr > 0 ? wr / (rd + wr) : 0;
        const double tpb = streamSecondsPerByte(m, workingSet, share, t, &p.level);
        finishPass(m, p, tpb > 0 ? 1.0 / tpb : 0, rate);
        res.passes.push_back(p);
    };

    switch (r.op) {
    case CpuOp::Read:
    case CpuOp::Write:
    case CpuOp::Copy:
    case CpuOp::Scale:
    case CpuOp::Add:
    case CpuOp::Triad:
    case CpuOp::Reduction: {
        if (n <= 0) {
            res.ok = false;
            res.failReason = "elements must be > 0";
            return res;
        }
        const double arrays = streamArrays(r.op);
        const double bytes = arrays * n * s;
        const double share = streamWriteShare(r.op);
        const double flops = r.op == CpuOp::Triad                                                       ? 2 * n
                             : (r.op == CpuOp::Scale || r.op == CpuOp::Add || r.op == CpuOp::Reduction) ? n
                                                                                                        : 0;
        res.workingSetBytes = bytes;
        stream(std::string(cpuOpName(r.op)), bytes * (1 - share), bytes * share, flops, bytes,
               vectorRate(m, t) * m.vectorFraction * 2); // simple streaming arithmetic runs near the FMA peak
        break;
    }
    case CpuOp::Softmax3Pass:
    case CpuOp::Softmax2Pass: {
        if (n <= 0) {
            res.ok = false;
            res.failReason = "elements must be > 0";
            return res;
        }
        // Two-Pass Softmax (Dukhan & Ablavatski): three passes = max, sum of exp, normalise (exp recomputed);
        // two passes = online max and sum of exp in one pass (extra rescaling), then normalise.
        // Each pass's working set is the reuse distance of its bytes when softmax runs repeatedly (rows of a
        // batch, or the benchmark): x read by the first pass was last touched by the previous call's last pass,
        // with x and y in between (2 n s); the second pass of three re-reads x right after the first (n s); the
        // normalising pass writes y last touched a call ago (2 n s).
        const double rate = vectorRate(m, t) * m.vectorFraction;
        res.workingSetBytes = 2 * n * s;
        if (r.op == CpuOp::Softmax3Pass) {
            stream("max", n * s, 0, n, 2 * n * s, rate);
            stream("sum exp", n * s, 0, n * (kExpFlops + 1), n * s, rate);
        } else {
            stream("max + sum exp (online)", n * s, 0, n * (kExpFlops + 4), 2 * n * s, rate);
        }
        stream("normalise", n * s, n * s, n * (kExpFlops + 1), 2 * n * s, rate);
        break;
    }
    case CpuOp::Gemm: {
        if (r.m <= 0 || r.n <= 0 || r.k <= 0) {
            res.ok = false;
            res.failReason = "m, n, k must be > 0";
            return res;
        }
        std::string engine;
        const double peak = computeRate(m, r.dtype, t, &engine);
        if (peak <= 0) {
            res.ok = false;
            res.failReason = "no compute engine of this platform has a " + std::string(dtypeName(r.dtype)) + " path";
            return res;
        }
        const double flops = 2 * r.m * r.n * r.k;
        const double compulsory = s * (r.m * r.k + r.k * r.n) + 4 * r.m * r.n; // fp32 output
        res.workingSetBytes = compulsory;
        CpuPass p;
        p.what = "gemm";
        p.flops = flops;
        // Cold weights (B) come from memory once, whatever the caches could hold; A and C stay cached.
        p.level = r.coldWeights ? m.levels.size() - 1 : servingLevel(m, compulsory, t);
        p.workingSetBytes = compulsory;
        // Out of cache, blocking keeps square tiles of A, B and C in the last cache level the threads share:
        // A and B are re-read once per tile of C, i.e. 2mnk / b elements for a tile edge b.
        double traffic = compulsory;
        if (!r.coldWeights && p.level + 1 == m.levels.size() && m.levels.size() >= 2) {
            const CpuLevel& llc = m.levels[m.levels.size() - 2];
            const double cap = levelCapacityForThreads(m, llc, t);
            const double b = std::max(16.0, std::sqrt(cap / (3 * s)));
            traffic = std::max(compulsory, s * 2 * r.m * r.n * r.k / b + 4 * r.m * r.n);
        }
        // Cold weights: only the weights come from memory; activations and output stay in the caches.
        p.bytesRead = r.coldWeights ? s * r.k * r.n : traffic - 4 * r.m * r.n;
        p.bytesWritten = r.coldWeights ? 0 : 4 * r.m * r.n;
        // Skinny GEMMs (few rows) reach less of the engine: packing, tile edges, ramp-up
        // (efficiency.gemm_small_m_half).
        const double ramp = m.gemmSmallMHalf > 0 ? r.m / (r.m + m.gemmSmallMHalf) : 1.0;
        finishPass(
            m, p,
            m.gemmMemoryFraction[idx(r.dtype)] *
                mixedBandwidth(m, m.levels[p.level], p.bytesWritten / std::max(1.0, p.bytesRead + p.bytesWritten), t),
            peak * m.gemmFraction[idx(r.dtype)] * ramp);
        res.passes.push_back(p);
        res.engine = engine;
        break;
    }
    }

    double worst = -1;
    for (const auto& p : res.passes) {
        res.bytes += p.bytesRead + p.bytesWritten;
        res.flops += p.flops;
        res.timeS += p.timeS;
        if (p.timeS > worst) {
            worst = p.timeS;
            const CpuLevel& l = m.levels[p.level];
            res.bound = p.computeS > p.memoryS ? "compute" : levelBoundName(l);
        }
    }
    if (!res.passes.empty())
        res.levelName = m.levels[res.passes.front().level].name;
    if (res.engine.empty() && res.bound == "compute")
        res.engine = "vector";
    if (res.bound == "compute")
        res.bound = "compute (" + res.engine + ")";
    return res;
}

} // namespace rooflab
