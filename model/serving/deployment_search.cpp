#include "serving/deployment_search.hpp"

#include "analysis/parallel.hpp"
#include "analysis/search.hpp"
#include "engine/predict.hpp"
#include "spec/request.hpp"
#include "units/errors.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <iomanip>
#include <sstream>

namespace rooflab::serving {

namespace {

/// A layout of one worker: how its GPUs split attention and experts.
struct WorkerShape {
    int tp = 1, pp = 1, ep = 1, moeTp = 1, attentionDp = 1;
    int gpus() const { return tp * pp * attentionDp; }
};

/// Worker shapes within `budget` GPUs. Dense models: attention DP is replication, so only tp x pp; the FFN runs
/// tp-way. MoE models: for each attention-DP degree, the experts either split over all of the worker's GPUs (EP)
/// or tensor-parallel (moe_tp), as the frameworks' layouts allow (moe_tp x ep = tp x attention_dp).
std::vector<WorkerShape> workerShapes(const DeploymentSearchSpace& sp, int budget) {
    std::vector<WorkerShape> out;
    const bool moe = sp.arch.isMoe();
    for (int tp : sp.tp)
        for (int pp : sp.pp)
            for (int adp : moe ? sp.attentionDp : std::vector<int>{1}) {
                const int width = tp * adp;
                if (tp < 1 || pp < 1 || adp < 1 || width * pp > budget)
                    continue;
                if (!moe) {
                    out.push_back({tp, pp, 1, tp, 1});
                    continue;
                }
                out.push_back({tp, pp, width, 1, adp}); // experts split by EP
                if (width > 1 && adp == 1)
                    out.push_back({tp, pp, 1, width, adp}); // experts tensor-parallel
            }
    return out;
}

PoolLayout poolOf(const WorkerShape& w, int workers, int batch) {
    PoolLayout p;
    p.workers = workers;
    p.batch = batch;
    p.tp = w.tp;
    p.pp = w.pp;
    p.ep = w.ep;
    p.moeTp = w.moeTp;
    p.attentionDp = w.attentionDp;
    return p;
}

/// Seconds of one step of `s` on one worker of shape `w`, plus the host time the scheduler does not hide; a
/// negative value when the step model refuses it.
double stepSeconds(const PlatformModel& pm, const DeploymentSearchSpace& sp, const WorkerShape& w, Scenario s) {
    s.tp = w.tp;
    s.pp = w.pp;
    s.ep = w.ep;
    s.dp = 1;
    Result r = predict(pm, llmRequestOf(sp.arch, sp.stack, s, false));
    if (!r.ok || !r.fits)
        return -1;
    const SchedulerProfile& sch = sp.stack.scheduler;
    const double host = sch.iterationOverheadS + sch.sequenceOverheadS * double(s.batch);
    return sch.overlapScheduler ? std::max(r.latencyS, host) : r.latencyS + host;
}

/// The disaggregated worker ratio for a prefill shape, a decode shape and a decode batch: prefill workers x and
/// decode workers y within the budget whose request rates match best (aiconfigurator's rate matching), judged on
/// one prefill step and one decode step at the mean context. Returns {0, 0} when nothing fits.
std::pair<int, int> matchRates(const PlatformModel& pm, const DeploymentSearchSpace& sp, const WorkerShape& pw,
                               const WorkerShape& dw, int batch, int budget) {
    const Scenario pre =
        ScenarioBuilder(sp.datatypes).phase(Phase::Prefill).batch(sp.prefillBatch).prompt(sp.inputTokens).unchecked();
    const Scenario dec = ScenarioBuilder(sp.datatypes)
                             .phase(Phase::Decode)
                             .batch(batch)
                             .context(sp.inputTokens + sp.outputTokens / 2)
                             .unchecked();
    const double tPre = stepSeconds(pm, sp, pw, pre), tDec = stepSeconds(pm, sp, dw, dec);
    if (tPre <= 0 || tDec <= 0)
        return {0, 0};
    const double prefillRequestsPerS = double(sp.prefillBatch) / tPre; // per worker
    const double decodeRequestsPerS =
        double(batch) / (tDec * double(std::max<int64_t>(1, sp.outputTokens))); // per worker
    std::pair<int, int> best{0, 0};
    double bestPerGpu = 0;
    for (int y = 1; y * dw.gpus() + pw.gpus() <= budget; ++y)
        for (int x = 1; x * pw.gpus() + y * dw.gpus() <= budget; ++x) {
            const double rate = std::min(x * prefillRequestsPerS, y * decodeRequestsPerS);
            const double perGpu = rate / double(x * pw.gpus() + y * dw.gpus());
            if (perGpu > bestPerGpu * (1 + 1e-9)) {
                bestPerGpu = perGpu;
                best = {x, y};
            }
        }
    return best;
}

std::string millis(double s) {
    std::ostringstream os;
    os << std::setprecision(4) << s * 1e3 << " ms";
    return os.str();
}

void judge(DeploymentCandidate& c, const DeploymentSlo& slo) {
    if (!c.ok)
        return;
    c.replicas = 1;
    if (slo.outputTokensPerS > 0 && c.outputTokensPerS > 0)
        c.replicas = static_cast<int>(std::ceil(slo.outputTokensPerS / c.outputTokensPerS - 1e-9));
    c.totalGpus = c.gpus * c.replicas;
    if (slo.ttftMaxS > 0 && c.ttftS > slo.ttftMaxS)
        c.why = "TTFT " + millis(c.ttftS) + " > " + millis(slo.ttftMaxS);
    else if (slo.tpotMaxS > 0 && c.tpotS > slo.tpotMaxS)
        c.why = "TPOT " + millis(c.tpotS) + " > " + millis(slo.tpotMaxS);
    c.meetsSlo = c.why.empty();
}

} // namespace

std::string describeDeployment(const Deployment& d) {
    auto pool = [](const PoolLayout& p) {
        std::string s = std::to_string(p.workers) + " x tp" + std::to_string(p.tp);
        if (p.pp > 1)
            s += " pp" + std::to_string(p.pp);
        if (p.attentionDp > 1)
            s += " dp" + std::to_string(p.attentionDp);
        if (p.ep > 1)
            s += " ep" + std::to_string(p.ep);
        if (p.batch > 0)
            s += " b" + std::to_string(p.batch);
        return s;
    };
    if (d.mode == DeploymentMode::Aggregated)
        return "agg " + pool(d.aggregated);
    return "disagg " + pool(d.prefill) + " (prefill) + " + pool(d.decode) + " (decode)";
}

DeploymentSearchResult searchDeployments(const PlatformModel& node, const DeploymentSearchSpace& sp,
                                         const DeploymentSlo& slo, unsigned threads) {
    if (sp.gpuBudget < 1)
        throw InputError("", 0, "--gpus", "the GPU budget must be at least 1");
    if (sp.tp.empty() || sp.pp.empty() || sp.batch.empty() || sp.attentionDp.empty())
        throw InputError("", 0, "", "a layout list (tp, pp, attention-dp, batch) is empty");
    if (!sp.aggregated && !sp.disaggregated)
        throw InputError("", 0, "--mode", "neither aggregated nor disaggregated deployments are enabled");
    if (sp.inputTokens < 1 || sp.outputTokens < 1 || sp.prefillBatch < 1)
        throw InputError("", 0, "", "input and output tokens and the prefill batch must be at least 1");

    DeploymentSearchResult res;
    // Aggregated: one worker per shape and batch is simulated (replicas behave alike under a balanced load, so
    // per-GPU and per-user rates are a worker's); the deployment fills the budget with replicas.
    if (sp.aggregated)
        for (const WorkerShape& w : workerShapes(sp, sp.gpuBudget))
            for (int b : sp.batch) {
                DeploymentCandidate c;
                c.deployment.mode = DeploymentMode::Aggregated;
                c.deployment.aggregated = poolOf(w, std::max(1, sp.gpuBudget / w.gpus()), b);
                c.concurrency = b;
                res.candidates.push_back(c);
            }
    // Disaggregated: every prefill shape x decode shape x decode batch, the worker ratio by rate matching.
    if (sp.disaggregated && sp.gpuBudget >= 2) {
        const std::vector<WorkerShape> shapes = workerShapes(sp, sp.gpuBudget - 1);
        std::vector<std::tuple<WorkerShape, WorkerShape, int>> jobs;
        for (const WorkerShape& pw : shapes)
            for (const WorkerShape& dw : shapes)
                if (pw.gpus() + dw.gpus() <= sp.gpuBudget)
                    for (int b : sp.batch)
                        jobs.emplace_back(pw, dw, b);
        std::vector<DeploymentCandidate> dis(jobs.size());
        parallelFor(jobs.size(), threads, [&](std::size_t i) {
            const auto& [pw, dw, b] = jobs[i];
            const auto [x, y] = matchRates(node, sp, pw, dw, b, sp.gpuBudget);
            DeploymentCandidate& c = dis[i];
            c.deployment.mode = DeploymentMode::Disaggregated;
            c.deployment.prefill = poolOf(pw, std::max(1, x), sp.prefillBatch);
            c.deployment.decode = poolOf(dw, std::max(1, y), b);
            c.concurrency = std::max(1, y) * b;
            if (x == 0)
                c.why = "a prefill or decode worker of this layout does not fit";
        });
        for (auto& c : dis)
            res.candidates.push_back(std::move(c));
    }

    // Simulate every candidate (in parallel: each simulation is independent and pure).
    std::atomic<int> sims{0};
    parallelFor(res.candidates.size(), threads, [&](std::size_t i) {
        DeploymentCandidate& c = res.candidates[i];
        if (!c.why.empty())
            return;
        Deployment d = c.deployment;
        Workload load;
        load.arrival = Arrival::ClosedLoop;
        load.inputTokens = sp.inputTokens;
        load.outputTokens = sp.outputTokens;
        load.concurrency = c.concurrency;
        load.requests = std::max<int64_t>(16, int64_t(sp.requestsPerClient) * c.concurrency);
        if (d.mode == DeploymentMode::Aggregated)
            d.aggregated.workers = 1; // one replica simulated; the others behave alike
        Options opt;
        opt.keepIterations = false;
        ++sims;
        const ServingResult r = simulateDeployment(node, sp.arch, sp.stack, sp.datatypes, d, load, opt);
        if (!r.ok) {
            c.why = r.error;
            return;
        }
        c.ok = true;
        c.ttftS = r.ttftS.mean;
        c.ttftP90S = r.ttftS.p90;
        c.tpotS = r.tpotS.mean;
        c.tpotP90S = r.tpotS.p90;
        c.e2eS = r.e2eS.mean;
        c.outputTokensPerSPerGpu = r.outputTokensPerSPerGpu;
        c.outputTokensPerSPerUser = r.outputTokensPerSPerUser;
        c.gpus = c.deployment.gpus();
        c.outputTokensPerS = r.outputTokensPerSPerGpu * double(c.gpus);
    });
    res.simulations = sims.load();

    std::vector<std::size_t> okIdx;
    std::vector<std::pair<double, double>> xy;
    for (std::size_t i = 0; i < res.candidates.size(); ++i) {
        DeploymentCandidate& c = res.candidates[i];
        judge(c, slo);
        if (c.ok) {
            okIdx.push_back(i);
            // paretoFront: x lower-better, y higher-better.
            xy.emplace_back(-c.outputTokensPerSPerUser, c.outputTokensPerSPerGpu);
        }
    }
    for (std::size_t k : paretoFront(xy))
        res.pareto.push_back(okIdx[k]);
    std::reverse(res.pareto.begin(), res.pareto.end()); // by tokens/s per user, ascending
    auto better = [&](const DeploymentCandidate& a, const DeploymentCandidate& b) {
        if (slo.outputTokensPerS > 0 && a.totalGpus != b.totalGpus)
            return a.totalGpus < b.totalGpus;
        if (a.outputTokensPerSPerGpu != b.outputTokensPerSPerGpu)
            return a.outputTokensPerSPerGpu > b.outputTokensPerSPerGpu;
        return a.gpus < b.gpus;
    };
    for (std::size_t i = 0; i < res.candidates.size(); ++i)
        if (res.candidates[i].meetsSlo && (!res.best || better(res.candidates[i], res.candidates[*res.best])))
            res.best = i;
    return res;
}

} // namespace rooflab::serving
