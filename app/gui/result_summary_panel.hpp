#pragma once
/// @brief The result summary above every page: latency, TTFT, TPOT, tokens/s, memory per device against capacity,
/// whether the configuration fits (or why not) and the binding roof. Always visible, so "does not fit" and
/// "infeasible" can never hide in a plot title or the end of the status bar (issue 19).
#include "models/result_summary.hpp"

#include <QFrame>

class QLabel;

namespace rooflab::gui {

class ResultSummaryPanel : public QFrame {
    Q_OBJECT
public:
    explicit ResultSummaryPanel(QWidget* parent = nullptr);

    void setSummary(const ResultSummary& s);
    const ResultSummary& summary() const { return m_summary; }
    /// Every label's text in reading order, "name: value" per line (tests, screenshots' alt text).
    QString text() const;
    /// The confidence badge (tests: its text, tooltip and colour).
    const QLabel* confidenceBadge() const { return m_confidence; }

private:
    ResultSummary m_summary;
    QLabel* m_verdict = nullptr;
    QLabel* m_latency = nullptr;
    QLabel* m_ttft = nullptr;
    QLabel* m_tpot = nullptr;
    QLabel* m_tokens = nullptr;
    QLabel* m_memory = nullptr;
    QLabel* m_bound = nullptr;
    QLabel* m_confidence = nullptr;
};

} // namespace rooflab::gui
