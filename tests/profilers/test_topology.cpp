#include "profilers/topology/topology.hpp"

#include <gtest/gtest.h>

#include <sched.h>

#include <algorithm>
#include <set>
#include <thread>

using namespace rooflab::topology;

namespace {
int allowedCpuCount() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return 0;
    return CPU_COUNT(&set);
}
} // namespace

TEST(Topology, CountsMatchTheMachine) {
    const Topology t = detectTopology();
    const int allowed = allowedCpuCount();
    // The PU count is what this process may run on: the affinity mask, which is hardware_concurrency() unless a
    // cgroup/taskset restricts it.
    EXPECT_EQ(t.pus, allowed);
    EXPECT_LE(t.pus, static_cast<int>(std::thread::hardware_concurrency()));
    EXPECT_GE(t.cores, 1);
    EXPECT_LE(t.cores, t.pus);
    EXPECT_GE(t.packages, 1);
    EXPECT_GE(t.numaNodes, 1);
    EXPECT_GE(t.smtPerCore, 1);
    EXPECT_GT(t.memoryBytes, 0u);
    EXPECT_FALSE(t.source.empty());
}

TEST(Topology, PinOrderCoversEveryPuOnceCoresFirst) {
    const Topology t = detectTopology();
    ASSERT_EQ(static_cast<int>(t.pinOrder.size()), t.pus);
    const std::set<int> unique(t.pinOrder.begin(), t.pinOrder.end());
    EXPECT_EQ(unique.size(), t.pinOrder.size());
}

TEST(Topology, CachesAreSaneAndShared) {
    const Topology t = detectTopology();
    const CacheLevel* l1 = t.cache(1);
    ASSERT_NE(l1, nullptr) << summarize(t);
    EXPECT_EQ(l1->type, "data");
    EXPECT_GE(l1->sizeBytes, 8u * 1024);
    EXPECT_GE(l1->lineBytes, 32);
    EXPECT_GE(l1->instances(), 1);
    EXPECT_GT(t.llcBytes(), l1->sizeBytes);
    EXPECT_EQ(t.cacheBytesForThreads(1, 1), l1->sizeBytes);
    for (const auto& c : t.caches) {
        EXPECT_GT(c.sizeBytes, 0u) << "L" << c.level;
        for (const auto& cpus : c.instanceCpus)
            EXPECT_FALSE(cpus.empty());
    }
    // Deeper levels are not smaller than shallower ones.
    for (int level = 2; level <= t.deepestCacheLevel(); ++level)
        if (t.cache(level) != nullptr && t.cache(level - 1) != nullptr) {
            EXPECT_GE(t.cache(level)->sizeBytes * static_cast<std::uint64_t>(t.cache(level)->instances()),
                      t.cache(level - 1)->sizeBytes);
        }
}

TEST(Topology, PinningMovesTheThread) {
    const Topology t = detectTopology();
    const int target = t.pinOrder.back();
    int observed = -1;
    bool ok = false;
    std::string error;
    std::thread worker([&] {
        ok = pinCurrentThreadToCpu(target, &error);
        observed = sched_getcpu();
    });
    worker.join();
    ASSERT_TRUE(ok) << error;
    EXPECT_EQ(observed, target);
}

TEST(Topology, JsonCarriesEverything) {
    const Topology t = detectTopology();
    const auto j = toJson(t);
    EXPECT_EQ(j["pus"], t.pus);
    EXPECT_EQ(j["cores"], t.cores);
    EXPECT_EQ(j["caches"].size(), t.caches.size());
    EXPECT_EQ(j["llc_bytes"], t.llcBytes());
    EXPECT_EQ(j["pin_order"].size(), t.pinOrder.size());
    EXPECT_EQ(formatBytes(32768), "32 KiB");
    EXPECT_EQ(formatBytes(1536), "1.5 KiB");
}
