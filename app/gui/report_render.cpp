#include "report_render.hpp"

#include "io/csv.hpp"
#include "io/data_paths.hpp"
#include "units/errors.hpp"
#include "io/model_loader.hpp"
#include "io/platform_loader.hpp"
#include "io/stack_loader.hpp"
#include "models/evaluation.hpp"
#include "models/table_models.hpp"
#include "plots/charts.hpp"
#include "plots/roofline_plot.hpp"

#include <QDir>
#include <QFileInfo>
#include <QImage>
#include <QPageLayout>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QTemporaryDir>

#include <memory>

namespace rooflab::gui {
namespace {

DType dtypeOf(const QString& s, const char* option) {
    const auto t = parseDType(s.toStdString());
    if (!t)
        throw InputError("", 0, option, "unknown datatype '" + s.toStdString() + "' (known: " + dtypeNameList() + ")");
    return *t;
}

/// Left or right half of a two-panel sweep plot, with its own title painted over the shared one.
QImage half(const QImage& full, bool left, const QString& title) {
    const int w = full.width() / 2;
    QImage out = full.copy(left ? 0 : full.width() - w, 0, w, full.height()).convertToFormat(QImage::Format_RGB32);
    QPainter p(&out);
    const int band = std::max(28, full.height() / 22);
    p.fillRect(0, 0, out.width(), band, Qt::white);
    QFont f = p.font();
    f.setBold(true);
    f.setPointSize(11);
    p.setFont(f);
    p.setPen(Qt::black);
    p.drawText(QRect(0, 0, out.width(), band), Qt::AlignCenter, title);
    p.end();
    return out;
}

} // namespace

bool renderReport(const ReportRenderOptions& opt, ReportRenderResult& result, QString* error) {
    auto fail = [&](const QString& m) {
        if (error)
            *error = m;
        return false;
    };
    const QDir dir(opt.outDir);
    if (!QDir().mkpath(opt.outDir))
        return fail(QStringLiteral("cannot create %1").arg(opt.outDir));

    // Inputs exactly as `rooflab report` reads them.
    const Platform plat = io::loadPlatformFile(io::findPlatformFile(opt.platform.toStdString()));
    auto pm = std::make_shared<const PlatformModel>(PlatformModel::from(plat));
    auto arch = std::make_shared<const LlmArch>(io::loadModel(opt.model.toStdString()));
    EvalInput in;
    in.platform = {plat.name, pm};
    in.kind = WorkloadKind::Llm;
    in.model = arch;
    in.stack = io::loadStack(opt.stack.toStdString());
    in.scenario.batch = opt.batch;
    in.scenario.prompt = opt.prompt;
    in.scenario.context = opt.context > 0 ? opt.context : opt.prompt;
    in.scenario.outputTokens = opt.output;
    in.scenario.tp = opt.tp;
    in.scenario.weights = dtypeOf(opt.weights, "--weights");
    in.scenario.kv = dtypeOf(opt.kv, "--kv");
    in.sweepPoints = opt.sweepPoints;
    in.phase = GuiPhase::Decode;
    const EvalOutput decode = evaluate(in);
    in.phase = GuiPhase::Prefill;
    const EvalOutput prefill = evaluate(in);
    if (!decode.prediction.ok)
        throw InputError("", 0, "", decode.prediction.error);

    const int w = opt.widthPx, h = opt.heightPx;
    auto save = [&](PlotView& v, const QString& name, int width, int height) {
        QString err;
        if (!v.save(dir.filePath(name), &err, width, height))
            return fail(err);
        result.files << name;
        return true;
    };
    {
        RooflinePlot r;
        r.setData(plat.name, *pm, decode.prediction);
        if (!save(r, QStringLiteral("roofline.png"), w, h))
            return false;
        RooflinePlot rp;
        rp.setData(plat.name, *pm, prefill.prediction);
        if (!save(rp, QStringLiteral("roofline_prefill.png"), w, h))
            return false;
    }
    {
        // The sweep page shows batch and context side by side; the report wants one plot each.
        SweepPlot s;
        s.setData(decode.batchSweep, decode.contextSweep, double(in.scenario.batch), double(in.scenario.context));
        QTemporaryDir tmp;
        const QString both = tmp.path() + QStringLiteral("/sweep.png");
        QString err;
        if (!tmp.isValid() || !s.save(both, &err, 2 * w, h))
            return fail(err.isEmpty() ? QStringLiteral("cannot create a temporary folder") : err);
        const QImage full(both);
        if (full.isNull())
            return fail(QStringLiteral("cannot read back %1").arg(both));
        const QString lim = decode.batchSweep.limit > 0
                                ? QStringLiteral(" (batch <= %1 fits)").arg(decode.batchSweep.limit)
                                : QStringLiteral(" (batch 1 does not fit)");
        const QImage batchImg = half(full, true, QStringLiteral("Decode latency and throughput vs batch — context %1%2")
                                                     .arg(in.scenario.context)
                                                     .arg(lim));
        const QImage ctxImg = half(full, false, QStringLiteral("Decode latency and throughput vs context — batch %1")
                                                    .arg(in.scenario.batch));
        if (!batchImg.save(dir.filePath(QStringLiteral("latency_vs_batch.png")), "PNG") ||
            !ctxImg.save(dir.filePath(QStringLiteral("latency_vs_context.png")), "PNG"))
            return fail(QStringLiteral("cannot write the sweep plots into %1").arg(opt.outDir));
        result.files << QStringLiteral("latency_vs_batch.png") << QStringLiteral("latency_vs_context.png");
    }
    {
        BreakdownPlot b;
        b.setData(decode.prediction);
        if (!save(b, QStringLiteral("breakdown.png"), w, h))
            return false;
        BreakdownPlot bp;
        bp.setData(prefill.prediction);
        if (!save(bp, QStringLiteral("breakdown_prefill.png"), w, h))
            return false;
    }
    if (!opt.measurements.isEmpty()) {
        const io::CsvTable table = io::loadCsvFile(opt.measurements.toStdString());
        const ValidationReport v =
            validateDatasetIn(table, *pm, QFileInfo(opt.measurements).absolutePath().toStdString());
        ValidationPlot vp;
        vp.setData(v, plat.name);
        if (!save(vp, QStringLiteral("predicted_vs_measured.png"), w, w))
            return false;
    }

    // PDF: a summary page, then one plot per page (landscape A4).
    const QString pdfPath = dir.filePath(QStringLiteral("report.pdf"));
    {
        QPdfWriter pdf(pdfPath);
        pdf.setPageSize(QPageSize(QPageSize::A4));
        pdf.setPageOrientation(QPageLayout::Landscape);
        pdf.setResolution(150);
        pdf.setCreator(QStringLiteral("rooflab"));
        pdf.setTitle(QStringLiteral("rooflab report: %1 on %2").arg(QString::fromStdString(arch->name),
                                                                     QString::fromStdString(plat.name)));
        QPainter p;
        if (!p.begin(&pdf))
            return fail(QStringLiteral("cannot write %1").arg(pdfPath));
        const QRect page = pdf.pageLayout().paintRectPixels(pdf.resolution());
        QFont f = p.font();
        f.setPointSize(16);
        f.setBold(true);
        p.setFont(f);
        int y = 60;
        p.drawText(QRect(0, 0, page.width(), y), Qt::AlignLeft | Qt::AlignVCenter, pdf.title());
        f.setPointSize(10);
        f.setBold(false);
        p.setFont(f);
        const Prediction& d = decode.prediction;
        const Prediction& pf = prefill.prediction;
        const QStringList lines = {
            QStringLiteral("Stack %1, TP %2, weights %3, KV %4; batch %5, prompt %6, decode context %7.")
                .arg(QString::fromStdString(in.stack.name))
                .arg(in.scenario.tp)
                .arg(opt.weights, opt.kv)
                .arg(in.scenario.batch)
                .arg(in.scenario.prompt)
                .arg(in.scenario.context),
            QStringLiteral("Prefill: %1 (%2 tokens/s). %3")
                .arg(formatSeconds(pf.latencyS), QString::number(pf.tokensPerS, 'g', 5), QString::fromStdString(pf.why)),
            QStringLiteral("Decode step: %1 (%2 tokens/s). %3")
                .arg(formatSeconds(d.latencyS), QString::number(d.tokensPerS, 'g', 5), QString::fromStdString(d.why)),
            QStringLiteral("Energy: prefill %1 J, decode %2 J per step (%3 J per generated token).")
                .arg(pf.energyJ, 0, 'g', 4)
                .arg(d.energyJ, 0, 'g', 4)
                .arg(d.tokens > 0 ? d.energyJ / d.tokens : 0.0, 0, 'g', 4),
            QStringLiteral("Memory per device: %1 of %2 (%3).")
                .arg(formatSi(d.memory.totalBytes, QStringLiteral("B")), formatSi(d.memory.capacityBytes, QStringLiteral("B")),
                     d.memory.fits ? QStringLiteral("fits") : QStringLiteral("does not fit")),
            QStringLiteral("Plots: %1. Tables: report.md, prediction.json, *.csv; page: report.html.")
                .arg(result.files.join(QStringLiteral(", "))),
        };
        for (const QString& line : lines) {
            const QRect r = p.boundingRect(QRect(0, y, page.width(), 400), Qt::TextWordWrap, line);
            p.drawText(r, Qt::TextWordWrap, line);
            y += r.height() + 12;
        }
        for (const QString& name : result.files) {
            const QImage img(dir.filePath(name));
            if (img.isNull())
                continue;
            if (!pdf.newPage())
                return fail(QStringLiteral("cannot add a page to %1").arg(pdfPath));
            const QSize fit = img.size().scaled(page.size(), Qt::KeepAspectRatio);
            p.drawImage(QRect(QPoint((page.width() - fit.width()) / 2, 0), fit), img);
        }
        p.end();
    }
    if (!QFileInfo::exists(pdfPath))
        return fail(QStringLiteral("cannot write %1").arg(pdfPath));
    result.files << QStringLiteral("report.pdf");
    return true;
}

} // namespace rooflab::gui
