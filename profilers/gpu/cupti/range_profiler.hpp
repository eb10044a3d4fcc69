#pragma once
/// @brief CUPTI Range Profiler + Profiler Host API (CUDA 12.6+/13): hardware counters per kernel (auto range,
/// kernel replay) on one CUDA context. Every call reports failure as a value (`why`), never aborts.
#include <cuda.h>

#include <cstdint>
#include <string>
#include <vector>

struct CUpti_RangeProfiler_Object;
struct CUpti_Profiler_Host_Object;

namespace rooflab::cupti {

/// Counters for a roofline: time, DRAM and L2 bytes, SIMT FLOP instructions, tensor work, SM throughput.
std::vector<std::string> rooflineMetrics();

class RangeProfiler {
public:
    RangeProfiler() = default;
    ~RangeProfiler();
    RangeProfiler(const RangeProfiler&) = delete;
    RangeProfiler& operator=(const RangeProfiler&) = delete;

    /// Sets up counters `metrics` for up to `maxRanges` kernels on `ctx`. Metrics the chip does not know are
    /// dropped and listed in rejected(). With `maxPasses` > 0, metrics are taken in the given (priority) order
    /// while the set still fits in that many replay passes; the others are listed in deferred(). One pass means
    /// no kernel replay at all: kernel replay saves and restores the context's device memory before every extra
    /// pass, which on a framework with gigabytes allocated (PyTorch) costs far more than the kernels themselves.
    /// Returns false (with `why`) when the profiler is unavailable.
    bool begin(CUcontext ctx, int deviceIndex, const std::vector<std::string>& metrics, size_t maxRanges,
               std::string& why, size_t maxPasses = 0);
    bool start(std::string& why);
    /// Stops collection and decodes the counters of the ranges profiled since start().
    bool stop(std::string& why);
    /// One row per range (kernel, in launch order), one value per accepted metric.
    std::vector<std::vector<double>> values(std::string& why) const;
    const std::vector<std::string>& metrics() const { return m_metrics; }
    const std::vector<std::string>& rejected() const { return m_rejected; }
    /// Metrics left out because they would have needed more than `maxPasses` replay passes.
    const std::vector<std::string>& deferred() const { return m_deferred; }
    /// Replay passes the accepted metrics need per kernel.
    size_t passes() const { return m_passes; }
    /// Base metric names the host API lists for this chip (counters, ratios, throughputs) that contain `filter`.
    std::vector<std::string> listBaseMetrics(const std::string& filter) const;
    void end();

private:
    CUpti_RangeProfiler_Object* m_obj = nullptr;
    CUpti_Profiler_Host_Object* m_host = nullptr;
    std::string m_chip;
    std::vector<std::string> m_metrics, m_rejected, m_deferred;
    size_t m_passes = 0;
    std::vector<uint8_t> m_config, m_counterData, m_availability;
    bool m_started = false;
};

} // namespace rooflab::cupti
