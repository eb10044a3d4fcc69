// rooflab predict gemm | llm, and the batch interface: rooflab predict --platform P --cases FILE.jsonl
#include "codec/catalog.hpp"
#include "codec/request_codec.hpp"
#include "common.hpp"
#include "engine/predict.hpp"
#include "io/data_paths.hpp"
#include "io/model_loader.hpp"
#include "io/platform_loader.hpp"
#include "io/stack_loader.hpp"
#include "io/validation_status.hpp"
#include "predict_cases.hpp"
#include "registry.hpp"
#include "units/errors.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>

namespace rooflab::cli {
namespace {

struct PredictOptions {
    std::string platform = "h100-sxm5-80gb";
    std::string model = "llama-3.1-8b";
    std::string phase = "decode";
    std::string stack = "pytorch-eager";
    std::string format = "table";
    std::string weights = "bf16", kv = "bf16", act = "bf16", dtype = "bf16", gemmWeights;
    std::string cases;
    std::string scenario; ///< a scenario file (the Request codec's YAML/JSON) to run instead of the options
    int64_t batch = 1, prompt = 512, context = 1024, chunk = 512, chunkOffset = 0, output = 128, cacheLength = 0;
    int64_t m = 4096, n = 4096, k = 4096, gemmBatch = 1;
    int tp = 1, pp = 1, ep = 1, dp = 1, microbatches = 1;
    std::string tpText; ///< --tp as written: a number, or "auto" (the smallest TP whose step fits)
    bool sp = false, overlap = false, noOps = false;
    int threads = 0;
    int cpuThreads = 0; ///< predict llm on a CPU platform: hardware threads used (0 = all)
};

PredictOptions g_opt;

/// The options as a Request, through the codec: the same defaults, ranges and messages as a cases line
/// (keys named as options: '--batch').
bool tpAuto(const PredictOptions& o) {
    return o.tpText == "auto";
}

/// --tp: a whole number, or auto.
int tpOf(const PredictOptions& o) {
    if (o.tpText.empty())
        return o.tp;
    if (tpAuto(o))
        return 1;
    int v = 0;
    const char* e = o.tpText.data() + o.tpText.size();
    auto [p, ec] = std::from_chars(o.tpText.data(), e, v);
    if (ec != std::errc() || p != e || v < 1 || v > ScenarioLimits::kMaxParallel)
        throw InputError("", 0, "--tp", "'" + o.tpText + "' is not a tensor-parallel degree in 1..1024 or 'auto'");
    return v;
}

Request llmRequestFrom(const PredictOptions& o) {
    nlohmann::json j{{"kind", "llm"},
                     {"platform", o.platform},
                     {"model", o.model},
                     {"stack", o.stack},
                     {"phase", o.phase},
                     {"batch", o.batch},
                     {"prompt", o.prompt},
                     {"context", o.context},
                     {"chunk", o.chunk},
                     {"chunk_offset", o.chunkOffset},
                     {"cache_length", o.cacheLength},
                     {"output", o.output},
                     {"tp", tpOf(o)},
                     {"pp", o.pp},
                     {"ep", o.ep},
                     {"dp", o.dp},
                     {"microbatches", o.microbatches},
                     {"sp", o.sp},
                     {"overlap", o.overlap},
                     {"weights", o.weights},
                     {"kv", o.kv},
                     {"act", o.act},
                     {"threads", o.cpuThreads}};
    spec::CodecSource src;
    src.optionSpelling = true;
    Request r = spec::decodeRequest(j, src);
    r.withOps = true;
    return r;
}

Request gemmRequestFrom(const PredictOptions& o) {
    nlohmann::json j{{"kind", "gemm"}, {"platform", o.platform}, {"m", o.m},        {"n", o.n},
                     {"k", o.k},       {"batch", o.gemmBatch},   {"dtype", o.dtype}};
    if (!o.gemmWeights.empty())
        j["weights"] = o.gemmWeights;
    spec::CodecSource src;
    src.optionSpelling = true;
    return spec::decodeRequest(j, src);
}

/// The `confidence:` line under a prediction's title (io/validation_status.hpp).
void printConfidence(const Confidence& c) {
    std::cout << "  confidence: " << c.summary() << "\n";
}

void printStep(const char* title, const Prediction& p, Phase phase, bool ops, const Confidence* conf = nullptr) {
    std::cout << title << "\n";
    if (conf)
        printConfidence(*conf);
    if (!p.ok) {
        std::cout << "  infeasible: " << p.error << "\n";
        return;
    }
    std::cout << "  latency         " << fmtSeconds(p.latencyS) << (phase == Phase::Decode ? " per step" : "") << "\n";
    std::cout << "  throughput      " << fmtNum(p.tokensPerS, 5) << " tokens/s ("
              << (phase == Phase::Decode ? "generated" : "processed") << ", " << p.devices << " device"
              << (p.devices > 1 ? "s" : "") << ")\n";
    std::cout << "  bound           " << p.why << "\n";
    std::cout << "  time by bound   compute " << fmtSeconds(p.computeS) << ", memory " << fmtSeconds(p.memoryS)
              << ", communication " << fmtSeconds(p.commS) << ", overhead " << fmtSeconds(p.overheadS) << "\n";
    const MemoryUse& m = p.memory;
    std::cout << "  memory/device   " << fmtBytes(m.totalBytes) << " of " << fmtBytes(m.capacityBytes) << " (weights "
              << fmtBytes(m.weightsBytes) << ", KV cache " << fmtBytes(m.kvCacheBytes) << ", activations "
              << fmtBytes(m.activationBytes) << ", workspace " << fmtBytes(m.workspaceBytes) << ") — "
              << (m.fits ? (m.beyondPositions ? "fits in memory, but the sequence is longer than the model's " +
                                                    std::to_string(m.maxPositions) + " positions"
                                              : std::string("fits"))
                         : std::string("DOES NOT FIT"))
              << "; max batch " << m.maxBatch << ", max context " << m.maxContext << "\n";
    std::cout << "  energy          " << fmtNum(p.energyJ, 4) << " J per step\n";
    for (const auto& n : p.notes)
        std::cout << "  note: " << n << "\n";
    if (ops) {
        std::cout << "\n";
        printTable(std::cout, opTableHeader(), opTableRows(p));
    }
    std::cout << "\n";
}

// ---------------------------------------------------------------- CSV (machines: SI base units, units in names)

std::vector<std::string> summaryCsvHeader() {
    std::vector<std::string> h = {
        "step",           "platform",   "model",     "stack",       "phase",  "batch",      "prompt",
        "context",        "output",     "tp",        "pp",          "ep",     "dp",         "devices",
        "status",         "error",      "latency_s", "ttft_s",      "tpot_s", "e2e_s",      "tokens_per_s",
        "flops",          "dram_bytes", "compute_s", "memory_s",    "comm_s", "overhead_s", "memory_bytes",
        "capacity_bytes", "fits",       "max_batch", "max_context", "bound",  "energy_j"};
    for (auto& c : report::confidenceCsvColumns())
        h.push_back(std::move(c));
    return h;
}

/// One summary row. `ttft`/`tpot`/`e2e` are NaN where they do not apply (an empty cell); `mem` is the memory the
/// verdict is about (a request's peak).
std::vector<std::string> summaryCsvRow(const std::string& step, const std::string& platform, const std::string& model,
                                       const std::string& stack, const std::string& phase, const Scenario& s,
                                       const Prediction& p, double latency, double ttft, double tpot, double e2e,
                                       double tokensPerS, const MemoryUse& mem, const Confidence& conf) {
    using report::csvNum;
    auto i = [](int64_t v) { return std::to_string(v); };
    const int devices = s.tp * s.pp * s.dp;
    const bool ok = p.ok;
    const std::string status = !ok ? "infeasible" : mem.fits ? "ok" : "does_not_fit";
    auto val = [ok](double v) { return ok ? csvNum(v) : std::string(); };
    std::vector<std::string> row = {step,
                                    platform,
                                    model,
                                    stack,
                                    phase,
                                    i(s.batch),
                                    i(s.prompt),
                                    i(s.context),
                                    i(s.outputTokens),
                                    i(s.tp),
                                    i(s.pp),
                                    i(s.ep),
                                    i(s.dp),
                                    i(ok ? p.devices : devices),
                                    status,
                                    ok ? std::string() : p.error,
                                    val(latency),
                                    val(ttft),
                                    val(tpot),
                                    val(e2e),
                                    val(tokensPerS),
                                    val(p.flops),
                                    val(p.bytes),
                                    val(p.computeS),
                                    val(p.memoryS),
                                    val(p.commS),
                                    val(p.overheadS),
                                    val(mem.totalBytes),
                                    val(mem.capacityBytes),
                                    ok ? (mem.fits ? "true" : "false") : std::string(),
                                    ok ? i(mem.maxBatch) : std::string(),
                                    ok ? i(mem.maxContext) : std::string(),
                                    ok ? std::string(boundName(p.bound)) : std::string(),
                                    val(p.energyJ)};
    for (auto& c : report::confidenceCsvCells(conf))
        row.push_back(std::move(c));
    return row;
}

/// An infeasible prediction is bad input at the CLI: the error names its key ("'tp': 3 does not divide ...").
[[noreturn]] void throwInfeasible(const std::string& error, const std::string& key) {
    const std::string prefix = "'" + key + "': ";
    if (!key.empty() && error.compare(0, prefix.size(), prefix) == 0)
        throw InputError("", 0, key, error.substr(prefix.size()));
    throw InputError("", 0, key, error);
}

/// The 1-based line of a scenario file (YAML or JSON) that sets `key` (`key:` or `"key":`), 0 when none does.
int lineOfKey(const std::string& path, const std::string& key) {
    std::ifstream in(path);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        for (const std::string& form : {"\"" + key + "\"", "'" + key + "'", key}) {
            for (std::size_t at = line.find(form); at != std::string::npos; at = line.find(form, at + 1)) {
                // A whole key: not part of a longer name, followed by optional blanks and a colon.
                const bool startOk = at == 0 || !(std::isalnum(static_cast<unsigned char>(line[at - 1])) ||
                                                  line[at - 1] == '_' || line[at - 1] == '"');
                std::size_t end = at + form.size();
                while (end < line.size() && (line[end] == ' ' || line[end] == '\t'))
                    ++end;
                if (startOk && end < line.size() && line[end] == ':')
                    return n;
            }
        }
    }
    return 0;
}

/// The summary CSV, then (unless `noOps`) one blank line and the operator CSV of every step.
void printLlmCsv(const std::vector<std::vector<std::string>>& summary,
                 const std::vector<std::pair<std::string, const Prediction*>>& steps, bool noOps) {
    printCsv(std::cout, summaryCsvHeader(), summary);
    if (noOps)
        return;
    std::vector<std::vector<std::string>> ops;
    for (const auto& [name, p] : steps) {
        auto rows = report::opCsvRows(*p, name);
        ops.insert(ops.end(), rows.begin(), rows.end());
    }
    std::cout << "\n";
    printCsv(std::cout, report::opCsvHeader(), ops);
}

void runLlm(const PredictOptions& o) {
    const Format fmt = parseFormat(o.format);
    Request req = llmRequestFrom(o);
    io::Catalog cat;
    const PlatformTarget& target = cat.platform(req.platform);
    const Platform& plat = target.hardware;
    if (o.cpuThreads > 0 &&
        (plat.kind != DeviceKind::Cpu || o.cpuThreads > static_cast<int>(std::lround(plat.units()))))
        throw InputError("", 0, "--threads",
                         plat.kind != DeviceKind::Cpu
                             ? "--threads applies to CPU platforms; " + plat.name + " is not one"
                             : "--threads " + std::to_string(o.cpuThreads) + " is outside 1.." +
                                   std::to_string(std::lround(plat.units())) + " (hardware threads of " + plat.name +
                                   ")");
    cat.resolve(req);
    const LlmArch& arch = *req.llm()->arch;
    const StackProfile& stack = *req.llm()->stack;
    if (tpAuto(o)) {
        // The smallest power-of-two TP (times pp, ep, dp as given) whose step, or whole request, fits and runs.
        int found = 0;
        std::string lastWhy;
        for (int tp = 1; tp <= ScenarioLimits::kMaxParallel && !found; tp *= 2) {
            Request probe = req;
            probe.withOps = false;
            probe.scenario.tp = tp;
            if (checkScenarioRanges(probe.scenario))
                break;
            const Result r = predict(target, probe);
            if (r.ok && r.fits)
                found = tp;
            else
                lastWhy = r.ok ? "does not fit at tp " + std::to_string(tp) : r.error;
        }
        if (!found)
            throw InputError("", 0, "--tp",
                             "no tensor-parallel degree up to 1024 runs this scenario (" + lastWhy + ")");
        req.scenario.tp = found;
        std::cerr << "--tp auto: tp " << found << " (the smallest power of two that fits)\n";
    }
    const Scenario& s = req.scenario;
    const Result res = predict(target, req);
    if (!res.step() && !res.request())
        throwInfeasible(res.error, res.errorKey);
    const Confidence conf =
        resolveConfidence(shippedValidationStatus(), plat, &stack,
                          plat.kind == DeviceKind::Cpu ? PredictionScope::CpuLlm : PredictionScope::LlmStep);
    constexpr double kNa = std::numeric_limits<double>::quiet_NaN();
    if (o.phase == "request") {
        const RequestPrediction& r = *res.request();
        if (fmt == Format::Csv) {
            const MemoryUse& peak = r.endMemory;
            MemoryUse verdict = peak;
            verdict.fits = peak.fits && r.prefill.memory.fits;
            printLlmCsv(
                {summaryCsvRow("request", plat.name, arch.name, stack.name, "request", s, r.prefill, r.e2eS, r.ttftS,
                               r.tpotS, r.e2eS, r.tokensPerS, verdict, conf),
                 summaryCsvRow("prefill", plat.name, arch.name, stack.name, "prefill", s, r.prefill, r.prefill.latencyS,
                               r.ttftS, kNa, kNa, r.prefill.tokensPerS, r.prefill.memory, conf),
                 summaryCsvRow("decode_first", plat.name, arch.name, stack.name, "decode", s, r.decodeFirst,
                               r.decodeFirst.latencyS, kNa, r.decodeFirst.latencyS, kNa, r.decodeFirst.tokensPerS,
                               r.decodeFirst.memory, conf)},
                {{"prefill", &r.prefill}, {"decode", &r.decodeFirst}}, o.noOps);
            if (!r.prefill.ok)
                throwInfeasible(r.prefill.error, r.prefill.errorKey);
            return;
        }
        if (fmt == Format::Json) {
            nlohmann::json j{{"platform", plat.name},
                             {"model", arch.name},
                             {"stack", stack.name},
                             {"ttft_s", r.ttftS},
                             {"tpot_s", r.tpotS},
                             {"e2e_s", r.e2eS},
                             {"tokens_per_s", r.tokensPerS},
                             {"energy_per_token_j", r.energyPerTokenJ},
                             {"prefill", predictionJson(r.prefill, !o.noOps)},
                             {"decode_first", predictionJson(r.decodeFirst, !o.noOps)}};
            report::addConfidenceJson(j, conf);
            if (o.cpuThreads > 0)
                j["cpu_threads"] = o.cpuThreads;
            std::cout << j.dump(2) << "\n";
            return;
        }
        std::cout << arch.name << " on " << plat.name << " (" << stack.name << "), batch " << s.batch << ", prompt "
                  << s.prompt << ", output " << s.outputTokens << " tokens";
        if (o.cpuThreads > 0)
            std::cout << ", " << o.cpuThreads << " of " << std::lround(plat.units()) << " hardware threads";
        std::cout << "\n";
        printConfidence(conf);
        if (!r.prefill.ok) {
            std::cout << "infeasible: " << r.prefill.error << "\n";
            throwInfeasible(r.prefill.error, r.prefill.errorKey);
        }
        std::cout << "  TTFT " << fmtSeconds(r.ttftS) << ", TPOT " << fmtSeconds(r.tpotS) << ", end-to-end "
                  << fmtSeconds(r.e2eS) << ", " << fmtNum(r.tokensPerS, 5) << " generated tokens/s, "
                  << fmtNum(r.energyPerTokenJ, 4) << " J/token\n\n";
        printStep("prefill", r.prefill, Phase::Prefill, !o.noOps);
        printStep("first decode step", r.decodeFirst, Phase::Decode, !o.noOps);
        return;
    }
    const Prediction& p = *res.step();
    if (fmt == Format::Json) {
        nlohmann::json j = predictionJson(p, !o.noOps);
        j["platform"] = plat.name;
        j["model"] = arch.name;
        j["stack"] = stack.name;
        j["phase"] = std::string(phaseName(s.phase));
        report::addConfidenceJson(j, conf);
        if (o.cpuThreads > 0)
            j["cpu_threads"] = o.cpuThreads;
        std::cout << j.dump(2) << "\n";
    } else if (fmt == Format::Csv) {
        const std::string ph(phaseName(s.phase));
        const double ttft = s.phase == Phase::Prefill ? p.latencyS : kNa;
        const double tpot = s.phase == Phase::Decode ? p.latencyS : kNa;
        printLlmCsv({summaryCsvRow(ph, plat.name, arch.name, stack.name, ph, s, p, p.latencyS, ttft, tpot, kNa,
                                   p.tokensPerS, p.memory, conf)},
                    {{ph, &p}}, o.noOps);
    } else {
        std::string title = arch.name + " on " + plat.name + " (" + stack.name +
                            "): " + std::string(phaseName(s.phase)) + ", batch " + std::to_string(s.batch);
        title += s.phase == Phase::Prefill ? ", prompt " + std::to_string(s.prompt)
                                           : ", context " + std::to_string(s.context);
        if (s.tp * s.pp * s.ep * s.dp > 1)
            title += ", tp " + std::to_string(s.tp) + " pp " + std::to_string(s.pp) + " ep " + std::to_string(s.ep) +
                     " dp " + std::to_string(s.dp);
        title += ", weights " + o.weights + " kv " + o.kv + " act " + o.act;
        if (o.cpuThreads > 0)
            title += ", " + std::to_string(o.cpuThreads) + " of " + std::to_string(std::lround(plat.units())) +
                     " hardware threads";
        printStep(title.c_str(), p, s.phase, !o.noOps, &conf);
    }
    if (!p.ok)
        throwInfeasible(p.error, p.errorKey);
}

void runGemm(const PredictOptions& o) {
    const Format fmt = parseFormat(o.format);
    const Request req = gemmRequestFrom(o);
    io::Catalog cat;
    const PlatformTarget& target = cat.platform(req.platform);
    const Platform& plat = target.hardware;
    const PlatformModel& pm = target.model;
    const Result res = predict(target, req);
    if (!res.ok)
        throwInfeasible(res.error, res.errorKey);
    const GemmCase& g = std::get<GemmWork>(req.workload).gemm;
    const DType t = g.dtype, w = g.weightType;
    const bool fell = res.gemm()->fellBack;
    const DType ct = res.gemm()->computeType;
    const OpResult& r = res.gemm()->op;
    const Confidence conf = resolveConfidence(shippedValidationStatus(), plat, nullptr, PredictionScope::Kernel);
    if (fmt == Format::Json) {
        nlohmann::json j = opJson(r);
        j["platform"] = plat.name;
        j["flop_per_s"] = r.timeS > 0 ? r.flops / r.timeS : 0;
        j["latency_s"] = r.timeS;
        j["fallback"] = fell;
        report::addConfidenceJson(j, conf);
        std::cout << j.dump(2) << "\n";
        return;
    }
    if (fmt == Format::Csv) {
        std::vector<std::string> header{"m",     "n",          "k",        "dtype", "latency_s",
                                        "flops", "dram_bytes", "l2_bytes", "bound"};
        std::vector<std::string> row{std::to_string(g.m),
                                     std::to_string(g.n),
                                     std::to_string(g.k),
                                     std::string(dtypeName(ct)),
                                     report::csvNum(r.timeS),
                                     report::csvNum(r.flops),
                                     report::csvNum(r.bytes[kDram]),
                                     report::csvNum(r.bytes[kL2]),
                                     std::string(boundName(r.bound))};
        for (auto& c : report::confidenceCsvColumns())
            header.push_back(std::move(c));
        for (auto& c : report::confidenceCsvCells(conf))
            row.push_back(std::move(c));
        printCsv(std::cout, header, {row});
        return;
    }
    std::cout << "GEMM " << o.m << " x " << o.n << " x " << o.k << " (" << dtypeName(t)
              << (w != t ? ", weights " + std::string(dtypeName(w)) : "") << ") on " << plat.name << "\n";
    printConfidence(conf);
    if (fell)
        std::cout << "  note: no " << dtypeName(t) << " tensor path on this platform; runs in " << dtypeName(ct)
                  << "\n";
    std::cout << "  time         " << fmtSeconds(r.timeS) << "  (" << fmtFlops(r.timeS > 0 ? r.flops / r.timeS : 0)
              << "/s achieved)\n";
    std::cout << "  flops        " << fmtFlops(r.flops) << "\n";
    std::cout << "  bytes        DRAM " << fmtBytes(r.bytes[kDram]) << ", L2 " << fmtBytes(r.bytes[kL2]) << ", L1 "
              << fmtBytes(r.bytes[kL1]) << "\n";
    std::cout << "  roofs        compute " << fmtSeconds(r.computeS) << ", DRAM " << fmtSeconds(r.memoryS[kDram])
              << ", L2 " << fmtSeconds(r.memoryS[kL2]) << ", fixed " << fmtSeconds(r.overheadS) << "\n";
    const double intensity = r.bytes[kDram] > 0 ? r.flops / r.bytes[kDram] : 0;
    const double ridge = pm.tensorPeak[static_cast<std::size_t>(ct)] / std::max(pm.bandwidth[kDram], 1.0);
    std::cout << "  bound        " << boundName(r.bound) << " (arithmetic intensity " << fmtNum(intensity, 4)
              << " flop/B; ridge point " << fmtNum(ridge, 4) << " flop/B)\n";
}

/// `rooflab predict --scenario FILE`: the file's request through the same code paths as the options (so the
/// output is the same as `predict llm|gemm` with those options). `platformGiven`: --platform overrides the file.
int runScenario(PredictOptions o, bool platformGiven) {
    Request r = spec::loadRequestFile(o.scenario);
    // A relative model or platform path means "beside the scenario file" when such a file is there (as the GUI).
    const std::filesystem::path dir = std::filesystem::path(o.scenario).parent_path();
    auto besideFile = [&dir](std::string& name) {
        if (!name.empty() && std::filesystem::path(name).is_relative() && std::filesystem::exists(dir / name))
            name = (dir / name).string();
    };
    besideFile(r.platform);
    if (!r.platform.empty() && !platformGiven)
        o.platform = r.platform;
    if (const LlmTarget* t = r.llm()) {
        std::string model = t->model;
        besideFile(model);
        const Scenario& s = r.scenario;
        o.model = model;
        o.stack = t->stackName;
        o.phase = std::holds_alternative<LlmRequest>(r.workload) ? "request" : std::string(phaseName(s.phase));
        o.batch = s.batch;
        o.prompt = s.prompt;
        o.context = s.context;
        o.chunk = s.chunk;
        o.chunkOffset = s.chunkOffset;
        o.cacheLength = s.cacheLength;
        o.output = s.outputTokens;
        o.tp = s.tp;
        o.tpText.clear();
        o.pp = s.pp;
        o.ep = s.ep;
        o.dp = s.dp;
        o.microbatches = s.microbatches;
        o.sp = s.sequenceParallel;
        o.overlap = s.overlapComm;
        o.weights = std::string(dtypeName(s.weights));
        o.kv = std::string(dtypeName(s.kv));
        o.act = std::string(dtypeName(s.act));
        o.cpuThreads = r.cpuThreads;
        try {
            runLlm(o);
        } catch (const InputError& e) {
            // An infeasible layout is the file's fault: name the file and the line of the key (issue 20).
            if (!e.file().empty() || e.key().empty() || e.key().front() == '-')
                throw;
            throw InputError(o.scenario, lineOfKey(o.scenario, e.key()), e.key(), e.message());
        }
        return 0;
    }
    if (const auto* g = std::get_if<GemmWork>(&r.workload)) {
        o.m = g->gemm.m;
        o.n = g->gemm.n;
        o.k = g->gemm.k;
        o.gemmBatch = g->gemm.batch;
        o.dtype = std::string(dtypeName(g->gemm.dtype));
        if (g->gemm.weightType != g->gemm.dtype)
            o.gemmWeights = std::string(dtypeName(g->gemm.weightType));
        runGemm(o);
        return 0;
    }
    // CPU kernels: the cases result line, pretty-printed.
    r.platform = o.platform;
    io::Catalog cat;
    const PlatformTarget& target = cat.platform(r.platform);
    const Result res = predict(target, r);
    std::cout << spec::encodeResult(r, res).dump(2) << "\n";
    return res.ok ? 0 : 2;
}

void addPredict(CLI::App& root, int& exitCode) {
    CLI::App* pr = root.add_subcommand("predict", "Predict time, throughput, memory and the binding roof");
    PredictOptions& o = g_opt;
    CLI::Option* platformOpt = pr->add_option("--platform", o.platform, "platform name or file")->capture_default_str();
    pr->add_option("--cases", o.cases, "JSON-lines cases to evaluate ('-' = stdin); writes one JSON line per case");
    pr->add_option("--scenario", o.scenario,
                   "a scenario file (YAML or JSON with the keys of a --cases line; the GUI's File > Save scenario) to "
                   "predict headless; --platform overrides the file's platform");
    pr->add_option("--threads", o.threads, "threads for --cases (0 = all cores)");
    pr->add_option("--format", o.format, "--scenario: table, json or csv");
    pr->add_flag("--no-ops", o.noOps, "--scenario: omit the per-operator table");
    pr->require_subcommand(0, 1);
    pr->callback([pr, platformOpt, &exitCode]() {
        if (pr->get_subcommands().empty()) {
            if (!g_opt.scenario.empty() && !g_opt.cases.empty())
                throw InputError("", 0, "--scenario", "give --scenario FILE or --cases FILE, not both");
            if (!g_opt.scenario.empty()) {
                exitCode = runScenario(g_opt, platformOpt->count() > 0);
                return;
            }
            if (g_opt.cases.empty())
                throw InputError("", 0, "predict",
                                 "name a subcommand (gemm, llm) or give --scenario FILE or --cases FILE");
            exitCode = runCases(g_opt.platform, g_opt.cases, g_opt.threads, std::cout);
        }
    });

    CLI::App* g = pr->add_subcommand("gemm", "Predict one GEMM: C[m,n] = A[m,k] B[k,n]");
    g->add_option("--platform", o.platform, "platform name or file");
    g->add_option("--m", o.m, "rows of A and C")->capture_default_str();
    g->add_option("--n", o.n, "columns of B and C")->capture_default_str();
    g->add_option("--k", o.k, "inner dimension")->capture_default_str();
    g->add_option("--batch", o.gemmBatch, "independent products (batched GEMM)");
    g->add_option("--dtype", o.dtype, "input datatype")->capture_default_str();
    g->add_option("--weights", o.gemmWeights, "B's storage datatype (weight-only quantization)");
    g->add_option("--format", o.format, "table, json or csv")->capture_default_str();
    g->callback([]() { runGemm(g_opt); });

    CLI::App* l = pr->add_subcommand("llm", "Predict an LLM prefill, decode or chunked step, or a whole request");
    l->add_option("--platform", o.platform, "platform name or file")->capture_default_str();
    l->add_option("--model", o.model, "preset name or path to config.json / YAML")->capture_default_str();
    l->add_option("--phase", o.phase, "prefill, decode, chunked or request")->capture_default_str();
    l->add_option("--batch", o.batch, "sequences in the step")->capture_default_str();
    l->add_option("--prompt", o.prompt, "prompt tokens per sequence (prefill, request)")->capture_default_str();
    l->add_option("--context", o.context, "tokens already cached per sequence (decode, chunked)")
        ->capture_default_str();
    l->add_option("--chunk", o.chunk, "prefill tokens in a chunked step")->capture_default_str();
    l->add_option("--chunk-offset", o.chunkOffset, "tokens of the chunked prompt already cached");
    l->add_option("--cache-length", o.cacheLength,
                  "decode: slots of a static KV cache per sequence (transformers' max_cache_len); a stack that attends "
                  "over its whole static cache (hf-transformers) reads them all; 0: context + 1");
    l->add_option("--output", o.output, "generated tokens (request)")->capture_default_str();
    l->add_option("--tp", o.tpText, "tensor parallelism: a degree, or auto (the smallest power of two that fits)");
    l->add_option("--pp", o.pp, "pipeline stages");
    l->add_option("--ep", o.ep, "expert parallelism (divides tp)");
    l->add_option("--dp", o.dp, "data-parallel replicas");
    l->add_option("--microbatches", o.microbatches, "pipeline micro-batches");
    l->add_flag("--sp", o.sp, "sequence parallelism (reduce-scatter/all-gather instead of all-reduce)");
    l->add_flag("--overlap", o.overlap, "overlap communication with GEMMs");
    l->add_option("--weights", o.weights, "weight datatype")->capture_default_str();
    l->add_option("--kv", o.kv, "KV-cache datatype")->capture_default_str();
    l->add_option("--act", o.act, "activation datatype")->capture_default_str();
    l->add_option("--stack", o.stack, "stack profile: the framework that runs the model (rooflab stacks list)")
        ->capture_default_str();
    l->add_option("--format", o.format,
                  "table, json or csv (csv: a summary table in SI base units, then, unless --no-ops, a blank line and "
                  "the operator table)")
        ->capture_default_str();
    l->add_flag("--no-ops", o.noOps, "omit the per-operator table (all formats)");
    l->add_option("--threads", o.cpuThreads,
                  "CPU platforms: hardware threads the inference runs on (default: all); compute and bandwidth roofs "
                  "scale as in the CPU kernel model");
    l->callback([]() { runLlm(g_opt); });
}

} // namespace
ROOFLAB_REGISTER_COMMAND("predict", addPredict);
} // namespace rooflab::cli
