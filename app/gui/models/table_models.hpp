#pragma once
/// @brief Qt item models over engine results (operator table, platform values with provenance, sweep points,
/// predicted-vs-measured rows). Qt Core/Gui only; sortable through a proxy that sorts on kSortRole.
#include "evaluation.hpp"
#include "hardware/platform.hpp"

#include <QAbstractTableModel>
#include <QString>
#include <QVector>

namespace rooflab::gui {

/// Role that returns the raw value of a cell (numbers as double) for sorting and tests.
inline constexpr int kSortRole = Qt::UserRole + 1;

/// Shared behaviour: fixed columns, display + sort roles, header tooltips.
class ResultTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    using QAbstractTableModel::QAbstractTableModel;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

protected:
    struct Column {
        QString title;
        QString unit;
    };
    virtual const QVector<Column>& columns() const = 0;
};

/// @brief The per-operator table of one prediction (one device, layers folded into the count).
class OperatorTableModel : public ResultTableModel {
    Q_OBJECT
public:
    enum Col { Name, Class, Count, Shape, Flops, DramBytes, L2Bytes, Intensity, TimeUs, TotalUs, SharePct, Bound };
    using ResultTableModel::ResultTableModel;
    void setPrediction(const Prediction& p);
    const Prediction& prediction() const { return m_prediction; }
    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

protected:
    const QVector<Column>& columns() const override;

private:
    Prediction m_prediction;
};

/// @brief Every numeric value of a platform with its unit, provenance record and file line.
class PlatformValuesModel : public ResultTableModel {
    Q_OBJECT
public:
    enum Col { Key, Value, Source, Kind, Citation, Line };
    struct Row {
        QString key;   ///< dotted path, e.g. memory.L2.read
        QString value; ///< formatted with unit
        double si = 0;
        QString source, kind, citation;
        int line = 0;
    };
    using ResultTableModel::ResultTableModel;
    void setPlatform(const Platform& p);
    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    const QVector<Row>& rows() const { return m_rows; }

protected:
    const QVector<Column>& columns() const override;

private:
    QVector<Row> m_rows;
};

/// @brief The points of a sweep (batch or context) with latency, throughput and whether they fit.
class SweepModel : public ResultTableModel {
    Q_OBJECT
public:
    enum Col { X, LatencyMs, TokensPerS, Fits };
    using ResultTableModel::ResultTableModel;
    void setSeries(const SweepSeries& s);
    const SweepSeries& series() const { return m_series; }
    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

protected:
    const QVector<Column>& columns() const override;

private:
    SweepSeries m_series;
};

/// @brief The Compare page's table: one row per platform with latency, throughput, memory per device against
/// capacity, whether it fits ("yes", "no", "infeasible") and why not.
class CompareModel : public ResultTableModel {
    Q_OBJECT
public:
    enum Col { Platform, LatencyMs, TokensPerS, MemoryGb, CapacityGb, Fits, Bound, Problem };
    using ResultTableModel::ResultTableModel;
    void setPlatforms(const std::vector<ComparedPlatform>& platforms);
    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

protected:
    const QVector<Column>& columns() const override;

private:
    std::vector<ComparedPlatform> m_rows;
};

/// @brief Predicted-vs-measured rows of a dataset; rows that could not be predicted show their error.
class ValidationModel : public ResultTableModel {
    Q_OBJECT
public:
    enum Col { Id, Model, Phase, Batch, Prompt, Context, Tp, MeasuredMs, PredictedMs, ErrorPct, Error };
    using ResultTableModel::ResultTableModel;
    void setResult(const ValidationReport& r);
    const ValidationReport& result() const { return m_result; }
    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

protected:
    const QVector<Column>& columns() const override;

private:
    ValidationReport m_result;
};

/// Formats a number with an SI prefix and unit ("989.4 TFLOP/s", "3.35 TB/s", "80 GB" for bytes: decimal prefixes
/// everywhere, as the CLI).
QString formatSi(double v, const QString& unit, int precision = 4);
QString formatBytes(double bytes);
QString formatSeconds(double s);
/// @brief The status line of an evaluation: "infeasible: why", else the bound sentence, a request's TTFT/TPOT/
/// end-to-end and, for an LLM (`llm`), whether the step fits in memory.
QString outcomeStatus(const EvalOutput& out, bool llm);

/// @brief The model's visible table (headers + display text) as RFC 4180 CSV.
QString tableToCsv(const QAbstractItemModel& model);
/// Writes tableToCsv atomically (QSaveFile). Returns false and fills `error` on failure.
bool writeTableCsv(const QAbstractItemModel& model, const QString& path, QString* error);

} // namespace rooflab::gui
