#include "workloads/kernel_efficiency.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace rooflab {

std::size_t EffGrid::size() const {
    std::size_t n = 1;
    for (const Axis& a : axes)
        n *= static_cast<std::size_t>(std::max(1, a.count));
    return n;
}

namespace {
/// The knot at or below `x` on axis `a` and the fraction towards the next one, clamped at the edges (knot 0 and
/// fraction 0 on a single-knot axis). stencil() and eval() both place a point with it.
void knotBelow(const EffGrid::Axis& a, double x, std::size_t& knot, double& frac) {
    if (a.count <= 1) {
        knot = 0;
        frac = 0;
        return;
    }
    const double t = std::clamp((x - a.lo) / a.step, 0.0, double(a.count - 1));
    knot = std::min(static_cast<std::size_t>(t), static_cast<std::size_t>(a.count - 2));
    frac = t - double(knot);
}
} // namespace

int EffGrid::stencil(const double* x, std::size_t* index, double* weight) const {
    const std::size_t dims = axes.size();
    std::size_t lo[4] = {};
    double frac[4] = {};
    for (std::size_t d = 0; d < dims; ++d)
        knotBelow(axes[d], x[d], lo[d], frac[d]);
    const int corners = 1 << dims;
    for (int c = 0; c < corners; ++c) {
        std::size_t idx = 0;
        double w = 1;
        for (std::size_t d = 0; d < dims; ++d) {
            const bool up = (c >> d) & 1;
            const std::size_t i = lo[d] + (up && axes[d].count > 1 ? 1 : 0);
            idx = idx * static_cast<std::size_t>(axes[d].count) + i;
            w *= up ? frac[d] : 1.0 - frac[d];
        }
        index[c] = idx;
        weight[c] = w;
    }
    return corners;
}

double EffGrid::eval(const double* x) const {
    if (values.empty() || values.size() != size() || axes.size() > 4)
        return 0.0;
    // The same knots and fractions as stencil(), combined axis by axis (2^dims - 1 interpolations) instead of as
    // 2^dims weighted corners: a surface is evaluated several times per predicted step.
    const std::size_t dims = axes.size();
    std::size_t base = 0, stride[4] = {};
    double frac[4] = {};
    std::size_t s = 1;
    for (std::size_t d = dims; d-- > 0;) {
        std::size_t knot = 0;
        knotBelow(axes[d], x[d], knot, frac[d]);
        base += knot * s;
        stride[d] = axes[d].count > 1 ? s : 0;
        s *= static_cast<std::size_t>(std::max(1, axes[d].count));
    }
    // Corner c (bit d set: the knot above on axis d), reduced from the last axis to the first.
    double v[16];
    const std::size_t corners = std::size_t(1) << dims;
    for (std::size_t c = 0; c < corners; ++c) {
        std::size_t off = base;
        for (std::size_t d = 0; d < dims; ++d)
            off += ((c >> d) & 1) * stride[d];
        v[c] = values[off];
    }
    for (std::size_t d = dims, n = corners; d-- > 0;) {
        n /= 2;
        const double f = frac[d];
        for (std::size_t j = 0; j < n; ++j)
            v[j] = v[j] + f * (v[j + n] - v[j]);
    }
    return v[0];
}

const char* effFamilyName(EffFamily f) {
    switch (f) {
    case EffFamily::Gemm:
        return "gemm";
    case EffFamily::ContextAttention:
        return "context_attention";
    case EffFamily::GenerationAttention:
        return "generation_attention";
    case EffFamily::Moe:
        return "moe";
    case EffFamily::Collective:
        return "collective";
    }
    return "?";
}

bool effFamilyFromName(const std::string& name, EffFamily& out) {
    for (EffFamily f : {EffFamily::Gemm, EffFamily::ContextAttention, EffFamily::GenerationAttention, EffFamily::Moe,
                        EffFamily::Collective})
        if (name == effFamilyName(f)) {
            out = f;
            return true;
        }
    return false;
}

bool EffHeldOut::contains(const std::string& column, int64_t value) const {
    for (const auto& [name, vals] : axes)
        if (name == column)
            return std::binary_search(vals.begin(), vals.end(), value);
    return false;
}

const EffSurface* KernelEfficiency::find(EffFamily f, const std::string& dtype, int headDim) const {
    for (const EffSurface& s : surfaces)
        if (s.family == f && s.headDim == headDim && s.dtype == dtype)
            return &s;
    return nullptr;
}

