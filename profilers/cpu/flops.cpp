#include "profilers/cpu/flops.hpp"

#include "model/units/errors.hpp"
#include "profilers/cpu/flops_kernels.hpp"
#include "profilers/cpu/input_error.hpp"
#include "profilers/cpu/thread_team.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace rooflab::cpu {
namespace {

using Clock = std::chrono::steady_clock;

struct KernelEntry {
    FlopsKernelInfo info;
    double (*fn)(std::uint64_t);
    std::uint64_t maxIterationsPerCall; ///< keeps accumulators exact (bf16/int8 checks)
    int lanes;                          ///< for the analytic checksum of multiply-add chains
    double (*expected)(std::uint64_t iterations, int lanes);
};

double expectedChains(std::uint64_t iterations, int lanes) {
    // x_{k+1} = m x_k + c from x_0 = chainStart(i), with fixed point c / (1 - m) = 1.
    const double fixedPoint = detail::kAdd / (1.0 - detail::kMul);
    const double decay = std::pow(detail::kMul, static_cast<double>(iterations));
    double sum = 0;
    for (int i = 0; i < detail::kAccumulators; ++i)
        sum += fixedPoint + (detail::chainStart(i) - fixedPoint) * decay;
    return sum * lanes;
}
double expectedBf16(std::uint64_t iterations, int lanes) {
    const double starts = detail::kAccumulators * (detail::kAccumulators - 1) / 2.0; // 0 + 1 + … + 11
    return (starts + 0.5 * static_cast<double>(iterations) * detail::kAccumulators) * lanes;
}
double expectedAmxBf16(std::uint64_t iterations, int) {
    return 4.0 * 256.0 * 32.0 * static_cast<double>(iterations);
}
double expectedAmxInt8(std::uint64_t iterations, int) {
    return 4.0 * 256.0 * 64.0 * static_cast<double>(iterations);
}

constexpr std::uint64_t kUnbounded = ~std::uint64_t{0};

std::vector<KernelEntry> kernelTable(const IsaFeatures& f) {
    std::vector<KernelEntry> table;
    if (f.fma && f.osAvx)
        table.push_back(
            {{Isa::Scalar, "fp64", "vfmadd231sd", 2.0}, detail::scalarFmaF64, kUnbounded, 1, expectedChains});
    else
        table.push_back(
            {{Isa::Scalar, "fp64", "mulsd+addsd", 2.0}, detail::scalarMulAddF64, kUnbounded, 1, expectedChains});
    table.push_back(
        {{Isa::Avx2Fma, "fp64", "vfmadd231pd ymm", 8.0}, detail::avx2FmaF64, kUnbounded, 4, expectedChains});
    table.push_back(
        {{Isa::Avx2Fma, "fp32", "vfmadd231ps ymm", 16.0}, detail::avx2FmaF32, kUnbounded, 8, expectedChains});
    table.push_back(
        {{Isa::Avx512Fma, "fp64", "vfmadd231pd zmm", 16.0}, detail::avx512FmaF64, kUnbounded, 8, expectedChains});
    table.push_back(
        {{Isa::Avx512Fma, "fp32", "vfmadd231ps zmm", 32.0}, detail::avx512FmaF32, kUnbounded, 16, expectedChains});
    table.push_back({{Isa::Avx512Bf16, "bf16", "vdpbf16ps zmm", 64.0},
                     detail::avx512DpBf16,
                     std::uint64_t{1} << 22,
                     16,
                     expectedBf16});
    table.push_back({{Isa::AmxBf16, "bf16", "tdpbf16ps", 2.0 * 16 * 16 * 32},
                     detail::amxBf16,
                     std::uint64_t{1} << 18,
                     1,
                     expectedAmxBf16});
    table.push_back({{Isa::AmxInt8, "int8", "tdpbssd", 2.0 * 16 * 16 * 64},
                     detail::amxInt8,
                     std::uint64_t{1} << 18,
                     1,
                     expectedAmxInt8});
    return table;
}

/// One loop iteration issues one instruction per chain (12), or 4 tile products for AMX.
double instructionsPerIteration(Isa isa) {
    return (isa == Isa::AmxBf16 || isa == Isa::AmxInt8) ? 4.0 : static_cast<double>(detail::kAccumulators);
}

/// Runs `iterations` in calls of at most maxPerCall; returns (checksum sum, expected sum).
std::pair<double, double> runChunked(const KernelEntry& e, std::uint64_t iterations) {
    double sum = 0, expected = 0;
    while (iterations > 0) {
        const std::uint64_t chunk = std::min(iterations, e.maxIterationsPerCall);
        sum += e.fn(chunk);
        expected += e.expected(chunk, e.lanes);
        iterations -= chunk;
    }
    return {sum, expected};
}

} // namespace

