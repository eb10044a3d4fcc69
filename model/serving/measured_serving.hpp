#pragma once
/// @brief Measured serving runs (the aic-silicon CSV, datasets/public/aic-silicon/e2e_h100_h200.csv) as points of
/// the tokens/s-per-GPU vs tokens/s-per-user plane, for overlaying on the simulator's curves and Pareto fronts. Rows
/// are read through serving validation's mapping (caseOfRow and the request codec), so a row counts the same GPUs
/// here as in `rooflab validate --dataset`. No Qt; reads no files (the caller loads the table).
#include "codec/catalog.hpp"
#include "io/csv.hpp"
#include "workloads/llm.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace rooflab::serving {

/// @brief One measured run mapped onto the simulator's output definitions.
struct MeasuredServingPoint {
    std::string id;                     ///< the row's id column
    int line = 0;                       ///< 1-based file line
    std::string gpu, backend, mode;     ///< as in the file (mode: agg or disagg)
    std::string model;                  ///< model_path as in the file
    int64_t isl = 0, osl = 0;           ///< tokens per request
    int concurrency = 0;                ///< closed-loop clients
    int gpus = 0;                       ///< the deployment's GPUs, as serving validation counts them
    double ttftS = 0, tpotS = 0;        ///< measured means
    double outputTokensPerSPerUser = 0; ///< 1 / TPOT (ServingResult::outputTokensPerSPerUser)
    /// Closed loop (Little's law): concurrency x osl / (TTFT + (osl - 1) x TPOT) / gpus, the whole deployment's
    /// output tokens per second per GPU as ServingResult::outputTokensPerSPerGpu counts them.
    double outputTokensPerSPerGpu = 0;
};

/// @brief Which runs to take.
struct MeasuredServingQuery {
    /// Rows whose model_path resolves (through the catalog's loader: preset sources and aliases) to an
    /// architecture of this name, or whose model_path is `source` (case-insensitive). Both empty: no rows.
    std::string modelName, source;
    /// GPU family ("h100", "h200"; case-insensitive substring of the gpu column); empty: every GPU.
    std::string gpu;
    /// Keep only runs at these lengths when the file has any for the model and GPU (else all lengths); 0: all.
    int64_t isl = 0, osl = 0;
};

/// @brief The query for `model` on a platform called `platformName` (its GPU family from the name: h100, h200).
MeasuredServingQuery measuredQueryFor(const LlmArch& model, const std::string& platformName, int64_t isl = 0,
                                      int64_t osl = 0);

/// @brief "h100" / "h200" when the platform's name says so, else "" (every GPU's runs).
std::string gpuFamilyOfPlatform(const std::string& platformName);

/// @brief The measured runs of an aic-silicon table that match `q`, in file order. Rows without TTFT/TPOT, or that
/// serving validation cannot map (caseOfRow), are left out. Throws InputError when the table lacks the columns.
std::vector<MeasuredServingPoint> measuredServingPoints(const io::CsvTable& table, io::Catalog& catalog,
                                                        const MeasuredServingQuery& q);

} // namespace rooflab::serving
