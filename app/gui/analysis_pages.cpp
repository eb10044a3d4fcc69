#include "analysis_pages.hpp"

#include "io/data_paths.hpp"
#include "io/model_loader.hpp"
#include "io/platform_loader.hpp"
#include "io/stack_loader.hpp"
#include "plots/analysis_plots.hpp"
#include "spec/request.hpp"

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>
#include <cmath>
#include <set>

namespace rooflab::gui {
namespace {

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

QString mapeText(double v) {
    return std::isfinite(v) ? QString::number(v, 'f', 1) + QStringLiteral(" %") : QStringLiteral("—");
}

} // namespace

// ------------------------------------------------------------------------------------------------ Trace page

TracePage::TracePage(QWidget* parent) : QWidget(parent) {
    m_model = new TraceCompareModel(this);
    m_plot = new TracePlot;
    auto* top = new QHBoxLayout;
    m_pathEdit = new QLineEdit;
    m_pathEdit->setPlaceholderText(tr("kernel trace CSV (idx,name,class,…,start_ns,end_ns,duration_ns)"));
    auto* open = new QPushButton(tr("Open…"));
    auto* load = new QPushButton(tr("Load"));
    top->addWidget(new QLabel(tr("Trace")));
    top->addWidget(m_pathEdit, 1);
    top->addWidget(open);
    top->addWidget(load);
    m_steps = new QSpinBox;
    m_steps->setRange(0, 100000);
    m_steps->setSpecialValueText(tr("auto"));
    m_steps->setPrefix(tr("steps in trace: "));
    m_steps->setToolTip(tr("How many steps (replays) the trace holds; measured times are divided by it. "
                           "auto: the trace's norm kernels over the prediction's norm kernels per step"));
    top->addWidget(m_steps);
    connect(m_steps, &QSpinBox::valueChanged, this, [this] { recompute(); });
    connect(open, &QPushButton::clicked, this, [this] {
        const QString p = QFileDialog::getOpenFileName(this, tr("Open kernel trace"), m_pathEdit->text(),
                                                       tr("CSV (*.csv);;All files (*)"));
        if (!p.isEmpty())
            loadTrace(p);
    });
    connect(load, &QPushButton::clicked, this, [this] { loadTrace(m_pathEdit->text()); });
    connect(m_pathEdit, &QLineEdit::returnPressed, this, [this] { loadTrace(m_pathEdit->text()); });
    m_scenarioLabel = new QLabel;
    m_scenarioLabel->setWordWrap(true);
    m_message = new QLabel;
    m_message->setWordWrap(true);
    auto* table = new QTableView;
    table->setModel(m_model);
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table->verticalHeader()->hide();
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(m_plot);
    split->addWidget(table);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_scenarioLabel);
    layout->addWidget(m_message);
    layout->addWidget(split, 1);
}

void TracePage::setContext(std::shared_ptr<const PlatformModel> pm, std::shared_ptr<const LlmArch> arch,
                           const StackProfile& stack, const Scenario& s) {
    m_pm = std::move(pm);
    m_arch = std::move(arch);
    m_stack = stack;
    m_scenario = s;
    if (m_loaded)
        recompute();
}

void TracePage::setTraceSteps(int steps) {
    m_steps->setValue(steps);
}

bool TracePage::loadTrace(const QString& path) {
    m_pathEdit->setText(path);
    try {
        m_trace = loadKernelTrace(path.toStdString());
    } catch (const std::exception& e) {
        m_loaded = false;
        m_model->clear();
        m_plot->setData(*m_model, QString());
        m_scenarioLabel->clear();
        showMessage(QString::fromUtf8(e.what()), true);
        return false;
    }
    m_path = path;
    m_loaded = true;
    recompute();
    // Without a platform yet (before the first evaluation) the comparison follows with setContext().
    return !m_pm || !m_message->property("error").toBool();
}

