#pragma once
/// @brief Load-to-use latency per memory level from a pointer chase: one pointer per cache line, lines linked
/// in a single random cycle (Sattolo's algorithm) so hardware prefetchers cannot follow.
#include "profilers/cpu/progress.hpp"
#include "profilers/cpu/stats.hpp"
#include "profilers/topology/topology.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace rooflab::cpu {

/// @brief A random cyclic permutation of `elements` (Sattolo): next[i] is the element after i, and following
/// next from any element visits every element exactly once before returning.
std::vector<std::uint32_t> buildChaseCycle(std::size_t elements, std::uint64_t seed);

struct LatencyOptions {
    std::vector<std::uint64_t> footprintsBytes;
    std::size_t strideBytes = 64;  ///< one pointer per cache line
    int runs = 7;
    double sampleSeconds = 0.02;   ///< hops per sample chosen to last about this long
    int cpu = -1;                  ///< OS CPU to pin the chasing thread to; -1 = first of the pin order
    ProgressCallback progress;
};

struct LatencyPoint {
    std::uint64_t footprintBytes = 0;
    double nsPerAccess = 0;        ///< median over runs
    double cyclesEstimate = 0;     ///< nsPerAccess × core clock (measured with a dependent-multiply chain)
    std::string level;             ///< "L1", "L2", "L3", "DRAM" by footprint vs cache capacity
    std::uint64_t hopsPerSample = 0;
    TimingSummary timing;          ///< per sample
    bool visitedAll = false;       ///< a full walk returned to the start after exactly `lines` hops (checked
                                   ///< for footprints up to 2^20 lines; false = not checked)
};

/// @brief Level a footprint falls into for `threads` threads: first cache level whose capacity (reachable by
/// those threads) holds it, else "DRAM".
std::string memoryLevelOf(std::uint64_t footprintBytes, const topology::Topology& topology, int threads = 1);

/// @brief Runs the chase on one pinned thread. `coreFrequencyHz` converts ns to cycles (0: cycles left 0).
std::vector<LatencyPoint> runLatency(const LatencyOptions& options, const topology::Topology& topology,
                                     double coreFrequencyHz);

} // namespace rooflab::cpu
