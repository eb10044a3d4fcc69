#include "main_window.hpp"

#include "analysis_pages.hpp"
#include "io/data_paths.hpp"
#include "io/model_loader.hpp"
#include "io/platform_loader.hpp"
#include "io/stack_loader.hpp"
#include "models/table_models.hpp"
#include "plots/analysis_plots.hpp"
#include "plots/charts.hpp"
#include "plots/roofline_plot.hpp"
#include "plots/search_plot.hpp"
#include "report/report.hpp"
#include "report_export.hpp"
#include "search_page.hpp"
#include "units/errors.hpp"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QComboBox>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTextBlock>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include <filesystem>

namespace rooflab::gui {
namespace {

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}
QString qs(std::string_view s) {
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

QSpinBox* spin(int lo, int hi, int value) {
    auto* s = new QSpinBox;
    s->setRange(lo, hi);
    s->setValue(value);
    s->setAccelerated(true);
    s->setKeyboardTracking(false);
    return s;
}

QComboBox* dtypeCombo(DType value) {
    auto* c = new QComboBox;
    for (std::size_t t = 0; t < kDTypeCount; ++t)
        c->addItem(qs(dtypeName(DType(t))));
    c->setCurrentIndex(static_cast<int>(value));
    return c;
}

DType dtypeOf(const QComboBox* c) {
    return DType(static_cast<unsigned char>(std::max(0, c->currentIndex())));
}

const char* const kPages[] = {"roofline",  "breakdown", "sweep",  "compare", "validation",
                              "operators", "platform",  "search", "trace",   "calibration"};
const char* const kNone = "(none)";

} // namespace

MainWindow::MainWindow(bool persistSession, QWidget* parent) : QMainWindow(parent), m_persist(persistSession) {
    setWindowTitle(tr("rooflab workbench"));
    // Changes made in one pass of the event loop (several setters, a session restore) make one evaluation; while
    // one runs, further changes wait as one pending re-evaluation (m_pending). No delay beyond that.
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(0);
    connect(&m_debounce, &QTimer::timeout, this, &MainWindow::startEvaluation);
    m_editTimer.setSingleShot(true);
    m_editTimer.setInterval(250);
    connect(&m_editTimer, &QTimer::timeout, this, &MainWindow::validateEditor);
    connect(&m_watcher, &QFutureWatcher<Outcome>::finished, this, [this] {
        applyOutcome(m_watcher.result());
        if (m_pending) {
            m_pending = false;
            startEvaluation();
        }
    });
    m_reportExporter = new ReportExporter(this, this);
    connect(m_reportExporter, &ReportExporter::finished, this, [this](bool ok, const QString& message) {
        if (ok)
            m_statusLabel->setText(tr("Report written to %1/report.html").arg(message));
        else
            showError(tr("Export report: %1").arg(message));
        emit reportExportFinished(ok, message);
    });
    connect(m_reportExporter, &ReportExporter::progressChanged, this, [this](int percent, const QString& stage) {
        if (!stage.isEmpty())
            m_statusLabel->setText(tr("Exporting report: %1 (%2%)").arg(stage).arg(percent));
    });
    buildUi();
    buildMenus();
    if (m_persist)
        restoreSession();
    if (m_platform.name.empty()) {
        const auto names = io::listPlatformNames();
        const bool hasH100 = std::find(names.begin(), names.end(), "h100-sxm5-80gb") != names.end();
        if (!names.empty())
            selectPlatform(hasH100 ? QStringLiteral("h100-sxm5-80gb") : qs(names.front()));
    }
    scheduleEvaluation();
}

MainWindow::~MainWindow() {
    m_debounce.stop();
    m_watcher.waitForFinished();
}

// ---------------------------------------------------------------- UI

void MainWindow::buildUi() {
    m_opModel = new OperatorTableModel(this);
    m_valuesModel = new PlatformValuesModel(this);
    m_sweepModel = new SweepModel(this);
    m_validationModel = new ValidationModel(this);

    m_tabs = new QTabWidget;
    m_tabs->setDocumentMode(true);
    m_roofline = new RooflinePlot;
    m_breakdown = new BreakdownPlot;
    m_sweep = new SweepPlot;
    m_compare = new ComparePlot;
    m_validation = new ValidationPlot;

    auto* sweepSplit = new QSplitter(Qt::Vertical);
    sweepSplit->addWidget(m_sweep);
    sweepSplit->addWidget(makeTable(m_sweepModel));
    sweepSplit->setStretchFactor(0, 4);
    sweepSplit->setStretchFactor(1, 1);

    auto* comparePage = new QWidget;
    auto* cl = new QVBoxLayout(comparePage);
    auto* row = new QHBoxLayout;
    row->addWidget(new QLabel(tr("Compare the selected platform with:")));
    for (auto*& c : m_compareCombos) {
        c = new QComboBox;
        c->addItem(QString::fromLatin1(kNone));
        for (const auto& n : io::listPlatformNames())
            c->addItem(qs(n));
        connect(c, &QComboBox::currentIndexChanged, this, &MainWindow::scheduleEvaluation);
        row->addWidget(c);
    }
    row->addStretch();
    cl->addLayout(row);
    cl->addWidget(m_compare, 1);

    auto* validationPage = new QWidget;
    auto* vl = new QVBoxLayout(validationPage);
    auto* vrow = new QHBoxLayout;
    auto* loadBtn = new QPushButton(tr("Load dataset…"));
    connect(loadBtn, &QPushButton::clicked, this, &MainWindow::chooseDataset);
    m_datasetLabel = new QLabel(tr("No dataset loaded (end-to-end CSV: id,model,phase,batch,prompt,context,tp,"
                                   "weights,kv,act,stack,measured_s)"));
    m_datasetLabel->setWordWrap(true);
    vrow->addWidget(loadBtn);
    vrow->addWidget(m_datasetLabel, 1);
    vl->addLayout(vrow);
    auto* vsplit = new QSplitter(Qt::Vertical);
    vsplit->addWidget(m_validation);
    vsplit->addWidget(makeTable(m_validationModel));
    vsplit->setStretchFactor(0, 3);
    vsplit->setStretchFactor(1, 1);
    vl->addWidget(vsplit, 1);

    m_tabs->addTab(m_roofline, tr("&Roofline"));
    m_tabs->addTab(m_breakdown, tr("&Breakdown"));
    m_tabs->addTab(sweepSplit, tr("&Sweep"));
    m_tabs->addTab(comparePage, tr("&Compare"));
    m_tabs->addTab(validationPage, tr("&Validation"));
    m_tabs->addTab(makeTable(m_opModel), tr("&Operators"));
    m_tabs->addTab(buildPlatformPage(), tr("&Platform"));
    m_searchPage = new SearchPage;
    m_tabs->addTab(m_searchPage, tr("S&earch"));
    m_tracePage = new TracePage;
    m_tabs->addTab(m_tracePage, tr("&Trace"));
    m_calibrationPage = new CalibrationPage;
    m_tabs->addTab(m_calibrationPage, tr("C&alibration"));
    for (const char* p : kPages)
        m_pageNames << QString::fromLatin1(p);
    setCentralWidget(m_tabs);

    auto* dock = new QDockWidget(tr("Workload and scenario"), this);
    dock->setObjectName(QStringLiteral("controls"));
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    auto* scroll = new QScrollArea;
    scroll->setWidgetResizable(true);
    scroll->setWidget(buildControls());
    scroll->setMinimumWidth(250);
    dock->setWidget(scroll);
    addDockWidget(Qt::LeftDockWidgetArea, dock);

    m_statusLabel = new QLabel;
    m_statusLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_timingLabel = new QLabel;
    statusBar()->addWidget(m_statusLabel, 1);
    statusBar()->addPermanentWidget(m_timingLabel);
}

QTableView* MainWindow::makeTable(QAbstractItemModel* model) {
    auto* proxy = new QSortFilterProxyModel(this);
    proxy->setSourceModel(model);
    proxy->setSortRole(kSortRole);
    auto* view = new QTableView;
    view->setModel(proxy);
    view->setSortingEnabled(true);
    view->sortByColumn(-1, Qt::AscendingOrder);
    view->setSelectionBehavior(QAbstractItemView::SelectItems);
    view->setAlternatingRowColors(true);
    view->verticalHeader()->setDefaultSectionSize(22);
    view->horizontalHeader()->setStretchLastSection(true);
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    // Fit columns to the rows on screen only: measuring every row of a 1,000-point sweep table on each result
    // costs more than drawing the plot.
    view->horizontalHeader()->setResizeContentsPrecision(0);
    // Copy the selection as tab-separated text (pastes into spreadsheets).
    auto* copy = new QAction(tr("Copy"), view);
    copy->setShortcut(QKeySequence::Copy);
    copy->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(copy, &QAction::triggered, view, [view] {
        QModelIndexList sel = view->selectionModel()->selectedIndexes();
        if (sel.isEmpty())
            return;
        std::sort(sel.begin(), sel.end());
        QString text;
        int lastRow = sel.front().row();
        for (int i = 0; i < sel.size(); ++i) {
            if (i > 0)
                text += sel[i].row() != lastRow ? QLatin1Char('\n') : QLatin1Char('\t');
            lastRow = sel[i].row();
            text += sel[i].data().toString();
        }
        QApplication::clipboard()->setText(text);
    });
    view->addAction(copy);
    view->setContextMenuPolicy(Qt::ActionsContextMenu);
    return view;
}

QWidget* MainWindow::buildPlatformPage() {
    auto* split = new QSplitter(Qt::Horizontal);
    m_platformList = new QListWidget;
    for (const auto& n : io::listPlatformNames())
        m_platformList->addItem(qs(n));
    connect(m_platformList, &QListWidget::currentRowChanged, this, &MainWindow::onPlatformListChanged);
    split->addWidget(m_platformList);
    split->addWidget(makeTable(m_valuesModel));

    auto* editorBox = new QWidget;
    auto* el = new QVBoxLayout(editorBox);
    el->setContentsMargins(0, 0, 0, 0);
    el->addWidget(new QLabel(tr("Platform file (YAML) — validated as you type; valid edits are evaluated at once")));
    m_editor = new QPlainTextEdit;
    m_editor->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_editor->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    connect(m_editor, &QPlainTextEdit::textChanged, this, [this] {
        if (!m_loadingEditor)
            m_editTimer.start();
    });
    el->addWidget(m_editor, 1);
    m_editorStatus = new QLabel;
    m_editorStatus->setWordWrap(true);
    m_editorStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    el->addWidget(m_editorStatus);
    auto* buttons = new QHBoxLayout;
    auto* revert = new QPushButton(tr("Revert"));
    connect(revert, &QPushButton::clicked, this, [this] {
        if (m_platformList->currentItem())
            onPlatformListChanged(m_platformList->currentRow());
    });
    auto* saveAs = new QPushButton(tr("Save Platform As…"));
    connect(saveAs, &QPushButton::clicked, this, &MainWindow::chooseSavePlatform);
    buttons->addWidget(revert);
    buttons->addWidget(saveAs);
    buttons->addStretch();
    el->addLayout(buttons);
    split->addWidget(editorBox);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 4);
    split->setStretchFactor(2, 4);
    split->setSizes({150, 600, 460});
    return split;
}

