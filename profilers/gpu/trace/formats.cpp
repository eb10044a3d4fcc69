#include "formats.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <istream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace rooflab::gpu {

const std::map<std::string, std::vector<std::string>>& measurementSchemas() {
    static const std::map<std::string, std::vector<std::string>> schemas = {
        {"bandwidth",
         {"op", "level", "bytes_footprint", "bytes_moved", "median_s", "p10_s", "p90_s", "runs", "bytes_per_s"}},
        {"latency", {"footprint_bytes", "stride_bytes", "cycles", "ns", "level"}},
        {"flops", {"engine", "dtype", "median_s", "flop", "flop_per_s", "method"}},
        {"gemm", {"m", "n", "k", "dtype", "layout", "median_s", "p10_s", "p90_s", "runs", "flop_per_s", "algo"}},
        {"launch", {"mode", "median_s", "p10_s", "p90_s", "runs"}},
        {"hostlink", {"direction", "bytes", "pinned", "median_s", "bytes_per_s"}},
        {"nccl", {"op", "gpus", "bytes", "median_s", "algbw_bytes_per_s", "busbw_bytes_per_s"}},
        {"e2e",
         {"id", "model", "phase", "batch", "prompt", "context", "tp", "weights", "kv", "act", "stack", "measured_s",
          "p10_s", "p90_s", "runs", "card", "date"}},
        {"trace",
         {"idx", "name", "class", "grid_x", "grid_y", "grid_z", "block_x", "block_y", "block_z", "registers",
          "shared_bytes", "start_ns", "end_ns", "duration_ns"}},
    };
    return schemas;
}

std::optional<size_t> CsvTable::column(const std::string& name) const {
    auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end())
        return std::nullopt;
    return static_cast<size_t>(it - header.begin());
}

CsvTable parseCsv(std::istream& in) {
    CsvTable t;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false, fieldStarted = false, any = false;
    size_t line = 1;
    auto endField = [&] {
        row.push_back(field);
        field.clear();
        fieldStarted = false;
    };
    auto endRow = [&] {
        endField();
        if (!(row.size() == 1 && row[0].empty())) {
            if (t.header.empty())
                t.header = row;
            else if (row.size() != t.header.size())
                throw std::runtime_error("CSV line " + std::to_string(line) + ": " + std::to_string(row.size()) +
                                         " fields, header has " + std::to_string(t.header.size()));
            else
                t.rows.push_back(row);
        }
        row.clear();
    };
    char c;
    while (in.get(c)) {
        any = true;
        if (quoted) {
            if (c == '"') {
                if (in.peek() == '"') {
                    in.get(c);
                    field += '"';
                } else {
                    quoted = false;
                }
            } else {
                if (c == '\n')
                    ++line;
                field += c;
            }
            continue;
        }
        if (c == '"' && !fieldStarted) {
            quoted = true;
            fieldStarted = true;
        } else if (c == ',') {
            endField();
        } else if (c == '\n') {
            endRow();
            ++line;
        } else if (c != '\r') {
            field += c;
            fieldStarted = true;
        }
    }
    if (quoted)
        throw std::runtime_error("CSV line " + std::to_string(line) + ": unterminated quoted field");
    if (any && (fieldStarted || !row.empty()))
        endRow();
    return t;
}

CsvTable readCsvFile(const std::string& path) {
    std::ifstream f(path);
    if (!f)
        throw std::runtime_error("cannot read " + path);
    try {
        return parseCsv(f);
    } catch (const std::exception& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
}

std::string csvField(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos)
        return s;
    std::string o = "\"";
    for (char c : s) {
        if (c == '"')
            o += '"';
        o += c;
    }
    return o + "\"";
}

void writeCsv(std::ostream& out, const CsvTable& t) {
    auto line = [&](const std::vector<std::string>& r) {
        for (size_t i = 0; i < r.size(); ++i)
            out << (i ? "," : "") << csvField(r[i]);
        out << '\n';
    };
    line(t.header);
    for (const auto& r : t.rows)
        line(r);
}

