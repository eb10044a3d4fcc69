#pragma once
/// @brief Log-log roofline: a ceiling per memory level (bandwidth x intensity) and per datatype (peak), and each
/// operator of a prediction at (flops / DRAM bytes, achieved flop/s). Hover shows the operator's numbers.
#include "models/evaluation.hpp"
#include "plots/plot_view.hpp"

namespace rooflab::gui {

class RooflinePlot : public PlotView {
    Q_OBJECT
public:
    explicit RooflinePlot(QWidget* parent = nullptr);
    void setData(const std::string& platformName, const PlatformModel& pm, const Prediction& p);
    /// Every operator point plotted (intensity flop/B, TFLOP/s).
    QVector<QPointF> operatorPoints() const;
    /// Tooltip text of the operator nearest to plot coordinates (for tests); empty when none.
    QString tooltipNear(double intensity, double tflops) const;

private:
    void onMouseMove(QMouseEvent* event);
    struct OpPoint {
        double x = 0, y = 0;
        QString text;
    };
    QVector<OpPoint> m_points;
};

} // namespace rooflab::gui
