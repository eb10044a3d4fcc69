#include "evaluation.hpp"

#include "engine/predict.hpp"
#include "io/data_paths.hpp"
#include "io/model_loader.hpp"
#include "io/platform_loader.hpp"
#include "io/stack_loader.hpp"
#include "units/errors.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <future>
#include <map>
#include <memory>

namespace rooflab::gui {
namespace {

Phase enginePhase(GuiPhase p) {
    switch (p) {
    case GuiPhase::Prefill:
        return Phase::Prefill;
    case GuiPhase::Decode:
        return Phase::Decode;
    case GuiPhase::Chunked:
        return Phase::Chunked;
    case GuiPhase::Request:
        return Phase::Prefill;
    }
    return Phase::Decode;
}

Prediction gemmPrediction(const PlatformModel& pm, const GemmCase& g) {
    Request q;
    q.workload = GemmWork{g, KernelLaunch::Stream};
    const Result res = predict(pm, q);
    if (!res.ok)
        throw InputError(res.error);
    const OpResult& r = res.gemm()->op;
    const bool fell = res.gemm()->fellBack;
    const DType ct = res.gemm()->computeType;
    Prediction p;
    p.ops.push_back(r);
    p.latencyS = r.timeS;
    p.flops = r.flops;
    p.bytes = r.bytes[kDram];
    p.bound = r.bound;
    const TimeSplit t = splitTime(r);
    p.computeS = t.computeS;
    p.memoryS = t.memoryS;
    p.commS = t.commS;
    p.overheadS = t.overheadS;
    p.why = "GEMM " + std::to_string(g.m) + "x" + std::to_string(g.n) + "x" + std::to_string(g.k) + " " +
            std::string(dtypeName(ct)) + " is " + std::string(boundName(r.bound)) + "-bound";
    if (fell)
        p.notes.push_back(std::string(dtypeName(g.dtype)) + " has no path on this platform; ran as " +
                          std::string(dtypeName(ct)));
    return p;
}

Prediction llmStep(const PlatformModel& pm, const EvalInput& in, const Scenario& s, bool withOps) {
    Result res = predict(pm, llmRequestOf(*in.model, in.stack, s, false, withOps));
    if (Prediction* p = std::get_if<Prediction>(&res.detail))
        return std::move(*p);
    Prediction p;
    p.ok = false;
    p.error = res.error;
    return p;
}

} // namespace

SweepSeries evaluateSweep(const PlatformModel& pm, const EvalInput& in, bool overBatch) {
    if (!in.model)
        throw InputError("no model selected");
    SweepSeries out;
    const Scenario base = withPhase(in.scenario, in.phase == GuiPhase::Request ? Phase::Decode : enginePhase(in.phase));
    const bool prefill = base.phase == Phase::Prefill;
    out.xName = overBatch ? "batch" : (prefill ? "prompt" : "context");
    const double hiContext = in.model->maxPositions > 0 ? double(in.model->maxPositions) : 131072.0;
    const std::vector<double> xs =
        overBatch ? logSpacedIntegers(1, 4096, in.sweepPoints) : logSpacedIntegers(128, hiContext, in.sweepPoints);
    out.points.reserve(xs.size());
    for (double x : xs) {
        ScenarioBuilder s(base);
        if (overBatch)
            s.batch(static_cast<int64_t>(x));
        else if (prefill)
            s.prompt(static_cast<int64_t>(x));
        else
            s.context(static_cast<int64_t>(x));
        const Prediction p = llmStep(pm, in, s.unchecked(), false);
        out.points.push_back({x, p.latencyS, p.tokensPerS, p.ok, p.ok && p.memory.fits});
    }
    const Prediction atBase = llmStep(pm, in, base, false);
    out.limit = double(overBatch ? atBase.memory.maxBatch : atBase.memory.maxContext);
    return out;
}

namespace {

Prediction primary(const PlatformModel& pm, const EvalInput& in, std::optional<RequestPrediction>* request) {
    if (in.kind == WorkloadKind::Gemm)
        return gemmPrediction(pm, in.gemm);
    const Scenario s = withPhase(in.scenario, enginePhase(in.phase));
    if (in.phase == GuiPhase::Request) {
        Result res = predict(pm, llmRequestOf(*in.model, in.stack, s, true, true));
        RequestPrediction r;
        if (auto* q = std::get_if<RequestPrediction>(&res.detail))
            r = std::move(*q);
        else {
            r.prefill.ok = false;
            r.prefill.error = res.error;
        }
        Prediction p = r.prefill;
        if (request)
            *request = std::move(r);
        return p;
    }
    return llmStep(pm, in, s, true);
}

} // namespace

std::vector<double> logSpacedIntegers(double lo, double hi, int n) {
    std::vector<double> xs;
    lo = std::max(1.0, std::round(lo));
    hi = std::max(lo, std::round(hi));
    n = std::max(n, 2);
    const double step = std::log(hi / lo) / (n - 1);
    for (int i = 0; i < n; ++i) {
        const double x = std::round(lo * std::exp(step * i));
        if (xs.empty() || x > xs.back())
            xs.push_back(std::min(x, hi));
    }
    return xs;
}

EvalOutput evaluate(const EvalInput& in) {
    const auto t0 = std::chrono::steady_clock::now();
    if (!in.platform.model)
        throw InputError("no platform selected");
    if (in.kind == WorkloadKind::Llm && !in.model)
        throw InputError("no model selected");
    EvalOutput out;
    // The context sweep runs on a second thread beside the rest (the engine is pure); on a 2-core machine this
    // nearly halves the wall time of a 1,000-point sweep.
    std::future<SweepSeries> contextSweep;
    if (in.kind == WorkloadKind::Llm)
        contextSweep = std::async(std::launch::async, [&in] { return evaluateSweep(*in.platform.model, in, false); });
    out.prediction = primary(*in.platform.model, in, &out.request);
    if (in.kind == WorkloadKind::Llm) {
        out.batchSweep = evaluateSweep(*in.platform.model, in, true);
        out.contextSweep = contextSweep.get();
    }
    out.compare.push_back({in.platform.name, out.prediction});
    for (const auto& c : in.compare)
        if (c.model)
            out.compare.push_back({c.name, primary(*c.model, in, nullptr)});
    out.evalMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return out;
}

TimeSplit splitTime(const OpResult& op) {
    TimeSplit t;
    const double total = op.totalS();
    const double overhead = std::min(total, op.overheadS * op.count);
    const double rest = total - overhead;
    switch (op.bound) {
    case Bound::Compute:
        t.computeS = rest;
        t.overheadS = overhead;
        break;
    case Bound::L1:
    case Bound::L2:
    case Bound::L3:
    case Bound::Dram:
        t.memoryS = rest;
        t.overheadS = overhead;
        break;
    case Bound::Communication:
        t.commS = rest;
        t.overheadS = overhead;
        break;
    case Bound::Overhead:
    case Bound::Launch:
        t.overheadS = total;
        break;
    }
    return t;
}

TimeSplit splitTime(const Prediction& p) {
    TimeSplit sum;
    for (const auto& op : p.ops) {
        const TimeSplit t = splitTime(op);
        sum.computeS += t.computeS;
        sum.memoryS += t.memoryS;
        sum.commS += t.commS;
        sum.overheadS += t.overheadS;
    }
    return sum;
}

LlmArch resolveDatasetModel(const std::string& name, const std::string& datasetDir) {
    namespace fs = std::filesystem;
    const bool looksLikePath = name.find('/') != std::string::npos || name.ends_with(".yaml") ||
                               name.ends_with(".yml") || name.ends_with(".json");
    if (looksLikePath) {
        std::vector<fs::path> candidates = {fs::path(name)};
        if (!datasetDir.empty())
            candidates.push_back(fs::path(datasetDir) / name);
        for (const auto& d : io::dataDirs())
            candidates.push_back(fs::path(d) / name);
        for (const auto& c : candidates) {
            std::error_code ec;
            if (fs::is_regular_file(c, ec))
                return io::loadModelFile(c.string());
        }
        throw InputError(name, 0, "model",
                         "model file not found (relative to the dataset, the working folder or the rooflab data "
                         "folders)");
    }
    try {
        return io::loadModel(name);
    } catch (const InputError&) {
        const auto local = fs::path(datasetDir) / "models" / (name + ".yaml");
        std::error_code ec;
        if (datasetDir.empty() || !fs::is_regular_file(local, ec))
            throw;
        return io::loadModelFile(local.string());
    }
}

namespace {

ValidationReport validateOn(const io::CsvTable& table, const PlatformModel& pm, const std::string& datasetDir) {
    std::map<std::string, std::unique_ptr<LlmArch>> models;
    std::map<std::string, std::unique_ptr<StackProfile>> stacks;
    // The engine turns an InputError into the row's error; anything else a loader throws is broken input too.
    auto asInput = [](const std::string& name, const char* key, const std::exception& e) {
        return InputError(name, 0, key, e.what());
    };
    auto modelFor = [&](const std::string& name) -> const LlmArch& {
        auto& slot = models[name];
        if (!slot) {
            try {
                slot = std::make_unique<LlmArch>(resolveDatasetModel(name, datasetDir));
            } catch (const InputError&) {
                throw;
            } catch (const std::exception& e) {
                throw asInput(name, "model", e);
            }
        }
        return *slot;
    };
    auto stackFor = [&](const std::string& name) -> const StackProfile& {
        auto& slot = stacks[name];
        if (!slot) {
            try {
                slot = std::make_unique<StackProfile>(io::loadStack(name));
            } catch (const InputError&) {
                throw;
            } catch (const std::exception& e) {
                throw asInput(name, "stack", e);
            }
        }
        return *slot;
    };
    return validateDataset(pm, table, modelFor, stackFor);
}

} // namespace

ValidationReport validateDatasetIn(const io::CsvTable& table, const PlatformModel& pm, const std::string& datasetDir,
                                   bool ownPlatforms) {
    int col = table.column("platform");
    if (col < 0)
        col = table.column("card");
    if (!ownPlatforms || col < 0)
        return validateOn(table, pm, datasetDir);
    // Rows grouped by the platform they name, each group on its own platform. A name that is no shipped platform
    // (a free-text machine label, empty) means the page's platform.
    const std::vector<std::string> shipped = io::listPlatformNames();
    std::map<std::string, io::CsvTable> groups;
    for (std::size_t i = 0; i < table.rows.size(); ++i) {
        const std::string& named = table.text(i, col);
        const bool known = std::find(shipped.begin(), shipped.end(), named) != shipped.end();
        const std::string key = known ? named : pm.name;
        io::CsvTable& g = groups[key];
        if (g.header.empty()) {
            g.file = table.file;
            g.header = table.header;
        }
        g.rows.push_back(table.rows[i]);
        g.rowLines.push_back(i < table.rowLines.size() ? table.rowLines[i] : int(i) + 2);
    }
    if (groups.size() == 1 && groups.begin()->first == pm.name)
        return validateOn(table, pm, datasetDir);
    ValidationReport out;
    for (const auto& [name, sub] : groups) {
        ValidationReport part;
        if (name == pm.name) {
            part = validateOn(sub, pm, datasetDir);
        } else {
            try {
                const PlatformModel other = PlatformModel::from(io::loadPlatformFile(io::findPlatformFile(name)));
                part = validateOn(sub, other, datasetDir);
            } catch (const std::exception& e) {
                // Rows on a platform that does not load keep their identity and say why.
                part = validateOn(sub, pm, datasetDir);
                for (auto& r : part.rows)
                    if (r.error.empty())
                        r.error = "platform '" + name + "' of the row: " + e.what();
            }
        }
        if (out.kind.empty()) {
            out.kind = part.kind;
            out.dataset = part.dataset;
        }
        for (auto& r : part.rows)
            out.rows.push_back(std::move(r));
    }
    std::sort(out.rows.begin(), out.rows.end(),
              [](const ValidationRow& a, const ValidationRow& b) { return a.line < b.line; });
    // Statistics over all rows again, as validateDataset computes them for one platform.
    std::vector<double> all;
    std::map<std::string, std::map<std::string, std::vector<double>>> byKey;
    for (const auto& r : out.rows) {
        if (!r.error.empty()) {
            ++out.failed;
            continue;
        }
        all.push_back(r.errorPct);
        for (const auto& [k, v] : r.keys)
            byKey[k][v].push_back(r.errorPct);
    }
    out.overall = errorStats(all);
    for (const auto& [k, values] : byKey)
        for (const auto& [v, errs] : values)
            out.breakdown[k][v] = errorStats(errs);
    return out;
}

} // namespace rooflab::gui
