#pragma once
/// @brief The Serving page's plots (QCustomPlot stays in plots/): latency and throughput against concurrency, the
/// tokens/s-per-GPU vs tokens/s-per-user plane, and the simulated batch / KV-cache timeline.
#include "plots/plot_view.hpp"

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
class ServingParetoPlot : public PlotView {
    Q_OBJECT
public:
    explicit ServingParetoPlot(QWidget* parent = nullptr);
    void setData(const ServingStudyOutcome& o);
};

/// Decoding sequences per iteration and KV-cache blocks held (% of capacity) over simulated time, at the highest
/// concurrency that simulated.
class ServingTimelinePlot : public PlotView {
    Q_OBJECT
public:
    explicit ServingTimelinePlot(QWidget* parent = nullptr);
    void setData(const ServingStudyOutcome& o);
};

} // namespace rooflab::gui
