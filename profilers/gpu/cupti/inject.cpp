/// librooflab_cupti_inject.so: loaded by the CUDA driver through CUDA_INJECTION64_PATH, it records every kernel
/// of an unmodified program (PyTorch included) with the CUPTI Activity API and writes a trace CSV at exit.
/// Environment: ROOFLAB_TRACE_OUT (default rooflab_trace.csv); ROOFLAB_TRACE_WINDOW=profiler keeps only kernels
/// that start between cudaProfilerStart and cudaProfilerStop (torch.cuda.profiler.start()/stop()).
/// ROOFLAB_METRICS=roofline adds hardware counters per kernel through the CUPTI Range Profiler (auto range,
/// kernel replay: kernels are serialized, so their times in such a trace are not representative). The counters
/// are limited to what one pass collects (ROOFLAB_MAX_PASSES, default 1; 0 = all, with replay): every extra
/// pass makes CUPTI save and restore the context's device memory per kernel, hours for a PyTorch program;
/// counters cover the profiler windows when ROOFLAB_TRACE_WINDOW=profiler, else the first context's lifetime up
/// to ROOFLAB_MAX_KERNELS (default 2000) kernels.
#include "activity.hpp"
#include "range_profiler.hpp"
#include "profilers/gpu/trace/kernel_class.hpp"

#include <cupti.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace {

std::mutex g_mutex;
std::vector<std::pair<uint64_t, uint64_t>> g_windows; // [start, stop) in CUPTI ns
bool g_windowOnly = false;
bool g_written = false;
std::string g_out = "rooflab_trace.csv";
bool g_metrics = false;
size_t g_maxKernels = 2000;
size_t g_maxPasses = 1;
std::unique_ptr<rooflab::cupti::RangeProfiler> g_rp;
CUcontext g_rpCtx = nullptr;
std::vector<std::vector<double>> g_values; // per profiled kernel, in launch order
std::vector<std::string> g_metricNames;
std::vector<std::string> g_launchNames; // kernel names launched while the counters ran, in launch order

// Driver launch calls whose callbacks name the kernels of counter ranges (auto ranges are named by index).
constexpr CUpti_CallbackId kLaunchCallbacks[] = {
    CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel,           CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel_ptsz,
    CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx,         CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx_ptsz,
    CUPTI_DRIVER_TRACE_CBID_cuLaunchCooperativeKernel, CUPTI_DRIVER_TRACE_CBID_cuLaunchCooperativeKernel_ptsz};

bool isLaunch(CUpti_CallbackDomain domain, CUpti_CallbackId cbid) {
    return domain == CUPTI_CB_DOMAIN_DRIVER_API &&
           std::find(std::begin(kLaunchCallbacks), std::end(kLaunchCallbacks), cbid) != std::end(kLaunchCallbacks);
}

void rpStart(CUcontext ctx) {
    if (!g_metrics || g_rp)
        return;
    g_rp = std::make_unique<rooflab::cupti::RangeProfiler>();
    std::string why;
    CUdevice dev = 0;
    cuCtxGetDevice(&dev);
    if (!g_rp->begin(ctx, static_cast<int>(dev), rooflab::cupti::rooflineMetrics(), g_maxKernels, why,
                     g_maxPasses) ||
        !g_rp->start(why)) {
        std::fprintf(stderr, "rooflab-cupti: counters unavailable: %s\n", why.c_str());
        g_rp.reset();
        g_metrics = false;
        return;
    }
    std::string left;
    for (const auto& m : g_rp->deferred())
        left += (left.empty() ? "" : ", ") + m;
    std::fprintf(stderr, "rooflab-cupti: %zu counters in %zu pass(es)%s%s\n", g_rp->metrics().size(), g_rp->passes(),
                 left.empty() ? "" : "; left out (need more passes, ROOFLAB_MAX_PASSES=0 takes them): ",
                 left.c_str());
    g_rpCtx = ctx;
}

void rpStop() {
    if (!g_rp)
        return;
    std::string why;
    if (g_rp->stop(why)) {
        auto v = g_rp->values(why);
        g_values.insert(g_values.end(), v.begin(), v.end());
        g_metricNames = g_rp->metrics();
    }
    if (!why.empty())
        std::fprintf(stderr, "rooflab-cupti: counters: %s\n", why.c_str());
    g_rp->end();
    g_rp.reset();
}

