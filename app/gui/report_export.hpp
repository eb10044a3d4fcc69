#pragma once
/// @brief File > Export report: writes the report folder of a scenario through the report library without
/// blocking the UI thread. Predictions run on a worker (QtConcurrent), the plots are drawn with QCustomPlot on the
/// GUI thread one per event-loop turn, and the PDF and the files are written on a worker again. A progress dialog
/// (when given a parent) shows the stage and cancels; a cancelled or failed export leaves no partial folder.
#include "report/report.hpp"

#include <QFutureWatcher>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QTimer>
#include <atomic>
#include <memory>
#include <vector>

class QProgressDialog;
class QWidget;

namespace rooflab::gui {

class QtPlotRenderer;

class ReportExporter : public QObject {
    Q_OBJECT
public:
    /// `dialogParent`: the window the progress dialog belongs to (nullptr: no dialog, signals only).
    explicit ReportExporter(QWidget* dialogParent = nullptr, QObject* parent = nullptr);
    ~ReportExporter() override;

    /// @brief Starts exporting `in` into `outDir` and returns at once. False (with `error`) when an export is
    /// already running.
    bool start(const report::ReportInput& in, const QString& outDir, QString* error = nullptr);
    /// @brief Asks the running export to stop; finished(false, ...) follows.
    void cancel();
    bool isRunning() const { return m_running; }
    /// @brief Percent done (0-100) of the running export.
    int percent() const { return m_percent; }

signals:
    /// Progress of the running export: percent done and what it is doing.
    void progressChanged(int percent, const QString& stage);
    /// The export ended: `ok` with the folder written, or the error (or "cancelled").
    void finished(bool ok, const QString& message);

private:
    struct Computed {
        std::shared_ptr<const report::ReportData> data;
        QString error;
    };
    void onComputed();
    void renderNext();
    void onWritten();
    void finish(bool ok, const QString& message);
    void setProgress(int percent, const QString& stage);
    void pollWorker();

    QPointer<QWidget> m_dialogParent;
    QProgressDialog* m_dialog = nullptr;
    bool m_running = false;
    int m_percent = 0;
    QString m_outDir;
    std::shared_ptr<const report::ReportData> m_data;
    std::vector<report::PlotSpec> m_specs;
    std::vector<report::RenderedPlot> m_rendered;
    std::size_t m_next = 0;
    std::unique_ptr<QtPlotRenderer> m_renderer;
    QFutureWatcher<Computed> m_compute;
    QFutureWatcher<QString> m_write; ///< empty string: written
    // Shared with the worker: it reports progress and reads the cancel flag; the UI thread polls.
    std::shared_ptr<std::atomic<bool>> m_cancel;
    std::shared_ptr<std::atomic<int>> m_workerPercent;
    int m_workerBase = 0, m_workerSpan = 0;
    QTimer m_poll;
};

} // namespace rooflab::gui
