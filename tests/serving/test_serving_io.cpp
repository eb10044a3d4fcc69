// Serving cases (the "kind":"serving" cases line), the Hugging Face id lookup of presets, and validation against
// the aic-silicon serving benchmarks: the interfaces of the serving simulator.
#include "codec/catalog.hpp"
#include "codec/request_codec.hpp"
#include "io/csv.hpp"
#include "io/model_loader.hpp"
#include "serving/serving_request.hpp"
#include "serving/serving_validation.hpp"
#include "units/errors.hpp"

#include <fstream>
#include <gtest/gtest.h>

using namespace rooflab;

namespace {

std::string decodeError(const std::string& line) {
    try {
        spec::decodeRequestText(line, {"cases.jsonl", 3, {}, false});
    } catch (const InputError& e) {
        return e.what();
    }
    return "accepted";
}

const char* kIssueAgg =
    R"({"id":7,"kind":"serving","model":"meta-llama/Llama-3.1-70B","backend":"vllm","mode":"agg","isl":8192,"osl":1024,"concurrency":64,"batch":64,"tp":8,"pp":1,"ep":1,"moe_tp":1,"attention_dp":1,"weights":"fp8","moe_weights":"fp8","kv":"fp8"})";
const char* kIssueDisagg =
    R"({"id":"d","kind":"serving","model":"deepseek-ai/DeepSeek-R1","backend":"tensorrt-llm","mode":"disagg","isl":8192,"osl":1024,"concurrency":160,"weights":"fp8","moe_weights":"fp8_block","kv":"fp8","prefill":{"workers":2,"batch":1,"tp":8,"pp":1,"ep":8,"moe_tp":1,"attention_dp":1},"decode":{"workers":5,"batch":32,"tp":1,"ep":8,"attention_dp":8}})";

} // namespace

TEST(ServingCase, DecodesTheIssueForm) {
    const Request r = spec::decodeRequestText(kIssueAgg);
    ASSERT_TRUE(std::holds_alternative<ServingWork>(r.workload));
    const auto& w = std::get<ServingWork>(r.workload);
    EXPECT_EQ(r.kindName(), "serving");
    EXPECT_EQ(r.id, "7");
    EXPECT_EQ(w.target.model, "meta-llama/Llama-3.1-70B");
    EXPECT_EQ(w.target.stackName, "vllm");
    EXPECT_EQ(w.mode, ServingMode::Aggregated);
    EXPECT_EQ(w.isl, 8192);
    EXPECT_EQ(w.osl, 1024);
    EXPECT_EQ(w.concurrency, 64);
    EXPECT_EQ(w.aggregated.batch, 64);
    EXPECT_EQ(w.aggregated.tp, 8);
    EXPECT_EQ(w.gpus(), 8);
    EXPECT_EQ(r.scenario.weights, DType::fp8_e4m3);
    EXPECT_EQ(r.scenario.act, DType::fp8_e4m3);
    EXPECT_EQ(r.scenario.kv, DType::fp8_e4m3);
    EXPECT_FALSE(w.moeWeights);
    EXPECT_EQ(r.llm(), nullptr); // not a step or request: predict() does not take it
    EXPECT_NE(r.target(), nullptr);

    const Request d = spec::decodeRequestText(kIssueDisagg);
    const auto& dw = std::get<ServingWork>(d.workload);
    EXPECT_EQ(dw.mode, ServingMode::Disaggregated);
    EXPECT_EQ(dw.target.stackName, "tensorrt-llm");
    EXPECT_EQ(dw.prefill.workers, 2);
    EXPECT_EQ(dw.prefill.ep, 8);
    EXPECT_EQ(dw.decode.workers, 5);
    EXPECT_EQ(dw.decode.attentionDp, 8);
    EXPECT_EQ(dw.gpus(), 2 * 8 + 5 * 8);
    // Extra, known-optional fields and a round trip through the canonical form.
    for (const char* line : {kIssueAgg, kIssueDisagg}) {
        const Request a = spec::decodeRequestText(line);
        const nlohmann::json once = spec::encodeRequest(a);
        EXPECT_EQ(spec::encodeRequest(spec::decodeRequest(once)), once) << line;
        // The YAML scenario form (nested pools as flow mappings) reads back the same.
        const std::string yaml = spec::encodeRequestYaml(a);
        EXPECT_NE(yaml.find("kind: \"serving\""), std::string::npos);
        const std::string path = ::testing::TempDir() + "/serving-case.yaml";
        std::ofstream(path) << yaml;
        EXPECT_EQ(spec::encodeRequest(spec::loadRequestFile(path)), once) << yaml;
    }
    // int4 weight-only: int4 weights, 16-bit activations; trtllm is the CSV's spelling of tensorrt-llm.
    const Request q = spec::decodeRequestText(
        R"({"kind":"serving","model":"m","backend":"trtllm","isl":1,"osl":2,"concurrency":1,"weights":"int4_wo"})");
    EXPECT_EQ(q.scenario.weights, DType::int4);
    EXPECT_EQ(q.scenario.act, DType::bf16);
    EXPECT_EQ(std::get<ServingWork>(q.workload).target.stackName, "tensorrt-llm");
}

