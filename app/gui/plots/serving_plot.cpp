#include "plots/serving_plot.hpp"

#include "plots/plot_style.hpp"
#include "serving_page.hpp"

#include <QMouseEvent>
#include <QToolTip>
#include <algorithm>
#include <cmath>

namespace rooflab::gui {
namespace {

// Range of the positive values of the series on one axis, with a margin; a default when there are none.
void fitLog(QCPAxis* axis, double lo, double hi, double fallbackLo, double fallbackHi) {
    if (!(hi > 0) || lo > hi)
        axis->setRange(fallbackLo, fallbackHi);
    else
        axis->setRange(lo / 1.5, hi * 1.5);
}

void showLegend(QCustomPlot* plot, Qt::Alignment where) {
    plot->legend->setVisible(true);
    plot->legend->setFont(QFont(plot->font().family(), 8));
    plot->axisRect()->insetLayout()->setInsetAlignment(0, where);
}

} // namespace

// ---------------------------------------------------------------- latency and throughput vs concurrency

ServingCurvePlot::ServingCurvePlot(QWidget* parent) : PlotView(parent) {
    setData({});
}

void ServingCurvePlot::setData(const ServingStudyOutcome& o) {
    clearAll();
    QCPAxis* x = m_plot->xAxis;
    QCPAxis* y = m_plot->yAxis;
    QCPAxis* y2 = m_plot->yAxis2;
    style::logAxis(x);
    style::logAxis(y);
    style::logAxis(y2);
    y2->setVisible(true);
    x->setLabel(tr("concurrency (clients)"));
    y->setLabel(tr("latency (ms)"));
    y2->setLabel(tr("output tokens/s per GPU"));
    QCPGraph* ttft = style::lineGraph(m_plot, x, y, tr("TTFT"), QPen(style::kCompute, 2));
    ttft->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 6));
    QCPGraph* tpot = style::lineGraph(m_plot, x, y, tr("TPOT"), QPen(style::kMemory, 2));
    tpot->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 6));
    QCPGraph* tput = style::lineGraph(m_plot, x, y2, tr("tokens/s per GPU"), QPen(style::kAccent, 2, Qt::DashLine));
    tput->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssSquare, 6));
    double xlo = 1e300, xhi = 0, ylo = 1e300, yhi = 0, tlo = 1e300, thi = 0;
    for (const ServingStudyPoint& p : o.points) {
        const serving::ServingResult& r = p.result;
        if (!r.ok || r.ttftS.mean <= 0 || r.tpotS.mean <= 0)
            continue;
        ttft->addData(p.concurrency, r.ttftS.mean * 1e3);
        tpot->addData(p.concurrency, r.tpotS.mean * 1e3);
        tput->addData(p.concurrency, r.outputTokensPerSPerGpu);
        xlo = std::min(xlo, double(p.concurrency));
        xhi = std::max(xhi, double(p.concurrency));
        ylo = std::min({ylo, r.ttftS.mean * 1e3, r.tpotS.mean * 1e3});
        yhi = std::max({yhi, r.ttftS.mean * 1e3, r.tpotS.mean * 1e3});
        tlo = std::min(tlo, r.outputTokensPerSPerGpu);
        thi = std::max(thi, r.outputTokensPerSPerGpu);
    }
    fitLog(x, xlo, xhi, 1, 256);
    fitLog(y, ylo, yhi, 1, 1000);
    fitLog(y2, tlo, thi, 1, 1e4);
    showLegend(m_plot, Qt::AlignTop | Qt::AlignLeft);
    setTitle(o.points.empty() ? tr("Serving — press Run") : tr("Latency and throughput vs concurrency"));
    redraw();
}

// ---------------------------------------------------------------- tokens/s per GPU vs tokens/s per user

ServingParetoPlot::ServingParetoPlot(QWidget* parent) : PlotView(parent) {
    connect(m_plot, &QCustomPlot::mouseMove, this, &ServingParetoPlot::onMouseMove);
    setData({});
}