const EffSurface* KernelEfficiency::nearestAttention(EffFamily f, const std::string& dtype, int headDim) const {
    const EffSurface* best = nullptr;
    double bestD = 0;
    for (const EffSurface& s : surfaces) {
        if (s.family != f || s.dtype != dtype || s.headDim <= 0)
            continue;
        const double d = std::fabs(std::log2(double(s.headDim)) - std::log2(std::max(1.0, double(headDim))));
        if (!best || d < bestD) {
            best = &s;
            bestD = d;
        }
    }
    return best;
}

const EffHeldOut* KernelEfficiency::heldOutOf(EffFamily f) const {
    for (const EffHeldOut& h : heldOut)
        if (h.family == f)
            return &h;
    return nullptr;
}

void gemmFeatures(double m, double n, double k, double* x) {
    x[0] = std::log2(std::max(1.0, m));
    x[1] = std::log2(std::max(1.0, n));
    x[2] = std::log2(std::max(1.0, k));
}

void contextFeatures(double batch, double isl, double heads, double kvHeads, double keysPerQuery, double* x) {
    x[0] = std::log2(std::max(1.0, isl));
    x[1] = std::log2(std::max(1.0, batch * heads));
    x[2] = std::log2(std::max(1.0, isl / std::max(1.0, keysPerQuery)));
    x[3] = std::log2(std::max(1.0, heads / std::max(1.0, kvHeads)));
}

void generationFeatures(double batch, double keys, double heads, double kvHeads, double keysRead, double* x) {
    x[0] = std::log2(std::max(1.0, keysRead));
    x[1] = std::log2(std::max(1.0, batch * kvHeads));
    x[2] = std::log2(std::max(1.0, heads / std::max(1.0, kvHeads)));
    x[3] = std::log2(std::max(1.0, keys / std::max(1.0, keysRead)));
}

void moeFeatures(double tokensPerExpert, double experts, double hidden, double width, double* x) {
    x[0] = std::log2(std::max(1.0, tokensPerExpert));
    x[1] = std::log2(std::max(1.0, experts));
    x[2] = std::log2(std::max(1.0, width));
    x[3] = std::log2(std::max(1.0, hidden));
}

void collectiveFeatures(double bytes, double ranks, double* x) {
    x[0] = std::log2(std::max(1.0, bytes));
    x[1] = std::log2(std::max(1.0, ranks));
}

std::vector<EffGrid::Axis> defaultAxes(EffFamily f) {
    switch (f) {
    case EffFamily::Gemm: // M 1 .. 32768, N and K 32 .. 65536, every octave
        return {{0, 1, 16}, {5, 1, 12}, {5, 1, 12}};
    case EffFamily::ContextAttention: // ISL 1 .. 16384; batch x heads 1 .. 16384 (two octaves); window 1 .. 256x;
                                      // GQA group 1 .. 64 (two octaves)
        return {{0, 1, 15}, {0, 2, 8}, {0, 2, 5}, {0, 2, 4}};
    case EffFamily::GenerationAttention: // keys read 1 .. 131072; batch x KV heads 1 .. 65536 (two octaves); GQA 1 ..
                                         // 64 (every octave); context beyond a window 1 .. 512x (three octaves)
        return {{0, 1, 18}, {0, 2, 9}, {0, 1, 7}, {0, 3, 4}};
    case EffFamily::Moe: // rows per expert 1 .. 32768 (every octave); touched experts per GPU 1 .. 512 (every
                         // octave); hidden x width 2^14 .. 2^26 (two octaves)
        return {{0, 1, 16}, {0, 2, 6}, {4, 1, 11}, {10, 1, 4}};
    case EffFamily::Collective: // bytes per rank 256 B .. 1 GiB (every octave); ranks 2, 4, 8
        return {{8, 1, 23}, {1, 1, 3}};
    }
    return {};
}

double KernelEfficiency::gemmScale(const std::string& dtype, double m, double n, double k) const {
    const EffSurface* s = find(EffFamily::Gemm, dtype);
    if (!s)
        return 1.0;
    double x[3];
    gemmFeatures(m, n, k, x);
    return std::exp2(s->log2Scale.eval(x));
}

double KernelEfficiency::contextScale(const std::string& dtype, int headDim, double batch, double isl, double heads,
                                      double kvHeads, double keysPerQuery) const {
    const EffSurface* s = nearestAttention(EffFamily::ContextAttention, dtype, headDim);
    if (!s)
        return 1.0;
    double x[4];
    contextFeatures(batch, isl, heads, kvHeads, keysPerQuery, x);
    return std::exp2(s->log2Scale.eval(x));
}

