#include "model/units/errors.hpp"
#include "profilers/cpu/suite.hpp"

#include <fstream>
#include <gtest/gtest.h>

using namespace rooflab::cpu;

namespace {
std::string firstLine(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}
} // namespace

TEST(Suite, QuickRunWritesTheDatasetFormat) {
    CpuSuiteOptions options;
    options.quick = true;
    options.maxThreads = 1;
    options.maxFootprintBytes = 256 * 1024;
    options.command = "test";
    const CpuSuiteResult result = runCpuSuite(options);
    EXPECT_EQ(result.threadCounts, std::vector<int>{1});
    EXPECT_FALSE(result.bandwidth.empty());
    EXPECT_FALSE(result.latency.empty());
    EXPECT_FALSE(result.flops.empty());
    EXPECT_FALSE(result.levelBandwidth.empty());
    const auto dir = std::filesystem::temp_directory_path() / ("rooflab_suite_test_" + std::to_string(getpid()));
    const auto files = writeCpuDataset(result, options, dir);
    EXPECT_EQ(files.size(), 8u); // one thread: no smt.csv (the SMT probe needs two)
    EXPECT_FALSE(result.vectorKernels.empty());
    EXPECT_EQ(
        firstLine(dir / "softmax.csv"),
        "kernel,isa,threads,elements,footprint_bytes,bytes_moved,repetitions,median_s,p10_s,p90_s,runs,bytes_per_s,"
        "elements_per_s,max_rel_error,sum_rel_error,verified");
    EXPECT_EQ(firstLine(dir / "reduction.csv"), firstLine(dir / "softmax.csv"));
    EXPECT_EQ(firstLine(dir / "bandwidth.csv"),
              "kernel,threads,footprint_bytes,bytes_moved,median_s,p10_s,p90_s,runs,bytes_per_s");
    EXPECT_EQ(firstLine(dir / "latency.csv"), "footprint_bytes,ns,cycles_estimate,level");
    EXPECT_EQ(firstLine(dir / "flops.csv"), "isa,dtype,threads,median_s,flop,flop_per_s");
    std::ifstream prov(dir / "provenance.json");
    const auto j = nlohmann::json::parse(prov);
    for (const char* key : {"cpu", "cores", "threads", "date", "compiler", "flags", "host", "tool", "command"})
        EXPECT_TRUE(j.contains(key)) << key;
    EXPECT_FALSE(formatSuiteSummary(result).empty());
    std::filesystem::remove_all(dir);
}

TEST(Suite, OnlyListSelectsAndRejects) {
    CpuSuiteOptions options;
    applyOnlyList(options, "latency,flops");
    EXPECT_FALSE(options.bandwidth);
    EXPECT_TRUE(options.latency);
    EXPECT_TRUE(options.flops);
    EXPECT_FALSE(options.softmax);
    EXPECT_FALSE(options.reduction);
    applyOnlyList(options, "softmax,reduction");
    EXPECT_TRUE(options.softmax && options.reduction);
    EXPECT_FALSE(options.bandwidth || options.latency || options.flops || options.smt);
    applyOnlyList(options, "smt");
    EXPECT_TRUE(options.smt);
    EXPECT_FALSE(options.bandwidth || options.latency || options.flops || options.softmax || options.reduction);
    EXPECT_THROW(applyOnlyList(options, "latency,gpu"), rooflab::InputError);
    EXPECT_THROW(applyOnlyList(options, "bandwidth,"), rooflab::InputError);
    applyOnlyList(options, "");
    EXPECT_TRUE(options.bandwidth && options.latency && options.flops && options.softmax && options.reduction &&
                options.smt);
}

TEST(Suite, RejectsTooManyThreads) {
    CpuSuiteOptions options;
    options.maxThreads = 100000;
    EXPECT_THROW(runCpuSuite(options), rooflab::InputError);
}

TEST(Suite, DefaultThreadCountsDoubleUpToAll) {
    rooflab::topology::Topology t;
    t.cores = 8;
    EXPECT_EQ(defaultThreadCounts(t, 16), (std::vector<int>{1, 2, 4, 8, 16}));
    t.cores = 6;
    EXPECT_EQ(defaultThreadCounts(t, 12), (std::vector<int>{1, 2, 4, 6, 8, 12}));
    EXPECT_EQ(defaultThreadCounts(t, 1), (std::vector<int>{1}));
}
