// rooflab search: the best configuration under service-level targets (and the Pareto front of throughput per
// device vs TPOT), platform requirements (--requirements), and prefill/decode phase splitting (--split).
#include "analysis/search.hpp"
#include "common.hpp"
#include "engine/predict.hpp"
#include "io/data_paths.hpp"
#include "io/files.hpp"
#include "io/model_loader.hpp"
#include "io/platform_loader.hpp"
#include "io/stack_loader.hpp"
#include "io/validation_status.hpp"
#include "registry.hpp"
#include "serving/deployment_search.hpp"
#include "units/errors.hpp"
#include "units/quantity.hpp"

#include <charconv>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

namespace rooflab::cli {
namespace {

struct SearchOptions {
    std::string platform = "h100-sxm5-80gb,h200-sxm-141gb", model = "llama-3.1-8b", stack = "pytorch-eager";
    std::string batch = "1:256:x2", tp = "1,2,4,8", pp = "1", weights = "bf16", kv = "bf16";
    int64_t prompt = 1024, output = 256;
    double ttftMaxS = 0, tpotMaxS = 0, rateTokensPerS = 0;
    std::string costPerHour;    // "P=USD,..."
    std::string objective;      // devices | cost
    std::string paretoCsv, out; // CSV of the Pareto front / all candidates
    std::string format = "table";
    bool requirements = false;
    std::string split; // "prefill=P1,decode=P2"
    int splitPrefillTp = 1, splitDecodeTp = 1;
    int64_t splitPrefillBatch = 1, splitDecodeBatch = 64;
    double requestsPerS = 1, linkBytesPerS = 0;
    int threads = 0;
    int64_t batchOne = 0; // requirements: the batch (first of --batch when 0)
    // Deployment search on the serving simulator (--gpus N).
    int gpus = 0;
    std::string mode = "agg,disagg", attentionDp = "1";
    int prefillBatch = 1, requestsPerClient = 4;
};
SearchOptions g_search;

std::vector<std::string> splitList(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ','))
        if (!item.empty())
            out.push_back(item);
    return out;
}

double parseNumber(const std::string& text, const std::string& key) {
    double v = 0;
    const char* e = text.data() + text.size();
    auto [p, ec] = std::from_chars(text.data(), e, v);
    if (ec != std::errc() || p != e || !(v >= 0) || v > 1e12)
        throw InputError("", 0, key, "'" + text + "' is not a non-negative number");
    return v;
}

std::map<std::string, double> parsePrices(const std::string& text) {
    std::map<std::string, double> out;
    for (const std::string& item : splitList(text)) {
        const auto eq = item.find('=');
        if (eq == std::string::npos || eq == 0)
            throw InputError("", 0, "--cost-per-hour", "'" + item + "' is not PLATFORM=USD_PER_DEVICE_HOUR");
        out[item.substr(0, eq)] = parseNumber(item.substr(eq + 1), "--cost-per-hour");
    }
    return out;
}

std::vector<DType> dtypes(const std::string& text, const std::string& key) {
    std::vector<DType> out;
    for (const std::string& n : splitList(text))
        out.push_back(parseDTypeOption(n, key));
    if (out.empty())
        throw InputError("", 0, key, "empty list");
    return out;
}

std::vector<int> intsOf(const std::string& text, const std::string& key) {
    std::vector<int> out;
    for (int64_t v : parseIntList(text, key, 1, 1 << 16))
        out.push_back(static_cast<int>(v));
    return out;
}

/// Written via a temporary and a rename (io::writeFileAtomic): a failed or killed search leaves the old file whole.
void writeText(const std::string& path, const std::string& text, const std::string& option) {
    io::writeFileAtomic(path, text, option);
}

std::string ms(double s) {
    return fmtNum(s * 1e3, 4);
}

// ---------------------------------------------------------------- (a) configuration search

