// CPU-kernel model: hand-computed STREAM bytes and times, level selection, thread scaling, softmax passes,
// GEMM roofs, on a synthetic platform whose numbers are easy to check by hand.
#include "analysis/cpu_kernels.hpp"
#include "io/platform_loader.hpp"
#include "units/errors.hpp"

#include <cmath>
#include <gtest/gtest.h>

using namespace rooflab;

namespace {

// 4 cores; L1 32 KiB/core 100 GB/s per core; L2 1 MiB/core 200 GB/s total; L3 8 MiB 100 GB/s; DRAM 20 GB/s read,
// 10 GB/s write, 16 GB/s copy. Single thread: DRAM read 10, write 5, copy 8 GB/s; vector fp32 50 GFLOP/s.
const char* kSynthetic = R"(version: 1
name: synth-cpu
vendor: Test
kind: cpu
sources:
  m: {kind: measured, tool: "synthetic", date: "2026-11-27", card: "synthetic"}
  single-thread-rates: {kind: measured, tool: "synthetic", date: "2026-11-27", card: "synthetic", note: "single thread: dram.read=10e9 dram.write=5e9 dram.copy=8e9 l3.read=40e9 l3.write=40e9 l3.copy=40e9 vector.fp32=50e9"}
devices_per_node: "1 @m"
compute:
  - name: "SIMD"
    kind: vector
    units: "4 @m"
    clock: "2 GHz @m"
    peak:
      fp32: "200 GFLOP/s @m"
  - name: "tiles"
    kind: matrix
    units: "4 @m"
    clock: "2 GHz @m"
    peak:
      bf16: "4 TFLOP/s @m"
memory:
  - {name: L1, kind: l1, per_unit: true, capacity: "32 KiB @m", read: "100 GB/s @m"}
  - {name: L2, kind: l2, per_unit: true, capacity: "1 MiB @m", read: "200 GB/s @m"}
  - {name: L3, kind: l3, capacity: "8 MiB @m", read: "100 GB/s @m"}
  - {name: DRAM, kind: dram, capacity: "64 GiB @m", read: "20 GB/s @m", write: "10 GB/s @m", copy: "16 GB/s @m"}
power:
  tdp: "100 W @m"
efficiency:
  kernel_overhead: "0 s @m"
)";

CpuMachine synth() {
    return cpuMachineFrom(io::loadPlatformString(kSynthetic, "synth.yaml"));
}

double timeOf(const CpuMachine& m, CpuOp op, double n, double threads, DType t = DType::fp32) {
    CpuKernelRequest r;
    r.op = op;
    r.elements = n;
    r.threads = threads;
    r.dtype = t;
    const CpuKernelResult res = evalCpuKernel(m, r);
    EXPECT_TRUE(res.ok) << res.failReason;
    return res.timeS;
}

} // namespace

TEST(CpuKernels, MachineFromPlatform) {
    const CpuMachine m = synth();
    ASSERT_EQ(m.levels.size(), 4u);
    EXPECT_DOUBLE_EQ(m.units, 4);
    EXPECT_TRUE(m.singleThreadFromFile);
    EXPECT_DOUBLE_EQ(m.levels[0].allCoreBytesPerS[0], 400e9); // l1 read is per core: x 4 cores
    EXPECT_DOUBLE_EQ(m.levels[0].oneThreadBytesPerS[0], 100e9);
    EXPECT_DOUBLE_EQ(m.levels[1].oneThreadBytesPerS[0], 50e9); // default: all-core / units
    EXPECT_DOUBLE_EQ(m.levels[3].oneThreadBytesPerS[1], 5e9);
    EXPECT_DOUBLE_EQ(m.engines[0].oneThreadFlopPerS[static_cast<std::size_t>(DType::fp32)], 50e9);
}

