#pragma once
/// @brief Physical quantities as written in rooflab files: "3.35 TB/s", "50 MiB", "4 us", "1980 MHz".
/// Parsing converts to SI base units (bytes, seconds, hertz, flop/s, bytes/s, watts, joules).
#include <optional>
#include <string>
#include <string_view>

namespace rooflab {

/// What a field measures; decides which unit suffixes are accepted.
enum class Dimension : unsigned char {
    Count,         ///< dimensionless: counts, fractions, ratios (no unit)
    Bytes,         ///< B, KB, MB, GB, TB, KiB, MiB, GiB, TiB
    Seconds,       ///< s, ms, us, ns, ps, cycles (cycles need a clock to convert)
    Hertz,         ///< Hz, kHz, MHz, GHz
    FlopPerSecond, ///< FLOP/s, GFLOP/s, TFLOP/s, PFLOP/s (also OP/s, TOPS for integer paths)
    BytesPerSecond,///< B/s, GB/s, TB/s, GiB/s ...
    Watts,         ///< W, kW
    JoulesPerByte, ///< pJ/B, nJ/B
    JoulesPerFlop, ///< pJ/FLOP
};

std::string_view dimensionName(Dimension d);
/// Example units for error messages, e.g. "TB/s, GB/s, GiB/s".
std::string_view dimensionUnits(Dimension d);

struct ParsedQuantity {
    double value = 0.0;   ///< in SI base units (for Seconds given in cycles: the cycle count)
    bool inCycles = false;///< true when a Seconds value was written in cycles
    std::string unit;     ///< the unit as written
};

/// @brief Parses "<number> [unit]" for dimension `d`. Returns std::nullopt and sets `error` on failure.
/// Rejects NaN, infinities and numbers beyond 1e30 in SI units.
std::optional<ParsedQuantity> parseQuantity(std::string_view text, Dimension d, std::string& error);

/// @brief Formats an SI value with an engineering prefix: formatQuantity(3.35e12, BytesPerSecond) = "3.35 TB/s".
std::string formatQuantity(double siValue, Dimension d, int significant = 4);

} // namespace rooflab
