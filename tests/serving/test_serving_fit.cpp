// The scheduler constants fitted on measured serving runs (rooflab calibrate serving): the stack profile's
// sequence_overhead / frontend_latency / fitted provenance, their effect in the simulator, the calibration split and
// the stack-file rewrite.
#include "io/data_paths.hpp"
#include "io/files.hpp"
#include "io/model_loader.hpp"
#include "io/stack_loader.hpp"
#include "serving/serving_fit.hpp"
#include "serving_fixture.hpp"
#include "units/errors.hpp"

#include <gtest/gtest.h>
#include <map>
#include <regex>
#include <set>

namespace rooflab::serving {
namespace {

using test_support::closedLoop;
using test_support::fx;

std::string shippedStackText(const std::string& name) {
    return io::readInputFile(io::findStackFile(name), 64u << 20);
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1))
        ++n;
    return n;
}

TEST(ServingFit, ApplyRewritesTheSchedulerValuesAndNamesTheRows) {
    const std::string original = shippedStackText("sglang");
    SchedulerFit fit;
    fit.stack = "sglang";
    fit.iterationOverheadS = 250e-6;
    fit.sequenceOverheadS = 12.5e-6;
    fit.frontendLatencyS = 0.1405;
    fit.rows = {"row-a", "row \"b\""};
    const std::string once = applySchedulerFit(original, fit, "datasets/x.csv");
    const StackProfile s = io::loadStackString(once, "fitted.yaml");
    EXPECT_DOUBLE_EQ(s.scheduler.iterationOverheadS, 250e-6);
    EXPECT_DOUBLE_EQ(s.scheduler.sequenceOverheadS, 12.5e-6);
    EXPECT_NEAR(s.scheduler.frontendLatencyS, 0.1405, 1e-9);
    EXPECT_EQ(s.scheduler.fitted.rows, fit.rows);
    EXPECT_EQ(s.scheduler.fitted.dataset, "datasets/x.csv");
    EXPECT_EQ(s.scheduler.fitted.keys,
              (std::vector<std::string>{"iteration_overhead", "sequence_overhead", "frontend_latency"}));
    // Everything else reads back as before: the kernels, the rest of the scheduler.
    const StackProfile before = io::loadStackString(original, "sglang.yaml");
    EXPECT_EQ(s.kernelEfficiency.size(), before.kernelEfficiency.size());
    EXPECT_EQ(s.scheduler.tokenBudget, before.scheduler.tokenBudget);
    EXPECT_EQ(s.scheduler.overlapScheduler, before.scheduler.overlapScheduler);
    // A second fit replaces the first: one fitted block, one value line each.
    fit.sequenceOverheadS = 40e-6;
    fit.rows = {"row-c"};
    const std::string twice = applySchedulerFit(once, fit, "datasets/y.csv");
    EXPECT_EQ(count(twice, "\n  fitted:"), 1u);
    EXPECT_EQ(count(twice, "\n  iteration_overhead:"), 1u);
    EXPECT_EQ(count(twice, "\n  sequence_overhead:"), 1u);
    EXPECT_EQ(count(twice, "\n  frontend_latency:"), 1u);
    const StackProfile t = io::loadStackString(twice, "fitted.yaml");
    EXPECT_DOUBLE_EQ(t.scheduler.sequenceOverheadS, 40e-6);
    EXPECT_EQ(t.scheduler.fitted.rows, std::vector<std::string>{"row-c"});
}

TEST(ServingFit, StackLoaderChecksTheFittedProvenance) {
    const std::string base = "version: 1\nname: t\nscheduler:\n  framework: vllm\n  sequence_overhead: 20 us\n";
    const StackProfile ok =
        io::loadStackString(base + "  fitted:\n    provenance: fitted\n    keys: [sequence_overhead]\n"
                                   "    dataset: d.csv\n    rows: [a, b]\n",
                            "ok.yaml");
    EXPECT_DOUBLE_EQ(ok.scheduler.sequenceOverheadS, 20e-6);
    EXPECT_EQ(ok.scheduler.fitted.rows, (std::vector<std::string>{"a", "b"}));
    try {
        (void)io::loadStackString(base + "  fitted:\n    provenance: fitted\n    keys: [token_budget]\n"
                                         "    dataset: d.csv\n    rows: [a]\n",
                                  "bad.yaml");
        FAIL() << "a key that is not a fitted scheduler value was accepted";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("token_budget"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("scheduler.fitted.keys"), std::string::npos) << e.what();
    }
    EXPECT_THROW((void)io::loadStackString(base + "  fitted:\n    provenance: assumed\n    keys: []\n"
                                                  "    dataset: d.csv\n    rows: []\n",
                                           "bad.yaml"),
                 InputError);
}