std::string validateSchema(const std::string& kind, const CsvTable& t) {
    const auto& schemas = measurementSchemas();
    auto it = schemas.find(kind);
    if (it == schemas.end())
        return "unknown measurement kind '" + kind + "'";
    const auto& want = it->second;
    if (t.header.size() < want.size() || (kind != "trace" && t.header.size() != want.size()))
        return kind + ": expected " + std::to_string(want.size()) + " columns, found " +
               std::to_string(t.header.size());
    for (size_t i = 0; i < want.size(); ++i)
        if (t.header[i] != want[i])
            return kind + ": column " + std::to_string(i + 1) + " is '" + t.header[i] + "', expected '" + want[i] + "'";
    return {};
}

namespace {
std::string fmtDouble(double v) {
    std::ostringstream os;
    os.precision(10);
    os << v;
    return os.str();
}
} // namespace

void writeTrace(std::ostream& out, const std::vector<TraceKernel>& kernels) {
    std::set<std::string> metricNames;
    for (const auto& k : kernels)
        for (const auto& [name, v] : k.metrics)
            metricNames.insert(name);
    CsvTable t;
    t.header = measurementSchemas().at("trace");
    t.header.insert(t.header.end(), metricNames.begin(), metricNames.end());
    for (const auto& k : kernels) {
        std::vector<std::string> r = {std::to_string(k.idx),         k.name,
                                      std::string(toString(k.cls)),  std::to_string(k.gridX),
                                      std::to_string(k.gridY),       std::to_string(k.gridZ),
                                      std::to_string(k.blockX),      std::to_string(k.blockY),
                                      std::to_string(k.blockZ),      std::to_string(k.registers),
                                      std::to_string(k.sharedBytes), std::to_string(k.startNs),
                                      std::to_string(k.endNs),       std::to_string(k.durationNs())};
        for (const auto& m : metricNames) {
            auto it = k.metrics.find(m);
            r.push_back(it == k.metrics.end() ? "" : fmtDouble(it->second));
        }
        t.rows.push_back(std::move(r));
    }
    writeCsv(out, t);
}

std::vector<TraceKernel> readTrace(std::istream& in) {
    const CsvTable t = parseCsv(in);
    if (auto why = validateSchema("trace", t); !why.empty())
        throw std::runtime_error(why);
    const size_t base = measurementSchemas().at("trace").size();
    std::vector<TraceKernel> out;
    out.reserve(t.rows.size());
    // Every field is checked: a trace that is not numbers where numbers belong is a broken trace (runtime_error with
    // its row and column), never a std::invalid_argument or out_of_range from the conversion (found by fuzzing).
    std::size_t row = 0;
    auto bad = [&](std::size_t col, const std::string& s, const char* what) -> std::runtime_error {
        const std::string shown = s.size() <= 40 ? s : s.substr(0, 40) + "...";
        return std::runtime_error("trace row " + std::to_string(row) + ", column '" + t.header[col] + "': '" + shown +
                                  "' is not " + what);
    };
    auto integer = [&]<class T>(std::size_t col, T fallback) -> T {
        const std::string& s = t.rows[row - 1][col];
        if (s.empty())
            return fallback;
        T v{};
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || end != s.data() + s.size())
            throw bad(col, s, "an integer in range");
        return v;
    };
    auto toU64 = [&](std::size_t col) { return integer.template operator()<uint64_t>(col, 0); };
    auto toI = [&](std::size_t col) { return integer.template operator()<int>(col, 0); };
    for (const auto& r : t.rows) {
        ++row;
        TraceKernel k;
        k.idx = toU64(0);
        k.name = r[1];
        k.gridX = toI(3);
        k.gridY = toI(4);
        k.gridZ = toI(5);
        k.blockX = toI(6);
        k.blockY = toI(7);
        k.blockZ = toI(8);
        k.registers = toI(9);
        k.sharedBytes = integer.template operator()<long long>(10, 0);
        k.startNs = toU64(11);
        k.endNs = toU64(12);
        if (k.endNs == 0 && !r[13].empty())
            k.endNs = k.startNs + toU64(13);
        for (size_t c = base; c < r.size(); ++c) {
            if (r[c].empty())
                continue;
            char* end = nullptr;
            const double v = std::strtod(r[c].c_str(), &end);
            if (end != r[c].c_str() + r[c].size() || !std::isfinite(v))
                throw bad(c, r[c], "a finite number");
            k.metrics[t.header[c]] = v;
        }
        auto cls = kernelClassFromString(r[2]);
        if (cls) {
            k.cls = *cls;
        } else {
            KernelMetrics m;
            bool haveMetrics = false;
            auto get = [&](const char* name, double& dst) {
                auto it = k.metrics.find(name);
                if (it != k.metrics.end()) {
                    dst = it->second;
                    haveMetrics = true;
                }
            };
            get("tensor_flop", m.tensorFlop);
            get("simt_flop", m.simtFlop);
            double rd = -1, wr = -1;
            get("dram__bytes_read.sum", rd);
            get("dram__bytes_write.sum", wr);
            if (rd >= 0 || wr >= 0)
                m.dramBytes = std::max(0.0, rd) + std::max(0.0, wr);
            k.cls = classifyKernel(k.name, haveMetrics ? &m : nullptr);
        }
        out.push_back(std::move(k));
    }
    return out;
}

