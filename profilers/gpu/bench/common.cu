#include "common.hpp"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include <iostream>

namespace rooflab::gpubench {

Device queryDevice(int id) {
    Device d;
    d.id = id;
    RB_CHECK(cudaSetDevice(id));
    RB_CHECK(cudaGetDeviceProperties(&d.prop, id));
    RB_CHECK(cudaDeviceGetAttribute(&d.smCount, cudaDevAttrMultiProcessorCount, id));
    RB_CHECK(cudaDeviceGetAttribute(&d.smClockKHz, cudaDevAttrClockRate, id));
    RB_CHECK(cudaDeviceGetAttribute(&d.memClockKHz, cudaDevAttrMemoryClockRate, id));
    int l2 = 0;
    RB_CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, id));
    d.l2Bytes = l2;
    RB_CHECK(cudaMemGetInfo(&d.freeBytes, &d.totalBytes));
    return d;
}

void progress(const char* section, const std::string& msg) {
    std::cerr << "[" << section << "] " << msg << std::endl;
}

namespace {
__device__ inline uint64_t mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}
__device__ inline float unit(uint64_t h) { // [-1, 1)
    return static_cast<float>(static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}
template <typename T, typename F> __global__ void fillKernel(T* p, size_t n, uint64_t seed, F conv) {
    for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
         i += static_cast<size_t>(gridDim.x) * blockDim.x)
        p[i] = conv(mix(seed ^ (i * 0xD1B54A32D192ED03ull)));
}
struct ToF64 { __device__ double operator()(uint64_t h) const { return static_cast<double>(unit(h)); } };
struct ToF32 { __device__ float operator()(uint64_t h) const { return unit(h); } };
struct ToF16 { __device__ __half operator()(uint64_t h) const { return __float2half(unit(h)); } };
struct ToBF16 { __device__ __nv_bfloat16 operator()(uint64_t h) const { return __float2bfloat16(unit(h)); } };
struct ToFP8 { __device__ __nv_fp8_e4m3 operator()(uint64_t h) const { return __nv_fp8_e4m3(unit(h)); } };
struct ToI8 { __device__ int8_t operator()(uint64_t h) const { return static_cast<int8_t>(static_cast<int>(h & 15) - 8); } };
struct ToI32 { __device__ int32_t operator()(uint64_t h) const { return static_cast<int32_t>(static_cast<int>(h & 15) - 8); } };
struct ToU32 { __device__ uint32_t operator()(uint64_t h) const { return static_cast<uint32_t>(h | 1u); } };

template <typename T, typename F> void launchFill(void* p, size_t bytes, uint64_t seed, cudaStream_t s) {
    const size_t n = bytes / sizeof(T);
    fillKernel<T, F><<<4096, 256, 0, s>>>(static_cast<T*>(p), n, seed, F{});
    RB_CHECK_LAUNCH();
}
} // namespace

void fillRandom(void* p, size_t bytes, const std::string& dtype, uint64_t seed, cudaStream_t s) {
    if (dtype == "fp64") launchFill<double, ToF64>(p, bytes, seed, s);
    else if (dtype == "fp32" || dtype == "tf32") launchFill<float, ToF32>(p, bytes, seed, s);
    else if (dtype == "fp16") launchFill<__half, ToF16>(p, bytes, seed, s);
    else if (dtype == "bf16") launchFill<__nv_bfloat16, ToBF16>(p, bytes, seed, s);
    else if (dtype == "fp8_e4m3") launchFill<__nv_fp8_e4m3, ToFP8>(p, bytes, seed, s);
    else if (dtype == "int8") launchFill<int8_t, ToI8>(p, bytes, seed, s);
    else if (dtype == "int32") launchFill<int32_t, ToI32>(p, bytes, seed, s);
    else launchFill<uint32_t, ToU32>(p, bytes, seed, s);
}

} // namespace rooflab::gpubench
