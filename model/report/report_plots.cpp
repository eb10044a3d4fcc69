// The report's plots as data (PlotSpec) from the predictions, and their rendering through a PlotRenderer.
#include "report/format.hpp"
#include "report/report.hpp"
#include "report/serving_section.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <stdexcept>

namespace rooflab::report {

namespace {

void step(const ReportProgress& progress, int done, int total, const std::string& stage) {
    if (progress && !progress(done, total, stage))
        throw ReportCancelled();
}

} // namespace

namespace {

constexpr Rgb kCompute{31, 119, 180}, kMemory{214, 39, 40}, kComm{44, 160, 44}, kOverhead{127, 127, 127},
    kAccent{255, 127, 14};

PlotAxis axis(std::string label, bool log = false) {
    PlotAxis a;
    a.label = std::move(label);
    a.log = log;
    return a;
}

PlotSeries series(std::string name, SeriesKind kind, Rgb color, double widthPx = 2, LineStyle line = LineStyle::Solid,
                  std::vector<double> x = {}, std::vector<double> y = {}) {
    PlotSeries s;
    s.name = std::move(name);
    s.kind = kind;
    s.color = color;
    s.widthPx = widthPx;
    s.line = line;
    s.x = std::move(x);
    s.y = std::move(y);
    return s;
}

std::string siText(double v, const std::string& unit, int digits = 4) {
    static const std::pair<double, const char*> kPrefixes[] = {{1e15, "P"}, {1e12, "T"}, {1e9, "G"},  {1e6, "M"},
                                                               {1e3, "k"},  {1, ""},     {1e-3, "m"}, {1e-6, "µ"}};
    for (const auto& [f, p] : kPrefixes)
        if (std::fabs(v) >= f)
            return fmtNum(v / f, digits) + " " + p + unit;
    return fmtNum(v, digits) + " " + unit;
}

PlotSpec rooflineSpec(const ReportData& d, const Prediction& p, const std::string& name, const std::string& what) {
    const PlatformModel& pm = d.platformModel;
    PlotSpec spec;
    spec.name = name;
    spec.x = axis("arithmetic intensity (flop / DRAM byte)", true);
    spec.y = axis("achieved (TFLOP/s)", true);
    spec.legend = LegendCorner::BottomRight;
    double xMin = 0.1, xMax = 1e4;
    PlotSeries groups[4] = {series("compute-bound ops", SeriesKind::Scatter, kCompute, 9),
                            series("memory-bound ops", SeriesKind::Scatter, kMemory, 9),
                            series("communication-bound ops", SeriesKind::Scatter, kComm, 9),
                            series("overhead-bound ops", SeriesKind::Scatter, kOverhead, 9)};
    int skipped = 0, shown = 0;
    double yMin = 1e300;
    for (const OpResult& op : p.ops) {
        if (op.flops <= 0 || op.bytes[kDram] <= 0 || op.timeS <= 0) {
            ++skipped;
            continue;
        }
        const double ix = op.flops / op.bytes[kDram];
        const double iy = op.flops / op.timeS / 1e12;
        int g = 0;
        switch (op.bound) {
        case Bound::Compute:
            g = 0;
            break;
        case Bound::L1:
        case Bound::L2:
        case Bound::L3:
        case Bound::Dram:
            g = 1;
            break;
        case Bound::Communication:
            g = 2;
            break;
        case Bound::Overhead:
        case Bound::Launch:
            g = 3;
            break;
        }
        groups[g].x.push_back(ix);
        groups[g].y.push_back(iy);
        xMin = std::min(xMin, ix / 3);
        xMax = std::max(xMax, ix * 3);
        yMin = std::min(yMin, iy / 3);
        ++shown;
    }
    // Datatype ceilings (dense peaks), de-duplicated by value: "bf16/fp16 989 TFLOP/s".
    std::map<double, std::string, std::greater<>> peaks;
    for (std::size_t t = 0; t < kDTypeCount; ++t)
        if (pm.tensorPeak[t] > 0) {
            auto& n = peaks[pm.tensorPeak[t]];
            n += (n.empty() ? "" : "/") + std::string(dtypeName(DType(t)));
        }
    double yMax = 1;
    for (const auto& pk : peaks)
        yMax = std::max(yMax, pk.first / 1e12 * 3);
    const double dramBw = pm.bandwidth[kDram];
    const Rgb ceilingColors[] = {{40, 40, 40}, {90, 60, 150}, {150, 90, 40}, {60, 120, 130}, {130, 130, 60}};
    int ci = 0;
    for (const auto& [peak, names] : peaks) {
        const double py = peak / 1e12;
        const double ridge = dramBw > 0 ? peak / dramBw : xMin;
        const Rgb c = ceilingColors[ci++ % 5];
        spec.series.push_back(series("peak " + names, SeriesKind::Line, c, 1.6, LineStyle::Solid,
                                     {std::max(ridge, xMin), xMax * 10}, {py, py}));
        spec.texts.push_back({xMax / 1.5, py * 1.05, names + " " + siText(peak, "FLOP/s"), c, true});
    }
    if (pm.vectorPeakFp32 > 0) {
        const double py = pm.vectorPeakFp32 / 1e12;
        spec.series.push_back(series("peak fp32 (vector)", SeriesKind::Line, {120, 120, 120}, 1.2, LineStyle::Dash,
                                     {dramBw > 0 ? std::max(pm.vectorPeakFp32 / dramBw, xMin) : xMin, xMax * 10},
                                     {py, py}));
    }
    // Memory ceilings: bandwidth x intensity up to the highest peak.
    const double topPeak = peaks.empty() ? 1e15 : peaks.begin()->first;
    const struct {
        int level;
        const char* name;
        Rgb color;
    } levels[] = {{kDram, "DRAM", kMemory}, {kL3, "L3", {230, 140, 40}}, {kL2, "L2", {190, 80, 170}}};
    for (const auto& lv : levels) {
        const double bw = pm.bandwidth[std::size_t(lv.level)];
        if (bw <= 0)
            continue;
        const double x0 = xMin / 10;
        spec.series.push_back(series(std::string(lv.name) + " " + siText(bw, "B/s"), SeriesKind::Line, lv.color, 1.6,
                                     lv.level == kDram ? LineStyle::Solid : LineStyle::Dash, {x0, topPeak / bw},
                                     {bw * x0 / 1e12, topPeak / 1e12}));
        yMin = std::min(yMin, bw * xMin / 1e12);
    }
    // Points above the lines.
    for (auto& g : groups)
        if (!g.x.empty())
            spec.series.push_back(std::move(g));
    spec.x.min = xMin;
    spec.x.max = xMax;
    spec.y.min = yMin < 1e299 ? std::max(yMin, 1e-6) : 1e-3;
    spec.y.max = yMax;
    spec.title = "Roofline — " + d.platform.name + " — " + what + ": " + std::to_string(shown) +
                 " operators, latency " + fmtSeconds(p.latencyS) + ", " + std::string(boundName(p.bound)) + "-bound";
    if (skipped > 0)
        spec.title += " (" + std::to_string(skipped) + " without flops or DRAM bytes not shown)";
    return spec;
}

/// `bandPct` > 0: the latency curve's error band, +- the validated (or fitted) MAPE of this platform x stack.
PlotSpec sweepSpec(const SweepCurve& c, const std::string& name, const std::string& title, double bandPct) {
    PlotSpec spec;
    spec.name = name;
    spec.title = title;
    spec.x = axis(c.xName == "batch" ? "batch (sequences)" : c.xName + " (tokens)", true);
    spec.y = axis("latency per step (ms)", true);
    spec.y2 = axis("throughput (tokens/s)", true);
    spec.y2.labelColor = kAccent;
    spec.hasY2 = true;
    spec.legend = LegendCorner::TopLeft;
    constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
    PlotSeries lat = series("latency", SeriesKind::Line, kCompute, 2, LineStyle::Solid, c.x);
    PlotSeries latNo = series("latency (does not fit)", SeriesKind::Line, {170, 170, 170}, 2, LineStyle::Dot, c.x);
    PlotSeries thr = series("throughput", SeriesKind::Line, kAccent, 2, LineStyle::Solid, c.x);
    PlotSeries thrNo = series("throughput (does not fit)", SeriesKind::Line, {200, 170, 140}, 2, LineStyle::Dot, c.x);
    thr.rightAxis = thrNo.rightAxis = true;
    for (std::size_t i = 0; i < c.x.size(); ++i) {
        const bool shown = std::isfinite(c.latencyS[i]) && c.latencyS[i] > 0;
        lat.y.push_back(shown && c.fits[i] ? c.latencyS[i] * 1e3 : kNaN);
        latNo.y.push_back(shown && !c.fits[i] ? c.latencyS[i] * 1e3 : kNaN);
        thr.y.push_back(shown && c.fits[i] ? c.tokensPerS[i] : kNaN);
        thrNo.y.push_back(shown && !c.fits[i] ? c.tokensPerS[i] : kNaN);
    }
    spec.series = {lat, latNo, thr, thrNo};
    if (bandPct > 0) {
        // Dashed bounds rather than a fill: every renderer draws lines, and the curves stay readable under them.
        const Rgb bandColor{120, 160, 210};
        PlotSeries lo = series("latency ±" + fmtNum(bandPct, 3) + " % (MAPE)", SeriesKind::Line, bandColor, 1,
                               LineStyle::Dash, c.x);
        PlotSeries hi =
            series("latency +" + fmtNum(bandPct, 3) + " %", SeriesKind::Line, bandColor, 1, LineStyle::Dash, c.x);
        hi.inLegend = false;
        for (double y : lat.y) {
            lo.y.push_back(y * (1 - bandPct / 100));
            hi.y.push_back(y * (1 + bandPct / 100));
        }
        spec.series.insert(spec.series.begin(), {lo, hi});
    }
    if (!c.x.empty()) {
        spec.x.min = c.x.front();
        spec.x.max = std::max(c.x.back(), c.x.front() * 2);
    }
    if (c.limit > 0 && !c.x.empty() && c.limit <= c.x.back() * 4)
        spec.markers.push_back(
            {c.limit, "memory limit: " + c.xName + " ≤ " + fmtNum(c.limit, 8), kMemory, LineStyle::Dash, 0.08});
    if (c.current > 0)
        spec.markers.push_back({c.current, "current " + fmtNum(c.current, 8), {60, 60, 60}, LineStyle::Dot, 0.16});
    return spec;
}

PlotSpec breakdownSpec(const Prediction& p, const std::string& name, const std::string& what) {
    PlotSpec spec;
    spec.name = name;
    spec.x.tickLabelAngleDeg = 50;
    spec.y = axis("time per step (ms, operator × count)");
    spec.barWidth = 0.7;
    PlotSeries bars[4] = {series("compute", SeriesKind::Bars, kCompute), series("memory", SeriesKind::Bars, kMemory),
                          series("communication", SeriesKind::Bars, kComm),
                          series("overhead", SeriesKind::Bars, kOverhead)};
    double sum[4] = {0, 0, 0, 0}, maxMs = 0;
    for (std::size_t i = 0; i < p.ops.size(); ++i) {
        const OpResult& op = p.ops[i];
        const double key = double(i + 1);
        const double total = op.totalS();
        const double overhead = std::min(total, op.overheadS * op.count);
        double part[4] = {0, 0, 0, 0};
        switch (op.bound) {
        case Bound::Compute:
            part[0] = total - overhead;
            part[3] = overhead;
            break;
        case Bound::L1:
        case Bound::L2:
        case Bound::L3:
        case Bound::Dram:
            part[1] = total - overhead;
            part[3] = overhead;
            break;
        case Bound::Communication:
            part[2] = total - overhead;
            part[3] = overhead;
            break;
        case Bound::Overhead:
        case Bound::Launch:
            part[3] = total;
            break;
        }
        for (int k = 0; k < 4; ++k) {
            bars[k].x.push_back(key);
            bars[k].y.push_back(part[k] * 1e3);
            sum[k] += part[k];
        }
        spec.x.categories.push_back({key, op.name});
        maxMs = std::max(maxMs, total * 1e3);
    }
    spec.series.assign(std::begin(bars), std::end(bars));
    spec.x.min = 0.3;
    spec.x.max = double(p.ops.size()) + 0.7;
    spec.y.min = 0;
    spec.y.max = std::max(maxMs * 1.1, 1e-6);
    const double total = sum[0] + sum[1] + sum[2] + sum[3];
    auto pct = [&](double v) { return fmtNum(total > 0 ? std::round(v / total * 100) : 0, 3); };
    spec.title = "Per-operator breakdown (" + what + ") — step " + fmtSeconds(p.latencyS) + ": compute " + pct(sum[0]) +
                 "%, memory " + pct(sum[1]) + "%, communication " + pct(sum[2]) + "%, overhead " + pct(sum[3]) + "%";
    return spec;
}

PlotSpec validationSpec(const ValidationReport& r, const std::string& platformName) {
    PlotSpec spec;
    spec.name = "predicted_vs_measured";
    spec.x = axis("measured (ms)", true);
    spec.y = axis("predicted (ms)", true);
    spec.legend = LegendCorner::TopLeft;
    spec.widthPx = spec.heightPx = 900;
    double lo = 1e300, hi = 0;
    PlotSeries pts = series("rows", SeriesKind::Scatter, kCompute, 8);
    for (const auto& row : r.rows)
        if (row.error.empty()) {
            lo = std::min({lo, row.measuredS * 1e3, row.predictedS * 1e3});
            hi = std::max({hi, row.measuredS * 1e3, row.predictedS * 1e3});
            pts.x.push_back(row.measuredS * 1e3);
            pts.y.push_back(row.predictedS * 1e3);
        }
    if (hi <= 0) {
        lo = 0.1;
        hi = 100;
    }
    lo /= 2;
    hi *= 2;
    const Rgb grey{150, 150, 150};
    spec.series.push_back(series("±10%", SeriesKind::Line, grey, 1, LineStyle::Dash, {lo, hi}, {lo * 1.1, hi * 1.1}));
    spec.series.push_back(series("-10%", SeriesKind::Line, grey, 1, LineStyle::Dash, {lo, hi}, {lo * 0.9, hi * 0.9}));
    spec.series.back().inLegend = false;
    spec.series.push_back(series("y = x", SeriesKind::Line, {40, 40, 40}, 1.2, LineStyle::Solid, {lo, hi}, {lo, hi}));
    spec.series.push_back(std::move(pts));
    spec.x.min = spec.y.min = lo;
    spec.x.max = spec.y.max = hi;
    spec.title = "Predicted vs measured on " + platformName + " — " + std::to_string(r.overall.n) + " rows, MAPE " +
                 fmtNum(r.overall.mapePct, 3) + "%, max |error| " + fmtNum(r.overall.maxAbsPct, 3) + "%";
    if (r.failed > 0)
        spec.title += " (" + std::to_string(r.failed) + " rows not evaluated)";
    return spec;
}

} // namespace

std::vector<PlotSpec> reportPlots(const ReportData& d) {
    std::vector<PlotSpec> out;
    const std::string ctx = std::to_string(d.decodeScenario.context);
    out.push_back(rooflineSpec(d, d.decode, "roofline", "decode step"));
    out.back().caption = "Decode step on the roofline (context " + ctx + ")";
    out.push_back(rooflineSpec(d, d.request.prefill, "roofline_prefill", "prefill"));
    out.back().caption = "Prefill on the roofline (prompt " + std::to_string(d.scenario.prompt) + ")";
    const std::string lim =
        d.batchCurve.limit > 0 ? " (batch ≤ " + fmtNum(d.batchCurve.limit, 8) + " fits)" : " (batch 1 does not fit)";
    out.push_back(sweepSpec(d.batchCurve, "latency_vs_batch",
                            "Decode latency and throughput vs batch — context " + ctx + lim, d.confidence.mapePct));
    out.back().caption = "Decode latency and throughput vs batch";
    out.push_back(sweepSpec(d.contextCurve, "latency_vs_context",
                            "Decode latency and throughput vs context — batch " + std::to_string(d.scenario.batch),
                            d.confidence.mapePct));
    out.back().caption = "Decode latency and throughput vs context";
    out.push_back(breakdownSpec(d.decode, "breakdown", "decode"));
    out.back().caption = "Decode step: per-operator breakdown";
    out.push_back(breakdownSpec(d.request.prefill, "breakdown_prefill", "prefill"));
    out.back().caption = "Prefill: per-operator breakdown";
    if (d.validation) {
        out.push_back(validationSpec(*d.validation, d.platform.name));
        out.back().caption = "Predicted vs measured";
    }
    if (d.serving)
        for (PlotSpec& spec : servingPlots(d, *d.serving))
            out.push_back(std::move(spec));
    return out;
}

std::vector<RenderedPlot> renderPlots(PlotRenderer& renderer, const std::vector<PlotSpec>& specs,
                                      const ReportProgress& progress) {
    const std::vector<PlotFormat> formats = renderer.imageFormats();
    if (formats.empty())
        throw std::runtime_error("the plot renderer makes no image format");
    std::vector<RenderedPlot> out;
    const int total = int(specs.size());
    for (int i = 0; i < total; ++i) {
        step(progress, i, total, "drawing " + specs[std::size_t(i)].name);
        const PlotSpec& s = specs[std::size_t(i)];
        out.push_back({s.name, s.caption, formats.front(), renderer.render(s, formats.front())});
    }
    step(progress, total, total, "plots drawn");
    return out;
}

PlotDocument reportDocument(const ReportData& d, const std::vector<PlotSpec>& specs,
                            const std::vector<RenderedPlot>& rendered) {
    PlotDocument doc;
    doc.title = "rooflab report: " + d.arch.name + " on " + d.platform.name;
    const Scenario& s = d.scenario;
    const Prediction& pf = d.request.prefill;
    const Prediction& dc = d.decode;
    doc.lines = {
        "Stack " + d.stack.name + ", TP " + std::to_string(s.tp) + ", PP " + std::to_string(s.pp) + ", EP " +
            std::to_string(s.ep) + ", weights " + d.input.weights + ", KV " + d.input.kv + ", activations " +
            d.input.act + "; batch " + std::to_string(s.batch) + ", prompt " + std::to_string(s.prompt) +
            ", decode context " + std::to_string(d.decodeScenario.context) + ", output " +
            std::to_string(s.outputTokens) + ".",
        "Confidence: " + d.confidence.summary() + ".",
        "Request: TTFT " + fmtSeconds(d.request.ttftS) + ", TPOT " + fmtSeconds(d.request.tpotS) + ", end-to-end " +
            fmtSeconds(d.request.e2eS) + ".",
        "Prefill: " + fmtSeconds(pf.latencyS) + " (" + fmtNum(pf.tokensPerS, 5) + " tokens/s). " + pf.why,
        "Decode step: " + fmtSeconds(dc.latencyS) + " (" + fmtNum(dc.tokensPerS, 5) + " tokens/s). " + dc.why,
        "Energy: " + fmtNum(d.request.energyPerTokenJ, 4) + " J per generated token, " +
            fmtNum(d.energyPerRequestJ, 4) + " J per request.",
        "Memory per device: " + fmtBytes(dc.memory.totalBytes) + " of " + fmtBytes(dc.memory.capacityBytes) + " (" +
            (dc.memory.fits ? "fits" : "does not fit") + ").",
        "Tables: report.md, prediction.json, *.csv; page: report.html.",
    };
    if (d.serving) {
        doc.lines.push_back("Serving: " + servingSummary(*d.serving) + ".");
        doc.lines.push_back("Serving confidence: " + d.serving->confidence.summary() + ".");
        if (const std::string best = servingBestLine(*d.serving); !best.empty())
            doc.lines.push_back("Serving " + best + ".");
        else if (d.serving->config.searchGpus > 0)
            doc.lines.push_back("Serving: no layout of the search meets the SLO.");
    }
    // The PDF carries the tables too, not only plots (issue 19): operators of each step and the platform with the
    // provenance of every value.
    doc.tables.push_back({"Prefill operators (per device)", opTableHeader(), opTableRows(pf)});
    doc.tables.push_back({"Decode operators (per device)", opTableHeader(), opTableRows(dc)});
    if (d.chunked)
        doc.tables.push_back({"Chunked step operators (per device)", opTableHeader(), opTableRows(*d.chunked)});
    if (d.serving) {
        doc.tables.push_back({"Serving vs concurrency", d.serving->curve.header, d.serving->curve.rows});
        doc.tables.push_back(
            {"Serving: Pareto front of the deployment search", d.serving->pareto.header, d.serving->pareto.rows});
        if (!d.serving->best.rows.empty())
            doc.tables.push_back({"Serving: best layout under the SLO", d.serving->best.header, d.serving->best.rows});
    }
    const Table values = platformValuesTable(d);
    doc.tables.push_back({"Platform " + d.platform.name, values.header, values.rows});
    const Table sources = platformSourcesTable(d);
    doc.tables.push_back({"Platform provenance", sources.header, sources.rows});
    doc.plots = specs;
    for (const auto& r : rendered) {
        doc.renderedPlots.push_back(r.bytes);
        doc.renderedFormat = r.format;
    }
    return doc;
}

} // namespace rooflab::report
