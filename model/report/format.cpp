#include "report/format.hpp"

#include "units/quantity.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>

namespace rooflab::report {

std::string fmtNum(double v, int significant) {
    char b[48];
    std::snprintf(b, sizeof b, "%.*g", significant, v);
    // Human output never shows an exponent for numbers >= 1 (33890, not 3.389e+04); tiny numbers keep theirs.
    if (std::isfinite(v) && std::strchr(b, 'e') && std::fabs(v) >= 1 && std::fabs(v) < 1e18)
        std::snprintf(b, sizeof b, "%.0f", v);
    return b;
}
std::string fmtSeconds(double s) {
    return formatQuantity(s, Dimension::Seconds, 4);
}
std::string fmtBytes(double b) {
    return formatQuantity(b, Dimension::Bytes, 4);
}
std::string fmtFlops(double f) {
    std::string s = formatQuantity(f, Dimension::FlopPerSecond, 4);
    if (s.size() > 2 && s.ends_with("/s"))
        s.resize(s.size() - 2);
    return s;
}

nlohmann::json opJson(const OpResult& r) {
    nlohmann::json j;
    j["name"] = r.name;
    j["class"] = std::string(opClassName(r.cls));
    j["count"] = r.count;
    j["kernels"] = r.kernels;
    if (r.cls == OpClass::Gemm) {
        j["m"] = r.m;
        j["n"] = r.n;
        j["k"] = r.k;
        j["batch"] = r.batchCount;
    }
    j["dtype"] = std::string(dtypeName(r.computeType));
    j["flops"] = r.flops;
    j["bytes"] = {{"l1", r.bytes[kL1]}, {"l2", r.bytes[kL2]}, {"l3", r.bytes[kL3]}, {"dram", r.bytes[kDram]}};
    j["comm_bytes"] = r.commBytes;
    j["compute_s"] = r.computeS;
    j["memory_s"] = {
        {"l1", r.memoryS[kL1]}, {"l2", r.memoryS[kL2]}, {"l3", r.memoryS[kL3]}, {"dram", r.memoryS[kDram]}};
    j["comm_s"] = r.commS;
    j["overhead_s"] = r.overheadS;
    j["time_s"] = r.timeS;
    j["total_s"] = r.totalS();
    j["bound"] = std::string(boundName(r.bound));
    return j;
}

nlohmann::json predictionJson(const Prediction& p, bool withOps) {
    nlohmann::json j;
    j["ok"] = p.ok;
    if (!p.ok) {
        j["error"] = p.error;
        return j;
    }
    j["latency_s"] = p.latencyS;
    j["tokens"] = p.tokens;
    j["tokens_per_s"] = p.tokensPerS;
    j["bound"] = std::string(boundName(p.bound));
    j["why"] = p.why;
    j["flops"] = p.flops;
    j["bytes"] = p.bytes;
    j["devices"] = p.devices;
    j["time_by_bound_s"] = {
        {"compute", p.computeS}, {"memory", p.memoryS}, {"communication", p.commS}, {"overhead", p.overheadS}};
    j["pipeline_bubble"] = p.pipelineBubble;
    j["energy_j"] = p.energyJ;
    const MemoryUse& m = p.memory;
    j["memory"] = {{"weights_bytes", m.weightsBytes},
                   {"kv_cache_bytes", m.kvCacheBytes},
                   {"activation_bytes", m.activationBytes},
                   {"workspace_bytes", m.workspaceBytes},
                   {"total_bytes", m.totalBytes},
                   {"capacity_bytes", m.capacityBytes},
                   {"fits", m.fits},
                   {"max_batch", m.maxBatch},
                   {"max_context", m.maxContext}};
    j["fits"] = m.fits;
    j["notes"] = p.notes;
    if (withOps) {
        nlohmann::json ops = nlohmann::json::array();
        for (const auto& r : p.ops)
            ops.push_back(opJson(r));
        j["ops"] = ops;
    }
    return j;
}

void printCsv(std::ostream& os, const std::vector<std::string>& header,
              const std::vector<std::vector<std::string>>& rows) {
    auto cell = [&](const std::string& s) {
        if (s.find_first_of(",\"\n") == std::string::npos)
            return s;
        std::string q = "\"";
        for (char c : s) {
            if (c == '"')
                q += '"';
            q += c;
        }
        return q + "\"";
    };
    auto line = [&](const std::vector<std::string>& cells) {
        for (std::size_t i = 0; i < cells.size(); ++i)
            os << (i ? "," : "") << cell(cells[i]);
        os << "\n";
    };
    line(header);
    for (const auto& r : rows)
        line(r);
}

std::string csvText(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
    std::ostringstream os;
    printCsv(os, header, rows);
    return os.str();
}

std::vector<std::string> opTableHeader() {
    return {"operator", "class", "count", "shape (m x n x k)", "flops", "DRAM bytes", "L2 bytes", "time",
            "total",    "share", "bound"};
}

std::vector<std::vector<std::string>> opTableRows(const Prediction& p) {
    double total = 0;
    for (const auto& r : p.ops)
        total += r.totalS();
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : p.ops) {
        std::string shape;
        if (r.cls == OpClass::Gemm) {
            shape = std::to_string(r.m) + " x " + std::to_string(r.n) + " x " + std::to_string(r.k);
            if (r.batchCount != 1)
                shape += " (x" + fmtNum(r.batchCount, 3) + ")";
        }
        rows.push_back({r.name, std::string(opClassName(r.cls)), fmtNum(r.count, 4), shape, fmtFlops(r.flops),
                        fmtBytes(r.bytes[kDram]), fmtBytes(r.bytes[kL2]), fmtSeconds(r.timeS), fmtSeconds(r.totalS()),
                        fmtNum(total > 0 ? 100.0 * r.totalS() / total : 0, 3) + "%", std::string(boundName(r.bound))});
    }
    return rows;
}

