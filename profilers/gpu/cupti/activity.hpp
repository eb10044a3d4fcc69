#pragma once
/// @brief CUPTI Activity API collector: one record per kernel (name, grid, block, registers, shared memory,
/// start/end). Process-wide, because CUPTI's activity buffers are.
#include <cstdint>
#include <string>
#include <vector>

#include "profilers/gpu/trace/formats.hpp"

namespace rooflab::cupti {

class ActivityTracer {
public:
    /// Enables CONCURRENT_KERNEL activity records. Returns false with `why` set when CUPTI refuses.
    static bool start(std::string& why);
    /// Flushes CUPTI's buffers and disables recording.
    static void stop();
    /// Flushes and returns all kernels recorded so far (sorted by start time, idx renumbered from 0).
    static std::vector<gpu::TraceKernel> kernels();
    /// CUPTI timestamp now (ns, same clock as the records).
    static uint64_t timestampNs();
    /// Records dropped by CUPTI (buffers full).
    static uint64_t dropped();
};

/// Demangles a C++ symbol; returns the input when it is not mangled.
std::string demangle(const char* name);

} // namespace rooflab::cupti
