#include "plots/charts.hpp"

#include "models/table_models.hpp"
#include "plots/plot_style.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace rooflab::gui {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

QString u8(std::string_view s) {
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

void setupLegend(QCustomPlot* plot, Qt::Alignment where) {
    plot->legend->setVisible(true);
    plot->legend->setFont(QFont(plot->font().family(), 8));
    plot->axisRect()->insetLayout()->setInsetAlignment(0, where);
}

void fillStack(const style::StackedBars& s, double key, const TimeSplit& t) {
    s.compute->addData(key, t.computeS * 1e3);
    s.memory->addData(key, t.memoryS * 1e3);
    s.comm->addData(key, t.commS * 1e3);
    s.overhead->addData(key, t.overheadS * 1e3);
}
} // namespace

// ---------------------------------------------------------------- sweep

SweepPlot::SweepPlot(QWidget* parent) : PlotView(parent) {
    m_left = m_plot->axisRect(0);
    m_right = new QCPAxisRect(m_plot);
    // Title on top, the two axis rects side by side below it.
    QCPLayoutGrid* grid = m_plot->plotLayout();
    grid->take(m_left);
    auto* sub = new QCPLayoutGrid;
    grid->addElement(1, 0, sub);
    sub->addElement(0, 0, m_left);
    sub->addElement(0, 1, m_right);
    for (QCPAxisRect* r : {m_left, m_right}) {
        style::logAxis(r->axis(QCPAxis::atBottom));
        style::logAxis(r->axis(QCPAxis::atLeft));
        style::logAxis(r->axis(QCPAxis::atRight));
        r->axis(QCPAxis::atRight)->setVisible(true);
        r->axis(QCPAxis::atLeft)->setLabel(tr("latency per step (ms)"));
        r->axis(QCPAxis::atRight)->setLabel(tr("throughput (tokens/s)"));
        r->axis(QCPAxis::atRight)->setLabelColor(style::kAccent);
    }
}

