// rooflab calibrate cpu --out platforms/<name>.yaml [--base PLATFORM] [--measurements DIR ...] [--quick]
// rooflab validate-cpu --platform P --dataset datasets/cpu/<machine> [--dataset DIR ...] [--max-mape X] [--rows]
//                      [--format ...]
// Without --measurements, `calibrate cpu` measures this machine (runCpuSuite, the `rooflab bench cpu` suite),
// keeps the raw measurements next to the platform (<out>.measurements/ unless --keep-measurements names a
// folder), then fits.
#include "calibration/cpu_calibration.hpp"
#include "common.hpp"
#include "io/data_paths.hpp"
#include "io/files.hpp"
#include "io/platform_loader.hpp"
#include "io/stack_loader.hpp"
#include "profilers/cpu/progress_printer.hpp"
#include "profilers/cpu/suite.hpp"
#include "registry.hpp"
#include "units/errors.hpp"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>

namespace rooflab::cli {
namespace {

struct CalibrateCpuOptions {
    std::string out, base, keep;
    std::vector<std::string> measurements; ///< repeated sweeps of one machine: per-point median
    std::string gemm;                      ///< CPU GEMM reference CSV (GEMM efficiency), optional
    bool quick = false;
    int threads = 0;
    std::string stack, step = "forward"; ///< --stack: fit a CPU framework's stack profile instead
    std::vector<std::string> ops;        ///< --stack: single-op tables, several machines combined point by point
};

/// `calibrate cpu --stack FILE --ops ops.csv --base PLATFORM --out FILE`: the stack's `cpu:` section and passes.
void runCalibrateCpuStack(const CalibrateCpuOptions& o, int& exitCode) {
    if (o.base.empty() || o.ops.empty())
        throw InputError("", 0, "--stack", "give --base PLATFORM and --ops ops.csv (bench/cpu_llm) with --stack");
    const Platform plat = io::loadPlatformFile(io::findPlatformFile(o.base));
    if (plat.kind != DeviceKind::Cpu)
        throw InputError(plat.file, 0, "kind", "--base must be a cpu platform");
    const std::string text = io::readInputFile(o.stack, std::uintmax_t(1) << 20, "--stack");
    const StackProfile base = io::loadStackString(text, o.stack);
    std::vector<io::CsvTable> tables;
    std::string sources;
    for (const std::string& f : o.ops) {
        tables.push_back(io::loadCsvFile(f));
        sources += (sources.empty() ? "" : " + ") + f;
    }
    const io::CsvTable ops = medianOfOpsTables(tables);
    if (tables.size() > 1) {
        std::cout << "single-op points: " << ops.rows.size() << " measured on at least two of the " << tables.size()
                  << " tables (per-point median of median_s)\n";
        sources = "per-point median of " + sources;
    }
    const CpuStackFit fit =
        fitCpuStack(plat, base, ops, o.step == "generate" ? CpuStepSource::Generate : CpuStepSource::Forward);
    for (const auto& n : fit.notes)
        std::cout << n << "\n";
    const std::string out = writeCpuStackYaml(text, fit, sources + " on " + plat.name + ", step rows: " + o.step);
    io::loadStackString(out, o.out); // what we write must load
    io::writeFileAtomic(o.out, out, "--out");
    std::cout << "wrote " << o.out << "\n";
    exitCode = kOk;
}

void runCalibrateCpu(const CalibrateCpuOptions& o, int& exitCode) {
    if (o.out.empty())
        throw InputError("", 0, "--out", "name the platform file to write");
    if (!o.stack.empty())
        return runCalibrateCpuStack(o, exitCode);
    std::vector<std::string> dirs = o.measurements;
    if (dirs.empty()) {
        std::string dir;
        dir = o.keep.empty() ? o.out + ".measurements" : o.keep;
        cpu::CpuSuiteOptions options;
        options.quick = o.quick;
        options.maxThreads = o.threads;
        options.tool = "rooflab calibrate cpu";
        options.command = "rooflab calibrate cpu --out " + o.out + (o.quick ? " --quick" : "");
        cpu::TerminalProgress progress;
        options.progress = progress.callback();
        const cpu::CpuSuiteResult result = cpu::runCpuSuite(options);
        progress.finish();
        for (const auto& f : cpu::writeCpuDataset(result, options, dir))
            std::cout << "wrote " << f.string() << "\n";
        dirs.push_back(dir);
    }
    CpuMeasurements m = loadCpuSweeps(dirs);
    if (!o.gemm.empty()) {
        m.gemm = loadCpuGemm(o.gemm);
        m.gemmFile = o.gemm;
    }
    Platform base;
    if (!o.base.empty()) {
        base = io::loadPlatformFile(io::findPlatformFile(o.base));
    } else if (std::filesystem::exists(o.out)) {
        base = io::loadPlatformFile(o.out);
    } else {
        throw InputError("", 0, "--base", "give --base PLATFORM (names, vendor, power and engines to start from)");
    }
    if (base.kind != DeviceKind::Cpu)
        throw InputError(base.file, 0, "kind", "--base must be a cpu platform");
    CpuCalibrationResult r = calibrateCpu(base, m, isoDateUtc());
    // A new file for another machine of the same kind (--base names the one it starts from) is named after itself.
    const std::string stem = std::filesystem::path(o.out).stem().string();
    if (!stem.empty() && stem != base.name) {
        r.platform.name = stem;
        r.notes.push_back("platform named '" + stem + "' after --out (base: " + base.name + ")");
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& f : r.fits)
        rows.push_back({f.parameter, fmtNum(f.value, 4) + " " + f.unit,
                        f.fitErrorPct > 0 ? fmtNum(f.fitErrorPct, 3) + "%" : "-", f.source});
    std::cout << "calibrated " << base.name << " from " << m.dir << "\n";
    printTable(std::cout, {"parameter", "value", "fit MAPE", "provenance"}, rows);
    for (const auto& n : r.notes)
        std::cout << "note: " << n << "\n";
    io::savePlatformFile(r.platform, o.out);
    io::loadPlatformFile(o.out); // what we wrote must load
    std::cout << "wrote " << o.out << "\n";
    exitCode = kOk;
}

struct ValidateCpuOptions {
    std::string platform, format = "table";
    std::vector<std::string> datasets; ///< one dataset, or repeated sweeps (compared with their per-point median)
    std::string gemm;                  ///< CPU GEMM reference CSV, optional (alone or with --dataset)
    double maxMape = -1;
    bool rows = false;
};

void runValidateCpu(const ValidateCpuOptions& o, int& exitCode) {
    if (o.platform.empty() || (o.datasets.empty() && o.gemm.empty()))
        throw InputError("", 0, "--platform/--dataset",
                         "give --platform P and --dataset DIR (or DIR/bandwidth.csv) and/or --gemm FILE");
    namespace fs = std::filesystem;
    std::string dir = o.datasets.empty() ? o.gemm : o.datasets.front();
    const Platform plat = io::loadPlatformFile(io::findPlatformFile(o.platform));
    const CpuMachine machine = cpuMachineFrom(plat);
    // A CSV other than bandwidth.csv is a public STREAM/MLC table (datasets/public/ncpp-spr/spr_stream_mlc.csv).
    const bool publicTable =
        !o.datasets.empty() && fs::is_regular_file(dir) && fs::path(dir).filename() != "bandwidth.csv";
    if (publicTable && (o.datasets.size() > 1 || !o.gemm.empty()))
        throw InputError(dir, 0, "--dataset", "a public STREAM/MLC table is validated alone");
    CpuValidationResult v;
    if (o.datasets.empty()) {
        CpuMeasurements m;
        m.gemm = loadCpuGemm(o.gemm);
        v = validateCpu(machine, m);
    } else if (publicTable) {
        v.rows = validatePublicStreamMlc(machine, dir);
        v.byClass = summarizeCpuRows(v.rows, false);
        v.byLevel = summarizeCpuRows(v.rows, true);
    } else {
        CpuMeasurements m = loadCpuSweeps(o.datasets);
        if (!o.gemm.empty()) {
            m.gemm = loadCpuGemm(o.gemm);
            m.dir += " + " + o.gemm;
        }
        dir = m.dir;
        v = validateCpu(machine, m);
    }
    const Format fmt = parseFormat(o.format);
    auto summaryRows = [](const std::vector<CpuValidationSummary>& s) {
        std::vector<std::vector<std::string>> out;
        for (const auto& x : s)
            out.push_back({x.kernelClass, std::to_string(x.points), fmtNum(x.mapePct, 3), fmtNum(x.biasPct, 3),
                           fmtNum(x.maxAbsPct, 3), fmtNum(x.within10Pct, 3)});
        return out;
    };
    double overall = 0;
    int n = 0;
    for (const auto& r : v.rows) {
        overall += std::abs(r.errorPct);
        ++n;
    }
    overall = n ? overall / n : 0;
    if (fmt == Format::Json) {
        nlohmann::json j;
        j["platform"] = plat.name;
        j["dataset"] = dir;
        j["mape_pct"] = overall;
        for (const auto& x : v.byClass)
            j["by_class"][x.kernelClass] = {{"points", x.points},
                                            {"mape_pct", x.mapePct},
                                            {"bias_pct", x.biasPct},
                                            {"max_abs_pct", x.maxAbsPct},
                                            {"within_10_pct", x.within10Pct}};
        for (const auto& x : v.byLevel)
            j["by_level"][x.kernelClass] = {{"points", x.points}, {"mape_pct", x.mapePct}, {"bias_pct", x.biasPct}};
        if (o.rows)
            for (const auto& r : v.rows)
                j["rows"].push_back({{"class", r.kernelClass},
                                     {"threads", r.threads},
                                     {"footprint_bytes", r.footprintBytes},
                                     {"level", r.level},
                                     {"measured_s", r.measuredS},
                                     {"predicted_s", r.predictedS},
                                     {"error_pct", r.errorPct},
                                     {"line", r.line}});
        std::cout << j.dump(2) << "\n";
    } else {
        const std::vector<std::string> h = {"class",  "points",      "MAPE %",
                                            "bias %", "max |err| %", "within 10 % (share)"};
        if (o.rows) {
            std::vector<std::vector<std::string>> rr;
            for (const auto& r : v.rows)
                rr.push_back({r.kernelClass, std::to_string(r.threads), fmtBytes(r.footprintBytes), r.level,
                              fmtSeconds(r.measuredS), fmtSeconds(r.predictedS), fmtNum(r.errorPct, 3),
                              std::to_string(r.line)});
            const std::vector<std::string> rh = {"class",    "threads",   "footprint", "level",
                                                 "measured", "predicted", "error %",   "line"};
            if (fmt == Format::Csv)
                printCsv(std::cout, rh, rr);
            else
                printTable(std::cout, rh, rr);
        }
        if (fmt == Format::Csv && !o.rows) {
            printCsv(std::cout, h, summaryRows(v.byClass));
        } else if (fmt == Format::Table) {
            std::cout << "CPU model of " << plat.name << " vs " << dir << " (" << n << " points, MAPE "
                      << fmtNum(overall, 3) << " %)\n";
            printTable(std::cout, h, summaryRows(v.byClass));
            std::cout << (publicTable ? "by CPU model of the public runs:\n" : "bandwidth points by serving level:\n");
            printTable(std::cout, h, summaryRows(v.byLevel));
        }
    }
    exitCode = kOk;
    if (o.maxMape >= 0 && overall > o.maxMape) {
        std::cerr << "MAPE " << overall << " % exceeds --max-mape " << o.maxMape << "\n";
        exitCode = kFailure;
    }
}

void addCalibrateCpu(CLI::App& root, int& exitCode) {
    CLI::App& cal = subcommandGroup(root, "calibrate", "Fit platform parameters on measurements");
    auto o = std::make_shared<CalibrateCpuOptions>();
    CLI::App* c =
        cal.add_subcommand("cpu", "Measure this CPU (or read --measurements DIR) and write a calibrated platform");
    c->add_option("--out", o->out, "platform file to write (atomically)")->required();
    c->add_option("--base", o->base, "platform to start from (default: --out when it exists)");
    c->add_option("--measurements", o->measurements,
                  "existing `rooflab bench cpu` dataset folder (no measuring); repeatable: repeated sweeps of one "
                  "machine are combined point by point (median)");
    c->add_option("--gemm", o->gemm,
                  "CPU GEMM reference CSV (profilers/cpu/reference/torch_cpu_gemm.py): fits the GEMM efficiency");
    c->add_option("--keep-measurements", o->keep, "folder for the raw measurements (default: <out>.measurements)");
    c->add_flag("--quick", o->quick, "quick measurement (fewer sizes and runs)");
    c->add_option("--threads", o->threads, "largest thread count to measure (default: all)");
    c->add_option("--stack", o->stack,
                  "fit this CPU stack profile (its cpu: section and passes) from --ops instead of a platform");
    c->add_option("--ops", o->ops,
                  "with --stack: single-op microbenchmarks (bench/cpu_llm/cpu_llm_bench.py ops.csv); repeatable: the "
                  "tables of several machines are combined point by point (median)");
    c->add_option("--step", o->step, "with --stack: per-step host rows of the model forward or of generate()")
        ->check(CLI::IsMember({"forward", "generate"}))
        ->capture_default_str();
    c->callback([o, &exitCode]() { runCalibrateCpu(*o, exitCode); });

    auto v = std::make_shared<ValidateCpuOptions>();
    CLI::App* vc =
        root.add_subcommand("validate-cpu", "Compare the CPU model with a CPU dataset (MAPE per kernel class)");
    vc->add_option("--platform", v->platform, "platform name or file")->required();
    vc->add_option("--dataset", v->datasets,
                   "dataset folder (or its bandwidth.csv); repeatable: repeated sweeps are compared as their "
                   "per-point median");
    vc->add_option("--gemm", v->gemm, "CPU GEMM reference CSV (cold weights), alone or with --dataset");
    vc->add_option("--max-mape", v->maxMape, "exit 1 when the overall MAPE (%) is above this");
    vc->add_flag("--rows", v->rows, "print every compared point");
    vc->add_option("--format", v->format, "table, json or csv")->capture_default_str();
    vc->callback([v, &exitCode]() { runValidateCpu(*v, exitCode); });
}

} // namespace
} // namespace rooflab::cli

ROOFLAB_REGISTER_COMMAND("calibrate-cpu", rooflab::cli::addCalibrateCpu);
