// CPU calibration recovers known parameters from synthetic measurements; the committed CPU datasets validate
// against the committed calibrated platforms within the thresholds measured when they were calibrated.
#include "calibration/cpu_calibration.hpp"
#include "io/csv.hpp"
#include "io/platform_loader.hpp"
#include "units/errors.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <iostream>
#include <map>
#include <sstream>
#include <vector>

using namespace rooflab;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path dir;
    explicit TempDir(const std::string& name) {
        dir = fs::temp_directory_path() / name;
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    ~TempDir() { fs::remove_all(dir); }
};

// Truth: 2 cores; L1 32 KiB/core, L2 512 KiB/core, L3 reported 32 MiB but only 4 MiB effective; DRAM.
struct Truth {
    // [level][read, write, copy] all-core and one-thread, B/s (all-core reachable with the 2 threads measured)
    double all[4][3] = {{300e9, 150e9, 250e9}, {160e9, 120e9, 150e9}, {130e9, 120e9, 135e9}, {34e9, 17e9, 30e9}};
    double one[4][3] = {{150e9, 80e9, 130e9}, {85e9, 70e9, 75e9}, {65e9, 60e9, 70e9}, {17e9, 14e9, 22e9}};
    double capacity[4] = {32768, 524288, 4194304, 25e9};
    double latencyNs[4] = {1.3, 4.0, 16.0, 120.0};
};

// `cores` cores measured at 1, 2, 4 … cores threads; `slow` scales the measured rates at some thread counts (a VM
// whose busy vCPUs share host cores).
void writeDataset(const fs::path& d, const Truth& t, int cores = 2, const std::map<int, double>& slow = {}) {
    std::ofstream bw(d / "bandwidth.csv");
    bw << "kernel,threads,footprint_bytes,bytes_moved,median_s,p10_s,p90_s,runs,bytes_per_s\n";
    const char* kernels[3] = {"read", "write", "copy"};
    std::vector<int> counts;
    for (int n = 1; n < cores; n *= 2)
        counts.push_back(n);
    counts.push_back(cores);
    for (int threads : counts)
        for (int k = 0; k < 3; ++k)
            for (double f = 8192; f < 256e6; f *= 1.41421356) {
                const double fp = std::round(f);
                // the level a working set lands in, with private L1/L2 growing with the threads
                int lvl = 3;
                if (fp <= t.capacity[0] * threads)
                    lvl = 0;
                else if (fp <= t.capacity[1] * threads)
                    lvl = 1;
                else if (fp <= t.capacity[2])
                    lvl = 2;
                const double rate =
                    std::min(threads * t.one[lvl][k], t.all[lvl][k]) * (slow.count(threads) ? slow.at(threads) : 1.0);
                const double moved = fp * 1e4; // a timed sample of many passes, like the benchmark (>= 2 ms)
                bw << kernels[k] << "," << threads << "," << fp << "," << moved << "," << moved / rate << ",0,0,5,"
                   << rate << "\n";
            }
    std::ofstream lat(d / "latency.csv");
    lat << "footprint_bytes,ns,cycles_estimate,level\n";
    for (double f = 4096; f < 256e6; f *= 1.189207) {
        const double fp = std::round(f);
        const int lvl = fp <= t.capacity[0] ? 0 : fp <= t.capacity[1] ? 1 : fp <= t.capacity[2] ? 2 : 3;
        lat << fp << "," << t.latencyNs[lvl] << ",0,x\n";
    }
    std::ofstream fl(d / "flops.csv");
    fl << "isa,dtype,threads,median_s,flop,flop_per_s\n"
       << "avx2_fma,fp32,1,0.01,1,96e9\navx2_fma,fp32,2,0.01,1,96e9\n"
       << "avx2_fma,fp64,1,0.01,1,48e9\navx2_fma,fp64,2,0.01,1,48e9\nscalar,fp64,1,0.01,1,12e9\n";
    std::ofstream topo(d / "topology.json");
    topo << "{\"cores\": " << cores << ", \"pus\": " << cores << R"(, "memory_bytes": 25000000000, "caches": [
      {"level": 1, "size_bytes": 32768, "instances": )"
         << cores << R"(}, {"level": 2, "size_bytes": 524288, "instances": )" << cores
         << R"(}, {"level": 3, "size_bytes": 33554432, "instances": 1}]})";
    std::ofstream prov(d / "provenance.json");
    prov << R"({"cpu": "Synthetic CPU", "date": "2026-11-27T10:00:00Z", "tool": "synthetic"})";
}

