#include "profilers/cpu/latency.hpp"

#include "model/units/errors.hpp"
#include "profilers/cpu/buffer.hpp"
#include "profilers/cpu/input_error.hpp"
#include "profilers/cpu/thread_team.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <stdexcept>

namespace rooflab::cpu {
namespace {

using Clock = std::chrono::steady_clock;

__attribute__((noinline)) void* chase(void* start, std::uint64_t hops) {
    void* p = start;
    std::uint64_t i = 0;
    for (; i + 8 <= hops; i += 8) {
        p = *static_cast<void**>(p);
        p = *static_cast<void**>(p);
        p = *static_cast<void**>(p);
        p = *static_cast<void**>(p);
        p = *static_cast<void**>(p);
        p = *static_cast<void**>(p);
        p = *static_cast<void**>(p);
        p = *static_cast<void**>(p);
    }
    for (; i < hops; ++i)
        p = *static_cast<void**>(p);
    return p;
}

} // namespace

std::vector<std::uint32_t> buildChaseCycle(std::size_t elements, std::uint64_t seed) {
    if (elements > 0xffffffffull)
        throwInputError("footprint", "pointer chase limited to 2^32 elements");
    std::vector<std::uint32_t> order(elements);
    for (std::size_t i = 0; i < elements; ++i)
        order[i] = static_cast<std::uint32_t>(i);
    std::mt19937_64 rng(seed);
    // Sattolo: like Fisher-Yates but j < i, which yields one cycle through all elements.
    for (std::size_t i = elements; i > 1; --i) {
        std::uniform_int_distribution<std::size_t> pick(0, i - 2);
        std::swap(order[i - 1], order[pick(rng)]);
    }
    // order is a cyclic permutation: element i is followed by order[i].
    return order;
}

std::string memoryLevelOf(std::uint64_t footprintBytes, const topology::Topology& topology, int threads) {
    for (int level = 1; level <= topology.deepestCacheLevel(); ++level) {
        const std::uint64_t capacity = topology.cacheBytesForThreads(level, threads);
        if (capacity > 0 && footprintBytes <= capacity)
            return "L" + std::to_string(level);
    }
    return "DRAM";
}

std::vector<LatencyPoint> runLatency(const LatencyOptions& options, const topology::Topology& topology,
                                     double coreFrequencyHz) {
    if (options.strideBytes < sizeof(void*) || options.strideBytes % sizeof(void*) != 0)
        throwInputError("stride", "pointer-chase stride must be a multiple of the pointer size");
    if (options.runs < 1)
        throwInputError("runs", "runs must be >= 1");
    std::vector<LatencyPoint> points;
    const int cpu = options.cpu >= 0 ? options.cpu : (topology.pinOrder.empty() ? -1 : topology.pinOrder.front());
    ThreadTeam team(1, cpu >= 0 ? std::vector<int>{cpu} : std::vector<int>{});
    const double total = static_cast<double>(options.footprintsBytes.size());
    double step = 0;
    for (std::uint64_t footprint : options.footprintsBytes) {
        step += 1;
        const std::size_t lines = footprint / options.strideBytes;
        if (lines < 2)
            continue;
        if (options.progress)
            options.progress("latency, " + topology::formatBytes(footprint), step / total);
        LatencyPoint point;
        point.footprintBytes = lines * options.strideBytes;
        point.level = memoryLevelOf(point.footprintBytes, topology, 1);
        team.run([&](int) {
            AlignedBuffer buffer(point.footprintBytes);
            auto* base = buffer.as<unsigned char>();
            {
                const std::vector<std::uint32_t> next = buildChaseCycle(lines, 0x5eed0000u + lines);
                for (std::size_t i = 0; i < lines; ++i)
                    *reinterpret_cast<void**>(base + i * options.strideBytes) = base + next[i] * options.strideBytes;
            }
            void* start = base;
            // Full walk: returns to the start after exactly `lines` hops iff the cycle covers every line. Beyond
            // 2^20 lines the walk would cost seconds at DRAM latency; there the Sattolo construction (unit-tested)
            // is relied on and visitedAll stays false (= not verified at run time).
            if (lines <= (std::size_t{1} << 20))
                point.visitedAll = chase(start, lines) == start && chase(start, lines - 1) != start;
            // Calibrate hops per sample, then time.
            std::uint64_t hops = std::min<std::uint64_t>(std::max<std::uint64_t>(lines, 1u << 14), 1u << 22);
            auto t0 = Clock::now();
            void* p = chase(start, hops);
            double dt = std::chrono::duration<double>(Clock::now() - t0).count();
            hops = static_cast<std::uint64_t>(
                std::clamp(options.sampleSeconds * static_cast<double>(hops) / std::max(dt, 1e-9), 1e4, 1e9));
            std::vector<double> times;
            for (int r = 0; r < options.runs; ++r) {
                t0 = Clock::now();
                p = chase(p, hops);
                times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
            }
            // p is a pointer into the buffer: keep the chain observable.
            if (p < static_cast<void*>(base) || p >= static_cast<void*>(base + point.footprintBytes))
                throw std::logic_error("pointer chase left its buffer");
            point.hopsPerSample = hops;
            point.timing = summarizeTimings(times);
        });
        point.nsPerAccess = point.timing.medianSeconds * 1e9 / static_cast<double>(point.hopsPerSample);
        point.cyclesEstimate = point.nsPerAccess * coreFrequencyHz * 1e-9;
        points.push_back(point);
    }
    if (options.progress)
        options.progress("latency done", 1.0);
    return points;
}

} // namespace rooflab::cpu