TEST(CpuKernels, StreamBytesAndTimesByHand) {
    const CpuMachine m = synth();
    const double n = 100e6; // fp32: 400 MB per array, DRAM
    CpuKernelRequest r;
    r.op = CpuOp::Triad;
    r.elements = n;
    r.threads = 4;
    const CpuKernelResult t = evalCpuKernel(m, r);
    EXPECT_DOUBLE_EQ(t.bytes, 3 * 4 * n);
    EXPECT_DOUBLE_EQ(t.flops, 2 * n);
    EXPECT_EQ(t.levelName, "DRAM");
    // Triad writes 1/3 of its bytes: time per byte 1/20 + (2/3)(1/16 - 1/20) ns/B at 4 threads.
    const double perByte = 1 / 20e9 + (2.0 / 3.0) * (1 / 16e9 - 1 / 20e9);
    EXPECT_NEAR(t.timeS, 12 * n * perByte, 1e-12);
    EXPECT_NEAR(timeOf(m, CpuOp::Copy, n, 4), 8 * n / 16e9, 1e-12);
    EXPECT_NEAR(timeOf(m, CpuOp::Scale, n, 4), 8 * n / 16e9, 1e-12);
    EXPECT_NEAR(timeOf(m, CpuOp::Read, n, 4), 4 * n / 20e9, 1e-12);
    EXPECT_NEAR(timeOf(m, CpuOp::Write, n, 4), 4 * n / 10e9, 1e-12);
    EXPECT_NEAR(timeOf(m, CpuOp::Add, n, 4, DType::fp64), 24 * n * perByte, 1e-12);
}

TEST(CpuKernels, ThreadScalingSaturates) {
    const CpuMachine m = synth();
    const double n = 100e6;
    // Shared DRAM: 1 / rate(t)^2 = a / t^2 + c through rate(1) = one and rate(4 threads) = all.
    auto shared = [](double one, double all, double t) {
        const double a = (1 / (one * one) - 1 / (all * all)) / (1 - 1.0 / 16);
        const double c = 1 / (one * one) - a;
        return 1 / std::sqrt(a / (t * t) + c);
    };
    EXPECT_NEAR(timeOf(m, CpuOp::Read, n, 1), 4 * n / 10e9, 1e-12);                  // one thread: 10 GB/s
    EXPECT_NEAR(timeOf(m, CpuOp::Read, n, 2), 4 * n / shared(10e9, 20e9, 2), 1e-12); // 15.8 GB/s, not 20
    EXPECT_NEAR(timeOf(m, CpuOp::Read, n, 4), 4 * n / 20e9, 1e-12);                  // all threads: the roof
    EXPECT_LT(4 * n / timeOf(m, CpuOp::Read, n, 2), 20e9);
    EXPECT_GT(4 * n / timeOf(m, CpuOp::Read, n, 2), 15e9);
    EXPECT_NEAR(timeOf(m, CpuOp::Write, n, 1), 4 * n / 5e9, 1e-12);
    EXPECT_NEAR(timeOf(m, CpuOp::Write, n, 3), 4 * n / shared(5e9, 10e9, 3), 1e-12);
}

TEST(CpuKernels, SmtSiblingsShareTheirCore) {
    // 8 hardware threads on 4 cores: a private resource grows per core up to 4 threads, then by the SMT gain
    // g = all / (cores x one) - 1 per sibling; private caches do not grow with siblings.
    CpuMachine m = synth();
    m.units = 8;
    m.threadsPerCore = 2;
    EXPECT_DOUBLE_EQ(m.cores(), 4);
    EXPECT_DOUBLE_EQ(threadScaledRate(m, 10, 50, true, 1), 10);
    EXPECT_DOUBLE_EQ(threadScaledRate(m, 10, 50, true, 4), 40);
    EXPECT_DOUBLE_EQ(threadScaledRate(m, 10, 50, true, 6), 45); // g = 0.25
    EXPECT_DOUBLE_EQ(threadScaledRate(m, 10, 50, true, 8), 50);
    EXPECT_DOUBLE_EQ(levelCapacityForThreads(m, m.levels[0], 8), 4 * 32 * 1024.0);
    EXPECT_DOUBLE_EQ(levelCapacityForThreads(m, m.levels[0], 3), 3 * 32 * 1024.0);
}

TEST(CpuKernels, MeasuredSiblingStridePlacesThreads) {
    // 8 hardware threads on 4 cores. Stride 0: threads fill cores first. Stride 1 (siblings {0,1} {2,3} …): 4 threads
    // keep 2 cores busy. Stride 4 ({0,4} {1,5} …): the same as filling cores first.
    CpuMachine m = synth();
    m.units = 8;
    m.threadsPerCore = 2;
    EXPECT_DOUBLE_EQ(busyCores(m, 4), 4);
    m.siblingStride = 1;
    EXPECT_DOUBLE_EQ(busyCores(m, 1), 1);
    EXPECT_DOUBLE_EQ(busyCores(m, 2), 1);
    EXPECT_DOUBLE_EQ(busyCores(m, 3), 2);
    EXPECT_DOUBLE_EQ(busyCores(m, 4), 2);
    EXPECT_DOUBLE_EQ(busyCores(m, 8), 4);
    EXPECT_DOUBLE_EQ(busyCores(m, 3.5), 2);
    EXPECT_DOUBLE_EQ(threadScaledRate(m, 10, 50, true, 4), 25); // 2 cores + 2 siblings at g = 0.25
    EXPECT_DOUBLE_EQ(levelCapacityForThreads(m, m.levels[0], 4), 2 * 32 * 1024.0);
    m.siblingStride = 4;
    for (double t : {1.0, 2.0, 4.0, 6.0, 8.0})
        EXPECT_DOUBLE_EQ(busyCores(m, t), std::min(t, 4.0));
}

