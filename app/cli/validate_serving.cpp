#include "validate_serving.hpp"

#include "codec/catalog.hpp"
#include "common.hpp"
#include "io/files.hpp"
#include "serving/serving_validation.hpp"
#include "units/errors.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

namespace rooflab::cli {
namespace {

std::string pct(double v) {
    return fmtNum(v, 3) + "%";
}
std::string signedPct(double v) {
    return (v >= 0 ? "+" : "") + fmtNum(v, 3) + "%";
}

nlohmann::json statsJson(const serving::ServingErrorStats& s) {
    return {{"n", s.n},
            {"ttft_mape_pct", s.ttftMapePct},
            {"ttft_median_ape_pct", s.ttftMedianPct},
            {"ttft_bias_pct", s.ttftBiasPct},
            {"tpot_mape_pct", s.tpotMapePct},
            {"tpot_median_ape_pct", s.tpotMedianPct},
            {"tpot_bias_pct", s.tpotBiasPct}};
}

/// The predicted rows with the largest |error| of TTFT (ttft) or TPOT.
std::vector<const serving::ServingValidationRow*> weakest(const serving::ServingValidationReport& rep, bool ttft,
                                                          std::size_t count) {
    std::vector<const serving::ServingValidationRow*> v;
    for (const auto& r : rep.rows)
        if (r.predicted)
            v.push_back(&r);
    auto err = [ttft](const serving::ServingValidationRow* r) {
        return std::abs(ttft ? r->ttftErrorPct : r->tpotErrorPct);
    };
    std::stable_sort(v.begin(), v.end(), [&](auto* a, auto* b) { return err(a) > err(b); });
    if (v.size() > count)
        v.resize(count);
    return v;
}

nlohmann::json rowJson(const serving::ServingValidationRow& r) {
    nlohmann::json j{{"id", r.id},
                     {"line", r.line},
                     {"gpu", r.gpu},
                     {"backend", r.backend},
                     {"mode", r.mode},
                     {"model", r.model},
                     {"measured_ttft_s", r.measuredTtftS},
                     {"measured_tpot_s", r.measuredTpotS}};
    if (r.predicted) {
        j["gpus"] = r.gpus;
        j["predicted_ttft_s"] = r.predictedTtftS;
        j["predicted_tpot_s"] = r.predictedTpotS;
        j["ttft_error_pct"] = r.ttftErrorPct;
        j["tpot_error_pct"] = r.tpotErrorPct;
    } else {
        j["skipped"] = r.skipped;
    }
    return j;
}

std::vector<std::pair<std::string, std::size_t>> skippedByCount(const serving::ServingValidationReport& rep) {
    std::vector<std::pair<std::string, std::size_t>> v(rep.skipped.begin(), rep.skipped.end());
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    return v;
}

} // namespace

ServingGates parseServingGates(const std::string& text) {
    ServingGates g;
    auto number = [&](const std::string& s) {
        try {
            std::size_t used = 0;
            const double v = std::stod(s, &used);
            if (used == s.size() && v >= 0 && std::isfinite(v))
                return v;
        } catch (const std::logic_error&) {
        }
        throw InputError("", 0, "--max-mape", "'" + s + "' is not a percentage");
    };
    if (text.find('=') == std::string::npos) {
        g.ttftMape = g.tpotMape = number(text);
        return g;
    }
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        const auto eq = item.find('=');
        if (eq == std::string::npos)
            throw InputError("", 0, "--max-mape",
                             "'" + item +
                                 "' is not KEY=X (keys: ttft, tpot, ttft_median, "
                                 "tpot_median)");
        const std::string key = item.substr(0, eq);
        const double v = number(item.substr(eq + 1));
        if (key == "ttft")
            g.ttftMape = v;
        else if (key == "tpot")
            g.tpotMape = v;
        else if (key == "ttft_median")
            g.ttftMedian = v;
        else if (key == "tpot_median")
            g.tpotMedian = v;
        else
            throw InputError("", 0, "--max-mape",
                             "unknown key '" + key + "' (keys: ttft, tpot, ttft_median, tpot_median)");
    }
    return g;
}