void TracePage::recompute() {
    if (!m_loaded)
        return;
    if (!m_pm) {
        m_model->clear();
        showMessage(tr("No platform loaded"), true);
        return;
    }
    std::shared_ptr<const LlmArch> arch = m_arch;
    std::shared_ptr<const PlatformModel> pm = m_pm;
    StackProfile stack = m_stack;
    Scenario s = m_scenario;
    QString from = tr("from the controls");
    QString stackFrom = tr("the sidebar's");
    if (const auto id = parseTraceFileName(m_path)) {
        // The trace ran on its own stack and platform: compare it with those, not with the sidebar's (a PyTorch
        // harness trace compared as vllm was 92 % off on element-wise kernels).
        try {
            const std::string stackName = id->stack.empty() ? std::string(kDefaultStackName) : id->stack;
            stack = io::loadStack(stackName);
            stackFrom = id->stack.empty() ? tr("the trace harness's") : tr("the file name's");
            if (!id->platform.empty() && id->platform != m_pm->name)
                pm = std::make_shared<const PlatformModel>(
                    PlatformModel::from(io::loadPlatformFile(io::findPlatformFile(id->platform))));
        } catch (const std::exception& e) {
            showMessage(tr("stack or platform of the trace: %1 — using the sidebar's").arg(QString::fromUtf8(e.what())),
                        true);
            stack = m_stack;
            pm = m_pm;
        }
        try {
            arch = std::make_shared<const LlmArch>(io::loadModel(id->model));
            s = ScenarioBuilder(s)
                    .phase(id->phase)
                    .batch(id->batch)
                    .prompt(id->prompt)
                    .context(id->context)
                    .tp(id->tp)
                    .pp(1)
                    .ep(1)
                    .dp(1)
                    .unchecked(); // decode traces name prompt 0: the engine checks what the phase uses
            from = tr("from the file name");
        } catch (const std::exception& e) {
            showMessage(tr("model '%1' of the file name: %2 — using the controls")
                            .arg(qs(id->model), QString::fromUtf8(e.what())),
                        true);
            arch = m_arch;
        }
    }
    if (!arch) {
        m_model->clear();
        showMessage(tr("No LLM model selected (the trace compares an LLM step)"), true);
        return;
    }
    Prediction p;
    try {
        p = predictStep(*pm, *arch, stack, s);
    } catch (const std::exception& e) {
        m_model->clear();
        showMessage(QString::fromUtf8(e.what()), true);
        return;
    }
    m_scenarioLabel->setText(tr("Scenario %1: %2 on %3, %4, batch %5, prompt %6, context %7, TP %8; stack %9 (%10)")
                                 .arg(from, qs(arch->name), qs(pm->name), qs(std::string(phaseName(s.phase))))
                                 .arg(s.batch)
                                 .arg(s.prompt)
                                 .arg(s.context)
                                 .arg(s.tp)
                                 .arg(qs(stack.name), stackFrom));
    const int steps = m_steps->value() > 0 ? m_steps->value() : estimateTraceSteps(m_trace, p);
    m_model->setData(m_trace, p, steps);
    const double meas = m_model->measuredS(TraceCompareModel::TotalRow);
    const double pred = m_model->predictedS(TraceCompareModel::TotalRow);
    m_plot->setData(*m_model, tr("%1 — %2 kernels / %3 step(s), measured %4 ms vs predicted %5 ms per step")
                                  .arg(QFileInfo(m_path).fileName())
                                  .arg(m_trace.kernelCount)
                                  .arg(steps)
                                  .arg(meas * 1e3, 0, 'f', 3)
                                  .arg(pred * 1e3, 0, 'f', 3));
    if (!p.ok)
        showMessage(tr("⚠ infeasible: %1").arg(qs(p.error)), true);
    else
        showMessage(tr("%1 kernels in %2 step(s)%3, sum of durations %4 ms, span %5 ms, predicted step %6 ms")
                        .arg(m_trace.kernelCount)
                        .arg(steps)
                        .arg(m_steps->value() > 0 ? QString() : tr(" (auto)"))
                        .arg(m_trace.totalNs * 1e-6, 0, 'f', 3)
                        .arg(double(m_trace.spanNs) * 1e-6, 0, 'f', 3)
                        .arg(p.latencyS * 1e3, 0, 'f', 3),
                    false);
}

void TracePage::showMessage(const QString& text, bool error) {
    m_message->setText(text);
    m_message->setProperty("error", error);
    m_message->setStyleSheet(error ? QStringLiteral("color: #b00020;") : QString());
}

QString TracePage::scenarioText() const {
    return m_scenarioLabel->text();
}
QString TracePage::messageText() const {
    return m_message->text();
}

// ------------------------------------------------------------------------------------------ Calibration page

