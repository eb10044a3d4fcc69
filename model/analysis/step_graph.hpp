#pragma once
/// @brief The operator graph of one LLM step as plain data: what one device of a TP/PP/EP layout runs in a
/// prefill, decode or chunked step, with shapes, flops and bytes, and no platform. Built per block (embedding,
/// attention or MLA, dense MLP or MoE, LM head, PP transfer) and composed per phase, as GenZ builds its
/// language models; checked before evaluation and then evaluated (llm_engine.hpp), as Timeloop runs
/// specs -> pre-evaluation check -> evaluate -> status.
#include "analysis/ops.hpp"
#include "spec/scenario.hpp"
#include "workloads/llm.hpp"
#include "workloads/stack.hpp"

#include <string>
#include <vector>

namespace rooflab {

/// @brief Which evaluator of ops.hpp times an operator.
enum class OpKind : unsigned char { Gemm, Attention, Memory, Collective };
std::string_view opKindName(OpKind k);

enum class MoePart : unsigned char { None, GateUp, Activation, Down, Combine };

/// @brief C[m,n] = A[m,k] B[k,n], `batch` independent products, per device. The tensor path (compute datatype)
/// is the graph's `gemmType`, resolved against the platform at evaluation.
struct GemmSpec {
    double m = 0, n = 0, k = 0, batch = 1;
    DType aType = DType::bf16;     ///< activations' storage datatype
    DType bType = DType::bf16;     ///< weights' storage datatype
    double outBytesPerElement = 2; ///< the result's storage (the LM head writes fp32 logits)
    bool operator==(const GemmSpec&) const = default;
};

/// @brief A memory-bound kernel (norm, element-wise, RoPE, embedding gather, KV append).
struct MemorySpec {
    double bytesRead = 0, bytesWritten = 0; ///< per occurrence, all its kernels together
    double elements = 0;                    ///< elements of the tensor it walks (for tables)
    double rowElements = 0;                 ///< norms: elements of one row, reduced by one CTA
    bool strided = false; ///< runs on a strided view at the platform's strided element-wise rate (stack says so)
    bool operator==(const MemorySpec&) const = default;
};

/// @brief A collective among `ranks` devices, each contributing `bytes` (the whole tensor for an all-reduce).
struct CollectiveSpec {
    Collective kind = Collective::AllReduce;
    double bytes = 0;
    double ranks = 1;
    bool operator==(const CollectiveSpec&) const = default;
};

/// @brief One logical operator of the step: platform-independent plain data. Only the shape that `kind` names is
/// meaningful; the others keep their defaults.
struct OpSpec {
    OpSpec() = default;
    /// Sets the members every op has; the shapes keep their defaults. User-provided so that a vector's emplace_back
    /// initializes the members once instead of zero-filling all 264 bytes first (a third of the graph's build time).
    OpSpec(const char* name_, OpClass cls_, OpKind kind_, double count_, bool perLayer_, double kernels_) noexcept
        : name(name_), cls(cls_), kind(kind_), count(count_), perLayer(perLayer_), kernels(kernels_) {}

    const char* name = ""; ///< static string: no allocation per op
    OpClass cls = OpClass::Other;
    OpKind kind = OpKind::Memory;
    double count = 1;           ///< occurrences per step on one PP stage (layers of the group / pp)
    bool perLayer = false;      ///< part of the decoder layers (repeated on every PP stage)
    bool betweenStages = false; ///< the PP activation transfer: timed apart from the stages, not host-dispatched
    /// Part of a fused MoE (grouped gate/up GEMM, activation, grouped down GEMM, and where the stack names its layout
    /// the combine, in this order): a stack's MoE surface corrects them together (workloads/kernel_efficiency.hpp),
    /// keyed by the gate/up GEMM's shape.
    MoePart moePart = MoePart::None;
    double kernels = 1; ///< kernel launches per occurrence (attention: at least this many)
    GemmSpec gemm;
    AttentionShape attention;
    MemorySpec memory;
    CollectiveSpec collective;
    double flops = 0; ///< useful flops per occurrence
    /// Logical bytes per occurrence: GEMM operands and result, attention K/V read plus Q and O, a memory op's
    /// reads and writes, a collective's bytes per rank. What the operator must move at least, before caches.
    double bytes = 0;

