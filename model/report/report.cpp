#include "report/report.hpp"

#include "codec/request_codec.hpp"
#include "engine/predict.hpp"
#include "io/csv.hpp"
#include "io/data_paths.hpp"
#include "io/model_loader.hpp"
#include "io/platform_loader.hpp"
#include "io/stack_loader.hpp"
#include "report/format.hpp"
#include "report/serving_section.hpp"
#include "units/errors.hpp"
#include "units/quantity.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#ifndef ROOFLAB_VERSION
#define ROOFLAB_VERSION "unknown"
#endif

namespace rooflab::report {
namespace fs = std::filesystem;

namespace {

void step(const ReportProgress& progress, int done, int total, const std::string& stage) {
    if (progress && !progress(done, total, stage))
        throw ReportCancelled();
}

/// `n` distinct integers log-spaced in [lo, hi] (the sweep points of the plots).
std::vector<double> logSpacedIntegers(double lo, double hi, int n) {
    std::vector<double> xs;
    lo = std::max(1.0, std::round(lo));
    hi = std::max(lo, std::round(hi));
    n = std::max(n, 2);
    const double stepFactor = std::log(hi / lo) / (n - 1);
    for (int i = 0; i < n; ++i) {
        const double x = std::round(lo * std::exp(stepFactor * i));
        if (xs.empty() || x > xs.back())
            xs.push_back(std::min(x, hi));
    }
    return xs;
}

/// The path under the data folder it was found in ("platforms/h100-sxm5-80gb.yaml"), else as given: keeps the
/// report identical wherever the data lives.
std::string displayPath(const std::string& file) {
    std::error_code ec;
    const fs::path abs = fs::weakly_canonical(fs::path(file), ec);
    for (const auto& d : io::dataDirs()) {
        const fs::path base = fs::weakly_canonical(fs::path(d), ec);
        const fs::path rel = abs.lexically_relative(base);
        if (!rel.empty() && *rel.begin() != "..")
            return rel.generic_string();
    }
    return file;
}

ValidationReport validate(const PlatformModel& pm, const std::string& csv, const std::string& defaultStack) {
    const io::CsvTable table = io::loadCsvFile(csv);
    const fs::path dsDir = fs::path(csv).parent_path();
    std::map<std::string, std::unique_ptr<LlmArch>> models;
    std::map<std::string, std::unique_ptr<StackProfile>> stacks;
    return validateDataset(
        pm, table,
        [&](const std::string& n) -> const LlmArch& {
            auto& m = models[n];
            if (!m) {
                std::string path;
                for (const fs::path& c : {dsDir / "models" / (n + ".yaml"), dsDir / n}) {
                    std::error_code ec;
                    if (fs::is_regular_file(c, ec)) {
                        path = c.string();
                        break;
                    }
                }
                m = std::make_unique<LlmArch>(path.empty() ? io::loadModel(n) : io::loadModelFile(path));
            }
            return *m;
        },
        [&](const std::string& n) -> const StackProfile& {
            auto& st = stacks[n];
            if (!st)
                st = std::make_unique<StackProfile>(io::loadStack(n.empty() ? defaultStack : n));
            return *st;
        });
}

/// One step through the engine's one entry point (an infeasible step comes back with ok = false and its reason).
Prediction predictOne(const PlatformModel& pm, const LlmArch& arch, const StackProfile& stack, const Scenario& s,
                      bool withOps = true) {
    return stepOrError(predict(pm, llmRequestOf(arch, stack, s, false, withOps)));
}

SweepCurve curve(const PlatformModel& pm, const LlmArch& arch, const StackProfile& stack, const Scenario& base,
                 bool overBatch) {
    SweepCurve c;
    c.xName = overBatch ? "batch" : "context";
    const double hiContext = arch.maxPositions > 0 ? double(arch.maxPositions) : 131072.0;
    constexpr int kPoints = 48;
    for (double x : overBatch ? logSpacedIntegers(1, 4096, kPoints) : logSpacedIntegers(128, hiContext, kPoints)) {
        ScenarioBuilder b(base);
        if (overBatch)
            b.batch(static_cast<int64_t>(x));
        else
            b.context(static_cast<int64_t>(x));
        const Prediction p = predictOne(pm, arch, stack, b.unchecked(), false);
        c.x.push_back(x);
        c.latencyS.push_back(p.ok ? p.latencyS : std::numeric_limits<double>::quiet_NaN());
        c.tokensPerS.push_back(p.ok ? p.tokensPerS : std::numeric_limits<double>::quiet_NaN());
        c.fits.push_back(p.ok && p.memory.fits);
    }
    const Prediction atBase = predictOne(pm, arch, stack, base, false);
    c.limit = double(overBatch ? atBase.memory.maxBatch : atBase.memory.maxContext);
    c.current = double(overBatch ? base.batch : base.context);
    return c;
}

} // namespace

ReportData computeReport(const ReportInput& in, const ReportProgress& progress) {
    constexpr int kSteps = 5;
    step(progress, 0, kSteps, "loading inputs");
    if (in.phase != "request" && in.phase != "prefill" && in.phase != "decode" && in.phase != "chunked")
        throw InputError("", 0, "--phase", "'" + in.phase + "' is not one of request, prefill, decode, chunked");
    // The scenario through the Request codec: the same defaults, ranges and messages as `predict llm`.
    const nlohmann::json q{{"kind", "llm"},
                           {"model", in.model},
                           {"stack", in.stack},
                           {"phase", "request"},
                           {"batch", in.batch},
                           {"prompt", in.prompt},
                           {"context", in.context > 0 ? in.context : in.prompt},
                           {"output", in.output},
                           {"chunk", in.chunk > 0 ? in.chunk : 512},
                           {"tp", in.tp},
                           {"pp", in.pp},
                           {"ep", in.ep},
                           {"dp", in.dp},
                           {"weights", in.weights},
                           {"kv", in.kv},
                           {"act", in.act}};
    spec::CodecSource src;
    src.optionSpelling = true;
    const Request req = spec::decodeRequest(q, src);
    ReportData d;
    d.input = in;
    d.platform = in.platformData ? *in.platformData : io::loadPlatformFile(io::findPlatformFile(in.platform));
    d.arch = io::loadModel(in.model);
    d.stack = io::loadStack(in.stack);
    d.platformModel = PlatformModel::from(d.platform);
    d.confidence =
        resolveConfidence(shippedValidationStatus(), d.platform, &d.stack,
                          d.platform.kind == DeviceKind::Cpu ? PredictionScope::CpuLlm : PredictionScope::LlmStep);
    const PlatformModel& pm = d.platformModel;
    d.scenario = req.scenario;
    const Scenario& s = d.scenario;

    step(progress, 1, kSteps, "predicting the request");
    const Result whole = predict(pm, llmRequestOf(d.arch, d.stack, s, true, true));
    if (!whole.ok)
        throw InputError("", 0, "", whole.error);
    d.request = *whole.request();
    d.decodeScenario = withPhase(s, Phase::Decode);
    d.decode = predictOne(pm, d.arch, d.stack, d.decodeScenario);
    if (in.phase == "chunked")
        d.chunked = predictOne(pm, d.arch, d.stack, withPhase(s, Phase::Chunked));
    d.energyPerRequestJ = d.request.energyPerTokenJ * double(s.outputTokens);
    d.decodeJPerToken = d.decode.tokens > 0 ? d.decode.energyJ / d.decode.tokens : 0;
    d.prefillJPerToken = d.request.prefill.tokens > 0 ? d.request.prefill.energyJ / d.request.prefill.tokens : 0;

    // Sweeps: batch at fixed context, context at fixed batch.
    step(progress, 2, kSteps, "sweeping batch and context");
    d.batchSweep.header = {"batch",     "decode_step_s",        "decode_tokens_per_s",
                           "prefill_s", "prefill_tokens_per_s", "decode_memory_bytes",
                           "fits",      "decode_bound",         "decode_energy_per_token_j"};
    d.contextSweep.header = {"context", "decode_step_s", "decode_tokens_per_s", "memory_bytes",
                             "fits",    "bound",         "energy_per_token_j"};
    for (int64_t b = 1; b <= 1024; b *= 2) {
        const Prediction p =
            predictOne(pm, d.arch, d.stack, ScenarioBuilder(d.decodeScenario).batch(b).unchecked(), false);
        const Prediction pre =
            predictOne(pm, d.arch, d.stack, ScenarioBuilder(s).phase(Phase::Prefill).batch(b).unchecked(), false);
        d.batchSweep.rows.push_back({std::to_string(b), fmtNum(p.latencyS, 6), fmtNum(p.tokensPerS, 6),
                                     fmtNum(pre.latencyS, 6), fmtNum(pre.tokensPerS, 6), fmtNum(p.memory.totalBytes, 6),
                                     p.memory.fits ? "true" : "false", std::string(boundName(p.bound)),
                                     fmtNum(p.tokens > 0 ? p.energyJ / p.tokens : 0, 4)});
    }
    for (int64_t c = 256; c <= 131072; c *= 2) {
        const Prediction p =
            predictOne(pm, d.arch, d.stack, ScenarioBuilder(d.decodeScenario).context(c).unchecked(), false);
        d.contextSweep.rows.push_back({std::to_string(c), fmtNum(p.latencyS, 6), fmtNum(p.tokensPerS, 6),
                                       fmtNum(p.memory.totalBytes, 6), p.memory.fits ? "true" : "false",
                                       std::string(boundName(p.bound)),
                                       fmtNum(p.tokens > 0 ? p.energyJ / p.tokens : 0, 4)});
    }
    step(progress, 3, kSteps, "sweeping for the plots");
    d.batchCurve = curve(pm, d.arch, d.stack, d.decodeScenario, true);
    d.contextCurve = curve(pm, d.arch, d.stack, d.decodeScenario, false);

    if (in.serving) {
        step(progress, 4, kSteps, "simulating serving");
        d.serving = computeServingReport(d, *in.serving);
    }
    step(progress, 4, kSteps, "predicting the measurements");
    if (!in.measurements.empty()) {
        d.validation = validate(pm, in.measurements, in.stack);
        // A row that cannot be read or predicted is bad input, as in `rooflab validate`: a report that quietly
        // dropped it would show an error statistic over the wrong rows (or "MAPE 0 %" over none).
        for (const auto& row : d.validation->rows)
            if (!row.error.empty())
                throw InputError(std::to_string(d.validation->failed) + " of " +
                                 std::to_string(d.validation->rows.size()) +
                                 " measurement rows cannot be used; first: " + row.error);
    }
    step(progress, kSteps, kSteps, "predicted");
    return d;
}

std::string consoleSummary(const ReportData& d) {
    const Scenario& s = d.scenario;
    const RequestPrediction& req = d.request;
    std::ostringstream os;
    os << "rooflab: " << d.arch.name << " on " << d.platform.name << " (" << d.stack.name << ", tp " << s.tp;
    // Every parallelism and datatype the report was asked for, so a run with EP or PP says so.
    if (s.pp > 1)
        os << ", pp " << s.pp;
    if (s.ep > 1)
        os << ", ep " << s.ep;
    if (s.dp > 1)
        os << ", dp " << s.dp;
    os << ", weights " << d.input.weights;
    if (d.input.kv != "bf16")
        os << ", kv " << d.input.kv;
    if (d.input.act != "bf16")
        os << ", act " << d.input.act;
    os << ")\n";
    os << "  request: batch " << s.batch << ", prompt " << s.prompt << ", " << s.outputTokens << " output tokens\n";
    os << "  prefill  " << fmtSeconds(req.ttftS) << " (TTFT)   " << fmtNum(req.prefill.tokensPerS, 5) << " tokens/s   "
       << req.prefill.why << "\n";
    os << "  decode   " << fmtSeconds(d.decode.latencyS) << " per step at context " << d.decodeScenario.context << "   "
       << fmtNum(d.decode.tokensPerS, 5) << " tokens/s   " << d.decode.why << "\n";
    os << "  request  TPOT " << fmtSeconds(req.tpotS) << ", end-to-end " << fmtSeconds(req.e2eS) << ", "
       << fmtNum(req.tokensPerS, 5) << " generated tokens/s, " << fmtNum(req.energyPerTokenJ, 3) << " J/token, "
       << fmtNum(d.energyPerRequestJ, 4) << " J/request\n";
    os << "  memory   " << fmtBytes(d.decode.memory.totalBytes) << " of " << fmtBytes(d.decode.memory.capacityBytes)
       << " per device (" << (d.decode.memory.fits ? "fits" : "does not fit") << "; max batch "
       << d.decode.memory.maxBatch << ")\n";
    os << "  confidence: " << d.confidence.summary() << "\n";
    if (d.validation)
        os << "  measured " << d.validation->overall.n << " rows: MAPE " << fmtNum(d.validation->overall.mapePct, 3)
           << "%, bias " << fmtNum(d.validation->overall.biasPct, 3) << "%, max "
           << fmtNum(d.validation->overall.maxAbsPct, 3) << "%\n";
    if (d.serving) {
        os << "  serving  " << servingSummary(*d.serving) << "\n";
        os << "  serving  confidence: " << d.serving->confidence.summary() << "\n";
        for (const serving::ServingStudyPoint& p : d.serving->study.points) {
            const serving::ServingResult& r = p.result;
            os << "    concurrency " << p.concurrency << ": ";
            if (r.ok)
                os << "TTFT " << fmtSeconds(r.ttftS.mean) << ", TPOT " << fmtSeconds(r.tpotS.mean) << ", "
                   << fmtNum(r.outputTokensPerSPerGpu, 5) << " tokens/s/GPU, " << fmtNum(r.outputTokensPerSPerUser, 4)
                   << " tokens/s/user\n";
            else
                os << r.error << "\n";
        }
        if (const std::string best = servingBestLine(*d.serving); !best.empty())
            os << "  serving  " << best << "\n";
        for (const std::string& n : d.serving->study.notes)
            os << "  serving  note: " << n << "\n";
    }
    return os.str();
}

// ---------------------------------------------------------------- files

namespace {

std::string tableOf(const std::vector<std::string>& h, const std::vector<std::vector<std::string>>& rows) {
    std::ostringstream os;
    os << "|";
    for (const auto& c : h)
        os << " " << c << " |";
    os << "\n|";
    for (std::size_t i = 0; i < h.size(); ++i)
        os << (i == 0 ? "---|" : "---:|");
    os << "\n";
    for (const auto& r : rows) {
        os << "|";
        for (const auto& c : r)
            os << " " << c << " |";
        os << "\n";
    }
    return os.str();
}

std::string htmlTable(const std::vector<std::string>& h, const std::vector<std::vector<std::string>>& rows) {
    std::ostringstream os;
    os << "<table>\n<tr>";
    for (const auto& c : h)
        os << "<th>" << markupEscape(c) << "</th>";
    os << "</tr>\n";
    for (const auto& r : rows) {
        os << "<tr>";
        for (const auto& c : r)
            os << "<td>" << markupEscape(c) << "</td>";
        os << "</tr>\n";
    }
    os << "</table>\n";
    return os.str();
}

std::string base64(const std::string& in) {
    static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    auto byte = [&](std::size_t k) { return unsigned(static_cast<unsigned char>(in[k])); };
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
        out += t[(v >> 18) & 63];
        out += t[(v >> 12) & 63];
        out += t[(v >> 6) & 63];
        out += t[v & 63];
    }
    if (i < in.size()) {
        unsigned v = byte(i) << 16;
        if (i + 1 < in.size())
            v |= byte(i + 1) << 8;
        out += t[(v >> 18) & 63];
        out += t[(v >> 12) & 63];
        out += i + 1 < in.size() ? t[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

/// The parallel layout and activation type beyond what reports always showed; empty at the defaults so reports
/// of the default layout stay byte-identical to earlier versions.
std::string layoutExtras(const ReportData& d) {
    const Scenario& s = d.scenario;
    std::string x;
    if (s.pp != 1)
        x += ", PP " + std::to_string(s.pp);
    if (s.ep != 1)
        x += ", EP " + std::to_string(s.ep);
    if (s.dp != 1)
        x += ", DP " + std::to_string(s.dp);
    if (s.act != DType::bf16)
        x += ", activations " + d.input.act;
    if (d.input.phase != "request")
        x += ", phase " + d.input.phase;
    return x;
}

} // namespace

Table platformValuesTable(const ReportData& d) {
    const Platform& plat = d.platform;
    const PlatformModel& pm = d.platformModel;
    auto sourceOf = [&](const Value& v) -> std::string {
        if (!v.present)
            return "engine default";
        auto it = plat.sources.find(v.source);
        return it == plat.sources.end() ? v.source
                                        : v.source + " (" + std::string(sourceKindName(it->second.kind)) + ")";
    };
    const MemoryLevel* dram = nullptr;
    for (const auto& m : plat.memory)
        if (m.kind == MemoryKind::Dram)
            dram = &m;
    std::vector<std::vector<std::string>> platRows;
    for (const auto& e : plat.compute)
        for (std::size_t t = 0; t < kDTypeCount; ++t)
            if (e.peakFlopPerS[t].present && (DType(t) == DType::bf16 || DType(t) == DType::fp8_e4m3 ||
                                              DType(t) == DType::fp32 || DType(t) == DType::int8))
                platRows.push_back({e.name + " peak " + std::string(dtypeName(DType(t))),
                                    formatQuantity(*e.peakFlopPerS[t], Dimension::FlopPerSecond, 4),
                                    sourceOf(e.peakFlopPerS[t])});
    if (dram) {
        platRows.push_back({"DRAM capacity", fmtBytes(*dram->capacityBytes), sourceOf(dram->capacityBytes)});
        platRows.push_back({"DRAM read bandwidth", formatQuantity(*dram->readBytesPerS, Dimension::BytesPerSecond, 4),
                            sourceOf(dram->readBytesPerS)});
    }
    if (plat.scaleUp.bytesPerS)
        platRows.push_back({"scale-up link", formatQuantity(*plat.scaleUp.bytesPerS, Dimension::BytesPerSecond, 4),
                            sourceOf(plat.scaleUp.bytesPerS)});
    if (plat.scaleOut.bytesPerS)
        platRows.push_back({"scale-out link", formatQuantity(*plat.scaleOut.bytesPerS, Dimension::BytesPerSecond, 4),
                            sourceOf(plat.scaleOut.bytesPerS)});
    platRows.push_back(
        {"TDP / idle power", fmtNum(pm.tdpW, 4) + " W / " + fmtNum(pm.idleW, 4) + " W", sourceOf(plat.power.tdpW)});
    return {{"value", "", "provenance"}, std::move(platRows)};
}

Table platformSourcesTable(const ReportData& d) {
    const Platform& plat = d.platform;
    std::vector<std::vector<std::string>> srcRows;
    for (const auto& [id, so] : plat.sources)
        srcRows.push_back(
            {id, std::string(sourceKindName(so.kind)), so.citation.empty() ? so.tool + " " + so.date : so.citation});
    return {{"source", "kind", "what"}, std::move(srcRows)};
}

namespace {

/// All files of the report, relative path -> bytes, in writing order.
std::vector<std::pair<std::string, std::string>> reportFiles(const ReportData& d, const ReportFigures& fig) {
    const Platform& plat = d.platform;
    const LlmArch& arch = d.arch;
    const StackProfile& stack = d.stack;
    const Scenario& s = d.scenario;
    const Scenario& dec = d.decodeScenario;
    const RequestPrediction& req = d.request;
    const Prediction& decode = d.decode;
    const ReportInput& o = d.input;
    const auto& val = d.validation;
    std::vector<std::pair<std::string, std::string>> files;

    // Platform summary: the roofs the engine uses, each with the provenance of the file value.
    const std::vector<std::vector<std::string>> platRows = platformValuesTable(d).rows;
    const std::vector<std::vector<std::string>> srcRows = platformSourcesTable(d).rows;
    const std::string extras = layoutExtras(d);
    const std::vector<std::vector<std::string>> workRows = {
        {"model", arch.name + (arch.source.empty() ? "" : " (" + arch.source + ")")},
        {"type", arch.modelType},
        {"parameters (total / active per token)",
         fmtNum(arch.totalParams() / 1e9, 4) + " B / " + fmtNum(arch.activeParams() / 1e9, 4) + " B"},
        {"layers, hidden, heads / KV heads", std::to_string(arch.numLayers) + ", " + std::to_string(arch.hiddenSize) +
                                                 ", " + std::to_string(arch.numHeads) + " / " +
                                                 std::to_string(arch.numKvHeads)},
        {"weights at " + o.weights, fmtBytes(weightBytes(arch.totalParams(), s.weights))},
        {"KV cache per token at " + o.kv, fmtBytes(arch.kvElementsPerToken() * bytesPerElement(s.kv))},
        {"stack", stack.name},
        {"scenario", "batch " + std::to_string(s.batch) + ", prompt " + std::to_string(s.prompt) + ", decode context " +
                         std::to_string(dec.context) + ", output " + std::to_string(s.outputTokens) + ", TP " +
                         std::to_string(s.tp) + extras}};
    const std::vector<std::vector<std::string>> reqRows = {
        {"TTFT", fmtSeconds(req.ttftS)},
        {"TPOT (mean over generated tokens)", fmtSeconds(req.tpotS)},
        {"end-to-end", fmtSeconds(req.e2eS)},
        {"generated tokens/s", fmtNum(req.tokensPerS, 5)},
        {"energy per generated token (request)", fmtNum(req.energyPerTokenJ, 4) + " J"},
        {"energy per request", fmtNum(d.energyPerRequestJ, 4) + " J"},
        {"prefill energy per prompt token", fmtNum(d.prefillJPerToken, 4) + " J"},
        {"decode energy per token (step at context " + std::to_string(dec.context) + ")",
         fmtNum(d.decodeJPerToken, 4) + " J"}};
    const MemoryUse& mem = decode.memory;
    const std::vector<std::vector<std::string>> memRows = {
        {"weights", fmtBytes(mem.weightsBytes)},
        {"KV cache", fmtBytes(mem.kvCacheBytes)},
        {"activations", fmtBytes(mem.activationBytes)},
        {"workspace", fmtBytes(mem.workspaceBytes)},
        {"total", fmtBytes(mem.totalBytes)},
        {"capacity", fmtBytes(mem.capacityBytes)},
        {"used", fmtNum(mem.capacityBytes > 0 ? 100.0 * mem.totalBytes / mem.capacityBytes : 0, 3) + "%" +
                     (mem.fits ? " (fits)" : " (does not fit)")},
        {"largest batch at this context", std::to_string(mem.maxBatch)},
        {"largest context at this batch", std::to_string(mem.maxContext)}};
    const std::vector<std::string> valHeader = {"group", "value", "rows", "MAPE", "bias", "max |error|", "within 10%"};
    std::vector<std::vector<std::string>> valRows, valDetail;
    if (val) {
        auto statRow = [](const std::string& g, const std::string& v, const ErrorStats& st) {
            return std::vector<std::string>{g,
                                            v,
                                            std::to_string(st.n),
                                            fmtNum(st.mapePct, 3) + "%",
                                            fmtNum(st.biasPct, 3) + "%",
                                            fmtNum(st.maxAbsPct, 3) + "%",
                                            fmtNum(st.within10Pct, 3) + "%"};
        };
        valRows.push_back(statRow("all", "", val->overall));
        for (const auto& [k, byV] : val->breakdown)
            for (const auto& [v, st] : byV)
                valRows.push_back(statRow(k, v, st));
        for (const auto& r : val->rows)
            valDetail.push_back(
                {r.id, fmtNum(r.measuredS, 6), fmtNum(r.predictedS, 6), fmtNum(r.errorPct, 4), r.error});
    }
    const std::vector<std::string> valDetailHeader = {"id", "measured_s", "predicted_s", "error_pct", "error"};

    nlohmann::json scenarioJson{{"batch", s.batch},
                                {"prompt", s.prompt},
                                {"context", dec.context},
                                {"output", s.outputTokens},
                                {"tp", s.tp},
                                {"weights", o.weights},
                                {"kv", o.kv}};
    // Keys beyond the original set only when they differ from the defaults (see layoutExtras).
    if (s.pp != 1)
        scenarioJson["pp"] = s.pp;
    if (s.ep != 1)
        scenarioJson["ep"] = s.ep;
    if (s.dp != 1)
        scenarioJson["dp"] = s.dp;
    if (s.act != DType::bf16)
        scenarioJson["act"] = o.act;
    if (o.phase != "request")
        scenarioJson["phase"] = o.phase;
    if (d.chunked)
        scenarioJson["chunk"] = o.chunk > 0 ? o.chunk : 512;
    nlohmann::json j{{"rooflab_version", ROOFLAB_VERSION},
                     {"platform", plat.name},
                     {"platform_file", displayPath(plat.file)},
                     {"model", arch.name},
                     {"stack", stack.name},
                     {"scenario", scenarioJson},
                     {"request",
                      {{"ttft_s", req.ttftS},
                       {"tpot_s", req.tpotS},
                       {"e2e_s", req.e2eS},
                       {"tokens_per_s", req.tokensPerS},
                       {"energy_per_token_j", req.energyPerTokenJ},
                       {"energy_per_request_j", d.energyPerRequestJ}}},
                     {"prefill", predictionJson(req.prefill, true)},
                     {"decode", predictionJson(decode, true)}};
    j["prefill"]["energy_per_token_j"] = d.prefillJPerToken;
    j["decode"]["energy_per_token_j"] = d.decodeJPerToken;
    if (d.chunked)
        j["chunked"] = predictionJson(*d.chunked, true);
    if (val) {
        const auto& st = val->overall;
        j["measurements"] = {{"dataset", displayPath(o.measurements)},
                             {"kind", val->kind},
                             {"rows", st.n},
                             {"failed", val->failed},
                             {"mape_pct", st.mapePct},
                             {"bias_pct", st.biasPct},
                             {"max_abs_pct", st.maxAbsPct},
                             {"within_10_pct", st.within10Pct},
                             {"within_25_pct", st.within25Pct}};
    }
    addConfidenceJson(j, d.confidence);
    if (d.serving) {
        j["serving"] = servingJson(*d.serving);
        addConfidenceJson(j["serving"], d.serving->confidence);
    }
    files.emplace_back("prediction.json", j.dump(2) + "\n");
    // CSV files are for machines: numbers in SI base units, the unit in the column name (issue 19).
    files.emplace_back("prefill_operators.csv", csvText(opCsvHeader(), opCsvRows(req.prefill, "prefill")));
    files.emplace_back("decode_operators.csv", csvText(opCsvHeader(), opCsvRows(decode, "decode")));
    if (d.chunked)
        files.emplace_back("chunked_operators.csv", csvText(opCsvHeader(), opCsvRows(*d.chunked, "chunked")));
    {
        std::vector<std::vector<std::string>> conf = {confidenceCsvRow("step", d.confidence)};
        if (d.serving)
            conf.push_back(confidenceCsvRow("serving", d.serving->confidence));
        files.emplace_back("confidence.csv", csvText(confidenceCsvHeader(), conf));
    }
    files.emplace_back("batch_sweep.csv", csvText(d.batchSweep.header, d.batchSweep.rows));
    files.emplace_back("context_sweep.csv", csvText(d.contextSweep.header, d.contextSweep.rows));
    if (val)
        files.emplace_back("measurements.csv", csvText(valDetailHeader, valDetail));
    if (d.serving) {
        files.emplace_back("serving_curve.csv", csvText(d.serving->curve.header, d.serving->curve.rows));
        files.emplace_back("serving_pareto.csv", csvText(d.serving->pareto.header, d.serving->pareto.rows));
        if (!d.serving->measured.empty())
            files.emplace_back("serving_measured.csv",
                               csvText(d.serving->measuredTable.header, d.serving->measuredTable.rows));
    }

    const std::string title = "rooflab report: " + arch.name + " on " + plat.name;
    const std::string chunkHeading = d.chunked ? "Chunked step (chunk " + std::to_string(o.chunk > 0 ? o.chunk : 512) +
                                                     ", context " + std::to_string(s.context) + ")"
                                               : std::string();
    std::ostringstream md;
    md << "# " << title << "\n\n";
    md << "Stack `" << stack.name << "`, TP " << s.tp << extras << ", weights " << o.weights << ", KV " << o.kv
       << ". Platform file `" << displayPath(plat.file) << "`.\n\n";
    md << "**Confidence: " << d.confidence.summary() << ".**";
    if (d.serving)
        md << " Serving: " << d.serving->confidence.summary() << ".";
    md << "\n\n";
    md << "## Platform\n\n" << tableOf({"value", "", "provenance"}, platRows);
    md << "\n## Workload\n\n" << tableOf({"", ""}, workRows);
    md << "\n## Request (batch " << s.batch << ", prompt " << s.prompt << ", " << s.outputTokens
       << " output tokens)\n\n";
    md << tableOf({"metric", "value"}, reqRows);
    md << "\n## Prefill\n\n" << req.prefill.why << "\n\n" << tableOf(opTableHeader(), opTableRows(req.prefill));
    md << "\n## Decode step (context " << dec.context << ")\n\n"
       << decode.why << "\n\n"
       << tableOf(opTableHeader(), opTableRows(decode));
    if (d.chunked)
        md << "\n## " << chunkHeading << "\n\n"
           << d.chunked->why << "\n\n"
           << tableOf(opTableHeader(), opTableRows(*d.chunked));
    md << "\n## Memory per device\n\n" << tableOf({"part", "bytes"}, memRows);
    md << "\n## Latency and throughput vs batch\n\n" << tableOf(d.batchSweep.header, d.batchSweep.rows);
    md << "\n## Decode vs context (batch " << s.batch << ")\n\n" << tableOf(d.contextSweep.header, d.contextSweep.rows);
    if (val)
        md << "\n## Predicted vs measured (`" << displayPath(o.measurements) << "`)\n\n" << tableOf(valHeader, valRows);
    if (const auto& sv = d.serving) {
        md << "\n## Serving\n\n" << servingSummary(*sv) << ".\n\n";
        md << "### Serving vs concurrency\n\n" << tableOf(sv->curve.header, sv->curve.rows);
        md << "\n### Pareto front (tokens/s per GPU vs tokens/s per user)\n\n";
        if (sv->pareto.rows.empty())
            md << "No deployment search.\n";
        else
            md << tableOf(sv->pareto.header, sv->pareto.rows);
        md << "\n### Best layout\n\n";
        if (const std::string best = servingBestLine(*sv); !best.empty())
            md << best << ".\n\n" << tableOf(sv->best.header, sv->best.rows);
        else
            md << "No layout of the search meets the SLO.\n";
        md << "\n### Measured (aic-silicon)\n\n";
        if (sv->measured.empty())
            md << (sv->dataset.empty() ? "No dataset given.\n" : "No measured run of this model on this GPU.\n");
        else
            md << std::to_string(sv->measured.size()) << " runs of `" << displayPath(sv->dataset) << "`.\n\n"
               << tableOf(sv->measuredTable.header, sv->measuredTable.rows);
        for (const std::string& n : sv->study.notes)
            md << "\n> " << n << "\n";
    }
    md << "\n## Platform provenance\n\n" << tableOf({"source", "kind", "what"}, srcRows);
    files.emplace_back("report.md", md.str());

    for (const auto& p : fig.plots)
        files.emplace_back("plots/" + p.name + "." + std::string(plotFormatSuffix(p.format)), p.bytes);
    if (fig.pdf)
        files.emplace_back("report.pdf", *fig.pdf);

    // The self-contained page: SVG plots inline, raster plots as data URIs.
    std::ostringstream h;
    auto img = [&](const std::string& name) {
        const auto it = std::find_if(fig.plots.begin(), fig.plots.end(), [&](const auto& p) { return p.name == name; });
        if (it == fig.plots.end())
            return;
        h << "<figure>";
        if (it->format == PlotFormat::Svg) {
            h << "\n" << it->bytes;
        } else {
            h << "<img alt=\"" << markupEscape(it->caption) << "\" src=\"data:image/"
              << (it->format == PlotFormat::Png ? "png" : "octet-stream") << ";base64," << base64(it->bytes) << "\">";
        }
        h << "<figcaption>" << markupEscape(it->caption) << "</figcaption></figure>\n";
    };
    h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << markupEscape(title)
      << "</title>\n<style>body{font-family:sans-serif;max-width:1250px;margin:2em auto;color:#222}"
         "table{border-collapse:collapse;margin:.5em 0;font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px;"
         "text-align:right}td:first-child,th:first-child{text-align:left}th{background:#f0f0f0}"
         "img,figure svg{max-width:100%;height:auto;border:1px solid #ddd}figure{margin:1em 0}.note{background:#fff4e0;"
         "padding:.5em;border-left:4px solid #e90}.confidence{padding:.5em;border-left:4px solid}"
         ".validated{background:#e8f5e9;border-color:#2e7d32}.calibrated{background:#fff8e1;border-color:#f9a825}"
         ".datasheet-only{background:#eeeeee;border-color:#757575}</style></head><body>\n";
    h << "<h1>" << markupEscape(title) << "</h1>\n<p>Stack <code>" << markupEscape(stack.name) << "</code>, TP " << s.tp
      << markupEscape(extras) << ", weights " << markupEscape(o.weights) << ", KV " << markupEscape(o.kv)
      << ". Platform file <code>" << markupEscape(displayPath(plat.file)) << "</code>. rooflab " << ROOFLAB_VERSION
      << ".</p>\n";
    h << "<p class=\"confidence " << confidenceLevelName(d.confidence.level) << "\"><b>Confidence:</b> "
      << markupEscape(d.confidence.summary()) << ".";
    if (d.serving)
        h << " <b>Serving:</b> " << markupEscape(d.serving->confidence.summary()) << ".";
    h << "</p>\n";
    if (fig.plots.empty())
        h << "<p class=\"note\">Plots are unavailable: " << markupEscape(fig.note) << "</p>\n";
    h << "<h2>Platform</h2>\n" << htmlTable({"value", "", "provenance"}, platRows);
    h << "<h2>Workload</h2>\n" << htmlTable({"", ""}, workRows);
    h << "<h2>Request</h2>\n" << htmlTable({"metric", "value"}, reqRows);
    h << "<h2>Roofline</h2>\n";
    img("roofline");
    img("roofline_prefill");
    h << "<h2>Latency and throughput vs batch and context</h2>\n";
    img("latency_vs_batch");
    img("latency_vs_context");
    h << htmlTable(d.batchSweep.header, d.batchSweep.rows) << htmlTable(d.contextSweep.header, d.contextSweep.rows);
    h << "<h2>Prefill</h2>\n<p>" << markupEscape(req.prefill.why) << "</p>\n";
    img("breakdown_prefill");
    h << htmlTable(opTableHeader(), opTableRows(req.prefill));
    h << "<h2>Decode step</h2>\n<p>" << markupEscape(decode.why) << "</p>\n";
    img("breakdown");
    h << htmlTable(opTableHeader(), opTableRows(decode));
    if (d.chunked)
        h << "<h2>" << markupEscape(chunkHeading) << "</h2>\n<p>" << markupEscape(d.chunked->why) << "</p>\n"
          << htmlTable(opTableHeader(), opTableRows(*d.chunked));
    h << "<h2>Memory per device</h2>\n" << htmlTable({"part", "bytes"}, memRows);
    if (val) {
        h << "<h2>Predicted vs measured</h2>\n<p>Dataset <code>" << markupEscape(displayPath(o.measurements))
          << "</code>.</p>\n";
        img("predicted_vs_measured");
        h << htmlTable(valHeader, valRows);
    }
    if (const auto& sv = d.serving) {
        h << "<h2>Serving</h2>\n<p>" << markupEscape(servingSummary(*sv)) << ".</p>\n";
        img("serving_vs_concurrency");
        h << "<h3>Serving vs concurrency</h3>\n" << htmlTable(sv->curve.header, sv->curve.rows);
        img("serving_pareto");
        h << "<h3>Pareto front (tokens/s per GPU vs tokens/s per user)</h3>\n";
        if (sv->pareto.rows.empty())
            h << "<p>No deployment search.</p>\n";
        else
            h << htmlTable(sv->pareto.header, sv->pareto.rows);
        h << "<h3>Best layout</h3>\n";
        if (const std::string best = servingBestLine(*sv); !best.empty())
            h << "<p>" << markupEscape(best) << ".</p>\n" << htmlTable(sv->best.header, sv->best.rows);
        else
            h << "<p>No layout of the search meets the SLO.</p>\n";
        img("serving_timeline");
        h << "<h3>Measured (aic-silicon)</h3>\n";
        if (sv->measured.empty())
            h << "<p>" << (sv->dataset.empty() ? "No dataset given." : "No measured run of this model on this GPU.")
              << "</p>\n";
        else
            h << "<p>" << sv->measured.size() << " runs of <code>" << markupEscape(displayPath(sv->dataset))
              << "</code>.</p>\n"
              << htmlTable(sv->measuredTable.header, sv->measuredTable.rows);
        for (const std::string& n : sv->study.notes)
            h << "<p class=\"note\">" << markupEscape(n) << "</p>\n";
    }
    h << "<h2>Platform provenance</h2>\n" << htmlTable({"source", "kind", "what"}, srcRows);
    h << "</body></html>\n";
    files.emplace_back("report.html", h.str());
    return files;
}

void writeBytes(const fs::path& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    if (!out)
        throw InputError(p.string(), 0, "", "cannot write report file");
    out << bytes;
    if (!out.flush())
        throw InputError(p.string(), 0, "", "write failed");
}

/// A name no other run picks: time, thread and a counter.
std::string uniqueSuffix() {
    static std::atomic<unsigned> counter{0};
    const auto t = std::chrono::steady_clock::now().time_since_epoch().count();
    const auto th = std::hash<std::thread::id>{}(std::this_thread::get_id());
    std::ostringstream os;
    os << std::hex << (static_cast<unsigned long long>(t) ^ th) << "-" << counter++;
    return os.str();
}

} // namespace

std::vector<std::string> writeReport(const ReportData& d, const ReportFigures& figures, const std::string& outDir,
                                     const ReportProgress& progress) {
    if (outDir.empty())
        throw InputError("", 0, "--out", "no report folder given");
    const auto files = reportFiles(d, figures);
    const fs::path out = fs::path(outDir).lexically_normal();
    std::error_code ec;
    const bool existed = fs::exists(out, ec);
    if (existed && !fs::is_directory(out, ec))
        throw InputError(outDir, 0, "--out", "exists and is not a folder");
    fs::path parent = out.has_parent_path() ? out.parent_path() : fs::path(".");
    if (out.filename().empty() || out.filename() == "." || out.filename() == "..")
        parent = out; // "dir/" or ".": stage inside (the folder exists then)
    // Ancestors this run creates, removed again if it fails.
    fs::path firstCreated;
    for (fs::path p = parent; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
        firstCreated = p;
        if (p == p.parent_path())
            break;
    }
    const fs::path staging = existed ? out / (".rooflab-staging-" + uniqueSuffix())
                                     : parent / ("." + out.filename().string() + ".staging-" + uniqueSuffix());
    auto cleanUp = [&]() {
        std::error_code e;
        fs::remove_all(staging, e);
        if (!firstCreated.empty())
            fs::remove_all(firstCreated, e);
    };
    std::vector<std::string> written;
    try {
        fs::create_directories(staging, ec);
        if (ec)
            throw InputError(outDir, 0, "--out", "cannot create report folder: " + ec.message());
        const int total = int(files.size());
        int i = 0;
        for (const auto& [rel, bytes] : files) {
            step(progress, i++, total + 1, "writing " + rel);
            const fs::path p = staging / rel;
            if (p.has_parent_path())
                fs::create_directories(p.parent_path());
            writeBytes(p, bytes);
            written.push_back(rel);
        }
        step(progress, total, total + 1, "moving the report into place");
        // A destination that is a folder would stop the moves halfway and leave old and
        // new files mixed: refuse before moving any (issue 20: report.md a folder).
        if (existed) {
            for (const auto& rel : written) {
                const fs::path dest = out / rel;
                if (fs::is_directory(fs::symlink_status(dest, ec)))
                    throw InputError(dest.string(), 0, "--out",
                                     "is a folder where the report writes a file of that name; nothing was replaced");
            }
        }
        if (!existed) {
            fs::rename(staging, out);
        } else {
            for (const auto& rel : written) {
                const fs::path dest = out / rel;
                if (dest.has_parent_path())
                    fs::create_directories(dest.parent_path());
                fs::rename(staging / rel, dest);
            }
            // Outputs of an earlier run that this one did not make would read as part of it.
            for (const char* stale : {"report.pdf", "measurements.csv", "chunked_operators.csv"})
                if (std::find(written.begin(), written.end(), stale) == written.end())
                    fs::remove(out / stale, ec);
            for (const char* name : {"roofline", "roofline_prefill", "latency_vs_batch", "latency_vs_context",
                                     "breakdown", "breakdown_prefill", "predicted_vs_measured"})
                for (const char* ext : {".svg", ".png", ".pdf"}) {
                    const std::string rel = std::string("plots/") + name + ext;
                    if (std::find(written.begin(), written.end(), rel) == written.end())
                        fs::remove(out / rel, ec);
                }
            fs::remove_all(staging, ec);
        }
    } catch (const fs::filesystem_error& e) {
        cleanUp();
        throw InputError(outDir, 0, "--out", std::string("cannot write the report: ") + e.code().message());
    } catch (...) {
        cleanUp();
        throw;
    }
    step(progress, int(files.size()) + 1, int(files.size()) + 1, "written");
    return written;
}

ReportResult runReport(const ReportData& d, const std::string& outDir, const RunOptions& opt) {
    ReportFigures fig;
    if (opt.renderer) {
        const std::vector<PlotSpec> specs = reportPlots(d);
        fig.plots = renderPlots(*opt.renderer, specs, opt.progress);
        if (opt.renderer->canRenderDocument())
            fig.pdf = opt.renderer->renderDocument(reportDocument(d, specs, fig.plots));
    } else {
        fig.note = opt.noPlotsReason;
    }
    ReportResult r;
    r.files = writeReport(d, fig, outDir, opt.progress);
    r.plotsNote = fig.note;
    r.pdf = fig.pdf.has_value();
    return r;
}

} // namespace rooflab::report