QWidget* MainWindow::buildControls() {
    auto* w = new QWidget;
    auto* form = new QFormLayout(w);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    auto changed = [this] { scheduleEvaluation(); };

    m_platformCombo = new QComboBox;
    for (const auto& n : io::listPlatformNames())
        m_platformCombo->addItem(qs(n), qs(n));
    connect(m_platformCombo, &QComboBox::activated, this,
            [this](int i) { selectPlatform(m_platformCombo->itemData(i).toString()); });
    form->addRow(tr("Plat&form"), m_platformCombo);

    m_kindCombo = new QComboBox;
    m_kindCombo->addItems({tr("LLM inference"), tr("GEMM")});
    connect(m_kindCombo, &QComboBox::currentIndexChanged, this, [this] {
        updateControlsForKind();
        scheduleEvaluation();
    });
    form->addRow(tr("&Workload"), m_kindCombo);

    m_modelCombo = new QComboBox;
    for (const auto& n : io::listModelNames())
        m_modelCombo->addItem(qs(n), qs(n));
    const int def = m_modelCombo->findText(QStringLiteral("llama-3.1-8b"));
    if (def >= 0)
        m_modelCombo->setCurrentIndex(def);
    connect(m_modelCombo, &QComboBox::currentIndexChanged, this, changed);
    auto* loadCfg = new QPushButton(tr("Load config.json…"));
    connect(loadCfg, &QPushButton::clicked, this, &MainWindow::chooseConfigFile);
    form->addRow(tr("&Model"), m_modelCombo);
    form->addRow(QString(), loadCfg);
    m_llmOnly << m_modelCombo << loadCfg;

    m_stackCombo = new QComboBox;
    for (const auto& n : io::listStackNames())
        m_stackCombo->addItem(qs(n));
    const int eager = m_stackCombo->findText(QStringLiteral("pytorch-eager"));
    if (eager >= 0)
        m_stackCombo->setCurrentIndex(eager);
    connect(m_stackCombo, &QComboBox::currentIndexChanged, this, changed);
    form->addRow(tr("S&tack"), m_stackCombo);

    m_phaseCombo = new QComboBox;
    m_phaseCombo->addItems(
        {QStringLiteral("prefill"), QStringLiteral("decode"), QStringLiteral("chunked"), QStringLiteral("request")});
    m_phaseCombo->setCurrentIndex(1);
    connect(m_phaseCombo, &QComboBox::currentIndexChanged, this, changed);
    form->addRow(tr("P&hase"), m_phaseCombo);

    constexpr int kBig = 1 << 30;
    m_batch = spin(1, 1 << 20, 1);
    m_prompt = spin(1, kBig, 2048);
    m_context = spin(0, kBig, 2048);
    m_chunk = spin(1, kBig, 512);
    m_outputTokens = spin(1, kBig, 256);
    m_tp = spin(1, 1024, 1);
    m_pp = spin(1, 1024, 1);
    m_ep = spin(1, 1024, 1);
    m_weights = dtypeCombo(DType::bf16);
    m_kv = dtypeCombo(DType::bf16);
    m_act = dtypeCombo(DType::bf16);
    const std::pair<QString, QWidget*> rows[] = {{tr("&Batch"), m_batch},
                                                 {tr("Prom&pt tokens"), m_prompt},
                                                 {tr("&Context tokens"), m_context},
                                                 {tr("Chun&k tokens"), m_chunk},
                                                 {tr("O&utput tokens"), m_outputTokens},
                                                 {tr("TP"), m_tp},
                                                 {tr("PP"), m_pp},
                                                 {tr("EP"), m_ep},
                                                 {tr("Weights dtype"), m_weights},
                                                 {tr("KV dtype"), m_kv},
                                                 {tr("Activation dtype"), m_act}};
    for (const auto& [label, field] : rows) {
        form->addRow(label, field);
        m_llmOnly << field;
        if (auto* s = qobject_cast<QSpinBox*>(field))
            connect(s, &QSpinBox::valueChanged, this, changed);
        else if (auto* c = qobject_cast<QComboBox*>(field))
            connect(c, &QComboBox::currentIndexChanged, this, changed);
    }
    m_llmOnly << m_stackCombo << m_phaseCombo;

    m_gemmM = spin(1, kBig, 8192);
    m_gemmN = spin(1, kBig, 8192);
    m_gemmK = spin(1, kBig, 8192);
    m_gemmType = dtypeCombo(DType::bf16);
    for (auto* s : {m_gemmM, m_gemmN, m_gemmK}) {
        connect(s, &QSpinBox::valueChanged, this, changed);
        m_gemmOnly << s;
    }
    connect(m_gemmType, &QComboBox::currentIndexChanged, this, changed);
    m_gemmOnly << m_gemmType;
    form->addRow(tr("GEMM M"), m_gemmM);
    form->addRow(tr("GEMM N"), m_gemmN);
    form->addRow(tr("GEMM K"), m_gemmK);
    form->addRow(tr("GEMM dtype"), m_gemmType);

    m_errorLabel = new QLabel;
    m_errorLabel->setWordWrap(true);
    m_errorLabel->setStyleSheet(QStringLiteral("color: #b00020;"));
    m_errorLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_errorLabel->hide();
    form->addRow(m_errorLabel);
    updateControlsForKind();
    return w;
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    auto add = [this](QMenu* m, const QString& text, const QKeySequence& key, auto slot) {
        QAction* a = m->addAction(text);
        a->setShortcut(key);
        connect(a, &QAction::triggered, this, slot);
        return a;
    };
    add(file, tr("Load &config.json…"), QKeySequence(Qt::CTRL | Qt::Key_O), &MainWindow::chooseConfigFile);
    add(file, tr("Load &dataset…"), QKeySequence(Qt::CTRL | Qt::Key_D), &MainWindow::chooseDataset);
    file->addSeparator();
    add(file, tr("&Export plot…"), QKeySequence(Qt::CTRL | Qt::Key_E), &MainWindow::chooseExportPlot);
    add(file, tr("Export &table as CSV…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E),
        &MainWindow::chooseExportTable);
    add(file, tr("Export &report…"), QKeySequence(Qt::CTRL | Qt::Key_R), &MainWindow::chooseExportReport);
    add(file, tr("&Save Platform As…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S),
        &MainWindow::chooseSavePlatform);
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
    QAction* about = help->addAction(tr("&About rooflab"));
    connect(about, &QAction::triggered, this, [this] {
        QMessageBox::about(this, tr("About rooflab"),
                           tr("rooflab workbench: roofline and operator-graph predictions of LLM inference.\n\n"
                              "Ctrl+1..8 pages, F5 re-evaluate, Ctrl+O config.json, Ctrl+D dataset, Ctrl+E export "
                              "plot, Ctrl+Shift+E export table, Ctrl+Shift+S save platform, Ctrl+C copy cells."));
    });
}

void MainWindow::updateControlsForKind() {
    const bool gemm = m_kindCombo->currentIndex() == 1;
    for (QWidget* w : m_llmOnly)
        w->setEnabled(!gemm);
    for (QWidget* w : m_gemmOnly)
        w->setEnabled(gemm);
}

// ---------------------------------------------------------------- selection

bool MainWindow::selectPlatform(const QString& nameOrPath) {
    try {
        const std::string path = io::findPlatformFile(nameOrPath.toStdString());
        Platform p = io::loadPlatformFile(path);
        QFile f(qs(path));
        QString text;
        if (f.open(QIODevice::ReadOnly | QIODevice::Text))
            text = QString::fromUtf8(f.readAll());
        m_loadingEditor = true;
        m_editor->setPlainText(text);
        m_editor->setExtraSelections({});
        m_loadingEditor = false;
        m_editTimer.stop();
        m_editorStatus->setStyleSheet(QStringLiteral("color: #1b5e20;"));
        m_editorStatus->setText(tr("✓ %1 — valid, %2").arg(qs(path)).arg(tr("as shipped")));
        setPlatform(p, false);
        const QString name = qs(p.name);
        const QList<QListWidgetItem*> items =
            m_platformList->findItems(QFileInfo(qs(path)).completeBaseName(), Qt::MatchExactly);
        m_platformList->blockSignals(true);
        if (!items.isEmpty())
            m_platformList->setCurrentItem(items.front());
        m_platformList->blockSignals(false);
        int ci = m_platformCombo->findData(QFileInfo(qs(path)).completeBaseName());
        if (ci < 0) {
            m_platformCombo->addItem(name, qs(path));
            ci = m_platformCombo->count() - 1;
        }
        m_platformCombo->setCurrentIndex(ci);
        return true;
    } catch (const std::exception& e) {
        showError(tr("Platform: %1").arg(QString::fromUtf8(e.what())));
        return false;
    }
}

void MainWindow::setPlatform(const Platform& p, bool fromEditor) {
    m_platform = p;
    m_platformModel = std::make_shared<const PlatformModel>(PlatformModel::from(p));
    m_valuesModel->setPlatform(p);
    setWindowTitle(tr("rooflab workbench — %1%2").arg(qs(p.name), fromEditor ? tr(" (edited)") : QString()));
    refreshValidation();
    scheduleEvaluation();
}

void MainWindow::onPlatformListChanged(int row) {
    if (row >= 0 && m_platformList->item(row))
        selectPlatform(m_platformList->item(row)->text());
}

void MainWindow::validateEditor() {
    const std::string base =
        m_platform.file.empty() ? std::string() : std::filesystem::path(m_platform.file).parent_path().string();
    const std::string name = m_platform.file.empty() ? std::string("edited platform") : m_platform.file;
    try {
        Platform p = io::loadPlatformString(m_editor->toPlainText().toStdString(), name, base);
        p.file = m_platform.file;
        m_editor->setExtraSelections({});
        m_editorStatus->setStyleSheet(QStringLiteral("color: #1b5e20;"));
        m_editorStatus->setText(tr("✓ valid (edited, not saved) — %1 values; evaluating the edited platform")
                                    .arg(m_valuesModel->rowCount()));
        setPlatform(p, true);
        m_editorStatus->setText(tr("✓ valid (edited, not saved) — %1 values; evaluating the edited platform")
                                    .arg(m_valuesModel->rowCount()));
    } catch (const InputError& e) {
        m_editorStatus->setStyleSheet(QStringLiteral("color: #b00020;"));
        m_editorStatus->setText(e.line() > 0 ? tr("✗ line %1: %2").arg(e.line()).arg(QString::fromUtf8(e.what()))
                                             : tr("✗ %1").arg(QString::fromUtf8(e.what())));
        QList<QTextEdit::ExtraSelection> sel;
        if (e.line() > 0) {
            QTextEdit::ExtraSelection s;
            s.format.setBackground(QColor(255, 205, 205));
            s.format.setProperty(QTextFormat::FullWidthSelection, true);
            s.cursor = QTextCursor(m_editor->document()->findBlockByNumber(e.line() - 1));
            sel << s;
        }
        m_editor->setExtraSelections(sel);
    } catch (const std::exception& e) {
        m_editorStatus->setStyleSheet(QStringLiteral("color: #b00020;"));
        m_editorStatus->setText(tr("✗ %1").arg(QString::fromUtf8(e.what())));
    }
}

bool MainWindow::selectModel(const QString& nameOrPath) {
    int i = m_modelCombo->findData(nameOrPath);
    if (i < 0)
        i = m_modelCombo->findText(nameOrPath);
    if (i < 0) {
        try {
            auto arch = std::make_shared<const LlmArch>(io::loadModel(nameOrPath.toStdString()));
            m_archCache[nameOrPath] = arch;
            m_modelCombo->addItem(qs(arch->name.empty() ? QFileInfo(nameOrPath).fileName().toStdString() : arch->name),
                                  nameOrPath);
            i = m_modelCombo->count() - 1;
        } catch (const std::exception& e) {
            showError(tr("Model: %1").arg(QString::fromUtf8(e.what())));
            return false;
        }
    }
    m_kindCombo->setCurrentIndex(0);
    m_modelCombo->setCurrentIndex(i);
    scheduleEvaluation();
    return true;
}

bool MainWindow::selectStack(const QString& name) {
    const int i = m_stackCombo->findText(name);
    if (i < 0) {
        showError(tr("Stack: unknown stack '%1'").arg(name));
        return false;
    }
    m_stackCombo->setCurrentIndex(i);
    return true;
}

bool MainWindow::setPhase(const QString& phase) {
    const int i = m_phaseCombo->findText(phase.toLower());
    if (i < 0) {
        showError(tr("Phase: '%1' is not one of prefill, decode, chunked, request").arg(phase));
        return false;
    }
    m_phaseCombo->setCurrentIndex(i);
    return true;
}

void MainWindow::setBatch(int batch) {
    m_batch->setValue(batch);
}
void MainWindow::setPrompt(int tokens) {
    m_prompt->setValue(tokens);
}
void MainWindow::setContext(int tokens) {
    m_context->setValue(tokens);
}
void MainWindow::setTensorParallel(int tp) {
    m_tp->setValue(tp);
}
void MainWindow::setPipelineParallel(int pp) {
    m_pp->setValue(pp);
}
void MainWindow::setExpertParallel(int ep) {
    m_ep->setValue(ep);
}

bool MainWindow::setActivationType(const QString& dtype) {
    const int i = m_act->findText(dtype);
    if (i >= 0)
        m_act->setCurrentIndex(i);
    return i >= 0;
}

void MainWindow::setSweepPoints(int perSweep) {
    perSweep = std::clamp(perSweep, 2, 100000);
    if (perSweep == m_sweepPoints)
        return;
    m_sweepPoints = perSweep;
    scheduleEvaluation();
}

void MainWindow::setGemmWorkload(int m, int n, int k) {
    m_kindCombo->setCurrentIndex(1);
    m_gemmM->setValue(m);
    m_gemmN->setValue(n);
    m_gemmK->setValue(k);
}

bool MainWindow::setComparePlatforms(const QStringList& names) {
    for (int i = 0; i < 3; ++i) {
        const QString n = i < names.size() ? names[i] : QString::fromLatin1(kNone);
        int idx = m_compareCombos[i]->findText(n);
        if (idx < 0) {
            showError(tr("Compare: unknown platform '%1'").arg(n));
            return false;
        }
        m_compareCombos[i]->setCurrentIndex(idx);
    }
    return true;
}

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
    case 0:
        return m_roofline;
    case 1:
        return m_breakdown;
    case 2:
        return m_sweep;
    case 3:
        return m_compare;
    case 4:
        return m_validation;
    case 7:
        return m_searchPage->plot();
    case 8:
        return m_tracePage->plot();
    case 9:
        return m_calibrationPage->gemmPlot();
    default:
        return nullptr;
    }
}

