#pragma once
/// @brief The design-space search as the GUI runs it (off the UI thread) and its table model: the best
/// configuration under the service-level targets, then the Pareto front (throughput per device vs TPOT).
#include "analysis/search.hpp"
#include "models/table_models.hpp"

#include <QString>
#include <QStringList>

#include <map>
#include <string>
#include <vector>

namespace rooflab::gui {

/// What the Search page asks for (names are resolved and files loaded by runSearch, on the worker thread).
struct SearchRequest {
    QString model;                      ///< model preset or config path
    QString stack;                      ///< serving-stack profile ("" = default)
    QStringList platforms;              ///< shipped platform names or files
    std::map<QString, double> prices;   ///< USD per device-hour by platform (cost objective)
    SloTargets slo;
    SearchObjective objective = SearchObjective::Devices;
    int64_t prompt = 1024, output = 256;
};

/// One shown row: a candidate with its memory per device (decode at the full context).
struct SearchRow {
    bool best = false;                  ///< the best configuration (else a Pareto point)
    QString platform;
    SearchCandidate c;
    double memoryBytes = 0, capacityBytes = 0;
};

struct SearchOutcome {
    QStringList platformNames;          ///< parallel to SearchSpace::platforms
    QString modelName;
    SearchResult result;
    std::vector<SearchRow> rows;        ///< the best (when any) first, then the Pareto front by TPOT
    QString error;                      ///< input or engine error (then nothing else is set)
    bool hasBest() const { return result.best.has_value(); }
};

/// @brief Loads the inputs and runs searchConfigurations; never throws (errors land in `error`).
SearchOutcome runSearch(const SearchRequest& req);

/// @brief The best configuration and the Pareto front of a search.
class SearchResultModel : public ResultTableModel {
    Q_OBJECT
public:
    enum Col { Role, Platform, Tp, Pp, Dp, Batch, Weights, Kv, Devices, TtftMs, TpotMs, TokensPerSPerDevice,
               Memory, MeetsSlo };
    using ResultTableModel::ResultTableModel;
    void setRows(const std::vector<SearchRow>& rows);
    const std::vector<SearchRow>& rows() const { return m_rows; }
    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

protected:
    const QVector<Column>& columns() const override;

private:
    std::vector<SearchRow> m_rows;
};

} // namespace rooflab::gui
