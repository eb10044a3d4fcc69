#include "serving_page.hpp"

#include "io/csv.hpp"
#include "io/stack_loader.hpp"
#include "plots/serving_plot.hpp"

#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>
#include <cctype>

namespace rooflab::gui {
namespace {

// HF ids compared without case and without a trailing "-Instruct": the presets name the base model's repo
// (meta-llama/Llama-3.1-8B), the benchmark runs its instruct variant (same architecture and weights' shapes).
std::string modelKey(std::string id) {
    std::transform(id.begin(), id.end(), id.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    const std::string suffix = "-instruct";
    if (id.size() > suffix.size() && id.compare(id.size() - suffix.size(), suffix.size(), suffix) == 0)
        id.resize(id.size() - suffix.size());
    return id;
}

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

} // namespace

std::vector<MeasuredServingPoint> measuredServingPoints(const std::string& csvPath, const std::string& hfId,
                                                        const std::string& gpu, int64_t isl, int64_t osl) {
    std::vector<MeasuredServingPoint> out;
    if (csvPath.empty() || hfId.empty())
        return out;
    const io::CsvTable t = io::loadCsvFile(csvPath);
    const int model = t.requireColumn("model_path"), mode = t.requireColumn("mode"), oslCol = t.requireColumn("osl"),
              conc = t.requireColumn("concurrency"), ttft = t.requireColumn("ttft_ms"),
              tpot = t.requireColumn("tpot_ms"), gpuCol = t.requireColumn("gpu"), islCol = t.requireColumn("isl");
    const std::string want = modelKey(hfId);
    // A cell as a positive count; empty cells (the other mode's columns) count as 1.
    auto count = [&](std::size_t r, const char* col) {
        const int c = t.column(col);
        return c < 0 || t.text(r, c).empty() ? 1.0 : t.number(r, c, 1, 1e6);
    };
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
        if (modelKey(t.text(r, model)) != want)
            continue;
        if (!gpu.empty() && modelKey(t.text(r, gpuCol)).find(gpu) == std::string::npos)
            continue;
        double gpus = 0;
        if (t.text(r, mode) == "disagg") {
            gpus = count(r, "prefill_num_workers") * count(r, "prefill_tp_size") * count(r, "prefill_pp_size") *
                       count(r, "prefill_attention_dp_size") +
                   count(r, "decode_num_workers") * count(r, "decode_tp_size") * count(r, "decode_pp_size") *
                       count(r, "decode_attention_dp_size");
        } else {
            gpus = count(r, "tp_size") * count(r, "pp_size") * count(r, "attention_dp_size");
        }
        const double o = t.number(r, oslCol, 1, 1e7), c = t.number(r, conc, 1, 1e7);
        const double ttftS = t.number(r, ttft, 0, 1e9) / 1e3, tpotS = t.number(r, tpot, 0, 1e9) / 1e3;
        if (tpotS <= 0 || gpus <= 0)
            continue;
        // Closed loop: each client finishes one request of osl tokens every ttft + (osl - 1) tpot seconds.
        MeasuredServingPoint p;
        p.tokensPerSPerUser = 1.0 / tpotS;
        p.tokensPerSPerGpu = c / (ttftS + (o - 1) * tpotS) * o / gpus;
        p.concurrency = int(c);
        p.sameLengths = int64_t(t.number(r, islCol, 1, 1e7)) == isl && int64_t(o) == osl;
        out.push_back(p);
    }
    // Runs at the page's ISL/OSL when there are any, else every length the file has for the model.
    if (std::any_of(out.begin(), out.end(), [](const MeasuredServingPoint& p) { return p.sameLengths; }))
        out.erase(std::remove_if(out.begin(), out.end(), [](const MeasuredServingPoint& p) { return !p.sameLengths; }),
                  out.end());
    return out;
}

ServingStudyOutcome runServingStudy(const ServingStudyInput& in) {
    ServingStudyOutcome o;
    if (!in.platform || !in.model) {
        o.error = QObject::tr("no platform or model");
        return o;
    }
    o.modelName = QString::fromStdString(in.model->name);
    StackProfile stack;
    try {
        stack = io::loadStack(in.stack);
    } catch (const std::exception& e) {
        o.error = QString::fromUtf8(e.what());
        return o;
    }
    serving::Deployment dep;
    dep.aggregated.tp = std::max(1, in.datatypes.tp);
    dep.aggregated.pp = std::max(1, in.datatypes.pp);
    dep.aggregated.ep = std::max(1, in.datatypes.ep);
    dep.aggregated.moeTp = std::max(1, dep.aggregated.tp / dep.aggregated.ep);
    const int highest = in.concurrency.empty() ? 0 : *std::max_element(in.concurrency.begin(), in.concurrency.end());
    for (int c : in.concurrency) {
        ServingStudyPoint p;
        p.concurrency = c;
        serving::Workload load;
        load.concurrency = c;
        load.inputTokens = in.isl;
        load.outputTokens = in.osl;
        serving::Options opt;
        opt.keepIterations = c == highest;
        try {
            p.result = serving::simulateDeployment(*in.platform, *in.model, stack, in.datatypes, dep, load, opt);
        } catch (const std::exception& e) {
            p.result.ok = false;
            p.result.error = e.what();
        }
        if (!p.result.ok)
            o.notes << QObject::tr("concurrency %1: %2").arg(c).arg(QString::fromStdString(p.result.error));
        o.points.push_back(std::move(p));
    }
    if (in.searchGpus > 0) {
        serving::DeploymentSearchSpace sp;
        sp.arch = *in.model;
        sp.stack = stack;
        sp.datatypes = in.datatypes;
        sp.gpuBudget = in.searchGpus;
        sp.inputTokens = in.isl;
        sp.outputTokens = in.osl;
        sp.aggregated = true;
        sp.disaggregated = false;
        try {
            o.search = serving::searchDeployments(*in.platform, sp, {}, 0);
        } catch (const std::exception& e) {
            o.notes << QObject::tr("deployment search: %1").arg(QString::fromUtf8(e.what()));
        }
    }
    try {
        // The platform's GPU by name (h100-sxm5-80gb: the H100 rows); other platforms see every GPU's runs.
        std::string gpu;
        for (const char* g : {"h100", "h200"})
            if (modelKey(in.platformName).find(g) != std::string::npos)
                gpu = g;
        o.measured = measuredServingPoints(in.datasetPath, in.model->source, gpu, in.isl, in.osl);
    } catch (const std::exception& e) {
        o.notes << QObject::tr("measured points: %1").arg(QString::fromUtf8(e.what()));
    }
    return o;
}

// ---------------------------------------------------------------- the page

ServingPage::ServingPage(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    auto* row = new QHBoxLayout;
    m_stack = new QComboBox;
    m_stack->addItems({QStringLiteral("vllm"), QStringLiteral("sglang"), QStringLiteral("tensorrt-llm")});
    m_stack->setToolTip(tr("Serving stack: its kernels and its scheduler (chunked prefill, batch and token limits)"));
    m_isl = new QSpinBox;
    m_isl->setRange(1, 1 << 20);
    m_isl->setValue(1024);
    m_isl->setToolTip(tr("Input (prompt) tokens per request"));
    m_osl = new QSpinBox;
    m_osl->setRange(1, 1 << 18);
    m_osl->setValue(128);
    m_osl->setToolTip(tr("Output tokens per request"));
    m_concurrency = new QLineEdit(QStringLiteral("1,2,4,8,16,32,64,128,256"));
    m_concurrency->setToolTip(tr("Closed-loop clients, comma separated; aggregated, TP from the scenario panel"));
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
    m_status = new QLabel(tr("Press Run to simulate serving the scenario's model (agg, TP of the scenario)"));
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

void ServingPage::setLengths(int64_t isl, int64_t osl) {
    m_isl->setValue(int(isl));
    m_osl->setValue(int(osl));
}

void ServingPage::setConcurrencyList(const QString& list) {
    m_concurrency->setText(list);
}

QString ServingPage::statusText() const {
    return m_status->text();
}

void ServingPage::run() {
    if (m_watcher.isRunning())
        waitForFinished();
    QString error;
    ServingStudyInput in;
    in.concurrency = parseConcurrency(m_concurrency->text(), error);
    if (!error.isEmpty() || !m_pm || !m_model) {
        if (error.isEmpty())
            error = tr("the Serving page needs an LLM scenario and a platform");
        m_status->setText(tr("⚠ %1").arg(error));
        emit errorOccurred(tr("Serving: %1").arg(error));
        return;
    }
    in.platform = m_pm;
    in.platformName = m_platformName;
    in.model = m_model;
    in.stack = m_stack->currentText().toStdString();
    in.datatypes = m_scenario;
    in.isl = m_isl->value();
    in.osl = m_osl->value();
    in.datasetPath = defaultDataset().toStdString();
    m_runBtn->setEnabled(false);
    m_status->setText(tr("Simulating %1 on %2 with %3 …")
                          .arg(QString::fromStdString(m_model->name), QString::fromStdString(m_platformName),
                               m_stack->currentText()));
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
        if (!o.notes.isEmpty())
            text += tr("\n⚠ %1").arg(o.notes.join(QStringLiteral("\n⚠ ")));
        m_status->setText(text);
    }
    emit finished();
}

} // namespace rooflab::gui
