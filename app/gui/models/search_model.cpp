#include "models/search_model.hpp"

#include "analysis/llm_engine.hpp"
#include "io/data_paths.hpp"
#include "io/model_loader.hpp"
#include "io/platform_loader.hpp"
#include "io/stack_loader.hpp"

#include <exception>

namespace rooflab::gui {
namespace {

QString str(std::string_view s) {
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

QVariant num(double v, int role, int precision = 4) {
    if (role == kSortRole)
        return v;
    return QString::number(v, 'g', precision);
}

} // namespace

SearchOutcome runSearch(const SearchRequest& req) {
    SearchOutcome out;
    try {
        if (req.platforms.isEmpty()) {
            out.error = QObject::tr("Check at least one candidate platform");
            return out;
        }
        if (req.model.isEmpty()) {
            out.error = QObject::tr("No model: choose an LLM workload");
            return out;
        }
        SearchSpace sp;
        for (const QString& n : req.platforms) {
            const std::string name = n.toStdString();
            sp.platforms.push_back({name, PlatformModel::from(io::loadPlatformFile(io::findPlatformFile(name)))});
            const auto it = req.prices.find(n);
            sp.pricePerDeviceHour.push_back(it == req.prices.end() ? 0.0 : it->second);
            out.platformNames << n;
        }
        if (req.objective == SearchObjective::Cost)
            for (std::size_t i = 0; i < sp.pricePerDeviceHour.size(); ++i)
                if (!(sp.pricePerDeviceHour[i] > 0)) {
                    out = {};
                    out.error = QObject::tr("Minimizing cost needs a price per device-hour for every platform "
                                            "(missing: %1)")
                                    .arg(req.platforms[qsizetype(i)]);
                    return out;
                }
        sp.model = io::loadModel(req.model.toStdString());
        sp.stack = req.stack.isEmpty() ? StackProfile::defaultProfile() : io::loadStack(req.stack.toStdString());
        sp.prompt = req.prompt;
        sp.output = req.output;
        out.modelName = str(sp.model.name);
        out.result = searchConfigurations(sp, req.slo, req.objective);
        auto addRow = [&](std::size_t i, bool best) {
            SearchRow r;
            r.best = best;
            r.c = out.result.candidates[i];
            r.platform = out.platformNames.value(qsizetype(r.c.platform));
            // Memory at the end of the request (the KV cache is largest there).
            const Scenario s = requestEndScenario(ScenarioBuilder()
                                                      .batch(r.c.batch)
                                                      .prompt(sp.prompt)
                                                      .outputTokens(sp.output)
                                                      .tp(r.c.tp)
                                                      .pp(r.c.pp)
                                                      .weights(r.c.weights)
                                                      .kv(r.c.kv)
                                                      .unchecked());
            try {
                const MemoryUse m = memoryUse(sp.platforms[r.c.platform].value, sp.model, sp.stack, s);
                r.memoryBytes = m.totalBytes;
                r.capacityBytes = m.capacityBytes;
            } catch (const std::exception&) {
                r.memoryBytes = 0; // shown as "-"
            }
            out.rows.push_back(r);
        };
        if (out.result.best)
            addRow(*out.result.best, true);
        for (std::size_t i : out.result.pareto)
            addRow(i, false);
    } catch (const std::exception& e) {
        out = {};
        out.error = QString::fromUtf8(e.what());
    }
    return out;
}

// ---------------------------------------------------------------- table

const QVector<ResultTableModel::Column>& SearchResultModel::columns() const {
    static const QVector<Column> kCols = {{"Row", ""},
                                          {"Platform", ""},
                                          {"TP", ""},
                                          {"PP", ""},
                                          {"DP", ""},
                                          {"Batch", ""},
                                          {"Weights", ""},
                                          {"KV", ""},
                                          {"Devices", ""},
                                          {"TTFT", "ms"},
                                          {"TPOT", "ms"},
                                          {"Throughput per device", "tokens/s"},
                                          {"Memory per device", ""},
                                          {"Meets SLO", ""}};
    return kCols;
}

void SearchResultModel::setRows(const std::vector<SearchRow>& rows) {
    beginResetModel();
    m_rows = rows;
    endResetModel();
}

int SearchResultModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

QVariant SearchResultModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.parent().isValid() || index.row() >= rowCount() || index.column() < 0 ||
        index.column() >= columnCount() || (role != Qt::DisplayRole && role != kSortRole))
        return {};
    const SearchRow& r = m_rows[std::size_t(index.row())];
    const SearchCandidate& c = r.c;
    switch (index.column()) {
    case Role:
        if (role == kSortRole)
            return r.best ? 0 : 1;
        return r.best ? QStringLiteral("best") : QStringLiteral("Pareto");
    case Platform:
        return r.platform;
    case Tp:
        return role == kSortRole ? QVariant(double(c.tp)) : QVariant(QString::number(c.tp));
    case Pp:
        return role == kSortRole ? QVariant(double(c.pp)) : QVariant(QString::number(c.pp));
    case Dp:
        return role == kSortRole ? QVariant(double(c.dp)) : QVariant(QString::number(c.dp));
    case Batch:
        return role == kSortRole ? QVariant(double(c.batch)) : QVariant(QString::number(c.batch));
    case Weights:
        return str(dtypeName(c.weights));
    case Kv:
        return str(dtypeName(c.kv));
    case Devices:
        return role == kSortRole ? QVariant(double(c.devices)) : QVariant(QString::number(c.devices));
    case TtftMs:
        return num(c.ttftS * 1e3, role);
    case TpotMs:
        return num(c.tpotS * 1e3, role);
    case TokensPerSPerDevice:
        return num(c.tokensPerSPerDevice, role);
    case Memory:
        if (role == kSortRole)
            return r.memoryBytes;
        if (r.memoryBytes <= 0)
            return QStringLiteral("-");
        return r.capacityBytes > 0 ? formatBytes(r.memoryBytes) + QStringLiteral(" of ") + formatBytes(r.capacityBytes)
                                   : formatBytes(r.memoryBytes);
    case MeetsSlo:
        if (role == kSortRole)
            return c.meetsSlo ? 1 : 0;
        return c.meetsSlo ? QStringLiteral("yes") : QString::fromStdString(c.why.empty() ? std::string("no") : c.why);
    default:
        return {};
    }
}

} // namespace rooflab::gui
