#include "main_window.hpp"

#include "analysis_pages.hpp"
#include "compare_page.hpp"
#include "evaluation_controller.hpp"
#include "export_actions.hpp"
#include "io/data_paths.hpp"
#include "models/table_models.hpp"
#include "platform_page.hpp"
#include "plots/analysis_plots.hpp"
#include "plots/charts.hpp"
#include "plots/roofline_plot.hpp"
#include "plots/search_plot.hpp"
#include "plots/serving_plot.hpp"
#include "report/report.hpp"
#include "result_summary_panel.hpp"
#include "scenario_files.hpp"
#include "scenario_panel.hpp"
#include "search_page.hpp"
#include "serving_page.hpp"
#include "table_view.hpp"
#include "validation_page.hpp"

#include <QCloseEvent>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QScrollArea>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>
#include <algorithm>

namespace rooflab::gui {
namespace {

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

// Page names in tab order: showPage(), --page and the View menu use them; currentPlot()/currentTable() route by
// the same order.
enum PageIndex {
    Roofline,
    Breakdown,
    Sweep,
    Compare,
    Validation,
    Operators,
    PlatformTab,
    Search,
    Trace,
    Calibration,
    Serving
};
const char* const kPages[] = {"roofline", "breakdown", "sweep", "compare",     "validation", "operators",
                              "platform", "search",    "trace", "calibration", "serving"};

} // namespace

MainWindow::MainWindow(bool persistSession, QWidget* parent) : QMainWindow(parent), m_persist(persistSession) {
    setWindowTitle(tr("rooflab workbench"));
    m_evaluator =
        new EvaluationController([this](EvalInput& in, QString& error) { return buildInput(in, error); }, this);
    buildPages();
    ExportActions::Sources sources;
    sources.currentPlot = [this] { return currentPlot(); };
    sources.currentTable = [this] { return currentTable(); };
    sources.currentPageName = [this] { return currentPageName(); };
    sources.platform = [this]() -> const Platform& { return platform(); };
    sources.reportInput = [this](report::ReportInput& in, QString* error) { return reportInput(in, error); };
    m_export = new ExportActions(this, std::move(sources), this);
    ScenarioFiles::Sources scenarioSources;
    scenarioSources.current = [this] { return m_scenario->toRequest(m_scenario->platformKey()); };
    scenarioSources.apply = [this](const Request& r, QString* error) {
        if (!r.platform.empty() && !selectPlatform(QString::fromStdString(r.platform))) {
            if (error)
                *error = errorText();
            return false;
        }
        QString warning;
        if (!m_scenario->applyRequest(r, error, &warning))
            return false;
        if (!warning.isEmpty())
            m_statusLabel->setText(tr("⚠ %1").arg(warning));
        return true;
    };
    m_scenarioFiles = new ScenarioFiles(this, std::move(scenarioSources), this);
    buildMenus();
    wireSignals();
    if (m_persist)
        restoreSession();
    if (platform().name.empty()) {
        const auto names = io::listPlatformNames();
        const bool hasH100 = std::find(names.begin(), names.end(), "h100-sxm5-80gb") != names.end();
        if (!names.empty())
            selectPlatform(hasH100 ? QStringLiteral("h100-sxm5-80gb") : qs(names.front()));
    }
    scheduleEvaluation();
}

MainWindow::~MainWindow() {
    // Wait for a running evaluation before any page goes, so no result can reach a half-destroyed window.
    delete m_evaluator;
    m_evaluator = nullptr;
}

// ---------------------------------------------------------------- pages, menus, wiring

void MainWindow::buildPages() {
    m_opModel = new OperatorTableModel(this);
    m_sweepModel = new SweepModel(this);
    m_roofline = new RooflinePlot;
    m_breakdown = new BreakdownPlot;
    m_sweep = new SweepPlot;
    auto* sweepSplit = new QSplitter(Qt::Vertical);
    sweepSplit->addWidget(m_sweep);
    sweepSplit->addWidget(makeTableView(m_sweepModel));
    sweepSplit->setStretchFactor(0, 4);
    sweepSplit->setStretchFactor(1, 1);
    m_comparePage = new ComparePage;
    m_validationPage = new ValidationPage;
    m_platformPage = new PlatformPage;
    m_searchPage = new SearchPage;
    m_tracePage = new TracePage;
    m_calibrationPage = new CalibrationPage;
    m_servingPage = new ServingPage;

    m_tabs = new QTabWidget;
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(m_roofline, tr("&Roofline"));
    m_tabs->addTab(m_breakdown, tr("&Breakdown"));
    m_tabs->addTab(sweepSplit, tr("&Sweep"));
    m_tabs->addTab(m_comparePage, tr("&Compare"));
    m_tabs->addTab(m_validationPage, tr("&Validation"));
    m_tabs->addTab(makeTableView(m_opModel), tr("&Operators"));
    m_tabs->addTab(m_platformPage, tr("&Platform"));
    m_tabs->addTab(m_searchPage, tr("S&earch"));
    m_tabs->addTab(m_tracePage, tr("&Trace"));
    m_tabs->addTab(m_calibrationPage, tr("C&alibration"));
    m_tabs->addTab(m_servingPage, tr("Ser&ving"));
    for (const char* p : kPages)
        m_pageNames << QString::fromLatin1(p);
    // The summary sits above the pages, so the verdict shows whichever page is open.
    m_summary = new ResultSummaryPanel;
    auto* central = new QWidget;
    auto* centralLayout = new QVBoxLayout(central);
    centralLayout->setContentsMargins(0, 0, 0, 0);
    centralLayout->setSpacing(2);
    centralLayout->addWidget(m_summary);
    centralLayout->addWidget(m_tabs, 1);
    setCentralWidget(central);

    auto* dock = new QDockWidget(tr("Workload and scenario"), this);
    dock->setObjectName(QStringLiteral("controls"));
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    m_scenario = new ScenarioPanel;
    auto* scroll = new QScrollArea;
    scroll->setWidgetResizable(true);
    scroll->setWidget(m_scenario);
    scroll->setMinimumWidth(250);
    dock->setWidget(scroll);
    addDockWidget(Qt::LeftDockWidgetArea, dock);

    m_statusLabel = new QLabel;
    m_statusLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_timingLabel = new QLabel;
    statusBar()->addWidget(m_statusLabel, 1);
    statusBar()->addPermanentWidget(m_timingLabel);
}

void MainWindow::buildMenus() {
    auto add = [this](QMenu* m, const QString& text, const QKeySequence& key, auto slot) {
        QAction* a = m->addAction(text);
        a->setShortcut(key);
        connect(a, &QAction::triggered, this, slot);
        return a;
    };
    QMenu* file = menuBar()->addMenu(tr("&File"));
    add(file, tr("Load &config.json…"), QKeySequence(Qt::CTRL | Qt::Key_O), [this] { m_scenario->chooseConfigFile(); });
    add(file, tr("Load &dataset…"), QKeySequence(Qt::CTRL | Qt::Key_D), [this] {
        if (m_validationPage->chooseDataset())
            showPage(QStringLiteral("validation"));
    });
    file->addSeparator();
    m_scenarioFiles->addToMenu(file);
    file->addSeparator();
    m_export->addToMenu(file);
    file->addSeparator();
    add(file, tr("&Quit"), QKeySequence::Quit, &QWidget::close);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    for (int i = 0; i < m_tabs->count(); ++i) {
        QAction* a = view->addAction(m_tabs->tabText(i).remove(QLatin1Char('&')));
        if (i < 9)
            a->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)));
        connect(a, &QAction::triggered, this, [this, i] { m_tabs->setCurrentIndex(i); });
    }
    view->addSeparator();
    add(view, tr("Re-&evaluate"), QKeySequence(Qt::Key_F5), &MainWindow::scheduleEvaluation);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    add(help, tr("&About rooflab"), QKeySequence(), [this] {
        QMessageBox::about(
            this, tr("About rooflab"),
            tr("rooflab workbench: roofline and operator-graph predictions of LLM inference.\n\n"
               "Ctrl+1..8 pages, F5 re-evaluate, Ctrl+O config.json, Ctrl+D dataset, Ctrl+E export "
               "plot, Ctrl+Shift+E export table, Ctrl+Shift+S save platform, Ctrl+C copy cells, Ctrl+S save scenario, "
               "Ctrl+Shift+O open scenario, Ctrl+Shift+C copy as CLI command."));
    });
}

