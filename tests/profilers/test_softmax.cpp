#include "model/units/errors.hpp"
#include "profilers/cpu/softmax.hpp"

#include <cmath>
#include <gtest/gtest.h>
#include <vector>

using namespace rooflab::cpu;

namespace {
std::vector<float> inputs(std::size_t n) {
    std::vector<float> x(n);
    for (std::size_t i = 0; i < n; ++i)
        x[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)) * 20.0 - 3.0);
    return x;
}
} // namespace

TEST(Softmax, EveryUsableIsaMatchesTheDoubleReference) {
    const std::size_t n = 64 * 37;
    const std::vector<float> x = inputs(n);
    double mx = -1e30;
    for (float v : x)
        mx = std::max(mx, static_cast<double>(v));
    double sum = 0;
    for (float v : x)
        sum += std::exp(v - mx);
    const std::vector<std::string> isas = usableVectorIsas();
    ASSERT_FALSE(isas.empty());
    EXPECT_EQ(isas.back(), "sse2");
    for (const auto& isa : isas)
        for (VectorKernel k : {VectorKernel::Softmax3Pass, VectorKernel::Softmax2Pass}) {
            SCOPED_TRACE(isa + " " + vectorKernelName(k));
            std::vector<float> y(n, -1.0f);
            detail::softmaxRow(isa, k, x.data(), y.data(), n);
            double rowSum = 0;
            for (std::size_t i = 0; i < n; ++i) {
                const double ref = std::exp(x[i] - mx) / sum;
                // fp32 x - max carries ~|x - max| x 6e-8 absolute error into the exponent: 1e-5 relative at |x - max|
                // ~ 40.
                EXPECT_NEAR(y[i], ref, 1e-5 * ref + 1e-30) << i;
                rowSum += y[i];
            }
            EXPECT_NEAR(rowSum, 1.0, 1e-5);
        }
}

TEST(Softmax, ReductionMatchesTheExactSum) {
    const std::size_t n = 64 * 101;
    std::vector<float> x(n);
    double exact = 0;
    for (std::size_t i = 0; i < n; ++i) {
        x[i] = static_cast<float>(i % 17) * 0.25f - 2.0f; // exact in fp32, partial sums too
        exact += x[i];
    }
    for (const auto& isa : usableVectorIsas())
        EXPECT_EQ(static_cast<double>(detail::sumRow(isa, x.data(), n)), exact) << isa;
}

TEST(Softmax, SweepGivesVerifiedPointsWithStreamByteCounts) {
    const auto topo = rooflab::topology::detectTopology();
    VectorKernelOptions options;
    options.threadCounts = {1};
    if (topo.pus > 1)
        options.threadCounts.push_back(2);
    options.footprintsBytes = {64 * 1024, 1024 * 1024};
    options.runs = 3;
    options.minSampleSeconds = 2e-4;
    const auto points = runVectorKernels(options, topo);
    ASSERT_EQ(points.size(), options.threadCounts.size() * usableVectorIsas().size() * 3 * 2);
    for (const auto& p : points) {
        SCOPED_TRACE(std::string(vectorKernelName(p.kernel)) + " " + p.isa + " x" + std::to_string(p.threads) + " " +
                     std::to_string(p.footprintBytes));
        EXPECT_TRUE(p.verified) << p.maxRelError << " " << p.sumRelError;
        EXPECT_GT(p.bytesPerSecond, 1e8);
        EXPECT_EQ(p.bytesMoved, static_cast<std::uint64_t>(vectorKernelBytesPerElement(p.kernel)) * p.elements *
                                    static_cast<std::uint64_t>(p.repetitions));
        EXPECT_EQ(p.footprintBytes, p.elements * 4u * static_cast<std::uint64_t>(vectorKernelArrays(p.kernel)));
        EXPECT_EQ(p.elements % (64u * static_cast<std::uint64_t>(p.threads)), 0u);
        EXPECT_LE(p.timing.medianSeconds, p.timing.p90Seconds);
    }
}

TEST(Softmax, RejectsUnknownIsaAndBadOptions) {
    const auto topo = rooflab::topology::detectTopology();
    VectorKernelOptions options;
    options.footprintsBytes = {65536};
    options.isas = {"neon"};
    EXPECT_THROW(runVectorKernels(options, topo), rooflab::InputError);
    options.isas.clear();
    options.threadCounts = {0};
    EXPECT_THROW(runVectorKernels(options, topo), rooflab::InputError);
    options.threadCounts = {1};
    options.kernels.clear();
    EXPECT_THROW(runVectorKernels(options, topo), rooflab::InputError);
    EXPECT_THROW(detail::softmaxRow("sse2", VectorKernel::Softmax3Pass, nullptr, nullptr, 65), rooflab::InputError);
}
