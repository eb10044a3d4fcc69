#include "codec/request_codec.hpp"

#include "io/yaml_util.hpp"
#include "units/errors.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

namespace rooflab::spec {
namespace {

constexpr int64_t kMaxGemmDim = int64_t(1) << 40;
constexpr int64_t kMaxGemmBatch = int64_t(1) << 30;
constexpr int64_t kMaxCpuThreads = int64_t(1) << 20;

const std::vector<std::string>& commonKeys() {
    static const std::vector<std::string> k{"id", "kind", "platform"};
    return k;
}
const std::vector<std::string>& llmKeys() {
    static const std::vector<std::string> k{
        "model",      "stack",   "phase", "batch", "prompt",  "context",     "chunk",        "chunk_offset",
        "chunk_seqs", "output",  "tp",    "pp",    "ep",      "dp",          "microbatches", "sp",
        "overlap",    "weights", "kv",    "act",   "threads", "cache_length"};
    return k;
}
const std::vector<std::string>& gemmKeys() {
    static const std::vector<std::string> k{"m", "n", "k", "batch", "dtype", "weights", "launch"};
    return k;
}
const std::vector<std::string>& cpuKeys() {
    static const std::vector<std::string> k{"kernel",  "elements",     "m",   "n", "k", "dtype",
                                            "threads", "cold_weights", "name"};
    return k;
}

const std::vector<std::string>& poolKeys() {
    static const std::vector<std::string> k{"workers", "batch",  "tp",           "pp",
                                            "ep",      "moe_tp", "attention_dp", "max_num_tokens"};
    return k;
}
const std::vector<std::string>& servingKeys() {
    static const std::vector<std::string> k = [] {
        std::vector<std::string> v{
            "model",       "backend",          "stack",   "mode",        "isl", "osl", "concurrency", "requests",
            "warmup",      "benchmark_rounds", "weights", "moe_weights", "kv",  "act", "prefill",     "decode",
            "spec_tokens", "spec_acceptance"};
        v.insert(v.end(), poolKeys().begin(), poolKeys().end());
        return v;
    }();
    return k;
}

/// Reads fields of one JSON object, naming keys as the user wrote them.
class Fields {
public:
    Fields(const nlohmann::json& j, const CodecSource& src) : m_j(j), m_src(src) {}
    /// The fields of a nested object (`prefix` names it in messages: "prefill.tp").
    Fields(const nlohmann::json& j, const CodecSource& src, std::string prefix)
        : m_j(j), m_src(src), m_prefix(std::move(prefix)) {}

    [[noreturn]] void fail(const std::string& key, const std::string& message) const {
        int line = m_src.line;
        const std::string top = m_prefix.empty() ? key : m_prefix.substr(0, m_prefix.find('.'));
        if (auto it = m_src.keyLines.find(top); it != m_src.keyLines.end())
            line = it->second;
        throw InputError(m_src.file, line, spell(key), message);
    }
    std::string spell(const std::string& keyIn) const {
        const std::string key = m_prefix.empty() || keyIn.empty() ? keyIn : m_prefix + "." + keyIn;
        if (!m_src.optionSpelling || key.empty())
            return key;
        std::string s = "--" + key;
        for (char& c : s)
            c = c == '_' ? '-' : c;
        return s;
    }
    const nlohmann::json* find(const char* key) const {
        auto it = m_j.find(key);
        return it == m_j.end() || it->is_null() ? nullptr : &*it;
    }
    bool has(const char* key) const { return find(key) != nullptr; }

