// GUI speed (Google Benchmark, offscreen): issue 7's "every change re-evaluates immediately, off the UI thread;
// 1,000 sweep points re-plot in under 50 ms". Llama-3.1-70B at TP 4 on H100 (the issue's walk-through), decode,
// batch 8, context 1024. The argument is the number of points asked for per sweep (batch 1..4096 and context
// 128..131072, log-spaced integers); the `points` counter is how many the two sweeps hold together.
//   rooflab_gui_bench                       (sets QT_QPA_PLATFORM=offscreen unless it is set)
//   BM_SweepEvaluate      the engine: both sweeps (predictStep per point, no per-op lists) on one thread
//   BM_SweepPlot          the plot: SweepPlot::setData (graphs filled, axes, memory-limit marks) and the paint of
//                         the shown 1200x700 widget; `draw_ms` is QCustomPlot's own time for the last replot
//   BM_ScenarioChange     the window: a scenario change (batch spin box) to the `evaluated` signal, i.e. the
//                         worker's evaluation plus every page updated and the sweep plot redrawn; counters:
//                         worker_eval_ms (evaluate() on the worker), ui_redraw_ms (the UI thread's update)
#include "io/data_paths.hpp"
#include "io/model_loader.hpp"
#include "io/platform_loader.hpp"
#include "io/stack_loader.hpp"
#include "main_window.hpp"
#include "models/evaluation.hpp"
#include "plots/charts.hpp"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>
#include <qcustomplot.h>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>

using namespace rooflab;
using namespace rooflab::gui;

namespace {

EvalInput sweepInput(int perSweep) {
    static const auto pm = std::make_shared<const PlatformModel>(
        PlatformModel::from(io::loadPlatformFile(io::findPlatformFile("h100-sxm5-80gb"))));
    static const auto arch = std::make_shared<const LlmArch>(io::loadModel("llama-3.1-70b"));
    static const StackProfile stack = io::loadStack("pytorch-eager");
    EvalInput in;
    in.platform = {"h100-sxm5-80gb", pm};
    in.model = arch;
    in.stack = stack;
    in.phase = GuiPhase::Decode;
    in.scenario.tp = 4;
    in.scenario.batch = 8;
    in.scenario.context = 1024;
    in.sweepPoints = perSweep;
    return in;
}

struct Sweeps {
    SweepSeries batch, context;
    std::size_t points() const { return batch.points.size() + context.points.size(); }
};

Sweeps evaluateSweeps(const EvalInput& in) {
    return {evaluateSweep(*in.platform.model, in, true), evaluateSweep(*in.platform.model, in, false)};
}

} // namespace

static void BM_SweepEvaluate(benchmark::State& state) {
    EvalInput in = sweepInput(static_cast<int>(state.range(0)));
    std::size_t points = 0;
    int64_t b = 8;
    for (auto _ : state) {
        in.scenario.batch = b; // a scenario change: every point is evaluated anew
        const Sweeps s = evaluateSweeps(in);
        points = s.points();
        benchmark::DoNotOptimize(s.batch.points.data());
        b = b == 8 ? 16 : 8;
    }
    state.counters["points"] = double(points);
    state.SetItemsProcessed(state.iterations() * int64_t(points));
}
BENCHMARK(BM_SweepEvaluate)->Arg(400)->Arg(1000)->Unit(benchmark::kMillisecond);

static void BM_SweepPlot(benchmark::State& state) {
    EvalInput in = sweepInput(static_cast<int>(state.range(0)));
    const Sweeps a = evaluateSweeps(in);
    in.scenario.batch = 16;
    in.scenario.context = 4096;
    const Sweeps b = evaluateSweeps(in);
    SweepPlot plot;
    plot.resize(1200, 700);
    plot.show();
    QApplication::processEvents();
    auto* qcp = plot.findChild<QCustomPlot*>();
    bool flip = false;
    for (auto _ : state) {
        const Sweeps& s = flip ? b : a; // new data every time, as after a scenario change
        plot.setData(s.batch, s.context, flip ? 16 : 8, flip ? 4096 : 1024);
        QApplication::processEvents(); // the widget's paint (the replot's buffers drawn onto it)
        flip = !flip;
    }
    state.counters["points"] = double(a.points());
    state.counters["draw_ms"] = qcp ? qcp->replotTime(true) : -1;
    state.SetItemsProcessed(state.iterations() * int64_t(a.points()));
}
BENCHMARK(BM_SweepPlot)->Arg(400)->Arg(1000)->Unit(benchmark::kMillisecond);

static void BM_ScenarioChange(benchmark::State& state) {
    MainWindow w(false);
    w.resize(1400, 900);
    w.show();
    if (!w.selectPlatform(QStringLiteral("h100-sxm5-80gb")) || !w.selectModel(QStringLiteral("llama-3.1-70b"))) {
        state.SkipWithError("H100 or Llama-3.1-70B not found");
        return;
    }
    w.setTensorParallel(4);
    w.setContext(1024);
    w.setSweepPoints(static_cast<int>(state.range(0)));
    w.showPage(QStringLiteral("sweep"));
    if (!w.waitForEvaluation(60000)) {
        state.SkipWithError("first evaluation did not finish");
        return;
    }
    QEventLoop loop;
    QObject::connect(&w, &MainWindow::evaluated, &loop, &QEventLoop::quit);
    QTimer guard;
    guard.setSingleShot(true);
    QObject::connect(&guard, &QTimer::timeout, &loop, [&loop] { loop.exit(1); });
    int batch = 8;
    double evalMs = 0, redrawMs = 0;
    for (auto _ : state) {
        batch = batch == 8 ? 9 : 8;
        guard.start(60000);
        w.setBatch(batch);
        if (loop.exec() != 0) {
            state.SkipWithError("no evaluation within 60 s");
            return;
        }
        QApplication::processEvents(); // paint what the outcome changed
        evalMs += w.lastOutput().evalMs;
        redrawMs += w.lastRedrawMs();
    }
    const auto& out = w.lastOutput();
    state.counters["points"] = double(out.batchSweep.points.size() + out.contextSweep.points.size());
    const double n = double(std::max<benchmark::IterationCount>(state.iterations(), 1));
    state.counters["worker_eval_ms"] = evalMs / n;
    state.counters["ui_redraw_ms"] = redrawMs / n;
}
BENCHMARK(BM_ScenarioChange)->Arg(400)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    io::setBuiltinDataDir(ROOFLAB_SOURCE_DATA_DIR);
    QApplication app(argc, argv);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
