#include "profilers/cpu/suite.hpp"

#include "model/units/errors.hpp"
#include "profilers/cpu/input_error.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

#ifndef ROOFLAB_PROFILERS_FLAGS
#define ROOFLAB_PROFILERS_FLAGS "unknown"
#endif

namespace rooflab::cpu {
namespace {

std::string isoNowUtc() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buffer;
}

std::string hostName() {
    char buffer[256] = {};
    if (gethostname(buffer, sizeof(buffer) - 1) != 0)
        return "unknown";
    return buffer;
}

std::string fmt(double v) {
    char buffer[64];
    std::snprintf(buffer, sizeof(buffer), "%.9g", v);
    return buffer;
}

void writeText(const std::filesystem::path& path, const std::string& text, std::vector<std::filesystem::path>& out) {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    if (!file)
        throw std::runtime_error("cannot write " + path.string());
    file << text;
    if (!file)
        throw std::runtime_error("cannot write " + path.string());
    out.push_back(path);
}

/// Capacities (bytes) of cache levels 1..deepest reachable by `threads` pinned threads.
std::vector<std::uint64_t> capacities(const topology::Topology& topology, int threads) {
    std::vector<std::uint64_t> caps;
    for (int level = 1; level <= topology.deepestCacheLevel(); ++level)
        caps.push_back(topology.cacheBytesForThreads(level, threads));
    return caps;
}

/// Level whose clean range holds `footprint`, or "" when it sits near a boundary.
std::string cleanLevel(std::uint64_t footprint, const std::vector<std::uint64_t>& caps) {
    const auto f = static_cast<double>(footprint);
    double lower = 0;
    for (std::size_t i = 0; i < caps.size(); ++i) {
        const auto cap = static_cast<double>(caps[i]);
        if (cap <= 0)
            continue;
        if (f > 2 * lower && f <= 0.5 * cap)
            return "L" + std::to_string(i + 1);
        lower = cap;
    }
    if (lower > 0 && f >= 2 * lower)
        return "DRAM";
    return "";
}

double median(std::vector<double> v) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return percentileOfSorted(v, 0.5);
}

} // namespace

std::string buildCompiler() {
#if defined(__clang__)
    return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
    return std::string("g++ ") + __VERSION__;
#else
    return "unknown";
#endif
}

std::string buildFlags() {
    return ROOFLAB_PROFILERS_FLAGS;
}

std::vector<int> defaultThreadCounts(const topology::Topology& topology, int maxThreads) {
    std::vector<int> counts;
    for (int t = 1; t < maxThreads; t *= 2)
        counts.push_back(t);
    if (topology.cores > 0 && topology.cores < maxThreads)
        counts.push_back(topology.cores);
    counts.push_back(maxThreads);
    std::sort(counts.begin(), counts.end());
    counts.erase(std::unique(counts.begin(), counts.end()), counts.end());
    return counts;
}

std::vector<LevelBandwidth> summarizeBandwidthByLevel(const std::vector<BandwidthPoint>& points,
                                                      const topology::Topology& topology) {
    std::vector<LevelBandwidth> out;
    std::vector<std::pair<std::pair<std::string, int>, std::pair<std::string, double>>> tagged;
    for (const auto& p : points) {
        const std::string level = cleanLevel(p.footprintBytes, capacities(topology, p.threads));
        if (!level.empty() && p.checksumOk)
            tagged.push_back({{streamKernelName(p.kernel), p.threads}, {level, p.bytesPerSecond}});
    }
    for (const auto& [key, value] : tagged) {
        const bool seen = std::any_of(out.begin(), out.end(), [&](const LevelBandwidth& l) {
            return l.kernel == key.first && l.threads == key.second && l.level == value.first;
        });
        if (seen)
            continue;
        std::vector<double> rates;
        for (const auto& [k2, v2] : tagged)
            if (k2 == key && v2.first == value.first)
                rates.push_back(v2.second);
        out.push_back({key.first, key.second, value.first, median(rates), static_cast<int>(rates.size())});
    }
    return out;
}

