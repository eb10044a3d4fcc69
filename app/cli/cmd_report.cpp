// rooflab report: the main job. Predicts prefill, decode and a whole request for a model on a platform, prints
// the result and writes a report folder: Markdown, JSON, CSV tables and sweeps, and a self-contained HTML page with
// the plots inline (SVG). The writer and the plots are the report library's (model/report); the CLI links no Qt
// and starts no other program. The PDF needs a raster/document renderer: `rooflab-gui --report DIR` writes the
// same folder with PNG plots and report.pdf.
#include "common.hpp"
#include "io/yaml_util.hpp"
#include "registry.hpp"
#include "report/report.hpp"
#include "spec/scenario.hpp"
#include "units/dtype.hpp"
#include "units/errors.hpp"

#include <iostream>

namespace rooflab::cli {
namespace {

struct ReportOptions {
    report::ReportInput in;
    std::string out = "rooflab-report";
    std::string gui;      ///< no longer used: kept so existing scripts keep working
    std::string scenario; ///< YAML scenario file; options given on the command line override it
    bool noPlots = false;
    bool quiet = false;
    bool serving = false;          ///< --serving: the Serving section
    report::ServingReportInput sv; ///< its options (any of them given also turns the section on)
    std::string servingDataset = "auto";
};
ReportOptions g_rep;
CLI::App* g_repApp = nullptr;

/// @brief Reads a scenario file (keys platform, model, stack, phase, batch, prompt, context, output, chunk, tp, pp,
/// ep, dp, weights, kv, act) into `o`, skipping the options set on the command line. Errors name file, line, key.
void applyScenarioFile(ReportOptions& o, const CLI::App& app) {
    const YAML::Node root = io::loadYamlFile(o.scenario);
    if (!root.IsMap())
        throw InputError(o.scenario, io::lineOf(root), "",
                         "a scenario file is a mapping (batch: 8, prompt: 2048, ...)");
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
    // Values the file sets are checked here, so that a bad one is blamed on its file, line and key rather than on a
    // command-line option that was never given (issue 20).
    auto datatype = [&](const char* key, std::string& dest) {
        const bool fromFile = r.has(key) && !given(("--" + std::string(key)).c_str());
        text(key, dest);
        if (fromFile && !parseDType(dest))
            r.fail(key, "unknown datatype '" + dest + "' (known: " + dtypeNameList() + ")");
    };
    report::ReportInput& in = o.in;
    text("platform", in.platform);
    text("model", in.model);
    text("stack", in.stack);
    const bool phaseFromFile = r.has("phase") && !given("--phase");
    text("phase", in.phase);
    if (phaseFromFile && in.phase != "request" && !parsePhase(in.phase))
        r.fail("phase", "'" + in.phase + "' is not one of request, prefill, decode, chunked");
    datatype("weights", in.weights);
    datatype("kv", in.kv);
    datatype("act", in.act);
    constexpr long long kMax = 1LL << 32;
    integer("batch", in.batch, 1, kMax);
    integer("prompt", in.prompt, 1, kMax);
    integer("context", in.context, 0, kMax);
    integer("output", in.output, 1, kMax);
    integer("chunk", in.chunk, 0, kMax);
    integer("tp", in.tp, 1, 1 << 16);
    integer("pp", in.pp, 1, 1 << 16);
    integer("ep", in.ep, 1, 1 << 16);
    integer("dp", in.dp, 1, 1 << 16);
    r.ignore({"version", "description"});
    r.finish();
}

const char* const kServingOptions[] = {
    "--serving-stack", "--serving-mode", "--prefill-workers", "--decode-workers", "--concurrency",    "--isl",
    "--osl",           "--search-gpus",  "--ttft-max",        "--tpot-max",       "--serving-dataset"};

void runReport(ReportOptions& o) {
    if (!o.scenario.empty())
        applyScenarioFile(o, *g_repApp);
    bool serving = o.serving;
    for (const char* opt : kServingOptions)
        serving = serving || g_repApp->count(opt) > 0;
    if (serving) {
        o.sv.dataset = o.servingDataset == "auto"   ? report::shippedServingDataset()
                       : o.servingDataset == "none" ? std::string()
                                                    : o.servingDataset;
        o.in.serving = o.sv;
    }
    const report::ReportData data = report::computeReport(o.in);
    if (!o.quiet) {
        std::cout << report::consoleSummary(data);
        if (!o.gui.empty())
            std::cout << "  note     --gui is no longer used: the plots are drawn in-process (SVG); for PNG plots and "
                         "report.pdf run rooflab-gui --report DIR\n";
    }
    report::SvgPlotRenderer svg;
    report::RunOptions run;
    run.renderer = o.noPlots ? nullptr : &svg;
    const report::ReportResult r = report::runReport(data, o.out, run);
    if (!o.quiet) {
        std::cout << "  report   " << (std::filesystem::path(o.out) / "report.html").string()
                  << " (+ report.md, prediction.json, *_operators.csv, *_sweep.csv"
                  << (o.in.serving ? ", serving_*.csv" : "") << (r.plotsNote.empty() ? ", plots/*.svg" : "") << ")\n";
        if (!r.plotsNote.empty())
            std::cout << "  plots    unavailable: " << r.plotsNote << "\n";
    }
}

void addReport(CLI::App& root, int&) {
    ReportOptions& o = g_rep;
    report::ReportInput& in = o.in;
    CLI::App* r = root.add_subcommand(
        "report", "Predict prefill, decode and a request; print and write a report folder (HTML with SVG plots, "
                  "Markdown, JSON, CSV). No PDF: `rooflab-gui --report DIR [same options]` writes the same folder "
                  "with PNG plots and report.pdf");
    g_repApp = r;
    r->add_option("--platform", in.platform, "platform name or file")->capture_default_str();
    r->add_option("--model", in.model, "preset name or config path")->capture_default_str();
    r->add_option("--stack", in.stack, "stack profile: the framework that runs the model (rooflab stacks list)")
        ->capture_default_str();
    r->add_option("--phase", in.phase,
                  "step the scenario describes: request, prefill, decode or chunked (chunked "
                  "adds that step; the report always covers prefill, decode and the request)")
        ->capture_default_str();
    r->add_option("--batch", in.batch, "sequences")->capture_default_str();
    r->add_option("--prompt", in.prompt, "prompt tokens")->capture_default_str();
    r->add_option("--context", in.context, "decode context (default: the prompt length)");
    r->add_option("--output", in.output, "generated tokens")->capture_default_str();
    r->add_option("--chunk", in.chunk, "chunked phase: prefill tokens in the step (default 512)");
    r->add_option("--tp", in.tp, "tensor parallelism");
    r->add_option("--pp", in.pp, "pipeline parallelism");
    r->add_option("--ep", in.ep, "expert parallelism");
    r->add_option("--dp", in.dp, "data parallelism");
    r->add_option("--weights", in.weights, "weight datatype");
    r->add_option("--kv", in.kv, "KV-cache datatype");
    r->add_option("--act", in.act, "activation datatype");
    r->add_option("--out", o.out, "report folder (written atomically: a failed run leaves nothing behind)")
        ->capture_default_str();
    r->add_option("--scenario", o.scenario, "YAML scenario file (the keys of these options); options override it");
    r->add_option("--measurements", in.measurements,
                  "end-to-end dataset CSV: predicted vs measured with error statistics");
    r->add_option("--gui", o.gui, "ignored (plots no longer come from rooflab-gui; kept for old scripts)");
    r->add_flag("--serving", o.serving,
                "add the Serving section: the serving simulator closed-loop at each --concurrency, a deployment "
                "search (Pareto front of tokens/s per GPU vs per user, best layout under --ttft-max/--tpot-max) "
                "and the measured aic-silicon runs of the model (any serving option below turns it on too)");
    report::ServingReportInput& sv = o.sv;
    r->add_option("--serving-stack", sv.stack, "serving: stack profile (vllm, sglang, tensorrt-llm)")
        ->capture_default_str();
    r->add_option("--serving-mode", sv.mode, "serving: agg, or disagg (prefill and decode workers of TP x PP)")
        ->check(CLI::IsMember({"agg", "disagg"}))
        ->capture_default_str();
    r->add_option("--prefill-workers", sv.prefillWorkers, "serving, disagg: prefill workers")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    r->add_option("--decode-workers", sv.decodeWorkers, "serving, disagg: decode workers")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    r->add_option("--concurrency", sv.concurrency, "serving: closed-loop clients, comma separated")
        ->delimiter(',')
        ->check(CLI::Range(1, 4096))
        ->capture_default_str();
    r->add_option("--isl", sv.isl, "serving: input tokens per request (default: --prompt)")
        ->check(CLI::Range(int64_t(1), int64_t(1) << 24));
    r->add_option("--osl", sv.osl, "serving: output tokens per request (default: --output)")
        ->check(CLI::Range(int64_t(1), int64_t(1) << 22));
    r->add_option("--search-gpus", sv.searchGpus, "serving: deployment-search GPU budget (0: no search)")
        ->check(CLI::Range(0, 4096))
        ->capture_default_str();
    r->add_option("--ttft-max", sv.ttftMaxS, "serving: SLO, mean TTFT at most (seconds)")->check(CLI::Range(0.0, 1e6));
    r->add_option("--tpot-max", sv.tpotMaxS, "serving: SLO, mean TPOT at most (seconds)")->check(CLI::Range(0.0, 1e6));
    r->add_option("--serving-dataset", o.servingDataset,
                  "serving: aic-silicon CSV of measured runs (auto: the shipped one; none: no measured points)")
        ->capture_default_str();
    r->add_flag("--no-plots", o.noPlots, "tables only; the HTML page says plots were not requested");
    r->add_flag("-q,--quiet", o.quiet, "write the folder only");
    r->callback([]() { runReport(g_rep); });
}

} // namespace
ROOFLAB_REGISTER_COMMAND("report", addReport);
} // namespace rooflab::cli
