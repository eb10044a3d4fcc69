#include "activity.hpp"

#include <cupti.h>
#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <mutex>

namespace rooflab::cupti {
namespace {

std::mutex g_mutex;
std::vector<gpu::TraceKernel> g_kernels;
uint64_t g_dropped = 0;
bool g_registered = false;
constexpr size_t kBufferBytes = size_t{8} << 20;

void CUPTIAPI bufferRequested(uint8_t** buffer, size_t* size, size_t* maxNumRecords) {
    *buffer = static_cast<uint8_t*>(std::aligned_alloc(8, kBufferBytes));
    *size = *buffer ? kBufferBytes : 0;
    *maxNumRecords = 0;
}

void CUPTIAPI bufferCompleted(CUcontext ctx, uint32_t streamId, uint8_t* buffer, size_t, size_t validSize) {
    CUpti_Activity* record = nullptr;
    std::vector<gpu::TraceKernel> batch;
    while (cuptiActivityGetNextRecord(buffer, validSize, &record) == CUPTI_SUCCESS) {
        if (record->kind != CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL && record->kind != CUPTI_ACTIVITY_KIND_KERNEL)
            continue;
        const auto* k = reinterpret_cast<const CUpti_ActivityKernel10*>(record);
        gpu::TraceKernel t;
        t.name = demangle(k->name);
        t.cls = gpu::classifyKernel(t.name);
        t.gridX = k->gridX;
        t.gridY = k->gridY;
        t.gridZ = k->gridZ;
        t.blockX = k->blockX;
        t.blockY = k->blockY;
        t.blockZ = k->blockZ;
        t.registers = k->registersPerThread;
        t.sharedBytes = static_cast<int64_t>(k->staticSharedMemory) + k->dynamicSharedMemory;
        t.startNs = k->start;
        t.endNs = k->end;
        t.idx = k->correlationId;
        t.correlationId = k->correlationId;
        batch.push_back(std::move(t));
    }
    size_t dropped = 0;
    cuptiActivityGetNumDroppedRecords(ctx, streamId, &dropped);
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        g_dropped += dropped;
        g_kernels.insert(g_kernels.end(), std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end()));
    }
    std::free(buffer);
}

} // namespace

std::string demangle(const char* name) {
    if (!name)
        return "<unknown>";
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> d(abi::__cxa_demangle(name, nullptr, nullptr, &status), std::free);
    return status == 0 && d ? std::string(d.get()) : std::string(name);
}

bool ActivityTracer::start(std::string& why) {
    if (!g_registered) {
        const CUptiResult r = cuptiActivityRegisterCallbacks(bufferRequested, bufferCompleted);
        if (r != CUPTI_SUCCESS) {
            const char* s = nullptr;
            cuptiGetResultString(r, &s);
            why = std::string("cuptiActivityRegisterCallbacks: ") + (s ? s : "?");
            return false;
        }
        g_registered = true;
    }
    const CUptiResult r = cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
    if (r != CUPTI_SUCCESS) {
        const char* s = nullptr;
        cuptiGetResultString(r, &s);
        why = std::string("cuptiActivityEnable(CONCURRENT_KERNEL): ") + (s ? s : "?");
        return false;
    }
    return true;
}

void ActivityTracer::stop() {
    cuptiActivityFlushAll(1);
    cuptiActivityDisable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
}

std::vector<gpu::TraceKernel> ActivityTracer::kernels() {
    cuptiActivityFlushAll(1);
    std::lock_guard<std::mutex> lock(g_mutex);
    auto out = g_kernels;
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.startNs < b.startNs; });
    for (size_t i = 0; i < out.size(); ++i)
        out[i].idx = i;
    return out;
}

uint64_t ActivityTracer::timestampNs() {
    uint64_t t = 0;
    cuptiGetTimestamp(&t);
    return t;
}

uint64_t ActivityTracer::dropped() {
    std::lock_guard<std::mutex> lock(g_mutex);
    return g_dropped;
}

} // namespace rooflab::cupti
