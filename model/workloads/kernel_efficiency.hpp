#pragma once
/// @brief Per-framework kernel efficiency: the `efficiency:` section of a stack profile (resources/stacks/*.yaml).
///
/// Design (issue 17). A serving framework's GEMM and attention kernels differ from the platform file's generic
/// ones (FP8 GEMMs that quantize their activations first, FA3 vs TensorRT-LLM's own attention, ...). The engine
/// keeps its analytic roofline (ops.cpp: tile and wave quantization, split-K, flash-decoding splits, causal and
/// windowed pair counts, per-kernel fixed time) and multiplies the device time of each GEMM / attention kernel by a
/// fitted correction 2^s(x): `s` is a surface that is piecewise-linear (multilinear between knots) in the
/// roofline-relevant features, in log2 units:
///
///   GEMM (per dtype bf16 / fp8 / fp8_block):        (log2 M, log2 N, log2 K), knots every octave
///   context attention (per head size, attn/KV dtype): (log2 ISL, log2 batch x heads, log2 ISL / window span,
///                                                     log2 GQA group)
///   generation attention (per head size, attn/KV dtype): (log2 keys read, log2 batch x KV heads, log2 GQA group,
///                                                        log2 keys / window span)
///   fused MoE (per dtype x routing x layout; dtype bf16 / fp8 / fp8_block, or the weight-only 4-bit kernels
///              w4a16_mxfp4 / int4_wo; layout MoeLayout, "/permuted" for CUTLASS kernels): (log2 rows per touched
///              expert, log2 touched experts, log2 width, log2 hidden); the expert ops (grouped gate/up, activation,
///              grouped down, the layout's combine) scale together
///   collective (per op x mode):      (log2 bytes per rank, log2 ranks), 2-8 GPUs of one NVLink domain
///
/// Outside the knots the surface is held at its edge value, so the roofline alone extrapolates. Why not interpolate
/// the measured tables themselves: the tables are 30–100 k rows per framework and GPU (117 MB for the dense ops of
/// two GPUs), too large for a profile and for the engine's 200 k steps/s; a surface over the roofline is a few
/// hundred to two thousand numbers, one multilinear lookup per operator, smooth between measured shapes and
/// anchored by the roofline beyond them (it learns only what the roofline misses: quantization kernels, tile
/// choices, launch-bound small shapes). Held-out MAPE of both is in datasets/aic/README.md.
///
/// Surfaces are keyed by the rooflab platform they were measured on (`h100-sxm5-80gb`, ...): a platform without an
/// entry, or an operator without a surface (MLA, other head sizes beyond the nearest one, CPU), keeps the
/// platform file's efficiencies. Fitted by `rooflab calibrate aic` (calibration/aic_fit.hpp).
#include "units/dtype.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace rooflab {

/// @brief What a framework's decode-attention kernel does that its roofline needs (a stack profile's
/// `decode_attention:` section; AttentionShape::decodeKernel).
struct DecodeAttentionKernel {
    /// The most query heads per KV head the kernel serves from one read of the keys (TensorRT-LLM's XQA: 32); a
    /// larger group runs on its fallback, one CTA per query head, each reading its KV head's keys again (from L2
    /// after the first). 0: no limit.
    double maxQueryGroup = 0;
    bool operator==(const DecodeAttentionKernel&) const = default;
};

/// @brief How a framework's fused MoE lays out the token x top-k rows around its grouped expert GEMMs, which sets the
/// memory traffic besides the GEMMs' operands (moeSlotBytes in analysis/step_graph.hpp).
enum class MoeLayout {
    /// Triton fused_moe and Marlin MoE (vLLM, SGLang; TensorRT-LLM's Triton MXFP4 path): the GEMMs index the
    /// tokens through a sorted slot list and write one output row per token x top-k slot. Under expert parallelism
    /// the slots of other ranks' experts are still written (zero-filled) and the activation and the closing sum over
    /// the top-k slots still run over every slot, so that traffic does not shrink with EP.
    Slots,
    /// CUTLASS grouped GEMMs (TensorRT-LLM, FlashInfer) and OpenAI's triton_kernels experts (vLLM's gpt-oss MXFP4
    /// path): the rank's own routed rows are gathered into expert order first and scattered back, weighted and
    /// summed, after the down GEMM; all of it scales with the local rows.
    Permuted,
};

