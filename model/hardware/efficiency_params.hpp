#pragma once
/// @brief The one table of a platform's efficiency parameters (the `efficiency:` section of a platform file, see
/// platforms/SCHEMA.md). Every key is declared once below — YAML key, member, unit, valid range, default and its
/// documentation — and everything else loops over it: the members of Efficiency (the values as read, with
/// provenance) and of EfficiencyValues (resolved, defaults applied), the platform reader and writer, the listing of
/// `rooflab platforms show`, the defaults of PlatformModel::from and SCHEMA.md's efficiency table
/// (`rooflab platforms schema`).
///
/// Adding a key: one X(...) entry in ROOFLAB_EFFICIENCY_PARAMS, then its use in analysis/ops.cpp through
/// `PlatformModel::efficiency.<member>`; run `rooflab platforms schema --write platforms/SCHEMA.md`.
/// The CPU kernel model's nested `efficiency.cpu` sub-section (CpuEfficiency) has its own reader and writer.
#include "hardware/value.hpp"
#include "units/dtype.hpp"
#include "units/quantity.hpp"

#include <array>
#include <cstddef>
#include <span>
#include <string_view>

namespace rooflab {

struct Efficiency;
struct EfficiencyValues;
struct Platform;
enum class DeviceKind : unsigned char;

/// How a parameter's values are keyed in the file.
enum class ParamShape : unsigned char {
    Scalar,   ///< `key: "<value> @src"`
    PerDType, ///< `key: {bf16: "<value> @src", fp8_e4m3: …}`: one value per datatype, each optional
};

/// A default computed from other sections of the platform (or from keys resolved before), for datatype slot `t`.
using DeriveDefault = double (*)(const Platform& p, const EfficiencyValues& resolved, DType t);

/// @brief What an absent value resolves to.
struct ParamDefault {
    enum class Kind : unsigned char {
        Constant, ///< a number per device kind (per datatype where `gpuByDType` is set)
        Unset,    ///< "absent": the effect is not modelled; resolves to `gpu` (= `cpu`), outside the valid range
        SameAs,   ///< the resolved value of another key (the same datatype slot; slot 0 of a scalar)
        Derived,  ///< computed by `derive`; `text` states the rule for SCHEMA.md
    };
    Kind kind = Kind::Constant;
    double gpu = 0.0, cpu = 0.0;
    const double* gpuByDType = nullptr; ///< Constant, per-datatype keys: GPU value per DType (cpu stays one value)
    const char* sameAs = nullptr;       ///< SameAs: YAML key of the other parameter
    DeriveDefault derive = nullptr;     ///< Derived
    const char* text = nullptr;         ///< Constant / Unset: a note on what the value means; Derived: the rule
};

/// Builders used by the table (constexpr, so that the resolved struct's initializers come from the same entries).
namespace defaults {
constexpr ParamDefault constant(double v, const char* note = nullptr) {
    return {ParamDefault::Kind::Constant, v, v, nullptr, nullptr, nullptr, note};
}
constexpr ParamDefault byKind(double gpu, double cpu) {
    return {ParamDefault::Kind::Constant, gpu, cpu, nullptr, nullptr, nullptr, nullptr};
}
constexpr ParamDefault byDType(const std::array<double, kDTypeCount>& gpu, double cpu) {
    return {ParamDefault::Kind::Constant, 0.0, cpu, gpu.data(), nullptr, nullptr, nullptr};
}
constexpr ParamDefault unset(double v, const char* note) {
    return {ParamDefault::Kind::Unset, v, v, nullptr, nullptr, nullptr, note};
}
constexpr ParamDefault sameAs(const char* key) {
    return {ParamDefault::Kind::SameAs, 0.0, 0.0, nullptr, key, nullptr, nullptr};
}
constexpr ParamDefault derived(DeriveDefault f, const char* rule) {
    return {ParamDefault::Kind::Derived, 0.0, 0.0, nullptr, nullptr, f, rule};
}

/// GPU large-GEMM fraction of the tensor peak per datatype (fp64, fp32, tf32, bf16, fp16, fp8_e4m3, fp8_e5m2, int8,
/// int4, fp8_block, nvfp4, mxfp4, then the GGUF weight formats q4_k, q5_k, q6_k, q8_0): FP8 and int8 kernels keep
/// less of their doubled peak; SIMT/DMMA fp32/fp64 run closer to theirs. fp8_block computes on the fp8 path; the fp4
/// entries matter only where a platform declares an fp4 peak (ASSUMED as fp8's); weight-only GGUF formats as int4.
inline constexpr std::array<double, kDTypeCount> kGemmPeakFractionGpu = {
    0.85, 0.85, 0.80, 0.80, 0.80, 0.70, 0.70, 0.70, 0.80, 0.70, 0.70, 0.70, 0.80, 0.80, 0.80, 0.80};
double graphLaunch(const Platform& p, const EfficiencyValues& resolved, DType t);
double collectiveStepLatency(const Platform& p, const EfficiencyValues& resolved, DType t);
} // namespace defaults

// clang-format off
/// @brief The table. X(shape, member, "yaml_key", dimension, min, max, default, "meaning", "rationale of the default")
/// in file order (the writer and `platforms show` keep it). Ranges are in SI units (seconds, fractions as counts).
#define ROOFLAB_EFFICIENCY_PARAMS(X) \
    X(PerDType, gemmPeakFraction, "gemm_peak_fraction", Count, 1e-3, 1.0, \
      defaults::byDType(defaults::kGemmPeakFractionGpu, 0.70), \
      "large-GEMM fraction of the dense tensor peak, per datatype key (`bf16: \"0.79 @src\"`)", \
      "large cuBLAS/CUTLASS GEMMs on Hopper reach ~75–85 % of the dense tensor peak (measured here: 769–798 of 989 " \
      "TFLOP/s bf16 on H100); FP8 kernels keep less of their doubled peak (DeepGEMM ≈ 1358 of 1979 on H800, Luo et " \
      "al. wgmma FP8 ≈ 1448); SIMT/DMMA FP32/FP64 run closer to peak; CPU BLAS with AMX/AVX-512 loses clock under " \
      "full-width load and to packing") \
    X(PerDType, gemmMinKPerSplitByDType, "gemm_min_k_per_split_by_dtype", Count, 1, 1e6, \
      defaults::sameAs("gemm_min_k_per_split"), \
      "split-K keeps at least this many K per split in one datatype's kernels", \
      "library kernel families differ (on H100 the sm90 bf16/fp16/fp8 kernels split K finely to fill the machine, " \
      "32–64 K per split; tf32 and SIMT fp32 kernels split only long K, 384–1024); fitted per datatype by " \
      "`rooflab calibrate gpu` on the GEMM sweep") \
    X(PerDType, gemmMemoryFractionByDType, "gemm_memory_fraction_by_dtype", Count, 0.01, 2.0, \
      defaults::constant(1.0), \
      "CPU: fraction of the serving level's bandwidth that one datatype's memory-bound GEMM kernels reach", \
      "the GEMVs of a PyTorch/oneDNN linear with cold weights (fp32 0.91, bf16 0.64 on the 16-vCPU Xeon); fitted " \
      "by `rooflab calibrate cpu --gemm` on the smallest-M rows") \
    X(Scalar, gemmTileM, "gemm_tile_m", Count, 1, 4096, defaults::constant(128), \
      "output tile height of the GEMM kernels (tile and wave quantization)", \
      "common CUTLASS/cuBLAS output tile height") \
    X(Scalar, gemmTileN, "gemm_tile_n", Count, 1, 4096, defaults::byKind(256, 64), \
      "output tile width of the GEMM kernels", \
      "Hopper kernels favour 128×256 tiles; CPU micro-kernels block much smaller") \
    X(Scalar, gemmMinKPerSplit, "gemm_min_k_per_split", Count, 1, 1e6, defaults::constant(512), \
      "split-K keeps at least this many K per split", \
      "as library heuristics do") \
    X(Scalar, gemmSmallMHalf, "gemm_small_m_half", Count, 0, 1e6, defaults::constant(0, "no penalty"), \
      "M at which skinny GEMMs lose half of their compute roof (time × (1 + half / M)); on CPU platforms the " \
      "roof is peak × `gemm_peak_fraction` × M / (M + half)", \
      "off until calibrated, as it is kernel-specific (`rooflab calibrate cpu --gemm` fits it on a CPU GEMM " \
      "reference)") \
    X(Scalar, dramFraction, "dram_fraction", Count, 1e-3, 1.0, defaults::constant(0.90), \
      "achievable fraction of the DRAM read bandwidth", \
      "streaming kernels reach ~85–93 % of datasheet DRAM bandwidth (measured here: 0.886 on H100; published: 0.91 " \
      "H800 PCIe, 0.92 RTX 4090)") \
    X(Scalar, l2Fraction, "l2_fraction", Count, 1e-3, 1.0, defaults::constant(0.80), \
      "achievable fraction of the L2 read bandwidth", \
      "L2 peak is rarely published and harder to reach than DRAM (slice conflicts, partitions)") \
    X(Scalar, gemmDramFraction, "gemm_dram_fraction", Count, 1e-3, 1.0, defaults::sameAs("dram_fraction"), \
      "fraction of the DRAM read bandwidth that memory-bound GEMM kernels (small M: weight streaming) reach", \
      "fitted on the GEMM sweep") \
    X(Scalar, simtGemmDramFraction, "simt_gemm_dram_fraction", Count, 1e-3, 1.0, \
      defaults::unset(0, "SIMT GEMMs stream like tensor kernels"), \
      "GPUs only: SIMT GEMM kernels (fp32/fp64 without a tensor path) of more than one row stream the weight " \
      "operand at this fraction of the DRAM read bandwidth; a single row is a GEMV and streams at " \
      "`gemm_dram_fraction`", \
      "cuBLAS's skinny SIMT kernels reach ~45–65 % on H100, well below its tensor-core kernels; fitted on the " \
      "GEMM sweep's fp32 rows") \
    X(Scalar, simtGemmDramHalfM, "simt_gemm_dram_half_m", Count, 1.0, 1e9, \
      defaults::unset(0, "rate independent of M"), \
      "rows at which that streaming rate halves: rate = fraction / (1 + M / half_m)", \
      "more rows per register tile, fewer warps in flight; where it is large against 2 × SIMT GEMM rate / DRAM " \
      "bandwidth it never binds at large M, which the fit confirms") \
    X(Scalar, simtGemmOverheadS, "simt_gemm_overhead", Seconds, 0.0, 1e-2, defaults::constant(0), \
      "extra fixed time of a SIMT GEMM kernel of more than one row beyond `kernel_overhead`", \
      "split-K reduction pass, longer prologue; fitted with the two keys above") \
    X(Scalar, sustainedComputeFraction, "sustained_compute_fraction", Count, 0.1, 1.0, \
      defaults::constant(1, "no derating"), \
      "tensor rate kept under the power limit when a step is compute-bound all the time: a step's compute-bound " \
      "operators slow by 1 − (1 − f) × (compute-bound share of the step)", \
      "fitted on `sustained_gemm.csv`") \
    X(Scalar, l1Fraction, "l1_fraction", Count, 1e-3, 1.0, defaults::constant(0.80), \
      "achievable fraction of the L1 / shared-memory bandwidth", \
      "bank conflicts and address-generation limits keep shared-memory/L1 traffic below 128 B/clk") \
    X(Scalar, kernelOverheadS, "kernel_overhead", Seconds, 0.0, 1e-2, defaults::byKind(2e-6, 0.2e-6), \
      "fixed time of one kernel on the device (ramp-up and tail), beyond the roofline time", \
      "a few µs on GPUs; a loop entry and exit on CPUs") \
    X(Scalar, attentionPeakFraction, "attention_peak_fraction", Count, 1e-3, 1.0, defaults::constant(0.55), \
      "flash attention's fraction of the tensor peak at long sequences", \
      "FlashAttention-2/3 reach roughly 35–75 % of the tensor peak at long sequences on Hopper; the midpoint") \
    X(Scalar, attentionHalfSeq, "attention_half_seq", Count, 0.0, 1e7, defaults::constant(256), \
      "sequence length at which attention reaches half that fraction", \
      "short sequences under-fill the machine") \
    X(Scalar, attentionDramFraction, "attention_dram_fraction", Count, 1e-3, 1.0, \
      defaults::sameAs("dram_fraction"), \
      "fraction of the DRAM read bandwidth that attention kernels reach when streaming the KV cache (prefill, and " \
      "decode kernels that do not split the keys)", \
      "kernel-limited, so it does not scale with HBM; fitted on `attention.csv` (+ `attention_decode.csv`)") \
    X(Scalar, attentionSplitDramFraction, "attention_split_dram_fraction", Count, 1e-3, 1.0, \
      defaults::sameAs("attention_dram_fraction"), \
      "the same for decode kernels that split the keys over several CTAs (flash-decoding)", \
      "the engine follows FlashAttention's split-KV choice: with batch × KV heads below 80 % of the CTA slots (2 " \
      "per SM) the keys are split, the fewest splits whose wave efficiency is within 85 % of the best (≤ 128, ≤ key " \
      "blocks of 256/128/64 keys for head size ≤ 64/≤ 128/larger), plus a combine kernel; unsplit kernels pay their " \
      "fixed time once per wave of CTAs. H200: 0.80 split vs 0.52 unsplit (3.9 vs 2.5 TB/s); a partial block of " \
      "keys streams as long as a whole one") \
    X(Scalar, attentionOverheadS, "attention_overhead", Seconds, 0.0, 1e-2, defaults::sameAs("kernel_overhead"), \
      "fixed time per attention kernel (graph-replayed, as the microbenchmark times it)", \
      "fitted with the attention fractions above") \
    X(Scalar, elementwiseOverheadS, "elementwise_overhead", Seconds, 0.0, 1e-2, \
      defaults::sameAs("kernel_overhead"), \
      "fixed time per element-wise, norm, RoPE, copy and KV-append kernel", \
      "fitted on the rows of ≤ 64 of `elementwise_strided.csv` (the stacks' strided kernels), else of " \
      "`elementwise.csv`") \
    X(Scalar, stridedElementwiseFraction, "strided_elementwise_fraction", Count, 1e-3, 1.0, \
      defaults::sameAs("dram_fraction"), \
      "fraction of the DRAM read bandwidth at which a stack's strided element-wise passes run (stacks with " \
      "`strided_elementwise: true`: RoPE on q/k views, SiLU-multiply on gate/up chunks)", \
      "these kernels are bound by their own address arithmetic, ~1.5–1.9 TB/s on both H100 and H200, wherever " \
      "the data sits; fitted on the rows of ≥ 2048 of `elementwise_strided.csv` with the `pytorch-eager` stack's " \
      "pass counts") \
    X(Scalar, normRowElementS, "norm_row_element_time", Seconds, 0.0, 1e-6, defaults::constant(0), \
      "norm kernels reduce each row in one CTA: a row of W elements adds W × this to the norm's fixed time, once per norm op (a norm a stack writes as several kernels walks the row in its one reduction kernel)", \
      "RMSNorm of one 8192-wide row: ~5 µs on an H200; fitted on the `rms_norm` rows of ≤ 64 of " \
      "`elementwise.csv`") \
    X(Scalar, vectorFraction, "vector_fraction", Count, 1e-3, 1.0, defaults::constant(0.5), \
      "fraction of the SIMT / SIMD fp32 peak that norms, activations and other element-wise kernels reach", \
      "such kernels rarely pass half of the peak") \
    X(Scalar, collectiveBusFraction, "collective_bus_fraction", Count, 1e-3, 1.0, defaults::constant(0.80), \
      "achievable fraction of the link bandwidth in collectives", \
      "NCCL bus bandwidth on NVLink reaches ~80 % of the link rate for large messages") \
    X(Scalar, collectiveStepLatencyS, "collective_step_latency", Seconds, 0.0, 1e-2, \
      defaults::derived(&defaults::collectiveStepLatency, "max(`scale_up.latency`, 1 µs)"), \
      "latency of one collective step (ring hop / tree level)", \
      "one step costs at least one link latency") \
    X(Scalar, graphLaunchS, "graph_launch", Seconds, 0.0, 1e-2, \
      defaults::derived(&defaults::graphLaunch, "0.25 × `launch_overhead`"), \
      "per-kernel cost when replayed from a CUDA graph", \
      "CUDA graph replay removes most of the host-side launch cost") \
    X(Scalar, hostOverheadScale, "host_overhead_scale", Count, 0.05, 20.0, defaults::constant(1), \
      "this host's eager dispatch cost relative to the serving-stack profile's `host_overhead` (host CPU speed): " \
      "multiplies the stack's per-kernel and per-collective host costs outside CUDA graphs", \
      "fitted by `rooflab calibrate gpu` from `host_floor.csv` (`llama_bench.py --host-floor`: the harness's own " \
      "eager forward with tiny tensors, TP 1) over the pytorch-eager profile's value")
// clang-format on

/// Identifies a parameter; the enumerators are the members' names.
enum class EffParam : unsigned char {
#define ROOFLAB_EFF_ENUM(shape, member, ...) member,
    ROOFLAB_EFFICIENCY_PARAMS(ROOFLAB_EFF_ENUM)
#undef ROOFLAB_EFF_ENUM
};

#define ROOFLAB_EFF_COUNT(...) +1
inline constexpr std::size_t kEfficiencyParamCount = 0 ROOFLAB_EFFICIENCY_PARAMS(ROOFLAB_EFF_COUNT);
#undef ROOFLAB_EFF_COUNT

/// Storage of one parameter, by shape: as read (with provenance) and resolved.
using ScalarValues = Value;
using PerDTypeValues = std::array<Value, kDTypeCount>;
using ScalarResolved = double;
using PerDTypeResolved = std::array<double, kDTypeCount>;

namespace defaults {
/// The GPU constant of a default (0 for the other kinds): the starting values of a hand-built EfficiencyValues.
constexpr ScalarResolved initial(const ParamDefault& d, const ScalarResolved*) {
    return d.kind == ParamDefault::Kind::Constant || d.kind == ParamDefault::Kind::Unset ? d.gpu : 0.0;
}
constexpr PerDTypeResolved initial(const ParamDefault& d, const PerDTypeResolved*) {
    PerDTypeResolved a{};
    for (std::size_t t = 0; t < kDTypeCount; ++t)
        a[t] = d.gpuByDType ? d.gpuByDType[t] : initial(d, static_cast<const ScalarResolved*>(nullptr));
    return a;
}
} // namespace defaults

/// @brief Every efficiency parameter resolved to a plain number (SI units): the file's value, else its default for
/// this platform. Built by resolveEfficiency(); PlatformModel::efficiency holds one.
struct EfficiencyValues {
#define ROOFLAB_EFF_RESOLVED(shape, member, key, dim, lo, hi, dflt, ...)                                               \
    shape##Resolved member = defaults::initial(dflt, static_cast<const shape##Resolved*>(nullptr));
    ROOFLAB_EFFICIENCY_PARAMS(ROOFLAB_EFF_RESOLVED)
#undef ROOFLAB_EFF_RESOLVED
};

/// @brief One row of the table, for the loops that read, write, list, default and document the parameters.
struct EfficiencyParam {
    EffParam id;
    const char* key; ///< YAML key under `efficiency:`
    ParamShape shape;
    Dimension dimension;
    double min, max; ///< accepted range, SI units
    ParamDefault dflt;
    const char* doc; ///< what the parameter means
    const char* why; ///< rationale of the default / how calibration sets it
    std::span<Value> (*valuesOf)(Efficiency&);
    std::span<double> (*resolvedOf)(EfficiencyValues&);

