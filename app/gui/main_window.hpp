#pragma once
/// @brief The workbench window: platform browser and editor, workload and scenario controls, plot pages and
/// tables. Every change re-evaluates off the UI thread (QtConcurrent); errors show inline, never a crash.
#include "hardware/platform.hpp"
#include "models/evaluation.hpp"

#include <QFutureWatcher>
#include <QMainWindow>
#include <QTimer>
#include <map>
#include <memory>

class QComboBox;
class QLabel;
class QListWidget;
class QPlainTextEdit;
class QSpinBox;
class QTabWidget;
class QTableView;
class QAbstractItemModel;

namespace rooflab::report {
struct ReportInput;
}

namespace rooflab::gui {

class BreakdownPlot;
class ComparePlot;
class OperatorTableModel;
class PlatformValuesModel;
class PlotView;
class ReportExporter;
class RooflinePlot;
class SearchPage;
class TracePage;
class CalibrationPage;
class SweepModel;
class SweepPlot;
class ValidationModel;
class ValidationPlot;

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
    int sweepPoints() const { return m_sweepPoints; }
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
    int evaluationCount() const { return m_evaluations; }
    /// Wall time (ms) the UI thread spent putting the last result on the pages (tables, plots drawn).
    double lastRedrawMs() const { return m_redrawMs; }
    QString statusText() const;
    QString errorText() const;
    QString editorStatus() const;
    QPlainTextEdit* platformEditor() const { return m_editor; }
    const Platform& platform() const { return m_platform; }
    RooflinePlot* rooflinePlot() const { return m_roofline; }
    SweepPlot* sweepPlot() const { return m_sweep; }
    BreakdownPlot* breakdownPlot() const { return m_breakdown; }
    ComparePlot* comparePlot() const { return m_compare; }
    ValidationPlot* validationPlot() const { return m_validation; }
    OperatorTableModel* operatorModel() const { return m_opModel; }
    PlatformValuesModel* platformValuesModel() const { return m_valuesModel; }
    SweepModel* sweepModel() const { return m_sweepModel; }
    ValidationModel* validationModel() const { return m_validationModel; }
    SearchPage* searchPage() const { return m_searchPage; }
    TracePage* tracePage() const { return m_tracePage; }
    CalibrationPage* calibrationPage() const { return m_calibrationPage; }
    /// The plot of the current page (nullptr on table pages).
    PlotView* currentPlot() const;
    /// The table of the current page (operators, platform values, sweep or validation).
    QAbstractItemModel* currentTable() const;

    // --- export --------------------------------------------------------------------------------------------
    bool exportPlot(PlotView* plot, const QString& path, QString* error);
    bool exportTable(const QAbstractItemModel* model, const QString& path, QString* error);
    bool savePlatformAs(const QString& path, QString* error);
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
    ReportExporter* reportExporter() const { return m_reportExporter; }

signals:
    /// A new evaluation result is on every page.
    void evaluated();
    /// A report export ended: `ok` with the folder, or the error.
    void reportExportFinished(bool ok, const QString& message);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    struct Outcome {
        EvalOutput output;
        QString error;
    };
    void buildUi();
    void buildMenus();
    QWidget* buildControls();
    QWidget* buildPlatformPage();
    void scheduleEvaluation();
    void syncSearchPage();
    /// Hands the current platform, model and scenario to the Trace and Calibration pages.
    void syncAnalysisPages();
    void startEvaluation();
    bool buildInput(EvalInput& in, QString& error);
    void applyOutcome(const Outcome& o);
    void onPlatformListChanged(int row);
    void validateEditor();
    void setPlatform(const Platform& p, bool fromEditor);
    void showError(const QString& message);
    void updateControlsForKind();
    void restoreSession();
    void saveSession() const;
    void chooseConfigFile();
    void chooseDataset();
    void chooseExportPlot();
    void chooseExportTable();
    void chooseSavePlatform();
    void chooseExportReport();
    void refreshValidation();
    std::shared_ptr<const PlatformModel> platformModelFor(const QString& name, QString& error);
    QTableView* makeTable(QAbstractItemModel* model);

    bool m_persist = true;
    bool m_loadingEditor = false;
    bool m_pending = false;
    int m_evaluations = 0;
    int m_sweepPoints = 400;
    double m_redrawMs = 0;

    // Engine inputs.
    Platform m_platform;
    std::shared_ptr<const PlatformModel> m_platformModel;
    std::map<QString, std::shared_ptr<const LlmArch>> m_archCache;
    std::map<QString, std::shared_ptr<const PlatformModel>> m_compareCache;
    std::map<QString, StackProfile> m_stackCache;
    EvalOutput m_output;
    QString m_datasetPath;
    io::CsvTable m_dataset;

    QFutureWatcher<Outcome> m_watcher;
    ReportExporter* m_reportExporter = nullptr;
    QTimer m_debounce;
    QTimer m_editTimer;

    // Controls.
    QComboBox* m_platformCombo = nullptr;
    QComboBox* m_kindCombo = nullptr;
    QComboBox* m_modelCombo = nullptr;
    QComboBox* m_stackCombo = nullptr;
    QComboBox* m_phaseCombo = nullptr;
    QSpinBox* m_batch = nullptr;
    QSpinBox* m_prompt = nullptr;
    QSpinBox* m_context = nullptr;
    QSpinBox* m_chunk = nullptr;
    QSpinBox* m_outputTokens = nullptr;
    QSpinBox* m_tp = nullptr;
    QSpinBox* m_pp = nullptr;
    QSpinBox* m_ep = nullptr;
    QComboBox* m_weights = nullptr;
    QComboBox* m_kv = nullptr;
    QComboBox* m_act = nullptr;
    QSpinBox* m_gemmM = nullptr;
    QSpinBox* m_gemmN = nullptr;
    QSpinBox* m_gemmK = nullptr;
    QComboBox* m_gemmType = nullptr;
    QList<QWidget*> m_llmOnly, m_gemmOnly;
    QComboBox* m_compareCombos[3] = {nullptr, nullptr, nullptr};
    QLabel* m_errorLabel = nullptr;
    QLabel* m_statusLabel = nullptr;
    QLabel* m_timingLabel = nullptr;
    QLabel* m_datasetLabel = nullptr;

    // Pages.
    QTabWidget* m_tabs = nullptr;
    QStringList m_pageNames;
    RooflinePlot* m_roofline = nullptr;
    BreakdownPlot* m_breakdown = nullptr;
    SweepPlot* m_sweep = nullptr;
    ComparePlot* m_compare = nullptr;
    ValidationPlot* m_validation = nullptr;
    OperatorTableModel* m_opModel = nullptr;
    PlatformValuesModel* m_valuesModel = nullptr;
    SweepModel* m_sweepModel = nullptr;
    ValidationModel* m_validationModel = nullptr;
    SearchPage* m_searchPage = nullptr;
    TracePage* m_tracePage = nullptr;
    CalibrationPage* m_calibrationPage = nullptr;
    QListWidget* m_platformList = nullptr;
    QPlainTextEdit* m_editor = nullptr;
    QLabel* m_editorStatus = nullptr;
};

} // namespace rooflab::gui
