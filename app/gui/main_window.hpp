#pragma once
/// @brief The workbench window. It owns the pages, the scenario panel, the evaluation controller and the export
/// actions, routes pages and menus, and wires their signals; the work is in those classes (KDAB hotspot's
/// mainwindow.cpp). Every change re-evaluates off the UI thread; errors show inline, never a crash. The public
/// methods below drive and read the window from the command line and the tests.
#include "hardware/platform.hpp"
#include "models/evaluation.hpp"

#include <QMainWindow>
#include <QStringList>

class QLabel;
class QTabWidget;
class QAbstractItemModel;

namespace rooflab::report {
struct ReportInput;
}

namespace rooflab::gui {

class BreakdownPlot;
class CalibrationPage;
class ComparePage;
class ComparePlot;
class EvaluationController;
class ExportActions;
class OperatorTableModel;
class PlatformPage;
class PlatformValuesModel;
class PlotView;
class ReportExporter;
class ResultSummaryPanel;
class ScenarioFiles;
class RooflinePlot;
class ScenarioPanel;
class SearchPage;
class SweepModel;
class SweepPlot;
class TracePage;
class ServingPage;
class ValidationModel;
class ValidationPage;
class ValidationPlot;
struct EvalOutcome;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    /// `persistSession`: restore the last session from QSettings and save it on close (off for tests/screenshots).
    explicit MainWindow(bool persistSession = true, QWidget* parent = nullptr);
    ~MainWindow() override;

    // --- driving the window (command line, tests) ---------------------------------------------------------
    /// Selects a shipped platform by name or a platform file by path. False (and an inline error) on failure.
    bool selectPlatform(const QString& nameOrPath);
    bool selectModel(const QString& nameOrPath);
    bool selectStack(const QString& name);
    /// prefill, decode, chunked or request.
    bool setPhase(const QString& phase);
    void setBatch(int batch);
    void setPrompt(int tokens);
    void setContext(int tokens);
    void setTensorParallel(int tp);
    void setPipelineParallel(int pp);
    void setExpertParallel(int ep);
    /// Activation datatype by name (bf16, fp16, fp8_e4m3, ...). False when there is no such type.
    bool setActivationType(const QString& dtype);
    void setGemmWorkload(int m, int n, int k);
    /// Points per sweep (batch and context) on the sweep page; 400 by default.
    void setSweepPoints(int perSweep);
    int sweepPoints() const;
    /// Platforms shown beside the selected one on the compare page (up to 3).
    bool setComparePlatforms(const QStringList& names);
    bool loadDataset(const QString& path);
    QStringList pageNames() const;
    bool showPage(const QString& name);
    QString currentPageName() const;

    /// Evaluates now on the calling thread and updates every page (screenshots).
    void evaluateNow();
    /// Waits (running the event loop) until no evaluation is running or pending. False on timeout.
    bool waitForEvaluation(int timeoutMs = 5000);

    // --- reading it back -----------------------------------------------------------------------------------
    const EvalOutput& lastOutput() const { return m_output; }
    int evaluationCount() const;
    /// Wall time (ms) the UI thread spent putting the last result on the pages (tables, plots drawn).
    double lastRedrawMs() const { return m_redrawMs; }
    QString statusText() const;
    QString errorText() const;
    const Platform& platform() const;
    RooflinePlot* rooflinePlot() const { return m_roofline; }
    SweepPlot* sweepPlot() const { return m_sweep; }
    BreakdownPlot* breakdownPlot() const { return m_breakdown; }
    ComparePlot* comparePlot() const;
    ValidationPlot* validationPlot() const;
    OperatorTableModel* operatorModel() const { return m_opModel; }
    PlatformValuesModel* platformValuesModel() const;
    SweepModel* sweepModel() const { return m_sweepModel; }
    ValidationModel* validationModel() const;
    SearchPage* searchPage() const { return m_searchPage; }
    TracePage* tracePage() const { return m_tracePage; }
    ServingPage* servingPage() const { return m_servingPage; }
    CalibrationPage* calibrationPage() const { return m_calibrationPage; }
    ScenarioPanel* scenarioPanel() const { return m_scenario; }
    /// The result summary above the pages (always visible).
    ResultSummaryPanel* summaryPanel() const { return m_summary; }
    ComparePage* comparePage() const { return m_comparePage; }
    PlatformPage* platformPage() const { return m_platformPage; }
    EvaluationController* evaluationController() const { return m_evaluator; }
    ExportActions* exportActions() const { return m_export; }
    /// Scenario files (open, save, recent) and "Copy as CLI command".
    ScenarioFiles* scenarioFiles() const { return m_scenarioFiles; }
    /// The plot of the current page (nullptr on table pages).
    PlotView* currentPlot() const;
    /// The table of the current page (operators, platform values, sweep or validation).
    QAbstractItemModel* currentTable() const;

