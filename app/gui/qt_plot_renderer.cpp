#include "qt_plot_renderer.hpp"

#include "plots/spec_plot.hpp"

#include <QBuffer>
#include <QImage>
#include <QPageLayout>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <algorithm>
#include <stdexcept>

namespace rooflab::gui {

QtPlotRenderer::QtPlotRenderer() = default;
QtPlotRenderer::~QtPlotRenderer() = default;

std::vector<report::PlotFormat> QtPlotRenderer::imageFormats() const {
    return {report::PlotFormat::Png, report::PlotFormat::Pdf, report::PlotFormat::Svg};
}

std::string QtPlotRenderer::render(const report::PlotSpec& spec, report::PlotFormat format) {
    if (!m_plot)
        m_plot = std::make_unique<SpecPlot>();
    m_plot->setSpec(spec);
    QByteArray bytes;
    switch (format) {
    case report::PlotFormat::Png:
        bytes = m_plot->pngBytes(spec.widthPx, spec.heightPx);
        break;
    case report::PlotFormat::Pdf:
        bytes = m_plot->pdfBytes(spec.widthPx, spec.heightPx);
        break;
    case report::PlotFormat::Svg:
        bytes = m_plot->svgBytes(spec.widthPx, spec.heightPx);
        break;
    }
    if (bytes.isEmpty())
        throw std::runtime_error("could not draw plot " + spec.name + " as " +
                                 std::string(report::plotFormatSuffix(format)));
    return bytes.toStdString();
}

std::string QtPlotRenderer::renderDocument(const report::PlotDocument& doc) {
    return renderReportPdf(doc);
}

std::string renderReportPdf(const report::PlotDocument& doc) {
    QByteArray bytes;
    QBuffer buf(&bytes);
    buf.open(QIODevice::WriteOnly);
    {
        QPdfWriter pdf(&buf);
        pdf.setPageSize(QPageSize(QPageSize::A4));
        pdf.setPageOrientation(QPageLayout::Landscape);
        pdf.setResolution(150);
        pdf.setCreator(QStringLiteral("rooflab"));
        pdf.setTitle(QString::fromStdString(doc.title));
        QPainter p;
        if (!p.begin(&pdf))
            throw std::runtime_error("cannot start the report PDF");
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
        for (const std::string& line : doc.lines) {
            const QString text = QString::fromStdString(line);
            const QRect r = p.boundingRect(QRect(0, y, page.width(), 400), Qt::TextWordWrap, text);
            p.drawText(r, Qt::TextWordWrap, text);
            y += r.height() + 12;
        }
        if (doc.renderedFormat == report::PlotFormat::Png)
            for (const std::string& png : doc.renderedPlots) {
                const QImage img = QImage::fromData(QByteArray::fromStdString(png), "PNG");
                if (img.isNull())
                    continue;
                if (!pdf.newPage())
                    throw std::runtime_error("cannot add a page to the report PDF");
                const QSize fit = img.size().scaled(page.size(), Qt::KeepAspectRatio);
                p.drawImage(QRect(QPoint((page.width() - fit.width()) / 2, 0), fit), img);
            }
        // Tables after the plots: operators and the platform with its provenance (the PDF had only plots).
        for (const report::DocumentTable& t : doc.tables) {
            if (!pdf.newPage())
                throw std::runtime_error("cannot add a page to the report PDF");
            QFont tf = p.font();
            tf.setPointSize(12);
            tf.setBold(true);
            p.setFont(tf);
            int ty = 0;
            const int titleH = p.fontMetrics().height() + 8;
            p.drawText(QRect(0, ty, page.width(), titleH), Qt::AlignLeft | Qt::AlignVCenter,
                       QString::fromStdString(t.title));
            ty += titleH;
            tf.setPointSize(7);
            tf.setBold(false);
            p.setFont(tf);
            const QFontMetrics fm = p.fontMetrics();
            const std::size_t cols = t.header.size();
            std::vector<int> w(cols, 0);
            auto measure = [&](const std::vector<std::string>& cells) {
                for (std::size_t c = 0; c < cols && c < cells.size(); ++c)
                    w[c] = std::max(w[c], fm.horizontalAdvance(QString::fromStdString(cells[c])) + 10);
            };
            measure(t.header);
            for (const auto& r : t.rows)
                measure(r);
            // Shrink the widest column (descriptions, citations) to what the page has left; it wraps by elision.
            int total = 0;
            for (int x : w)
                total += x;
            if (total > page.width() && cols > 0) {
                const auto widest = std::max_element(w.begin(), w.end());
                *widest = std::max(60, *widest - (total - page.width()));
            }
            const int rowH = fm.height() + 4;
            auto drawRow = [&](const std::vector<std::string>& cells, bool header) {
                QFont rf = tf;
                rf.setBold(header);
                p.setFont(rf);
                int x = 0;
                for (std::size_t c = 0; c < cols; ++c) {
                    const QString text = c < cells.size() ? QString::fromStdString(cells[c]) : QString();
                    p.drawText(QRect(x, ty, w[c] - 6, rowH), Qt::AlignLeft | Qt::AlignVCenter,
                               fm.elidedText(text, Qt::ElideRight, w[c] - 6));
                    x += w[c];
                }
                ty += rowH;
                if (header)
                    p.drawLine(0, ty - 1, std::min(x, page.width()), ty - 1);
            };
            drawRow(t.header, true);
            for (const auto& r : t.rows) {
                if (ty + rowH > page.height()) {
                    if (!pdf.newPage())
                        throw std::runtime_error("cannot add a page to the report PDF");
                    ty = 0;
                    drawRow(t.header, true);
                }
                drawRow(r, false);
            }
        }
        p.end();
    }
    if (bytes.isEmpty())
        throw std::runtime_error("the report PDF came out empty");
    return bytes.toStdString();
}

} // namespace rooflab::gui
