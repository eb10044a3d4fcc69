#include "plots/analysis_plots.hpp"

#include "plots/plot_style.hpp"

#include <algorithm>
#include <cmath>

namespace rooflab::gui {

TracePlot::TracePlot(QWidget* parent) : PlotView(parent) {
    setData(TraceCompareModel(), QString());
}

void TracePlot::setData(const TraceCompareModel& m, const QString& title) {
    clearAll();
    QCPAxis* x = m_plot->xAxis;
    QCPAxis* y = m_plot->yAxis;
    style::linearAxis(y);
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    for (int i = 0; i < kTraceClassCount; ++i)
        ticker->addTick(i, QString::fromLatin1(kTraceClasses[std::size_t(i)]));
    x->setTicker(ticker);
    x->setScaleType(QCPAxis::stLinear);
    x->setLabel(tr("kernel class"));
    y->setLabel(tr("time per step (ms)"));
    auto* meas = new QCPBars(x, y);
    meas->setName(tr("measured"));
    meas->setBrush(style::kMemory);
    meas->setPen(QPen(style::kMemory.darker(120)));
    meas->setWidth(0.38);
    auto* pred = new QCPBars(x, y);
    pred->setName(tr("predicted"));
    pred->setBrush(style::kCompute);
    pred->setPen(QPen(style::kCompute.darker(120)));
    pred->setWidth(0.38);
    double top = 0;
    if (m.hasData()) {
        for (int i = 0; i < kTraceClassCount; ++i) {
            const double a = m.measuredS(i) * 1e3, b = m.predictedS(i) * 1e3;
            meas->addData(i - 0.2, a);
            pred->addData(i + 0.2, b);
            top = std::max({top, a, b});
        }
    }
    x->setRange(-0.7, kTraceClassCount - 0.3);
    y->setRange(0, top > 0 ? top * 1.1 : 1);
    m_plot->legend->setVisible(true);
    m_plot->legend->setFont(QFont(m_plot->font().family(), 8));
    m_plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    setTitle(title.isEmpty() ? tr("Kernel trace — load a trace CSV") : title);
    redraw();
}

CalibrationPlot::CalibrationPlot(QWidget* parent) : PlotView(parent) {
    setData(QString(), QString(), QString(), false, false, {});
}

void CalibrationPlot::setData(const QString& title, const QString& xLabel, const QString& yLabel, bool logX,
                              bool logY, const std::vector<Series>& series) {
    static const QColor palette[] = {style::kMemory, style::kCompute, style::kComm, style::kAccent, style::kOverhead};
    clearAll();
    QCPAxis* x = m_plot->xAxis;
    QCPAxis* y = m_plot->yAxis;
    logX ? style::logAxis(x) : style::linearAxis(x);
    logY ? style::logAxis(y) : style::linearAxis(y);
    x->setLabel(xLabel);
    y->setLabel(yLabel);
    double xlo = 1e300, xhi = -1e300, ylo = 1e300, yhi = -1e300;
    for (const Series& s : series) {
        const QColor c = palette[std::size_t(s.color) % std::size(palette)];
        QCPGraph* g = s.line ? style::lineGraph(m_plot, x, y, s.name, QPen(c, 2))
                             : style::scatterGraph(m_plot, x, y, s.name, c, 6);
        for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
            const double px = s.x[i], py = s.y[i];
            if (!std::isfinite(px) || !std::isfinite(py) || (logX && px <= 0) || (logY && py <= 0))
                continue;
            g->addData(px, py);
            xlo = std::min(xlo, px);
            xhi = std::max(xhi, px);
            ylo = std::min(ylo, py);
            yhi = std::max(yhi, py);
        }
    }
    if (xlo > xhi) {
        x->setRange(1, 10);
        y->setRange(1, 10);
    } else {
        x->setRange(logX ? xlo / 1.5 : xlo, logX ? xhi * 1.5 : (xhi > xlo ? xhi : xlo + 1));
        y->setRange(logY ? ylo / 1.5 : 0, logY ? yhi * 1.5 : (yhi > 0 ? yhi * 1.1 : 1));
    }
    m_plot->legend->setVisible(!series.empty());
    m_plot->legend->setFont(QFont(m_plot->font().family(), 8));
    m_plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);
    setTitle(title.isEmpty() ? tr("No measurements") : title);
    redraw();
}

} // namespace rooflab::gui
