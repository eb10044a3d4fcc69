#include "calibration/validation.hpp"

#include "calibration/aic_import.hpp"
#include "codec/request_codec.hpp"
#include "engine/predict.hpp"
#include "units/errors.hpp"

#include <algorithm>
#include <cmath>

namespace rooflab {

ErrorStats errorStats(const std::vector<double>& e) {
    ErrorStats s;
    s.n = e.size();
    if (e.empty())
        return s;
    double sumAbs = 0, sum = 0;
    std::size_t in10 = 0, in25 = 0;
    for (double x : e) {
        sumAbs += std::fabs(x);
        sum += x;
        s.maxAbsPct = std::max(s.maxAbsPct, std::fabs(x));
        in10 += std::fabs(x) <= 10.0 ? 1 : 0;
        in25 += std::fabs(x) <= 25.0 ? 1 : 0;
    }
    const double n = static_cast<double>(e.size());
    s.mapePct = sumAbs / n;
    s.biasPct = sum / n;
    s.within10Pct = 100.0 * static_cast<double>(in10) / n;
    s.within25Pct = 100.0 * static_cast<double>(in25) / n;
    return s;
}

namespace {

DType dtypeOr(const std::string& s, DType fallback, const io::CsvTable& t, std::size_t row, const char* key) {
    if (s.empty())
        return fallback;
    auto d = parseDType(s);
    if (!d)
        throw InputError(t.file, t.rowLines[row], key, "unknown datatype '" + s + "'");
    return *d;
}

std::string bucket(double v) {
    // Powers of two as group labels ("1", "2-3", "4-7", ...).
    if (v < 2)
        return "1";
    const double lo = std::exp2(std::floor(std::log2(v)));
    return std::to_string(static_cast<long long>(lo)) + "-" + std::to_string(static_cast<long long>(2 * lo - 1));
}

void validateE2e(ValidationReport& rep, const PlatformModel& pm, const io::CsvTable& t, const ModelResolver& models,
                 const StackResolver& stacks, const Platform* hardware) {
    const int cId = t.column("id"), cModel = t.requireColumn("model"), cPhase = t.requireColumn("phase"),
              cBatch = t.requireColumn("batch"), cMeas = t.requireColumn("measured_s");
    const int cPrompt = t.column("prompt"), cContext = t.column("context"), cTp = t.column("tp"), cPp = t.column("pp"),
              cW = t.column("weights"), cKv = t.column("kv"), cAct = t.column("act"), cStack = t.column("stack"),
              cChunk = t.column("chunk"), cThreads = t.column("threads");
    // An empty optional cell keeps the scenario's default.
    auto given = [&](std::size_t i, int col) { return col >= 0 && !t.text(i, col).empty(); };
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
        ValidationRow r;
        r.id = cId >= 0 ? t.text(i, cId) : std::to_string(i + 1);
        r.line = t.rowLines[i];
        r.model = t.text(i, cModel);
        r.phase = t.text(i, cPhase);
        try {
            r.measuredS = t.number(i, cMeas, 1e-12, 1e6);
            const std::string& phase = r.phase;
            if (phase != "prefill" && phase != "decode" && phase != "chunked")
                throw InputError(t.file, t.rowLines[i], "phase", "'" + phase + "' is not prefill, decode or chunked");
            // The row as a Request (the cases-line keys), so that validation reads what every front end reads.
            nlohmann::json q{{"kind", "llm"}, {"model", r.model}, {"phase", phase}};
            q["batch"] = r.batch = static_cast<int64_t>(t.number(i, cBatch, 1, 1e9));
            if (given(i, cPrompt))
                // Decode rows carry prompt 0 (no prefill in the step); the engine needs at least one token.
                q["prompt"] = std::max<int64_t>(1, static_cast<int64_t>(t.number(i, cPrompt, 0, 1e9)));
            if (given(i, cContext))
                q["context"] = static_cast<int64_t>(t.number(i, cContext, 0, 1e9));
            // Rows of other phases may carry chunk 0 (not applicable); a chunked row needs one of at least 1.
            if (given(i, cChunk) && (phase == "chunked" || t.number(i, cChunk, 0, 1e9) > 0))
                q["chunk"] = static_cast<int64_t>(t.number(i, cChunk, 0, 1e9));
            if (given(i, cTp))
                q["tp"] = static_cast<int64_t>(t.number(i, cTp, 1, 65536));
            if (given(i, cPp))
                q["pp"] = static_cast<int64_t>(t.number(i, cPp, 1, 65536));
            for (const auto& [col, key] : {std::pair{cW, "weights"}, std::pair{cKv, "kv"}, std::pair{cAct, "act"}})
                if (given(i, col))
                    q[key] = t.text(i, col);
            const std::string stackName = given(i, cStack) ? t.text(i, cStack) : kDefaultStackName;
            q["stack"] = stackName;
            Request req = spec::decodeRequest(q, spec::CodecSource{t.file, t.rowLines[i], {}, false});
            req.withOps = false;
            const Scenario& s = req.scenario;
            r.batch = s.batch;
            r.prompt = s.prompt;
            r.context = s.context;
            r.tp = s.tp;
            const LlmArch& arch = models(r.model);
            req.llm()->arch = &arch;
            req.llm()->stack = &stacks(stackName);
            // CPU rows name the thread count they ran with: the platform restricted to it (withCpuThreads).
            const int threads = given(i, cThreads) ? static_cast<int>(t.number(i, cThreads, 1, 65536)) : 0;
            if (threads > 0 && !hardware)
                throw InputError(t.file, t.rowLines[i], "threads", "a thread count needs the platform's hardware");
            const Result res = predict(threads > 0 ? withCpuThreads(*hardware, pm, double(threads)) : pm, req);
            if (!res.ok)
                throw InputError(t.file, t.rowLines[i], "", res.error);
            const Prediction& p = *res.step();
            r.predictedS = p.latencyS;
            r.errorPct = (r.predictedS - r.measuredS) / r.measuredS * 100.0;
            r.keys = {{"phase", phase},
                      {"model", arch.name},
                      {"batch", bucket(double(s.batch))},
                      {"tp", std::to_string(s.tp)},
                      {"stack", stackName}};
            if (cThreads >= 0)
                r.keys["threads"] = std::to_string(threads);
        } catch (const InputError& e) {
            r.error = e.what();
            ++rep.failed;
        }
        rep.rows.push_back(std::move(r));
    }
}

void validateGemm(ValidationReport& rep, const PlatformModel& pm, const io::CsvTable& t) {
    const int cM = t.requireColumn("m"), cN = t.requireColumn("n"), cK = t.requireColumn("k"),
              cD = t.requireColumn("dtype"), cT = t.requireColumn("median_s");
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
        ValidationRow r;
        r.line = t.rowLines[i];
        try {
            const double m = t.number(i, cM, 1, 1e9), n = t.number(i, cN, 1, 1e9), k = t.number(i, cK, 1, 1e9);
            r.measuredS = t.number(i, cT, 1e-12, 1e6);
            const DType d = dtypeOr(t.text(i, cD), DType::bf16, t, i, "dtype");
            // The sweep replays each GEMM from a CUDA graph: no launch floor.
            const nlohmann::json q{{"kind", "gemm"},
                                   {"m", static_cast<int64_t>(m)},
                                   {"n", static_cast<int64_t>(n)},
                                   {"k", static_cast<int64_t>(k)},
                                   {"dtype", std::string(dtypeName(d))},
                                   {"launch", "graph"}};
            const Result res = predict(pm, spec::decodeRequest(q, spec::CodecSource{t.file, t.rowLines[i], {}, false}));
            if (!res.ok)
                throw InputError(t.file, t.rowLines[i], "", res.error);
            const OpResult& o = res.gemm()->op;
            r.id = t.text(i, cM) + "x" + t.text(i, cN) + "x" + t.text(i, cK) + " " + t.text(i, cD);
            r.predictedS = o.timeS;
            r.errorPct = (r.predictedS - r.measuredS) / r.measuredS * 100.0;
            r.keys = {
                {"dtype", std::string(dtypeName(d))}, {"m", bucket(m)}, {"bound", std::string(boundName(o.bound))}};
        } catch (const InputError& e) {
            r.error = e.what();
            ++rep.failed;
        }
        rep.rows.push_back(std::move(r));
    }
}

} // namespace

