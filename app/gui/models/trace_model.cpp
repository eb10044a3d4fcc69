#include "models/trace_model.hpp"

#include "io/csv.hpp"
#include "io/data_paths.hpp"
#include "units/errors.hpp"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace rooflab::gui {

const std::array<const char*, kTraceClassCount> kTraceClasses = {"gemm", "attention", "norm",       "elementwise",
                                                                 "rope", "copy",      "collective", "other"};

int traceClassIndex(const std::string& name) {
    for (int i = 0; i < kTraceClassCount; ++i)
        if (name == kTraceClasses[static_cast<std::size_t>(i)])
            return i;
    return kTraceClassCount - 1;
}

int traceClassOf(OpClass c) {
    switch (c) {
    case OpClass::Gemm:
        return 0;
    case OpClass::Attention:
        return 1;
    case OpClass::Norm:
        return 2;
    case OpClass::Elementwise:
    case OpClass::Other:
        return 3;
    case OpClass::Rope:
        return 4;
    case OpClass::KvAppend:
    case OpClass::Embedding:
        return 5;
    case OpClass::Collective:
        return 6;
    }
    return 3;
}

namespace {

int64_t integerCell(const io::CsvTable& t, std::size_t row, int col) {
    const std::string& s = t.text(row, col);
    int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size())
        throw InputError(t.file + ":" + std::to_string(t.rowLines[row]) + ": column '" + t.header[std::size_t(col)] +
                         "': not an integer: '" + s + "'");
    return v;
}

} // namespace

KernelTrace loadKernelTrace(const std::string& path) {
    const io::CsvTable t = io::loadCsvFile(path);
    const int cls = t.requireColumn("class");
    const int start = t.requireColumn("start_ns");
    const int end = t.requireColumn("end_ns");
    const int dur = t.requireColumn("duration_ns");
    KernelTrace k;
    k.file = path;
    int64_t first = std::numeric_limits<int64_t>::max(), last = std::numeric_limits<int64_t>::min();
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
        const double d = t.number(r, dur, 0, 1e15);
        const int c = traceClassIndex(t.text(r, cls));
        k.measuredNs[std::size_t(c)] += d;
        k.kernels[std::size_t(c)] += 1;
        k.totalNs += d;
        ++k.kernelCount;
        first = std::min(first, integerCell(t, r, start));
        last = std::max(last, integerCell(t, r, end));
    }
    if (k.kernelCount == 0)
        throw InputError(path + ": the trace has no kernels");
    k.spanNs = last - first;
    return k;
}

std::optional<TraceScenarioId> parseTraceFileName(const QString& path) {
    static const QRegularExpression re(
        QStringLiteral("^trace_(.+)-(prefill|decode)-b(\\d+)-p(\\d+)-c(\\d+)-tp(\\d+)(?:-([A-Za-z0-9_.-]+))?\\.csv$"));
    const auto m = re.match(QFileInfo(path).fileName());
    if (!m.hasMatch())
        return std::nullopt;
    TraceScenarioId id;
    id.model = m.captured(1).toStdString();
    id.phase = m.captured(2) == QStringLiteral("prefill") ? Phase::Prefill : Phase::Decode;
    id.batch = m.captured(3).toLongLong();
    id.prompt = m.captured(4).toLongLong();
    id.context = m.captured(5).toLongLong();
    id.tp = m.captured(6).toInt();
    id.stack = m.captured(7).toStdString();
    if (id.batch < 1 || id.tp < 1)
        return std::nullopt;
    const std::string folder = QFileInfo(path).absoluteDir().dirName().toStdString();
    const auto names = io::listPlatformNames();
    if (std::find(names.begin(), names.end(), folder) != names.end())
        id.platform = folder;
    return id;
}

int estimateTraceSteps(const KernelTrace& trace, const Prediction& p) {
    double norms = 0;
    for (const OpResult& op : p.ops)
        if (op.cls == OpClass::Norm)
            norms += op.count * op.kernels;
    const int measured = trace.kernels[std::size_t(traceClassIndex("norm"))];
    if (norms <= 0 || measured <= 0)
        return 1;
    return std::max(1, static_cast<int>(std::lround(measured / norms)));
}

