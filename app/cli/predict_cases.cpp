#include "predict_cases.hpp"

#include "analysis/llm_engine.hpp"
#include "common.hpp"
#include "io/errors.hpp"
#include "io/model_loader.hpp"
#include "io/platform_loader.hpp"
#include "io/data_paths.hpp"
#include "io/stack_loader.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace rooflab::cli {
namespace {

/// Platforms, models and stacks named by the cases, loaded once on first use; safe to share between threads.
class Catalog {
public:
    const PlatformModel& platform(const std::string& name) {
        return get(m_platforms, "platform", name, [](const std::string& n) {
            return PlatformModel::from(io::loadPlatformFile(io::findPlatformFile(n)));
        });
    }
    const LlmArch& model(const std::string& name) {
        return get(m_models, "model", name, [](const std::string& n) { return io::loadModel(n); });
    }
    const StackProfile& stack(const std::string& name) {
        return get(m_stacks, "stack", name, [](const std::string& n) { return io::loadStack(n); });
    }

private:
    template <class T, class F>
    const T& get(std::map<std::string, std::shared_ptr<const T>>& m, const char* kind, const std::string& name, F load) {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (auto it = m.find(name); it != m.end())
            return *it->second;
        const std::string key = std::string(kind) + ":" + name;
        if (auto e = m_errors.find(key); e != m_errors.end())
            throw InputError("", 0, kind, e->second);
        try {
            auto v = std::make_shared<const T>(load(name));
            m[name] = v;
            return *v;
        } catch (const std::exception& ex) {
            m_errors[key] = ex.what();
            throw InputError("", 0, kind, ex.what());
        }
    }
    std::mutex m_mutex;
    std::map<std::string, std::shared_ptr<const PlatformModel>> m_platforms;
    std::map<std::string, std::shared_ptr<const LlmArch>> m_models;
    std::map<std::string, std::shared_ptr<const StackProfile>> m_stacks;
    std::map<std::string, std::string> m_errors;
};

std::string str(const nlohmann::json& j, const char* key, const std::string& fallback) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return fallback;
    if (!it->is_string())
        throw InputError("", 0, key, "expected a string");
    return it->get<std::string>();
}

int64_t integer(const nlohmann::json& j, const char* key, int64_t fallback, int64_t minV, int64_t maxV) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return fallback;
    if (!it->is_number_integer() && !(it->is_number_float() && it->get<double>() == std::floor(it->get<double>())))
        throw InputError("", 0, key, "expected a whole number");
    const double v = it->get<double>();
    if (v < double(minV) || v > double(maxV))
        throw InputError("", 0, key, "value " + it->dump() + " is out of range [" + std::to_string(minV) + ", " +
                                         std::to_string(maxV) + "]");
    return static_cast<int64_t>(v);
}

DType dtypeField(const nlohmann::json& j, const char* key, DType fallback) {
    const std::string s = str(j, key, "");
    if (s.empty())
        return fallback;
    auto t = parseDType(s);
    if (!t)
        throw InputError("", 0, key, "unknown datatype '" + s + "' (known: " + dtypeNameList() + ")");
    return *t;
}

