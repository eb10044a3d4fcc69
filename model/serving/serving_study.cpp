#include "serving/serving_study.hpp"

#include "units/errors.hpp"

#include <algorithm>

namespace rooflab::serving {

Deployment scenarioDeployment(const Scenario& s, DeploymentMode mode, int prefillWorkers, int decodeWorkers) {
    PoolLayout pool;
    pool.tp = std::max(1, s.tp);
    pool.pp = std::max(1, s.pp);
    pool.ep = std::max(1, s.ep);
    pool.moeTp = std::max(1, pool.tp / pool.ep);
    Deployment d;
    d.mode = mode;
    if (mode == DeploymentMode::Aggregated) {
        d.aggregated = pool;
    } else {
        d.prefill = pool;
        d.prefill.workers = std::max(1, prefillWorkers);
        d.decode = pool;
        d.decode.workers = std::max(1, decodeWorkers);
    }
    return d;
}

ServingStudy runServingStudy(const PlatformModel& pm, const LlmArch& arch, const StackProfile& stack,
                             const Scenario& datatypes, const ServingStudyConfig& config) {
    std::vector<int> concurrency = config.concurrency;
    std::sort(concurrency.begin(), concurrency.end());
    concurrency.erase(std::unique(concurrency.begin(), concurrency.end()), concurrency.end());
    if (concurrency.empty() || concurrency.front() < 1)
        throw InputError("", 0, "concurrency", "give one or more concurrencies of at least 1");
    ServingStudy study;
    for (int c : concurrency) {
        ServingStudyPoint p;
        p.concurrency = c;
        Workload load;
        load.concurrency = c;
        load.inputTokens = config.inputTokens;
        load.outputTokens = config.outputTokens;
        Options opt;
        opt.keepIterations = c == concurrency.back();
        try {
            p.result = simulateDeployment(pm, arch, stack, datatypes, config.deployment, load, opt);
        } catch (const std::exception& e) {
            p.result.ok = false;
            p.result.error = e.what();
        }
        if (!p.result.ok)
            study.notes.push_back("concurrency " + std::to_string(c) + ": " + p.result.error);
        study.points.push_back(std::move(p));
    }
    if (config.searchGpus > 0 && (config.searchAggregated || config.searchDisaggregated)) {
        DeploymentSearchSpace sp;
        sp.arch = arch;
        sp.stack = stack;
        sp.datatypes = datatypes;
        sp.gpuBudget = config.searchGpus;
        sp.inputTokens = config.inputTokens;
        sp.outputTokens = config.outputTokens;
        sp.aggregated = config.searchAggregated;
        sp.disaggregated = config.searchDisaggregated;
        try {
            study.search = searchDeployments(pm, sp, config.slo, config.threads);
            study.searched = true;
            if ((config.slo.ttftMaxS > 0 || config.slo.tpotMaxS > 0) && !study.search.best)
                study.notes.push_back("deployment search: no layout meets the SLO");
        } catch (const std::exception& e) {
            study.notes.push_back(std::string("deployment search: ") + e.what());
        }
    }
    return study;
}

} // namespace rooflab::serving
