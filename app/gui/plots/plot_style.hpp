#pragma once
// Shared look of the plots (internal to app/gui/plots/).
#include "report/plot_spec.hpp"

#include <QColor>
#include <qcustomplot.h>

namespace rooflab::gui::style {

inline const QColor kCompute{31, 119, 180};
inline const QColor kMemory{214, 39, 40};
inline const QColor kComm{44, 160, 44};
inline const QColor kOverhead{127, 127, 127};
inline const QColor kAccent{255, 127, 14};

/// @brief Log-axis ticks from the report's ticker (report::logTicks), so the window, the HTML and the PDF label
/// the same values: decades, 2 and 5 on short ranges, never two labels alike ("2·10²" twice was QCPAxisTickerLog
/// with precision 0), unlabelled sub-ticks at the other integers, nothing outside the axis range.
class LogTicker : public QCPAxisTicker {
public:
    void generate(const QCPRange& range, const QLocale&, QChar, int, QVector<double>& ticks, QVector<double>* subTicks,
                  QVector<QString>* tickLabels) override {
        ticks.clear();
        if (subTicks)
            subTicks->clear();
        if (tickLabels)
            tickLabels->clear();
        for (const report::AxisTick& t : report::logTicks(range.lower, range.upper)) {
            if (t.label.empty()) {
                if (subTicks)
                    subTicks->push_back(t.value);
                continue;
            }
            ticks.push_back(t.value);
            if (tickLabels)
                tickLabels->push_back(QString::fromStdString(t.label));
        }
    }
};

/// Log scale with 1-2-5 / decade labels and sub-ticks (LogTicker).
inline void logAxis(QCPAxis* axis) {
    axis->setScaleType(QCPAxis::stLogarithmic);
    axis->setTicker(QSharedPointer<QCPAxisTicker>(new LogTicker));
    axis->setSubTicks(true);
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
