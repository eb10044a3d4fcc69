#pragma once
/// @brief The serving simulator against measured serving benchmarks: NVIDIA aiconfigurator's silicon sample
/// (aic-silicon, datasets/public/aic-silicon/e2e_h100_h200.csv, its columns as published). Every row becomes a
/// serving case (spec ServingWork, through the same codec as a `predict --cases` line) with the row's whole layout
/// (aggregated or disaggregated pools, workers, attention DP, MoE split), is simulated, and its TTFT and TPOT are
/// compared with the measured means. Rows the simulator cannot run yet are kept with their reason.
#include "codec/catalog.hpp"
#include "io/csv.hpp"
#include "serving/serving.hpp"

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace rooflab::serving {

/// @brief True when `table` has the aic-silicon columns (model_path, backend, mode, isl, osl, concurrency, ttft_ms,
/// tpot_ms and the layout columns).
bool isServingBenchmark(const io::CsvTable& table);

/// @brief How validation maps a row's gpu column to a platform (a node of 8).
std::string platformForGpu(const std::string& gpu);

/// @brief A row as a serving case line (kind serving): model_path as the model (a preset's Hugging Face id), the
/// backend's stack, the layout columns (workers from concurrency / (batch_size x attention_dp) where the per-rank batch
/// is below the concurrency; disaggregated rows from the prefill_* / decode_* columns), weights from gemm_quant_mode
/// (else precision; empty = bf16), moe_weights from moe_quant_mode, KV bf16 (the rows do not record it), closed loop
/// of `concurrency` clients, 5 x concurrency measured requests (at least 20) after a warm-up wave. nullopt and
/// `why` when the row lacks what a case needs (no concurrency, no gpu platform).
std::optional<nlohmann::json> caseOfRow(const io::CsvTable& table, std::size_t row, std::string& why);

struct ServingValidationRow {
    std::string id;
    int line = 0;
    std::string gpu, backend, mode, model; ///< as in the file (model: model_path)
    std::string group;                     ///< "gpu backend mode model"
    int gpus = 0;
    int64_t concurrency = 0; ///< the row's closed-loop clients (0: not recorded)
    double measuredTtftS = 0, measuredTpotS = 0;
    double predictedTtftS = 0, predictedTpotS = 0;
    double ttftErrorPct = 0, tpotErrorPct = 0; ///< (predicted - measured) / measured x 100
    bool predicted = false;
    std::string skipped;  ///< why the row was not predicted (its category: skipReason)
    std::string category; ///< the reason without row details, for counting
};

/// Mean and median absolute percentage errors and the mean signed error of TTFT and TPOT over some rows.
struct ServingErrorStats {
    std::size_t n = 0;
    double ttftMapePct = 0, ttftMedianPct = 0, ttftBiasPct = 0;
    double tpotMapePct = 0, tpotMedianPct = 0, tpotBiasPct = 0;
};

struct ServingValidationReport {
    std::string dataset;
    std::vector<ServingValidationRow> rows; ///< in file order
    std::size_t predicted = 0;
    ServingErrorStats overall;
    std::map<std::string, ServingErrorStats> groups; ///< gpu backend mode model -> stats
    std::map<std::string, std::size_t> skipped;      ///< reason category -> rows
    std::map<std::string, std::size_t> rowsPerGroup; ///< every row, predicted or not
    double wallS = 0;                                ///< validation time
    unsigned threads = 1;
};

ServingErrorStats servingErrorStats(const std::vector<const ServingValidationRow*>& rows);

/// @brief Which rows a validation or a fit uses. A row's side is fixed by its configuration (gpu, backend, model,
/// mode, isl, osl and every layout column; not the concurrency, ids or measurements): a concurrency sweep of one
/// deployment, and the copies of a run that the file repeats under other ids, fall on one side together, so the
/// held-out half checks deployments the fit never saw.
enum class ServingSplit { All, Calibration, HeldOut };

/// @brief True when `row` belongs to the calibration half (FNV-1a of its configuration key is even).
bool isCalibrationRow(const io::CsvTable& table, std::size_t row);

/// @brief Validation knobs beyond the platform and threads: the rows (split), stack profiles that replace the
/// catalog's for rows resolving to a stack name (the scheduler fit tries candidate values this way), the simulator's
/// options.
struct ServingValidationOptions {
    ServingSplit split = ServingSplit::All;
    std::map<std::string, const StackProfile*> stacks; ///< stack name (e.g. tensorrt-llm) -> profile to use instead
    /// Rows to run (nullptr: all); the others are reported as not selected.
    std::function<bool(const io::CsvTable&, std::size_t)> include;
    Options simulator;
};

/// @brief Validates every row of an aic-silicon table. `platform`: empty = each row on its gpu column's node, else
/// this platform for all rows. Rows run in parallel on `threads` threads (0: all hardware threads).
ServingValidationReport validateServingBenchmark(const io::CsvTable& table, io::Catalog& catalog,
                                                 const std::string& platform = "", unsigned threads = 0,
                                                 const ServingValidationOptions& options = {});

} // namespace rooflab::serving
