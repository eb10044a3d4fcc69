#pragma once
// Internal: per-ISA arithmetic kernels. Each runs `iterations` steps of kAccumulators independent chains and
// returns a checksum that the caller compares with the analytic value.
#include <cstdint>

namespace rooflab::cpu::detail {

constexpr int kAccumulators = 12;
/// Multiply-add chains converge to c / (1 - m): no overflow, no denormals, for any iteration count.
constexpr double kMul = 0.999;
constexpr double kAdd = 1e-3;
/// Every chain starts from a different value: identical chains would be merged by the compiler (CSE) into one
/// latency-bound chain.
constexpr double chainStart(int chain) { return 2.0 + chain / 1024.0; }

double scalarFmaF64(std::uint64_t iterations);
double scalarMulAddF64(std::uint64_t iterations);
double avx2FmaF64(std::uint64_t iterations);
double avx2FmaF32(std::uint64_t iterations);
double avx512FmaF64(std::uint64_t iterations);
double avx512FmaF32(std::uint64_t iterations);
/// bf16 pairs of 0.5 × 0.5: each vdpbf16ps adds 0.5 per fp32 lane to accumulator i (starting at i); exact for
/// iterations <= 2^22.
double avx512DpBf16(std::uint64_t iterations);
/// 2×2 register blocking over tiles tmm0..3 (C), tmm4..5 (A), tmm6..7 (B), all ones: each tdpbf16ps adds 32,
/// each tdpbssd 64, to every C element. Returns the sum over the four C tiles. Exact for iterations <= 2^18.
double amxBf16(std::uint64_t iterations);
double amxInt8(std::uint64_t iterations);

} // namespace rooflab::cpu::detail
