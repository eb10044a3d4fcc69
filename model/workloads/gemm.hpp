#pragma once
/// @brief GEMM and CPU-kernel workloads (resources/workloads/*.yaml, format v1).
#include "units/dtype.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace rooflab {

struct GemmCase {
    std::string name;
    int64_t m = 0, n = 0, k = 0;
    int64_t batch = 1;
    DType dtype = DType::bf16;      ///< input datatype (A and B)
    DType weightType = DType::bf16; ///< B's storage type (weight-only quantization when it differs)
};

/// CPU kernels the engine models (STREAM, softmax, reductions, GEMM).
enum class CpuKernel : unsigned char { Copy, Scale, Add, Triad, Softmax3Pass, Softmax2Pass, Reduction, Gemm };

struct CpuKernelCase {
    std::string name;
    CpuKernel kernel = CpuKernel::Triad;
    int64_t elements = 0;        ///< vector length (STREAM, softmax, reduction)
    int64_t m = 0, n = 0, k = 0; ///< GEMM
    DType dtype = DType::fp32;
    int threads = 0; ///< 0 = all cores
};

/// The CPU kernels the model times. Read/Write are the bandwidth benchmark's one-array kernels.
enum class CpuOp : unsigned char { Read, Write, Copy, Scale, Add, Triad, Softmax3Pass, Softmax2Pass, Reduction, Gemm };

/// @brief What to time.
struct CpuKernelRequest {
    CpuOp op = CpuOp::Triad;
    double elements = 0;        ///< vector length (STREAM, softmax, reduction)
    double m = 0, n = 0, k = 0; ///< GEMM
    DType dtype = DType::fp32;
    double threads = 0;       ///< 0 = all cores
    bool coldWeights = false; ///< GEMM: B streams from memory (an LLM layer's weights; rotated benchmarks)
};

struct Workload {
    std::string name;
    std::string file;
    std::string kind; ///< "gemm" or "cpu-kernel"
    std::string description;
    std::vector<GemmCase> gemms;
    std::vector<CpuKernelCase> cpuKernels;
};

} // namespace rooflab