TEST(ServingFit, CheckpointWeightFormatsComeFromTheQuantizationConfig) {
    // The block-scaled FP8 kernels run where the checkpoint's config says so: its own quantization_config for its
    // source and aliases, checkpoint_weights for quantized releases of a BF16 preset.
    EXPECT_EQ(fx().cat.model("deepseek-v3").checkpointWeights.at("deepseek-ai/DeepSeek-R1"), "fp8_block");
    EXPECT_EQ(fx().cat.model("qwen3-235b-a22b").checkpointWeights.at("Qwen/Qwen3-235B-A22B-FP8"), "fp8_block");
    EXPECT_EQ(fx().llama.checkpointWeights.count("nvidia/Llama-3.1-8B-Instruct-FP8"), 0u); // per-tensor ModelOpt
    const std::string base = "model_type: llama\nsource: a/b\nhidden_size: 64\nnum_hidden_layers: 2\n"
                             "num_attention_heads: 4\nintermediate_size: 128\nvocab_size: 100\n";
    // FP8 without block sizes (a mutated file from the release-binary fuzz run threw "invalid node" here).
    EXPECT_TRUE(
        io::loadModelString(base + "quantization_config: {quant_method: fp8}\n", "m.yaml").checkpointWeights.empty());
    EXPECT_EQ(io::loadModelString(base + "quantization_config: {quant_method: fp8, weight_block_size: [128, 128]}\n",
                                  "m.yaml")
                  .checkpointWeights.at("a/b"),
              "fp8_block");
    EXPECT_THROW((void)io::loadModelString(base + "checkpoint_weights: {x/y: fp9}\n", "m.yaml"), InputError);
}

TEST(ServingFit, SequenceOverheadLengthensHostBoundIterationsByTheBatch) {
    StackProfile stack = fx().vllm;
    stack.scheduler.overlapScheduler = false;
    stack.scheduler.iterationOverheadS = 0;
    stack.scheduler.sequenceOverheadS = 1e-3;
    Options opt;
    opt.keepIterations = true;
    const ServingResult r =
        simulate(fx().pm, fx().llama, stack, ScenarioBuilder().build(), closedLoop(8, 256, 32, 16), opt);
    ASSERT_TRUE(r.ok) << r.error;
    ASSERT_FALSE(r.iterations.empty());
    for (const IterationStat& it : r.iterations)
        EXPECT_NEAR(it.durationS, it.stepS + 1e-3 * double(it.decodeSeqs + it.prefillSeqs), 1e-9);
    // Under the overlap scheduler the host time hides behind the step unless it is longer.
    stack.scheduler.overlapScheduler = true;
    const ServingResult o =
        simulate(fx().pm, fx().llama, stack, ScenarioBuilder().build(), closedLoop(8, 256, 32, 16), opt);
    ASSERT_TRUE(o.ok) << o.error;
    for (const IterationStat& it : o.iterations)
        EXPECT_NEAR(it.durationS, std::max(it.stepS, 1e-3 * double(it.decodeSeqs + it.prefillSeqs)), 1e-9);
}

TEST(ServingFit, TheSplitKeepsADeploymentsConcurrencySweepAndItsCopiesOnOneSide) {
    const io::CsvTable t =
        io::loadCsvFile(std::string(ROOFLAB_SOURCE_DIR) + "/datasets/public/aic-silicon/e2e_h100_h200.csv");
    // Rows that differ only in concurrency, ids and measurements are one deployment.
    std::map<std::string, std::set<bool>> sides;
    std::size_t calibration = 0;
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
        std::string key;
        for (const char* c : {"gpu",
                              "backend",
                              "model_path",
                              "mode",
                              "isl",
                              "osl",
                              "tp_size",
                              "moe_ep_size",
                              "attention_dp_size",
                              "prefill_num_workers",
                              "decode_num_workers",
                              "decode_batch_size",
                              "precision",
                              "gemm_quant_mode",
                              "moe_quant_mode",
                              "pp_size",
                              "moe_tp_size",
                              "prefill_tp_size",
                              "decode_tp_size",
                              "prefill_attention_dp_size",
                              "decode_attention_dp_size",
                              "prefill_pp_size",
                              "decode_pp_size",
                              "prefill_moe_tp_size",
                              "decode_moe_tp_size",
                              "prefill_moe_ep_size",
                              "decode_moe_ep_size"})
            key += t.text(i, t.column(c)) + "|";
        const bool cal = isCalibrationRow(t, i);
        sides[key].insert(cal);
        calibration += cal ? 1 : 0;
    }
    for (const auto& [key, s] : sides)
        EXPECT_EQ(s.size(), 1u) << key;
    EXPECT_GT(calibration, t.rows.size() * 3 / 10);
    EXPECT_LT(calibration, t.rows.size() * 7 / 10);
    // The two halves are disjoint and cover the file.
    io::Catalog cat;
    ServingValidationOptions vo;
    vo.include = [](const io::CsvTable&, std::size_t row) { return row < 40; };
    vo.split = ServingSplit::Calibration;
    const ServingValidationReport a = validateServingBenchmark(t, cat, "", 2, vo);
    vo.split = ServingSplit::HeldOut;
    const ServingValidationReport b = validateServingBenchmark(t, cat, "", 2, vo);
    for (std::size_t i = 0; i < 40; ++i) {
        const bool inA = a.rows[i].skipped.empty(), inB = b.rows[i].skipped.empty();
        EXPECT_NE(inA, inB) << a.rows[i].id << ": " << a.rows[i].skipped << " / " << b.rows[i].skipped;
        EXPECT_EQ(inA, isCalibrationRow(t, i));
    }
}