void SweepPlot::fillRect(QCPAxisRect* rect, const SweepSeries& s, double current, bool inLegend) {
    QCPAxis* x = rect->axis(QCPAxis::atBottom);
    QCPAxis* yl = rect->axis(QCPAxis::atLeft);
    QCPAxis* yr = rect->axis(QCPAxis::atRight);
    const QString xn = QString::fromStdString(s.xName);
    x->setLabel(xn == QStringLiteral("batch") ? tr("batch (sequences)") : tr("%1 (tokens)").arg(xn));
    QCPGraph* lat = style::lineGraph(m_plot, x, yl, tr("latency vs %1").arg(xn), QPen(style::kCompute, 2));
    QCPGraph* latNo = style::lineGraph(m_plot, x, yl, tr("latency vs %1 (does not fit)").arg(xn),
                                       QPen(QColor(170, 170, 170), 2, Qt::DotLine));
    QCPGraph* thr = style::lineGraph(m_plot, x, yr, tr("throughput vs %1").arg(xn), QPen(style::kAccent, 2));
    QCPGraph* thrNo = style::lineGraph(m_plot, x, yr, tr("throughput vs %1 (does not fit)").arg(xn),
                                       QPen(QColor(200, 170, 140), 2, Qt::DotLine));
    // Whole columns in one setData each (x ascending: no sort); NaN leaves a gap between the fitting and the
    // not-fitting part of a curve.
    const auto n = qsizetype(s.points.size());
    QVector<double> xs(n), latY(n), latNoY(n), thrY(n), thrNoY(n);
    bool sorted = true;
    double lmin = 1e300, lmax = 0, tmin = 1e300, tmax = 0;
    for (qsizetype i = 0; i < n; ++i) {
        const SweepPoint& p = s.points[std::size_t(i)];
        xs[i] = p.x;
        sorted = sorted && (i == 0 || p.x >= xs[i - 1]);
        const bool shown = p.ok && p.latencyS > 0;
        latY[i] = shown && p.fits ? p.latencyS * 1e3 : kNaN;
        thrY[i] = shown && p.fits ? p.tokensPerS : kNaN;
        latNoY[i] = shown && !p.fits ? p.latencyS * 1e3 : kNaN;
        thrNoY[i] = shown && !p.fits ? p.tokensPerS : kNaN;
        if (!shown)
            continue;
        lmin = std::min(lmin, p.latencyS * 1e3);
        lmax = std::max(lmax, p.latencyS * 1e3);
        tmin = std::min(tmin, p.tokensPerS);
        tmax = std::max(tmax, p.tokensPerS);
    }
    if (m_bandPct > 0) {
        // Error band: the curve +- the MAPE this platform x stack was validated (or fitted) to, shaded.
        QVector<double> lo(n), hi(n);
        for (qsizetype i = 0; i < n; ++i) {
            lo[i] = latY[i] * (1 - m_bandPct / 100);
            hi[i] = latY[i] * (1 + m_bandPct / 100);
        }
        QColor fill = style::kCompute;
        fill.setAlpha(45);
        QCPGraph* bandLo = style::lineGraph(m_plot, x, yl, QString(), QPen(Qt::NoPen));
        QCPGraph* bandHi = style::lineGraph(
            m_plot, x, yl, tr("latency ±%1 % (%2)").arg(m_bandPct, 0, 'f', 1).arg(m_bandLabel), QPen(Qt::NoPen));
        bandHi->setBrush(fill);
        bandHi->setChannelFillGraph(bandLo);
        bandLo->setData(xs, lo, sorted);
        bandHi->setData(xs, hi, sorted);
        bandLo->removeFromLegend();
        if (!inLegend)
            bandHi->removeFromLegend();
    }
    lat->setData(xs, latY, sorted);
    thr->setData(xs, thrY, sorted);
    latNo->setData(xs, latNoY, sorted);
    thrNo->setData(xs, thrNoY, sorted);
    if (!inLegend)
        for (QCPGraph* g : {lat, latNo, thr, thrNo})
            g->removeFromLegend();
    if (!s.points.empty())
        x->setRange(s.points.front().x, std::max(s.points.back().x, s.points.front().x * 2));
    if (lmax > 0) {
        yl->setRange(lmin / 1.5, lmax * 1.5);
        yr->setRange(std::max(tmin / 1.5, 1e-3), tmax * 1.5);
    }
    auto vline = [&](double at, const QPen& pen, const QString& text, double yFrac) {
        auto* line = new QCPItemStraightLine(m_plot);
        line->setClipAxisRect(rect);
        line->point1->setAxes(x, yl);
        line->point2->setAxes(x, yl);
        line->point1->setCoords(at, 1);
        line->point2->setCoords(at, 2);
        line->setPen(pen);
        auto* label = new QCPItemText(m_plot);
        label->setClipAxisRect(rect);
        label->position->setAxes(x, yl);
        label->position->setAxisRect(rect);
        label->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
        label->position->setCoords(at, yFrac);
        // Keep the label inside the axis rect: right of the line in the left part, left of it near the right edge
        // (a memory limit close to the last point was cut off at the plot edge).
        const QCPRange r = x->range();
        const double frac =
            r.lower > 0 && r.upper > r.lower && at > 0 ? std::log(at / r.lower) / std::log(r.upper / r.lower) : 0.0;
        const bool leftOfLine = frac > 0.6;
        label->setPositionAlignment((leftOfLine ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter);
        label->setText(text);
        label->setColor(pen.color());
        label->setPadding(leftOfLine ? QMargins(0, 0, 4, 0) : QMargins(4, 0, 0, 0));
    };
    if (s.limit > 0 && !s.points.empty() && s.limit <= s.points.back().x * 4)
        vline(s.limit, QPen(style::kMemory, 1.5, Qt::DashLine), tr("memory limit: %1 ≤ %2").arg(xn).arg(s.limit), 0.08);
    if (current > 0)
        vline(current, QPen(QColor(60, 60, 60), 1, Qt::DotLine), tr("current %1").arg(current), 0.16);
}

void SweepPlot::setErrorBand(double mapePct, const QString& label) {
    m_bandPct = mapePct > 0 ? mapePct : 0.0;
    m_bandLabel = label;
}

void SweepPlot::setData(const SweepSeries& batch, const SweepSeries& context, double currentBatch,
                        double currentContext) {
    m_plot->clearPlottables();
    m_plot->clearItems();
    fillRect(m_left, batch, currentBatch, true);
    fillRect(m_right, context, currentContext, false);
    setupLegend(m_plot, Qt::AlignTop | Qt::AlignLeft);
    const QString lim = batch.limit > 0 ? tr("up to batch %1 fits").arg(batch.limit) : tr("batch 1 does not fit");
    setTitle(tr("Latency and throughput vs batch and vs %1 — %2").arg(QString::fromStdString(context.xName), lim));
    redraw();
}

// ---------------------------------------------------------------- breakdown

BreakdownPlot::BreakdownPlot(QWidget* parent) : PlotView(parent) {}

void BreakdownPlot::setData(const Prediction& p) {
    clearAll();
    const style::StackedBars bars = style::stackedBars(m_plot, QString(), 0.7);
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    double maxMs = 0;
    for (std::size_t i = 0; i < p.ops.size(); ++i) {
        const OpResult& op = p.ops[i];
        const double key = double(i + 1);
        fillStack(bars, key, splitTime(op));
        ticker->addTick(key, QString::fromUtf8(op.name));
        maxMs = std::max(maxMs, op.totalS() * 1e3);
    }
    style::linearAxis(m_plot->xAxis);
    style::linearAxis(m_plot->yAxis);
    m_plot->xAxis->setTicker(ticker);
    m_plot->xAxis->setTickLabelRotation(50);
    m_plot->xAxis->setSubTicks(false);
    m_plot->xAxis->setLabel(QString());
    m_plot->xAxis->setRange(0.3, double(p.ops.size()) + 0.7);
    m_plot->yAxis->setLabel(tr("time per step (ms, operator × count)"));
    m_plot->yAxis->setRange(0, std::max(maxMs * 1.1, 1e-6));
    setupLegend(m_plot, Qt::AlignTop | Qt::AlignRight);
    const TimeSplit t = splitTime(p);
    const double total = t.computeS + t.memoryS + t.commS + t.overheadS;
    auto pct = [&](double v) { return total > 0 ? QString::number(v / total * 100, 'f', 0) : QStringLiteral("0"); };
    if (!p.ok)
        setTitle(tr("Per-operator breakdown — infeasible: %1").arg(QString::fromStdString(p.error)));
    else
        setTitle(tr("Per-operator breakdown — step %1: compute %2%, memory %3%, communication %4%, overhead %5%")
                     .arg(formatSeconds(p.latencyS), pct(t.computeS), pct(t.memoryS), pct(t.commS), pct(t.overheadS)));
    redraw();
}

// ---------------------------------------------------------------- compare

ComparePlot::ComparePlot(QWidget* parent) : PlotView(parent) {}

void ComparePlot::setData(const std::vector<ComparedPlatform>& platforms) {
    clearAll();
    const style::StackedBars bars = style::stackedBars(m_plot, QString(), 0.55);
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    double maxMs = 0;
    for (std::size_t i = 0; i < platforms.size(); ++i) {
        const Prediction& p = platforms[i].prediction;
        const double key = double(i + 1);
        const double ms = p.ok ? p.latencyS * 1e3 : 0;
        // Scale the per-category split to the step latency (overlap and pipeline are in the latency).
        TimeSplit t = splitTime(p);
        const double sum = t.computeS + t.memoryS + t.commS + t.overheadS;
        const double f = sum > 0 ? p.latencyS / sum : 0;
        t = {t.computeS * f, t.memoryS * f, t.commS * f, t.overheadS * f};
        fillStack(bars, key, p.ok ? t : TimeSplit{});
        ticker->addTick(key, QString::fromStdString(platforms[i].name));
        maxMs = std::max(maxMs, ms);
        auto* label = new QCPItemText(m_plot);
        label->position->setCoords(key, ms);
        label->setPositionAlignment(Qt::AlignHCenter | Qt::AlignBottom);
        QString text;
        if (!p.ok)
            text = tr("invalid: %1").arg(QString::fromStdString(p.error));
        else
            text = tr("%1\n%2 tokens/s\n%3-bound%4")
                       .arg(formatSeconds(p.latencyS), QString::number(p.tokensPerS, 'f', 0), u8(boundName(p.bound)),
                            p.memory.fits ? QString() : tr("\ndoes not fit (max batch %1)").arg(p.memory.maxBatch));
        label->setText(text);
        label->setPadding(QMargins(2, 2, 2, 4));
    }
    style::linearAxis(m_plot->xAxis);
    style::linearAxis(m_plot->yAxis);
    m_plot->xAxis->setTicker(ticker);
    m_plot->xAxis->setSubTicks(false);
    m_plot->xAxis->setTickLabelRotation(0);
    m_plot->xAxis->setRange(0.4, double(platforms.size()) + 0.6);
    m_plot->xAxis->setLabel(QString());
    m_plot->yAxis->setLabel(tr("step latency (ms)"));
    m_plot->yAxis->setRange(0, std::max(maxMs * 1.35, 1e-6));
    setupLegend(m_plot, Qt::AlignTop | Qt::AlignRight);
    setTitle(tr("Platforms side by side — same workload and scenario"));
    redraw();
}

// ---------------------------------------------------------------- validation

ValidationPlot::ValidationPlot(QWidget* parent) : PlotView(parent) {}

void ValidationPlot::setData(const ValidationReport& r, const std::string& platformName) {
    clearAll();
    QCPAxis* x = m_plot->xAxis;
    QCPAxis* y = m_plot->yAxis;
    style::logAxis(x);
    style::logAxis(y);
    x->setLabel(tr("measured (ms)"));
    y->setLabel(tr("predicted (ms)"));
    double lo = 1e300, hi = 0;
    for (const auto& row : r.rows)
        if (row.error.empty()) {
            lo = std::min({lo, row.measuredS * 1e3, row.predictedS * 1e3});
            hi = std::max({hi, row.measuredS * 1e3, row.predictedS * 1e3});
        }
    if (hi <= 0) {
        lo = 0.1;
        hi = 100;
    }
    lo /= 2;
    hi *= 2;
    QCPGraph* upper = style::lineGraph(m_plot, x, y, tr("+10%"), QPen(QColor(150, 150, 150), 1, Qt::DashLine));
    QCPGraph* lower = style::lineGraph(m_plot, x, y, tr("-10%"), QPen(QColor(150, 150, 150), 1, Qt::DashLine));
    upper->setBrush(QColor(150, 150, 150, 50));
    upper->setChannelFillGraph(lower);
    lower->removeFromLegend();
    upper->setName(tr("±10% band"));
    QCPGraph* diag = style::lineGraph(m_plot, x, y, tr("y = x"), QPen(QColor(40, 40, 40), 1.2));
    for (double v : {lo, hi}) {
        upper->addData(v, v * 1.1);
        lower->addData(v, v * 0.9);
        diag->addData(v, v);
    }
    QCPGraph* pts = style::scatterGraph(m_plot, x, y, tr("rows"), style::kCompute, 8);
    for (const auto& row : r.rows)
        if (row.error.empty())
            pts->addData(row.measuredS * 1e3, row.predictedS * 1e3);
    x->setRange(lo, hi);
    y->setRange(lo, hi);
    setupLegend(m_plot, Qt::AlignTop | Qt::AlignLeft);
    QString t = tr("Predicted vs measured on %1 — %2 rows, MAPE %3%, max |error| %4%, within ±10%: %5%")
                    .arg(QString::fromStdString(platformName))
                    .arg(r.overall.n)
                    .arg(r.overall.mapePct, 0, 'f', 1)
                    .arg(r.overall.maxAbsPct, 0, 'f', 1)
                    .arg(r.overall.within10Pct, 0, 'f', 0);
    if (r.failed > 0)
        t += tr(" (%1 rows not evaluated)").arg(r.failed);
    if (r.rows.empty())
        t = tr("Predicted vs measured — load an end-to-end or GEMM dataset (CSV) with Ctrl+D");
    setTitle(t);
    redraw();
}

} // namespace rooflab::gui
