#include "search_page.hpp"

#include "io/data_paths.hpp"
#include "plots/search_plot.hpp"
#include "plots/serving_plot.hpp"
#include "serving_page.hpp"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace rooflab::gui {
namespace {

QDoubleSpinBox* secondsBox(double value) {
    auto* s = new QDoubleSpinBox;
    s->setDecimals(7);
    s->setRange(0, 1e6);
    s->setSingleStep(0.01);
    s->setValue(value);
    s->setSuffix(QStringLiteral(" s"));
    s->setSpecialValueText(QObject::tr("no limit"));
    s->setKeyboardTracking(false);
    return s;
}

QSpinBox* tokensBox(int value) {
    auto* s = new QSpinBox;
    s->setRange(1, 1 << 24);
    s->setValue(value);
    s->setKeyboardTracking(false);
    return s;
}

QString ms(double s) {
    return QString::number(s * 1e3, 'g', 4) + QStringLiteral(" ms");
}

} // namespace

SearchPage::SearchPage(QWidget* parent) : QWidget(parent) {
    m_model = new SearchResultModel(this);
    m_plot = new SearchPlot;

    auto* controls = new QWidget;
    auto* form = new QFormLayout(controls);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_mode = new QComboBox;
    m_mode->setObjectName(QStringLiteral("searchMode"));
    m_mode->addItems(
        {tr("step model (TP x batch per platform)"), tr("serving simulator (deployments on a GPU budget)")});
    m_mode->setToolTip(tr("Step model: one forward step per configuration, the whole batch prefilled at once.\n"
                          "Serving simulator: continuous batching of each deployment layout (aggregated, or "
                          "disaggregated prefill and decode pools) under a closed-loop load, as `rooflab search "
                          "--gpus N`: the tokens/s-per-GPU vs tokens/s-per-user front and the best layout under the "
                          "SLO, on the first checked platform as the node"));
    form->addRow(tr("Search with"), m_mode);
    m_modelLabel = new QLabel(tr("(none)"));
    m_modelLabel->setToolTip(tr("The workload's model (left panel)"));
    form->addRow(tr("Model"), m_modelLabel);
    m_platforms = new QListWidget;
    for (const auto& n : io::listPlatformNames()) {
        auto* item = new QListWidgetItem(QString::fromStdString(n), m_platforms);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(Qt::Unchecked);
    }
    m_platforms->setMinimumHeight(90);
    connect(m_platforms, &QListWidget::itemChanged, this, [this] {
        if (!m_settingChecks)
            m_userChecked = true;
    });
    form->addRow(tr("Candidate platforms"), m_platforms);
    m_ttft = secondsBox(0);
    m_tpot = secondsBox(0.05);
    form->addRow(tr("TTFT max"), m_ttft);
    form->addRow(tr("TPOT max"), m_tpot);
    m_prompt = tokensBox(1024);
    m_output = tokensBox(256);
    form->addRow(tr("Prompt tokens"), m_prompt);
    form->addRow(tr("Output tokens"), m_output);
    m_objective = new QComboBox;
    m_objective->addItems({tr("devices"), tr("cost")});
    form->addRow(tr("Minimize"), m_objective);
    m_prices = new QLineEdit;
    m_prices->setPlaceholderText(tr("PLATFORM=USD per device-hour, … (for cost)"));
    form->addRow(tr("Prices"), m_prices);
    m_gpus = new QSpinBox;
    m_gpus->setRange(1, 512);
    m_gpus->setValue(8);
    m_gpus->setToolTip(tr("GPUs one deployment may use (the node's scale-up domain, beyond it its scale-out network)"));
    form->addRow(tr("GPU budget"), m_gpus);
    m_disagg = new QCheckBox(tr("also disaggregated layouts (prefill and decode pools)"));
    form->addRow(QString(), m_disagg);
    m_run = new QPushButton(tr("&Run search"));
    connect(m_run, &QPushButton::clicked, this, [this] { run(); });
    form->addRow(QString(), m_run);
    m_message = new QLabel(tr("Set the targets and press Run (0 = no limit). Candidates: TP 1-8, batch 1-256, "
                              "bf16."));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(m_message);

    auto* proxy = new QSortFilterProxyModel(this);
    proxy->setSourceModel(m_model);
    proxy->setSortRole(kSortRole);
    auto* table = new QTableView;
    table->setModel(proxy);
    table->setSortingEnabled(true);
    table->sortByColumn(-1, Qt::AscendingOrder);
    table->setAlternatingRowColors(true);
    table->verticalHeader()->setDefaultSectionSize(22);
    table->horizontalHeader()->setStretchLastSection(true);
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);

    // Serving mode: the deployment front's plot (the Serving page's) and its layouts.
    m_deployModel = new DeploymentFrontModel(this);
    m_servingPlot = new ServingParetoPlot;
    auto* deployProxy = new QSortFilterProxyModel(this);
    deployProxy->setSourceModel(m_deployModel);
    deployProxy->setSortRole(kSortRole);
    auto* deployTable = new QTableView;
    deployTable->setObjectName(QStringLiteral("deploymentFront"));
    deployTable->setModel(deployProxy);
    deployTable->setSortingEnabled(true);
    deployTable->sortByColumn(-1, Qt::AscendingOrder);
    deployTable->setAlternatingRowColors(true);
    deployTable->verticalHeader()->setDefaultSectionSize(22);
    deployTable->horizontalHeader()->setStretchLastSection(true);
    deployTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_plots = new QStackedWidget;
    m_plots->addWidget(m_plot);
    m_plots->addWidget(m_servingPlot);
    m_tables = new QStackedWidget;
    m_tables->addWidget(table);
    m_tables->addWidget(deployTable);

    auto* right = new QSplitter(Qt::Vertical);
    right->addWidget(m_plots);
    right->addWidget(m_tables);
    right->setStretchFactor(0, 3);
    right->setStretchFactor(1, 2);
    auto* split = new QSplitter(Qt::Horizontal);
    split->addWidget(controls);
    split->addWidget(right);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 4);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);

    connect(&m_watcher, &QFutureWatcher<SearchOutcome>::finished, this, [this] {
        m_run->setEnabled(true);
        applyOutcome(m_watcher.result());
    });
    connect(&m_deployWatcher, &QFutureWatcher<DeploymentSearchOutcome>::finished, this, [this] {
        m_run->setEnabled(true);
        applyDeploymentOutcome(m_deployWatcher.result());
    });
    connect(m_mode, &QComboBox::currentIndexChanged, this, [this] { updateModeControls(); });
    updateModeControls();
}