CalibrationPage::CalibrationPage(QWidget* parent) : QWidget(parent) {
    m_gemmPlot = new CalibrationPlot;
    m_bwPlot = new CalibrationPlot;
    m_attnPlot = new CalibrationPlot;
    auto* top = new QHBoxLayout;
    m_folderEdit = new QLineEdit;
    m_folderEdit->setPlaceholderText(tr("measurement folder (gemm.csv, bandwidth.csv, attention.csv)"));
    auto* browse = new QPushButton(tr("Browse…"));
    m_shape = new QComboBox;
    m_shape->setToolTip(tr("GEMM N x K"));
    m_shape->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_dtype = new QComboBox;
    m_dtype->setToolTip(tr("GEMM datatype"));
    top->addWidget(new QLabel(tr("Folder")));
    top->addWidget(m_folderEdit, 1);
    top->addWidget(browse);
    top->addWidget(new QLabel(tr("GEMM N×K")));
    top->addWidget(m_shape);
    top->addWidget(m_dtype);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString d = QFileDialog::getExistingDirectory(this, tr("Measurement folder"), m_folderEdit->text());
        if (!d.isEmpty()) {
            m_userFolder = true;
            loadFolder(d);
        }
    });
    connect(m_folderEdit, &QLineEdit::returnPressed, this, [this] {
        m_userFolder = true;
        loadFolder(m_folderEdit->text());
    });
    connect(m_shape, &QComboBox::currentIndexChanged, this, [this] {
        if (m_filling)
            return;
        // Keep the dtype when the new shape has it.
        const QString keep = m_dtype->currentText();
        m_filling = true;
        m_dtype->clear();
        const QString shape = m_shape->currentText();
        for (const GemmCombo& c : m_combos)
            if (QStringLiteral("%1×%2").arg(c.n).arg(c.k) == shape)
                m_dtype->addItem(qs(c.dtype));
        const int i = m_dtype->findText(keep);
        m_dtype->setCurrentIndex(i >= 0 ? i : std::max(0, m_dtype->findText(QStringLiteral("bf16"))));
        m_filling = false;
        redrawGemm();
    });
    connect(m_dtype, &QComboBox::currentIndexChanged, this, [this] {
        if (!m_filling)
            redrawGemm();
    });
    m_message = new QLabel;
    m_message->setWordWrap(true);
    auto* tabs = new QTabWidget;
    tabs->addTab(m_gemmPlot, tr("GEMM"));
    tabs->addTab(m_bwPlot, tr("Bandwidth"));
    tabs->addTab(m_attnPlot, tr("Attention"));
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_message);
    layout->addWidget(tabs, 1);
}

void CalibrationPage::setPlatform(const QString& name, std::shared_ptr<const PlatformModel> pm) {
    // The window hands the platform over after every evaluation; the curves depend on the platform only.
    if (pm && pm == m_pm && name == m_platformName)
        return;
    m_platformName = name;
    m_pm = std::move(pm);
    if (!m_userFolder) {
        for (const QString& root : {QStringLiteral(ROOFLAB_SOURCE_DATA_DIR), QDir::currentPath()}) {
            const QString d = QDir(root).filePath(QStringLiteral("datasets/hopper/") + name);
            if (QFileInfo(d).isDir()) {
                if (d != m_folder)
                    loadFolder(d);
                else
                    redraw();
                return;
            }
        }
    }
    if (!m_folder.isEmpty())
        redraw();
}

bool CalibrationPage::loadFolder(const QString& dir) {
    m_folder = dir;
    m_folderEdit->setText(dir);
    QStringList problems;
    auto read = [&](const char* file, io::CsvTable& t, bool& has) {
        has = false;
        const QString p = QDir(dir).filePath(QString::fromLatin1(file));
        if (!QFileInfo::exists(p))
            return;
        try {
            t = io::loadCsvFile(p.toStdString());
            has = true;
        } catch (const std::exception& e) {
            problems << QString::fromUtf8(e.what());
        }
    };
    read("gemm.csv", m_gemm, m_hasGemm);
    read("bandwidth.csv", m_bw, m_hasBw);
    read("attention.csv", m_attn, m_hasAttn);
    m_combos.clear();
    if (m_hasGemm) {
        try {
            m_combos = gemmCombos(m_gemm);
        } catch (const std::exception& e) {
            problems << QString::fromUtf8(e.what());
            m_hasGemm = false;
        }
    }
    refill();
    redraw();
    if (!m_hasGemm && !m_hasBw && !m_hasAttn)
        problems.prepend(tr("%1 has no gemm.csv, bandwidth.csv or attention.csv").arg(dir));
    if (!problems.isEmpty()) {
        m_message->setText(problems.join(QStringLiteral("\n")));
        m_message->setStyleSheet(QStringLiteral("color: #b00020;"));
    }
    return m_hasGemm || m_hasBw || m_hasAttn;
}

void CalibrationPage::refill() {
    m_filling = true;
    m_shape->clear();
    m_dtype->clear();
    QStringList shapes;
    for (const GemmCombo& c : m_combos) {
        const QString s = QStringLiteral("%1×%2").arg(c.n).arg(c.k);
        if (!shapes.contains(s))
            shapes << s;
    }
    m_shape->addItems(shapes);
    m_filling = false;
    if (!shapes.isEmpty()) {
        m_shape->setCurrentIndex(-1);
        const int square = m_shape->findText(QStringLiteral("4096×4096"));
        m_shape->setCurrentIndex(square >= 0 ? square : 0); // fills the dtypes
    }
}