void CUPTIAPI onCallback(void*, CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const void* data) {
    const auto* info = static_cast<const CUpti_CallbackData*>(data);
    const bool isStart = (domain == CUPTI_CB_DOMAIN_RUNTIME_API && cbid == CUPTI_RUNTIME_TRACE_CBID_cudaProfilerStart_v4000) ||
                         (domain == CUPTI_CB_DOMAIN_DRIVER_API && cbid == CUPTI_DRIVER_TRACE_CBID_cuProfilerStart);
    const bool isStop = (domain == CUPTI_CB_DOMAIN_RUNTIME_API && cbid == CUPTI_RUNTIME_TRACE_CBID_cudaProfilerStop_v4000) ||
                        (domain == CUPTI_CB_DOMAIN_DRIVER_API && cbid == CUPTI_DRIVER_TRACE_CBID_cuProfilerStop);
    if (domain == CUPTI_CB_DOMAIN_RESOURCE) {
        const auto* res = static_cast<const CUpti_ResourceData*>(data);
        if (cbid == CUPTI_CBID_RESOURCE_CONTEXT_CREATED && !g_windowOnly)
            rpStart(res->context);
        else if (cbid == CUPTI_CBID_RESOURCE_CONTEXT_DESTROY_STARTING && res->context == g_rpCtx)
            rpStop();
        return;
    }
    std::lock_guard<std::mutex> lock(g_mutex);
    if (isLaunch(domain, cbid)) {
        if (g_rp && info->callbackSite == CUPTI_API_ENTER)
            g_launchNames.emplace_back(info->symbolName ? info->symbolName : "");
        return;
    }
    if (isStart && info->callbackSite == CUPTI_API_EXIT) {
        if (g_windows.empty() || g_windows.back().second != 0)
            g_windows.emplace_back(rooflab::cupti::ActivityTracer::timestampNs(), 0);
        if (g_metrics) {
            CUcontext ctx = nullptr;
            cuCtxGetCurrent(&ctx);
            if (ctx)
                rpStart(ctx);
        }
    } else if (isStop && info->callbackSite == CUPTI_API_ENTER) {
        if (g_metrics) {
            cuCtxSynchronize();
            rpStop();
        }
        if (!g_windows.empty() && g_windows.back().second == 0)
            g_windows.back().second = rooflab::cupti::ActivityTracer::timestampNs();
    }
}

void writeTrace() {
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        if (g_written)
            return;
        g_written = true;
    }
    rpStop();
    auto kernels = rooflab::cupti::ActivityTracer::kernels();
    if (!g_values.empty()) {
        // Kernel replay can record a kernel more than once: keep one record per launch (correlation id), then
        // pair launches with ranges in launch order.
        std::map<uint64_t, size_t> firstOf;
        std::vector<rooflab::gpu::TraceKernel> uniq;
        std::sort(kernels.begin(), kernels.end(),
                  [](const auto& a, const auto& b) { return a.correlationId < b.correlationId; });
        for (auto& k : kernels)
            if (firstOf.emplace(k.correlationId, uniq.size()).second)
                uniq.push_back(k);
        size_t first = 0;
        if (g_windowOnly && !g_windows.empty()) { // ranges start at the first kernel of the first window
            while (first < uniq.size() && uniq[first].startNs < g_windows.front().first)
                ++first;
        }
        if (uniq.size() <= first) {
            // No kernel activity records came with the counters (seen on Hopper with CUDA 13: kernel replay and
            // the activity API together give ranges only): build the trace from the ranges. Kernels ran
            // serialized, so each range's gpu__time_duration is its duration and starts follow each other.
            uint64_t t = g_windows.empty() ? 0 : g_windows.front().first;
            if (!g_launchNames.empty() && g_values.size() > g_launchNames.size()) {
                std::fprintf(stderr, "rooflab-cupti: %zu counter ranges for %zu launches seen: kept the first %zu\n",
                             g_values.size(), g_launchNames.size(), g_launchNames.size());
                g_values.resize(g_launchNames.size());
            }
            const auto timeIt = std::find(g_metricNames.begin(), g_metricNames.end(), "gpu__time_duration.sum");
            for (size_t i = 0; i < g_values.size(); ++i) {
                rooflab::gpu::TraceKernel k;
                k.idx = i;
                // Auto ranges are named by index: the name is that of the i-th launch seen while counting.
                k.name = i < g_launchNames.size() ? g_launchNames[i] : "range_" + std::to_string(i);
                k.cls = rooflab::gpu::classifyKernel(k.name);
                uint64_t dur = 0;
                if (timeIt != g_metricNames.end()) {
                    const auto m = static_cast<size_t>(timeIt - g_metricNames.begin());
                    if (m < g_values[i].size())
                        dur = static_cast<uint64_t>(g_values[i][m]);
                }
                k.startNs = t;
                k.endNs = t + dur;
                t = k.endNs;
                uniq.push_back(std::move(k)); // its counters are attached below, like those of recorded kernels
            }
            std::fprintf(stderr, "rooflab-cupti: no kernel activity records with the counters: %zu kernels from "
                                 "the profiler's ranges (grid/block unknown, times from gpu__time_duration)\n",
                         uniq.size());
            first = 0;
        }
        const size_t n = std::min(g_values.size(), uniq.size() - std::min(first, uniq.size()));
        for (size_t i = 0; i < n; ++i)
            for (size_t m = 0; m < g_metricNames.size() && m < g_values[i].size(); ++m)
                uniq[first + i].metrics[g_metricNames[m]] = g_values[i][m];
        if (n != g_values.size())
            std::fprintf(stderr, "rooflab-cupti: %zu counter ranges for %zu kernels: paired the first %zu\n",
                         g_values.size(), uniq.size() - first, n);
        kernels = std::move(uniq);
        std::sort(kernels.begin(), kernels.end(), [](const auto& a, const auto& b) { return a.startNs < b.startNs; });
    }
    std::vector<rooflab::gpu::TraceKernel> kept;
    if (g_windowOnly) {
        std::lock_guard<std::mutex> lock(g_mutex);
        for (auto& k : kernels)
            for (const auto& [a, b] : g_windows)
                if (k.startNs >= a && (b == 0 || k.startNs < b)) {
                    kept.push_back(k);
                    break;
                }
        for (size_t i = 0; i < kept.size(); ++i)
            kept[i].idx = i;
    } else {
        kept = std::move(kernels);
    }
    std::ofstream f(g_out);
    if (!f) {
        std::fprintf(stderr, "rooflab-cupti: cannot write %s\n", g_out.c_str());
        return;
    }
    rooflab::gpu::writeTrace(f, kept);
    std::fprintf(stderr, "rooflab-cupti: %zu kernels written to %s (%llu records dropped)\n", kept.size(), g_out.c_str(),
                 static_cast<unsigned long long>(rooflab::cupti::ActivityTracer::dropped()));
}

} // namespace

