// Pointer-chase latency: one thread follows a random cyclic permutation of nodes spaced `stride` bytes apart
// inside a footprint; cycles come from clock64() and nanoseconds from %globaltimer over the same loads.
// For footprints inside L2 a second pass times every load on its own; when the per-load latencies split into
// two groups (Hopper's L2 is two partitions), their 25th and 75th percentiles are written as l2_near / l2_far.
#include "common.hpp"

#include <numeric>
#include <random>

namespace rooflab::gpubench {
namespace {

__device__ inline unsigned long long globalTimer() {
    unsigned long long t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    return t;
}

__global__ void chaseKernel(const uint32_t* __restrict__ next, uint32_t start, int warm, int steps, int record,
                            long long* out, uint32_t* perLoad) {
    __shared__ uint32_t sj[1];
    uint32_t j = start;
    for (int i = 0; i < warm; ++i)
        j = next[j];
    const long long c0 = clock64();
    const unsigned long long t0 = globalTimer();
    for (int i = 0; i < steps; ++i)
        j = next[j];
    sj[0] = j; // waits for the last load before the clocks are read
    const long long c1 = clock64();
    const unsigned long long t1 = globalTimer();
    j = sj[0];
    for (int i = 0; i < record; ++i) {
        const long long a = clock64();
        j = next[j];
        sj[0] = j;
        const long long b = clock64();
        perLoad[i] = static_cast<uint32_t>(b - a);
        j = sj[0];
    }
    out[0] = c1 - c0;
    out[1] = static_cast<long long>(t1 - t0);
    out[2] = j;
}

} // namespace

void benchLatency(const Device& d, const Options& o) {
    Csv csv(o.outDir + "/latency.csv", "footprint_bytes,stride_bytes,cycles,ns,level");
    const size_t maxF = o.quick ? (size_t{128} << 20) : (size_t{1} << 30);
    const size_t l2 = static_cast<size_t>(d.l2Bytes);
    long long* out = nullptr;
    uint32_t* perLoad = nullptr;
    const int record = 4096;
    RB_CHECK(cudaMalloc(&out, 4 * sizeof(long long)));
    RB_CHECK(cudaMalloc(&perLoad, record * sizeof(uint32_t)));
    std::mt19937_64 rng(7);
    for (size_t stride : {size_t{64}, size_t{128}}) {
        for (size_t f = stride == 64 ? size_t{4} << 10 : size_t{1} << 20; f <= maxF; f *= 2) {
            const size_t nodes = f / stride;
            const size_t words = f / 4;
            const size_t step = stride / 4;
            std::vector<uint32_t> order(nodes);
            std::iota(order.begin(), order.end(), 0u);
            for (size_t i = nodes - 1; i > 0; --i) // Sattolo: one cycle through all nodes
                std::swap(order[i], order[std::uniform_int_distribution<size_t>(0, i - 1)(rng)]);
            std::vector<uint32_t> host(words, 0u);
            for (size_t i = 0; i < nodes; ++i)
                host[order[i] * step] = static_cast<uint32_t>(order[(i + 1) % nodes] * step);
            uint32_t* dev = nullptr;
            RB_CHECK(cudaMalloc(&dev, f));
            RB_CHECK(cudaMemcpy(dev, host.data(), f, cudaMemcpyHostToDevice));
            const int warm = static_cast<int>(std::min<size_t>(nodes, size_t{1} << 20));
            const int steps = o.quick ? 8192 : 32768;
            const bool rec = stride == 64 && f >= (size_t{4} << 20) && f <= l2 / 2;
            std::vector<double> cyc, nsv;
            long long host4[3];
            for (int rep = 0; rep < 3; ++rep) {
                chaseKernel<<<1, 1>>>(dev, 0, rep == 0 ? warm : 0, steps, rec && rep == 2 ? record : 0, out, perLoad);
                RB_CHECK_LAUNCH();
                RB_CHECK(cudaMemcpy(host4, out, 3 * sizeof(long long), cudaMemcpyDeviceToHost));
                cyc.push_back(static_cast<double>(host4[0]) / steps);
                nsv.push_back(static_cast<double>(host4[1]) / steps);
            }
            const double c = summarize(cyc).median, ns = summarize(nsv).median;
            // Caches fill in 32-byte sectors: one node per `stride` bytes occupies 32 bytes of cache.
            const size_t cached = f / stride * 32;
            const char* level = cached <= (size_t{64} << 10) ? "l1" : (cached <= l2 * 3 / 4 ? "l2" : "hbm");
            csv.row(f, stride, c, ns, level);
            progress("latency", std::to_string(f >> 10) + " KiB: " + std::to_string(c) + " cycles, " +
                                    std::to_string(ns) + " ns (" + level + ")");
            if (rec) {
                std::vector<uint32_t> pl(record);
                RB_CHECK(cudaMemcpy(pl.data(), perLoad, record * sizeof(uint32_t), cudaMemcpyDeviceToHost));
                std::vector<double> v(pl.begin(), pl.end());
                std::sort(v.begin(), v.end());
                const double p25 = quantileSorted(v, 0.25), p75 = quantileSorted(v, 0.75);
                if (p25 > 100 && p75 - p25 > 80) {
                    const double nsPerCycle = ns / c;
                    csv.row(f, stride, p25, p25 * nsPerCycle, "l2_near");
                    csv.row(f, stride, p75, p75 * nsPerCycle, "l2_far");
                    progress("latency", "  L2 near/far split: " + std::to_string(p25) + " / " + std::to_string(p75) +
                                            " cycles");
                }
            }
            RB_CHECK(cudaFree(dev));
        }
    }
    RB_CHECK(cudaFree(out));
    RB_CHECK(cudaFree(perLoad));
}

} // namespace rooflab::gpubench
