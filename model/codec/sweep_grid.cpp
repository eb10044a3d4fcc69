#include "codec/sweep_grid.hpp"

#include "engine/predict.hpp"
#include "io/data_paths.hpp"
#include "io/model_loader.hpp"
#include "io/platform_loader.hpp"
#include "io/stack_loader.hpp"
#include "io/yaml_util.hpp"
#include "units/errors.hpp"

#include <algorithm>
#include <string_view>

// ---------------------------------------------------------------- grids from text

namespace rooflab {
namespace {

std::string_view trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos)
        return {};
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

struct AxisRef {
    const char* key;
    std::string SweepGridText::*field;
};
const AxisRef kAxes[] = {{"platform", &SweepGridText::platform},
                         {"model", &SweepGridText::model},
                         {"stack", &SweepGridText::stack},
                         {"phase", &SweepGridText::phase},
                         {"batch", &SweepGridText::batch},
                         {"prompt", &SweepGridText::prompt},
                         {"context", &SweepGridText::context},
                         {"output", &SweepGridText::output},
                         {"tp", &SweepGridText::tp},
                         {"pp", &SweepGridText::pp},
                         {"ep", &SweepGridText::ep},
                         {"weights", &SweepGridText::weights},
                         {"kv", &SweepGridText::kv},
                         {"act", &SweepGridText::act},
                         {"chunk", &SweepGridText::chunk}};

std::vector<std::string> splitNames(const std::string& text) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const std::size_t c = text.find(',', pos);
        const std::string item(
            trim(std::string_view(text).substr(pos, c == std::string::npos ? std::string::npos : c - pos)));
        if (!item.empty() && std::find(out.begin(), out.end(), item) == out.end())
            out.push_back(item);
        pos = c == std::string::npos ? text.size() + 1 : c + 1;
    }
    return out;
}

} // namespace

SweepGridText loadSweepGridFile(const std::string& path) {
    const YAML::Node root = io::loadYamlFile(path);
    if (!root.IsMap())
        throw InputError(path, io::lineOf(root), "", "a grid file is a mapping of axis -> values");
    io::MapReader r(root, path, "");
    // Every axis is a known key, so a misspelt one gets a did-you-mean.
    r.ignore({"platform", "model", "stack", "phase", "batch", "prompt", "context", "output", "tp", "pp", "ep",
              "weights", "kv", "act", "chunk"});
    SweepGridText g;
    for (const AxisRef& a : kAxes) {
        if (!r.has(a.key))
            continue;
        const YAML::Node n = r.optional(a.key);
        std::string text;
        if (n.IsSequence()) {
            for (std::size_t i = 0; i < n.size(); ++i) {
                if (i)
                    text += ',';
                text += io::scalarText(n[i], path, a.key);
            }
        } else {
            text = io::scalarText(n, path, a.key);
        }
        g.*a.field = text;
        g.origin[a.key] = {path, io::lineOf(n)};
    }
    r.finish();
    return g;
}

void overlaySweepGrid(SweepGridText& base, const SweepGridText& over) {
    for (const AxisRef& a : kAxes)
        if (!(over.*a.field).empty()) {
            base.*a.field = over.*a.field;
            if (auto it = over.origin.find(a.key); it != over.origin.end())
                base.origin[a.key] = it->second;
            else
                base.origin.erase(a.key);
        }
}

