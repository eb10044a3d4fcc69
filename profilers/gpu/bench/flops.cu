// Arithmetic peaks. SIMT: independent FMA chains per thread (fp64, fp32, fp16x2, bf16x2), FMA = 2 FLOP.
// Tensor: the fastest of the first four cuBLASLt heuristic algorithms on square GEMMs (random data, rotated,
// graph-captured), per datatype.
#include "common.hpp"
#include "gemm.hpp"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace rooflab::gpubench {
namespace {

constexpr int kChains = 8;

template <typename T> struct Ops;
template <> struct Ops<double> {
    static constexpr int lanes = 1;
    __device__ static double fma(double x, double a, double b) { return ::fma(x, a, b); }
    __device__ static double init(int i) { return 1.0 + i * 1e-3; }
    __device__ static float toFloat(double v) { return static_cast<float>(v); }
};
template <> struct Ops<float> {
    static constexpr int lanes = 1;
    __device__ static float fma(float x, float a, float b) { return fmaf(x, a, b); }
    __device__ static float init(int i) { return 1.0f + static_cast<float>(i) * 1e-3f; }
    __device__ static float toFloat(float v) { return v; }
};
template <> struct Ops<__half2> {
    static constexpr int lanes = 2;
    __device__ static __half2 fma(__half2 x, __half2 a, __half2 b) { return __hfma2(x, a, b); }
    __device__ static __half2 init(int i) { return __floats2half2_rn(1.0f + static_cast<float>(i) * 1e-3f, 1.0f); }
    __device__ static float toFloat(__half2 v) { return __low2float(v) + __high2float(v); }
};
template <> struct Ops<__nv_bfloat162> {
    static constexpr int lanes = 2;
    __device__ static __nv_bfloat162 fma(__nv_bfloat162 x, __nv_bfloat162 a, __nv_bfloat162 b) { return __hfma2(x, a, b); }
    __device__ static __nv_bfloat162 init(int i) { return __floats2bfloat162_rn(1.0f + static_cast<float>(i) * 1e-3f, 1.0f); }
    __device__ static float toFloat(__nv_bfloat162 v) { return __low2float(v) + __high2float(v); }
};

template <typename T> __global__ void fmaKernel(T a, T b, int iters, float* sink) {
    T x[kChains];
#pragma unroll
    for (int c = 0; c < kChains; ++c)
        x[c] = Ops<T>::init(static_cast<int>(threadIdx.x) + c);
    for (int it = 0; it < iters; ++it) {
#pragma unroll
        for (int c = 0; c < kChains; ++c)
            x[c] = Ops<T>::fma(x[c], a, b);
    }
    float s = 0;
#pragma unroll
    for (int c = 0; c < kChains; ++c)
        s += Ops<T>::toFloat(x[c]);
    if (s == 1234.5f) // keeps the chains alive
        sink[0] = s;
}

template <typename T> Stats runSimt(const Device& d, T a, T b, int iters, int runs, float* sink, double& flop) {
    const int threads = 256, blocks = d.smCount * 8;
    flop = 2.0 * Ops<T>::lanes * kChains * static_cast<double>(iters) * threads * blocks;
    auto t = timeEvents(nullptr, 2, runs, 1, [&] {
        fmaKernel<T><<<blocks, threads>>>(a, b, iters, sink);
        RB_CHECK_LAUNCH();
    });
    return summarize(t);
}

} // namespace

void benchFlops(const Device& d, const Options& o) {
    Csv csv(o.outDir + "/flops.csv", "engine,dtype,median_s,flop,flop_per_s,method");
    float* sink = nullptr;
    RB_CHECK(cudaMalloc(&sink, 64));
    const int iters = o.quick ? 4096 : 16384, runs = o.quick ? 10 : 30;
    double flop = 0;
    auto emit = [&](const char* dt, const Stats& st, double f, const std::string& method, const char* engine) {
        csv.row(std::string(engine), std::string(dt), st.median, f, f / st.median, method);
        progress("flops", std::string(engine) + " " + dt + ": " + std::to_string(f / st.median * 1e-12) + " TFLOP/s (" +
                              method + ")");
    };
    const std::string simtMethod = "fma_chains_" + std::to_string(kChains) + "x" + std::to_string(iters) + "_" +
                                   std::to_string(d.smCount * 8) + "x256";
    {
        Stats st = runSimt<double>(d, 0.999999, 1e-6, iters / 2, runs, sink, flop);
        emit("fp64", st, flop, simtMethod, "simt");
    }
    {
        Stats st = runSimt<float>(d, 0.999999f, 1e-6f, iters, runs, sink, flop);
        emit("fp32", st, flop, simtMethod, "simt");
    }
    {
        Stats st = runSimt<__half2>(d, __floats2half2_rn(0.999f, 0.999f), __floats2half2_rn(1e-3f, 1e-3f), iters, runs,
                                    sink, flop);
        emit("fp16", st, flop, simtMethod + "_half2", "simt");
    }
    {
        Stats st = runSimt<__nv_bfloat162>(d, __floats2bfloat162_rn(0.999f, 0.999f), __floats2bfloat162_rn(1e-3f, 1e-3f),
                                           iters, runs, sink, flop);
        emit("bf16", st, flop, simtMethod + "_bf162", "simt");
    }
    RB_CHECK(cudaFree(sink));

    // Tensor-core (and cuBLAS fp32/fp64) peaks through cuBLASLt.
    const size_t gib = size_t{1} << 30;
    GemmRunner runner(d, std::min<size_t>(4 * gib, d.freeBytes / 4), std::min<size_t>(2 * gib, d.freeBytes / 4));
    std::vector<long> sizes = o.quick ? std::vector<long>{8192} : std::vector<long>{4096, 8192, 16384};
    for (const char* dt : {"bf16", "fp16", "fp8_e4m3", "int8", "tf32", "fp32", "fp64"}) {
        runner.prepare(dt);
        Stats best;
        best.median = 0;
        double bestRate = 0, bestFlop = 0;
        std::string bestMethod;
        for (long s : sizes) {
            if (std::string(dt) == "fp64" && s > 8192)
                continue;
            GemmResult r = runner.run(s, s, s, 4, o.quick);
            if (!r.ok) {
                progress("flops", std::string(dt) + " " + std::to_string(s) + "^3: " + r.why);
                continue;
            }
            const double f = 2.0 * static_cast<double>(s) * static_cast<double>(s) * static_cast<double>(s);
            progress("flops", std::string(dt) + " " + std::to_string(s) + "^3: " +
                                  std::to_string(f / r.stats.median * 1e-12) + " TFLOP/s " + r.algo);
            if (f / r.stats.median > bestRate) {
                bestRate = f / r.stats.median;
                best = r.stats;
                bestFlop = f;
                bestMethod = "cublasLt_" + std::to_string(s) + "^3_" + r.algo;
            }
        }
        if (bestRate > 0) {
            const bool simtEngine = std::string(dt) == "fp32"; // cuBLAS fp32 GEMM runs on FFMA
            emit(dt, best, bestFlop, bestMethod, simtEngine ? "simt" : "tensor");
        }
    }
}

} // namespace rooflab::gpubench