    // --- report export (ExportActions; plots, tables and the platform: exportActions()) -------------------
    /// @brief The report input of the current LLM scenario: the platform as shown (edits included), model,
    /// stack, dataset and every scenario control (phase, batch, prompt, context, chunk, output, TP, PP, EP,
    /// datatypes). False with `error` for a GEMM workload or broken input.
    bool reportInput(report::ReportInput& in, QString* error) const;
    /// @brief Starts writing the full report of the current LLM scenario (report.html with PNG plots, Markdown,
    /// JSON, CSV, report.pdf) into `dir` through the report library, off the UI thread with a progress dialog;
    /// returns at once. reportExportFinished() tells the outcome.
    bool startReportExport(const QString& dir, QString* error);
    /// @brief startReportExport() and wait for it, running the event loop meanwhile (scripts and tests).
    bool exportReport(const QString& dir, QString* error, int timeoutMs = 300000);
    ReportExporter* reportExporter() const;

signals:
    /// A new evaluation result is on every page.
    void evaluated();
    /// A report export ended: `ok` with the folder, or the error.
    void reportExportFinished(bool ok, const QString& message);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildPages();
    void buildMenus();
    void wireSignals();
    /// The whole evaluation input: platform and compare platforms from the pages, the workload from the panel.
    bool buildInput(EvalInput& in, QString& error);
    void scheduleEvaluation();
    void applyOutcome(const EvalOutcome& o);
    void onPlatformChanged(bool edited);
    /// Hands the current platform and workload to the Search, Trace and Calibration pages.
    void syncSearchPage();
    void syncAnalysisPages();
    void showError(const QString& message);
    void restoreSession();
    void saveSession() const;

    bool m_persist = true;
    double m_redrawMs = 0;
    bool m_platformEdited = false; ///< the platform comes from the editor, not a file: no validation applies
    EvalOutput m_output;

    ScenarioPanel* m_scenario = nullptr;
    ResultSummaryPanel* m_summary = nullptr;
    EvaluationController* m_evaluator = nullptr;
    ExportActions* m_export = nullptr;
    ScenarioFiles* m_scenarioFiles = nullptr;

    // Pages, in tab order (kPages in main_window.cpp names them).
    QTabWidget* m_tabs = nullptr;
    QStringList m_pageNames;
    RooflinePlot* m_roofline = nullptr;
    BreakdownPlot* m_breakdown = nullptr;
    SweepPlot* m_sweep = nullptr;
    SweepModel* m_sweepModel = nullptr;
    ComparePage* m_comparePage = nullptr;
    ValidationPage* m_validationPage = nullptr;
    OperatorTableModel* m_opModel = nullptr;
    PlatformPage* m_platformPage = nullptr;
    SearchPage* m_searchPage = nullptr;
    TracePage* m_tracePage = nullptr;
    ServingPage* m_servingPage = nullptr;
    CalibrationPage* m_calibrationPage = nullptr;

    QLabel* m_statusLabel = nullptr;
    QLabel* m_timingLabel = nullptr;
};

} // namespace rooflab::gui
