#include "result_summary.hpp"

#include "table_models.hpp"

#include <QObject>

namespace rooflab::gui {
namespace {

QString u8(std::string_view s) {
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

const QString kNotApplicable = QStringLiteral("—");

} // namespace

Verdict verdictOf(const Prediction& p, bool llm) {
    if (!p.ok)
        return Verdict::Infeasible;
    if (llm && !p.memory.fits)
        return Verdict::DoesNotFit;
    return Verdict::Fits;
}

QString verdictMark(Verdict v) {
    switch (v) {
    case Verdict::Fits:
        return {};
    case Verdict::DoesNotFit:
        return QObject::tr("DOES NOT FIT");
    case Verdict::Infeasible:
        return QObject::tr("INFEASIBLE");
    }
    return {};
}

ResultSummary summarizeOutcome(const EvalOutput& out, bool llm, GuiPhase phase) {
    ResultSummary s;
    s.llm = llm;
    const Prediction& p = out.prediction;
    s.verdict = verdictOf(p, llm);
    s.latency = s.ttft = s.tpot = s.tokensPerS = s.memory = s.bound = s.boundShort = kNotApplicable;
    if (s.verdict == Verdict::Infeasible) {
        // No numbers: an infeasible configuration has none, and zeros would read as "instant".
        s.verdictText = QObject::tr("infeasible: %1").arg(QString::fromStdString(p.error));
        return s;
    }
    const bool request = out.request.has_value();
    s.latency = formatSeconds(request ? out.request->e2eS : p.latencyS);
    if (request) {
        s.ttft = formatSeconds(out.request->ttftS);
        s.tpot = formatSeconds(out.request->tpotS);
        s.tokensPerS = formatSi(out.request->tokensPerS, QStringLiteral("tokens/s"));
    } else {
        if (phase == GuiPhase::Prefill && llm)
            s.ttft = formatSeconds(p.latencyS);
        if ((phase == GuiPhase::Decode || phase == GuiPhase::Chunked) && llm)
            s.tpot = formatSeconds(p.latencyS);
        if (llm)
            s.tokensPerS = formatSi(p.tokensPerS, QStringLiteral("tokens/s"));
    }
    s.boundShort = QObject::tr("%1-bound").arg(u8(boundName(p.bound)));
    s.bound = p.why.empty() ? s.boundShort : QString::fromStdString(p.why);
    if (!llm) {
        s.verdictText = QObject::tr("single GEMM: no memory verdict");
        return s;
    }
    // A request's peak is at its last decode step (the whole context cached).
    const MemoryUse& m = request ? out.request->endMemory : p.memory;
    const bool fits = request ? (m.fits && p.memory.fits) : m.fits;
    if (!fits)
        s.verdict = Verdict::DoesNotFit;
    s.memoryFraction = m.capacityBytes > 0 ? m.totalBytes / m.capacityBytes : 0;
    s.memory = QObject::tr("%1 of %2 per device (%3 %)")
                   .arg(formatBytes(m.totalBytes), formatBytes(m.capacityBytes))
                   .arg(s.memoryFraction * 100, 0, 'f', 0);
    const MemoryUse& step = p.memory;
    if (fits && step.beyondPositions) {
        // Memory would hold it, the model would not: longer than its positions is not a usable configuration.
        s.verdict = Verdict::DoesNotFit;
        s.verdictText = QObject::tr("fits in memory, but the sequence is longer than the model's %1 positions "
                                    "(max_position_embeddings)")
                            .arg(step.maxPositions);
    } else if (fits)
        s.verdictText = QObject::tr("fits (max batch %1 at this context)").arg(m.maxBatch);
    else
        s.verdictText = QObject::tr("does NOT fit: %1 per device > %2 capacity (max batch %3)")
                            .arg(formatBytes(m.totalBytes), formatBytes(m.capacityBytes))
                            .arg(m.maxBatch);
    return s;
}

Confidence confidenceOf(const Platform& platform, const StackProfile* stack, bool llm) {
    const PredictionScope scope = !llm                               ? PredictionScope::Kernel
                                  : platform.kind == DeviceKind::Cpu ? PredictionScope::CpuLlm
                                                                     : PredictionScope::LlmStep;
    return resolveConfidence(shippedValidationStatus(), platform, llm ? stack : nullptr, scope);
}

QString confidenceBadgeText(const Confidence& c) {
    return QString::fromStdString(c.badge());
}

QString confidenceTooltip(const Confidence& c) {
    QString t = QString::fromStdString(c.summary());
    for (const ValidationEntry& e : c.entries)
        t += QStringLiteral("\n%1: %2").arg(QString::fromStdString(e.id), QString::fromStdString(e.command));
    return t;
}

QColor confidenceColor(ConfidenceLevel level) {
    switch (level) {
    case ConfidenceLevel::Validated:
        return QColor(0x2e, 0x7d, 0x32); // green
    case ConfidenceLevel::Calibrated:
        return QColor(0xf9, 0xa8, 0x25); // amber
    case ConfidenceLevel::DatasheetOnly:
        return QColor(0x75, 0x75, 0x75); // grey
    }
    return QColor(0x75, 0x75, 0x75);
}

} // namespace rooflab::gui