void runConfigSearch(const SearchOptions& o) {
    SearchSpace sp;
    const auto prices = parsePrices(o.costPerHour);
    std::vector<Platform> hardware; ///< parallel to sp.platforms: for each one's confidence
    for (const std::string& n : splitList(o.platform)) {
        hardware.push_back(io::loadPlatformFile(io::findPlatformFile(n)));
        sp.platforms.push_back({n, PlatformModel::from(hardware.back())});
        auto it = prices.find(n);
        sp.pricePerDeviceHour.push_back(it == prices.end() ? 0.0 : it->second);
    }
    for (const auto& [name, price] : prices)
        if (std::none_of(sp.platforms.begin(), sp.platforms.end(), [&](const auto& p) { return p.name == name; }))
            throw InputError("", 0, "--cost-per-hour", "'" + name + "' is not one of the --platform list");
    if (sp.platforms.empty())
        throw InputError("", 0, "--platform", "empty list");
    sp.model = io::loadModel(o.model);
    sp.stack = io::loadStack(o.stack);
    sp.batch = parseIntList(o.batch, "--batch", 1, int64_t(1) << 20);
    sp.tp = intsOf(o.tp, "--tp");
    sp.pp = intsOf(o.pp, "--pp");
    sp.weights = dtypes(o.weights, "--weights");
    sp.kv = dtypes(o.kv, "--kv");
    sp.prompt = o.prompt;
    sp.output = o.output;
    sp.rateTokensPerS = o.rateTokensPerS;
    SearchObjective obj = prices.empty() ? SearchObjective::Devices : SearchObjective::Cost;
    if (o.objective == "devices")
        obj = SearchObjective::Devices;
    else if (o.objective == "cost")
        obj = SearchObjective::Cost;
    else if (!o.objective.empty())
        throw InputError("", 0, "--minimize", "'" + o.objective + "' is not one of devices, cost");
    if (obj == SearchObjective::Cost && prices.size() != sp.platforms.size())
        throw InputError("", 0, "--cost-per-hour", "minimizing cost needs a price for every platform");
    const SloTargets slo{o.ttftMaxS, o.tpotMaxS};
    const SearchResult res = searchConfigurations(sp, slo, obj, static_cast<unsigned>(std::max(0, o.threads)));
    std::vector<Confidence> conf; ///< per platform: the step model's confidence with this stack
    for (const Platform& h : hardware)
        conf.push_back(
            resolveConfidence(shippedValidationStatus(), h, &sp.stack,
                              h.kind == DeviceKind::Cpu ? PredictionScope::CpuLlm : PredictionScope::LlmStep));

    const std::vector<std::string> header = {"platform",
                                             "tp",
                                             "pp",
                                             "dp",
                                             "batch",
                                             "weights",
                                             "kv",
                                             "devices",
                                             "ttft_s",
                                             "tpot_s",
                                             "e2e_s",
                                             "replica_tokens_per_s",
                                             "tokens_per_s_per_device",
                                             "cost_per_hour_usd",
                                             "energy_per_token_j",
                                             "energy_per_request_j",
                                             "power_w",
                                             "meets_slo",
                                             "why_not",
                                             "confidence",
                                             "confidence_mape_percent",
                                             "confidence_basis"};
    auto row = [&](const SearchCandidate& c) {
        return std::vector<std::string>{sp.platforms[c.platform].name,
                                        std::to_string(c.tp),
                                        std::to_string(c.pp),
                                        std::to_string(c.dp),
                                        std::to_string(c.batch),
                                        std::string(dtypeName(c.weights)),
                                        std::string(dtypeName(c.kv)),
                                        std::to_string(c.devices),
                                        fmtNum(c.ttftS, 6),
                                        fmtNum(c.tpotS, 6),
                                        fmtNum(c.e2eS, 6),
                                        fmtNum(c.replicaTokensPerS, 6),
                                        fmtNum(c.tokensPerSPerDevice, 6),
                                        fmtNum(c.costPerHour, 6),
                                        fmtNum(c.energyPerTokenJ, 6),
                                        fmtNum(c.energyPerRequestJ, 6),
                                        fmtNum(c.powerW, 6),
                                        c.meetsSlo ? "true" : "false",
                                        c.why,
                                        std::string(confidenceLevelName(conf[c.platform].level)),
                                        conf[c.platform].mapeKnown() ? report::csvNum(conf[c.platform].mapePct)
                                                                     : std::string(),
                                        conf[c.platform].summary()};
    };
    std::vector<std::vector<std::string>> front;
    for (std::size_t i : res.pareto)
        front.push_back(row(res.candidates[i]));
    if (!o.paretoCsv.empty()) {
        std::ostringstream os;
        printCsv(os, header, front);
        writeText(o.paretoCsv, os.str(), "--pareto-csv");
    }
    if (!o.out.empty()) {
        std::vector<std::vector<std::string>> all;
        for (const auto& c : res.candidates)
            all.push_back(row(c));
        std::ostringstream os;
        printCsv(os, header, all);
        writeText(o.out, os.str(), "--out");
    }
    std::size_t meeting = 0;
    for (const auto& c : res.candidates)
        meeting += c.meetsSlo ? 1 : 0;
    if (o.format == "json") {
        auto cj = [&](const SearchCandidate& c) {
            nlohmann::json j{{"platform", sp.platforms[c.platform].name},
                             {"tp", c.tp},
                             {"pp", c.pp},
                             {"dp", c.dp},
                             {"batch", c.batch},
                             {"weights", std::string(dtypeName(c.weights))},
                             {"kv", std::string(dtypeName(c.kv))},
                             {"devices", c.devices},
                             {"ttft_s", c.ttftS},
                             {"tpot_s", c.tpotS},
                             {"e2e_s", c.e2eS},
                             {"replica_tokens_per_s", c.replicaTokensPerS},
                             {"tokens_per_s_per_device", c.tokensPerSPerDevice},
                             {"cost_per_hour_usd", c.costPerHour},
                             {"energy_per_token_j", c.energyPerTokenJ},
                             {"energy_per_request_j", c.energyPerRequestJ},
                             {"power_w", c.powerW},
                             {"meets_slo", c.meetsSlo},
                             {"fits", c.fits}};
            if (!c.why.empty())
                j["why_not"] = c.why;
            report::addConfidenceJson(j, conf[c.platform]);
            return j;
        };
        nlohmann::json j{{"model", sp.model.name}, {"candidates", res.candidates.size()}, {"meeting_slo", meeting}};
        j["best"] = res.best ? cj(res.candidates[*res.best]) : nlohmann::json();
        j["pareto"] = nlohmann::json::array();
        for (std::size_t i : res.pareto)
            j["pareto"].push_back(cj(res.candidates[i]));
        std::cout << j.dump(2) << "\n";
    } else {
        std::cout << "search: " << sp.model.name << ", prompt " << sp.prompt << ", output " << sp.output << " tokens; "
                  << res.candidates.size() << " candidates, " << meeting << " meet";
        if (slo.ttftMaxS > 0)
            std::cout << " TTFT <= " << ms(slo.ttftMaxS) << " ms";
        if (slo.tpotMaxS > 0)
            std::cout << " TPOT <= " << ms(slo.tpotMaxS) << " ms";
        std::cout << " and fit in memory";
        if (sp.rateTokensPerS > 0)
            std::cout << " (replicas sized for " << fmtNum(sp.rateTokensPerS, 6) << " tokens/s)";
        std::cout << "\n";
        for (std::size_t i = 0; i < conf.size(); ++i)
            std::cout << "confidence: " << (conf.size() > 1 ? sp.platforms[i].name + ": " : "") << conf[i].summary()
                      << "\n";
        if (res.best) {
            const SearchCandidate& b = res.candidates[*res.best];
            std::cout << "best (" << (obj == SearchObjective::Cost ? "lowest cost" : "fewest devices")
                      << "): " << sp.platforms[b.platform].name << " TP " << b.tp << " PP " << b.pp << " DP " << b.dp
                      << ", batch " << b.batch << ", weights " << dtypeName(b.weights) << ", KV " << dtypeName(b.kv)
                      << " -> " << b.devices << " device" << (b.devices > 1 ? "s" : "") << ", TTFT " << ms(b.ttftS)
                      << " ms, TPOT " << ms(b.tpotS) << " ms, " << fmtNum(b.tokensPerSPerDevice, 5)
                      << " tokens/s per device, " << fmtNum(b.energyPerTokenJ, 3) << " J/token, "
                      << fmtNum(b.energyPerRequestJ, 4) << " J/request";
            if (b.costPerHour > 0)
                std::cout << ", $" << fmtNum(b.costPerHour, 5) << "/h";
            std::cout << "\n";
        } else {
            std::cout << "no candidate meets the targets\n";
        }
        std::cout << "\nPareto front (throughput per device vs TPOT; fitting candidates):\n";
        std::vector<std::vector<std::string>> rows;
        for (std::size_t i : res.pareto) {
            const SearchCandidate& c = res.candidates[i];
            rows.push_back({sp.platforms[c.platform].name, std::to_string(c.tp), std::to_string(c.batch),
                            std::string(dtypeName(c.weights)), ms(c.tpotS), ms(c.ttftS),
                            fmtNum(c.tokensPerSPerDevice, 5), fmtNum(c.energyPerTokenJ, 3), conf[c.platform].badge(),
                            c.meetsSlo ? "yes" : c.why});
        }
        printTable(std::cout,
                   {"platform", "tp", "batch", "weights", "TPOT ms", "TTFT ms", "tok/s/device", "J/token", "confidence",
                    "meets SLO"},
                   rows);
        if (!o.paretoCsv.empty())
            std::cout << "\nPareto front written to " << o.paretoCsv << "\n";
    }
}