bool CalibrationPage::selectGemm(qint64 n, qint64 k, const QString& dtype) {
    const int s = m_shape->findText(QStringLiteral("%1×%2").arg(n).arg(k));
    if (s < 0)
        return false;
    m_shape->setCurrentIndex(s);
    const int d = m_dtype->findText(dtype);
    if (d < 0)
        return false;
    m_dtype->setCurrentIndex(d);
    redrawGemm();
    return true;
}

void CalibrationPage::redrawGemm() {
    m_gemmMape = std::nan("");
    if (!m_pm || !m_hasGemm || m_shape->currentIndex() < 0 || m_dtype->currentIndex() < 0) {
        m_gemmPlot->setData(tr("GEMM — no gemm.csv"), QString(), QString(), false, false, {});
        return;
    }
    const QStringList nk = m_shape->currentText().split(QChar(0x00D7));
    GemmCombo combo{nk.value(0).toLongLong(), nk.value(1).toLongLong(), m_dtype->currentText().toStdString()};
    try {
        const CalCurve c = gemmCurve(m_gemm, *m_pm, combo);
        m_gemmMape = c.mapePct;
        m_gemmPlot->setData(
            tr("GEMM %1×%2 %3 on %4 — MAPE %5")
                .arg(combo.n)
                .arg(combo.k)
                .arg(qs(combo.dtype), m_platformName, mapeText(c.mapePct)),
            tr("M"), tr("TFLOP/s"), true, true,
            {{tr("measured"), c.x, c.measured, false, 0}, {tr("model (evalGemm)"), c.x, c.model, true, 1}});
    } catch (const std::exception& e) {
        m_gemmPlot->setData(QString::fromUtf8(e.what()), QString(), QString(), false, false, {});
    }
}

void CalibrationPage::redraw() {
    m_message->setStyleSheet(QString());
    if (!m_pm) {
        m_message->setText(tr("No platform loaded"));
        return;
    }
    redrawGemm();
    m_bwMape = m_attnMape = std::nan("");
    QString bwTitle = tr("Bandwidth — no bandwidth.csv");
    std::vector<CalibrationPlot::Series> bw;
    if (m_hasBw) {
        try {
            const CalCurve hbm = bandwidthCurve(m_bw, *m_pm, "hbm");
            const CalCurve l2 = bandwidthCurve(m_bw, *m_pm, "l2");
            m_bwMape = hbm.mapePct;
            double lo = 1e300, hi = 0;
            for (const CalCurve* c : {&hbm, &l2})
                for (double x : c->x) {
                    lo = std::min(lo, x);
                    hi = std::max(hi, x);
                }
            auto toGB = [](std::vector<double> v) {
                for (double& y : v)
                    y /= 1e9;
                return v;
            };
            bw.push_back({tr("measured hbm read"), hbm.x, toGB(hbm.measured), false, 0});
            bw.push_back({tr("measured l2 read"), l2.x, toGB(l2.measured), false, 2});
            if (hi > 0) {
                bw.push_back({tr("model hbm"),
                              {lo, hi},
                              {levelBandwidth(*m_pm, "hbm") / 1e9, levelBandwidth(*m_pm, "hbm") / 1e9},
                              true,
                              1});
                bw.push_back({tr("model l2"),
                              {lo, hi},
                              {levelBandwidth(*m_pm, "l2") / 1e9, levelBandwidth(*m_pm, "l2") / 1e9},
                              true,
                              3});
            }
            bwTitle = tr("Read bandwidth on %1 — MAPE hbm %2 (footprints above L2), l2 %3")
                          .arg(m_platformName, mapeText(hbm.mapePct), mapeText(l2.mapePct));
        } catch (const std::exception& e) {
            bwTitle = QString::fromUtf8(e.what());
        }
    }
    m_bwPlot->setData(bwTitle, tr("footprint (bytes)"), tr("GB/s"), true, true, bw);
    QString atTitle = tr("Attention — no attention.csv");
    std::vector<CalibrationPlot::Series> at;
    if (m_hasAttn) {
        try {
            const CalCurve c = attentionCurve(m_attn, *m_pm);
            m_attnMape = c.mapePct;
            at.push_back({tr("measured"), c.x, c.measured, false, 0});
            at.push_back({tr("model (evalAttention)"), c.x, c.model, false, 1});
            atTitle = tr("Attention on %1 — MAPE %2").arg(m_platformName, mapeText(c.mapePct));
        } catch (const std::exception& e) {
            atTitle = QString::fromUtf8(e.what());
        }
    }
    m_attnPlot->setData(atTitle, tr("keys (seq_k)"), tr("time (µs)"), true, true, at);
    m_message->setText(tr("%1 — MAPE: GEMM %2, bandwidth (hbm) %3, attention %4")
                           .arg(m_folder, mapeText(m_gemmMape), mapeText(m_bwMape), mapeText(m_attnMape)));
}

QString CalibrationPage::messageText() const {
    return m_message->text();
}

} // namespace rooflab::gui
