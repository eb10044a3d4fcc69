#pragma once
/// @brief The report library's PlotRenderer implemented with the workbench's QCustomPlot code: PNG (preferred,
/// embedded in the HTML page), PDF and SVG per plot, and the report PDF (summary page, one plot per page). Runs
/// headless under QT_QPA_PLATFORM=offscreen; needs a QApplication.
#include "report/plot_spec.hpp"

#include <memory>

namespace rooflab::gui {

class SpecPlot;

class QtPlotRenderer final : public report::PlotRenderer {
public:
    QtPlotRenderer();
    ~QtPlotRenderer() override;
    std::vector<report::PlotFormat> imageFormats() const override;
    /// @brief Draws with QCustomPlot: call on the GUI thread. Throws std::runtime_error when drawing fails.
    std::string render(const report::PlotSpec& spec, report::PlotFormat format) override;
    bool canRenderDocument() const override { return true; }
    /// @brief The report PDF from the already rendered PNGs (QPdfWriter and QImage only: safe off the GUI thread).
    std::string renderDocument(const report::PlotDocument& doc) override;

private:
    std::unique_ptr<SpecPlot> m_plot; ///< reused: one hidden widget for every plot
};

/// @brief The same PDF as QtPlotRenderer::renderDocument, as a free function for worker threads.
std::string renderReportPdf(const report::PlotDocument& doc);

} // namespace rooflab::gui
