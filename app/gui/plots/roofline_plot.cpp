#include "plots/roofline_plot.hpp"

#include "models/table_models.hpp"
#include "plots/plot_style.hpp"

#include <QToolTip>
#include <algorithm>
#include <cmath>
#include <map>

namespace rooflab::gui {

RooflinePlot::RooflinePlot(QWidget* parent) : PlotView(parent) {
    m_plot->setMouseTracking(true);
    connect(m_plot, &QCustomPlot::mouseMove, this, &RooflinePlot::onMouseMove);
}

void RooflinePlot::setData(const std::string& platformName, const PlatformModel& pm, const Prediction& p) {
    clearAll();
    m_points.clear();
    QCPAxis* x = m_plot->xAxis;
    QCPAxis* y = m_plot->yAxis;
    style::logAxis(x);
    style::logAxis(y);
    x->setLabel(tr("arithmetic intensity (flop / DRAM byte)"));
    y->setLabel(tr("achieved (TFLOP/s)"));

    // Operator points first, to size the axes around them.
    double xMin = 0.1, xMax = 1e4;
    struct Group {
        QString name;
        QColor color;
        QCPGraph* graph = nullptr;
    };
    Group groups[4] = {{tr("compute-bound ops"), style::kCompute, nullptr},
                       {tr("memory-bound ops"), style::kMemory, nullptr},
                       {tr("communication-bound ops"), style::kComm, nullptr},
                       {tr("overhead-bound ops"), style::kOverhead, nullptr}};
    int skipped = 0;
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
        if (!groups[g].graph)
            groups[g].graph = style::scatterGraph(m_plot, x, y, groups[g].name, groups[g].color, 9);
        groups[g].graph->addData(ix, iy);
        xMin = std::min(xMin, ix / 3);
        xMax = std::max(xMax, ix * 3);
        const QString shape = op.m > 0 ? QStringLiteral("%1×%2×%3").arg(op.m).arg(op.n).arg(op.k) : tr("n/a");
        m_points.push_back(
            {ix, iy,
             tr("<b>%1</b> (%2 ×%3)<br>shape %4<br>flops %5<br>DRAM %6, L2 %7<br>time %8 (total %9)<br>bound: %10")
                 .arg(QString::fromUtf8(op.name), QString::fromUtf8(opClassName(op.cls).data()),
                      QString::number(op.count), shape, formatSi(op.flops, QStringLiteral("FLOP")),
                      formatSi(op.bytes[kDram], QStringLiteral("B")), formatSi(op.bytes[kL2], QStringLiteral("B")),
                      formatSeconds(op.timeS), formatSeconds(op.totalS()),
                      QString::fromUtf8(boundName(op.bound).data()))});
    }

