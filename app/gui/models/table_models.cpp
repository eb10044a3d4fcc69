#include "table_models.hpp"

#include "io/platform_loader.hpp"

#include <QSaveFile>
#include <QStringList>
#include <cmath>

namespace rooflab::gui {

// ---------------------------------------------------------------- formatting

QString formatSi(double v, const QString& unit, int precision) {
    if (!std::isfinite(v))
        return QStringLiteral("-");
    static const struct {
        double scale;
        const char* prefix;
    } kPrefixes[] = {{1e15, "P"}, {1e12, "T"}, {1e9, "G"},  {1e6, "M"},  {1e3, "k"},
                     {1, ""},     {1e-3, "m"}, {1e-6, "µ"}, {1e-9, "n"}, {1e-12, "p"}};
    const double a = std::abs(v);
    if (a == 0)
        return QStringLiteral("0 ") + unit;
    for (const auto& p : kPrefixes)
        if (a >= p.scale * 0.9999)
            return QString::number(v / p.scale, 'g', precision) + QLatin1Char(' ') + QString::fromUtf8(p.prefix) + unit;
    return QString::number(v, 'g', precision) + QLatin1Char(' ') + unit;
}

QString formatBytes(double bytes) {
    // Decimal prefixes, as the CLI and the platform files (80 GB is 80e9 B): one convention everywhere (issue 19).
    return formatSi(bytes, QStringLiteral("B"));
}

QString formatSeconds(double s) {
    return formatSi(s, QStringLiteral("s"));
}

QString outcomeStatus(const EvalOutput& out, bool llm) {
    const Prediction& p = out.prediction;
    if (!p.ok)
        return QObject::tr("⚠ infeasible: %1").arg(QString::fromStdString(p.error));
    QString status = p.why.empty()
                         ? QObject::tr("%1-bound").arg(QString::fromStdString(std::string(boundName(p.bound))))
                         : QString::fromStdString(p.why);
    if (out.request)
        status = QObject::tr("TTFT %1, TPOT %2, end-to-end %3 — prefill %4")
                     .arg(formatSeconds(out.request->ttftS), formatSeconds(out.request->tpotS),
                          formatSeconds(out.request->e2eS), status);
    if (llm && !p.memory.fits)
        status += QObject::tr(" — does NOT fit in memory (%1 of %2; max batch %3)")
                      .arg(formatBytes(p.memory.totalBytes), formatBytes(p.memory.capacityBytes))
                      .arg(p.memory.maxBatch);
    return status;
}

// ---------------------------------------------------------------- base

int ResultTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(columns().size());
}

QVariant ResultTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= columns().size())
        return QAbstractTableModel::headerData(section, orientation, role);
    const Column& c = columns()[section];
    if (role == Qt::DisplayRole)
        return c.unit.isEmpty() ? c.title : c.title + QStringLiteral(" (") + c.unit + QLatin1Char(')');
    return {};
}

namespace {
bool validCell(const QAbstractItemModel& m, const QModelIndex& index) {
    return index.isValid() && !index.parent().isValid() && index.row() < m.rowCount() &&
           index.column() < m.columnCount();
}
QVariant num(double v, int role, int precision = 4) {
    if (role == kSortRole)
        return v;
    return QString::number(v, 'g', precision);
}
QString str(const std::string& s) {
    return QString::fromStdString(s);
}
} // namespace

// ---------------------------------------------------------------- operators

const QVector<ResultTableModel::Column>& OperatorTableModel::columns() const {
    static const QVector<Column> kCols = {{"Operator", ""},    {"Class", ""},           {"Count", ""},
                                          {"Shape M×N×K", ""}, {"Flops", "GFLOP"},      {"DRAM bytes", "MB"},
                                          {"L2 bytes", "MB"},  {"Intensity", "flop/B"}, {"Time", "µs"},
                                          {"Total", "µs"},     {"Share", "%"},          {"Bound", ""}};
    return kCols;
}

void OperatorTableModel::setPrediction(const Prediction& p) {
    beginResetModel();
    m_prediction = p;
    endResetModel();
}

int OperatorTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_prediction.ops.size());
}

