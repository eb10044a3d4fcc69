#pragma once
/// @brief A serving-stack profile: which logical operators run as their own kernels, how many passes over
/// memory they make, and how kernels are launched. Profiles are data files (resources/stacks/*.yaml).
#include "workloads/kernel_efficiency.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rooflab {

/// @brief How a serving framework schedules its engine iterations: the limits and policies of its scheduler, as
/// data (the stack profile's `scheduler:` section). The serving simulator (model/serving) runs one iteration per
/// forward step under these rules. Defaults: vLLM v1's published defaults for 70+ GiB GPUs (the framework a stack
/// profile without a `scheduler:` section is assumed to run under).
struct SchedulerProfile {
    /// What an iteration may hold. Mixed: decode tokens of the running sequences and prefill chunks together (vLLM
    /// v1, TensorRT-LLM in-flight batching). PrefillFirst: an iteration of prefill chunks only whenever a prefill
    /// can be scheduled, else a decode iteration of all running sequences (SGLang without --enable-mixed-chunk).
    enum class Batching : unsigned char { Mixed, PrefillFirst };
    /// What the KV-cache memory fraction is a fraction of. Total: of device memory, less weights, peak activations
    /// and the runtime workspace (vLLM gpu_memory_utilization). Static: of device memory, less weights only
    /// (SGLang mem_fraction_static). Free: of the memory left after weights, activations and workspace
    /// (TensorRT-LLM free_gpu_memory_fraction).
    enum class KvBudget : unsigned char { Total, Static, Free };

    std::string framework = "vllm"; ///< vllm | sglang | tensorrt-llm: for tables
    Batching batching = Batching::Mixed;
    int64_t tokenBudget =
        8192;               ///< tokens per iteration (max_num_batched_tokens / chunked_prefill_size / max_num_tokens)
    int64_t maxSeqs = 1024; ///< running sequences (max_num_seqs / max_running_requests / max_batch_size); 0: no limit
    bool chunkedPrefill = true; ///< a prompt may be split over iterations (else it waits for a budget it fits in)
    int64_t blockSize = 16;     ///< tokens per KV-cache block (page)
    /// Admission control: a new request needs KV room for its prompt plus this fraction of its output, and the
    /// running requests' remaining outputs at this fraction stay reserved. 0: blocks on demand, preemption when
    /// they run out (vLLM); 1: room for the whole request reserved up front, never preempted (TensorRT-LLM
    /// GUARANTEED_NO_EVICT); between: SGLang's new-token ratio.
    double admissionReserve = 0.0;
    double prefixCacheHitRate = 0.0; ///< fraction of each prompt found in the prefix (radix) cache, not recomputed
    double kvMemoryFraction = 0.9;   ///< see KvBudget
    KvBudget kvBudget = KvBudget::Total;
    double iterationOverheadS = 0.0; ///< host time per iteration (scheduling, input preparation, sampling)
    /// Host time per sequence in the batch per iteration (its sampling, detokenization and streamed output, its
    /// share of input preparation): the part of the host's work that grows with the batch.
    double sequenceOverheadS = 0.0;
    bool overlapScheduler = false; ///< host work for the next iteration hides behind this one's forward step
    /// Front-end time per request outside the engine (HTTP server, tokenization, detokenization) that a benchmark
    /// client's TTFT and end-to-end latency include: the engine sees a request this long after the client sent it.
    double frontendLatencyS = 0.0;
    /// Provenance of the values fitted on measured serving runs (`rooflab calibrate serving`): the keys, the
    /// dataset and the ids of the rows they came from. Empty: nothing fitted.
    struct Fitted {
        std::vector<std::string> keys;
        std::string dataset;
        std::vector<std::string> rows;
        bool operator==(const Fitted&) const = default;
    } fitted;

    bool operator==(const SchedulerProfile&) const = default;
};

/// (hardware threads, value) points in ascending thread order.
using ThreadCurve = std::vector<std::pair<double, double>>;

/// @brief The curve at `threads`: linear in log2(threads) between points, held constant beyond the first and the
/// last; `fallback` when the curve is empty.
double threadCurveAt(const ThreadCurve& c, double threads, double fallback);