void MainWindow::wireSignals() {
    auto toStatus = [this](const QString& message) { m_statusLabel->setText(tr("⚠ %1").arg(message)); };
    connect(m_scenario, &ScenarioPanel::changed, this, &MainWindow::scheduleEvaluation);
    connect(m_scenario, &ScenarioPanel::errorOccurred, this, toStatus);
    connect(m_scenario, &ScenarioPanel::platformActivated, this, &MainWindow::selectPlatform);
    connect(m_platformPage, &PlatformPage::platformLoaded, m_scenario, &ScenarioPanel::showPlatform);
    connect(m_platformPage, &PlatformPage::platformChanged, this, &MainWindow::onPlatformChanged);
    connect(m_platformPage, &PlatformPage::saveAsRequested, m_export, &ExportActions::chooseSavePlatform);
    connect(m_platformPage, &PlatformPage::errorOccurred, this, &MainWindow::showError);
    connect(m_comparePage, &ComparePage::changed, this, &MainWindow::scheduleEvaluation);
    connect(m_comparePage, &ComparePage::errorOccurred, this, &MainWindow::showError);
    connect(m_validationPage, &ValidationPage::errorOccurred, this, &MainWindow::showError);
    connect(m_servingPage, &ServingPage::errorOccurred, this, &MainWindow::showError);
    connect(m_evaluator, &EvaluationController::finished, this, &MainWindow::applyOutcome);
    connect(m_evaluator, &EvaluationController::inputRejected, this, &MainWindow::showError);
    connect(m_export, &ExportActions::errorOccurred, this, &MainWindow::showError);
    connect(m_scenarioFiles, &ScenarioFiles::errorOccurred, this, &MainWindow::showError);
    connect(m_scenarioFiles, &ScenarioFiles::statusMessage, m_statusLabel, &QLabel::setText);
    connect(m_export, &ExportActions::statusMessage, m_statusLabel, &QLabel::setText);
    connect(m_export, &ExportActions::reportExportFinished, this, &MainWindow::reportExportFinished);
}

