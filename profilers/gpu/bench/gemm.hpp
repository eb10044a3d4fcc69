#pragma once
/// @brief cuBLASLt GEMM timing: C[m,n] = A[m,k] * W[n,k]^T (PyTorch linear layout, "tn" in cuBLAS terms),
/// inputs random, rotated over buffer sets larger than L2, timed as CUDA-graph replays.
#include "common.hpp"

#include <cublasLt.h>

#include <memory>
#include <string>

namespace rooflab::gpubench {

struct GemmResult {
    bool ok = false;
    std::string why; // when !ok
    Stats stats;
    std::string algo;
};

class GemmRunner {
public:
    /// dtype: bf16 fp16 tf32 fp32 fp8_e4m3 int8 fp64. Allocates pools of the given sizes.
    GemmRunner(const Device& d, size_t operandPoolBytes, size_t outputPoolBytes);
    ~GemmRunner();
    GemmRunner(const GemmRunner&) = delete;
    GemmRunner& operator=(const GemmRunner&) = delete;

    /// Fills the operand pool with random values of `dtype` (call when the dtype changes).
    void prepare(const std::string& dtype);
    /// Times one shape. `heuristics` > 1 tries the first N algorithms the heuristic returns and keeps the fastest.
    GemmResult run(long m, long n, long k, int heuristics, bool quick);

    /// Launches one matmul (first heuristic algorithm) on the runner's stream and waits for it; for counters.
    void launchOnce(long m, long n, long k);

private:
    const Device& m_dev;
    std::string m_dtype;
    cublasLtHandle_t m_lt = nullptr;
    cudaStream_t m_stream = nullptr;
    void* m_operands = nullptr;
    void* m_outputs = nullptr;
    void* m_workspace = nullptr;
    size_t m_operandBytes, m_outputBytes, m_workspaceBytes = size_t{32} << 20;
};

} // namespace rooflab::gpubench
