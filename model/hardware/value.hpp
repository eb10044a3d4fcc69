#pragma once
/// @brief One numeric value of a platform file, in SI units, with its provenance. Its own header so that the
/// efficiency parameter table (efficiency_params.hpp) can name it without the whole Platform.
#include <string>

namespace rooflab {

/// @brief One numeric value in SI units, with its provenance and the line it was read from.
struct Value {
    double si = 0.0;
    std::string source; ///< id into Platform::sources
    int line = 0;       ///< 1-based line in the platform file, 0 when derived
    bool present = false;

    explicit operator bool() const { return present; }
    double operator*() const { return si; }
    double valueOr(double fallback) const { return present ? si : fallback; }
};

} // namespace rooflab
