// Counter cross-check through the CUPTI Range Profiler (auto range, kernel replay): DRAM bytes of a copy and a
// read kernel against the bytes they move, and FLOP counts of cuBLASLt GEMMs against 2*M*N*K.
// Writes counters.csv (workload,ranges,metric,value,expected,ratio) and counters_metrics.txt (the chip's
// tensor-related base metrics, to choose FLOP counters from).
#include "common.hpp"
#include "gemm.hpp"
#include "profilers/gpu/cupti/range_profiler.hpp"

#include <cuda.h>

#include <fstream>
#include <map>

namespace rooflab::gpubench {

void benchCounters(const Device& d, const Options& o) {
    RB_CHECK(cudaFree(nullptr));
    CUcontext ctx = nullptr;
    if (cuCtxGetCurrent(&ctx) != CUDA_SUCCESS || !ctx)
        throw CudaError("no current CUDA context");
    Csv csv(o.outDir + "/counters.csv", "workload,ranges,metric,value,expected,ratio");
    const size_t bytes = size_t{1} << 30;
    char* buf = nullptr;
    uint32_t* sink = nullptr;
    RB_CHECK(cudaMalloc(&buf, 2 * bytes));
    RB_CHECK(cudaMalloc(&sink, 64));
    fillRandom(buf, 2 * bytes, "u32", 5, nullptr);
    RB_CHECK(cudaDeviceSynchronize());
    const size_t gib = size_t{1} << 30;
    GemmRunner runner(d, 2 * gib, gib);

    struct Workload {
        std::string name;
        std::function<void()> run;
        std::map<std::string, double> expected;
    };
    const double g = 8192, f = 4096;
    std::vector<Workload> work = {
        {"copy_512MiB_to_512MiB",
         [&] { launchBandwidthKernel("copy", d.smCount, buf, buf + bytes / 2 + bytes, bytes / 2, sink, nullptr); },
         {{"dram__bytes_read.sum", static_cast<double>(bytes / 2)}, {"dram__bytes_write.sum", static_cast<double>(bytes / 2)}}},
        {"read_1GiB", [&] { launchBandwidthKernel("read", d.smCount, buf, nullptr, bytes, sink, nullptr); },
         {{"dram__bytes_read.sum", static_cast<double>(bytes)}}},
        {"gemm_bf16_8192", [&] { runner.prepare("bf16"); runner.launchOnce(8192, 8192, 8192); },
         {{"tensor_flop", 2 * g * g * g}}},
        {"gemm_fp8_8192", [] {}, {{"tensor_flop", 2 * g * g * g}}},
        {"gemm_fp32_4096", [&] { runner.prepare("fp32"); runner.launchOnce(4096, 4096, 4096); },
         {{"smsp__sass_thread_inst_executed_op_ffma_pred_on.sum", f * f * f}}},
    };
    bool listed = false;
    for (auto& w : work) {
        // Prepare outside the profiled window where possible (fills are kernels too).
        cupti::RangeProfiler rp;
        std::string why;
        if (!rp.begin(ctx, d.id, cupti::rooflineMetrics(), 64, why))
            throw CudaError("range profiler: " + why);
        if (!listed) {
            std::ofstream m(o.outDir + "/counters_metrics.txt");
            for (const auto& n : rp.listBaseMetrics("tensor"))
                m << n << '\n';
            for (const auto& n : rp.listBaseMetrics("gmma"))
                m << n << '\n';
            m << "# rejected:";
            for (const auto& n : rp.rejected())
                m << ' ' << n;
            m << '\n' << "# passes per kernel: " << rp.passes() << '\n';
            listed = true;
        }
        if (w.name.rfind("gemm", 0) == 0) { // fill before start: one fill + one GEMM would be two ranges
            const bool fp32 = w.name.find("fp32") != std::string::npos;
            runner.prepare(fp32 ? "fp32" : (w.name.find("fp8") != std::string::npos ? "fp8_e4m3" : "bf16"));
            w.run = [&runner, fp32] {
                if (fp32)
                    runner.launchOnce(4096, 4096, 4096);
                else
                    runner.launchOnce(8192, 8192, 8192);
            };
        }
        RB_CHECK(cudaDeviceSynchronize());
        if (!rp.start(why))
            throw CudaError(why);
        w.run();
        RB_CHECK(cudaDeviceSynchronize());
        if (!rp.stop(why))
            throw CudaError(why);
        auto vals = rp.values(why);
        if (vals.empty())
            throw CudaError("no ranges decoded: " + why);
        std::vector<double> sum(rp.metrics().size(), 0.0);
        for (const auto& r : vals)
            for (size_t i = 0; i < r.size(); ++i)
                sum[i] += r[i];
        double tensorFlop = -1;
        for (size_t i = 0; i < sum.size(); ++i) {
            const std::string& m = rp.metrics()[i];
            if (m.rfind("sm__ops_path_tensor", 0) == 0 && sum[i] > 0)
                tensorFlop = std::max(tensorFlop, sum[i]);
            auto e = w.expected.find(m);
            const double exp = e == w.expected.end() ? 0 : e->second;
            csv.row(w.name, vals.size(), m, sum[i], exp, exp > 0 ? sum[i] / exp : 0.0);
            if (exp > 0)
                progress("counters", w.name + " " + m + " = " + std::to_string(sum[i]) + " (expected " +
                                         std::to_string(exp) + ", ratio " + std::to_string(sum[i] / exp) + ")");
        }
        if (auto e = w.expected.find("tensor_flop"); e != w.expected.end()) {
            csv.row(w.name, vals.size(), std::string("tensor_flop"), tensorFlop, e->second,
                    tensorFlop > 0 ? tensorFlop / e->second : 0.0);
            progress("counters", w.name + " tensor FLOP (max of sm__ops_path_tensor_*) = " + std::to_string(tensorFlop) +
                                     " expected " + std::to_string(e->second));
        }
        rp.end();
    }
    RB_CHECK(cudaFree(buf));
    RB_CHECK(cudaFree(sink));
}

} // namespace rooflab::gpubench
