// rooflab calibrate gpu --measurements DIR --base PLATFORM --out FILE
// rooflab calibrate aic --stack S --data DIR [--write] [--out FILE]
// rooflab validate --platform P --dataset D [--max-mape X] [--max-group-mape KEY=VALUE:X] [--max-error X]
//                  [--format table|json|csv]
// rooflab validate --dataset aic-silicon.csv [--max-mape ttft=X,tpot=Y] [--threads N] [--out FILE]  (serving)
#include "calibration/aic_fit.hpp"
#include "calibration/aic_import.hpp"
#include "calibration/calibrate.hpp"
#include "calibration/validation.hpp"
#include "common.hpp"
#include "io/csv.hpp"
#include "io/data_paths.hpp"
#include "io/files.hpp"
#include "io/model_loader.hpp"
#include "io/platform_loader.hpp"
#include "io/stack_loader.hpp"
#include "registry.hpp"
#include "serving/serving_fit.hpp"
#include "serving/serving_validation.hpp"
#include "units/errors.hpp"
#include "units/quantity.hpp"
#include "validate_serving.hpp"

#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <set>

namespace rooflab::cli {
namespace {

struct CalibrateOptions {
    std::vector<std::string> measurements;
    std::string base, out;
};
CalibrateOptions g_cal;

/// A fitted value in engineering units ("4.96 us", "2.78 TB/s"); fractions and factors as plain numbers. The unit
/// comes from the engine's parameter table for efficiency keys; the few others are named by their key.
std::string fitValueCell(const Platform& p, const std::string& parameter, double v) {
    std::string key = parameter;
    if (key.starts_with("efficiency."))
        key = key.substr(11);
    for (const auto& e : io::efficiencyEntries(p.efficiency))
        if (e.key == key)
            return e.dimension == Dimension::Count ? fmtNum(v, 4) : formatQuantity(v, e.dimension, 4);
    if (parameter.starts_with("memory.") && parameter.ends_with(".read"))
        return formatQuantity(v, Dimension::BytesPerSecond, 4);
    if (parameter.find("overhead") != std::string::npos || parameter.find("launch") != std::string::npos)
        return formatQuantity(v, Dimension::Seconds, 4);
    return fmtNum(v, 4);
}

void runCalibrateGpu(const CalibrateOptions& o) {
    const Platform base = io::loadPlatformFile(io::findPlatformFile(o.base));
    CalibrationResult r = calibrateGpu(base, o.measurements, isoDateUtc());
    // The calibrated file is a new platform: it is called as the file it is written to, not as its base
    // (issue 19: it kept "h100-sxm5-80gb"), so `predict --platform` and `platforms show` tell the two apart.
    r.platform.name = std::filesystem::path(o.out).stem().string();
    std::vector<std::vector<std::string>> rows;
    for (const auto& f : r.fits)
        rows.push_back({f.parameter, fitValueCell(r.platform, f.parameter, f.value),
                        f.points ? std::to_string(f.points) : "-",
                        std::fabs(f.fitErrorPct) < 1e-3 ? std::string(f.fitErrorPct == 0 ? "0%" : "< 0.001%")
                                                        : fmtNum(f.fitErrorPct, 3) + "%",
                        f.source});
    std::cout << "calibrated " << r.platform.name << " from " << base.name << " and";
    for (const auto& m : o.measurements)
        std::cout << " " << m;
    std::cout << "\n";
    printTable(std::cout, {"parameter", "value", "points", "fit MAPE", "provenance"}, rows);
    for (const auto& n : r.notes)
        std::cout << "note: " << n << "\n";
    io::savePlatformFile(r.platform, o.out);
    std::cout << "wrote " << o.out << "\n";
}

struct CalibrateAicOptions {
    std::string stack, data, out;
    bool write = false;
    int every = 5;
    double smoothing = 0.1; ///< held-out: 1.0 was 0.3-1.5 points worse, 0.01 within 0.3 points
};
CalibrateAicOptions g_aic;

struct CalibrateServingOptions {
    std::string stack, dataset, out;
    bool write = false;
    unsigned threads = 0;
};
CalibrateServingOptions g_srv;

/// rooflab calibrate serving: the stack's fitted scheduler constants (iteration_overhead, sequence_overhead,
/// frontend_latency) from an aic-silicon table, with the calibration half's and the held-out half's errors before
/// and after.
void runCalibrateServing(const CalibrateServingOptions& o) {
    const io::CsvTable table = io::loadCsvFile(o.dataset);
    if (!serving::isServingBenchmark(table))
        throw InputError(o.dataset, 0, "--dataset", "not a serving benchmark (aic-silicon columns)");
    const std::string stackPath = io::findStackFile(o.stack);
    const StackProfile current = io::loadStackFile(stackPath);
    io::Catalog catalog;
    serving::SchedulerFitOptions fo;
    fo.threads = o.threads;
    const serving::SchedulerFit fit = serving::fitSchedulerConstants(table, catalog, current, fo);
    std::cout << "scheduler constants of stack " << current.name << " from " << o.dataset << " (" << fit.rows.size()
              << " aggregated calibration rows, " << fit.frontendRows << " at concurrency <= " << fo.lowConcurrency
              << ")\n";
    // The grid as a table: a row per iteration_overhead, a column per sequence_overhead; * marks the fit.
    std::vector<std::string> header{"iteration \\ sequence"};
    for (const double s : fo.sequenceOverheadGridS)
        header.push_back(fmtNum(s * 1e6, 3) + " us");
    // The curve runs over the grid in its order: iteration_overhead outer, sequence_overhead inner.
    const std::size_t perRow = fo.sequenceOverheadGridS.size();
    std::vector<std::vector<std::string>> grid;
    for (std::size_t i = 0; i < fit.curve.size(); ++i) {
        const serving::SchedulerFit::Point& p = fit.curve[i];
        if (i % perRow == 0)
            grid.push_back({fmtNum(p.iterationOverheadS * 1e6, 3) + " us"});
        const bool picked =
            p.iterationOverheadS == fit.iterationOverheadS && p.sequenceOverheadS == fit.sequenceOverheadS;
        grid.back().push_back(fmtNum(p.tpotMapePct, 3) + (picked ? "%*" : "%"));
    }
    std::cout << "calibration TPOT MAPE by iteration_overhead (rows) and sequence_overhead (columns), * = fitted\n";
    printTable(std::cout, header, grid);
    std::cout << "iteration_overhead " << fmtNum(fit.iterationOverheadS * 1e6, 4) << " us (was "
              << fmtNum(current.scheduler.iterationOverheadS * 1e6, 4) << " us), sequence_overhead "
              << fmtNum(fit.sequenceOverheadS * 1e6, 4) << " us (was "
              << fmtNum(current.scheduler.sequenceOverheadS * 1e6, 4) << " us), frontend_latency "
              << fmtNum(fit.frontendLatencyS * 1e3, 4) << " ms (was "
              << fmtNum(current.scheduler.frontendLatencyS * 1e3, 4) << " ms)\n";
    auto stats = [](const char* what, const serving::ServingErrorStats& b, const serving::ServingErrorStats& a) {
        return std::vector<std::string>{what, std::to_string(a.n),
                                        fmtNum(b.ttftMapePct, 3) + "% -> " + fmtNum(a.ttftMapePct, 3) + "%",
                                        fmtNum(b.tpotMapePct, 3) + "% -> " + fmtNum(a.tpotMapePct, 3) + "%"};
    };
    std::cout << "errors without the three constants -> with the fitted values:\n";
    printTable(std::cout, {"rows", "n", "TTFT MAPE", "TPOT MAPE"},
               {stats("calibration", fit.before, fit.after), stats("held out", fit.heldOutBefore, fit.heldOutAfter)});
    if (!o.write && o.out.empty()) {
        std::cout << "(dry run: --write updates " << stackPath << ")\n";
        return;
    }
    const std::string target = o.out.empty() ? stackPath : o.out;
    const std::string updated = serving::applySchedulerFit(io::readInputFile(stackPath, 64u << 20), fit, table.file);
    const StackProfile check = io::loadStackString(updated, target);
    if (std::abs(check.scheduler.iterationOverheadS - fit.iterationOverheadS) > 1e-3 * fit.iterationOverheadS + 1e-9 ||
        std::abs(check.scheduler.sequenceOverheadS - fit.sequenceOverheadS) > 1e-3 * fit.sequenceOverheadS + 1e-9 ||
        std::abs(check.scheduler.frontendLatencyS - fit.frontendLatencyS) > 1e-3 * fit.frontendLatencyS + 1e-9 ||
        check.scheduler.fitted.rows != fit.rows)
        throw InputError(target, 0, "scheduler", "written fit does not read back");
    io::writeFileAtomic(target, updated);
    std::cout << "wrote " << target << "\n";
}

/// aiconfigurator's framework name of a stack (the imported datasets' file names).
std::string aicFramework(const StackProfile& s) {
    if (s.name == "tensorrt-llm" || s.scheduler.framework == "tensorrt-llm")
        return "trtllm";
    return s.name == "sglang" ? "sglang" : (s.name == "vllm" ? "vllm" : s.scheduler.framework);
}

void runCalibrateAic(const CalibrateAicOptions& o) {
    namespace fs = std::filesystem;
    const std::string stackPath = io::findStackFile(o.stack);
    StackProfile stack = io::loadStackFile(stackPath);
    const std::string fw = aicFramework(stack);
    // <system>__<op>__<framework>.csv, as `rooflab import aiconfigurator` names them.
    std::map<std::string, std::vector<std::string>> bySystem;
    std::error_code ec;
    if (!fs::is_directory(o.data, ec))
        throw InputError(o.data, 0, "--data", "not a folder (imported datasets: rooflab import aiconfigurator)");
    for (const auto& e : fs::directory_iterator(o.data)) {
        const std::string f = e.path().filename().string();
        for (const char* op : {aic::kOpGemm, aic::kOpContextAttention, aic::kOpGenerationAttention, aic::kOpMoe,
                               aic::kOpCustomAllreduce, aic::kOpNccl}) {
            // NCCL's collectives (all-gather, reduce-scatter, all-to-all) are the same library in every stack.
            const std::string tail = std::string("__") + op + "__" + (op == aic::kOpNccl ? "nccl" : fw) + ".csv";
            if (f.size() > tail.size() && f.ends_with(tail))
                bySystem[f.substr(0, f.size() - tail.size())].push_back(e.path().string());
        }
    }
    if (bySystem.empty())
        throw InputError(o.data, 0, "--data",
                         "no imported GEMM, attention, MoE or all-reduce dataset of framework '" + fw + "' here");
    const std::string date = isoDateUtc();
    std::vector<std::vector<std::string>> rows;
    for (auto& [system, files] : bySystem) {
        std::sort(files.begin(), files.end());
        const std::string platName = aic::platformForSystem(system);
        if (platName.empty())
            throw InputError(files.front(), 0, "system", "no rooflab platform for system '" + system + "'");
        const PlatformModel pm = PlatformModel::from(io::loadPlatformFile(io::findPlatformFile(platName)));
        std::vector<io::CsvTable> tables;
        for (const auto& f : files)
            tables.push_back(io::loadCsvFile(f));
        std::vector<const io::CsvTable*> ptrs;
        for (const auto& t : tables)
            ptrs.push_back(&t);
        aic::FitOptions fo;
        fo.platform = pm.name;
        fo.system = system;
        fo.date = date;
        fo.every = o.every;
        fo.smoothing = o.smoothing;
        fo.decodeKernel = stack.decodeKernel;
        const aic::FitResult fit = aic::fitKernelEfficiency(pm, ptrs, fo);
        for (const auto& f : fit.fits)
            rows.push_back({system, effFamilyName(f.family), f.dtype, f.headDim ? std::to_string(f.headDim) : "-",
                            std::to_string(f.calibrationRows), std::to_string(f.heldOutRows),
                            fmtNum(f.fitMapePct, 3) + "%", fmtNum(f.heldOutBeforePct, 3) + "%",
                            fmtNum(f.heldOutAfterPct, 3) + "%"});
        auto it = std::find_if(stack.kernelEfficiency.begin(), stack.kernelEfficiency.end(),
                               [&](const KernelEfficiency& k) { return k.platform == pm.name; });
        if (it != stack.kernelEfficiency.end()) {
            // Only the families fitted now are replaced: a folder with the MoE and collective tables alone keeps the
            // GEMM and attention surfaces (and their held-out record) as they were fitted.
            std::set<EffFamily> fitted;
            for (const EffHeldOut& h : fit.efficiency.heldOut)
                fitted.insert(h.family);
            for (const EffSurface& sf : fit.efficiency.surfaces)
                fitted.insert(sf.family);
            std::erase_if(it->surfaces, [&](const EffSurface& sf) { return fitted.contains(sf.family); });
            std::erase_if(it->heldOut, [&](const EffHeldOut& h) { return fitted.contains(h.family); });
            it->surfaces.insert(it->surfaces.end(), fit.efficiency.surfaces.begin(), fit.efficiency.surfaces.end());
            it->heldOut.insert(it->heldOut.end(), fit.efficiency.heldOut.begin(), fit.efficiency.heldOut.end());
            // Families in their fixed order (GEMM, attention, MoE, collective), as a whole-folder fit writes them: a
            // partial refit changes only its own lines of the profile.
            std::stable_sort(it->surfaces.begin(), it->surfaces.end(),
                             [](const EffSurface& a, const EffSurface& b) { return a.family < b.family; });
            std::stable_sort(it->heldOut.begin(), it->heldOut.end(),
                             [](const EffHeldOut& a, const EffHeldOut& b) { return a.family < b.family; });
            it->system = fit.efficiency.system;
        } else
            stack.kernelEfficiency.push_back(fit.efficiency);
    }
    std::cout << "calibrated stack " << stack.name << " (" << fw << ") from " << o.data << "\n";
    printTable(
        std::cout,
        {"system", "op", "dtype", "head", "cal rows", "held-out rows", "fit MAPE", "held-out before", "held-out after"},
        rows);
    if (!o.write && o.out.empty()) {
        std::cout << "(dry run: --write updates " << stackPath << ")\n";
        return;
    }
    const std::string target = o.out.empty() ? stackPath : o.out;
    const std::string text = io::readInputFile(stackPath, 64u << 20);
    const std::string updated = aic::replaceEfficiencySection(text, aic::efficiencySectionYaml(stack));
    // The written file must load as the stack it describes.
    const StackProfile check = io::loadStackString(updated, target);
    if (!(check.kernelEfficiency.size() == stack.kernelEfficiency.size()))
        throw InputError(target, 0, "efficiency", "written section does not read back");
    io::writeFileAtomic(target, updated);
    std::cout << "wrote " << target << "\n";
}

struct ValidateOptions {
    std::string platform = "h100-sxm5-80gb", format = "table";
    std::vector<std::string> datasets;
    std::string maxMapeText; ///< a percentage; serving datasets also ttft=X,tpot=Y
    double maxMape = -1;
    std::string out;      ///< serving datasets: also write the output here (atomic)
    unsigned threads = 0; ///< serving datasets: threads (0 = all)
    double maxErrorPct = -1;
    std::vector<std::string> maxGroupMape; ///< "KEY=VALUE:X": the breakdown group's MAPE must not exceed X
    bool rows = false;
    bool platformGiven = false; ///< --platform on the command line (else aiconfigurator datasets pick their own)
    std::string stack = "auto"; ///< aiconfigurator datasets: auto (the framework's stack), none, or a stack
    std::string split = "all";  ///< aiconfigurator datasets: all, calibration or heldout
};

struct GroupLimit {
    std::string key, value;
    double maxPct = 0;
};

GroupLimit parseGroupLimit(const std::string& spec) {
    const auto eq = spec.find('='), colon = spec.rfind(':');
    if (eq == std::string::npos || colon == std::string::npos || colon < eq || eq == 0 || colon == eq + 1)
        throw InputError("", 0, "--max-group-mape", "'" + spec + "' is not KEY=VALUE:X (e.g. dtype=fp32:10)");
    GroupLimit g{spec.substr(0, eq), spec.substr(eq + 1, colon - eq - 1), 0};
    try {
        std::size_t used = 0;
        g.maxPct = std::stod(spec.substr(colon + 1), &used);
        if (used != spec.size() - colon - 1 || !(g.maxPct >= 0))
            throw std::invalid_argument("x");
    } catch (const std::logic_error&) {
        throw InputError("", 0, "--max-group-mape", "'" + spec.substr(colon + 1) + "' is not a percentage");
    }
    return g;
}
ValidateOptions g_val;

/// Resolves dataset model names: presets, or paths relative to the dataset, the working folder or the data dirs.
class ModelCache {
public:
    explicit ModelCache(std::string datasetDir) : m_dir(std::move(datasetDir)) {}
    const LlmArch& get(const std::string& name) {
        auto it = m_models.find(name);
        if (it != m_models.end())
            return *it->second;
        namespace fs = std::filesystem;
        std::string path;
        if (name.find('/') != std::string::npos || name.ends_with(".yaml") || name.ends_with(".json")) {
            std::vector<fs::path> candidates = {fs::path(name), fs::path(m_dir) / name};
            for (const auto& d : io::dataDirs())
                candidates.push_back(fs::path(d) / name);
            for (const auto& c : candidates) {
                std::error_code ec;
                if (fs::is_regular_file(c, ec)) {
                    path = c.string();
                    break;
                }
            }
            if (path.empty())
                throw InputError(name, 0, "model",
                                 "model file not found (relative to the dataset, the working "
                                 "folder or the rooflab data folders)");
        } else {
            path = io::findModelFile(name);
        }
        auto arch = std::make_unique<LlmArch>(io::loadModelFile(path));
        const LlmArch& ref = *arch;
        m_models[name] = std::move(arch);
        return ref;
    }

private:
    std::string m_dir;
    std::map<std::string, std::unique_ptr<LlmArch>> m_models;
};

std::string statCells(const ErrorStats& s) {
    return fmtNum(s.mapePct, 3) + "%";
}

void runValidate(ValidateOptions& o, int& exitCode) {
    const Format fmt = parseFormat(o.format);
    const Platform defaultPlat = io::loadPlatformFile(io::findPlatformFile(o.platform));
    const PlatformModel defaultPm = PlatformModel::from(defaultPlat);
    std::map<std::string, std::pair<Platform, PlatformModel>> aicPlatforms;
    std::map<std::string, std::unique_ptr<StackProfile>> stacks;
    nlohmann::json all = nlohmann::json::array();
    std::vector<GroupLimit> groupLimits;
    for (const auto& spec : o.maxGroupMape)
        groupLimits.push_back(parseGroupLimit(spec));
    std::vector<std::string> exceeded;
    bool servingOnly = true;
    for (const auto& ds : o.datasets) {
        const io::CsvTable table = io::loadCsvFile(ds);
        // Serving benchmarks (aic-silicon): each row is a deployment simulated by the serving simulator.
        if (serving::isServingBenchmark(table)) {
            ServingValidateOptions so;
            so.platform = o.platformGiven ? o.platform : "";
            so.format = o.format;
            so.out = o.out;
            so.threads = o.threads;
            so.rows = o.rows;
            so.split = o.split == "calibration" ? serving::ServingSplit::Calibration
                       : o.split == "heldout"   ? serving::ServingSplit::HeldOut
                                                : serving::ServingSplit::All;
            if (!o.maxMapeText.empty())
                so.gates = parseServingGates(o.maxMapeText);
            if (!groupLimits.empty() || o.maxErrorPct >= 0)
                throw InputError(ds, 0, o.maxErrorPct >= 0 ? "--max-error" : "--max-group-mape",
                                 "not available for serving benchmarks (use --max-mape ttft=X,tpot=Y)");
            runServingValidation(table, so, std::cout, exceeded);
            continue;
        }
        servingOnly = false;
        if (!o.out.empty())
            throw InputError(ds, 0, "--out", "--out writes serving benchmark results only");
        if (!o.maxMapeText.empty()) {
            try {
                std::size_t used = 0;
                o.maxMape = std::stod(o.maxMapeText, &used);
                if (used != o.maxMapeText.size() || !(o.maxMape >= 0))
                    throw std::invalid_argument("x");
            } catch (const std::logic_error&) {
                throw InputError("", 0, "--max-mape",
                                 "'" + o.maxMapeText + "' is not a percentage (ttft=X,tpot=Y: serving datasets)");
            }
        }
        // An imported aiconfigurator dataset names its GPU (system column): without --platform it is validated there.
        const Platform* platP = &defaultPlat;
        const PlatformModel* pmP = &defaultPm;
        if (const int cSys = table.column("system");
            !o.platformGiven && cSys >= 0 && table.column("kernel_source") >= 0 && !table.rows.empty()) {
            const std::string name = aic::platformForSystem(table.text(0, cSys));
            if (!name.empty()) {
                auto it = aicPlatforms.find(name);
                if (it == aicPlatforms.end()) {
                    Platform p = io::loadPlatformFile(io::findPlatformFile(name));
                    PlatformModel m = PlatformModel::from(p);
                    it = aicPlatforms.emplace(name, std::pair{std::move(p), std::move(m)}).first;
                }
                platP = &it->second.first;
                pmP = &it->second.second;
            }
        }
        const Platform& plat = *platP;
        const PlatformModel& pm = *pmP;
        ModelCache models(std::filesystem::path(ds).parent_path().string());
        // Imported aiconfigurator tables: the framework's stack's fitted efficiency on this platform (--stack auto),
        // and its held-out record for --split.
        aic::AicValidation aicVal;
        std::string stackUsed;
        if (table.column("kernel_source") >= 0 && table.column("framework") >= 0 && !table.rows.empty()) {
            const std::string fw = aic::canonicalFramework(table.text(0, table.column("framework")));
            // NCCL tables (nccl-tests) are fitted into every stack alike; their split is the vllm stack's record.
            const std::string own = fw == "trtllm" ? "tensorrt-llm" : (fw == "nccl" ? "vllm" : fw);
            auto stackOf = [&](const std::string& name) -> const StackProfile& {
                auto& sp = stacks[name];
                if (!sp)
                    sp = std::make_unique<StackProfile>(io::loadStack(name));
                return *sp;
            };
            const std::string name = o.stack == "auto" ? own : o.stack;
            if (name != "none" && !name.empty()) {
                aicVal.efficiency = stackOf(name).efficiencyFor(pm.name);
                aicVal.decodeKernel = stackOf(name).decodeKernel;
                stackUsed = name;
            }
            aicVal.split = o.split == "heldout"       ? aic::AicSplit::HeldOut
                           : o.split == "calibration" ? aic::AicSplit::Calibration
                                                      : aic::AicSplit::All;
            // The split is the one the framework's own stack was fitted with (whatever --stack predicts with).
            if (aicVal.split != aic::AicSplit::All && !own.empty()) {
                aicVal.heldOut = stackOf(own).efficiencyFor(pm.name);
                if (!aicVal.heldOut)
                    throw InputError(ds, 0, "--split",
                                     "--split " + o.split + " needs the stack " + own + " fitted on " + pm.name +
                                         " (rooflab calibrate aic --stack " + own + ")");
            }
            if (!aicVal.efficiency)
                stackUsed.clear();
        }
        const ValidationReport rep = validateDataset(
            pm, table, [&](const std::string& n) -> const LlmArch& { return models.get(n); },
            [&](const std::string& n) -> const StackProfile& {
                auto& s = stacks[n];
                if (!s)
                    s = std::make_unique<StackProfile>(io::loadStack(n));
                return *s;
            },
            &aicVal, &plat);
        if (o.maxMape >= 0 && rep.overall.mapePct > o.maxMape)
            exceeded.push_back(ds + ": MAPE " + fmtNum(rep.overall.mapePct, 3) + "% above --max-mape " +
                               fmtNum(o.maxMape, 3) + "%");
        if (o.maxErrorPct >= 0 && rep.overall.maxAbsPct > o.maxErrorPct)
            exceeded.push_back(ds + ": a row is " + fmtNum(rep.overall.maxAbsPct, 3) + "% off, above --max-error " +
                               fmtNum(o.maxErrorPct, 3) + "%");
        for (const auto& g : groupLimits) {
            const ErrorStats* group = nullptr;
            if (const auto byKey = rep.breakdown.find(g.key); byKey != rep.breakdown.end())
                if (const auto it = byKey->second.find(g.value); it != byKey->second.end())
                    group = &it->second;
            if (!group)
                throw InputError(ds, 0, "--max-group-mape",
                                 "no rows with " + g.key + " = " + g.value +
                                     " (a limit on an empty group checks nothing)");
            if (group->mapePct > g.maxPct)
                exceeded.push_back(ds + ": " + g.key + " = " + g.value + " MAPE " + fmtNum(group->mapePct, 3) +
                                   "% above " + fmtNum(g.maxPct, 3) + "%");
        }
        if (rep.failed > 0)
            exitCode = kBadInput;
        if (fmt == Format::Json) {
            nlohmann::json j{{"dataset", ds},
                             {"platform", plat.name},
                             {"kind", rep.kind},
                             {"n", rep.overall.n},
                             {"failed", rep.failed},
                             {"mape_pct", rep.overall.mapePct},
                             {"max_abs_pct", rep.overall.maxAbsPct},
                             {"bias_pct", rep.overall.biasPct},
                             {"within_10_pct", rep.overall.within10Pct},
                             {"within_25_pct", rep.overall.within25Pct}};
            for (const auto& [k, byV] : rep.breakdown)
                for (const auto& [v, s] : byV)
                    j["breakdown"][k][v] = {
                        {"n", s.n}, {"mape_pct", s.mapePct}, {"bias_pct", s.biasPct}, {"max_abs_pct", s.maxAbsPct}};
            for (const auto& r : rep.rows) {
                nlohmann::json jr{{"id", r.id},
                                  {"measured_s", r.measuredS},
                                  {"predicted_s", r.predictedS},
                                  {"error_pct", r.errorPct}};
                if (!r.error.empty())
                    jr["error"] = r.error;
                j["rows"].push_back(jr);
            }
            all.push_back(j);
            continue;
        }
        if (fmt == Format::Csv) {
            std::vector<std::vector<std::string>> rows;
            for (const auto& r : rep.rows)
                rows.push_back(
                    {ds, r.id, fmtNum(r.measuredS, 6), fmtNum(r.predictedS, 6), fmtNum(r.errorPct, 4), r.error});
            printCsv(std::cout, {"dataset", "id", "measured_s", "predicted_s", "error_pct", "error"}, rows);
            continue;
        }
        std::cout << ds << " on " << plat.name
                  << (stackUsed.empty() ? std::string() : " with stack " + stackUsed + " (" + o.split + " rows)")
                  << " (" << rep.kind << ", " << rep.overall.n << " rows"
                  << (rep.failed ? ", " + std::to_string(rep.failed) + " failed" : "") << ")\n";
        std::cout << "  MAPE " << fmtNum(rep.overall.mapePct, 3) << "%, max " << fmtNum(rep.overall.maxAbsPct, 3)
                  << "%, bias " << fmtNum(rep.overall.biasPct, 3)
                  << "%, within 10%: " << fmtNum(rep.overall.within10Pct, 3)
                  << "% of rows, within 25%: " << fmtNum(rep.overall.within25Pct, 3) << "%\n";
        std::vector<std::vector<std::string>> rows;
        for (const auto& [k, byV] : rep.breakdown)
            for (const auto& [v, s] : byV)
                rows.push_back({k, v, std::to_string(s.n), statCells(s), fmtNum(s.biasPct, 3) + "%",
                                fmtNum(s.maxAbsPct, 3) + "%"});
        printTable(std::cout, {"by", "value", "n", "MAPE", "bias", "max"}, rows);
        if (o.rows) {
            std::vector<std::vector<std::string>> rr;
            for (const auto& r : rep.rows)
                rr.push_back({r.id, fmtSeconds(r.measuredS), r.error.empty() ? fmtSeconds(r.predictedS) : "-",
                              r.error.empty() ? fmtNum(r.errorPct, 3) + "%" : r.error});
            std::cout << "\n";
            printTable(std::cout, {"row", "measured", "predicted", "error"}, rr);
        } else {
            for (const auto& r : rep.rows)
                if (!r.error.empty()) // file:line: the row, as every input error names it (issue 20)
                    std::cerr << ds << ":" << r.line << ": row " << r.id << ": " << r.error << "\n";
        }
        std::cout << "\n";
    }
    if (fmt == Format::Json && !servingOnly)
        std::cout << all.dump(2) << "\n";
    if (!exceeded.empty()) {
        for (const auto& e : exceeded)
            std::cerr << "rooflab validate: " << e << "\n";
        exitCode = kFailure;
    }
}

void addCalibrate(CLI::App& root, int& exitCode) {
    CLI::App& cal = subcommandGroup(root, "calibrate", "Fit a platform's efficiency parameters from measurements");
    CLI::App* g = cal.add_subcommand("gpu", "Calibrate a GPU platform from rooflab-gpu-bench results");
    g->add_option("--measurements", g_cal.measurements,
                  "folder with bandwidth.csv, gemm.csv, launch.csv, attention.csv, sustained_gemm.csv (repeatable: "
                  "each file comes from the first folder that has it)")
        ->required();
    g->add_option("--base", g_cal.base, "platform to start from (name or file)")->required();
    g->add_option("--out", g_cal.out, "calibrated platform file to write (atomic)")->required();
    g->callback([]() { runCalibrateGpu(g_cal); });

    CLI::App* a = cal.add_subcommand(
        "aic",
        "Fit a serving stack's kernel efficiency (GEMM, attention, MoE, collectives) from imported aiconfigurator "
        "tables");
    a->add_option("--stack", g_aic.stack, "stack profile: vllm, sglang, tensorrt-llm (name or file)")->required();
    a->add_option("--data", g_aic.data,
                  "folder of imported datasets (rooflab import aiconfigurator; <system>__<op>__<framework>.csv)")
        ->required();
    a->add_flag("--write", g_aic.write, "write the fitted `efficiency:` section into the stack file (atomic)");
    a->add_option("--out", g_aic.out, "write the updated stack profile here instead");
    a->add_option("--held-out-every", g_aic.every, "hold out every n-th distinct value along each shape axis")
        ->capture_default_str()
        ->check(CLI::Range(2, 100));
    a->add_option("--smoothing", g_aic.smoothing, "curvature penalty of the fit, relative to the rows per knot")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1e3));
    a->callback([]() { runCalibrateAic(g_aic); });

