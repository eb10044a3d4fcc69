#pragma once
/// @brief The serving-based deployment search as the GUI's Search page runs it (off the UI thread; the same search
/// as `rooflab search --gpus N` and the Serving page, model/serving/deployment_search) and the table model of its
/// result: the best layout under the TTFT/TPOT SLO first, then the tokens/s-per-GPU vs tokens/s-per-user Pareto
/// front by tokens/s per user.
#include "models/table_models.hpp"
#include "serving/deployment_search.hpp"

#include <QString>
#include <string>
#include <vector>

namespace rooflab::gui {

/// What the Search page's serving mode asks for (names resolved and files loaded on the worker thread).
struct DeploymentSearchRequest {
    QString model;    ///< model preset or config path
    QString stack;    ///< a serving stack (vllm, sglang, tensorrt-llm); anything else runs vllm
    QString platform; ///< the node: a shipped platform name or file
    int gpus = 8;     ///< GPU budget of one deployment
    bool disaggregated = false;
    int64_t inputTokens = 1024, outputTokens = 256;
    serving::DeploymentSlo slo;
    unsigned threads = 0; ///< 0: all cores
};

/// @brief The serving stack a serving question runs under: `stack` when it is one of vllm, sglang, tensorrt-llm,
/// else vllm, the most used serving stack (issue 19, "default stack").
QString servingStackFor(const QString& stack);

/// One shown row: a candidate of the front (or the best under the SLO).
struct DeploymentRow {
    bool best = false; ///< the best under the SLO (else a point of the front)
    serving::DeploymentCandidate c;
};

struct DeploymentSearchOutcome {
    QString modelName, platform, stack;
    serving::DeploymentSearchResult result;
    serving::DeploymentSlo slo;
    std::vector<DeploymentRow> rows; ///< the best (when any) first, then the front by tokens/s per user
    QString error;                   ///< input or engine error (then nothing else is set)
};

/// @brief Loads the inputs and runs searchDeployments; never throws (errors land in `error`).
DeploymentSearchOutcome runDeploymentSearch(const DeploymentSearchRequest& req);

/// @brief The best layout under the SLO and the Pareto front's layouts.
class DeploymentFrontModel : public ResultTableModel {
    Q_OBJECT
public:
    enum Col { Role, Layout, Gpus, Concurrency, TtftMs, TpotMs, TokensPerSPerGpu, TokensPerSPerUser, MeetsSlo };
    using ResultTableModel::ResultTableModel;
    void setRows(const std::vector<DeploymentRow>& rows);
    const std::vector<DeploymentRow>& rows() const { return m_rows; }
    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

protected:
    const QVector<Column>& columns() const override;

private:
    std::vector<DeploymentRow> m_rows;
};

} // namespace rooflab::gui
