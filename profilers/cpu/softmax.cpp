#include "profilers/cpu/softmax.hpp"

#include "model/units/errors.hpp"
#include "profilers/cpu/buffer.hpp"
#include "profilers/cpu/cpuinfo.hpp"
#include "profilers/cpu/input_error.hpp"
#include "profilers/cpu/thread_team.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <immintrin.h>
#include <limits>

namespace rooflab::cpu {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kBlock = 64;          // elements: one unrolled step of the widest kernel (4 x 16 lanes)
constexpr std::size_t kArrayPadBytes = 320; // keeps x and y of one thread off the same cache sets

// exp(x) for x <= 0 as in XNNPACK / the Two-Pass Softmax paper: n = round(x / ln2) through a magic bias whose low
// bits become the exponent of 2^n, Cody-Waite reduction r = x - n ln2 (two constants), degree-5 minimax polynomial
// on [-ln2/2, ln2/2], result s + (r s) p(r). Inputs below ~-87.3 are clamped (2^n must stay normal).
constexpr float kMagicBias = 0x1.8000FEp23f; // 1.5 x 2^23 + 127: the exponent bias rides in the low bits
constexpr float kLog2e = 0x1.715476p+0f;
constexpr float kMinusLn2Hi = -0x1.62E400p-1f;
constexpr float kMinusLn2Lo = -0x1.7F7D1Cp-20f;
constexpr float kC5 = 0x1.0F9F9Cp-7f;
constexpr float kC4 = 0x1.573A1Ap-5f;
constexpr float kC3 = 0x1.555A80p-3f;
constexpr float kC2 = 0x1.FFFDC6p-2f;
constexpr float kC1 = 0x1.FFFFF6p-1f;
constexpr float kExpCutoff = -87.0f;

struct Kernels {
    float (*max)(const float*, std::size_t);
    float (*sumExp)(const float*, std::size_t, float);
    void (*normalize)(const float*, float*, std::size_t, float, float);
    void (*online)(const float*, std::size_t, float*, float*);
    float (*sum)(const float*, std::size_t);
};

// ---- portable fallback (SSE2 baseline: the compiler may vectorise it) -------------------------------------------
inline float expScalar(float x) {
    x = std::max(x, kExpCutoff);
    float n = x * kLog2e + kMagicBias;
    std::uint32_t bits = 0;
    std::memcpy(&bits, &n, 4);
    bits <<= 23;
    float s = 0;
    std::memcpy(&s, &bits, 4);
    n -= kMagicBias;
    float r = n * kMinusLn2Hi + x;
    r = n * kMinusLn2Lo + r;
    float p = kC5 * r + kC4;
    p = p * r + kC3;
    p = p * r + kC2;
    p = p * r + kC1;
    r *= s;
    return r * p + s;
}

__attribute__((noinline)) float maxSse2(const float* x, std::size_t n) {
    float m[8];
    for (int k = 0; k < 8; ++k)
        m[k] = -std::numeric_limits<float>::infinity();
    for (std::size_t i = 0; i < n; i += 8)
        for (int k = 0; k < 8; ++k)
            m[k] = std::max(m[k], x[i + static_cast<std::size_t>(k)]);
    return *std::max_element(m, m + 8);
}
__attribute__((noinline)) float sumExpSse2(const float* x, std::size_t n, float mx) {
    float s[8] = {};
    for (std::size_t i = 0; i < n; i += 8)
        for (int k = 0; k < 8; ++k)
            s[k] += expScalar(x[i + static_cast<std::size_t>(k)] - mx);
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}
__attribute__((noinline)) void normalizeSse2(const float* x, float* y, std::size_t n, float mx, float scale) {
    for (std::size_t i = 0; i < n; ++i)
        y[i] = expScalar(x[i] - mx) * scale;
}
__attribute__((noinline)) void onlineSse2(const float* x, std::size_t n, float* maxOut, float* sumOut) {
    float m[8], s[8] = {};
    for (int k = 0; k < 8; ++k)
        m[k] = -std::numeric_limits<float>::infinity();
    for (std::size_t i = 0; i < n; i += 32)
        for (int k = 0; k < 8; ++k) {
            const float* p = x + i + static_cast<std::size_t>(k);
            const float bm = std::max(std::max(p[0], p[8]), std::max(p[16], p[24]));
            const float nm = std::max(m[k], bm);
            s[k] = s[k] * expScalar(m[k] - nm) +
                   ((expScalar(p[0] - nm) + expScalar(p[8] - nm)) + (expScalar(p[16] - nm) + expScalar(p[24] - nm)));
            m[k] = nm;
        }
    const float mx = *std::max_element(m, m + 8);
    float sum = 0;
    for (int k = 0; k < 8; ++k)
        sum += s[k] * expScalar(m[k] - mx);
    *maxOut = mx;
    *sumOut = sum;
}
__attribute__((noinline)) float sumSse2(const float* x, std::size_t n) {
    float s[8] = {};
    for (std::size_t i = 0; i < n; i += 8)
        for (int k = 0; k < 8; ++k)
            s[k] += x[i + static_cast<std::size_t>(k)];
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

// ---- AVX2 + FMA (8 lanes) ----------------------------------------------------------------------------------------
#define ROOFLAB_AVX2 __attribute__((target("avx2,fma")))
ROOFLAB_AVX2 inline __m256 exp8(__m256 x) {
    x = _mm256_max_ps(x, _mm256_set1_ps(kExpCutoff));
    __m256 n = _mm256_fmadd_ps(x, _mm256_set1_ps(kLog2e), _mm256_set1_ps(kMagicBias));
    const __m256 s = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(n), 23));
    n = _mm256_sub_ps(n, _mm256_set1_ps(kMagicBias));
    __m256 r = _mm256_fmadd_ps(n, _mm256_set1_ps(kMinusLn2Hi), x);
    r = _mm256_fmadd_ps(n, _mm256_set1_ps(kMinusLn2Lo), r);
    __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(kC5), r, _mm256_set1_ps(kC4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kC3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kC2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kC1));
    r = _mm256_mul_ps(r, s);
    return _mm256_fmadd_ps(r, p, s);
}
ROOFLAB_AVX2 inline float hmax8(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}
ROOFLAB_AVX2 inline float hsum8(__m256 v) {
    __m128 m = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_add_ps(m, _mm_movehl_ps(m, m));
    m = _mm_add_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}
