#include "profilers/cpu/bandwidth.hpp"

#include "model/units/errors.hpp"
#include "profilers/cpu/buffer.hpp"
#include "profilers/cpu/cpuinfo.hpp"
#include "profilers/cpu/input_error.hpp"
#include "profilers/cpu/thread_team.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

namespace rooflab::cpu {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kWriteValue = 3.0;
constexpr double kTriadScalar = 3.0;
constexpr std::size_t kBlockDoubles = 64; // 512 B: one unrolled step of the widest kernel
constexpr std::size_t kArrayPadBytes = 320;

struct StreamKernels {
    double (*read)(const double*, std::size_t);
    void (*write)(double*, std::size_t, double);
    void (*copy)(double*, const double*, std::size_t);
    void (*triad)(double*, const double*, const double*, std::size_t, double);
    const char* isa;
};

// The same loop bodies are stamped out per vector width; each copy is compiled for its ISA only and chosen at
// run time, so the binary runs on any x86-64. GCC vector extensions keep the code short; memcpy keeps the loads
// and stores free of aliasing/alignment assumptions and compiles to plain vector moves.
#define ROOFLAB_STREAM_KERNELS(SUFFIX, ATTR, LANES)                                                                    \
    ATTR double streamRead##SUFFIX(const double* a, std::size_t n) {                                                   \
        typedef double V __attribute__((vector_size((LANES)*8)));                                                      \
        V s0 = {}, s1 = {}, s2 = {}, s3 = {}, s4 = {}, s5 = {}, s6 = {}, s7 = {};                                      \
        for (std::size_t i = 0; i < n; i += 8 * (LANES)) {                                                             \
            V x0, x1, x2, x3, x4, x5, x6, x7;                                                                          \
            std::memcpy(&x0, a + i + 0 * (LANES), sizeof(V));                                                          \
            std::memcpy(&x1, a + i + 1 * (LANES), sizeof(V));                                                          \
            std::memcpy(&x2, a + i + 2 * (LANES), sizeof(V));                                                          \
            std::memcpy(&x3, a + i + 3 * (LANES), sizeof(V));                                                          \
            std::memcpy(&x4, a + i + 4 * (LANES), sizeof(V));                                                          \
            std::memcpy(&x5, a + i + 5 * (LANES), sizeof(V));                                                          \
            std::memcpy(&x6, a + i + 6 * (LANES), sizeof(V));                                                          \
            std::memcpy(&x7, a + i + 7 * (LANES), sizeof(V));                                                          \
            s0 += x0;                                                                                                  \
            s1 += x1;                                                                                                  \
            s2 += x2;                                                                                                  \
            s3 += x3;                                                                                                  \
            s4 += x4;                                                                                                  \
            s5 += x5;                                                                                                  \
            s6 += x6;                                                                                                  \
            s7 += x7;                                                                                                  \
        }                                                                                                              \
        const V t = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));                                                 \
        double sum = 0;                                                                                                \
        for (int k = 0; k < (LANES); ++k)                                                                              \
            sum += t[k];                                                                                               \
        return sum;                                                                                                    \
    }                                                                                                                  \
    ATTR void streamWrite##SUFFIX(double* a, std::size_t n, double value) {                                            \
        typedef double V __attribute__((vector_size((LANES)*8)));                                                      \
        const V v = V{} + value;                                                                                       \
        for (std::size_t i = 0; i < n; i += 4 * (LANES)) {                                                             \
            std::memcpy(a + i + 0 * (LANES), &v, sizeof(V));                                                           \
            std::memcpy(a + i + 1 * (LANES), &v, sizeof(V));                                                           \
            std::memcpy(a + i + 2 * (LANES), &v, sizeof(V));                                                           \
            std::memcpy(a + i + 3 * (LANES), &v, sizeof(V));                                                           \
        }                                                                                                              \
    }                                                                                                                  \
    ATTR void streamCopy##SUFFIX(double* c, const double* a, std::size_t n) {                                          \
        typedef double V __attribute__((vector_size((LANES)*8)));                                                      \
        for (std::size_t i = 0; i < n; i += 4 * (LANES)) {                                                             \
            V x0, x1, x2, x3;                                                                                          \
            std::memcpy(&x0, a + i + 0 * (LANES), sizeof(V));                                                          \
            std::memcpy(&x1, a + i + 1 * (LANES), sizeof(V));                                                          \
            std::memcpy(&x2, a + i + 2 * (LANES), sizeof(V));                                                          \
            std::memcpy(&x3, a + i + 3 * (LANES), sizeof(V));                                                          \
            std::memcpy(c + i + 0 * (LANES), &x0, sizeof(V));                                                          \
            std::memcpy(c + i + 1 * (LANES), &x1, sizeof(V));                                                          \
            std::memcpy(c + i + 2 * (LANES), &x2, sizeof(V));                                                          \
            std::memcpy(c + i + 3 * (LANES), &x3, sizeof(V));                                                          \
        }                                                                                                              \
    }                                                                                                                  \
    ATTR void streamTriad##SUFFIX(double* a, const double* b, const double* c, std::size_t n, double scalar) {         \
        typedef double V __attribute__((vector_size((LANES)*8)));                                                      \
        const V s = V{} + scalar;                                                                                      \
        for (std::size_t i = 0; i < n; i += 2 * (LANES)) {                                                             \
            V b0, b1, c0, c1;                                                                                          \
            std::memcpy(&b0, b + i, sizeof(V));                                                                        \
            std::memcpy(&b1, b + i + (LANES), sizeof(V));                                                              \
            std::memcpy(&c0, c + i, sizeof(V));                                                                        \
            std::memcpy(&c1, c + i + (LANES), sizeof(V));                                                              \
            const V r0 = b0 + s * c0;                                                                                  \
            const V r1 = b1 + s * c1;                                                                                  \
            std::memcpy(a + i, &r0, sizeof(V));                                                                        \
            std::memcpy(a + i + (LANES), &r1, sizeof(V));                                                              \
        }                                                                                                              \
    }

