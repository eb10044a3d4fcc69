// rooflab report: the main job. Predicts prefill, decode and a whole request for a model on a platform, prints
// the result and writes a report folder: Markdown, JSON, CSV tables and sweeps, and a self-contained HTML page with
// the plots embedded. The CLI links no Qt: the plots (PNG) and the PDF come from `rooflab-gui --report DIR`
// (offscreen, the workbench's own QCustomPlot code), found next to this executable or on PATH. Without it the page
// says why the plots are missing; the report never fails for that.
#include "calibration/validation.hpp"
#include "common.hpp"
#include "units/errors.hpp"
#include "io/data_paths.hpp"
#include "io/model_loader.hpp"
#include "io/platform_loader.hpp"
#include "io/stack_loader.hpp"
#include "io/yaml_util.hpp"
#include "registry.hpp"
#include "units/quantity.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

extern char** environ;

namespace rooflab::cli {
namespace {

struct ReportOptions {
    std::string platform = "h100-sxm5-80gb", model = "llama-3.1-8b", stack = "pytorch-eager", out = "rooflab-report";
    int64_t batch = 8, prompt = 2048, context = 0, output = 256;
    int tp = 1;
    std::string weights = "bf16", kv = "bf16";
    std::string measurements; ///< end-to-end dataset CSV: predicted vs measured with error statistics
    std::string gui;          ///< rooflab-gui to render plots with (default: next to rooflab, then PATH)
    std::string scenario;     ///< YAML scenario file; options given on the command line override it
    bool noPlots = false;
    bool quiet = false;
};
ReportOptions g_rep;
CLI::App* g_repApp = nullptr;

/// @brief Reads a scenario file (keys platform, model, stack, batch, prompt, context, output, tp, weights, kv) into
/// `o`, skipping the options set on the command line. Errors name file, line and key.
void applyScenarioFile(ReportOptions& o, const CLI::App& app) {
    const YAML::Node root = io::loadYamlFile(o.scenario);
    if (!root.IsMap())
        throw InputError(o.scenario, io::lineOf(root), "", "a scenario file is a mapping (batch: 8, prompt: 2048, ...)");
    io::MapReader r(root, o.scenario, "");
    auto given = [&](const char* opt) { return app.count(opt) > 0; };
    auto text = [&](const char* key, std::string& dest) {
        if (r.has(key) && !given(("--" + std::string(key)).c_str()))
            dest = r.requiredString(key);
        else
            r.ignore({key});
    };
    auto integer = [&](const char* key, auto& dest, long long lo, long long hi) {
        if (r.has(key) && !given(("--" + std::string(key)).c_str()))
            dest = static_cast<std::decay_t<decltype(dest)>>(r.requiredInt(key, lo, hi));
        else
            r.ignore({key});
    };
    text("platform", o.platform);
    text("model", o.model);
    text("stack", o.stack);
    text("weights", o.weights);
    text("kv", o.kv);
    constexpr long long kMax = 1LL << 32;
    integer("batch", o.batch, 1, kMax);
    integer("prompt", o.prompt, 1, kMax);
    integer("context", o.context, 0, kMax);
    integer("output", o.output, 1, kMax);
    integer("tp", o.tp, 1, 1 << 16);
    r.ignore({"version", "description"});
    r.finish();
}

void writeFile(const std::filesystem::path& p, const std::string& text) {
    const auto tmp = p.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out)
            throw InputError(p.string(), 0, "", "cannot write report file");
        out << text;
        if (!out.flush())
            throw InputError(p.string(), 0, "", "write failed");
    }
    std::filesystem::rename(tmp, p);
}

std::string csvOf(const std::vector<std::string>& h, const std::vector<std::vector<std::string>>& rows) {
    std::ostringstream os;
    printCsv(os, h, rows);
    return os.str();
}

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

std::string htmlEscape(const std::string& s) {
    std::string o;
    o.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '&': o += "&amp;"; break;
        case '<': o += "&lt;"; break;
        case '>': o += "&gt;"; break;
        case '"': o += "&quot;"; break;
        default: o += c;
        }
    }
    return o;
}

