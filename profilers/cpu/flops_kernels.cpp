// Per-ISA arithmetic kernels, each compiled for its own instruction set through function target attributes so
// the binary runs on any x86-64; flops.cpp only calls a kernel after checking isaUsable().
#include "profilers/cpu/flops_kernels.hpp"

#include <immintrin.h>

#include <cstring>

namespace rooflab::cpu::detail {

#define ROOFLAB_REP12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

__attribute__((noinline, target("fma"))) double scalarFmaF64(std::uint64_t iterations) {
    const __m128d m = _mm_set_sd(kMul);
    const __m128d c = _mm_set_sd(kAdd);
#define ROOFLAB_DECL(i) __m128d x##i = _mm_set_sd(chainStart(i));
#define ROOFLAB_STEP(i) x##i = _mm_fmadd_sd(x##i, m, c);
#define ROOFLAB_SUM(i) sum += _mm_cvtsd_f64(x##i);
    ROOFLAB_REP12(ROOFLAB_DECL)
    for (std::uint64_t it = 0; it < iterations; ++it) {
        ROOFLAB_REP12(ROOFLAB_STEP)
    }
    double sum = 0;
    ROOFLAB_REP12(ROOFLAB_SUM)
    return sum;
#undef ROOFLAB_DECL
#undef ROOFLAB_STEP
#undef ROOFLAB_SUM
}

__attribute__((noinline)) double scalarMulAddF64(std::uint64_t iterations) {
    const __m128d m = _mm_set_sd(kMul);
    const __m128d c = _mm_set_sd(kAdd);
#define ROOFLAB_DECL(i) __m128d x##i = _mm_set_sd(chainStart(i));
#define ROOFLAB_STEP(i) x##i = _mm_add_sd(_mm_mul_sd(x##i, m), c);
#define ROOFLAB_SUM(i) sum += _mm_cvtsd_f64(x##i);
    ROOFLAB_REP12(ROOFLAB_DECL)
    for (std::uint64_t it = 0; it < iterations; ++it) {
        ROOFLAB_REP12(ROOFLAB_STEP)
    }
    double sum = 0;
    ROOFLAB_REP12(ROOFLAB_SUM)
    return sum;
#undef ROOFLAB_DECL
#undef ROOFLAB_STEP
#undef ROOFLAB_SUM
}

// Horizontal sums done through memory so no vector type crosses a function boundary (no ABI change warnings).
#define ROOFLAB_FMA_KERNEL(NAME, ATTR, VEC, SET1, FMADD, ADD, SCALAR, LANES)                                        \
    ATTR double NAME(std::uint64_t iterations) {                                                                   \
        const VEC m = SET1(static_cast<SCALAR>(kMul));                                                              \
        const VEC c = SET1(static_cast<SCALAR>(kAdd));                                                              \
        ROOFLAB_REP12(ROOFLAB_DECL)                                                                                 \
        for (std::uint64_t it = 0; it < iterations; ++it) {                                                         \
            ROOFLAB_REP12(ROOFLAB_STEP)                                                                             \
        }                                                                                                           \
        const VEC t = ADD(ADD(ADD(ADD(x0, x1), ADD(x2, x3)), ADD(ADD(x4, x5), ADD(x6, x7))),                         \
                          ADD(ADD(x8, x9), ADD(x10, x11)));                                                         \
        SCALAR lanes[LANES];                                                                                        \
        std::memcpy(lanes, &t, sizeof(lanes));                                                                      \
        double sum = 0;                                                                                             \
        for (int k = 0; k < (LANES); ++k)                                                                           \
            sum += static_cast<double>(lanes[k]);                                                                   \
        return sum;                                                                                                 \
    }

#define ROOFLAB_DECL(i) VEC_T x##i = SET1_T(static_cast<SCALAR_T>(chainStart(i)));
#define ROOFLAB_STEP(i) x##i = FMADD_T(x##i, m, c);

#define VEC_T __m256d
#define SET1_T _mm256_set1_pd
#define SCALAR_T double
#define FMADD_T _mm256_fmadd_pd
ROOFLAB_FMA_KERNEL(avx2FmaF64, __attribute__((noinline, target("avx2,fma"))), __m256d, _mm256_set1_pd,
                   _mm256_fmadd_pd, _mm256_add_pd, double, 4)
#undef VEC_T
#undef SET1_T
#undef SCALAR_T
#undef FMADD_T

#define VEC_T __m256
#define SET1_T _mm256_set1_ps
#define SCALAR_T float
#define FMADD_T _mm256_fmadd_ps
ROOFLAB_FMA_KERNEL(avx2FmaF32, __attribute__((noinline, target("avx2,fma"))), __m256, _mm256_set1_ps,
                   _mm256_fmadd_ps, _mm256_add_ps, float, 8)
#undef VEC_T
#undef SET1_T
#undef SCALAR_T
#undef FMADD_T

#define VEC_T __m512d
#define SET1_T _mm512_set1_pd
#define SCALAR_T double
#define FMADD_T _mm512_fmadd_pd
ROOFLAB_FMA_KERNEL(avx512FmaF64, __attribute__((noinline, target("avx512f"))), __m512d, _mm512_set1_pd,
                   _mm512_fmadd_pd, _mm512_add_pd, double, 8)
#undef VEC_T
#undef SET1_T
#undef SCALAR_T
#undef FMADD_T

#define VEC_T __m512
#define SET1_T _mm512_set1_ps
#define SCALAR_T float
#define FMADD_T _mm512_fmadd_ps
ROOFLAB_FMA_KERNEL(avx512FmaF32, __attribute__((noinline, target("avx512f"))), __m512, _mm512_set1_ps,
                   _mm512_fmadd_ps, _mm512_add_ps, float, 16)
#undef VEC_T
#undef SET1_T
#undef SCALAR_T
#undef FMADD_T
#undef ROOFLAB_DECL
#undef ROOFLAB_STEP

__attribute__((noinline, target("avx512f,avx512bf16"))) double avx512DpBf16(std::uint64_t iterations) {
    const __m512 half = _mm512_set1_ps(0.5f);
    const __m512bh a = _mm512_cvtne2ps_pbh(half, half);
#define ROOFLAB_DECL(i) __m512 x##i = _mm512_set1_ps(static_cast<float>(i));
#define ROOFLAB_STEP(i) x##i = _mm512_dpbf16_ps(x##i, a, a);
    ROOFLAB_REP12(ROOFLAB_DECL)
    for (std::uint64_t it = 0; it < iterations; ++it) {
        ROOFLAB_REP12(ROOFLAB_STEP)
    }
#undef ROOFLAB_DECL
#undef ROOFLAB_STEP
    const __m512 t = _mm512_add_ps(
        _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(x0, x1), _mm512_add_ps(x2, x3)),
                      _mm512_add_ps(_mm512_add_ps(x4, x5), _mm512_add_ps(x6, x7))),
        _mm512_add_ps(_mm512_add_ps(x8, x9), _mm512_add_ps(x10, x11)));
    float lanes[16];
    std::memcpy(lanes, &t, sizeof(lanes));
    double sum = 0;
    for (float v : lanes)
        sum += static_cast<double>(v);
    return sum;
}

