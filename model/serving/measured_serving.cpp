#include "serving/measured_serving.hpp"

#include "codec/request_codec.hpp"
#include "serving/serving_validation.hpp"
#include "spec/request.hpp"
#include "units/errors.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <variant>

namespace rooflab::serving {
namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

/// A cell as a positive finite number, else nullopt.
std::optional<double> positive(const io::CsvTable& t, std::size_t row, int col) {
    const std::string& s = t.text(row, col);
    char* end = nullptr;
    const double d = std::strtod(s.c_str(), &end);
    if (s.empty() || end == s.c_str() || *end != '\0' || !std::isfinite(d) || d <= 0)
        return std::nullopt;
    return d;
}

} // namespace

std::string gpuFamilyOfPlatform(const std::string& platformName) {
    const std::string n = lower(platformName);
    for (const char* g : {"h100", "h200"})
        if (n.find(g) != std::string::npos)
            return g;
    return {};
}

MeasuredServingQuery measuredQueryFor(const LlmArch& model, const std::string& platformName, int64_t isl, int64_t osl) {
    MeasuredServingQuery q;
    q.modelName = model.name;
    q.source = model.source;
    q.gpu = gpuFamilyOfPlatform(platformName);
    q.isl = isl;
    q.osl = osl;
    return q;
}

std::vector<MeasuredServingPoint> measuredServingPoints(const io::CsvTable& t, io::Catalog& catalog,
                                                        const MeasuredServingQuery& q) {
    std::vector<MeasuredServingPoint> out;
    if (!isServingBenchmark(t))
        throw InputError(t.file, 0, "",
                         "not an aic-silicon serving table (model_path, backend, mode, isl, osl, "
                         "concurrency, ttft_ms, tpot_ms and the layout columns)");
    if (q.modelName.empty() && q.source.empty())
        return out;
    const int modelCol = t.requireColumn("model_path"), gpuCol = t.requireColumn("gpu"),
              ttftCol = t.requireColumn("ttft_ms"), tpotCol = t.requireColumn("tpot_ms"), idCol = t.requireColumn("id"),
              backendCol = t.requireColumn("backend"), modeCol = t.requireColumn("mode");
    const std::string wantSource = lower(q.source), wantGpu = lower(q.gpu);
    std::map<std::string, bool> sameModel; // model_path -> resolves to the query's model
    auto matches = [&](const std::string& path) {
        if (auto it = sameModel.find(path); it != sameModel.end())
            return it->second;
        bool same = !wantSource.empty() && lower(path) == wantSource;
        if (!same && !q.modelName.empty()) {
            try {
                same = catalog.model(path).name == q.modelName;
            } catch (const InputError&) {
                same = false; // no preset names it: not the query's model
            }
        }
        sameModel.emplace(path, same);
        return same;
    };
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
        if (!wantGpu.empty() && lower(t.text(r, gpuCol)).find(wantGpu) == std::string::npos)
            continue;
        if (!matches(t.text(r, modelCol)))
            continue;
        const auto ttftMs = positive(t, r, ttftCol), tpotMs = positive(t, r, tpotCol);
        if (!ttftMs || !tpotMs)
            continue;
        // The deployment's GPUs as serving validation counts them: the row's case line through the codec.
        std::string why;
        const auto line = caseOfRow(t, r, why);
        if (!line)
            continue;
        MeasuredServingPoint p;
        try {
            const Request req = spec::decodeRequest(*line);
            const auto& w = std::get<ServingWork>(req.workload);
            p.gpus = w.gpus();
            p.isl = w.isl;
            p.osl = w.osl;
            p.concurrency = w.concurrency;
        } catch (const InputError&) {
            continue; // a row the codec refuses (validation skips it too)
        }
        if (p.gpus < 1 || p.osl < 1 || p.concurrency < 1)
            continue;
        p.id = t.text(r, idCol);
        p.line = r < t.rowLines.size() ? t.rowLines[r] : 0;
        p.gpu = t.text(r, gpuCol);
        p.backend = t.text(r, backendCol);
        p.mode = t.text(r, modeCol);
        p.model = t.text(r, modelCol);
        p.ttftS = *ttftMs * 1e-3;
        p.tpotS = *tpotMs * 1e-3;
        p.outputTokensPerSPerUser = 1.0 / p.tpotS;
        const double e2eS = p.ttftS + double(p.osl - 1) * p.tpotS;
        p.outputTokensPerSPerGpu = double(p.concurrency) * double(p.osl) / e2eS / double(p.gpus);
        out.push_back(std::move(p));
    }
    if (q.isl > 0 && q.osl > 0) {
        auto other = [&](const MeasuredServingPoint& p) { return p.isl != q.isl || p.osl != q.osl; };
        if (!std::all_of(out.begin(), out.end(), other))
            out.erase(std::remove_if(out.begin(), out.end(), other), out.end());
    }
    return out;
}

} // namespace rooflab::serving
