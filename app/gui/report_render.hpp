#pragma once
/// @brief Headless report plots: renders the workbench's plots (the same QCustomPlot code as the pages) for one
/// scenario into a folder as PNG, plus a PDF with a summary page and one page per plot. Driven by
/// `rooflab-gui --report DIR` (offscreen), which `rooflab report` calls to embed the plots in its HTML page.
#include <QString>
#include <QStringList>

#include <cstdint>

namespace rooflab::gui {

struct ReportRenderOptions {
    QString outDir;
    QString platform = QStringLiteral("h100-sxm5-80gb");
    QString model = QStringLiteral("llama-3.1-8b");
    QString stack = QStringLiteral("pytorch-eager");
    int64_t batch = 8, prompt = 2048, context = 0, output = 256; ///< context 0: the prompt length
    int tp = 1;
    QString weights = QStringLiteral("bf16"), kv = QStringLiteral("bf16");
    QString measurements;   ///< end-to-end dataset CSV: adds predicted_vs_measured.png
    int widthPx = 1200, heightPx = 750;
    int sweepPoints = 48;   ///< per sweep axis
};

struct ReportRenderResult {
    QStringList files;      ///< written, relative to outDir, in page order
    QStringList notes;      ///< anything left out and why
};

/// @brief Writes roofline.png, roofline_prefill.png, breakdown.png, breakdown_prefill.png, latency_vs_batch.png,
/// latency_vs_context.png (and predicted_vs_measured.png with measurements) and report.pdf into outDir.
/// Needs a QApplication (offscreen is fine). Throws rooflab::InputError for broken input; returns false with
/// `error` when a file cannot be written.
bool renderReport(const ReportRenderOptions& opt, ReportRenderResult& result, QString* error);

} // namespace rooflab::gui
