#include "plots/search_plot.hpp"

#include "plots/plot_style.hpp"

#include <algorithm>

namespace rooflab::gui {

SearchPlot::SearchPlot(QWidget* parent) : PlotView(parent) {
    setData({}, {});
}

void SearchPlot::setData(const SearchOutcome& o, const SloTargets& slo) {
    clearAll();
    QCPAxis* x = m_plot->xAxis;
    QCPAxis* y = m_plot->yAxis;
    style::logAxis(x);
    style::logAxis(y);
    x->setLabel(tr("TPOT (ms)"));
    y->setLabel(tr("throughput per device (tokens/s)"));
    QCPGraph* all = style::scatterGraph(m_plot, x, y, tr("candidates"), QColor(170, 170, 170), 5);
    QCPGraph* front = style::lineGraph(m_plot, x, y, tr("pareto front"), QPen(style::kCompute, 2));
    front->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, style::kCompute, style::kCompute, 7));
    QCPGraph* best = style::scatterGraph(m_plot, x, y, tr("best"), style::kAccent, 13);
    best->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssStar, QPen(style::kAccent, 2), style::kAccent, 14));
    double xlo = 1e300, xhi = 0, ylo = 1e300, yhi = 0;
    auto extend = [&](double tx, double ty) {
        xlo = std::min(xlo, tx);
        xhi = std::max(xhi, tx);
        ylo = std::min(ylo, ty);
        yhi = std::max(yhi, ty);
    };
    for (const SearchCandidate& c : o.result.candidates)
        if (c.ok && c.fits && c.tpotS > 0 && c.tokensPerSPerDevice > 0) {
            all->addData(c.tpotS * 1e3, c.tokensPerSPerDevice);
            extend(c.tpotS * 1e3, c.tokensPerSPerDevice);
        }
    for (std::size_t i : o.result.pareto) {
        const SearchCandidate& c = o.result.candidates[i];
        if (c.tpotS > 0 && c.tokensPerSPerDevice > 0)
            front->addData(c.tpotS * 1e3, c.tokensPerSPerDevice);
    }
    if (o.result.best) {
        const SearchCandidate& c = o.result.candidates[*o.result.best];
        if (c.tpotS > 0 && c.tokensPerSPerDevice > 0)
            best->addData(c.tpotS * 1e3, c.tokensPerSPerDevice);
    }
    if (slo.tpotMaxS > 0) {
        QCPGraph* limit = style::lineGraph(m_plot, x, y, tr("TPOT target"),
                                           QPen(style::kMemory, 1.2, Qt::DashLine));
        const double t = slo.tpotMaxS * 1e3;
        xlo = std::min(xlo, t);
        xhi = std::max(xhi, t);
        const double a = ylo < yhi ? ylo / 2 : 1, b = ylo < yhi ? yhi * 2 : 1e5;
        limit->addData(t, a);
        limit->addData(t, b);
    }
    if (xhi <= 0 || yhi <= 0) {
        x->setRange(1, 1000);
        y->setRange(1, 1e5);
    } else {
        x->setRange(xlo / 1.5, xhi * 1.5);
        y->setRange(ylo / 1.5, yhi * 1.5);
    }
    m_plot->legend->setVisible(true);
    m_plot->legend->setFont(QFont(m_plot->font().family(), 8));
    m_plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    if (!o.error.isEmpty() || o.result.candidates.empty())
        setTitle(tr("Design-space search — press Run"));
    else
        setTitle(tr("Search: %1 — %2 candidates, %3 on the Pareto front")
                     .arg(o.modelName)
                     .arg(o.result.candidates.size())
                     .arg(o.result.pareto.size()));
    redraw();
}

} // namespace rooflab::gui