    double totalFlops() const { return flops * count; }
    double totalBytes() const { return bytes * count; }
};

/// @brief The step graph of one device plus what evaluation needs besides the platform.
struct StepGraph {
    std::vector<OpSpec> ops; ///< in execution order: embedding, layer groups, final norm, LM head, PP transfer
    Phase phase = Phase::Decode;
    LaunchMode launch = LaunchMode::Stream;
    DType gemmType = DType::bf16;       ///< tensor path the GEMMs ask for (the platform may fall back)
    DType attentionType = DType::bf16;  ///< datatype attention asks for
    DType activationType = DType::bf16; ///< activations' storage (int activations are stored as bf16)
    DType weights = DType::bf16;
    DType kv = DType::bf16;
    double tokens = 0;     ///< tokens through the layers per step and device (prefill: batch x prompt)
    double lmHeadRows = 0; ///< rows through the LM head (prefill: the last token of each prompt)
    double normTokens = 0; ///< tokens per device in norms and residuals (sequence parallel: tokens / tp)
    int tp = 1, pp = 1, ep = 1, dp = 1;
    int attentionDp = 1; ///< attention data-parallel ranks (each tp GPUs); the FFN spans tp x attentionDp GPUs
    int microbatches = 1;
    bool overlapComm = false;
    /// The stack's host time per kernel and per collective outside graphs, before the platform scales it for its
    /// host CPU; 0 when kernels are replayed from a graph.
    double hostOverheadS = 0, collectiveHostS = 0;
    double normHostS = 0; ///< host time per kernel of a norm outside graphs (the stack's norm_host_overhead)
    /// The fused MoE's row layout (the stack's moe_kernels for the experts' datatype and EP degree, settled against
    /// the platform's surfaces: buildStepGraph): its memory traffic around the grouped GEMMs, and which of the stack's
    /// MoE surfaces corrects it.
    MoeLayout moeLayout = MoeLayout::Permuted;
};

/// @brief The shape of `op` in words, for tables: "1 x 6144 x 4096 bf16.bf16" (GEMM m x n x k, "x8" batched),
/// "b 1 q 1 k 1025 h 32/8 d 128" (attention), "4096 el" (memory ops), "all_reduce 8.19e3 B / 2" (collectives).
std::string describeShape(const OpSpec& op);

/// @brief Tokens one step processes (prefill: every prompt token; decode: one per sequence; chunked: the decoding
/// sequences plus the chunk) and rows of the LM head (the last token of each prompt or sequence). One rule for the
/// graph and the memory model.
struct StepTokens {
    double tokens = 0;
    double lmHeadRows = 0;
};
StepTokens stepTokens(const Scenario& s);

/// @brief The graph of one step for one device. The scenario must have passed checkScenario (no errors).
/// `pm` and `eff` (the stack's fitted kernel efficiency on that platform; either may be null): the fused MoE's layout
/// is the stack's moe_kernels rule for the experts' kernel datatype on `pm` (after its compute-type fallback), as
/// KernelEfficiency::resolveMoe settles it against `eff`: where the platform's tables timed only the other layout's
/// kernels (vLLM's FP8 experts run Triton on Ada), the graph takes that layout, so bytes and surface agree.
StepGraph buildStepGraph(const LlmArch& arch, const StackProfile& stack, const Scenario& s,
                         const PlatformModel* pm = nullptr, const KernelEfficiency* eff = nullptr);

/// @brief Keys each decoding sequence holds and attends over: context + 1, or, where the stack attends over a
/// static cache (decode_attention.repeat_kv) in a decode step, every slot of it (Scenario::cacheLength, if larger).
double decodeKeysHeld(const StackProfile& stack, const Scenario& s);

/// @brief Bytes read and written by the MoE kernels a framework runs around its grouped GEMMs when it runs them as
/// separate kernels (transformers' grouped_mm experts backend, the stack's kernels.moe_permute / moe_combine), before
/// the stack's passes.moe factor. `routedRows` = tokens x top-k (on this rank), `tokens` the step's tokens, bf16
/// activations of `actBytes`. Counted kernel by kernel from the backend's kernel list:
/// - permute: the routed hidden states gathered in expert order, then masked (rows past the last expert);
/// - activation: the gate/up output masked, SiLU of its gate half, times its up half;
/// - combine: the down output masked, multiplied by the routing weights in fp32, gathered back per token, summed
///   over the top-k in fp32, cast to the activations' type.
struct MoeSideBytes {
    double permuteRead = 0, permuteWritten = 0;
    double activationRead = 0, activationWritten = 0;
    double combineRead = 0, combineWritten = 0;
};
MoeSideBytes moeSideBytes(double routedRows, double tokens, double hidden, double width, double actBytes);

/// @brief Bytes a framework's fused MoE moves besides the grouped GEMMs' own operands (one rule for the engine's
/// step graph and the per-operator fit, calibration/aic_import.cpp), with `tokens` tokens of this step, top-k
/// `topK`, `localRows` of the tokens x top-k rows routed to this rank's experts (rankExperts), `hidden` and per-rank
/// expert `width`, activations of `actBytes`:
/// - activation (the gated SiLU: gate and up halves in, one out) over `activationRows` rows;
/// - route: whatever moves the rows around the GEMMs. Slots layout: the slots of other ranks' experts written as
///   zeros by both GEMMs, then the sum over every slot (reads tokens x top-k rows of `hidden`, writes one per
///   token). Permuted layout: the rank's routed rows gathered into expert order, and after the down GEMM read
///   back, weighted and summed per token.
struct MoeSlotBytes {
    double activationRows = 0;
    double activationRead = 0, activationWritten = 0;
    double routeRead = 0, routeWritten = 0;
};
MoeSlotBytes moeSlotBytes(MoeLayout layout, double tokens, double topK, double localRows, double hidden, double width,
                          double actBytes);

/// @brief Of `experts` experts, the ones `tokens` tokens' top-k picks touch on average (uniform routing), and the
/// rows each of them gets: the grouped GEMM's products and their M.
struct ExpertsTouched {
    double experts = 0, rowsPerExpert = 0;
};
ExpertsTouched expertsTouched(double tokens, double topK, double experts);

/// @brief A grouped expert GEMM's time where it streams its weights at `dramFraction` of the rate the GEMM model
/// assumed (the stack's grouped_gemm_dram_fraction) and its memory and compute overlap only by `overlap` (the
/// stack's grouped_gemm_overlap): the DRAM roof is stretched, and the part of the shorter roof that does not hide
/// behind the longer is added.
void applyGroupedGemmOverlap(OpResult& r, double overlap, double dramFraction = 1);

/// @brief A finding of the pre-evaluation check: errors make the scenario infeasible, notes only inform.
struct ScenarioStatus {
    enum class Severity : unsigned char { Error, Note };
    Severity severity = Severity::Note;
    std::string message;
    std::string key; ///< the scenario key at fault, as a --cases line or scenario file names it (tp, ep, ...)
    bool isError() const { return severity == Severity::Error; }
    /// @brief The message as errors read everywhere: "'tp': 3 does not divide the 64 attention heads".
    std::string text() const;
};

/// @brief Checks a scenario against a model before any graph is built (layout divides heads and experts, token
/// counts valid). Checking stops at the first error (later checks assume earlier ones held, e.g. tp >= 1), so
/// the list holds at most one error, last. Empty when all is well.
std::vector<ScenarioStatus> checkScenario(const LlmArch& arch, const Scenario& s);

} // namespace rooflab
