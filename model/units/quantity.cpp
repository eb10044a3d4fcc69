#include "units/quantity.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <vector>

namespace rooflab {

namespace {

struct UnitDef {
    std::string_view name;
    double factor;
};

const std::vector<UnitDef>& unitsFor(Dimension d) {
    static const std::vector<UnitDef> kCount = {{"", 1.0}, {"%", 0.01}};
    static const std::vector<UnitDef> kBytes = {{"B", 1.0},         {"KB", 1e3},           {"MB", 1e6},
                                                {"GB", 1e9},        {"TB", 1e12},          {"KiB", 1024.0},
                                                {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"TiB", 1099511627776.0}};
    static const std::vector<UnitDef> kSeconds = {{"s", 1.0},   {"ms", 1e-3},  {"us", 1e-6},
                                                  {"ns", 1e-9}, {"ps", 1e-12}, {"cycles", 1.0}};
    static const std::vector<UnitDef> kHertz = {{"Hz", 1.0}, {"kHz", 1e3}, {"MHz", 1e6}, {"GHz", 1e9}};
    static const std::vector<UnitDef> kFlops = {{"FLOP/s", 1.0},   {"GFLOP/s", 1e9}, {"TFLOP/s", 1e12},
                                                {"PFLOP/s", 1e15}, {"OP/s", 1.0},    {"GOP/s", 1e9},
                                                {"TOP/s", 1e12},   {"TOPS", 1e12},   {"POP/s", 1e15}};
    static const std::vector<UnitDef> kBw = {{"B/s", 1.0},         {"KB/s", 1e3},           {"MB/s", 1e6},
                                             {"GB/s", 1e9},        {"TB/s", 1e12},          {"KiB/s", 1024.0},
                                             {"MiB/s", 1048576.0}, {"GiB/s", 1073741824.0}, {"TiB/s", 1099511627776.0}};
    static const std::vector<UnitDef> kWatts = {{"W", 1.0}, {"kW", 1e3}};
    static const std::vector<UnitDef> kJpB = {{"J/B", 1.0}, {"nJ/B", 1e-9}, {"pJ/B", 1e-12}};
    static const std::vector<UnitDef> kJpF = {{"J/FLOP", 1.0}, {"nJ/FLOP", 1e-9}, {"pJ/FLOP", 1e-12}};
    switch (d) {
    case Dimension::Count:
        return kCount;
    case Dimension::Bytes:
        return kBytes;
    case Dimension::Seconds:
        return kSeconds;
    case Dimension::Hertz:
        return kHertz;
    case Dimension::FlopPerSecond:
        return kFlops;
    case Dimension::BytesPerSecond:
        return kBw;
    case Dimension::Watts:
        return kWatts;
    case Dimension::JoulesPerByte:
        return kJpB;
    case Dimension::JoulesPerFlop:
        return kJpF;
    }
    return kCount;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

} // namespace

std::string_view dimensionName(Dimension d) {
    static constexpr std::array<std::string_view, 9> kNames = {"count",     "bytes",           "time",
                                                               "frequency", "compute rate",    "bandwidth",
                                                               "power",     "energy per byte", "energy per flop"};
    return kNames[static_cast<std::size_t>(d)];
}

std::string_view dimensionUnits(Dimension d) {
    switch (d) {
    case Dimension::Count:
        return "a plain number";
    case Dimension::Bytes:
        return "B, KB, MB, GB, KiB, MiB, GiB";
    case Dimension::Seconds:
        return "s, ms, us, ns, cycles";
    case Dimension::Hertz:
        return "Hz, kHz, MHz, GHz";
    case Dimension::FlopPerSecond:
        return "FLOP/s, GFLOP/s, TFLOP/s, PFLOP/s, TOP/s";
    case Dimension::BytesPerSecond:
        return "B/s, MB/s, GB/s, TB/s, GiB/s";
    case Dimension::Watts:
        return "W, kW";
    case Dimension::JoulesPerByte:
        return "pJ/B, nJ/B";
    case Dimension::JoulesPerFlop:
        return "pJ/FLOP, nJ/FLOP";
    }
    return "";
}

std::optional<ParsedQuantity> parseQuantity(std::string_view text, Dimension d, std::string& error) {
    text = trim(text);
    if (text.empty()) {
        error = "empty value; expected a number";
        return std::nullopt;
    }
    double number = 0.0;
    const char* begin = text.data();
    const char* end = text.data() + text.size();
    if (*begin == '+')
        ++begin;
    auto [ptr, ec] = std::from_chars(begin, end, number);
    if (ec == std::errc::result_out_of_range) {
        error = "number '" + std::string(text) + "' is out of range";
        return std::nullopt;
    }
    if (ec != std::errc() || ptr == begin) {
        error = "'" + std::string(text) + "' is not a number with a unit (" + std::string(dimensionUnits(d)) + ")";
        return std::nullopt;
    }
    if (!std::isfinite(number)) {
        error = "value '" + std::string(text) + "' is not finite";
        return std::nullopt;
    }
    std::string_view unit = trim(std::string_view(ptr, static_cast<std::size_t>(end - ptr)));
    for (const auto& u : unitsFor(d)) {
        if (u.name == unit) {
            ParsedQuantity q;
            q.value = number * u.factor;
            q.inCycles = (d == Dimension::Seconds && u.name == "cycles");
            q.unit = std::string(unit);
            if (!std::isfinite(q.value) || std::fabs(q.value) > 1e30) {
                error = "value '" + std::string(text) + "' is implausibly large";
                return std::nullopt;
            }
            return q;
        }
    }
    if (unit.empty())
        error = "'" + std::string(text) + "' needs a unit (" + std::string(dimensionUnits(d)) + ")";
    else
        error = "unit '" + std::string(unit) + "' is not a " + std::string(dimensionName(d)) + " unit (" +
                std::string(dimensionUnits(d)) + ")";
    return std::nullopt;
}

std::string formatQuantity(double v, Dimension d, int significant) {
    struct Prefix {
        double factor;
        const char* name;
    };
    static constexpr Prefix kSi[] = {{1e15, "P"}, {1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1.0, ""}};
    static constexpr Prefix kTime[] = {{1.0, ""}, {1e-3, "m"}, {1e-6, "u"}, {1e-9, "n"}};
    const char* base = "";
    switch (d) {
    case Dimension::Count:
        base = "";
        break;
    case Dimension::Bytes:
        base = "B";
        break;
    case Dimension::Seconds:
        base = "s";
        break;
    case Dimension::Hertz:
        base = "Hz";
        break;
    case Dimension::FlopPerSecond:
        base = "FLOP/s";
        break;
    case Dimension::BytesPerSecond:
        base = "B/s";
        break;
    case Dimension::Watts:
        base = "W";
        break;
    case Dimension::JoulesPerByte:
        base = "J/B";
        break;
    case Dimension::JoulesPerFlop:
        base = "J/FLOP";
        break;
    }
    // std::to_chars(general, precision) writes what printf's "%.*g" writes (the standard defines it so) without
    // printf's machinery, which was most of an LLM step's formatting cost. The 63-character cut is the old
    // snprintf buffer's.
    auto number = [&](double x) {
        char b[400];
        auto r = std::to_chars(b, b + sizeof b, x, std::chars_format::general, significant);
        if (r.ec == std::errc() && std::find(b, r.ptr, 'e') != r.ptr && std::isfinite(x)) {
            // Human output has no scientific notation (issue 19: "1.128e+04 s"): past the largest prefix the
            // number grows ("11280 s"), below the smallest it gets decimals ("0.0000012 ps").
            const double ax = std::fabs(x);
            const int decimals = ax >= 1 ? 0 : std::min(15, significant - 1 - int(std::floor(std::log10(ax))));
            r = std::to_chars(b, b + sizeof b, x, std::chars_format::fixed, decimals);
        }
        return std::string(b, r.ec == std::errc() ? r.ptr : b);
    };
    auto cut = [](std::string s) {
        if (s.size() > 63)
            s.resize(63);
        return s;
    };
    const double a = std::fabs(v);
    if (d == Dimension::Seconds) {
        for (const auto& p : kTime) {
            if (a >= p.factor || p.factor == 1e-9)
                return cut(number(v / p.factor) + " " + p.name + "s");
        }
    }
    if (d == Dimension::JoulesPerByte || d == Dimension::JoulesPerFlop)
        return cut(number(v * 1e12) + " p" + base);
    for (const auto& p : kSi) {
        if (a >= p.factor || p.factor == 1.0) {
            if (d == Dimension::Bytes && p.factor == 1e3)
                return cut(number(v / p.factor) + " KB");
            std::string s = cut(number(v / p.factor) + " " + p.name + base);
            if (!s.empty() && s.back() == ' ')
                s.pop_back();
            return s;
        }
    }
    return std::to_string(v);
}

} // namespace rooflab