QAbstractItemModel* MainWindow::currentTable() const {
    switch (m_tabs->currentIndex()) {
    case 2:
        return m_sweepModel;
    case 4:
        return m_validationModel;
    case 6:
        return m_valuesModel;
    case 7:
        return m_searchPage->model();
    case 8:
        return m_tracePage->model();
    default:
        return m_opModel;
    }
}

// ---------------------------------------------------------------- evaluation

void MainWindow::scheduleEvaluation() {
    syncSearchPage();
    m_debounce.start();
}

void MainWindow::syncSearchPage() {
    if (!m_searchPage || !m_kindCombo || !m_modelCombo || !m_stackCombo)
        return;
    const bool llm = m_kindCombo->currentIndex() == 0;
    m_searchPage->setWorkload(llm ? m_modelCombo->currentData().toString() : QString(), m_modelCombo->currentText(),
                              m_stackCombo->currentText());
    m_searchPage->setCurrentPlatform(m_platform.file.empty() ? qs(m_platform.name)
                                                             : QFileInfo(qs(m_platform.file)).completeBaseName());
}

void MainWindow::syncAnalysisPages() {
    if (!m_tracePage || !m_calibrationPage || !m_platformModel)
        return;
    m_calibrationPage->setPlatform(m_platform.file.empty() ? qs(m_platform.name)
                                                           : QFileInfo(qs(m_platform.file)).completeBaseName(),
                                   m_platformModel);
    EvalInput in;
    QString error;
    if (!buildInput(in, error) || in.kind != WorkloadKind::Llm)
        return;
    Phase phase = Phase::Prefill;
    switch (in.phase) {
    case GuiPhase::Prefill:
    case GuiPhase::Request:
        phase = Phase::Prefill;
        break;
    case GuiPhase::Decode:
        phase = Phase::Decode;
        break;
    case GuiPhase::Chunked:
        phase = Phase::Chunked;
        break;
    }
    m_tracePage->setContext(m_platformModel, in.model, in.stack, withPhase(in.scenario, phase));
}

