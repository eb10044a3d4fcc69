#include "units/dtype.hpp"

#include <algorithm>
#include <cctype>

namespace rooflab {

namespace {
constexpr std::array<std::string_view, kDTypeCount> kNames = {
    "fp64", "fp32",      "tf32",  "bf16",  "fp16", "fp8_e4m3", "fp8_e5m2", "int8",
    "int4", "fp8_block", "nvfp4", "mxfp4", "q4_k", "q5_k",     "q6_k",     "q8_0"};
}

std::string_view dtypeName(DType t) {
    const auto i = static_cast<std::size_t>(t);
    return i < kNames.size() ? kNames[i] : std::string_view("?");
}

std::optional<DType> parseDType(std::string_view name) {
    std::string s(name);
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::replace(s.begin(), s.end(), '-', '_');
    for (std::size_t i = 0; i < kNames.size(); ++i) {
        if (s == kNames[i])
            return static_cast<DType>(i);
    }
    struct Alias {
        std::string_view name;
        DType type;
    };
    static constexpr Alias kAliases[] = {{"float64", DType::fp64},
                                         {"double", DType::fp64},
                                         {"float32", DType::fp32},
                                         {"float", DType::fp32},
                                         {"bfloat16", DType::bf16},
                                         {"float16", DType::fp16},
                                         {"half", DType::fp16},
                                         {"fp8", DType::fp8_e4m3},
                                         {"e4m3", DType::fp8_e4m3},
                                         {"e5m2", DType::fp8_e5m2},
                                         {"float8_e4m3fn", DType::fp8_e4m3},
                                         {"float8_e5m2", DType::fp8_e5m2},
                                         {"i8", DType::int8},
                                         {"i4", DType::int4},
                                         {"int4_awq", DType::int4},
                                         {"int4_wo", DType::int4},
                                         {"fp8_blockwise", DType::fp8_block},
                                         {"fp8_block_scaled", DType::fp8_block},
                                         {"fp4", DType::nvfp4},
                                         {"mxfp4_e2m1", DType::mxfp4},

                                         {"q4_k_m", DType::q4_k},
                                         {"q4_k_s", DType::q4_k},
                                         {"q5_k_m", DType::q5_k},
                                         {"q5_k_s", DType::q5_k}};
    for (const auto& a : kAliases) {
        if (s == a.name)
            return a.type;
    }
    return std::nullopt;
}

std::string dtypeNameList() {
    std::string out;
    for (auto n : kNames) {
        if (!out.empty())
            out += ", ";
        out += n;
    }
    return out;
}

} // namespace rooflab
