#pragma once
/// @brief The Compare page: up to three other platforms evaluated on the same workload, side by side, with a table
/// that says for each whether the workload fits there (issue 19: the page showed no fit information).
#include <QString>
#include <QStringList>
#include <QWidget>
#include <vector>

class QComboBox;

namespace rooflab::gui {

class CompareModel;
class ComparePlot;
struct ComparedPlatform;

class ComparePage : public QWidget {
    Q_OBJECT
public:
    static constexpr int kMaxPlatforms = 3;

    explicit ComparePage(QWidget* parent = nullptr);

    /// Chooses these platforms (up to 3; the rest "(none)"). False (and errorOccurred) for an unknown name.
    bool setPlatforms(const QStringList& names);
    /// The platforms chosen, in order.
    QStringList platforms() const;
    /// Shows an evaluation's platforms (the primary first).
    void setData(const std::vector<ComparedPlatform>& platforms);
    ComparePlot* plot() const { return m_plot; }
    /// The table under the plot: latency, throughput, memory, a "fits" column and the problem of each platform.
    CompareModel* model() const { return m_model; }

signals:
    /// The choice of platforms changed.
    void changed();
    void errorOccurred(const QString& message);

private:
    QComboBox* m_combos[kMaxPlatforms] = {};
    ComparePlot* m_plot = nullptr;
    CompareModel* m_model = nullptr;
};

} // namespace rooflab::gui