SearchPage::~SearchPage() {
    m_watcher.waitForFinished();
    m_deployWatcher.waitForFinished();
}

void SearchPage::updateModeControls() {
    const bool serving = mode() == SearchMode::Serving;
    auto* form = qobject_cast<QFormLayout*>(m_mode->parentWidget()->layout());
    if (form) {
        form->setRowVisible(m_objective, !serving);
        form->setRowVisible(m_prices, !serving);
        form->setRowVisible(m_gpus, serving);
        form->setRowVisible(m_disagg, serving);
    }
    m_plots->setCurrentIndex(serving ? 1 : 0);
    m_tables->setCurrentIndex(serving ? 1 : 0);
    if (m_searches == 0 && !isRunning())
        showMessage(serving ? tr("Serving simulator: every layout of the model on the GPU budget (TP x batch limit, "
                                 "replicas; disaggregated pools if checked) with %1, on the first checked platform "
                                 "as the node. Press Run.")
                                  .arg(servingStack())
                            : tr("Set the targets and press Run (0 = no limit). Candidates: TP 1-8, batch 1-256, "
                                 "bf16."),
                    false);
}

void SearchPage::setMode(SearchMode mode) {
    m_mode->setCurrentIndex(mode == SearchMode::Serving ? 1 : 0);
}

SearchMode SearchPage::mode() const {
    return m_mode->currentIndex() == 1 ? SearchMode::Serving : SearchMode::Step;
}

void SearchPage::setGpuBudget(int gpus) {
    m_gpus->setValue(gpus);
}

void SearchPage::setDisaggregated(bool on) {
    m_disagg->setChecked(on);
}

QString SearchPage::servingStack() const {
    return servingStackFor(m_stack);
}

