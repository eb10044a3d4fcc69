#pragma once
/// @brief Roofline evaluation of single operators (GEMM, attention, memory-bound kernels, collectives) on a
/// PlatformModel: a cache-aware roofline over every memory level plus per-kernel overhead, wave and tile
/// quantization, and attention efficiency by sequence length. Pure functions.
#include "analysis/platform_model.hpp"
#include "workloads/kernel_efficiency.hpp"

#include <array>

namespace rooflab {

enum class OpClass : unsigned char { Gemm, Attention, Norm, Elementwise, Rope, Embedding, KvAppend, Collective, Other };
enum class Bound : unsigned char { Compute, L1, L2, L3, Dram, Communication, Overhead, Launch };

std::string_view opClassName(OpClass c);
std::string_view boundName(Bound b);

/// @brief One operator's cost and time (per occurrence; `count` occurrences in the step).
struct OpResult {
    const char* name = "";
    OpClass cls = OpClass::Other;
    double count = 1;   ///< occurrences per step (e.g. layers)
    double kernels = 1; ///< kernel launches per occurrence
    DType computeType = DType::bf16;
    double flops = 0;                         ///< useful flops per occurrence
    std::array<double, kMemLevels> bytes{};   ///< bytes moved per memory level per occurrence
    double commBytes = 0;                     ///< bytes each device sends in a collective
    double computeS = 0;                      ///< compute-roof time (quantization and efficiency included)
    std::array<double, kMemLevels> memoryS{}; ///< per-level memory time
    double commS = 0;
    double overheadS = 0; ///< fixed per-kernel device time and launch-bound excess
    double hostS = 0;     ///< host time to issue the op's kernels outside graphs (eager)
    double timeS = 0;     ///< time per occurrence
    Bound bound = Bound::Compute;
    int64_t m = 0, n = 0, k = 0; ///< GEMM shape (per device), for tables
    double batchCount = 1;
    bool perLayer = false; ///< part of the decoder layers (repeated on every PP stage)