void ServingParetoPlot::setData(const ServingStudyOutcome& o) {
    clearAll();
    m_tips.clear();
    QCPAxis* x = m_plot->xAxis;
    QCPAxis* y = m_plot->yAxis;
    style::logAxis(x);
    style::logAxis(y);
    x->setLabel(tr("output tokens/s per user"));
    y->setLabel(tr("output tokens/s per GPU"));
    QCPGraph* all = style::scatterGraph(m_plot, x, y, tr("search candidates"), QColor(170, 170, 170), 5);
    QCPGraph* front = style::lineGraph(m_plot, x, y, tr("pareto front"), QPen(style::kCompute, 2));
    front->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, style::kCompute, style::kCompute, 7));
    QCPGraph* scenario = style::lineGraph(m_plot, x, y, tr("scenario"), QPen(style::kMemory, 1.5, Qt::DashLine));
    scenario->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssSquare, 6));
    QCPGraph* measured = style::scatterGraph(m_plot, x, y, tr("measured (aic-silicon)"), style::kAccent, 8);
    measured->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCross, QPen(style::kAccent, 2), style::kAccent, 9));
    const bool slo = o.slo.ttftMaxS > 0 || o.slo.tpotMaxS > 0;
    QCPGraph* best = style::scatterGraph(m_plot, x, y, slo ? tr("best under SLO") : tr("best"), Qt::black, 12);
    best->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssStar, QPen(Qt::black, 2), QColor(255, 200, 0), 14));
    double xlo = 1e300, xhi = 0, ylo = 1e300, yhi = 0;
    auto extend = [&](double tx, double ty) {
        xlo = std::min(xlo, tx);
        xhi = std::max(xhi, tx);
        ylo = std::min(ylo, ty);
        yhi = std::max(yhi, ty);
    };
    for (const serving::DeploymentCandidate& c : o.search.candidates)
        if (c.ok && c.outputTokensPerSPerUser > 0 && c.outputTokensPerSPerGpu > 0) {
            all->addData(c.outputTokensPerSPerUser, c.outputTokensPerSPerGpu);
            extend(c.outputTokensPerSPerUser, c.outputTokensPerSPerGpu);
        }
    // pareto is ordered by tokens/s per user, so the front draws as a line (QCustomPlot sorts by x anyway).
    for (std::size_t i : o.search.pareto) {
        const serving::DeploymentCandidate& c = o.search.candidates[i];
        if (c.outputTokensPerSPerUser > 0 && c.outputTokensPerSPerGpu > 0) {
            front->addData(c.outputTokensPerSPerUser, c.outputTokensPerSPerGpu);
            m_tips.push_back({c.outputTokensPerSPerUser, c.outputTokensPerSPerGpu, describeCandidate(c)});
        }
    }
    if (o.search.best) {
        const serving::DeploymentCandidate& c = o.search.candidates[*o.search.best];
        best->addData(c.outputTokensPerSPerUser, c.outputTokensPerSPerGpu);
        m_tips.push_back({c.outputTokensPerSPerUser, c.outputTokensPerSPerGpu,
                          (slo ? tr("best under the SLO: ") : tr("best: ")) + describeCandidate(c)});
    }
    for (const ServingStudyPoint& p : o.points)
        if (p.result.ok && p.result.outputTokensPerSPerUser > 0 && p.result.outputTokensPerSPerGpu > 0) {
            scenario->addData(p.result.outputTokensPerSPerUser, p.result.outputTokensPerSPerGpu);
            extend(p.result.outputTokensPerSPerUser, p.result.outputTokensPerSPerGpu);
            m_tips.push_back({p.result.outputTokensPerSPerUser, p.result.outputTokensPerSPerGpu,
                              tr("scenario, concurrency %1").arg(p.concurrency)});
        }
    for (const MeasuredServingPoint& m : o.measured)
        if (m.outputTokensPerSPerUser > 0 && m.outputTokensPerSPerGpu > 0) {
            measured->addData(m.outputTokensPerSPerUser, m.outputTokensPerSPerGpu);
            extend(m.outputTokensPerSPerUser, m.outputTokensPerSPerGpu);
            m_tips.push_back({m.outputTokensPerSPerUser, m.outputTokensPerSPerGpu, describeMeasured(m)});
        }
    fitLog(x, xlo, xhi, 1, 1000);
    fitLog(y, ylo, yhi, 1, 1e4);
    showLegend(m_plot, Qt::AlignTop | Qt::AlignRight);
    setTitle(o.search.candidates.empty() && o.points.empty()
                 ? tr("Throughput vs interactivity — press Run")
                 : tr("%1: tokens/s per GPU vs per user — %2 on the front, %3 measured")
                       .arg(o.modelName)
                       .arg(o.search.pareto.size())
                       .arg(o.measured.size()));
    redraw();
}

