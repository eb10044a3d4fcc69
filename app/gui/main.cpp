// rooflab-gui: the workbench. `--screenshot FILE.png` renders the window offscreen at a fixed size and exits
// (used by CI and for the README's screenshots). `--report DIR` writes the report folder offscreen and exits: the
// same report library as `rooflab report`, with the QCustomPlot renderer (PNG plots in the page, and report.pdf).
#include "analysis_pages.hpp"
#include "io/data_paths.hpp"
#include "main_window.hpp"
#include "qt_plot_renderer.hpp"
#include "report/report.hpp"
#include "scenario_files.hpp"
#include "serving_page.hpp"
#include "units/errors.hpp"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QPixmap>
#include <QRegularExpression>
#include <cstdio>
#include <cstring>
#include <vector>

namespace {

int fail(int code, const QString& message) {
    std::fprintf(stderr, "rooflab-gui: %s\n", message.toLocal8Bit().constData());
    return code;
}

bool positiveInt(const QCommandLineParser& p, const QString& name, int& out) {
    if (!p.isSet(name))
        return true;
    bool ok = false;
    out = p.value(name).toInt(&ok);
    return ok && out >= 0;
}

/// `--report DIR`: the report folder with PNG plots and report.pdf, no window.
int runReportMode(const QCommandLineParser& parser) {
    rooflab::report::ReportInput in;
    const QString outDir = parser.value(QStringLiteral("report"));
    auto text = [&](const char* name, std::string& out) {
        if (parser.isSet(QString::fromLatin1(name)))
            out = parser.value(QString::fromLatin1(name)).toStdString();
    };
    text("platform", in.platform);
    text("model", in.model);
    text("stack", in.stack);
    text("phase", in.phase);
    text("measurements", in.measurements);
    text("weights", in.weights);
    text("kv", in.kv);
    text("act", in.act);
    const std::pair<const char*, int64_t*> longs[] = {{"batch", &in.batch},
                                                      {"prompt", &in.prompt},
                                                      {"context", &in.context},
                                                      {"output", &in.output},
                                                      {"chunk", &in.chunk}};
    for (const auto& [name, dest] : longs) {
        const QString n = QString::fromLatin1(name);
        if (!parser.isSet(n))
            continue;
        bool ok = false;
        const qlonglong v = parser.value(n).toLongLong(&ok);
        const bool zeroOk = std::strcmp(name, "context") == 0 || std::strcmp(name, "chunk") == 0;
        if (!ok || v < (zeroOk ? 0 : 1) || v > (qlonglong(1) << 32))
            return fail(2, QStringLiteral("--%1: '%2' is not a whole number in range").arg(n, parser.value(n)));
        *dest = v;
    }
    const std::pair<const char*, int*> ints[] = {{"tp", &in.tp}, {"pp", &in.pp}, {"ep", &in.ep}, {"dp", &in.dp}};
    for (const auto& [name, dest] : ints) {
        const QString n = QString::fromLatin1(name);
        int v = 1;
        if (!positiveInt(parser, n, v) || v < 1)
            return fail(2, QStringLiteral("--%1: '%2' is not a positive whole number").arg(n, parser.value(n)));
        *dest = v;
    }
    // The Serving section: --serving or any of its options, spelled as `rooflab report` spells them.
    const char* const servingOptions[] = {"serving",     "serving-stack", "serving-mode", "concurrency",
                                          "search-gpus", "ttft-max",      "tpot-max",     "serving-dataset"};
    bool serving = false;
    for (const char* name : servingOptions)
        serving = serving || parser.isSet(QString::fromLatin1(name));
    if (serving) {
        rooflab::report::ServingReportInput sv;
        text("serving-stack", sv.stack);
        text("serving-mode", sv.mode);
        std::string dataset = "auto";
        text("serving-dataset", dataset);
        sv.dataset = dataset == "auto"   ? rooflab::report::shippedServingDataset()
                     : dataset == "none" ? std::string()
                                         : dataset;
        if (parser.isSet(QStringLiteral("concurrency"))) {
            sv.concurrency.clear();
            for (const QString& part : parser.value(QStringLiteral("concurrency")).split(QLatin1Char(','))) {
                bool ok = false;
                const int c = part.trimmed().toInt(&ok);
                if (!ok || c < 1 || c > 4096)
                    return fail(2, QStringLiteral("--concurrency: '%1' is not a whole number in 1..4096").arg(part));
                sv.concurrency.push_back(c);
            }
        }
        if (!positiveInt(parser, QStringLiteral("search-gpus"), sv.searchGpus))
            return fail(2, QStringLiteral("--search-gpus: not a whole number"));
        const std::pair<const char*, double*> seconds[] = {{"ttft-max", &sv.ttftMaxS}, {"tpot-max", &sv.tpotMaxS}};
        for (const auto& [name, dest] : seconds) {
            const QString n = QString::fromLatin1(name);
            if (!parser.isSet(n))
                continue;
            bool ok = false;
            *dest = parser.value(n).toDouble(&ok);
            if (!ok || *dest < 0)
                return fail(2, QStringLiteral("--%1: '%2' is not seconds").arg(n, parser.value(n)));
        }
        in.serving = sv;
    }
    try {
        const rooflab::report::ReportData data = rooflab::report::computeReport(in);
        rooflab::gui::QtPlotRenderer renderer;
        rooflab::report::RunOptions run;
        run.renderer = &renderer;
        const rooflab::report::ReportResult r = rooflab::report::runReport(data, outDir.toStdString(), run);
        for (const std::string& f : r.files)
            std::printf("%s\n", QDir(outDir).filePath(QString::fromStdString(f)).toLocal8Bit().constData());
    } catch (const rooflab::InputError& e) {
        return fail(2, QString::fromUtf8(e.what()));
    } catch (const std::exception& e) {
        return fail(1, QString::fromUtf8(e.what()));
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    // Screenshots render offscreen unless the caller chose a platform plugin.
    for (int i = 1; i < argc; ++i)
        if ((std::strcmp(argv[i], "--screenshot") == 0 || std::strcmp(argv[i], "--report") == 0) &&
            qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
            qputenv("QT_QPA_PLATFORM", "offscreen");
    // --help and --version only print: without a display they must not abort in the xcb plugin.
    const bool noDisplay = qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
    for (int i = 1; i < argc; ++i)
        if ((std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0 ||
             std::strcmp(argv[i], "--help-all") == 0 || std::strcmp(argv[i], "--version") == 0 ||
             std::strcmp(argv[i], "-v") == 0) &&
            noDisplay && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
            qputenv("QT_QPA_PLATFORM", "offscreen");
    // Qt itself takes `--platform` (the QPA plugin); ours names the hardware platform. Keep the original arguments
    // for our parser and hide that option from QApplication (pass -platform with one dash to pick a QPA plugin).
    QStringList args;
    std::vector<char*> qtArgv;
    static char renamed[] = "--rooflab-platform";
    for (int i = 0; i < argc; ++i) {
        args << QString::fromLocal8Bit(argv[i]);
        const bool ours = std::strcmp(argv[i], "--platform") == 0 || std::strncmp(argv[i], "--platform=", 11) == 0;
        qtArgv.push_back(ours ? renamed : argv[i]);
    }
    int qtArgc = argc;
    qtArgv.push_back(nullptr);
    QApplication app(qtArgc, qtArgv.data());
    QApplication::setOrganizationName(QStringLiteral("rooflab"));
    QApplication::setApplicationName(QStringLiteral("rooflab-gui"));
    QApplication::setApplicationVersion(QStringLiteral(ROOFLAB_VERSION));
    rooflab::io::setBuiltinDataDir(ROOFLAB_SOURCE_DATA_DIR);

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("rooflab workbench: roofline and operator-graph predictions"));
    parser.addHelpOption();
    parser.addVersionOption();
    const QList<QCommandLineOption> options = {
        {QStringLiteral("screenshot"), QStringLiteral("Render the window offscreen to FILE (PNG) and exit."),
         QStringLiteral("FILE")},
        {QStringLiteral("page"),
         QStringLiteral("Page to show: roofline, breakdown, sweep, compare, validation, "
                        "operators, platform, search, trace, calibration, serving (runs the study first)."),
         QStringLiteral("NAME")},
        {QStringLiteral("scenario"),
         QStringLiteral("Scenario file to open (YAML/JSON, as File > Save scenario writes it); options after it "
                        "override it."),
         QStringLiteral("FILE")},
        {QStringLiteral("platform"), QStringLiteral("Platform name or file."), QStringLiteral("P")},
        {QStringLiteral("model"), QStringLiteral("Model preset or config.json path."), QStringLiteral("M")},
        {QStringLiteral("stack"), QStringLiteral("Stack profile."), QStringLiteral("S")},
        {QStringLiteral("phase"), QStringLiteral("prefill, decode, chunked or request."), QStringLiteral("X")},
        {QStringLiteral("batch"), QStringLiteral("Batch size."), QStringLiteral("N")},
        {QStringLiteral("prompt"), QStringLiteral("Prompt tokens."), QStringLiteral("N")},
        {QStringLiteral("context"), QStringLiteral("Context tokens."), QStringLiteral("N")},
        {QStringLiteral("tp"), QStringLiteral("Tensor-parallel degree."), QStringLiteral("N")},
        {QStringLiteral("compare"), QStringLiteral("Comma-separated platforms for the compare page."),
         QStringLiteral("LIST")},
        {QStringLiteral("dataset"), QStringLiteral("End-to-end dataset CSV for the validation page."),
         QStringLiteral("FILE")},
        {QStringLiteral("trace"), QStringLiteral("CUPTI kernel trace CSV for the trace page."), QStringLiteral("FILE")},
        {QStringLiteral("size"), QStringLiteral("Screenshot size WxH (default 1400x900)."), QStringLiteral("WxH")},
        {QStringLiteral("report"),
         QStringLiteral("Write the report folder (HTML with PNG plots, report.pdf, Markdown, "
                        "JSON, CSV) into DIR offscreen and exit; the options of "
                        "`rooflab report` describe the scenario."),
         QStringLiteral("DIR")},
        {QStringLiteral("measurements"), QStringLiteral("Report: end-to-end dataset CSV for predicted vs measured."),
         QStringLiteral("FILE")},
        {QStringLiteral("output"), QStringLiteral("Report: generated tokens per request."), QStringLiteral("N")},
        {QStringLiteral("weights"), QStringLiteral("Report: weight datatype."), QStringLiteral("T")},
        {QStringLiteral("kv"), QStringLiteral("Report: KV-cache datatype."), QStringLiteral("T")},
        {QStringLiteral("act"), QStringLiteral("Report: activation datatype."), QStringLiteral("T")},
        {QStringLiteral("chunk"), QStringLiteral("Report: chunked phase, prefill tokens in the step."),
         QStringLiteral("N")},
        {QStringLiteral("pp"), QStringLiteral("Report: pipeline-parallel degree."), QStringLiteral("N")},
        {QStringLiteral("ep"), QStringLiteral("Report: expert-parallel degree."), QStringLiteral("N")},
        {QStringLiteral("dp"), QStringLiteral("Report: data-parallel degree."), QStringLiteral("N")},
        {QStringLiteral("serving"), QStringLiteral("Report: add the Serving section (as `rooflab report --serving`).")},
        {QStringLiteral("serving-stack"), QStringLiteral("Report, serving: stack profile (default vllm)."),
         QStringLiteral("S")},
        {QStringLiteral("serving-mode"), QStringLiteral("Report, serving: agg or disagg."), QStringLiteral("M")},
        {QStringLiteral("concurrency"), QStringLiteral("Report, serving: closed-loop clients, comma separated."),
         QStringLiteral("LIST")},
        {QStringLiteral("search-gpus"), QStringLiteral("Report, serving: deployment-search GPU budget (0: none)."),
         QStringLiteral("N")},
        {QStringLiteral("ttft-max"), QStringLiteral("Report, serving: SLO, mean TTFT at most (s)."),
         QStringLiteral("S")},
        {QStringLiteral("tpot-max"), QStringLiteral("Report, serving: SLO, mean TPOT at most (s)."),
         QStringLiteral("S")},
        {QStringLiteral("serving-dataset"),
         QStringLiteral("Report, serving: aic-silicon CSV (auto: the shipped one; none)."), QStringLiteral("FILE")},
    };
    parser.addOptions(options);
    parser.process(args);

    if (parser.isSet(QStringLiteral("report")))
        return runReportMode(parser);

    const bool screenshot = parser.isSet(QStringLiteral("screenshot"));
    rooflab::gui::MainWindow window(!screenshot);
    auto check = [&](bool ok, const QString& what) {
        if (!ok && screenshot)
            throw std::runtime_error((what + QStringLiteral(": ") + window.errorText()).toStdString());
    };
    try {
        if (parser.isSet(QStringLiteral("scenario"))) {
            QString error;
            if (!window.scenarioFiles()->loadScenario(parser.value(QStringLiteral("scenario")), &error))
                return fail(2, QStringLiteral("--scenario: %1").arg(error));
        }
        if (parser.isSet(QStringLiteral("platform")))
            check(window.selectPlatform(parser.value(QStringLiteral("platform"))), QStringLiteral("--platform"));
        if (parser.isSet(QStringLiteral("model")))
            check(window.selectModel(parser.value(QStringLiteral("model"))), QStringLiteral("--model"));
        if (parser.isSet(QStringLiteral("stack")))
            check(window.selectStack(parser.value(QStringLiteral("stack"))), QStringLiteral("--stack"));
        if (parser.isSet(QStringLiteral("phase")))
            check(window.setPhase(parser.value(QStringLiteral("phase"))), QStringLiteral("--phase"));
        int v = 0;
        const std::pair<const char*, void (rooflab::gui::MainWindow::*)(int)> ints[] = {
            {"batch", &rooflab::gui::MainWindow::setBatch},
            {"prompt", &rooflab::gui::MainWindow::setPrompt},
            {"context", &rooflab::gui::MainWindow::setContext},
            {"tp", &rooflab::gui::MainWindow::setTensorParallel}};
        for (const auto& [name, setter] : ints) {
            const QString n = QString::fromLatin1(name);
            if (!positiveInt(parser, n, v))
                return fail(2, QStringLiteral("--%1: '%2' is not a whole number").arg(n, parser.value(n)));
            if (parser.isSet(n))
                (window.*setter)(v);
        }
        if (parser.isSet(QStringLiteral("compare")))
            check(window.setComparePlatforms(
                      parser.value(QStringLiteral("compare")).split(QLatin1Char(','), Qt::SkipEmptyParts)),
                  QStringLiteral("--compare"));
        if (parser.isSet(QStringLiteral("dataset")))
            check(window.loadDataset(parser.value(QStringLiteral("dataset"))), QStringLiteral("--dataset"));
        if (parser.isSet(QStringLiteral("trace")))
            check(window.tracePage()->loadTrace(parser.value(QStringLiteral("trace"))), QStringLiteral("--trace"));
        if (parser.isSet(QStringLiteral("page")) && !window.showPage(parser.value(QStringLiteral("page"))))
            return fail(2,
                        QStringLiteral("--page: unknown page '%1' (known: %2)")
                            .arg(parser.value(QStringLiteral("page")), window.pageNames().join(QStringLiteral(", "))));
    } catch (const std::exception& e) {
        return fail(2, QString::fromUtf8(e.what()));
    }

    if (!screenshot) {
        window.resize(1400, 900);
        window.show();
        return QApplication::exec();
    }

    QSize size(1400, 900);
    if (parser.isSet(QStringLiteral("size"))) {
        const auto m =
            QRegularExpression(QStringLiteral("^(\\d+)x(\\d+)$")).match(parser.value(QStringLiteral("size")));
        if (!m.hasMatch() || m.captured(1).toInt() < 200 || m.captured(2).toInt() < 150 ||
            m.captured(1).toInt() > 8000 || m.captured(2).toInt() > 8000)
            return fail(2, QStringLiteral("--size: expected WxH between 200x150 and 8000x8000"));
        size = QSize(m.captured(1).toInt(), m.captured(2).toInt());
    }
    window.setAttribute(Qt::WA_DontShowOnScreen, qgetenv("QT_QPA_PLATFORM") != "offscreen");
    window.resize(size);
    window.show();
    window.evaluateNow();
    // The Serving page simulates on demand: a screenshot of it shows a finished study of the scenario.
    if (window.currentPageName() == QStringLiteral("serving") && window.waitForEvaluation(60000)) {
        window.servingPage()->run();
        window.servingPage()->waitForFinished();
    }
    if (!window.errorText().isEmpty())
        std::fprintf(stderr, "rooflab-gui: note: %s\n", window.errorText().toLocal8Bit().constData());
    QApplication::processEvents();
    QPixmap shot = window.grab();
    if (shot.size() != size) {
        // The window's minimum size is larger than asked for: fit its rendering to the requested size.
        std::fprintf(stderr, "rooflab-gui: note: the window needs %dx%d; scaled to %dx%d\n", shot.width(),
                     shot.height(), size.width(), size.height());
        shot = shot.scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    }
    const QString file = parser.value(QStringLiteral("screenshot"));
    if (shot.isNull() || !shot.save(file, "PNG"))
        return fail(1, QStringLiteral("could not write screenshot %1").arg(file));
    std::printf("%s: %dx%d, page %s\n", file.toLocal8Bit().constData(), shot.width(), shot.height(),
                window.currentPageName().toLocal8Bit().constData());
    return 0;
}
