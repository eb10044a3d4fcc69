// Tests that need a GPU: run the microbenchmarks' quick launch section and check its output. They skip, with the
// reason, on machines without a CUDA build or without a GPU (CI).
#include "profilers/gpu/trace/formats.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace fs = std::filesystem;

namespace {
[[maybe_unused]] bool haveGpu() { return fs::exists("/dev/nvidia0") || fs::exists("/dev/nvidiactl"); }
} // namespace

TEST(GpuDevice, QuickLaunchBenchmarkWritesLaunchCsv) {
#ifndef ROOFLAB_GPU_BENCH_PATH
    GTEST_SKIP() << "built without CUDA: rooflab-gpu-bench does not exist";
#else
    if (!haveGpu())
        GTEST_SKIP() << "no NVIDIA GPU on this machine (/dev/nvidia0 absent)";
    const fs::path out = fs::temp_directory_path() / "rooflab_gpu_test";
    fs::remove_all(out);
    const std::string cmd = std::string(ROOFLAB_GPU_BENCH_PATH) + " --only launch --quick --out " + out.string();
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    const auto t = rooflab::gpu::readCsvFile((out / "launch.csv").string());
    EXPECT_EQ(rooflab::gpu::validateSchema("launch", t), "");
    ASSERT_EQ(t.rows.size(), 3u);
    for (const auto& r : t.rows) {
        const double s = std::stod(r[1]);
        EXPECT_GT(s, 1e-8) << r[0];
        EXPECT_LT(s, 1e-3) << r[0];
    }
    EXPECT_TRUE(fs::exists(out / "provenance.json"));
#endif
}

TEST(GpuDevice, InjectionLibraryExistsWhenCudaIsBuilt) {
#ifndef ROOFLAB_CUPTI_INJECT_PATH
    GTEST_SKIP() << "built without CUDA: librooflab_cupti_inject.so does not exist";
#else
    EXPECT_TRUE(fs::exists(ROOFLAB_CUPTI_INJECT_PATH));
#endif
}
