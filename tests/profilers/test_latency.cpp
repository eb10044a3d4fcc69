#include "profilers/cpu/latency.hpp"

#include <gtest/gtest.h>

#include <cmath>

using namespace rooflab::cpu;

TEST(Latency, ChaseCycleVisitsEveryElementOncePerCycle) {
    for (std::size_t n : {2u, 3u, 64u, 1000u, 4097u, 65536u}) {
        const auto next = buildChaseCycle(n, 42 + n);
        ASSERT_EQ(next.size(), n);
        std::vector<int> visits(n, 0);
        std::size_t at = 0;
        for (std::size_t hop = 0; hop < n; ++hop) {
            ++visits[at];
            at = next[at];
            ASSERT_LT(at, n);
        }
        EXPECT_EQ(at, 0u) << "cycle of " << n << " did not return to its start after n hops";
        for (std::size_t i = 0; i < n; ++i)
            ASSERT_EQ(visits[i], 1) << "element " << i << " of " << n;
    }
}

TEST(Latency, ChaseCycleDependsOnSeed) {
    EXPECT_NE(buildChaseCycle(1000, 1), buildChaseCycle(1000, 2));
    EXPECT_EQ(buildChaseCycle(1000, 7), buildChaseCycle(1000, 7));
}

TEST(Latency, MeasuresPlausibleLatenciesPerLevel) {
    const auto topo = rooflab::topology::detectTopology();
    LatencyOptions options;
    options.footprintsBytes = {16 * 1024, 8u * 1024 * 1024};
    options.runs = 3;
    options.sampleSeconds = 0.005;
    const auto points = runLatency(options, topo, 3e9);
    ASSERT_EQ(points.size(), 2u);
    for (const auto& p : points) {
        EXPECT_TRUE(std::isfinite(p.nsPerAccess));
        EXPECT_GT(p.nsPerAccess, 0.1);
        EXPECT_LT(p.nsPerAccess, 1000.0);
        EXPECT_TRUE(p.visitedAll);
        EXPECT_NEAR(p.cyclesEstimate, p.nsPerAccess * 3.0, 1e-6 * p.cyclesEstimate);
    }
    EXPECT_EQ(points[0].level, "L1");
    EXPECT_GT(points[1].nsPerAccess, points[0].nsPerAccess);
    EXPECT_EQ(memoryLevelOf(topo.llcBytes() * 4, topo), "DRAM");
}