    double totalS() const { return timeS * count; }
};

/// How kernels are launched: each kernel costs at least this much wall time (Stream: the platform's launch
/// overhead or the stack's host overhead, whichever is larger; Graph: the per-node replay cost).
enum class LaunchMode : unsigned char { Stream, Graph };

/// @brief Shared final step: time = max(roofs) + fixed overhead (the platform's per-kernel time plus
/// `extraFixedPerKernelS`, a kernel family's own), floored by the launch cost per kernel.
void finishOp(const PlatformModel& pm, OpResult& r, LaunchMode launch, double extraFixedPerKernelS = 0);
/// The same with a kernel family's own fixed time per kernel in place of the platform's kernel_overhead.
void finishOpFixed(const PlatformModel& pm, OpResult& r, LaunchMode launch, double fixedPerKernelS);

/// @brief Whether GEMMs of this compute datatype run SIMT kernels (no tensor path: fp32, fp64).
constexpr bool isSimtGemm(DType computeType) {
    return computeType == DType::fp32 || computeType == DType::fp64;
}

/// @brief Operand and result bytes of a GEMM: what it must move at least, and what evalGemm streams from DRAM.
struct GemmTraffic {
    double aBytes = 0, bBytes = 0, cBytes = 0; ///< bBytes includes int4 weights' group scales
    double total() const { return aBytes + bBytes + cBytes; }
};
GemmTraffic gemmTraffic(double m, double n, double k, DType aType, DType bType, double batch,
                        double outBytesPerElement);

/// @brief C[m,n] = A[m,k] B[k,n], `batch` independent products (batched/grouped GEMM).
/// `aType` is the activation datatype, `bType` the weights' storage datatype, `computeType` the tensor path.
/// `timeScale` multiplies the device time (every roof and the fixed time; not the launch floor): a serving stack's
/// fitted kernel efficiency (workloads/kernel_efficiency.hpp), 1 for the platform's own.
OpResult evalGemm(const PlatformModel& pm, const char* name, double m, double n, double k, DType aType, DType bType,
                  DType computeType, LaunchMode launch, double batch = 1, double outBytesPerElement = 2,
                  double timeScale = 1);

/// @brief A memory-bound kernel: `bytesRead` + `bytesWritten` over the activation, `flops` on the vector engine.
/// Small footprints are served from L2 (they were just written by the previous kernel). Each kernel pays the
/// platform's element-wise fixed time; `rowElements` > 0 (norms) adds to it the latency of reducing one row of
/// that many elements in one CTA. `kernelBytesPerS` > 0 caps the traffic rate wherever the data sits (kernels on
/// strided views are bound by their own address arithmetic, not by the memory level).
OpResult evalMemoryOp(const PlatformModel& pm, const char* name, OpClass cls, double bytesRead, double bytesWritten,
                      double flops, double kernels, LaunchMode launch, double rowElements = 0,
                      double kernelBytesPerS = 0);

/// @brief Flash-style attention for `batch` sequences: `queries` new tokens each, attending to `keys` cached +
/// new tokens (causal over the new ones), `heads` query heads and `kvHeads` KV heads of this device.
/// `window` > 0 limits the keys to a sliding window.
struct AttentionShape {
    double batch = 1, queries = 1, keys = 1, heads = 1, kvHeads = 1;
    double qkDim = 128, vDim = 128;
    double window = 0;
    double kvBytesPerElement = 2, actBytesPerElement = 2;
    bool causal = true;
    double kvHeadsShareLatent = 0;      ///< MLA: latent width shared by all heads (keys/values read once), else 0
    DecodeAttentionKernel decodeKernel; ///< decode on a GPU: the framework's kernel (its query-group limit)
    bool operator==(const AttentionShape&) const = default;
};
/// @brief Flops and compulsory bytes of an attention shape (causal pairs, window cap, MLA's shared latent).
struct AttentionTraffic {
    double flops = 0;    ///< 2 x pairs x heads x (qk + v) over the batch
    double keysRead = 0; ///< keys each sequence reads (window + new tokens when windowed)
    double kvBytes = 0;  ///< K/V (or latent) bytes read
    double qoBytes = 0;  ///< Q read and O written
};
AttentionTraffic attentionTraffic(const AttentionShape& s);

/// Decode (one query per sequence) on a GPU follows FlashAttention's split-KV choice: with fewer (batch x KV
/// head) work units than ~80 % of the CTA slots (two per SM) the keys are split over several CTAs and a combine
/// kernel merges them; split kernels stream the KV cache at efficiency.attention_split_dram_fraction.
/// `timeScale` as for evalGemm.
OpResult evalAttention(const PlatformModel& pm, const char* name, const AttentionShape& s, DType computeType,
                       LaunchMode launch, double timeScale = 1);

/// @brief Key splits FlashAttention's decode kernels use for `units` (batch x KV heads) work units on `slots`
/// CTA slots with `keyBlocks` blocks of keys: 1 when the units nearly fill the slots, else the fewest splits
/// whose wave efficiency is within 85 % of the best (at most 128, never more than the key blocks).
int flashDecodeSplits(double units, double slots, double keyBlocks);

enum class Collective : unsigned char { AllReduce, AllGather, ReduceScatter, AllToAll, SendRecv };
std::string_view collectiveName(Collective c);

/// @brief A collective over `devices` devices, each contributing `bytes` (the full tensor for all-reduce).
/// Ring and tree algorithms are both timed; the faster is taken. In-node over scale_up, else scale_out.
OpResult evalCollective(const PlatformModel& pm, const char* name, Collective c, double bytes, double devices,
                        LaunchMode launch);

/// @brief Multiplies an evaluated op's time and its parts (roofs, fixed time) by `timeScale`: a fitted correction
/// of a whole operator family (a fused MoE, a framework's all-reduce) applied after evaluation.
void scaleOpTime(OpResult& r, double timeScale);

/// Time of a collective alone (no launch floor); used by sweeps and the GUI.
double collectiveSeconds(const PlatformModel& pm, Collective c, double bytes, double devices);

} // namespace rooflab