ROOFLAB_AVX2 __attribute__((noinline)) float maxAvx2(const float* x, std::size_t n) {
    __m256 m0 = _mm256_set1_ps(-std::numeric_limits<float>::infinity()), m1 = m0, m2 = m0, m3 = m0;
    for (std::size_t i = 0; i < n; i += 32) {
        m0 = _mm256_max_ps(m0, _mm256_loadu_ps(x + i));
        m1 = _mm256_max_ps(m1, _mm256_loadu_ps(x + i + 8));
        m2 = _mm256_max_ps(m2, _mm256_loadu_ps(x + i + 16));
        m3 = _mm256_max_ps(m3, _mm256_loadu_ps(x + i + 24));
    }
    return hmax8(_mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3)));
}
ROOFLAB_AVX2 __attribute__((noinline)) float sumExpAvx2(const float* x, std::size_t n, float mx) {
    const __m256 vm = _mm256_set1_ps(mx);
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (std::size_t i = 0; i < n; i += 32) {
        s0 = _mm256_add_ps(s0, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm)));
        s1 = _mm256_add_ps(s1, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), vm)));
        s2 = _mm256_add_ps(s2, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i + 16), vm)));
        s3 = _mm256_add_ps(s3, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i + 24), vm)));
    }
    return hsum8(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
}
ROOFLAB_AVX2 __attribute__((noinline)) void normalizeAvx2(const float* x, float* y, std::size_t n, float mx,
                                                          float scale) {
    const __m256 vm = _mm256_set1_ps(mx), vs = _mm256_set1_ps(scale);
    for (std::size_t i = 0; i < n; i += 32)
        for (std::size_t k = 0; k < 32; k += 8)
            _mm256_storeu_ps(y + i + k, _mm256_mul_ps(exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i + k), vm)), vs));
}
ROOFLAB_AVX2 __attribute__((noinline)) void onlineAvx2(const float* x, std::size_t n, float* maxOut, float* sumOut) {
    __m256 vm = _mm256_set1_ps(-std::numeric_limits<float>::infinity()), vs = _mm256_setzero_ps();
    for (std::size_t i = 0; i < n; i += 32) {
        const __m256 x0 = _mm256_loadu_ps(x + i), x1 = _mm256_loadu_ps(x + i + 8);
        const __m256 x2 = _mm256_loadu_ps(x + i + 16), x3 = _mm256_loadu_ps(x + i + 24);
        const __m256 nm = _mm256_max_ps(vm, _mm256_max_ps(_mm256_max_ps(x0, x1), _mm256_max_ps(x2, x3)));
        const __m256 e = _mm256_add_ps(_mm256_add_ps(exp8(_mm256_sub_ps(x0, nm)), exp8(_mm256_sub_ps(x1, nm))),
                                       _mm256_add_ps(exp8(_mm256_sub_ps(x2, nm)), exp8(_mm256_sub_ps(x3, nm))));
        vs = _mm256_fmadd_ps(vs, exp8(_mm256_sub_ps(vm, nm)), e);
        vm = nm;
    }
    const float mx = hmax8(vm);
    *maxOut = mx;
    *sumOut = hsum8(_mm256_mul_ps(vs, exp8(_mm256_sub_ps(vm, _mm256_set1_ps(mx)))));
}
// Eight named accumulators: an array of __m256 indexed in an inner loop is kept on the stack by GCC 12 at -O2,
// which turns the sum into a store-forwarding chain (the first Xeon dataset measured that; see its SOURCE.md).
ROOFLAB_AVX2 __attribute__((noinline)) float sumAvx2(const float* x, std::size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    for (std::size_t i = 0; i < n; i += 64) {
        s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
        s1 = _mm256_add_ps(s1, _mm256_loadu_ps(x + i + 8));
        s2 = _mm256_add_ps(s2, _mm256_loadu_ps(x + i + 16));
        s3 = _mm256_add_ps(s3, _mm256_loadu_ps(x + i + 24));
        s4 = _mm256_add_ps(s4, _mm256_loadu_ps(x + i + 32));
        s5 = _mm256_add_ps(s5, _mm256_loadu_ps(x + i + 40));
        s6 = _mm256_add_ps(s6, _mm256_loadu_ps(x + i + 48));
        s7 = _mm256_add_ps(s7, _mm256_loadu_ps(x + i + 56));
    }
    return hsum8(_mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)),
                               _mm256_add_ps(_mm256_add_ps(s4, s5), _mm256_add_ps(s6, s7))));
}
#undef ROOFLAB_AVX2

