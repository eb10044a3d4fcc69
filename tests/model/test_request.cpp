// The Request redesign: one codec, one predict(), and every front end's path giving the same numbers.
#include "analysis/sweep.hpp"
#include "calibration/validation.hpp"
#include "codec/catalog.hpp"
#include "codec/request_codec.hpp"
#include "codec/sweep_grid.hpp"
#include "engine/predict.hpp"
#include "io/csv.hpp"
#include "units/errors.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

using namespace rooflab;

namespace {

Result viaCases(io::Catalog& cat, const std::string& line) {
    Request r = spec::decodeRequestText(line, {"cases.jsonl", 1, {}, false});
    cat.resolve(r);
    return predict(cat.platformOf(r, "h100-sxm5-80gb"), r);
}

} // namespace

TEST(Request, CodecRoundTripsEveryWorkload) {
    for (
        const char* line :
        {R"({"kind":"llm","model":"llama-3.1-8b","phase":"chunked","batch":3,"context":700,"chunk":256,"chunk_offset":64,"tp":2,"pp":2,"weights":"fp8","kv":"fp8","sp":true,"id":"x"})",
         R"({"kind":"llm","model":"mixtral-8x7b","phase":"request","prompt":100,"output":7,"tp":2,"ep":2,"stack":"vllm"})",
         R"({"kind":"gemm","m":5,"n":6,"k":7,"batch":3,"dtype":"fp8","weights":"int4","launch":"graph","id":7})",
         R"({"kind":"cpu","kernel":"gemm","m":64,"n":64,"k":64,"dtype":"bf16","threads":4,"cold_weights":true})",
         R"({"kind":"cpu","kernel":"triad","elements":1000000})"}) {
        const Request a = spec::decodeRequestText(line);
        const nlohmann::json once = spec::encodeRequest(a);
        const Request b = spec::decodeRequest(once);
        EXPECT_EQ(spec::encodeRequest(b), once) << line;
        EXPECT_EQ(a.kindName(), b.kindName());
    }
    const Request r = spec::decodeRequestText(
        R"({"kind":"llm","model":"llama-3.1-8b","phase":"chunked","batch":3,"context":700,"chunk":256,"chunk_offset":64,"tp":2,"weights":"fp8"})");
    EXPECT_EQ(r.scenario.phase, Phase::Chunked);
    EXPECT_EQ(r.scenario.batch, 3);
    EXPECT_EQ(r.scenario.context, 700);
    EXPECT_EQ(r.scenario.chunk, 256);
    EXPECT_EQ(r.scenario.chunkOffset, 64);
    EXPECT_EQ(r.scenario.tp, 2);
    EXPECT_EQ(r.scenario.weights, DType::fp8_e4m3);
    EXPECT_TRUE(
        std::holds_alternative<LlmRequest>(spec::decodeRequestText(R"({"model":"m","phase":"request"})").workload));
}

