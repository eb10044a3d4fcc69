#pragma once
/// @brief Draws a report::PlotSpec (plain data from the report library) with QCustomPlot, in the workbench's plot
/// style: the GUI side of the report's PlotRenderer. Widgets only: use on the GUI thread.
#include "plots/plot_view.hpp"
#include "report/plot_spec.hpp"

#include <QByteArray>

namespace rooflab::gui {

class SpecPlot : public PlotView {
    Q_OBJECT
public:
    explicit SpecPlot(QWidget* parent = nullptr);
    /// @brief Replaces the plot by `spec`.
    void setSpec(const report::PlotSpec& spec);
    /// @brief The plot as PNG bytes at `width` x `height` pixels (empty on failure). Works while hidden.
    QByteArray pngBytes(int width, int height) const;
    /// @brief The plot as a one-page PDF (empty on failure).
    QByteArray pdfBytes(int width, int height) const;
    /// @brief The plot as SVG (empty when this build has no Qt SVG).
    QByteArray svgBytes(int width, int height) const;
};

} // namespace rooflab::gui
