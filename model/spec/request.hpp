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

#include <optional>
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

/// One pool of identical serving engine instances, as a serving case or a benchmark row describes it: `workers`
/// replicas of tp x pp x attentionDp GPUs, the MoE experts split moeTp x ep over them. The serving layer turns it into
/// serving::PoolLayout (same fields).
struct ServingPool {
    int workers = 1;
    int batch = 0; ///< per-worker cap on running sequences (max_batch_size / max_num_seqs); 0: the stack's default
    int tp = 1, pp = 1, ep = 1, moeTp = 1, attentionDp = 1;
    /// per-worker tokens per iteration (TensorRT-LLM max_num_tokens, vLLM max_num_batched_tokens, SGLang
    /// max_prefill_tokens); 0: the stack's default
    int64_t maxNumTokens = 0;
    int gpus() const { return workers * tp * pp * attentionDp; }
};

enum class ServingMode : unsigned char { Aggregated, Disaggregated };

/// @brief A serving deployment under a closed-loop load (a `"kind":"serving"` cases line): the model, the backend's
/// stack profile (its kernels and scheduler), the layout, and `concurrency` clients sending isl-token prompts for
/// osl output tokens. Datatypes are the Request's Scenario (weights, kv, act); its other fields are unused.
/// Simulated by the serving layer (serving::simulateRequest), not by predict().
struct ServingWork {
    LlmTarget target;             ///< model; stackName: the backend's stack profile
    std::string backend = "vllm"; ///< tensorrt-llm, vllm or sglang, as written
    ServingMode mode = ServingMode::Aggregated;
    ServingPool aggregated;      ///< mode Aggregated
    ServingPool prefill, decode; ///< mode Disaggregated
    int64_t isl = 1024;          ///< input tokens per request
    int64_t osl = 128;           ///< output tokens per request
    int concurrency = 1;         ///< closed-loop clients
    int64_t requests = 0;        ///< measured requests; 0: the simulator's default (20 x concurrency)
    int64_t warmup = -1;         ///< requests left out first; -1: the first wave of `concurrency`
    int benchmarkRounds = 0;     ///< TTFT of a cold-started benchmark of R x concurrency (serving::Workload)
    /// Speculative decoding (MTP / draft model) on the aggregated and decode engines: draft tokens per decoding
    /// sequence and iteration (0: off) and the probability that each is accepted (serving::Options).
    int specTokens = 0;
    double specAcceptance = 0;
    std::string weightsFormat = "bf16"; ///< as written: bf16, fp8, fp8_block, nvfp4, mxfp4, int4_wo, ...
    std::string moeWeightsFormat;       ///< as written; empty: same as weightsFormat
    /// The MoE experts' weight datatype when it differs from Scenario::weights (the step model has one weight
    /// datatype: the serving layer uses this one for MoE models, whose weight bytes are mostly experts').
    std::optional<DType> moeWeights;
    int gpus() const { return mode == ServingMode::Aggregated ? aggregated.gpus() : prefill.gpus() + decode.gpus(); }
};

using WorkloadSpec = std::variant<LlmStep, LlmRequest, GemmWork, CpuKernelWork, ServingWork>;

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
    /// The model and stack any LLM workload names (LlmStep, LlmRequest, ServingWork); nullptr for others.
    LlmTarget* target();
    const LlmTarget* target() const;
    /// "llm" (step), "request", "gemm", "cpu" or "serving".
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