// ---------------------------------------------------------------- (b) requirements

void runRequirements(const SearchOptions& o) {
    if (o.ttftMaxS <= 0 && o.tpotMaxS <= 0)
        throw InputError("", 0, "--requirements", "needs a target: --ttft-max and/or --tpot-max");
    const auto names = splitList(o.platform);
    if (names.empty())
        throw InputError("", 0, "--platform", "empty list");
    const Platform plat = io::loadPlatformFile(io::findPlatformFile(names.front()));
    const PlatformModel pm = PlatformModel::from(plat);
    const LlmArch arch = io::loadModel(o.model);
    const StackProfile stack = io::loadStack(o.stack);
    const Scenario s =
        ScenarioBuilder()
            .batch(o.batchOne > 0 ? o.batchOne : parseIntList(o.batch, "--batch", 1, int64_t(1) << 20).front())
            .prompt(o.prompt)
            .context(o.prompt)
            .outputTokens(o.output)
            .tp(intsOf(o.tp, "--tp").front())
            .pp(intsOf(o.pp, "--pp").front())
            .weights(dtypes(o.weights, "--weights").front())
            .kv(dtypes(o.kv, "--kv").front())
            .build("--");
    const SloTargets slo{o.ttftMaxS, o.tpotMaxS};
    const Result outcome = predict(pm, llmRequestOf(arch, stack, s, true));
    if (!outcome.ok)
        throw InputError("", 0, "", outcome.error);
    const RequestPrediction& r = *outcome.request();
    const auto req = platformRequirements(pm, arch, stack, s, slo);
    const Confidence conf =
        resolveConfidence(shippedValidationStatus(), plat, &stack,
                          plat.kind == DeviceKind::Cpu ? PredictionScope::CpuLlm : PredictionScope::LlmStep);
    auto unitFmt = [](double v, const std::string& unit) {
        if (unit == "flop/s")
            return formatQuantity(v, Dimension::FlopPerSecond, 4);
        if (unit == "bytes/s")
            return formatQuantity(v, Dimension::BytesPerSecond, 4);
        return formatQuantity(v, Dimension::Bytes, 4);
    };
    if (o.format == "json") {
        nlohmann::json j{{"platform", plat.name},      {"model", arch.name},         {"batch", s.batch},
                         {"prompt", s.prompt},         {"output", s.outputTokens},   {"tp", s.tp},
                         {"ttft_max_s", slo.ttftMaxS}, {"tpot_max_s", slo.tpotMaxS}, {"base_ttft_s", r.ttftS},
                         {"base_tpot_s", r.tpotS}};
        report::addConfidenceJson(j, conf);
        j["requirements"] = nlohmann::json::array();
        for (const auto& q : req)
            j["requirements"].push_back({{"resource", std::string(resourceName(q.resource))},
                                         {"unit", q.unit},
                                         {"platform_value", q.baseValue},
                                         {"required_value", q.requiredValue},
                                         {"factor", q.factor},
                                         {"reachable", q.reachable},
                                         {"ttft_factor", q.ttftFactor},
                                         {"ttft_reachable", q.ttftReachable},
                                         {"tpot_factor", q.tpotFactor},
                                         {"tpot_reachable", q.tpotReachable},
                                         {"note", q.note}});
        std::cout << j.dump(2) << "\n";
        return;
    }
    std::cout << "requirements: " << arch.name << ", batch " << s.batch << ", prompt " << s.prompt << ", output "
              << s.outputTokens << ", TP " << s.tp << "; targets";
    if (slo.ttftMaxS > 0)
        std::cout << " TTFT <= " << ms(slo.ttftMaxS) << " ms";
    if (slo.tpotMaxS > 0)
        std::cout << " TPOT <= " << ms(slo.tpotMaxS) << " ms";
    std::cout << "\nbase platform " << plat.name << ": TTFT " << ms(r.ttftS) << " ms, TPOT " << ms(r.tpotS)
              << " ms. Each resource is scaled alone, the others kept at " << plat.name << "'s values.\n";
    std::cout << "confidence: " << conf.summary() << "\n\n";
    std::vector<std::vector<std::string>> rows;
    auto cell = [&](const Requirement& q, bool reachable, double factor, bool target) -> std::string {
        if (!target)
            return "-";
        if (q.resource == Resource::MemoryCapacity)
            return unitFmt(q.requiredValue, q.unit);
        if (q.baseValue <= 0 || (q.resource == Resource::Interconnect && s.tp * s.pp <= 1))
            return "-";
        if (!reachable)
            return "unreachable";
        return unitFmt(factor * q.baseValue, q.unit) + " (x" + fmtNum(factor, 3) + ")";
    };
    for (const auto& q : req)
        rows.push_back({std::string(resourceName(q.resource)), q.baseValue > 0 ? unitFmt(q.baseValue, q.unit) : "-",
                        cell(q, q.ttftReachable, q.ttftFactor, slo.ttftMaxS > 0),
                        cell(q, q.tpotReachable, q.tpotFactor, slo.tpotMaxS > 0), cell(q, q.reachable, q.factor, true),
                        q.note});
    printTable(std::cout, {"resource", plat.name, "for TTFT", "for TPOT", "for both", "note"}, rows);
}

