#include "model/units/errors.hpp"
#include "profilers/cpu/cpuinfo.hpp"

#include <algorithm>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>

using namespace rooflab::cpu;

namespace {
std::vector<std::string> procFlags() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("flags", 0) == 0) {
            std::istringstream words(line.substr(line.find(':') + 1));
            std::vector<std::string> flags;
            std::string w;
            while (words >> w)
                flags.push_back(w);
            return flags;
        }
    return {};
}
bool has(const std::vector<std::string>& flags, const std::string& f) {
    return std::find(flags.begin(), flags.end(), f) != flags.end();
}
} // namespace

TEST(CpuInfo, IsaDetectionMatchesProcCpuinfo) {
    const auto flags = procFlags();
    if (flags.empty())
        GTEST_SKIP() << "/proc/cpuinfo has no flags line";
    const CpuInfo info = detectCpuInfo();
    const IsaFeatures& f = info.isa;
    // Linux lists a feature when the CPU has it and the kernel enabled its state: compare what we may execute.
    EXPECT_EQ(has(flags, "avx2"), f.avx2 && f.osAvx);
    EXPECT_EQ(has(flags, "fma"), f.fma && f.osAvx);
    EXPECT_EQ(has(flags, "avx512f"), f.avx512f && f.osAvx512);
    EXPECT_EQ(has(flags, "avx512_bf16"), f.avx512bf16 && f.osAvx512);
    EXPECT_EQ(has(flags, "amx_tile"), f.amxTile && f.osAmx);
    EXPECT_EQ(has(flags, "amx_bf16"), f.amxBf16 && f.osAmx);
    EXPECT_EQ(has(flags, "amx_int8"), f.amxInt8 && f.osAmx);
    EXPECT_EQ(has(flags, "hypervisor"), info.hypervisor);
    EXPECT_EQ(isaUsable(f, Isa::Avx2Fma), has(flags, "avx2") && has(flags, "fma"));
    EXPECT_EQ(isaUsable(f, Isa::Avx512Fma), has(flags, "avx512f"));
    EXPECT_TRUE(isaUsable(f, Isa::Scalar));
    EXPECT_EQ(info.procFlags, flags);
}

TEST(CpuInfo, IdentityMatchesProcCpuinfo) {
    const CpuInfo info = detectCpuInfo();
    EXPECT_TRUE(info.vendor == "GenuineIntel" || info.vendor == "AuthenticAMD") << info.vendor;
    EXPECT_FALSE(info.modelName.empty());
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("model name", 0) == 0) {
            std::string proc = line.substr(line.find(':') + 2);
            EXPECT_EQ(proc, info.modelName);
            break;
        }
    EXPECT_GT(info.family, 0);
    EXPECT_GE(info.logicalCpus, 1);
}

TEST(CpuInfo, UnusableIsaHasReason) {
    const CpuInfo info = detectCpuInfo();
    for (Isa isa : allIsas()) {
        const std::string reason = isaUnusableReason(info.isa, isa);
        EXPECT_EQ(reason.empty(), isaUsable(info.isa, isa)) << isaName(isa);
    }
    if (!info.isa.amxTile) {
        EXPECT_FALSE(info.isa.amxPermissionReason.empty());
    }
}

TEST(CpuInfo, IsaNamesRoundTripAndRejectUnknown) {
    for (Isa isa : allIsas())
        EXPECT_EQ(parseIsa(isaName(isa)), isa);
    EXPECT_THROW(parseIsa("avx1024"), rooflab::InputError);
}

TEST(CpuInfo, MeasuredClockIsPlausible) {
    const double hz = measureCoreFrequencyHz(0.02);
    EXPECT_GT(hz, 0.3e9);
    EXPECT_LT(hz, 8e9);
}

TEST(CpuInfo, JsonHasIsaAndBenchmarkUsability) {
    const auto j = toJson(detectCpuInfo());
    EXPECT_TRUE(j.contains("model_name"));
    EXPECT_EQ(j["benchmark_isas"]["scalar"], "yes");
    EXPECT_TRUE(j["isa"].contains("amx_permission"));
}
