#include "plots/plot_view.hpp"

#include <QFileInfo>
#include <QVBoxLayout>
#include <qcustomplot.h>

#ifdef ROOFLAB_HAVE_SVG
#include <QSvgGenerator>
#endif

#include <cmath>

namespace rooflab::gui {

PlotView::PlotView(QWidget* parent) : QWidget(parent), m_plot(new QCustomPlot(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->setNoAntialiasingOnDrag(true);
    m_plot->plotLayout()->insertRow(0);
    m_title = new QCPTextElement(m_plot, QString(), QFont(font().family(), 11, QFont::Bold));
    m_plot->plotLayout()->addElement(0, 0, m_title);
}

PlotView::~PlotView() = default;

void PlotView::setTitle(const QString& text) {
    m_titleText = text;
    applyVerdict();
}

void PlotView::setVerdict(const QString& mark, const QString& reason) {
    m_verdictMark = mark;
    m_verdictReason = reason;
    applyVerdict();
}

void PlotView::applyVerdict() {
    QString t = m_titleText;
    if (!m_verdictMark.isEmpty())
        t = tr("⚠ %1%2 — %3")
                .arg(m_verdictMark, m_verdictReason.isEmpty() ? QString() : QStringLiteral(": ") + m_verdictReason, t);
    m_title->setText(t);
    if (m_verdictMark.isEmpty()) {
        if (m_watermark)
            m_plot->removeItem(m_watermark.data());
        m_watermark = nullptr;
        return;
    }
    if (!m_watermark) {
        m_watermark = new QCPItemText(m_plot);
        m_watermark->setClipToAxisRect(false);
        m_watermark->position->setType(QCPItemPosition::ptAxisRectRatio);
        m_watermark->position->setAxisRect(m_plot->axisRect(0));
        m_watermark->position->setCoords(0.5, 0.5);
        m_watermark->setPositionAlignment(Qt::AlignCenter);
        m_watermark->setRotation(-20);
        m_watermark->setFont(QFont(font().family(), 40, QFont::Bold));
        m_watermark->setColor(QColor(176, 0, 32, 70));
        m_watermark->setSelectable(false);
    }
    m_watermark->setText(m_verdictMark);
}

QStringList PlotView::tickLabels(int rect, bool xAxis) const {
    QCPAxisRect* r = m_plot->axisRect(rect);
    if (!r)
        return {};
    QCPAxis* a = r->axis(xAxis ? QCPAxis::atBottom : QCPAxis::atLeft);
    QVector<double> ticks, subTicks;
    QVector<QString> labels;
    a->ticker()->generate(a->range(), m_plot->locale(), QLatin1Char('g'), a->numberPrecision(), ticks, &subTicks,
                          &labels);
    QStringList out;
    for (const QString& l : labels)
        if (!l.isEmpty())
            out << l;
    return out;
}

QString PlotView::watermarkText() const {
    return m_watermark ? m_watermark->text() : QString();
}

void PlotView::redraw() {
    if (!isVisible()) {
        m_stale = true;
        return;
    }
    m_stale = false;
    m_plot->replot();
}

void PlotView::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (m_stale)
        redraw();
}

QString PlotView::title() const {
    return m_title->text();
}

void PlotView::clearAll() {
    m_plot->clearPlottables();
    m_plot->clearItems();
    // Keep row 0 (title) and the first axis rect; drop any extra axis rects.
    QCPLayoutGrid* grid = m_plot->plotLayout();
    for (int i = grid->elementCount() - 1; i >= 0; --i) {
        QCPLayoutElement* el = grid->elementAt(i);
        if (el && el != m_title && el != m_plot->axisRect(0))
            grid->remove(el);
    }
    grid->simplify();
}

QStringList PlotView::exportSuffixes() {
#ifdef ROOFLAB_HAVE_SVG
    return {QStringLiteral("png"), QStringLiteral("pdf"), QStringLiteral("svg")};
#else
    return {QStringLiteral("png"), QStringLiteral("pdf")};
#endif
}

bool PlotView::save(const QString& path, QString* error, int width, int height) const {
    if (width <= 0 || height <= 0) {
        width = m_plot->width() > 50 ? m_plot->width() : 1200;
        height = m_plot->height() > 50 ? m_plot->height() : 800;
    }
    const QString suffix = QFileInfo(path).suffix().toLower();
    bool ok = false;
    if (suffix == QStringLiteral("png")) {
        ok = m_plot->savePng(path, width, height);
    } else if (suffix == QStringLiteral("pdf")) {
        ok = m_plot->savePdf(path, width, height);
    } else if (suffix == QStringLiteral("svg")) {
#ifdef ROOFLAB_HAVE_SVG
        QSvgGenerator gen;
        gen.setFileName(path);
        gen.setSize(QSize(width, height));
        gen.setViewBox(QRect(0, 0, width, height));
        QCPPainter painter;
        ok = painter.begin(&gen);
        if (ok) {
            m_plot->toPainter(&painter, width, height);
            ok = painter.end();
        }
#else
        if (error)
            *error =
                tr("SVG export needs Qt SVG (package qt6-svg-dev), which this build does not have; use PNG or PDF");
        return false;
#endif
    } else {
        if (error)
            *error = tr("unknown plot format '%1' (use %2)").arg(suffix, exportSuffixes().join(QStringLiteral(", ")));
        return false;
    }
    if (!ok && error)
        *error = tr("could not write %1").arg(path);
    return ok;
}

QStringList PlotView::seriesNames() const {
    QStringList names;
    for (int i = 0; i < m_plot->plottableCount(); ++i)
        names << m_plot->plottable(i)->name();
    return names;
}

QVector<QPointF> PlotView::seriesData(const QString& name) const {
    QVector<QPointF> out;
    for (int i = 0; i < m_plot->plottableCount(); ++i) {
        QCPAbstractPlottable* p = m_plot->plottable(i);
        if (p->name() != name)
            continue;
        if (auto* g = qobject_cast<QCPGraph*>(p)) {
            for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it)
                if (std::isfinite(it->key) && std::isfinite(it->value))
                    out.push_back({it->key, it->value});
        } else if (auto* b = qobject_cast<QCPBars*>(p)) {
            for (auto it = b->data()->constBegin(); it != b->data()->constEnd(); ++it)
                out.push_back({it->key, it->value});
        }
        break;
    }
    return out;
}

} // namespace rooflab::gui
