#pragma once
/// @brief Base of every plot page: a QWidget that owns a QCustomPlot. QCustomPlot is used only in app/gui/plots/;
/// the rest of the GUI sees plots through this interface (set data, export, read back series for tests).
#include <QPointF>
#include <QStringList>
#include <QVector>
#include <QWidget>

class QCustomPlot;
class QCPAxisRect;
class QCPTextElement;

namespace rooflab::gui {

class PlotView : public QWidget {
    Q_OBJECT
public:
    explicit PlotView(QWidget* parent = nullptr);
    ~PlotView() override;

    /// Writes the plot as PNG, PDF or (when built with Qt SVG) SVG, chosen by the file suffix. Size in pixels;
    /// 0 uses the widget's size (or 1200x800 when it has none). Returns false and fills `error` on failure.
    bool save(const QString& path, QString* error, int width = 0, int height = 0) const;
    /// File suffixes save() accepts.
    static QStringList exportSuffixes();

    /// Names of the data series (graphs and bar sets) currently plotted.
    QStringList seriesNames() const;
    /// The (x, y) data of the series named `name` (empty when there is none); NaN gaps are left out.
    QVector<QPointF> seriesData(const QString& name) const;
    /// The plot title shown above the axes.
    QString title() const;

protected:
    void setTitle(const QString& text);
    /// Draws the plot now when it is on screen, else when it is next shown: a result goes to every page, but only
    /// the visible ones pay for drawing (export and tests read the data, which is always current).
    void redraw();
    void showEvent(QShowEvent* event) override;
    /// Removes every graph, plottable and item, and resets to one axis rect.
    void clearAll();
    QCustomPlot* m_plot = nullptr;

private:
    QCPTextElement* m_title = nullptr;
    bool m_stale = false; ///< data changed while hidden: draw on show
};

} // namespace rooflab::gui
