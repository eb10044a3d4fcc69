// The serving study the GUI's Serving page and the report's Serving section share, and the measured aic-silicon
// points they overlay (model/serving/serving_study, model/serving/measured_serving).
#include "io/csv.hpp"
#include "serving/measured_serving.hpp"
#include "serving/serving_study.hpp"
#include "serving/serving_validation.hpp"
#include "serving_fixture.hpp"
#include "units/errors.hpp"

#include <gtest/gtest.h>

using namespace rooflab;
using rooflab::serving::test_support::fx;

namespace {

const io::CsvTable& aicSilicon() {
    static const io::CsvTable t =
        io::loadCsvFile(std::string(ROOFLAB_SOURCE_DIR) + "/datasets/public/aic-silicon/e2e_h100_h200.csv");
    return t;
}

} // namespace

// Llama-3.1-8B on H100 at ISL 1024 / OSL 128: the 20 TensorRT-LLM runs (TP 1, 2, 4, 8 x concurrency 8..128),
// matched through the preset's aliases (the rows name meta-llama/Llama-3.1-8B-Instruct).
TEST(MeasuredServing, PointsOfOneModelOnOneGpu) {
    const LlmArch& llama = fx().llama;
    const auto q = serving::measuredQueryFor(llama, "h100-sxm5-80gb", 1024, 128);
    EXPECT_EQ(q.gpu, "h100");
    const auto pts = serving::measuredServingPoints(aicSilicon(), fx().cat, q);
    ASSERT_EQ(pts.size(), 20u);
    for (const auto& p : pts) {
        EXPECT_EQ(p.isl, 1024);
        EXPECT_EQ(p.osl, 128);
        EXPECT_EQ(p.backend, "trtllm");
        EXPECT_EQ(p.mode, "agg");
        EXPECT_EQ(p.gpu, "H100-SXM-80GB");
    }
    // First run: TP 1, concurrency 8, TTFT 190.95 ms, TPOT 7.9436 ms, one GPU. Per user 1 / TPOT; per GPU the closed
    // loop's output rate, 8 x 128 / (TTFT + 127 TPOT).
    const auto& p = pts.front();
    EXPECT_EQ(p.concurrency, 8);
    EXPECT_EQ(p.gpus, 1);
    EXPECT_NEAR(p.outputTokensPerSPerUser, 1000.0 / 7.943577, 1e-3);
    EXPECT_NEAR(p.outputTokensPerSPerGpu, 8.0 * 128 / (0.1909545 + 127 * 0.007943577), 0.5);
    // TP 8 rows count 8 GPUs, as serving validation does.
    EXPECT_EQ(pts.back().gpus, 8);

    // Without lengths: every H100 run of the model (177); on H200 the FP8 checkpoint's and SGLang's runs (alias).
    EXPECT_EQ(serving::measuredServingPoints(aicSilicon(), fx().cat, serving::measuredQueryFor(llama, "h100")).size(),
              177u);
    const auto h200 = serving::measuredServingPoints(aicSilicon(), fx().cat, serving::measuredQueryFor(llama, "h200"));
    EXPECT_EQ(h200.size(), 67u);
    // Lengths the file does not have for the model: every length.
    EXPECT_EQ(serving::measuredServingPoints(aicSilicon(), fx().cat,
                                             serving::measuredQueryFor(llama, "h100-sxm5-80gb", 1024, 64))
                  .size(),
              177u);
    // A model with no runs, and a table that is not aic-silicon.
    EXPECT_TRUE(serving::measuredServingPoints(aicSilicon(), fx().cat, serving::measuredQueryFor(fx().qwenMoe, "h100"))
                    .empty());
    EXPECT_THROW(serving::measuredServingPoints(io::parseCsv("a,b\n1,2\n", "x.csv"), fx().cat, q), InputError);
}

