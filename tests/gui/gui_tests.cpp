// GUI tests, offscreen: item models under QAbstractItemModelTester, pages, re-evaluation on scenario changes,
// inline errors, export (PNG/PDF/CSV, platform Save As) and `rooflab-gui --screenshot`.
#include "analysis/llm_engine.hpp"
#include "analysis_pages.hpp"
#include "codec/request_codec.hpp"
#include "compare_page.hpp"
#include "export_actions.hpp"
#include "io/csv.hpp"
#include "io/data_paths.hpp"
#include "io/model_loader.hpp"
#include "io/platform_loader.hpp"
#include "io/stack_loader.hpp"
#include "main_window.hpp"
#include "models/calibration_model.hpp"
#include "models/deployment_search_model.hpp"
#include "models/search_model.hpp"
#include "models/table_models.hpp"
#include "models/trace_model.hpp"
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

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProcess>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QTemporaryDir>
#include <QTest>
#include <algorithm>
#include <cmath>
#include <gtest/gtest.h>
#include <map>

using namespace rooflab;
using namespace rooflab::gui;

namespace {

Prediction samplePrediction() {
    const PlatformModel pm = PlatformModel::from(io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb")));
    Scenario s;
    s.batch = 8;
    s.context = 2048;
    return predictStep(pm, io::loadModel("llama-3.1-8b"), StackProfile::defaultProfile(), s);
}

QByteArray head(const QString& path, int n) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.read(n) : QByteArray();
}

const QString kFixtures = QStringLiteral(ROOFLAB_GUI_FIXTURES);
const QString kH100Data = QStringLiteral(ROOFLAB_SOURCE_DATA_DIR "/datasets/hopper/h100-sxm5-80gb");
const QString kPrefillTrace = kH100Data + QStringLiteral("/trace_llama-3.1-8b-prefill-b1-p1024-c0-tp1.csv");
const QString kDecodeTrace = kH100Data + QStringLiteral("/trace_llama-3.1-8b-decode-b8-p0-c2048-tp1.csv");

/// Sum of duration_ns of a trace, read independently of the GUI code.
double sumDurationsNs(const QString& path) {
    const io::CsvTable t = io::loadCsvFile(path.toStdString());
    const int c = t.requireColumn("duration_ns");
    double sum = 0;
    for (const auto& row : t.rows)
        sum += std::stod(row[std::size_t(c)]);
    return sum;
}

} // namespace

// ---------------------------------------------------------------- item models

TEST(GuiModels, OperatorTableModelPassesTesterAndSorts) {
    OperatorTableModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::Fatal);
    m.setPrediction(samplePrediction());
    ASSERT_GT(m.rowCount(), 5);
    EXPECT_EQ(m.columnCount(), 12);
    EXPECT_FALSE(m.data(m.index(0, OperatorTableModel::Name)).toString().isEmpty());
    QSortFilterProxyModel proxy;
    QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::Fatal);
    proxy.setSourceModel(&m);
    proxy.setSortRole(kSortRole);
    proxy.sort(OperatorTableModel::TotalUs, Qt::DescendingOrder);
    EXPECT_GE(proxy.data(proxy.index(0, OperatorTableModel::TotalUs), kSortRole).toDouble(),
              proxy.data(proxy.index(1, OperatorTableModel::TotalUs), kSortRole).toDouble());
    m.setPrediction({});
    EXPECT_EQ(m.rowCount(), 0);
}

TEST(GuiModels, PlatformValuesCarryProvenanceAndLines) {
    PlatformValuesModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::Fatal);
    m.setPlatform(io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb")));
    ASSERT_GT(m.rowCount(), 20);
    bool sawDatasheet = false, sawBf16 = false;
    for (const auto& r : m.rows()) {
        EXPECT_FALSE(r.source.isEmpty()) << r.key.toStdString();
        EXPECT_GT(r.line, 0) << r.key.toStdString();
        sawDatasheet |= r.kind == QStringLiteral("datasheet");
        if (r.key.endsWith(QStringLiteral("peak.bf16"))) {
            sawBf16 = true;
            EXPECT_TRUE(r.value.contains(QStringLiteral("TFLOP/s"))) << r.value.toStdString();
        }
    }
    EXPECT_TRUE(sawDatasheet);
    EXPECT_TRUE(sawBf16);
}

TEST(GuiModels, SweepModelPassesTester) {
    SweepModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::Fatal);
    SweepSeries s;
    s.xName = "batch";
    s.points = {{1, 0.01, 100, true, true}, {2, 0.011, 180, true, false}, {4, 0, 0, false, false}};
    m.setSeries(s);
    EXPECT_EQ(m.rowCount(), 3);
    EXPECT_EQ(m.headerData(SweepModel::X, Qt::Horizontal).toString(), QStringLiteral("batch"));
    EXPECT_EQ(m.data(m.index(1, SweepModel::Fits)).toString(), QStringLiteral("no"));
    EXPECT_EQ(m.data(m.index(2, SweepModel::Fits)).toString(), QStringLiteral("invalid"));
}

TEST(GuiModels, ValidationOfDatasetGivesRowsStatsAndRowErrors) {
    const auto table = io::loadCsvFile((kFixtures + QStringLiteral("/e2e_sample.csv")).toStdString());
    const PlatformModel pm = PlatformModel::from(io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb")));
    const ValidationReport r = validateDatasetIn(table, pm, kFixtures.toStdString());
    ASSERT_EQ(r.rows.size(), 4u);
    EXPECT_EQ(r.overall.n, 3u);
    EXPECT_EQ(r.failed, 1u);
    EXPECT_FALSE(r.rows[3].error.empty());
    EXPECT_GT(r.overall.mapePct, 0.0);
    EXPECT_GE(r.overall.maxAbsPct, r.overall.mapePct);
    ValidationModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::Fatal);
    m.setResult(r);
    EXPECT_EQ(m.rowCount(), 4);
    EXPECT_TRUE(m.data(m.index(3, ValidationModel::Error)).toString().contains(QStringLiteral("no-such-model")));
}