QVariant OperatorTableModel::data(const QModelIndex& index, int role) const {
    if (!validCell(*this, index) ||
        (role != Qt::DisplayRole && role != kSortRole && role != Qt::ToolTipRole && role != Qt::TextAlignmentRole))
        return {};
    const OpResult& op = m_prediction.ops[std::size_t(index.row())];
    if (role == Qt::TextAlignmentRole)
        return index.column() <= Shape || index.column() == Bound ? QVariant()
                                                                  : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole)
        return QStringLiteral("%1: %2 per occurrence, %3 occurrences, bound by %4")
            .arg(QString::fromUtf8(op.name), formatSeconds(op.timeS), QString::number(op.count),
                 QString::fromUtf8(boundName(op.bound).data(), qsizetype(boundName(op.bound).size())));
    double total = 0;
    for (const auto& o : m_prediction.ops)
        total += o.totalS();
    switch (index.column()) {
    case Name:
        return QString::fromUtf8(op.name);
    case Class:
        return str(std::string(opClassName(op.cls)));
    case Count:
        return num(op.count, role);
    case Shape:
        if (role == kSortRole)
            return double(op.m) * double(op.n) * double(op.k);
        return op.m > 0 ? QStringLiteral("%1×%2×%3").arg(op.m).arg(op.n).arg(op.k) : QString();
    case Flops:
        return num(op.flops / 1e9, role);
    case DramBytes:
        return num(op.bytes[kDram] / 1e6, role);
    case L2Bytes:
        return num(op.bytes[kL2] / 1e6, role);
    case Intensity:
        return num(op.bytes[kDram] > 0 ? op.flops / op.bytes[kDram] : 0.0, role);
    case TimeUs:
        return num(op.timeS * 1e6, role);
    case TotalUs:
        return num(op.totalS() * 1e6, role);
    case SharePct:
        return num(total > 0 ? op.totalS() / total * 100.0 : 0.0, role, 3);
    case Bound:
        return str(std::string(boundName(op.bound)));
    default:
        return {};
    }
}

// ---------------------------------------------------------------- platform values

const QVector<ResultTableModel::Column>& PlatformValuesModel::columns() const {
    static const QVector<Column> kCols = {{"Key", ""},  {"Value", ""},           {"Source", ""},
                                          {"Kind", ""}, {"Citation / tool", ""}, {"Line", ""}};
    return kCols;
}

void PlatformValuesModel::setPlatform(const Platform& p) {
    QVector<Row> rows;
    auto add = [&](const QString& key, const rooflab::Value& v, const QString& formatted) {
        if (!v.present)
            return;
        Row r;
        r.key = key;
        r.value = formatted;
        r.si = v.si;
        r.source = str(v.source);
        r.line = v.line;
        auto it = p.sources.find(v.source);
        if (it != p.sources.end()) {
            const rooflab::Source& s = it->second;
            r.kind = str(std::string(sourceKindName(s.kind)));
            QStringList parts;
            for (const std::string* f : {&s.citation, &s.tool, &s.date, &s.card, &s.driver, &s.note})
                if (!f->empty())
                    parts << str(*f);
            r.citation = parts.join(QStringLiteral("; "));
        } else if (v.source.empty()) {
            r.kind = QStringLiteral("derived");
        }
        rows.push_back(r);
    };
    auto rate = [](const rooflab::Value& v) { return formatSi(v.si, QStringLiteral("FLOP/s")); };
    auto bw = [](const rooflab::Value& v) { return formatSi(v.si, QStringLiteral("B/s")); };
    auto sec = [](const rooflab::Value& v) { return formatSeconds(v.si); };
    auto plain = [](const rooflab::Value& v) { return QString::number(v.si, 'g', 6); };
    auto frac = [](const rooflab::Value& v) { return QString::number(v.si, 'g', 4); };

    add(QStringLiteral("devices_per_node"), p.devicesPerNode, plain(p.devicesPerNode));
    for (const auto& e : p.compute) {
        const QString base = QStringLiteral("compute.") + str(e.name) + QLatin1Char('.');
        add(base + QStringLiteral("units"), e.units, plain(e.units));
        add(base + QStringLiteral("clock"), e.clockHz, formatSi(e.clockHz.si, QStringLiteral("Hz")));
        for (std::size_t t = 0; t < kDTypeCount; ++t)
            add(base + QStringLiteral("peak.") + str(std::string(dtypeName(DType(t)))), e.peakFlopPerS[t],
                rate(e.peakFlopPerS[t]));
    }
    for (const auto& m : p.memory) {
        const QString base = QStringLiteral("memory.") + str(m.name) + QLatin1Char('.');
        add(base + QStringLiteral("capacity") + (m.perUnit ? QStringLiteral(" (per unit)") : QString()),
            m.capacityBytes, formatBytes(m.capacityBytes.si));
        add(base + QStringLiteral("read"), m.readBytesPerS, bw(m.readBytesPerS));
        add(base + QStringLiteral("write"), m.writeBytesPerS, bw(m.writeBytesPerS));
        add(base + QStringLiteral("copy"), m.copyBytesPerS, bw(m.copyBytesPerS));
        add(base + QStringLiteral("latency"), m.latencyS, sec(m.latencyS));
    }
    for (const auto& [name, l] : {std::pair{"host_link", &p.hostLink}, std::pair{"scale_up", &p.scaleUp},
                                  std::pair{"scale_out", &p.scaleOut}}) {
        const QString base = QString::fromLatin1(name) + QLatin1Char('.');
        add(base + QStringLiteral("bandwidth"), l->bytesPerS, bw(l->bytesPerS));
        add(base + QStringLiteral("latency"), l->latencyS, sec(l->latencyS));
        add(base + QStringLiteral("devices_per_node"), l->devicesPerNode, plain(l->devicesPerNode));
    }
    add(QStringLiteral("launch_overhead"), p.launchOverheadS, sec(p.launchOverheadS));
    add(QStringLiteral("power.tdp"), p.power.tdpW, formatSi(p.power.tdpW.si, QStringLiteral("W")));
    add(QStringLiteral("power.idle"), p.power.idleW, formatSi(p.power.idleW.si, QStringLiteral("W")));
    add(QStringLiteral("power.dram_energy"), p.power.joulesPerByteDram,
        formatSi(p.power.joulesPerByteDram.si, QStringLiteral("J/B")));
    add(QStringLiteral("power.flop_energy"), p.power.joulesPerFlop,
        formatSi(p.power.joulesPerFlop.si, QStringLiteral("J/flop")));
    const Efficiency& e = p.efficiency;
    for (const auto& c : rooflab::io::efficiencyEntries(e))
        add(QStringLiteral("efficiency.") + str(c.key), *c.value,
            c.dimension == Dimension::Seconds          ? sec(*c.value)
            : c.dimension == Dimension::BytesPerSecond ? bw(*c.value)
            : c.dimension == Dimension::FlopPerSecond  ? rate(*c.value)
                                                       : frac(*c.value));

    beginResetModel();
    m_rows = std::move(rows);
    endResetModel();
}

int PlatformValuesModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

QVariant PlatformValuesModel::data(const QModelIndex& index, int role) const {
    if (!validCell(*this, index))
        return {};
    const Row& r = m_rows[index.row()];
    if (role == Qt::ToolTipRole)
        return r.citation.isEmpty() ? QVariant() : QVariant(r.citation);
    if (role != Qt::DisplayRole && role != kSortRole)
        return {};
    switch (index.column()) {
    case Key:
        return r.key;
    case Value:
        return role == kSortRole ? QVariant(r.si) : QVariant(r.value);
    case Source:
        return r.source;
    case Kind:
        return r.kind;
    case Citation:
        return r.citation;
    case Line:
        return role == kSortRole ? QVariant(r.line) : QVariant(r.line > 0 ? QString::number(r.line) : QString());
    default:
        return {};
    }
}

// ---------------------------------------------------------------- sweep

const QVector<ResultTableModel::Column>& SweepModel::columns() const {
    static const QVector<Column> kCols = {{"x", ""}, {"Latency", "ms"}, {"Throughput", "tokens/s"}, {"Fits", ""}};
    return kCols;
}

QVariant SweepModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation == Qt::Horizontal && section == X && role == Qt::DisplayRole)
        return m_series.xName.empty() ? QStringLiteral("x") : str(m_series.xName);
    return ResultTableModel::headerData(section, orientation, role);
}

void SweepModel::setSeries(const SweepSeries& s) {
    beginResetModel();
    m_series = s;
    endResetModel();
}

int SweepModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_series.points.size());
}

QVariant SweepModel::data(const QModelIndex& index, int role) const {
    if (!validCell(*this, index) || (role != Qt::DisplayRole && role != kSortRole))
        return {};
    const SweepPoint& p = m_series.points[std::size_t(index.row())];
    switch (index.column()) {
    case X:
        return num(p.x, role, 10);
    case LatencyMs:
        return p.ok ? num(p.latencyS * 1e3, role) : QVariant();
    case TokensPerS:
        return p.ok ? num(p.tokensPerS, role) : QVariant();
    case Fits:
        if (role == kSortRole)
            return p.fits ? 1 : 0;
        return !p.ok ? QStringLiteral("invalid") : p.fits ? QStringLiteral("yes") : QStringLiteral("no");
    default:
        return {};
    }
}

// ---------------------------------------------------------------- compare

const QVector<ResultTableModel::Column>& CompareModel::columns() const {
    static const QVector<Column> kCols = {{"Platform", ""},        {"Latency", "ms"},  {"Throughput", "tokens/s"},
                                          {"Memory/device", "GB"}, {"Capacity", "GB"}, {"Fits", ""},
                                          {"Bound", ""},           {"Problem", ""}};
    return kCols;
}

void CompareModel::setPlatforms(const std::vector<ComparedPlatform>& platforms) {
    beginResetModel();
    m_rows = platforms;
    endResetModel();
}

int CompareModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

