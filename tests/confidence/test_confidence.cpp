// Confidence on every prediction (io/validation_status.hpp): the resolver's levels, and the shipped status file
// kept honest by rerunning every entry's `rooflab validate` command.
#include "io/data_paths.hpp"
#include "io/platform_loader.hpp"
#include "io/stack_loader.hpp"
#include "io/validation_status.hpp"
#include "units/errors.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

namespace rooflab {
/// gtest prints a parameterized case's entry by its id (not its bytes).
void PrintTo(const ValidationEntry& e, std::ostream* os) {
    *os << e.id << " (" << e.file << ":" << e.line << ")";
}
} // namespace rooflab

using namespace rooflab;

namespace {

const std::string kSource = ROOFLAB_SOURCE_DIR;

const ValidationStatus& shipped() {
    static const ValidationStatus s = loadValidationStatus(kSource + "/resources/validation/status.yaml");
    return s;
}

Platform platform(const std::string& name) {
    return io::loadPlatformFile(io::findPlatformFile(name));
}

StackProfile stack(const std::string& name) {
    return io::loadStack(name);
}

/// A status file written to the test's temporary folder.
ValidationStatus statusFrom(const std::string& yaml, const std::string& stem = "status") {
    const auto path = std::filesystem::temp_directory_path() / ("rooflab-confidence-" + stem + ".yaml");
    std::ofstream(path) << yaml;
    return loadValidationStatus(path.string());
}

std::string entry(const std::string& id, const std::string& platform, const std::string& stacks,
                  const std::string& split, double mape, const std::string& metric = "latency") {
    std::ostringstream os;
    os << "  - id: " << id << "\n    platforms: [" << platform << "]\n";
    if (!stacks.empty())
        os << "    stacks: [" << stacks << "]\n";
    os << "    scope: llm-step\n    basis: \"set " << id << "\"\n    dataset: d.csv\n    split: " << split
       << "\n    metric: " << metric << "\n    mape_percent: " << mape
       << "\n    rows: 10\n    date: 2026-12-06\n    command: \"rooflab validate --dataset d.csv\"\n";
    return os.str();
}

} // namespace

// ---------------------------------------------------------------- the resolver on the shipped files

TEST(Confidence, ValidatedPlatformAndStack) {
    const StackProfile eager = stack("pytorch-eager");
    const Confidence c = resolveConfidence(shipped(), platform("h100-sxm5-80gb"), &eager, PredictionScope::LlmStep);
    EXPECT_EQ(c.level, ConfidenceLevel::Validated);
    ASSERT_TRUE(c.mapeKnown());
    EXPECT_GT(c.mapePct, 0.0);
    EXPECT_LT(c.mapePct, 10.0);
    EXPECT_TRUE(c.inheritedFrom.empty());
    EXPECT_NE(c.summary().find("validated — "), std::string::npos) << c.summary();
    EXPECT_NE(c.summary().find("h100-sxm5-80gb"), std::string::npos) << c.summary();
    EXPECT_EQ(c.badge().rfind("validated ±", 0), 0u) << c.badge();
}

TEST(Confidence, HeldOutBeatsOtherSplitsAndTheWorstHeldOutSetIsTheHeadline) {
    const StackProfile graph = stack("pytorch-graph");
    const Confidence c = resolveConfidence(shipped(), platform("h200-sxm-141gb"), &graph, PredictionScope::LlmStep);
    EXPECT_EQ(c.level, ConfidenceLevel::Validated);
    double worst = 0;
    for (const auto& e : shipped().entries)
        if (e.scope == PredictionScope::LlmStep && e.split == ValidationSplit::HeldOut &&
            std::find(e.platforms.begin(), e.platforms.end(), "h200-sxm-141gb") != e.platforms.end())
            worst = std::max(worst, e.mapePct);
    EXPECT_DOUBLE_EQ(c.mapePct, worst);
    EXPECT_NE(c.basis.find("held-out"), std::string::npos) << c.basis;
}

