#pragma once
/// @brief Progress reporting from long benchmark runs to a front end (terminal line, GUI bar).
#include <functional>
#include <string>

namespace rooflab::cpu {

/// @brief Called with what is being measured now and the fraction done (0…1) of the current benchmark.
using ProgressCallback = std::function<void(const std::string& what, double fractionDone)>;

} // namespace rooflab::cpu
