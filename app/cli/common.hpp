#pragma once
/// @brief Helpers shared by the CLI subcommands: loading by name, output formats, JSON of engine results.
#include "analysis/llm_engine.hpp"
#include "hardware/platform.hpp"
#include "report/format.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
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

/// @brief Restricts a numeric option to [lo, hi]. Help shows "INT in [1, 16777216]" once, where CLI11's Range alone
/// prints "INT:INT in [1 - 16777216]"; an out-of-range value is an error naming the option.
template <class T> CLI::Option* ranged(CLI::Option* o, T lo, T hi) {
    std::ostringstream text;
    text << o->get_type_name() << " in [" << lo << ", " << hi << "]";
    o->check(CLI::Range(lo, hi).description(""));
    o->type_name(text.str());
    return o;
}

/// @brief Adds to every integer option under `app` (subcommands included) a check that its value fits a 64-bit
/// integer: CLI11 saturated `--batch 99999999999999999999` to 9223372036854775807 silently (issue 20).
void rejectIntegerOverflow(CLI::App& app);

/// Prints a fixed-width table: `header` then `rows` (all cells already formatted). The first column is left-aligned,
/// the others right-aligned (numbers), the last one left-aligned too when `textLast` (a free-text description).
void printTable(std::ostream& os, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows, bool textLast = false);

/// Today's date in UTC as YYYY-MM-DD (written into fitted provenance).
std::string isoDateUtc();

using report::fmtBytes;
using report::fmtFlops;
using report::fmtNum;
using report::fmtSeconds;

} // namespace rooflab::cli
