#pragma once
/// @brief Fits a serving stack's host-side scheduling constants on measured serving benchmarks (aic-silicon): the
/// three per-framework values, each named in the stack profile with provenance `fitted` and the rows it came from.
/// - `iteration_overhead`: host seconds per engine iteration (scheduling, input preparation, sampling launch) that
///   the step does not hide (frameworks without an overlap scheduler);
/// - `sequence_overhead`: host seconds per sequence in the batch per iteration (sampling, detokenization, streamed
///   output);
///   the two host times together: the smallest pair (iteration first) on a grid whose calibration TPOT MAPE is within
///   a quarter point of the lowest;
/// - `frontend_latency`: seconds per request outside the engine (HTTP server, tokenization, router, first-token
///   streaming): the median of measured minus simulated TTFT over the calibration rows at concurrency <= 4, where
///   queueing is negligible and what remains is the fixed per-request path the simulator does not model.
/// Calibration rows: the aggregated rows of the stack's backend in the calibration half (isCalibrationRow); the
/// held-out half is what `rooflab validate --split heldout` checks.
#include "codec/catalog.hpp"
#include "io/csv.hpp"
#include "serving/serving_validation.hpp"

#include <string>
#include <utility>
#include <vector>

namespace rooflab::serving {

struct SchedulerFitOptions {
    unsigned threads = 0;
    /// Candidate iteration_overhead values, seconds.
    std::vector<double> iterationOverheadGridS = {0, 100e-6, 250e-6, 500e-6, 1e-3};
    /// Candidate sequence_overhead values, seconds.
    std::vector<double> sequenceOverheadGridS = {0,     5e-6,  10e-6, 15e-6, 20e-6, 25e-6,
                                                 30e-6, 40e-6, 50e-6, 60e-6, 80e-6, 100e-6};
    int64_t lowConcurrency = 4; ///< rows at or below this concurrency set frontend_latency
    /// Candidates within this many percentage points of the lowest TPOT MAPE count as equal (the smallest wins).
    double tolerancePct = 0.25;
};

struct SchedulerFit {
    std::string stack; ///< stack name (tensorrt-llm, vllm, sglang)
    double iterationOverheadS = 0, sequenceOverheadS = 0, frontendLatencyS = 0;
    std::vector<std::string> rows; ///< ids of the calibration rows the fit used (file order)
    std::size_t frontendRows = 0;  ///< of which at low concurrency (frontend_latency)
    struct Point {
        double iterationOverheadS = 0, sequenceOverheadS = 0, tpotMapePct = 0;
    };
    std::vector<Point> curve;        ///< calibration TPOT MAPE over the grid
    ServingErrorStats before, after; ///< calibration rows without the three constants (0) and with the fit
    ServingErrorStats heldOutBefore, heldOutAfter; ///< the same on the other half's aggregated rows
};

/// @brief Fits `base`'s scheduler constants on `table`: the rows of the backend named by `base.name` are simulated
/// with `base` itself (a profile loaded from any file, not the catalog's of that name), its three constants varied.
/// Throws InputError when the table has no calibration row of that backend.
SchedulerFit fitSchedulerConstants(const io::CsvTable& table, io::Catalog& catalog, const StackProfile& base,
                                   const SchedulerFitOptions& options = {});

/// @brief `yamlText` (a stack profile) with the fitted values in its `scheduler:` section and a `fitted:` block
/// naming the keys, `dataset` and the rows. Other lines are kept as they are.
std::string applySchedulerFit(const std::string& yamlText, const SchedulerFit& fit, const std::string& dataset);

} // namespace rooflab::serving
