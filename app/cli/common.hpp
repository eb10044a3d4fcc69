#pragma once
/// @brief Helpers shared by the CLI subcommands: loading by name, output formats, JSON of engine results.
#include "analysis/llm_engine.hpp"
#include "hardware/platform.hpp"

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>
#include <vector>

namespace rooflab::cli {

enum class Format { Table, Json, Csv };
/// Parses "table", "json" or "csv"; throws InputError otherwise.
Format parseFormat(const std::string& s);

/// Parses a datatype option value; throws InputError naming the option.
DType parseDTypeOption(const std::string& value, const std::string& option);

/// JSON of one operator row.
nlohmann::json opJson(const OpResult& r);
/// JSON of a step prediction (totals, memory, notes; ops when `withOps`).
nlohmann::json predictionJson(const Prediction& p, bool withOps);

/// Prints a fixed-width table: `header` then `rows` (all cells already formatted).
void printTable(std::ostream& os, const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);
/// Writes CSV with RFC 4180 quoting.
void printCsv(std::ostream& os, const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

/// Per-operator table rows (name, class, count, shape, flops, bytes per level, time, share, bound).
std::vector<std::string> opTableHeader();
std::vector<std::vector<std::string>> opTableRows(const Prediction& p);

/// Today's date in UTC as YYYY-MM-DD (written into fitted provenance).
std::string isoDateUtc();

std::string fmtSeconds(double s);
std::string fmtBytes(double b);
std::string fmtFlops(double f);
std::string fmtNum(double v, int significant = 4);

} // namespace rooflab::cli