/// @brief How a CPU framework runs on the cores: the stack profile's `cpu:` section, fitted by `rooflab calibrate cpu
/// --stack` from single-op microbenchmarks (bench/cpu_llm). On a CPU the framework's dispatch (Python, module calls,
/// ATen, OpenMP fork/join) runs on the cores that compute, so its host time adds to the step instead of hiding behind
/// device work. Rates are fractions of the platform's roofs at the thread count (withCpuThreads), per datatype.
struct CpuStackProfile {
    bool present = false;
    ThreadCurve hostOverheadS;                ///< host time per op, by threads
    double prefillStepS = 0, decodeStepS = 0; ///< fixed host time per forward step beyond its ops
    ThreadCurve gemmOverheadS;       ///< fixed time of one GEMM/GEMV call beyond the op's host time (oneDNN, OpenMP)
    ThreadCurve attentionOverheadS;  ///< fixed time of one decode/prefill attention call (SDPA) beyond its host time
    ThreadCurve parallelOpOverheadS; ///< fixed time of an element-wise op large enough for ATen to run it on all
                                     ///< threads (an OpenMP parallel region: fork, join), by threads
    using ByType = std::map<std::string, ThreadCurve, std::less<>>; ///< datatype name -> curve by threads
    ByType gemvDramFraction; ///< one-row GEMM (GEMV): weight-streaming rate / DRAM read bandwidth
    /// One measured weight shape's streaming time over what gemvDramFraction gives it (a GEMV kernel streams some
    /// shapes slower than others of the same bytes: PyTorch's bf16 down projection, n 2,048 x k 8,192, at half the
    /// rate of the gate projection, 8,192 x 2,048, on every host measured).
    struct GemvShape {
        double n = 0, k = 0, ratio = 1;
        bool operator==(const GemvShape&) const = default;
    };
    /// datatype name -> (thread count, the shapes measured at it), sorted by thread count; empty: every shape at
    /// gemvDramFraction
    std::map<std::string, std::vector<std::pair<double, std::vector<GemvShape>>>, std::less<>> gemvShape;
    ByType gemmPeakFraction;      ///< GEMM rate / the datatype's peak (AMX for bf16, AVX-512 for fp32)
    ByType gemmHalfM;             ///< rows at which a GEMM reaches half of that rate (small-M ramp)
    ByType attentionKvFraction;   ///< decode SDPA: K/V streaming rate / DRAM read bandwidth
    ByType attentionPeakFraction; ///< prefill SDPA: attention-core rate / peak (platform's sequence ramp applies)
    /// Decode attention whose time goes with (query heads x keys), not with the K/V bytes: llama.cpp's CPU flash
    /// attention runs each query head over every key on its one-query path (GQA shares no work). Head size ->
    /// seconds per (query head x key) by threads; empty = the K/V-bytes model (attentionKvFraction).
    std::map<int, ThreadCurve> attentionDecodeSPerHeadKey;

    bool operator==(const CpuStackProfile&) const = default;
};

/// @brief Which fused-MoE layout a framework runs for an expert datatype (the MoE surface dtype: bfloat16, fp8,
/// fp8_block, w4a16_mxfp4, int4_wo), from `epMin` expert-parallel ranks on.
struct MoeKernelRule {
    std::string dtype;
    int epMin = 1;
    MoeLayout layout = MoeLayout::Permuted;
    bool operator==(const MoeKernelRule&) const = default;
};