extern "C" __attribute__((visibility("default"))) int InitializeInjection(void) {
    if (const char* o = std::getenv("ROOFLAB_TRACE_OUT"))
        g_out = o;
    if (const char* w = std::getenv("ROOFLAB_TRACE_WINDOW"))
        g_windowOnly = std::string(w) == "profiler";
    if (const char* m = std::getenv("ROOFLAB_METRICS"))
        g_metrics = std::string(m) == "roofline";
    if (const char* mp = std::getenv("ROOFLAB_MAX_PASSES"))
        g_maxPasses = static_cast<size_t>(std::max(0L, std::atol(mp)));
    if (const char* mk = std::getenv("ROOFLAB_MAX_KERNELS"))
        g_maxKernels = static_cast<size_t>(std::max(1L, std::atol(mk)));
    std::string why;
    if (!rooflab::cupti::ActivityTracer::start(why)) {
        std::fprintf(stderr, "rooflab-cupti: activity tracing unavailable: %s\n", why.c_str());
        return 0;
    }
    if (g_windowOnly || g_metrics) {
        CUpti_SubscriberHandle sub;
        if (cuptiSubscribe(&sub, onCallback, nullptr) == CUPTI_SUCCESS) {
            cuptiEnableCallback(1, sub, CUPTI_CB_DOMAIN_RUNTIME_API, CUPTI_RUNTIME_TRACE_CBID_cudaProfilerStart_v4000);
            cuptiEnableCallback(1, sub, CUPTI_CB_DOMAIN_RUNTIME_API, CUPTI_RUNTIME_TRACE_CBID_cudaProfilerStop_v4000);
            cuptiEnableCallback(1, sub, CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuProfilerStart);
            cuptiEnableCallback(1, sub, CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuProfilerStop);
            cuptiEnableCallback(1, sub, CUPTI_CB_DOMAIN_RESOURCE, CUPTI_CBID_RESOURCE_CONTEXT_CREATED);
            cuptiEnableCallback(1, sub, CUPTI_CB_DOMAIN_RESOURCE, CUPTI_CBID_RESOURCE_CONTEXT_DESTROY_STARTING);
            if (g_metrics)
                for (auto id : kLaunchCallbacks)
                    cuptiEnableCallback(1, sub, CUPTI_CB_DOMAIN_DRIVER_API, id);
        } else {
            std::fprintf(stderr, "rooflab-cupti: cannot subscribe to callbacks; recording every kernel\n");
            g_windowOnly = false;
        }
    }
    std::atexit(writeTrace);
    std::fprintf(stderr, "rooflab-cupti: tracing kernels to %s%s%s\n", g_out.c_str(),
                 g_windowOnly ? " (profiler windows only)" : "", g_metrics ? " with roofline counters" : "");
    return 1;
}
