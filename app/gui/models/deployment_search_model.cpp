#include "models/deployment_search_model.hpp"

#include "io/data_paths.hpp"
#include "io/model_loader.hpp"
#include "io/platform_loader.hpp"
#include "io/stack_loader.hpp"

#include <exception>

namespace rooflab::gui {
namespace {

QVariant num(double v, int role, int precision = 4) {
    if (role == kSortRole)
        return v;
    return QString::number(v, 'g', precision);
}

QVariant integer(int v, int role) {
    return role == kSortRole ? QVariant(double(v)) : QVariant(QString::number(v));
}

} // namespace

QString servingStackFor(const QString& stack) {
    if (stack == QLatin1String("vllm") || stack == QLatin1String("sglang") || stack == QLatin1String("tensorrt-llm"))
        return stack;
    return QStringLiteral("vllm");
}

DeploymentSearchOutcome runDeploymentSearch(const DeploymentSearchRequest& req) {
    DeploymentSearchOutcome out;
    try {
        if (req.model.isEmpty()) {
            out.error = QObject::tr("No model: choose an LLM workload");
            return out;
        }
        if (req.platform.isEmpty()) {
            out.error = QObject::tr("Check the node platform to deploy on (e.g. hgx-h100-8gpu)");
            return out;
        }
        const PlatformModel node =
            PlatformModel::from(io::loadPlatformFile(io::findPlatformFile(req.platform.toStdString())));
        serving::DeploymentSearchSpace sp;
        sp.arch = io::loadModel(req.model.toStdString());
        out.stack = servingStackFor(req.stack);
        sp.stack = io::loadStack(out.stack.toStdString());
        sp.gpuBudget = req.gpus;
        sp.inputTokens = req.inputTokens;
        sp.outputTokens = req.outputTokens;
        sp.aggregated = true;
        sp.disaggregated = req.disaggregated;
        out.result = serving::searchDeployments(node, sp, req.slo, req.threads);
        out.slo = req.slo;
        out.modelName = QString::fromStdString(sp.arch.name);
        out.platform = req.platform;
        if (out.result.best)
            out.rows.push_back({true, out.result.candidates[*out.result.best]});
        for (std::size_t i : out.result.pareto)
            out.rows.push_back({false, out.result.candidates[i]});
    } catch (const std::exception& e) {
        out = {};
        out.error = QString::fromUtf8(e.what());
    }
    return out;
}

// ---------------------------------------------------------------- table

const QVector<ResultTableModel::Column>& DeploymentFrontModel::columns() const {
    static const QVector<Column> kCols = {{"Row", ""},
                                          {"Layout", ""},
                                          {"GPUs", ""},
                                          {"Concurrency", ""},
                                          {"TTFT", "ms"},
                                          {"TPOT", "ms"},
                                          {"Output per GPU", "tokens/s"},
                                          {"Output per user", "tokens/s"},
                                          {"Meets SLO", ""}};
    return kCols;
}

void DeploymentFrontModel::setRows(const std::vector<DeploymentRow>& rows) {
    beginResetModel();
    m_rows = rows;
    endResetModel();
}

int DeploymentFrontModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

QVariant DeploymentFrontModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.parent().isValid() || index.row() >= rowCount() || index.column() < 0 ||
        index.column() >= columnCount() || (role != Qt::DisplayRole && role != kSortRole))
        return {};
    const DeploymentRow& r = m_rows[std::size_t(index.row())];
    const serving::DeploymentCandidate& c = r.c;
    switch (index.column()) {
    case Role:
        if (role == kSortRole)
            return r.best ? 0 : 1;
        return r.best ? QStringLiteral("best") : QStringLiteral("Pareto");
    case Layout:
        return QString::fromStdString(serving::describeDeployment(c.deployment));
    case Gpus:
        return integer(c.gpus, role);
    case Concurrency:
        return integer(c.concurrency, role);
    case TtftMs:
        return num(c.ttftS * 1e3, role);
    case TpotMs:
        return num(c.tpotS * 1e3, role);
    case TokensPerSPerGpu:
        return num(c.outputTokensPerSPerGpu, role);
    case TokensPerSPerUser:
        return num(c.outputTokensPerSPerUser, role);
    case MeetsSlo:
        if (role == kSortRole)
            return c.meetsSlo ? 1 : 0;
        return c.meetsSlo ? QStringLiteral("yes") : QString::fromStdString(c.why.empty() ? std::string("no") : c.why);
    default:
        return {};
    }
}

} // namespace rooflab::gui