ROOFLAB_STREAM_KERNELS(Sse2, __attribute__((noinline)), 2)
ROOFLAB_STREAM_KERNELS(Avx2, __attribute__((noinline, target("avx2"))), 4)
ROOFLAB_STREAM_KERNELS(Avx512, __attribute__((noinline, target("avx512f"))), 8)
#undef ROOFLAB_STREAM_KERNELS

StreamKernels selectKernels() {
    const IsaFeatures f = detectCpuInfo().isa;
    if (f.avx512f && f.osAvx512)
        return {streamReadAvx512, streamWriteAvx512, streamCopyAvx512, streamTriadAvx512, "avx512"};
    if (f.avx2 && f.osAvx)
        return {streamReadAvx2, streamWriteAvx2, streamCopyAvx2, streamTriadAvx2, "avx2"};
    return {streamReadSse2, streamWriteSse2, streamCopySse2, streamTriadSse2, "sse2"};
}

const StreamKernels& kernels() {
    static const StreamKernels k = selectKernels();
    return k;
}

/// Per-thread arrays of one measurement point, carved out of the thread's arena.
struct ThreadArrays {
    double* x = nullptr;
    double* y = nullptr;
    double* z = nullptr;
};

ThreadArrays carve(const AlignedBuffer& arena, std::size_t n) {
    auto* base = arena.as<unsigned char>();
    const std::size_t stride = n * sizeof(double) + kArrayPadBytes;
    ThreadArrays arrays;
    arrays.x = reinterpret_cast<double*>(base);
    arrays.y = reinterpret_cast<double*>(base + stride);
    arrays.z = reinterpret_cast<double*>(base + 2 * stride);
    return arrays;
}

double sumOf(const double* a, std::size_t n) {
    double s = 0;
    for (std::size_t i = 0; i < n; ++i)
        s += a[i];
    return s;
}

} // namespace

const char* streamKernelName(StreamKernel kernel) {
    switch (kernel) {
    case StreamKernel::Read:
        return "read";
    case StreamKernel::Write:
        return "write";
    case StreamKernel::Copy:
        return "copy";
    case StreamKernel::Triad:
        return "triad";
    }
    return "unknown";
}

