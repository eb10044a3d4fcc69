#pragma once
/// @brief Text, CSV and JSON forms of engine results shared by the report writer and the CLI commands: number and
/// unit formatting, the per-operator table, and the JSON of a step prediction. No I/O.
#include "analysis/llm_engine.hpp"
#include "io/validation_status.hpp"

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace rooflab::report {

/// @brief `v` with `significant` significant digits (printf %g).
std::string fmtNum(double v, int significant = 4);
/// Escapes &, <, > and " for HTML and SVG text and attribute values.
std::string markupEscape(const std::string& s);
/// @brief Seconds with an SI prefix ("8.309 ms").
std::string fmtSeconds(double s);
/// @brief Bytes with an SI prefix ("16.06 GB").
std::string fmtBytes(double b);
/// @brief Floating-point operations with an SI prefix, no rate ("128.7 GFLOP").
std::string fmtFlops(double f);

/// @brief JSON of one operator row.
nlohmann::json opJson(const OpResult& r);
/// @brief JSON of a step prediction (totals, memory, notes; ops when `withOps`).
nlohmann::json predictionJson(const Prediction& p, bool withOps);

/// @brief Writes CSV with RFC 4180 quoting.
void printCsv(std::ostream& os, const std::vector<std::string>& header,
              const std::vector<std::vector<std::string>>& rows);
/// @brief The CSV text of a table.
std::string csvText(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

/// @brief Per-operator table columns: name, class, count, shape, flops, bytes per level, time, share, bound.
std::vector<std::string> opTableHeader();
/// @brief Per-operator table rows of `p`, all cells formatted.
std::vector<std::vector<std::string>> opTableRows(const Prediction& p);

/// @brief A number for machine-readable output (CSV): SI base units, the shortest text that reads back as the
/// same double; non-finite values are an empty cell.
std::string csvNum(double v);
/// @brief The operator table for machines: numbers in SI base units with the unit in the column name
/// (step, operator, class, count, m, n, k, gemm_batch, flops, dram_bytes, l2_bytes, time_s, total_s, share,
/// bound). `step` names the step of a request (prefill, decode) and is the first column.
std::vector<std::string> opCsvHeader();
std::vector<std::vector<std::string>> opCsvRows(const Prediction& p, const std::string& step);

/// @brief The confidence fields of machine-readable output, added to `j`: `confidence` (validated, calibrated,
/// datasheet-only), `confidence_mape_percent` (null when no MAPE is known), `confidence_basis` (the summary line).
void addConfidenceJson(nlohmann::json& j, const Confidence& c);
/// @brief The same three fields as CSV columns (names, then the cells of one row).
std::vector<std::string> confidenceCsvColumns();
std::vector<std::string> confidenceCsvCells(const Confidence& c);
/// @brief confidence.csv of a report: `prediction` (step, serving), then the three confidence columns.
std::vector<std::string> confidenceCsvHeader();
std::vector<std::string> confidenceCsvRow(const std::string& prediction, const Confidence& c);

} // namespace rooflab::report