double rel(double a, double b) {
    return std::abs(a - b) / b;
}

} // namespace

TEST(CpuCalibration, RecoversKnownParameters) {
    TempDir tmp("rooflab-cpu-calib-test");
    const Truth t;
    writeDataset(tmp.dir, t);
    const CpuMeasurements m = loadCpuMeasurements(tmp.dir.string());
    ASSERT_EQ(m.caches.size(), 3u);
    const std::vector<double> caps = effectiveCacheBytes(m);
    EXPECT_DOUBLE_EQ(caps[0], 32768);
    EXPECT_DOUBLE_EQ(caps[1], 524288);
    EXPECT_LT(rel(caps[2], 4194304), 0.12) << caps[2]; // found between the two points around 4 MiB

    const Platform base = io::loadPlatformFile("platforms/dev-vm-epyc-2vcpu.yaml");
    const CpuCalibrationResult r = calibrateCpu(base, m, "2026-11-27");
    for (const auto& n : r.notes)
        std::cout << "note: " << n << "\n";
    const std::string yaml = io::platformToYaml(r.platform);
    const Platform p = io::loadPlatformString(yaml, "calibrated.yaml");
    const CpuMachine mc = cpuMachineFrom(p);
    ASSERT_EQ(mc.levels.size(), 4u);
    EXPECT_TRUE(mc.singleThreadFromFile);
    // The synthetic data step at each capacity; the fit approximates steps by steep spill curves: 3 %.
    for (std::size_t l = 0; l < 4; ++l)
        for (std::size_t k = 0; k < 3; ++k) {
            EXPECT_LT(rel(mc.levels[l].allCoreBytesPerS[k], t.all[l][k]), 0.03) << l << " " << k;
            EXPECT_LT(rel(mc.levels[l].oneThreadBytesPerS[k], t.one[l][k]), 0.03) << l << " " << k;
        }
    EXPECT_DOUBLE_EQ(mc.threadsPerCore, 1); // FMA rate flat 1 -> 2 threads, but only 2 threads: no SMT inference
    for (std::size_t l = 0; l < 3; ++l)
        EXPECT_LT(rel(mc.levels[l].latencyS, t.latencyNs[l] * 1e-9), 0.01) << l;
    EXPECT_EQ(p.sources.at(p.memory[2].capacityBytes.source).kind, SourceKind::Fitted);
    EXPECT_EQ(p.sources.at(p.memory[0].readBytesPerS.source).kind, SourceKind::Measured);
    const auto fp32 = static_cast<std::size_t>(DType::fp32);
    EXPECT_DOUBLE_EQ(mc.engines[0].allCoreFlopPerS[fp32], 96e9);
    EXPECT_DOUBLE_EQ(mc.engines[0].oneThreadFlopPerS[fp32], 96e9);
    // The model reproduces its own synthetic data (away from the fitted L3 boundary).
    const CpuValidationResult v = validateCpu(mc, m);
    for (const auto& s : v.byClass) {
        if (s.kernelClass == "all bandwidth") {
            EXPECT_LT(s.mapePct, 3.0);
        }
    }
}

