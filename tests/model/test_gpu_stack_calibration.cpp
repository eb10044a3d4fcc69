// rooflab calibrate gpu-stack (issue 21): a GPU framework's stack constants from its single-op microbenchmarks.
#include "analysis/ops.hpp"
#include "analysis/platform_model.hpp"
#include "calibration/gpu_stack_calibration.hpp"
#include "io/data_paths.hpp"
#include "io/files.hpp"
#include "io/platform_loader.hpp"
#include "io/stack_loader.hpp"
#include "units/errors.hpp"

#include <cmath>
#include <filesystem>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <tuple>

using namespace rooflab;
namespace fs = std::filesystem;

namespace {

const char* kOpsHeader =
    "op,batch,rows,cols,heads,kv_heads,head_dim,seq_k,cache_len,dtype,median_s,p10_s,p90_s,runs,note\n";

std::string row(const std::string& op, double batch, double rows, double cols, double heads, double kv, double d,
                double seq, double t) {
    std::ostringstream o;
    o.precision(9);
    o << op << "," << batch << "," << rows << "," << cols << "," << heads << "," << kv << "," << d << "," << seq << ","
      << seq << ",bf16," << t << ",,,10,\n";
    return o.str();
}

} // namespace

TEST(GpuStackCalibration, RecoversKnownPassesAndHostTimeFromSyntheticRows) {
    const Platform plat = io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb"));
    const PlatformModel pm = PlatformModel::from(plat);
    StackProfile st;
    st.name = "t";
    st.normKernels = 8;
    st.ropeKernels = 10;
    st.stridedElementwise = true;
    const double normP = 9.5, ropeP = 11.0, repP = 2.2;
    std::string ops = kOpsHeader;
    for (const double rows : {1024.0, 2048.0, 8192.0}) {
        const double b = rows * 4096 * 2;
        ops +=
            row("hf_rmsnorm", 1, rows, 4096, 0, 0, 0, 0,
                evalMemoryOp(pm, "n", OpClass::Norm, b * normP, b * normP, 4 * rows * 4096, 8, LaunchMode::Graph, 4096)
                    .timeS);
        const double rb = rows * 5120 * 2;
        ops += row("hf_rope", 1, rows, 5120, 32, 8, 128, 0,
                   evalMemoryOp(pm, "r", OpClass::Rope, rb * ropeP, rb * ropeP, rows * 5120, 10, LaunchMode::Graph, 0,
                                pm.stridedElementwiseBytesPerS)
                       .timeS);
    }
    for (const double seq : {512.0, 8192.0}) {
        const double cached = 16 * seq * 8 * 128 * 2 * 2.0;
        ops += row("attn_decode_repeat_kv_only", 16, 1, 0, 32, 8, 128, seq,
                   evalMemoryOp(pm, "k", OpClass::Attention, cached * repP, 4 * cached * repP, 0, 2, LaunchMode::Graph,
                                0, pm.stridedElementwiseBytesPerS)
                       .timeS);
    }
    // 2 layers: 100 kernels in 2 ms; 8 layers: 340 kernels in 8 ms -> 25 us per kernel (two families alike)
    const std::string host = "family,layers,kernels,median_s\na,2,100,0.002\na,8,340,0.008\n"
                             "b,2,100,0.0021\nb,8,340,0.0081\n";
    const GpuStackFit fit = fitGpuStack(plat, st, io::parseCsv(ops, "ops.csv"), io::parseCsv(host, "host_floor.csv"));
    EXPECT_NEAR(fit.normPasses, normP, 0.01 * normP);
    EXPECT_NEAR(fit.ropePasses, ropeP, 0.01 * ropeP);
    EXPECT_NEAR(fit.repeatKvPasses, repP, 0.01 * repP); // only the 8192-key row has a 64 MB+ cache
    EXPECT_NEAR(fit.hostOverheadS * pm.hostOverheadScale, 25e-6, 1e-9);
    EXPECT_GE(fit.notes.size(), 4u);

    // The writer puts each value in place, keeps the comments and appends the provenance block once.
    const std::string yaml = "version: 1\nname: t\nhost_overhead: 10 us   # fitted\npasses:\n  norm: 1  # n\n"
                             "  rope: 1\ndecode_attention:\n  repeat_kv: true\n  repeat_kv_passes: 1\n";
    const std::string once = writeGpuStackYaml(yaml, fit, "synthetic", "t.yaml");
    const std::string twice = writeGpuStackYaml(once, fit, "synthetic", "t.yaml");
    EXPECT_EQ(once, twice);
    const StackProfile back = io::loadStackString(once, "t.yaml");
    EXPECT_NEAR(back.normPasses, fit.normPasses, 1e-3 * fit.normPasses);
    EXPECT_NEAR(back.repeatKvPasses, fit.repeatKvPasses, 1e-3 * fit.repeatKvPasses);
    EXPECT_NEAR(back.hostOverheadS, fit.hostOverheadS, 1e-3 * fit.hostOverheadS);
    EXPECT_NE(once.find("# n"), std::string::npos);
    // A stack without the key to write into is refused, naming the key.
    try {
        writeGpuStackYaml("version: 1\nname: t\nhost_overhead: 1 us\npasses:\n  norm: 1\n  rope: 1\n", fit, "x",
                          "t.yaml");
        ADD_FAILURE() << "missing decode_attention.repeat_kv_passes accepted";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("decode_attention.repeat_kv_passes"), std::string::npos) << e.what();
    }
    // A fitted key this fit did not produce (no norm_kernels column: no norm_host_overhead) is refused, not kept.
    try {
        writeGpuStackYaml(std::string(yaml) + "norm_host_overhead: 9 us\n", fit, "x", "t.yaml");
        ADD_FAILURE() << "stale norm_host_overhead kept";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("t.yaml:10"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("norm_host_overhead"), std::string::npos) << e.what();
    }
}

