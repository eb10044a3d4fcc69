// The window's parts, each alone and offscreen: the scenario panel builds the scenario its controls show and
// refuses out-of-range values inline; the evaluation controller coalesces changes into one evaluation and delivers
// results; the platform page loads, caches and validates edits; the compare and validation pages; the export
// actions with stand-in sources; the serving page. Item models run under QAbstractItemModelTester.
#include "compare_page.hpp"
#include "evaluation_controller.hpp"
#include "export_actions.hpp"
#include "io/data_paths.hpp"
#include "io/model_loader.hpp"
#include "io/platform_loader.hpp"
#include "models/table_models.hpp"
#include "platform_page.hpp"
#include "plots/charts.hpp"
#include "plots/serving_plot.hpp"
#include "report/report.hpp"
#include "report_export.hpp"
#include "scenario_panel.hpp"
#include "serving_page.hpp"
#include "spec/scenario.hpp"
#include "validation_page.hpp"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QComboBox>
#include <QFile>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <gtest/gtest.h>

using namespace rooflab;
using namespace rooflab::gui;
using Field = ScenarioPanel::Field;

namespace {

const QString kFixtures = QStringLiteral(ROOFLAB_GUI_FIXTURES);

std::shared_ptr<const PlatformModel> h100() {
    static const auto pm = std::make_shared<const PlatformModel>(
        PlatformModel::from(io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb"))));
    return pm;
}

} // namespace

// ---------------------------------------------------------------- scenario panel

TEST(ScenarioPanel, BuildsTheScenarioTheControlsShow) {
    ScenarioPanel panel;
    QSignalSpy changed(&panel, &ScenarioPanel::changed);
    ASSERT_TRUE(panel.selectModel(QStringLiteral("mixtral-8x7b")));
    ASSERT_TRUE(panel.selectStack(QStringLiteral("pytorch-eager")));
    ASSERT_TRUE(panel.setPhase(QStringLiteral("Chunked")));
    const std::pair<Field, qint64> values[] = {{Field::Batch, 6},   {Field::Prompt, 1536}, {Field::Context, 3072},
                                               {Field::Chunk, 256}, {Field::Output, 64},   {Field::Tp, 2},
                                               {Field::Pp, 2},      {Field::Ep, 4}};
    for (const auto& [field, v] : values) {
        ASSERT_TRUE(panel.setValue(field, v));
        EXPECT_EQ(panel.value(field), v);
    }
    ASSERT_TRUE(panel.setActivationType(QStringLiteral("fp16")));
    EXPECT_FALSE(panel.setActivationType(QStringLiteral("no-such-type")));
    panel.setSweepPoints(37);
    EXPECT_GT(changed.count(), 8) << "every control change is announced";

    EvalInput in;
    QString error;
    ASSERT_TRUE(panel.buildInput(in, error)) << error.toStdString();
    EXPECT_EQ(in.kind, WorkloadKind::Llm);
    ASSERT_NE(in.model, nullptr);
    EXPECT_EQ(in.phase, GuiPhase::Chunked);
    EXPECT_EQ(in.sweepPoints, 37);
    EXPECT_EQ(in.scenario.batch, 6);
    EXPECT_EQ(in.scenario.prompt, 1536);
    EXPECT_EQ(in.scenario.context, 3072);
    EXPECT_EQ(in.scenario.chunk, 256);
    EXPECT_EQ(in.scenario.outputTokens, 64);
    EXPECT_EQ(in.scenario.tp, 2);
    EXPECT_EQ(in.scenario.pp, 2);
    EXPECT_EQ(in.scenario.ep, 4);
    EXPECT_EQ(in.scenario.weights, DType::bf16);
    EXPECT_EQ(in.scenario.act, DType::fp16);
    EXPECT_EQ(ScenarioPanel::stepPhase(in.phase), Phase::Chunked);
    EXPECT_EQ(ScenarioPanel::stepPhase(GuiPhase::Request), Phase::Prefill);
    // The same values reach the report.
    Platform platform = io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb"));
    report::ReportInput r;
    ASSERT_TRUE(panel.fillReportInput(r, platform, QStringLiteral("/data/e2e.csv"), &error)) << error.toStdString();
    EXPECT_EQ(r.model, "mixtral-8x7b");
    EXPECT_EQ(r.phase, "chunked");
    EXPECT_EQ(r.batch, 6);
    EXPECT_EQ(r.chunk, 256);
    EXPECT_EQ(r.ep, 4);
    EXPECT_EQ(r.act, "fp16");
    EXPECT_EQ(r.measurements, "/data/e2e.csv");
    EXPECT_FALSE(panel.fillReportInput(r, Platform{}, QString(), &error));
    EXPECT_EQ(error, QStringLiteral("No platform loaded"));
}

TEST(ScenarioPanel, RefusesAnOutOfRangeValueWithAMessage) {
    ScenarioPanel panel;
    QSignalSpy errors(&panel, &ScenarioPanel::errorOccurred);
    ASSERT_TRUE(panel.setValue(Field::Tp, 8));
    EXPECT_FALSE(panel.setValue(Field::Tp, 5000));
    EXPECT_EQ(panel.value(Field::Tp), 8) << "the control keeps its value instead of clamping";
    ASSERT_EQ(errors.count(), 1);
    EXPECT_TRUE(panel.errorText().startsWith(QStringLiteral("tp: 5000 is outside 1..1024")))
        << panel.errorText().toStdString();
    EXPECT_FALSE(panel.setValue(Field::Batch, 0));
    EXPECT_TRUE(panel.errorText().contains(QStringLiteral("batch"))) << panel.errorText().toStdString();
    EXPECT_FALSE(panel.setValue(Field::Context, -1));
    EXPECT_TRUE(panel.setValue(Field::Context, 0)) << "an empty cache is a valid context";
    EXPECT_FALSE(panel.setPhase(QStringLiteral("warmup")));
    EXPECT_TRUE(panel.errorText().contains(QStringLiteral("Phase"))) << panel.errorText().toStdString();
    EXPECT_FALSE(panel.selectModel(QStringLiteral("/nonexistent/config.json")));
    EXPECT_TRUE(panel.errorText().startsWith(QStringLiteral("Model:"))) << panel.errorText().toStdString();
    EXPECT_FALSE(panel.selectStack(QStringLiteral("no-such-stack")));
    EXPECT_EQ(errors.count(), 6);
    panel.setErrorText(QString());
    EXPECT_TRUE(panel.errorText().isEmpty());
}

TEST(ScenarioPanel, GemmWorkloadAndReport) {
    ScenarioPanel panel;
    panel.setGemmWorkload(4096, 2048, 1024);
    EXPECT_EQ(panel.kind(), WorkloadKind::Gemm);
    EvalInput in;
    QString error;
    ASSERT_TRUE(panel.buildInput(in, error)) << error.toStdString();
    EXPECT_EQ(in.kind, WorkloadKind::Gemm);
    EXPECT_EQ(in.gemm.m, 4096);
    EXPECT_EQ(in.gemm.n, 2048);
    EXPECT_EQ(in.gemm.k, 1024);
    report::ReportInput r;
    EXPECT_FALSE(panel.fillReportInput(r, io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb")), {}, &error));
    EXPECT_TRUE(error.contains(QStringLiteral("LLM"))) << error.toStdString();
    ASSERT_TRUE(panel.selectModel(QStringLiteral("llama-3.1-8b")));
    EXPECT_EQ(panel.kind(), WorkloadKind::Llm) << "choosing a model switches back to an LLM workload";
}

TEST(ScenarioPanel, SessionRoundTrip) {
    QTemporaryDir dir;
    QSettings s(dir.filePath(QStringLiteral("session.ini")), QSettings::IniFormat);
    {
        ScenarioPanel panel;
        ASSERT_TRUE(panel.selectModel(QStringLiteral("llama-3.1-70b")));
        ASSERT_TRUE(panel.setPhase(QStringLiteral("prefill")));
        ASSERT_TRUE(panel.setValue(Field::Batch, 12));
        ASSERT_TRUE(panel.setValue(Field::Tp, 4));
        ASSERT_TRUE(panel.setActivationType(QStringLiteral("fp8_e4m3")));
        panel.saveState(s);
    }
    ScenarioPanel restored;
    restored.restoreState(s);
    EXPECT_EQ(restored.modelKey(), QStringLiteral("llama-3.1-70b"));
    EXPECT_EQ(restored.phase(), GuiPhase::Prefill);
    EXPECT_EQ(restored.value(Field::Batch), 12);
    EXPECT_EQ(restored.value(Field::Tp), 4);
    EvalInput in;
    QString error;
    ASSERT_TRUE(restored.buildInput(in, error)) << error.toStdString();
    EXPECT_EQ(in.scenario.act, DType::fp8_e4m3);
    EXPECT_TRUE(restored.errorText().isEmpty()) << restored.errorText().toStdString();
}

TEST(ScenarioPanel, ALoadedConfigJsonIsNamedByItsModelAndFileAndMoEShowsExpertWidth) {
    // A Hugging Face download is called config.json: the panel names it by _name_or_path and the file.
    QTemporaryDir dir;
    const QString cfg = dir.filePath(QStringLiteral("config.json"));
    ASSERT_TRUE(
        QFile::copy(QStringLiteral(ROOFLAB_SOURCE_DATA_DIR "/tests/fixtures/hf/qwen3-30b-a3b.config.json"), cfg));
    ScenarioPanel panel;
    ASSERT_TRUE(panel.selectModel(cfg)) << panel.errorText().toStdString();
    EXPECT_NE(panel.modelLabel(), QStringLiteral("config"));
    EXPECT_TRUE(panel.modelLabel().contains(QStringLiteral("(config.json)"))) << panel.modelLabel().toStdString();
    EXPECT_TRUE(panel.modelLabel().startsWith(QStringLiteral("Qwen3-30B-A3B")) ||
                panel.modelLabel().startsWith(QStringLiteral("qwen3_moe")))
        << panel.modelLabel().toStdString();
    // Every layer is MoE: the expert width (768), not the unused dense intermediate_size (6144).
    const QString d = panel.modelDescription();
    EXPECT_TRUE(d.contains(QStringLiteral("expert width 768"))) << d.toStdString();
    EXPECT_FALSE(d.contains(QStringLiteral("6144"))) << d.toStdString();
}

// ---------------------------------------------------------------- evaluation controller

namespace {

/// An LLM input the controller evaluates; `sweepPoints` sets how long one evaluation takes.
struct Provider {
    int calls = 0;
    bool refuse = false;
    int sweepPoints = 400;
    bool operator()(EvalInput& in, QString& error) {
        ++calls;
        if (refuse) {
            error = QStringLiteral("refused");
            return false;
        }
        static const auto arch = std::make_shared<const LlmArch>(io::loadModel("llama-3.1-8b"));
        in.platform = {"h100", h100()};
        in.model = arch;
        in.stack = StackProfile::defaultProfile();
        in.scenario = ScenarioBuilder().batch(8).context(2048).build();
        in.sweepPoints = sweepPoints;
        return true;
    }
};

} // namespace

TEST(EvaluationController, CoalescesRapidChangesIntoOneEvaluation) {
    Provider provider;
    EvaluationController c([&](EvalInput& in, QString& e) { return provider(in, e); });
    std::vector<EvalOutcome> outcomes;
    QObject::connect(&c, &EvaluationController::finished, [&](const EvalOutcome& o) { outcomes.push_back(o); });
    for (int i = 0; i < 10; ++i)
        c.schedule();
    EXPECT_TRUE(c.isBusy());
    EXPECT_TRUE(outcomes.empty()) << "nothing is evaluated on the caller's stack";
    ASSERT_TRUE(c.waitForIdle(20000));
    EXPECT_EQ(provider.calls, 1);
    EXPECT_EQ(c.startedCount(), 1);
    EXPECT_EQ(c.evaluationCount(), 1);
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_TRUE(outcomes[0].error.isEmpty()) << outcomes[0].error.toStdString();
    EXPECT_TRUE(outcomes[0].output.prediction.ok);
    EXPECT_FALSE(outcomes[0].output.batchSweep.points.empty());
}

TEST(EvaluationController, ChangesDuringAnEvaluationMakeExactlyOneMore) {
    Provider provider;
    provider.sweepPoints = 2000; // long enough that the changes below land while it runs
    EvaluationController c([&](EvalInput& in, QString& e) { return provider(in, e); });
    int delivered = 0;
    QObject::connect(&c, &EvaluationController::finished, [&](const EvalOutcome&) { ++delivered; });
    bool changedWhileRunning = false;
    QObject::connect(&c, &EvaluationController::started, [&] {
        if (changedWhileRunning)
            return;
        changedWhileRunning = true;
        EXPECT_TRUE(c.isBusy());
        for (int i = 0; i < 5; ++i)
            c.schedule(); // while the worker runs: one pending re-evaluation
    });
    c.schedule();
    ASSERT_TRUE(c.waitForIdle(60000));
    EXPECT_TRUE(changedWhileRunning);
    EXPECT_EQ(c.startedCount(), 2);
    EXPECT_EQ(delivered, 2);
    EXPECT_FALSE(c.isBusy());
}

TEST(EvaluationController, RefusedInputIsReportedAndNothingRuns) {
    Provider provider;
    provider.refuse = true;
    EvaluationController c([&](EvalInput& in, QString& e) { return provider(in, e); });
    QSignalSpy rejected(&c, &EvaluationController::inputRejected);
    c.schedule();
    ASSERT_TRUE(c.waitForIdle(5000));
    ASSERT_EQ(rejected.count(), 1);
    EXPECT_EQ(rejected.at(0).at(0).toString(), QStringLiteral("refused"));
    EXPECT_EQ(c.startedCount(), 0);
    EXPECT_EQ(c.evaluationCount(), 0);
}

TEST(EvaluationController, EvaluateNowDeliversOnTheCallingThread) {
    Provider provider;
    EvaluationController c([&](EvalInput& in, QString& e) { return provider(in, e); });
    int delivered = 0;
    QObject::connect(&c, &EvaluationController::finished, [&](const EvalOutcome& o) {
        ++delivered;
        EXPECT_TRUE(o.output.prediction.ok);
    });
    c.schedule();
    c.evaluateNow(); // supersedes the scheduled one
    EXPECT_EQ(delivered, 1);
    EXPECT_FALSE(c.isBusy());
    ASSERT_TRUE(c.waitForIdle(5000));
    EXPECT_EQ(delivered, 1);
}

TEST(EvaluationController, DestroyedWhileEvaluatingWaitsForTheWorker) {
    Provider provider;
    provider.sweepPoints = 2000;
    int delivered = 0;
    {
        EvaluationController c([&](EvalInput& in, QString& e) { return provider(in, e); });
        QObject::connect(&c, &EvaluationController::finished, [&](const EvalOutcome&) { ++delivered; });
        c.schedule();
        QSignalSpy started(&c, &EvaluationController::started);
        ASSERT_TRUE(started.wait(5000));
    }
    QApplication::processEvents();
    EXPECT_EQ(delivered, 0) << "no result arrives after the controller is gone";
}

// ---------------------------------------------------------------- platform page

TEST(PlatformPage, LoadsValidatesEditsAndCachesOtherPlatforms) {
    PlatformPage page;
    QAbstractItemModelTester tester(page.valuesModel(), QAbstractItemModelTester::FailureReportingMode::Fatal);
    QSignalSpy loaded(&page, &PlatformPage::platformLoaded);
    QSignalSpy changed(&page, &PlatformPage::platformChanged);
    QSignalSpy errors(&page, &PlatformPage::errorOccurred);
    EXPECT_EQ(page.platformModel(), nullptr);
    ASSERT_TRUE(page.selectPlatform(QStringLiteral("h100-sxm5-80gb")));
    ASSERT_EQ(loaded.count(), 1);
    EXPECT_EQ(loaded.at(0).at(0).toString(), QStringLiteral("h100-sxm5-80gb"));
    ASSERT_EQ(changed.count(), 1);
    EXPECT_FALSE(changed.at(0).at(0).toBool());
    EXPECT_NE(page.platformModel(), nullptr);
    EXPECT_EQ(page.platformKey(), QStringLiteral("h100-sxm5-80gb"));
    EXPECT_GT(page.valuesModel()->rowCount(), 20);
    EXPECT_TRUE(page.editorStatus().contains(QStringLiteral("✓")));

    EXPECT_FALSE(page.selectPlatform(QStringLiteral("no-such-platform")));
    ASSERT_EQ(errors.count(), 1);
    EXPECT_TRUE(errors.at(0).at(0).toString().startsWith(QStringLiteral("Platform:")));
    EXPECT_EQ(page.platformKey(), QStringLiteral("h100-sxm5-80gb")) << "a failed load keeps the current platform";

    QString error;
    const auto l40s = page.modelFor(QStringLiteral("l40s"), error);
    ASSERT_NE(l40s, nullptr) << error.toStdString();
    EXPECT_EQ(page.modelFor(QStringLiteral("l40s"), error), l40s) << "loaded once, then cached";
    EXPECT_EQ(page.modelFor(QStringLiteral("no-such-platform"), error), nullptr);
    EXPECT_TRUE(error.contains(QStringLiteral("no-such-platform")));

    // A valid edit becomes the current platform (edited); a broken one names its line and changes nothing.
    QString text = page.editor()->toPlainText();
    text.replace(QStringLiteral("name: h100-sxm5-80gb"), QStringLiteral("name: h100-edited"));
    page.editor()->setPlainText(text);
    ASSERT_TRUE(changed.wait(5000));
    EXPECT_TRUE(changed.last().at(0).toBool());
    EXPECT_EQ(page.platform().name, "h100-edited");
    page.editor()->setPlainText(text + QStringLiteral("\nbogus_key: 1\n"));
    EXPECT_FALSE(changed.wait(800));
    EXPECT_TRUE(page.editorStatus().contains(QStringLiteral("line"))) << page.editorStatus().toStdString();
    EXPECT_EQ(page.platform().name, "h100-edited");
}

// ---------------------------------------------------------------- compare and validation pages

TEST(ComparePage, ChoosesUpToThreePlatforms) {
    ComparePage page;
    QSignalSpy changed(&page, &ComparePage::changed);
    QSignalSpy errors(&page, &ComparePage::errorOccurred);
    EXPECT_TRUE(page.platforms().isEmpty());
    ASSERT_TRUE(page.setPlatforms({QStringLiteral("h200-sxm-141gb"), QStringLiteral("l40s")}));
    EXPECT_EQ(page.platforms(), (QStringList{QStringLiteral("h200-sxm-141gb"), QStringLiteral("l40s")}));
    EXPECT_EQ(changed.count(), 2);
    EXPECT_FALSE(page.setPlatforms({QStringLiteral("no-such-platform")}));
    EXPECT_EQ(errors.count(), 1);
    ASSERT_TRUE(page.setPlatforms({}));
    EXPECT_TRUE(page.platforms().isEmpty());
}

TEST(ValidationPage, PredictsADatasetOnThePlatform) {
    ValidationPage page;
    QAbstractItemModelTester tester(page.model(), QAbstractItemModelTester::FailureReportingMode::Fatal);
    QSignalSpy errors(&page, &ValidationPage::errorOccurred);
    ASSERT_TRUE(page.loadDataset(kFixtures + QStringLiteral("/e2e_sample.csv")));
    EXPECT_EQ(page.model()->rowCount(), 0) << "no platform yet: nothing predicted";
    page.setPlatform("h100-sxm5-80gb", h100());
    EXPECT_EQ(page.model()->rowCount(), 4);
    EXPECT_EQ(page.plot()->seriesData(QStringLiteral("rows")).size(), 3);
    EXPECT_FALSE(page.loadDataset(QStringLiteral("/nonexistent.csv")));
    ASSERT_EQ(errors.count(), 1);
    EXPECT_TRUE(errors.at(0).at(0).toString().startsWith(QStringLiteral("Dataset:")));
    EXPECT_EQ(page.datasetPath(), kFixtures + QStringLiteral("/e2e_sample.csv")) << "a failed load keeps the last";
}

// ---------------------------------------------------------------- export actions

// The serving page simulates on its worker, plots one point per concurrency, and TTFT grows with the load; the
// Pareto plot has the deployment search's front and the measured aic-silicon Llama-3.1-8B runs.
TEST(ServingPage, SimulatesTheConcurrencyListOffTheUiThread) {
    ServingPage page;
    page.show();
    const auto arch = std::make_shared<const LlmArch>(io::loadModel("llama-3.1-8b"));
    page.setHardware(io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb")));
    page.setContext(h100(), "h100-sxm5-80gb", arch, Scenario{});
    page.setLengths(1024, 64);
    page.setConcurrencyList(QStringLiteral("1,4,16"));
    QSignalSpy done(&page, &ServingPage::finished);
    page.run();
    EXPECT_TRUE(page.isBusy());
    ASSERT_TRUE(done.wait(120000)) << page.statusText().toStdString();
    EXPECT_FALSE(page.statusText().contains(QStringLiteral("⚠"))) << page.statusText().toStdString();
    const QVector<QPointF> ttft = page.curvePlot()->seriesData(QStringLiteral("TTFT"));
    ASSERT_EQ(ttft.size(), 3);
    EXPECT_EQ(page.curvePlot()->seriesData(QStringLiteral("TPOT")).size(), 3);
    EXPECT_EQ(page.curvePlot()->seriesData(QStringLiteral("tokens/s per GPU")).size(), 3);
    EXPECT_LT(ttft[0].y(), ttft[1].y());
    EXPECT_LT(ttft[1].y(), ttft[2].y());
    EXPECT_EQ(page.paretoPlot()->seriesData(QStringLiteral("scenario")).size(), 3);
    EXPECT_GE(page.paretoPlot()->seriesData(QStringLiteral("pareto front")).size(), 1);
    // No aic-silicon run at OSL 64: every H100 run of Llama-3.1-8B (its -Instruct checkpoint) is overlaid.
    EXPECT_EQ(page.paretoPlot()->seriesData(QStringLiteral("measured (aic-silicon)")).size(), 177);
    EXPECT_EQ(page.outcome().measured.size(), 177u);
    EXPECT_GT(page.timelinePlot()->seriesData(QStringLiteral("decode batch")).size(), 0);
    EXPECT_GT(page.timelinePlot()->seriesData(QStringLiteral("KV cache %")).size(), 0);
    // The serving simulator's confidence on this platform x stack, next to the results.
    ASSERT_TRUE(page.outcome().confidence.has_value());
    EXPECT_EQ(page.outcome().confidence->level, ConfidenceLevel::Validated);
    EXPECT_TRUE(page.statusText().contains(QStringLiteral("Confidence: validated — TTFT ")))
        << page.statusText().toStdString();
    // A concurrency list that does not parse is refused in the status text, nothing runs.
    page.setConcurrencyList(QStringLiteral("1,x"));
    page.run();
    EXPECT_FALSE(page.isBusy());
    EXPECT_TRUE(page.statusText().contains(QStringLiteral("⚠")));
}

// Issue 19, default stack: the page runs vllm (the most used serving stack) until the scenario's stack is a serving
// stack, then follows it; a stack picked on the page by hand stays.
TEST(ServingPage, FollowsTheServingStackPickedInTheScenario) {
    ServingPage page;
    EXPECT_EQ(page.stackName(), QStringLiteral("vllm"));
    page.followStack(QStringLiteral("pytorch-eager"));
    EXPECT_EQ(page.stackName(), QStringLiteral("vllm")) << "a stack without a serving scheduler is not followed";
    page.followStack(QStringLiteral("sglang"));
    EXPECT_EQ(page.stackName(), QStringLiteral("sglang"));
    ServingStudyInput in = page.studyInput(nullptr);
    EXPECT_EQ(in.stack, "sglang");
    auto* combo = page.findChild<QComboBox*>(QStringLiteral("servingStack"));
    ASSERT_NE(combo, nullptr);
    const int trt = combo->findText(QStringLiteral("tensorrt-llm"));
    ASSERT_GE(trt, 0);
    combo->setCurrentIndex(trt);
    emit combo->activated(trt); // what a click on the item does
    page.followStack(QStringLiteral("vllm"));
    EXPECT_EQ(page.stackName(), QStringLiteral("tensorrt-llm")) << "a hand-picked stack stays";
}

// The measured overlay at the page's lengths: Llama-3.1-8B on H100 at ISL 1024 / OSL 128 has 20 TensorRT-LLM runs
// (TP 1..8 x concurrency 8..128); each point names its run, backend, mode and concurrency in its tooltip. The
// timeline has the highest concurrency's iterations: decode batch up to the clients, KV use in 0..100 %.
TEST(ServingPage, OverlaysTheMeasuredRunsOfTheModelOnTheGpu) {
    ServingPage page;
    const auto arch = std::make_shared<const LlmArch>(io::loadModel("llama-3.1-8b"));
    page.setContext(h100(), "h100-sxm5-80gb", arch, Scenario{});
    page.setLengths(1024, 128);
    page.setConcurrencyList(QStringLiteral("2,8"));
    page.setSearchGpus(0);
    page.run();
    page.waitForFinished();
    EXPECT_FALSE(page.statusText().contains(QStringLiteral("⚠"))) << page.statusText().toStdString();
    const QVector<QPointF> measured = page.paretoPlot()->seriesData(QStringLiteral("measured (aic-silicon)"));
    ASSERT_EQ(measured.size(), 20);
    EXPECT_TRUE(page.statusText().contains(QStringLiteral("20 measured aic-silicon points")));
    ASSERT_EQ(page.outcome().measured.size(), 20u);
    const serving::MeasuredServingPoint& m = page.outcome().measured.front();
    const QString tip = page.paretoPlot()->tooltipNear(m.outputTokensPerSPerUser, m.outputTokensPerSPerGpu);
    EXPECT_TRUE(tip.contains(QStringLiteral("trtllm agg"))) << tip.toStdString();
    EXPECT_TRUE(tip.contains(QStringLiteral("concurrency %1").arg(m.concurrency))) << tip.toStdString();
    EXPECT_TRUE(page.paretoPlot()->seriesNames().contains(QStringLiteral("measured (aic-silicon)")));
    // A platform named for H200: the H200 runs.
    page.setContext(h100(), "hgx-h200-8gpu", arch, Scenario{});
    page.run();
    page.waitForFinished();
    EXPECT_EQ(page.outcome().measured.size(), 67u) << "H200: no run at 1024/128, every length of the model";

    const QVector<QPointF> batch = page.timelinePlot()->seriesData(QStringLiteral("decode batch"));
    const QVector<QPointF> kv = page.timelinePlot()->seriesData(QStringLiteral("KV cache %"));
    ASSERT_GT(batch.size(), 0);
    ASSERT_EQ(kv.size(), batch.size());
    double maxBatch = 0, maxKv = 0;
    for (const QPointF& p : batch)
        maxBatch = std::max(maxBatch, p.y());
    for (const QPointF& p : kv) {
        EXPECT_GE(p.y(), 0);
        EXPECT_LE(p.y(), 100);
        maxKv = std::max(maxKv, p.y());
    }
    EXPECT_EQ(maxBatch, 8) << "the 8 clients decode together";
    EXPECT_GT(maxKv, 0);
    EXPECT_TRUE(page.timelinePlot()->title().contains(QStringLiteral("concurrency 8")));
}

// Disaggregated mode and the SLO reach the deployment: the scenario's curve runs prefill and decode pools (1 + 2
// workers), the search enumerates disaggregated layouts only, and its best meets the TPOT target.
TEST(ServingPage, DisaggregatedModeAndSloReachTheDeployment) {
    ServingPage page;
    const auto arch = std::make_shared<const LlmArch>(io::loadModel("llama-3.1-8b"));
    page.setContext(h100(), "h100-sxm5-80gb", arch, Scenario{});
    page.setLengths(512, 32);
    page.setConcurrencyList(QStringLiteral("2"));
    page.setMode(serving::DeploymentMode::Disaggregated, 1, 2);
    page.setSlo(0, 0.05);
    page.setSearchGpus(2);
    QString error;
    const ServingStudyInput in = page.studyInput(&error);
    EXPECT_TRUE(error.isEmpty()) << error.toStdString();
    EXPECT_EQ(in.config.deployment.mode, serving::DeploymentMode::Disaggregated);
    EXPECT_EQ(in.config.deployment.prefill.workers, 1);
    EXPECT_EQ(in.config.deployment.decode.workers, 2);
    EXPECT_TRUE(in.config.searchDisaggregated);
    EXPECT_FALSE(in.config.searchAggregated);
    EXPECT_DOUBLE_EQ(in.config.slo.tpotMaxS, 0.05);
    EXPECT_EQ(in.config.slo.ttftMaxS, 0);
    page.run();
    page.waitForFinished();
    const ServingStudyOutcome& o = page.outcome();
    ASSERT_EQ(o.points.size(), 1u);
    ASSERT_TRUE(o.points[0].result.ok) << o.points[0].result.error;
    EXPECT_EQ(o.points[0].result.gpus, 3);
    ASSERT_FALSE(o.search.candidates.empty());
    for (const auto& c : o.search.candidates)
        EXPECT_EQ(c.deployment.mode, serving::DeploymentMode::Disaggregated);
    ASSERT_TRUE(o.search.best);
    EXPECT_LE(o.search.candidates[*o.search.best].tpotS, 0.05);
    EXPECT_EQ(page.paretoPlot()->seriesData(QStringLiteral("best under SLO")).size(), 1);
    EXPECT_TRUE(page.statusText().contains(QStringLiteral("best under the SLO: disagg")))
        << page.statusText().toStdString();
}

TEST(ExportActions, ExportsThroughItsSourcesAndReportsErrors) {
    Platform platform = io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb"));
    OperatorTableModel table;
    bool reportAsked = false;
    ExportActions::Sources sources;
    sources.currentPlot = [] { return static_cast<PlotView*>(nullptr); };
    sources.currentTable = [&] { return &table; };
    sources.currentPageName = [] { return QStringLiteral("operators"); };
    sources.platform = [&]() -> const Platform& { return platform; };
    sources.reportInput = [&](report::ReportInput&, QString* error) {
        reportAsked = true;
        *error = QStringLiteral("Reports cover LLM workloads");
        return false;
    };
    ExportActions actions(nullptr, std::move(sources));
    QSignalSpy errors(&actions, &ExportActions::errorOccurred);
    actions.chooseExportPlot(); // no plot on this page: a message, no dialog
    ASSERT_EQ(errors.count(), 1);
    EXPECT_TRUE(errors.at(0).at(0).toString().contains(QStringLiteral("no plot")));

    QTemporaryDir dir;
    QString error;
    ASSERT_TRUE(actions.savePlatformAs(dir.filePath(QStringLiteral("p.yaml")), &error)) << error.toStdString();
    EXPECT_EQ(io::loadPlatformFile(dir.filePath(QStringLiteral("p.yaml")).toStdString()).name, platform.name);
    EXPECT_FALSE(actions.savePlatformAs(QStringLiteral("/nonexistent-dir/p.yaml"), &error));
    ASSERT_TRUE(ExportActions::exportTable(&table, dir.filePath(QStringLiteral("t.csv")), &error));
    EXPECT_FALSE(ExportActions::exportTable(nullptr, dir.filePath(QStringLiteral("t.csv")), &error));
    EXPECT_FALSE(ExportActions::exportPlot(nullptr, dir.filePath(QStringLiteral("p.png")), &error));
    EXPECT_TRUE(error.contains(QStringLiteral("no plot")));

    EXPECT_FALSE(actions.startReportExport(dir.filePath(QStringLiteral("report")), &error));
    EXPECT_TRUE(reportAsked);
    EXPECT_TRUE(error.contains(QStringLiteral("LLM")));
    EXPECT_FALSE(actions.reportExporter()->isRunning());
}

// ---------------------------------------------------------------- status line

TEST(OutcomeStatus, NamesBoundRequestAndMemory) {
    EvalOutput out;
    out.prediction.ok = false;
    out.prediction.error = "tp 3 does not divide 64 heads";
    EXPECT_TRUE(outcomeStatus(out, true).startsWith(QStringLiteral("⚠ infeasible: tp 3")));
    out.prediction.ok = true;
    out.prediction.bound = Bound::Dram;
    out.prediction.memory.fits = true;
    EXPECT_TRUE(outcomeStatus(out, true).contains(QStringLiteral("bound"))) << outcomeStatus(out, true).toStdString();
    out.prediction.memory.fits = false;
    EXPECT_TRUE(outcomeStatus(out, true).contains(QStringLiteral("does NOT fit")));
    EXPECT_FALSE(outcomeStatus(out, false).contains(QStringLiteral("does NOT fit"))) << "GEMMs have no KV cache";
}

int main(int argc, char** argv) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("rooflab-tests"));
    io::setBuiltinDataDir(ROOFLAB_SOURCE_DATA_DIR);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