TEST(CpuKernels, CacheLevelsSpillSmoothly) {
    CpuMachine m = synth();
    // Step transitions by default.
    std::vector<double> f = servedShares(m, 16 * 1024, 1);
    EXPECT_DOUBLE_EQ(f[0], 1.0);
    f = servedShares(m, 64 * 1024, 1);
    EXPECT_DOUBLE_EQ(f[1], 1.0);
    // With steepness 2 at L1: half of a working set of 32 KiB is served by L1, 0.2 at 64 KiB, the rest by L2.
    m.levels[0].spillSteepness = 2;
    f = servedShares(m, 32 * 1024, 1);
    EXPECT_NEAR(f[0], 0.5, 1e-12);
    EXPECT_NEAR(f[1], 0.5, 1e-12);
    f = servedShares(m, 64 * 1024, 1);
    EXPECT_NEAR(f[0], 0.2, 1e-12);
    EXPECT_NEAR(f[0] + f[1] + f[2] + f[3], 1.0, 1e-12);
    // Time per byte is the share-weighted sum: a read of 64 KiB takes 0.2 / L1 + 0.8 / L2 per byte.
    const double n = 64 * 1024 / 4.0;
    CpuKernelRequest r;
    r.op = CpuOp::Read;
    r.elements = n;
    r.threads = 1;
    const double l1 = m.levels[0].oneThreadBytesPerS[0], l2 = m.levels[1].oneThreadBytesPerS[0];
    EXPECT_NEAR(evalCpuKernel(m, r).timeS, 4 * n * (0.2 / l1 + 0.8 / l2), 1e-15);
    EXPECT_EQ(servingLevel(m, 64 * 1024, 1), 1u);
}

TEST(CpuKernels, CpuEfficiencyKeysRoundTrip) {
    std::string text = kSynthetic;
    text += R"(  cpu:
    threads_per_core: "2 @m"
    pass_overhead: "4 ns @m"
    sibling_stride: "1 @m"
    single_thread:
      dram: {read: "12 GB/s @m", write: "6 GB/s @m", copy: "9 GB/s @m"}
      vector: {fp32: "40 GFLOP/s @m"}
    spill_steepness: {l1: "6 @m", l3: "2 @m"}
)";
    const Platform p = io::loadPlatformString(text, "synth-cpu.yaml");
    const Platform q = io::loadPlatformString(io::platformToYaml(p), "again.yaml");
    for (const Platform* x : {&p, &q}) {
        const CpuMachine m = cpuMachineFrom(*x);
        EXPECT_DOUBLE_EQ(m.threadsPerCore, 2);
        EXPECT_NEAR(m.passOverheadS, 4e-9, 1e-21);
        EXPECT_DOUBLE_EQ(m.siblingStride, 1);
        EXPECT_DOUBLE_EQ(m.levels[3].oneThreadBytesPerS[0], 12e9); // the key wins over the source note
        EXPECT_DOUBLE_EQ(m.levels[3].oneThreadBytesPerS[1], 6e9);
        EXPECT_DOUBLE_EQ(m.levels[0].spillSteepness, 6);
        EXPECT_DOUBLE_EQ(m.levels[1].spillSteepness, 0);
        EXPECT_DOUBLE_EQ(m.levels[2].spillSteepness, 2);
        EXPECT_DOUBLE_EQ(m.engines[0].oneThreadFlopPerS[static_cast<std::size_t>(DType::fp32)], 40e9);
    }
    EXPECT_THROW(io::loadPlatformString(text + "    unknown_key: \"1 @m\"\n", "bad.yaml"), InputError);
}

