#pragma once
/// @brief Order statistics of repeated timings (median and 10th/90th percentiles), used by every CPU benchmark.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace rooflab::cpu {

struct TimingSummary {
    double medianSeconds = 0;
    double p10Seconds = 0;
    double p90Seconds = 0;
    double minSeconds = 0;
    int runs = 0;
};

/// @brief Linear-interpolated percentile `q` in [0, 1] of `sorted` (ascending, non-empty).
inline double percentileOfSorted(const std::vector<double>& sorted, double q) {
    if (sorted.empty())
        return 0;
    const double pos = q * static_cast<double>(sorted.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const auto hi = std::min(lo + 1, sorted.size() - 1);
    const double frac = pos - static_cast<double>(lo);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

inline TimingSummary summarizeTimings(std::vector<double> seconds) {
    TimingSummary s;
    if (seconds.empty())
        return s;
    std::sort(seconds.begin(), seconds.end());
    s.medianSeconds = percentileOfSorted(seconds, 0.5);
    s.p10Seconds = percentileOfSorted(seconds, 0.1);
    s.p90Seconds = percentileOfSorted(seconds, 0.9);
    s.minSeconds = seconds.front();
    s.runs = static_cast<int>(seconds.size());
    return s;
}

} // namespace rooflab::cpu
