// rooflab serve: the serving simulator (model/serving) on one deployment and one load.
#include "codec/catalog.hpp"
#include "codec/request_codec.hpp"
#include "common.hpp"
#include "io/csv.hpp"
#include "io/files.hpp"
#include "io/validation_status.hpp"
#include "registry.hpp"
#include "serving/serving.hpp"
#include "units/errors.hpp"

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

namespace rooflab::cli {
namespace {

struct ServeOptions {
    std::string platform = "h100-sxm5-80gb";
    std::string model = "llama-3.1-8b";
    std::string stack = "vllm";
    std::string format = "table";
    std::string weights = "bf16", kv = "bf16", act = "bf16";
    std::string trace, iterationsCsv;
    int tp = 1, pp = 1, ep = 1;
    int concurrency = 0;
    double rate = 0;
    int64_t isl = 1024, osl = 128, requests = 0, warmup = -1;
    int benchmarkRounds = 0;
    uint64_t seed = 1;
    double grid = 64;
    // Overrides of the stack profile's scheduler (a deployment's own launch flags).
    int64_t tokenBudget = 0, maxSeqs = -1;
    std::string chunkedPrefill;
    double prefixHit = -1;
    double frontendLatency = -1; ///< seconds; < 0: the stack profile's
    int specTokens = 0;
    double specAcceptance = 0;
    // The deployment: one aggregated pool, or prefill and decode pools.
    std::string mode = "agg";
    int workers = 1, attentionDp = 1, moeTp = 0, batch = 0;
    struct Pool {
        int workers = 1, tp = 1, pp = 1, ep = 1, moeTp = 0, attentionDp = 1, batch = 0;
    } prefill, decode;
};

ServeOptions g_serve;

nlohmann::json distJson(const serving::Distribution& d) {
    return {{"mean", d.mean}, {"p50", d.p50}, {"p90", d.p90},    {"p99", d.p99},
            {"min", d.min},   {"max", d.max}, {"count", d.count}};
}

void runServe(const ServeOptions& o) {
    const Format fmt = parseFormat(o.format);
    const int modes = (o.concurrency > 0 ? 1 : 0) + (o.rate > 0 ? 1 : 0) + (o.trace.empty() ? 0 : 1);
    if (modes != 1)
        throw InputError("", 0, "--concurrency", "give exactly one of --concurrency, --rate or --trace");
    // The deployment as an LLM step request, through the codec: the same names, datatypes and ranges as predict.
    nlohmann::json j{{"kind", "llm"},        {"platform", o.platform},
                     {"model", o.model},     {"stack", o.stack},
                     {"phase", "decode"},    {"tp", o.tp},
                     {"pp", o.pp},           {"ep", o.ep},
                     {"weights", o.weights}, {"kv", o.kv},
                     {"act", o.act}};
    spec::CodecSource src;
    src.optionSpelling = true;
    Request req = spec::decodeRequest(j, src);
    io::Catalog cat;
    const PlatformTarget& target = cat.platform(req.platform);
    cat.resolve(req);
    const LlmArch& arch = *req.llm()->arch;
    StackProfile stack = *req.llm()->stack;
    SchedulerProfile& over = stack.scheduler;
    if (o.tokenBudget > 0)
        over.tokenBudget = o.tokenBudget;
    if (o.maxSeqs >= 0)
        over.maxSeqs = o.maxSeqs;
    if (!o.chunkedPrefill.empty()) {
        if (o.chunkedPrefill != "on" && o.chunkedPrefill != "off")
            throw InputError("", 0, "--chunked-prefill", "must be on or off");
        over.chunkedPrefill = o.chunkedPrefill == "on";
    }
    if (o.prefixHit >= 0) {
        if (o.prefixHit > 1)
            throw InputError("", 0, "--prefix-hit", "must be a fraction in [0, 1]");
        over.prefixCacheHitRate = o.prefixHit;
    }

    serving::Workload load;
    load.inputTokens = o.isl;
    load.outputTokens = o.osl;
    load.requests = o.requests;
    load.warmup = o.warmup;
    load.coldStartRounds = o.benchmarkRounds;
    load.seed = o.seed;
    if (o.isl < 1 || o.osl < 1)
        throw InputError("", 0, o.isl < 1 ? "--isl" : "--osl", "must be at least 1");
    if (o.concurrency > 0) {
        load.arrival = serving::Arrival::ClosedLoop;
        load.concurrency = o.concurrency;
    } else if (o.rate > 0) {
        load.arrival = serving::Arrival::Poisson;
        load.ratePerS = o.rate;
    } else {
        load.arrival = serving::Arrival::Trace;
        load.trace = serving::parseTraceCsv(io::readInputFile(o.trace, io::kMaxCsvBytes, "--trace"), o.trace);
    }
    if (o.frontendLatency >= 0) {
        if (o.frontendLatency > 10)
            throw InputError("", 0, "--frontend-latency", "must be between 0 and 10 seconds");
        over.frontendLatencyS = o.frontendLatency;
    }
    serving::Options opt;
    opt.contextGrid = o.grid;
    opt.keepIterations = !o.iterationsCsv.empty();
    if (o.specTokens < 0 || o.specTokens > 64)
        throw InputError("", 0, "--spec-tokens", "must be between 0 and 64");
    if (!(o.specAcceptance >= 0 && o.specAcceptance <= 1))
        throw InputError("", 0, "--spec-acceptance", "must be a probability in [0, 1]");
    opt.speculativeTokens = o.specTokens;
    opt.acceptanceRate = o.specAcceptance;
    // moe_tp 0: what tp x attention_dp / ep leaves.
    auto layout = [&](int workers, int tp, int pp, int ep, int moeTp, int adp, int batch, const std::string& pre) {
        serving::PoolLayout p;
        p.workers = workers;
        p.tp = tp;
        p.pp = pp;
        p.ep = ep;
        p.attentionDp = adp;
        p.batch = batch;
        if (workers < 1 || adp < 1 || batch < 0 || moeTp < 0 || ep < 1)
            throw InputError("", 0,
                             "--" + pre +
                                 (workers < 1 ? "workers"
                                  : adp < 1   ? "attention-dp"
                                              : "batch"),
                             "must be at least 1 (batch at least 0)");
        p.moeTp = moeTp > 0 ? moeTp : std::max(1, tp * adp / ep);
        return p;
    };
    serving::Deployment dep;
    if (o.mode == "agg") {
        dep.aggregated =
            layout(o.workers, req.scenario.tp, req.scenario.pp, req.scenario.ep, o.moeTp, o.attentionDp, o.batch, "");
    } else if (o.mode == "disagg") {
        dep.mode = serving::DeploymentMode::Disaggregated;
        const auto& p = o.prefill;
        const auto& d = o.decode;
        dep.prefill = layout(p.workers, p.tp, p.pp, p.ep, p.moeTp, p.attentionDp, p.batch, "prefill-");
        dep.decode = layout(d.workers, d.tp, d.pp, d.ep, d.moeTp, d.attentionDp, d.batch, "decode-");
    } else {
        throw InputError("", 0, "--mode", "must be agg or disagg");
    }
    const auto t0 = std::chrono::steady_clock::now();
    const serving::ServingResult r =
        serving::simulateDeployment(target.model, arch, stack, req.scenario, dep, load, opt);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!r.ok)
        throw InputError("", 0, "", "cannot simulate: " + r.error);
    if (!o.iterationsCsv.empty()) {
        std::ostringstream f;
        f << "start_s,duration_s,step_s,decode_seqs,prefill_seqs,prefill_tokens,running,waiting,preempted,"
             "kv_blocks_used,pool,worker\n";
        for (const serving::IterationStat& it : r.iterations)
            f << fmtNum(it.startS, 9) << ',' << fmtNum(it.durationS, 6) << ',' << fmtNum(it.stepS, 6) << ','
              << it.decodeSeqs << ',' << it.prefillSeqs << ',' << it.prefillTokens << ',' << it.running << ','
              << it.waiting << ',' << it.preempted << ',' << it.kvBlocksUsed << ','
              << (it.pool == serving::PoolRole::Prefill  ? "prefill"
                  : it.pool == serving::PoolRole::Decode ? "decode"
                                                         : "agg")
              << ',' << it.worker << '\n';
        io::writeFileAtomic(o.iterationsCsv, f.str(), "--iterations");
    }
    const SchedulerProfile& sp = stack.scheduler;
    const Confidence conf =
        resolveConfidence(shippedValidationStatus(), target.hardware, &stack, PredictionScope::Serving);
    if (fmt == Format::Json || fmt == Format::Csv) {
        nlohmann::json out{{"platform", target.hardware.name},
                           {"model", arch.name},
                           {"stack", stack.name},
                           {"framework", sp.framework},
                           {"tp", req.scenario.tp},
                           {"pp", req.scenario.pp},
                           {"ep", req.scenario.ep},
                           {"gpus", r.gpus},
                           {"mode", o.mode},
                           {"workers", r.workers},
                           {"spec_tokens", o.specTokens},
                           {"spec_acceptance", o.specAcceptance},
                           {"isl", o.isl},
                           {"osl", o.osl},
                           {"ttft_s", r.ttftS.mean},
                           {"tpot_s", r.tpotS.mean},
                           {"itl_s", r.itlS.mean},
                           {"e2e_s", r.e2eS.mean},
                           {"ttft", distJson(r.ttftS)},
                           {"tpot", distJson(r.tpotS)},
                           {"itl", distJson(r.itlS)},
                           {"e2e", distJson(r.e2eS)},
                           {"queue", distJson(r.queueS)},
                           {"output_tokens_per_s", r.outputTokensPerS},
                           {"total_tokens_per_s", r.totalTokensPerS},
                           {"output_tokens_per_s_per_gpu", r.outputTokensPerSPerGpu},
                           {"total_tokens_per_s_per_gpu", r.totalTokensPerSPerGpu},
                           {"output_tokens_per_s_per_user", r.outputTokensPerSPerUser},
                           {"requests_per_s", r.requestsPerS},
                           {"mean_concurrency", r.meanConcurrency},
                           {"measured_requests", r.measured},
                           {"preemptions", r.preemptions},
                           {"mean_decode_batch", r.meanDecodeBatch},
                           {"mean_prefill_tokens", r.meanPrefillTokens},
                           {"kv_tokens", r.kv.tokens},
                           {"kv_utilization_peak", r.peakKvUtilization},
                           {"kv_utilization_mean", r.meanKvUtilization},
                           {"iterations", r.iterationCount},
                           {"step_evaluations", r.stepEvaluations},
                           {"simulated_s", r.simulatedS},
                           {"wall_s", wall},
                           {"notes", r.notes}};
        if (dep.mode == serving::DeploymentMode::Disaggregated) {
            auto pj = [](const serving::PoolLayout& p) {
                return nlohmann::json{{"workers", p.workers}, {"tp", p.tp},        {"pp", p.pp},
                                      {"ep", p.ep},           {"moe_tp", p.moeTp}, {"attention_dp", p.attentionDp},
                                      {"batch", p.batch},     {"gpus", p.gpus()}};
            };
            out["prefill"] = pj(dep.prefill);
            out["decode"] = pj(dep.decode);
            out["prefill_kv_tokens"] = r.prefillKv.tokens;
            out["kv_transfer_s"] = r.kvTransferS;
            out["kv_transfer_bytes"] = r.kvTransferBytes;
        } else {
            out["attention_dp"] = dep.aggregated.attentionDp;
            out["moe_tp"] = dep.aggregated.moeTp;
        }
        report::addConfidenceJson(out, conf);
        if (o.concurrency > 0)
            out["concurrency"] = o.concurrency;
        if (o.rate > 0)
            out["rate"] = o.rate;
        std::cout << (fmt == Format::Json ? out.dump(2) : out.dump()) << "\n";
        return;
    }
    auto poolText = [](const serving::PoolLayout& p) {
        std::string t = std::to_string(p.workers) + " x (tp " + std::to_string(p.tp) + " pp " + std::to_string(p.pp);
        if (p.attentionDp > 1)
            t += " attention-dp " + std::to_string(p.attentionDp);
        if (p.ep > 1)
            t += " ep " + std::to_string(p.ep);
        t += ")";
        if (p.batch > 0)
            t += " batch " + std::to_string(p.batch);
        return t;
    };
    std::cout << arch.name << " on " << target.hardware.name << " x" << r.gpus << " (" << stack.name << ", "
              << sp.framework << " scheduler), "
              << (dep.mode == serving::DeploymentMode::Aggregated
                      ? "aggregated " + poolText(dep.aggregated)
                      : "disaggregated: prefill " + poolText(dep.prefill) + ", decode " + poolText(dep.decode))
              << ", weights " << o.weights << " kv " << o.kv << "\n";
    std::cout << "  confidence: " << conf.summary() << "\n";
    std::cout << "  load          ";
    if (o.concurrency > 0)
        std::cout << "closed loop, " << o.concurrency << " clients";
    else if (o.rate > 0)
        std::cout << "Poisson, " << fmtNum(o.rate, 4) << " requests/s (seed " << o.seed << ")";
    else
        std::cout << "trace " << o.trace << " (" << load.trace.size() << " requests)";
    if (o.trace.empty())
        std::cout << ", " << o.isl << " in / " << o.osl << " out tokens";
    std::cout << "; " << r.measured << " requests measured\n";
    std::cout << "  scheduler     token budget " << sp.tokenBudget << ", max seqs "
              << (sp.maxSeqs > 0 ? std::to_string(sp.maxSeqs) : std::string("-")) << ", "
              << (sp.chunkedPrefill ? "chunked prefill" : "whole prompts") << ", "
              << (sp.batching == SchedulerProfile::Batching::Mixed ? "mixed batches" : "prefill-first") << "\n";
    std::cout << "  KV cache      " << r.kv.tokens << " tokens (" << fmtBytes(r.kv.kvBytes) << " per GPU; weights "
              << fmtBytes(r.kv.weightsBytes) << "), utilization mean " << fmtNum(100 * r.meanKvUtilization, 3)
              << " %, peak " << fmtNum(100 * r.peakKvUtilization, 3) << " %, " << r.preemptions << " preemptions\n";
    if (dep.mode == serving::DeploymentMode::Disaggregated)
        std::cout << "  KV transfer   " << fmtBytes(r.kvTransferBytes) << " per request in "
                  << fmtSeconds(r.kvTransferS) << " (prefill pool KV cache " << r.prefillKv.tokens << " tokens)\n";
    std::cout << "\n";
    std::vector<std::vector<std::string>> rows;
    auto row = [&](const char* name, const serving::Distribution& d) {
        rows.push_back({name, fmtSeconds(d.mean), fmtSeconds(d.p50), fmtSeconds(d.p90), fmtSeconds(d.p99)});
    };
    row("TTFT", r.ttftS);
    row("TPOT", r.tpotS);
    row("ITL", r.itlS);
    row("end-to-end", r.e2eS);
    row("queueing", r.queueS);
    printTable(std::cout, {"latency", "mean", "p50", "p90", "p99"}, rows);
    std::cout << "\n  throughput    " << fmtNum(r.outputTokensPerS, 5) << " output tokens/s ("
              << fmtNum(r.outputTokensPerSPerGpu, 5) << " per GPU, " << fmtNum(r.outputTokensPerSPerUser, 4)
              << " per user), " << fmtNum(r.totalTokensPerS, 5) << " tokens/s in + out ("
              << fmtNum(r.totalTokensPerSPerGpu, 5) << " per GPU), " << fmtNum(r.requestsPerS, 4) << " requests/s\n";
    std::cout << "  batches       " << fmtNum(r.meanDecodeBatch, 4) << " decoding sequences and "
              << fmtNum(r.meanPrefillTokens, 4) << " prefill tokens per iteration; mean concurrency "
              << fmtNum(r.meanConcurrency, 4) << "\n";
    std::cout << "  simulation    " << r.iterationCount << " iterations, " << fmtSeconds(r.simulatedS)
              << " simulated in " << fmtSeconds(wall) << " (" << r.stepEvaluations << " distinct steps predicted)\n";
    for (const std::string& n : r.notes)
        std::cout << "  note: " << n << "\n";
}

void addServe(CLI::App& root, int& exitCode) {
    (void)exitCode;
    ServeOptions& o = g_serve;
    CLI::App* s = root.add_subcommand(
        "serve", "Simulate serving: continuous batching under a closed-loop, Poisson or trace load (TTFT, TPOT, "
                 "throughput)");
    s->add_option("--platform", o.platform, "platform name or file")->capture_default_str();
    s->add_option("--model", o.model, "preset name or path to config.json / YAML")->capture_default_str();
    s->add_option(
         "--stack", o.stack,
         "stack profile with a scheduler: vllm, sglang, tensorrt-llm (default vllm, the most used serving stack)")
        ->capture_default_str();
    s->add_option("--tp", o.tp, "tensor parallelism")->capture_default_str();
    s->add_option("--pp", o.pp, "pipeline stages");
    s->add_option("--ep", o.ep, "expert parallelism (divides tp x attention-dp)");
    s->add_option("--weights", o.weights, "weight datatype")->capture_default_str();
    s->add_option("--kv", o.kv, "KV-cache datatype")->capture_default_str();
    s->add_option("--act", o.act, "activation datatype")->capture_default_str();
    s->add_option("--concurrency", o.concurrency, "closed loop: clients, each with one request in flight");
    s->add_option("--rate", o.rate, "open loop: Poisson arrivals per second");
    s->add_option("--trace", o.trace, "open loop: trace CSV (Splitwise or Azure LLM inference layout)");
    s->add_option("--isl", o.isl, "input tokens per request (closed loop, Poisson)")->capture_default_str();
    s->add_option("--osl", o.osl, "output tokens per request (closed loop, Poisson)")->capture_default_str();
    s->add_option("--requests", o.requests,
                  "measured requests (default: 20 x concurrency, 1000 for Poisson, the whole trace)");
    s->add_option("--warmup", o.warmup,
                  "requests left out of the statistics (default: closed loop the first "
                  "wave of `concurrency`, open loop 0)");
    s->add_option("--benchmark-rounds", o.benchmarkRounds,
                  "closed loop: TTFT as a benchmark measures R x concurrency requests from a cold start (the first "
                  "wave, 1 in R, arriving at once); 0: steady state")
        ->check(CLI::Range(0, 1000));
    s->add_option("--seed", o.seed, "Poisson arrivals' seed")->capture_default_str();
    s->add_option("--context-grid", o.grid, "tokens between interpolated step-time points")->capture_default_str();
    s->add_option("--iterations", o.iterationsCsv, "write the per-iteration table to this CSV file");
    s->add_option("--token-budget", o.tokenBudget,
                  "override the scheduler's tokens per iteration (max_num_batched_tokens, chunked_prefill_size, "
                  "max_num_tokens)");
    s->add_option("--max-seqs", o.maxSeqs, "override the scheduler's running-sequence limit (0: none)");
    s->add_option("--chunked-prefill", o.chunkedPrefill, "override: on or off");
    s->add_option("--prefix-hit", o.prefixHit, "override: fraction of each prompt found in the prefix cache");
    s->add_option("--frontend-latency", o.frontendLatency,
                  "override: mean seconds of front end (HTTP, tokenization) per request, exponentially distributed, in "
                  "TTFT and end-to-end");
    s->add_option("--spec-tokens", o.specTokens,
                  "speculative decoding (MTP / draft): draft tokens per decoding sequence and iteration");
    s->add_option("--spec-acceptance", o.specAcceptance,
                  "speculative decoding: probability each draft token is accepted (geometric)");
    s->add_option("--mode", o.mode, "agg (one pool) or disagg (prefill and decode pools)")->capture_default_str();
    s->add_option("--workers", o.workers, "agg: identical engine instances (replicas)")->capture_default_str();
    s->add_option("--attention-dp", o.attentionDp, "agg: attention data-parallel ranks per worker (tp GPUs each)");
    s->add_option("--moe-tp", o.moeTp, "agg: tensor parallelism inside each expert (default tp x attention-dp / ep)");
    s->add_option("--batch", o.batch, "agg: running sequences per worker (max_batch_size; 0: the stack's)");
    for (auto [pool, name] :
         {std::pair{&o.prefill, std::string("prefill")}, std::pair{&o.decode, std::string("decode")}}) {
        s->add_option("--" + name + "-workers", pool->workers, "disagg: " + name + " workers");
        s->add_option("--" + name + "-tp", pool->tp, "disagg: " + name + " tensor parallelism");
        s->add_option("--" + name + "-pp", pool->pp, "disagg: " + name + " pipeline stages");
        s->add_option("--" + name + "-ep", pool->ep, "disagg: " + name + " expert parallelism");
        s->add_option("--" + name + "-moe-tp", pool->moeTp, "disagg: " + name + " tensor parallelism inside experts");
        s->add_option("--" + name + "-attention-dp", pool->attentionDp, "disagg: " + name + " attention DP ranks");
        s->add_option("--" + name + "-batch", pool->batch, "disagg: " + name + " running sequences per worker");
    }
    s->add_option("--format", o.format, "table or json (csv: one JSON line)")->capture_default_str();
    s->callback([]() { runServe(g_serve); });
}

} // namespace
ROOFLAB_REGISTER_COMMAND("serve", addServe);
} // namespace rooflab::cli