// ---- AVX-512F (16 lanes) -----------------------------------------------------------------------------------------
// GCC 12's AVX-512 headers pass _mm512_undefined_*() (a self-initialised variable) as the merge source of
// unmasked max/extract builtins, which -Wuninitialized flags once inlined (GCC PR 105593, fixed in later
// releases). The values are never read; the warning is silenced for these kernels only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define ROOFLAB_AVX512 __attribute__((target("avx512f")))
ROOFLAB_AVX512 inline __m512 exp16(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(kExpCutoff));
    __m512 n = _mm512_fmadd_ps(x, _mm512_set1_ps(kLog2e), _mm512_set1_ps(kMagicBias));
    const __m512 s = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(n), 23));
    n = _mm512_sub_ps(n, _mm512_set1_ps(kMagicBias));
    __m512 r = _mm512_fmadd_ps(n, _mm512_set1_ps(kMinusLn2Hi), x);
    r = _mm512_fmadd_ps(n, _mm512_set1_ps(kMinusLn2Lo), r);
    __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(kC5), r, _mm512_set1_ps(kC4));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kC3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kC2));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kC1));
    r = _mm512_mul_ps(r, s);
    return _mm512_fmadd_ps(r, p, s);
}
ROOFLAB_AVX512 __attribute__((noinline)) float maxAvx512(const float* x, std::size_t n) {
    __m512 m0 = _mm512_set1_ps(-std::numeric_limits<float>::infinity()), m1 = m0, m2 = m0, m3 = m0;
    for (std::size_t i = 0; i < n; i += 64) {
        m0 = _mm512_max_ps(m0, _mm512_loadu_ps(x + i));
        m1 = _mm512_max_ps(m1, _mm512_loadu_ps(x + i + 16));
        m2 = _mm512_max_ps(m2, _mm512_loadu_ps(x + i + 32));
        m3 = _mm512_max_ps(m3, _mm512_loadu_ps(x + i + 48));
    }
    return _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(m0, m1), _mm512_max_ps(m2, m3)));
}
ROOFLAB_AVX512 __attribute__((noinline)) float sumExpAvx512(const float* x, std::size_t n, float mx) {
    const __m512 vm = _mm512_set1_ps(mx);
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (std::size_t i = 0; i < n; i += 64) {
        s0 = _mm512_add_ps(s0, exp16(_mm512_sub_ps(_mm512_loadu_ps(x + i), vm)));
        s1 = _mm512_add_ps(s1, exp16(_mm512_sub_ps(_mm512_loadu_ps(x + i + 16), vm)));
        s2 = _mm512_add_ps(s2, exp16(_mm512_sub_ps(_mm512_loadu_ps(x + i + 32), vm)));
        s3 = _mm512_add_ps(s3, exp16(_mm512_sub_ps(_mm512_loadu_ps(x + i + 48), vm)));
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}
ROOFLAB_AVX512 __attribute__((noinline)) void normalizeAvx512(const float* x, float* y, std::size_t n, float mx,
                                                              float scale) {
    const __m512 vm = _mm512_set1_ps(mx), vs = _mm512_set1_ps(scale);
    for (std::size_t i = 0; i < n; i += 64)
        for (std::size_t k = 0; k < 64; k += 16)
            _mm512_storeu_ps(y + i + k, _mm512_mul_ps(exp16(_mm512_sub_ps(_mm512_loadu_ps(x + i + k), vm)), vs));
}
ROOFLAB_AVX512 __attribute__((noinline)) void onlineAvx512(const float* x, std::size_t n, float* maxOut,
                                                           float* sumOut) {
    __m512 vm = _mm512_set1_ps(-std::numeric_limits<float>::infinity()), vs = _mm512_setzero_ps();
    for (std::size_t i = 0; i < n; i += 64) {
        const __m512 x0 = _mm512_loadu_ps(x + i), x1 = _mm512_loadu_ps(x + i + 16);
        const __m512 x2 = _mm512_loadu_ps(x + i + 32), x3 = _mm512_loadu_ps(x + i + 48);
        const __m512 nm = _mm512_max_ps(vm, _mm512_max_ps(_mm512_max_ps(x0, x1), _mm512_max_ps(x2, x3)));
        const __m512 e = _mm512_add_ps(_mm512_add_ps(exp16(_mm512_sub_ps(x0, nm)), exp16(_mm512_sub_ps(x1, nm))),
                                       _mm512_add_ps(exp16(_mm512_sub_ps(x2, nm)), exp16(_mm512_sub_ps(x3, nm))));
        vs = _mm512_fmadd_ps(vs, exp16(_mm512_sub_ps(vm, nm)), e);
        vm = nm;
    }
    const float mx = _mm512_reduce_max_ps(vm);
    *maxOut = mx;
    *sumOut = _mm512_reduce_add_ps(_mm512_mul_ps(vs, exp16(_mm512_sub_ps(vm, _mm512_set1_ps(mx)))));
}
ROOFLAB_AVX512 __attribute__((noinline)) float sumAvx512(const float* x, std::size_t n) {
    // Eight accumulators in registers (vaddps latency 4 x 2 loads per cycle), 128 elements per step; a length that
    // is an odd multiple of 64 ends with one step on the first four.
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    std::size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        s0 = _mm512_add_ps(s0, _mm512_loadu_ps(x + i));
        s1 = _mm512_add_ps(s1, _mm512_loadu_ps(x + i + 16));
        s2 = _mm512_add_ps(s2, _mm512_loadu_ps(x + i + 32));
        s3 = _mm512_add_ps(s3, _mm512_loadu_ps(x + i + 48));
        s4 = _mm512_add_ps(s4, _mm512_loadu_ps(x + i + 64));
        s5 = _mm512_add_ps(s5, _mm512_loadu_ps(x + i + 80));
        s6 = _mm512_add_ps(s6, _mm512_loadu_ps(x + i + 96));
        s7 = _mm512_add_ps(s7, _mm512_loadu_ps(x + i + 112));
    }
    for (; i < n; i += 64) {
        s0 = _mm512_add_ps(s0, _mm512_loadu_ps(x + i));
        s1 = _mm512_add_ps(s1, _mm512_loadu_ps(x + i + 16));
        s2 = _mm512_add_ps(s2, _mm512_loadu_ps(x + i + 32));
        s3 = _mm512_add_ps(s3, _mm512_loadu_ps(x + i + 48));
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)),
                                              _mm512_add_ps(_mm512_add_ps(s4, s5), _mm512_add_ps(s6, s7))));
}
#undef ROOFLAB_AVX512
#pragma GCC diagnostic pop

