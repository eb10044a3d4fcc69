// The report's Serving section: the serving study on the report's scenario, its tables, JSON and plots.
#include "report/serving_section.hpp"

#include "io/csv.hpp"
#include "io/data_paths.hpp"
#include "io/stack_loader.hpp"
#include "report/format.hpp"
#include "units/errors.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

namespace rooflab::report {
namespace {

constexpr Rgb kCompute{31, 119, 180}, kMemory{214, 39, 40}, kAccent{255, 127, 14}, kGrey{170, 170, 170};

PlotSeries series(std::string name, SeriesKind kind, Rgb color, double widthPx = 2, LineStyle line = LineStyle::Solid) {
    PlotSeries s;
    s.name = std::move(name);
    s.kind = kind;
    s.color = color;
    s.widthPx = widthPx;
    s.line = line;
    return s;
}

std::string sloText(const serving::DeploymentSlo& slo) {
    std::string t;
    if (slo.ttftMaxS > 0)
        t += "TTFT ≤ " + fmtSeconds(slo.ttftMaxS);
    if (slo.tpotMaxS > 0)
        t += std::string(t.empty() ? "" : ", ") + "TPOT ≤ " + fmtSeconds(slo.tpotMaxS);
    return t;
}

std::vector<std::string> candidateRow(const serving::DeploymentCandidate& c) {
    return {serving::describeDeployment(c.deployment),
            std::to_string(c.gpus),
            std::to_string(c.concurrency),
            fmtSeconds(c.ttftS),
            fmtSeconds(c.tpotS),
            fmtNum(c.outputTokensPerSPerGpu, 5),
            fmtNum(c.outputTokensPerSPerUser, 4)};
}

const std::vector<std::string> kCandidateHeader = {"layout", "GPUs",         "concurrency",  "TTFT",
                                                   "TPOT",   "tokens/s/GPU", "tokens/s/user"};

} // namespace

std::string shippedServingDataset() {
    for (const std::string& dir : io::dataDirs()) {
        const std::filesystem::path f =
            std::filesystem::path(dir) / "datasets" / "public" / "aic-silicon" / "e2e_h100_h200.csv";
        std::error_code ec;
        if (std::filesystem::is_regular_file(f, ec))
            return f.string();
    }
    return {};
}

ServingReportData computeServingReport(const ReportData& d, const ServingReportInput& in) {
    ServingReportData s;
    if (in.mode != "agg" && in.mode != "disagg")
        throw InputError("", 0, "--serving-mode", "'" + in.mode + "' is not agg or disagg");
    if (in.prefillWorkers < 1 || in.decodeWorkers < 1)
        throw InputError("", 0, "--prefill-workers", "workers must be at least 1");
    if (in.searchGpus < 0)
        throw InputError("", 0, "--search-gpus", "the GPU budget must be 0 (no search) or more");
    if (in.ttftMaxS < 0 || in.tpotMaxS < 0)
        throw InputError("", 0, "--ttft-max", "SLO limits must be 0 (none) or positive seconds");
    s.stack = io::loadStack(in.stack);
    const bool disagg = in.mode == "disagg";
    serving::ServingStudyConfig& c = s.config;
    c.deployment = serving::scenarioDeployment(
        d.scenario, disagg ? serving::DeploymentMode::Disaggregated : serving::DeploymentMode::Aggregated,
        in.prefillWorkers, in.decodeWorkers);
    c.concurrency = in.concurrency;
    c.inputTokens = in.isl > 0 ? in.isl : d.scenario.prompt;
    c.outputTokens = in.osl > 0 ? in.osl : d.scenario.outputTokens;
    c.searchGpus = in.searchGpus;
    c.searchAggregated = !disagg;
    c.searchDisaggregated = disagg;
    c.slo.ttftMaxS = in.ttftMaxS;
    c.slo.tpotMaxS = in.tpotMaxS;
    s.study = serving::runServingStudy(d.platformModel, d.arch, s.stack, d.scenario, c);
    s.confidence = resolveConfidence(shippedValidationStatus(), d.platform, &s.stack, PredictionScope::Serving);
    s.dataset = in.dataset;
    if (!in.dataset.empty()) {
        io::Catalog catalog;
        const io::CsvTable table = io::loadCsvFile(in.dataset);
        s.measured = serving::measuredServingPoints(
            table, catalog, serving::measuredQueryFor(d.arch, d.platform.name, c.inputTokens, c.outputTokens));
    }

    s.curve.header = {"concurrency",
                      "ttft_s",
                      "ttft_p90_s",
                      "tpot_s",
                      "tpot_p90_s",
                      "e2e_s",
                      "output_tokens_per_s",
                      "output_tokens_per_s_per_gpu",
                      "output_tokens_per_s_per_user",
                      "mean_decode_batch",
                      "peak_kv_utilization",
                      "gpus",
                      "error"};
    for (const serving::ServingStudyPoint& p : s.study.points) {
        const serving::ServingResult& r = p.result;
        if (!r.ok) {
            s.curve.rows.push_back(
                {std::to_string(p.concurrency), "", "", "", "", "", "", "", "", "", "", "", r.error});
            continue;
        }
        s.curve.rows.push_back({std::to_string(p.concurrency), fmtNum(r.ttftS.mean, 5), fmtNum(r.ttftS.p90, 5),
                                fmtNum(r.tpotS.mean, 5), fmtNum(r.tpotS.p90, 5), fmtNum(r.e2eS.mean, 5),
                                fmtNum(r.outputTokensPerS, 5), fmtNum(r.outputTokensPerSPerGpu, 5),
                                fmtNum(r.outputTokensPerSPerUser, 5), fmtNum(r.meanDecodeBatch, 4),
                                fmtNum(r.peakKvUtilization, 3), std::to_string(r.gpus), ""});
    }
    s.pareto.header = kCandidateHeader;
    for (std::size_t i : s.study.search.pareto)
        s.pareto.rows.push_back(candidateRow(s.study.search.candidates[i]));
    s.best.header = kCandidateHeader;
    if (s.study.search.best)
        s.best.rows.push_back(candidateRow(s.study.search.candidates[*s.study.search.best]));
    s.measuredTable.header = {"id",
                              "backend",
                              "mode",
                              "gpu",
                              "concurrency",
                              "gpus",
                              "ttft_s",
                              "tpot_s",
                              "output_tokens_per_s_per_gpu",
                              "output_tokens_per_s_per_user"};
    for (const serving::MeasuredServingPoint& m : s.measured)
        s.measuredTable.rows.push_back({m.id, m.backend, m.mode, m.gpu, std::to_string(m.concurrency),
                                        std::to_string(m.gpus), fmtNum(m.ttftS, 5), fmtNum(m.tpotS, 5),
                                        fmtNum(m.outputTokensPerSPerGpu, 5), fmtNum(m.outputTokensPerSPerUser, 5)});
    return s;
}

std::string servingSummary(const ServingReportData& s) {
    std::string t = s.stack.name + ", " + serving::describeDeployment(s.config.deployment) + ", ISL " +
                    std::to_string(s.config.inputTokens) + ", OSL " + std::to_string(s.config.outputTokens) +
                    ", closed loop";
    if (s.config.searchGpus > 0)
        t += "; deployment search on " + std::to_string(s.config.searchGpus) + " GPUs (" +
             (s.config.searchDisaggregated ? "disaggregated" : "aggregated") + " layouts)";
    const std::string slo = sloText(s.config.slo);
    if (!slo.empty())
        t += " under " + slo;
    return t;
}

std::string servingBestLine(const ServingReportData& s) {
    if (!s.study.search.best)
        return {};
    const serving::DeploymentCandidate& c = s.study.search.candidates[*s.study.search.best];
    const std::string slo = sloText(s.config.slo);
    return (slo.empty() ? "best layout: " : "best layout under " + slo + ": ") +
           serving::describeDeployment(c.deployment) + " at concurrency " + std::to_string(c.concurrency) + ", TTFT " +
           fmtSeconds(c.ttftS) + ", TPOT " + fmtSeconds(c.tpotS) + ", " + fmtNum(c.outputTokensPerSPerGpu, 5) +
           " tokens/s/GPU, " + fmtNum(c.outputTokensPerSPerUser, 4) + " tokens/s/user";
}

nlohmann::json servingJson(const ServingReportData& s) {
    auto candidate = [](const serving::DeploymentCandidate& c) {
        return nlohmann::json{{"layout", serving::describeDeployment(c.deployment)},
                              {"gpus", c.gpus},
                              {"concurrency", c.concurrency},
                              {"ttft_s", c.ttftS},
                              {"tpot_s", c.tpotS},
                              {"output_tokens_per_s_per_gpu", c.outputTokensPerSPerGpu},
                              {"output_tokens_per_s_per_user", c.outputTokensPerSPerUser}};
    };
    nlohmann::json curve = nlohmann::json::array();
    for (const serving::ServingStudyPoint& p : s.study.points) {
        const serving::ServingResult& r = p.result;
        nlohmann::json row{{"concurrency", p.concurrency}, {"ok", r.ok}};
        if (r.ok) {
            row["ttft_s"] = r.ttftS.mean;
            row["tpot_s"] = r.tpotS.mean;
            row["e2e_s"] = r.e2eS.mean;
            row["output_tokens_per_s_per_gpu"] = r.outputTokensPerSPerGpu;
            row["output_tokens_per_s_per_user"] = r.outputTokensPerSPerUser;
            row["gpus"] = r.gpus;
        } else {
            row["error"] = r.error;
        }
        curve.push_back(row);
    }
    nlohmann::json front = nlohmann::json::array();
    for (std::size_t i : s.study.search.pareto)
        front.push_back(candidate(s.study.search.candidates[i]));
    nlohmann::json j{{"stack", s.stack.name},
                     {"deployment", serving::describeDeployment(s.config.deployment)},
                     {"isl", s.config.inputTokens},
                     {"osl", s.config.outputTokens},
                     {"curve", curve},
                     {"search_gpus", s.config.searchGpus},
                     {"search_candidates", s.study.search.candidates.size()},
                     {"pareto", front},
                     {"measured_points", s.measured.size()}};
    if (s.config.slo.ttftMaxS > 0)
        j["ttft_max_s"] = s.config.slo.ttftMaxS;
    if (s.config.slo.tpotMaxS > 0)
        j["tpot_max_s"] = s.config.slo.tpotMaxS;
    if (s.study.search.best)
        j["best"] = candidate(s.study.search.candidates[*s.study.search.best]);
    return j;
}

std::vector<PlotSpec> servingPlots(const ReportData& d, const ServingReportData& s) {
    std::vector<PlotSpec> out;
    constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
    // TTFT and TPOT (ms) and tokens/s per GPU vs concurrency.
    {
        PlotSpec spec;
        spec.name = "serving_vs_concurrency";
        spec.title = d.arch.name + " on " + d.platform.name + ": TTFT, TPOT and throughput vs concurrency (" +
                     s.stack.name + ", " + serving::describeDeployment(s.config.deployment) + ")";
        spec.caption = "Serving: TTFT, TPOT and output tokens/s per GPU vs concurrency";
        spec.x.label = "concurrency (clients)";
        spec.x.log = true;
        spec.y.label = "latency (ms)";
        spec.y.log = true;
        spec.y2.label = "output tokens/s per GPU";
        spec.y2.log = true;
        spec.y2.labelColor = kAccent;
        spec.hasY2 = true;
        spec.legend = LegendCorner::TopLeft;
        PlotSeries ttft = series("TTFT", SeriesKind::Line, kCompute), tpot = series("TPOT", SeriesKind::Line, kMemory),
                   tput = series("tokens/s per GPU", SeriesKind::Line, kAccent, 2, LineStyle::Dash);
        tput.rightAxis = true;
        for (const serving::ServingStudyPoint& p : s.study.points) {
            const bool ok = p.result.ok && p.result.ttftS.mean > 0 && p.result.tpotS.mean > 0;
            for (PlotSeries* ser : {&ttft, &tpot, &tput})
                ser->x.push_back(p.concurrency);
            ttft.y.push_back(ok ? p.result.ttftS.mean * 1e3 : kNaN);
            tpot.y.push_back(ok ? p.result.tpotS.mean * 1e3 : kNaN);
            tput.y.push_back(ok ? p.result.outputTokensPerSPerGpu : kNaN);
        }
        if (!ttft.x.empty()) {
            spec.x.min = ttft.x.front() / 1.5;
            spec.x.max = std::max(ttft.x.back() * 1.5, spec.x.min * 4);
        }
        spec.series = {ttft, tpot, tput};
        out.push_back(std::move(spec));
    }
    // Tokens/s per GPU vs tokens/s per user.
    {
        PlotSpec spec;
        spec.name = "serving_pareto";
        spec.title = d.arch.name + ": output tokens/s per GPU vs per user — " +
                     std::to_string(s.study.search.pareto.size()) + " on the front, " +
                     std::to_string(s.measured.size()) + " measured";
        spec.caption = "Serving: tokens/s per GPU vs tokens/s per user (deployment search, scenario, measured)";
        spec.x.label = "output tokens/s per user";
        spec.x.log = true;
        spec.y.label = "output tokens/s per GPU";
        spec.y.log = true;
        spec.legend = LegendCorner::TopRight;
        PlotSeries all = series("search candidates", SeriesKind::Scatter, kGrey, 5);
        PlotSeries front = series("pareto front", SeriesKind::Line, kCompute);
        PlotSeries scen = series("scenario", SeriesKind::Line, kMemory, 1.5, LineStyle::Dash);
        PlotSeries meas = series("measured (aic-silicon)", SeriesKind::Scatter, kAccent, 9);
        PlotSeries best =
            series(sloText(s.config.slo).empty() ? "best" : "best under SLO", SeriesKind::Scatter, {0, 0, 0}, 13);
        const auto& cands = s.study.search.candidates;
        for (const serving::DeploymentCandidate& c : cands)
            if (c.ok && c.outputTokensPerSPerUser > 0 && c.outputTokensPerSPerGpu > 0) {
                all.x.push_back(c.outputTokensPerSPerUser);
                all.y.push_back(c.outputTokensPerSPerGpu);
            }
        std::vector<std::size_t> order = s.study.search.pareto;
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            return cands[a].outputTokensPerSPerUser < cands[b].outputTokensPerSPerUser;
        });
        for (std::size_t i : order) {
            front.x.push_back(cands[i].outputTokensPerSPerUser);
            front.y.push_back(cands[i].outputTokensPerSPerGpu);
        }
        for (const serving::ServingStudyPoint& p : s.study.points)
            if (p.result.ok && p.result.outputTokensPerSPerUser > 0 && p.result.outputTokensPerSPerGpu > 0) {
                scen.x.push_back(p.result.outputTokensPerSPerUser);
                scen.y.push_back(p.result.outputTokensPerSPerGpu);
            }
        // The scenario's line runs from low to high tokens/s per user.
        std::vector<std::size_t> idx(scen.x.size());
        for (std::size_t i = 0; i < idx.size(); ++i)
            idx[i] = i;
        std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return scen.x[a] < scen.x[b]; });
        PlotSeries sorted = scen;
        for (std::size_t i = 0; i < idx.size(); ++i) {
            sorted.x[i] = scen.x[idx[i]];
            sorted.y[i] = scen.y[idx[i]];
        }
        for (const serving::MeasuredServingPoint& m : s.measured) {
            meas.x.push_back(m.outputTokensPerSPerUser);
            meas.y.push_back(m.outputTokensPerSPerGpu);
        }
        if (s.study.search.best) {
            best.x.push_back(cands[*s.study.search.best].outputTokensPerSPerUser);
            best.y.push_back(cands[*s.study.search.best].outputTokensPerSPerGpu);
        }
        spec.series = {all, front, sorted, meas, best};
        out.push_back(std::move(spec));
    }
    // Batch and KV cache over time at the highest concurrency that simulated.
    const serving::ServingStudyPoint* last = nullptr;
    for (const serving::ServingStudyPoint& p : s.study.points)
        if (p.result.ok && !p.result.iterations.empty())
            last = &p;
    if (last) {
        PlotSpec spec;
        spec.name = "serving_timeline";
        spec.title = "Batch and KV cache over time at concurrency " + std::to_string(last->concurrency);
        spec.caption = "Serving: decode batch, prefill prompts and KV-cache use over simulated time";
        spec.x.label = "simulated time (s)";
        spec.y.label = "sequences per iteration";
        spec.y2.label = "KV cache used (%)";
        spec.y2.min = 0;
        spec.y2.max = 105;
        spec.y2.labelColor = kMemory;
        spec.hasY2 = true;
        spec.legend = LegendCorner::BottomRight;
        PlotSeries batch = series("decode batch", SeriesKind::Line, kCompute, 1.5);
        PlotSeries prefill = series("prefill prompts", SeriesKind::Line, kAccent, 1);
        PlotSeries kv = series("KV cache %", SeriesKind::Line, kMemory, 1.5);
        kv.rightAxis = true;
        const serving::ServingResult& r = last->result;
        const double blocks = double(std::max<int64_t>(1, r.kv.blocks));
        // At most ~2000 iterations per series: the SVG stays small, the shape stays.
        const auto firstEngine = std::count_if(r.iterations.begin(), r.iterations.end(),
                                               [](const serving::IterationStat& it) { return it.worker == 0; });
        const int64_t stride = std::max<int64_t>(1, (firstEngine + 1999) / 2000);
        int64_t n = 0;
        for (const serving::IterationStat& it : r.iterations) {
            if (it.worker != 0 || n++ % stride != 0)
                continue;
            if (it.pool != serving::PoolRole::Prefill) {
                batch.x.push_back(it.startS);
                batch.y.push_back(it.decodeSeqs);
                kv.x.push_back(it.startS);
                kv.y.push_back(100.0 * double(it.kvBlocksUsed) / blocks);
            }
            if (it.pool != serving::PoolRole::Decode) {
                prefill.x.push_back(it.startS);
                prefill.y.push_back(it.prefillSeqs);
            }
        }
        spec.series = {batch, prefill, kv};
        out.push_back(std::move(spec));
    }
    return out;
}

} // namespace rooflab::report
