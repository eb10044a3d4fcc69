#pragma once
/// @brief File > Export and Save: the plot of the current page (PNG/PDF/SVG), its table (CSV), the platform as
/// shown (YAML) and the full report through the report library (ReportExporter: off the UI thread, with
/// progress). It reads what to export through Sources, so it knows no page and is tested alone.
#include <QObject>
#include <QString>
#include <functional>

class QAbstractItemModel;
class QAction;
class QMenu;
class QWidget;

namespace rooflab {
struct Platform;
}
namespace rooflab::report {
struct ReportInput;
}

namespace rooflab::gui {

class PlotView;
class ReportExporter;

class ExportActions : public QObject {
    Q_OBJECT
public:
    /// Where the things to export come from (the window's current page, platform and scenario).
    struct Sources {
        std::function<PlotView*()> currentPlot;                          ///< nullptr on a page without a plot
        std::function<QAbstractItemModel*()> currentTable;               ///< the current page's table
        std::function<QString()> currentPageName;                        ///< default file names
        std::function<const Platform&()> platform;                       ///< the platform as shown, edits included
        std::function<bool(report::ReportInput&, QString*)> reportInput; ///< the report of the current scenario
    };

    /// `window`: parent of the file dialogs and of the report's progress dialog.
    ExportActions(QWidget* window, Sources sources, QObject* parent = nullptr);
    ~ExportActions() override;

    /// Adds the export and save actions (with their shortcuts) to `menu`.
    void addToMenu(QMenu* menu) const;

    static bool exportPlot(PlotView* plot, const QString& path, QString* error);
    static bool exportTable(const QAbstractItemModel* model, const QString& path, QString* error);
    bool savePlatformAs(const QString& path, QString* error) const;
    /// @brief Starts writing the report folder of the current scenario into `dir` and returns at once;
    /// reportExportFinished() tells the outcome.
    bool startReportExport(const QString& dir, QString* error);
    /// @brief startReportExport() and wait for it, running the event loop meanwhile (scripts and tests).
    bool exportReport(const QString& dir, QString* error, int timeoutMs = 300000);
    ReportExporter* reportExporter() const { return m_exporter; }

public slots:
    void chooseExportPlot();
    void chooseExportTable();
    void chooseExportReport();
    void chooseSavePlatform();

signals:
    /// An export failed; the message names what.
    void errorOccurred(const QString& message);
    /// Progress or success worth a line in the status bar.
    void statusMessage(const QString& message);
    /// A report export ended: `ok` with the folder, or the error.
    void reportExportFinished(bool ok, const QString& message);

private:
    QWidget* m_window = nullptr;
    Sources m_sources;
    ReportExporter* m_exporter = nullptr;
    QAction* m_exportPlot = nullptr;
    QAction* m_exportTable = nullptr;
    QAction* m_exportReport = nullptr;
    QAction* m_savePlatform = nullptr;
};

} // namespace rooflab::gui
