// Deployment search on the serving simulator (model/serving/deployment_search): the front is a Pareto front, the
// best configuration meets the targets and is the best of those that do, replicas are sized for a required rate,
// and the aggregated candidates are the simulator's own numbers.
#include "codec/catalog.hpp"
#include "serving/deployment_search.hpp"
#include "serving_fixture.hpp"
#include "units/errors.hpp"

#include <gtest/gtest.h>

using namespace rooflab;
using namespace rooflab::serving;
using namespace rooflab::serving::test_support;

namespace {

DeploymentSearchSpace llamaSpace() {
    DeploymentSearchSpace sp;
    sp.arch = fx().llama;
    sp.stack = fx().vllm;
    sp.datatypes = ScenarioBuilder().build();
    sp.gpuBudget = 8;
    sp.inputTokens = 1024;
    sp.outputTokens = 128;
    sp.batch = {1, 4, 16, 64};
    sp.disaggregated = false;
    return sp;
}

} // namespace

TEST(DeploymentSearch, ParetoFrontIsNotDominatedAndCoversTheBest) {
    const DeploymentSearchResult r = searchDeployments(fx().hgxH100, llamaSpace(), {}, 2);
    ASSERT_FALSE(r.pareto.empty());
    ASSERT_EQ(r.candidates.size(), 4u * 4u); // tp 1, 2, 4, 8 x 4 batches
    for (std::size_t i : r.pareto) {
        const DeploymentCandidate& p = r.candidates[i];
        ASSERT_TRUE(p.ok);
        for (const DeploymentCandidate& c : r.candidates) {
            if (!c.ok)
                continue;
            EXPECT_FALSE(c.outputTokensPerSPerUser > p.outputTokensPerSPerUser * (1 + 1e-12) &&
                         c.outputTokensPerSPerGpu > p.outputTokensPerSPerGpu * (1 + 1e-12))
                << describeDeployment(c.deployment) << " dominates " << describeDeployment(p.deployment);
        }
    }
    for (std::size_t k = 1; k < r.pareto.size(); ++k) // ascending per-user rate, descending per-GPU rate
        EXPECT_GE(r.candidates[r.pareto[k]].outputTokensPerSPerUser,
                  r.candidates[r.pareto[k - 1]].outputTokensPerSPerUser);
    // Without targets the best is the highest tokens/s per GPU, which is always on the front.
    ASSERT_TRUE(r.best);
    EXPECT_NE(std::find(r.pareto.begin(), r.pareto.end(), *r.best), r.pareto.end());
}

TEST(DeploymentSearch, BestMeetsTheTargetsAndNoBetterCandidateDoes) {
    DeploymentSlo slo;
    slo.tpotMaxS = 0.008;
    const DeploymentSearchResult r = searchDeployments(fx().hgxH100, llamaSpace(), slo, 2);
    ASSERT_TRUE(r.best);
    const DeploymentCandidate& b = r.candidates[*r.best];
    EXPECT_TRUE(b.meetsSlo);
    EXPECT_LE(b.tpotS, slo.tpotMaxS);
    int missing = 0;
    for (const DeploymentCandidate& c : r.candidates) {
        if (c.meetsSlo)
            EXPECT_LE(c.outputTokensPerSPerGpu, b.outputTokensPerSPerGpu);
        else if (c.ok) {
            EXPECT_GT(c.tpotS, slo.tpotMaxS);
            EXPECT_NE(c.why.find("TPOT"), std::string::npos) << c.why;
            ++missing;
        }
    }
    EXPECT_GT(missing, 0) << "the target should rule out the large batches";
    // A tighter target never yields more tokens/s per GPU.
    slo.tpotMaxS = 0.005;
    const DeploymentSearchResult tight = searchDeployments(fx().hgxH100, llamaSpace(), slo, 2);
    if (tight.best) {
        EXPECT_LE(tight.candidates[*tight.best].outputTokensPerSPerGpu, b.outputTokensPerSPerGpu);
    }
}