TEST(CpuCalibration, RepeatedSweepsCombineByPerPointMedian) {
    auto sweep = [](const std::string& dir, double slowFactor) {
        CpuMeasurements m;
        m.dir = dir;
        m.cpu = "Synthetic CPU";
        m.cores = 2;
        m.pus = 2;
        for (double fp : {16384.0, 1048576.0}) {
            CpuBandwidthSample b;
            b.kernel = "read";
            b.threads = 2;
            b.footprintBytes = fp;
            b.bytesMoved = fp * 1000;
            // An episode of contention slows this sweep's large point only.
            b.bytesPerS = fp > 1e6 ? 100e9 / slowFactor : 200e9;
            b.medianS = b.bytesMoved / b.bytesPerS;
            m.bandwidth.push_back(b);
        }
        m.latency.push_back({4096, 1.2 * slowFactor});
        CpuFlopsSample f;
        f.isa = "avx2_fma";
        f.dtype = "fp64";
        f.threads = 1;
        f.flopPerS = 50e9 / slowFactor;
        m.flops.push_back(f);
        CpuVectorKernelSample v;
        v.kernel = "softmax-3pass";
        v.isa = "avx2";
        v.elements = 4096;
        v.repetitions = slowFactor > 1 ? 10 : 20; // repetition counts differ between sweeps: time per call counts
        v.medianS = v.repetitions * 1e-6 * slowFactor;
        m.vectorKernels.push_back(v);
        return m;
    };
    std::vector<CpuMeasurements> three = {sweep("a", 1.0), sweep("b", 2.0), sweep("c", 1.1)};
    // A point only one sweep measured is kept as measured.
    CpuBandwidthSample extra = three[2].bandwidth[0];
    extra.footprintBytes = 65536;
    three[2].bandwidth.push_back(extra);
    const CpuMeasurements m = medianOfSweeps(three);
    ASSERT_EQ(m.bandwidth.size(), 3u);
    EXPECT_DOUBLE_EQ(m.bandwidth[0].bytesPerS, 200e9);
    EXPECT_DOUBLE_EQ(m.bandwidth[1].bytesPerS, 100e9 / 1.1); // the slow sweep's 50 GB/s is out
    EXPECT_DOUBLE_EQ(m.bandwidth[1].medianS, m.bandwidth[1].bytesMoved / m.bandwidth[1].bytesPerS);
    EXPECT_DOUBLE_EQ(m.bandwidth[2].footprintBytes, 65536);
    EXPECT_DOUBLE_EQ(m.latency[0].ns, 1.2 * 1.1);
    EXPECT_DOUBLE_EQ(m.flops[0].flopPerS, 50e9 / 1.1);
    EXPECT_NEAR(m.vectorKernels[0].medianS / m.vectorKernels[0].repetitions, 1.1e-6, 1e-15);
    EXPECT_NE(m.dir.find("median of 3 sweeps"), std::string::npos);
    // One sweep is itself; sweeps of different machines do not mix.
    EXPECT_EQ(medianOfSweeps({three[0]}).dir, "a");
    CpuMeasurements other = sweep("d", 1.0);
    other.cores = 16;
    EXPECT_THROW(medianOfSweeps({three[0], other}), InputError);
}

TEST(CpuCalibration, FitsThreadScalingBetweenOneAndAllThreads) {
    // 8 cores measured at 1, 2, 4, 8 threads; at 2 and 4 threads the machine delivers 0.6 and 0.8 of what the
    // one- and all-thread rates give (core fill): the fit finds those factors, 1 at the ends, and the model
    // interpolates at 3 and 6 threads.
    TempDir tmp("rooflab-cpu-calib-threads");
    const Truth t;
    writeDataset(tmp.dir, t, 8, {{2, 0.6}, {4, 0.8}});
    const CpuMeasurements m = loadCpuMeasurements(tmp.dir.string());
    const CpuCalibrationResult r =
        calibrateCpu(io::loadPlatformFile("platforms/dev-vm-epyc-2vcpu.yaml"), m, "2026-12-02");
    const Platform p = io::loadPlatformString(io::platformToYaml(r.platform), "calibrated.yaml");
    const auto& ts = p.efficiency.cpu.threadScaling;
    ASSERT_EQ(ts.size(), 2u); // 2 and 4 threads; not 1 or 8
    EXPECT_NEAR(ts.at(2).si, 0.6, 0.03);
    EXPECT_NEAR(ts.at(4).si, 0.8, 0.04);
    EXPECT_EQ(p.sources.at(ts.at(2).source).kind, SourceKind::Fitted);
    // The same slowdown on the shared levels (L3, DRAM) is found by their own curve (within 0.1: the synthetic
    // shared levels saturate as min(t x one, all), the model smoothly, and the curve absorbs the difference).
    const auto& sh = p.efficiency.cpu.sharedThreadScaling;
    ASSERT_EQ(sh.size(), 2u);
    EXPECT_NEAR(sh.at(2).si, 0.6, 0.1);
    EXPECT_NEAR(sh.at(4).si, 0.8, 0.1);
    const CpuMachine mc = cpuMachineFrom(p);
    EXPECT_DOUBLE_EQ(threadScalingFactor(mc, 1), 1.0);
    EXPECT_DOUBLE_EQ(threadScalingFactor(mc, 8), 1.0);
    EXPECT_NEAR(threadScalingFactor(mc, 3), (ts.at(2).si + ts.at(4).si) / 2, 1e-12);
    EXPECT_NEAR(threadScalingFactor(mc, 6), (ts.at(4).si + 1.0) / 2, 1e-12);
    // And the slowed thread counts are predicted: the whole synthetic set within a few percent.
    const CpuValidationResult v = validateCpu(mc, m);
    for (const auto& s : v.byClass) {
        if (s.kernelClass == "all bandwidth") {
            EXPECT_LT(s.mapePct, 4.0);
        }
    }
    // Without the factors, 2-thread points would be 1 / 0.6 - 1 = 67 % too fast.
    CpuMachine plain = mc;
    plain.threadScaling.clear();
    double worst = 0;
    for (const auto& row : validateCpu(plain, m).rows)
        worst = std::min(worst, row.errorPct);
    EXPECT_LT(worst, -35.0);
}

