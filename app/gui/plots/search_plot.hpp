#pragma once
/// @brief The design-space search: throughput per device vs TPOT of every fitting candidate, the Pareto front
/// and the best configuration under the targets.
#include "models/search_model.hpp"
#include "plots/plot_view.hpp"

namespace rooflab::gui {

class SearchPlot : public PlotView {
    Q_OBJECT
public:
    explicit SearchPlot(QWidget* parent = nullptr);
    /// Series: "candidates" (fitting), "pareto front", "best"; x = TPOT (ms), y = tokens/s per device.
    void setData(const SearchOutcome& o, const SloTargets& slo);
};

} // namespace rooflab::gui
