#pragma once
/// @brief What the always-visible summary panel and every page's verdict say about one evaluation: latency, TTFT,
/// TPOT, tokens/s, memory per device against capacity, whether it fits (or why not), and the binding roof. Plain
/// values computed from an EvalOutput (Qt Core only), so the wording is tested without widgets.
#include "evaluation.hpp"
#include "io/validation_status.hpp"

#include <QColor>
#include <QString>

namespace rooflab::gui {

/// The state a result is in; pages mark anything but Fits.
enum class Verdict : unsigned char { Fits, DoesNotFit, Infeasible };

struct ResultSummary {
    Verdict verdict = Verdict::Fits;
    bool llm = true;
    QString verdictText; ///< "fits", "does NOT fit: 146.4 GB per device > 48 GB capacity", "infeasible: <reason>"
    QString latency;     ///< step latency (request: end-to-end)
    QString ttft;        ///< prefill and request; "—" where it does not apply
    QString tpot;        ///< decode, chunked and request; "—" where it does not apply
    QString tokensPerS;
    QString memory;            ///< "42.1 GB of 80 GB per device (53 %)"
    double memoryFraction = 0; ///< used / capacity per device (0 when unknown)
    QString bound;             ///< the binding roof in one sentence (the engine's own)
    QString boundShort;        ///< "memory-bound (DRAM)"
    /// How far the numbers can be trusted on this platform x stack (io/validation_status.hpp): the badge next to
    /// them and the error band on the latency plots.
    Confidence confidence;
};

/// @brief The summary of an evaluation; `llm` false for a GEMM (no memory verdict, no TTFT/TPOT).
ResultSummary summarizeOutcome(const EvalOutput& out, bool llm, GuiPhase phase);

/// @brief The confidence of the GUI's evaluation: LLM steps on a GPU (llm-step) or CPU (cpu-llm) with `stack`, a
/// GEMM as a kernel (no stack), from the shipped validation status and the platform's provenance.
Confidence confidenceOf(const Platform& platform, const StackProfile* stack, bool llm);

/// @brief Badge text ("validated ±4.5 %"), its colours (background, text) and the tooltip (the whole basis and
/// the commands that reproduce it).
QString confidenceBadgeText(const Confidence& c);
QString confidenceTooltip(const Confidence& c);
QColor confidenceColor(ConfidenceLevel level);

/// @brief The verdict of one step prediction alone (the Compare page's rows, the sweep's points): Infeasible when
/// the engine refused it, DoesNotFit when an LLM step exceeds device memory.
Verdict verdictOf(const Prediction& p, bool llm = true);

/// @brief The short mark pages stamp on a result that is not usable: "" (fits), "DOES NOT FIT", "INFEASIBLE".
QString verdictMark(Verdict v);

} // namespace rooflab::gui