SweepSpace buildSweepSpace(const SweepGridText& g, uint64_t maxPoints) {
    SweepSpace sp;
    auto where = [&](const char* key, std::string& file, int& line) {
        if (auto it = g.origin.find(key); it != g.origin.end()) {
            file = it->second.first;
            line = it->second.second;
            return std::string(key);
        }
        file.clear();
        line = 0;
        return "--" + std::string(key);
    };
    auto ints = [&](const char* key, const std::string& text, int64_t lo, int64_t hi, auto& dest) {
        if (text.empty())
            return;
        std::string file;
        int line = 0;
        const std::string k = where(key, file, line);
        const auto v = parseIntList(text, k, lo, hi, file, line);
        dest.clear();
        for (int64_t x : v)
            dest.push_back(static_cast<typename std::decay_t<decltype(dest)>::value_type>(x));
    };
    auto names = [&](const char* key, const std::string& text, const std::string& fallback, auto load, auto& dest) {
        const std::vector<std::string> list = splitNames(text.empty() ? fallback : text);
        std::string file;
        int line = 0;
        const std::string k = where(key, file, line);
        if (list.empty())
            throw InputError(file, line, k, "empty list");
        for (const std::string& n : list) {
            try {
                dest.push_back({n, load(n)});
            } catch (const InputError& e) {
                if (!file.empty() || e.file().empty())
                    throw InputError(file.empty() ? e.file() : file, file.empty() ? e.line() : line, k, e.message());
                throw;
            }
        }
    };
    auto dtypes = [&](const char* key, const std::string& text, std::vector<DType>& dest) {
        if (text.empty())
            return;
        std::string file;
        int line = 0;
        const std::string k = where(key, file, line);
        dest.clear();
        for (const std::string& n : splitNames(text)) {
            auto t = parseDType(n);
            if (!t)
                throw InputError(file, line, k, "unknown datatype '" + n + "' (known: " + dtypeNameList() + ")");
            dest.push_back(*t);
        }
        if (dest.empty())
            throw InputError(file, line, k, "empty list");
    };
    names(
        "platform", g.platform, "h100-sxm5-80gb",
        [](const std::string& n) { return PlatformModel::from(io::loadPlatformFile(io::findPlatformFile(n))); },
        sp.platforms);
    names(
        "model", g.model, "llama-3.1-8b", [](const std::string& n) { return io::loadModel(n); }, sp.models);
    names(
        "stack", g.stack, "pytorch-eager", [](const std::string& n) { return io::loadStack(n); }, sp.stacks);
    if (!g.phase.empty()) {
        std::string file;
        int line = 0;
        const std::string k = where("phase", file, line);
        sp.phases.clear();
        for (const std::string& n : splitNames(g.phase)) {
            SweepPhase p;
            if (!parseSweepPhase(n, p))
                throw InputError(file, line, k, "'" + n + "' is not one of prefill, decode, chunked, request");
            sp.phases.push_back(p);
        }
        if (sp.phases.empty())
            throw InputError(file, line, k, "empty list");
    }
    constexpr int64_t kMaxTokens = ScenarioLimits::kMaxTokens;
    using L = ScenarioLimits; // the spec's ranges: points are built unchecked
    ints("batch", g.batch, 1, L::kMaxBatch, sp.batch);
    ints("prompt", g.prompt, 1, kMaxTokens, sp.prompt);
    ints("context", g.context, 0, kMaxTokens, sp.context);
    ints("output", g.output, 1, kMaxTokens, sp.output);
    ints("tp", g.tp, 1, L::kMaxParallel, sp.tp);
    ints("pp", g.pp, 1, L::kMaxParallel, sp.pp);
    ints("ep", g.ep, 1, L::kMaxParallel, sp.ep);
    dtypes("weights", g.weights, sp.weights);
    dtypes("kv", g.kv, sp.kv);
    dtypes("act", g.act, sp.act);
    if (!g.chunk.empty()) {
        std::vector<int64_t> c;
        ints("chunk", g.chunk, 1, kMaxTokens, c);
        if (c.size() != 1) {
            std::string file;
            int line = 0;
            const std::string k = where("chunk", file, line);
            throw InputError(file, line, k, "one value expected (the chunk size is not an axis)");
        }
        sp.chunk = c.front();
    }
    const uint64_t n = sp.size();
    if (n > maxPoints)
        throw InputError("", 0, "",
                         "the grid has " +
                             (n == std::numeric_limits<uint64_t>::max() ? std::string("too many") : std::to_string(n)) +
                             " points; the limit is " + std::to_string(maxPoints));
    return sp;
}

} // namespace rooflab
