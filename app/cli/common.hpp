#pragma once
/// @brief Helpers shared by the CLI subcommands: loading by name, output formats, JSON of engine results.
#include "analysis/llm_engine.hpp"
#include "hardware/platform.hpp"
#include "report/format.hpp"

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

// Result formatting lives in the report library (model/report/format.hpp), shared with the report writer.
using report::opJson;
using report::opTableHeader;
using report::opTableRows;
using report::predictionJson;
using report::printCsv;

/// Prints a fixed-width table: `header` then `rows` (all cells already formatted).
void printTable(std::ostream& os, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);

/// Today's date in UTC as YYYY-MM-DD (written into fitted provenance).
std::string isoDateUtc();

using report::fmtBytes;
using report::fmtFlops;
using report::fmtNum;
using report::fmtSeconds;

} // namespace rooflab::cli
