#pragma once
/// @brief Deployment search on the serving simulator: for one model, stack and node type under a GPU budget, every
/// aggregated layout (TP x PP x EP x attention-DP, replicas to fill the budget) and disaggregated layout (a prefill
/// pool and a decode pool, the worker ratio chosen by matching the pools' rates) at each per-worker batch limit is
/// simulated closed-loop (concurrency = the decode slots), and the results are ranked: the Pareto front of output
/// tokens/s per GPU against tokens/s per user, and the configuration that meets the TTFT/TPOT targets with the most
/// tokens/s per GPU (fewest GPUs for a required throughput). Pure and thread-safe: no I/O.
#include "serving/serving.hpp"

#include <optional>
#include <string>
#include <vector>

namespace rooflab::serving {

/// @brief What to enumerate.
struct DeploymentSearchSpace {
    LlmArch arch;
    StackProfile stack;
    Scenario datatypes;       ///< weights, kv, act (layout and token fields ignored)
    int gpuBudget = 8;        ///< GPUs one deployment may use
    int64_t inputTokens = 1024;
    int64_t outputTokens = 256;
    std::vector<int> tp{1, 2, 4, 8}, pp{1};
    std::vector<int> attentionDp{1}; ///< MoE models only (dense models run attention-DP as replicas)
    std::vector<int> batch{1, 2, 4, 8, 16, 32, 64, 128, 256}; ///< per-worker running-sequence caps
    bool aggregated = true, disaggregated = true;
    /// Disaggregated prefill workers run this many prompts per iteration at most (aiconfigurator's prefill
    /// max_batch_size default 1).
    int prefillBatch = 1;
    /// Measured requests per simulation, as a multiple of its concurrency (at least 16); fewer is faster and
    /// noisier. aiperf runs 20 x concurrency.
    int requestsPerClient = 4;
};

struct DeploymentSlo {
    double ttftMaxS = 0; ///< 0: no limit
    double tpotMaxS = 0;
    /// Output tokens/s the service must sustain; the deployment is replicated to reach it and the best
    /// configuration is the one with the fewest GPUs. 0: one deployment within the budget.
    double outputTokensPerS = 0;
};

/// @brief One simulated configuration.
struct DeploymentCandidate {
    Deployment deployment;
    int concurrency = 0;     ///< closed-loop clients of the simulation
    bool ok = false;         ///< simulated (the model fits, the layout is valid)
    bool meetsSlo = false;
    std::string why;         ///< why not (simulation error or the missed target)
    double ttftS = 0, tpotS = 0, e2eS = 0;       ///< means
    double ttftP90S = 0, tpotP90S = 0;
    double outputTokensPerS = 0;                 ///< whole deployment
    double outputTokensPerSPerGpu = 0;
    double outputTokensPerSPerUser = 0;
    int gpus = 0;                                ///< of one deployment
    int replicas = 1;                            ///< deployments needed for DeploymentSlo::outputTokensPerS
    int totalGpus = 0;                           ///< gpus x replicas
};

struct DeploymentSearchResult {
    std::vector<DeploymentCandidate> candidates;
    std::vector<std::size_t> pareto;  ///< ok candidates not dominated in (tokens/s/user, tokens/s/GPU), by tokens/s/user
    std::optional<std::size_t> best;  ///< meets the targets: most tokens/s per GPU (fewest total GPUs with a rate)
    int simulations = 0;
};

/// @brief Runs the search on `threads` threads (0: hardware concurrency). Bad ranges (empty lists, a budget < 1)
/// throw InputError.
DeploymentSearchResult searchDeployments(const PlatformModel& node, const DeploymentSearchSpace& space,
                                         const DeploymentSlo& slo, unsigned threads = 0);

/// @brief "agg 2 x tp4" / "disagg 1 x tp8 (prefill) + 2 x tp4 ep4 (decode)": a layout in words, for tables.
std::string describeDeployment(const Deployment& d);

} // namespace rooflab::serving
