#pragma once
/// @brief The other plot pages: latency/throughput sweeps, per-operator stacked breakdown, platforms side by
/// side, and predicted vs measured.
#include "models/evaluation.hpp"
#include "plots/plot_view.hpp"

class QCPAxisRect;

namespace rooflab::gui {

/// @brief Latency (left axis) and throughput (right axis) vs batch and vs context, with the memory-capacity
/// limit marked and configurations that do not fit drawn grey.
class SweepPlot : public PlotView {
    Q_OBJECT
public:
    explicit SweepPlot(QWidget* parent = nullptr);
    void setData(const SweepSeries& batch, const SweepSeries& context, double currentBatch, double currentContext);
    /// A shaded band of +-`mapePct` percent around the latency curves (0: none), named after `label` (the
    /// confidence badge), drawn by the next setData.
    void setErrorBand(double mapePct, const QString& label);
    double errorBandPct() const { return m_bandPct; }

private:
    void fillRect(QCPAxisRect* rect, const SweepSeries& s, double current, bool inLegend);
    double m_bandPct = 0;
    QString m_bandLabel;
    QCPAxisRect* m_left = nullptr;
    QCPAxisRect* m_right = nullptr;
};

/// @brief Per-operator time of one step (x count), stacked by what binds it.
class BreakdownPlot : public PlotView {
    Q_OBJECT
public:
    explicit BreakdownPlot(QWidget* parent = nullptr);
    void setData(const Prediction& p);
};

/// @brief 2-4 platforms on the same workload: step time stacked by what binds, with latency and throughput.
class ComparePlot : public PlotView {
    Q_OBJECT
public:
    explicit ComparePlot(QWidget* parent = nullptr);
    void setData(const std::vector<ComparedPlatform>& platforms);
};

/// @brief Predicted against measured on log-log axes with y = x, a +-10 % band and error statistics.
class ValidationPlot : public PlotView {
    Q_OBJECT
public:
    explicit ValidationPlot(QWidget* parent = nullptr);
    void setData(const ValidationReport& r, const std::string& platformName);
};

} // namespace rooflab::gui
