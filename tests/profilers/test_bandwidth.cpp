#include "model/units/errors.hpp"
#include "profilers/cpu/bandwidth.hpp"
#include "profilers/cpu/thread_team.hpp"

#include <chrono>
#include <cmath>
#include <gtest/gtest.h>
#include <thread>

using namespace rooflab::cpu;

TEST(Bandwidth, AllKernelsGivePositiveRatesAndCorrectChecksums) {
    const auto topo = rooflab::topology::detectTopology();
    BandwidthOptions options;
    options.threadCounts = {1};
    if (topo.pus > 1)
        options.threadCounts.push_back(2);
    options.footprintsBytes = {64 * 1024, 2 * 1024 * 1024};
    options.runs = 3;
    options.minSampleSeconds = 5e-4;
    const auto points = runBandwidth(options, topo);
    ASSERT_EQ(points.size(), options.threadCounts.size() * 4 * 2);
    for (const auto& p : points) {
        SCOPED_TRACE(std::string(streamKernelName(p.kernel)) + " x" + std::to_string(p.threads) + " " +
                     std::to_string(p.footprintBytes));
        EXPECT_TRUE(std::isfinite(p.bytesPerSecond));
        EXPECT_GT(p.bytesPerSecond, 1e8);
        EXPECT_TRUE(p.checksumOk) << p.checksum << " vs " << p.expectedChecksum;
        EXPECT_EQ(p.checksum, p.expectedChecksum);
        EXPECT_EQ(p.bytesMoved, p.footprintBytes * static_cast<std::uint64_t>(p.repetitions));
        EXPECT_LE(p.footprintBytes, 2u * 1024 * 1024);
        EXPECT_GT(p.footprintBytes, 32u * 1024);
        EXPECT_EQ(p.timing.runs, 3);
        EXPECT_LE(p.timing.p10Seconds, p.timing.medianSeconds);
        EXPECT_LE(p.timing.medianSeconds, p.timing.p90Seconds);
    }
}

TEST(Bandwidth, TinyFootprintsForManyThreadsAreSkippedNotFaked) {
    const auto topo = rooflab::topology::detectTopology();
    BandwidthOptions options;
    options.kernels = {StreamKernel::Triad};
    options.threadCounts = {1};
    options.footprintsBytes = {1024}; // below one 512 B block per array
    options.runs = 1;
    EXPECT_TRUE(runBandwidth(options, topo).empty());
}

TEST(Bandwidth, RejectsBadOptions) {
    const auto topo = rooflab::topology::detectTopology();
    BandwidthOptions options;
    options.footprintsBytes = {65536};
    options.threadCounts = {0};
    EXPECT_THROW(runBandwidth(options, topo), rooflab::InputError);
    options.threadCounts = {1};
    options.kernels.clear();
    EXPECT_THROW(runBandwidth(options, topo), rooflab::InputError);
    EXPECT_THROW(parseStreamKernel("scale"), rooflab::InputError);
    EXPECT_EQ(parseStreamKernel("copy"), StreamKernel::Copy);
}

TEST(Bandwidth, SweepIsGeometricAndCoversTheRange) {
    const auto sizes = footprintSweep(4096, 4096u << 10, 2);
    ASSERT_EQ(sizes.size(), 21u);
    EXPECT_EQ(sizes.front(), 4096u);
    EXPECT_EQ(sizes.back(), 4096u << 10);
    for (std::size_t i = 1; i < sizes.size(); ++i) {
        EXPECT_GT(sizes[i], sizes[i - 1]);
        EXPECT_NEAR(static_cast<double>(sizes[i]) / static_cast<double>(sizes[i - 1]), std::sqrt(2.0), 0.01);
    }
    EXPECT_THROW(footprintSweep(0, 10, 1), rooflab::InputError);
}

TEST(Bandwidth, SampleTimeIsTheSlowestThreadsOwnKernelTime) {
    // A sample's time excludes the closing barrier: a thread that sleeps after its kernel (a descheduled vCPU)
    // must not lengthen it, while the slowest thread's kernel time must.
    rooflab::cpu::ThreadTeam team(2, {});
    rooflab::cpu::SampleClock clock(2);
    team.run([&](int tid) {
        team.barrier().wait();
        const auto t0 = std::chrono::steady_clock::now();
        if (tid == 1)
            std::this_thread::sleep_for(std::chrono::milliseconds(20)); // the slow kernel
        clock.set(tid, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        if (tid == 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(60)); // late into the barrier: not timed
        team.barrier().wait();
    });
    EXPECT_GE(clock.slowest(), 0.020);
    EXPECT_LT(clock.slowest(), 0.055);
}