    // Datatype ceilings (dense peaks), de-duplicated by value: "bf16/fp16 989 TFLOP/s".
    std::map<double, QStringList, std::greater<>> peaks;
    for (std::size_t t = 0; t < kDTypeCount; ++t)
        if (pm.tensorPeak[t] > 0)
            peaks[pm.tensorPeak[t]] << QString::fromUtf8(dtypeName(DType(t)).data());
    double yMax = 1, yMin = 1e300;
    for (const auto& [peak, names] : peaks)
        yMax = std::max(yMax, peak / 1e12 * 3);
    const double dramBw = pm.bandwidth[kDram];
    const QColor ceilingColors[] = {QColor(40, 40, 40), QColor(90, 60, 150), QColor(150, 90, 40), QColor(60, 120, 130),
                                    QColor(130, 130, 60)};
    int ci = 0;
    for (const auto& [peak, names] : peaks) {
        const double py = peak / 1e12;
        const double ridge = dramBw > 0 ? peak / dramBw : xMin;
        QPen pen(ceilingColors[ci++ % 5], 1.6);
        QCPGraph* g = style::lineGraph(m_plot, x, y, tr("peak %1").arg(names.join(QLatin1Char('/'))), pen);
        g->addData(std::max(ridge, xMin), py);
        g->addData(xMax * 10, py);
        auto* label = new QCPItemText(m_plot);
        label->setPositionAlignment(Qt::AlignRight | Qt::AlignBottom);
        label->position->setCoords(xMax / 1.5, py * 1.05);
        label->setText(
            QStringLiteral("%1 %2").arg(names.join(QLatin1Char('/')), formatSi(peak, QStringLiteral("FLOP/s"), 4)));
        label->setColor(pen.color());
        label->setClipToAxisRect(true);
    }
    if (pm.vectorPeakFp32 > 0) {
        const double py = pm.vectorPeakFp32 / 1e12;
        QCPGraph* g =
            style::lineGraph(m_plot, x, y, tr("peak fp32 (vector)"), QPen(QColor(120, 120, 120), 1.2, Qt::DashLine));
        g->addData(dramBw > 0 ? std::max(pm.vectorPeakFp32 / dramBw, xMin) : xMin, py);
        g->addData(xMax * 10, py);
    }
    // Memory ceilings: bandwidth x intensity up to the highest peak.
    const double topPeak = peaks.empty() ? 1e15 : peaks.begin()->first;
    const struct {
        int level;
        const char* name;
        QColor color;
    } levels[] = {
        {kDram, "DRAM", style::kMemory}, {kL3, "L3", QColor(230, 140, 40)}, {kL2, "L2", QColor(190, 80, 170)}};
    for (const auto& lv : levels) {
        const double bw = pm.bandwidth[std::size_t(lv.level)];
        if (bw <= 0)
            continue;
        QCPGraph* g = style::lineGraph(
            m_plot, x, y, tr("%1 %2").arg(QString::fromLatin1(lv.name), formatSi(bw, QStringLiteral("B/s"))),
            QPen(lv.color, 1.6, lv.level == kDram ? Qt::SolidLine : Qt::DashLine));
        const double x0 = xMin / 10;
        g->addData(x0, bw * x0 / 1e12);
        g->addData(topPeak / bw, topPeak / 1e12);
        yMin = std::min(yMin, bw * xMin / 1e12);
    }
    for (const auto& pt : m_points)
        yMin = std::min(yMin, pt.y / 3);
    // Points above the lines.
    for (auto& grp : groups)
        if (grp.graph)
            grp.graph->setLayer(QStringLiteral("main"));
    x->setRange(xMin, xMax);
    y->setRange(yMin < 1e299 ? std::max(yMin, 1e-6) : 1e-3, yMax);
    m_plot->legend->setVisible(true);
    m_plot->legend->setFont(QFont(font().family(), 8));
    m_plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);
    QString t = tr("Roofline — %1 — %2 operators, latency %3, %4-bound")
                    .arg(QString::fromStdString(platformName))
                    .arg(m_points.size())
                    .arg(formatSeconds(p.latencyS), QString::fromUtf8(boundName(p.bound).data()));
    if (skipped > 0)
        t += tr(" (%1 without flops or DRAM bytes not shown)").arg(skipped);
    // An infeasible configuration has no operators and no latency: say why instead of "0 operators, latency 0 s".
    if (!p.ok)
        t = tr("Roofline — %1 — infeasible: %2")
                .arg(QString::fromStdString(platformName), QString::fromStdString(p.error));
    setTitle(t);
    redraw();
}

QVector<QPointF> RooflinePlot::operatorPoints() const {
    QVector<QPointF> out;
    for (const auto& p : m_points)
        out.push_back({p.x, p.y});
    return out;
}

QString RooflinePlot::tooltipNear(double intensity, double tflops) const {
    double best = 1e300;
    QString text;
    for (const auto& p : m_points) {
        const double d = std::hypot(std::log10(p.x / intensity), std::log10(p.y / tflops));
        if (d < best) {
            best = d;
            text = p.text;
        }
    }
    return best < 0.1 ? text : QString();
}

void RooflinePlot::onMouseMove(QMouseEvent* event) {
    const QPointF pos = event->position();
    double best = 12.0; // pixels
    const OpPoint* hit = nullptr;
    for (const auto& p : m_points) {
        const double px = m_plot->xAxis->coordToPixel(p.x);
        const double py = m_plot->yAxis->coordToPixel(p.y);
        const double d = std::hypot(px - pos.x(), py - pos.y());
        if (d < best) {
            best = d;
            hit = &p;
        }
    }
    if (hit)
        QToolTip::showText(event->globalPosition().toPoint(), hit->text, m_plot);
    else
        QToolTip::hideText();
}

} // namespace rooflab::gui