    /// @brief The file's values of this parameter: one for a scalar, one per DType for a per-datatype map.
    std::span<Value> values(Efficiency& e) const { return valuesOf(e); }
    std::span<const Value> values(const Efficiency& e) const;
    std::span<double> resolved(EfficiencyValues& r) const { return resolvedOf(r); }
    std::span<const double> resolved(const EfficiencyValues& r) const;
    /// @brief The sub-key of value `slot`: empty for a scalar, the datatype name in a per-datatype map.
    std::string_view slotKey(std::size_t slot) const;
    /// @brief The Constant / Unset default of `slot` for a device kind (0 for SameAs and Derived defaults).
    double constantDefault(DeviceKind kind, std::size_t slot = 0) const;
};

/// @brief The table, in file order.
const std::array<EfficiencyParam, kEfficiencyParamCount>& efficiencyParams();
const EfficiencyParam& efficiencyParam(EffParam id);
/// @brief The parameter with this YAML key, or nullptr.
const EfficiencyParam* findEfficiencyParam(std::string_view key);

/// @brief Resolves every parameter of `p.efficiency`: present values as read, absent ones their defaults (SameAs
/// and Derived defaults see the resolved values of the keys they name). Pure; no I/O.
EfficiencyValues resolveEfficiency(const Platform& p);

} // namespace rooflab