TEST(ServingCase, DecodeErrorsNameTheKey) {
    const std::string base = R"("kind":"serving","model":"llama-3.2-1b","isl":64,"osl":8,"concurrency":2)";
    auto line = [&](const std::string& extra) { return "{" + base + "," + extra + "}"; };
    EXPECT_NE(decodeError(line(R"("backend":"vllm","concurency":4)"))
                  .find("'concurency': unknown key; did you mean 'concurrency'?"),
              std::string::npos);
    EXPECT_NE(
        decodeError(line(R"("backend":"vlm")"))
            .find("cases.jsonl:3: 'backend': 'vlm' is not one of tensorrt-llm, vllm, sglang (did you mean 'vllm'?)"),
        std::string::npos);
    EXPECT_NE(decodeError("{" + base + "}").find("'backend': missing required key"), std::string::npos);
    EXPECT_NE(decodeError(line(R"("backend":"vllm","mode":"colocated")"))
                  .find("'mode': 'colocated' is not one of agg, disagg"),
              std::string::npos);
    EXPECT_NE(decodeError(line(R"("backend":"vllm","mode":"disagg","decode":{"tp":1})"))
                  .find("'prefill': missing required key"),
              std::string::npos);
    EXPECT_NE(decodeError(line(R"("backend":"vllm","mode":"disagg","tp":2,"prefill":{},"decode":{})"))
                  .find("'tp': a disaggregated case"),
              std::string::npos);
    EXPECT_NE(decodeError(line(R"("backend":"vllm","mode":"disagg","prefill":{"tpp":2},"decode":{})"))
                  .find("'prefill.tpp': unknown key; did you mean 'tp'?"),
              std::string::npos);
    EXPECT_NE(decodeError(line(R"("backend":"vllm","prefill":{"tp":2})")).find("'prefill': only a disaggregated case"),
              std::string::npos);
    EXPECT_NE(decodeError(line(R"("backend":"vllm","weights":"fp6")")).find("'weights': unknown weight format 'fp6'"),
              std::string::npos);
    EXPECT_NE(decodeError(line(R"("backend":"vllm","tp":0)")).find("'tp': value 0 is out of range"), std::string::npos);
    EXPECT_NE(decodeError(R"({"kind":"serving","model":"m","backend":"vllm","isl":64,"osl":8})")
                  .find("'concurrency': missing required key"),
              std::string::npos);
    // FP4 and block-scaled formats are the engine's datatypes.
    for (const char* f : {"nvfp4", "mxfp4", "fp8_block"})
        EXPECT_EQ(decodeError(line(std::string(R"("backend":"vllm","weights":")") + f + "\"")), "accepted") << f;
}

TEST(ServingCase, PresetsAnswerToTheirHuggingFaceIds) {
    EXPECT_EQ(io::loadModel("meta-llama/Llama-3.1-70B").name, "llama-3.1-70b");
    EXPECT_EQ(io::loadModel("meta-llama/Llama-3.1-8B-Instruct").name, "llama-3.1-8b");
    EXPECT_EQ(io::loadModel("nvidia/llama-3.1-8b-instruct-fp8").name, "llama-3.1-8b"); // ids are case-insensitive
    EXPECT_EQ(io::loadModel("deepseek-ai/DeepSeek-R1").name, "deepseek-v3");
    EXPECT_EQ(io::loadModel("Qwen/Qwen3-235B-A22B-FP8").name, "qwen3-235b-a22b");
    try {
        io::loadModel("openai/gpt-oss-20b");
        FAIL() << "a model without a preset loaded";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("unknown model 'openai/gpt-oss-20b'"), std::string::npos) << e.what();
    }
    EXPECT_EQ(io::loadModel("openai/gpt-oss-120b").name, "gpt-oss-120b");
    EXPECT_EQ(io::loadModel("zai-org/GLM-5-FP8").name, "glm-5");
    EXPECT_TRUE(io::looksLikeHubId("org/name"));
    EXPECT_FALSE(io::looksLikeHubId("dir/config.json"));
    EXPECT_FALSE(io::looksLikeHubId("llama-3.1-8b"));
}

