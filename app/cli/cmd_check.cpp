// rooflab check FILE...: validates platform, model (HF config / preset), stack, workload and dataset files.
#include "common.hpp"
#include "io/csv.hpp"
#include "io/model_loader.hpp"
#include "io/platform_loader.hpp"
#include "io/stack_loader.hpp"
#include "io/workload_loader.hpp"
#include "io/yaml_util.hpp"
#include "registry.hpp"
#include "units/errors.hpp"

#include <filesystem>
#include <iostream>

namespace rooflab::cli {
namespace {

/// Known dataset layouts, recognised by their columns: name and required columns.
struct DatasetSchema {
    const char* name;
    std::vector<const char*> required;
    std::vector<const char*> positive; ///< columns that must be finite numbers > 0
};

const std::vector<DatasetSchema>& datasetSchemas() {
    static const std::vector<DatasetSchema> kSchemas = {
        {"end-to-end LLM measurements", {"model", "phase", "batch", "measured_s"}, {"batch", "measured_s"}},
        {"GEMM measurements", {"m", "n", "k", "dtype", "median_s"}, {"m", "n", "k", "median_s"}},
        {"bandwidth measurements", {"op", "bytes_moved", "median_s"}, {"bytes_moved", "median_s"}},
        {"CPU bandwidth measurements",
         {"kernel", "threads", "bytes_moved", "median_s"},
         {"threads", "bytes_moved", "median_s"}},
        {"latency measurements", {"footprint_bytes", "ns"}, {"footprint_bytes", "ns"}},
        {"FLOP-rate measurements", {"dtype", "flop_per_s"}, {"flop_per_s"}},
        {"launch measurements", {"mode", "median_s"}, {"median_s"}},
        {"collective measurements", {"op", "gpus", "bytes", "median_s"}, {"gpus", "bytes", "median_s"}},
        {"kernel trace", {"name", "duration_ns"}, {}},
    };
    return kSchemas;
}

std::string checkCsv(const std::string& path) {
    const io::CsvTable t = io::loadCsvFile(path);
    for (const auto& s : datasetSchemas()) {
        bool match = true;
        for (const char* c : s.required)
            match = match && t.column(c) >= 0;
        if (!match)
            continue;
        for (const char* c : s.positive) {
            const int col = t.column(c);
            for (std::size_t r = 0; r < t.rows.size(); ++r) {
                const double v = t.number(r, col, 0.0, 1e30);
                if (v <= 0)
                    throw InputError(path, t.rowLines[r], c, "must be greater than zero");
            }
        }
        return std::string(s.name) + ", " + std::to_string(t.rows.size()) + " rows";
    }
    std::string known;
    for (const auto& s : datasetSchemas()) {
        known += std::string(known.empty() ? "" : "; ") + s.name + " (";
        for (std::size_t i = 0; i < s.required.size(); ++i)
            known += std::string(i ? "," : "") + s.required[i];
        known += ")";
    }
    throw InputError(path, 1, "", "unrecognised dataset columns; known layouts: " + known);
}

/// Returns a one-line description of what the file is, or throws InputError.
std::string checkFile(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        throw InputError(path, 0, "", "no such file");
    const std::string ext = fs::path(path).extension().string();
    if (ext == ".csv")
        return checkCsv(path);
    const YAML::Node root = io::loadYamlFile(path);
    if (!root.IsMap())
        throw InputError(path, io::lineOf(root), "", "expected a mapping at the top level");
    if (root["model_type"].IsDefined() || root["text_config"].IsDefined() || ext == ".json") {
        const LlmArch a = io::loadModelFile(path);
        return "model " + a.name + " (" + a.modelType + ", " + fmtNum(a.totalParams() / 1e9, 4) + " B parameters)";
    }
    if (root["kernels"].IsDefined() || root["launch"].IsDefined() || root["fused_qkv"].IsDefined()) {
        const StackProfile s = io::loadStackFile(path);
        return "stack " + s.name;
    }
    if (root["compute"].IsDefined() || root["sources"].IsDefined() || root["extends"].IsDefined()) {
        const Platform p = io::loadPlatformFile(path);
        return "platform " + p.name + " (" + std::to_string(p.sources.size()) + " sources)";
    }
    const YAML::Node kind = root["kind"];
    if (kind.IsDefined() && kind.IsScalar() && (kind.Scalar() == "gemm" || kind.Scalar() == "cpu-kernel")) {
        const Workload w = io::loadWorkloadFile(path);
        return "workload " + w.name + " (" + w.kind + ", " + std::to_string(w.gemms.size() + w.cpuKernels.size()) +
               " cases)";
    }
    if (kind.IsDefined() && kind.IsScalar() && (kind.Scalar() == "gpu" || kind.Scalar() == "cpu"))
        return "platform " + io::loadPlatformFile(path).name;
    throw InputError(path, 1, "",
                     "cannot tell what this file is: expected a platform (compute, memory), a model "
                     "(model_type), a workload (kind: gemm | cpu-kernel), a stack (kernels) or a CSV dataset");
}

void addCheck(CLI::App& root, int& exitCode) {
    static std::vector<std::string> files;
    static bool quiet = false;
    CLI::App* c = root.add_subcommand("check", "Validate platform, model, workload, stack and dataset files");
    c->add_option("files", files, "files to check")->required();
    c->add_flag("-q,--quiet", quiet, "print only errors");
    c->callback([&exitCode]() {
        int bad = 0;
        for (const auto& f : files) {
            try {
                const std::string what = checkFile(f);
                if (!quiet)
                    std::cout << "ok     " << f << ": " << what << "\n";
            } catch (const InputError& e) {
                ++bad;
                std::cerr << "error  " << e.what() << "\n";
            } catch (const std::exception& e) {
                // Whatever one file does (a file-system error while resolving it, say), the others are checked.
                ++bad;
                std::cerr << "error  " << f << ": " << e.what() << "\n";
            }
        }
        if (!quiet)
            std::cout << files.size() - static_cast<std::size_t>(bad) << " of " << files.size() << " files valid\n";
        exitCode = bad ? kBadInput : kOk;
    });
}

} // namespace
ROOFLAB_REGISTER_COMMAND("check", addCheck);
} // namespace rooflab::cli