    CLI::App* sv = cal.add_subcommand(
        "serving",
        "Fit a serving stack's scheduler constants (sequence_overhead, frontend_latency) on measured serving "
        "runs (aic-silicon), on the calibration half of its rows");
    sv->add_option("--stack", g_srv.stack, "stack profile: vllm, sglang, tensorrt-llm (name or file)")->required();
    sv->add_option("--dataset", g_srv.dataset, "serving benchmark CSV (aic-silicon columns)")->required();
    sv->add_flag("--write", g_srv.write, "write the fitted values and their provenance into the stack file (atomic)");
    sv->add_option("--out", g_srv.out, "write the updated stack profile here instead");
    sv->add_option("--threads", g_srv.threads, "threads simulating rows (0 = all cores)");
    sv->callback([]() { runCalibrateServing(g_srv); });

    CLI::App* v = root.add_subcommand(
        "validate", "Compare predictions with measured datasets (e2e.csv, gemm.csv, imported aiconfigurator tables)");
    v->add_option("--platform", g_val.platform,
                  "platform name or file (imported aiconfigurator datasets: default from their system column)")
        ->capture_default_str();
    v->add_option("--dataset", g_val.datasets, "measured dataset CSV (repeatable)")->required();
    v->add_option("--max-mape", g_val.maxMapeText,
                  "exit 1 when a dataset's MAPE exceeds this (percent); serving benchmarks: X for TTFT and TPOT, or "
                  "ttft=X,tpot=Y[,ttft_median=X,tpot_median=Y]");
    v->add_option("--max-group-mape", g_val.maxGroupMape,
                  "exit 1 when one breakdown group's MAPE exceeds X: KEY=VALUE:X, e.g. dtype=fp32:10 or phase=decode:5 "
                  "(repeatable)");
    v->add_option("--max-error", g_val.maxErrorPct, "exit 1 when any row's error exceeds this (percent)");
    v->add_option("--format", g_val.format, "table, json or csv")->capture_default_str();
    v->add_flag("--rows", g_val.rows, "print every row");
    v->add_option("--out", g_val.out, "serving benchmarks: also write the output (--format) to this file (atomic)");
    v->add_option("--threads", g_val.threads, "serving benchmarks: threads simulating rows (0 = all cores)");
    v->add_option("--stack", g_val.stack,
                  "imported aiconfigurator tables: the stack whose fitted kernel efficiency to use (auto: the table's "
                  "framework's; none: the platform's own)")
        ->capture_default_str();
    v->add_option("--split", g_val.split,
                  "imported aiconfigurator tables and serving benchmarks: all rows, or the calibration / heldout part "
                  "of the stack's fit")
        ->check(CLI::IsMember({"all", "calibration", "heldout"}))
        ->capture_default_str();
    v->callback([&exitCode, v]() {
        g_val.platformGiven = v->count("--platform") > 0;
        runValidate(g_val, exitCode);
    });
}

} // namespace
ROOFLAB_REGISTER_COMMAND("calibrate", addCalibrate);
} // namespace rooflab::cli
