#pragma once
/// @brief The one entry point of the engine: predict(platform, request) -> Result. Every front end builds a Request
/// (spec/request.hpp) and calls this; what a phase means, which output bytes a GEMM writes, how a request's decode
/// steps are integrated are decided here and in the step model, never by a front end. Pure and thread-safe.
#include "analysis/cpu_kernels.hpp"
#include "analysis/llm_engine.hpp"
#include "analysis/platform_model.hpp"
#include "spec/request.hpp"

#include <optional>
#include <string>
#include <variant>

namespace rooflab {

/// @brief A platform as the engine evaluates it: the hardware description (for thread restriction on CPUs), the
/// resolved roofline model, and the CPU kernel model where the platform is a CPU. Built once per platform.
struct PlatformTarget {
    Platform hardware;
    PlatformModel model;
    std::optional<CpuMachine> cpu; ///< CPU platforms only

    static PlatformTarget from(const Platform& p);
};

/// @brief A GEMM's prediction: the operator and the datatype its tensor path ran in.
struct GemmPrediction {
    OpResult op;
    DType computeType = DType::bf16;
    bool fellBack = false; ///< the platform has no path for the requested datatype
};

/// @brief What predict() answers. `ok` false: the request is infeasible or unresolved (`error` says why); the
/// summary fields then stay zero. `detail` holds the workload's own result (empty when not ok before evaluation).
struct Result {
    bool ok = true;
    std::string error;
    std::string errorKey; ///< the request key the error is about (tp, ep, attention_dp, ...; "" : none)
    std::variant<std::monostate, Prediction, RequestPrediction, GemmPrediction, CpuKernelResult> detail;

    // Summary common to every workload.
    double latencyS = 0;   ///< step latency; request: end-to-end; GEMM / CPU kernel: kernel time
    double flops = 0;      ///< per device; request: of the prefill
    double dramBytes = 0;  ///< DRAM bytes per device; request: of the prefill
    double tokensPerS = 0; ///< LLM workloads
    Bound bound = Bound::Compute;
    std::string boundText; ///< CPU kernels name their roof in words ("L2 bandwidth", ...)
    bool fits = true;      ///< fits in device memory

    const Prediction* step() const { return std::get_if<Prediction>(&detail); }
    const RequestPrediction* request() const { return std::get_if<RequestPrediction>(&detail); }
    const GemmPrediction* gemm() const { return std::get_if<GemmPrediction>(&detail); }
    const CpuKernelResult* cpuKernel() const { return std::get_if<CpuKernelResult>(&detail); }
};

/// @brief The step prediction of an LLM step's result; where predict() refused the request before evaluating, a
/// prediction with ok = false that carries the reason (callers that tabulate infeasible points keep one type).
Prediction stepOrError(Result&& r);
/// @brief The same for an LLM request's result (the reason lands in its prefill).
RequestPrediction requestOrError(Result&& r);

/// @brief Evaluates `r` on `platform`. LLM workloads need `r.llm()->arch` and `->stack` resolved.
Result predict(const PlatformTarget& platform, const Request& r);
/// @brief The same on a resolved model alone (GPU and LLM/GEMM workloads; CPU kernels and CPU thread counts need
/// the PlatformTarget overload and fail here with a reason).
Result predict(const PlatformModel& pm, const Request& r);

} // namespace rooflab