// ---------------------------------------------------------------- routing

QStringList MainWindow::pageNames() const {
    return m_pageNames;
}

bool MainWindow::showPage(const QString& name) {
    const int i = static_cast<int>(m_pageNames.indexOf(name.toLower()));
    if (i < 0)
        return false;
    m_tabs->setCurrentIndex(i);
    return true;
}

QString MainWindow::currentPageName() const {
    return m_pageNames.value(m_tabs->currentIndex());
}

PlotView* MainWindow::currentPlot() const {
    switch (m_tabs->currentIndex()) {
    case Roofline:
        return m_roofline;
    case Breakdown:
        return m_breakdown;
    case Sweep:
        return m_sweep;
    case Compare:
        return m_comparePage->plot();
    case Validation:
        return m_validationPage->plot();
    case Search:
        return m_searchPage->mode() == SearchMode::Serving ? static_cast<PlotView*>(m_searchPage->servingPlot())
                                                           : m_searchPage->plot();
    case Trace:
        return m_tracePage->plot();
    case Calibration:
        return m_calibrationPage->gemmPlot();
    case Serving:
        return m_servingPage->curvePlot();
    default:
        return nullptr;
    }
}

QAbstractItemModel* MainWindow::currentTable() const {
    switch (m_tabs->currentIndex()) {
    case Sweep:
        return m_sweepModel;
    case Validation:
        return m_validationPage->model();
    case PlatformTab:
        return m_platformPage->valuesModel();
    case Search:
        return m_searchPage->mode() == SearchMode::Serving
                   ? static_cast<QAbstractItemModel*>(m_searchPage->deploymentModel())
                   : m_searchPage->model();
    case Trace:
        return m_tracePage->model();
    default:
        return m_opModel;
    }
}

// ---------------------------------------------------------------- evaluation

bool MainWindow::buildInput(EvalInput& in, QString& error) {
    const auto pm = m_platformPage->platformModel();
    if (!pm) {
        error = tr("No platform loaded");
        return false;
    }
    in.platform = {platform().name, pm};
    for (const QString& name : m_comparePage->platforms()) {
        auto other = m_platformPage->modelFor(name, error);
        if (!other)
            return false;
        in.compare.push_back({name.toStdString(), other});
    }
    return m_scenario->buildInput(in, error);
}

void MainWindow::scheduleEvaluation() {
    syncSearchPage();
    m_evaluator->schedule();
}

void MainWindow::onPlatformChanged(bool edited) {
    m_platformEdited = edited;
    setWindowTitle(tr("rooflab workbench — %1%2").arg(qs(platform().name), edited ? tr(" (edited)") : QString()));
    m_validationPage->setPlatform(platform().name, m_platformPage->platformModel());
    scheduleEvaluation();
}

