// `rooflab bench gpu` runs the GPU microbenchmarks (the rooflab-gpu-bench binary built with CUDA) and
// `rooflab profile -- <program>` traces every kernel of an unmodified CUDA program (PyTorch included) through the
// CUPTI injection library librooflab_cupti_inject.so. The CLI itself links no CUDA: both tools are found next to
// the rooflab executable, in the build tree (../../profilers/gpu from app/cli), or on PATH.
#include "common.hpp"
#include "profilers/gpu/trace/formats.hpp"
#include "registry.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace {

fs::path selfDir() {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::current_path() : exe.parent_path();
}

/// Looks for `name` next to the executable, in the build tree's profilers/gpu, in ../lib, then on PATH.
std::optional<fs::path> findTool(const std::string& name, bool searchPath) {
    const fs::path dir = selfDir();
    for (const fs::path& p : {dir / name, dir / "../../profilers/gpu" / name, dir / "../profilers/gpu" / name,
                              dir / "../lib" / name, dir / "../lib/rooflab" / name}) {
        std::error_code ec;
        if (fs::is_regular_file(p, ec))
            return fs::weakly_canonical(p, ec);
    }
    if (searchPath) {
        if (const char* path = std::getenv("PATH")) {
            std::string all = path;
            size_t start = 0;
            while (start <= all.size()) {
                const size_t end = all.find(':', start);
                const fs::path p = fs::path(all.substr(start, end - start)) / name;
                std::error_code ec;
                if (fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0)
                    return p;
                if (end == std::string::npos)
                    break;
                start = end + 1;
            }
        }
    }
    return std::nullopt;
}