    std::string text(const char* key, const std::string& fallback) const {
        const nlohmann::json* v = find(key);
        if (!v)
            return fallback;
        if (!v->is_string())
            fail(key, "expected a string");
        return v->get<std::string>();
    }
    int64_t integer(const char* key, int64_t fallback, int64_t lo, int64_t hi) const {
        const nlohmann::json* v = find(key);
        if (!v)
            return fallback;
        double d = 0;
        if (v->is_number_integer() || v->is_number_unsigned()) {
            d = v->get<double>();
        } else if (v->is_number_float() && std::isfinite(v->get<double>()) &&
                   v->get<double>() == std::floor(v->get<double>())) {
            d = v->get<double>();
        } else {
            fail(key,
                 "expected a whole number, found " + v->dump(-1, ' ', true, nlohmann::json::error_handler_t::replace));
        }
        if (!(d >= double(lo) && d <= double(hi)))
            fail(key,
                 "value " + v->dump() + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
        return static_cast<int64_t>(d);
    }
    double number(const char* key, double fallback, double lo, double hi) const {
        const nlohmann::json* v = find(key);
        if (!v)
            return fallback;
        if (!v->is_number() || !std::isfinite(v->get<double>()))
            fail(key, "expected a finite number");
        const double d = v->get<double>();
        if (d < lo || d > hi) {
            std::ostringstream os;
            os << "value " << v->dump() << " is out of range [" << lo << ", " << hi << "]";
            fail(key, os.str());
        }
        return d;
    }
    bool boolean(const char* key, bool fallback) const {
        const nlohmann::json* v = find(key);
        if (!v)
            return fallback;
        if (!v->is_boolean())
            fail(key, "expected true or false");
        return v->get<bool>();
    }
    DType dtype(const char* key, DType fallback) const {
        const std::string s = text(key, "");
        if (s.empty())
            return fallback;
        auto t = parseDType(s);
        if (!t)
            fail(key, "unknown datatype '" + s + "' (known: " + dtypeNameList() + ")");
        return *t;
    }
    const nlohmann::json& json() const { return m_j; }
    const CodecSource& source() const { return m_src; }
    void onlyKeys(const std::vector<std::string>& extra) const {
        static const std::vector<std::string> none;
        const std::vector<std::string>& common = m_prefix.empty() ? commonKeys() : none;
        for (auto it = m_j.begin(); it != m_j.end(); ++it) {
            const std::string& k = it.key();
            bool known = false;
            for (const auto* list : {&common, &extra})
                for (const auto& c : *list)
                    known = known || c == k;
            if (known)
                continue;
            std::vector<std::string> all = common;
            all.insert(all.end(), extra.begin(), extra.end());
            const std::string near = io::closestMatch(k, all);
            fail(k, "unknown key" + (near.empty() ? std::string() : "; did you mean '" + near + "'?"));
        }
    }

private:
    const nlohmann::json& m_j;
    const CodecSource& m_src;
    std::string m_prefix;
};

void decodeLlm(const Fields& f, Request& r) {
    LlmTarget t;
    t.model = f.text("model", "");
    if (t.model.empty())
        f.fail("model", "missing required key");
    t.stackName = f.text("stack", kDefaultStackName);
    const std::string phase = f.text("phase", "decode");
    Phase ph = Phase::Prefill;
    if (phase != "request") {
        auto p = parsePhase(phase);
        if (!p)
            f.fail("phase", "'" + phase + "' is not one of prefill, decode, chunked, request");
        ph = *p;
    }
    using L = ScenarioLimits;
    ScenarioBuilder b;
    b.phase(ph)
        .batch(f.integer("batch", 1, 1, L::kMaxBatch))
        .prompt(f.integer("prompt", 512, 1, L::kMaxTokens))
        .context(f.integer("context", 1024, 0, L::kMaxTokens))
        .chunk(f.integer("chunk", 512, 1, L::kMaxTokens))
        .chunkOffset(f.integer("chunk_offset", 0, 0, L::kMaxTokens))
        .chunkSeqs(f.integer("chunk_seqs", 1, 1, L::kMaxBatch))
        .cacheLength(f.integer("cache_length", 0, 0, L::kMaxTokens))
        .outputTokens(f.integer("output", 128, 1, L::kMaxTokens))
        .tp(static_cast<int>(f.integer("tp", 1, 1, L::kMaxParallel)))
        .pp(static_cast<int>(f.integer("pp", 1, 1, L::kMaxParallel)))
        .ep(static_cast<int>(f.integer("ep", 1, 1, L::kMaxParallel)))
        .dp(static_cast<int>(f.integer("dp", 1, 1, L::kMaxParallel)))
        .microbatches(static_cast<int>(f.integer("microbatches", 1, 1, L::kMaxMicrobatches)))
        .sequenceParallel(f.boolean("sp", false))
        .overlapComm(f.boolean("overlap", false))
        .weights(f.dtype("weights", DType::bf16))
        .kv(f.dtype("kv", DType::bf16))
        .act(f.dtype("act", DType::bf16));
    try {
        r.scenario = b.build(); // fields were range-checked above; cross-field limits (chunk_seqs <= chunk) here
    } catch (const InputError& e) {
        f.fail(e.key(), e.message());
    }
    r.cpuThreads = static_cast<int>(f.integer("threads", 0, 0, kMaxCpuThreads));
    if (phase == "request")
        r.workload = LlmRequest{std::move(t)};
    else
        r.workload = LlmStep{std::move(t)};
}

void decodeGemm(const Fields& f, Request& r) {
    GemmWork w;
    for (const char* k : {"m", "n", "k"})
        if (!f.has(k))
            f.fail(k, "missing required key");
    w.gemm.m = f.integer("m", 0, 1, kMaxGemmDim);
    w.gemm.n = f.integer("n", 0, 1, kMaxGemmDim);
    w.gemm.k = f.integer("k", 0, 1, kMaxGemmDim);
    w.gemm.batch = f.integer("batch", 1, 1, kMaxGemmBatch);
    w.gemm.dtype = f.dtype("dtype", DType::bf16);
    w.gemm.weightType = f.dtype("weights", w.gemm.dtype);
    const std::string launch = f.text("launch", "stream");
    if (launch == "graph")
        w.launch = KernelLaunch::Graph;
    else if (launch != "stream")
        f.fail("launch", "'" + launch + "' is not one of stream, graph");
    r.workload = w;
}

void decodeCpu(const Fields& f, Request& r) {
    CpuKernelWork w;
    const std::string kernel = f.text("kernel", "");
    if (kernel.empty())
        f.fail("kernel", "missing required key");
    try {
        w.kernel.op = parseCpuOp(kernel, "kernel");
    } catch (const InputError& e) {
        f.fail("kernel", e.message());
    }
    w.name = f.text("name", kernel);
    w.kernel.dtype = f.dtype("dtype", DType::fp32);
    w.kernel.threads = double(f.integer("threads", 0, 0, kMaxCpuThreads));
    constexpr double kMaxElements = 1e15;
    if (w.kernel.op == CpuOp::Gemm) {
        for (const char* k : {"m", "n", "k"})
            if (!f.has(k))
                f.fail(k, "missing required key (gemm needs m, n and k)");
        w.kernel.m = double(f.integer("m", 0, 1, kMaxGemmDim));
        w.kernel.n = double(f.integer("n", 0, 1, kMaxGemmDim));
        w.kernel.k = double(f.integer("k", 0, 1, kMaxGemmDim));
        w.kernel.coldWeights = f.boolean("cold_weights", false);
    } else {
        if (!f.has("elements"))
            f.fail("elements", "missing required key");
        w.kernel.elements = f.number("elements", 0, 1, kMaxElements);
    }
    r.workload = w;
}

ServingPool decodePool(const Fields& f) {
    using L = ScenarioLimits;
    const int maxP = static_cast<int>(L::kMaxParallel);
    ServingPool p;
    p.workers = static_cast<int>(f.integer("workers", 1, 1, maxP));
    p.batch = static_cast<int>(f.integer("batch", 0, 0, L::kMaxBatch));
    p.tp = static_cast<int>(f.integer("tp", 1, 1, maxP));
    p.pp = static_cast<int>(f.integer("pp", 1, 1, maxP));
    p.ep = static_cast<int>(f.integer("ep", 1, 1, maxP));
    p.moeTp = static_cast<int>(f.integer("moe_tp", 0, 0, maxP));
    p.attentionDp = static_cast<int>(f.integer("attention_dp", 1, 1, maxP));
    p.maxNumTokens = f.integer("max_num_tokens", 0, 0, L::kMaxTokens);
    return p;
}

/// A weight format as serving benchmarks name it -> the engine's datatype; `what` names the key in messages.
DType servingWeights(const Fields& f, const char* key, const std::string& format) {
    // int4 weight-only is int4 weights with 16-bit activations; the other formats are the engine's datatypes
    // (fp8_block, nvfp4 and mxfp4 carry their block scales' bytes).
    const std::string name = format == "int4_wo" ? std::string("int4") : format;
    if (auto t = parseDType(name))
        return *t;
    f.fail(key, "unknown weight format '" + format + "' (known: " + std::string(kServingWeightFormats) +
                    ", or a datatype: " + dtypeNameList() + ")");
}

void decodeServing(const Fields& f, Request& r) {
    ServingWork w;
    w.target.model = f.text("model", "");
    if (w.target.model.empty())
        f.fail("model", "missing required key");
    if (!f.has("backend"))
        f.fail("backend", "missing required key (one of " + std::string(kServingBackends) + ")");
    w.backend = f.text("backend", "");
    const std::string stack = servingStackOfBackend(w.backend);
    if (stack.empty()) {
        const std::vector<std::string> names{"tensorrt-llm", "vllm", "sglang"};
        const std::string near = io::closestMatch(w.backend, names);
        f.fail("backend", "'" + w.backend + "' is not one of " + std::string(kServingBackends) +
                              (near.empty() ? "" : " (did you mean '" + near + "'?)"));
    }
    w.target.stackName = f.text("stack", stack);
    const std::string mode = f.text("mode", "agg");
    if (mode == "disagg") {
        w.mode = ServingMode::Disaggregated;
        for (const auto& k : poolKeys())
            if (f.has(k.c_str()))
                f.fail(k, "a disaggregated case gives its layout in 'prefill' and 'decode', not at the top level");
        for (const char* pool : {"prefill", "decode"}) {
            const nlohmann::json* sub = f.find(pool);
            if (!sub)
                f.fail(pool, "missing required key: a disaggregated case needs 'prefill' and 'decode' layouts "
                             "(objects of workers, batch, tp, pp, ep, moe_tp, attention_dp)");
            if (!sub->is_object())
                f.fail(pool, "expected an object of layout keys (workers, batch, tp, pp, ep, moe_tp, attention_dp)");
            const Fields pf(*sub, f.source(), pool);
            pf.onlyKeys(poolKeys());
            (std::string(pool) == "prefill" ? w.prefill : w.decode) = decodePool(pf);
        }
    } else if (mode == "agg") {
        for (const char* pool : {"prefill", "decode"})
            if (f.has(pool))
                f.fail(pool, "only a disaggregated case (\"mode\":\"disagg\") has prefill and decode pools");
        w.aggregated = decodePool(f);
    } else {
        f.fail("mode", "'" + mode + "' is not one of agg, disagg");
    }
    using L = ScenarioLimits;
    for (const char* k : {"isl", "osl", "concurrency"})
        if (!f.has(k))
            f.fail(k, "missing required key");
    w.isl = f.integer("isl", 1024, 1, L::kMaxTokens);
    w.osl = f.integer("osl", 128, 1, L::kMaxTokens);
    w.concurrency = static_cast<int>(f.integer("concurrency", 1, 1, L::kMaxBatch));
    w.requests = f.integer("requests", 0, 0, L::kMaxBatch * 64);
    w.warmup = f.integer("warmup", -1, -1, L::kMaxBatch * 64);
    w.benchmarkRounds = static_cast<int>(f.integer("benchmark_rounds", 0, 0, 1000));
    // Speculative decoding: draft tokens per decoding sequence and iteration, and their acceptance probability
    // (geometric: each accepted given the previous were); the acceptance is required with drafts.
    w.specTokens = static_cast<int>(f.integer("spec_tokens", 0, 0, 64));
    if (w.specTokens > 0 && !f.has("spec_acceptance"))
        f.fail("spec_acceptance", "missing required key: speculative decoding (spec_tokens > 0) needs the probability "
                                  "that a draft token is accepted, 0 to 1 (e.g. 0.8 for DeepSeek's MTP module)");
    if (w.specTokens == 0 && f.has("spec_acceptance"))
        f.fail("spec_acceptance", "applies to speculative decoding only: give spec_tokens > 0 with it");
    w.specAcceptance = f.number("spec_acceptance", 0.0, 0.0, 1.0);
    w.weightsFormat = f.text("weights", "bf16");
    const DType weights = servingWeights(f, "weights", w.weightsFormat);
    w.moeWeightsFormat = f.text("moe_weights", "");
    if (!w.moeWeightsFormat.empty()) {
        const DType moe = servingWeights(f, "moe_weights", w.moeWeightsFormat);
        if (moe != weights)
            w.moeWeights = moe;
    }
    // Activations: FP8 weights run FP8 GEMMs (W8A8, as the frameworks' fp8 modes do); other formats 16-bit.
    const DType act = f.dtype("act", isFloat8(weights) ? weights : DType::bf16);
    ScenarioBuilder b;
    b.weights(weights).kv(f.dtype("kv", DType::bf16)).act(act);
    r.scenario = b.build();
    r.workload = std::move(w);
}

nlohmann::json poolJson(const ServingPool& p) {
    return {{"workers", p.workers},
            {"batch", p.batch},
            {"tp", p.tp},
            {"pp", p.pp},
            {"ep", p.ep},
            {"moe_tp", p.moeTp},
            {"attention_dp", p.attentionDp},
            {"max_num_tokens", p.maxNumTokens}};
}

nlohmann::json yamlToJson(const YAML::Node& n, const std::string& file, std::map<std::string, int>* lines) {
    if (n.IsMap()) {
        nlohmann::json o = nlohmann::json::object();
        for (const auto& kv : n) {
            // A key that is a sequence or mapping ("[1,2]:" or "[1,2]" on its own line) is not a key we know.
            if (!kv.first.IsScalar())
                throw InputError(file, io::lineOf(kv.first), "", "a key must be a plain name, not a list or map");
            const std::string key = kv.first.Scalar();
            if (o.contains(key))
                throw InputError(file, io::lineOf(kv.first), key, "duplicate key");
            if (lines)
                (*lines)[key] = io::lineOf(kv.first);
            o[key] = yamlToJson(kv.second, file, nullptr);
        }
        return o;
    }
    if (n.IsSequence()) {
        nlohmann::json a = nlohmann::json::array();
        for (const auto& e : n)
            a.push_back(yamlToJson(e, file, nullptr));
        return a;
    }
    if (n.IsNull())
        return nullptr;
    const std::string s = n.Scalar();
    if (n.Tag() == "!")
        return s; // quoted in the file: a string
    if (s == "true" || s == "false")
        return s == "true";
    char* end = nullptr;
    const long long i = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && end && *end == '\0')
        return i;
    const double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end && *end == '\0')
        return d;
    return s;
}

} // namespace

