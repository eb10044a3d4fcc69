// rooflab calibrate gpu-stack --stack S --base PLATFORM --ops ops.csv --host-floor host_floor.csv [--write|--out F]
// A GPU framework's stack constants (host time per kernel, passes of its own element-wise kernels, repeat_kv) from
// its single-op microbenchmarks (profilers/gpu/harness/hf_bench.py). Nothing end-to-end is read.
#include "calibration/gpu_stack_calibration.hpp"
#include "common.hpp"
#include "io/csv.hpp"
#include "io/data_paths.hpp"
#include "io/files.hpp"
#include "io/platform_loader.hpp"
#include "io/stack_loader.hpp"
#include "registry.hpp"
#include "units/errors.hpp"

#include <iostream>
#include <memory>

namespace rooflab::cli {
namespace {

struct CalibrateGpuStackOptions {
    std::string stack, base, ops, hostFloor, out;
    bool write = false;
};

void runCalibrateGpuStack(const CalibrateGpuStackOptions& o, int& exitCode) {
    const Platform plat = io::loadPlatformFile(io::findPlatformFile(o.base));
    if (plat.kind != DeviceKind::Gpu)
        throw InputError(plat.file, 0, "kind", "--base must be a gpu platform");
    const std::string file = io::findStackFile(o.stack);
    const std::string text = io::readInputFile(file, std::uintmax_t(1) << 20, "--stack");
    const StackProfile base = io::loadStackString(text, file);
    const GpuStackFit fit = fitGpuStack(plat, base, io::loadCsvFile(o.ops), io::loadCsvFile(o.hostFloor));
    for (const auto& n : fit.notes)
        std::cout << n << "\n";
    const std::string target = !o.out.empty() ? o.out : (o.write ? file : std::string());
    if (!target.empty()) {
        const std::string out = writeGpuStackYaml(
            text, fit, o.ops + " and " + o.hostFloor + " on " + plat.name + ", " + isoDateUtc(), file);
        io::loadStackString(out, target); // what we write must load
        io::writeFileAtomic(target, out, "--out");
        std::cout << "wrote " << target << "\n";
    }
    exitCode = kOk;
}

void addCalibrateGpuStack(CLI::App& root, int& exitCode) {
    CLI::App& cal = subcommandGroup(root, "calibrate", "Fit platform parameters on measurements");
    auto o = std::make_shared<CalibrateGpuStackOptions>();
    CLI::App* c = cal.add_subcommand(
        "gpu-stack", "Fit a GPU framework's stack constants (host time per kernel, passes) from its single-op "
                     "microbenchmarks (profilers/gpu/harness/hf_bench.py)");
    c->add_option("--stack", o->stack, "stack profile (name or file), e.g. hf-transformers")->required();
    c->add_option("--base", o->base, "the GPU platform the microbenchmarks ran on (name or file)")->required();
    c->add_option("--ops", o->ops, "single-op microbenchmarks (hf_bench.py ops.csv)")->required();
    c->add_option("--host-floor", o->hostFloor, "the framework's forward on tiny tensors (hf_bench.py host_floor.csv)")
        ->required();
    c->add_flag("--write", o->write, "write the fitted values and their provenance into the stack file (atomic)");
    c->add_option("--out", o->out, "write the updated stack profile here instead");
    c->callback([o, &exitCode]() { runCalibrateGpuStack(*o, exitCode); });
}

} // namespace
} // namespace rooflab::cli

ROOFLAB_REGISTER_COMMAND("calibrate-gpu-stack", rooflab::cli::addCalibrateGpuStack);
