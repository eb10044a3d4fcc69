// `rooflab bench cpu`: bandwidth vs working set, pointer-chase latency, peak FLOP/s per ISA, softmax (3-/2-pass)
// and reduction of this machine, written as CSV + JSON into --out (the files datasets/cpu/<machine>/ holds and
// calibration reads).
#include "model/units/errors.hpp"
#include "profilers/cpu/progress_printer.hpp"
#include "profilers/cpu/suite.hpp"
#include "registry.hpp"

#include <iostream>
#include <memory>

namespace {

struct BenchCpuArgs {
    std::string only;
    bool quick = false;
    int threads = 0;
    std::vector<int> threadCounts;
    std::string out = "rooflab-cpu-bench";
};

void runBenchCpu(const BenchCpuArgs& args, int& exitCode) {
    rooflab::cpu::CpuSuiteOptions options;
    rooflab::cpu::applyOnlyList(options, args.only);
    if (args.threads < 0)
        throw rooflab::InputError("", 0, "--threads", "must be >= 1, got " + std::to_string(args.threads));
    options.quick = args.quick;
    options.maxThreads = args.threads;
    options.threadCounts = args.threadCounts;
    options.tool = "rooflab bench cpu";
    options.command = "rooflab bench cpu" + (args.only.empty() ? std::string() : " --only " + args.only) +
                      (args.quick ? " --quick" : "") +
                      (args.threads > 0 ? " --threads " + std::to_string(args.threads) : std::string()) +
                      [&] {
                          std::string c;
                          for (int t : args.threadCounts)
                              c += (c.empty() ? " --thread-counts " : ",") + std::to_string(t);
                          return c;
                      }() +
                      " --out " + args.out;
    rooflab::cpu::TerminalProgress progress;
    options.progress = progress.callback();
    const rooflab::cpu::CpuSuiteResult result = rooflab::cpu::runCpuSuite(options);
    progress.finish();
    const auto files = rooflab::cpu::writeCpuDataset(result, options, args.out);
    std::cout << rooflab::cpu::formatSuiteSummary(result) << "\n";
    for (const auto& file : files)
        std::cout << "wrote " << file.string() << "\n";
    exitCode = rooflab::cli::kOk;
}

void addBenchCpu(CLI::App& root, int& exitCode) {
    CLI::App& bench = rooflab::cli::subcommandGroup(root, "bench", "Run microbenchmarks");
    CLI::App* cmd = bench.add_subcommand(
        "cpu", "CPU bandwidth vs working set, latency per level, peak FLOP/s per ISA, softmax and reduction");
    auto args = std::make_shared<BenchCpuArgs>();
    cmd->add_option("--only", args->only,
                    "Comma-separated subset of bandwidth,latency,flops,softmax,reduction,smt (default: all)");
    cmd->add_flag("--quick", args->quick, "Fewer sizes, runs and shorter samples (about a minute on small machines)");
    cmd->add_option("--threads", args->threads, "Largest thread count (default: every hardware thread allowed)");
    cmd->add_option("--thread-counts", args->threadCounts,
                    "Comma-separated thread counts to measure (default: 1, 2, 4, ... and all; softmax/reduction: 1, "
                    "cores and all)")
        ->delimiter(',');
    cmd->add_option(
           "--out", args->out,
           "Output directory for bandwidth.csv, latency.csv, flops.csv, softmax.csv, reduction.csv, smt.csv, *.json")
        ->capture_default_str();
    cmd->callback([args, &exitCode] { runBenchCpu(*args, exitCode); });
}

} // namespace

ROOFLAB_REGISTER_COMMAND("bench-cpu", addBenchCpu);