std::string servingStackOfBackend(const std::string& backend) {
    if (backend == "tensorrt-llm" || backend == "trtllm")
        return "tensorrt-llm";
    if (backend == "vllm" || backend == "sglang")
        return backend;
    return {};
}

Request decodeRequest(const nlohmann::json& j, const CodecSource& src) {
    if (!j.is_object())
        throw InputError(src.file, src.line, "", "expected a JSON object");
    const Fields f(j, src);
    Request r;
    if (const auto* id = f.find("id"))
        r.id = id->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    r.platform = f.text("platform", "");
    const std::string kind = f.text("kind", "llm");
    if (kind == "llm") {
        f.onlyKeys(llmKeys());
        decodeLlm(f, r);
    } else if (kind == "gemm") {
        f.onlyKeys(gemmKeys());
        decodeGemm(f, r);
    } else if (kind == "cpu") {
        f.onlyKeys(cpuKeys());
        decodeCpu(f, r);
    } else if (kind == "serving") {
        f.onlyKeys(servingKeys());
        decodeServing(f, r);
    } else {
        f.fail("kind", "'" + kind + "' is not one of llm, gemm, cpu, serving");
    }
    return r;
}

Request decodeRequestText(const std::string& text, const CodecSource& src) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const std::exception& e) {
        throw InputError(src.file, src.line, "", std::string("not a JSON object: ") + e.what());
    }
    return decodeRequest(j, src);
}