std::vector<LevelLatency> summarizeLatencyByLevel(const std::vector<LatencyPoint>& points,
                                                  const topology::Topology& topology) {
    std::vector<LevelLatency> out;
    const auto caps = capacities(topology, 1);
    std::vector<std::string> order;
    for (std::size_t i = 0; i < caps.size(); ++i)
        order.push_back("L" + std::to_string(i + 1));
    order.push_back("DRAM");
    for (const auto& level : order) {
        std::vector<double> ns, cycles;
        for (const auto& p : points)
            if (cleanLevel(p.footprintBytes, caps) == level) {
                ns.push_back(p.nsPerAccess);
                cycles.push_back(p.cyclesEstimate);
            }
        if (!ns.empty())
            out.push_back({level, median(ns), median(cycles), static_cast<int>(ns.size())});
    }
    return out;
}

CpuSuiteResult runCpuSuite(const CpuSuiteOptions& options) {
    if (!options.bandwidth && !options.latency && !options.flops && !options.softmax && !options.reduction &&
        !options.smt)
        throwInputError("only", "no benchmark selected");
    const auto started = std::chrono::steady_clock::now();
    CpuSuiteResult result;
    result.startedAtUtc = isoNowUtc();
    result.cpu = detectCpuInfo();
    result.topology = topology::detectTopology();
    result.pmu = probePmu();
    const int allowed = std::max(1, result.topology.pus);
    if (options.maxThreads < 0 || options.maxThreads > allowed)
        throwInputError("threads", "--threads " + std::to_string(options.maxThreads) + " is outside 1.." +
                                       std::to_string(allowed) + " (hardware threads this process may use)");
    const int maxThreads = options.maxThreads == 0 ? allowed : options.maxThreads;
    result.threadCounts =
        options.threadCounts.empty() ? defaultThreadCounts(result.topology, maxThreads) : options.threadCounts;
    for (int t : result.threadCounts)
        if (t < 1 || t > allowed)
            throwInputError("threads",
                            "thread count " + std::to_string(t) + " is outside 1.." + std::to_string(allowed));
    const int stages = (options.bandwidth ? 1 : 0) + (options.latency ? 1 : 0) + (options.flops ? 1 : 0) +
                       (options.softmax || options.reduction ? 1 : 0) + (options.smt && maxThreads >= 2 ? 1 : 0);
    int stageNumber = 0;
    auto nextStage = [&]() { return std::to_string(++stageNumber) + "/" + std::to_string(stages); };
    auto stage = [&](const std::string& name) -> ProgressCallback {
        if (!options.progress)
            return {};
        return [&, name](const std::string& what, double fraction) { options.progress(name + ": " + what, fraction); };
    };
    result.measuredFrequencyHz = measureCoreFrequencyHz(options.quick ? 0.02 : 0.1);

    std::uint64_t maxFootprint = options.maxFootprintBytes;
    if (maxFootprint == 0) {
        const std::uint64_t llc = result.topology.llcBytes();
        maxFootprint = llc > 0 ? 4 * llc : (std::uint64_t{256} << 20);
        if (result.topology.memoryBytes > 0)
            maxFootprint = std::min(maxFootprint, result.topology.memoryBytes / 4);
    }
    maxFootprint = std::max(maxFootprint, options.minFootprintBytes);
    const int perOctave = options.quick ? 2 : 4;

    if (options.bandwidth) {
        BandwidthOptions bw;
        bw.threadCounts = result.threadCounts;
        bw.footprintsBytes = footprintSweep(options.minFootprintBytes, maxFootprint, perOctave);
        bw.runs = options.quick ? 7 : 11;
        bw.minSampleSeconds = options.quick ? 1e-3 : 2e-3;
        bw.maxPointSeconds = options.quick ? 0.25 : 1.0;
        bw.progress = stage(nextStage());
        result.bandwidth = runBandwidth(bw, result.topology);
        result.levelBandwidth = summarizeBandwidthByLevel(result.bandwidth, result.topology);
    }
    if (options.latency) {
        LatencyOptions lat;
        lat.footprintsBytes = footprintSweep(options.minFootprintBytes,
                                             std::min<std::uint64_t>(maxFootprint, std::uint64_t{1} << 30), perOctave);
        lat.runs = options.quick ? 5 : 9;
        lat.sampleSeconds = options.quick ? 0.01 : 0.03;
        lat.progress = stage(nextStage());
        result.latency = runLatency(lat, result.topology, result.measuredFrequencyHz);
        result.levelLatency = summarizeLatencyByLevel(result.latency, result.topology);
    }
    if (options.flops) {
        FlopsOptions fl;
        std::vector<int> counts = {1};
        if (maxThreads > 1)
            counts.push_back(maxThreads);
        if (result.topology.cores > 1 && result.topology.cores < maxThreads)
            counts.insert(counts.begin() + 1, result.topology.cores);
        fl.threadCounts = counts;
        fl.runs = options.quick ? 7 : 11;
        fl.sampleSeconds = options.quick ? 0.01 : 0.03;
        fl.progress = stage(nextStage());
        result.flops = runFlops(fl, result.topology, result.cpu);
    }
    if (options.softmax || options.reduction) {
        VectorKernelOptions vk;
        vk.kernels.clear();
        if (options.softmax)
            vk.kernels = {VectorKernel::Softmax3Pass, VectorKernel::Softmax2Pass};
        if (options.reduction)
            vk.kernels.push_back(VectorKernel::Reduction);
        // One thread and all threads (plus the core count when SMT doubles it), like the FLOP/s benchmark, unless
        // the thread counts were given.
        std::vector<int> counts = {1};
        if (result.topology.cores > 1 && result.topology.cores < maxThreads)
            counts.push_back(result.topology.cores);
        if (maxThreads > 1)
            counts.push_back(maxThreads);
        vk.threadCounts = options.threadCounts.empty() ? counts : result.threadCounts;
        // The AVX-512 and AVX2 kernels where the CPU has them; the portable one only where neither exists.
        vk.isas = usableVectorIsas();
        if (vk.isas.size() > 1)
            vk.isas.pop_back();
        vk.footprintsBytes =
            footprintSweep(std::max<std::uint64_t>(options.minFootprintBytes, 16384), maxFootprint, perOctave);
        vk.runs = options.quick ? 7 : 11;
        vk.minSampleSeconds = options.quick ? 1e-3 : 2e-3;
        vk.maxPointSeconds = options.quick ? 0.25 : 1.0;
        vk.progress = stage(nextStage());
        result.vectorKernels = runVectorKernels(vk, result.topology);
    }
    // Pairs of threads: only where at least two threads are allowed (--threads 1 skips the probe).
    if (options.smt && maxThreads >= 2 && result.topology.pinOrder.size() >= 2) {
        SmtProbeOptions so;
        so.runs = options.quick ? 5 : 9;
        so.sampleSeconds = options.quick ? 0.01 : 0.02;
        so.progress = stage(nextStage());
        result.smt = runSmtProbe(so, result.topology, result.cpu);
    }
    result.elapsedSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
}