TEST(Confidence, HgxNodeInheritsItsGpuThroughExtends) {
    const StackProfile eager = stack("pytorch-eager");
    const Platform hgx = platform("hgx-h100-8gpu");
    ASSERT_EQ(hgx.extends, "h100-sxm5-80gb");
    const Confidence c = resolveConfidence(shipped(), hgx, &eager, PredictionScope::LlmStep);
    EXPECT_EQ(c.level, ConfidenceLevel::Validated);
    EXPECT_EQ(c.inheritedFrom, "h100-sxm5-80gb");
    EXPECT_NE(c.basis.find("measured on h100-sxm5-80gb, which hgx-h100-8gpu extends"), std::string::npos) << c.basis;
    // Its own entries win over the GPU's: Splitwise's vLLM runs were on the node.
    const StackProfile vllm = stack("vllm");
    const Confidence own = resolveConfidence(shipped(), hgx, &vllm, PredictionScope::LlmStep);
    EXPECT_EQ(own.level, ConfidenceLevel::Validated);
    EXPECT_TRUE(own.inheritedFrom.empty());
}

TEST(Confidence, NoInheritKeepsADifferentChipCalibrated) {
    const StackProfile eager = stack("pytorch-eager");
    const Confidence c = resolveConfidence(shipped(), platform("h800-sxm5-80gb"), &eager, PredictionScope::LlmStep);
    EXPECT_EQ(c.level, ConfidenceLevel::Calibrated);
    EXPECT_FALSE(c.mapeKnown());
    EXPECT_NE(c.basis.find("H800"), std::string::npos) << c.basis;
    // ... while its own kernel validation (DeepGEMM) counts.
    EXPECT_EQ(resolveConfidence(shipped(), platform("h800-sxm5-80gb"), nullptr, PredictionScope::Kernel).level,
              ConfidenceLevel::Validated);
}

TEST(Confidence, CalibratedWhenOnlyMicrobenchmarksOrPerOperatorDataStandBehindIt) {
    // The H100 with vLLM: platform fitted, vLLM's kernels fitted on aiconfigurator tables, no end-to-end set.
    const StackProfile vllm = stack("vllm");
    const Confidence c = resolveConfidence(shipped(), platform("h100-sxm5-80gb"), &vllm, PredictionScope::LlmStep);
    EXPECT_EQ(c.level, ConfidenceLevel::Calibrated);
    EXPECT_NE(c.basis.find("fitted"), std::string::npos) << c.basis;
    EXPECT_NE(c.basis.find("vllm kernel efficiency"), std::string::npos) << c.basis;
    EXPECT_NE(c.summary().find("calibrated (not validated end to end)"), std::string::npos);
    EXPECT_EQ(c.badge(), "calibrated");
}

TEST(Confidence, UnknownStackFallsBackToProvenance) {
    StackProfile mine = StackProfile::defaultProfile();
    mine.name = "my-own-stack";
    EXPECT_EQ(resolveConfidence(shipped(), platform("h100-sxm5-80gb"), &mine, PredictionScope::LlmStep).level,
              ConfidenceLevel::Calibrated);
    EXPECT_EQ(resolveConfidence(shipped(), platform("rtx-4070"), &mine, PredictionScope::LlmStep).level,
              ConfidenceLevel::DatasheetOnly);
    // No stack at all (a kernel prediction on a platform without kernel entries).
    EXPECT_EQ(resolveConfidence(shipped(), platform("rtx-4090"), nullptr, PredictionScope::Kernel).level,
              ConfidenceLevel::DatasheetOnly);
}

TEST(Confidence, DatasheetOnlyPlatform) {
    const StackProfile eager = stack("pytorch-eager");
    const Confidence c = resolveConfidence(shipped(), platform("rtx-4070"), &eager, PredictionScope::LlmStep);
    EXPECT_EQ(c.level, ConfidenceLevel::DatasheetOnly);
    EXPECT_FALSE(c.mapeKnown());
    EXPECT_EQ(c.badge(), "datasheet only");
    EXPECT_NE(c.summary().find("datasheet only — nothing measured"), std::string::npos) << c.summary();
    EXPECT_NE(c.summary().find("error unknown"), std::string::npos) << c.summary();
}

TEST(Confidence, AFittedValueMovesAPlatformFromDatasheetToCalibrated) {
    // What happens to l40s once its refit lands: no status entry, the provenance decides.
    Platform p = platform("rtx-4070");
    const ValidationStatus none;
    EXPECT_EQ(resolveConfidence(none, p, nullptr, PredictionScope::LlmStep).level, ConfidenceLevel::DatasheetOnly);
    Source fit;
    fit.id = "my-fit";
    fit.kind = SourceKind::Fitted;
    p.sources[fit.id] = fit;
    const Confidence c = resolveConfidence(none, p, nullptr, PredictionScope::LlmStep);
    EXPECT_EQ(c.level, ConfidenceLevel::Calibrated);
    EXPECT_NE(c.basis.find("1 fitted source"), std::string::npos) << c.basis;
}