std::shared_ptr<const PlatformModel> MainWindow::platformModelFor(const QString& name, QString& error) {
    auto it = m_compareCache.find(name);
    if (it != m_compareCache.end())
        return it->second;
    try {
        auto pm = std::make_shared<const PlatformModel>(
            PlatformModel::from(io::loadPlatformFile(io::findPlatformFile(name.toStdString()))));
        m_compareCache[name] = pm;
        return pm;
    } catch (const std::exception& e) {
        error = tr("Compare platform %1: %2").arg(name, QString::fromUtf8(e.what()));
        return nullptr;
    }
}

bool MainWindow::buildInput(EvalInput& in, QString& error) {
    if (!m_platformModel) {
        error = tr("No platform loaded");
        return false;
    }
    in.platform = {m_platform.name, m_platformModel};
    in.kind = m_kindCombo->currentIndex() == 1 ? WorkloadKind::Gemm : WorkloadKind::Llm;
    for (auto* c : m_compareCombos) {
        if (c->currentIndex() <= 0)
            continue;
        auto pm = platformModelFor(c->currentText(), error);
        if (!pm)
            return false;
        in.compare.push_back({c->currentText().toStdString(), pm});
    }
    if (in.kind == WorkloadKind::Gemm) {
        in.gemm.m = m_gemmM->value();
        in.gemm.n = m_gemmN->value();
        in.gemm.k = m_gemmK->value();
        in.gemm.dtype = dtypeOf(m_gemmType);
        in.gemm.weightType = in.gemm.dtype;
        in.gemm.name = "gemm";
        return true;
    }
    try {
        const QString key = m_modelCombo->currentData().toString();
        auto& arch = m_archCache[key];
        if (!arch)
            arch = std::make_shared<const LlmArch>(io::loadModel(key.toStdString()));
        in.model = arch;
        const QString stack = m_stackCombo->currentText();
        auto sit = m_stackCache.find(stack);
        if (sit == m_stackCache.end())
            sit = m_stackCache
                      .emplace(stack,
                               stack.isEmpty() ? StackProfile::defaultProfile() : io::loadStack(stack.toStdString()))
                      .first;
        in.stack = sit->second;
    } catch (const std::exception& e) {
        error = QString::fromUtf8(e.what());
        return false;
    }
    in.phase = GuiPhase(static_cast<unsigned char>(m_phaseCombo->currentIndex()));
    in.sweepPoints = m_sweepPoints;
    try {
        in.scenario = ScenarioBuilder()
                          .batch(m_batch->value())
                          .prompt(m_prompt->value())
                          .context(m_context->value())
                          .chunk(m_chunk->value())
                          .outputTokens(m_outputTokens->value())
                          .tp(m_tp->value())
                          .pp(m_pp->value())
                          .ep(m_ep->value())
                          .weights(dtypeOf(m_weights))
                          .kv(dtypeOf(m_kv))
                          .act(dtypeOf(m_act))
                          .build();
    } catch (const std::exception& e) {
        error = QString::fromUtf8(e.what());
        return false;
    }
    return true;
}