nlohmann::json toJson(const CpuSuiteResult& r) {
    nlohmann::json bandwidth = nlohmann::json::array();
    for (const auto& p : r.bandwidth)
        bandwidth.push_back({{"kernel", streamKernelName(p.kernel)},
                             {"threads", p.threads},
                             {"footprint_bytes", p.footprintBytes},
                             {"bytes_moved", p.bytesMoved},
                             {"repetitions", p.repetitions},
                             {"median_s", p.timing.medianSeconds},
                             {"p10_s", p.timing.p10Seconds},
                             {"p90_s", p.timing.p90Seconds},
                             {"runs", p.timing.runs},
                             {"bytes_per_s", p.bytesPerSecond},
                             {"checksum", p.checksum},
                             {"expected_checksum", p.expectedChecksum},
                             {"checksum_ok", p.checksumOk},
                             {"vector_isa", p.vectorIsa}});
    nlohmann::json latency = nlohmann::json::array();
    for (const auto& p : r.latency)
        latency.push_back({{"footprint_bytes", p.footprintBytes},
                           {"ns", p.nsPerAccess},
                           {"cycles_estimate", p.cyclesEstimate},
                           {"level", p.level},
                           {"hops_per_sample", p.hopsPerSample},
                           {"p10_s", p.timing.p10Seconds},
                           {"p90_s", p.timing.p90Seconds},
                           {"runs", p.timing.runs},
                           {"visited_all", p.visitedAll}});
    nlohmann::json flops = nlohmann::json::array();
    for (const auto& p : r.flops)
        flops.push_back({{"isa", isaName(p.isa)},
                         {"dtype", p.dtype},
                         {"threads", p.threads},
                         {"status", p.status},
                         {"instruction", p.instruction},
                         {"median_s", p.timing.medianSeconds},
                         {"p10_s", p.timing.p10Seconds},
                         {"p90_s", p.timing.p90Seconds},
                         {"flop", p.flopPerSample},
                         {"flop_per_s", p.flopPerSecond},
                         {"best_flop_per_s", p.timing.minSeconds > 0 ? p.flopPerSample / p.timing.minSeconds : 0.0},
                         {"verified", p.verified}});
    nlohmann::json levelBw = nlohmann::json::array();
    for (const auto& l : r.levelBandwidth)
        levelBw.push_back({{"kernel", l.kernel},
                           {"threads", l.threads},
                           {"level", l.level},
                           {"bytes_per_s", l.bytesPerSecond},
                           {"points", l.points}});
    nlohmann::json levelLat = nlohmann::json::array();
    for (const auto& l : r.levelLatency)
        levelLat.push_back({{"level", l.level}, {"ns", l.ns}, {"cycles", l.cycles}, {"points", l.points}});
    nlohmann::json vector = nlohmann::json::array();
    for (const auto& p : r.vectorKernels)
        vector.push_back({{"kernel", vectorKernelName(p.kernel)},
                          {"isa", p.isa},
                          {"threads", p.threads},
                          {"elements", p.elements},
                          {"footprint_bytes", p.footprintBytes},
                          {"bytes_moved", p.bytesMoved},
                          {"repetitions", p.repetitions},
                          {"median_s", p.timing.medianSeconds},
                          {"p10_s", p.timing.p10Seconds},
                          {"p90_s", p.timing.p90Seconds},
                          {"runs", p.timing.runs},
                          {"bytes_per_s", p.bytesPerSecond},
                          {"elements_per_s", p.elementsPerSecond},
                          {"max_rel_error", p.maxRelError},
                          {"sum_rel_error", p.sumRelError},
                          {"verified", p.verified}});
    return {{"started_at_utc", r.startedAtUtc},
            {"elapsed_s", r.elapsedSeconds},
            {"cpu", toJson(r.cpu)},
            {"measured_frequency_hz", r.measuredFrequencyHz},
            {"topology", topology::toJson(r.topology)},
            {"pmu", toJson(r.pmu)},
            {"thread_counts", r.threadCounts},
            {"bandwidth_vector_isa", bandwidthVectorIsa()},
            {"level_bandwidth", levelBw},
            {"level_latency", levelLat},
            {"bandwidth", bandwidth},
            {"latency", latency},
            {"flops", flops},
            {"softmax_reduction", vector},
            {"smt", [&] {
                 nlohmann::json points = nlohmann::json::array();
                 for (const auto& p : r.smt.points)
                     points.push_back({{"probe", p.probe},
                                       {"detail", p.detail},
                                       {"cpu_a", p.cpuA},
                                       {"cpu_b", p.cpuB},
                                       {"pair_rate", p.pairRate},
                                       {"single_rate_a", p.singleRateA},
                                       {"scaling", p.scaling},
                                       {"ok", p.ok}});
                 return nlohmann::json{{"points", points},
                                       {"core_groups", r.smt.layout.coreGroups},
                                       {"fixed", r.smt.layout.fixed},
                                       {"threads_per_core", r.smt.layout.threadsPerCore},
                                       {"sibling_stride", r.smt.layout.siblingStride},
                                       {"verdict", r.smt.layout.verdict},
                                       {"sibling_threshold", rooflab::kSmtSiblingScaling}};
             }()}};
}

