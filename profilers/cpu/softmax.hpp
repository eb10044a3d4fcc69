#pragma once
/// @brief Softmax (three-pass and two-pass, Dukhan & Ablavatski, "The Two-Pass Softmax Algorithm") and reduction
/// (sum) microbenchmarks, fp32, one vector kernel per instruction set (AVX-512, AVX2, portable fallback) chosen at
/// run time where the CPU and the OS support it.
///
/// - softmax-3pass: pass 1 max, pass 2 sum of exp(x - max), pass 3 y = exp(x - max) / sum (exp recomputed).
/// - softmax-2pass: pass 1 running (max, sum of exp) per lane with rescaling when the max grows (once per block
///   of 4 vectors), pass 2 y = exp(x - max) / sum.
/// - reduction: sum of x (8 independent accumulators).
///
/// With t threads each thread owns one row of n / t elements (a batch of t independent rows, as in the softmax of
/// attention scores or logits), first-touched by that thread, threads pinned in topology order. Byte counts
/// follow the STREAM convention (each byte read or written once per pass, no write-allocate): softmax-3pass moves
/// 16 B per element, softmax-2pass 12 B, reduction 4 B. The footprint is the arrays' size (x and y for softmax,
/// x for reduction) over all threads.
#include "profilers/cpu/progress.hpp"
#include "profilers/cpu/stats.hpp"
#include "profilers/topology/topology.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace rooflab::cpu {

enum class VectorKernel { Softmax3Pass, Softmax2Pass, Reduction };

/// @brief "softmax-3pass", "softmax-2pass", "reduction" (the names the CPU model uses).
const char* vectorKernelName(VectorKernel kernel);
/// @brief Arrays of n fp32 elements the kernel touches (softmax: x and y; reduction: x).
int vectorKernelArrays(VectorKernel kernel);
/// @brief Bytes moved per element (STREAM convention): 16, 12 and 4.
int vectorKernelBytesPerElement(VectorKernel kernel);

/// @brief Vector instruction sets this build has softmax/reduction kernels for, usable on this CPU and OS, widest
/// first: a subset of "avx512", "avx2" and "sse2" (the portable fallback, always present).
std::vector<std::string> usableVectorIsas();

struct VectorKernelOptions {
    std::vector<VectorKernel> kernels = {VectorKernel::Softmax3Pass, VectorKernel::Softmax2Pass,
                                         VectorKernel::Reduction};
    std::vector<std::string> isas;              ///< empty: every usable ISA; unknown or unusable names throw
    std::vector<int> threadCounts = {1};        ///< each >= 1
    std::vector<std::uint64_t> footprintsBytes; ///< all arrays of all threads
    int runs = 11;                              ///< timed samples per point (median reported)
    double minSampleSeconds = 2e-3;             ///< kernel repeated inside a sample until this long
    double maxPointSeconds = 1.0;               ///< fewer runs (>= 3) for points slower than this
    ProgressCallback progress;
};

struct VectorKernelPoint {
    VectorKernel kernel = VectorKernel::Softmax3Pass;
    std::string isa;
    int threads = 1;
    std::uint64_t elements = 0;       ///< over all threads (each thread n / threads)
    std::uint64_t footprintBytes = 0; ///< arrays of all threads
    std::uint64_t bytesMoved = 0;     ///< in one timed sample (all repetitions), STREAM convention
    int repetitions = 1;
    TimingSummary timing; ///< per sample
    double bytesPerSecond = 0;
    double elementsPerSecond = 0;
    double maxRelError = 0; ///< softmax: worst |y - exp(x - max) / kernel sum| / that, over ~1000 elements per row
    double sumRelError = 0; ///< softmax: |kernel sum of exp - exact| / exact; reduction: |sum - exact| / sum |x|
    bool verified = false;  ///< element error <= 1e-4, sum error <= 5 % (softmax; fp32 accumulation of up to
                            ///< 1e8 terms) or 1e-3 (reduction), timing finite
};

/// @brief Runs every (threads, ISA, kernel, footprint) point. Footprints too small to give every thread one block
/// of 64 elements per array are skipped. Throws rooflab::InputError for invalid options.
std::vector<VectorKernelPoint> runVectorKernels(const VectorKernelOptions& options, const topology::Topology& topology);

namespace detail {
/// @brief One softmax of `n` elements (n a multiple of 64) with the named ISA's kernels, for tests: writes y.
void softmaxRow(const std::string& isa, VectorKernel kernel, const float* x, float* y, std::size_t n);
/// @brief Sum of `n` elements (n a multiple of 64) with the named ISA's kernel.
float sumRow(const std::string& isa, const float* x, std::size_t n);
} // namespace detail

} // namespace rooflab::cpu