ValidationReport validateDataset(const PlatformModel& pm, const io::CsvTable& table, const ModelResolver& models,
                                 const StackResolver& stacks, const aic::AicValidation* aicOpts,
                                 const Platform* hardware) {
    const aic::AicValidation aicValidation = aicOpts ? *aicOpts : aic::AicValidation{};
    ValidationReport rep;
    rep.dataset = table.file;
    const bool aic =
        table.column("framework") >= 0 && table.column("kernel_source") >= 0 && table.column("measured_s") >= 0;
    if (aic && table.column("m") >= 0) {
        rep.kind = "aic-gemm";
        aic::validateGemmRows(rep, pm, table, aicValidation);
    } else if (aic && table.column("experts") >= 0) {
        rep.kind = "aic-moe";
        aic::validateMoeRows(rep, pm, table, aicValidation);
    } else if (aic && table.column("ranks") >= 0) {
        rep.kind = "aic-collective";
        aic::validateCollectiveRows(rep, pm, table, aicValidation);
    } else if (aic && table.column("isl") >= 0) {
        rep.kind = "aic-attention";
        aic::validateAttentionRows(rep, pm, table, aicValidation);
    } else if (table.column("measured_s") >= 0 && table.column("model") >= 0) {
        rep.kind = "e2e";
        validateE2e(rep, pm, table, models, stacks, hardware);
    } else if (table.column("median_s") >= 0 && table.column("m") >= 0) {
        rep.kind = "gemm";
        validateGemm(rep, pm, table);
    } else {
        throw InputError(table.file, 1, "",
                         "not a validation dataset: expected e2e columns (model, phase, batch, "
                         "measured_s), GEMM columns (m, n, k, dtype, median_s) or an imported aiconfigurator table "
                         "(rooflab import aiconfigurator)");
    }
    std::vector<double> all;
    std::map<std::string, std::map<std::string, std::vector<double>>> groups;
    for (const auto& r : rep.rows) {
        if (!r.error.empty())
            continue;
        all.push_back(r.errorPct);
        for (const auto& [k, v] : r.keys)
            groups[k][v].push_back(r.errorPct);
    }
    rep.overall = errorStats(all);
    for (const auto& [k, byValue] : groups)
        for (const auto& [v, errs] : byValue)
            rep.breakdown[k][v] = errorStats(errs);
    return rep;
}

} // namespace rooflab
