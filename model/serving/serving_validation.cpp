#include "serving/serving_validation.hpp"

#include "analysis/parallel.hpp"
#include "codec/request_codec.hpp"
#include "io/files.hpp"
#include "serving/serving_request.hpp"
#include "units/errors.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace rooflab::serving {
namespace {

const char* const kRequiredColumns[] = {"id",
                                        "gpu",
                                        "backend",
                                        "model_path",
                                        "mode",
                                        "isl",
                                        "osl",
                                        "concurrency",
                                        "batch_size",
                                        "tp_size",
                                        "pp_size",
                                        "attention_dp_size",
                                        "moe_tp_size",
                                        "moe_ep_size",
                                        "ttft_ms",
                                        "tpot_ms",
                                        "precision",
                                        "gemm_quant_mode",
                                        "moe_quant_mode"};

/// A cell as a whole number; nullopt when empty or not a number.
std::optional<int64_t> intCell(const io::CsvTable& t, std::size_t row, const std::string& col) {
    const int c = t.column(col);
    if (c < 0)
        return std::nullopt;
    const std::string& s = t.text(row, c);
    if (s.empty())
        return std::nullopt;
    char* end = nullptr;
    const double d = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || *end != '\0' || !std::isfinite(d) || d < 0 || d > 1e15)
        return std::nullopt;
    return static_cast<int64_t>(std::llround(d));
}

std::optional<double> numCell(const io::CsvTable& t, std::size_t row, const std::string& col) {
    const int c = t.column(col);
    if (c < 0)
        return std::nullopt;
    const std::string& s = t.text(row, c);
    char* end = nullptr;
    const double d = std::strtod(s.c_str(), &end);
    if (s.empty() || end == s.c_str() || *end != '\0' || !std::isfinite(d) || d <= 0)
        return std::nullopt;
    return d;
}

std::string textCell(const io::CsvTable& t, std::size_t row, const std::string& col) {
    const int c = t.column(col);
    return c < 0 ? std::string() : t.text(row, c);
}

/// One pool's layout from the columns with `prefix` ("" for aggregated rows, "prefill_", "decode_").
nlohmann::json poolOfRow(const io::CsvTable& t, std::size_t row, const std::string& prefix, int64_t concurrency) {
    auto get = [&](const char* col, int64_t fallback) {
        const auto v = intCell(t, row, prefix + col);
        return v && *v > 0 ? *v : fallback;
    };
    const int64_t tp = get("tp_size", 1), pp = get("pp_size", 1), ep = get("moe_ep_size", 1);
    const auto moeTp = intCell(t, row, prefix + "moe_tp_size");
    int64_t adp = get("attention_dp_size", 0);
    // aiconfigurator's layouts satisfy tp x attention_dp = moe_tp x moe_ep; rows that leave attention_dp empty
    // while the experts span more GPUs than tp (vLLM Qwen3-235B: tp 1, moe_tp 2) ran attention data-parallel.
    if (adp == 0) {
        const int64_t experts = (moeTp && *moeTp > 0 ? *moeTp : 1) * ep;
        adp = experts > tp && experts % tp == 0 ? experts / tp : 1;
    }
    nlohmann::json p{{"tp", tp}, {"pp", pp}, {"attention_dp", adp}, {"ep", ep}};
    if (moeTp && *moeTp > 0)
        p["moe_tp"] = *moeTp;
    // batch_size is per attention-DP rank (DeepSeek rows: concurrency 256, batch 32, attention_dp 8); the pool's
    // cap is per worker. Where the per-worker cap is below the clients, the rest are replicas.
    const auto batch = intCell(t, row, prefix + "batch_size");
    int64_t workers = get("num_workers", 0);
    if (batch && *batch > 0) {
        const int64_t perWorker = *batch * adp;
        p["batch"] = perWorker;
        if (workers == 0 && concurrency > perWorker)
            workers = (concurrency + perWorker - 1) / perWorker;
    }
    p["workers"] = std::max<int64_t>(1, workers);
    return p;
}

std::string weightFormat(const std::string& s) {
    return s.empty() || s == "fp16" ? std::string("bf16") : s;
}

} // namespace

bool isServingBenchmark(const io::CsvTable& table) {
    for (const char* c : kRequiredColumns)
        if (table.column(c) < 0)
            return false;
    return true;
}

std::string platformForGpu(const std::string& gpu) {
    if (gpu.rfind("H100-SXM", 0) == 0)
        return "hgx-h100-8gpu";
    if (gpu.rfind("H200-SXM", 0) == 0)
        return "hgx-h200-8gpu";
    return {};
}

