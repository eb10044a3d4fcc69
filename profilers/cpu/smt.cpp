#include "profilers/cpu/smt.hpp"

#include "profilers/cpu/bandwidth.hpp"
#include "profilers/cpu/flops.hpp"
#include "profilers/cpu/input_error.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace rooflab::cpu {
namespace {

/// The widest FMA kernel this CPU runs (fp64): every probe pair uses the same one.
Isa widestFma(const CpuInfo& cpu) {
    for (Isa isa : {Isa::Avx512Fma, Isa::Avx2Fma})
        if (isaUnusableReason(cpu.isa, isa).empty())
            return isa;
    return Isa::Scalar;
}

topology::Topology pinnedTo(const topology::Topology& topology, std::vector<int> cpus) {
    topology::Topology t = topology;
    t.pinOrder = std::move(cpus);
    return t;
}

double fmaRate(const topology::Topology& pinned, const CpuInfo& cpu, Isa isa, const SmtProbeOptions& o, bool* ok) {
    FlopsOptions fl;
    fl.isas = {isa};
    fl.threadCounts = {static_cast<int>(pinned.pinOrder.size())};
    fl.runs = o.runs;
    fl.sampleSeconds = o.sampleSeconds;
    for (const auto& p : runFlops(fl, pinned, cpu))
        if (p.dtype == "fp64") {
            *ok = p.verified && p.flopPerSecond > 0;
            return p.flopPerSecond;
        }
    *ok = false;
    return 0;
}

double l1ReadRate(const topology::Topology& pinned, const SmtProbeOptions& o, bool* ok) {
    BandwidthOptions bw;
    bw.kernels = {StreamKernel::Read};
    const int threads = static_cast<int>(pinned.pinOrder.size());
    bw.threadCounts = {threads};
    bw.footprintsBytes = {o.l1FootprintBytes * static_cast<std::uint64_t>(threads)};
    bw.runs = o.runs;
    bw.minSampleSeconds = o.sampleSeconds / 4;
    bw.maxPointSeconds = 0.25;
    const auto points = runBandwidth(bw, pinned);
    if (points.empty()) {
        *ok = false;
        return 0;
    }
    *ok = points.front().checksumOk;
    return points.front().bytesPerSecond;
}

} // namespace

SmtLayout smtLayoutFromPoints(const std::vector<SmtProbePoint>& points) {
    std::vector<SmtPairScaling> pairs;
    for (const auto& p : points)
        pairs.push_back({p.probe, p.cpuA, p.cpuB, p.scaling, p.ok});
    return inferSmtLayout(pairs);
}

SmtProbeResult runSmtProbe(const SmtProbeOptions& options, const topology::Topology& topology, const CpuInfo& cpu) {
    std::vector<int> cpus = topology.pinOrder;
    std::sort(cpus.begin(), cpus.end());
    std::vector<std::pair<int, int>> pairs = options.pairs;
    if (pairs.empty() && cpus.size() >= 2) {
        for (std::size_t i = 0; i < cpus.size(); ++i)
            for (std::size_t j = i + 1; j < cpus.size(); ++j)
                if (cpus.size() <= 16 || i < 2)
                    pairs.emplace_back(cpus[i], cpus[j]);
    }
    for (const auto& [a, b] : pairs) {
        if (a == b)
            throwInputError("smt", "a probe pair needs two different CPUs, got " + std::to_string(a) + " twice");
        for (int c : {a, b})
            if (std::find(cpus.begin(), cpus.end(), c) == cpus.end())
                throwInputError("smt", "CPU " + std::to_string(c) + " is not one this process may run on");
    }
    SmtProbeResult result;
    const Isa isa = widestFma(cpu);
    const std::string fmaDetail = std::string(isaName(isa)) + " fp64";
    const std::string readDetail = "read " + topology::formatBytes(options.l1FootprintBytes) + "/thread " +
                                   bandwidthVectorIsa();
    // One-thread rates of every CPU named by a pair (a VM's vCPUs may differ: noisy neighbours).
    std::map<int, std::pair<double, double>> single; // cpu -> (fma, read)
    std::set<int> named;
    for (const auto& [a, b] : pairs) {
        named.insert(a);
        named.insert(b);
    }
    const double total = static_cast<double>(named.size() + pairs.size());
    double step = 0;
    for (int c : named) {
        if (options.progress)
            options.progress("smt: 1 thread on CPU " + std::to_string(c), step / total);
        step += 1;
        bool okF = false, okR = false;
        const auto pinned = pinnedTo(topology, {c});
        const double f = fmaRate(pinned, cpu, isa, options, &okF);
        const double r = l1ReadRate(pinned, options, &okR);
        single[c] = {okF ? f : 0.0, okR ? r : 0.0};
    }
    for (const auto& [a, b] : pairs) {
        if (options.progress)
            options.progress("smt: CPUs {" + std::to_string(a) + "," + std::to_string(b) + "}", step / total);
        step += 1;
        const auto pinned = pinnedTo(topology, {a, b});
        for (int probe = 0; probe < 2; ++probe) {
            SmtProbePoint p;
            p.probe = probe == 0 ? "fma" : "l1_read";
            p.detail = probe == 0 ? fmaDetail : readDetail;
            p.cpuA = a;
            p.cpuB = b;
            bool ok = false;
            p.pairRate = probe == 0 ? fmaRate(pinned, cpu, isa, options, &ok) : l1ReadRate(pinned, options, &ok);
            p.singleRateA = probe == 0 ? single[a].first : single[a].second;
            p.ok = ok && p.pairRate > 0 && p.singleRateA > 0;
            p.scaling = p.ok ? p.pairRate / (2.0 * p.singleRateA) : 0.0;
            result.points.push_back(p);
        }
    }
    result.layout = smtLayoutFromPoints(result.points);
    if (options.progress)
        options.progress("smt done", 1.0);
    return result;
}

} // namespace rooflab::cpu
