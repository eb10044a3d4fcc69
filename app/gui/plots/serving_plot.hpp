#pragma once
/// @brief The Serving page's plots (QCustomPlot stays in plots/): latency and throughput against concurrency, the
/// tokens/s-per-GPU vs tokens/s-per-user plane, and the simulated batch / KV-cache timeline.
#include "plots/plot_view.hpp"

class QMouseEvent;

namespace rooflab::gui {

struct ServingStudyOutcome;

/// TTFT and TPOT (ms, left axis) and output tokens/s per GPU (right axis) against concurrency (log2 x).
class ServingCurvePlot : public PlotView {
    Q_OBJECT
public:
    explicit ServingCurvePlot(QWidget* parent = nullptr);
    void setData(const ServingStudyOutcome& o);
};

/// Output tokens/s per GPU against tokens/s per user: the concurrency curve of the scenario's deployment, the
/// deployment search's Pareto front and the measured aic-silicon points.
/// Each measured point, front point and the best layout shows its description (backend, mode, concurrency, layout)
/// as a tooltip.
class ServingParetoPlot : public PlotView {
    Q_OBJECT
public:
    explicit ServingParetoPlot(QWidget* parent = nullptr);
    void setData(const ServingStudyOutcome& o);
    /// The tooltip of the point nearest (tokens/s per user, tokens/s per GPU), "" when none is close (tests).
    QString tooltipNear(double tokensPerSPerUser, double tokensPerSPerGpu) const;

private:
    void onMouseMove(QMouseEvent* event);
    struct Tip {
        double x = 0, y = 0;
        QString text;
    };
    QVector<Tip> m_tips;
};

/// Decoding sequences per iteration and KV-cache blocks held (% of capacity) over simulated time, at the highest
/// concurrency that simulated (disaggregated: the first decode engine's batch and KV, the first prefill engine's
/// prompts).
class ServingTimelinePlot : public PlotView {
    Q_OBJECT
public:
    explicit ServingTimelinePlot(QWidget* parent = nullptr);
    void setData(const ServingStudyOutcome& o);
};

} // namespace rooflab::gui