TEST(Request, CodecRejectsWhatNoFrontEndShouldAccept) {
    auto err = [](const std::string& line) {
        try {
            spec::decodeRequestText(line, {"f.jsonl", 9, {}, false});
        } catch (const InputError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    EXPECT_NE(err(R"({"model":"m","bach":4})").find("'bach': unknown key; did you mean 'batch'?"), std::string::npos);
    EXPECT_NE(err(R"({"model":"m","batch":4294967296,"prompt":4294967296})").find("f.jsonl:9: 'batch': value"),
              std::string::npos);
    EXPECT_NE(err(R"({"model":"m","context":9223372036854775807})").find("'context'"), std::string::npos);
    EXPECT_NE(err(R"({"model":"m","output":4611686018427387904})").find("'output'"), std::string::npos);
    EXPECT_NE(err(R"({"model":"m","tp":1.5})").find("'tp': expected a whole number"), std::string::npos);
    EXPECT_NE(err(R"({"model":"m","phase":"sideways"})").find("'phase'"), std::string::npos);
    EXPECT_NE(err(R"({"kind":"gemm","m":1,"n":2})").find("'k': missing required key"), std::string::npos);
    EXPECT_NE(err(R"({"kind":"gemm","m":1,"n":2,"k":3,"dtype":"bf17"})").find("unknown datatype 'bf17'"),
              std::string::npos);
    EXPECT_NE(err(R"({"kind":"cpu","kernel":"triad","elements":-1})").find("'elements'"), std::string::npos);
    EXPECT_NE(err(R"({"kind":"tpu"})").find("'kind'"), std::string::npos);
    EXPECT_NE(err("[1,2]").find("expected a JSON object"), std::string::npos);
    // Command-line spelling: the same check names the option.
    try {
        spec::decodeRequest(nlohmann::json{{"model", "m"}, {"chunk_offset", -1}}, {"", 0, {}, true});
        FAIL() << "accepted a negative offset";
    } catch (const InputError& e) {
        EXPECT_EQ(e.key(), "--chunk-offset");
    }
}

TEST(Request, ScenarioFileCarriesTheSameKeysWithLines) {
    const auto dir = std::filesystem::temp_directory_path() / "rooflab_request_test";
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "s.yaml").string();
    {
        std::ofstream f(path);
        f << "# a scenario\nmodel: llama-3.1-8b\nphase: prefill\nprompt: 2048\ntp: 2\nweights: fp8\n";
    }
    const Request r = spec::loadRequestFile(path);
    EXPECT_EQ(r.scenario.phase, Phase::Prefill);
    EXPECT_EQ(r.scenario.prompt, 2048);
    EXPECT_EQ(r.scenario.tp, 2);
    EXPECT_EQ(r.llm()->model, "llama-3.1-8b");
    // The YAML writer and reader agree.
    {
        std::ofstream f(path);
        f << spec::encodeRequestYaml(r);
    }
    EXPECT_EQ(spec::encodeRequest(spec::loadRequestFile(path)), spec::encodeRequest(r));
    {
        std::ofstream f(path);
        f << "model: llama-3.1-8b\n\nbatch: 0\n";
    }
    try {
        spec::loadRequestFile(path);
        FAIL() << "accepted batch 0";
    } catch (const InputError& e) {
        EXPECT_EQ(e.line(), 3);
        EXPECT_EQ(e.key(), "batch");
    }
    std::filesystem::remove_all(dir);
}

// The issue's example: a 4096^3 int4 GEMM wrote 25.4 MB in `predict gemm` and 50.6 MB in `predict --cases`.
TEST(Request, Int4GemmCostsTheSameBytesOnEveryPath) {
    io::Catalog cat;
    const Result cases = viaCases(cat, R"({"kind":"gemm","m":4096,"n":4096,"k":4096,"dtype":"int4"})");
    ASSERT_TRUE(cases.ok) << cases.error;
    // A and B at half a byte, B's fp16 scale per group of 128, C written in 16 bits: 2 x 8 MiB + 256 KiB + 32 MiB.
    EXPECT_DOUBLE_EQ(cases.dramBytes, 4096.0 * 4096 * 0.5 * 2 + 4096.0 * 4096 / 128 * 2 + 4096.0 * 4096 * 2);
    // Validation reads a GEMM sweep row into the same request (launched from a graph: bytes equal, time may not).
    const io::CsvTable t = io::parseCsv("m,n,k,dtype,median_s\n4096,4096,4096,int4,0.0002\n", "gemm.csv");
    const PlatformModel& pm = cat.platform("h100-sxm5-80gb").model;
    const ValidationReport rep = validateDataset(
        pm, t, [&](const std::string& n) -> const LlmArch& { return cat.model(n); },
        [&](const std::string& n) -> const StackProfile& { return cat.stack(n); });
    ASSERT_EQ(rep.rows.size(), 1u);
    ASSERT_TRUE(rep.rows[0].error.empty()) << rep.rows[0].error;
    Request graph =
        spec::decodeRequestText(R"({"kind":"gemm","m":4096,"n":4096,"k":4096,"dtype":"int4","launch":"graph"})");
    const Result g = predict(pm, graph);
    EXPECT_DOUBLE_EQ(g.dramBytes, cases.dramBytes);
    EXPECT_DOUBLE_EQ(rep.rows[0].predictedS, g.latencyS);
}

// One LLM step through the cases codec, validation and a one-point sweep: the same latency.
TEST(Request, LlmStepAgreesAcrossCasesValidationAndSweep) {
    io::Catalog cat;
    const Result cases =
        viaCases(cat, R"({"model":"llama-3.1-8b","phase":"decode","batch":8,"context":2048,"tp":2,"weights":"fp8"})");
    ASSERT_TRUE(cases.ok) << cases.error;

    const io::CsvTable t = io::parseCsv(
        "model,phase,batch,prompt,context,tp,weights,measured_s\nllama-3.1-8b,decode,8,0,2048,2,fp8,0.01\n", "e2e.csv");
    const ValidationReport rep = validateDataset(
        cat.platform("h100-sxm5-80gb").model, t, [&](const std::string& n) -> const LlmArch& { return cat.model(n); },
        [&](const std::string& n) -> const StackProfile& { return cat.stack(n); });
    ASSERT_EQ(rep.rows.size(), 1u);
    ASSERT_TRUE(rep.rows[0].error.empty()) << rep.rows[0].error;
    EXPECT_DOUBLE_EQ(rep.rows[0].predictedS, cases.latencyS);

    SweepGridText g;
    g.platform = "h100-sxm5-80gb";
    g.model = "llama-3.1-8b";
    g.phase = "decode";
    g.batch = "8";
    g.context = "2048";
    g.tp = "2";
    g.weights = "fp8";
    const SweepSpace sp = buildSweepSpace(g);
    ASSERT_EQ(sp.size(), 1u);
    const SweepResult s = evaluateSweepPoint(sp, decodeSweepIndex(sp, 0));
    ASSERT_TRUE(s.ok);
    EXPECT_DOUBLE_EQ(s.latencyS, cases.latencyS);

    // A whole request: the cases path and a request-phase sweep point agree too.
    const Result req =
        viaCases(cat, R"({"model":"llama-3.1-8b","phase":"request","batch":4,"prompt":512,"output":16})");
    ASSERT_TRUE(req.ok) << req.error;
    g.phase = "request";
    g.batch = "4";
    g.prompt = "512";
    g.output = "16";
    g.tp = "1";
    g.weights = "bf16";
    const SweepSpace sr = buildSweepSpace(g);
    const SweepResult q = evaluateSweepPoint(sr, decodeSweepIndex(sr, 0));
    EXPECT_DOUBLE_EQ(q.latencyS, req.latencyS);
    EXPECT_DOUBLE_EQ(q.ttftS, req.request()->ttftS);
    EXPECT_GE(req.request()->endMemory.kvCacheBytes, req.request()->decodeFirst.memory.kvCacheBytes);
}

TEST(Request, UnresolvedOrMisplacedWorkloadsFailWithAReason) {
    io::Catalog cat;
    const PlatformTarget& gpu = cat.platform("h100-sxm5-80gb");
    const Result unresolved = predict(gpu, spec::decodeRequestText(R"({"model":"llama-3.1-8b"})"));
    EXPECT_FALSE(unresolved.ok);
    EXPECT_NE(unresolved.error.find("not resolved"), std::string::npos);
    const Result cpuOnGpu = predict(gpu, spec::decodeRequestText(R"({"kind":"cpu","kernel":"triad","elements":1000})"));
    EXPECT_FALSE(cpuOnGpu.ok);
    EXPECT_NE(cpuOnGpu.error.find("CPU platform"), std::string::npos);
    Request threads = spec::decodeRequestText(R"({"model":"llama-3.1-8b","threads":4})");
    cat.resolve(threads);
    EXPECT_FALSE(predict(gpu, threads).ok);
    const Result cpu =
        viaCases(cat, R"({"kind":"cpu","kernel":"triad","elements":10000000,"platform":"xeon-amx-16vcpu"})");
    ASSERT_TRUE(cpu.ok) << cpu.error;
    EXPECT_GT(cpu.latencyS, 0);
    EXPECT_DOUBLE_EQ(cpu.dramBytes, 3 * 4 * 1e7); // STREAM triad: three fp32 arrays
}