std::string htmlTable(const std::vector<std::string>& h, const std::vector<std::vector<std::string>>& rows) {
    std::ostringstream os;
    os << "<table>\n<tr>";
    for (const auto& c : h)
        os << "<th>" << htmlEscape(c) << "</th>";
    os << "</tr>\n";
    for (const auto& r : rows) {
        os << "<tr>";
        for (const auto& c : r)
            os << "<td>" << htmlEscape(c) << "</td>";
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
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = (unsigned(static_cast<unsigned char>(in[i])) << 16) |
                           (unsigned(static_cast<unsigned char>(in[i + 1])) << 8) | unsigned(static_cast<unsigned char>(in[i + 2]));
        out += t[(v >> 18) & 63];
        out += t[(v >> 12) & 63];
        out += t[(v >> 6) & 63];
        out += t[v & 63];
    }
    if (i < in.size()) {
        unsigned v = unsigned(static_cast<unsigned char>(in[i])) << 16;
        if (i + 1 < in.size())
            v |= unsigned(static_cast<unsigned char>(in[i + 1])) << 8;
        out += t[(v >> 18) & 63];
        out += t[(v >> 12) & 63];
        out += i + 1 < in.size() ? t[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::string readFile(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::ostringstream os;
    os << f.rdbuf();
    return os.str();
}

/// The path under the data folder it was found in ("platforms/h100-sxm5-80gb.yaml"), else as given: keeps the
/// report identical wherever the data lives.
std::string displayPath(const std::string& file) {
    namespace fs = std::filesystem;
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

/// rooflab-gui: --gui, else next to this executable (build tree: ../gui/rooflab-gui), else on PATH.
std::string findGui(const std::string& given, std::string& why) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!given.empty()) {
        if (access(given.c_str(), X_OK) == 0)
            return given;
        why = "--gui " + given + " is not an executable file";
        return "";
    }
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        for (const fs::path& c : {self.parent_path() / "rooflab-gui", self.parent_path() / ".." / "gui" / "rooflab-gui"})
            if (access(c.c_str(), X_OK) == 0)
                return c.lexically_normal().string();
    }
    if (const char* path = std::getenv("PATH")) {
        std::stringstream ss(path);
        std::string dir;
        while (std::getline(ss, dir, ':'))
            if (!dir.empty() && access((fs::path(dir) / "rooflab-gui").c_str(), X_OK) == 0)
                return (fs::path(dir) / "rooflab-gui").string();
    }
    why = "rooflab-gui was not found next to rooflab or on PATH (the CLI links no Qt; build with ROOFLAB_GUI=ON, or "
          "pass --gui PATH)";
    return "";
}

/// Runs `argv` with QT_QPA_PLATFORM=offscreen, stdout and stderr to `log`. Returns the exit status (-1: not run).
int runOffscreen(const std::vector<std::string>& argv, const std::string& log, std::string& why) {
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e)
        if (std::string_view(*e).rfind("QT_QPA_PLATFORM=", 0) != 0)
            env.emplace_back(*e);
    env.emplace_back("QT_QPA_PLATFORM=offscreen");
    std::vector<char*> a, en;
    for (const auto& s : argv)
        a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    for (const auto& s : env)
        en.push_back(const_cast<char*>(s.c_str()));
    en.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, a[0], &fa, nullptr, a.data(), en.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        why = "could not start " + argv[0] + ": " + std::strerror(rc);
        return -1;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            why = "waiting for " + argv[0] + " failed";
            return -1;
        }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    why = argv[0] + " was killed by signal " + std::to_string(WTERMSIG(status));
    return -1;
}

