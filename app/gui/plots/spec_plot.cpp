#include "plots/spec_plot.hpp"

#include "plots/plot_style.hpp"

#include <QBuffer>
#include <QFile>
#include <QTemporaryDir>

#ifdef ROOFLAB_HAVE_SVG
#include <QSvgGenerator>
#endif

#include <cmath>
#include <limits>

namespace rooflab::gui {
namespace {

QColor qcolor(const report::Rgb& c) {
    return QColor(c.r, c.g, c.b);
}
QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

Qt::PenStyle penStyle(report::LineStyle l) {
    switch (l) {
    case report::LineStyle::Solid:
        return Qt::SolidLine;
    case report::LineStyle::Dash:
        return Qt::DashLine;
    case report::LineStyle::Dot:
        return Qt::DotLine;
    }
    return Qt::SolidLine;
}

void setupAxis(QCPAxis* axis, const report::PlotAxis& a) {
    if (a.log)
        style::logAxis(axis);
    else
        style::linearAxis(axis);
    axis->setLabel(qs(a.label));
    if (a.labelColor)
        axis->setLabelColor(qcolor(*a.labelColor));
    if (!a.categories.empty()) {
        QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
        for (const auto& [v, name] : a.categories)
            ticker->addTick(v, qs(name));
        axis->setTicker(ticker);
        axis->setSubTicks(false);
    }
    axis->setTickLabelRotation(a.tickLabelAngleDeg);
}

/// The spec's range, else the data's (log axes: positive values only) with a margin.
void setRange(QCPAxis* axis, const report::PlotAxis& a, const std::vector<double>& values) {
    if (a.min < a.max && (!a.log || a.min > 0)) {
        axis->setRange(a.min, a.max);
        return;
    }
    double lo = 1e300, hi = -1e300;
    for (double v : values)
        if (std::isfinite(v) && (!a.log || v > 0)) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    if (lo > hi)
        axis->setRange(a.log ? 1 : 0, a.log ? 10 : 1);
    else if (a.log)
        axis->setRange(lo / 1.4, hi * 1.4);
    else
        axis->setRange(lo - (hi - lo) * 0.05, hi + (hi - lo) * 0.05 + (hi == lo ? 1 : 0));
}

} // namespace

SpecPlot::SpecPlot(QWidget* parent) : PlotView(parent) {}

void SpecPlot::setSpec(const report::PlotSpec& spec) {
    clearAll();
    QCPAxis* x = m_plot->xAxis;
    QCPAxis* y = m_plot->yAxis;
    QCPAxis* y2 = m_plot->yAxis2;
    setupAxis(x, spec.x);
    setupAxis(y, spec.y);
    y2->setVisible(spec.hasY2);
    if (spec.hasY2)
        setupAxis(y2, spec.y2);
    constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
    std::vector<double> xs, ys, y2s;
    QCPBars* below = nullptr;
    std::map<double, double> stackTop;
    for (const auto& s : spec.series) {
        QCPAxis* va = s.rightAxis && spec.hasY2 ? y2 : y;
        const bool logY = s.rightAxis && spec.hasY2 ? spec.y2.log : spec.y.log;
        const std::size_t n = std::min(s.x.size(), s.y.size());
        QVector<double> kx(static_cast<qsizetype>(n)), vy(static_cast<qsizetype>(n));
        for (std::size_t i = 0; i < n; ++i) {
            kx[qsizetype(i)] = s.x[i];
            // NaN leaves a gap; so do values a log axis cannot show.
            vy[qsizetype(i)] = std::isfinite(s.y[i]) && (!logY || s.y[i] > 0) ? s.y[i] : kNaN;
            xs.push_back(s.x[i]);
            (s.rightAxis ? y2s : ys).push_back(s.y[i]);
        }
        QCPAbstractPlottable* p = nullptr;
        switch (s.kind) {
        case report::SeriesKind::Line: {
            QCPGraph* g =
                style::lineGraph(m_plot, x, va, qs(s.name), QPen(qcolor(s.color), s.widthPx, penStyle(s.line)));
            g->setData(kx, vy);
            p = g;
            break;
        }
        case report::SeriesKind::Scatter: {
            QCPGraph* g = style::scatterGraph(m_plot, x, va, qs(s.name), qcolor(s.color), s.widthPx);
            g->setData(kx, vy);
            p = g;
            break;
        }
        case report::SeriesKind::Bars: {
            auto* b = new QCPBars(x, y);
            b->setName(qs(s.name));
            b->setPen(QPen(qcolor(s.color).darker(120)));
            b->setBrush(qcolor(s.color));
            b->setWidth(spec.barWidth);
            b->setStackingGap(0);
            if (below)
                b->moveAbove(below);
            below = b;
            b->setData(kx, vy);
            for (std::size_t i = 0; i < n; ++i)
                if (std::isfinite(s.y[i]))
                    stackTop[s.x[i]] += s.y[i];
            p = b;
            break;
        }
        }
        if (p && !s.inLegend)
            p->removeFromLegend();
    }
    for (const auto& [k, top] : stackTop)
        ys.push_back(top);
    if (!stackTop.empty())
        ys.push_back(0);
    setRange(x, spec.x, xs);
    setRange(y, spec.y, ys);
    if (spec.hasY2)
        setRange(y2, spec.y2, y2s);
    for (const auto& t : spec.texts) {
        auto* label = new QCPItemText(m_plot);
        label->setPositionAlignment((t.alignRight ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignBottom);
        label->position->setCoords(t.x, t.y);
        label->setText(qs(t.text));
        label->setColor(qcolor(t.color));
        label->setClipToAxisRect(true);
    }
    for (const auto& m : spec.markers) {
        const QPen pen(qcolor(m.color), 1.5, penStyle(m.line));
        auto* line = new QCPItemStraightLine(m_plot);
        line->point1->setCoords(m.x, 1);
        line->point2->setCoords(m.x, 2);
        line->setPen(pen);
        auto* label = new QCPItemText(m_plot);
        label->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
        label->position->setCoords(m.x, m.labelAt);
        label->setPositionAlignment(Qt::AlignLeft | Qt::AlignVCenter);
        label->setText(qs(m.text));
        label->setColor(pen.color());
        label->setPadding(QMargins(4, 0, 0, 0));
    }
    m_plot->legend->setVisible(true);
    m_plot->legend->setFont(QFont(font().family(), 8));
    Qt::Alignment where = Qt::AlignTop | Qt::AlignRight;
    switch (spec.legend) {
    case report::LegendCorner::TopLeft:
        where = Qt::AlignTop | Qt::AlignLeft;
        break;
    case report::LegendCorner::TopRight:
        where = Qt::AlignTop | Qt::AlignRight;
        break;
    case report::LegendCorner::BottomLeft:
        where = Qt::AlignBottom | Qt::AlignLeft;
        break;
    case report::LegendCorner::BottomRight:
        where = Qt::AlignBottom | Qt::AlignRight;
        break;
    }
    m_plot->axisRect()->insetLayout()->setInsetAlignment(0, where);
    setTitle(qs(spec.title));
    redraw();
}

QByteArray SpecPlot::pngBytes(int width, int height) const {
    const QPixmap px = m_plot->toPixmap(width, height);
    QByteArray bytes;
    QBuffer buf(&bytes);
    if (px.isNull() || !buf.open(QIODevice::WriteOnly) || !px.save(&buf, "PNG"))
        return {};
    return bytes;
}

QByteArray SpecPlot::pdfBytes(int width, int height) const {
    // QCustomPlot writes PDFs to files only.
    QTemporaryDir tmp;
    const QString path = tmp.filePath(QStringLiteral("plot.pdf"));
    if (!tmp.isValid() || !m_plot->savePdf(path, width, height))
        return {};
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QByteArray SpecPlot::svgBytes(int width, int height) const {
#ifdef ROOFLAB_HAVE_SVG
    QByteArray bytes;
    QBuffer buf(&bytes);
    buf.open(QIODevice::WriteOnly);
    QSvgGenerator gen;
    gen.setOutputDevice(&buf);
    gen.setSize(QSize(width, height));
    gen.setViewBox(QRect(0, 0, width, height));
    QCPPainter painter;
    if (!painter.begin(&gen))
        return {};
    m_plot->toPainter(&painter, width, height);
    painter.end();
    return bytes;
#else
    Q_UNUSED(width);
    Q_UNUSED(height);
    return {};
#endif
}

} // namespace rooflab::gui
