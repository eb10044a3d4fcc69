#include "serving/serving.hpp"
#include "units/errors.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace rooflab::serving {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '"'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '"'))
        s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> splitCsv(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= line.size(); ++i)
        if (i == line.size() || line[i] == ',') {
            out.push_back(trim(line.substr(start, i - start)));
            start = i + 1;
        }
    return out;
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil).
int64_t daysFromCivil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2 ? 1 : 0;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool parseNumber(std::string_view s, double& v) {
    if (s.empty())
        return false;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(v);
}

/// "YYYY-MM-DD HH:MM:SS[.fffffff]" (or with 'T') as seconds since 1970; false when it is not one.
bool parseDateTime(std::string_view s, double& v) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0;
    double sec = 0;
    if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':')
        return false;
    auto num = [&](std::size_t at, std::size_t len, int& out) {
        return std::from_chars(s.data() + at, s.data() + at + len, out).ec == std::errc();
    };
    if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d) || !num(11, 2, h) || !num(14, 2, mi))
        return false;
    std::string_view rest = s.substr(17);
    while (!rest.empty() && !std::isdigit(static_cast<unsigned char>(rest.back())))
        rest.remove_suffix(1); // a zone suffix such as 'Z'
    if (!parseNumber(rest, sec))
        return false;
    v = double(daysFromCivil(y, mo, d)) * 86400.0 + h * 3600.0 + mi * 60.0 + sec;
    return true;
}

} // namespace

std::vector<TraceRequest> parseTraceCsv(std::string_view text, const std::string& name) {
    std::vector<TraceRequest> out;
    int lineNo = 0;
    int colArrival = -1, colIn = -1, colOut = -1;
    std::size_t columns = 0;
    bool dateTimes = false;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const std::size_t nl = text.find('\n', pos);
        const std::string_view line =
            text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
        ++lineNo;
        if (trim(line).empty() || trim(line).front() == '#')
            continue;
        const std::vector<std::string_view> cells = splitCsv(line);
        if (colArrival < 0) {
            for (std::size_t i = 0; i < cells.size(); ++i) {
                const std::string h = lower(cells[i]);
                if (h == "arrival_timestamp" || h == "timestamp" || h == "arrival_s" || h == "arrival_time")
                    colArrival = static_cast<int>(i);
                else if (h == "prompt_size" || h == "contexttokens" || h == "input_tokens" || h == "prompt_tokens")
                    colIn = static_cast<int>(i);
                else if (h == "token_size" || h == "generatedtokens" || h == "output_tokens")
                    colOut = static_cast<int>(i);
            }
            if (colArrival < 0 || colIn < 0 || colOut < 0)
                throw InputError(name, lineNo, "header",
                                 "a trace needs arrival, input and output columns: Splitwise (arrival_timestamp, "
                                 "prompt_size, token_size) or Azure (TIMESTAMP, ContextTokens, GeneratedTokens)");
            columns = cells.size();
            continue;
        }
        if (cells.size() < columns)
            throw InputError(name, lineNo, "",
                             "expected " + std::to_string(columns) + " columns, found " + std::to_string(cells.size()));
        TraceRequest r;
        const std::string_view a = cells[static_cast<std::size_t>(colArrival)];
        double in = 0, o = 0;
        if (out.empty())
            dateTimes = !parseNumber(a, r.arrivalS);
        const bool okArrival = dateTimes ? parseDateTime(a, r.arrivalS) : parseNumber(a, r.arrivalS);
        if (!okArrival)
            throw InputError(name, lineNo, "arrival", "'" + std::string(a) + "' is neither seconds nor a date-time");
        if (!parseNumber(cells[static_cast<std::size_t>(colIn)], in) || in < 1 || in != std::floor(in) || in > 1e9)
            throw InputError(name, lineNo, "input", "input tokens must be a whole number >= 1");
        if (!parseNumber(cells[static_cast<std::size_t>(colOut)], o) || o < 1 || o != std::floor(o) || o > 1e9)
            throw InputError(name, lineNo, "output", "output tokens must be a whole number >= 1");
        r.inputTokens = static_cast<int64_t>(in);
        r.outputTokens = static_cast<int64_t>(o);
        out.push_back(r);
    }
    if (colArrival < 0)
        throw InputError(name, 0, "header", "the trace is empty");
    // Date-times become seconds from the first request; arrivals in seconds stay as written.
    if (dateTimes && !out.empty()) {
        double first = out.front().arrivalS;
        for (const TraceRequest& r : out)
            first = std::min(first, r.arrivalS);
        for (TraceRequest& r : out)
            r.arrivalS -= first;
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const TraceRequest& a, const TraceRequest& b) { return a.arrivalS < b.arrivalS; });
    return out;
}

std::string writeTraceCsv(const std::vector<TraceRequest>& trace) {
    std::string s = "request_id,request_type,application_id,arrival_timestamp,batch_size,prompt_size,token_size\n";
    char buf[64];
    for (std::size_t i = 0; i < trace.size(); ++i) {
        s += std::to_string(i);
        s += ",2,0,";
        const auto r = std::to_chars(buf, buf + sizeof buf, trace[i].arrivalS); // shortest round-trip form
        s.append(buf, r.ptr);
        s += ",1,";
        s += std::to_string(trace[i].inputTokens);
        s += ',';
        s += std::to_string(trace[i].outputTokens);
        s += '\n';
    }
    return s;
}

} // namespace rooflab::serving
