#pragma once
/// @brief Numeric datatypes that the engine knows, with their storage size.
#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace rooflab {

enum class DType : unsigned char { fp64, fp32, tf32, bf16, fp16, fp8_e4m3, fp8_e5m2, int8, int4, count_ };

inline constexpr std::size_t kDTypeCount = static_cast<std::size_t>(DType::count_);

/// Storage bytes of one element (int4 is half a byte; tf32 is stored as fp32).
constexpr double bytesPerElement(DType t) {
    switch (t) {
    case DType::fp64: return 8.0;
    case DType::fp32: return 4.0;
    case DType::tf32: return 4.0;
    case DType::bf16: return 2.0;
    case DType::fp16: return 2.0;
    case DType::fp8_e4m3: return 1.0;
    case DType::fp8_e5m2: return 1.0;
    case DType::int8: return 1.0;
    case DType::int4: return 0.5;
    case DType::count_: break;
    }
    return 0.0;
}

/// Canonical name as written in platform files and on the command line ("bf16", "fp8_e4m3", ...).
std::string_view dtypeName(DType t);
/// Parses a datatype name; accepts aliases ("fp8" = fp8_e4m3, "float16", "bfloat16", "half", "float32", "e4m3").
std::optional<DType> parseDType(std::string_view name);
/// Comma-separated list of the canonical names, for error messages.
std::string dtypeNameList();

constexpr bool isFloat8(DType t) { return t == DType::fp8_e4m3 || t == DType::fp8_e5m2; }
constexpr bool isInteger(DType t) { return t == DType::int8 || t == DType::int4; }

} // namespace rooflab
