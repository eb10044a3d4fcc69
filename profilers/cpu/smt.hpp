#pragma once
/// @brief SMT-pairing probe: which OS CPUs share a physical core. Hypervisors often hide SMT (every vCPU looks
/// like a core to hwloc/sysfs) or number siblings in an order the guest cannot see. Two threads pinned to a pair
/// of CPUs {a, b} run the FMA throughput kernel (registers only) and an L1-resident read; on two cores the pair
/// reaches ~2x one thread, on two siblings of one core ~1x (they share the FMA ports and the L1 load ports).
#include "model/hardware/cpu_smt.hpp"
#include "profilers/cpu/cpuinfo.hpp"
#include "profilers/cpu/progress.hpp"
#include "profilers/topology/topology.hpp"

#include <string>
#include <utility>
#include <vector>

namespace rooflab::cpu {

struct SmtProbeOptions {
    /// Pairs to probe (OS CPU indices); empty: every pair when the process may use <= 16 CPUs, else (first, j)
    /// and (second, j) for every other j.
    std::vector<std::pair<int, int>> pairs;
    int runs = 5;
    double sampleSeconds = 0.01;
    std::uint64_t l1FootprintBytes = 16384; ///< per thread, read kernel (both siblings together stay in one L1d)
    ProgressCallback progress;
};

struct SmtProbePoint {
    std::string probe;  ///< "fma" or "l1_read"
    std::string detail; ///< "avx512_fma fp64", "read 16 KiB/thread avx512"
    int cpuA = 0, cpuB = 0;
    double pairRate = 0;    ///< FLOP/s or B/s of both threads together
    double singleRateA = 0; ///< one thread on cpuA alone
    double scaling = 0;     ///< pairRate / (2 x singleRateA): ~1 separate cores, ~0.5 SMT siblings
    bool ok = false;        ///< verified (checksums) and both rates > 0
};

struct SmtProbeResult {
    std::vector<SmtProbePoint> points;
    SmtLayout layout; ///< inferSmtLayout() of the points (model/calibration/cpu_smt.hpp)
};

/// @brief The layout the points imply (pairs whose every probe scales below rooflab::kSmtSiblingScaling).
SmtLayout smtLayoutFromPoints(const std::vector<SmtProbePoint>& points);

/// @brief Runs the probe. Throws rooflab::InputError for a pair naming a CPU outside the topology's pin order
/// or a pair of one CPU.
SmtProbeResult runSmtProbe(const SmtProbeOptions& options, const topology::Topology& topology, const CpuInfo& cpu);

} // namespace rooflab::cpu
