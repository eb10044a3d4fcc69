#pragma once
/// @brief Shared helpers of rooflab-gpu-bench: error checks, event timing, statistics, CSV output, provenance.
/// Depends only on the CUDA runtime and the C++ standard library.
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace rooflab::gpubench {

struct CudaError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

inline void check(cudaError_t e, const char* what, const char* file, int line) {
    if (e != cudaSuccess)
        throw CudaError(std::string(what) + " failed at " + file + ":" + std::to_string(line) + ": " +
                        cudaGetErrorString(e));
}
#define RB_CHECK(x) ::rooflab::gpubench::check((x), #x, __FILE__, __LINE__)
#define RB_CHECK_LAUNCH() ::rooflab::gpubench::check(cudaGetLastError(), "kernel launch", __FILE__, __LINE__)

/// Median, 10th and 90th percentile of a sample of times (seconds).
struct Stats {
    double median = 0, p10 = 0, p90 = 0, min = 0;
    int runs = 0;
};

/// q-quantile of an ascending-sorted sample, linear interpolation.
inline double quantileSorted(const std::vector<double>& v, double q) {
    if (v.empty())
        return 0;
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<size_t>(pos);
    const size_t hi = std::min(lo + 1, v.size() - 1);
    const double f = pos - static_cast<double>(lo);
    return v[lo] * (1 - f) + v[hi] * f;
}

inline Stats summarize(std::vector<double> t) {
    std::sort(t.begin(), t.end());
    Stats s;
    s.runs = static_cast<int>(t.size());
    s.median = quantileSorted(t, 0.5);
    s.p10 = quantileSorted(t, 0.1);
    s.p90 = quantileSorted(t, 0.9);
    s.min = t.empty() ? 0 : t.front();
    return s;
}

/// Times `body` (which enqueues work on `stream`) with CUDA events: `warmup` untimed calls, then `runs` samples.
/// Each sample encloses `inner` calls and is divided by `inner`. Returns per-call seconds.
inline std::vector<double> timeEvents(cudaStream_t stream, int warmup, int runs, int inner,
                                      const std::function<void()>& body) {
    cudaEvent_t a, b;
    RB_CHECK(cudaEventCreate(&a));
    RB_CHECK(cudaEventCreate(&b));
    for (int i = 0; i < warmup; ++i)
        body();
    RB_CHECK(cudaStreamSynchronize(stream));
    std::vector<double> out;
    out.reserve(static_cast<size_t>(runs));
    for (int r = 0; r < runs; ++r) {
        RB_CHECK(cudaEventRecord(a, stream));
        for (int i = 0; i < inner; ++i)
            body();
        RB_CHECK(cudaEventRecord(b, stream));
        RB_CHECK(cudaEventSynchronize(b));
        float ms = 0;
        RB_CHECK(cudaEventElapsedTime(&ms, a, b));
        out.push_back(static_cast<double>(ms) * 1e-3 / inner);
    }
    RB_CHECK(cudaEventDestroy(a));
    RB_CHECK(cudaEventDestroy(b));
    return out;
}

/// Minimal CSV writer: header first, then rows; flushes every row so a killed run keeps what it measured.
class Csv {
public:
    Csv(const std::string& path, const std::string& header) : m_out(path) {
        if (!m_out)
            throw std::runtime_error("cannot write " + path);
        m_out << header << '\n';
        m_out.flush();
    }
    template <typename... T> void row(const T&... cols) {
        bool first = true;
        ((m_out << (first ? "" : ",") << fmt(cols), first = false), ...);
        m_out << '\n';
        m_out.flush();
    }

private:
    static std::string fmt(const std::string& s) { return s; }
    static std::string fmt(const char* s) { return s; }
    static std::string fmt(double v) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.6g", v);
        return buf;
    }
    static std::string fmt(float v) { return fmt(static_cast<double>(v)); }
    template <typename I> static std::string fmt(I v) { return std::to_string(v); }
    std::ofstream m_out;
};

/// Device facts used by every benchmark.
struct Device {
    int id = 0;
    cudaDeviceProp prop{};
    int smCount = 0;
    int smClockKHz = 0;
    int memClockKHz = 0;
    long long l2Bytes = 0;
    size_t freeBytes = 0, totalBytes = 0;
};

Device queryDevice(int id);

/// Prints progress to stderr: "[section] message".
void progress(const char* section, const std::string& msg);

/// Fills `bytes` of device memory with uniform random values of `dtype` in [-1, 1) (ints in [-8, 8)).
/// dtype: fp64 fp32 fp16 bf16 fp8_e4m3 int8 int32 u32.
void fillRandom(void* p, size_t bytes, const std::string& dtype, uint64_t seed, cudaStream_t stream);

struct Options {
    bool quick = false;
    std::string outDir = ".";
    std::vector<std::string> only;
    bool wants(const std::string& s) const {
        return only.empty() || std::find(only.begin(), only.end(), s) != only.end();
    }
};

/// Launches one bandwidth kernel (op: read, write, copy) over `bufBytes` (copy: from a to b), default shape.
void launchBandwidthKernel(const std::string& op, int smCount, void* a, void* b, size_t bufBytes, uint32_t* sink,
                           cudaStream_t s);

void benchBandwidth(const Device& d, const Options& o);
void benchLatency(const Device& d, const Options& o);
void benchFlops(const Device& d, const Options& o);
void benchGemm(const Device& d, const Options& o);
void benchLaunch(const Device& d, const Options& o);
void benchHostLink(const Device& d, const Options& o);
void benchCounters(const Device& d, const Options& o);

} // namespace rooflab::gpubench