constexpr int kBenchmarkRounds = 10;

bool hasWorkerCounts(const io::CsvTable& t, std::size_t row) {
    const auto p = intCell(t, row, "prefill_num_workers"), d = intCell(t, row, "decode_num_workers");
    return p && *p > 0 && d && *d > 0;
}

/// Another row of the same run (same GPU, backend, lengths and concurrency, and the same measured TTFT and TPOT to
/// the last digit) that records the worker counts. The model column may differ: the database dump names DeepSeek-R1
/// runs (ids dsr1_...) DeepSeek-V3, the same architecture.
std::optional<std::size_t> completeCopyOf(const io::CsvTable& t, std::size_t row) {
    static constexpr const char* kSame[] = {"gpu", "backend", "isl", "osl", "concurrency", "ttft_ms", "tpot_ms"};
    for (std::size_t other = 0; other < t.rows.size(); ++other) {
        if (other == row || textCell(t, other, "mode") != "disagg" || !hasWorkerCounts(t, other))
            continue;
        bool same = true;
        for (const char* col : kSame)
            same = same && textCell(t, other, col) == textCell(t, row, col);
        if (same && !textCell(t, row, "ttft_ms").empty())
            return other;
    }
    return std::nullopt;
}

std::optional<nlohmann::json> caseOfRow(const io::CsvTable& t, std::size_t row, std::string& why) {
    const auto concurrency = intCell(t, row, "concurrency");
    if (!concurrency || *concurrency < 1) {
        why = "no concurrency recorded";
        return std::nullopt;
    }
    const std::string gpu = textCell(t, row, "gpu");
    if (platformForGpu(gpu).empty()) {
        why = "no platform for gpu '" + gpu + "'";
        return std::nullopt;
    }
    const int64_t c = *concurrency;
    nlohmann::json j{{"id", textCell(t, row, "id")},
                     {"kind", "serving"},
                     {"model", textCell(t, row, "model_path")},
                     {"backend", textCell(t, row, "backend")},
                     {"mode", textCell(t, row, "mode")},
                     {"isl", intCell(t, row, "isl").value_or(0)},
                     {"osl", intCell(t, row, "osl").value_or(0)},
                     {"concurrency", c},
                     {"requests", std::max<int64_t>(20, 5 * c)},
                     {"warmup", c},
                     // The runs' benchmark (aiperf, --num-requests 10 x concurrency: aiconfigurator's
                     // docs/dynamo_deployment_guide.md "we use concurrency * 10 as num_requests" to dilute the first
                     // batch) starts cold: its mean TTFT counts the first wave, all clients at once, as 1 in 10.
                     {"benchmark_rounds", kBenchmarkRounds},
                     {"kv", "bf16"}};
    const std::string gemm = textCell(t, row, "gemm_quant_mode");
    j["weights"] = weightFormat(gemm.empty() ? textCell(t, row, "precision") : gemm);
    if (const std::string moe = textCell(t, row, "moe_quant_mode"); !moe.empty())
        j["moe_weights"] = weightFormat(moe);
    // The engine settings aiconfigurator's benchmark deployments run with (its config generator's benchmark rules,
    // generator/rule_plugin/benchmark/{trtllm,vllm,sglang}.rule and aic-core sdk/models/helpers.py at commit
    // 095f58a, "preserve_engine_limits" off), which the rows do not repeat:
    // - KV cache: fp8 for quantized checkpoints (fp8, fp8_block, nvfp4: kvcache and fmha quant fp8), else bf16.
    // - Tokens per iteration, per worker: aggregated batch + isl + 1500 (TensorRT-LLM rounded up to its 32-token
    //   KV blocks; vLLM max_num_batched_tokens; SGLang max_prefill_tokens = isl + 1500, which caps its prefill
    //   below the default chunked_prefill_size); disaggregated prefill isl + 1500, decode the batch.
    const std::string w = j["weights"].get<std::string>();
    if (w == "fp8" || w == "fp8_block" || w == "nvfp4")
        j["kv"] = "fp8";
    const std::string backend = textCell(t, row, "backend");
    const int64_t isl = intCell(t, row, "isl").value_or(0);
    // TensorRT-LLM and vLLM run one scheduler per attention-DP rank, each with this budget (the rank's batch + isl +
    // 1500): a worker of attention_dp ranks takes attention_dp times as many tokens per iteration. SGLang divides its
    // chunked_prefill_size over the DP ranks, so its worker's budget stays the same.
    auto budget = [&](nlohmann::json& pool, const char* role) {
        const int64_t batch = pool.value("batch", int64_t(0));
        const bool sglang = backend == "sglang";
        const int64_t ranks = sglang ? 1 : std::max<int64_t>(1, pool.value("attention_dp", int64_t(1)));
        int64_t tokens = 0;
        if (std::string(role) == "decode")
            tokens = batch;
        else if (sglang)
            tokens = isl + 1500; // max_prefill_tokens: capped by the stack's chunked_prefill_size when resolved
        else
            tokens = (std::string(role) == "agg" ? batch / ranks : 0) + isl + 1500;
        if (backend == "trtllm" || backend == "tensorrt-llm")
            tokens = (tokens + 31) / 32 * 32;
        if (std::string(role) != "decode")
            tokens *= ranks;
        if (tokens > 0)
            pool["max_num_tokens"] = tokens;
    };
    if (textCell(t, row, "mode") == "disagg") {
        // Without its worker counts a disaggregated run's GPUs are unknown (aiconfigurator's own accuracy check,
        // tools/accuracy_regression_testing/predict_silicon_sample.py, refuses such rows too). The sample holds some
        // runs twice, from two dumps: a copy with the counts gives the layout.
        std::size_t layoutRow = row;
        if (!hasWorkerCounts(t, row)) {
            const auto copy = completeCopyOf(t, row);
            if (!copy) {
                why = "disaggregated run without worker counts (prefill_num_workers, decode_num_workers): layout "
                      "unknown";
                return std::nullopt;
            }
            layoutRow = *copy;
        }
        j["prefill"] = poolOfRow(t, layoutRow, "prefill_", c);
        j["decode"] = poolOfRow(t, layoutRow, "decode_", c);
        budget(j["prefill"], "prefill");
        budget(j["decode"], "decode");
    } else {
        nlohmann::json pool = poolOfRow(t, row, "", c);
        budget(pool, "agg");
        j.update(pool);
    }
    return j;
}