std::array<double, kTraceClassCount> predictedByClass(const Prediction& p) {
    std::array<double, kTraceClassCount> out{};
    for (const OpResult& op : p.ops)
        out[std::size_t(traceClassOf(op.cls))] += op.totalS();
    return out;
}

TraceCompareModel::TraceCompareModel(QObject* parent) : QAbstractTableModel(parent) {}

void TraceCompareModel::setData(const KernelTrace& trace, const Prediction& p, int steps) {
    beginResetModel();
    m_steps = std::max(1, steps);
    m_trace = trace;
    m_pred = predictedByClass(p);
    m_predLatencyS = p.latencyS;
    m_has = true;
    endResetModel();
}

void TraceCompareModel::clear() {
    beginResetModel();
    m_has = false;
    m_trace = {};
    m_pred = {};
    m_predLatencyS = 0;
    m_steps = 1;
    endResetModel();
}

double TraceCompareModel::measuredS(int row) const {
    if (!m_has || row < 0 || row >= RowCount)
        return 0;
    const double perStep = 1e-9 / m_steps;
    if (row == TotalRow)
        return m_trace.totalNs * perStep;
    if (row == SpanRow)
        return double(m_trace.spanNs) * perStep;
    return m_trace.measuredNs[std::size_t(row)] * perStep;
}

double TraceCompareModel::predictedS(int row) const {
    if (!m_has || row < 0 || row >= RowCount)
        return 0;
    if (row == TotalRow) {
        double s = 0;
        for (double v : m_pred)
            s += v;
        return s;
    }
    if (row == SpanRow)
        return m_predLatencyS;
    return m_pred[std::size_t(row)];
}

int TraceCompareModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() || !m_has ? 0 : RowCount;
}

int TraceCompareModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TraceCompareModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= ColumnCount)
        return {};
    const int r = index.row();
    const double meas = measuredS(r), pred = predictedS(r);
    const double err = meas > 0 ? (pred - meas) / meas * 100 : std::numeric_limits<double>::quiet_NaN();
    if (role == Qt::TextAlignmentRole)
        return index.column() == Class ? QVariant(int(Qt::AlignLeft | Qt::AlignVCenter))
                                       : QVariant(int(Qt::AlignRight | Qt::AlignVCenter));
    if (role == Qt::UserRole) {
        switch (index.column()) {
        case Class:
            return r < kTraceClassCount ? QString::fromLatin1(kTraceClasses[std::size_t(r)]) : QString();
        case Kernels:
            return r < kTraceClassCount ? m_trace.kernels[std::size_t(r)] : m_trace.kernelCount;
        case MeasuredMs:
            return meas * 1e3;
        case PredictedMs:
            return pred * 1e3;
        case ErrorPct:
            return err;
        default:
            return {};
        }
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Class:
        if (r == TotalRow)
            return tr("total (sum of kernels)");
        if (r == SpanRow)
            return tr("span (end − start) vs step latency");
        return QString::fromLatin1(kTraceClasses[std::size_t(r)]);
    case Kernels:
        return r < kTraceClassCount ? m_trace.kernels[std::size_t(r)] : m_trace.kernelCount;
    case MeasuredMs:
        return QString::number(meas * 1e3, 'f', 4);
    case PredictedMs:
        return QString::number(pred * 1e3, 'f', 4);
    case ErrorPct:
        return std::isfinite(err) ? QString::number(err, 'f', 1) : QStringLiteral("—");
    default:
        return {};
    }
}

QVariant TraceCompareModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, o, role);
    switch (section) {
    case Class:
        return tr("Class");
    case Kernels:
        return tr("Kernels");
    case MeasuredMs:
        return tr("Measured per step (ms)");
    case PredictedMs:
        return tr("Predicted (ms)");
    case ErrorPct:
        return tr("Error (%)");
    default:
        return {};
    }
}

} // namespace rooflab::gui
