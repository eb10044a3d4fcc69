#pragma once
/// @brief The report's Serving section (internal to the report library): the serving study of the report's scenario
/// (model/serving/serving_study), the measured aic-silicon runs of its model, their tables and plots.
#include "report/report.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace rooflab::report {

/// @brief Runs the study for `d` (model, platform, layout and datatypes computed) and fills its tables. Throws
/// InputError for bad serving options (mode, concurrency, stack, dataset).
ServingReportData computeServingReport(const ReportData& d, const ServingReportInput& in);

/// @brief TTFT / TPOT and tokens/s per GPU vs concurrency, the Pareto plane with the measured runs, and the batch /
/// KV timeline.
std::vector<PlotSpec> servingPlots(const ReportData& d, const ServingReportData& s);

/// @brief The section in prediction.json.
nlohmann::json servingJson(const ServingReportData& s);

/// @brief One sentence on the scenario's deployment and load ("vllm, aggregated 1 x tp1, ISL 1024, OSL 128").
std::string servingSummary(const ServingReportData& s);
/// @brief The best layout under the SLO in one line ("" when the search found none).
std::string servingBestLine(const ServingReportData& s);

} // namespace rooflab::report