ServingErrorStats servingErrorStats(const std::vector<const ServingValidationRow*>& rows) {
    ServingErrorStats s;
    s.n = rows.size();
    if (rows.empty())
        return s;
    std::vector<double> ttft, tpot;
    double ttftSum = 0, tpotSum = 0;
    for (const ServingValidationRow* r : rows) {
        ttft.push_back(std::abs(r->ttftErrorPct));
        tpot.push_back(std::abs(r->tpotErrorPct));
        ttftSum += r->ttftErrorPct;
        tpotSum += r->tpotErrorPct;
    }
    auto mean = [](const std::vector<double>& v) {
        double sum = 0;
        for (double x : v)
            sum += x;
        return sum / double(v.size());
    };
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        const std::size_t n = v.size();
        return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    };
    s.ttftMapePct = mean(ttft);
    s.tpotMapePct = mean(tpot);
    s.ttftMedianPct = median(ttft);
    s.tpotMedianPct = median(tpot);
    s.ttftBiasPct = ttftSum / double(rows.size());
    s.tpotBiasPct = tpotSum / double(rows.size());
    return s;
}

bool isCalibrationRow(const io::CsvTable& t, std::size_t row) {
    static constexpr const char* kKey[] = {"gpu",
                                           "backend",
                                           "model_path",
                                           "mode",
                                           "isl",
                                           "osl",
                                           "precision",
                                           "gemm_quant_mode",
                                           "moe_quant_mode",
                                           "tp_size",
                                           "pp_size",
                                           "attention_dp_size",
                                           "moe_tp_size",
                                           "moe_ep_size",
                                           "prefill_num_workers",
                                           "prefill_tp_size",
                                           "prefill_pp_size",
                                           "prefill_attention_dp_size",
                                           "prefill_moe_tp_size",
                                           "prefill_moe_ep_size",
                                           "decode_num_workers",
                                           "decode_tp_size",
                                           "decode_pp_size",
                                           "decode_attention_dp_size",
                                           "decode_moe_tp_size",
                                           "decode_moe_ep_size"};
    std::string key;
    for (const char* col : kKey)
        key += textCell(t, row, col) + "|";
    return (io::fnv1a(key) >> 7) % 2 == 0;
}