TEST(CpuCalibration, ThreadScalingKeysAreThreadCounts) {
    const Platform base = io::loadPlatformFile("platforms/xeon-amx-16vcpu.yaml");
    std::string yaml = io::platformToYaml(base);
    ASSERT_NE(yaml.find("thread_scaling:"), std::string::npos);
    const std::string bad = yaml.replace(yaml.find("thread_scaling:\n      2:"), 24, "thread_scaling:\n      one:");
    try {
        io::loadPlatformString(bad, "bad.yaml");
        FAIL() << "accepted a non-numeric thread count";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("thread count"), std::string::npos) << e.what();
    }
}

TEST(CpuCalibration, GemmReferenceFitsAndColdWeightsStreamFromMemory) {
    // The committed PyTorch CPU GEMM reference of the H200 host (weights rotated beyond the LLC).
    const std::string file = "datasets/cpu/xeon-amx-16vcpu-h200host/gemm/cpu_gemm.csv";
    const std::vector<CpuGemmSample> g = loadCpuGemm(file);
    ASSERT_EQ(g.size(), 48u);
    const CpuMachine mc = cpuMachineFrom(io::loadPlatformFile("platforms/xeon-amx-16vcpu-h200host.yaml"));
    // A 4096 x 4096 fp32 GEMV: 64 MiB of weights fit the 300 MiB LLC, but cold weights come from DRAM.
    CpuKernelRequest r;
    r.op = CpuOp::Gemm;
    r.m = 1;
    r.n = 4096;
    r.k = 4096;
    r.dtype = DType::fp32;
    r.threads = 1;
    const CpuKernelResult hot = evalCpuKernel(mc, r);
    r.coldWeights = true;
    const CpuKernelResult cold = evalCpuKernel(mc, r);
    ASSERT_TRUE(hot.ok && cold.ok);
    EXPECT_EQ(mc.levels[cold.passes.front().level].kind, MemoryKind::Dram);
    EXPECT_NE(mc.levels[hot.passes.front().level].kind, MemoryKind::Dram);
    EXPECT_GT(cold.passes.front().memoryS, 1.3 * hot.passes.front().memoryS);
    // Measured 4.905 ms (1 thread); the calibrated model within 20 %.
    EXPECT_NEAR(cold.timeS, 4.905e-3, 0.2 * 4.905e-3);
    // Skinny GEMMs reach less of the engine than square ones (gemm_small_m_half).
    EXPECT_GT(mc.gemmSmallMHalf, 0);
    CpuMeasurements m;
    m.gemm = g;
    const CpuValidationResult v = validateCpu(mc, m);
    bool saw = false;
    for (const auto& s : v.byClass)
        if (s.kernelClass == "all gemm") {
            saw = true;
            EXPECT_LT(s.mapePct, 20.0); // 18.3 % on 2026-12-02 (1/16 threads fitted, 4 threads out of sample)
        }
    EXPECT_TRUE(saw);
    TempDir tmp("rooflab-cpu-gemm-bad");
    std::ofstream(tmp.dir / "g.csv") << "m,n,k,dtype,threads,median_s\n1,4096,4096,fp33,1,0.001\n";
    try {
        loadCpuGemm((tmp.dir / "g.csv").string());
        FAIL() << "accepted dtype fp33";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("g.csv:2"), std::string::npos) << e.what();
    }
}

TEST(CpuCalibration, BadDatasetIsInputError) {
    TempDir tmp("rooflab-cpu-calib-bad");
    std::ofstream(tmp.dir / "bandwidth.csv") << "kernel,threads,footprint_bytes,bytes_moved,median_s,bytes_per_s\n"
                                             << "triadd,1,4096,4096,0.001,4096000\n";
    EXPECT_THROW(loadCpuMeasurements(tmp.dir.string()), InputError);
    EXPECT_THROW(loadCpuMeasurements((tmp.dir / "missing").string()), InputError);
}

