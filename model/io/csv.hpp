#pragma once
#include <cstdint>
/// @brief A small RFC 4180 CSV reader for measurement datasets (quoted fields, '#' comment lines skipped).
#include <map>
#include <string>
#include <vector>

namespace rooflab::io {

struct CsvTable {
    std::string file;
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    std::vector<int> rowLines; ///< 1-based file line of each row

    /// Column index or -1.
    int column(const std::string& name) const;
    /// Throws InputError naming the file when a column is missing.
    int requireColumn(const std::string& name) const;
    /// The cell as a finite number in [minV, maxV]; throws InputError naming file, line and column.
    double number(std::size_t row, int col, double minV, double maxV) const;
    const std::string& text(std::size_t row, int col) const;
};

/// Largest dataset file loadCsvFile reads: 64 MiB (the largest shipped or public dataset is a few MiB).
inline constexpr std::uintmax_t kMaxCsvBytes = std::uintmax_t(64) << 20;
/// @brief Reads a CSV dataset file; refuses non-regular files and files over kMaxCsvBytes.
CsvTable loadCsvFile(const std::string& path);
CsvTable parseCsv(const std::string& text, const std::string& name);

} // namespace rooflab::io
