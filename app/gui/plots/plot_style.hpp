#pragma once
// Shared look of the plots (internal to app/gui/plots/).
#include <QColor>
#include <qcustomplot.h>

namespace rooflab::gui::style {

inline const QColor kCompute{31, 119, 180};
inline const QColor kMemory{214, 39, 40};
inline const QColor kComm{44, 160, 44};
inline const QColor kOverhead{127, 127, 127};
inline const QColor kAccent{255, 127, 14};

/// Log scale with 10^n tick labels.
inline void logAxis(QCPAxis* axis) {
    axis->setScaleType(QCPAxis::stLogarithmic);
    QSharedPointer<QCPAxisTickerLog> ticker(new QCPAxisTickerLog);
    axis->setTicker(ticker);
    axis->setNumberFormat(QStringLiteral("eb"));
    axis->setNumberPrecision(0);
}

inline void linearAxis(QCPAxis* axis) {
    axis->setScaleType(QCPAxis::stLinear);
    axis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    axis->setNumberFormat(QStringLiteral("gb"));
    axis->setNumberPrecision(6);
}

inline QCPGraph* scatterGraph(QCustomPlot* plot, QCPAxis* x, QCPAxis* y, const QString& name, const QColor& color,
                              double size = 8) {
    QCPGraph* g = plot->addGraph(x, y);
    g->setName(name);
    g->setLineStyle(QCPGraph::lsNone);
    g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, color, color.lighter(130), size));
    return g;
}

inline QCPGraph* lineGraph(QCustomPlot* plot, QCPAxis* x, QCPAxis* y, const QString& name, const QPen& pen) {
    QCPGraph* g = plot->addGraph(x, y);
    g->setName(name);
    g->setPen(pen);
    return g;
}

/// A stack of four bar sets (compute, memory, communication, overhead) on `rect`, bottom to top.
struct StackedBars {
    QCPBars* compute = nullptr;
    QCPBars* memory = nullptr;
    QCPBars* comm = nullptr;
    QCPBars* overhead = nullptr;
};

inline StackedBars stackedBars(QCustomPlot* plot, const QString& prefix, double width) {
    StackedBars s;
    auto make = [&](const QString& name, const QColor& c) {
        auto* b = new QCPBars(plot->xAxis, plot->yAxis);
        b->setName(prefix + name);
        b->setPen(QPen(c.darker(120)));
        b->setBrush(c);
        b->setWidth(width);
        b->setStackingGap(0);
        return b;
    };
    s.compute = make(QStringLiteral("compute"), kCompute);
    s.memory = make(QStringLiteral("memory"), kMemory);
    s.comm = make(QStringLiteral("communication"), kComm);
    s.overhead = make(QStringLiteral("overhead"), kOverhead);
    s.memory->moveAbove(s.compute);
    s.comm->moveAbove(s.memory);
    s.overhead->moveAbove(s.comm);
    return s;
}

} // namespace rooflab::gui::style
