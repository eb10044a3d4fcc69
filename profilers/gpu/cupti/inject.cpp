/// librooflab_cupti_inject.so: loaded by the CUDA driver through CUDA_INJECTION64_PATH, it records every kernel
/// of an unmodified program (PyTorch included) with the CUPTI Activity API and writes a trace CSV at exit.
/// Environment: ROOFLAB_TRACE_OUT (default rooflab_trace.csv); ROOFLAB_TRACE_WINDOW=profiler keeps only kernels
/// that start between cudaProfilerStart and cudaProfilerStop (torch.cuda.profiler.start()/stop()).
#include "activity.hpp"

#include <cupti.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
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

void CUPTIAPI onCallback(void*, CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const void* data) {
    const auto* info = static_cast<const CUpti_CallbackData*>(data);
    const bool isStart = (domain == CUPTI_CB_DOMAIN_RUNTIME_API && cbid == CUPTI_RUNTIME_TRACE_CBID_cudaProfilerStart_v4000) ||
                         (domain == CUPTI_CB_DOMAIN_DRIVER_API && cbid == CUPTI_DRIVER_TRACE_CBID_cuProfilerStart);
    const bool isStop = (domain == CUPTI_CB_DOMAIN_RUNTIME_API && cbid == CUPTI_RUNTIME_TRACE_CBID_cudaProfilerStop_v4000) ||
                        (domain == CUPTI_CB_DOMAIN_DRIVER_API && cbid == CUPTI_DRIVER_TRACE_CBID_cuProfilerStop);
    std::lock_guard<std::mutex> lock(g_mutex);
    if (isStart && info->callbackSite == CUPTI_API_EXIT) {
        if (g_windows.empty() || g_windows.back().second != 0)
            g_windows.emplace_back(rooflab::cupti::ActivityTracer::timestampNs(), 0);
    } else if (isStop && info->callbackSite == CUPTI_API_ENTER) {
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
    auto kernels = rooflab::cupti::ActivityTracer::kernels();
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
    std::string why;
    if (!rooflab::cupti::ActivityTracer::start(why)) {
        std::fprintf(stderr, "rooflab-cupti: activity tracing unavailable: %s\n", why.c_str());
        return 0;
    }
    if (g_windowOnly) {
        CUpti_SubscriberHandle sub;
        if (cuptiSubscribe(&sub, onCallback, nullptr) == CUPTI_SUCCESS) {
            cuptiEnableCallback(1, sub, CUPTI_CB_DOMAIN_RUNTIME_API, CUPTI_RUNTIME_TRACE_CBID_cudaProfilerStart_v4000);
            cuptiEnableCallback(1, sub, CUPTI_CB_DOMAIN_RUNTIME_API, CUPTI_RUNTIME_TRACE_CBID_cudaProfilerStop_v4000);
            cuptiEnableCallback(1, sub, CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuProfilerStart);
            cuptiEnableCallback(1, sub, CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuProfilerStop);
        } else {
            std::fprintf(stderr, "rooflab-cupti: cannot subscribe to callbacks; recording every kernel\n");
            g_windowOnly = false;
        }
    }
    std::atexit(writeTrace);
    std::fprintf(stderr, "rooflab-cupti: tracing kernels to %s%s\n", g_out.c_str(),
                 g_windowOnly ? " (profiler windows only)" : "");
    return 1;
}
