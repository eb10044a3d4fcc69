#include "serving_page.hpp"

#include "codec/catalog.hpp"
#include "io/csv.hpp"
#include "io/stack_loader.hpp"
#include "plots/serving_plot.hpp"

#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>

namespace rooflab::gui {
namespace {

QString defaultDataset() {
    for (const QString& root : {QStringLiteral(ROOFLAB_SOURCE_DATA_DIR), QDir::currentPath()}) {
        const QString f = QDir(root).filePath(QStringLiteral("datasets/public/aic-silicon/e2e_h100_h200.csv"));
        if (QFileInfo::exists(f))
            return f;
    }
    return {};
}

std::vector<int> parseConcurrency(const QString& text, QString& error) {
    std::vector<int> out;
    for (const QString& part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const int c = part.trimmed().toInt(&ok);
        if (!ok || c < 1 || c > 4096) {
            error = QObject::tr("concurrency '%1' is not a whole number in 1..4096").arg(part.trimmed());
            return {};
        }
        out.push_back(c);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    if (out.empty())
        error = QObject::tr("give a concurrency list, e.g. 1,2,4,8");
    return out;
}

QString ms(double seconds) {
    return QStringLiteral("%1 ms").arg(seconds * 1e3, 0, 'f', seconds < 0.01 ? 2 : 1);
}

} // namespace

QString describeMeasured(const MeasuredServingPoint& m) {
    return QObject::tr("measured %1: %2 %3 on %4, concurrency %5, %6 GPUs, ISL %7 / OSL %8\nTTFT %9, TPOT %10")
        .arg(QString::fromStdString(m.id), QString::fromStdString(m.backend), QString::fromStdString(m.mode),
             QString::fromStdString(m.gpu))
        .arg(m.concurrency)
        .arg(m.gpus)
        .arg(m.isl)
        .arg(m.osl)
        .arg(ms(m.ttftS), ms(m.tpotS));
}

QString describeCandidate(const serving::DeploymentCandidate& c) {
    return QObject::tr("%1, concurrency %2: TTFT %3, TPOT %4, %5 tok/s/GPU, %6 tok/s/user")
        .arg(QString::fromStdString(serving::describeDeployment(c.deployment)))
        .arg(c.concurrency)
        .arg(ms(c.ttftS), ms(c.tpotS))
        .arg(c.outputTokensPerSPerGpu, 0, 'f', 0)
        .arg(c.outputTokensPerSPerUser, 0, 'f', 1);
}

ServingStudyOutcome runServingStudy(const ServingStudyInput& in) {
    ServingStudyOutcome o;
    if (!in.platform || !in.model) {
        o.error = QObject::tr("no platform or model");
        return o;
    }
    o.modelName = QString::fromStdString(in.model->name);
    o.slo = in.config.slo;
    try {
        const StackProfile stack = io::loadStack(in.stack);
        serving::ServingStudy s = serving::runServingStudy(*in.platform, *in.model, stack, in.datatypes, in.config);
        if (in.hardware)
            o.confidence = resolveConfidence(shippedValidationStatus(), *in.hardware, &stack, PredictionScope::Serving);
        o.points = std::move(s.points);
        o.search = std::move(s.search);
        for (const std::string& n : s.notes)
            o.notes << QString::fromStdString(n);
    } catch (const std::exception& e) {
        o.error = QString::fromUtf8(e.what());
        return o;
    }
    if (!in.datasetPath.empty()) {
        try {
            // The platform's GPU by name (h100-sxm5-80gb: the H100 rows); other platforms see every GPU's runs.
            io::Catalog catalog;
            const io::CsvTable table = io::loadCsvFile(in.datasetPath);
            o.measured = serving::measuredServingPoints(
                table, catalog,
                serving::measuredQueryFor(*in.model, in.platformName, in.config.inputTokens, in.config.outputTokens));
        } catch (const std::exception& e) {
            o.notes << QObject::tr("measured points: %1").arg(QString::fromUtf8(e.what()));
        }
    }
    return o;
}

// ---------------------------------------------------------------- the page

ServingPage::ServingPage(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    auto* row = new QHBoxLayout;
    m_stack = new QComboBox;
    m_stack->setObjectName(QStringLiteral("servingStack"));
    m_stack->addItems({QStringLiteral("vllm"), QStringLiteral("sglang"), QStringLiteral("tensorrt-llm")});
    m_stack->setToolTip(tr("Serving stack: its kernels and its scheduler (chunked prefill, batch and token limits). "
                           "Follows the scenario's stack when that is a serving stack, else vllm (the most used)"));
    connect(m_stack, &QComboBox::activated, this, [this] { m_stackChosen = true; });
    m_isl = new QSpinBox;
    m_isl->setRange(1, 1 << 20);
    m_isl->setValue(1024);
    m_isl->setToolTip(tr("Input (prompt) tokens per request"));
    m_osl = new QSpinBox;
    m_osl->setRange(1, 1 << 18);
    m_osl->setValue(128);
    m_osl->setToolTip(tr("Output tokens per request"));
    m_concurrency = new QLineEdit(QStringLiteral("1,2,4,8,16,32,64,128,256"));
    m_concurrency->setToolTip(tr("Closed-loop clients, comma separated; TP x PP of each worker from the scenario"));
    m_runBtn = new QPushButton(tr("Run"));
    connect(m_runBtn, &QPushButton::clicked, this, &ServingPage::run);
    row->addWidget(new QLabel(tr("Stack")));
    row->addWidget(m_stack);
    row->addWidget(new QLabel(tr("ISL")));
    row->addWidget(m_isl);
    row->addWidget(new QLabel(tr("OSL")));
    row->addWidget(m_osl);
    row->addWidget(new QLabel(tr("Concurrency")));
    row->addWidget(m_concurrency, 1);
    row->addWidget(m_runBtn);
    layout->addLayout(row);

    auto* row2 = new QHBoxLayout;
    m_mode = new QComboBox;
    m_mode->addItem(tr("aggregated"));
    m_mode->addItem(tr("disaggregated"));
    m_mode->setToolTip(tr("Aggregated: one engine prefills and decodes. Disaggregated: a prefill pool and a decode "
                          "pool with the KV cache moved between them; the deployment search enumerates the same "
                          "kind of layouts"));
    m_prefillWorkers = new QSpinBox;
    m_prefillWorkers->setRange(1, 64);
    m_prefillWorkers->setToolTip(tr("Disaggregated: prefill workers, each of the scenario's TP x PP"));
    m_decodeWorkers = new QSpinBox;
    m_decodeWorkers->setRange(1, 64);
    m_decodeWorkers->setToolTip(tr("Disaggregated: decode workers, each of the scenario's TP x PP"));
    m_searchGpus = new QSpinBox;
    m_searchGpus->setRange(0, 512);
    m_searchGpus->setValue(8);
    m_searchGpus->setSpecialValueText(tr("no search"));
    m_searchGpus->setToolTip(tr("GPUs of one deployment in the deployment search (0: no search)"));
    m_ttftMaxMs = new QDoubleSpinBox;
    m_ttftMaxMs->setRange(0, 1e6);
    m_ttftMaxMs->setDecimals(1);
    m_ttftMaxMs->setSuffix(tr(" ms"));
    m_ttftMaxMs->setSpecialValueText(tr("no limit"));
    m_ttftMaxMs->setToolTip(tr("SLO: largest mean time to first token the search's best layout may have"));
    m_tpotMaxMs = new QDoubleSpinBox;
    m_tpotMaxMs->setRange(0, 1e5);
    m_tpotMaxMs->setDecimals(2);
    m_tpotMaxMs->setSuffix(tr(" ms"));
    m_tpotMaxMs->setSpecialValueText(tr("no limit"));
    m_tpotMaxMs->setToolTip(tr("SLO: largest mean time per output token the search's best layout may have"));
    connect(m_mode, &QComboBox::currentIndexChanged, this, &ServingPage::updateModeControls);
    row2->addWidget(new QLabel(tr("Mode")));
    row2->addWidget(m_mode);
    row2->addWidget(new QLabel(tr("Prefill workers")));
    row2->addWidget(m_prefillWorkers);
    row2->addWidget(new QLabel(tr("Decode workers")));
    row2->addWidget(m_decodeWorkers);
    row2->addWidget(new QLabel(tr("Search GPUs")));
    row2->addWidget(m_searchGpus);
    row2->addWidget(new QLabel(tr("TTFT max")));
    row2->addWidget(m_ttftMaxMs);
    row2->addWidget(new QLabel(tr("TPOT max")));
    row2->addWidget(m_tpotMaxMs);
    row2->addStretch(1);
    layout->addLayout(row2);
    updateModeControls();

    m_status = new QLabel(tr("Press Run to simulate serving the scenario's model (TP of the scenario)"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_status);
    m_curve = new ServingCurvePlot;
    m_pareto = new ServingParetoPlot;
    m_timeline = new ServingTimelinePlot;
    auto* top = new QSplitter(Qt::Horizontal);
    top->addWidget(m_curve);
    top->addWidget(m_pareto);
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(top);
    split->addWidget(m_timeline);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    layout->addWidget(split, 1);
    connect(&m_watcher, &QFutureWatcher<ServingStudyOutcome>::finished, this, [this] {
        m_runBtn->setEnabled(true);
        apply(m_watcher.result());
    });
}

ServingPage::~ServingPage() {
    m_watcher.waitForFinished();
}

void ServingPage::updateModeControls() {
    const bool disagg = m_mode->currentIndex() == 1;
    m_prefillWorkers->setEnabled(disagg);
    m_decodeWorkers->setEnabled(disagg);
}

void ServingPage::setContext(std::shared_ptr<const PlatformModel> pm, const std::string& platformName,
                             std::shared_ptr<const LlmArch> model, const Scenario& scenario) {
    m_pm = std::move(pm);
    m_platformName = platformName;
    m_model = std::move(model);
    m_scenario = scenario;
}

void ServingPage::setStack(const QString& name) {
    m_stack->setCurrentText(name);
}

void ServingPage::followStack(const QString& name) {
    if (!m_stackChosen && m_stack->findText(name) >= 0)
        m_stack->setCurrentText(name);
}

QString ServingPage::stackName() const {
    return m_stack->currentText();
}

void ServingPage::setLengths(int64_t isl, int64_t osl) {
    m_isl->setValue(int(isl));
    m_osl->setValue(int(osl));
}

void ServingPage::setConcurrencyList(const QString& list) {
    m_concurrency->setText(list);
}

void ServingPage::setMode(serving::DeploymentMode mode, int prefillWorkers, int decodeWorkers) {
    m_mode->setCurrentIndex(mode == serving::DeploymentMode::Disaggregated ? 1 : 0);
    m_prefillWorkers->setValue(prefillWorkers);
    m_decodeWorkers->setValue(decodeWorkers);
}

void ServingPage::setSlo(double ttftMaxS, double tpotMaxS) {
    m_ttftMaxMs->setValue(ttftMaxS * 1e3);
    m_tpotMaxMs->setValue(tpotMaxS * 1e3);
}

void ServingPage::setSearchGpus(int gpus) {
    m_searchGpus->setValue(gpus);
}

QString ServingPage::statusText() const {
    return m_status->text();
}

ServingStudyInput ServingPage::studyInput(QString* error) const {
    ServingStudyInput in;
    QString why;
    in.config.concurrency = parseConcurrency(m_concurrency->text(), why);
    if (why.isEmpty() && (!m_pm || !m_model))
        why = tr("the Serving page needs an LLM scenario and a platform");
    if (error)
        *error = why;
    in.platform = m_pm;
    in.platformName = m_platformName;
    in.hardware = m_hardware;
    in.model = m_model;
    in.stack = m_stack->currentText().toStdString();
    in.datatypes = m_scenario;
    in.config.inputTokens = m_isl->value();
    in.config.outputTokens = m_osl->value();
    const bool disagg = m_mode->currentIndex() == 1;
    in.config.deployment = serving::scenarioDeployment(
        m_scenario, disagg ? serving::DeploymentMode::Disaggregated : serving::DeploymentMode::Aggregated,
        m_prefillWorkers->value(), m_decodeWorkers->value());
    in.config.searchGpus = m_searchGpus->value();
    in.config.searchAggregated = !disagg;
    in.config.searchDisaggregated = disagg;
    in.config.slo.ttftMaxS = m_ttftMaxMs->value() * 1e-3;
    in.config.slo.tpotMaxS = m_tpotMaxMs->value() * 1e-3;
    in.datasetPath = defaultDataset().toStdString();
    return in;
}

std::optional<report::ServingReportInput> ServingPage::reportServingInput() const {
    if (m_outcome.points.empty())
        return std::nullopt;
    QString error;
    const ServingStudyInput in = studyInput(&error);
    if (!error.isEmpty())
        return std::nullopt;
    report::ServingReportInput r;
    r.stack = in.stack;
    const bool disagg = in.config.deployment.mode == serving::DeploymentMode::Disaggregated;
    r.mode = disagg ? "disagg" : "agg";
    r.prefillWorkers = disagg ? in.config.deployment.prefill.workers : 1;
    r.decodeWorkers = disagg ? in.config.deployment.decode.workers : 1;
    r.concurrency = in.config.concurrency;
    r.isl = in.config.inputTokens;
    r.osl = in.config.outputTokens;
    r.searchGpus = in.config.searchGpus;
    r.ttftMaxS = in.config.slo.ttftMaxS;
    r.tpotMaxS = in.config.slo.tpotMaxS;
    r.dataset = in.datasetPath;
    return r;
}

void ServingPage::run() {
    if (m_watcher.isRunning())
        waitForFinished();
    QString error;
    ServingStudyInput in = studyInput(&error);
    if (!error.isEmpty()) {
        m_status->setText(tr("⚠ %1").arg(error));
        emit errorOccurred(tr("Serving: %1").arg(error));
        return;
    }
    m_runBtn->setEnabled(false);
    m_status->setText(tr("Simulating %1 on %2 with %3 (%4) …")
                          .arg(QString::fromStdString(m_model->name), QString::fromStdString(m_platformName),
                               m_stack->currentText(), m_mode->currentText()));
    m_watcher.setFuture(QtConcurrent::run([in = std::move(in)]() { return runServingStudy(in); }));
}

void ServingPage::waitForFinished() {
    if (!m_watcher.isRunning())
        return;
    m_watcher.waitForFinished();
    // The finished signal is queued; apply here so callers see the result now (the handler then re-applies it).
    m_runBtn->setEnabled(true);
    apply(m_watcher.result());
}

void ServingPage::apply(const ServingStudyOutcome& o) {
    m_outcome = o;
    m_curve->setData(o);
    m_pareto->setData(o);
    m_timeline->setData(o);
    if (!o.error.isEmpty()) {
        m_status->setText(tr("⚠ %1").arg(o.error));
        emit errorOccurred(tr("Serving: %1").arg(o.error));
    } else {
        const auto ok = std::count_if(o.points.begin(), o.points.end(), [](const auto& p) { return p.result.ok; });
        QString text = tr("%1 of %2 concurrencies simulated; deployment search: %3 candidates, %4 on the front; "
                          "%5 measured aic-silicon points")
                           .arg(ok)
                           .arg(o.points.size())
                           .arg(o.search.candidates.size())
                           .arg(o.search.pareto.size())
                           .arg(o.measured.size());
        if (o.search.best) {
            const bool slo = o.slo.ttftMaxS > 0 || o.slo.tpotMaxS > 0;
            text += tr("\n%1: %2")
                        .arg(slo ? tr("best under the SLO") : tr("best (no SLO)"),
                             describeCandidate(o.search.candidates[*o.search.best]));
        }
        if (o.confidence)
            text += tr("\nConfidence: %1").arg(QString::fromStdString(o.confidence->summary()));
        if (!o.notes.isEmpty())
            text += tr("\n⚠ %1").arg(o.notes.join(QStringLiteral("\n⚠ ")));
        m_status->setText(text);
    }
    emit finished();
}

} // namespace rooflab::gui
