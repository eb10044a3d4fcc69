// rooflab predict cpu --platform P --kernel triad --elements N [--threads T] [--dtype fp32]
// rooflab predict cpu --platform P --workload resources/workloads/cpu-kernels.yaml
// The CPU-kernel model (model/analysis/cpu_kernels.hpp): cache-aware roofline with per-level bandwidth and
// saturating thread scaling, STREAM, softmax 3-pass vs 2-pass, reductions, GEMM (SIMD / AMX).
#include "analysis/cpu_kernels.hpp"
#include "codec/request_codec.hpp"
#include "common.hpp"
#include "io/data_paths.hpp"
#include "io/platform_loader.hpp"
#include "io/validation_status.hpp"
#include "io/workload_loader.hpp"
#include "registry.hpp"
#include "units/errors.hpp"

#include <cmath>
#include <iostream>
#include <memory>

namespace rooflab::cli {
namespace {

struct CpuPredictOptions {
    std::string platform = "xeon-amx-16vcpu";
    std::string kernel;
    std::string workload;
    double elements = 0;
    double m = 0, n = 0, k = 0;
    bool coldWeights = false; ///< GEMM: weights streamed from memory
    double threads = 0;
    std::string dtype = "fp32";
    std::string format = "table";
};

nlohmann::json resultJson(const std::string& name, const CpuKernelRequest& rq, const CpuKernelResult& r) {
    nlohmann::json j;
    j["case"] = name;
    j["kernel"] = std::string(cpuOpName(rq.op));
    j["dtype"] = std::string(dtypeName(rq.dtype));
    j["threads"] = r.threads;
    j["ok"] = r.ok;
    if (!r.ok) {
        j["fail_reason"] = r.failReason;
        return j;
    }
    if (rq.op == CpuOp::Gemm)
        j["shape"] = {rq.m, rq.n, rq.k};
    else
        j["elements"] = rq.elements;
    j["working_set_bytes"] = r.workingSetBytes;
    j["level"] = r.levelName;
    j["bytes"] = r.bytes;
    j["flops"] = r.flops;
    j["time_s"] = r.timeS;
    j["bytes_per_s"] = r.bytesPerS();
    j["flop_per_s"] = r.flopPerS();
    j["bound"] = r.bound;
    for (const auto& p : r.passes)
        j["passes"].push_back({{"what", p.what},
                               {"bytes_read", p.bytesRead},
                               {"bytes_written", p.bytesWritten},
                               {"flops", p.flops},
                               {"level", p.level},
                               {"memory_s", p.memoryS},
                               {"compute_s", p.computeS},
                               {"time_s", p.timeS}});
    return j;
}

void runPredictCpu(const CpuPredictOptions& o, int& exitCode) {
    const Platform plat = io::loadPlatformFile(io::findPlatformFile(o.platform));
    const CpuMachine machine = cpuMachineFrom(plat);
    const Format fmt = parseFormat(o.format);
    if (o.threads < 0)
        throw InputError("", 0, "--threads", "must be >= 1 (0 = all cores)");

    std::vector<std::pair<std::string, CpuKernelRequest>> cases;
    if (!o.workload.empty()) {
        if (!o.kernel.empty())
            throw InputError("", 0, "--kernel", "give either --kernel or --workload, not both");
        const Workload w = io::loadWorkloadFile(o.workload);
        if (w.kind != "cpu-kernel")
            throw InputError(o.workload, 0, "kind", "expected a cpu-kernel workload, found '" + w.kind + "'");
        for (const auto& c : w.cpuKernels) {
            CpuKernelRequest r;
            r.op = cpuOpFromKernel(c.kernel);
            r.elements = static_cast<double>(c.elements);
            r.m = static_cast<double>(c.m);
            r.n = static_cast<double>(c.n);
            r.k = static_cast<double>(c.k);
            r.dtype = c.dtype;
            r.threads = o.threads > 0 ? o.threads : c.threads;
            cases.emplace_back(c.name, r);
        }
    } else {
        if (o.kernel.empty())
            throw InputError("", 0, "--kernel", "give --kernel (triad, copy, ...) or --workload FILE");
        // Through the Request codec: the same checks (finite, in range, required per kernel) as a cases line.
        nlohmann::json j{{"kind", "cpu"}, {"kernel", o.kernel}, {"dtype", o.dtype}};
        if (o.threads != 0)
            j["threads"] = o.threads == std::floor(o.threads) ? nlohmann::json(static_cast<int64_t>(o.threads))
                                                              : nlohmann::json(o.threads);
        if (o.kernel == "gemm") {
            for (const auto& [key, v] : {std::pair{"m", o.m}, std::pair{"n", o.n}, std::pair{"k", o.k}})
                if (v != 0)
                    j[key] = v == std::floor(v) && std::isfinite(v) ? nlohmann::json(static_cast<int64_t>(v))
                                                                    : nlohmann::json(v);
            j["cold_weights"] = o.coldWeights;
        } else if (o.elements != 0) {
            j["elements"] = o.elements;
        }
        spec::CodecSource src;
        src.optionSpelling = true;
        const Request req = spec::decodeRequest(j, src);
        CpuKernelRequest r = std::get<CpuKernelWork>(req.workload).kernel;
        if (r.threads > machine.units)
            throw InputError("", 0, "--threads",
                             fmtNum(r.threads) + " exceeds the " + fmtNum(machine.units) + " hardware threads of " +
                                 plat.name);
        cases.emplace_back(o.kernel, r);
    }

    nlohmann::json all = nlohmann::json::array();
    std::vector<std::vector<std::string>> rows;
    for (const auto& [name, rq] : cases) {
        const CpuKernelResult r = evalCpuKernel(machine, rq);
        all.push_back(resultJson(name, rq, r));
        if (!r.ok) {
            rows.push_back({name, std::string(cpuOpName(rq.op)), std::string(dtypeName(rq.dtype)), fmtNum(r.threads),
                            "-", "-", "-", "-", "-", "-", "-", "infeasible: " + r.failReason});
            continue;
        }
        rows.push_back({name, std::string(cpuOpName(rq.op)), std::string(dtypeName(rq.dtype)), fmtNum(r.threads),
                        fmtBytes(r.workingSetBytes), r.levelName, std::to_string(r.passes.size()), fmtBytes(r.bytes),
                        fmtSeconds(r.timeS), fmtNum(r.bytesPerS() / 1e9, 4), fmtNum(r.flopPerS() / 1e9, 4), r.bound});
    }
    const Confidence conf = resolveConfidence(shippedValidationStatus(), plat, nullptr, PredictionScope::Kernel);
    if (fmt == Format::Json) {
        nlohmann::json j{
            {"platform", plat.name}, {"single_thread_rates_from_file", machine.singleThreadFromFile}, {"cases", all}};
        report::addConfidenceJson(j, conf);
        std::cout << j.dump(2) << "\n";
    } else {
        std::vector<std::string> header = {"case",   "kernel", "dtype", "threads", "working set", "level",
                                           "passes", "bytes",  "time",  "GB/s",    "GFLOP/s",     "bound"};
        if (fmt == Format::Csv) {
            for (auto& c : report::confidenceCsvColumns())
                header.push_back(std::move(c));
            for (auto& row : rows)
                for (auto& c : report::confidenceCsvCells(conf))
                    row.push_back(std::move(c));
            printCsv(std::cout, header, rows);
        } else {
            std::cout << "platform " << plat.name << " (" << fmtNum(machine.units) << " cores"
                      << (machine.singleThreadFromFile ? "" : "; no single-thread record: linear thread scaling")
                      << ")\n";
            std::cout << "  confidence: " << conf.summary() << "\n";
            printTable(std::cout, header, rows);
        }
    }
    exitCode = kOk;
}

void addPredictCpu(CLI::App& root, int& exitCode) {
    // `predict` is created by cmd_predict.cpp (sort key "predict" runs before "predict-cpu").
    CLI::App* pr = &subcommandGroup(root, "predict", "Predict time, throughput, memory and the binding roof");
    auto o = std::make_shared<CpuPredictOptions>();
    CLI::App* c =
        pr->add_subcommand("cpu", "Predict a CPU kernel (STREAM, softmax, reduction, GEMM) on a CPU platform");
    c->add_option("--platform", o->platform, "platform name or file")->capture_default_str();
    c->add_option("--kernel", o->kernel,
                  "read, write, copy, scale, add, triad, softmax-3pass, softmax-2pass, reduction, gemm");
    c->add_option("--workload", o->workload, "CPU-kernel workload file (resources/workloads/cpu-kernels.yaml)");
    c->add_option("--elements", o->elements, "vector length (STREAM, softmax, reduction)");
    c->add_option("--m", o->m, "GEMM rows of A and C");
    c->add_option("--n", o->n, "GEMM columns of B and C");
    c->add_option("--k", o->k, "GEMM inner dimension");
    c->add_flag("--cold-weights", o->coldWeights,
                "GEMM: B (the weights) streams from memory, as in LLM inference, instead of from the caches it fits");
    c->add_option("--threads", o->threads, "threads (0 = all cores)");
    c->add_option("--dtype", o->dtype, "element datatype")->capture_default_str();
    c->add_option("--format", o->format, "table, json or csv")->capture_default_str();
    c->callback([o, &exitCode]() { runPredictCpu(*o, exitCode); });
}

} // namespace
} // namespace rooflab::cli

ROOFLAB_REGISTER_COMMAND("predict-cpu", rooflab::cli::addPredictCpu);
