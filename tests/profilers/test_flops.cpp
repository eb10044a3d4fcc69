#include "profilers/cpu/flops.hpp"

#include <gtest/gtest.h>

#include <cmath>

using namespace rooflab::cpu;

TEST(Flops, UsableIsasRunAndVerifyEveryOtherIsSkippedWithReason) {
    const auto topo = rooflab::topology::detectTopology();
    const CpuInfo cpu = detectCpuInfo();
    FlopsOptions options;
    options.threadCounts = {1};
    options.runs = 3;
    options.sampleSeconds = 0.004;
    const auto points = runFlops(options, topo, cpu);
    ASSERT_EQ(points.size(), flopsKernels().size());
    for (const auto& p : points) {
        SCOPED_TRACE(std::string(isaName(p.isa)) + " " + p.dtype);
        if (isaUsable(cpu.isa, p.isa)) {
            EXPECT_EQ(p.status, "ok");
            EXPECT_TRUE(p.verified);
            EXPECT_TRUE(std::isfinite(p.flopPerSecond));
            EXPECT_GT(p.flopPerSecond, 1e8);
        } else {
            EXPECT_EQ(p.status.rfind("skipped: ", 0), 0u) << p.status;
            EXPECT_EQ(p.flopPerSecond, 0.0);
        }
    }
}

TEST(Flops, WiderVectorsAreFasterThanScalar) {
    const CpuInfo cpu = detectCpuInfo();
    if (!isaUsable(cpu.isa, Isa::Avx2Fma))
        GTEST_SKIP() << isaUnusableReason(cpu.isa, Isa::Avx2Fma);
    FlopsOptions options;
    options.isas = {Isa::Scalar, Isa::Avx2Fma};
    options.runs = 5;
    options.sampleSeconds = 0.005;
    const auto points = runFlops(options, rooflab::topology::detectTopology(), cpu);
    double scalar = 0, avx2 = 0;
    for (const auto& p : points) {
        if (p.isa == Isa::Scalar) {
            scalar = p.flopPerSecond;
        }
        if (p.isa == Isa::Avx2Fma && p.dtype == "fp64") {
            avx2 = p.flopPerSecond;
        }
    }
    // 4 fp64 lanes per instruction: even on a noisy VM well above 1.5x scalar.
    EXPECT_GT(avx2, 1.5 * scalar);
}