bool isaUsableHere(const std::string& isa) {
    const IsaFeatures f = detectCpuInfo().isa;
    if (isa == "avx512")
        return f.avx512f && f.osAvx512;
    if (isa == "avx2")
        return f.avx2 && f.fma && f.osAvx;
    return isa == "sse2";
}

Kernels kernelsFor(const std::string& isa) {
    if (!isaUsableHere(isa))
        throwInputError(
            "isa", "softmax/reduction ISA '" + isa + "' is unknown or not usable on this CPU (usable: " + [] {
                std::string s;
                for (const auto& i : usableVectorIsas())
                    s += (s.empty() ? "" : ", ") + i;
                return s;
            }() + ")");
    if (isa == "avx512")
        return {maxAvx512, sumExpAvx512, normalizeAvx512, onlineAvx512, sumAvx512};
    if (isa == "avx2")
        return {maxAvx2, sumExpAvx2, normalizeAvx2, onlineAvx2, sumAvx2};
    return {maxSse2, sumExpSse2, normalizeSse2, onlineSse2, sumSse2};
}

/// One pass of the kernel over one row; returns a value that depends on the result (kept in a sink).
float runOnce(const Kernels& k, VectorKernel kernel, const float* x, float* y, std::size_t n) {
    switch (kernel) {
    case VectorKernel::Softmax3Pass: {
        const float mx = k.max(x, n);
        const float sum = k.sumExp(x, n, mx);
        k.normalize(x, y, n, mx, 1.0f / sum);
        return sum;
    }
    case VectorKernel::Softmax2Pass: {
        float mx = 0, sum = 0;
        k.online(x, n, &mx, &sum);
        k.normalize(x, y, n, mx, 1.0f / sum);
        return sum;
    }
    case VectorKernel::Reduction:
        return k.sum(x, n);
    }
    return 0;
}