void MainWindow::applyOutcome(const EvalOutcome& o) {
    QElapsedTimer redraw;
    redraw.start();
    if (!o.error.isEmpty()) {
        ResultSummary broken;
        broken.verdict = Verdict::Infeasible;
        broken.verdictText = tr("not evaluated: %1").arg(o.error);
        m_summary->setSummary(broken);
        showError(o.error);
        return;
    }
    showError(QString());
    m_output = o.output;
    const Prediction& p = m_output.prediction;
    const bool llm = m_scenario->kind() == WorkloadKind::Llm;
    ResultSummary summary = summarizeOutcome(m_output, llm, m_scenario->phase());
    summary.confidence = confidenceOf(platform(), m_scenario->cachedStack(), llm);
    if (m_platformEdited && summary.confidence.level == ConfidenceLevel::Validated) {
        // The validation was of the shipped file; edited values have not been measured against anything.
        summary.confidence.level = ConfidenceLevel::Calibrated;
        summary.confidence.mapePct = -1;
        summary.confidence.entries.clear();
        summary.confidence.basis =
            "edited in the platform editor; the shipped file is validated: " + summary.confidence.basis +
            "; error of the edited values unknown";
    }
    m_summary->setSummary(summary);
    // Every plot of this result carries its verdict (title and watermark) before it draws.
    const QString mark = verdictMark(summary.verdict);
    const QString reason = summary.verdict == Verdict::Infeasible ? qs(p.error) : QString();
    for (PlotView* v : std::initializer_list<PlotView*>{m_roofline, m_breakdown, m_sweep})
        v->setVerdict(mark, reason);
    m_opModel->setPrediction(p);
    m_sweepModel->setSeries(m_output.batchSweep);
    m_roofline->setData(platform().name, *m_platformPage->platformModel(), p);
    m_breakdown->setData(p);
    const bool prefill = m_scenario->phase() == GuiPhase::Prefill;
    // The latency curves carry the error band of this platform x stack where a MAPE is known.
    m_sweep->setErrorBand(summary.confidence.mapeKnown() ? summary.confidence.mapePct : 0.0,
                          QString::fromStdString(summary.confidence.badge()));
    m_sweep->setData(m_output.batchSweep, m_output.contextSweep, double(m_scenario->value(ScenarioPanel::Field::Batch)),
                     double(m_scenario->value(prefill ? ScenarioPanel::Field::Prompt : ScenarioPanel::Field::Context)));
    m_comparePage->setData(m_output.compare);
    if (!p.ok)
        showError(qs(p.error));
    m_statusLabel->setText(outcomeStatus(m_output, m_scenario->kind() == WorkloadKind::Llm));
    m_statusLabel->setToolTip(qs(p.why) + (p.notes.empty() ? QString() : QStringLiteral("\n")));
    syncAnalysisPages();
    m_redrawMs = double(redraw.nsecsElapsed()) * 1e-6;
    m_timingLabel->setText(
        tr("evaluated %1 predictions in %2 ms, pages updated in %3 ms")
            .arg(m_output.batchSweep.points.size() + m_output.contextSweep.points.size() + m_output.compare.size())
            .arg(m_output.evalMs, 0, 'f', 1)
            .arg(m_redrawMs, 0, 'f', 1));
    emit evaluated();
}

void MainWindow::syncSearchPage() {
    if (!m_searchPage || !m_scenario)
        return;
    const bool llm = m_scenario->kind() == WorkloadKind::Llm;
    m_searchPage->setWorkload(llm ? m_scenario->modelKey() : QString(), m_scenario->modelLabel(),
                              m_scenario->stackName());
    m_searchPage->setCurrentPlatform(m_platformPage->platformKey());
}

void MainWindow::syncAnalysisPages() {
    const auto pm = m_platformPage->platformModel();
    if (!pm)
        return;
    m_calibrationPage->setPlatform(m_platformPage->platformKey(), pm);
    EvalInput in;
    QString error;
    if (!buildInput(in, error) || in.kind != WorkloadKind::Llm)
        return;
    m_tracePage->setContext(pm, in.model, in.stack, withPhase(in.scenario, ScenarioPanel::stepPhase(in.phase)));
    m_servingPage->setHardware(platform());
    m_servingPage->setContext(pm, platform().name, in.model, in.scenario);
    m_servingPage->followStack(m_scenario->stackName());
}

void MainWindow::showError(const QString& message) {
    m_scenario->setErrorText(message);
    if (!message.isEmpty())
        m_statusLabel->setText(tr("⚠ %1").arg(message));
}

// ---------------------------------------------------------------- driving the window: delegates