/// @brief The MoE surface key of an expert kernel: its datatype ("bfloat16", "fp8", "fp8_block", or the weight-only
/// 4-bit kernels "w4a16_mxfp4" / "int4_wo" for 4-bit experts computed in bf16/fp16, with `fallback` the compute
/// type's key), nullptr where no surface applies. `fp8BlockStack`: the stack's FP8 GEMMs are block-scaled.
struct MoeSurfaceKey {
    const char* dtype = nullptr;
    const char* fallback = nullptr;
};
MoeSurfaceKey moeSurfaceKey(DType gemmType, DType weightType, bool fp8BlockStack);

/// @brief The GEMM surface dtype of a tensor path: "bfloat16" (bf16, fp16), "fp8_block" (block-scaled FP8 weights or
/// compute, or a stack whose FP8 GEMMs are block-scaled) or "fp8" (per-tensor FP8); nullptr for other paths. The
/// compute part of moeSurfaceKey.
const char* gemmSurfaceDtype(DType gemmType, DType weightType, bool fp8BlockStack);

/// @brief What a Permuted-layout MoE surface's dtype key ends with ("<dtype>/<routing>/permuted").
inline constexpr const char kMoePermutedSuffix[] = "/permuted";

/// @brief The other of the two layouts.
constexpr MoeLayout otherLayout(MoeLayout l) {
    return l == MoeLayout::Slots ? MoeLayout::Permuted : MoeLayout::Slots;
}

/// @brief The expert datatypes a MoE surface (and a stack's moe_kernels rule) is keyed by: moeSurfaceKey's values.
inline constexpr const char* kMoeSurfaceDtypes[] = {"bfloat16", "fp8", "fp8_block", "w4a16_mxfp4", "int4_wo"};

struct EffSurface;
/// @brief The MoE surface a fused MoE takes and the layout it was fitted on (resolveMoe).
struct MoeSurfaceChoice {
    const EffSurface* surface = nullptr; ///< nullptr: no MoE surface applies
    MoeLayout layout = MoeLayout::Permuted;
};

/// @brief A function on a regular grid of knots, multilinear between them, clamped outside.
struct EffGrid {
    struct Axis {
        double lo = 0, step = 1; ///< knot i at lo + i x step (log2 units)
        int count = 1;
        bool operator==(const Axis&) const = default;
    };
    std::vector<Axis> axes;     ///< at most 4
    std::vector<double> values; ///< row-major, last axis fastest

    std::size_t size() const;
    /// @brief The interpolated value at `x` (one coordinate per axis).
    double eval(const double* x) const;
    /// @brief The knots and weights that eval() combines (at most 16), for the fitter.
    int stencil(const double* x, std::size_t* index, double* weight) const;
    bool operator==(const EffGrid&) const = default;
};

enum class EffFamily : unsigned char { Gemm, ContextAttention, GenerationAttention, Moe, Collective };
/// "gemm", "context_attention", "generation_attention", "moe", "collective"
const char* effFamilyName(EffFamily f);
/// @brief The family of a name effFamilyName() writes; false when there is none.
bool effFamilyFromName(const std::string& name, EffFamily& out);

/// @brief One fitted surface with its provenance.
struct EffSurface {
    EffFamily family = EffFamily::Gemm;
    /// GEMM: bfloat16 | fp8 | fp8_block; attention: "<attn>/<kv>" (e.g. bfloat16/fp8); MoE: "<dtype>/<routing>"
    /// (e.g. fp8_block/power_law_1.01); collective: "<op>/<mode>" (all_reduce/graph, all_reduce/eager: the
    /// framework's own all-reduce; all_gather/nccl, ...: NCCL)
    std::string dtype;
    int headDim = 0;   ///< attention: head size (0 for GEMM)
    EffGrid log2Scale; ///< log2 of measured / roofline device time
    // Provenance (every value of the surface is `fitted` from these rows).
    std::string method = "fitted";
    std::vector<std::string> sources; ///< dataset files
    int64_t rows = 0;                 ///< calibration rows the surface was fitted on
    double fitMapePct = 0;            ///< MAPE on those rows
    std::string date;                 ///< ISO date of the fit
    /// Tables timed eagerly (vLLM's fp8_block GEMMs): per kernel source, the host-bound floor of its rows, seconds
    /// (the time below which a row measures the Python path, not the kernel). Rows near the floor only bound the
    /// kernel's time from above in the fit (aic_fit.cpp), and an eager row validates as max(device time, floor); the
    /// engine's graph-launched steps never pay it.
    std::vector<std::pair<std::string, double>> hostFloorS;
    bool operator==(const EffSurface&) const = default;
};