// Accuracy regression: thresholds are the MAPEs measured when the platforms were recalibrated (2026-11-27, smooth
// cache spill + SMT-aware thread scaling: bandwidth 11.6 % dev VM, 13.2 % Xeon, 20.1 % on the Xeon's repeat sweep
// (out of sample); softmax/reduction 32.6 % and 26.8 %; FLOP/s 0.66 % and 0.29 %), plus a small margin. Above the
// 10 % target: see datasets/cpu/VALIDATION.md. Xeon softmax/reduction now includes the re-measured reduction.csv
// (20.3 %), the third sweep (bandwidth-repeat-2, out of sample) 17.7 %.
// The Zen 4 development VM of 2026-12-02 (idle machine, per-thread sample timing): calibrated on its first sweep
// (bandwidth 12.5 %, softmax/reduction 9.5 %, FLOP/s 0.1 %), two later sweeps out of sample (15.4 % / 12.4 % over
// all classes); the sweeps disagree with each other by 5-15 % (1 thread) and 12-55 % (2 threads) point by point.
// 2026-12-02, thread scaling (efficiency.cpu.thread_scaling, fitted at the thread counts between one and all) and the
// topology's shared LLC kept unless a per-core share fits clearly better, separate curves for private and shared
// levels: Xeon (H100 host) 13.5 / 19.0 / 16.6 % bandwidth, 20.3 % softmax/reduction (STREAM triad at 1-16 threads
// within 10 % of the plain OpenMP reference). The H200 machine's Xeon host (xeon-amx-16vcpu-h200host, calibrated on
// the per-point median of session 2's three sweeps): each sweep 14.3-24.7 % bandwidth, 14.8-23.3 % softmax/reduction;
// session 3 (another day's host, thread counts 3, 6, 12 never fitted) 23.4 and 26.2 %, softmax/reduction 17.0 and
// 22.1 %; that session's two sweeps differ from each other by 30.6 % point by point.
struct Threshold {
    const char* platform;
    const char* dataset;
    double bandwidthMape, flopsMape, vectorMape; ///< < 0: the class must be absent
};

TEST(CpuCalibration, CommittedDatasetsValidate) {
    const Threshold th[] = {
        {"platforms/dev-vm-epyc-2vcpu.yaml", "datasets/cpu/dev-vm-epyc-2vcpu", 12.5, 2.0, 35.0},
        {"platforms/xeon-amx-16vcpu.yaml", "datasets/cpu/xeon-amx-16vcpu", 14.5, 2.0, 21.0},
        {"platforms/xeon-amx-16vcpu.yaml", "datasets/cpu/xeon-amx-16vcpu/bandwidth-repeat", 20.0, -1, -1},
        {"platforms/xeon-amx-16vcpu.yaml", "datasets/cpu/xeon-amx-16vcpu/bandwidth-repeat-2", 17.5, -1, -1},
        {"platforms/xeon-amx-16vcpu-h200host.yaml", "datasets/cpu/xeon-amx-16vcpu-h200host/session2/sweep-1", 16.0, 7.5,
         16.5},
        {"platforms/xeon-amx-16vcpu-h200host.yaml", "datasets/cpu/xeon-amx-16vcpu-h200host/session2/sweep-2", 27.0, 7.5,
         18.0},
        {"platforms/xeon-amx-16vcpu-h200host.yaml", "datasets/cpu/xeon-amx-16vcpu-h200host/session2/sweep-3", 16.0, 2.0,
         26.5},
        {"platforms/xeon-amx-16vcpu-h200host.yaml", "datasets/cpu/xeon-amx-16vcpu-h200host/session3/sweep-1", 25.5, -1,
         18.5},
        {"platforms/xeon-amx-16vcpu-h200host.yaml", "datasets/cpu/xeon-amx-16vcpu-h200host/session3/sweep-2", 28.0, -1,
         23.5},
        {"platforms/dev-vm-epyc-zen4-2vcpu.yaml", "datasets/cpu/dev-vm-epyc-zen4-2vcpu", 13.5, 1.0, 10.5},
        {"platforms/dev-vm-epyc-zen4-2vcpu.yaml", "datasets/cpu/dev-vm-epyc-zen4-2vcpu/repeat", 18.5, 3.5, 14.0},
        {"platforms/dev-vm-epyc-zen4-2vcpu.yaml", "datasets/cpu/dev-vm-epyc-zen4-2vcpu/repeat-2", 14.5, 2.0, 12.5},
        {"platforms/dev-vm-epyc-zen4-2vcpu.yaml", "datasets/cpu/dev-vm-epyc-zen4-2vcpu/repeat-3", 17.5, 4.0, 14.0},
        {"platforms/dev-vm-epyc-zen4-2vcpu.yaml", "datasets/cpu/dev-vm-epyc-zen4-2vcpu/repeat-4", 17.0, 4.0, 11.0},
        {"platforms/dev-vm-epyc-zen4-2vcpu.yaml", "datasets/cpu/dev-vm-epyc-zen4-2vcpu/repeat-5", 19.0, 4.0, 15.0},
    };
    for (const auto& t : th) {
        const CpuMachine mc = cpuMachineFrom(io::loadPlatformFile(t.platform));
        const CpuValidationResult v = validateCpu(mc, loadCpuMeasurements(t.dataset));
        bool sawBw = false, sawFl = false, sawVec = false;
        for (const auto& s : v.byClass) {
            if (s.kernelClass == "all bandwidth") {
                sawBw = true;
                EXPECT_LE(s.mapePct, t.bandwidthMape) << t.dataset;
            }
            if (s.kernelClass == "all flops") {
                sawFl = true;
                EXPECT_LE(s.mapePct, t.flopsMape) << t.dataset;
            }
            if (s.kernelClass == "all softmax/reduction") {
                sawVec = true;
                EXPECT_LE(s.mapePct, t.vectorMape) << t.dataset;
            }
        }
        EXPECT_TRUE(sawBw) << t.dataset;
        EXPECT_EQ(sawFl, t.flopsMape >= 0) << t.dataset;
        EXPECT_EQ(sawVec, t.vectorMape >= 0) << t.dataset;
    }
}