void SearchPage::setWorkload(const QString& modelKey, const QString& modelLabel, const QString& stack) {
    m_modelKey = modelKey;
    m_stack = stack;
    m_modelLabel->setText(modelKey.isEmpty() ? tr("(none — GEMM workload)") : modelLabel);
}

void SearchPage::setCurrentPlatform(const QString& name) {
    if (m_userChecked)
        return;
    m_settingChecks = true;
    for (int i = 0; i < m_platforms->count(); ++i)
        m_platforms->item(i)->setCheckState(m_platforms->item(i)->text() == name ? Qt::Checked : Qt::Unchecked);
    m_settingChecks = false;
}

bool SearchPage::setCandidatePlatforms(const QStringList& names) {
    for (const QString& n : names)
        if (m_platforms->findItems(n, Qt::MatchExactly).isEmpty()) {
            showMessage(tr("Unknown platform '%1'").arg(n), true);
            return false;
        }
    m_settingChecks = true;
    for (int i = 0; i < m_platforms->count(); ++i)
        m_platforms->item(i)->setCheckState(names.contains(m_platforms->item(i)->text()) ? Qt::Checked : Qt::Unchecked);
    m_settingChecks = false;
    m_userChecked = true;
    return true;
}

QStringList SearchPage::candidatePlatforms() const {
    QStringList out;
    for (int i = 0; i < m_platforms->count(); ++i)
        if (m_platforms->item(i)->checkState() == Qt::Checked)
            out << m_platforms->item(i)->text();
    return out;
}

void SearchPage::setTargets(double ttftMaxS, double tpotMaxS) {
    m_ttft->setValue(ttftMaxS);
    m_tpot->setValue(tpotMaxS);
}

void SearchPage::setTokens(int prompt, int output) {
    m_prompt->setValue(prompt);
    m_output->setValue(output);
}

void SearchPage::setObjective(SearchObjective o) {
    m_objective->setCurrentIndex(o == SearchObjective::Cost ? 1 : 0);
}

void SearchPage::setPrices(const QString& text) {
    m_prices->setText(text);
}

bool SearchPage::buildRequest(SearchRequest& req, QString& error) const {
    req.model = m_modelKey;
    req.stack = m_stack;
    req.platforms = candidatePlatforms();
    req.slo = {m_ttft->value(), m_tpot->value()};
    req.objective = m_objective->currentIndex() == 1 ? SearchObjective::Cost : SearchObjective::Devices;
    req.prompt = m_prompt->value();
    req.output = m_output->value();
    if (req.model.isEmpty()) {
        error = tr("The search needs an LLM workload: choose a model in the left panel");
        return false;
    }
    if (req.platforms.isEmpty()) {
        error = tr("Check at least one candidate platform");
        return false;
    }
    for (const QString& item : m_prices->text().split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString t = item.trimmed();
        const qsizetype eq = t.indexOf(QLatin1Char('='));
        bool ok = false;
        const double v = eq > 0 ? t.mid(eq + 1).trimmed().toDouble(&ok) : 0;
        if (eq <= 0 || !ok || !(v >= 0)) {
            error = tr("Prices: '%1' is not PLATFORM=USD_PER_DEVICE_HOUR").arg(t);
            return false;
        }
        req.prices[t.left(eq).trimmed()] = v;
    }
    return true;
}

bool SearchPage::buildDeploymentRequest(DeploymentSearchRequest& req, QString& error) const {
    req.model = m_modelKey;
    req.stack = servingStack();
    const QStringList platforms = candidatePlatforms();
    req.platform = platforms.value(0);
    req.gpus = m_gpus->value();
    req.disaggregated = m_disagg->isChecked();
    req.inputTokens = m_prompt->value();
    req.outputTokens = m_output->value();
    req.slo.ttftMaxS = m_ttft->value();
    req.slo.tpotMaxS = m_tpot->value();
    if (req.model.isEmpty()) {
        error = tr("The search needs an LLM workload: choose a model in the left panel");
        return false;
    }
    if (req.platform.isEmpty()) {
        error = tr("Check the platform to deploy on (the node, e.g. hgx-h100-8gpu)");
        return false;
    }
    return true;
}

