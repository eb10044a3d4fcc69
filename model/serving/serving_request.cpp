#include "serving/serving_request.hpp"

#include "analysis/step_graph.hpp"
#include "codec/request_codec.hpp"

#include <optional>
#include <utility>

namespace rooflab::serving {

PoolLayout poolLayoutOf(const ServingPool& p, const LlmArch& arch, std::vector<std::string>* notes) {
    PoolLayout l;
    l.workers = p.workers;
    l.batch = p.batch;
    l.tp = p.tp;
    l.pp = p.pp;
    l.attentionDp = p.attentionDp;
    l.maxNumTokens = p.maxNumTokens;
    const int attentionGpus = p.tp * p.attentionDp;
    if (!arch.isMoe()) {
        // A dense model has no experts to split: its feed-forward runs like attention.
        if (notes && p.ep > 1)
            notes->push_back("ep " + std::to_string(p.ep) + " ignored: " + arch.name + " has no experts");
        l.ep = 1;
        l.moeTp = attentionGpus;
        return l;
    }
    l.ep = p.ep;
    l.moeTp = p.moeTp;
    // moe_tp not given, or the benchmarks' "1 x 1" for experts split like the rest of the layer.
    if ((l.moeTp == 0 || (l.moeTp == 1 && l.ep == 1)) && attentionGpus % l.ep == 0)
        l.moeTp = attentionGpus / l.ep;
    return l;
}

Deployment deploymentOf(const ServingWork& w, const LlmArch& arch, std::vector<std::string>* notes) {
    Deployment d;
    if (w.mode == ServingMode::Aggregated) {
        d.mode = DeploymentMode::Aggregated;
        d.aggregated = poolLayoutOf(w.aggregated, arch, notes);
    } else {
        d.mode = DeploymentMode::Disaggregated;
        d.prefill = poolLayoutOf(w.prefill, arch, notes);
        d.decode = poolLayoutOf(w.decode, arch, notes);
    }
    return d;
}

Workload workloadOf(const ServingWork& w) {
    Workload load;
    load.arrival = Arrival::ClosedLoop;
    load.concurrency = w.concurrency;
    load.inputTokens = w.isl;
    load.outputTokens = w.osl;
    load.requests = w.requests;
    load.warmup = w.warmup;
    load.coldStartRounds = w.benchmarkRounds;
    return load;
}

ServingResult simulateRequest(const PlatformModel& pm, const Request& r, const Options& options) {
    auto failed = [](std::string why) {
        ServingResult res;
        res.ok = false;
        res.error = std::move(why);
        return res;
    };
    const auto* w = std::get_if<ServingWork>(&r.workload);
    if (!w)
        return failed("not a serving case (kind " + std::string(r.kindName()) + ")");
    if (!w->target.arch || !w->target.stack)
        return failed("the case's model or stack is not resolved (front-end error)");
    const LlmArch& arch = *w->target.arch;
    std::vector<std::string> notes;
    Scenario datatypes = r.scenario;
    if (w->moeWeights) {
        if (arch.isMoe()) {
            datatypes.weights = *w->moeWeights;
            notes.push_back("one weight datatype per step: the experts' moe_weights " + w->moeWeightsFormat +
                            " used for all weights (weights " + w->weightsFormat + ")");
        } else {
            notes.push_back("moe_weights ignored: " + arch.name + " has no experts");
        }
    }
    const Deployment d = deploymentOf(*w, arch, &notes);
    // A layout the model cannot run is refused before the simulation, naming its key (issue 20): "'tp': 3 does not
    // divide the 64 attention heads", for a disaggregated case "'decode.tp': ...".
    auto checkPool = [&](const PoolLayout& l, const char* pool) -> std::optional<ServingResult> {
        Scenario s = datatypes;
        s.phase = Phase::Decode;
        s.batch = 1;
        s.context = 0;
        s.tp = l.tp;
        s.pp = l.pp;
        s.ep = l.ep;
        s.dp = 1;
        s.attentionDp = l.attentionDp;
        s.moeTp = arch.isMoe() ? l.moeTp : 0;
        for (const ScenarioStatus& st : checkScenario(arch, s)) {
            if (!st.isError())
                continue;
            ServingResult res = failed(st.message);
            res.errorKey = (*pool ? std::string(pool) + "." : std::string()) + st.key;
            res.error = "'" + res.errorKey + "': " + st.message;
            return res;
        }
        return std::nullopt;
    };
    const std::vector<std::pair<const PoolLayout*, const char*>> pools =
        d.mode == DeploymentMode::Aggregated
            ? std::vector<std::pair<const PoolLayout*, const char*>>{{&d.aggregated, ""}}
            : std::vector<std::pair<const PoolLayout*, const char*>>{{&d.prefill, "prefill"}, {&d.decode, "decode"}};
    for (const auto& [layout, pool] : pools)
        if (auto bad = checkPool(*layout, pool))
            return std::move(*bad);
    Options opt = options;
    if (w->specTokens > 0) {
        opt.speculativeTokens = w->specTokens;
        opt.acceptanceRate = w->specAcceptance;
    }
    ServingResult res = simulateDeployment(pm, arch, *w->target.stack, datatypes, d, workloadOf(*w), opt);
    res.notes.insert(res.notes.begin(), notes.begin(), notes.end());
    return res;
}

nlohmann::json encodeServingResult(const Request& r, const ServingResult& res) {
    nlohmann::json out = spec::resultLineStart(r, res.ok, res.error);
    if (!res.ok)
        return out;
    auto dist = [&](const char* name, const Distribution& d) {
        const std::string n(name);
        out[n + "_s"] = d.mean;
        out[n + "_p50_s"] = d.p50;
        out[n + "_p90_s"] = d.p90;
        out[n + "_p99_s"] = d.p99;
    };
    dist("ttft", res.ttftS);
    dist("tpot", res.tpotS);
    dist("itl", res.itlS);
    dist("e2e", res.e2eS);
    out["output_tokens_per_s"] = res.outputTokensPerS;
    out["output_tokens_per_s_per_gpu"] = res.outputTokensPerSPerGpu;
    out["output_tokens_per_s_per_user"] = res.outputTokensPerSPerUser;
    out["total_tokens_per_s"] = res.totalTokensPerS;
    out["requests_per_s"] = res.requestsPerS;
    out["gpus"] = res.gpus;
    out["measured_requests"] = res.measured;
    out["preemptions"] = res.preemptions;
    out["kv_utilization_peak"] = res.peakKvUtilization;
    if (!res.notes.empty())
        out["notes"] = res.notes;
    return out;
}

} // namespace rooflab::serving
