// rooflab report: the main job. Predicts prefill, decode and a whole request for a model on a platform, prints
// the result and writes a report folder (Markdown, JSON, CSV tables and sweeps).
#include "common.hpp"
#include "io/errors.hpp"
#include "io/data_paths.hpp"
#include "io/model_loader.hpp"
#include "io/platform_loader.hpp"
#include "io/stack_loader.hpp"
#include "registry.hpp"
#include "units/quantity.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace rooflab::cli {
namespace {

struct ReportOptions {
    std::string platform = "h100-sxm5-80gb", model = "llama-3.1-8b", stack = "pytorch-eager", out = "rooflab-report";
    int64_t batch = 8, prompt = 2048, context = 0, output = 256;
    int tp = 1;
    std::string weights = "bf16", kv = "bf16";
    bool quiet = false;
};
ReportOptions g_rep;

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

void runReport(const ReportOptions& o) {
    namespace fs = std::filesystem;
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
                             std::string(boundName(p.bound))});
    }
    for (int64_t c = 256; c <= 131072; c *= 2) {
        Scenario x = dec;
        x.context = c;
        const Prediction p = predictStep(pm, arch, stack, x, false);
        ctxRows.push_back({std::to_string(c), fmtNum(p.latencyS, 6), fmtNum(p.tokensPerS, 6),
                           fmtNum(p.memory.totalBytes, 6), p.memory.fits ? "true" : "false",
                           std::string(boundName(p.bound))});
    }
    const std::vector<std::string> batchHeader = {"batch", "decode_step_s", "decode_tokens_per_s", "prefill_s",
                                                  "prefill_tokens_per_s", "decode_memory_bytes", "fits", "decode_bound"};
    const std::vector<std::string> ctxHeader = {"context", "decode_step_s", "decode_tokens_per_s", "memory_bytes", "fits",
                                                "bound"};

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
                  << " J/token\n";
        std::cout << "  memory   " << fmtBytes(decode.memory.totalBytes) << " of " << fmtBytes(decode.memory.capacityBytes)
                  << " per device (" << (decode.memory.fits ? "fits" : "does not fit") << "; max batch "
                  << decode.memory.maxBatch << ")\n";
    }

    const fs::path dir(o.out);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        throw InputError(o.out, 0, "--out", "cannot create report folder: " + ec.message());

    nlohmann::json j{{"rooflab_version", ROOFLAB_VERSION},
                     {"platform", plat.name},
                     {"platform_file", plat.file},
                     {"model", arch.name},
                     {"stack", stack.name},
                     {"scenario", {{"batch", s.batch}, {"prompt", s.prompt}, {"output", s.outputTokens}, {"tp", s.tp},
                                   {"weights", o.weights}, {"kv", o.kv}}},
                     {"request", {{"ttft_s", req.ttftS}, {"tpot_s", req.tpotS}, {"e2e_s", req.e2eS},
                                  {"tokens_per_s", req.tokensPerS}, {"energy_per_token_j", req.energyPerTokenJ}}},
                     {"prefill", predictionJson(req.prefill, true)},
                     {"decode", predictionJson(decode, true)}};
    writeFile(dir / "prediction.json", j.dump(2) + "\n");
    writeFile(dir / "prefill_operators.csv", csvOf(opTableHeader(), opTableRows(req.prefill)));
    writeFile(dir / "decode_operators.csv", csvOf(opTableHeader(), opTableRows(decode)));
    writeFile(dir / "batch_sweep.csv", csvOf(batchHeader, batchRows));
    writeFile(dir / "context_sweep.csv", csvOf(ctxHeader, ctxRows));

    std::ostringstream md;
    md << "# rooflab report: " << arch.name << " on " << plat.name << "\n\n";
    md << "Stack `" << stack.name << "`, TP " << s.tp << ", weights " << o.weights << ", KV " << o.kv << ". Platform file `"
       << plat.file << "`.\n\n";
    md << "## Request (batch " << s.batch << ", prompt " << s.prompt << ", " << s.outputTokens << " output tokens)\n\n";
    md << tableOf({"metric", "value"},
                  {{"TTFT", fmtSeconds(req.ttftS)},
                   {"TPOT (mean over generated tokens)", fmtSeconds(req.tpotS)},
                   {"end-to-end", fmtSeconds(req.e2eS)},
                   {"generated tokens/s", fmtNum(req.tokensPerS, 5)},
                   {"energy per token", fmtNum(req.energyPerTokenJ, 3) + " J"}});
    md << "\n## Prefill\n\n" << req.prefill.why << "\n\n" << tableOf(opTableHeader(), opTableRows(req.prefill));
    md << "\n## Decode step (context " << dec.context << ")\n\n" << decode.why << "\n\n"
       << tableOf(opTableHeader(), opTableRows(decode));
    md << "\n## Memory per device\n\n"
       << tableOf({"part", "bytes"}, {{"weights", fmtBytes(decode.memory.weightsBytes)},
                                      {"KV cache", fmtBytes(decode.memory.kvCacheBytes)},
                                      {"activations", fmtBytes(decode.memory.activationBytes)},
                                      {"workspace", fmtBytes(decode.memory.workspaceBytes)},
                                      {"total", fmtBytes(decode.memory.totalBytes)},
                                      {"capacity", fmtBytes(decode.memory.capacityBytes)}});
    md << "\n## Latency and throughput vs batch\n\n" << tableOf(batchHeader, batchRows);
    md << "\n## Decode vs context (batch " << s.batch << ")\n\n" << tableOf(ctxHeader, ctxRows);
    md << "\n## Platform provenance\n\n";
    std::vector<std::vector<std::string>> src;
    for (const auto& [id, so] : plat.sources)
        src.push_back({id, std::string(sourceKindName(so.kind)), so.citation.empty() ? so.tool + " " + so.date : so.citation});
    md << tableOf({"source", "kind", "what"}, src);
    writeFile(dir / "report.md", md.str());
    if (!o.quiet)
        std::cout << "  report   " << (dir / "report.md").string() << " (+ prediction.json, *_operators.csv, *_sweep.csv)\n";
}

void addReport(CLI::App& root, int&) {
    ReportOptions& o = g_rep;
    CLI::App* r = root.add_subcommand("report", "Predict prefill, decode and a request; print and write a report folder");
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
    r->add_flag("-q,--quiet", o.quiet, "write the folder only");
    r->callback([]() { runReport(g_rep); });
}

} // namespace
ROOFLAB_REGISTER_COMMAND("report", addReport);
} // namespace rooflab::cli
