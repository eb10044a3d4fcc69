#pragma once
/// @brief Predictions against measurements, row by row, with error statistics broken down by operator class,
/// phase, batch, TP and model. Datasets: end-to-end LLM runs (e2e.csv), GEMM sweeps (gemm.csv) and imported
/// aiconfigurator per-operator tables (calibration/aic_import.hpp).
#include "analysis/llm_engine.hpp"
#include "io/csv.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace rooflab {

namespace aic {
struct AicValidation;
}

struct ValidationRow {
    std::string id;
    int line = 0;                            ///< 1-based line of the row in the dataset file
    std::map<std::string, std::string> keys; ///< grouping keys: phase, batch, tp, model, dtype, class
    // What an end-to-end row describes, as evaluated (filled as far as it was read when the row failed; GEMM rows
    // leave them empty): the model as the dataset names it, the phase, and the step's shape.
    std::string model, phase;
    int64_t batch = 0;   ///< sequences
    int64_t prompt = 0;  ///< tokens (at least 1: decode rows with prompt 0 are evaluated with 1)
    int64_t context = 0; ///< tokens
    int tp = 1;
    double measuredS = 0;
    double predictedS = 0;
    double errorPct = 0; ///< (predicted - measured) / measured * 100
    std::string error;   ///< set when the row could not be predicted
};

struct ErrorStats {
    std::size_t n = 0;
    double mapePct = 0, maxAbsPct = 0, biasPct = 0, within10Pct = 0, within25Pct = 0;
};

struct ValidationReport {
    std::string dataset;
    std::string kind; ///< "e2e", "gemm", "aic-gemm", "aic-attention", "aic-moe", "aic-collective"
    std::vector<ValidationRow> rows;
    ErrorStats overall;
    std::map<std::string, std::map<std::string, ErrorStats>> breakdown; ///< key -> value -> stats
    std::size_t failed = 0;
};

ErrorStats errorStats(const std::vector<double>& errorsPct);

/// Resolves a model name from a dataset (preset id or path relative to the dataset/data folders).
using ModelResolver = std::function<const LlmArch&(const std::string&)>;
using StackResolver = std::function<const StackProfile&(const std::string&)>;

/// @brief Validates `table` (kind detected from its columns) on platform `pm`. Rows that cannot be predicted
/// (an InputError while reading or predicting them) carry their error and count in `failed`. End-to-end optional
/// columns (prompt, context, chunk, tp, pp, weights, kv, act, stack, threads) may be left empty for their defaults.
/// `aic`: for imported aiconfigurator tables, the stack efficiency and split to validate with (nullptr: the
/// platform's own efficiencies, every row). A row with a thread count (CPU platforms) needs `hardware`, the platform
/// `pm` was built from.
ValidationReport validateDataset(const PlatformModel& pm, const io::CsvTable& table, const ModelResolver& models,
                                 const StackResolver& stacks, const aic::AicValidation* aic = nullptr,
                                 const Platform* hardware = nullptr);

} // namespace rooflab
