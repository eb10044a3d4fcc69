#include "common.hpp"

#include "units/errors.hpp"
#include "units/quantity.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iomanip>

namespace rooflab::cli {

Format parseFormat(const std::string& s) {
    if (s == "table")
        return Format::Table;
    if (s == "json")
        return Format::Json;
    if (s == "csv")
        return Format::Csv;
    throw InputError("", 0, "--format", "'" + s + "' is not one of table, json, csv");
}

DType parseDTypeOption(const std::string& value, const std::string& option) {
    auto t = parseDType(value);
    if (!t)
        throw InputError("", 0, option, "unknown datatype '" + value + "' (known: " + dtypeNameList() + ")");
    return *t;
}

std::string isoDateUtc() {
    const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    char buf[16];
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

void printTable(std::ostream& os, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows, bool textLast) {
    std::vector<std::size_t> w(header.size(), 0);
    for (std::size_t i = 0; i < header.size(); ++i)
        w[i] = header[i].size();
    for (const auto& r : rows)
        for (std::size_t i = 0; i < r.size() && i < w.size(); ++i)
            w[i] = std::max(w[i], r[i].size());
    auto line = [&](const std::vector<std::string>& cells) {
        for (std::size_t i = 0; i < w.size(); ++i) {
            const std::string c = i < cells.size() ? cells[i] : "";
            if (i == 0)
                os << std::left << std::setw(static_cast<int>(w[i])) << c;
            else if (textLast && i + 1 == w.size())
                os << "  " << std::left << c; // no padding after the last column
            else
                os << "  " << std::right << std::setw(static_cast<int>(w[i])) << c;
        }
        os << "\n";
    };
    line(header);
    std::size_t total = 0;
    for (auto x : w)
        total += x + 2;
    os << std::string(total > 2 ? total - 2 : 0, '-') << "\n";
    for (const auto& r : rows)
        line(r);
}

namespace {

/// The value as the user typed it, shortened for messages.
std::string shown(const std::string& v) {
    return v.size() <= 40 ? v : v.substr(0, 40) + "...";
}

/// Fails where the text is an integer literal outside the 64-bit range (other malformed text is CLI11's to reject).
CLI::Validator integerFits(bool isUnsigned) {
    return CLI::Validator(
        [isUnsigned](std::string& value) -> std::string {
            std::string_view v = value;
            while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
                v.remove_prefix(1);
            if (!v.empty() && v.front() == '+')
                v.remove_prefix(1);
            std::errc ec{};
            if (isUnsigned && !(v.starts_with("-"))) {
                unsigned long long u = 0;
                ec = std::from_chars(v.data(), v.data() + v.size(), u).ec;
            } else {
                long long s = 0;
                ec = std::from_chars(v.data(), v.data() + v.size(), s).ec;
            }
            if (ec == std::errc::result_out_of_range)
                return "value " + shown(value) + " is out of range (a 64-bit integer: at most " +
                       (isUnsigned ? std::string("18446744073709551615") : std::string("9223372036854775807")) + ")";
            return {};
        },
        "", "integer-fits");
}

} // namespace

void rejectIntegerOverflow(CLI::App& app) {
    for (CLI::Option* o : app.get_options()) {
        const std::string type = o->get_type_name();
        if (type.rfind("INT", 0) == 0)
            o->check(integerFits(false));
        else if (type.rfind("UINT", 0) == 0)
            o->check(integerFits(true));
    }
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
        rejectIntegerOverflow(*sub);
}

} // namespace rooflab::cli
