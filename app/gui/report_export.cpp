#include "report_export.hpp"

#include "qt_plot_renderer.hpp"
#include "units/errors.hpp"

#include <QDir>
#include <QProgressDialog>
#include <QWidget>
#include <QtConcurrent/QtConcurrentRun>

namespace rooflab::gui {
namespace {

// Share of the progress bar per stage: predictions, drawing, writing.
constexpr int kComputeEnd = 40, kRenderEnd = 85;

/// A progress callback for the library on a worker: records done/total into `percent` (within [base, base+span])
/// and stops when `cancel` is set.
report::ReportProgress workerProgress(std::shared_ptr<std::atomic<bool>> cancel,
                                      std::shared_ptr<std::atomic<int>> percent, int base, int span) {
    return [cancel, percent, base, span](int done, int total, const std::string&) {
        if (total > 0)
            percent->store(base + span * done / total);
        return !cancel->load();
    };
}

} // namespace

ReportExporter::ReportExporter(QWidget* dialogParent, QObject* parent)
    : QObject(parent), m_dialogParent(dialogParent), m_cancel(std::make_shared<std::atomic<bool>>(false)),
      m_workerPercent(std::make_shared<std::atomic<int>>(0)) {
    connect(&m_compute, &QFutureWatcher<Computed>::finished, this, &ReportExporter::onComputed);
    connect(&m_write, &QFutureWatcher<QString>::finished, this, &ReportExporter::onWritten);
    m_poll.setInterval(50);
    connect(&m_poll, &QTimer::timeout, this, &ReportExporter::pollWorker);
}

ReportExporter::~ReportExporter() {
    // The workers hold only shared state; stop them and wait so no result arrives at a dead object.
    m_cancel->store(true);
    m_compute.waitForFinished();
    m_write.waitForFinished();
}

bool ReportExporter::start(const report::ReportInput& in, const QString& outDir, QString* error) {
    if (m_running) {
        if (error)
            *error = tr("a report export is already running");
        return false;
    }
    m_running = true;
    m_outDir = outDir;
    m_data.reset();
    m_specs.clear();
    m_rendered.clear();
    m_next = 0;
    // A fresh flag per export: a worker of an earlier, cancelled export keeps its own.
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    m_workerPercent = std::make_shared<std::atomic<int>>(0);
    if (m_dialogParent) {
        m_dialog = new QProgressDialog(tr("Predicting…"), tr("Cancel"), 0, 100, m_dialogParent);
        m_dialog->setWindowTitle(tr("Export report"));
        m_dialog->setWindowModality(Qt::WindowModal);
        m_dialog->setMinimumDuration(300); // quick exports finish before it shows
        m_dialog->setAutoClose(false);
        m_dialog->setAutoReset(false);
        connect(m_dialog, &QProgressDialog::canceled, this, &ReportExporter::cancel);
    }
    setProgress(0, tr("Predicting…"));
    m_workerBase = 0;
    m_workerSpan = kComputeEnd;
    m_poll.start();
    const auto progress = workerProgress(m_cancel, m_workerPercent, 0, kComputeEnd);
    m_compute.setFuture(QtConcurrent::run([in, progress]() {
        Computed c;
        try {
            c.data = std::make_shared<const report::ReportData>(report::computeReport(in, progress));
        } catch (const std::exception& e) {
            c.error = QString::fromUtf8(e.what());
        }
        return c;
    }));
    return true;
}

void ReportExporter::cancel() {
    if (m_running)
        m_cancel->store(true);
}

void ReportExporter::pollWorker() {
    setProgress(m_workerPercent->load(), QString());
}

void ReportExporter::setProgress(int percent, const QString& stage) {
    m_percent = std::clamp(percent, 0, 100);
    if (m_dialog) {
        m_dialog->setValue(m_percent);
        if (!stage.isEmpty())
            m_dialog->setLabelText(stage);
    }
    emit progressChanged(m_percent, stage);
}

void ReportExporter::onComputed() {
    m_poll.stop();
    const Computed c = m_compute.result();
    if (m_cancel->load())
        return finish(false, tr("cancelled"));
    if (!c.error.isEmpty())
        return finish(false, c.error);
    m_data = c.data;
    m_specs = report::reportPlots(*m_data);
    setProgress(kComputeEnd, tr("Drawing plots…"));
    QTimer::singleShot(0, this, &ReportExporter::renderNext);
}

void ReportExporter::renderNext() {
    if (m_cancel->load())
        return finish(false, tr("cancelled"));
    // QCustomPlot is a widget: draw on the GUI thread, one plot per event-loop turn so the window stays live.
    if (m_next < m_specs.size()) {
        const report::PlotSpec& spec = m_specs[m_next];
        try {
            if (!m_renderer)
                m_renderer = std::make_unique<QtPlotRenderer>();
            m_rendered.push_back(
                {spec.name, spec.caption, report::PlotFormat::Png, m_renderer->render(spec, report::PlotFormat::Png)});
        } catch (const std::exception& e) {
            return finish(false, QString::fromUtf8(e.what()));
        }
        ++m_next;
        setProgress(kComputeEnd + int((kRenderEnd - kComputeEnd) * m_next / m_specs.size()),
                    tr("Drawing plots (%1 of %2)…").arg(m_next).arg(m_specs.size()));
        QTimer::singleShot(0, this, &ReportExporter::renderNext);
        return;
    }
    // The PDF (QPdfWriter on images) and the files: on a worker.
    setProgress(kRenderEnd, tr("Writing %1…").arg(m_outDir));
    m_poll.start();
    const auto progress = workerProgress(m_cancel, m_workerPercent, kRenderEnd, 100 - kRenderEnd);
    m_workerPercent->store(kRenderEnd);
    m_write.setFuture(QtConcurrent::run(
        [data = m_data, specs = m_specs, rendered = m_rendered, out = m_outDir.toStdString(), progress]() -> QString {
            try {
                report::ReportFigures fig;
                fig.plots = rendered;
                fig.pdf = renderReportPdf(report::reportDocument(*data, specs, rendered));
                report::writeReport(*data, fig, out, progress);
                return {};
            } catch (const std::exception& e) {
                return QString::fromUtf8(e.what());
            }
        }));
}

void ReportExporter::onWritten() {
    m_poll.stop();
    const QString error = m_write.result();
    if (!error.isEmpty())
        return finish(false, m_cancel->load() ? tr("cancelled") : error);
    finish(true, m_outDir);
}

void ReportExporter::finish(bool ok, const QString& message) {
    m_poll.stop();
    m_running = false;
    m_data.reset();
    m_specs.clear();
    m_rendered.clear();
    if (m_dialog) {
        m_dialog->deleteLater();
        m_dialog = nullptr;
    }
    if (ok)
        setProgress(100, tr("Written"));
    emit finished(ok, message);
}

} // namespace rooflab::gui