bool MainWindow::selectPlatform(const QString& nameOrPath) {
    return m_platformPage->selectPlatform(nameOrPath);
}
bool MainWindow::selectModel(const QString& nameOrPath) {
    return m_scenario->selectModel(nameOrPath);
}
bool MainWindow::selectStack(const QString& name) {
    return m_scenario->selectStack(name);
}
bool MainWindow::setPhase(const QString& phase) {
    return m_scenario->setPhase(phase);
}
void MainWindow::setBatch(int batch) {
    m_scenario->setValue(ScenarioPanel::Field::Batch, batch);
}
void MainWindow::setPrompt(int tokens) {
    m_scenario->setValue(ScenarioPanel::Field::Prompt, tokens);
}
void MainWindow::setContext(int tokens) {
    m_scenario->setValue(ScenarioPanel::Field::Context, tokens);
}
void MainWindow::setTensorParallel(int tp) {
    m_scenario->setValue(ScenarioPanel::Field::Tp, tp);
}
void MainWindow::setPipelineParallel(int pp) {
    m_scenario->setValue(ScenarioPanel::Field::Pp, pp);
}
void MainWindow::setExpertParallel(int ep) {
    m_scenario->setValue(ScenarioPanel::Field::Ep, ep);
}
bool MainWindow::setActivationType(const QString& dtype) {
    return m_scenario->setActivationType(dtype);
}
void MainWindow::setGemmWorkload(int m, int n, int k) {
    m_scenario->setGemmWorkload(m, n, k);
}
void MainWindow::setSweepPoints(int perSweep) {
    m_scenario->setSweepPoints(perSweep);
}
int MainWindow::sweepPoints() const {
    return m_scenario->sweepPoints();
}
bool MainWindow::setComparePlatforms(const QStringList& names) {
    return m_comparePage->setPlatforms(names);
}
bool MainWindow::loadDataset(const QString& path) {
    return m_validationPage->loadDataset(path);
}
void MainWindow::evaluateNow() {
    m_evaluator->evaluateNow();
}
bool MainWindow::waitForEvaluation(int timeoutMs) {
    return m_evaluator->waitForIdle(timeoutMs);
}

// ---------------------------------------------------------------- reading it back: delegates

int MainWindow::evaluationCount() const {
    return m_evaluator->evaluationCount();
}
QString MainWindow::statusText() const {
    return m_statusLabel->text();
}
QString MainWindow::errorText() const {
    return m_scenario->errorText();
}
const Platform& MainWindow::platform() const {
    return m_platformPage->platform();
}
ComparePlot* MainWindow::comparePlot() const {
    return m_comparePage->plot();
}
ValidationPlot* MainWindow::validationPlot() const {
    return m_validationPage->plot();
}
PlatformValuesModel* MainWindow::platformValuesModel() const {
    return m_platformPage->valuesModel();
}
ValidationModel* MainWindow::validationModel() const {
    return m_validationPage->model();
}

// ---------------------------------------------------------------- export: delegates

bool MainWindow::startReportExport(const QString& dir, QString* error) {
    return m_export->startReportExport(dir, error);
}
bool MainWindow::exportReport(const QString& dir, QString* error, int timeoutMs) {
    return m_export->exportReport(dir, error, timeoutMs);
}
ReportExporter* MainWindow::reportExporter() const {
    return m_export->reportExporter();
}

bool MainWindow::reportInput(report::ReportInput& in, QString* error) const {
    if (!m_scenario->fillReportInput(in, platform(), m_validationPage->datasetPath(), error))
        return false;
    in.serving = m_servingPage->reportServingInput(); // the Serving section once the page has run
    return true;
}

// ---------------------------------------------------------------- session

void MainWindow::restoreSession() {
    QSettings s;
    restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(s.value(QStringLiteral("window/state")).toByteArray());
    const QString platformKey = s.value(QStringLiteral("session/platform")).toString();
    if (!platformKey.isEmpty())
        selectPlatform(platformKey);
    m_scenario->restoreState(s);
    setComparePlatforms(s.value(QStringLiteral("session/compare")).toStringList());
    showError(QString());
    m_tabs->setCurrentIndex(s.value(QStringLiteral("session/page"), 0).toInt());
    const QString dataset = s.value(QStringLiteral("session/dataset")).toString();
    if (!dataset.isEmpty() && QFileInfo::exists(dataset))
        loadDataset(dataset);
}

void MainWindow::saveSession() const {
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/state"), saveState());
    s.setValue(QStringLiteral("session/platform"), m_scenario->platformKey());
    m_scenario->saveState(s);
    s.setValue(QStringLiteral("session/compare"), m_comparePage->platforms());
    s.setValue(QStringLiteral("session/page"), m_tabs->currentIndex());
    s.setValue(QStringLiteral("session/dataset"), m_validationPage->datasetPath());
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (m_persist)
        saveSession();
    QMainWindow::closeEvent(event);
}

} // namespace rooflab::gui