TEST(CpuCalibration, XeonTriadMatchesThePlainStreamReference) {
    // datasets/cpu/xeon-amx-16vcpu/stream_reference.csv: the plain OpenMP STREAM triad (-O3 -march=native, 3 x 160 M
    // doubles = 3.84 GB, beyond every fitted working set) on the same host, never used by the fit. The calibrated
    // model at 1-16 threads: -1, -5, -9, -4, -7 % (2026-12-02; a per-core LLC share, which fitted the sweep's points
    // 0.85 points better, gave -31 % at 16 threads).
    const CpuMachine mc = cpuMachineFrom(io::loadPlatformFile("platforms/xeon-amx-16vcpu.yaml"));
    std::ifstream f("datasets/cpu/xeon-amx-16vcpu/stream_reference.csv");
    std::string line;
    std::getline(f, line);
    int rows = 0;
    while (std::getline(f, line)) {
        std::stringstream ss(line);
        std::vector<std::string> c;
        for (std::string cell; std::getline(ss, cell, ',');)
            c.push_back(cell);
        ASSERT_GE(c.size(), 7u) << line;
        CpuKernelRequest r;
        r.op = parseCpuOp("triad");
        r.dtype = DType::fp64;
        r.threads = std::stod(c[1]);
        r.elements = std::stod(c[2]) / 24.0;
        const CpuKernelResult p = evalCpuKernel(mc, r);
        ASSERT_TRUE(p.ok);
        const double predicted = std::stod(c[2]) / p.timeS, measured = std::stod(c[6]);
        EXPECT_LT(std::abs(predicted / measured - 1), 0.12)
            << r.threads << " threads: " << predicted << " vs " << measured;
        ++rows;
    }
    EXPECT_EQ(rows, 5);
}

TEST(CpuCalibration, SmtProbeOfTheXeonGuestShowsNoFixedPairing) {
    // datasets/cpu/xeon-amx-16vcpu/smt/smt.csv: 120 vCPU pairs, FMA and L1 read. Two threads on any two vCPUs reach
    // ~2x one thread (a contended vCPU ~1.5x), so the calibration keeps threads filling cores first.
    const CpuMeasurements m = loadCpuMeasurements("datasets/cpu/xeon-amx-16vcpu");
    ASSERT_EQ(m.smtPairs.size(), 240u);
    const SmtLayout layout = inferSmtLayout(m.smtPairs);
    EXPECT_EQ(layout.pairsProbed, 120);
    EXPECT_FALSE(layout.fixed);
    EXPECT_LE(layout.siblingPairs, 2);
    const Platform p = io::loadPlatformFile("platforms/xeon-amx-16vcpu.yaml");
    ASSERT_TRUE(p.efficiency.cpu.siblingStride.present);
    EXPECT_DOUBLE_EQ(p.efficiency.cpu.siblingStride.si, 0);
    EXPECT_DOUBLE_EQ(p.efficiency.cpu.threadsPerCore.si, 2);
}