TEST(ServingCase, SimulatesEndToEndAndPassesErrorsThrough) {
    io::Catalog cat;
    auto run = [&](const std::string& line) {
        Request r = spec::decodeRequestText(line);
        cat.resolve(r);
        return serving::simulateRequest(cat.platform("hgx-h100-8gpu").model, r);
    };
    const serving::ServingResult ok = run(
        R"({"kind":"serving","model":"meta-llama/Llama-3.2-1B","backend":"vllm","isl":256,"osl":16,"concurrency":4,"requests":8})");
    ASSERT_TRUE(ok.ok) << ok.error;
    EXPECT_GT(ok.ttftS.mean, 0);
    EXPECT_GT(ok.tpotS.mean, 0);
    EXPECT_GT(ok.outputTokensPerS, 0);
    EXPECT_EQ(ok.gpus, 1);
    EXPECT_EQ(ok.measured, 8);
    Request r0 = spec::decodeRequestText(
        R"({"id":"a","kind":"serving","model":"llama-3.2-1b","backend":"sglang","isl":256,"osl":16,"concurrency":4,"requests":8})");
    cat.resolve(r0);
    const nlohmann::json line =
        serving::encodeServingResult(r0, serving::simulateRequest(cat.platform("hgx-h100-8gpu").model, r0));
    for (const char* k : {"id", "ttft_s", "tpot_s", "output_tokens_per_s", "gpus", "output_tokens_per_s_per_gpu",
                          "output_tokens_per_s_per_user", "ttft_p99_s", "tpot_p50_s"})
        EXPECT_TRUE(line.contains(k)) << k << " " << line.dump();
    // A layout the simulator cannot run (yet) comes back as an error, not an exception.
    const serving::ServingResult dis = run(
        R"({"kind":"serving","model":"llama-3.2-1b","backend":"vllm","mode":"disagg","isl":256,"osl":16,"concurrency":2,"requests":4,"prefill":{"tp":1},"decode":{"tp":1}})");
    if (!dis.ok)
        EXPECT_FALSE(dis.error.empty());
    else
        EXPECT_EQ(dis.gpus, 2);
    // predict() refuses a serving case with a reason instead of running a step.
    Request s = spec::decodeRequestText(
        R"({"kind":"serving","model":"llama-3.2-1b","backend":"vllm","isl":8,"osl":8,"concurrency":1})");
    cat.resolve(s);
    const Result p = predict(cat.platform("hgx-h100-8gpu"), s);
    EXPECT_FALSE(p.ok);
    EXPECT_NE(p.error.find("serving"), std::string::npos);
}

// Speculative decoding in a case line (spec_tokens, spec_acceptance): decoded, kept by the canonical form, and
// simulated: one draft token accepted 4 times in 5 emits 1.8 tokens per decode iteration, so the same deployment's
// TPOT falls (by less than 1.8x: the iteration verifies 2 tokens per sequence and runs the one-layer draft).
TEST(ServingCase, SpeculativeDecodingLowersTpot) {
    const std::string base =
        R"("kind":"serving","model":"llama-3.2-1b","backend":"vllm","isl":256,"osl":64,"concurrency":8,"requests":16)";
    const Request r = spec::decodeRequestText("{" + base + R"(,"spec_tokens":1,"spec_acceptance":0.8})");
    const auto& w = std::get<ServingWork>(r.workload);
    EXPECT_EQ(w.specTokens, 1);
    EXPECT_DOUBLE_EQ(w.specAcceptance, 0.8);
    const nlohmann::json once = spec::encodeRequest(r);
    EXPECT_EQ(once.value("spec_tokens", 0), 1);
    EXPECT_EQ(spec::encodeRequest(spec::decodeRequest(once)), once);
    EXPECT_NE(decodeError("{" + base + R"(,"spec_tokens":1})").find("'spec_acceptance': missing required key"),
              std::string::npos);
    EXPECT_NE(decodeError("{" + base + R"(,"spec_tokens":1,"spec_acceptance":1.5})").find("'spec_acceptance'"),
              std::string::npos);
    EXPECT_NE(decodeError("{" + base + R"(,"spec_acceptance":0.8})").find("give spec_tokens > 0"), std::string::npos);

    io::Catalog cat;
    auto run = [&](const std::string& line) {
        Request q = spec::decodeRequestText(line);
        cat.resolve(q);
        return serving::simulateRequest(cat.platform("hgx-h100-8gpu").model, q);
    };
    const serving::ServingResult plain = run("{" + base + "}");
    const serving::ServingResult mtp = run("{" + base + R"(,"spec_tokens":1,"spec_acceptance":0.8})");
    ASSERT_TRUE(plain.ok && mtp.ok) << plain.error << mtp.error;
    EXPECT_LT(mtp.tpotS.mean, plain.tpotS.mean / 1.2);
    EXPECT_GT(mtp.tpotS.mean, plain.tpotS.mean / 1.8);
}

