#pragma once
/// @brief One question to the engine: a workload (an LLM step, a whole LLM request, a GEMM, a CPU kernel) under a
/// Scenario, on a platform. Every front end (CLI commands, `predict --cases` lines, sweeps, searches, validation
/// rows, reports, the GUI) describes its question as a Request — through the codec (codec/request_codec.hpp) or the
/// helpers here — and hands it to the one `predict()` (engine/predict.hpp).
///
/// Names (model, stack, platform) are what the user wrote; the engine needs the resolved objects, which a resolver
/// (codec/catalog.hpp) or the caller sets in `arch` / `stack` (non-owning: the owner must outlive the request).
#include "spec/scenario.hpp"
#include "workloads/gemm.hpp"
#include "workloads/llm.hpp"
#include "workloads/stack.hpp"

#include <string>
#include <variant>

namespace rooflab {

/// The stack profile a request runs with when it names none.
inline constexpr const char* kDefaultStackName = "pytorch-eager";

/// @brief An LLM model served by a stack: names as written, and the resolved objects.
struct LlmTarget {
    std::string model; ///< preset id or path to a config.json / YAML
    std::string stackName = kDefaultStackName;
    const LlmArch* arch = nullptr;       ///< resolved model (non-owning)
    const StackProfile* stack = nullptr; ///< resolved stack profile (non-owning)
};

/// One prefill, decode or chunked step (Scenario::phase) of an LLM.
struct LlmStep {
    LlmTarget target;
};
/// A whole request: prefill of the prompt, then decode of Scenario::outputTokens tokens (TTFT, TPOT).
struct LlmRequest {
    LlmTarget target;
};

/// How the measurement a GEMM is compared with launches its kernels: one by one (Stream) or replayed from a CUDA
/// graph (Graph: no launch floor).
enum class KernelLaunch : unsigned char { Stream, Graph };

/// One GEMM (or `batch` independent ones).
struct GemmWork {
    GemmCase gemm;
    KernelLaunch launch = KernelLaunch::Stream;
};

/// One CPU kernel (STREAM, softmax, reduction, GEMM) on a CPU platform.
struct CpuKernelWork {
    std::string name; ///< case name, for tables
    CpuKernelRequest kernel;
};

using WorkloadSpec = std::variant<LlmStep, LlmRequest, GemmWork, CpuKernelWork>;

struct Request {
    std::string id;       ///< caller's tag, echoed in results (cases lines: the JSON value as text)
    std::string platform; ///< platform name or file; empty: the caller's default
    WorkloadSpec workload = LlmStep{};
    Scenario scenario;   ///< LLM workloads
    int cpuThreads = 0;  ///< LLM on a CPU platform: hardware threads used (0 = all)
    bool withOps = true; ///< keep the per-operator table in the result

    /// The LLM target of LlmStep / LlmRequest workloads; nullptr for others.
    LlmTarget* llm();
    const LlmTarget* llm() const;
    /// "llm" (step), "request", "gemm" or "cpu".
    std::string_view kindName() const;
};

/// @brief A request on objects the caller already holds (sweeps, searches, the GUI): names are the objects' own.
/// `whole`: an LlmRequest (prefill + decode of the output tokens), else one LlmStep.
Request llmRequestOf(const LlmArch& arch, const StackProfile& stack, const Scenario& s, bool whole,
                     bool withOps = false);

/// @brief Output bytes per element of a GEMM with inputs of datatype `input`: quantized inputs (fp8, int8, int4)
/// produce a 16-bit result; others their own type. The one rule every front end uses.
constexpr double gemmOutputBytesPerElement(DType input) {
    return isFloat8(input) || isFloat4(input) || isInteger(input) ? 2.0 : bytesPerElement(input);
}

} // namespace rooflab
