#include "kernel_class.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <vector>

namespace rooflab::gpu {
namespace {

constexpr std::array<std::string_view, 9> kNames = {"gemm", "attention", "norm",       "elementwise", "rope",
                                                     "reduction", "copy", "collective", "other"};

std::string lower(std::string_view s) {
    std::string o(s);
    std::transform(o.begin(), o.end(), o.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return o;
}

bool has(const std::string& s, std::string_view needle) { return s.find(needle) != std::string::npos; }

template <size_t N> bool hasAny(const std::string& s, const std::array<std::string_view, N>& needles) {
    return std::any_of(needles.begin(), needles.end(), [&](std::string_view n) { return has(s, n); });
}

/// Splits the op list of a Triton kernel name: triton_poi_fused__to_copy_add_mean_0 -> {"to", "copy", ...}.
std::vector<std::string> tritonOps(const std::string& n, size_t from) {
    std::vector<std::string> ops;
    std::string cur;
    for (size_t i = from; i < n.size(); ++i) {
        if (n[i] == '_') {
            if (!cur.empty())
                ops.push_back(cur);
            cur.clear();
        } else {
            cur += n[i];
        }
    }
    if (!cur.empty())
        ops.push_back(cur);
    return ops;
}

std::optional<KernelClass> classifyTriton(const std::string& n) {
    const size_t at = n.find("triton_");
    if (at == std::string::npos)
        return std::nullopt;
    const std::string_view kinds[] = {"poi", "red", "per", "tem"};
    std::string kind;
    for (auto k : kinds)
        if (n.compare(at + 7, 3, k) == 0)
            kind = std::string(k);
    if (kind.empty())
        return std::nullopt;
    const auto ops = tritonOps(n, at + 11);
    auto op = [&](std::string_view w) { return std::find(ops.begin(), ops.end(), w) != ops.end(); };
    if (kind == "tem")
        return (op("mm") || op("bmm") || op("addmm") || op("baddbmm")) ? KernelClass::Gemm
               : (op("flex") || op("attention"))                        ? KernelClass::Attention
                                                                        : KernelClass::Gemm;
    if (op("rsqrt") || op("layer") || op("norm"))
        return KernelClass::Norm;
    if ((op("cos") || op("sin")) && (op("cat") || op("neg") || op("stack")))
        return KernelClass::Rope;
    if (kind == "red" || kind == "per")
        return KernelClass::Reduction;
    // pointwise: a pure data movement fusion is a copy
    static const std::vector<std::string> moves = {"fused", "to", "copy", "clone", "cat", "view", "permute",
                                                   "transpose", "index", "select", "slice", "scatter", "embedding",
                                                   "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    const bool onlyMoves = std::all_of(ops.begin(), ops.end(), [&](const std::string& o) {
        return std::find(moves.begin(), moves.end(), o) != moves.end() ||
               std::all_of(o.begin(), o.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    });
    return onlyMoves ? KernelClass::Copy : KernelClass::Elementwise;
}

} // namespace

std::string_view toString(KernelClass c) { return kNames[static_cast<size_t>(c)]; }

std::optional<KernelClass> kernelClassFromString(std::string_view s) {
    for (size_t i = 0; i < kNames.size(); ++i)
        if (kNames[i] == s)
            return static_cast<KernelClass>(i);
    return std::nullopt;
}

KernelClass classifyKernel(std::string_view rawName, const KernelMetrics* metrics) {
    const std::string n = lower(rawName);

    static constexpr std::array<std::string_view, 11> collective = {
        "nccl", "allreduce", "all_reduce", "allgather", "all_gather", "reducescatter", "reduce_scatter",
        "alltoall", "all_to_all", "cross_device_reduce", "multimem"};
    if (hasAny(n, collective))
        return KernelClass::Collective;

    // KV-cache writes (vLLM's reshape_and_cache*) move data even when their names mention flash attention.
    if (has(n, "reshape_and_cache") || has(n, "copy_blocks") || has(n, "swap_blocks"))
        return KernelClass::Copy;

    static constexpr std::array<std::string_view, 10> attention = {
        "flash", "fmha", "attention", "attn_", "_attn", "sdpa", "paged_attention", "mha_", "decode_attn",
        "flashinfer"};
    if (hasAny(n, attention) && !has(n, "rotary") && !has(n, "rope"))
        return KernelClass::Attention;

    static constexpr std::array<std::string_view, 5> rope = {"rotary", "rope_", "_rope", "apply_rope", "pos_encoding"};
    if (hasAny(n, rope) || n == "rope")
        return KernelClass::Rope;

    if (auto t = classifyTriton(n))
        return *t;

    static constexpr std::array<std::string_view, 10> norm = {
        "layer_norm", "layernorm", "rms_norm", "rmsnorm", "batch_norm", "batchnorm", "group_norm", "groupnorm",
        "norm_kernel", "instancenorm"};
    if (hasAny(n, norm))
        return KernelClass::Norm;

    static constexpr std::array<std::string_view, 17> gemm = {
        "gemm",   "xmma",    "nvjet",  "cutlass", "cublas", "wgmma",  "hgmma",  "sgemm",  "hmma",
        "matmul", "gemv",    "splitkreduce", "splitk_reduce", "_mma_", "ampere_h", "ampere_s", "dot_kernel"};
    if (hasAny(n, gemm) || n.rfind("sm90_", 0) == 0 || n.rfind("sm80_", 0) == 0)
        return KernelClass::Gemm;

    static constexpr std::array<std::string_view, 15> copy = {
        "copy_kernel", "direct_copy", "catarraybatchedcopy", "memcpy", "memset", "fill_kernel", "fillfunctor",
        "transpose", "index_elementwise", "indexselect", "index_select", "embedding", "gather_kernel",
        "scatter_kernel", "scatter_gather"};
    if (hasAny(n, copy) || n.rfind("copy", 0) == 0)
        return KernelClass::Copy;

    static constexpr std::array<std::string_view, 12> reduction = {
        "reduce_kernel", "reduce", "softmax", "argmax", "topk", "sort", "cumsum", "scan", "sum_kernel",
        "mean_kernel", "max_kernel", "norm_reduce"};
    if (hasAny(n, reduction))
        return KernelClass::Reduction;

    static constexpr std::array<std::string_view, 14> elementwise = {
        "elementwise", "silu", "gelu", "relu", "act_and_mul", "swiglu", "functor", "binary_op", "unary_op",
        "add_kernel", "mul_kernel", "pointwise", "sigmoid", "tanh"};
    if (hasAny(n, elementwise))
        return KernelClass::Elementwise;

    if (metrics) {
        if (metrics->tensorFlop > 0)
            return KernelClass::Gemm;
        if (metrics->dramBytes > 0 && metrics->simtFlop >= 0 && metrics->simtFlop < 0.05 * metrics->dramBytes)
            return KernelClass::Copy;
        if (metrics->dramBytes > 0 && metrics->simtFlop >= 0 && metrics->simtFlop < 2 * metrics->dramBytes)
            return KernelClass::Elementwise;
    }
    return KernelClass::Other;
}

} // namespace rooflab::gpu
