#pragma once
/// @brief The report writer both apps link: predicts prefill, decode and a whole request for one scenario, and
/// writes a report folder (report.md, report.html, prediction.json, operator and sweep CSVs, plots, and
/// report.pdf when the renderer makes documents). Plots go through a PlotRenderer: the library's SVG renderer
/// (CLI, no Qt) or the GUI's QCustomPlot renderer. No Qt; never exits; broken input throws InputError.
///
/// The steps are separate so a GUI can run them on the right threads: computeReport() (pure prediction work, any
/// thread) -> reportPlots() (plain data) -> PlotRenderer::render() (the renderer's thread) -> writeReport() (files,
/// any thread). runReport() chains them for a command line.
#include "analysis/llm_engine.hpp"
#include "analysis/platform_model.hpp"
#include "calibration/validation.hpp"
#include "hardware/platform.hpp"
#include "io/validation_status.hpp"
#include "report/plot_spec.hpp"
#include "serving/measured_serving.hpp"
#include "serving/serving_study.hpp"
#include "workloads/llm.hpp"
#include "workloads/stack.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace rooflab::report {

/// @brief The report's Serving section: the serving simulator on the report's model, platform, layout (TP, PP, EP)
/// and datatypes, closed loop at each concurrency; a deployment search on a GPU budget (its Pareto front and the
/// best layout under the SLO); the measured aic-silicon runs of the same model on the platform's GPU.
struct ServingReportInput {
    std::string stack = "vllm"; ///< the serving stack profile (its scheduler): vllm, sglang, tensorrt-llm
    std::string mode = "agg";   ///< agg or disagg (prefill and decode workers of the report's TP x PP)
    int prefillWorkers = 1, decodeWorkers = 1;
    std::vector<int> concurrency{1, 4, 16, 64};
    int64_t isl = 0, osl = 0;          ///< tokens per request; 0: the report's prompt and output
    int searchGpus = 8;                ///< deployment-search budget; 0: no search
    double ttftMaxS = 0, tpotMaxS = 0; ///< the search's SLO (0: no limit)
    std::string dataset;               ///< aic-silicon CSV for the measured points ("": none)
};

/// @brief What a report is about: inputs by name or path, and the whole scenario, spelled as the CLI options.
struct ReportInput {
    std::string platform = "h100-sxm5-80gb"; ///< shipped name or platform file
    /// Used instead of loading `platform` (the GUI's platform, possibly edited and unsaved).
    std::optional<Platform> platformData;
    std::string model = "llama-3.1-8b"; ///< preset name or config path
    std::string stack = "pytorch-eager";
    /// The step the user looked at: request (default), prefill, decode or chunked. The report always predicts
    /// prefill, decode and the request; chunked adds that step.
    std::string phase = "request";
    int64_t batch = 8, prompt = 2048;
    int64_t context = 0;  ///< decode context (tokens); 0: the prompt length
    int64_t output = 256; ///< generated tokens per request
    int64_t chunk = 0;    ///< chunked phase: prefill tokens in the step (0: 512)
    int tp = 1, pp = 1, ep = 1, dp = 1;
    std::string weights = "bf16", kv = "bf16", act = "bf16";
    std::string measurements;                  ///< end-to-end dataset CSV: predicted vs measured (optional)
    std::optional<ServingReportInput> serving; ///< the Serving section (optional)
};

/// @brief The shipped aic-silicon CSV (datasets/public/aic-silicon/e2e_h100_h200.csv in the data folders), "" when
/// none is found.
std::string shippedServingDataset();

/// @brief Thrown when a progress callback asks to stop.
class ReportCancelled : public std::runtime_error {
public:
    ReportCancelled() : std::runtime_error("the report was cancelled") {}
};

/// @brief Called between steps with work done of `total`; return false to cancel (ReportCancelled is thrown).
using ReportProgress = std::function<bool(int done, int total, const std::string& stage)>;

/// @brief One table: header and formatted cells.
struct Table {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
};

/// @brief A dense sweep for the plots: log-spaced x with latency and throughput, and where memory runs out.
struct SweepCurve {
    std::string xName; ///< "batch" or "context"
    std::vector<double> x, latencyS, tokensPerS;
    std::vector<bool> fits;
    double limit = 0;   ///< largest x that fits (0: none)
    double current = 0; ///< the scenario's value
};