TEST(DeploymentSearch, ReplicasAreSizedForTheRequiredRate) {
    DeploymentSlo slo;
    slo.outputTokensPerS = 50'000;
    const DeploymentSearchResult r = searchDeployments(fx().hgxH100, llamaSpace(), slo, 2);
    ASSERT_TRUE(r.best);
    for (const DeploymentCandidate& c : r.candidates) {
        if (!c.ok)
            continue;
        EXPECT_GE(c.outputTokensPerS * c.replicas, slo.outputTokensPerS * (1 - 1e-9));
        EXPECT_LT(c.outputTokensPerS * (c.replicas - 1), slo.outputTokensPerS);
        EXPECT_EQ(c.totalGpus, c.gpus * c.replicas);
        EXPECT_GE(c.totalGpus, r.candidates[*r.best].totalGpus);
    }
}

TEST(DeploymentSearch, AggregatedCandidatesAreTheSimulatorsNumbers) {
    DeploymentSearchSpace sp = llamaSpace();
    sp.tp = {2};
    sp.batch = {16};
    const DeploymentSearchResult r = searchDeployments(fx().hgxH100, sp, {}, 1);
    ASSERT_EQ(r.candidates.size(), 1u);
    const DeploymentCandidate& c = r.candidates.front();
    ASSERT_TRUE(c.ok) << c.why;
    EXPECT_EQ(c.deployment.aggregated.workers, 4); // 8 GPUs of tp2 workers
    EXPECT_EQ(c.gpus, 8);
    Deployment one = c.deployment;
    one.aggregated.workers = 1;
    serving::Workload load;
    load.concurrency = 16;
    load.inputTokens = 1024;
    load.outputTokens = 128;
    load.requests = 4 * 16;
    Options opt;
    opt.keepIterations = false;
    const ServingResult s = simulateDeployment(fx().hgxH100, sp.arch, sp.stack, sp.datatypes, one, load, opt);
    ASSERT_TRUE(s.ok) << s.error;
    EXPECT_DOUBLE_EQ(c.tpotS, s.tpotS.mean);
    EXPECT_DOUBLE_EQ(c.ttftS, s.ttftS.mean);
    EXPECT_DOUBLE_EQ(c.outputTokensPerSPerGpu, s.outputTokensPerSPerGpu);
    EXPECT_NEAR(c.outputTokensPerS, s.outputTokensPerS * 4, 1e-6 * c.outputTokensPerS);
}

TEST(DeploymentSearch, InfeasibleLayoutsCarryTheirReason) {
    DeploymentSearchSpace sp = llamaSpace();
    sp.arch = fx().cat.model("llama-3.1-70b");
    sp.tp = {1, 8};
    sp.batch = {8};
    const DeploymentSearchResult r = searchDeployments(fx().hgxH100, sp, {}, 1);
    ASSERT_EQ(r.candidates.size(), 2u);
    EXPECT_FALSE(r.candidates[0].ok); // 141 GB of bf16 weights on one 80 GB GPU
    EXPECT_FALSE(r.candidates[0].why.empty());
    EXPECT_TRUE(r.candidates[1].ok) << r.candidates[1].why;
}

TEST(DeploymentSearch, RejectsEmptySpaces) {
    DeploymentSearchSpace sp = llamaSpace();
    sp.gpuBudget = 0;
    EXPECT_THROW(searchDeployments(fx().hgxH100, sp, {}, 1), InputError);
    sp = llamaSpace();
    sp.tp.clear();
    EXPECT_THROW(searchDeployments(fx().hgxH100, sp, {}, 1), InputError);
    sp = llamaSpace();
    sp.aggregated = sp.disaggregated = false;
    EXPECT_THROW(searchDeployments(fx().hgxH100, sp, {}, 1), InputError);
}