QString ServingParetoPlot::tooltipNear(double tokensPerSPerUser, double tokensPerSPerGpu) const {
    double bestD = 1e300;
    QString text;
    for (const Tip& t : m_tips) {
        const double d = std::hypot(std::log10(t.x / tokensPerSPerUser), std::log10(t.y / tokensPerSPerGpu));
        if (d < bestD) {
            bestD = d;
            text = t.text;
        }
    }
    return bestD < 0.05 ? text : QString();
}

void ServingParetoPlot::onMouseMove(QMouseEvent* event) {
    const QPointF pos = event->position();
    double bestD = 10.0; // pixels
    const Tip* hit = nullptr;
    for (const Tip& t : m_tips) {
        const double d =
            std::hypot(m_plot->xAxis->coordToPixel(t.x) - pos.x(), m_plot->yAxis->coordToPixel(t.y) - pos.y());
        if (d < bestD) {
            bestD = d;
            hit = &t;
        }
    }
    if (hit)
        QToolTip::showText(event->globalPosition().toPoint(), hit->text, m_plot);
    else
        QToolTip::hideText();
}

// ---------------------------------------------------------------- batch and KV cache over time

ServingTimelinePlot::ServingTimelinePlot(QWidget* parent) : PlotView(parent) {
    setData({});
}

void ServingTimelinePlot::setData(const ServingStudyOutcome& o) {
    clearAll();
    QCPAxis* x = m_plot->xAxis;
    QCPAxis* y = m_plot->yAxis;
    QCPAxis* y2 = m_plot->yAxis2;
    style::linearAxis(x);
    style::linearAxis(y);
    style::linearAxis(y2);
    y2->setVisible(true);
    x->setLabel(tr("simulated time (s)"));
    y->setLabel(tr("sequences per iteration"));
    y2->setLabel(tr("KV cache used (%)"));
    QCPGraph* batch = style::lineGraph(m_plot, x, y, tr("decode batch"), QPen(style::kCompute, 1.5));
    QCPGraph* prefill = style::lineGraph(m_plot, x, y, tr("prefill prompts"), QPen(style::kAccent, 1));
    QCPGraph* kv = style::lineGraph(m_plot, x, y2, tr("KV cache %"), QPen(style::kMemory, 1.5));
    // The highest concurrency that simulated: the page keeps its iterations only.
    const ServingStudyPoint* last = nullptr;
    for (const ServingStudyPoint& p : o.points)
        if (p.result.ok && !p.result.iterations.empty())
            last = &p;
    double tmax = 0, bmax = 1;
    if (last) {
        const serving::ServingResult& r = last->result;
        const double blocks = double(std::max<int64_t>(1, r.kv.blocks));
        // The first engine of each pool: aggregated, its batch and KV cache; disaggregated, the decode engine's
        // batch and KV cache (ServingResult::kv is the decode pool's) and the prefill engine's prompts.
        for (const serving::IterationStat& it : r.iterations) {
            if (it.worker != 0)
                continue;
            const bool prefillPool = it.pool == serving::PoolRole::Prefill;
            if (!prefillPool) {
                batch->addData(it.startS, it.decodeSeqs);
                kv->addData(it.startS, 100.0 * double(it.kvBlocksUsed) / blocks);
            }
            if (prefillPool || it.pool == serving::PoolRole::Aggregated)
                prefill->addData(it.startS, it.prefillSeqs);
            tmax = std::max(tmax, it.startS + it.durationS);
            bmax = std::max({bmax, double(it.decodeSeqs), double(it.prefillSeqs)});
        }
    }
    x->setRange(0, tmax > 0 ? tmax : 1);
    y->setRange(0, bmax * 1.1);
    y2->setRange(0, 105);
    showLegend(m_plot, Qt::AlignBottom | Qt::AlignRight);
    setTitle(last ? tr("Batch and KV cache over time at concurrency %1").arg(last->concurrency)
                  : tr("Batch and KV cache over time — press Run"));
    redraw();
}

} // namespace rooflab::gui