TEST(Confidence, CpuPlatformsAndScopes) {
    const StackProfile cpu = stack("pytorch-cpu");
    const Confidence c = resolveConfidence(shipped(), platform("xeon-amx-16vcpu"), &cpu, PredictionScope::CpuLlm);
    EXPECT_EQ(c.level, ConfidenceLevel::Validated);
    EXPECT_GT(c.mapePct, 30.0) << "the held-out session on another machine is the honest headline";
    // The GPU step scope does not borrow the CPU's entries, nor the other way round.
    EXPECT_EQ(resolveConfidence(shipped(), platform("h100-sxm5-80gb"), &cpu, PredictionScope::CpuLlm).level,
              ConfidenceLevel::Calibrated);
}

// ---------------------------------------------------------------- the resolver's rules on synthetic files

TEST(ConfidenceRules, SplitOrderAnyStackAndCalibrationOnly) {
    const ValidationStatus st = statusFrom("version: 1\nentries:\n" + entry("a", "h100-sxm5-80gb", "", "all", 5.0) +
                                               entry("b", "h100-sxm5-80gb", "", "held-out", 7.0) +
                                               entry("c", "rtx-4070", "vllm", "calibration", 12.0),
                                           "rules");
    const StackProfile eager = stack("pytorch-eager"), vllm = stack("vllm");
    const Confidence h = resolveConfidence(st, platform("h100-sxm5-80gb"), &eager, PredictionScope::LlmStep);
    EXPECT_EQ(h.level, ConfidenceLevel::Validated);
    EXPECT_DOUBLE_EQ(h.mapePct, 7.0); // held-out wins over a lower MAPE on a set development has seen
    ASSERT_EQ(h.entries.size(), 1u);
    EXPECT_EQ(h.entries.front().id, "b");
    // A fit error alone is not a validation: calibrated, with the error shown.
    const Confidence r = resolveConfidence(st, platform("rtx-4070"), &vllm, PredictionScope::LlmStep);
    EXPECT_EQ(r.level, ConfidenceLevel::Calibrated);
    EXPECT_DOUBLE_EQ(r.mapePct, 12.0);
    EXPECT_NE(r.basis.find("on its calibration set"), std::string::npos) << r.basis;
    // The stack list is a filter: eager on the 4070 has nothing.
    EXPECT_EQ(resolveConfidence(st, platform("rtx-4070"), &eager, PredictionScope::LlmStep).level,
              ConfidenceLevel::DatasheetOnly);
    // Another scope does not match.
    EXPECT_EQ(resolveConfidence(st, platform("h100-sxm5-80gb"), &eager, PredictionScope::Serving).level,
              ConfidenceLevel::Calibrated);
}

TEST(ConfidenceRules, SeveralMetricsOfOneSet) {
    const ValidationStatus st =
        statusFrom("version: 1\nentries:\n" + entry("t", "h100-sxm5-80gb", "", "held-out", 80.0, "ttft") +
                       entry("p", "h100-sxm5-80gb", "", "held-out", 30.0, "tpot"),
                   "metrics");
    const Confidence c = resolveConfidence(st, platform("h100-sxm5-80gb"), nullptr, PredictionScope::LlmStep);
    EXPECT_DOUBLE_EQ(c.mapePct, 80.0);
    EXPECT_NE(c.basis.find("TTFT 80.0 % / TPOT 30.0 % MAPE"), std::string::npos) << c.basis;
}

TEST(ConfidenceRules, BrokenFilesNameFileLineAndKey) {
    const auto bad = [](const std::string& yaml, const std::string& needle) {
        try {
            statusFrom(yaml, "bad");
            ADD_FAILURE() << "no error for: " << yaml;
        } catch (const InputError& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    };
    bad("version: 1\nentries:\n" + entry("a", "x", "", "sometimes", 1.0), "split");
    bad("version: 1\nentries:\n" + entry("a", "x", "", "all", 1.0) + entry("a", "y", "", "all", 1.0), "already used");
    bad("version: 2\nentries: []\n", "version");
    bad("version: 1\nentries:\n" + entry("a", "x", "", "all", -3.0), "mape_percent");
    std::string typo = entry("a", "x", "", "all", 1.0);
    typo.replace(typo.find("rows:"), 5, "rowz:");
    bad("version: 1\nentries:\n" + typo, "rowz");
}

// ---------------------------------------------------------------- the shipped file stays honest

namespace {

struct CommandRun {
    int status = -1;
    std::string out;
};

CommandRun runCommand(const std::string& cmd) {
    CommandRun r;
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
    if (!pipe)
        return r;
    std::array<char, 65536> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), pipe.get())) > 0)
        r.out.append(buf.data(), n);
    r.status = pclose(pipe.release());
    return r;
}