Request loadRequestFile(const std::string& path) {
    const YAML::Node root = io::loadYamlFile(path);
    if (!root.IsMap())
        throw InputError(path, io::lineOf(root), "", "a scenario file is a mapping of request keys");
    CodecSource src;
    src.file = path;
    src.line = io::lineOf(root);
    const nlohmann::json j = yamlToJson(root, path, &src.keyLines);
    return decodeRequest(j, src);
}

nlohmann::json encodeRequest(const Request& r) {
    nlohmann::json j;
    if (!r.id.empty())
        j["id"] = nlohmann::json::parse(r.id, nullptr, false);
    if (!r.platform.empty())
        j["platform"] = r.platform;
    if (const LlmTarget* t = r.llm()) {
        const Scenario& s = r.scenario;
        const bool isRequest = std::holds_alternative<LlmRequest>(r.workload);
        j["kind"] = "llm";
        j["model"] = t->model;
        j["stack"] = t->stackName;
        j["phase"] = isRequest ? std::string("request") : std::string(phaseName(s.phase));
        j["batch"] = s.batch;
        j["prompt"] = s.prompt;
        j["context"] = s.context;
        j["chunk"] = s.chunk;
        j["chunk_offset"] = s.chunkOffset;
        j["chunk_seqs"] = s.chunkSeqs;
        if (s.cacheLength > 0)
            j["cache_length"] = s.cacheLength;
        j["output"] = s.outputTokens;
        j["tp"] = s.tp;
        j["pp"] = s.pp;
        j["ep"] = s.ep;
        j["dp"] = s.dp;
        j["microbatches"] = s.microbatches;
        j["sp"] = s.sequenceParallel;
        j["overlap"] = s.overlapComm;
        j["weights"] = std::string(dtypeName(s.weights));
        j["kv"] = std::string(dtypeName(s.kv));
        j["act"] = std::string(dtypeName(s.act));
        if (r.cpuThreads > 0)
            j["threads"] = r.cpuThreads;
    } else if (const auto* g = std::get_if<GemmWork>(&r.workload)) {
        j["kind"] = "gemm";
        j["m"] = g->gemm.m;
        j["n"] = g->gemm.n;
        j["k"] = g->gemm.k;
        j["batch"] = g->gemm.batch;
        j["dtype"] = std::string(dtypeName(g->gemm.dtype));
        j["weights"] = std::string(dtypeName(g->gemm.weightType));
        j["launch"] = g->launch == KernelLaunch::Graph ? "graph" : "stream";
    } else if (const auto* w = std::get_if<ServingWork>(&r.workload)) {
        j["kind"] = "serving";
        j["model"] = w->target.model;
        j["backend"] = w->backend;
        if (w->target.stackName != servingStackOfBackend(w->backend))
            j["stack"] = w->target.stackName;
        j["mode"] = w->mode == ServingMode::Aggregated ? "agg" : "disagg";
        j["isl"] = w->isl;
        j["osl"] = w->osl;
        j["concurrency"] = w->concurrency;
        j["requests"] = w->requests;
        j["warmup"] = w->warmup;
        if (w->benchmarkRounds > 0)
            j["benchmark_rounds"] = w->benchmarkRounds;
        if (w->specTokens > 0) {
            j["spec_tokens"] = w->specTokens;
            j["spec_acceptance"] = w->specAcceptance;
        }
        if (w->mode == ServingMode::Aggregated) {
            j.update(poolJson(w->aggregated));
        } else {
            j["prefill"] = poolJson(w->prefill);
            j["decode"] = poolJson(w->decode);
        }
        j["weights"] = w->weightsFormat;
        if (!w->moeWeightsFormat.empty())
            j["moe_weights"] = w->moeWeightsFormat;
        j["kv"] = std::string(dtypeName(r.scenario.kv));
        j["act"] = std::string(dtypeName(r.scenario.act));
    } else if (const auto* c = std::get_if<CpuKernelWork>(&r.workload)) {
        j["kind"] = "cpu";
        j["kernel"] = std::string(cpuOpName(c->kernel.op));
        j["name"] = c->name;
        j["dtype"] = std::string(dtypeName(c->kernel.dtype));
        if (c->kernel.threads > 0)
            j["threads"] = static_cast<int64_t>(c->kernel.threads);
        if (c->kernel.op == CpuOp::Gemm) {
            j["m"] = static_cast<int64_t>(c->kernel.m);
            j["n"] = static_cast<int64_t>(c->kernel.n);
            j["k"] = static_cast<int64_t>(c->kernel.k);
            j["cold_weights"] = c->kernel.coldWeights;
        } else {
            j["elements"] = c->kernel.elements;
        }
    }
    return j;
}