/// fork + execvp; returns the child's exit status (128 + signal when killed), or -1 when it could not start.
int runProgram(const std::vector<std::string>& argv, const std::vector<std::pair<std::string, std::string>>& env) {
    std::vector<char*> cargs;
    for (const auto& a : argv)
        cargs.push_back(const_cast<char*>(a.c_str()));
    cargs.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        for (const auto& [k, v] : env)
            ::setenv(k.c_str(), v.c_str(), 1);
        ::execvp(cargs[0], cargs.data());
        std::cerr << "rooflab: cannot run " << argv[0] << ": " << std::strerror(errno) << "\n";
        ::_exit(127);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

struct BenchGpuArgs {
    std::string only;
    bool quick = false;
    std::string out = "rooflab-gpu-bench";
    int device = 0;
};

void runBenchGpu(const BenchGpuArgs& args, int& exitCode) {
    const auto tool = findTool("rooflab-gpu-bench", true);
    if (!tool) {
        std::cerr << "rooflab bench gpu: rooflab-gpu-bench was not found next to rooflab, in the build tree or on "
                     "PATH. It is built only when CMake finds a CUDA toolkit (ROOFLAB_CUDA=AUTO/ON); this build has "
                     "no GPU benchmarks.\n";
        exitCode = rooflab::cli::kFailure;
        return;
    }
    std::vector<std::string> argv = {tool->string(), "--out", args.out, "--device", std::to_string(args.device)};
    if (!args.only.empty()) {
        argv.emplace_back("--only");
        argv.push_back(args.only);
    }
    if (args.quick)
        argv.emplace_back("--quick");
    const int rc = runProgram(argv, {});
    if (rc < 0) {
        std::cerr << "rooflab bench gpu: could not start " << tool->string() << "\n";
        exitCode = rooflab::cli::kFailure;
        return;
    }
    if (rc == 0)
        std::cout << "GPU measurements written to " << args.out << "\n";
    exitCode = rc == 0 ? rooflab::cli::kOk : rooflab::cli::kFailure;
}

struct ProfileArgs {
    std::string metrics;
    int maxPasses = 1;
    std::string out = "rooflab-trace.csv";
    bool window = false;
    std::vector<std::string> command;
};

void printTraceSummary(const std::string& path) {
    std::ifstream f(path);
    const auto kernels = rooflab::gpu::readTrace(f);
    uint64_t total = 0;
    for (const auto& k : kernels)
        total += k.durationNs();
    std::cout << kernels.size() << " kernels, " << std::fixed << std::setprecision(3)
              << static_cast<double>(total) * 1e-6 << " ms of kernel time, written to " << path << "\n";
    for (const auto& [cls, ns] : rooflab::gpu::timeByClass(kernels))
        std::cout << "  " << std::left << std::setw(12) << rooflab::gpu::toString(cls) << std::right << std::setw(12)
                  << static_cast<double>(ns) * 1e-6 << " ms  " << std::setw(5) << std::setprecision(1)
                  << (total ? 100.0 * static_cast<double>(ns) / static_cast<double>(total) : 0.0) << " %"
                  << std::setprecision(3) << "\n";
}

void runProfile(const ProfileArgs& args, int& exitCode) {
    if (!args.metrics.empty() && args.metrics != "roofline") {
        std::cerr << "rooflab profile: --metrics takes 'roofline', got '" << args.metrics << "'\n";
        exitCode = rooflab::cli::kBadInput;
        return;
    }
    const auto lib = findTool("librooflab_cupti_inject.so", false);
    if (!lib) {
        std::cerr << "rooflab profile: librooflab_cupti_inject.so was not found next to rooflab or in the build "
                     "tree. It is built only when CMake finds a CUDA toolkit with CUPTI; this build cannot trace "
                     "GPU programs.\n";
        exitCode = rooflab::cli::kFailure;
        return;
    }
    std::error_code ec;
    if (fs::is_directory(args.out, ec)) {
        std::cerr << "rooflab profile: '--out': " << args.out << " is a folder; give the trace CSV's file name\n";
        exitCode = rooflab::cli::kBadInput;
        return;
    }
    // The trace goes to a hidden temporary next to --out and replaces it only when the program wrote one: an
    // existing trace survives a program that fails to start or never creates a CUDA context (issue 20: it was
    // deleted before the program even started).
    const fs::path dest = fs::absolute(args.out);
    const fs::path tmp = dest.parent_path() / ("." + dest.filename().string() + ".tmp" + std::to_string(::getpid()));
    fs::remove(tmp, ec);
    std::vector<std::pair<std::string, std::string>> env = {
        {"CUDA_INJECTION64_PATH", lib->string()}, {"ROOFLAB_TRACE_OUT", tmp.string()}, {"NCCL_NVLS_ENABLE", "0"}};
    if (!args.metrics.empty()) {
        env.emplace_back("ROOFLAB_METRICS", args.metrics);
        env.emplace_back("ROOFLAB_MAX_PASSES", std::to_string(args.maxPasses));
        if (args.maxPasses != 1)
            std::cerr << "rooflab profile: --max-passes " << args.maxPasses
                      << ": kernels needing several passes are replayed, and CUPTI saves and restores the "
                         "program's device memory before every replay (slow for programs holding gigabytes)\n";
    }
    if (args.window)
        env.emplace_back("ROOFLAB_TRACE_WINDOW", "profiler");
    const int rc = runProgram(args.command, env);
    if (rc != 0)
        std::cerr << "rooflab profile: " << args.command[0] << " exited with status " << rc << "\n";
    if (!fs::is_regular_file(tmp, ec)) {
        fs::remove(tmp, ec);
        std::cerr << "rooflab profile: no trace was written (the program used no CUDA context, or CUPTI could not "
                     "attach: see its messages above)"
                  << (fs::exists(dest, ec) ? "; " + args.out + " is left as it was" : std::string()) << "\n";
        exitCode = rooflab::cli::kFailure;
        return;
    }
    fs::rename(tmp, dest, ec);
    if (ec) {
        fs::remove(tmp, ec);
        std::cerr << "rooflab profile: cannot replace " << args.out << ": " << ec.message() << "\n";
        exitCode = rooflab::cli::kFailure;
        return;
    }
    printTraceSummary(args.out);
    exitCode = rc == 0 ? rooflab::cli::kOk : rooflab::cli::kFailure;
}

void addGpuCommands(CLI::App& root, int& exitCode) {
    CLI::App& bench = rooflab::cli::subcommandGroup(root, "bench", "Run microbenchmarks");
    CLI::App* gpu = bench.add_subcommand("gpu", "GPU memory bandwidth/latency, SIMT and tensor peaks, cuBLASLt GEMM "
                                                "sweep, launch overhead, host link (needs a CUDA build and a GPU)");
    auto bargs = std::make_shared<BenchGpuArgs>();
    gpu->add_option("--only", bargs->only,
                    "Comma-separated subset of bandwidth,latency,flops,gemm,launch,hostlink,counters");
    gpu->add_flag("--quick", bargs->quick, "Fewer sizes and shapes, shorter samples");
    gpu->add_option("--out", bargs->out, "Output directory for the CSV files and provenance.json")
        ->capture_default_str();
    gpu->add_option("--device", bargs->device, "CUDA device index")->capture_default_str();
    gpu->callback([bargs, &exitCode] { runBenchGpu(*bargs, exitCode); });

    CLI::App* prof = root.add_subcommand(
        "profile", "Trace every kernel of a CUDA program through CUPTI: rooflab profile [--metrics roofline] "
                   "[--out FILE] -- <program> [args...]");
    auto pargs = std::make_shared<ProfileArgs>();
    prof->add_option("--metrics", pargs->metrics,
                     "Hardware counters per kernel: 'roofline' (time, DRAM bytes, tensor and SIMT FLOP work, L2 "
                     "bytes, throughputs, in that priority, as many as --max-passes allows; kernels are serialized)");
    rooflab::cli::ranged(
        prof->add_option("--max-passes", pargs->maxPasses,
                         "Counter passes per kernel (0 = all requested counters). 1 needs no kernel replay")
            ->capture_default_str(),
        0, 64);
    prof->add_option("--out", pargs->out, "Trace CSV to write")->capture_default_str();
    prof->add_flag("--window", pargs->window,
                   "Keep only kernels between cudaProfilerStart and cudaProfilerStop (torch.cuda.profiler)");
    prof->add_option("command", pargs->command, "Program and its arguments (after --)")->required();
    prof->callback([pargs, &exitCode] { runProfile(*pargs, exitCode); });
}

} // namespace

ROOFLAB_REGISTER_COMMAND("gpu", addGpuCommands);