std::string csvNum(double v) {
    if (!std::isfinite(v))
        return {};
    // Shortest text that reads back as the same double (std::to_chars): exact, and 39829303296 flops stay whole.
    char b[48];
    const auto r = std::to_chars(b, b + sizeof b, v);
    return std::string(b, r.ptr);
}

std::vector<std::string> opCsvHeader() {
    return {"step",  "operator",   "class",    "count",  "m",       "n",     "k",    "gemm_batch",
            "flops", "dram_bytes", "l2_bytes", "time_s", "total_s", "share", "bound"};
}

std::vector<std::vector<std::string>> opCsvRows(const Prediction& p, const std::string& step) {
    double total = 0;
    for (const auto& r : p.ops)
        total += r.totalS();
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : p.ops) {
        const bool gemm = r.cls == OpClass::Gemm;
        rows.push_back({step, r.name, std::string(opClassName(r.cls)), csvNum(r.count),
                        gemm ? std::to_string(r.m) : std::string(), gemm ? std::to_string(r.n) : std::string(),
                        gemm ? std::to_string(r.k) : std::string(), gemm ? csvNum(r.batchCount) : std::string(),
                        csvNum(r.flops), csvNum(r.bytes[kDram]), csvNum(r.bytes[kL2]), csvNum(r.timeS),
                        csvNum(r.totalS()), csvNum(total > 0 ? r.totalS() / total : 0),
                        std::string(boundName(r.bound))});
    }
    return rows;
}

std::string markupEscape(const std::string& s) {
    std::string o;
    o.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '&':
            o += "&amp;";
            break;
        case '<':
            o += "&lt;";
            break;
        case '>':
            o += "&gt;";
            break;
        case '"':
            o += "&quot;";
            break;
        default:
            o += c;
        }
    }
    return o;
}

void addConfidenceJson(nlohmann::json& j, const Confidence& c) {
    j["confidence"] = std::string(confidenceLevelName(c.level));
    j["confidence_mape_percent"] = c.mapeKnown() ? nlohmann::json(c.mapePct) : nlohmann::json(nullptr);
    j["confidence_basis"] = c.summary();
}

std::vector<std::string> confidenceCsvColumns() {
    return {"confidence", "confidence_mape_percent", "confidence_basis"};
}

std::vector<std::string> confidenceCsvCells(const Confidence& c) {
    return {std::string(confidenceLevelName(c.level)), c.mapeKnown() ? csvNum(c.mapePct) : std::string(), c.summary()};
}

std::vector<std::string> confidenceCsvHeader() {
    std::vector<std::string> h{"prediction"};
    for (auto& c : confidenceCsvColumns())
        h.push_back(std::move(c));
    return h;
}

std::vector<std::string> confidenceCsvRow(const std::string& prediction, const Confidence& c) {
    std::vector<std::string> r{prediction};
    for (auto& x : confidenceCsvCells(c))
        r.push_back(std::move(x));
    return r;
}

} // namespace rooflab::report