/// @brief The values held out of a fit, per op family and axis, so that validation can select the other part.
struct EffHeldOut {
    EffFamily family = EffFamily::Gemm;
    std::vector<std::pair<std::string, std::vector<int64_t>>> axes; ///< column name -> held-out values (sorted)
    bool operator==(const EffHeldOut&) const = default;
    /// @brief Whether a row with these column values lies in the held-out part (any axis value held out).
    bool contains(const std::string& column, int64_t value) const;
};

/// @brief A stack's surfaces on one platform.
struct KernelEfficiency {
    std::string platform; ///< rooflab platform name the surfaces apply to
    std::string system;   ///< aiconfigurator system directory (h100_sxm, ...)
    std::vector<EffSurface> surfaces;
    std::vector<EffHeldOut> heldOut;
    bool operator==(const KernelEfficiency&) const = default;

    const EffSurface* find(EffFamily f, const std::string& dtype, int headDim = 0) const;
    /// @brief The attention surface of this dtype with the head size nearest to `headDim` (in log2), or nullptr.
    const EffSurface* nearestAttention(EffFamily f, const std::string& dtype, int headDim) const;
    const EffHeldOut* heldOutOf(EffFamily f) const;

    /// @brief Correction factors (multiply the roofline device time); 1 where no surface applies.
    double gemmScale(const std::string& dtype, double m, double n, double k) const;
    double contextScale(const std::string& dtype, int headDim, double batch, double isl, double heads, double kvHeads,
                        double keysPerQuery) const;
    double generationScale(const std::string& dtype, int headDim, double batch, double keys, double heads,
                           double kvHeads, double keysRead) const;
    /// The fused MoE experts (grouped gate/up GEMM, activation, grouped down GEMM, combine; moeFeatures()) with the
    /// routing the engine assumes (kMoeRouting), by the surface resolveMoe(key, layout) picks; 1 without one.
    double moeScale(const MoeSurfaceKey& key, MoeLayout layout, double tokensPerExpert, double experts, double hidden,
                    double width) const;
    /// @brief The surface of a fused MoE: of `key.dtype`, else of `key.fallback` (the kernel before the layout); for
    /// each, the `layout`'s surface ("<dtype>/<routing>" for Slots, "<dtype>/<routing>/permuted" for Permuted), else
    /// the other layout's, which is then the choice's layout (the platform's tables timed that kernel). The step graph
    /// and the engine's correction resolve through this one rule.
    MoeSurfaceChoice resolveMoe(const MoeSurfaceKey& key, MoeLayout layout) const;
    /// @brief The MoE surface of "<dtype>/<kMoeRouting>" (Slots) or "<dtype>/<kMoeRouting>/permuted", or nullptr.
    const EffSurface* findMoe(const char* dtype, MoeLayout layout) const;
    /// A collective of `bytes` per rank over `ranks` GPUs: `op` all_reduce | all_gather | reduce_scatter | alltoall;
    /// all-reduce takes the framework's surface of its launch (`graph` or `eager`), else NCCL's.
    double collectiveScale(const char* op, bool graph, double bytes, double ranks) const;
};

/// @brief The expert routing whose MoE surface the engine applies: aiconfigurator's default workload (a power law
/// with exponent 1.01, the most loaded expert group on the measured rank), as real routers are not balanced.
inline constexpr const char* kMoeRouting = "power_law_1.01";

/// @brief Feature vectors of each family (log2 units), one definition for the fitter and the engine.
void gemmFeatures(double m, double n, double k, double* x);
void contextFeatures(double batch, double isl, double heads, double kvHeads, double keysPerQuery, double* x);
void generationFeatures(double batch, double keys, double heads, double kvHeads, double keysRead, double* x);
/// @brief MoE features: the grouped GEMMs' rows per touched expert (`tokensPerExpert`, the step graph's expected
/// value under uniform routing: 1 = one token per expert, weight-bandwidth bound; thousands = compute bound), the
/// touched experts on this GPU, and the per-expert weight size hidden x width (width = intermediate / moe_tp).
void moeFeatures(double tokensPerExpert, double experts, double hidden, double width, double* x);
/// @brief Collective features: bytes per rank, ranks (log2).
void collectiveFeatures(double bytes, double ranks, double* x);
/// @brief The knot layout each family's surfaces are fitted on.
std::vector<EffGrid::Axis> defaultAxes(EffFamily f);

} // namespace rooflab