/// Deterministic inputs in [-8, 8) on a 1/64 grid (exact in fp32), varied enough that max and exp do real work.
inline float inputValue(std::size_t i) {
    return static_cast<float>((i * 7919u) % 1024u) / 64.0f - 8.0f;
}

} // namespace

const char* vectorKernelName(VectorKernel kernel) {
    switch (kernel) {
    case VectorKernel::Softmax3Pass:
        return "softmax-3pass";
    case VectorKernel::Softmax2Pass:
        return "softmax-2pass";
    case VectorKernel::Reduction:
        return "reduction";
    }
    return "unknown";
}

int vectorKernelArrays(VectorKernel kernel) {
    return kernel == VectorKernel::Reduction ? 1 : 2;
}

int vectorKernelBytesPerElement(VectorKernel kernel) {
    switch (kernel) {
    case VectorKernel::Softmax3Pass:
        return 16;
    case VectorKernel::Softmax2Pass:
        return 12;
    case VectorKernel::Reduction:
        return 4;
    }
    return 4;
}

std::vector<std::string> usableVectorIsas() {
    std::vector<std::string> out;
    for (const char* isa : {"avx512", "avx2", "sse2"})
        if (isaUsableHere(isa))
            out.emplace_back(isa);
    return out;
}

namespace detail {
void softmaxRow(const std::string& isa, VectorKernel kernel, const float* x, float* y, std::size_t n) {
    if (n % kBlock != 0)
        throwInputError("elements", "softmax row length must be a multiple of 64");
    runOnce(kernelsFor(isa), kernel, x, y, n);
}
float sumRow(const std::string& isa, const float* x, std::size_t n) {
    if (n % kBlock != 0)
        throwInputError("elements", "reduction length must be a multiple of 64");
    return kernelsFor(isa).sum(x, n);
}
} // namespace detail