TEST(CpuCalibration, SingleOpTablesOfSeveralMachinesCombineByPerPointMedian) {
    // Three machines' ops.csv (bench/cpu_llm): a GEMV point on all three, one on two (columns in another order), one
    // on a single machine, and a point one benchmark skipped (empty median_s).
    const io::CsvTable a = io::parseCsv("op,dtype,threads,m,n,k,elements,median_s,min_s,max_s,note\n"
                                        "linear,bf16,16,1,2048,8192,0,4.0e-4,3.9e-4,4.1e-4,down\n"
                                        "linear,bf16,4,1,2048,8192,0,1.0e-3,1.0e-3,1.0e-3,down\n"
                                        "add,bf16,16,0,0,0,65536,2.0e-5,2.0e-5,2.0e-5,\n"
                                        "softmax,fp32,16,0,0,0,512,,,,skipped\n"
                                        "add,bf16,16,0,0,0,65536,2.2e-5,2.2e-5,2.2e-5,repeat\n",
                                        "a.csv");
    const io::CsvTable b = io::parseCsv("op,dtype,threads,m,n,k,elements,median_s,min_s,max_s,note\n"
                                        "linear,bf16,16,1,2048,8192,0,9.0e-4,8.0e-4,9.9e-4,down\n"
                                        "linear,bf16,4,1,2048,8192,0,3.0e-3,3.0e-3,3.0e-3,down\n"
                                        "softmax,fp32,16,0,0,0,512,1.0e-5,1.0e-5,1.0e-5,\n",
                                        "b.csv");
    const io::CsvTable c = io::parseCsv("median_s,op,dtype,threads,m,n,k,elements,note\n"
                                        "6.0e-4,linear,bf16,16,1,2048,8192,0,down\n",
                                        "c.csv");
    const io::CsvTable m = medianOfOpsTables({a, b, c});
    ASSERT_EQ(m.header, a.header);
    const int cOp = m.column("op"), cT = m.column("threads"), cM = m.column("median_s"), cLo = m.column("min_s"),
              cHi = m.column("max_s");
    std::map<std::string, std::size_t> byKey;
    for (std::size_t i = 0; i < m.rows.size(); ++i)
        byKey[m.text(i, cOp) + "@" + m.text(i, cT)] = i;
    // The 16-thread GEMV: three machines, median 6e-4 (not the mean 6.33e-4), range 4e-4..9e-4.
    ASSERT_TRUE(byKey.count("linear@16"));
    const std::size_t g = byKey["linear@16"];
    EXPECT_NEAR(m.number(g, cM, 0, 1), 6.0e-4, 1e-12);
    EXPECT_NEAR(m.number(g, cLo, 0, 1), 4.0e-4, 1e-12);
    EXPECT_NEAR(m.number(g, cHi, 0, 1), 9.0e-4, 1e-12);
    // Two machines: the mean of the two middle values.
    ASSERT_TRUE(byKey.count("linear@4"));
    EXPECT_NEAR(m.number(byKey["linear@4"], cM, 0, 1), 2.0e-3, 1e-12);
    // On one machine only (add, twice in a.csv: still one machine) or with one real measurement (the skipped
    // softmax): not a median host's point.
    EXPECT_FALSE(byKey.count("add@16"));
    EXPECT_FALSE(byKey.count("softmax@16"));
    EXPECT_EQ(m.rows.size(), 2u);
    // One table is passed through unchanged; a table without median_s says which file and column.
    EXPECT_EQ(medianOfOpsTables({a}).rows.size(), a.rows.size());
    const io::CsvTable bad = io::parseCsv("op,threads,seconds\nlinear,16,1e-3\n", "bad.csv");
    try {
        (void)medianOfOpsTables({a, bad});
        FAIL() << "a table without median_s was accepted";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("bad.csv"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("median_s"), std::string::npos) << e.what();
    }
}
