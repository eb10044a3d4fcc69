// `rooflab predict --cases` under load (issue 20): 200,000 lines with a malformed line every 1,000. Every good line is
// answered, every bad line gets one error line carrying its line number, the exit code is 2, and the output does not
// depend on the thread count.
#include "cli_run.hpp"

#include <cmath>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

using namespace rooflab::test;

namespace {

#ifdef ROOFLAB_STRESS_LINES
constexpr int kLines = ROOFLAB_STRESS_LINES;
#else
constexpr int kLines = 200000;
#endif
constexpr int kBadEvery = 1000;

/// Good lines cycle through these (ids are the line numbers).
const char* const kGood[] = {
    R"("kind":"gemm","m":4096,"n":4096,"k":4096,"dtype":"bf16")",
    R"("kind":"llm","model":"llama-3.1-8b","phase":"decode","batch":32,"context":4096)",
    R"("kind":"llm","model":"llama-3.2-1b","phase":"prefill","batch":1,"prompt":512)",
    R"("kind":"llm","model":"mixtral-8x7b","phase":"decode","batch":8,"context":2048,"tp":2)",
    R"("kind":"gemm","m":16,"n":8192,"k":8192,"dtype":"fp8")",
    R"("kind":"llm","model":"qwen3-30b-a3b","phase":"request","batch":4,"prompt":1024,"output":64)",
};

/// Malformed lines: invalid UTF-8, out of range, unknown model, unknown key, broken JSON.
std::string badLine(int n, int kind) {
    const std::string id = "\"id\":" + std::to_string(n);
    switch (kind) {
    case 0:
        return "{" + id +
               ",\"kind\":\"gemm\",\"m\":1,\"n\":2,\"k\":3,\"dtype\":\"bf\xac"
               "16\"}";
    case 1:
        return "{" + id + ",\"model\":\"llama-3.1-8b\",\"batch\":0}";
    case 2:
        return "{" + id + ",\"model\":\"no-such-model\"}";
    case 3:
        return "{" + id + ",\"model\":\"llama-3.1-8b\",\"bogus\":1}";
    default:
        return "{" + id + ",\"kind\":\"llm\",\"model\":\"llama-3.1-8b\"";
    }
}

std::string casesText() {
    std::string text;
    text.reserve(static_cast<std::size_t>(kLines) * 96);
    for (int n = 1; n <= kLines; ++n) {
        if (n % kBadEvery == 0)
            text += badLine(n, (n / kBadEvery) % 5);
        else
            text += "{\"id\":" + std::to_string(n) + "," + kGood[n % std::size(kGood)] + "}";
        text += '\n';
    }
    return text;
}

std::vector<std::string> lines(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    std::string l;
    while (std::getline(in, l))
        out.push_back(l);
    return out;
}

} // namespace

TEST(CasesStress, TwoHundredThousandLinesWithBadOnes) {
    ScratchDir dir("cases-stress");
    { std::ofstream(dir / "cases.jsonl", std::ios::binary) << casesText(); }
    const std::string args = "predict --platform h100-sxm5-80gb --cases '" + (dir / "cases.jsonl").string() + "'";
    const CliRun all = runCli(args, dir.path);
    const CliRun one = runCli(args + " --threads 1", dir.path);
    EXPECT_EQ(all.rc, 2) << all.err;
    EXPECT_EQ(one.rc, 2) << one.err;
    EXPECT_TRUE(all.out == one.out) << "output differs between all threads and --threads 1";

    const std::vector<std::string> out = lines(all.out);
    ASSERT_EQ(out.size(), static_cast<std::size_t>(kLines)) << "every line is answered, in input order";
    int bad = 0, good = 0;
    for (int n = 1; n <= kLines; ++n) {
        const std::string& l = out[static_cast<std::size_t>(n - 1)];
        const nlohmann::json j = nlohmann::json::parse(l, nullptr, false);
        ASSERT_FALSE(j.is_discarded()) << "line " << n << " is not JSON: " << l.substr(0, 200);
        if (n % kBadEvery == 0) {
            ASSERT_TRUE(j.contains("error")) << "line " << n << ": " << l;
            ASSERT_EQ(j.value("line", 0), n) << l;
            EXPECT_NE(j["error"].get<std::string>().find("cases.jsonl:" + std::to_string(n) + ":"), std::string::npos)
                << l;
            ++bad;
        } else {
            ASSERT_FALSE(j.contains("error")) << "line " << n << ": " << l;
            ASSERT_EQ(j.value("id", 0), n) << l;
            const double latency = j.value("latency_s", -1.0);
            ASSERT_TRUE(std::isfinite(latency) && latency > 0) << l;
            ++good;
        }
    }
    EXPECT_EQ(bad, kLines / kBadEvery);
    EXPECT_EQ(good, kLines - kLines / kBadEvery);
}

// Issue 20: a line the codec rejects (invalid UTF-8, out-of-range value, unknown key) or the catalog cannot resolve is
// answered with its "id", taken from the line's JSON object. Lines that are not JSON at all have no id to echo.
TEST(CasesStress, BadLinesEchoTheirId) {
    ScratchDir dir("cases-id");
    std::string text;
    for (int kind = 0; kind < 4; ++kind)
        text += badLine(kind + 1, kind) + "\n";
    { std::ofstream(dir / "cases.jsonl", std::ios::binary) << text; }
    const CliRun r =
        runCli("predict --platform h100-sxm5-80gb --cases '" + (dir / "cases.jsonl").string() + "'", dir.path);
    EXPECT_EQ(r.rc, 2);
    const std::vector<std::string> out = lines(r.out);
    ASSERT_EQ(out.size(), 4u);
    for (int n = 1; n <= 4; ++n) {
        const nlohmann::json j = nlohmann::json::parse(out[static_cast<std::size_t>(n - 1)]);
        EXPECT_EQ(j.value("line", 0), n);
        EXPECT_EQ(j.value("id", 0), n) << out[static_cast<std::size_t>(n - 1)];
    }
}