TEST(CpuKernels, LevelSelectionByWorkingSet) {
    const CpuMachine m = synth();
    // One thread: 32 KiB of L1, 1 MiB of L2, 8 MiB of L3.
    EXPECT_EQ(servingLevel(m, 16 * 1024, 1), 0u);
    EXPECT_EQ(servingLevel(m, 32 * 1024, 1), 0u);
    EXPECT_EQ(servingLevel(m, 33 * 1024, 1), 1u);
    EXPECT_EQ(servingLevel(m, 1 << 20, 1), 1u);
    EXPECT_EQ(servingLevel(m, 2 << 20, 1), 2u);
    EXPECT_EQ(servingLevel(m, 9 << 20, 1), 3u);
    // Four threads bring four private L1s and L2s; the shared L3 does not grow.
    EXPECT_EQ(servingLevel(m, 100 * 1024, 4), 0u);
    EXPECT_EQ(servingLevel(m, 3 << 20, 4), 1u);
    EXPECT_EQ(servingLevel(m, 6 << 20, 4), 2u);
    EXPECT_EQ(servingLevel(m, 9 << 20, 4), 3u);
    // Triad of 2048 fp32 elements: 24 KiB, L1 at 100 GB/s per core.
    EXPECT_NEAR(timeOf(m, CpuOp::Triad, 2048, 1), 24576 / 100e9, 1e-15);
}

TEST(CpuKernels, TwoPassSoftmaxFasterOutOfCacheNotInCache) {
    const CpuMachine m = synth();
    for (double threads : {1.0, 4.0}) {
        const double big = 200e6, small = 2048; // 800 MB vs 8 KiB
        const double t3 = timeOf(m, CpuOp::Softmax3Pass, big, threads),
                     t2 = timeOf(m, CpuOp::Softmax2Pass, big, threads);
        EXPECT_LT(t2, t3) << threads;
        // Out of cache the passes decide: 4 vs 3 array traffics (3 reads + 1 write vs 2 reads + 1 write)
        EXPECT_GT(t3 / t2, 1.1) << threads;
        const double s3 = timeOf(m, CpuOp::Softmax3Pass, small, threads),
                     s2 = timeOf(m, CpuOp::Softmax2Pass, small, threads);
        EXPECT_GE(s2, s3) << threads; // in cache it is exp-bound and the 2-pass version does more arithmetic
    }
}

TEST(CpuKernels, GemmUsesMatrixEngineAndBlocking) {
    const CpuMachine m = synth();
    CpuKernelRequest r;
    r.op = CpuOp::Gemm;
    r.m = r.n = r.k = 4096;
    r.dtype = DType::bf16;
    r.threads = 4;
    const CpuKernelResult g = evalCpuKernel(m, r);
    ASSERT_TRUE(g.ok);
    EXPECT_EQ(g.engine, "tiles");
    EXPECT_DOUBLE_EQ(g.flops, 2.0 * 4096 * 4096 * 4096);
    // compute roof: 4 TFLOP/s x default CPU GEMM fraction 0.7
    EXPECT_GE(g.timeS, g.flops / (4e12 * 0.7) * 0.999);
    r.dtype = DType::fp32;
    const CpuKernelResult s = evalCpuKernel(m, r);
    EXPECT_EQ(s.engine, "SIMD");
    EXPECT_NEAR(s.timeS, s.flops / (200e9 * 0.7), s.timeS * 1e-9);
    r.dtype = DType::fp64; // no path
    EXPECT_FALSE(evalCpuKernel(m, r).ok);
    // Skinny GEMM (m = 1) out of cache is memory-bound.
    r.dtype = DType::fp32;
    r.m = 1;
    r.n = r.k = 8192;
    const CpuKernelResult v = evalCpuKernel(m, r);
    EXPECT_NE(v.bound.find("bandwidth"), std::string::npos) << v.bound;
}

TEST(CpuKernels, BadSingleThreadRecordIsInputError) {
    std::string text = kSynthetic;
    const auto pos = text.find("dram.read=10e9");
    text.replace(pos, 14, "dram.read=abc");
    EXPECT_THROW(cpuMachineFrom(io::loadPlatformString(text, "bad.yaml")), InputError);
    EXPECT_THROW(parseCpuOp("triadd"), InputError);
}

TEST(CpuKernels, ShippedCpuPlatformsEvaluate) {
    for (const char* name : {"platforms/xeon-amx-16vcpu.yaml", "platforms/dev-vm-epyc-2vcpu.yaml",
                             "platforms/dev-vm-epyc-zen4-2vcpu.yaml", "platforms/xeon-8480p-2s.yaml"}) {
        const CpuMachine m = cpuMachineFrom(io::loadPlatformFile(name));
        for (int op = 0; op <= static_cast<int>(CpuOp::Reduction); ++op)
            EXPECT_GT(timeOf(m, static_cast<CpuOp>(op), 1e6, 0), 0) << name;
    }
}
