// File > Export report… of the workbench: the report library in-process with the QCustomPlot renderer (PNG plots
// in the page, report.pdf). Runs offscreen.
#include "io/data_paths.hpp"
#include "main_window.hpp"
#include "report_export.hpp"
#include "serving_page.hpp"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <gtest/gtest.h>

using namespace rooflab;
using namespace rooflab::gui;

TEST(GuiExportReport, WritesTheHtmlWithPlotsAndThePdf) {
    MainWindow w(false);
    w.resize(1200, 800);
    w.show();
    ASSERT_TRUE(w.selectPlatform(QStringLiteral("h100-sxm5-80gb")));
    ASSERT_TRUE(w.selectModel(QStringLiteral("llama-3.2-1b")));
    w.setBatch(4);
    ASSERT_TRUE(w.waitForEvaluation(10000));
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString out = dir.filePath(QStringLiteral("report"));
    QString error;
    ASSERT_TRUE(w.exportReport(out, &error)) << error.toStdString();
    QFile html(QDir(out).filePath(QStringLiteral("report.html")));
    ASSERT_TRUE(html.open(QIODevice::ReadOnly));
    const QByteArray text = html.readAll();
    EXPECT_GE(text.count("src=\"data:image/png;base64,iVBORw0KGgo"), 6) << "plots embedded";
    EXPECT_TRUE(text.contains("llama-3.2-1b on h100-sxm5-80gb"));
    EXPECT_TRUE(text.contains("batch 4,"));
    QFile pdf(QDir(out).filePath(QStringLiteral("report.pdf")));
    ASSERT_TRUE(pdf.open(QIODevice::ReadOnly));
    EXPECT_TRUE(pdf.read(4) == "%PDF");
    EXPECT_TRUE(QFile::exists(QDir(out).filePath(QStringLiteral("report.md"))));
    EXPECT_TRUE(QFile::exists(QDir(out).filePath(QStringLiteral("plots/roofline.png"))));
    EXPECT_TRUE(w.statusText().contains(QStringLiteral("Report written to"))) << w.statusText().toStdString();
}

// Once the Serving page has run, the exported report has its Serving section with the page's settings (here
// disaggregated with a TPOT target) and the serving plots; before that, none.
TEST(GuiExportReport, AddsTheServingSectionOnceTheServingPageRan) {
    MainWindow w(false);
    ASSERT_TRUE(w.selectPlatform(QStringLiteral("h100-sxm5-80gb")));
    ASSERT_TRUE(w.selectModel(QStringLiteral("llama-3.2-1b")));
    ASSERT_TRUE(w.waitForEvaluation(10000));
    QString error;
    EXPECT_FALSE(w.servingPage()->reportServingInput()) << "not run yet: no section";
    ServingPage* page = w.servingPage();
    page->setLengths(512, 32);
    page->setConcurrencyList(QStringLiteral("1,4"));
    page->setMode(serving::DeploymentMode::Disaggregated, 1, 1);
    page->setSearchGpus(2);
    page->setSlo(0, 0.05);
    page->run();
    page->waitForFinished();
    const auto sv = page->reportServingInput();
    ASSERT_TRUE(sv);
    EXPECT_EQ(sv->mode, "disagg");
    EXPECT_EQ(sv->concurrency, (std::vector<int>{1, 4}));
    EXPECT_DOUBLE_EQ(sv->tpotMaxS, 0.05);
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString out = dir.filePath(QStringLiteral("report"));
    ASSERT_TRUE(w.exportReport(out, &error)) << error.toStdString();
    QFile md(QDir(out).filePath(QStringLiteral("report.md")));
    ASSERT_TRUE(md.open(QIODevice::ReadOnly));
    const QByteArray text = md.readAll();
    EXPECT_TRUE(text.contains("## Serving")) << text.toStdString();
    EXPECT_TRUE(text.contains("vllm, disagg 1 x tp1 (prefill) + 1 x tp1 (decode), ISL 512, OSL 32"));
    EXPECT_TRUE(text.contains("under TPOT"));
    EXPECT_TRUE(QFile::exists(QDir(out).filePath(QStringLiteral("plots/serving_pareto.png"))));
    EXPECT_TRUE(QFile::exists(QDir(out).filePath(QStringLiteral("report.pdf"))));
}

TEST(GuiExportReport, AFailedExportSaysWhyAndLeavesNothing) {
    MainWindow w(false);
    ASSERT_TRUE(w.selectPlatform(QStringLiteral("h100-sxm5-80gb")));
    ASSERT_TRUE(w.selectModel(QStringLiteral("llama-3.2-1b")));
    ASSERT_TRUE(w.waitForEvaluation(10000));
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    // A file where the folder should go.
    const QString blocked = dir.filePath(QStringLiteral("taken"));
    QFile f(blocked);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.close();
    QString error;
    EXPECT_FALSE(w.exportReport(blocked, &error));
    EXPECT_TRUE(error.contains(QStringLiteral("not a folder"))) << error.toStdString();
    EXPECT_EQ(QDir(dir.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden),
              QStringList{QStringLiteral("taken")});
    EXPECT_FALSE(w.reportExporter()->isRunning());
}

int main(int argc, char** argv) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("rooflab-tests"));
    io::setBuiltinDataDir(ROOFLAB_SOURCE_DATA_DIR);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
