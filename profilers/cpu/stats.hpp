#pragma once
/// @brief Order statistics of repeated timings (median and 10th/90th percentiles), used by every CPU benchmark.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
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

/// @brief Timed samples of a kernel repeated inside each sample, the calibration shared by the CPU benchmarks:
/// two single passes (warm-up), then enough repetitions that a sample lasts `minSampleSeconds`, and `runs`
/// samples (fewer, at least 3, where the point would take longer than `maxPointSeconds`) after one more warm-up
/// sample at that repetition count. `runSamples(reps, samples)` runs them and returns each sample's seconds.
struct RepeatedTimes {
    int repetitions = 1;
    std::vector<double> seconds; ///< the timed samples, warm-up dropped
};
inline RepeatedTimes timeRepeated(const std::function<std::vector<double>(int reps, int samples)>& runSamples,
                                  double minSampleSeconds, double maxPointSeconds, int runs) {
    const std::vector<double> warm = runSamples(1, 2);
    const double onePass = std::max(1e-9, std::min(warm.at(0), warm.at(1)));
    RepeatedTimes out;
    out.repetitions = static_cast<int>(std::clamp(std::ceil(minSampleSeconds / onePass), 1.0, 1e7));
    const double sampleSeconds = onePass * out.repetitions;
    if (sampleSeconds * runs > maxPointSeconds)
        runs = std::max(3, static_cast<int>(maxPointSeconds / sampleSeconds));
    out.seconds = runSamples(out.repetitions, runs + 1);
    out.seconds.erase(out.seconds.begin());
    return out;
}

} // namespace rooflab::cpu