void MainWindow::startEvaluation() {
    if (m_watcher.isRunning()) {
        m_pending = true;
        return;
    }
    EvalInput in;
    QString error;
    if (!buildInput(in, error)) {
        showError(error);
        return;
    }
    m_watcher.setFuture(QtConcurrent::run([in]() -> Outcome {
        try {
            return {evaluate(in), {}};
        } catch (const std::exception& e) {
            return {{}, QString::fromUtf8(e.what())};
        }
    }));
}

void MainWindow::evaluateNow() {
    m_debounce.stop();
    m_watcher.waitForFinished();
    m_pending = false;
    EvalInput in;
    QString error;
    if (!buildInput(in, error)) {
        showError(error);
        return;
    }
    try {
        applyOutcome({evaluate(in), {}});
    } catch (const std::exception& e) {
        applyOutcome({{}, QString::fromUtf8(e.what())});
    }
}

bool MainWindow::waitForEvaluation(int timeoutMs) {
    QElapsedTimer t;
    t.start();
    while (m_debounce.isActive() || m_watcher.isRunning() || m_pending) {
        if (t.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    }
    QCoreApplication::processEvents();
    return true;
}

void MainWindow::showError(const QString& message) {
    m_errorLabel->setText(message);
    m_errorLabel->setVisible(!message.isEmpty());
    if (!message.isEmpty())
        m_statusLabel->setText(tr("⚠ %1").arg(message));
}

void MainWindow::applyOutcome(const Outcome& o) {
    QElapsedTimer redraw;
    redraw.start();
    ++m_evaluations;
    if (!o.error.isEmpty()) {
        showError(o.error);
        return;
    }
    showError(QString());
    m_output = o.output;
    const Prediction& p = m_output.prediction;
    m_opModel->setPrediction(p);
    m_sweepModel->setSeries(m_output.batchSweep);
    m_roofline->setData(m_platform.name, *m_platformModel, p);
    m_breakdown->setData(p);
    const bool prefill = m_phaseCombo->currentIndex() == 0;
    m_sweep->setData(m_output.batchSweep, m_output.contextSweep, m_batch->value(),
                     prefill ? m_prompt->value() : m_context->value());
    m_compare->setData(m_output.compare);
    QString status;
    if (!p.ok) {
        status = tr("⚠ infeasible: %1").arg(qs(p.error));
        showError(qs(p.error));
    } else {
        status = p.why.empty() ? tr("%1-bound").arg(qs(boundName(p.bound))) : qs(p.why);
        if (m_output.request)
            status = tr("TTFT %1, TPOT %2, end-to-end %3 — prefill %4")
                         .arg(formatSeconds(m_output.request->ttftS), formatSeconds(m_output.request->tpotS),
                              formatSeconds(m_output.request->e2eS), status);
        if (m_kindCombo->currentIndex() == 0 && !p.memory.fits)
            status += tr(" — does NOT fit in memory (%1 of %2; max batch %3)")
                          .arg(formatBytes(p.memory.totalBytes), formatBytes(p.memory.capacityBytes))
                          .arg(p.memory.maxBatch);
    }
    m_statusLabel->setText(status);
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

// ---------------------------------------------------------------- datasets and export

bool MainWindow::loadDataset(const QString& path) {
    try {
        m_dataset = io::loadCsvFile(path.toStdString());
        m_datasetPath = path;
        refreshValidation();
        return true;
    } catch (const std::exception& e) {
        m_datasetLabel->setText(tr("⚠ %1").arg(QString::fromUtf8(e.what())));
        showError(tr("Dataset: %1").arg(QString::fromUtf8(e.what())));
        return false;
    }
}

void MainWindow::refreshValidation() {
    if (m_datasetPath.isEmpty() || !m_platformModel) {
        m_validation->setData({}, m_platform.name);
        return;
    }
    try {
        const std::string dir = QFileInfo(m_datasetPath).absolutePath().toStdString();
        const ValidationReport r = validateDatasetIn(m_dataset, *m_platformModel, dir);
        m_validationModel->setResult(r);
        m_validation->setData(r, m_platform.name);
        m_datasetLabel->setText(tr("%1 — %2 rows, %3 predicted on %4")
                                    .arg(m_datasetPath)
                                    .arg(r.rows.size())
                                    .arg(r.overall.n)
                                    .arg(qs(m_platform.name)));
    } catch (const std::exception& e) {
        m_datasetLabel->setText(tr("⚠ %1").arg(QString::fromUtf8(e.what())));
        m_validationModel->setResult({});
        m_validation->setData({}, m_platform.name);
    }
}

bool MainWindow::exportPlot(PlotView* plot, const QString& path, QString* error) {
    if (!plot) {
        if (error)
            *error = tr("this page has no plot");
        return false;
    }
    return plot->save(path, error);
}

bool MainWindow::exportTable(const QAbstractItemModel* model, const QString& path, QString* error) {
    return writeTableCsv(*model, path, error);
}

bool MainWindow::savePlatformAs(const QString& path, QString* error) {
    try {
        io::savePlatformFile(m_platform, path.toStdString());
        return true;
    } catch (const std::exception& e) {
        if (error)
            *error = QString::fromUtf8(e.what());
        return false;
    }
}

void MainWindow::chooseConfigFile() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Load model config"), QString(),
                                                      tr("Model configs (*.json *.yaml *.yml);;All files (*)"));
    if (!path.isEmpty())
        selectModel(path);
}

