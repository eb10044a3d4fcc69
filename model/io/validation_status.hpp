#pragma once
/// @brief How far a prediction can be trusted: the validation status of a platform x stack x kind of prediction,
/// from the project's record of validation runs (resources/validation/status.yaml) or, where that has nothing, from
/// the provenance of the platform's values and the stack's fitted kernel efficiency. Every front end shows it next
/// to the number, so that an uncalibrated platform never looks as trustworthy as a validated one.
#include "hardware/platform.hpp"
#include "workloads/stack.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace rooflab {

/// The kind of prediction a validation covers (status.yaml `scope`).
enum class PredictionScope : unsigned char {
    LlmStep, ///< one LLM forward step on a GPU (predict llm, sweep, report): prefill / decode latency
    Serving, ///< the serving simulator (serve, deployment search): TTFT / TPOT
    CpuLlm,  ///< one LLM forward step on a CPU platform
    Kernel,  ///< one kernel or operator (predict gemm, predict cpu, CPU kernel models)
};
std::string_view predictionScopeName(PredictionScope s);
/// Parses "llm-step", "serving", "cpu-llm", "kernel"; false when unknown.
bool predictionScopeFromName(std::string_view name, PredictionScope& out);

/// Which rows of a measured set an error comes from, best evidence first.
enum class ValidationSplit : unsigned char {
    HeldOut,     ///< rows no fit saw (another machine, another session, shapes never measured before)
    All,         ///< every row of a set nothing was fitted on, but which model development has seen
    Calibration, ///< the rows the values were fitted on: a fit error, not a validation
};
std::string_view validationSplitName(ValidationSplit s);

/// @brief One recorded validation run: `rooflab validate ...` on a measured set, and the MAPE it gave.
struct ValidationEntry {
    std::string id;                     ///< unique within the file
    std::vector<std::string> platforms; ///< platforms it covers (names)
    std::vector<std::string> stacks;    ///< stacks it covers; empty = any stack (kernel predictions)
    PredictionScope scope = PredictionScope::LlmStep;
    std::string basis;   ///< what was measured, in words ("own PyTorch harness e2e, graph-captured")
    std::string dataset; ///< path of the measured set, relative to the data folder
    ValidationSplit split = ValidationSplit::All;
    std::string metric;   ///< latency, ttft, tpot, decode, prefill
    double mapePct = 0.0; ///< mean absolute percentage error of the prediction on those rows
    int64_t rows = 0;     ///< rows the MAPE is over
    std::string date;     ///< ISO date of the validation run
    std::string command;  ///< the `rooflab validate ...` command that reproduces mapePct
    std::string note;     ///< caveats (what the number does not cover)
    std::string file;     ///< where it was read from
    int line = 0;         ///< 1-based line of the entry
};

/// @brief The whole record: entries, and the platforms that must not inherit their base platform's validation.
struct ValidationStatus {
    std::string file;
    std::vector<ValidationEntry> entries;
    /// platform name -> why it does not inherit the validation of the platform it `extends` (a different chip
    /// assumed to behave like its base, never measured)
    std::map<std::string, std::string> noInherit;
};

/// Three levels, most trustworthy first.
enum class ConfidenceLevel : unsigned char {
    Validated,    ///< checked end to end against measurements held out from (or not used by) its fit
    Calibrated,   ///< values fitted on microbenchmarks / per-operator data, not validated end to end
    DatasheetOnly ///< nothing measured behind this platform
};
/// "validated", "calibrated", "datasheet-only" (the JSON/CSV value).
std::string_view confidenceLevelName(ConfidenceLevel l);

/// @brief The confidence of one prediction: level, the error to expect where measured, and the evidence.
struct Confidence {
    ConfidenceLevel level = ConfidenceLevel::DatasheetOnly;
    /// Headline MAPE (percent) of the evidence: the largest over the chosen entries' metrics; < 0 = unknown.
    double mapePct = -1.0;
    /// One line of evidence: the measured set, split, metrics and where they were measured.
    std::string basis;
    /// The status entries behind it (Validated, or Calibrated from a calibration-split entry); empty otherwise.
    std::vector<ValidationEntry> entries;
    /// The platform whose validation this is, when inherited through `extends` ("" = the platform's own).
    std::string inheritedFrom;

    bool mapeKnown() const { return mapePct >= 0.0; }
    /// "validated — 4.5 % MAPE, own PyTorch harness e2e, held-out (h200-sxm-141gb)", the CLI's `confidence:` line.
    std::string summary() const;
    /// A short badge label: "validated ±4.5 %", "calibrated", "datasheet only".
    std::string badge() const;
};

/// Path of the shipped status file (resources/validation/status.yaml in the data folders), "" when none.
std::string findValidationStatusFile();
/// @brief Reads a status file. Throws InputError naming file:line:key for a malformed one.
ValidationStatus loadValidationStatus(const std::string& path);
/// @brief The shipped status file, loaded once per process; an empty status when none is found (confidence then
/// comes from provenance alone).
const ValidationStatus& shippedValidationStatus();

/// @brief The confidence of predictions of kind `scope` on `platform` with `stack` (nullptr: none / any).
/// Entries naming the platform (else the platform it extends, unless noInherit lists it) and the stack (or any
/// stack) win, the best split first; otherwise the platform's provenance decides: any `measured` or `fitted` value,
/// or the stack's kernel efficiency fitted on this platform, make it Calibrated, else DatasheetOnly.
Confidence resolveConfidence(const ValidationStatus& status, const Platform& platform, const StackProfile* stack,
                             PredictionScope scope);

} // namespace rooflab
