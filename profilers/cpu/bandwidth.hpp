#pragma once
/// @brief STREAM-style bandwidth vs working-set size (read, write, copy, triad), one thread up to all cores.
/// Threads are pinned (topology pin order) and each thread first-touches its own arrays (NUMA-aware).
/// Byte counts follow the STREAM convention: every byte read or written once, no write-allocate traffic.
#include "profilers/cpu/progress.hpp"
#include "profilers/cpu/stats.hpp"
#include "profilers/topology/topology.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace rooflab::cpu {

enum class StreamKernel { Read, Write, Copy, Triad };

/// @brief "read", "write", "copy", "triad".
const char* streamKernelName(StreamKernel kernel);
/// @brief Throws rooflab::InputError for unknown names.
StreamKernel parseStreamKernel(const std::string& name);
/// @brief Arrays the kernel touches per element (read 1, write 1, copy 2, triad 3).
int streamKernelArrays(StreamKernel kernel);

struct BandwidthOptions {
    std::vector<StreamKernel> kernels = {StreamKernel::Read, StreamKernel::Write, StreamKernel::Copy,
                                         StreamKernel::Triad};
    std::vector<int> threadCounts = {1};           ///< each >= 1
    std::vector<std::uint64_t> footprintsBytes;    ///< total over all arrays and threads
    int runs = 11;                                 ///< timed samples per point (median reported)
    double minSampleSeconds = 2e-3;                ///< kernel repeated inside a sample until this long
    double maxPointSeconds = 1.0;                  ///< fewer runs (>= 3) for points slower than this
    ProgressCallback progress;
};

struct BandwidthPoint {
    StreamKernel kernel = StreamKernel::Triad;
    int threads = 1;
    std::uint64_t footprintBytes = 0;  ///< actual bytes of all arrays of all threads (rounded to whole vectors)
    std::uint64_t bytesMoved = 0;      ///< bytes read + written in one timed sample (all repetitions)
    int repetitions = 1;               ///< kernel passes per timed sample
    TimingSummary timing;              ///< per sample
    double bytesPerSecond = 0;         ///< bytesMoved / median sample time
    double checksum = 0;               ///< sum of the kernel's output over all threads
    double expectedChecksum = 0;
    bool checksumOk = false;
    std::string vectorIsa;             ///< "avx512", "avx2" or "sse2"
};

/// @brief Geometric sweep from `minBytes` to `maxBytes` inclusive with `pointsPerOctave` points per doubling.
std::vector<std::uint64_t> footprintSweep(std::uint64_t minBytes, std::uint64_t maxBytes, int pointsPerOctave);

/// @brief Runs the sweep. Points too small to give every thread one vector block are skipped. Throws
/// rooflab::InputError for invalid options (no kernels, thread count < 1).
std::vector<BandwidthPoint> runBandwidth(const BandwidthOptions& options, const topology::Topology& topology);

/// @brief Vector width the bandwidth kernels use on this CPU: "avx512", "avx2" or "sse2".
std::string bandwidthVectorIsa();

} // namespace rooflab::cpu
