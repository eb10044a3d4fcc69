#pragma once
/// @brief Base of every plot page: a QWidget that owns a QCustomPlot. QCustomPlot is used only in app/gui/plots/;
/// the rest of the GUI sees plots through this interface (set data, export, read back series for tests).
#include <QPointF>
#include <QPointer>
#include <QStringList>
#include <QVector>
#include <QWidget>

class QCustomPlot;
class QCPAxisRect;
class QCPTextElement;
class QCPItemText;

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
    /// The plot title shown above the axes (with the verdict in front when one is set).
    QString title() const;
    /// @brief Marks the data as not usable: `mark` ("DOES NOT FIT", "INFEASIBLE") goes in front of the title and
    /// as a watermark across the axes, `reason` after the mark in the title. An empty mark clears both. Applies
    /// to the title now and to every later setData (pages set their title last).
    void setVerdict(const QString& mark, const QString& reason = QString());
    QString verdictMark() const { return m_verdictMark; }
    /// The watermark text drawn across the axes ("" when none).
    QString watermarkText() const;
    /// @brief The tick labels the axis would draw now: axis rect `rect` (0 = first), its bottom (`xAxis`) or left
    /// axis. Empty labels are left out. For tests of the tickers.
    QStringList tickLabels(int rect, bool xAxis) const;

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
    void applyVerdict();
    QCPTextElement* m_title = nullptr;
    QString m_titleText;
    QString m_verdictMark, m_verdictReason;
    QPointer<QCPItemText> m_watermark; ///< owned by m_plot; a page's clearItems() deletes it (QPointer nulls)
    bool m_stale = false;              ///< data changed while hidden: draw on show
};

} // namespace rooflab::gui
