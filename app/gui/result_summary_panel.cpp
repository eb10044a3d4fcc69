#include "result_summary_panel.hpp"

#include <QGridLayout>
#include <QLabel>

namespace rooflab::gui {
namespace {

QLabel* valueLabel() {
    auto* l = new QLabel;
    l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return l;
}

} // namespace

ResultSummaryPanel::ResultSummaryPanel(QWidget* parent) : QFrame(parent) {
    setObjectName(QStringLiteral("resultSummary"));
    setFrameShape(QFrame::StyledPanel);
    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(8, 4, 8, 4);
    grid->setHorizontalSpacing(14);
    grid->setVerticalSpacing(2);
    m_verdict = valueLabel();
    m_verdict->setWordWrap(true);
    QFont bold = m_verdict->font();
    bold.setBold(true);
    m_verdict->setFont(bold);
    m_latency = valueLabel();
    m_ttft = valueLabel();
    m_tpot = valueLabel();
    m_tokens = valueLabel();
    m_memory = valueLabel();
    m_bound = valueLabel();
    m_bound->setWordWrap(true);
    // Next to the numbers: how far they can be trusted (validated / calibrated / datasheet only).
    m_confidence = new QLabel;
    m_confidence->setObjectName(QStringLiteral("confidenceBadge"));
    const std::pair<QString, QLabel*> cells[] = {{tr("Latency"), m_latency}, {tr("TTFT"), m_ttft},
                                                 {tr("TPOT"), m_tpot},       {tr("Throughput"), m_tokens},
                                                 {tr("Memory"), m_memory},   {tr("Confidence"), m_confidence}};
    int col = 0;
    for (const auto& [name, label] : cells) {
        auto* head = new QLabel(name);
        head->setStyleSheet(QStringLiteral("color: palette(mid);"));
        grid->addWidget(head, 0, col);
        grid->addWidget(label, 1, col, label == m_confidence ? Qt::AlignLeft : Qt::Alignment());
        ++col;
    }
    grid->addWidget(m_verdict, 2, 0, 1, col);
    grid->addWidget(m_bound, 3, 0, 1, col);
    grid->setColumnStretch(col - 1, 1);
    setSummary(ResultSummary{});
}

void ResultSummaryPanel::setSummary(const ResultSummary& s) {
    m_summary = s;
    m_latency->setText(s.latency);
    m_ttft->setText(s.ttft);
    m_tpot->setText(s.tpot);
    m_tokens->setText(s.tokensPerS);
    m_memory->setText(s.memory);
    m_bound->setText(s.bound.isEmpty() ? QString() : tr("Bound: %1").arg(s.bound));
    const QColor badge = confidenceColor(s.confidence.level);
    m_confidence->setText(confidenceBadgeText(s.confidence));
    m_confidence->setToolTip(confidenceTooltip(s.confidence));
    m_confidence->setStyleSheet(
        QStringLiteral("QLabel#confidenceBadge { background: %1; color: %2; border-radius: 3px; "
                       "padding: 1px 6px; }")
            .arg(badge.name(), s.confidence.level == ConfidenceLevel::Calibrated ? QStringLiteral("#212121")
                                                                                 : QStringLiteral("white")));
    const QString mark = verdictMark(s.verdict);
    m_verdict->setText(mark.isEmpty() ? tr("✔ %1").arg(s.verdictText) : tr("⚠ %1 — %2").arg(mark, s.verdictText));
    const char* color = s.verdict == Verdict::Fits ? "#1b5e20" : "#b00020";
    m_verdict->setStyleSheet(QStringLiteral("color: %1;").arg(QLatin1String(color)));
    // The frame itself turns red for anything that cannot run, visible from any page.
    setStyleSheet(s.verdict == Verdict::Fits ? QString()
                                             : QStringLiteral("QFrame#resultSummary { border: 2px solid #b00020; }"));
}

QString ResultSummaryPanel::text() const {
    return tr("Verdict: %1\nLatency: %2\nTTFT: %3\nTPOT: %4\nThroughput: %5\nMemory: %6\nConfidence: %7\n%8")
        .arg(m_verdict->text(), m_latency->text(), m_ttft->text(), m_tpot->text(), m_tokens->text(), m_memory->text(),
             m_confidence->text(), m_bound->text());
}

} // namespace rooflab::gui