std::string evaluateLine(const std::string& line, std::size_t lineNo, const std::string& defaultPlatform,
                         Catalog& cat, const std::string& source, bool& bad) {
    nlohmann::json out;
    nlohmann::json in;
    try {
        in = nlohmann::json::parse(line);
    } catch (const std::exception& e) {
        bad = true;
        out["error"] = source + ":" + std::to_string(lineNo) + ": not a JSON object: " + e.what();
        out["line"] = lineNo;
        return out.dump();
    }
    if (in.is_object() && in.contains("id"))
        out["id"] = in["id"];
    try {
        if (!in.is_object())
            throw InputError("", 0, "", "expected a JSON object");
        const std::string kind = str(in, "kind", "llm");
        const std::string platName = str(in, "platform", defaultPlatform);
        const PlatformModel& pm = cat.platform(platName);
        if (kind == "gemm") {
            const int64_t m = integer(in, "m", -1, 1, int64_t(1) << 40);
            const int64_t n = integer(in, "n", -1, 1, int64_t(1) << 40);
            const int64_t k = integer(in, "k", -1, 1, int64_t(1) << 40);
            if (m < 0 || n < 0 || k < 0)
                throw InputError("", 0, m < 0 ? "m" : n < 0 ? "n" : "k", "missing required key");
            const int64_t batch = integer(in, "batch", 1, 1, int64_t(1) << 30);
            const DType t = dtypeField(in, "dtype", DType::bf16);
            const DType w = dtypeField(in, "weights", t);
            bool fell = false;
            const DType ct = pm.computeType(t, fell);
            const OpResult r = evalGemm(pm, "gemm", double(m), double(n), double(k), t, w, ct, LaunchMode::Stream,
                                        double(batch), isFloat8(t) || isInteger(t) ? 2.0 : bytesPerElement(t));
            out["latency_s"] = r.timeS;
            out["bound"] = std::string(boundName(r.bound));
            out["flops"] = r.flops;
            out["bytes"] = r.bytes[kDram];
            out["bytes_l2"] = r.bytes[kL2];
            out["flop_per_s"] = r.timeS > 0 ? r.flops / r.timeS : 0.0;
            out["dtype"] = std::string(dtypeName(ct));
            out["fits"] = r.bytes[kDram] <= pm.capacityBytes[kDram] || pm.capacityBytes[kDram] <= 0;
        } else if (kind == "llm") {
            const std::string modelName = str(in, "model", "");
            if (modelName.empty())
                throw InputError("", 0, "model", "missing required key");
            const LlmArch& arch = cat.model(modelName);
            const StackProfile& stack = cat.stack(str(in, "stack", "pytorch-eager"));
            Scenario s;
            const std::string phase = str(in, "phase", "decode");
            if (phase == "prefill" || phase == "request")
                s.phase = Phase::Prefill;
            else if (phase == "decode")
                s.phase = Phase::Decode;
            else if (phase == "chunked")
                s.phase = Phase::Chunked;
            else
                throw InputError("", 0, "phase", "'" + phase + "' is not one of prefill, decode, chunked, request");
            constexpr int64_t kMax = int64_t(1) << 32;
            s.batch = integer(in, "batch", 1, 1, kMax);
            s.prompt = integer(in, "prompt", 512, 1, kMax);
            s.context = integer(in, "context", 1024, 0, kMax);
            s.chunk = integer(in, "chunk", 512, 1, kMax);
            s.chunkOffset = integer(in, "chunk_offset", 0, 0, kMax);
            s.outputTokens = integer(in, "output", 128, 1, kMax);
            s.tp = static_cast<int>(integer(in, "tp", 1, 1, 1 << 16));
            s.pp = static_cast<int>(integer(in, "pp", 1, 1, 1 << 16));
            s.ep = static_cast<int>(integer(in, "ep", 1, 1, 1 << 16));
            s.dp = static_cast<int>(integer(in, "dp", 1, 1, 1 << 16));
            s.weights = dtypeField(in, "weights", DType::bf16);
            s.kv = dtypeField(in, "kv", DType::bf16);
            s.act = dtypeField(in, "act", DType::bf16);
            if (phase == "request") {
                const RequestPrediction r = predictRequest(pm, arch, stack, s);
                if (!r.prefill.ok)
                    throw InputError("", 0, "", r.prefill.error);
                out["latency_s"] = r.e2eS;
                out["ttft_s"] = r.ttftS;
                out["tpot_s"] = r.tpotS;
                out["tokens_per_s"] = r.tokensPerS;
                out["bound"] = std::string(boundName(r.decodeFirst.bound));
                out["flops"] = r.prefill.flops;
                out["bytes"] = r.prefill.bytes;
                out["fits"] = r.prefill.memory.fits && r.decodeFirst.memory.fits;
            } else {
                const Prediction p = predictStep(pm, arch, stack, s, false);
                if (!p.ok)
                    throw InputError("", 0, "", p.error);
                out["latency_s"] = p.latencyS;
                out["bound"] = std::string(boundName(p.bound));
                out["flops"] = p.flops;
                out["bytes"] = p.bytes;
                out["fits"] = p.memory.fits;
                out["tokens_per_s"] = p.tokensPerS;
                out["memory_bytes"] = p.memory.totalBytes;
                if (!p.memory.fits) {
                    out["max_batch"] = p.memory.maxBatch;
                    out["max_context"] = p.memory.maxContext;
                }
            }
        } else {
            throw InputError("", 0, "kind", "'" + kind + "' is not one of llm, gemm");
        }
    } catch (const InputError& e) {
        bad = true;
        out["error"] = source + ":" + std::to_string(lineNo) + ": " + (e.key().empty() ? "" : "'" + e.key() + "': ") + e.message();
        out["line"] = lineNo;
    } catch (const std::exception& e) {
        bad = true;
        out["error"] = source + ":" + std::to_string(lineNo) + ": " + e.what();
        out["line"] = lineNo;
    }
    return out.dump();
}

} // namespace

int runCases(const std::string& defaultPlatform, const std::string& path, int threads, std::ostream& out) {
    std::vector<std::string> lines;
    {
        std::ifstream file;
        std::istream* in = &std::cin;
        if (path != "-") {
            file.open(path);
            if (!file)
                throw InputError(path, 0, "", "cannot open cases file");
            in = &file;
        }
        std::string line;
        while (std::getline(*in, line))
            lines.push_back(std::move(line));
    }
    const std::string source = path == "-" ? "<stdin>" : path;
    Catalog cat;
    std::vector<std::string> results(lines.size());
    std::vector<char> badFlags(lines.size(), 0);
    const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
    const unsigned nThreads = static_cast<unsigned>(threads > 0 ? unsigned(threads) : hw);
    auto work = [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) {
            if (lines[i].find_first_not_of(" \t\r") == std::string::npos)
                continue;
            bool bad = false;
            results[i] = evaluateLine(lines[i], i + 1, defaultPlatform, cat, source, bad);
            badFlags[i] = bad ? 1 : 0;
        }
    };
    const std::size_t n = lines.size();
    if (nThreads <= 1 || n < 64) {
        work(0, n);
    } else {
        std::vector<std::thread> pool;
        const std::size_t per = (n + nThreads - 1) / nThreads;
        for (unsigned t = 0; t < nThreads; ++t) {
            const std::size_t b = t * per, e = std::min(n, b + per);
            if (b < e)
                pool.emplace_back(work, b, e);
        }
        for (auto& th : pool)
            th.join();
    }
    int code = 0;
    std::string buffer;
    buffer.reserve(1 << 20);
    for (std::size_t i = 0; i < n; ++i) {
        if (results[i].empty())
            continue;
        buffer += results[i];
        buffer += '\n';
        if (buffer.size() > (1u << 20)) {
            out << buffer;
            buffer.clear();
        }
        if (badFlags[i])
            code = 2;
    }
    out << buffer;
    out.flush();
    return code;
}

} // namespace rooflab::cli
