// The workbench stays responsive while it exports a report: the export starts and returns at once, the event loop
// keeps running (a timer keeps ticking) while predictions, plots and files are in flight, and the folder that
// appears carries the scenario set in the window (phase, TP, PP, EP, activation type included). Runs offscreen.
#include "io/data_paths.hpp"
#include "main_window.hpp"
#include "report/report.hpp"
#include "report_export.hpp"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTimer>
#include <gtest/gtest.h>

using namespace rooflab;
using namespace rooflab::gui;

namespace {

/// A window with an LLM scenario that uses every control the report must carry.
void setScenario(MainWindow& w) {
    ASSERT_TRUE(w.selectPlatform(QStringLiteral("h100-sxm5-80gb")));
    ASSERT_TRUE(w.selectModel(QStringLiteral("mixtral-8x7b")));
    ASSERT_TRUE(w.setPhase(QStringLiteral("prefill")));
    w.setBatch(6);
    w.setPrompt(1536);
    w.setContext(3072);
    w.setTensorParallel(2);
    w.setPipelineParallel(2);
    w.setExpertParallel(2);
    ASSERT_TRUE(w.setActivationType(QStringLiteral("fp16")));
    ASSERT_TRUE(w.waitForEvaluation(20000));
}

} // namespace

TEST(GuiReportExport, TheEventLoopKeepsRunningAndTheFilesCarryTheScenario) {
    MainWindow w(false);
    w.resize(1200, 800);
    w.show();
    setScenario(w);
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString out = dir.filePath(QStringLiteral("export"));

    int ticks = 0;
    QTimer ticker;
    ticker.setInterval(2);
    QObject::connect(&ticker, &QTimer::timeout, [&] { ++ticks; });
    ticker.start();
    QSignalSpy finished(&w, &MainWindow::reportExportFinished);
    QSignalSpy progress(w.reportExporter(), &ReportExporter::progressChanged);

    QElapsedTimer started;
    started.start();
    QString error;
    ASSERT_TRUE(w.startReportExport(out, &error)) << error.toStdString();
    const qint64 startMs = started.elapsed();
    EXPECT_LT(startMs, 500) << "starting an export must not do the work on the UI thread";
    EXPECT_TRUE(w.reportExporter()->isRunning());
    EXPECT_FALSE(QFile::exists(QDir(out).filePath(QStringLiteral("report.html")))) << "written before it started";
    QString second;
    EXPECT_FALSE(w.startReportExport(dir.filePath(QStringLiteral("other")), &second)) << "one export at a time";
    EXPECT_FALSE(second.isEmpty());

    const int ticksAtStart = ticks;
    ASSERT_TRUE(finished.wait(120000)) << "the export did not finish";
    const int ticksDuring = ticks - ticksAtStart;
    ASSERT_EQ(finished.count(), 1);
    EXPECT_TRUE(finished.at(0).at(0).toBool()) << finished.at(0).at(1).toString().toStdString();
    // The timer fired while the export ran: the UI thread kept serving events between the steps.
    EXPECT_GE(ticksDuring, 5) << "ticks " << ticksDuring << " over " << started.elapsed() << " ms";
    EXPECT_GE(progress.count(), 5) << "progress was reported step by step";
    EXPECT_FALSE(w.reportExporter()->isRunning());

    // The files carry the window's scenario.
    QFile json(QDir(out).filePath(QStringLiteral("prediction.json")));
    ASSERT_TRUE(json.open(QIODevice::ReadOnly));
    const QJsonObject root = QJsonDocument::fromJson(json.readAll()).object();
    EXPECT_EQ(root.value(QStringLiteral("model")).toString(), QStringLiteral("mixtral-8x7b"));
    EXPECT_EQ(root.value(QStringLiteral("platform")).toString(), QStringLiteral("h100-sxm5-80gb"));
    const QJsonObject s = root.value(QStringLiteral("scenario")).toObject();
    EXPECT_EQ(s.value(QStringLiteral("batch")).toInt(), 6);
    EXPECT_EQ(s.value(QStringLiteral("prompt")).toInt(), 1536);
    EXPECT_EQ(s.value(QStringLiteral("context")).toInt(), 3072);
    EXPECT_EQ(s.value(QStringLiteral("tp")).toInt(), 2);
    EXPECT_EQ(s.value(QStringLiteral("pp")).toInt(), 2);
    EXPECT_EQ(s.value(QStringLiteral("ep")).toInt(), 2);
    EXPECT_EQ(s.value(QStringLiteral("act")).toString(), QStringLiteral("fp16"));
    EXPECT_EQ(s.value(QStringLiteral("phase")).toString(), QStringLiteral("prefill"));
    QFile md(QDir(out).filePath(QStringLiteral("report.md")));
    ASSERT_TRUE(md.open(QIODevice::ReadOnly));
    EXPECT_TRUE(md.readAll().contains("TP 2, PP 2, EP 2, activations fp16, phase prefill"));
    for (const char* f : {"report.html", "report.pdf", "plots/roofline.png", "plots/latency_vs_batch.png"})
        EXPECT_TRUE(QFile::exists(QDir(out).filePath(QString::fromLatin1(f)))) << f;
}

TEST(GuiReportExport, CancelLeavesNoFolder) {
    MainWindow w(false);
    setScenario(w);
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString out = dir.filePath(QStringLiteral("cancelled"));
    QSignalSpy finished(&w, &MainWindow::reportExportFinished);
    QString error;
    ASSERT_TRUE(w.startReportExport(out, &error)) << error.toStdString();
    w.reportExporter()->cancel();
    ASSERT_TRUE(finished.wait(60000));
    EXPECT_FALSE(finished.at(0).at(0).toBool());
    EXPECT_EQ(finished.at(0).at(1).toString(), QStringLiteral("cancelled"));
    EXPECT_TRUE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden).isEmpty());
}

TEST(GuiReportExport, GemmWorkloadsHaveNoReport) {
    MainWindow w(false);
    ASSERT_TRUE(w.selectPlatform(QStringLiteral("h100-sxm5-80gb")));
    w.setGemmWorkload(1024, 1024, 1024);
    report::ReportInput in;
    QString error;
    EXPECT_FALSE(w.reportInput(in, &error));
    EXPECT_TRUE(error.contains(QStringLiteral("LLM"))) << error.toStdString();
}

int main(int argc, char** argv) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("rooflab-tests"));
    io::setBuiltinDataDir(ROOFLAB_SOURCE_DATA_DIR);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