StreamKernel parseStreamKernel(const std::string& name) {
    for (StreamKernel k : {StreamKernel::Read, StreamKernel::Write, StreamKernel::Copy, StreamKernel::Triad})
        if (name == streamKernelName(k))
            return k;
    throwInputError("kernel", "unknown bandwidth kernel '" + name + "' (expected read, write, copy or triad)");
}

int streamKernelArrays(StreamKernel kernel) {
    switch (kernel) {
    case StreamKernel::Read:
    case StreamKernel::Write:
        return 1;
    case StreamKernel::Copy:
        return 2;
    case StreamKernel::Triad:
        return 3;
    }
    return 1;
}

std::string bandwidthVectorIsa() {
    return kernels().isa;
}

std::vector<std::uint64_t> footprintSweep(std::uint64_t minBytes, std::uint64_t maxBytes, int pointsPerOctave) {
    if (minBytes == 0 || maxBytes < minBytes || pointsPerOctave < 1)
        throwInputError("footprint", "footprint sweep needs 0 < min <= max and >= 1 point per octave");
    std::vector<std::uint64_t> sizes;
    const double octaves = std::log2(static_cast<double>(maxBytes) / static_cast<double>(minBytes));
    const int steps = static_cast<int>(std::floor(octaves * pointsPerOctave + 1e-9));
    for (int i = 0; i <= steps; ++i) {
        const double bytes = static_cast<double>(minBytes) * std::exp2(static_cast<double>(i) / pointsPerOctave);
        const auto rounded = static_cast<std::uint64_t>(std::llround(bytes / 64.0)) * 64;
        if (sizes.empty() || rounded > sizes.back())
            sizes.push_back(rounded);
    }
    if (sizes.back() < maxBytes)
        sizes.push_back(maxBytes);
    return sizes;
}