QVariant CompareModel::data(const QModelIndex& index, int role) const {
    if (!validCell(*this, index))
        return {};
    const ComparedPlatform& c = m_rows[std::size_t(index.row())];
    const Prediction& p = c.prediction;
    if (role == Qt::ToolTipRole && index.column() == Problem)
        return p.ok ? QVariant() : str(p.error);
    if (role != Qt::DisplayRole && role != kSortRole)
        return {};
    switch (index.column()) {
    case Platform:
        return str(c.name);
    case LatencyMs:
        return p.ok ? num(p.latencyS * 1e3, role) : QVariant();
    case TokensPerS:
        return p.ok ? num(p.tokensPerS, role) : QVariant();
    case MemoryGb:
        return p.ok ? num(p.memory.totalBytes * 1e-9, role) : QVariant();
    case CapacityGb:
        return p.ok ? num(p.memory.capacityBytes * 1e-9, role) : QVariant();
    case Fits:
        if (role == kSortRole)
            return p.ok && p.memory.fits ? 1 : 0;
        return !p.ok ? QStringLiteral("infeasible") : p.memory.fits ? QStringLiteral("yes") : QStringLiteral("no");
    case Bound:
        return p.ok ? QVariant(QString::fromUtf8(boundName(p.bound).data())) : QVariant();
    case Problem:
        if (!p.ok)
            return str(p.error);
        if (!p.memory.fits)
            return QObject::tr("needs %1 per device, %2 available (max batch %3)")
                .arg(formatBytes(p.memory.totalBytes), formatBytes(p.memory.capacityBytes))
                .arg(p.memory.maxBatch);
        return QString();
    default:
        return {};
    }
}

// ---------------------------------------------------------------- validation

const QVector<ResultTableModel::Column>& ValidationModel::columns() const {
    static const QVector<Column> kCols = {{"Id", ""},          {"Model", ""},   {"Phase", ""},  {"Batch", ""},
                                          {"Prompt", ""},      {"Context", ""}, {"TP", ""},     {"Measured", "ms"},
                                          {"Predicted", "ms"}, {"Error", "%"},  {"Problem", ""}};
    return kCols;
}

void ValidationModel::setResult(const ValidationReport& r) {
    beginResetModel();
    m_result = r;
    endResetModel();
}

int ValidationModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_result.rows.size());
}

QVariant ValidationModel::data(const QModelIndex& index, int role) const {
    if (!validCell(*this, index))
        return {};
    // The problem text is long (file, line, key, reason): the whole of it as a tooltip, the cell is cut off.
    if (role == Qt::ToolTipRole) {
        const ValidationRow& r = m_result.rows[std::size_t(index.row())];
        return index.column() == Error && !r.error.empty() ? QVariant(str(r.error)) : QVariant();
    }
    if (role != Qt::DisplayRole && role != kSortRole)
        return {};
    const ValidationRow& r = m_result.rows[std::size_t(index.row())];
    const bool ok = r.error.empty();
    switch (index.column()) {
    case Id:
        return str(r.id);
    case Model:
        return str(r.model);
    case Phase:
        return str(r.phase);
    case Batch:
        return num(double(r.batch), role, 10);
    case Prompt:
        return num(double(r.prompt), role, 10);
    case Context:
        return num(double(r.context), role, 10);
    case Tp:
        return num(r.tp, role);
    case MeasuredMs:
        return num(r.measuredS * 1e3, role);
    case PredictedMs:
        return ok ? num(r.predictedS * 1e3, role) : QVariant();
    case ErrorPct:
        return ok ? num(r.errorPct, role, 3) : QVariant();
    case Error:
        return str(r.error);
    default:
        return {};
    }
}

// ---------------------------------------------------------------- CSV

QString tableToCsv(const QAbstractItemModel& model) {
    auto quote = [](QString s) {
        if (s.contains(QLatin1Char(',')) || s.contains(QLatin1Char('"')) || s.contains(QLatin1Char('\n'))) {
            s.replace(QStringLiteral("\""), QStringLiteral("\"\""));
            return QLatin1Char('"') + s + QLatin1Char('"');
        }
        return s;
    };
    QString out;
    const int cols = model.columnCount();
    QStringList cells;
    for (int c = 0; c < cols; ++c)
        cells << quote(model.headerData(c, Qt::Horizontal, Qt::DisplayRole).toString());
    out += cells.join(QLatin1Char(',')) + QLatin1Char('\n');
    for (int r = 0; r < model.rowCount(); ++r) {
        cells.clear();
        for (int c = 0; c < cols; ++c)
            cells << quote(model.data(model.index(r, c), Qt::DisplayRole).toString());
        out += cells.join(QLatin1Char(',')) + QLatin1Char('\n');
    }
    return out;
}

bool writeTableCsv(const QAbstractItemModel& model, const QString& path, QString* error) {
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Text)) {
        if (error)
            *error = f.errorString();
        return false;
    }
    f.write(tableToCsv(model).toUtf8());
    if (!f.commit()) {
        if (error)
            *error = f.errorString();
        return false;
    }
    return true;
}

} // namespace rooflab::gui