double KernelEfficiency::generationScale(const std::string& dtype, int headDim, double batch, double keys, double heads,
                                         double kvHeads, double keysRead) const {
    const EffSurface* s = nearestAttention(EffFamily::GenerationAttention, dtype, headDim);
    if (!s)
        return 1.0;
    double x[4];
    generationFeatures(batch, keys, heads, kvHeads, keysRead, x);
    return std::exp2(s->log2Scale.eval(x));
}

const EffSurface* KernelEfficiency::findMoe(const char* dtype, MoeLayout layout) const {
    // "<dtype>/<routing>[/permuted]" compared in place: no string built per operator.
    const std::size_t n = std::strlen(dtype), routingLen = std::strlen(kMoeRouting);
    const std::size_t suffix = layout == MoeLayout::Permuted ? sizeof(kMoePermutedSuffix) - 1 : 0;
    for (const EffSurface& c : surfaces)
        if (c.family == EffFamily::Moe && c.dtype.size() == n + 1 + routingLen + suffix &&
            c.dtype.compare(0, n, dtype) == 0 && c.dtype[n] == '/' &&
            c.dtype.compare(n + 1, routingLen, kMoeRouting) == 0 &&
            (suffix == 0 || c.dtype.compare(n + 1 + routingLen, suffix, kMoePermutedSuffix) == 0))
            return &c;
    return nullptr;
}

MoeSurfaceChoice KernelEfficiency::resolveMoe(const MoeSurfaceKey& key, MoeLayout layout) const {
    for (const char* d : {key.dtype, key.fallback})
        if (d)
            for (const MoeLayout l : {layout, otherLayout(layout)})
                if (const EffSurface* s = findMoe(d, l))
                    return {s, l};
    return {nullptr, layout};
}

double KernelEfficiency::moeScale(const MoeSurfaceKey& key, MoeLayout layout, double tokensPerExpert, double experts,
                                  double hidden, double width) const {
    const EffSurface* s = resolveMoe(key, layout).surface;
    if (!s)
        return 1.0;
    double x[4];
    moeFeatures(tokensPerExpert, experts, hidden, width, x);
    return std::exp2(s->log2Scale.eval(x));
}

const char* gemmSurfaceDtype(DType gemmType, DType weightType, bool fp8BlockStack) {
    if (gemmType == DType::bf16 || gemmType == DType::fp16)
        return "bfloat16";
    if (gemmType != DType::fp8_e4m3 && gemmType != DType::fp8_e5m2 && gemmType != DType::fp8_block)
        return nullptr;
    // Block-scaled FP8 weights take the block-scaled kernels' surface; plain FP8 the stack's default FP8 GEMM
    // (per-tensor, or block-scaled where the stack says so).
    return fp8BlockStack || weightType == DType::fp8_block || gemmType == DType::fp8_block ? "fp8_block" : "fp8";
}

MoeSurfaceKey moeSurfaceKey(DType gemmType, DType weightType, bool fp8BlockStack) {
    const char* compute = gemmSurfaceDtype(gemmType, weightType, fp8BlockStack);
    if (!compute)
        return {};
    const bool half = gemmType == DType::bf16 || gemmType == DType::fp16;
    // 4-bit expert weights dequantized into a bf16/fp16 GEMM run the frameworks' weight-only kernels: MXFP4 (and
    // NVFP4, which Hopper and Ada also run weight-only) the w4a16_mxfp4 kernels, int4 the Marlin-style int4_wo ones.
    if (half && isFloat4(weightType))
        return {"w4a16_mxfp4", compute};
    if (half && weightType == DType::int4)
        return {"int4_wo", compute};
    return {compute, nullptr};
}

double KernelEfficiency::collectiveScale(const char* op, bool graph, double bytes, double ranks) const {
    // Preference among the op's surfaces: the framework's kernel of this launch, its graph kernel, NCCL's.
    const std::size_t opLen = std::strlen(op);
    auto preference = [&](const EffSurface& c) {
        if (c.family != EffFamily::Collective || c.dtype.size() <= opLen || c.dtype.compare(0, opLen, op) != 0 ||
            c.dtype[opLen] != '/')
            return 3;
        const char* mode = c.dtype.c_str() + opLen + 1;
        if (std::strcmp(mode, graph ? "graph" : "eager") == 0)
            return 0;
        if (std::strcmp(mode, "graph") == 0)
            return 1;
        return std::strcmp(mode, "nccl") == 0 ? 2 : 3;
    };
    const EffSurface* s = nullptr;
    int best = 3;
    for (const EffSurface& c : surfaces)
        if (const int p = preference(c); p < best) {
            best = p;
            s = &c;
        }
    if (!s)
        return 1.0;
    double x[2];
    collectiveFeatures(bytes, ranks, x);
    return std::exp2(s->log2Scale.eval(x));
}

} // namespace rooflab
