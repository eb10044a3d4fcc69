#include "analysis/ops.hpp"
#include "calibration/calibrate.hpp"
#include "calibration/validation.hpp"
#include "io/data_paths.hpp"
#include "io/errors.hpp"
#include "io/model_loader.hpp"
#include "io/platform_loader.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

using namespace rooflab;
namespace fs = std::filesystem;

namespace {

/// Writes a synthetic GEMM sweep produced by a known platform, then checks that calibration recovers it.
struct SyntheticDir {
    fs::path dir;
    SyntheticDir() {
        dir = fs::temp_directory_path() / "rooflab-calib-test";
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    ~SyntheticDir() { fs::remove_all(dir); }
};

} // namespace

TEST(Calibration, RecoversKnownGemmFractionAndOverhead) {
    const Platform base = io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb"));
    // The "true" machine: the base with a known GEMM fraction and fixed kernel time.
    Platform truth = base;
    PlatformModel pm = PlatformModel::from(truth);
    pm.gemmFraction[static_cast<std::size_t>(DType::bf16)] = 0.72;
    pm.kernelOverheadS = 3.5e-6;
    pm.smallMHalf = 0;
    SyntheticDir tmp;
    {
        std::ofstream g(tmp.dir / "gemm.csv");
        g << "m,n,k,dtype,layout,median_s,p10_s,p90_s,runs,flop_per_s,algo\n";
        std::mt19937 rng(3);
        for (int m : {1, 8, 64, 256, 1024, 4096, 8192})
            for (int nk : {1024, 4096, 8192}) {
                const OpResult r = evalGemm(pm, "g", m, nk, 4096, DType::bf16, DType::bf16, DType::bf16, LaunchMode::Graph);
                g << m << "," << nk << ",4096,bf16,tn," << r.timeS << "," << r.timeS << "," << r.timeS << ",5,0,x\n";
            }
    }
    const CalibrationResult res = calibrateGpu(base, {tmp.dir.string()}, "2026-11-27");
    const PlatformModel fitted = PlatformModel::from(res.platform);
    EXPECT_NEAR(fitted.gemmFraction[static_cast<std::size_t>(DType::bf16)], 0.72, 0.02);
    EXPECT_NEAR(fitted.kernelOverheadS, 3.5e-6, 0.5e-6);
    // Every fitted value carries a fitted source with its error.
    const Value& v = res.platform.efficiency.gemmPeakFraction[static_cast<std::size_t>(DType::bf16)];
    ASSERT_TRUE(v.present);
    ASSERT_TRUE(res.platform.sources.count(v.source));
    EXPECT_EQ(res.platform.sources.at(v.source).kind, SourceKind::Fitted);
    EXPECT_LT(res.platform.sources.at(v.source).fitErrorPct, 3.0);
    // Missing inputs are reported, not fatal.
    EXPECT_FALSE(res.notes.empty());
    // The calibrated platform writes and loads like any platform.
    const std::string out = (tmp.dir / "cal.yaml").string();
    io::savePlatformFile(res.platform, out);
    EXPECT_EQ(io::loadPlatformFile(out).name, base.name);
}

TEST(Calibration, RejectsMissingFolder) {
    const Platform base = io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb"));
    EXPECT_THROW(calibrateGpu(base, {"/no/such/folder"}, "2026-11-27"), InputError);
}

TEST(Validation, ErrorStatistics) {
    const ErrorStats s = errorStats({10.0, -20.0, 5.0, -5.0});
    EXPECT_DOUBLE_EQ(s.mapePct, 10.0);
    EXPECT_DOUBLE_EQ(s.biasPct, -2.5);
    EXPECT_DOUBLE_EQ(s.maxAbsPct, 20.0);
    EXPECT_DOUBLE_EQ(s.within10Pct, 75.0);
}

TEST(Validation, E2eRowsPredictedAndBadRowsReported) {
    const PlatformModel pm = PlatformModel::from(io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb")));
    const io::CsvTable t = io::parseCsv("id,model,phase,batch,prompt,context,tp,measured_s\n"
                                        "a,llama-3.1-8b,decode,8,0,2048,1,0.0085\n"
                                        "b,llama-3.1-8b,sideways,8,0,2048,1,0.0085\n"
                                        "c,llama-3.1-8b,decode,8,0,2048,3,0.0085\n",
                                        "mini.csv");
    LlmArch arch = io::loadModel("llama-3.1-8b");
    StackProfile stack = StackProfile::defaultProfile();
    const ValidationReport r = validateDataset(
        pm, t, [&](const std::string&) -> const LlmArch& { return arch; },
        [&](const std::string&) -> const StackProfile& { return stack; });
    EXPECT_EQ(r.kind, "e2e");
    ASSERT_EQ(r.rows.size(), 3u);
    EXPECT_TRUE(r.rows[0].error.empty());
    EXPECT_GT(r.rows[0].predictedS, 0);
    EXPECT_NE(r.rows[1].error.find("mini.csv:3"), std::string::npos) << r.rows[1].error;
    EXPECT_NE(r.rows[2].error.find("tp 3"), std::string::npos) << r.rows[2].error;
    EXPECT_EQ(r.failed, 2u);
    EXPECT_EQ(r.overall.n, 1u);
}
