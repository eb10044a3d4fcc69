#pragma once
/// @brief Machine topology (packages, NUMA nodes, cores, SMT, caches and their sharing) from hwloc, or from
/// Linux sysfs when rooflab is built without hwloc. Detection never throws: missing facts stay zero/empty.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace rooflab::topology {

/// @brief One cache level (data or unified caches only; instruction caches are left out).
struct CacheLevel {
    int level = 0;                                 ///< 1, 2, 3 …
    std::string type;                              ///< "data" or "unified"
    std::uint64_t sizeBytes = 0;                   ///< capacity of one instance
    int lineBytes = 0;                             ///< cache line
    int associativity = 0;                         ///< ways; 0 unknown, -1 fully associative
    std::vector<std::vector<int>> instanceCpus;    ///< OS CPU indices sharing each instance
    int instances() const { return static_cast<int>(instanceCpus.size()); }
    int cpusPerInstance() const { return instanceCpus.empty() ? 0 : static_cast<int>(instanceCpus.front().size()); }
};

struct NumaNode {
    int osIndex = 0;
    std::uint64_t memoryBytes = 0;
    std::vector<int> cpus; ///< OS CPU indices (allowed ones only)
};

/// @brief What the process may run on: counts cover the CPUs in the process's affinity mask.
struct Topology {
    std::string source;        ///< "hwloc 2.9.0" or "sysfs"
    int packages = 0;
    int numaNodes = 0;
    int cores = 0;
    int pus = 0;               ///< hardware threads (processing units)
    int smtPerCore = 0;        ///< pus / cores, rounded down
    std::uint64_t memoryBytes = 0;
    std::vector<CacheLevel> caches;  ///< sorted by level
    std::vector<NumaNode> numa;
    /// OS CPU indices in the order benchmark threads are pinned: the first PU of every core (package by
    /// package), then the remaining SMT siblings. Thread i of a team runs on pinOrder[i % size].
    std::vector<int> pinOrder;

    /// @brief Data/unified cache of `level`, or nullptr when unknown.
    const CacheLevel* cache(int level) const;
    /// @brief Capacity of the last-level cache summed over its instances (bytes); 0 when unknown.
    std::uint64_t llcBytes() const;
    /// @brief Capacity of cache `level` reachable by the first `threads` CPUs of pinOrder (bytes): one instance
    /// size times the number of distinct instances those CPUs touch.
    std::uint64_t cacheBytesForThreads(int level, int threads) const;
    int deepestCacheLevel() const;
    /// @brief NUMA node index (osIndex) holding `osCpu`, or -1.
    int numaNodeOfCpu(int osCpu) const;
};

/// @brief Detects the topology once per call (hwloc when compiled in, else sysfs). Never throws.
Topology detectTopology();

/// @brief True when rooflab_profilers was built with hwloc.
bool haveHwloc();

/// @brief Pins the calling thread to OS CPU `osCpu` (hwloc_set_cpubind when available, else
/// sched_setaffinity). Returns false and fills `error` when the kernel refuses.
bool pinCurrentThreadToCpu(int osCpu, std::string* error = nullptr);

/// @brief Serialises the topology (all fields) to JSON.
nlohmann::json toJson(const Topology& topology);

/// @brief One-line human summary, e.g. "1 package, 1 NUMA node, 2 cores, 2 threads; L1d 32 KiB ×2, …".
std::string summarize(const Topology& topology);

/// @brief "32 KiB", "1 MiB", "300 MiB" …
std::string formatBytes(std::uint64_t bytes);

} // namespace rooflab::topology