TEST(ServingCase, DenseModelsIgnoreTheMoeSplit) {
    const LlmArch dense = io::loadModel("llama-3.1-8b");
    const LlmArch moe = io::loadModel("qwen3-235b-a22b");
    ServingPool p;
    p.tp = 8;
    p.ep = 1;
    p.moeTp = 1;
    serving::PoolLayout l = serving::poolLayoutOf(p, dense);
    EXPECT_EQ(l.moeTp * l.ep, 8);
    l = serving::poolLayoutOf(p, moe); // 1 x 1: the experts split like the rest
    EXPECT_EQ(l.moeTp, 8);
    p.ep = 4;
    p.moeTp = 0; // not given: derived
    l = serving::poolLayoutOf(p, moe);
    EXPECT_EQ(l.moeTp, 2);
    EXPECT_EQ(l.ep, 4);
}

TEST(ServingValidation, MapsRowsAndKeepsGoingPastFailures) {
    const io::CsvTable t = io::loadCsvFile(std::string(ROOFLAB_SOURCE_DIR) + "/tests/fixtures/aic-silicon-slice.csv");
    ASSERT_TRUE(serving::isServingBenchmark(t));
    ASSERT_EQ(t.rows.size(), 7u);
    std::string why;
    // Row 4: DeepSeek-R1 with attention DP 8, batch 8 per rank, 64 clients: one worker whose cap is 64.
    const auto dp = serving::caseOfRow(t, 3, why);
    ASSERT_TRUE(dp);
    EXPECT_EQ((*dp)["attention_dp"], 8);
    EXPECT_EQ((*dp)["batch"], 64);
    EXPECT_EQ((*dp)["workers"], 1);
    EXPECT_EQ((*dp)["requests"], 320);
    EXPECT_EQ((*dp)["weights"], "fp8");
    EXPECT_EQ((*dp)["moe_weights"], "fp8");
    // Row 5: disaggregated, pools from the prefill_* / decode_* columns.
    const auto dis = serving::caseOfRow(t, 4, why);
    ASSERT_TRUE(dis);
    EXPECT_EQ((*dis)["mode"], "disagg");
    EXPECT_TRUE((*dis)["prefill"].contains("workers"));
    EXPECT_TRUE((*dis)["decode"].contains("tp"));
    // Row 7 has no concurrency.
    EXPECT_FALSE(serving::caseOfRow(t, 6, why));
    EXPECT_EQ(why, "no concurrency recorded");

    io::Catalog cat;
    const serving::ServingValidationReport rep = serving::validateServingBenchmark(t, cat, "", 2);
    ASSERT_EQ(rep.rows.size(), 7u);
    for (std::size_t i : {0u, 1u, 2u}) {
        EXPECT_TRUE(rep.rows[i].predicted) << rep.rows[i].id << ": " << rep.rows[i].skipped;
        EXPECT_GT(rep.rows[i].predictedTtftS, 0);
        EXPECT_GT(rep.rows[i].predictedTpotS, 0);
    }
    EXPECT_TRUE(rep.rows[5].predicted) << rep.rows[5].skipped; // gpt-oss-120b
    // A model without a preset is skipped with its reason (the same row under gpt-oss-20b, which has none).
    io::CsvTable unknown = t;
    unknown.rows = {t.rows[5]};
    unknown.rowLines = {t.rowLines[5]};
    unknown.rows[0][static_cast<std::size_t>(t.requireColumn("model_path"))] = "openai/gpt-oss-20b";
    const serving::ServingValidationReport none = serving::validateServingBenchmark(unknown, cat, "", 1);
    ASSERT_EQ(none.rows.size(), 1u);
    EXPECT_FALSE(none.rows[0].predicted);
    EXPECT_NE(none.rows[0].category.find("no preset for openai/gpt-oss-20b"), std::string::npos);
    EXPECT_FALSE(rep.rows[6].predicted);
    EXPECT_GE(rep.predicted, 3u);
    EXPECT_EQ(rep.overall.n, rep.predicted);
    EXPECT_GE(rep.overall.ttftMapePct, rep.overall.ttftMedianPct * 0.0); // both present
    EXPECT_EQ(rep.groups.count("H100-SXM-80GB trtllm agg meta-llama/Llama-3.1-8B-Instruct"), 1u);
}