// Disaggregated GPUs: both pools, as validation counts them.
TEST(MeasuredServing, DisaggregatedRowsCountBothPools) {
    serving::MeasuredServingQuery q;
    q.source = "deepseek-ai/DeepSeek-R1"; // by id alone (no model name)
    q.gpu = "h200";
    const auto pts = serving::measuredServingPoints(aicSilicon(), fx().cat, q);
    ASSERT_FALSE(pts.empty());
    const io::CsvTable& t = aicSilicon();
    int disagg = 0;
    for (const auto& p : pts) {
        if (p.mode != "disagg")
            continue;
        ++disagg;
        for (std::size_t r = 0; r < t.rows.size(); ++r)
            if (t.text(r, t.column("id")) == p.id) {
                std::string why;
                const auto line = serving::caseOfRow(t, r, why);
                ASSERT_TRUE(line);
                const int expect =
                    (*line)["prefill"]["workers"].get<int>() * (*line)["prefill"]["tp"].get<int>() *
                        (*line)["prefill"]["pp"].get<int>() * (*line)["prefill"]["attention_dp"].get<int>() +
                    (*line)["decode"]["workers"].get<int>() * (*line)["decode"]["tp"].get<int>() *
                        (*line)["decode"]["pp"].get<int>() * (*line)["decode"]["attention_dp"].get<int>();
                EXPECT_EQ(p.gpus, expect) << p.id;
            }
    }
    // DeepSeek-R1 disaggregated on H200: of the 92 TensorRT-LLM runs, the 19 whose worker counts the file records
    // (on the row or on a copy of the same run); without them the GPUs are unknown.
    EXPECT_EQ(disagg, 19);
}

// The study simulates each concurrency, keeps the timeline at the highest, and runs the search with the SLO.
TEST(ServingStudy, CurveTimelineAndSearchUnderSlo) {
    serving::ServingStudyConfig c;
    c.deployment = serving::scenarioDeployment(Scenario{}, serving::DeploymentMode::Aggregated);
    c.concurrency = {4, 1};
    c.inputTokens = 512;
    c.outputTokens = 32;
    c.searchGpus = 2;
    c.slo.tpotMaxS = 0.05;
    const serving::ServingStudy s = serving::runServingStudy(fx().pm, fx().llama, fx().vllm, Scenario{}, c);
    ASSERT_EQ(s.points.size(), 2u);
    EXPECT_EQ(s.points[0].concurrency, 1);
    EXPECT_TRUE(s.points[0].result.ok) << s.points[0].result.error;
    EXPECT_TRUE(s.points[0].result.iterations.empty());
    EXPECT_FALSE(s.points[1].result.iterations.empty());
    EXPECT_LT(s.points[0].result.ttftS.mean, s.points[1].result.ttftS.mean);
    EXPECT_TRUE(s.searched);
    ASSERT_TRUE(s.search.best);
    EXPECT_TRUE(s.search.candidates[*s.search.best].meetsSlo);
    EXPECT_LE(s.search.candidates[*s.search.best].tpotS, 0.05);

    // Disaggregated: the scenario's deployment has both pools, the search only disaggregated layouts.
    c.deployment = serving::scenarioDeployment(Scenario{}, serving::DeploymentMode::Disaggregated, 1, 2);
    c.concurrency = {2};
    c.searchAggregated = false;
    c.searchDisaggregated = true;
    const serving::ServingStudy d = serving::runServingStudy(fx().pm, fx().llama, fx().vllm, Scenario{}, c);
    ASSERT_TRUE(d.points[0].result.ok) << d.points[0].result.error;
    EXPECT_EQ(d.points[0].result.workers, 3);
    EXPECT_EQ(d.points[0].result.gpus, 3);
    ASSERT_FALSE(d.search.candidates.empty());
    for (const auto& cand : d.search.candidates)
        EXPECT_EQ(cand.deployment.mode, serving::DeploymentMode::Disaggregated);

    c.concurrency = {};
    EXPECT_THROW(serving::runServingStudy(fx().pm, fx().llama, fx().vllm, Scenario{}, c), InputError);
}