namespace {

/// AMX palette-1 tile configuration (64 bytes, layout fixed by the ISA).
struct alignas(64) TileConfig {
    std::uint8_t paletteId;
    std::uint8_t startRow;
    std::uint8_t reserved[14];
    std::uint16_t colsBytes[16];
    std::uint8_t rows[16];
};
static_assert(sizeof(TileConfig) == 64, "AMX tile configuration is 64 bytes");

// Hand-written asm with "memory" clobbers: GCC 12's _tile_loadconfig tells the compiler only 8 of the 64
// configuration bytes are read, and _tile_loadd declares no memory input at all.
template <bool Int8>
double amxKernel(std::uint64_t iterations) {
    TileConfig cfg;
    std::memset(&cfg, 0, sizeof(cfg));
    cfg.paletteId = 1;
    for (int t = 0; t < 8; ++t) {
        cfg.rows[t] = 16;
        cfg.colsBytes[t] = 64;
    }
    alignas(64) std::uint8_t ones[16 * 64];
    if constexpr (Int8) {
        std::memset(ones, 1, sizeof(ones));
    } else {
        for (std::size_t i = 0; i < sizeof(ones); i += 2) { // bf16 1.0 = 0x3f80, little endian
            ones[i] = 0x80;
            ones[i + 1] = 0x3f;
        }
    }
    alignas(64) std::uint8_t out[4][16 * 64];
    const long stride = 64;
    __asm__ volatile("ldtilecfg %0" ::"m"(cfg) : "memory");
    __asm__ volatile("tilezero %%tmm0\n\ttilezero %%tmm1\n\ttilezero %%tmm2\n\ttilezero %%tmm3" ::: "memory");
    __asm__ volatile("tileloadd (%0,%1,1), %%tmm4\n\t"
                     "tileloadd (%0,%1,1), %%tmm5\n\t"
                     "tileloadd (%0,%1,1), %%tmm6\n\t"
                     "tileloadd (%0,%1,1), %%tmm7" ::"r"(ones),
                     "r"(stride)
                     : "memory");
    for (std::uint64_t it = 0; it < iterations; ++it) {
        if constexpr (Int8)
            __asm__ volatile("tdpbssd %%tmm6, %%tmm4, %%tmm0\n\t"
                             "tdpbssd %%tmm7, %%tmm4, %%tmm1\n\t"
                             "tdpbssd %%tmm6, %%tmm5, %%tmm2\n\t"
                             "tdpbssd %%tmm7, %%tmm5, %%tmm3" ::);
        else
            __asm__ volatile("tdpbf16ps %%tmm6, %%tmm4, %%tmm0\n\t"
                             "tdpbf16ps %%tmm7, %%tmm4, %%tmm1\n\t"
                             "tdpbf16ps %%tmm6, %%tmm5, %%tmm2\n\t"
                             "tdpbf16ps %%tmm7, %%tmm5, %%tmm3" ::);
    }
    __asm__ volatile("tilestored %%tmm0, (%0,%4,1)\n\t"
                     "tilestored %%tmm1, (%1,%4,1)\n\t"
                     "tilestored %%tmm2, (%2,%4,1)\n\t"
                     "tilestored %%tmm3, (%3,%4,1)" ::"r"(out[0]),
                     "r"(out[1]), "r"(out[2]), "r"(out[3]), "r"(stride)
                     : "memory");
    __asm__ volatile("tilerelease" ::: "memory");
    double sum = 0;
    for (const auto& tile : out) {
        for (std::size_t i = 0; i < 256; ++i) {
            if constexpr (Int8) {
                std::int32_t v;
                std::memcpy(&v, tile + 4 * i, 4);
                sum += static_cast<double>(v);
            } else {
                float v;
                std::memcpy(&v, tile + 4 * i, 4);
                sum += static_cast<double>(v);
            }
        }
    }
    return sum;
}

} // namespace

__attribute__((noinline)) double amxBf16(std::uint64_t iterations) { return amxKernel<false>(iterations); }
__attribute__((noinline)) double amxInt8(std::uint64_t iterations) { return amxKernel<true>(iterations); }

#undef ROOFLAB_REP12
#undef ROOFLAB_FMA_KERNEL

} // namespace rooflab::cpu::detail