void MainWindow::chooseDataset() {
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Load end-to-end dataset"), QString(), tr("CSV (*.csv);;All files (*)"));
    if (!path.isEmpty() && loadDataset(path))
        showPage(QStringLiteral("validation"));
}

void MainWindow::chooseExportPlot() {
    PlotView* plot = currentPlot();
    if (!plot) {
        showError(tr("This page has no plot; use Export table (Ctrl+Shift+E)"));
        return;
    }
    QStringList filters;
    for (const QString& s : PlotView::exportSuffixes())
        filters << tr("%1 (*.%2)").arg(s.toUpper(), s);
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export plot"), currentPageName() + QStringLiteral(".png"), filters.join(QStringLiteral(";;")));
    QString error;
    if (!path.isEmpty() && !exportPlot(plot, path, &error))
        showError(tr("Export: %1").arg(error));
}

void MainWindow::chooseExportTable() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export table"),
                                                      currentPageName() + QStringLiteral(".csv"), tr("CSV (*.csv)"));
    QString error;
    if (!path.isEmpty() && !exportTable(currentTable(), path, &error))
        showError(tr("Export: %1").arg(error));
}

bool MainWindow::reportInput(report::ReportInput& in, QString* error) const {
    if (m_kindCombo->currentIndex() == 1) {
        if (error)
            *error = tr("Reports cover LLM workloads; switch the workload to an LLM");
        return false;
    }
    if (m_platform.name.empty()) {
        if (error)
            *error = tr("No platform loaded");
        return false;
    }
    in = report::ReportInput{};
    in.platform = m_platform.file.empty() ? m_platform.name : m_platform.file;
    in.platformData = m_platform; // the platform as shown, unsaved edits included
    in.model = m_modelCombo->currentData().toString().toStdString();
    if (!m_stackCombo->currentText().isEmpty())
        in.stack = m_stackCombo->currentText().toStdString();
    in.phase = m_phaseCombo->currentText().toStdString();
    in.batch = m_batch->value();
    in.prompt = m_prompt->value();
    in.context = m_context->value();
    in.chunk = m_chunk->value();
    in.output = m_outputTokens->value();
    in.tp = m_tp->value();
    in.pp = m_pp->value();
    in.ep = m_ep->value();
    in.weights = std::string(dtypeName(dtypeOf(m_weights)));
    in.kv = std::string(dtypeName(dtypeOf(m_kv)));
    in.act = std::string(dtypeName(dtypeOf(m_act)));
    in.measurements = m_datasetPath.toStdString();
    return true;
}

