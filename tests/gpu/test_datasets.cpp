// The committed Hopper measurements (datasets/hopper/<card>/) keep the column layout the calibration engine
// reads, carry provenance, and their kernel traces classify into the model's operator classes.
#include "profilers/gpu/trace/formats.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace rooflab::gpu;

namespace {
fs::path hopperDir() { return fs::path(ROOFLAB_SOURCE_DIR) / "datasets" / "hopper"; }

std::vector<fs::path> cardDirs() {
    std::vector<fs::path> out;
    if (!fs::is_directory(hopperDir()))
        return out;
    for (const auto& e : fs::directory_iterator(hopperDir()))
        if (e.is_directory() && fs::exists(e.path() / "provenance.json"))
            out.push_back(e.path());
    return out;
}
} // namespace

TEST(HopperDatasets, EveryCsvMatchesItsSchemaAndHasRows) {
    const auto dirs = cardDirs();
    if (dirs.empty())
        GTEST_SKIP() << "no datasets/hopper/<card>/provenance.json in this checkout";
    int files = 0;
    for (const auto& dir : dirs) {
        for (const auto& e : fs::directory_iterator(dir)) {
            const std::string stem = e.path().stem().string();
            if (e.path().extension() != ".csv")
                continue;
            // e2e_<session>.csv (more sessions of the e2e set) follow e2e.csv's schema.
            const std::string kind = stem.rfind("trace_", 0) == 0 ? "trace" : stem.rfind("e2e_", 0) == 0 ? "e2e" : stem;
            if (!measurementSchemas().count(kind))
                continue; // side files (torch_baseline.csv, counters.csv)
            const CsvTable t = readCsvFile(e.path().string());
            EXPECT_EQ(validateSchema(kind, t), "") << e.path();
            EXPECT_FALSE(t.rows.empty()) << e.path();
            ++files;
        }
        std::ifstream pf(dir / "provenance.json");
        const auto j = nlohmann::json::parse(pf);
        const auto p = j.get<Provenance>();
        EXPECT_FALSE(p.card.empty()) << dir;
        EXPECT_EQ(p.smCount, 132) << dir;
        EXPECT_FALSE(p.driver.empty()) << dir;
        EXPECT_FALSE(p.date.empty()) << dir;
        EXPECT_TRUE(fs::exists(dir / "SOURCE.md")) << dir;
    }
    EXPECT_GT(files, 5);
}

TEST(HopperDatasets, TracesClassifyMostKernelTime) {
    int traces = 0;
    for (const auto& dir : cardDirs()) {
        for (const auto& e : fs::directory_iterator(dir)) {
            if (e.path().filename().string().rfind("trace_", 0) != 0)
                continue;
            std::ifstream f(e.path());
            const auto kernels = readTrace(f);
            ASSERT_FALSE(kernels.empty()) << e.path();
            uint64_t total = 0, other = 0;
            for (const auto& k : kernels) {
                total += k.durationNs();
                // The stored class is what the classifier says today.
                EXPECT_EQ(k.cls, classifyKernel(k.name)) << k.name;
                if (k.cls == KernelClass::Other)
                    other += k.durationNs();
            }
            EXPECT_LT(static_cast<double>(other), 0.02 * static_cast<double>(total)) << e.path();
            const auto byClass = timeByClass(kernels);
            EXPECT_TRUE(byClass.count(KernelClass::Gemm)) << e.path();
            EXPECT_TRUE(byClass.count(KernelClass::Attention)) << e.path();
            EXPECT_TRUE(byClass.count(KernelClass::Norm)) << e.path();
            ++traces;
        }
    }
    if (traces == 0)
        GTEST_SKIP() << "no trace_*.csv under datasets/hopper";
}

TEST(HopperDatasets, E2eCasesNameTheirModelAndCard) {
    int rows = 0;
    for (const auto& dir : cardDirs()) {
        for (const auto& e : fs::directory_iterator(dir)) {
            const std::string name = e.path().filename().string();
            if (name.rfind("e2e", 0) != 0 || e.path().extension() != ".csv")
                continue;
            const CsvTable t = readCsvFile(e.path().string());
            const size_t model = *t.column("model"), card = *t.column("card"), measured = *t.column("measured_s"),
                         stack = *t.column("stack");
            for (const auto& r : t.rows) {
                const fs::path preset = fs::path(ROOFLAB_SOURCE_DIR) / "resources" / "models" / (r[model] + ".yaml");
                EXPECT_TRUE(fs::exists(preset) || fs::exists(fs::path(ROOFLAB_SOURCE_DIR) / r[model])) << r[model];
                EXPECT_TRUE(r[card] == "h100-sxm5-80gb" || r[card] == "h200-sxm-141gb") << r[card];
                EXPECT_TRUE(fs::exists(fs::path(ROOFLAB_SOURCE_DIR) / "resources" / "stacks" / (r[stack] + ".yaml")))
                    << e.path() << ": stack " << r[stack];
                EXPECT_GT(std::stod(r[measured]), 0.0);
                ++rows;
            }
        }
    }
    if (rows == 0)
        GTEST_SKIP() << "no e2e.csv under datasets/hopper";
}