void runReport(ReportOptions& o) {
    namespace fs = std::filesystem;
    if (!o.scenario.empty())
        applyScenarioFile(o, *g_repApp);
    const Platform plat = io::loadPlatformFile(io::findPlatformFile(o.platform));
    const PlatformModel pm = PlatformModel::from(plat);
    const LlmArch arch = io::loadModel(o.model);
    const StackProfile stack = io::loadStack(o.stack);
    Scenario s;
    s.batch = o.batch;
    s.prompt = o.prompt;
    s.context = o.context > 0 ? o.context : o.prompt;
    s.outputTokens = o.output;
    s.tp = o.tp;
    s.weights = parseDTypeOption(o.weights, "--weights");
    s.kv = parseDTypeOption(o.kv, "--kv");
    const RequestPrediction req = predictRequest(pm, arch, stack, s);
    if (!req.prefill.ok)
        throw InputError("", 0, "", req.prefill.error);
    Scenario dec = s;
    dec.phase = Phase::Decode;
    const Prediction decode = predictStep(pm, arch, stack, dec);
    const double energyPerRequestJ = req.energyPerTokenJ * double(s.outputTokens);
    const double decodeJPerToken = decode.tokens > 0 ? decode.energyJ / decode.tokens : 0;
    const double prefillJPerToken = req.prefill.tokens > 0 ? req.prefill.energyJ / req.prefill.tokens : 0;

    // Sweeps: batch at fixed context, context at fixed batch.
    std::vector<std::vector<std::string>> batchRows, ctxRows;
    for (int64_t b = 1; b <= 1024; b *= 2) {
        Scenario x = dec;
        x.batch = b;
        const Prediction p = predictStep(pm, arch, stack, x, false);
        Scenario y = s;
        y.phase = Phase::Prefill;
        y.batch = b;
        const Prediction q = predictStep(pm, arch, stack, y, false);
        batchRows.push_back({std::to_string(b), fmtNum(p.latencyS, 6), fmtNum(p.tokensPerS, 6), fmtNum(q.latencyS, 6),
                             fmtNum(q.tokensPerS, 6), fmtNum(p.memory.totalBytes, 6), p.memory.fits ? "true" : "false",
                             std::string(boundName(p.bound)), fmtNum(p.tokens > 0 ? p.energyJ / p.tokens : 0, 4)});
    }
    for (int64_t c = 256; c <= 131072; c *= 2) {
        Scenario x = dec;
        x.context = c;
        const Prediction p = predictStep(pm, arch, stack, x, false);
        ctxRows.push_back({std::to_string(c), fmtNum(p.latencyS, 6), fmtNum(p.tokensPerS, 6),
                           fmtNum(p.memory.totalBytes, 6), p.memory.fits ? "true" : "false",
                           std::string(boundName(p.bound)), fmtNum(p.tokens > 0 ? p.energyJ / p.tokens : 0, 4)});
    }
    const std::vector<std::string> batchHeader = {"batch", "decode_step_s", "decode_tokens_per_s", "prefill_s",
                                                  "prefill_tokens_per_s", "decode_memory_bytes", "fits", "decode_bound",
                                                  "decode_energy_per_token_j"};
    const std::vector<std::string> ctxHeader = {"context", "decode_step_s", "decode_tokens_per_s", "memory_bytes", "fits",
                                                "bound", "energy_per_token_j"};

    // Predicted vs measured.
    std::optional<ValidationReport> val;
    if (!o.measurements.empty()) {
        const io::CsvTable table = io::loadCsvFile(o.measurements);
        const fs::path dsDir = fs::path(o.measurements).parent_path();
        std::map<std::string, std::unique_ptr<LlmArch>> models;
        std::map<std::string, std::unique_ptr<StackProfile>> stacks;
        val = validateDataset(
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
                    st = std::make_unique<StackProfile>(io::loadStack(n.empty() ? o.stack : n));
                return *st;
            });
    }

    // Console summary.
    if (!o.quiet) {
        std::cout << "rooflab: " << arch.name << " on " << plat.name << " (" << stack.name << ", tp " << s.tp
                  << ", weights " << o.weights << ")\n";
        std::cout << "  request: batch " << s.batch << ", prompt " << s.prompt << ", " << s.outputTokens
                  << " output tokens\n";
        std::cout << "  prefill  " << fmtSeconds(req.ttftS) << " (TTFT)   " << fmtNum(req.prefill.tokensPerS, 5)
                  << " tokens/s   " << req.prefill.why << "\n";
        std::cout << "  decode   " << fmtSeconds(decode.latencyS) << " per step at context " << dec.context << "   "
                  << fmtNum(decode.tokensPerS, 5) << " tokens/s   " << decode.why << "\n";
        std::cout << "  request  TPOT " << fmtSeconds(req.tpotS) << ", end-to-end " << fmtSeconds(req.e2eS) << ", "
                  << fmtNum(req.tokensPerS, 5) << " generated tokens/s, " << fmtNum(req.energyPerTokenJ, 3)
                  << " J/token, " << fmtNum(energyPerRequestJ, 4) << " J/request\n";
        std::cout << "  memory   " << fmtBytes(decode.memory.totalBytes) << " of " << fmtBytes(decode.memory.capacityBytes)
                  << " per device (" << (decode.memory.fits ? "fits" : "does not fit") << "; max batch "
                  << decode.memory.maxBatch << ")\n";
        if (val)
            std::cout << "  measured " << val->overall.n << " rows: MAPE " << fmtNum(val->overall.mapePct, 3)
                      << "%, bias " << fmtNum(val->overall.biasPct, 3) << "%, max " << fmtNum(val->overall.maxAbsPct, 3)
                      << "%\n";
    }

    const fs::path dir(o.out);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        throw InputError(o.out, 0, "--out", "cannot create report folder: " + ec.message());

    // Platform summary: the roofs the engine uses, each with the provenance of the file value.
    auto sourceOf = [&](const Value& v) -> std::string {
        if (!v.present)
            return "engine default";
        auto it = plat.sources.find(v.source);
        return it == plat.sources.end() ? v.source : v.source + " (" + std::string(sourceKindName(it->second.kind)) + ")";
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
    platRows.push_back({"TDP / idle power", fmtNum(pm.tdpW, 4) + " W / " + fmtNum(pm.idleW, 4) + " W",
                        sourceOf(plat.power.tdpW)});
    std::vector<std::vector<std::string>> srcRows;
    for (const auto& [id, so] : plat.sources)
        srcRows.push_back({id, std::string(sourceKindName(so.kind)), so.citation.empty() ? so.tool + " " + so.date : so.citation});
    const std::vector<std::vector<std::string>> workRows = {
        {"model", arch.name + (arch.source.empty() ? "" : " (" + arch.source + ")")},
        {"type", arch.modelType},
        {"parameters (total / active per token)", fmtNum(arch.totalParams() / 1e9, 4) + " B / " + fmtNum(arch.activeParams() / 1e9, 4) + " B"},
        {"layers, hidden, heads / KV heads", std::to_string(arch.numLayers) + ", " + std::to_string(arch.hiddenSize) + ", " +
                                                 std::to_string(arch.numHeads) + " / " + std::to_string(arch.numKvHeads)},
        {"weights at " + o.weights, fmtBytes(weightBytes(arch.totalParams(), s.weights))},
        {"KV cache per token at " + o.kv, fmtBytes(arch.kvElementsPerToken() * bytesPerElement(s.kv))},
        {"stack", stack.name},
        {"scenario", "batch " + std::to_string(s.batch) + ", prompt " + std::to_string(s.prompt) + ", decode context " +
                         std::to_string(dec.context) + ", output " + std::to_string(s.outputTokens) + ", TP " +
                         std::to_string(s.tp)}};
    const std::vector<std::vector<std::string>> reqRows = {
        {"TTFT", fmtSeconds(req.ttftS)},
        {"TPOT (mean over generated tokens)", fmtSeconds(req.tpotS)},
        {"end-to-end", fmtSeconds(req.e2eS)},
        {"generated tokens/s", fmtNum(req.tokensPerS, 5)},
        {"energy per generated token (request)", fmtNum(req.energyPerTokenJ, 4) + " J"},
        {"energy per request", fmtNum(energyPerRequestJ, 4) + " J"},
        {"prefill energy per prompt token", fmtNum(prefillJPerToken, 4) + " J"},
        {"decode energy per token (step at context " + std::to_string(dec.context) + ")", fmtNum(decodeJPerToken, 4) + " J"}};
    const std::vector<std::vector<std::string>> memRows = {
        {"weights", fmtBytes(decode.memory.weightsBytes)},
        {"KV cache", fmtBytes(decode.memory.kvCacheBytes)},
        {"activations", fmtBytes(decode.memory.activationBytes)},
        {"workspace", fmtBytes(decode.memory.workspaceBytes)},
        {"total", fmtBytes(decode.memory.totalBytes)},
        {"capacity", fmtBytes(decode.memory.capacityBytes)},
        {"used", fmtNum(decode.memory.capacityBytes > 0 ? 100.0 * decode.memory.totalBytes / decode.memory.capacityBytes : 0, 3) + "%" +
                     (decode.memory.fits ? " (fits)" : " (does not fit)")},
        {"largest batch at this context", std::to_string(decode.memory.maxBatch)},
        {"largest context at this batch", std::to_string(decode.memory.maxContext)}};
    const std::vector<std::string> valHeader = {"group", "value", "rows", "MAPE", "bias", "max |error|", "within 10%"};
    std::vector<std::vector<std::string>> valRows, valDetail;
    if (val) {
        auto statRow = [](const std::string& g, const std::string& v, const ErrorStats& st) {
            return std::vector<std::string>{g, v, std::to_string(st.n), fmtNum(st.mapePct, 3) + "%",
                                            fmtNum(st.biasPct, 3) + "%", fmtNum(st.maxAbsPct, 3) + "%",
                                            fmtNum(st.within10Pct, 3) + "%"};
        };
        valRows.push_back(statRow("all", "", val->overall));
        for (const auto& [k, byV] : val->breakdown)
            for (const auto& [v, st] : byV)
                valRows.push_back(statRow(k, v, st));
        for (const auto& r : val->rows)
            valDetail.push_back({r.id, fmtNum(r.measuredS, 6), fmtNum(r.predictedS, 6), fmtNum(r.errorPct, 4), r.error});
    }
    const std::vector<std::string> valDetailHeader = {"id", "measured_s", "predicted_s", "error_pct", "error"};

    nlohmann::json j{{"rooflab_version", ROOFLAB_VERSION},
                     {"platform", plat.name},
                     {"platform_file", displayPath(plat.file)},
                     {"model", arch.name},
                     {"stack", stack.name},
                     {"scenario", {{"batch", s.batch}, {"prompt", s.prompt}, {"context", dec.context},
                                   {"output", s.outputTokens}, {"tp", s.tp}, {"weights", o.weights}, {"kv", o.kv}}},
                     {"request", {{"ttft_s", req.ttftS}, {"tpot_s", req.tpotS}, {"e2e_s", req.e2eS},
                                  {"tokens_per_s", req.tokensPerS}, {"energy_per_token_j", req.energyPerTokenJ},
                                  {"energy_per_request_j", energyPerRequestJ}}},
                     {"prefill", predictionJson(req.prefill, true)},
                     {"decode", predictionJson(decode, true)}};
    j["prefill"]["energy_per_token_j"] = prefillJPerToken;
    j["decode"]["energy_per_token_j"] = decodeJPerToken;
    if (val) {
        const auto& st = val->overall;
        j["measurements"] = {{"dataset", displayPath(o.measurements)}, {"kind", val->kind}, {"rows", st.n},
                             {"failed", val->failed}, {"mape_pct", st.mapePct}, {"bias_pct", st.biasPct},
                             {"max_abs_pct", st.maxAbsPct}, {"within_10_pct", st.within10Pct},
                             {"within_25_pct", st.within25Pct}};
    }
    writeFile(dir / "prediction.json", j.dump(2) + "\n");
    writeFile(dir / "prefill_operators.csv", csvOf(opTableHeader(), opTableRows(req.prefill)));
    writeFile(dir / "decode_operators.csv", csvOf(opTableHeader(), opTableRows(decode)));
    writeFile(dir / "batch_sweep.csv", csvOf(batchHeader, batchRows));
    writeFile(dir / "context_sweep.csv", csvOf(ctxHeader, ctxRows));
    if (val)
        writeFile(dir / "measurements.csv", csvOf(valDetailHeader, valDetail));

    const std::string title = "rooflab report: " + arch.name + " on " + plat.name;
    std::ostringstream md;
    md << "# " << title << "\n\n";
    md << "Stack `" << stack.name << "`, TP " << s.tp << ", weights " << o.weights << ", KV " << o.kv << ". Platform file `"
       << displayPath(plat.file) << "`.\n\n";
    md << "## Platform\n\n" << tableOf({"value", "", "provenance"}, platRows);
    md << "\n## Workload\n\n" << tableOf({"", ""}, workRows);
    md << "\n## Request (batch " << s.batch << ", prompt " << s.prompt << ", " << s.outputTokens << " output tokens)\n\n";
    md << tableOf({"metric", "value"}, reqRows);
    md << "\n## Prefill\n\n" << req.prefill.why << "\n\n" << tableOf(opTableHeader(), opTableRows(req.prefill));
    md << "\n## Decode step (context " << dec.context << ")\n\n" << decode.why << "\n\n"
       << tableOf(opTableHeader(), opTableRows(decode));
    md << "\n## Memory per device\n\n" << tableOf({"part", "bytes"}, memRows);
    md << "\n## Latency and throughput vs batch\n\n" << tableOf(batchHeader, batchRows);
    md << "\n## Decode vs context (batch " << s.batch << ")\n\n" << tableOf(ctxHeader, ctxRows);
    if (val)
        md << "\n## Predicted vs measured (`" << displayPath(o.measurements) << "`)\n\n" << tableOf(valHeader, valRows);
    md << "\n## Platform provenance\n\n" << tableOf({"source", "kind", "what"}, srcRows);
    writeFile(dir / "report.md", md.str());

    // Plots from the GUI, offscreen.
    std::string plotsWhy;
    std::vector<std::string> pngs;
    if (o.noPlots) {
        plotsWhy = "plots were not requested (--no-plots)";
    } else {
        const std::string gui = findGui(o.gui, plotsWhy);
        if (!gui.empty()) {
            const fs::path plots = dir / "plots";
            fs::create_directories(plots, ec);
            std::vector<std::string> argv = {gui, "--report", plots.string(), "--platform", o.platform, "--model",
                                             o.model, "--stack", o.stack, "--batch", std::to_string(s.batch),
                                             "--prompt", std::to_string(s.prompt), "--context", std::to_string(dec.context),
                                             "--output", std::to_string(s.outputTokens), "--tp", std::to_string(s.tp),
                                             "--weights", o.weights, "--kv", o.kv};
            if (!o.measurements.empty()) {
                argv.push_back("--measurements");
                argv.push_back(o.measurements);
            }
            const std::string log = (plots / "render.log").string();
            const int rc = runOffscreen(argv, log, plotsWhy);
            if (rc != 0 && plotsWhy.empty())
                plotsWhy = gui + " --report failed (exit " + std::to_string(rc) + "): " + readFile(log);
            if (rc == 0) {
                fs::remove(log, ec);
                for (const char* name : {"roofline.png", "roofline_prefill.png", "latency_vs_batch.png",
                                         "latency_vs_context.png", "breakdown.png", "breakdown_prefill.png",
                                         "predicted_vs_measured.png"})
                    if (fs::is_regular_file(plots / name, ec))
                        pngs.push_back(name);
                if (fs::is_regular_file(plots / "report.pdf", ec))
                    fs::rename(plots / "report.pdf", dir / "report.pdf", ec);
            }
        }
    }

    // The self-contained page.
    std::ostringstream h;
    auto img = [&](const std::string& name, const std::string& caption) {
        if (std::find(pngs.begin(), pngs.end(), name) == pngs.end())
            return;
        h << "<figure><img alt=\"" << htmlEscape(caption) << "\" src=\"data:image/png;base64,"
          << base64(readFile(dir / "plots" / name)) << "\"><figcaption>" << htmlEscape(caption) << "</figcaption></figure>\n";
    };
    h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << htmlEscape(title)
      << "</title>\n<style>body{font-family:sans-serif;max-width:1250px;margin:2em auto;color:#222}"
         "table{border-collapse:collapse;margin:.5em 0;font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px;"
         "text-align:right}td:first-child,th:first-child{text-align:left}th{background:#f0f0f0}"
         "img{max-width:100%;border:1px solid #ddd}figure{margin:1em 0}.note{background:#fff4e0;padding:.5em;"
         "border-left:4px solid #e90}</style></head><body>\n";
    h << "<h1>" << htmlEscape(title) << "</h1>\n<p>Stack <code>" << htmlEscape(stack.name) << "</code>, TP " << s.tp
      << ", weights " << htmlEscape(o.weights) << ", KV " << htmlEscape(o.kv) << ". Platform file <code>"
      << htmlEscape(displayPath(plat.file)) << "</code>. rooflab " << ROOFLAB_VERSION << ".</p>\n";
    if (pngs.empty())
        h << "<p class=\"note\">Plots are unavailable: " << htmlEscape(plotsWhy) << "</p>\n";
    h << "<h2>Platform</h2>\n" << htmlTable({"value", "", "provenance"}, platRows);
    h << "<h2>Workload</h2>\n" << htmlTable({"", ""}, workRows);
    h << "<h2>Request</h2>\n" << htmlTable({"metric", "value"}, reqRows);
    h << "<h2>Roofline</h2>\n";
    img("roofline.png", "Decode step on the roofline (context " + std::to_string(dec.context) + ")");
    img("roofline_prefill.png", "Prefill on the roofline (prompt " + std::to_string(s.prompt) + ")");
    h << "<h2>Latency and throughput vs batch and context</h2>\n";
    img("latency_vs_batch.png", "Decode latency and throughput vs batch");
    img("latency_vs_context.png", "Decode latency and throughput vs context");
    h << htmlTable(batchHeader, batchRows) << htmlTable(ctxHeader, ctxRows);
    h << "<h2>Prefill</h2>\n<p>" << htmlEscape(req.prefill.why) << "</p>\n";
    img("breakdown_prefill.png", "Prefill: per-operator breakdown");
    h << htmlTable(opTableHeader(), opTableRows(req.prefill));
    h << "<h2>Decode step</h2>\n<p>" << htmlEscape(decode.why) << "</p>\n";
    img("breakdown.png", "Decode step: per-operator breakdown");
    h << htmlTable(opTableHeader(), opTableRows(decode));
    h << "<h2>Memory per device</h2>\n" << htmlTable({"part", "bytes"}, memRows);
    if (val) {
        h << "<h2>Predicted vs measured</h2>\n<p>Dataset <code>" << htmlEscape(displayPath(o.measurements))
          << "</code>.</p>\n";
        img("predicted_vs_measured.png", "Predicted vs measured");
        h << htmlTable(valHeader, valRows);
    }
    h << "<h2>Platform provenance</h2>\n" << htmlTable({"source", "kind", "what"}, srcRows);
    h << "</body></html>\n";
    writeFile(dir / "report.html", h.str());
    if (!o.quiet) {
        std::cout << "  report   " << (dir / "report.html").string() << " (+ report.md, prediction.json, *_operators.csv, "
                  << "*_sweep.csv" << (fs::exists(dir / "report.pdf") ? ", report.pdf" : "") << ")\n";
        if (pngs.empty())
            std::cout << "  plots    unavailable: " << plotsWhy << "\n";
    }
}

