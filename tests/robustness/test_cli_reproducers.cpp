// Issue 20's reproducers that need the rooflab binary and a scratch folder (the one-line ones are rooflab_cli_test
// cases in tests/cli/CMakeLists.txt): numbers CLI11 clamped, help noise, outputs that were destroyed or left half
// written.
#include "cli_run.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <thread>

using namespace rooflab::test;
namespace fs = std::filesystem;

namespace {
std::vector<std::string> entries(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        out.push_back(fs::relative(e.path(), dir).string());
    std::sort(out.begin(), out.end());
    return out;
}
} // namespace

TEST(CliReproducers, IntegerOverflowIsAnErrorNamingTheOption) {
    ScratchDir dir("overflow");
    // CLI11 saturated this to 9223372036854775807 and went on.
    for (const char* args : {"predict llm --model llama-3.1-8b --batch 99999999999999999999",
                             "predict llm --model llama-3.1-8b --context -99999999999999999999",
                             "report --batch 99999999999999999999 --out x", "sweep --threads 99999999999999999999",
                             "search --model llama-3.1-8b --prompt 99999999999999999999"}) {
        SCOPED_TRACE(args);
        const CliRun r = runCli(args, dir.path);
        EXPECT_EQ(r.rc, 2) << r.out << r.err;
        EXPECT_TRUE(r.err.find("out of range") != std::string::npos || r.err.find("not in range") != std::string::npos)
            << r.err;
        EXPECT_EQ(r.err.find("9223372036854775807 "), std::string::npos) << "clamped: " << r.err;
    }
    const CliRun r = runCli("predict llm --model llama-3.1-8b --batch 99999999999999999999", dir.path);
    EXPECT_NE(r.err.find("--batch"), std::string::npos) << r.err;
}