bool runServingValidation(const io::CsvTable& table, const ServingValidateOptions& o, std::ostream& os,
                          std::vector<std::string>& exceeded) {
    const Format fmt = parseFormat(o.format);
    io::Catalog catalog;
    serving::ServingValidationOptions vo;
    vo.split = o.split;
    const serving::ServingValidationReport rep =
        serving::validateServingBenchmark(table, catalog, o.platform, o.threads, vo);
    const std::size_t total = rep.rows.size();
    const auto skipped = skippedByCount(rep);
    std::ostringstream out;
    if (fmt == Format::Json) {
        nlohmann::json j{{"dataset", table.file},
                         {"kind", "serving"},
                         {"rows", total},
                         {"predicted", rep.predicted},
                         {"threads", rep.threads},
                         {"wall_s", rep.wallS},
                         {"overall", statsJson(rep.overall)}};
        j["groups"] = nlohmann::json::array();
        for (const auto& [g, n] : rep.rowsPerGroup) {
            nlohmann::json jg;
            const auto it = rep.groups.find(g);
            jg = statsJson(it == rep.groups.end() ? serving::ServingErrorStats{} : it->second);
            jg["group"] = g;
            jg["rows"] = n;
            j["groups"].push_back(jg);
        }
        j["skipped"] = nlohmann::json::array();
        for (const auto& [why, n] : skipped)
            j["skipped"].push_back({{"reason", why}, {"rows", n}});
        for (const bool ttft : {true, false})
            for (const auto* r : weakest(rep, ttft, 10))
                j["weakest"][ttft ? "ttft" : "tpot"].push_back(rowJson(*r));
        j["row_results"] = nlohmann::json::array();
        for (const auto& r : rep.rows)
            j["row_results"].push_back(rowJson(r));
        out << j.dump(2) << "\n";
    } else if (fmt == Format::Csv) {
        std::vector<std::vector<std::string>> rows;
        for (const auto& r : rep.rows)
            rows.push_back({r.id, r.gpu, r.backend, r.mode, r.model, r.predicted ? std::to_string(r.gpus) : "",
                            fmtNum(r.measuredTtftS * 1e3, 6), r.predicted ? fmtNum(r.predictedTtftS * 1e3, 6) : "",
                            r.predicted ? fmtNum(r.ttftErrorPct, 4) : "", fmtNum(r.measuredTpotS * 1e3, 6),
                            r.predicted ? fmtNum(r.predictedTpotS * 1e3, 6) : "",
                            r.predicted ? fmtNum(r.tpotErrorPct, 4) : "", r.skipped});
        printCsv(out,
                 {"id", "gpu", "backend", "mode", "model", "gpus", "measured_ttft_ms", "predicted_ttft_ms",
                  "ttft_error_pct", "measured_tpot_ms", "predicted_tpot_ms", "tpot_error_pct", "skipped"},
                 rows);
    } else {
        out << table.file << " (serving benchmark): predicted " << rep.predicted << " of " << total << " rows ("
            << fmtNum(total ? 100.0 * double(rep.predicted) / double(total) : 0.0, 3) << "%) in "
            << fmtNum(rep.wallS, 3) << " s on " << rep.threads << (rep.threads == 1 ? " thread\n" : " threads\n");
        const auto& s = rep.overall;
        out << "  TTFT MAPE " << pct(s.ttftMapePct) << " (median " << pct(s.ttftMedianPct) << ", bias "
            << signedPct(s.ttftBiasPct) << "), TPOT MAPE " << pct(s.tpotMapePct) << " (median " << pct(s.tpotMedianPct)
            << ", bias " << signedPct(s.tpotBiasPct) << ")\n\n";
        std::vector<std::vector<std::string>> rows;
        for (const auto& [g, n] : rep.rowsPerGroup) {
            const auto it = rep.groups.find(g);
            std::istringstream parts(g);
            std::string gpu, backend, mode, model;
            parts >> gpu >> backend >> mode >> model;
            if (it == rep.groups.end()) {
                rows.push_back({gpu, backend, mode, model, "0/" + std::to_string(n), "-", "-", "-", "-"});
                continue;
            }
            const auto& gs = it->second;
            rows.push_back({gpu, backend, mode, model, std::to_string(gs.n) + "/" + std::to_string(n),
                            pct(gs.ttftMapePct), pct(gs.ttftMedianPct), pct(gs.tpotMapePct), pct(gs.tpotMedianPct)});
        }
        printTable(
            out,
            {"gpu", "backend", "mode", "model", "predicted", "TTFT MAPE", "TTFT median", "TPOT MAPE", "TPOT median"},
            rows);
        if (!skipped.empty()) {
            out << "\nnot predicted (" << total - rep.predicted << " rows):\n";
            std::size_t shown = 0;
            for (const auto& [why, n] : skipped) {
                if (++shown > 15) {
                    out << "  ... " << skipped.size() - 15 << " more reasons (--format json lists them)\n";
                    break;
                }
                out << "  " << n << "  " << why << "\n";
            }
        }
        for (const bool ttft : {true, false}) {
            const auto w = weakest(rep, ttft, 5);
            if (w.empty())
                continue;
            out << "\nweakest " << (ttft ? "TTFT" : "TPOT") << " rows:\n";
            std::vector<std::vector<std::string>> wr;
            for (const auto* r : w)
                wr.push_back({r->id, fmtSeconds(ttft ? r->measuredTtftS : r->measuredTpotS),
                              fmtSeconds(ttft ? r->predictedTtftS : r->predictedTpotS),
                              signedPct(ttft ? r->ttftErrorPct : r->tpotErrorPct)});
            printTable(out, {"row", "measured", "predicted", "error"}, wr);
        }
        if (o.rows) {
            out << "\n";
            std::vector<std::vector<std::string>> rr;
            for (const auto& r : rep.rows)
                rr.push_back({r.id, fmtSeconds(r.measuredTtftS), r.predicted ? fmtSeconds(r.predictedTtftS) : "-",
                              fmtSeconds(r.measuredTpotS), r.predicted ? fmtSeconds(r.predictedTpotS) : "-",
                              r.predicted ? "" : r.skipped});
            printTable(out, {"row", "TTFT measured", "predicted", "TPOT measured", "predicted", "not predicted"}, rr);
        }
        out << "\n";
    }
    os << out.str();
    if (!o.out.empty())
        io::writeFileAtomic(o.out, out.str(), "--out");

    const auto& s = rep.overall;
    const std::string name = table.file;
    auto gate = [&](double limit, double value, const char* what) {
        if (limit < 0)
            return;
        if (rep.predicted == 0)
            exceeded.push_back(name + ": no row predicted, so " + what + " cannot be checked");
        else if (value > limit)
            exceeded.push_back(name + ": " + what + " " + fmtNum(value, 3) + "% above --max-mape " + fmtNum(limit, 3) +
                               "%");
    };
    gate(o.gates.ttftMape, s.ttftMapePct, "TTFT MAPE");
    gate(o.gates.tpotMape, s.tpotMapePct, "TPOT MAPE");
    gate(o.gates.ttftMedian, s.ttftMedianPct, "TTFT median APE");
    gate(o.gates.tpotMedian, s.tpotMedianPct, "TPOT median APE");
    return rep.predicted == total;
}

} // namespace rooflab::cli
