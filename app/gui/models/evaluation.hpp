#pragma once
/// @brief The GUI's evaluation request and result: plain values that cross from the UI thread to a worker and
/// back. evaluate() only calls the engine (predictStep / predictRequest / evalGemm); it holds no model logic.
#include "analysis/llm_engine.hpp"
#include "analysis/platform_model.hpp"
#include "calibration/validation.hpp"
#include "io/csv.hpp"
#include "workloads/gemm.hpp"
#include "workloads/llm.hpp"
#include "workloads/stack.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rooflab::gui {

/// What the scenario panel describes. `request` evaluates prefill + decode of one request.
enum class GuiPhase : unsigned char { Prefill, Decode, Chunked, Request };
enum class WorkloadKind : unsigned char { Llm, Gemm };

struct NamedPlatform {
    std::string name;
    std::shared_ptr<const PlatformModel> model;
};

struct EvalInput {
    NamedPlatform platform;
    std::vector<NamedPlatform> compare; ///< other platforms evaluated on the same workload (side by side)
    WorkloadKind kind = WorkloadKind::Llm;
    std::shared_ptr<const LlmArch> model;
    StackProfile stack;
    Scenario scenario;
    GuiPhase phase = GuiPhase::Decode;
    GemmCase gemm;
    int sweepPoints = 400; ///< per sweep (batch and context)
};

struct SweepPoint {
    double x = 0; ///< batch, or context (prompt for prefill) tokens
    double latencyS = 0;
    double tokensPerS = 0;
    bool ok = false;   ///< the engine accepted the configuration
    bool fits = false; ///< fits in device memory
};

struct SweepSeries {
    std::string xName; ///< "batch" or "context"
    std::vector<SweepPoint> points;
    double limit = 0; ///< largest x that fits in memory at the other settings (0: none)
};

struct ComparedPlatform {
    std::string name;
    Prediction prediction;
};

struct EvalOutput {
    Prediction prediction; ///< the step shown (request: the prefill step)
    std::optional<RequestPrediction> request;
    SweepSeries batchSweep, contextSweep;
    std::vector<ComparedPlatform> compare; ///< the primary platform first
    double evalMs = 0;                     ///< wall time of the evaluation (ms)
};

/// @brief Evaluates everything the pages show. Pure: safe on any thread. Throws InputError on broken input.
EvalOutput evaluate(const EvalInput& in);

/// @brief One sweep of the LLM scenario of `in` on `pm`: over batch (`overBatch`) or over context (prompt for
/// prefill), `in.sweepPoints` log-spaced values, with the memory limit at the other settings. Pure.
SweepSeries evaluateSweep(const PlatformModel& pm, const EvalInput& in, bool overBatch);

/// Batch sizes / context lengths a sweep visits: `n` distinct integers log-spaced in [lo, hi].
std::vector<double> logSpacedIntegers(double lo, double hi, int n);

/// @brief Predicts each row of a validation dataset on `pm` with the engine's rooflab::validateDataset (end-to-end
/// rows: id,model,phase,batch,prompt,context,tp,weights,kv,act,stack,measured_s; GEMM rows: m,n,k,dtype,median_s).
/// Models are resolved as `rooflab validate` resolves them (resolveDatasetModel); each row's own stack column is
/// used. A row that names its platform (column `card` or `platform`, a shipped name) is predicted on that
/// platform, not on `pm`, when `ownPlatforms` is set. Throws InputError when the table is not a validation dataset;
/// bad rows carry their own error.
ValidationReport validateDatasetIn(const io::CsvTable& table, const PlatformModel& pm, const std::string& datasetDir,
                                   bool ownPlatforms = true);

/// @brief The model file a dataset row names, as `rooflab validate` finds it: a preset id; or a path (contains '/'
/// or ends in .yaml/.json) tried as given, relative to the dataset's folder, then to the rooflab data folders; or
/// `<datasetDir>/models/<name>.yaml`. Throws InputError naming the places tried.
LlmArch resolveDatasetModel(const std::string& name, const std::string& datasetDir);

/// Time of an operator attributed to what binds it (per occurrence x count): compute, memory, comm, overhead.
struct TimeSplit {
    double computeS = 0, memoryS = 0, commS = 0, overheadS = 0;
};
TimeSplit splitTime(const OpResult& op);
TimeSplit splitTime(const Prediction& p);

} // namespace rooflab::gui
