#pragma once
/// @brief Serving cases (spec's ServingWork: a `"kind":"serving"` cases line, a validation row) on the serving
/// simulator: the layout and load a case describes become a Deployment and a Workload, simulateDeployment runs them,
/// and the result becomes a cases output line. The one path `predict --cases` and `validate --dataset` share.
#include "serving/serving.hpp"
#include "spec/request.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace rooflab::serving {

/// @brief The simulator's pool of a case's pool on `arch`: MoE fields are the experts' split (dense models: all of
/// tp x attention_dp, ep 1); moe_tp 0 means tp x attention_dp / ep. A note is added where a field was ignored.
PoolLayout poolLayoutOf(const ServingPool& p, const LlmArch& arch, std::vector<std::string>* notes = nullptr);
Deployment deploymentOf(const ServingWork& w, const LlmArch& arch, std::vector<std::string>* notes = nullptr);
/// @brief The closed-loop load of a case.
Workload workloadOf(const ServingWork& w);

/// @brief Simulates a serving request (ServingWork, model and stack resolved) on `pm`. Infeasible or not yet
/// simulated deployments come back with ok = false and the reason; other workloads fail with a reason.
ServingResult simulateRequest(const PlatformModel& pm, const Request& r, const Options& options = {});

/// @brief The output line of a serving case: id, ttft_s, tpot_s, itl_s, e2e_s (means), their p50/p90/p99,
/// output_tokens_per_s (whole deployment), _per_gpu, _per_user, total_tokens_per_s, requests_per_s, gpus, and the
/// simulation's notes; {"id", "error"} when the case could not run.
nlohmann::json encodeServingResult(const Request& r, const ServingResult& res);

} // namespace rooflab::serving