ServingValidationReport validateServingBenchmark(const io::CsvTable& table, io::Catalog& catalog,
                                                 const std::string& platform, unsigned threads,
                                                 const ServingValidationOptions& vo) {
    const auto t0 = std::chrono::steady_clock::now();
    ServingValidationReport rep;
    rep.dataset = table.file;
    const std::size_t n = table.rows.size();
    rep.rows.resize(n);
    Options options = vo.simulator;
    options.keepIterations = false;

    auto runRow = [&](std::size_t i) {
        ServingValidationRow& v = rep.rows[i];
        v.id = textCell(table, i, "id");
        v.line = i < table.rowLines.size() ? table.rowLines[i] : 0;
        v.gpu = textCell(table, i, "gpu");
        v.backend = textCell(table, i, "backend");
        v.mode = textCell(table, i, "mode");
        v.model = textCell(table, i, "model_path");
        v.group = v.gpu + " " + v.backend + " " + v.mode + " " + v.model;
        v.concurrency = intCell(table, i, "concurrency").value_or(0);
        auto skip = [&](std::string category, std::string detail) {
            v.category = std::move(category);
            v.skipped = detail.empty() ? v.category : std::move(detail);
        };
        if (vo.split != ServingSplit::All && isCalibrationRow(table, i) != (vo.split == ServingSplit::Calibration))
            return skip(vo.split == ServingSplit::Calibration ? "held out (not in the calibration half)"
                                                              : "in the calibration half (not held out)",
                        "");
        if (vo.include && !vo.include(table, i))
            return skip("not selected", "");
        const auto ttft = numCell(table, i, "ttft_ms"), tpot = numCell(table, i, "tpot_ms");
        if (!ttft || !tpot)
            return skip("no measured ttft_ms / tpot_ms", "");
        v.measuredTtftS = *ttft * 1e-3;
        v.measuredTpotS = *tpot * 1e-3;
        std::string why;
        auto line = caseOfRow(table, i, why);
        if (!line)
            return skip(why, "");
        try {
            // A row's "fp8" on a block-scaled FP8 checkpoint (DeepSeek-V3/R1, Qwen3-235B-A22B-FP8, MiniMax-M2.5) ran
            // the block-scaled kernels: the checkpoint decides the scaling (aiconfigurator infers it from the raw
            // config the same way).
            const LlmArch& arch = catalog.model(v.model);
            if (const auto it = arch.checkpointWeights.find(v.model); it != arch.checkpointWeights.end())
                for (const char* key : {"weights", "moe_weights"})
                    if (line->contains(key) && (*line)[key] == "fp8" && it->second == "fp8_block")
                        (*line)[key] = "fp8_block";
        } catch (const InputError& e) {
            return skip("no preset for " + v.model, e.message());
        }
        try {
            spec::CodecSource src;
            src.file = table.file;
            src.line = v.line;
            Request r = spec::decodeRequest(*line, src);
            catalog.resolve(r);
            if (auto* t = r.target(); t && !vo.stacks.empty())
                if (const auto it = vo.stacks.find(t->stackName); it != vo.stacks.end())
                    t->stack = it->second;
            // SGLang's max_prefill_tokens caps its chunked_prefill_size (the stack's token budget), not replaces it.
            auto& w = std::get<ServingWork>(r.workload);
            if (w.backend == "sglang")
                for (ServingPool* p : {&w.aggregated, &w.prefill, &w.decode})
                    if (p->maxNumTokens > 0)
                        p->maxNumTokens = std::min(p->maxNumTokens, w.target.stack->scheduler.tokenBudget);
            const PlatformTarget& target = catalog.platform(platform.empty() ? platformForGpu(v.gpu) : platform);
            const ServingResult res = simulateRequest(target.model, r, options);
            v.gpus = std::get<ServingWork>(r.workload).gpus();
            if (!res.ok)
                return skip("not simulated: " + res.error, "");
            v.predictedTtftS = res.ttftS.mean;
            v.predictedTpotS = res.tpotS.mean;
            v.ttftErrorPct = (v.predictedTtftS - v.measuredTtftS) / v.measuredTtftS * 100;
            v.tpotErrorPct = (v.predictedTpotS - v.measuredTpotS) / v.measuredTpotS * 100;
            v.predicted = true;
        } catch (const InputError& e) {
            return skip((e.key().empty() ? "" : "'" + e.key() + "': ") + e.message(), "");
        }
    };

    rep.threads = parallelThreads(n, threads);
    parallelFor(n, rep.threads, runRow);

    std::vector<const ServingValidationRow*> all;
    std::map<std::string, std::vector<const ServingValidationRow*>> byGroup;
    for (const ServingValidationRow& v : rep.rows) {
        ++rep.rowsPerGroup[v.group];
        if (v.predicted) {
            all.push_back(&v);
            byGroup[v.group].push_back(&v);
        } else {
            ++rep.skipped[v.category];
        }
    }
    rep.predicted = all.size();
    rep.overall = servingErrorStats(all);
    for (const auto& [g, rows] : byGroup)
        rep.groups[g] = servingErrorStats(rows);
    rep.wallS = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return rep;
}

} // namespace rooflab::serving