// ---------------------------------------------------------------- (c) phase splitting

bool meets(const SloTargets& slo, const SplitDeployment& d, std::string& why) {
    if (slo.ttftMaxS > 0 && d.ttftS > slo.ttftMaxS) {
        why = "TTFT > " + ms(slo.ttftMaxS) + " ms";
        return false;
    }
    if (slo.tpotMaxS > 0 && d.tpotS > slo.tpotMaxS) {
        why = "TPOT > " + ms(slo.tpotMaxS) + " ms";
        return false;
    }
    return true;
}

void runSplit(const SearchOptions& o) {
    std::string pre, dec;
    for (const std::string& item : splitList(o.split)) {
        if (item.starts_with("prefill="))
            pre = item.substr(8);
        else if (item.starts_with("decode="))
            dec = item.substr(7);
        else
            throw InputError("", 0, "--split", "'" + item + "' is not prefill=PLATFORM or decode=PLATFORM");
    }
    if (pre.empty() || dec.empty())
        throw InputError("", 0, "--split", "needs prefill=PLATFORM,decode=PLATFORM");
    if (!(o.requestsPerS > 0))
        throw InputError("", 0, "--rate", "must be positive (requests per second)");
    const auto prices = parsePrices(o.costPerHour);
    SplitInputs in;
    in.model = io::loadModel(o.model);
    in.stack = io::loadStack(o.stack);
    auto side = [&](SplitSide& sd, const std::string& name, int tp, int64_t batch) {
        sd.name = name;
        sd.platform = PlatformModel::from(io::loadPlatformFile(io::findPlatformFile(name)));
        sd.tp = tp;
        sd.batch = batch;
        auto it = prices.find(name);
        sd.pricePerDeviceHour = it == prices.end() ? 0.0 : it->second;
    };
    side(in.prefill, pre, o.splitPrefillTp, o.splitPrefillBatch);
    side(in.decode, dec, o.splitDecodeTp, o.splitDecodeBatch);
    in.prompt = o.prompt;
    in.output = o.output;
    in.requestsPerS = o.requestsPerS;
    in.weights = dtypes(o.weights, "--weights").front();
    in.kv = dtypes(o.kv, "--kv").front();
    in.linkBytesPerS = o.linkBytesPerS;
    const auto deps = evaluateSplit(in);
    const SloTargets slo{o.ttftMaxS, o.tpotMaxS};
    if (o.format == "json") {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& d : deps) {
            std::string why;
            const bool m = d.ok && meets(slo, d, why);
            j.push_back({{"deployment", d.label},
                         {"ok", d.ok},
                         {"why", d.ok ? why : d.why},
                         {"meets_slo", m},
                         {"ttft_s", d.ttftS},
                         {"prefill_s", d.prefillS},
                         {"kv_transfer_s", d.transferS},
                         {"kv_bytes_per_request", d.kvBytesPerRequest},
                         {"tpot_s", d.tpotS},
                         {"prefill_instances", d.prefillInstances},
                         {"decode_instances", d.decodeInstances},
                         {"devices", d.devices},
                         {"capacity_requests_per_s", d.requestsPerSCapacity},
                         {"tokens_per_s", d.tokensPerS},
                         {"cost_per_hour_usd", d.costPerHour},
                         {"cost_per_million_tokens_usd", d.costPerMillionTokens},
                         {"power_w", d.powerW},
                         {"energy_per_request_j", d.energyPerRequestJ},
                         {"energy_per_token_j", d.energyPerTokenJ}});
        }
        std::cout << j.dump(2) << "\n";
        return;
    }
    std::cout << "phase split: " << in.model.name << ", prompt " << in.prompt << ", output " << in.output << " tokens, "
              << fmtNum(in.requestsPerS, 5) << " requests/s; prefill TP " << in.prefill.tp << " batch "
              << in.prefill.batch << ", decode TP " << in.decode.tp << " batch " << in.decode.batch << "\n\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& d : deps) {
        if (!d.ok) {
            rows.push_back({d.label, "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", d.why});
            continue;
        }
        std::string why;
        const bool m = meets(slo, d, why);
        const std::string inst = d.prefillInstances > 0
                                     ? std::to_string(d.prefillInstances) + "+" + std::to_string(d.decodeInstances)
                                     : std::to_string(d.decodeInstances);
        rows.push_back({d.label, ms(d.ttftS), d.transferS > 0 ? ms(d.transferS) : "-", ms(d.tpotS), inst,
                        std::to_string(d.devices), fmtNum(d.tokensPerS, 5),
                        d.costPerHour > 0 ? fmtNum(d.costPerHour, 5) : "-",
                        d.costPerMillionTokens > 0 ? fmtNum(d.costPerMillionTokens, 4) : "-", fmtNum(d.powerW / 1e3, 4),
                        fmtNum(d.energyPerRequestJ, 4), m ? "yes" : why});
    }
    printTable(std::cout,
               {"deployment", "TTFT ms", "KV xfer ms", "TPOT ms", "instances", "devices", "tokens/s", "USD/h",
                "USD/Mtok", "kW", "J/request", "meets SLO"},
               rows);
    if (!deps.empty() && deps.front().ok)
        std::cout << "\nKV cache per request: " << fmtBytes(deps.front().kvBytesPerRequest)
                  << " moved over the scale-out network (per-device links x min(TP)).\n";
}

