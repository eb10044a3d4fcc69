#pragma once
/// @brief The Calibration page's data: microbenchmark measurements (gemm.csv, bandwidth.csv, attention.csv of a
/// measurement folder) against the fitted model of a platform (evalGemm, the level bandwidths, evalAttention).
/// Reading and comparing only; every prediction is an engine call.
#include "analysis/ops.hpp"
#include "analysis/platform_model.hpp"
#include "io/csv.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace rooflab::gui {

/// One measured curve and the model at the same x. `mapePct` = mean |model - measured| / measured (NaN if empty).
struct CalCurve {
    std::vector<double> x, measured, model;
    double mapePct = 0;
};

/// Mean absolute percentage error of `model` against `measured` (positive measured values only; NaN when none).
double mapePct(const std::vector<double>& measured, const std::vector<double>& model);

struct GemmCombo {
    int64_t n = 0, k = 0;
    std::string dtype;
    bool operator==(const GemmCombo&) const = default;
};
/// Distinct (n, k, dtype) of gemm.csv, sorted.
std::vector<GemmCombo> gemmCombos(const io::CsvTable& gemm);
/// x = M, measured = TFLOP/s of the rows with this N x K and dtype, model = 2MNK / evalGemm time in TFLOP/s.
CalCurve gemmCurve(const io::CsvTable& gemm, const PlatformModel& pm, const GemmCombo& combo);

/// bandwidth.csv read rows of one level ("hbm" or "l2"): x = footprint (bytes), measured bytes/s, model = the
/// level's bandwidth. The MAPE counts footprints where the level should serve at full rate (hbm: above the L2
/// capacity; l2: all), or all rows when none.
CalCurve bandwidthCurve(const io::CsvTable& bw, const PlatformModel& pm, const std::string& level);
/// The model bandwidth of a bandwidth.csv level name (hbm/dram, l2, l1), 0 when unknown.
double levelBandwidth(const PlatformModel& pm, const std::string& level);

/// attention.csv: x = seq_k, measured and model time (microseconds), rows in file order.
CalCurve attentionCurve(const io::CsvTable& attn, const PlatformModel& pm);

} // namespace rooflab::gui