std::vector<FlopsKernelInfo> flopsKernels() {
    std::vector<FlopsKernelInfo> out;
    for (const auto& e : kernelTable(detectCpuInfo().isa))
        out.push_back(e.info);
    return out;
}

std::vector<FlopsPoint> runFlops(const FlopsOptions& options, const topology::Topology& topology, const CpuInfo& cpu) {
    for (int t : options.threadCounts)
        if (t < 1)
            throwInputError("threads", "thread count must be >= 1, got " + std::to_string(t));
    if (options.runs < 1)
        throwInputError("runs", "runs must be >= 1");
    std::vector<FlopsPoint> points;
    std::vector<KernelEntry> selected;
    for (const auto& e : kernelTable(cpu.isa))
        if (std::find(options.isas.begin(), options.isas.end(), e.info.isa) != options.isas.end())
            selected.push_back(e);
    const double total = static_cast<double>(selected.size() * options.threadCounts.size());
    double step = 0;
    for (int threads : options.threadCounts) {
        ThreadTeam team(threads, topology.pinOrder);
        for (const auto& e : selected) {
            step += 1;
            FlopsPoint point;
            point.isa = e.info.isa;
            point.dtype = e.info.dtype;
            point.threads = threads;
            point.instruction = e.info.instruction;
            const std::string reason = isaUnusableReason(cpu.isa, e.info.isa);
            if (!reason.empty()) {
                point.status = "skipped: " + reason;
                points.push_back(point);
                continue;
            }
            if (options.progress)
                options.progress(std::string("flops ") + isaName(e.info.isa) + " " + e.info.dtype + ", " +
                                     std::to_string(threads) + " thread" + (threads == 1 ? "" : "s"),
                                 step / total);
            std::uint64_t iterations = 1000;
            int samples = 1;
            std::vector<double> times;
            SampleClock clock(threads);
            std::vector<char> ok(static_cast<std::size_t>(threads), 1);
            auto job = [&](int tid) {
                for (int s = 0; s < samples; ++s) {
                    team.barrier().wait();
                    const auto t0 = Clock::now();
                    const auto [sum, expected] = runChunked(e, iterations);
                    clock.set(tid, std::chrono::duration<double>(Clock::now() - t0).count());
                    team.barrier().wait();
                    if (tid == 0)
                        times[static_cast<std::size_t>(s)] = clock.slowest();
                    const double tolerance = e.info.dtype == "fp32" ? 1e-4 : 1e-9;
                    if (!(std::abs(sum - expected) <= tolerance * std::abs(expected) + 1e-12))
                        ok[static_cast<std::size_t>(tid)] = 0;
                }
            };
            // Calibrate: grow the iteration count until one sample lasts about sampleSeconds.
            times.assign(1, 0.0);
            for (int attempt = 0; attempt < 20; ++attempt) {
                team.run(job);
                if (times[0] >= options.sampleSeconds * 0.5)
                    break;
                const double scale = std::clamp(options.sampleSeconds / std::max(times[0], 1e-7), 2.0, 100.0);
                iterations = static_cast<std::uint64_t>(static_cast<double>(iterations) * scale);
            }
            iterations =
                static_cast<std::uint64_t>(static_cast<double>(iterations) *
                                           std::clamp(options.sampleSeconds / std::max(times[0], 1e-7), 0.1, 10.0));
            iterations = std::max<std::uint64_t>(iterations, 100);
            samples = options.runs;
            times.assign(static_cast<std::size_t>(samples), 0.0);
            team.run(job);
            point.timing = summarizeTimings(times);
            point.flopPerSample = static_cast<double>(iterations) * instructionsPerIteration(e.info.isa) *
                                  e.info.flopPerInstruction * threads;
            point.flopPerSecond = point.flopPerSample / point.timing.medianSeconds;
            point.verified = std::all_of(ok.begin(), ok.end(), [](char c) { return c != 0; });
            point.status = point.verified ? "ok" : "checksum mismatch";
            points.push_back(point);
        }
    }
    if (options.progress)
        options.progress("flops done", 1.0);
    return points;
}

} // namespace rooflab::cpu