/// The MAPE (and rows) the entry's metric reads in `rooflab validate[-cpu] ... --format json`.
std::pair<double, int64_t> measuredMape(const ValidationEntry& e, const nlohmann::json& j) {
    if (e.command.rfind("rooflab validate-cpu", 0) == 0) {
        int64_t rows = 0;
        for (const auto& [cls, v] : j.at("by_class").items())
            rows += v.at("points").get<int64_t>();
        return {j.at("mape_pct").get<double>(), rows};
    }
    if (j.is_object() && j.value("kind", "") == "serving") {
        const auto& o = j.at("overall");
        return {o.at(e.metric + "_mape_pct").get<double>(), o.at("n").get<int64_t>()};
    }
    const nlohmann::json& d = j.is_array() ? j.at(0) : j;
    if (e.metric == "decode" || e.metric == "prefill") {
        const auto& g = d.at("breakdown").at("phase").at(e.metric);
        return {g.at("mape_pct").get<double>(), g.at("n").get<int64_t>()};
    }
    return {d.at("mape_pct").get<double>(), d.at("n").get<int64_t>()};
}

class StatusEntry : public testing::TestWithParam<ValidationEntry> {};

} // namespace

// Reruns the entry's command: the recorded MAPE must be within 1.5 points of what the model gives now, on the
// recorded number of rows. A model change that moves a number fails here until status.yaml is updated with it.
TEST_P(StatusEntry, RecordedMapeReproduces) {
    const ValidationEntry& e = GetParam();
    constexpr double kTolerancePoints = 1.5;
    const std::string args = e.command.substr(std::string("rooflab").size());
    const CommandRun r = runCommand("\"" + std::string(ROOFLAB_CLI) + "\"" + args + " --format json 2>/dev/null");
    ASSERT_EQ(r.status, 0) << e.file << ":" << e.line << ": `" << e.command << "` failed:\n" << r.out.substr(0, 2000);
    nlohmann::json j;
    ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << r.out.substr(0, 2000);
    double mape = 0;
    int64_t rows = 0;
    ASSERT_NO_THROW(std::tie(mape, rows) = measuredMape(e, j)) << j.dump().substr(0, 2000);
    EXPECT_NEAR(mape, e.mapePct, kTolerancePoints)
        << e.file << ":" << e.line << ": entry " << e.id << " records " << e.mapePct << " % " << e.metric << " MAPE; `"
        << e.command << "` gives " << mape << " % now: update status.yaml with the new number";
    EXPECT_EQ(rows, e.rows) << e.file << ":" << e.line << ": entry " << e.id;
    // The dataset it names is the one the command reads.
    EXPECT_NE(e.command.find(e.dataset), std::string::npos) << e.id;
    EXPECT_TRUE(std::filesystem::exists(kSource + "/" + e.dataset)) << e.dataset;
}

INSTANTIATE_TEST_SUITE_P(Shipped, StatusEntry, testing::ValuesIn(shipped().entries),
                         [](const testing::TestParamInfo<ValidationEntry>& i) {
                             std::string n = i.param.id;
                             for (char& c : n)
                                 if (!std::isalnum(static_cast<unsigned char>(c)))
                                     c = '_';
                             return n;
                         });

TEST(StatusFile, EveryPlatformItNamesIsShipped) {
    const auto names = io::listPlatformNames();
    for (const auto& e : shipped().entries)
        for (const auto& p : e.platforms)
            EXPECT_NE(std::find(names.begin(), names.end(), p), names.end()) << e.id << ": " << p;
    for (const auto& [p, why] : shipped().noInherit)
        EXPECT_NE(std::find(names.begin(), names.end(), p), names.end()) << p;
    const auto stacks = io::listStackNames();
    for (const auto& e : shipped().entries)
        for (const auto& s : e.stacks)
            EXPECT_NE(std::find(stacks.begin(), stacks.end(), s), stacks.end()) << e.id << ": " << s;
}