bool MainWindow::startReportExport(const QString& dir, QString* error) {
    report::ReportInput in;
    if (!reportInput(in, error))
        return false;
    return m_reportExporter->start(in, dir, error);
}

bool MainWindow::exportReport(const QString& dir, QString* error, int timeoutMs) {
    bool done = false, ok = false;
    QString message;
    QEventLoop loop;
    const auto c = connect(this, &MainWindow::reportExportFinished, &loop, [&](bool success, const QString& m) {
        done = true;
        ok = success;
        message = m;
        loop.quit();
    });
    if (!startReportExport(dir, error)) {
        disconnect(c);
        return false;
    }
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    if (!done)
        loop.exec();
    disconnect(c);
    if (!done) {
        m_reportExporter->cancel();
        message = tr("the export did not finish within %1 s").arg(timeoutMs / 1000);
    }
    if (!ok && error)
        *error = message;
    return ok;
}

void MainWindow::chooseExportReport() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Export report into folder"));
    QString error;
    if (!dir.isEmpty() && !startReportExport(dir, &error))
        showError(tr("Export report: %1").arg(error));
}

void MainWindow::chooseSavePlatform() {
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Save platform as"), qs(m_platform.name) + QStringLiteral(".yaml"),
                                     tr("Platform files (*.yaml *.yml)"));
    QString error;
    if (!path.isEmpty() && !savePlatformAs(path, &error))
        showError(tr("Save platform: %1").arg(error));
}

