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
    const std::pair<QString, QLabel*> cells[] = {{tr("Latency"), m_latency},
                                                 {tr("TTFT"), m_ttft},
                                                 {tr("TPOT"), m_tpot},
                                                 {tr("Throughput"), m_tokens},
                                                 {tr("Memory"), m_memory}};
    int col = 0;
    for (const auto& [name, label] : cells) {
        auto* head = new QLabel(name);
        head->setStyleSheet(QStringLiteral("color: palette(mid);"));
        grid->addWidget(head, 0, col);
        grid->addWidget(label, 1, col);
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
    const QString mark = verdictMark(s.verdict);
    m_verdict->setText(mark.isEmpty() ? tr("✔ %1").arg(s.verdictText) : tr("⚠ %1 — %2").arg(mark, s.verdictText));
    const char* color = s.verdict == Verdict::Fits ? "#1b5e20" : "#b00020";
    m_verdict->setStyleSheet(QStringLiteral("color: %1;").arg(QLatin1String(color)));
    // The frame itself turns red for anything that cannot run, visible from any page.
    setStyleSheet(s.verdict == Verdict::Fits ? QString()
                                             : QStringLiteral("QFrame#resultSummary { border: 2px solid #b00020; }"));
}

QString ResultSummaryPanel::text() const {
    return tr("Verdict: %1\nLatency: %2\nTTFT: %3\nTPOT: %4\nThroughput: %5\nMemory: %6\n%7")
        .arg(m_verdict->text(), m_latency->text(), m_ttft->text(), m_tpot->text(), m_tokens->text(), m_memory->text(),
             m_bound->text());
}

} // namespace rooflab::gui