std::map<KernelClass, uint64_t> timeByClass(const std::vector<TraceKernel>& kernels) {
    std::map<KernelClass, uint64_t> m;
    for (const auto& k : kernels)
        m[k.cls] += k.durationNs();
    return m;
}

void to_json(nlohmann::json& j, const Provenance& p) {
    j = nlohmann::json{{"card", p.card},
                       {"sm_count", p.smCount},
                       {"sm_clock_mhz_max", p.smClockMhzMax},
                       {"mem_clock_mhz", p.memClockMhz},
                       {"l2_bytes", p.l2Bytes},
                       {"driver", p.driver},
                       {"cuda_runtime", p.cudaRuntime},
                       {"date", p.date},
                       {"host", p.host},
                       {"tool", p.tool},
                       {"command", p.command}};
    if (!p.torch.empty())
        j["torch"] = p.torch;
}

void from_json(const nlohmann::json& j, Provenance& p) {
    auto str = [&](const char* k) {
        return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
    };
    auto num = [&](const char* k) -> int64_t { return j.contains(k) && j[k].is_number() ? j[k].get<int64_t>() : 0; };
    p.card = str("card");
    p.smCount = static_cast<int>(num("sm_count"));
    p.smClockMhzMax = static_cast<int>(num("sm_clock_mhz_max"));
    p.memClockMhz = static_cast<int>(num("mem_clock_mhz"));
    p.l2Bytes = num("l2_bytes");
    p.driver = str("driver");
    p.cudaRuntime = str("cuda_runtime");
    p.torch = str("torch");
    p.date = str("date");
    p.host = str("host");
    p.tool = str("tool");
    p.command = str("command");
}

std::string platformIdForCard(const std::string& cardName) {
    std::string n;
    for (char c : cardName)
        n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto has = [&](const char* s) { return n.find(s) != std::string::npos; };
    if (has("h100") && (has("pcie")))
        return "h100-pcie-80gb";
    if (has("h100"))
        return "h100-sxm5-80gb";
    if (has("h200"))
        return "h200-sxm-141gb";
    if (has("l40s"))
        return "l40s";
    if (has("4090"))
        return "rtx-4090";
    std::string id;
    for (char c : n) {
        if (std::isalnum(static_cast<unsigned char>(c)))
            id += c;
        else if (!id.empty() && id.back() != '-')
            id += '-';
    }
    if (id.rfind("nvidia-", 0) == 0)
        id = id.substr(7);
    while (!id.empty() && id.back() == '-')
        id.pop_back();
    return id;
}

} // namespace rooflab::gpu
