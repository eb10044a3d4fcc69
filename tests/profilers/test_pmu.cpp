#include "profilers/cpu/pmu.hpp"

#include <chrono>
#include <ctime>
#include <gtest/gtest.h>

using namespace rooflab::cpu;

namespace {
double busyLoop(double seconds) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    volatile double x = 1.0;
    while (std::chrono::steady_clock::now() < end)
        for (int i = 0; i < 1000; ++i)
            x = x * 1.0000001 + 1e-9;
    return x;
}
} // namespace

TEST(Pmu, ProbeExplainsMissingHardwareCounters) {
    const PmuCapabilities caps = probePmu();
    if (!caps.hardwareCounters) {
        EXPECT_FALSE(caps.hardwareReason.empty());
        EXPECT_NE(caps.hardwareReason.find("perf_event_open"), std::string::npos) << caps.hardwareReason;
    }
    if (!caps.uncoreMemory) {
        EXPECT_FALSE(caps.uncoreReason.empty());
    }
    for (const auto& e : caps.events)
        EXPECT_EQ(e.available, e.reason.empty()) << e.name << ": " << e.reason;
    const auto j = toJson(caps);
    EXPECT_TRUE(j.contains("hardware_reason"));
}

TEST(Pmu, SoftwareTaskClockCounts) {
    const PmuCapabilities caps = probePmu();
    if (!caps.softwareEvents)
        GTEST_SKIP() << "software events unavailable: " << caps.softwareReason;
    PmuCounters counters = PmuCounters::create({"task-clock", "page-faults"});
    ASSERT_FALSE(counters.empty());
    // task-clock counts this thread's CPU time, which on a loaded machine can be far below the wall time: compare
    // it with the CPU time the thread itself measured over the same loop.
    timespec t0{}, t1{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    counters.start();
    busyLoop(0.03);
    counters.stop();
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
    const double cpuNs = double(t1.tv_sec - t0.tv_sec) * 1e9 + double(t1.tv_nsec - t0.tv_nsec);
    const auto readings = counters.read();
    ASSERT_EQ(readings.size(), counters.names().size());
    EXPECT_EQ(readings[0].name, "task-clock");
    EXPECT_GT(readings[0].value, 0.5 * cpuNs) << "thread CPU time " << cpuNs << " ns";
    EXPECT_LT(readings[0].value, 1.5 * cpuNs + 1e6) << "thread CPU time " << cpuNs << " ns";
}

TEST(Pmu, HardwareCyclesCount) {
    const PmuCapabilities caps = probePmu();
    if (!caps.hardwareCounters)
        GTEST_SKIP() << caps.hardwareReason;
    PmuCounters counters = PmuCounters::create({"cycles", "instructions"});
    ASSERT_EQ(counters.names().size(), 2u);
    counters.start();
    busyLoop(0.02);
    counters.stop();
    for (const auto& r : counters.read())
        EXPECT_GT(r.value, 1e6) << r.name;
}

TEST(Pmu, RooflineVendorEventsCountOrSayWhy) {
    const PmuCapabilities caps = probePmu();
    const auto names = rooflineEventNames();
    if (names.empty())
        GTEST_SKIP() << "no vendor event list for this CPU";
    PmuCounters counters = PmuCounters::create(names);
    EXPECT_EQ(counters.names().size() + counters.unavailable().size(), names.size());
    if (!caps.hardwareCounters) {
        EXPECT_TRUE(counters.empty());
        for (const auto& u : counters.unavailable())
            EXPECT_FALSE(u.reason.empty()) << u.name;
        GTEST_SKIP() << "vendor events unavailable: " << caps.hardwareReason;
    }
}

TEST(Pmu, UnknownEventDegradesInsteadOfThrowing) {
    PmuCounters counters = PmuCounters::create({"NO_SUCH_EVENT.AT_ALL"});
    EXPECT_TRUE(counters.empty());
    ASSERT_EQ(counters.unavailable().size(), 1u);
    EXPECT_FALSE(counters.unavailable()[0].reason.empty());
    counters.start(); // harmless on an empty set
    counters.stop();
    EXPECT_TRUE(counters.read().empty());
}