void addReport(CLI::App& root, int&) {
    ReportOptions& o = g_rep;
    CLI::App* r = root.add_subcommand("report", "Predict prefill, decode and a request; print and write a report folder "
                                                "(HTML with plots, Markdown, JSON, CSV, PDF)");
    g_repApp = r;
    r->add_option("--platform", o.platform, "platform name or file")->capture_default_str();
    r->add_option("--model", o.model, "preset name or config path")->capture_default_str();
    r->add_option("--stack", o.stack, "serving-stack profile")->capture_default_str();
    r->add_option("--batch", o.batch, "sequences")->capture_default_str();
    r->add_option("--prompt", o.prompt, "prompt tokens")->capture_default_str();
    r->add_option("--context", o.context, "decode context (default: the prompt length)");
    r->add_option("--output", o.output, "generated tokens")->capture_default_str();
    r->add_option("--tp", o.tp, "tensor parallelism");
    r->add_option("--weights", o.weights, "weight datatype");
    r->add_option("--kv", o.kv, "KV-cache datatype");
    r->add_option("--out", o.out, "report folder")->capture_default_str();
    r->add_option("--scenario", o.scenario, "YAML scenario file (batch, prompt, context, output, tp, weights, kv, "
                                            "stack, platform, model); options override it");
    r->add_option("--measurements", o.measurements, "end-to-end dataset CSV: predicted vs measured with error statistics");
    r->add_option("--gui", o.gui, "rooflab-gui that renders the plots (default: next to rooflab, then PATH)");
    r->add_flag("--no-plots", o.noPlots, "tables only; the HTML page says plots were not requested");
    r->add_flag("-q,--quiet", o.quiet, "write the folder only");
    r->callback([]() { runReport(g_rep); });
}

} // namespace
ROOFLAB_REGISTER_COMMAND("report", addReport);
} // namespace rooflab::cli