// ---------------------------------------------------------------- deployment search on the serving simulator

void runServingSearch(const SearchOptions& o, bool stackGiven, bool batchGiven) {
    const std::vector<std::string> platforms = splitList(o.platform);
    if (platforms.size() != 1)
        throw InputError("", 0, "--platform",
                         "a deployment search (--gpus) takes one node platform, e.g. hgx-h200-8gpu");
    const Platform nodeHardware = io::loadPlatformFile(io::findPlatformFile(platforms.front()));
    const PlatformModel node = PlatformModel::from(nodeHardware);
    serving::DeploymentSearchSpace sp;
    sp.arch = io::loadModel(o.model);
    sp.stack = io::loadStack(stackGiven ? o.stack : std::string("vllm"));
    const Confidence conf =
        resolveConfidence(shippedValidationStatus(), nodeHardware, &sp.stack, PredictionScope::Serving);
    const std::vector<DType> w = dtypes(o.weights, "--weights"), kv = dtypes(o.kv, "--kv");
    if (w.size() != 1 || kv.size() != 1)
        throw InputError("", 0, "--weights", "a deployment search takes one weight and one KV datatype");
    sp.datatypes = ScenarioBuilder()
                       .weights(w.front())
                       .kv(kv.front())
                       .act(isFloat8(w.front()) ? w.front() : DType::bf16)
                       .build("--");
    sp.gpuBudget = o.gpus;
    sp.inputTokens = o.prompt;
    sp.outputTokens = o.output;
    sp.tp = intsOf(o.tp, "--tp");
    sp.pp = intsOf(o.pp, "--pp");
    sp.attentionDp = intsOf(o.attentionDp, "--attention-dp");
    if (batchGiven) {
        sp.batch.clear();
        for (int64_t b : parseIntList(o.batch, "--batch", 1, 1 << 16))
            sp.batch.push_back(static_cast<int>(b));
    }
    sp.aggregated = sp.disaggregated = false;
    for (const std::string& m : splitList(o.mode)) {
        if (m == "agg")
            sp.aggregated = true;
        else if (m == "disagg")
            sp.disaggregated = true;
        else
            throw InputError("", 0, "--mode", "'" + m + "' is not one of agg, disagg");
    }
    sp.prefillBatch = o.prefillBatch;
    sp.requestsPerClient = o.requestsPerClient;
    const serving::DeploymentSlo slo{o.ttftMaxS, o.tpotMaxS, o.rateTokensPerS};
    const serving::DeploymentSearchResult res =
        serving::searchDeployments(node, sp, slo, static_cast<unsigned>(std::max(0, o.threads)));

    const std::vector<std::string> header = {"deployment",
                                             "mode",
                                             "gpus",
                                             "replicas",
                                             "total_gpus",
                                             "concurrency",
                                             "ttft_s",
                                             "tpot_s",
                                             "ttft_p90_s",
                                             "tpot_p90_s",
                                             "e2e_s",
                                             "output_tokens_per_s",
                                             "output_tokens_per_s_per_gpu",
                                             "output_tokens_per_s_per_user",
                                             "status",
                                             "meets_slo",
                                             "error",
                                             "confidence",
                                             "confidence_mape_percent",
                                             "confidence_basis"};
    auto num = [](bool ok, double v) { return ok ? fmtNum(v, 6) : std::string(); };
    auto row = [&](const serving::DeploymentCandidate& c) {
        return std::vector<std::string>{serving::describeDeployment(c.deployment),
                                        c.deployment.mode == serving::DeploymentMode::Aggregated ? "agg" : "disagg",
                                        c.ok ? std::to_string(c.gpus) : "",
                                        c.ok ? std::to_string(c.replicas) : "",
                                        c.ok ? std::to_string(c.totalGpus) : "",
                                        std::to_string(c.concurrency),
                                        num(c.ok, c.ttftS),
                                        num(c.ok, c.tpotS),
                                        num(c.ok, c.ttftP90S),
                                        num(c.ok, c.tpotP90S),
                                        num(c.ok, c.e2eS),
                                        num(c.ok, c.outputTokensPerS),
                                        num(c.ok, c.outputTokensPerSPerGpu),
                                        num(c.ok, c.outputTokensPerSPerUser),
                                        c.ok ? "ok" : "error",
                                        c.meetsSlo ? "true" : "false",
                                        c.ok ? (c.meetsSlo ? "" : c.why) : c.why,
                                        std::string(confidenceLevelName(conf.level)),
                                        conf.mapeKnown() ? report::csvNum(conf.mapePct) : std::string(),
                                        conf.summary()};
    };
    auto csvOf = [&](const std::vector<std::size_t>& idx) {
        std::vector<std::vector<std::string>> rows;
        for (std::size_t i : idx)
            rows.push_back(row(res.candidates[i]));
        std::ostringstream os;
        printCsv(os, header, rows);
        return os.str();
    };
    if (!o.paretoCsv.empty())
        io::writeFileAtomic(o.paretoCsv, csvOf(res.pareto));
    if (!o.out.empty()) {
        std::vector<std::size_t> all(res.candidates.size());
        for (std::size_t i = 0; i < all.size(); ++i)
            all[i] = i;
        io::writeFileAtomic(o.out, csvOf(all));
    }
    std::size_t simulated = 0, meeting = 0;
    for (const auto& c : res.candidates) {
        simulated += c.ok ? 1 : 0;
        meeting += c.meetsSlo ? 1 : 0;
    }
    if (o.format == "json") {
        auto cj = [&](const serving::DeploymentCandidate& c) {
            nlohmann::json j{{"deployment", serving::describeDeployment(c.deployment)},
                             {"mode", c.deployment.mode == serving::DeploymentMode::Aggregated ? "agg" : "disagg"},
                             {"concurrency", c.concurrency},
                             {"ok", c.ok},
                             {"meets_slo", c.meetsSlo}};
            if (c.ok) {
                j["gpus"] = c.gpus;
                j["replicas"] = c.replicas;
                j["total_gpus"] = c.totalGpus;
                j["ttft_s"] = c.ttftS;
                j["tpot_s"] = c.tpotS;
                j["e2e_s"] = c.e2eS;
                j["output_tokens_per_s"] = c.outputTokensPerS;
                j["output_tokens_per_s_per_gpu"] = c.outputTokensPerSPerGpu;
                j["output_tokens_per_s_per_user"] = c.outputTokensPerSPerUser;
            }
            if (!c.why.empty())
                j[c.ok ? "why_not" : "error"] = c.why;
            return j;
        };
        nlohmann::json j{{"model", sp.arch.name},
                         {"stack", sp.stack.name},
                         {"platform", platforms.front()},
                         {"gpu_budget", sp.gpuBudget},
                         {"candidates", res.candidates.size()},
                         {"simulated", simulated},
                         {"meeting_slo", meeting}};
        report::addConfidenceJson(j, conf);
        j["best"] = res.best ? cj(res.candidates[*res.best]) : nlohmann::json();
        j["pareto"] = nlohmann::json::array();
        for (std::size_t i : res.pareto)
            j["pareto"].push_back(cj(res.candidates[i]));
        std::cout << j.dump(2) << "\n";
        return;
    }
    std::cout << "deployment search: " << sp.arch.name << " with " << sp.stack.name << " on " << platforms.front()
              << ", up to " << sp.gpuBudget << " GPUs, isl " << sp.inputTokens << ", osl " << sp.outputTokens << "; "
              << res.candidates.size() << " configurations, " << simulated << " simulated, " << meeting
              << " meet the targets";
    if (slo.ttftMaxS > 0)
        std::cout << " (TTFT <= " << ms(slo.ttftMaxS) << " ms";
    if (slo.tpotMaxS > 0)
        std::cout << (slo.ttftMaxS > 0 ? ", " : " (") << "TPOT <= " << ms(slo.tpotMaxS) << " ms";
    if (slo.ttftMaxS > 0 || slo.tpotMaxS > 0)
        std::cout << ")";
    std::cout << "\n";
    std::cout << "confidence: " << conf.summary() << "\n";
    if (res.best) {
        const auto& b = res.candidates[*res.best];
        std::cout << "best: " << serving::describeDeployment(b.deployment) << " at concurrency " << b.concurrency
                  << " -> " << b.totalGpus << " GPU" << (b.totalGpus > 1 ? "s" : "");
        if (b.replicas > 1)
            std::cout << " (" << b.replicas << " replicas)";
        std::cout << ", TTFT " << ms(b.ttftS) << " ms, TPOT " << ms(b.tpotS) << " ms, "
                  << fmtNum(b.outputTokensPerSPerGpu, 5) << " tokens/s per GPU, "
                  << fmtNum(b.outputTokensPerSPerUser, 4) << " tokens/s per user\n";
    } else {
        std::cout << "no configuration meets the targets\n";
    }
    std::cout << "\nPareto front (output tokens/s per GPU vs per user; simulated closed loop):\n";
    std::vector<std::vector<std::string>> rows;
    for (std::size_t i : res.pareto) {
        const auto& c = res.candidates[i];
        rows.push_back({serving::describeDeployment(c.deployment), std::to_string(c.gpus),
                        std::to_string(c.concurrency), ms(c.ttftS), ms(c.tpotS), fmtNum(c.outputTokensPerSPerUser, 4),
                        fmtNum(c.outputTokensPerSPerGpu, 5), c.meetsSlo ? "yes" : c.why});
    }
    printTable(std::cout,
               {"deployment", "GPUs", "concurrency", "TTFT ms", "TPOT ms", "tok/s/user", "tok/s/GPU", "meets SLO"},
               rows);
    std::size_t failed = res.candidates.size() - simulated;
    if (failed > 0) {
        std::cout << "\n" << failed << " configuration" << (failed > 1 ? "s" : "") << " could not be simulated";
        for (const auto& c : res.candidates)
            if (!c.ok) {
                std::cout << ", e.g. " << serving::describeDeployment(c.deployment) << ": " << c.why;
                break;
            }
        std::cout << "\n";
    }
}

