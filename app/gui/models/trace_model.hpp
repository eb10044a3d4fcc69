#pragma once
/// @brief The Trace page's data: a CUPTI kernel trace (idx,name,class,...,start_ns,end_ns,duration_ns) summed per
/// kernel class, against the prediction's time per operator class. Parsing only; the prediction comes from the
/// engine (predictStep).
#include "analysis/llm_engine.hpp"

#include <QAbstractTableModel>
#include <QString>
#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace rooflab::gui {

/// The kernel classes of a trace, in display order.
inline constexpr int kTraceClassCount = 8;
extern const std::array<const char*, kTraceClassCount>
    kTraceClasses; // gemm attention norm elementwise rope copy collective other

/// Index in kTraceClasses of a trace `class` cell (unknown names count as "other").
int traceClassIndex(const std::string& name);
/// The trace class an engine operator class is compared with.
int traceClassOf(OpClass c);

struct KernelTrace {
    std::string file;
    std::array<double, kTraceClassCount> measuredNs{}; ///< sum of duration_ns per class
    std::array<int, kTraceClassCount> kernels{};
    double totalNs = 0; ///< sum of every duration_ns
    int64_t spanNs = 0; ///< last end_ns - first start_ns
    int kernelCount = 0;
};

/// Loads a trace CSV (io::loadCsvFile). Throws InputError on a missing column or a bad cell.
KernelTrace loadKernelTrace(const std::string& path);

/// @brief What a trace file name `trace_<model>-<phase>-b<B>-p<P>-c<C>-tp<T>[-<stack>].csv` and its folder say
/// about its scenario. A trace was taken on one stack and one platform, which need not be the sidebar's: the
/// stack is the name's suffix (else the PyTorch harness that took the shipped traces, kDefaultStackName); the
/// platform is the folder's name when a shipped platform is called so (datasets/<vendor>/<platform>/).
struct TraceScenarioId {
    std::string model;
    Phase phase = Phase::Decode;
    int64_t batch = 1, prompt = 0, context = 0;
    int tp = 1;
    std::string stack;    ///< from the name's suffix; empty: not named
    std::string platform; ///< the folder's name when it is a shipped platform; else empty
};
std::optional<TraceScenarioId> parseTraceFileName(const QString& path);

/// Steps the trace holds (e.g. three replays of a decode step): its norm kernels over the prediction's norm kernels
/// per step, rounded, at least 1 (1 when either has none).
int estimateTraceSteps(const KernelTrace& trace, const Prediction& p);

/// Predicted seconds per trace class (op.totalS() summed).
std::array<double, kTraceClassCount> predictedByClass(const Prediction& p);

/// @brief Measured vs predicted per class: one row per class, then "total" (sum of kernels) and "span" (trace
/// end - start, against the predicted step latency). Measured values are per step: the trace divided by `steps`.
class TraceCompareModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Class, Kernels, MeasuredMs, PredictedMs, ErrorPct, ColumnCount };
    enum { TotalRow = kTraceClassCount, SpanRow, RowCount };
    explicit TraceCompareModel(QObject* parent = nullptr);

    void setData(const KernelTrace& trace, const Prediction& p, int steps = 1);
    int steps() const { return m_steps; }
    void clear();
    bool hasData() const { return m_has; }

    /// Measured / predicted seconds of a row (0 when none).
    double measuredS(int row) const;
    double predictedS(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;

private:
    bool m_has = false;
    KernelTrace m_trace;
    std::array<double, kTraceClassCount> m_pred{};
    double m_predLatencyS = 0;
    int m_steps = 1;
};

} // namespace rooflab::gui