// ---------------------------------------------------------------- session

QString MainWindow::statusText() const {
    return m_statusLabel->text();
}
QString MainWindow::errorText() const {
    return m_errorLabel->isVisible() || !m_errorLabel->text().isEmpty() ? m_errorLabel->text() : QString();
}
QString MainWindow::editorStatus() const {
    return m_editorStatus->text();
}

void MainWindow::restoreSession() {
    QSettings s;
    restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(s.value(QStringLiteral("window/state")).toByteArray());
    const QString platform = s.value(QStringLiteral("session/platform")).toString();
    if (!platform.isEmpty())
        selectPlatform(platform);
    const QString model = s.value(QStringLiteral("session/model")).toString();
    if (!model.isEmpty())
        selectModel(model);
    selectStack(s.value(QStringLiteral("session/stack"), QStringLiteral("pytorch-eager")).toString());
    setPhase(s.value(QStringLiteral("session/phase"), QStringLiteral("decode")).toString());
    const std::pair<const char*, QSpinBox*> spins[] = {
        {"batch", m_batch},         {"prompt", m_prompt}, {"context", m_context}, {"chunk", m_chunk},
        {"output", m_outputTokens}, {"tp", m_tp},         {"pp", m_pp},           {"ep", m_ep}};
    for (const auto& [key, box] : spins)
        box->setValue(s.value(QStringLiteral("session/") + QString::fromLatin1(key), box->value()).toInt());
    const std::pair<const char*, QComboBox*> combos[] = {
        {"weights", m_weights}, {"kv", m_kv}, {"act", m_act}, {"kind", m_kindCombo}};
    for (const auto& [key, box] : combos)
        box->setCurrentIndex(
            s.value(QStringLiteral("session/") + QString::fromLatin1(key), box->currentIndex()).toInt());
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
    s.setValue(QStringLiteral("session/platform"), m_platformCombo->currentData().toString());
    s.setValue(QStringLiteral("session/model"), m_modelCombo->currentData().toString());
    s.setValue(QStringLiteral("session/stack"), m_stackCombo->currentText());
    s.setValue(QStringLiteral("session/phase"), m_phaseCombo->currentText());
    const std::pair<const char*, QSpinBox*> spins[] = {
        {"batch", m_batch},         {"prompt", m_prompt}, {"context", m_context}, {"chunk", m_chunk},
        {"output", m_outputTokens}, {"tp", m_tp},         {"pp", m_pp},           {"ep", m_ep}};
    for (const auto& [key, box] : spins)
        s.setValue(QStringLiteral("session/") + QString::fromLatin1(key), box->value());
    const std::pair<const char*, QComboBox*> combos[] = {
        {"weights", m_weights}, {"kv", m_kv}, {"act", m_act}, {"kind", m_kindCombo}};
    for (const auto& [key, box] : combos)
        s.setValue(QStringLiteral("session/") + QString::fromLatin1(key), box->currentIndex());
    QStringList compare;
    for (auto* c : m_compareCombos)
        if (c->currentIndex() > 0)
            compare << c->currentText();
    s.setValue(QStringLiteral("session/compare"), compare);
    s.setValue(QStringLiteral("session/page"), m_tabs->currentIndex());
    s.setValue(QStringLiteral("session/dataset"), m_datasetPath);
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (m_persist)
        saveSession();
    QMainWindow::closeEvent(event);
}

} // namespace rooflab::gui
