#include "workloads/stack.hpp"

#include <algorithm>
#include <cmath>

namespace rooflab {

double StackProfile::collectiveHostS(double tp) const {
    const auto& t = collectiveHostOverheadByTp;
    if (t.empty())
        return hostOverheadS;
    if (t.size() == 1 || tp <= t.front().first)
        return t.front().second;
    std::size_t i = 1;
    while (i + 1 < t.size() && tp > t[i].first)
        ++i;
    const auto& [x0, y0] = t[i - 1];
    const auto& [x1, y1] = t[i];
    const double f = (std::log2(tp) - std::log2(x0)) / (std::log2(x1) - std::log2(x0));
    return std::max(0.0, y0 + f * (y1 - y0));
}

MoeLayout StackProfile::moeLayout(std::string_view dtype, int ep) const {
    const MoeKernelRule* best = nullptr;
    for (const MoeKernelRule& r : moeKernels)
        if (r.dtype == dtype && r.epMin <= ep && (!best || r.epMin > best->epMin))
            best = &r;
    return best ? best->layout : MoeLayout::Permuted;
}

const KernelEfficiency* StackProfile::efficiencyFor(const std::string& platformName) const {
    for (const KernelEfficiency& e : kernelEfficiency)
        if (e.platform == platformName)
            return &e;
    return nullptr;
}

const KernelEfficiency* StackProfile::efficiencyFor(const std::string& platformName,
                                                    const std::string& basePlatform) const {
    if (const KernelEfficiency* e = efficiencyFor(platformName))
        return e;
    return basePlatform.empty() ? nullptr : efficiencyFor(basePlatform);
}

double threadCurveAt(const ThreadCurve& c, double threads, double fallback) {
    if (c.empty())
        return fallback;
    if (c.size() == 1 || threads <= c.front().first)
        return c.front().second;
    if (threads >= c.back().first)
        return c.back().second;
    std::size_t i = 1;
    while (i + 1 < c.size() && threads > c[i].first)
        ++i;
    const auto& [x0, y0] = c[i - 1];
    const auto& [x1, y1] = c[i];
    const double f = (std::log2(threads) - std::log2(x0)) / (std::log2(x1) - std::log2(x0));
    return y0 + f * (y1 - y0);
}

StackProfile StackProfile::defaultProfile() {
    // resources/stacks/pytorch-eager.yaml, value for value (the engine reads no files); a test loads the file and
    // checks that the two are equal, so edit both together. Times are written as the loader computes them from
    // "<number> us" (number x 1e-6), so that the comparison can be exact.
    StackProfile s;
    s.name = "pytorch-eager";
    s.description =
        "eager PyTorch: one kernel per op, SDPA flash attention, fused QKV and gate-up, graph-captured decode";
    s.fusedQkv = true;
    s.fusedGateUp = true;
    s.stridedElementwise = true;
    s.prefillGraph = false;
    s.decodeGraph = true;
    s.hostOverheadS = 20.0 * 1e-6;
    s.collectiveHostOverheadByTp = {{2.0, 136.0 * 1e-6}, {4.0, 404.0 * 1e-6}};
    s.embeddingKernels = 1;
    s.normKernels = 1;
    s.qkNormKernels = 1;
    s.ropeKernels = 10;
    s.kvAppendKernels = 2;
    s.activationKernels = 2;
    s.residualKernels = 1;
    s.routerKernels = 3;
    s.attentionKernels = 1;
    s.normPasses = 1;
    s.ropePasses = 10.8;
    s.activationPasses = 4.3;
    s.residualPasses = 1.5;
    s.workspaceBytes = 2.0 * 1024 * 1024 * 1024;
    s.activationMemoryFactor = 1.0;
    return s;
}

} // namespace rooflab
