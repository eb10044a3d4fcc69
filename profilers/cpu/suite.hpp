#pragma once
/// @brief The whole CPU measurement run behind `rooflab bench cpu` (and the standalone rooflab-bench-cpu):
/// machine description, bandwidth sweep, latency sweep, FLOP/s per ISA, plus per-level summaries, and the
/// dataset writer (bandwidth.csv, latency.csv, flops.csv, topology.json, provenance.json, summary.json).
#include "profilers/cpu/bandwidth.hpp"
#include "profilers/cpu/cpuinfo.hpp"
#include "profilers/cpu/flops.hpp"
#include "profilers/cpu/latency.hpp"
#include "profilers/cpu/pmu.hpp"
#include "profilers/cpu/smt.hpp"
#include "profilers/cpu/softmax.hpp"
#include "profilers/topology/topology.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace rooflab::cpu {

struct CpuSuiteOptions {
    bool bandwidth = true;
    bool latency = true;
    bool flops = true;
    bool softmax = true;         ///< softmax-3pass and softmax-2pass (softmax.csv)
    bool reduction = true;       ///< sum (reduction.csv)
    bool smt = true;             ///< SMT-pairing probe (smt.csv): which CPUs share a core
    bool quick = false;          ///< fewer sizes (2 per octave), fewer runs, shorter samples
    int maxThreads = 0;          ///< 0: all allowed hardware threads
    std::vector<int> threadCounts; ///< empty: 1, 2, 4, … up to maxThreads, plus the core count and maxThreads
                                   ///< (softmax/reduction: 1, the core count and maxThreads)
    std::uint64_t minFootprintBytes = 4096;
    std::uint64_t maxFootprintBytes = 0; ///< 0: 4 × LLC (capped at 1/4 of memory), 256 MiB when LLC unknown
    std::string command;         ///< recorded in provenance.json
    std::string tool = "rooflab bench cpu"; ///< recorded in provenance.json
    ProgressCallback progress;   ///< "what" strings are prefixed with the stage
};

/// @brief Peak of one (kernel, threads) bandwidth curve per memory level: median of the points whose
/// footprint lies well inside the level (≤ ½ of its capacity, ≥ 2× the level above).
struct LevelBandwidth {
    std::string kernel;
    int threads = 0;
    std::string level;
    double bytesPerSecond = 0;
    int points = 0;
};

struct LevelLatency {
    std::string level;
    double ns = 0;
    double cycles = 0;
    int points = 0;
};

struct CpuSuiteResult {
    CpuInfo cpu;
    topology::Topology topology;
    PmuCapabilities pmu;
    double measuredFrequencyHz = 0;
    std::vector<int> threadCounts;
    std::vector<BandwidthPoint> bandwidth;
    std::vector<LatencyPoint> latency;
    std::vector<FlopsPoint> flops;
    std::vector<VectorKernelPoint> vectorKernels; ///< softmax and reduction points
    SmtProbeResult smt;                           ///< SMT-pairing probe (empty when not run)
    std::vector<LevelBandwidth> levelBandwidth;
    std::vector<LevelLatency> levelLatency;
    std::string startedAtUtc;    ///< ISO 8601
    double elapsedSeconds = 0;
};

/// @brief Thread counts 1, 2, 4, … < maxThreads plus the core count and maxThreads.
std::vector<int> defaultThreadCounts(const topology::Topology& topology, int maxThreads);

/// @brief Runs the selected benchmarks. Throws rooflab::InputError for invalid options (e.g. maxThreads larger
/// than the allowed hardware threads, nothing selected).
CpuSuiteResult runCpuSuite(const CpuSuiteOptions& options);

std::vector<LevelBandwidth> summarizeBandwidthByLevel(const std::vector<BandwidthPoint>& points,
                                                      const topology::Topology& topology);
std::vector<LevelLatency> summarizeLatencyByLevel(const std::vector<LatencyPoint>& points,
                                                  const topology::Topology& topology);

/// @brief Writes bandwidth.csv, latency.csv, flops.csv, softmax.csv, reduction.csv, topology.json, provenance.json
/// and summary.json into
/// `directory` (created). Only the files of the benchmarks that ran are written. Returns the paths written.
/// Throws std::runtime_error when a file cannot be written.
std::vector<std::filesystem::path> writeCpuDataset(const CpuSuiteResult& result, const CpuSuiteOptions& options,
                                                   const std::filesystem::path& directory);

nlohmann::json toJson(const CpuSuiteResult& result);

/// @brief Compiler and flags this library was built with (for provenance).
std::string buildCompiler();
std::string buildFlags();

} // namespace rooflab::cpu

namespace rooflab::cpu {
/// @brief Human-readable tables: per-level bandwidth (triad and read), latencies, FLOP/s per ISA.
std::string formatSuiteSummary(const CpuSuiteResult& result);
} // namespace rooflab::cpu

namespace rooflab::cpu {
/// @brief Applies a comma-separated `--only` list ("bandwidth,latency,flops,softmax,reduction,smt"; empty = all). Throws
/// rooflab::InputError naming the unknown entry.
void applyOnlyList(CpuSuiteOptions& options, const std::string& commaSeparated);
} // namespace rooflab::cpu