std::vector<VectorKernelPoint> runVectorKernels(const VectorKernelOptions& options,
                                                const topology::Topology& topology) {
    if (options.kernels.empty())
        throwInputError("kernels", "no softmax/reduction kernel selected");
    if (options.runs < 1)
        throwInputError("runs", "runs must be >= 1");
    for (int t : options.threadCounts)
        if (t < 1)
            throwInputError("threads", "thread count must be >= 1, got " + std::to_string(t));
    const std::vector<std::string> isas = options.isas.empty() ? usableVectorIsas() : options.isas;
    for (const auto& isa : isas)
        (void)kernelsFor(isa); // throws for unusable names before anything runs
    std::vector<VectorKernelPoint> points;
    if (options.footprintsBytes.empty() || options.threadCounts.empty())
        return points;
    const std::uint64_t maxFootprint =
        *std::max_element(options.footprintsBytes.begin(), options.footprintsBytes.end());
    const double totalSteps = static_cast<double>(options.threadCounts.size() * isas.size() * options.kernels.size() *
                                                  options.footprintsBytes.size());
    double step = 0;

    for (int threads : options.threadCounts) {
        ThreadTeam team(threads, topology.pinOrder);
        const auto tcount = static_cast<std::size_t>(threads);
        // Each thread allocates and first-touches its own arena (x, then y), so its pages land on its NUMA node.
        const std::size_t maxPerThread = maxFootprint / tcount / sizeof(float) / kBlock * kBlock + kBlock;
        const std::size_t arenaBytes = 2 * (maxPerThread * sizeof(float) + kArrayPadBytes) + 4096;
        std::vector<AlignedBuffer> arenas(tcount);
        team.run([&](int tid) {
            AlignedBuffer arena(arenaBytes);
            auto* x = arena.as<float>();
            for (std::size_t i = 0; i < maxPerThread; ++i)
                x[i] = inputValue(i);
            auto* y =
                reinterpret_cast<float*>(arena.as<unsigned char>() + maxPerThread * sizeof(float) + kArrayPadBytes);
            std::memset(y, 0, maxPerThread * sizeof(float));
            arenas[static_cast<std::size_t>(tid)] = std::move(arena);
        });

        for (const std::string& isa : isas) {
            const Kernels k = kernelsFor(isa);
            for (VectorKernel kernel : options.kernels) {
                const auto arrays = static_cast<std::size_t>(vectorKernelArrays(kernel));
                std::size_t previousN = 0;
                for (std::uint64_t footprint : options.footprintsBytes) {
                    step += 1;
                    const std::size_t n = footprint / (arrays * tcount * sizeof(float)) / kBlock * kBlock;
                    if (n == 0 || n == previousN) // too small, or rounds to the point just measured
                        continue;
                    previousN = n;
                    if (options.progress)
                        options.progress(std::string(vectorKernelName(kernel)) + " " + isa + ", " +
                                             std::to_string(threads) + " thread" + (threads == 1 ? "" : "s") + ", " +
                                             topology::formatBytes(footprint),
                                         step / totalSteps);
                    VectorKernelPoint point;
                    point.kernel = kernel;
                    point.isa = isa;
                    point.threads = threads;
                    point.elements = n * tcount;
                    point.footprintBytes = n * sizeof(float) * arrays * tcount;

                    std::vector<float> sinks(tcount * 16, 0.0f); // 64 B apart: no false sharing
                    SampleLoop loop(static_cast<int>(tcount));
                    int& reps = loop.reps;
                    int& samples = loop.samples;
                    std::vector<double>& times = loop.times;
                    SampleClock& clock = loop.clock;
                    auto job = [&](int tid) {
                        auto* base = arenas[static_cast<std::size_t>(tid)].as<unsigned char>();
                        const auto* x = reinterpret_cast<const float*>(base);
                        auto* y = reinterpret_cast<float*>(base + maxPerThread * sizeof(float) + kArrayPadBytes);
                        for (int s = 0; s < samples; ++s) {
                            team.barrier().wait();
                            const auto t0 = Clock::now();
                            float last = 0;
                            for (int r = 0; r < reps; ++r) {
                                last = runOnce(k, kernel, x, y, n);
                                // The kernels only read x: keep the compiler from treating repeated calls as one.
                                asm volatile("" ::: "memory");
                            }
                            clock.set(tid, std::chrono::duration<double>(Clock::now() - t0).count());
                            team.barrier().wait();
                            if (tid == 0)
                                times[static_cast<std::size_t>(s)] = clock.slowest();
                            sinks[static_cast<std::size_t>(tid) * 16] = last;
                        }
                    };
                    const RepeatedTimes timed =
                        timeOnTeam(team, loop, job, options.minSampleSeconds, options.maxPointSeconds, options.runs);
                    point.repetitions = timed.repetitions;
                    point.timing = summarizeTimings(timed.seconds);
                    point.bytesMoved = static_cast<std::uint64_t>(vectorKernelBytesPerElement(kernel)) * n * tcount *
                                       static_cast<std::uint64_t>(reps);
                    point.bytesPerSecond = static_cast<double>(point.bytesMoved) / point.timing.medianSeconds;
                    point.elementsPerSecond = static_cast<double>(point.elements) * reps / point.timing.medianSeconds;

                    // Verification against double-precision references (every thread's row). The kernel's own
                    // sum (fp32, 32-64 accumulators) is checked separately: over 1e8 terms fp32 accumulation loses
                    // the smallest terms (documented tolerance 5 %); the elements are checked against exp(x - max)
                    // divided by that sum, i.e. the exp approximation and the normalisation (1e-4).
                    std::vector<double> elemErr(tcount, 0.0), sumErr(tcount, 0.0);
                    team.run([&](int tid) {
                        auto* base = arenas[static_cast<std::size_t>(tid)].as<unsigned char>();
                        const auto* x = reinterpret_cast<const float*>(base);
                        const auto* y =
                            reinterpret_cast<const float*>(base + maxPerThread * sizeof(float) + kArrayPadBytes);
                        const double got = sinks[static_cast<std::size_t>(tid) * 16];
                        const auto t = static_cast<std::size_t>(tid);
                        if (kernel == VectorKernel::Reduction) {
                            double exact = 0, magnitude = 0;
                            for (std::size_t i = 0; i < n; ++i) {
                                exact += x[i];
                                magnitude += std::abs(x[i]);
                            }
                            sumErr[t] = std::abs(got - exact) / std::max(1.0, magnitude);
                            return;
                        }
                        double mx = -1e30;
                        for (std::size_t i = 0; i < n; ++i)
                            mx = std::max(mx, static_cast<double>(x[i]));
                        double exact = 0;
                        for (std::size_t i = 0; i < n; ++i)
                            exact += std::exp(static_cast<double>(x[i]) - mx);
                        sumErr[t] = std::abs(got - exact) / exact;
                        double err = 0;
                        const std::size_t stride = std::max<std::size_t>(1, n / 997);
                        for (std::size_t i = 0; i < n; i += stride) {
                            const double ref = std::exp(static_cast<double>(x[i]) - mx) / got;
                            err = std::max(err, std::abs(y[i] - ref) / ref);
                        }
                        elemErr[t] = err;
                    });
                    point.maxRelError = *std::max_element(elemErr.begin(), elemErr.end());
                    point.sumRelError = *std::max_element(sumErr.begin(), sumErr.end());
                    const double sumTolerance = kernel == VectorKernel::Reduction ? 1e-3 : 5e-2;
                    point.verified = std::isfinite(point.bytesPerSecond) && point.bytesPerSecond > 0 &&
                                     point.maxRelError <= 1e-4 && point.sumRelError <= sumTolerance;
                    points.push_back(point);
                }
            }
        }
    }
    if (options.progress)
        options.progress("softmax/reduction done", 1.0);
    return points;
}

} // namespace rooflab::cpu
