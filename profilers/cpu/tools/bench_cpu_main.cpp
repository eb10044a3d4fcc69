// rooflab-bench-cpu: the CPU measurement suite as a small standalone binary (can be linked statically and
// carried to hosts without rooflab's dependencies). Same options and output files as `rooflab bench cpu`.
#include "model/units/errors.hpp"
#include "profilers/cpu/progress_printer.hpp"
#include "profilers/cpu/suite.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

int main(int argc, char** argv) {
    CLI::App app{"rooflab CPU microbenchmarks: bandwidth, latency, peak FLOP/s, softmax and reduction of this machine"};
    std::string only;
    bool quick = false;
    bool doctor = false;
    int threads = 0;
    std::string out = "rooflab-cpu-bench";
    std::uint64_t maxFootprint = 0;
    app.add_option("--only", only, "Comma-separated subset of bandwidth,latency,flops,softmax,reduction,smt");
    app.add_flag("--quick", quick, "Fewer sizes and runs");
    app.add_option("--threads", threads, "Largest thread count (default: all hardware threads)");
    std::vector<int> threadCounts;
    app.add_option("--thread-counts", threadCounts,
                   "Comma-separated thread counts to measure (default: 1, 2, 4, ... and all; softmax/reduction: 1, "
                   "cores and all)")
        ->delimiter(',');
    app.add_option("--max-footprint", maxFootprint, "Largest working set in bytes (default 4x LLC)");
    app.add_option("--out", out, "Output directory");
    app.add_flag("--doctor", doctor, "Print CPU, topology and PMU capabilities as JSON and exit");
    CLI11_PARSE(app, argc, argv);
    std::string command;
    for (int i = 0; i < argc; ++i)
        command += (i ? " " : "") + std::string(argv[i]);
    try {
        if (doctor) {
            nlohmann::json j = {{"cpu", rooflab::cpu::toJson(rooflab::cpu::detectCpuInfo())},
                                {"topology", rooflab::topology::toJson(rooflab::topology::detectTopology())},
                                {"pmu", rooflab::cpu::toJson(rooflab::cpu::probePmu())}};
            std::cout << j.dump(2) << "\n";
            return 0;
        }
        rooflab::cpu::CpuSuiteOptions options;
        rooflab::cpu::applyOnlyList(options, only);
        options.quick = quick;
        options.maxThreads = threads;
        options.threadCounts = threadCounts;
        options.maxFootprintBytes = maxFootprint;
        options.command = command;
        options.tool = "rooflab-bench-cpu";
        rooflab::cpu::TerminalProgress progress;
        options.progress = progress.callback();
        const auto result = rooflab::cpu::runCpuSuite(options);
        progress.finish();
        const auto files = rooflab::cpu::writeCpuDataset(result, options, out);
        std::cout << rooflab::cpu::formatSuiteSummary(result);
        for (const auto& f : files)
            std::cout << "wrote " << f.string() << "\n";
        return 0;
    } catch (const rooflab::InputError& e) {
        std::cerr << "rooflab-bench-cpu: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "rooflab-bench-cpu: " << e.what() << "\n";
        return 1;
    }
}
