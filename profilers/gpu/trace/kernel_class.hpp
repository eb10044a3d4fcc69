#pragma once
/// @brief Maps recorded GPU kernels to the operator classes of rooflab's model (GEMM, attention, norm, ...), by
/// kernel name and, when the name says nothing, by counters. Pure C++: used by the CLI, the CUPTI injection
/// library and the tests.
#include <optional>
#include <string>
#include <string_view>

namespace rooflab::gpu {

enum class KernelClass { Gemm, Attention, Norm, Elementwise, Rope, Reduction, Copy, Collective, Other };

/// Lower-case identifier written in trace files: gemm, attention, norm, elementwise, rope, reduction, copy,
/// collective, other.
std::string_view toString(KernelClass c);
/// Inverse of toString; std::nullopt for an unknown word.
std::optional<KernelClass> kernelClassFromString(std::string_view s);

/// Counters of one kernel, where known (negative = unknown).
struct KernelMetrics {
    double tensorFlop = -1; ///< FLOP issued on tensor cores
    double simtFlop = -1;   ///< FP16/32/64 FLOP on the SIMT pipes (FMA = 2)
    double dramBytes = -1;  ///< DRAM bytes read + written
};

/// @brief Classifies a kernel by its (mangled or demangled) name; `metrics` breaks ties for names that say
/// nothing (e.g. a bare "kernel"). Knows cuBLAS/cuBLASLt (sm90_xmma_*, nvjet_*), CUTLASS, FlashAttention,
/// PyTorch ATen, Triton (triton_{poi,red,per,tem}_fused_*), NCCL and common LLM-serving kernels.
KernelClass classifyKernel(std::string_view name, const KernelMetrics* metrics = nullptr);

} // namespace rooflab::gpu