std::vector<BandwidthPoint> runBandwidth(const BandwidthOptions& options, const topology::Topology& topology) {
    if (options.kernels.empty())
        throwInputError("kernels", "no bandwidth kernel selected");
    if (options.runs < 1)
        throwInputError("runs", "runs must be >= 1");
    for (int t : options.threadCounts)
        if (t < 1)
            throwInputError("threads", "thread count must be >= 1, got " + std::to_string(t));
    std::vector<BandwidthPoint> points;
    if (options.footprintsBytes.empty() || options.threadCounts.empty())
        return points;
    const StreamKernels& k = kernels();
    const std::uint64_t maxFootprint =
        *std::max_element(options.footprintsBytes.begin(), options.footprintsBytes.end());
    const double totalSteps =
        static_cast<double>(options.threadCounts.size() * options.kernels.size() * options.footprintsBytes.size());
    double step = 0;

    for (int threads : options.threadCounts) {
        ThreadTeam team(threads, topology.pinOrder);
        const auto tcount = static_cast<std::size_t>(threads);
        // Each thread allocates and first-touches its own arena, so its pages land on its NUMA node.
        const std::size_t arenaBytes = maxFootprint / tcount + 3 * kArrayPadBytes + 3 * kBlockDoubles * 8 + 4096;
        std::vector<AlignedBuffer> arenas(tcount);
        team.run([&](int tid) {
            AlignedBuffer arena(arenaBytes);
            auto* d = arena.as<double>();
            for (std::size_t i = 0; i < arenaBytes / sizeof(double); ++i)
                d[i] = 1.0;
            arenas[static_cast<std::size_t>(tid)] = std::move(arena);
        });

        for (StreamKernel kernel : options.kernels) {
            const auto arrays = static_cast<std::size_t>(streamKernelArrays(kernel));
            for (std::uint64_t footprint : options.footprintsBytes) {
                step += 1;
                const std::size_t n = footprint / (arrays * tcount * sizeof(double)) / kBlockDoubles * kBlockDoubles;
                if (n == 0)
                    continue;
                if (options.progress)
                    options.progress(std::string("bandwidth ") + streamKernelName(kernel) + ", " +
                                         std::to_string(threads) + " thread" + (threads == 1 ? "" : "s") + ", " +
                                         topology::formatBytes(footprint),
                                     step / totalSteps);
                BandwidthPoint point;
                point.kernel = kernel;
                point.threads = threads;
                point.vectorIsa = k.isa;
                point.footprintBytes = n * sizeof(double) * arrays * tcount;

                std::vector<double> sinks(tcount * 8, 0.0); // 64 B apart: no false sharing
                SampleLoop loop(static_cast<int>(tcount));
                int& reps = loop.reps;
                int& samples = loop.samples;
                std::vector<double>& times = loop.times;
                SampleClock& clock = loop.clock;
                auto job = [&](int tid) {
                    const ThreadArrays a = carve(arenas[static_cast<std::size_t>(tid)], n);
                    for (int s = 0; s < samples; ++s) {
                        team.barrier().wait();
                        const auto t0 = Clock::now();
                        double sink = 0;
                        for (int r = 0; r < reps; ++r) {
                            switch (kernel) {
                            case StreamKernel::Read:
                                sink += k.read(a.x, n);
                                break;
                            case StreamKernel::Write:
                                k.write(a.x, n, kWriteValue);
                                break;
                            case StreamKernel::Copy:
                                k.copy(a.y, a.x, n);
                                break;
                            case StreamKernel::Triad:
                                k.triad(a.x, a.y, a.z, n, kTriadScalar);
                                break;
                            }
                        }
                        clock.set(tid, std::chrono::duration<double>(Clock::now() - t0).count());
                        team.barrier().wait();
                        if (tid == 0)
                            times[static_cast<std::size_t>(s)] = clock.slowest();
                        sinks[static_cast<std::size_t>(tid) * 8] = sink / reps;
                    }
                };
                // Initialise the inputs with non-zero values (each thread its own part).
                team.run([&](int tid) {
                    const ThreadArrays a = carve(arenas[static_cast<std::size_t>(tid)], n);
                    for (std::size_t i = 0; i < n; ++i) {
                        a.x[i] = 1.0;
                        if (arrays > 1)
                            a.y[i] = kernel == StreamKernel::Triad ? 2.0 : 0.0;
                        if (arrays > 2)
                            a.z[i] = 0.5;
                    }
                });
                const RepeatedTimes timed =
                    timeOnTeam(team, loop, job, options.minSampleSeconds, options.maxPointSeconds, options.runs);
                point.repetitions = timed.repetitions;
                point.timing = summarizeTimings(timed.seconds);
                point.bytesMoved = point.footprintBytes * static_cast<std::uint64_t>(reps);
                point.bytesPerSecond = static_cast<double>(point.bytesMoved) / point.timing.medianSeconds;

                // Checksum of what the kernel produced (exact: small dyadic values, sums < 2^53).
                std::vector<double> partial(tcount, 0.0);
                team.run([&](int tid) {
                    const ThreadArrays a = carve(arenas[static_cast<std::size_t>(tid)], n);
                    double s = 0;
                    switch (kernel) {
                    case StreamKernel::Read:
                        s = sinks[static_cast<std::size_t>(tid) * 8];
                        break;
                    case StreamKernel::Write:
                        s = sumOf(a.x, n);
                        break;
                    case StreamKernel::Copy:
                        s = sumOf(a.y, n);
                        break;
                    case StreamKernel::Triad:
                        s = sumOf(a.x, n);
                        break;
                    }
                    partial[static_cast<std::size_t>(tid)] = s;
                });
                for (double s : partial)
                    point.checksum += s;
                const double perElement = kernel == StreamKernel::Write   ? kWriteValue
                                          : kernel == StreamKernel::Triad ? 2.0 + kTriadScalar * 0.5
                                                                          : 1.0;
                point.expectedChecksum = perElement * static_cast<double>(n * tcount);
                point.checksumOk = std::isfinite(point.bytesPerSecond) && point.bytesPerSecond > 0 &&
                                   point.checksum == point.expectedChecksum;
                points.push_back(point);
            }
        }
    }
    if (options.progress)
        options.progress("bandwidth done", 1.0);
    return points;
}

} // namespace rooflab::cpu