/// @brief The Serving section's results.
struct ServingReportData {
    StackProfile stack;
    serving::ServingStudyConfig config;
    serving::ServingStudy study;
    std::vector<serving::MeasuredServingPoint> measured;
    std::string dataset;   ///< as given
    Table curve;           ///< per concurrency (serving_curve.csv)
    Table pareto;          ///< the search's front (serving_pareto.csv)
    Table best;            ///< the best layout under the SLO (one row, or none)
    Table measuredTable;   ///< the measured runs (serving_measured.csv)
    Confidence confidence; ///< of the serving simulator on this platform with this stack (TTFT / TPOT)
};

/// @brief Every number and table of a report, computed once. Plain data.
struct ReportData {
    ReportInput input;
    Platform platform;
    PlatformModel platformModel;
    LlmArch arch;
    StackProfile stack;
    Scenario scenario; ///< the request scenario (context resolved)
    Scenario decodeScenario;
    RequestPrediction request;
    Prediction decode;
    std::optional<Prediction> chunked; ///< phase chunked only
    double energyPerRequestJ = 0, prefillJPerToken = 0, decodeJPerToken = 0;
    Table batchSweep, contextSweep;      ///< the CSV sweeps (powers of two)
    SweepCurve batchCurve, contextCurve; ///< the plotted sweeps (dense)
    std::optional<ValidationReport> validation;
    std::optional<ServingReportData> serving;
    Confidence confidence; ///< of the step predictions on this platform with this stack (io/validation_status.hpp)
};

/// @brief Loads the inputs and predicts everything the report shows. Pure computation plus reading the input
/// files; safe on any thread. Throws InputError on broken input, ReportCancelled when `progress` says stop.
ReportData computeReport(const ReportInput& in, const ReportProgress& progress = {});

/// @brief The report's plots as data: roofline (decode, prefill), latency vs batch and vs context, per-operator
/// breakdown (decode, prefill), predicted vs measured when there are measurements, and with a Serving section its
/// curves vs concurrency, the tokens/s-per-GPU vs tokens/s-per-user front and the batch / KV timeline.
std::vector<PlotSpec> reportPlots(const ReportData& d);

/// @brief A plot rendered for the report.
struct RenderedPlot {
    std::string name; ///< file stem
    std::string caption;
    PlotFormat format = PlotFormat::Svg;
    std::string bytes;
};

/// @brief The plots and (optionally) the PDF that go into the folder; `note` says why plots are missing.
struct ReportFigures {
    std::vector<RenderedPlot> plots;
    std::optional<std::string> pdf;
    std::string note;
};

/// @brief Renders every plot with `renderer` in its preferred image format (on the caller's thread).
std::vector<RenderedPlot> renderPlots(PlotRenderer& renderer, const std::vector<PlotSpec>& specs,
                                      const ReportProgress& progress = {});

/// @brief The platform's roofs as the engine uses them, each with the provenance of its file value (value, "",
/// provenance), for the Markdown, HTML and PDF.
Table platformValuesTable(const ReportData& d);
/// @brief The platform file's sources: id, kind (datasheet, measured, fitted...), citation or tool and date.
Table platformSourcesTable(const ReportData& d);

/// @brief The PDF document of the report (summary page, one plot per page) for a renderer that makes documents.
PlotDocument reportDocument(const ReportData& d, const std::vector<PlotSpec>& specs,
                            const std::vector<RenderedPlot>& rendered);

/// @brief Lines of the console summary `rooflab report` prints.
std::string consoleSummary(const ReportData& d);

/// @brief Writes the report folder `outDir` atomically: every file goes to a staging folder first and is renamed
/// into place only when all of them are written, so a failed or cancelled run leaves no partial file or folder
/// (a new folder appears whole; an existing one gets each file replaced by rename). Returns the paths written,
/// relative to outDir. Throws InputError when the folder cannot be written.
std::vector<std::string> writeReport(const ReportData& d, const ReportFigures& figures, const std::string& outDir,
                                     const ReportProgress& progress = {});

/// @brief What runReport() did.
struct ReportResult {
    std::vector<std::string> files; ///< relative to the folder
    std::string plotsNote;          ///< non-empty when plots are missing, and why
    bool pdf = false;
};

/// @brief Options of runReport().
struct RunOptions {
    PlotRenderer* renderer = nullptr; ///< nullptr: tables only
    std::string noPlotsReason = "plots were not requested (--no-plots)";
    ReportProgress progress;
};

/// @brief reportPlots, renderPlots (and the PDF when the renderer makes documents) and writeReport for data from
/// computeReport(), all on the calling thread.
ReportResult runReport(const ReportData& d, const std::string& outDir, const RunOptions& opt);

} // namespace rooflab::report
