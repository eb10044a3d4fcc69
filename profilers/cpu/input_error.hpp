#pragma once
/// @brief Throws rooflab::InputError(key, message). Out of line on purpose: GCC 12 at -O3 reports a false
/// -Wrestrict (GCC PR105329) when the InputError constructor is inlined next to constant strings.
#include <string>

namespace rooflab::cpu {
[[noreturn]] void throwInputError(const std::string& key, const std::string& message);
} // namespace rooflab::cpu