TEST(GuiModels, EvaluateSweepsHaveMemoryLimit) {
    EvalInput in;
    in.platform = {"h100", std::make_shared<const PlatformModel>(
                               PlatformModel::from(io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb"))))};
    in.model = std::make_shared<const LlmArch>(io::loadModel("llama-3.1-70b"));
    in.stack = StackProfile::defaultProfile();
    in.scenario.tp = 4;
    in.sweepPoints = 500;
    const EvalOutput out = evaluate(in);
    EXPECT_GT(out.batchSweep.points.size() + out.contextSweep.points.size(), 500u);
    EXPECT_GT(out.batchSweep.limit, 1);
    EXPECT_TRUE(out.prediction.ok);
    EXPECT_FALSE(out.prediction.why.empty());
}

TEST(GuiModels, CsvExportQuotesAndHasHeader) {
    OperatorTableModel m;
    m.setPrediction(samplePrediction());
    const QString csv = tableToCsv(m);
    const QStringList lines = csv.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    ASSERT_EQ(lines.size(), m.rowCount() + 1);
    EXPECT_TRUE(lines[0].startsWith(QStringLiteral("Operator,Class,Count")));
    QTemporaryDir dir;
    QString err;
    ASSERT_TRUE(writeTableCsv(m, dir.filePath(QStringLiteral("ops.csv")), &err)) << err.toStdString();
    EXPECT_TRUE(head(dir.filePath(QStringLiteral("ops.csv")), 8).startsWith("Operator"));
    EXPECT_FALSE(writeTableCsv(m, QStringLiteral("/nonexistent-dir/x.csv"), &err));
}

// ---------------------------------------------------------------- window

class GuiWindow : public ::testing::Test {
protected:
    void SetUp() override {
        w = std::make_unique<MainWindow>(false);
        w->resize(1200, 800);
        w->show();
        ASSERT_TRUE(w->selectPlatform(QStringLiteral("h100-sxm5-80gb")));
        ASSERT_TRUE(w->selectModel(QStringLiteral("llama-3.1-70b")));
        w->setTensorParallel(4);
        w->setBatch(8);
        ASSERT_TRUE(w->waitForEvaluation(10000));
    }
    std::unique_ptr<MainWindow> w;
};

TEST_F(GuiWindow, EveryPageOpens) {
    const QStringList pages = w->pageNames();
    ASSERT_GE(pages.size(), 7);
    for (const QString& p : pages) {
        ASSERT_TRUE(w->showPage(p)) << p.toStdString();
        QApplication::processEvents();
        EXPECT_EQ(w->currentPageName(), p);
        EXPECT_NE(w->currentTable(), nullptr);
    }
    EXPECT_FALSE(w->showPage(QStringLiteral("nope")));
    EXPECT_TRUE(w->statusText().contains(QStringLiteral("bound"))) << w->statusText().toStdString();
}

TEST_F(GuiWindow, ScenarioChangeReevaluatesOffThreadAndUpdatesPlots) {
    const QVector<QPointF> before = w->rooflinePlot()->operatorPoints();
    const QVector<QPointF> sweepBefore = w->sweepPlot()->seriesData(QStringLiteral("latency vs batch"));
    const int n = w->evaluationCount();
    ASSERT_FALSE(before.isEmpty());
    ASSERT_FALSE(sweepBefore.isEmpty());
    w->setBatch(64);
    w->setContext(16384);
    ASSERT_TRUE(w->waitForEvaluation(10000));
    EXPECT_GT(w->evaluationCount(), n);
    EXPECT_NE(w->rooflinePlot()->operatorPoints(), before);
    EXPECT_NE(w->sweepPlot()->seriesData(QStringLiteral("latency vs batch")), sweepBefore);
    EXPECT_EQ(w->lastOutput().prediction.ops.size(), std::size_t(w->operatorModel()->rowCount()));
    EXPECT_FALSE(w->breakdownPlot()->seriesData(QStringLiteral("memory")).isEmpty());
    // Hover text names the operator, its shape and its bound.
    const QPointF p = w->rooflinePlot()->operatorPoints().front();
    const QString tip = w->rooflinePlot()->tooltipNear(p.x(), p.y());
    EXPECT_TRUE(tip.contains(QStringLiteral("shape"))) << tip.toStdString();
    EXPECT_TRUE(tip.contains(QStringLiteral("bound"))) << tip.toStdString();
}

TEST_F(GuiWindow, ComparePlatformsSideBySide) {
    ASSERT_TRUE(w->setComparePlatforms({QStringLiteral("h200-sxm-141gb"), QStringLiteral("l40s")}));
    ASSERT_TRUE(w->waitForEvaluation(10000));
    ASSERT_EQ(w->lastOutput().compare.size(), 3u);
    EXPECT_EQ(w->comparePlot()->seriesData(QStringLiteral("memory")).size(), 3);
    // H200 has more bandwidth than H100: a memory-bound decode step is faster.
    EXPECT_LT(w->lastOutput().compare[1].prediction.latencyS, w->lastOutput().compare[0].prediction.latencyS);
}

TEST_F(GuiWindow, BadInputIsShownInlineNotACrash) {
    EXPECT_FALSE(w->selectPlatform(QStringLiteral("no-such-platform")));
    EXPECT_FALSE(w->errorText().isEmpty());
    EXPECT_FALSE(w->selectModel(QStringLiteral("/nonexistent/config.json")));
    w->setTensorParallel(3); // 64 heads do not split over 3 devices: infeasible, reported as a value
    ASSERT_TRUE(w->waitForEvaluation(10000));
    EXPECT_FALSE(w->lastOutput().prediction.ok);
    EXPECT_TRUE(w->statusText().contains(QStringLiteral("infeasible"))) << w->statusText().toStdString();
    EXPECT_FALSE(w->loadDataset(QStringLiteral("/nonexistent.csv")));
}

// ---------------------------------------------------------------- result summary and verdicts (issue 19)

TEST_F(GuiWindow, SummaryPanelShowsLatencyTpotMemoryAndBound) {
    const ResultSummary& s = w->summaryPanel()->summary();
    EXPECT_EQ(s.verdict, Verdict::Fits);
    EXPECT_TRUE(s.verdictText.startsWith(QStringLiteral("fits"))) << s.verdictText.toStdString();
    EXPECT_NE(s.latency, QStringLiteral("—"));
    EXPECT_NE(s.tpot, QStringLiteral("—")) << "a decode step's latency is its TPOT";
    EXPECT_EQ(s.ttft, QStringLiteral("—")) << "a decode step has no TTFT";
    EXPECT_TRUE(s.tokensPerS.contains(QStringLiteral("tokens/s")));
    EXPECT_TRUE(s.memory.contains(QStringLiteral("GB of 85.52 GB per device"))) << s.memory.toStdString();
    EXPECT_TRUE(s.bound.contains(QStringLiteral("bound"))) << s.bound.toStdString();
    EXPECT_TRUE(w->summaryPanel()->isVisible());
    EXPECT_TRUE(w->rooflinePlot()->watermarkText().isEmpty());
    EXPECT_FALSE(w->rooflinePlot()->title().startsWith(QStringLiteral("⚠")));
    // A request shows TTFT and TPOT both; the panel stays visible on every page.
    ASSERT_TRUE(w->setPhase(QStringLiteral("request")));
    ASSERT_TRUE(w->waitForEvaluation(10000));
    ASSERT_TRUE(w->showPage(QStringLiteral("platform")));
    EXPECT_TRUE(w->summaryPanel()->isVisible());
    EXPECT_NE(w->summaryPanel()->summary().ttft, QStringLiteral("—"));
    EXPECT_NE(w->summaryPanel()->summary().tpot, QStringLiteral("—"));
}

// Confidence next to the numbers (issue 17/19): a badge whose text and colour follow the platform x stack, and an
// error band on the latency sweep where a MAPE is known.
TEST_F(GuiWindow, ConfidenceBadgeFollowsThePlatform) {
    ASSERT_TRUE(w->selectStack(QStringLiteral("pytorch-eager")));
    ASSERT_TRUE(w->waitForEvaluation(10000));
    const QLabel* badge = w->summaryPanel()->confidenceBadge();
    ASSERT_NE(badge, nullptr);
    EXPECT_TRUE(badge->isVisible());
    EXPECT_EQ(w->summaryPanel()->summary().confidence.level, ConfidenceLevel::Validated);
    EXPECT_TRUE(badge->text().startsWith(QStringLiteral("validated ±"))) << badge->text().toStdString();
    EXPECT_TRUE(badge->styleSheet().contains(confidenceColor(ConfidenceLevel::Validated).name()));
    EXPECT_TRUE(badge->toolTip().contains(QStringLiteral("rooflab validate"))) << badge->toolTip().toStdString();
    EXPECT_TRUE(w->summaryPanel()->text().contains(QStringLiteral("Confidence: validated")));
    EXPECT_GT(w->sweepPlot()->errorBandPct(), 0.0);
    // A datasheet-only card: grey, no band.
    ASSERT_TRUE(w->selectPlatform(QStringLiteral("rtx-4070")));
    ASSERT_TRUE(w->selectModel(QStringLiteral("llama-3.2-1b")));
    w->setTensorParallel(1);
    ASSERT_TRUE(w->waitForEvaluation(10000));
    EXPECT_EQ(w->summaryPanel()->summary().confidence.level, ConfidenceLevel::DatasheetOnly);
    EXPECT_EQ(badge->text(), QStringLiteral("datasheet only"));
    EXPECT_TRUE(badge->styleSheet().contains(confidenceColor(ConfidenceLevel::DatasheetOnly).name()));
    EXPECT_TRUE(badge->toolTip().contains(QStringLiteral("nothing measured"))) << badge->toolTip().toStdString();
    EXPECT_EQ(w->sweepPlot()->errorBandPct(), 0.0);
    // The H100 with a stack that has only per-operator fits: amber.
    ASSERT_TRUE(w->selectPlatform(QStringLiteral("h100-sxm5-80gb")));
    ASSERT_TRUE(w->selectStack(QStringLiteral("vllm")));
    ASSERT_TRUE(w->waitForEvaluation(10000));
    EXPECT_EQ(w->summaryPanel()->summary().confidence.level, ConfidenceLevel::Calibrated);
    EXPECT_EQ(badge->text(), QStringLiteral("calibrated"));
    EXPECT_TRUE(badge->styleSheet().contains(confidenceColor(ConfidenceLevel::Calibrated).name()));
}

TEST_F(GuiWindow, NonFittingScenarioIsMarkedOnEveryPage) {
    ASSERT_TRUE(w->selectPlatform(QStringLiteral("l40s")));
    w->setTensorParallel(1);
    ASSERT_TRUE(w->setComparePlatforms({QStringLiteral("h200-sxm-141gb")}));
    ASSERT_TRUE(w->waitForEvaluation(10000));
    const ResultSummary& s = w->summaryPanel()->summary();
    EXPECT_EQ(s.verdict, Verdict::DoesNotFit);
    EXPECT_TRUE(s.verdictText.contains(QStringLiteral("does NOT fit"))) << s.verdictText.toStdString();
    EXPECT_TRUE(w->summaryPanel()->text().contains(QStringLiteral("DOES NOT FIT")));
    for (PlotView* v : std::initializer_list<PlotView*>{w->rooflinePlot(), w->breakdownPlot(), w->sweepPlot()}) {
        EXPECT_TRUE(v->title().startsWith(QStringLiteral("⚠ DOES NOT FIT"))) << v->title().toStdString();
        EXPECT_EQ(v->watermarkText(), QStringLiteral("DOES NOT FIT"));
    }
    // The Compare table has a fits column: 70B in bf16 does not fit one L40S (48 GB) nor one H200 (141 GB).
    const CompareModel* m = w->comparePage()->model();
    ASSERT_EQ(m->rowCount(), 2);
    EXPECT_EQ(m->headerData(CompareModel::Fits, Qt::Horizontal).toString(), QStringLiteral("Fits"));
    EXPECT_EQ(m->index(0, CompareModel::Fits).data().toString(), QStringLiteral("no"));
    EXPECT_TRUE(m->index(0, CompareModel::Problem).data().toString().contains(QStringLiteral("GB")));
    QAbstractItemModelTester tester(const_cast<CompareModel*>(m));
    // Back to a fitting scenario: the marks go.
    ASSERT_TRUE(w->selectPlatform(QStringLiteral("h100-sxm5-80gb")));
    w->setTensorParallel(4);
    ASSERT_TRUE(w->waitForEvaluation(10000));
    EXPECT_TRUE(w->rooflinePlot()->watermarkText().isEmpty());
    EXPECT_EQ(w->comparePage()->model()->index(0, CompareModel::Fits).data().toString(), QStringLiteral("yes"));
}

TEST_F(GuiWindow, InfeasibleScenarioShowsTheReasonNotZeros) {
    w->setTensorParallel(3); // 64 heads do not split over 3 devices
    ASSERT_TRUE(w->setComparePlatforms({QStringLiteral("h200-sxm-141gb")}));
    ASSERT_TRUE(w->waitForEvaluation(10000));
    const std::string reason = w->lastOutput().prediction.error;
    ASSERT_FALSE(reason.empty());
    const ResultSummary& s = w->summaryPanel()->summary();
    EXPECT_EQ(s.verdict, Verdict::Infeasible);
    EXPECT_TRUE(s.verdictText.contains(QString::fromStdString(reason))) << s.verdictText.toStdString();
    EXPECT_EQ(s.latency, QStringLiteral("—")) << "no latency for a configuration that cannot run";
    const QString title = w->rooflinePlot()->title();
    EXPECT_TRUE(title.contains(QString::fromStdString(reason))) << title.toStdString();
    EXPECT_FALSE(title.contains(QStringLiteral("0 operators"))) << title.toStdString();
    EXPECT_FALSE(title.contains(QStringLiteral("latency 0 s"))) << title.toStdString();
    EXPECT_EQ(w->rooflinePlot()->watermarkText(), QStringLiteral("INFEASIBLE"));
    EXPECT_EQ(w->comparePage()->model()->index(0, CompareModel::Fits).data().toString(), QStringLiteral("infeasible"));
    EXPECT_EQ(w->comparePage()->model()->index(0, CompareModel::Problem).data(Qt::ToolTipRole).toString(),
              QString::fromStdString(reason));
}

// ---------------------------------------------------------------- rows' own stack and platform (issue 19)

TEST(GuiModels, ValidationResolvesDatasetRelativeModelsAndEachRowsPlatform) {
    QTemporaryDir dir;
    ASSERT_TRUE(QDir(dir.path()).mkpath(QStringLiteral("sub")));
    ASSERT_TRUE(QFile::copy(QStringLiteral(ROOFLAB_SOURCE_DATA_DIR "/resources/models/llama-3.2-1b.yaml"),
                            dir.filePath(QStringLiteral("sub/m.yaml"))));
    const std::string csv = "id,model,phase,batch,prompt,context,tp,stack,measured_s,card\n"
                            "a,sub/m.yaml,decode,1,0,128,1,pytorch-eager,0.005,h100-sxm5-80gb\n"
                            "b,llama-3.2-1b,decode,1,0,128,1,pytorch-eager,0.005,h200-sxm-141gb\n"
                            "c,nope/missing.yaml,decode,1,0,128,1,pytorch-eager,0.005,h100-sxm5-80gb\n";
    const io::CsvTable t = io::parseCsv(csv, dir.filePath(QStringLiteral("e2e.csv")).toStdString());
    const PlatformModel h100 = PlatformModel::from(io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb")));
    const ValidationReport own = validateDatasetIn(t, h100, dir.path().toStdString());
    ASSERT_EQ(own.rows.size(), 3u);
    EXPECT_TRUE(own.rows[0].error.empty())
        << "a path relative to the dataset resolves as in `rooflab validate`: " << own.rows[0].error;
    EXPECT_TRUE(own.rows[1].error.empty()) << own.rows[1].error;
    EXPECT_FALSE(own.rows[2].error.empty());
    EXPECT_EQ(own.failed, 1u);
    // The same model and step: on its own platform (H200, more bandwidth) the row's decode step is faster.
    EXPECT_LT(own.rows[1].predictedS, own.rows[0].predictedS);
    const ValidationReport sidebar = validateDatasetIn(t, h100, dir.path().toStdString(), false);
    EXPECT_DOUBLE_EQ(sidebar.rows[1].predictedS, sidebar.rows[0].predictedS);
    EXPECT_EQ(own.overall.n, 2u);
    // The problem column shows its whole text as a tooltip.
    ValidationModel m;
    m.setResult(own);
    QAbstractItemModelTester tester(&m);
    EXPECT_EQ(m.index(2, ValidationModel::Error).data(Qt::ToolTipRole).toString().toStdString(), own.rows[2].error);
    EXPECT_FALSE(m.index(0, ValidationModel::Error).data(Qt::ToolTipRole).isValid());
}

TEST_F(GuiWindow, TraceIsComparedOnItsOwnStackAndPlatform) {
    // The sidebar says vllm on H200; the committed H100 trace was taken by the PyTorch harness on an H100.
    ASSERT_TRUE(w->selectStack(QStringLiteral("vllm")));
    ASSERT_TRUE(w->selectPlatform(QStringLiteral("h200-sxm-141gb")));
    ASSERT_TRUE(w->waitForEvaluation(10000));
    ASSERT_TRUE(w->showPage(QStringLiteral("trace")));
    TracePage* page = w->tracePage();
    ASSERT_TRUE(page->loadTrace(kDecodeTrace)) << page->messageText().toStdString();
    EXPECT_TRUE(page->scenarioText().contains(QStringLiteral("on h100-sxm5-80gb")))
        << page->scenarioText().toStdString();
    EXPECT_TRUE(page->scenarioText().contains(QStringLiteral("stack pytorch-eager")))
        << page->scenarioText().toStdString();
    // A trace whose name says its stack, outside a platform's folder: that stack, the sidebar's platform.
    QTemporaryDir dir;
    const QString named = dir.filePath(QStringLiteral("trace_llama-3.1-8b-decode-b8-p0-c2048-tp1-vllm.csv"));
    ASSERT_TRUE(QFile::copy(kDecodeTrace, named));
    ASSERT_TRUE(page->loadTrace(named)) << page->messageText().toStdString();
    EXPECT_TRUE(page->scenarioText().contains(QStringLiteral("stack vllm"))) << page->scenarioText().toStdString();
    EXPECT_TRUE(page->scenarioText().contains(QStringLiteral("on h200-sxm-141gb")))
        << page->scenarioText().toStdString();
}

// ---------------------------------------------------------------- one unit convention (issue 19)

TEST(GuiModels, BytesReadAsTheCliWritesThem) {
    // The H100 showed 80 GB in the CLI and 74.51 GiB on the platform page: decimal prefixes everywhere.
    EXPECT_EQ(formatBytes(80e9), QStringLiteral("80 GB"));
    EXPECT_EQ(formatBytes(16.06e9), QStringLiteral("16.06 GB"));
    PlatformValuesModel m;
    m.setPlatform(io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb")));
    bool seen = false;
    for (const auto& r : m.rows())
        if (r.key.endsWith(QStringLiteral("capacity")) && r.si == 85520809984.0) { // 81559 MiB as the driver says
            EXPECT_EQ(r.value, QStringLiteral("85.52 GB"));
            seen = true;
        }
    EXPECT_TRUE(seen);
    for (const auto& r : m.rows())
        EXPECT_FALSE(r.value.contains(QStringLiteral("iB"))) << r.key.toStdString() << " " << r.value.toStdString();
}

// ---------------------------------------------------------------- log axes (issue 19)

TEST_F(GuiWindow, LogAxesNeverRepeatALabelAndKeepToTheirRange) {
    // Latency vs context on a long context sweep was labelled "2·10²" twice, "3·10¹" twice.
    w->setContext(65536);
    ASSERT_TRUE(w->waitForEvaluation(10000));
    for (PlotView* v : std::initializer_list<PlotView*>{w->sweepPlot(), w->rooflinePlot()}) {
        for (int rect : {0, 1}) {
            for (bool xAxis : {true, false}) {
                const QStringList labels = v->tickLabels(rect, xAxis);
                if (rect == 1 && v == w->rooflinePlot())
                    continue;
                EXPECT_GE(labels.size(), 2) << v->title().toStdString() << " rect " << rect << " x " << xAxis;
                QStringList seen;
                for (const QString& l : labels) {
                    EXPECT_FALSE(seen.contains(l)) << "repeated label " << l.toStdString();
                    EXPECT_FALSE(l.contains(QStringLiteral("·"))) << l.toStdString();
                    seen << l;
                }
            }
        }
    }
    // The GUI labels what the report's SVG labels (one ticker).
    const QStringList sweepX = w->sweepPlot()->tickLabels(1, true);
    EXPECT_TRUE(sweepX.contains(QStringLiteral("1000")) || sweepX.contains(QStringLiteral("10000")))
        << sweepX.join(QLatin1Char(' ')).toStdString();
}

// ---------------------------------------------------------------- scenario files (issue 19)

TEST_F(GuiWindow, ScenarioSavesLoadsAndIsRememberedAsRecent) {
    QSettings().remove(QStringLiteral("scenarios/recent"));
    ASSERT_TRUE(w->selectStack(QStringLiteral("vllm")));
    w->setBatch(16);
    w->setContext(4096);
    ASSERT_TRUE(w->waitForEvaluation(10000));
    QTemporaryDir dir;
    const QString yaml = dir.filePath(QStringLiteral("s.yaml"));
    QString err;
    ASSERT_TRUE(w->scenarioFiles()->saveScenario(yaml, &err)) << err.toStdString();
    // The file is the codec's: the CLI reads it back to the same request.
    const Request r = spec::loadRequestFile(yaml.toStdString());
    ASSERT_NE(r.llm(), nullptr);
    EXPECT_EQ(r.llm()->model, "llama-3.1-70b");
    EXPECT_EQ(r.llm()->stackName, "vllm");
    EXPECT_EQ(r.platform, "h100-sxm5-80gb");
    EXPECT_EQ(r.scenario.batch, 16);
    EXPECT_EQ(r.scenario.context, 4096);
    EXPECT_EQ(r.scenario.tp, 4);
    // Change everything, load: the controls show the file again.
    w->setBatch(1);
    w->setTensorParallel(1);
    ASSERT_TRUE(w->selectStack(QStringLiteral("pytorch-eager")));
    ASSERT_TRUE(w->scenarioFiles()->loadScenario(yaml, &err)) << err.toStdString();
    ASSERT_TRUE(w->waitForEvaluation(10000));
    EXPECT_EQ(w->scenarioPanel()->value(ScenarioPanel::Field::Batch), 16);
    EXPECT_EQ(w->scenarioPanel()->value(ScenarioPanel::Field::Tp), 4);
    EXPECT_EQ(w->scenarioPanel()->stackName(), QStringLiteral("vllm"));
    EXPECT_EQ(w->lastOutput().prediction.devices, 4);
    // JSON by suffix; both are recent, the last first.
    const QString json = dir.filePath(QStringLiteral("s.json"));
    ASSERT_TRUE(w->scenarioFiles()->saveScenario(json, &err)) << err.toStdString();
    EXPECT_TRUE(head(json, 1).startsWith("{"));
    EXPECT_EQ(spec::loadRequestFile(json.toStdString()).scenario.batch, 16);
    const QStringList recent = w->scenarioFiles()->recentScenarios();
    ASSERT_GE(recent.size(), 2);
    EXPECT_EQ(recent[0], QFileInfo(json).absoluteFilePath());
    EXPECT_EQ(recent[1], QFileInfo(yaml).absoluteFilePath());
    // A broken file is refused with file, line and key; nothing changes.
    const QString bad = dir.filePath(QStringLiteral("bad.yaml"));
    QFile f(bad);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.write("model: \"llama-3.1-8b\"\nbatchh: 3\n");
    f.close();
    EXPECT_FALSE(w->scenarioFiles()->loadScenario(bad, &err));
    EXPECT_TRUE(err.contains(QStringLiteral("bad.yaml:2"))) << err.toStdString();
    EXPECT_TRUE(err.contains(QStringLiteral("batchh"))) << err.toStdString();
    EXPECT_EQ(w->scenarioPanel()->value(ScenarioPanel::Field::Batch), 16);
    QSettings().remove(QStringLiteral("scenarios/recent"));
}

#ifdef ROOFLAB_CLI_EXE
TEST_F(GuiWindow, CopyAsCliCommandPredictsWhatTheWindowShows) {
    ASSERT_TRUE(w->selectStack(QStringLiteral("vllm")));
    w->setBatch(16);
    ASSERT_TRUE(w->waitForEvaluation(10000));
    const QString cmd = w->scenarioFiles()->cliCommand();
    EXPECT_TRUE(cmd.startsWith(QStringLiteral("rooflab predict llm --platform h100-sxm5-80gb --model llama-3.1-70b "
                                              "--stack vllm --phase decode --batch 16")))
        << cmd.toStdString();
    QStringList args = cmd.split(QLatin1Char(' '));
    args.removeFirst(); // "rooflab"
    args << QStringLiteral("--format") << QStringLiteral("json") << QStringLiteral("--no-ops");
    QProcess cli;
    cli.start(QStringLiteral(ROOFLAB_CLI_EXE), args);
    ASSERT_TRUE(cli.waitForFinished(60000));
    ASSERT_EQ(cli.exitCode(), 0) << cli.readAllStandardError().toStdString();
    const QJsonObject j = QJsonDocument::fromJson(cli.readAllStandardOutput()).object();
    const double cliLatency = j.value(QStringLiteral("latency_s")).toDouble();
    const double guiLatency = w->lastOutput().prediction.latencyS;
    ASSERT_GT(guiLatency, 0);
    EXPECT_NEAR(cliLatency / guiLatency, 1.0, 1e-9);
    // GEMM workloads become `predict gemm`.
    w->setGemmWorkload(1024, 2048, 512);
    EXPECT_TRUE(w->scenarioFiles()->cliCommand().contains(
        QStringLiteral("predict gemm --platform h100-sxm5-80gb --m 1024 --n 2048 --k 512")))
        << w->scenarioFiles()->cliCommand().toStdString();
}
#endif

TEST_F(GuiWindow, EditorValidatesAsYouTypeWithLine) {
    QPlainTextEdit* ed = w->platformPage()->editor();
    const QString good = ed->toPlainText();
    ASSERT_FALSE(good.isEmpty());
    ed->setPlainText(good + QStringLiteral("\nbogus_key: 1\n"));
    QTest::qWait(400);
    EXPECT_TRUE(w->platformPage()->editorStatus().contains(QStringLiteral("✗")))
        << w->platformPage()->editorStatus().toStdString();
    EXPECT_TRUE(w->platformPage()->editorStatus().contains(QStringLiteral("line")))
        << w->platformPage()->editorStatus().toStdString();
    QString edited = good;
    edited.replace(QStringLiteral("name: h100-sxm5-80gb"), QStringLiteral("name: h100-edited"));
    ed->setPlainText(edited);
    QTest::qWait(400);
    ASSERT_TRUE(w->waitForEvaluation(10000));
    EXPECT_TRUE(w->platformPage()->editorStatus().contains(QStringLiteral("✓")))
        << w->platformPage()->editorStatus().toStdString();
    EXPECT_EQ(w->platform().name, "h100-edited");
}

TEST_F(GuiWindow, ExportsPngPdfCsvAndPlatform) {
    QTemporaryDir dir;
    QString err;
    for (PlotView* plot : {static_cast<PlotView*>(w->rooflinePlot()), static_cast<PlotView*>(w->sweepPlot()),
                           static_cast<PlotView*>(w->breakdownPlot())}) {
        const QString png = dir.filePath(QStringLiteral("p.png"));
        ASSERT_TRUE(ExportActions::exportPlot(plot, png, &err)) << err.toStdString();
        EXPECT_EQ(head(png, 8), QByteArray("\x89PNG\r\n\x1a\n", 8));
        EXPECT_FALSE(QImage(png).isNull());
        const QString pdf = dir.filePath(QStringLiteral("p.pdf"));
        ASSERT_TRUE(ExportActions::exportPlot(plot, pdf, &err)) << err.toStdString();
        EXPECT_EQ(head(pdf, 5), QByteArray("%PDF-"));
    }
    if (!PlotView::exportSuffixes().contains(QStringLiteral("svg"))) {
        EXPECT_FALSE(ExportActions::exportPlot(w->rooflinePlot(), dir.filePath(QStringLiteral("p.svg")), &err));
        EXPECT_TRUE(err.contains(QStringLiteral("SVG")));
    }
#ifdef ROOFLAB_HAVE_SVG
    EXPECT_TRUE(PlotView::exportSuffixes().contains(QStringLiteral("svg")));
#endif
    const QString csv = dir.filePath(QStringLiteral("ops.csv"));
    ASSERT_TRUE(ExportActions::exportTable(w->operatorModel(), csv, &err)) << err.toStdString();
    EXPECT_TRUE(head(csv, 8).startsWith("Operator"));
    const QString yaml = dir.filePath(QStringLiteral("saved.yaml"));
    ASSERT_TRUE(w->exportActions()->savePlatformAs(yaml, &err)) << err.toStdString();
    EXPECT_EQ(io::loadPlatformFile(yaml.toStdString()).name, w->platform().name);
    EXPECT_FALSE(w->exportActions()->savePlatformAs(QStringLiteral("/nonexistent-dir/x.yaml"), &err));
}

TEST_F(GuiWindow, ExportsSvgWhenBuiltWithQtSvg) {
    QTemporaryDir dir;
    QString err;
    const QString svg = dir.filePath(QStringLiteral("p.svg"));
    if (!PlotView::exportSuffixes().contains(QStringLiteral("svg"))) {
        EXPECT_FALSE(ExportActions::exportPlot(w->rooflinePlot(), svg, &err));
        EXPECT_TRUE(err.contains(QStringLiteral("SVG")));
        GTEST_SKIP() << "built without Qt SVG";
    }
    for (PlotView* plot : {static_cast<PlotView*>(w->rooflinePlot()), static_cast<PlotView*>(w->sweepPlot()),
                           static_cast<PlotView*>(w->breakdownPlot())}) {
        ASSERT_TRUE(ExportActions::exportPlot(plot, svg, &err)) << err.toStdString();
        EXPECT_GT(QFileInfo(svg).size(), 0);
        const QByteArray h = head(svg, 256).trimmed();
        EXPECT_TRUE(h.startsWith("<?xml") || h.startsWith("<svg")) << h.toStdString();
        EXPECT_TRUE(head(svg, 4096).contains("<svg")) << "no <svg element";
    }
}

TEST_F(GuiWindow, DatasetShowsPredictedVsMeasured) {
    ASSERT_TRUE(w->loadDataset(kFixtures + QStringLiteral("/e2e_sample.csv")));
    EXPECT_EQ(w->validationModel()->rowCount(), 4);
    EXPECT_EQ(w->validationPlot()->seriesData(QStringLiteral("rows")).size(), 3);
    EXPECT_TRUE(w->validationPlot()->title().contains(QStringLiteral("MAPE")));
}

TEST_F(GuiWindow, ValidationPageUsesTheEngineOnH100Runs) {
    const QString e2e = kH100Data + QStringLiteral("/e2e.csv");
    ASSERT_TRUE(w->loadDataset(e2e));
    const ValidationReport& r = w->validationModel()->result();
    // The same rows and numbers as `rooflab validate` (one engine function behind both).
    const PlatformModel pm = PlatformModel::from(io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb")));
    std::map<std::string, LlmArch> archs;
    StackProfile stack = io::loadStack("pytorch-eager");
    const ValidationReport direct = validateDataset(
        pm, io::loadCsvFile(e2e.toStdString()),
        [&](const std::string& n) -> const LlmArch& { return archs.try_emplace(n, io::loadModel(n)).first->second; },
        [&](const std::string&) -> const StackProfile& { return stack; });
    ASSERT_EQ(r.rows.size(), 41u);
    EXPECT_EQ(r.failed, 0u);
    EXPECT_EQ(r.overall.n, 41u);
    ASSERT_EQ(direct.rows.size(), r.rows.size());
    EXPECT_DOUBLE_EQ(r.overall.mapePct, direct.overall.mapePct);
    EXPECT_EQ(w->validationModel()->rowCount(), 41);
    EXPECT_EQ(w->validationPlot()->seriesData(QStringLiteral("rows")).size(), 41);
    EXPECT_TRUE(w->validationPlot()->title().contains(QStringLiteral("41 rows")))
        << w->validationPlot()->title().toStdString();
    ValidationModel* m = w->validationModel();
    for (int i = 0; i < m->rowCount(); ++i) {
        const ValidationRow& row = r.rows[std::size_t(i)];
        EXPECT_DOUBLE_EQ(row.predictedS, direct.rows[std::size_t(i)].predictedS) << row.id;
        EXPECT_EQ(m->data(m->index(i, ValidationModel::Model)).toString(), QString::fromStdString(row.model));
        const QString phase = m->data(m->index(i, ValidationModel::Phase)).toString();
        EXPECT_TRUE(phase == QStringLiteral("prefill") || phase == QStringLiteral("decode")) << phase.toStdString();
        EXPECT_GE(m->data(m->index(i, ValidationModel::Batch), kSortRole).toDouble(), 1.0);
        EXPECT_GE(row.prompt, 1); // decode rows carry prompt 0 in the file and are evaluated with 1
        EXPECT_EQ(row.tp, 1);
    }
}

namespace {

/// Every plotted point of one sweep axis (both the "fits" and the "does not fit" series) against predictStep called
/// here for the same scenario; returns how many points were plotted.
int expectSweepMatchesEngine(const SweepPlot& plot, const QString& axis, const Scenario& base) {
    const PlatformModel pm = PlatformModel::from(io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb")));
    const LlmArch arch = io::loadModel("llama-3.1-70b");
    const StackProfile stack = io::loadStack("pytorch-eager");
    int plotted = 0;
    for (const bool fits : {true, false}) {
        const QString suffix = fits ? QString() : QStringLiteral(" (does not fit)");
        const QVector<QPointF> lat = plot.seriesData(QStringLiteral("latency vs ") + axis + suffix);
        const QVector<QPointF> thr = plot.seriesData(QStringLiteral("throughput vs ") + axis + suffix);
        EXPECT_EQ(lat.size(), thr.size());
        double lastX = 0;
        for (qsizetype i = 0; i < lat.size(); ++i) {
            const double x = lat[i].x();
            EXPECT_EQ(x, std::round(x));
            EXPECT_GT(x, lastX);
            lastX = x;
            Scenario s = base;
            (axis == QStringLiteral("batch") ? s.batch : s.context) = static_cast<int64_t>(x);
            const Prediction p = predictStep(pm, arch, stack, s, false);
            EXPECT_TRUE(p.ok) << p.error;
            EXPECT_EQ(p.memory.fits, fits) << axis.toStdString() << " " << x;
            EXPECT_NEAR(lat[i].y(), p.latencyS * 1e3, 1e-9 * p.latencyS * 1e3) << axis.toStdString() << " " << x;
            if (i < thr.size()) {
                EXPECT_EQ(thr[i].x(), x);
                EXPECT_NEAR(thr[i].y(), p.tokensPerS, 1e-9 * p.tokensPerS) << axis.toStdString() << " " << x;
            }
        }
        plotted += int(lat.size());
    }
    return plotted;
}

} // namespace

TEST_F(GuiWindow, ThousandPointSweepUpdatesThePlotWithEngineValues) {
    Scenario base;
    base.phase = Phase::Decode;
    base.prompt = 2048;
    base.chunk = 512;
    base.outputTokens = 256;
    base.tp = 4;
    base.batch = 8;
    base.context = 4096;
    w->setPrompt(int(base.prompt));
    w->setContext(int(base.context));
    w->setSweepPoints(1000);
    ASSERT_TRUE(w->showPage(QStringLiteral("sweep")));
    ASSERT_TRUE(w->waitForEvaluation(30000));
    const EvalOutput& out = w->lastOutput();
    // 1,000 log-spaced values per axis; the batch axis (1..4096) holds fewer distinct integers.
    EXPECT_GE(out.contextSweep.points.size(), 990u);
    EXPECT_GE(out.batchSweep.points.size() + out.contextSweep.points.size(), 1000u);
    EXPECT_EQ(std::size_t(expectSweepMatchesEngine(*w->sweepPlot(), QStringLiteral("batch"), base)),
              out.batchSweep.points.size());
    EXPECT_EQ(std::size_t(expectSweepMatchesEngine(*w->sweepPlot(), QStringLiteral("context"), base)),
              out.contextSweep.points.size());
    EXPECT_EQ(w->sweepModel()->rowCount(), int(out.batchSweep.points.size()));

    // A scenario change re-plots every point with the new scenario's values.
    const QVector<QPointF> before = w->sweepPlot()->seriesData(QStringLiteral("latency vs context"));
    base.batch = 32;
    base.context = 8192;
    w->setBatch(int(base.batch));
    w->setContext(int(base.context));
    ASSERT_TRUE(w->waitForEvaluation(30000));
    EXPECT_NE(w->sweepPlot()->seriesData(QStringLiteral("latency vs context")), before);
    const int batchPlotted = expectSweepMatchesEngine(*w->sweepPlot(), QStringLiteral("batch"), base);
    const int contextPlotted = expectSweepMatchesEngine(*w->sweepPlot(), QStringLiteral("context"), base);
    EXPECT_EQ(std::size_t(batchPlotted), w->lastOutput().batchSweep.points.size());
    EXPECT_EQ(std::size_t(contextPlotted), w->lastOutput().contextSweep.points.size());
    EXPECT_GE(batchPlotted + contextPlotted, 1000);
}

TEST_F(GuiWindow, GemmWorkloadIsOnePoint) {
    w->setGemmWorkload(4096, 4096, 4096);
    ASSERT_TRUE(w->waitForEvaluation(10000));
    EXPECT_EQ(w->rooflinePlot()->operatorPoints().size(), 1);
    EXPECT_TRUE(w->statusText().contains(QStringLiteral("compute"))) << w->statusText().toStdString();
}

// ---------------------------------------------------------------- search page

TEST(GuiModels, SearchResultModelPassesTester) {
    SearchResultModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::Fatal);
    SearchRequest req;
    req.model = QStringLiteral("llama-3.1-8b");
    req.platforms = {QStringLiteral("h100-sxm5-80gb")};
    req.slo.tpotMaxS = 0.05;
    const SearchOutcome o = runSearch(req);
    ASSERT_TRUE(o.error.isEmpty()) << o.error.toStdString();
    ASSERT_TRUE(o.hasBest());
    m.setRows(o.rows);
    ASSERT_GE(m.rowCount(), 2);
    EXPECT_EQ(m.columnCount(), 14);
    EXPECT_EQ(m.data(m.index(0, SearchResultModel::Role)).toString(), QStringLiteral("best"));
    EXPECT_EQ(m.data(m.index(0, SearchResultModel::Platform)).toString(), QStringLiteral("h100-sxm5-80gb"));
    EXPECT_LE(m.data(m.index(0, SearchResultModel::TpotMs), kSortRole).toDouble(), 50.0);
    EXPECT_GT(m.data(m.index(0, SearchResultModel::Memory), kSortRole).toDouble(), 0.0);
    QSortFilterProxyModel proxy;
    QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::Fatal);
    proxy.setSourceModel(&m);
    proxy.setSortRole(kSortRole);
    proxy.sort(SearchResultModel::TokensPerSPerDevice, Qt::DescendingOrder);
    EXPECT_GE(proxy.data(proxy.index(0, SearchResultModel::TokensPerSPerDevice), kSortRole).toDouble(),
              proxy.data(proxy.index(1, SearchResultModel::TokensPerSPerDevice), kSortRole).toDouble());
    m.setRows({});
    EXPECT_EQ(m.rowCount(), 0);
}

TEST(GuiModels, SearchWithBadInputsReportsErrors) {
    SearchRequest req;
    req.model = QStringLiteral("llama-3.1-8b");
    EXPECT_FALSE(runSearch(req).error.isEmpty()); // no platform
    req.platforms = {QStringLiteral("no-such-platform")};
    EXPECT_FALSE(runSearch(req).error.isEmpty());
    req.platforms = {QStringLiteral("h100-sxm5-80gb")};
    req.objective = SearchObjective::Cost; // no price
    EXPECT_TRUE(runSearch(req).error.contains(QStringLiteral("price")));
}

TEST_F(GuiWindow, SearchPageFindsBestConfigurationAndParetoFront) {
    ASSERT_TRUE(w->pageNames().contains(QStringLiteral("search")));
    ASSERT_TRUE(w->showPage(QStringLiteral("search")));
    QApplication::processEvents();
    EXPECT_EQ(w->currentPageName(), QStringLiteral("search"));
    SearchPage* page = w->searchPage();
    ASSERT_NE(page, nullptr);
    EXPECT_EQ(w->currentTable(), page->model());
    EXPECT_EQ(w->currentPlot(), page->plot());
    // The current platform is the default candidate.
    EXPECT_EQ(page->candidatePlatforms(), QStringList{QStringLiteral("h100-sxm5-80gb")});
    ASSERT_TRUE(w->selectModel(QStringLiteral("llama-3.1-8b")));
    ASSERT_TRUE(w->waitForEvaluation(10000));
    page->setTargets(0, 0.05);
    page->setTokens(1024, 256);
    ASSERT_TRUE(page->run());
    ASSERT_TRUE(page->waitForSearch(60000));
    EXPECT_EQ(page->searchCount(), 1);
    ASSERT_TRUE(page->outcome().error.isEmpty()) << page->outcome().error.toStdString();
    ASSERT_TRUE(page->outcome().hasBest()) << page->messageText().toStdString();
    EXPECT_GT(page->model()->rowCount(), 0);
    EXPECT_EQ(page->model()->data(page->model()->index(0, SearchResultModel::Role)).toString(), QStringLiteral("best"));
    EXPECT_TRUE(page->messageText().startsWith(QStringLiteral("Best: h100-sxm5-80gb")))
        << page->messageText().toStdString();
    EXPECT_FALSE(page->plot()->seriesData(QStringLiteral("pareto front")).isEmpty());
    EXPECT_EQ(page->plot()->seriesData(QStringLiteral("best")).size(), 1);
    QTemporaryDir dir;
    QString err;
    const QString png = dir.filePath(QStringLiteral("search.png"));
    ASSERT_TRUE(ExportActions::exportPlot(w->currentPlot(), png, &err)) << err.toStdString();
    EXPECT_FALSE(QImage(png).isNull());
}

TEST(GuiModels, DeploymentSearchInputsAndServingStack) {
    // Issue 19, default stack: a serving question runs the workload's stack when it is a serving stack, else vllm.
    EXPECT_EQ(servingStackFor(QStringLiteral("sglang")), QStringLiteral("sglang"));
    EXPECT_EQ(servingStackFor(QStringLiteral("tensorrt-llm")), QStringLiteral("tensorrt-llm"));
    EXPECT_EQ(servingStackFor(QStringLiteral("pytorch-eager")), QStringLiteral("vllm"));
    EXPECT_EQ(servingStackFor(QString()), QStringLiteral("vllm"));
    DeploymentSearchRequest req;
    req.model = QStringLiteral("llama-3.1-8b");
    EXPECT_FALSE(runDeploymentSearch(req).error.isEmpty()); // no platform
    req.platform = QStringLiteral("no-such-platform");
    EXPECT_FALSE(runDeploymentSearch(req).error.isEmpty());
    req.platform = QStringLiteral("h100-sxm5-80gb");
    req.gpus = 0;
    EXPECT_FALSE(runDeploymentSearch(req).error.isEmpty()) << "a budget below 1 is refused, not a crash";
}

// Issue 16: the Search page's serving mode runs the deployment search of the serving simulator (as `rooflab search
// --gpus N`): the tokens/s-per-GPU vs tokens/s-per-user front with the best layout under the SLO, and the front's
// layouts in a table; the window exports that plot and table while the mode is on.
TEST_F(GuiWindow, SearchPageServingModeShowsTheDeploymentFront) {
    ASSERT_TRUE(w->showPage(QStringLiteral("search")));
    SearchPage* page = w->searchPage();
    ASSERT_TRUE(w->selectModel(QStringLiteral("llama-3.1-8b")));
    ASSERT_TRUE(w->waitForEvaluation(10000));
    page->setMode(SearchMode::Serving);
    EXPECT_EQ(page->mode(), SearchMode::Serving);
    EXPECT_EQ(w->currentPlot(), page->servingPlot());
    EXPECT_EQ(w->currentTable(), page->deploymentModel());
    ASSERT_TRUE(page->setCandidatePlatforms({QStringLiteral("h100-sxm5-80gb")}));
    page->setGpuBudget(2);
    page->setTokens(1024, 128);
    page->setTargets(0, 0.05);
    ASSERT_TRUE(page->run());
    ASSERT_TRUE(page->waitForSearch(180000));
    const DeploymentSearchOutcome& o = page->deploymentOutcome();
    ASSERT_TRUE(o.error.isEmpty()) << o.error.toStdString();
    ASSERT_TRUE(o.result.best.has_value()) << page->messageText().toStdString();
    EXPECT_EQ(o.stack, page->servingStack());
    EXPECT_EQ(o.platform, QStringLiteral("h100-sxm5-80gb"));
    for (const auto& c : o.result.candidates)
        EXPECT_LE(c.gpus, 2);
    // The best first, then the front.
    DeploymentFrontModel* m = page->deploymentModel();
    QAbstractItemModelTester tester(m, QAbstractItemModelTester::FailureReportingMode::Fatal);
    ASSERT_EQ(m->rowCount(), int(o.result.pareto.size()) + 1);
    EXPECT_EQ(m->data(m->index(0, DeploymentFrontModel::Role)).toString(), QStringLiteral("best"));
    EXPECT_EQ(m->data(m->index(0, DeploymentFrontModel::MeetsSlo)).toString(), QStringLiteral("yes"));
    EXPECT_TRUE(m->data(m->index(0, DeploymentFrontModel::Layout)).toString().startsWith(QStringLiteral("agg")));
    if (m->rowCount() > 1) {
        EXPECT_EQ(m->data(m->index(1, DeploymentFrontModel::Role)).toString(), QStringLiteral("Pareto"));
    }
    EXPECT_EQ(m->headerData(DeploymentFrontModel::TokensPerSPerGpu, Qt::Horizontal).toString(),
              QStringLiteral("Output per GPU (tokens/s)"));
    EXPECT_FALSE(page->servingPlot()->seriesData(QStringLiteral("pareto front")).isEmpty());
    EXPECT_EQ(page->servingPlot()->seriesData(QStringLiteral("best under SLO")).size(), 1);
    EXPECT_TRUE(page->messageText().startsWith(QStringLiteral("Best under the SLO (") + o.stack +
                                               QStringLiteral(" on h100-sxm5-80gb")))
        << page->messageText().toStdString();
    // An impossible target: no best, the front still shown, the message inline.
    page->setTargets(1e-6, 0.05);
    ASSERT_TRUE(page->run());
    ASSERT_TRUE(page->waitForSearch(180000));
    EXPECT_FALSE(page->deploymentOutcome().result.best.has_value());
    EXPECT_TRUE(page->messageText().contains(QStringLiteral("No layout meets"))) << page->messageText().toStdString();
    EXPECT_EQ(m->rowCount(), int(page->deploymentOutcome().result.pareto.size()));
    // Back to the step model: its plot and table again.
    page->setMode(SearchMode::Step);
    EXPECT_EQ(w->currentPlot(), page->plot());
    EXPECT_EQ(w->currentTable(), page->model());
}

TEST_F(GuiWindow, SearchPageImpossibleTargetIsInlineMessage) {
    ASSERT_TRUE(w->showPage(QStringLiteral("search")));
    SearchPage* page = w->searchPage();
    ASSERT_TRUE(w->selectModel(QStringLiteral("llama-3.1-8b")));
    ASSERT_TRUE(page->setCandidatePlatforms({QStringLiteral("h100-sxm5-80gb")}));
    page->setTargets(1e-6, 0.05);
    ASSERT_TRUE(page->run());
    ASSERT_TRUE(page->waitForSearch(60000));
    EXPECT_FALSE(page->outcome().hasBest());
    EXPECT_TRUE(page->messageText().contains(QStringLiteral("no configuration meets"), Qt::CaseInsensitive))
        << page->messageText().toStdString();
    // Bad inputs are inline too, never a crash.
    EXPECT_FALSE(page->setCandidatePlatforms({QStringLiteral("no-such-platform")}));
    ASSERT_TRUE(page->setCandidatePlatforms({}));
    EXPECT_FALSE(page->run());
    EXPECT_TRUE(page->messageText().contains(QStringLiteral("platform"))) << page->messageText().toStdString();
    ASSERT_TRUE(page->setCandidatePlatforms({QStringLiteral("h100-sxm5-80gb")}));
    page->setObjective(SearchObjective::Cost);
    ASSERT_TRUE(page->run());
    ASSERT_TRUE(page->waitForSearch(60000));
    EXPECT_TRUE(page->messageText().contains(QStringLiteral("price"))) << page->messageText().toStdString();
    page->setPrices(QStringLiteral("h100-sxm5-80gb=3.5"));
    page->setTargets(0, 0.05);
    ASSERT_TRUE(page->run());
    ASSERT_TRUE(page->waitForSearch(60000));
    EXPECT_TRUE(page->outcome().hasBest()) << page->messageText().toStdString();
    EXPECT_TRUE(page->messageText().contains(QStringLiteral("/h"))) << page->messageText().toStdString();
}

TEST(GuiSession, TheNextWindowRestoresPlatformScenarioComparePageAndDataset) {
    QTemporaryDir dir;
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, dir.path());
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, dir.path());
    {
        MainWindow w(true);
        ASSERT_TRUE(w.selectPlatform(QStringLiteral("h200-sxm-141gb")));
        ASSERT_TRUE(w.selectModel(QStringLiteral("llama-3.1-70b")));
        ASSERT_TRUE(w.setPhase(QStringLiteral("prefill")));
        w.setBatch(12);
        w.setTensorParallel(4);
        ASSERT_TRUE(w.setComparePlatforms({QStringLiteral("l40s")}));
        ASSERT_TRUE(w.loadDataset(kFixtures + QStringLiteral("/e2e_sample.csv")));
        ASSERT_TRUE(w.showPage(QStringLiteral("sweep")));
        ASSERT_TRUE(w.waitForEvaluation(10000));
        w.close(); // saves the session
    }
    MainWindow restored(true);
    ASSERT_TRUE(restored.waitForEvaluation(10000));
    EXPECT_EQ(restored.platform().name, "h200-sxm-141gb");
    EXPECT_EQ(restored.currentPageName(), QStringLiteral("sweep"));
    const EvalOutput& out = restored.lastOutput();
    ASSERT_EQ(out.compare.size(), 2u);
    EXPECT_EQ(out.compare[1].name, "l40s");
    EXPECT_EQ(restored.validationModel()->rowCount(), 4);
    EXPECT_TRUE(restored.errorText().isEmpty()) << restored.errorText().toStdString();
    report::ReportInput in;
    QString error;
    ASSERT_TRUE(restored.reportInput(in, &error)) << error.toStdString();
    EXPECT_EQ(in.model, "llama-3.1-70b");
    EXPECT_EQ(in.phase, "prefill");
    EXPECT_EQ(in.batch, 12);
    EXPECT_EQ(in.tp, 4);
}

// ---------------------------------------------------------------- command line

TEST(GuiScreenshot, WritesPngOfRequestedSize) {
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("shot.png"));
    QProcess p;
    p.start(QStringLiteral(ROOFLAB_GUI_EXE),
            {QStringLiteral("--screenshot"), out, QStringLiteral("--page"), QStringLiteral("sweep"),
             QStringLiteral("--platform"), QStringLiteral("h100-sxm5-80gb"), QStringLiteral("--model"),
             QStringLiteral("llama-3.1-70b"), QStringLiteral("--tp"), QStringLiteral("4"), QStringLiteral("--batch"),
             QStringLiteral("8"), QStringLiteral("--size"), QStringLiteral("900x600")});
    ASSERT_TRUE(p.waitForFinished(60000));
    EXPECT_EQ(p.exitCode(), 0) << p.readAllStandardError().toStdString();
    const QImage img(out);
    ASSERT_FALSE(img.isNull());
    EXPECT_EQ(img.size(), QSize(900, 600));
    EXPECT_GT(QFileInfo(out).size(), 1000);

    const QString searchShot = dir.filePath(QStringLiteral("search.png"));
    QProcess s;
    s.start(QStringLiteral(ROOFLAB_GUI_EXE),
            {QStringLiteral("--screenshot"), searchShot, QStringLiteral("--page"), QStringLiteral("search"),
             QStringLiteral("--size"), QStringLiteral("800x500")});
    ASSERT_TRUE(s.waitForFinished(60000));
    EXPECT_EQ(s.exitCode(), 0) << s.readAllStandardError().toStdString();
    EXPECT_EQ(QImage(searchShot).size(), QSize(800, 500));

    // The Serving page runs its study before the shot (the README's screenshot).
    const QString servingShot = dir.filePath(QStringLiteral("serving.png"));
    QProcess v;
    v.start(QStringLiteral(ROOFLAB_GUI_EXE),
            {QStringLiteral("--screenshot"), servingShot, QStringLiteral("--page"), QStringLiteral("serving"),
             QStringLiteral("--model"), QStringLiteral("llama-3.2-1b"), QStringLiteral("--size"),
             QStringLiteral("800x500")});
    ASSERT_TRUE(v.waitForFinished(120000));
    EXPECT_EQ(v.exitCode(), 0) << v.readAllStandardError().toStdString();
    EXPECT_EQ(QImage(servingShot).size(), QSize(800, 500));
    EXPECT_TRUE(QString::fromLocal8Bit(v.readAllStandardOutput()).contains(QStringLiteral("page serving")));

    QProcess bad;
    bad.start(QStringLiteral(ROOFLAB_GUI_EXE),
              {QStringLiteral("--screenshot"), out, QStringLiteral("--platform"), QStringLiteral("no-such")});
    ASSERT_TRUE(bad.waitForFinished(60000));
    EXPECT_EQ(bad.exitCode(), 2);
}

// ---------------------------------------------------------------- trace and calibration

TEST(GuiModels, TraceFileNameGivesScenario) {
    const auto id = parseTraceFileName(kDecodeTrace);
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(id->model, "llama-3.1-8b");
    EXPECT_EQ(id->phase, Phase::Decode);
    EXPECT_EQ(id->batch, 8);
    EXPECT_EQ(id->prompt, 0);
    EXPECT_EQ(id->context, 2048);
    EXPECT_EQ(id->tp, 1);
    const auto pre = parseTraceFileName(kPrefillTrace);
    ASSERT_TRUE(pre.has_value());
    EXPECT_EQ(pre->phase, Phase::Prefill);
    EXPECT_EQ(pre->prompt, 1024);
    EXPECT_FALSE(parseTraceFileName(QStringLiteral("/x/mytrace.csv")).has_value());
    EXPECT_EQ(traceClassOf(OpClass::KvAppend), traceClassIndex("copy"));
    EXPECT_EQ(traceClassOf(OpClass::Other), traceClassIndex("elementwise"));
    EXPECT_EQ(traceClassIndex("no-such-class"), traceClassIndex("other"));
}

TEST(GuiModels, TraceCompareModelPassesTesterAndSumsDurations) {
    TraceCompareModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::Fatal);
    EXPECT_EQ(m.rowCount(), 0);
    const KernelTrace t = loadKernelTrace(kDecodeTrace.toStdString());
    const Prediction p = samplePrediction(); // llama-3.1-8b decode b8 c2048 on h100
    m.setData(t, p);
    ASSERT_EQ(m.rowCount(), TraceCompareModel::RowCount);
    EXPECT_EQ(m.columnCount(), TraceCompareModel::ColumnCount);
    EXPECT_DOUBLE_EQ(m.measuredS(TraceCompareModel::TotalRow), sumDurationsNs(kDecodeTrace) * 1e-9);
    double classes = 0, predicted = 0;
    for (int r = 0; r < kTraceClassCount; ++r) {
        classes += m.measuredS(r);
        predicted += m.predictedS(r);
    }
    EXPECT_NEAR(classes, m.measuredS(TraceCompareModel::TotalRow), 1e-12);
    EXPECT_NEAR(predicted, m.predictedS(TraceCompareModel::TotalRow), 1e-12);
    EXPECT_GT(m.measuredS(traceClassIndex("gemm")), 0);
    EXPECT_GT(m.predictedS(traceClassIndex("gemm")), 0);
    EXPECT_GT(m.measuredS(TraceCompareModel::SpanRow), 0);
    EXPECT_DOUBLE_EQ(m.predictedS(TraceCompareModel::SpanRow), p.latencyS);
    // The decode trace holds three replays of the step (datasets/.../SOURCE.md): per-step values divide by 3.
    EXPECT_EQ(estimateTraceSteps(t, p), 3);
    m.setData(t, p, 3);
    EXPECT_EQ(m.steps(), 3);
    EXPECT_DOUBLE_EQ(m.measuredS(TraceCompareModel::TotalRow) * 3, sumDurationsNs(kDecodeTrace) * 1e-9);
    EXPECT_FALSE(m.data(m.index(TraceCompareModel::TotalRow, TraceCompareModel::ErrorPct)).toString().isEmpty());
    m.clear();
    EXPECT_EQ(m.rowCount(), 0);
    EXPECT_THROW(loadKernelTrace((kFixtures + QStringLiteral("/no-such.csv")).toStdString()), std::exception);
}

TEST(GuiModels, CalibrationCurvesHaveFiniteMape) {
    const PlatformModel pm = PlatformModel::from(io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb")));
    const io::CsvTable gemm = io::loadCsvFile((kH100Data + QStringLiteral("/gemm.csv")).toStdString());
    const auto combos = gemmCombos(gemm);
    ASSERT_FALSE(combos.empty());
    const GemmCombo want{4096, 4096, "bf16"};
    const GemmCombo combo = std::find(combos.begin(), combos.end(), want) != combos.end() ? want : combos.front();
    const CalCurve g = gemmCurve(gemm, pm, combo);
    ASSERT_FALSE(g.x.empty());
    EXPECT_EQ(g.measured.size(), g.x.size());
    EXPECT_EQ(g.model.size(), g.x.size());
    EXPECT_TRUE(std::isfinite(g.mapePct));
    const io::CsvTable bw = io::loadCsvFile((kH100Data + QStringLiteral("/bandwidth.csv")).toStdString());
    const CalCurve hbm = bandwidthCurve(bw, pm, "hbm");
    ASSERT_FALSE(hbm.x.empty());
    EXPECT_TRUE(std::isfinite(hbm.mapePct));
    EXPECT_DOUBLE_EQ(hbm.model.front(), pm.bandwidth[kDram]);
    const io::CsvTable at = io::loadCsvFile((kH100Data + QStringLiteral("/attention.csv")).toStdString());
    const CalCurve a = attentionCurve(at, pm);
    ASSERT_FALSE(a.x.empty());
    EXPECT_TRUE(std::isfinite(a.mapePct));
    EXPECT_TRUE(std::isnan(mapePct({}, {})));
    EXPECT_DOUBLE_EQ(mapePct({2.0}, {3.0}), 50.0);
}

TEST_F(GuiWindow, TracePageComparesCommittedTrace) {
    ASSERT_TRUE(w->pageNames().contains(QStringLiteral("trace")));
    ASSERT_TRUE(w->showPage(QStringLiteral("trace")));
    TracePage* page = w->tracePage();
    ASSERT_NE(page, nullptr);
    TraceCompareModel* m = page->model();
    QAbstractItemModelTester tester(m, QAbstractItemModelTester::FailureReportingMode::Fatal);
    for (const QString& trace : {kPrefillTrace, kDecodeTrace}) {
        ASSERT_TRUE(page->loadTrace(trace)) << page->messageText().toStdString();
        ASSERT_GT(m->rowCount(), 0);
        EXPECT_DOUBLE_EQ(page->trace().totalNs, sumDurationsNs(trace));
        EXPECT_EQ(m->steps(), trace == kPrefillTrace ? 1 : 3) << page->messageText().toStdString();
        EXPECT_DOUBLE_EQ(m->measuredS(TraceCompareModel::TotalRow) * m->steps(), sumDurationsNs(trace) * 1e-9);
        EXPECT_GT(m->predictedS(TraceCompareModel::TotalRow), 0);
        EXPECT_TRUE(page->scenarioText().contains(QStringLiteral("file name"))) << page->scenarioText().toStdString();
        EXPECT_TRUE(page->scenarioText().contains(QStringLiteral("llama-3.1-8b")));
        EXPECT_EQ(page->plot()->seriesData(QStringLiteral("measured")).size(), kTraceClassCount);
        EXPECT_EQ(page->plot()->seriesData(QStringLiteral("predicted")).size(), kTraceClassCount);
        EXPECT_EQ(w->currentPlot(), page->plot());
        EXPECT_EQ(w->currentTable(), m);
    }
    EXPECT_TRUE(page->scenarioText().contains(QStringLiteral("batch 8")));
    page->setTraceSteps(1); // override: the whole trace as one step
    EXPECT_EQ(m->steps(), 1);
    EXPECT_DOUBLE_EQ(m->measuredS(TraceCompareModel::TotalRow), sumDurationsNs(kDecodeTrace) * 1e-9);
    page->setTraceSteps(0);
    // A file name without the scenario id takes the scenario from the controls (llama-3.1-70b, TP 4, batch 8).
    QTemporaryDir dir;
    const QString plain = dir.filePath(QStringLiteral("mytrace.csv"));
    ASSERT_TRUE(QFile::copy(kDecodeTrace, plain));
    ASSERT_TRUE(page->loadTrace(plain)) << page->messageText().toStdString();
    EXPECT_TRUE(page->scenarioText().contains(QStringLiteral("controls"))) << page->scenarioText().toStdString();
    EXPECT_TRUE(page->scenarioText().contains(QStringLiteral("TP 4"))) << page->scenarioText().toStdString();
    w->setBatch(16);
    ASSERT_TRUE(w->waitForEvaluation(10000));
    EXPECT_TRUE(page->scenarioText().contains(QStringLiteral("batch 16"))) << page->scenarioText().toStdString();
    QString err;
    ASSERT_TRUE(ExportActions::exportTable(m, dir.filePath(QStringLiteral("trace.csv")), &err)) << err.toStdString();
    // A broken file: inline error, no crash, empty table.
    EXPECT_FALSE(page->loadTrace(kFixtures + QStringLiteral("/no-such-trace.csv")));
    EXPECT_FALSE(page->messageText().isEmpty());
    EXPECT_EQ(m->rowCount(), 0);
}

TEST_F(GuiWindow, CalibrationPageShowsMeasurementsAgainstModel) {
    ASSERT_TRUE(w->pageNames().contains(QStringLiteral("calibration")));
    ASSERT_TRUE(w->showPage(QStringLiteral("calibration")));
    CalibrationPage* page = w->calibrationPage();
    ASSERT_NE(page, nullptr);
    // The default folder is the platform's measurement folder.
    EXPECT_EQ(QDir(page->folder()).canonicalPath(), QDir(kH100Data).canonicalPath());
    ASSERT_TRUE(page->loadFolder(kH100Data));
    EXPECT_FALSE(page->gemmPlot()->seriesData(QStringLiteral("measured")).isEmpty());
    EXPECT_FALSE(page->gemmPlot()->seriesData(QStringLiteral("model (evalGemm)")).isEmpty());
    EXPECT_TRUE(std::isfinite(page->gemmMape())) << page->messageText().toStdString();
    ASSERT_TRUE(page->selectGemm(4096, 4096, QStringLiteral("fp8_e4m3")));
    EXPECT_TRUE(page->gemmPlot()->title().contains(QStringLiteral("fp8_e4m3")));
    EXPECT_FALSE(page->gemmPlot()->seriesData(QStringLiteral("measured")).isEmpty());
    EXPECT_TRUE(std::isfinite(page->gemmMape()));
    EXPECT_FALSE(page->selectGemm(3, 5, QStringLiteral("bf16")));
    EXPECT_FALSE(page->bandwidthPlot()->seriesData(QStringLiteral("measured hbm read")).isEmpty());
    const auto model = page->bandwidthPlot()->seriesData(QStringLiteral("model hbm"));
    ASSERT_FALSE(model.isEmpty());
    EXPECT_DOUBLE_EQ(model.front().y(), model.back().y()); // a horizontal line (GB/s)
    EXPECT_TRUE(std::isfinite(page->bandwidthMape()));
    EXPECT_FALSE(page->attentionPlot()->seriesData(QStringLiteral("measured")).isEmpty());
    EXPECT_FALSE(page->attentionPlot()->seriesData(QStringLiteral("model (evalAttention)")).isEmpty());
    EXPECT_TRUE(std::isfinite(page->attentionMape()));
    EXPECT_TRUE(page->messageText().contains(QStringLiteral("MAPE")));
    QTemporaryDir dir;
    QString err;
    ASSERT_TRUE(ExportActions::exportPlot(page->bandwidthPlot(), dir.filePath(QStringLiteral("bw.png")), &err))
        << err.toStdString();
    // A folder without measurements: false, an inline message, empty plots.
    EXPECT_FALSE(page->loadFolder(dir.path()));
    EXPECT_TRUE(page->gemmPlot()->seriesData(QStringLiteral("measured")).isEmpty());
}

TEST(GuiScreenshot, TraceAndCalibrationPages) {
    QTemporaryDir dir;
    for (const QString& pageName : {QStringLiteral("trace"), QStringLiteral("calibration")}) {
        const QString out = dir.filePath(pageName + QStringLiteral(".png"));
        QProcess p;
        p.start(QStringLiteral(ROOFLAB_GUI_EXE), {QStringLiteral("--screenshot"), out, QStringLiteral("--page"),
                                                  pageName, QStringLiteral("--size"), QStringLiteral("800x500")});
        ASSERT_TRUE(p.waitForFinished(60000));
        EXPECT_EQ(p.exitCode(), 0) << p.readAllStandardError().toStdString();
        EXPECT_EQ(QImage(out).size(), QSize(800, 500));
    }
}

int main(int argc, char** argv) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("rooflab-tests"));
    io::setBuiltinDataDir(ROOFLAB_SOURCE_DATA_DIR);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
