#pragma once
/// @brief A serving study of one model on one platform, what the GUI's Serving page and the report's Serving section
/// show: the scenario's deployment simulated closed-loop at each concurrency of a list (TTFT, TPOT, output tokens/s
/// per GPU against concurrency; the per-iteration batch / KV timeline kept at the highest concurrency), and a
/// deployment search on a GPU budget (the tokens/s-per-GPU vs tokens/s-per-user Pareto front and the best layout
/// under a TTFT/TPOT SLO). Pure and thread-safe: no I/O (the caller loads the stack profile and the platform).
#include "serving/deployment_search.hpp"
#include "serving/serving.hpp"

#include <string>
#include <vector>

namespace rooflab::serving {

/// @brief What a study runs.
struct ServingStudyConfig {
    Deployment deployment; ///< the scenario's deployment (aggregated or disaggregated), simulated per concurrency
    std::vector<int> concurrency{1, 2, 4, 8, 16, 32, 64, 128, 256};
    int64_t inputTokens = 1024, outputTokens = 128;
    /// Deployment-search budget (GPUs of one deployment); 0: no search.
    int searchGpus = 8;
    bool searchAggregated = true, searchDisaggregated = false; ///< which layouts the search enumerates
    DeploymentSlo slo;                                         ///< the search's best-under-SLO targets
    unsigned threads = 0;                                      ///< deployment search threads (0: all)
};

/// @brief One concurrency of the scenario's deployment.
struct ServingStudyPoint {
    int concurrency = 0;
    ServingResult result; ///< iterations kept only for the highest concurrency
};

struct ServingStudy {
    std::vector<ServingStudyPoint> points; ///< one per concurrency (ascending), ok or not
    bool searched = false;                 ///< the search ran (a budget was given and it did not throw)
    DeploymentSearchResult search;
    std::vector<std::string> notes; ///< infeasible points and parts that did not run, in words
};

/// @brief Runs the study; simulation errors come back in the points and notes (nothing throws for infeasible
/// layouts). Throws InputError for a bad concurrency list (empty, or a value < 1).
ServingStudy runServingStudy(const PlatformModel& pm, const LlmArch& arch, const StackProfile& stack,
                             const Scenario& datatypes, const ServingStudyConfig& config);

/// @brief The scenario's deployment from a Scenario's layout: aggregated, one worker of tp x pp (ep, moe_tp =
/// tp / ep); disaggregated, `prefillWorkers` and `decodeWorkers` workers of that shape.
Deployment scenarioDeployment(const Scenario& s, DeploymentMode mode, int prefillWorkers = 1, int decodeWorkers = 1);

} // namespace rooflab::serving