std::vector<std::filesystem::path> writeCpuDataset(const CpuSuiteResult& r, const CpuSuiteOptions& options,
                                                   const std::filesystem::path& directory) {
    std::error_code ec;
    std::filesystem::create_directories(directory, ec);
    if (ec)
        throw std::runtime_error("cannot create " + directory.string() + ": " + ec.message());
    std::vector<std::filesystem::path> written;
    if (options.bandwidth) {
        std::string csv = "kernel,threads,footprint_bytes,bytes_moved,median_s,p10_s,p90_s,runs,bytes_per_s\n";
        for (const auto& p : r.bandwidth)
            csv += std::string(streamKernelName(p.kernel)) + "," + std::to_string(p.threads) + "," +
                   std::to_string(p.footprintBytes) + "," + std::to_string(p.bytesMoved) + "," +
                   fmt(p.timing.medianSeconds) + "," + fmt(p.timing.p10Seconds) + "," + fmt(p.timing.p90Seconds) + "," +
                   std::to_string(p.timing.runs) + "," + fmt(p.bytesPerSecond) + "\n";
        writeText(directory / "bandwidth.csv", csv, written);
    }
    if (options.latency) {
        std::string csv = "footprint_bytes,ns,cycles_estimate,level\n";
        for (const auto& p : r.latency)
            csv += std::to_string(p.footprintBytes) + "," + fmt(p.nsPerAccess) + "," + fmt(p.cyclesEstimate) + "," +
                   p.level + "\n";
        writeText(directory / "latency.csv", csv, written);
    }
    if (options.flops) {
        std::string csv = "isa,dtype,threads,median_s,flop,flop_per_s\n";
        for (const auto& p : r.flops)
            if (p.status == "ok")
                csv += std::string(isaName(p.isa)) + "," + p.dtype + "," + std::to_string(p.threads) + "," +
                       fmt(p.timing.medianSeconds) + "," + fmt(p.flopPerSample) + "," + fmt(p.flopPerSecond) + "\n";
        writeText(directory / "flops.csv", csv, written);
    }
    auto vectorCsv = [&](bool softmax) {
        std::string csv = "kernel,isa,threads,elements,footprint_bytes,bytes_moved,repetitions,median_s,p10_s,p90_s,"
                          "runs,bytes_per_s,elements_per_s,max_rel_error,sum_rel_error,verified\n";
        for (const auto& p : r.vectorKernels)
            if ((p.kernel != VectorKernel::Reduction) == softmax)
                csv += std::string(vectorKernelName(p.kernel)) + "," + p.isa + "," + std::to_string(p.threads) + "," +
                       std::to_string(p.elements) + "," + std::to_string(p.footprintBytes) + "," +
                       std::to_string(p.bytesMoved) + "," + std::to_string(p.repetitions) + "," +
                       fmt(p.timing.medianSeconds) + "," + fmt(p.timing.p10Seconds) + "," + fmt(p.timing.p90Seconds) +
                       "," + std::to_string(p.timing.runs) + "," + fmt(p.bytesPerSecond) + "," +
                       fmt(p.elementsPerSecond) + "," + fmt(p.maxRelError) + "," + fmt(p.sumRelError) + "," +
                       (p.verified ? "1" : "0") + "\n";
        return csv;
    };
    if (options.softmax)
        writeText(directory / "softmax.csv", vectorCsv(true), written);
    if (options.reduction)
        writeText(directory / "reduction.csv", vectorCsv(false), written);
    if (options.smt && !r.smt.points.empty()) {
        // One row per (probe, pair); `scaling` = pair rate / (2 x one thread on cpu_a): ~1 two cores, ~0.5 siblings.
        std::string csv = "probe,detail,cpu_a,cpu_b,pair_rate_per_s,single_rate_a_per_s,scaling,siblings,ok\n";
        for (const auto& p : r.smt.points)
            csv += p.probe + "," + p.detail + "," + std::to_string(p.cpuA) + "," + std::to_string(p.cpuB) + "," +
                   fmt(p.pairRate) + "," + fmt(p.singleRateA) + "," + fmt(p.scaling) + "," +
                   (p.ok && p.scaling < rooflab::kSmtSiblingScaling ? "1" : "0") + "," + (p.ok ? "1" : "0") + "\n";
        writeText(directory / "smt.csv", csv, written);
    }
    writeText(directory / "topology.json", topology::toJson(r.topology).dump(2) + "\n", written);
    const nlohmann::json provenance = {{"cpu", r.cpu.modelName},
                                       {"cores", r.topology.cores},
                                       {"threads", r.threadCounts},
                                       {"hardware_threads", r.topology.pus},
                                       {"date", r.startedAtUtc},
                                       {"compiler", buildCompiler()},
                                       {"flags", buildFlags()},
                                       {"host", hostName()},
                                       {"tool", options.tool},
                                       {"command", options.command},
                                       {"quick", options.quick},
                                       {"bandwidth_vector_isa", bandwidthVectorIsa()},
                                       {"softmax_reduction_isas", usableVectorIsas()},
                                       {"smt_verdict", r.smt.layout.verdict},
                                       {"benchmarks",
                                        [&] {
                                            std::vector<std::string> b;
                                            for (const auto& [on, name] : {std::pair{options.bandwidth, "bandwidth"},
                                                                           {options.latency, "latency"},
                                                                           {options.flops, "flops"},
                                                                           {options.softmax, "softmax"},
                                                                           {options.reduction, "reduction"},
                                                                           {options.smt, "smt"}})
                                                if (on)
                                                    b.emplace_back(name);
                                            return b;
                                        }()},
                                       {"measured_frequency_hz", r.measuredFrequencyHz},
                                       {"elapsed_s", r.elapsedSeconds}};
    writeText(directory / "provenance.json", provenance.dump(2) + "\n", written);
    writeText(directory / "summary.json", toJson(r).dump(1) + "\n", written);
    return written;
}

} // namespace rooflab::cpu