std::string encodeRequestYaml(const Request& r) {
    const nlohmann::json j = encodeRequest(r);
    std::string out = "# rooflab scenario (the keys of a `rooflab predict --cases` line)\n";
    // Keys in a fixed, readable order: identity first, then the workload's fields.
    std::vector<std::string> order = commonKeys();
    const auto& extra = r.llm()                                           ? llmKeys()
                        : std::holds_alternative<GemmWork>(r.workload)    ? gemmKeys()
                        : std::holds_alternative<ServingWork>(r.workload) ? servingKeys()
                                                                          : cpuKeys();
    order.insert(order.end(), extra.begin(), extra.end());
    for (const auto& k : order) {
        auto it = j.find(k);
        if (it == j.end())
            continue;
        out += k + ": ";
        if (it->is_object())
            out += it->dump(); // a flow mapping: YAML reads JSON objects
        else if (it->is_string())
            out += nlohmann::json(it->get<std::string>()).dump(); // quoted: YAML reads JSON strings
        else
            out += it->dump();
        out += "\n";
    }
    return out;
}

nlohmann::json resultLineStart(const Request& r, bool ok, const std::string& error) {
    nlohmann::json out;
    if (!r.id.empty())
        out["id"] = nlohmann::json::parse(r.id, nullptr, false);
    if (!ok)
        out["error"] = error;
    return out;
}

