#pragma once
/// @brief Numeric datatypes that the engine knows, with their storage size.
#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace rooflab {

/// fp8_block: FP8 E4M3 with block scales (DeepSeek-V3 / DeepGEMM style: one fp32 scale per 128x128 block of weights,
/// per 1x128 tile of activations); computes as fp8_e4m3. nvfp4: 4-bit E2M1 values with one FP8 E4M3 scale per 16
/// elements (4.5 bits per element) plus a per-tensor fp32 scale; mxfp4 (OCP microscaling): E2M1 with one E8M0 scale
/// per 32 elements (4.25 bits). Appended after int4 so that existing per-datatype tables keep their indices.
/// q4_k ... q8_0: llama.cpp's GGUF block-quantized weight formats. On a CPU stack that has rates for the format
/// (llama.cpp), GEMMs run it natively (8-bit dot products on the int8 engine); elsewhere they dequantize it to the
/// activation type. Bits per weight include the blocks' scales and minimums: q4_k 4.5 (super-block of 256: 8 x 32
/// 4-bit weights, 6-bit scales and mins, fp16 d and dmin: 144 B), q5_k 5.5 (176 B), q6_k 6.5625 (210 B), q8_0 8.5
/// (32 int8 weights and one fp16 scale: 34 B).
enum class DType : unsigned char {
    fp64,
    fp32,
    tf32,
    bf16,
    fp16,
    fp8_e4m3,
    fp8_e5m2,
    int8,
    int4,
    fp8_block,
    nvfp4,
    mxfp4,
    q4_k,
    q5_k,
    q6_k,
    q8_0,
    count_
};

inline constexpr std::size_t kDTypeCount = static_cast<std::size_t>(DType::count_);

/// Storage bytes of one element (int4 is half a byte; tf32 is stored as fp32).
constexpr double bytesPerElement(DType t) {
    switch (t) {
    case DType::fp64:
        return 8.0;
    case DType::fp32:
        return 4.0;
    case DType::tf32:
        return 4.0;
    case DType::bf16:
        return 2.0;
    case DType::fp16:
        return 2.0;
    case DType::fp8_e4m3:
        return 1.0;
    case DType::fp8_e5m2:
        return 1.0;
    case DType::int8:
        return 1.0;
    case DType::int4:
        return 0.5;
    // The block scales are part of the storage: a weight's share of its block's fp32 scale (128 x 128 elements).
    // Activations' 1x128 scales (4 bytes per 128 elements, 3 %) are not counted: they are made in the GEMM prologue.
    case DType::fp8_block:
        return 1.0 + 4.0 / (128.0 * 128.0);
    case DType::nvfp4:
        return (4.0 + 8.0 / 16.0) / 8.0; // 4.5 bits
    case DType::mxfp4:
        return (4.0 + 8.0 / 32.0) / 8.0; // 4.25 bits
    case DType::q4_k:
        return 144.0 / 256.0;
    case DType::q5_k:
        return 176.0 / 256.0;
    case DType::q6_k:
        return 210.0 / 256.0;
    case DType::q8_0:
        return 34.0 / 32.0;
    case DType::count_:
        break;
    }
    return 0.0;
}

/// Canonical name as written in platform files and on the command line ("bf16", "fp8_e4m3", ...).
std::string_view dtypeName(DType t);
/// Parses a datatype name; accepts aliases ("fp8" = fp8_e4m3, "float16", "bfloat16", "half", "float32", "e4m3").
std::optional<DType> parseDType(std::string_view name);
/// Comma-separated list of the canonical names, for error messages.
std::string dtypeNameList();

constexpr bool isFloat8(DType t) {
    return t == DType::fp8_e4m3 || t == DType::fp8_e5m2 || t == DType::fp8_block;
}
/// Block-scaled 4-bit floats (E2M1 values): nvfp4, mxfp4.
constexpr bool isFloat4(DType t) {
    return t == DType::nvfp4 || t == DType::mxfp4;
}
constexpr bool isInteger(DType t) {
    return t == DType::int8 || t == DType::int4;
}
/// llama.cpp GGUF block-quantized weight formats (q4_k, q5_k, q6_k, q8_0).
constexpr bool isGgufBlock(DType t) {
    return t == DType::q4_k || t == DType::q5_k || t == DType::q6_k || t == DType::q8_0;
}

} // namespace rooflab
