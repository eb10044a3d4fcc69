#pragma once
/// @brief Plots of the Trace and Calibration pages: measured vs predicted time per kernel class (grouped bars),
/// and a microbenchmark curve against the model (points vs line, optional horizontal model levels).
#include "models/trace_model.hpp"
#include "plots/plot_view.hpp"

#include <vector>

namespace rooflab::gui {

/// Series "measured" and "predicted": x = class index (0..7), y = milliseconds.
class TracePlot : public PlotView {
    Q_OBJECT
public:
    explicit TracePlot(QWidget* parent = nullptr);
    void setData(const TraceCompareModel& m, const QString& title);
};

/// One measured curve against the model.
class CalibrationPlot : public PlotView {
    Q_OBJECT
public:
    struct Series {
        QString name;
        std::vector<double> x, y;
        bool line = false; ///< a line (model) or points (measured)
        int color = 0;     ///< index into the palette
    };
    explicit CalibrationPlot(QWidget* parent = nullptr);
    void setData(const QString& title, const QString& xLabel, const QString& yLabel, bool logX, bool logY,
                 const std::vector<Series>& series);
};

} // namespace rooflab::gui