nlohmann::json encodeResult(const Request& r, const Result& res) {
    nlohmann::json out = resultLineStart(r, res.ok, res.error);
    if (!res.ok)
        return out;
    out["latency_s"] = res.latencyS;
    out["flops"] = res.flops;
    out["bytes"] = res.dramBytes;
    out["fits"] = res.fits;
    if (const auto* g = res.gemm()) {
        out["bound"] = std::string(boundName(g->op.bound));
        out["bytes_l2"] = g->op.bytes[kL2];
        out["flop_per_s"] = g->op.timeS > 0 ? g->op.flops / g->op.timeS : 0.0;
        out["dtype"] = std::string(dtypeName(g->computeType));
    } else if (const auto* q = res.request()) {
        out["bound"] = std::string(boundName(res.bound));
        out["ttft_s"] = q->ttftS;
        out["tpot_s"] = q->tpotS;
        out["tokens_per_s"] = q->tokensPerS;
    } else if (const auto* p = res.step()) {
        out["bound"] = std::string(boundName(res.bound));
        out["tokens_per_s"] = p->tokensPerS;
        out["memory_bytes"] = p->memory.totalBytes;
        if (!p->memory.fits) {
            out["max_batch"] = p->memory.maxBatch;
            out["max_context"] = p->memory.maxContext;
        }
    } else if (const auto* c = res.cpuKernel()) {
        out["bound"] = c->bound;
        out["level"] = c->levelName;
        out["threads"] = c->threads;
        out["bytes_per_s"] = c->bytesPerS();
        out["flop_per_s"] = c->flopPerS();
    }
    return out;
}

} // namespace rooflab::spec