TEST(ServingFit, ShippedStacksNameTheirFittedRowsFromTheCalibrationHalf) {
    const io::CsvTable t =
        io::loadCsvFile(std::string(ROOFLAB_SOURCE_DIR) + "/datasets/public/aic-silicon/e2e_h100_h200.csv");
    std::map<std::string, std::size_t> rowOfId;
    for (std::size_t i = 0; i < t.rows.size(); ++i)
        rowOfId[t.text(i, t.column("id"))] = i;
    for (const StackProfile* s : {&fx().vllm, &fx().sglang, &fx().trt}) {
        const auto& f = s->scheduler.fitted;
        ASSERT_FALSE(f.rows.empty()) << s->name << ": no fitted scheduler constants";
        EXPECT_EQ(f.dataset, "datasets/public/aic-silicon/e2e_h100_h200.csv") << s->name;
        for (const std::string& id : f.rows) {
            const auto it = rowOfId.find(id);
            ASSERT_NE(it, rowOfId.end()) << s->name << ": " << id;
            EXPECT_TRUE(isCalibrationRow(t, it->second)) << s->name << ": " << id << " is a held-out row";
            EXPECT_EQ(t.text(it->second, t.column("mode")), "agg") << id;
        }
    }
}

} // namespace
} // namespace rooflab::serving

namespace rooflab::serving {
namespace {

// Refitting the shipped stacks' scheduler constants on the shipped dataset gives the shipped values and rows: the
// numbers in resources/stacks are what `rooflab calibrate serving --write` produces from the data in the repository.
// About a minute per stack in the CI build (a grid of 60 host-time pairs); skipped under AddressSanitizer (several
// minutes there).
TEST(ServingFit, RefittingTheShippedDatasetReproducesTheShippedStacks) {
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "thousands of simulated deployments: too slow under AddressSanitizer (the CI build runs it)";
#else
    const io::CsvTable t = io::loadCsvFile("datasets/public/aic-silicon/e2e_h100_h200.csv");
    io::Catalog cat;
    for (const char* name : {"sglang", "vllm", "tensorrt-llm"}) {
        const StackProfile& shipped = cat.stack(name);
        const SchedulerFit fit = fitSchedulerConstants(t, cat, shipped, {});
        EXPECT_NEAR(fit.iterationOverheadS, shipped.scheduler.iterationOverheadS, 1e-3 * fit.iterationOverheadS + 1e-12)
            << name;
        EXPECT_NEAR(fit.sequenceOverheadS, shipped.scheduler.sequenceOverheadS, 1e-3 * fit.sequenceOverheadS + 1e-12)
            << name;
        EXPECT_NEAR(fit.frontendLatencyS, shipped.scheduler.frontendLatencyS, 1e-3 * fit.frontendLatencyS) << name;
        EXPECT_EQ(fit.rows, shipped.scheduler.fitted.rows) << name;
        // The fit helps the rows it never saw.
        EXPECT_LT(fit.heldOutAfter.ttftMapePct, fit.heldOutBefore.ttftMapePct) << name;
    }
#endif
}

// The fit simulates the profile it is given (a stack file a user edited), not the catalog's profile of that name.
TEST(ServingFit, SimulatesTheStackItIsGiven) {
    const io::CsvTable t = io::loadCsvFile("datasets/public/aic-silicon/e2e_h100_h200.csv");
    io::Catalog cat;
    SchedulerFitOptions o;
    o.iterationOverheadGridS = {0};
    o.sequenceOverheadGridS = {0};
    StackProfile edited = cat.stack("vllm");
    edited.hostOverheadS = 200e-6; // 200 us of host dispatch per kernel outside graphs: every prefill much longer
    const SchedulerFit shipped = fitSchedulerConstants(t, cat, cat.stack("vllm"), o);
    const SchedulerFit fit = fitSchedulerConstants(t, cat, edited, o);
    EXPECT_EQ(fit.stack, "vllm");
    EXPECT_EQ(fit.rows, shipped.rows);
    EXPECT_NE(fit.before.ttftMapePct, shipped.before.ttftMapePct);
    EXPECT_LT(fit.frontendLatencyS, shipped.frontendLatencyS); // the longer simulated TTFT leaves less to the front end
}

} // namespace
} // namespace rooflab::serving