namespace rooflab::cpu {

std::string formatSuiteSummary(const CpuSuiteResult& r) {
    std::string out;
    char line[256];
    std::snprintf(line, sizeof(line), "%s — %d cores, %d threads, core clock ~%.2f GHz (dependent-multiply chain)\n",
                  r.cpu.modelName.c_str(), r.topology.cores, r.topology.pus, r.measuredFrequencyHz * 1e-9);
    out += line;
    if (!r.levelBandwidth.empty()) {
        out += "\nBandwidth by level (GB/s, median of clean points):\n";
        std::snprintf(line, sizeof(line), "  %-6s %7s %10s %10s %10s %10s\n", "kernel", "threads", "L1", "L2", "L3",
                      "DRAM");
        out += line;
        for (const char* kernel : {"read", "write", "copy", "triad"}) {
            for (int t : r.threadCounts) {
                double v[4] = {0, 0, 0, 0};
                bool any = false;
                for (const auto& l : r.levelBandwidth) {
                    if (l.kernel != kernel || l.threads != t)
                        continue;
                    const int idx = l.level == "DRAM" ? 3 : std::clamp(l.level[1] - '1', 0, 2);
                    v[idx] = l.bytesPerSecond * 1e-9;
                    any = true;
                }
                if (!any)
                    continue;
                auto cell = [](double x) {
                    char b[16];
                    if (x > 0)
                        std::snprintf(b, sizeof(b), "%10.1f", x);
                    else
                        std::snprintf(b, sizeof(b), "%10s", "-");
                    return std::string(b);
                };
                std::snprintf(line, sizeof(line), "  %-6s %7d", kernel, t);
                out += line + cell(v[0]) + " " + cell(v[1]) + " " + cell(v[2]) + " " + cell(v[3]) + "\n";
            }
        }
    }
    if (!r.levelLatency.empty()) {
        out += "\nLatency (pointer chase, 1 thread):\n";
        for (const auto& l : r.levelLatency) {
            std::snprintf(line, sizeof(line), "  %-5s %8.2f ns %8.1f cycles\n", l.level.c_str(), l.ns, l.cycles);
            out += line;
        }
    }
    if (!r.vectorKernels.empty()) {
        out += "\nSoftmax / reduction (fp32, GB/s STREAM-counted; smallest and largest footprint):\n";
        for (const auto& p : r.vectorKernels) {
            bool edge = true;
            for (const auto& q : r.vectorKernels)
                if (q.kernel == p.kernel && q.isa == p.isa && q.threads == p.threads &&
                    q.footprintBytes < p.footprintBytes)
                    for (const auto& z : r.vectorKernels)
                        if (z.kernel == p.kernel && z.isa == p.isa && z.threads == p.threads &&
                            z.footprintBytes > p.footprintBytes)
                            edge = false;
            if (!edge)
                continue;
            std::snprintf(line, sizeof(line), "  %-14s %-7s %3d threads %12s %10.1f GB/s %10.3f Gelem/s%s\n",
                          vectorKernelName(p.kernel), p.isa.c_str(), p.threads,
                          topology::formatBytes(p.footprintBytes).c_str(), p.bytesPerSecond * 1e-9,
                          p.elementsPerSecond * 1e-9, p.verified ? "" : "  NOT VERIFIED");
            out += line;
        }
    }
    if (!r.flops.empty()) {
        out += "\nPeak arithmetic (GFLOP/s; int8: GOP/s):\n";
        for (const auto& p : r.flops) {
            if (p.status == "ok")
                std::snprintf(line, sizeof(line), "  %-12s %-5s %3d threads %12.1f\n", isaName(p.isa), p.dtype.c_str(),
                              p.threads, p.flopPerSecond * 1e-9);
            else
                std::snprintf(line, sizeof(line), "  %-12s %-5s %3d threads   %s\n", isaName(p.isa), p.dtype.c_str(),
                              p.threads, p.status.c_str());
            out += line;
        }
    }
    if (!r.smt.points.empty())
        out += "\nSMT pairing (FMA and L1-read scaling of CPU pairs): " + r.smt.layout.verdict + "\n";
    return out;
}

} // namespace rooflab::cpu

namespace rooflab::cpu {

void applyOnlyList(CpuSuiteOptions& options, const std::string& list) {
    if (list.empty()) {
        options.bandwidth = options.latency = options.flops = options.softmax = options.reduction = options.smt = true;
        return;
    }
    options.bandwidth = options.latency = options.flops = options.softmax = options.reduction = options.smt = false;
    std::size_t start = 0;
    while (start <= list.size()) {
        const std::size_t comma = std::min(list.find(',', start), list.size());
        const std::string item = list.substr(start, comma - start);
        if (item == "bandwidth")
            options.bandwidth = true;
        else if (item == "latency")
            options.latency = true;
        else if (item == "flops")
            options.flops = true;
        else if (item == "softmax")
            options.softmax = true;
        else if (item == "reduction")
            options.reduction = true;
        else if (item == "smt")
            options.smt = true;
        else
            throwInputError(
                "--only", "unknown benchmark '" + item +
                              "' (expected a comma-separated subset of bandwidth,latency,flops,softmax,reduction,smt)");
        start = comma + 1;
    }
}

} // namespace rooflab::cpu