struct StackProfile {
    std::string name;
    std::string description;
    std::string file;
    bool fusedQkv = true;
    bool fusedGateUp = true;
    bool prefillGraph = false; ///< prefill kernels replayed from a CUDA graph
    bool decodeGraph = true;   ///< decode kernels replayed from a CUDA graph
    // Kernels per occurrence of each logical operator (0 = fused into a neighbour).
    double embeddingKernels = 1, normKernels = 1, qkNormKernels = 1, ropeKernels = 1, kvAppendKernels = 1;
    double activationKernels = 1, residualKernels = 1, routerKernels = 2, attentionKernels = 1;
    /// MoE token permutation before the grouped expert GEMMs (sort by expert, histogram, scan, gather of the routed
    /// hidden states) and the combine after them (routing-weight multiply, scatter, sum), where a framework runs them
    /// as separate kernels (transformers' grouped_mm experts backend); 0: fused into the expert kernels
    double moePermuteKernels = 0, moeCombineKernels = 0;
    /// The fused-MoE layout per expert datatype (the `moe_kernels:` section); without a rule: Permuted.
    std::vector<MoeKernelRule> moeKernels;
    /// @brief The layout of the rule for `dtype` with the largest epMin <= ep (Permuted without one).
    MoeLayout moeLayout(std::string_view dtype, int ep) const;
    /// How much of a grouped expert GEMM's memory and compute time overlap (1: the longer hides the shorter, the
    /// roofline; 0: they add, as torch._grouped_mm's CUTLASS kernels do at a few hundred rows per expert).
    /// Fitted by calibrate gpu-stack on the grouped GEMMs of the sparse-MoE block alone.
    double groupedGemmOverlap = 1;
    /// The rate at which those grouped GEMMs stream their experts' weights, as a fraction of the platform's GEMM DRAM
    /// rate (torch._grouped_mm at a few rows per expert: 1.7-2.7 TB/s on an H100). Fitted with the overlap.
    double groupedGemmDramFraction = 1;
    // Read+write passes over the tensor per occurrence (1 = one read and one write of the activation).
    double normPasses = 1, ropePasses = 1, activationPasses = 1, residualPasses = 1;
    /// Factor on the bytes of the MoE kernels around the grouped GEMMs where they run on their own (moeSideBytes in
    /// analysis/step_graph.hpp): generic element-wise kernels move their bytes slower than the strided rate
    double moePasses = 1;
    /// RoPE and the activation run on strided views (q/k out of the fused QKV output, gate/up chunks): their passes
    /// go at the platform's strided element-wise rate (efficiency.strided_elementwise_fraction), not its DRAM rate
    bool stridedElementwise = false;
    /// The KV cache grows by concatenation (`kv_cache: concat`, transformers' DynamicCache): each decode step reads
    /// the cached K/V and writes them again with the new token, instead of writing the new token in place
    bool kvAppendConcat = false;
    /// Decode attention as transformers runs it over a static cache (the `decode_attention:` section): the mask of
    /// the cache's slots makes its SDPA path refuse grouped-query attention, so `repeat_kv` first copies every cached
    /// K and V head once per query head it serves (a broadcast copy, at the platform's strided element-wise rate)
    /// and the attention kernel then streams the copy: (1 + group) x the cache's bytes moved by the copy, group x
    /// read by the attention, instead of 1 x.
    bool decodeRepeatKv = false;
    double repeatKvPasses = 1; ///< effective passes of that copy over the bytes it reads and writes (fitted)
    /// Kernels the masked decode path adds to each layer's attention (the mask's fill and select, the cache
    /// positions, the attention's reduction kernel)
    double decodeAttentionExtraKernels = 0;
    /// The decode-attention kernel's query-group limit (`decode_attention.max_query_group`)
    DecodeAttentionKernel decodeKernel;
    double hostOverheadS = 0; ///< host time to issue one kernel outside graphs (framework dispatch + launch)
    /// Host time of one kernel of a norm written as plain tensor ops inside one module's forward (transformers'
    /// RMSNorm: eight ATen calls, no module call or linear dispatch of their own); 0: hostOverheadS
    double normHostOverheadS = 0;
    /// Host time of one collective call outside graphs (process-group bookkeeping, waiting for the slowest
    /// rank) per tensor-parallel degree: (tp, seconds), ascending tp, distinct degrees. One entry holds for
    /// every degree; empty = the same as hostOverheadS.
    std::vector<std::pair<double, double>> collectiveHostOverheadByTp;

    /// Host time of one collective among `tp` ranks: the table interpolated linearly in log2(tp) (held
    /// constant below its first entry, extended along its last two entries above the last), else hostOverheadS.
    double collectiveHostS(double tp) const;
    double workspaceBytes = 2.0e9; ///< runtime memory beyond weights, KV cache and activations (context, allocator)
    double activationMemoryFactor = 1.0;
    SchedulerProfile scheduler; ///< how the serving framework batches iterations (the `scheduler:` section)
    /// FP8 GEMMs of this stack scale per tensor (`tensor`, CUTLASS scaled_mm) or per 1x128 / 128x128 block
    /// (`block`, DeepGEMM): picks the fp8 or fp8_block efficiency surface (the `efficiency:` section's `fp8_gemm`).
    bool fp8BlockGemm = false;
    /// Fitted kernel efficiency per platform (the `efficiency:` section; workloads/kernel_efficiency.hpp). Empty:
    /// the platform file's efficiencies for every operator.
    std::vector<KernelEfficiency> kernelEfficiency;
    /// @brief The surfaces fitted on platform `platformName`, or nullptr.
    /// The fitted kernel efficiency of `platformName`, else of `basePlatform` (the GPU an HGX node extends).
    const KernelEfficiency* efficiencyFor(const std::string& platformName, const std::string& basePlatform) const;
    const KernelEfficiency* efficiencyFor(const std::string& platformName) const;
    CpuStackProfile cpu; ///< CPU frameworks only (the `cpu:` section)

    /// @brief The profile used when none is named: `pytorch-eager`, equal to resources/stacks/pytorch-eager.yaml
    /// (the data file is the source of truth; front ends that can read files load it with io::loadStack, and a test
    /// checks that this copy, for code that reads none, matches it).
    static StackProfile defaultProfile();

    bool operator==(const StackProfile&) const = default;
};

} // namespace rooflab