TEST(GpuStackCalibration, NormKernelsGetTheirOwnHostTimeFromTheFamiliesSlopes) {
    // Two families: one with 16 norm kernels of 24 per layer, one with 32 of 40; norm kernels 10 us, others 30 us.
    const Platform plat = io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb"));
    const double scale = PlatformModel::from(plat).hostOverheadScale;
    StackProfile st;
    st.name = "t";
    std::ostringstream host;
    host << "family,layers,kernels,norm_kernels,median_s\n";
    for (const auto& [fam, norms, others] : {std::tuple{"a", 16, 8}, std::tuple{"b", 32, 8}})
        for (const int layers : {2, 8})
            host << fam << "," << layers << "," << 10 + layers * (norms + others) << "," << 8 + layers * norms << ","
                 << 1e-3 + layers * (norms * 10e-6 + others * 30e-6) << "\n";
    const std::string ops = std::string(kOpsHeader) + row("hf_rmsnorm", 1, 8192, 4096, 0, 0, 0, 0, 1e-3);
    const GpuStackFit fit =
        fitGpuStack(plat, st, io::parseCsv(ops, "ops.csv"), io::parseCsv(host.str(), "host_floor.csv"));
    EXPECT_NEAR(fit.normHostOverheadS * scale, 10e-6, 1e-9);
    EXPECT_NEAR(fit.hostOverheadS * scale, 30e-6, 1e-9);
}

TEST(GpuStackCalibration, RejectsTablesWithoutTheRowsOrColumnsItNeeds) {
    const Platform plat = io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb"));
    const StackProfile st = io::loadStack("hf-transformers");
    const io::CsvTable host = io::parseCsv("family,layers,kernels,median_s\na,2,100,0.002\na,8,340,0.008\n", "h.csv");
    // nothing large enough to fit
    EXPECT_THROW(
        fitGpuStack(plat, st,
                    io::parseCsv(std::string(kOpsHeader) + row("hf_rmsnorm", 1, 8, 4096, 0, 0, 0, 0, 1e-5), "o.csv"),
                    host),
        InputError);
    // a host floor with one depth per family
    EXPECT_THROW(fitGpuStack(plat, st, io::parseCsv(std::string(kOpsHeader), "o.csv"),
                             io::parseCsv("family,layers,kernels,median_s\na,2,100,0.002\n", "h.csv")),
                 InputError);
    // a missing column names the file and the column
    try {
        fitGpuStack(plat, st, io::parseCsv("op,rows\nhf_rope,8\n", "o.csv"), host);
        ADD_FAILURE() << "table without its columns accepted";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("o.csv"), std::string::npos) << e.what();
    }
}

TEST(GpuStackCalibration, RefittingTheShippedMeasurementsReproducesTheShippedStack) {
    // The shipped hf-transformers.yaml was written by
    // rooflab calibrate gpu-stack --stack hf-transformers --base h100-sxm5-80gb
    //   --ops datasets/hopper/hf-transformers/ops.csv --host-floor datasets/hopper/hf-transformers/host_floor.csv
    //   --write
    const fs::path stackFile = fs::absolute(io::findStackFile("hf-transformers"));
    const fs::path root = stackFile.parent_path().parent_path().parent_path();
    const fs::path data = root / "datasets/hopper/hf-transformers";
    if (!fs::exists(data / "ops.csv"))
        GTEST_SKIP() << "no source datasets next to " << stackFile;
    const Platform plat = io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb"));
    const StackProfile shipped = io::loadStack("hf-transformers");
    const GpuStackFit fit = fitGpuStack(plat, shipped, io::loadCsvFile((data / "ops.csv").string()),
                                        io::loadCsvFile((data / "host_floor.csv").string()));
    EXPECT_NEAR(shipped.hostOverheadS, fit.hostOverheadS, 1e-3 * fit.hostOverheadS);
    EXPECT_NEAR(shipped.normHostOverheadS, fit.normHostOverheadS, 1e-3 * fit.normHostOverheadS);
    EXPECT_GT(fit.normHostOverheadS, 0);
    EXPECT_NEAR(shipped.normPasses, fit.normPasses, 1e-3 * fit.normPasses);
    EXPECT_NEAR(shipped.ropePasses, fit.ropePasses, 1e-3 * fit.ropePasses);
    EXPECT_NEAR(shipped.repeatKvPasses, fit.repeatKvPasses, 1e-3 * fit.repeatKvPasses);
    EXPECT_NEAR(shipped.moePasses, fit.moePasses, 1e-3 * fit.moePasses);
    ASSERT_TRUE(fit.hasGroupedGemmOverlap);
    EXPECT_NEAR(shipped.groupedGemmOverlap, fit.groupedGemmOverlap, 1e-9);
    EXPECT_NEAR(shipped.groupedGemmDramFraction, fit.groupedGemmDramFraction, 1e-9);
    EXPECT_LT(fit.groupedGemmOverlap, 1.0); // the measured grouped GEMMs are slower than their roofline
}