TEST(CliReproducers, HelpShowsRangesOnce) {
    ScratchDir dir("help");
    const CliRun r = runCli("search --help", dir.path);
    EXPECT_EQ(r.rc, 0);
    EXPECT_EQ(r.out.find("INT:INT"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("FLOAT:FLOAT"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("INT in [1, 16777216]"), std::string::npos) << r.out;
    // Out of range: an error naming the option.
    const CliRun bad = runCli("search --model llama-3.1-8b --prompt 0", dir.path);
    EXPECT_EQ(bad.rc, 2);
    EXPECT_NE(bad.err.find("--prompt"), std::string::npos) << bad.err;
}

TEST(CliReproducers, ProfileKeepsTheOldTraceWhenTheProgramCannotRun) {
    ScratchDir dir("profile");
    std::ofstream(dir / "keep.csv") << "old trace\n";
    fs::create_directory(dir / "empty-dir");
    const CliRun r = runCli("profile --out keep.csv -- /nonexistent/cmd", dir.path, dir.path.string());
    EXPECT_NE(r.rc, 0);
    EXPECT_EQ(slurp(dir / "keep.csv"), "old trace\n") << r.err;
    const CliRun d = runCli("profile --out empty-dir -- /nonexistent/cmd", dir.path, dir.path.string());
    EXPECT_NE(d.rc, 0);
    EXPECT_TRUE(fs::is_directory(dir / "empty-dir")) << d.err;
    // Nothing but the two inputs is left (no temporary trace).
    EXPECT_EQ(entries(dir.path), (std::vector<std::string>{"empty-dir", "keep.csv"}));
}

TEST(CliReproducers, ReportRefusesAFolderInTheWayAndLeavesNothing) {
    ScratchDir dir("report-in-the-way");
    fs::create_directories(dir / "out" / "report.md");
    std::ofstream(dir / "out" / "report.md" / "mine.txt") << "keep\n";
    const CliRun r = runCli("report --platform h100-sxm5-80gb --model llama-3.2-1b --no-plots -q --out '" +
                                (dir / "out").string() + "'",
                            dir.path);
    EXPECT_EQ(r.rc, 2) << r.err;
    EXPECT_NE(r.err.find("report.md"), std::string::npos) << r.err;
    EXPECT_EQ(entries(dir / "out"), (std::vector<std::string>{"report.md", "report.md/mine.txt"}));
}

TEST(CliReproducers, SearchOutIsWrittenAtomically) {
    ScratchDir dir("search-out");
    fs::create_directory(dir / "a-folder");
    const std::string base = "search --model llama-3.2-1b --platform h100-sxm5-80gb --ttft-max 1 --tpot-max 0.05 ";
    const CliRun bad = runCli(base + "--out '" + (dir / "a-folder").string() + "'", dir.path);
    EXPECT_EQ(bad.rc, 2) << bad.err;
    EXPECT_NE(bad.err.find("'--out'"), std::string::npos) << bad.err;
    const CliRun ok = runCli(base + "--out '" + (dir / "all.csv").string() + "'", dir.path);
    EXPECT_EQ(ok.rc, 0) << ok.err;
    EXPECT_EQ(entries(dir.path), (std::vector<std::string>{"a-folder", "all.csv"}));
    EXPECT_NE(slurp(dir / "all.csv").find('\n'), std::string::npos);
}

TEST(CliReproducers, CalibrateOutExistingFolder) {
    ScratchDir dir("calibrate-out");
    fs::create_directory(dir / "existing_dir");
    const CliRun r =
        runCli("calibrate gpu --measurements datasets/hopper/h100-sxm5-80gb --base h100-sxm5-80gb --out '" +
                   (dir / "existing_dir").string() + "'",
               dir.path, ROOFLAB_SOURCE_DIR);
    EXPECT_EQ(r.rc, 2) << r.err;
    EXPECT_EQ(r.err.find("Success"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("existing_dir"), std::string::npos) << r.err;
    EXPECT_TRUE(fs::is_empty(dir / "existing_dir"));
}

// Issue 20: a sweep killed by SIGINT/SIGTERM left its OUT.tmp (170-200 MB for a large grid); its signal handler now
// removes the temporary (a hidden per-process name, as io::writeFileAtomic's) before dying of the signal.
TEST(CliReproducers, SweepKilledBySignalLeavesNoTemporary) {
    for (const char* sig : {"INT", "TERM"}) {
        ScratchDir dir(std::string("sweep-signal-") + sig);
        const std::string out = (dir / "sweep.csv").string();
        // 2.2 M points (about 10 s, 500 MB on a fast machine): killed as soon as its temporary is there.
        const std::string cmd =
            std::string("'") + ROOFLAB_EXE +
            "' sweep --model llama-3.1-8b,llama-3.1-70b --batch 1:4096:+1 --context 1:65536:x2 --tp 1,2,4,8 --pp 1,2 "
            "--weights bf16,fp8 --threads 1 --no-progress --out '" +
            out + "' >/dev/null 2>&1 & pid=$!; i=0; while [ $i -lt 200 ] && ! ls -A '" + dir.path.string() +
            "' | grep -q tmp; do sleep 0.05; i=$((i+1)); done; sleep 0.2; kill -" + sig + " $pid; wait $pid; exit $?";
        const int status = std::system(cmd.c_str());
        // The sweep died of the signal (the shell's 128 + signal), it did not finish first.
        ASSERT_TRUE(WIFEXITED(status)) << sig;
        EXPECT_EQ(WEXITSTATUS(status), 128 + (std::string(sig) == "INT" ? SIGINT : SIGTERM)) << sig;
        EXPECT_EQ(entries(dir.path), std::vector<std::string>{}) << sig;
    }
}

// Issue 20: a sweep whose file cannot be put in place (a folder there) leaves no temporary either.
TEST(CliReproducers, SweepOutFolderLeavesNoTemporary) {
    ScratchDir dir("sweep-folder");
    fs::create_directories(dir / "sweep.csv" / "inside");
    const CliRun r =
        runCli("sweep --model llama-3.1-8b --batch 1,2 --no-progress -q --out '" + (dir / "sweep.csv").string() + "'",
               dir.path);
    EXPECT_EQ(r.rc, 2) << r.err;
    EXPECT_NE(r.err.find("sweep.csv"), std::string::npos) << r.err;
    EXPECT_EQ(entries(dir.path), (std::vector<std::string>{"sweep.csv", "sweep.csv/inside"}));
}

TEST(CliReproducers, ScenarioFileErrorsNameTheFileNotAnOption) {
    ScratchDir dir("scenario-blame");
    std::ofstream(dir / "s.yaml") << "model: llama-3.2-1b\nweights: bf17\n";
    std::ofstream(dir / "p.yaml") << "model: llama-3.2-1b\nphase: decoding\n";
    const CliRun r = runCli("report --scenario '" + (dir / "s.yaml").string() + "' --no-plots -q --out '" +
                                (dir / "out").string() + "'",
                            dir.path);
    EXPECT_EQ(r.rc, 2);
    EXPECT_NE(r.err.find("s.yaml:2: 'weights': unknown datatype 'bf17'"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("--weights"), std::string::npos) << r.err;
    const CliRun p = runCli("report --scenario '" + (dir / "p.yaml").string() + "' --no-plots -q --out '" +
                                (dir / "out").string() + "'",
                            dir.path);
    EXPECT_EQ(p.rc, 2);
    EXPECT_NE(p.err.find("p.yaml:2: 'phase'"), std::string::npos) << p.err;
    EXPECT_FALSE(fs::exists(dir / "out"));
}