void runSearch(const SearchOptions& o, bool stackGiven, bool batchGiven) {
    if (o.format != "table" && o.format != "json")
        throw InputError("", 0, "--format", "'" + o.format + "' is not one of table, json");
    if (o.requirements && !o.split.empty())
        throw InputError("", 0, "--split", "choose one of --requirements and --split");
    if (o.gpus > 0 && (o.requirements || !o.split.empty()))
        throw InputError("", 0, "--gpus",
                         "a deployment search (--gpus) does not combine with --requirements or --split");
    if (o.gpus > 0)
        runServingSearch(o, stackGiven, batchGiven);
    else if (o.requirements)
        runRequirements(o);
    else if (!o.split.empty())
        runSplit(o);
    else
        runConfigSearch(o);
}

void addSearch(CLI::App& root, int&) {
    SearchOptions& o = g_search;
    CLI::App* c = root.add_subcommand(
        "search", "Best configuration under TTFT/TPOT targets (and the Pareto front), platform requirements "
                  "(--requirements), or prefill/decode phase splitting (--split)");
    c->add_option("--platform", o.platform, "candidate platforms (requirements: the base platform)")
        ->capture_default_str();
    c->add_option("--model", o.model, "model preset or config")->capture_default_str();
    c->add_option("--stack", o.stack,
                  "serving-stack profile (the serving search, --gpus, defaults to vllm, the most used serving stack)")
        ->capture_default_str();
    c->add_option("--batch", o.batch, "candidate batch sizes (list or range)")->capture_default_str();
    c->add_option("--tp", o.tp, "candidate tensor-parallel degrees")->capture_default_str();
    c->add_option("--pp", o.pp, "candidate pipeline degrees")->capture_default_str();
    c->add_option("--weights", o.weights, "candidate weight datatypes")->capture_default_str();
    c->add_option("--kv", o.kv, "candidate KV-cache datatypes")->capture_default_str();
    ranged(c->add_option("--prompt", o.prompt, "prompt tokens per request")->capture_default_str(), int64_t(1),
           int64_t(1) << 24);
    ranged(c->add_option("--output", o.output, "generated tokens per request")->capture_default_str(), int64_t(1),
           int64_t(1) << 24);
    ranged(c->add_option("--ttft-max", o.ttftMaxS, "TTFT target (seconds)"), 0.0, 1e6);
    ranged(c->add_option("--tpot-max", o.tpotMaxS, "TPOT target (seconds)"), 0.0, 1e6);
    ranged(c->add_option("--throughput", o.rateTokensPerS, "generated tokens/s to sustain (sizes DP replicas)"), 0.0,
           1e12);
    c->add_option("--cost-per-hour", o.costPerHour, "PLATFORM=USD per device-hour, comma-separated");
    c->add_option("--minimize", o.objective, "devices or cost (default: cost when prices are given)");
    c->add_option("--pareto-csv", o.paretoCsv, "write the Pareto front as CSV");
    c->add_option("--out", o.out, "write every candidate as CSV");
    c->add_option("--format", o.format, "table or json")->capture_default_str();
    c->add_option("-j,--threads", o.threads, "threads (0: all cores)");
    c->add_flag("--requirements", o.requirements,
                "platform requirements: compute, DRAM bandwidth, capacity, interconnect needed for the targets");
    c->add_option("--split", o.split, "phase splitting: prefill=PLATFORM,decode=PLATFORM");
    ranged(c->add_option("--prefill-tp", o.splitPrefillTp, "split: TP of a prefill instance")->capture_default_str(), 1,
           1 << 16);
    ranged(c->add_option("--decode-tp", o.splitDecodeTp, "split: TP of a decode instance")->capture_default_str(), 1,
           1 << 16);
    ranged(
        c->add_option("--prefill-batch", o.splitPrefillBatch, "split: prompts per prefill step")->capture_default_str(),
        int64_t(1), int64_t(1) << 20);
    ranged(c->add_option("--decode-batch", o.splitDecodeBatch,
                         "split: sequences per decode step (also the colocated batch)")
               ->capture_default_str(),
           int64_t(1), int64_t(1) << 20);
    c->add_option("--rate", o.requestsPerS, "split: arrival rate (requests/s)")->capture_default_str();
    ranged(c->add_option("--link-bandwidth", o.linkBytesPerS,
                         "split: KV-transfer bandwidth per device (bytes/s; default: scale-out)"),
           0.0, 1e15);
    ranged(
        c->add_option("--gpus", o.gpus,
                      "deployment search on the serving simulator: GPUs one deployment may use (aggregated replicas, "
                      "disaggregated prefill + decode pools; --platform names the node, --stack the framework, default "
                      "vllm; --prompt/--output are the request's isl/osl)"),
        1, 1 << 16);
    c->add_option("--mode", o.mode, "deployment search: agg, disagg or both")->capture_default_str();
    c->add_option("--attention-dp", o.attentionDp, "deployment search: attention data-parallel degrees (MoE models)")
        ->capture_default_str();
    ranged(c->add_option("--prefill-max-batch", o.prefillBatch,
                         "deployment search: prompts per prefill iteration (disagg)")
               ->capture_default_str(),
           1, 1 << 16);
    ranged(c->add_option("--requests-per-client", o.requestsPerClient,
                         "deployment search: measured requests per closed-loop client in each simulation")
               ->capture_default_str(),
           1, 1000);
    c->callback([c]() { runSearch(g_search, c->count("--stack") > 0, c->count("--batch") > 0); });
}

} // namespace
ROOFLAB_REGISTER_COMMAND("search", addSearch);
} // namespace rooflab::cli
