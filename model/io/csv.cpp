#include "io/csv.hpp"

#include "io/files.hpp"
#include "units/errors.hpp"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace rooflab::io {

int CsvTable::column(const std::string& name) const {
    for (std::size_t i = 0; i < header.size(); ++i)
        if (header[i] == name)
            return static_cast<int>(i);
    return -1;
}

int CsvTable::requireColumn(const std::string& name) const {
    const int c = column(name);
    if (c < 0)
        throw InputError(file, 1, name, "missing required column");
    return c;
}

const std::string& CsvTable::text(std::size_t row, int col) const {
    static const std::string kEmpty;
    const auto& r = rows.at(row);
    return col >= 0 && static_cast<std::size_t>(col) < r.size() ? r[static_cast<std::size_t>(col)] : kEmpty;
}

double CsvTable::number(std::size_t row, int col, double minV, double maxV) const {
    const std::string& s = text(row, col);
    const std::string& key = header.at(static_cast<std::size_t>(col));
    double v = 0;
    const char* b = s.data();
    const char* e = s.data() + s.size();
    auto [p, ec] = std::from_chars(b, e, v);
    if (s.empty() || ec != std::errc() || p != e || !std::isfinite(v))
        throw InputError(file, rowLines.at(row), key, "'" + s + "' is not a finite number");
    if (v < minV || v > maxV) {
        std::ostringstream os;
        os << "value " << s << " is out of range [" << minV << ", " << maxV << "]";
        throw InputError(file, rowLines.at(row), key, os.str());
    }
    return v;
}

CsvTable parseCsv(const std::string& text, const std::string& name) {
    CsvTable t;
    t.file = name;
    if (text.find('\0') != std::string::npos)
        throw InputError(name, 0, "", "file is binary (contains NUL bytes), not CSV");
    std::vector<std::string> fields;
    std::string field;
    bool inQuotes = false, any = false;
    int line = 1, rowStart = 1;
    auto endRow = [&]() {
        if (any || !field.empty())
            fields.push_back(field);
        field.clear();
        any = false;
        if (!fields.empty() && !(fields.size() == 1 && fields[0].empty()) && fields[0].rfind('#', 0) != 0) {
            if (t.header.empty())
                t.header = fields;
            else {
                if (fields.size() != t.header.size())
                    throw InputError(name, rowStart, "",
                                     "row has " + std::to_string(fields.size()) + " fields, header has " +
                                         std::to_string(t.header.size()));
                t.rows.push_back(fields);
                t.rowLines.push_back(rowStart);
            }
        }
        fields.clear();
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inQuotes) {
            if (c == '"') {
                if (i + 1 < text.size() && text[i + 1] == '"') {
                    field += '"';
                    ++i;
                } else
                    inQuotes = false;
            } else {
                if (c == '\n')
                    ++line;
                field += c;
            }
            continue;
        }
        switch (c) {
        case '"':
            inQuotes = true;
            any = true;
            break;
        case ',':
            fields.push_back(field);
            field.clear();
            any = true;
            break;
        case '\r':
            break;
        case '\n':
            endRow();
            ++line;
            rowStart = line;
            break;
        default:
            field += c;
        }
    }
    if (inQuotes)
        throw InputError(name, rowStart, "", "unterminated quoted field");
    endRow();
    if (t.header.empty())
        throw InputError(name, 0, "", "file is empty (no header row)");
    return t;
}

CsvTable loadCsvFile(const std::string& path) {
    // Only regular files, and no larger than the cap: /dev/zero or a FIFO must not be read until memory runs out.
    return parseCsv(readInputFile(path, kMaxCsvBytes), path);
}

} // namespace rooflab::io
