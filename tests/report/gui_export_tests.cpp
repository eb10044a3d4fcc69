// File > Export report… of the workbench: the window runs the same `rooflab report` as the command line, which
// renders its plots with rooflab-gui --report (offscreen). Runs offscreen.
#include "io/data_paths.hpp"
#include "main_window.hpp"

#include <QApplication>
#include <QFile>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace rooflab;
using namespace rooflab::gui;

TEST(GuiExportReport, WritesTheHtmlWithPlotsAndThePdf) {
    qputenv("ROOFLAB_CLI", ROOFLAB_CLI_EXE);
    MainWindow w(false);
    w.resize(1200, 800);
    w.show();
    ASSERT_TRUE(w.selectPlatform(QStringLiteral("h100-sxm5-80gb")));
    ASSERT_TRUE(w.selectModel(QStringLiteral("llama-3.2-1b")));
    w.setBatch(4);
    ASSERT_TRUE(w.waitForEvaluation(10000));
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    QString error;
    ASSERT_TRUE(w.exportReport(dir.path(), &error)) << error.toStdString();
    QFile html(dir.filePath(QStringLiteral("report.html")));
    ASSERT_TRUE(html.open(QIODevice::ReadOnly));
    const QByteArray text = html.readAll();
    EXPECT_GE(text.count("src=\"data:image/png;base64,iVBORw0KGgo"), 6) << "plots embedded";
    EXPECT_TRUE(text.contains("llama-3.2-1b on h100-sxm5-80gb"));
    EXPECT_TRUE(text.contains("batch 4,"));
    EXPECT_TRUE(QFile::exists(dir.filePath(QStringLiteral("report.pdf"))));
    EXPECT_TRUE(QFile::exists(dir.filePath(QStringLiteral("report.md"))));

    qputenv("ROOFLAB_CLI", "/nonexistent/rooflab");
    EXPECT_FALSE(w.exportReport(dir.path(), &error));
    EXPECT_FALSE(error.isEmpty());
    qunsetenv("ROOFLAB_CLI");
}

int main(int argc, char** argv) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("rooflab-tests"));
    io::setBuiltinDataDir(ROOFLAB_SOURCE_DATA_DIR);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
