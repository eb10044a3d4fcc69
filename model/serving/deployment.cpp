#include "serving/serving.hpp"

#include <string>

namespace rooflab::serving {

namespace {

ServingResult failed(std::string why) {
    ServingResult r;
    r.ok = false;
    r.error = std::move(why);
    return r;
}

} // namespace

ServingResult simulateDeployment(const PlatformModel& pm, const LlmArch& arch, const StackProfile& stack,
                                 const Scenario& datatypes, const Deployment& deployment, const Workload& load,
                                 const Options& options) {
    if (deployment.mode == DeploymentMode::Disaggregated)
        return failed("disaggregated deployments are not simulated yet");
    const PoolLayout& p = deployment.aggregated;
    if (p.workers != 1 || p.attentionDp != 1)
        return failed("replicas (workers > 1) and attention data parallelism are not simulated yet");
    if (p.moeTp * p.ep != p.tp)
        return failed("MoE layout moe_tp " + std::to_string(p.moeTp) + " x ep " + std::to_string(p.ep) +
                      " must equal tp " + std::to_string(p.tp));
    Scenario base = datatypes;
    base.tp = p.tp;
    base.pp = p.pp;
    base.ep = p.ep;
    base.dp = 1;
    StackProfile s = stack;
    if (p.batch > 0)
        s.scheduler.maxSeqs = p.batch;
    return simulate(pm, arch, s, base, load, options);
}

} // namespace rooflab::serving
