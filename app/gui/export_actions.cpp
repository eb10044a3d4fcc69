#include "export_actions.hpp"

#include "hardware/platform.hpp"
#include "io/platform_loader.hpp"
#include "models/table_models.hpp"
#include "plots/plot_view.hpp"
#include "report/report.hpp"
#include "report_export.hpp"

#include <QAction>
#include <QEventLoop>
#include <QFileDialog>
#include <QMenu>
#include <QTimer>
#include <QWidget>
#include <utility>

namespace rooflab::gui {

ExportActions::ExportActions(QWidget* window, Sources sources, QObject* parent)
    : QObject(parent), m_window(window), m_sources(std::move(sources)) {
    m_exporter = new ReportExporter(window, this);
    connect(m_exporter, &ReportExporter::finished, this, [this](bool ok, const QString& message) {
        if (ok)
            emit statusMessage(tr("Report written to %1/report.html").arg(message));
        else
            emit errorOccurred(tr("Export report: %1").arg(message));
        emit reportExportFinished(ok, message);
    });
    connect(m_exporter, &ReportExporter::progressChanged, this, [this](int percent, const QString& stage) {
        if (!stage.isEmpty())
            emit statusMessage(tr("Exporting report: %1 (%2%)").arg(stage).arg(percent));
    });
    auto make = [this](const QString& text, const QKeySequence& key, void (ExportActions::*slot)()) {
        auto* a = new QAction(text, this);
        a->setShortcut(key);
        connect(a, &QAction::triggered, this, slot);
        return a;
    };
    m_exportPlot = make(tr("&Export plot…"), QKeySequence(Qt::CTRL | Qt::Key_E), &ExportActions::chooseExportPlot);
    m_exportTable = make(tr("Export &table as CSV…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E),
                         &ExportActions::chooseExportTable);
    m_exportReport =
        make(tr("Export &report…"), QKeySequence(Qt::CTRL | Qt::Key_R), &ExportActions::chooseExportReport);
    m_savePlatform = make(tr("&Save Platform As…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S),
                          &ExportActions::chooseSavePlatform);
}

ExportActions::~ExportActions() = default;

void ExportActions::addToMenu(QMenu* menu) const {
    menu->addAction(m_exportPlot);
    menu->addAction(m_exportTable);
    menu->addAction(m_exportReport);
    menu->addAction(m_savePlatform);
}

bool ExportActions::exportPlot(PlotView* plot, const QString& path, QString* error) {
    if (!plot) {
        if (error)
            *error = tr("this page has no plot");
        return false;
    }
    return plot->save(path, error);
}

bool ExportActions::exportTable(const QAbstractItemModel* model, const QString& path, QString* error) {
    if (!model) {
        if (error)
            *error = tr("this page has no table");
        return false;
    }
    return writeTableCsv(*model, path, error);
}

bool ExportActions::savePlatformAs(const QString& path, QString* error) const {
    try {
        io::savePlatformFile(m_sources.platform(), path.toStdString());
        return true;
    } catch (const std::exception& e) {
        if (error)
            *error = QString::fromUtf8(e.what());
        return false;
    }
}

bool ExportActions::startReportExport(const QString& dir, QString* error) {
    report::ReportInput in;
    if (!m_sources.reportInput(in, error))
        return false;
    return m_exporter->start(in, dir, error);
}

bool ExportActions::exportReport(const QString& dir, QString* error, int timeoutMs) {
    bool done = false, ok = false;
    QString message;
    QEventLoop loop;
    const auto c = connect(this, &ExportActions::reportExportFinished, &loop, [&](bool success, const QString& m) {
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
        m_exporter->cancel();
        message = tr("the export did not finish within %1 s").arg(timeoutMs / 1000);
    }
    if (!ok && error)
        *error = message;
    return ok;
}

void ExportActions::chooseExportPlot() {
    PlotView* plot = m_sources.currentPlot();
    if (!plot) {
        emit errorOccurred(tr("This page has no plot; use Export table (Ctrl+Shift+E)"));
        return;
    }
    QStringList filters;
    for (const QString& s : PlotView::exportSuffixes())
        filters << tr("%1 (*.%2)").arg(s.toUpper(), s);
    const QString path =
        QFileDialog::getSaveFileName(m_window, tr("Export plot"), m_sources.currentPageName() + QStringLiteral(".png"),
                                     filters.join(QStringLiteral(";;")));
    QString error;
    if (!path.isEmpty() && !exportPlot(plot, path, &error))
        emit errorOccurred(tr("Export: %1").arg(error));
}

void ExportActions::chooseExportTable() {
    const QString path = QFileDialog::getSaveFileName(
        m_window, tr("Export table"), m_sources.currentPageName() + QStringLiteral(".csv"), tr("CSV (*.csv)"));
    QString error;
    if (!path.isEmpty() && !exportTable(m_sources.currentTable(), path, &error))
        emit errorOccurred(tr("Export: %1").arg(error));
}

void ExportActions::chooseExportReport() {
    const QString dir = QFileDialog::getExistingDirectory(m_window, tr("Export report into folder"));
    QString error;
    if (!dir.isEmpty() && !startReportExport(dir, &error))
        emit errorOccurred(tr("Export report: %1").arg(error));
}

void ExportActions::chooseSavePlatform() {
    const QString path = QFileDialog::getSaveFileName(
        m_window, tr("Save platform as"), QString::fromStdString(m_sources.platform().name) + QStringLiteral(".yaml"),
        tr("Platform files (*.yaml *.yml)"));
    QString error;
    if (!path.isEmpty() && !savePlatformAs(path, &error))
        emit errorOccurred(tr("Save platform: %1").arg(error));
}

} // namespace rooflab::gui