bool SearchPage::run() {
    if (isRunning())
        return false;
    if (mode() == SearchMode::Serving) {
        DeploymentSearchRequest req;
        QString error;
        if (!buildDeploymentRequest(req, error)) {
            showMessage(error, true);
            return false;
        }
        m_run->setEnabled(false);
        showMessage(
            tr("Simulating the deployments of %1 GPU(s) on %2 with %3…").arg(req.gpus).arg(req.platform, req.stack),
            false);
        m_deployWatcher.setFuture(QtConcurrent::run([req]() { return runDeploymentSearch(req); }));
        return true;
    }
    SearchRequest req;
    QString error;
    if (!buildRequest(req, error)) {
        showMessage(error, true);
        return false;
    }
    m_lastSlo = req.slo;
    m_run->setEnabled(false);
    showMessage(tr("Searching %1 platform(s)…").arg(req.platforms.size()), false);
    m_watcher.setFuture(QtConcurrent::run([req]() { return runSearch(req); }));
    return true;
}

bool SearchPage::isRunning() const {
    return m_watcher.isRunning() || m_deployWatcher.isRunning() || !m_run->isEnabled();
}

bool SearchPage::waitForSearch(int timeoutMs) {
    QElapsedTimer t;
    t.start();
    while (isRunning()) {
        if (t.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    }
    QCoreApplication::processEvents();
    return true;
}

void SearchPage::showMessage(const QString& text, bool error) {
    m_message->setStyleSheet(error ? QStringLiteral("color: #b00020;") : QString());
    m_message->setText(error ? tr("⚠ %1").arg(text) : text);
}

QString SearchPage::messageText() const {
    return m_message->text();
}

void SearchPage::applyOutcome(const SearchOutcome& o) {
    ++m_searches;
    m_outcome = o;
    m_model->setRows(o.rows);
    m_plot->setData(o, m_lastSlo);
    if (!o.error.isEmpty()) {
        showMessage(o.error, true);
    } else if (!o.result.best) {
        std::size_t fitting = 0;
        for (const auto& c : o.result.candidates)
            fitting += c.ok && c.fits ? 1 : 0;
        showMessage(tr("No configuration meets the targets (%1 candidates, %2 fit in memory); the table and plot "
                       "show the Pareto front")
                        .arg(o.result.candidates.size())
                        .arg(fitting),
                    true);
    } else {
        const SearchCandidate& b = o.result.candidates[*o.result.best];
        QString text = tr("Best: %1, TP %2, PP %3, DP %4, batch %5 — %6 device(s), TTFT %7, TPOT %8, %9 tokens/s "
                          "per device")
                           .arg(o.platformNames.value(qsizetype(b.platform)))
                           .arg(b.tp)
                           .arg(b.pp)
                           .arg(b.dp)
                           .arg(b.batch)
                           .arg(b.devices)
                           .arg(ms(b.ttftS), ms(b.tpotS))
                           .arg(b.tokensPerSPerDevice, 0, 'g', 5);
        if (b.costPerHour > 0)
            text += tr(", $%1/h").arg(b.costPerHour, 0, 'g', 5);
        showMessage(text, false);
    }
    emit searched();
}

void SearchPage::applyDeploymentOutcome(const DeploymentSearchOutcome& o) {
    ++m_searches;
    m_deployOutcome = o;
    m_deployModel->setRows(o.rows);
    ServingStudyOutcome plotted;
    plotted.search = o.result;
    plotted.slo = o.slo;
    plotted.modelName = o.modelName;
    m_servingPlot->setData(plotted);
    if (!o.error.isEmpty()) {
        showMessage(o.error, true);
    } else if (!o.result.best) {
        std::size_t ok = 0;
        for (const auto& c : o.result.candidates)
            ok += c.ok ? 1 : 0;
        showMessage(tr("No layout meets the targets (%1 layouts simulated with %2 on %3, %4 ran); the table and plot "
                       "show the Pareto front")
                        .arg(o.result.simulations)
                        .arg(o.stack, o.platform)
                        .arg(ok),
                    true);
    } else {
        showMessage(tr("Best under the SLO (%1 on %2, %3 layouts simulated): %4")
                        .arg(o.stack, o.platform)
                        .arg(o.result.simulations)
                        .arg(describeCandidate(o.result.candidates[*o.result.best])),
                    false);
    }
    emit searched();
}

} // namespace rooflab::gui
