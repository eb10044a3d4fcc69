#include "calibration/aic_import.hpp"

#include "analysis/ops.hpp"
#include "codec/request_codec.hpp"
#include "engine/predict.hpp"
#include "units/errors.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace rooflab::aic {

const std::vector<std::string>& gemmColumns() {
    static const std::vector<std::string> k{"system", "framework", "version", "kernel_source", "op",        "dtype",
                                            "m",      "n",         "k",       "launch",        "measured_s"};
    return k;
}

const std::vector<std::string>& attentionColumns() {
    static const std::vector<std::string> k{"system",   "framework", "version",    "kernel_source", "op",
                                            "batch",    "isl",       "step",       "heads",         "kv_heads",
                                            "head_dim", "window",    "attn_dtype", "kv_dtype",      "measured_s"};
    return k;
}

std::string canonicalFramework(const std::string& cell) {
    std::string s;
    for (char c : cell)
        if (c != '-' && c != '_' && c != ' ')
            s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s == "vllm")
        return "vllm";
    if (s == "sglang")
        return "sglang";
    if (s == "trtllm" || s == "tensorrtllm")
        return "trtllm";
    return {};
}

std::string platformForSystem(const std::string& system) {
    if (system == "h100_sxm")
        return "h100-sxm5-80gb";
    if (system == "h200_sxm")
        return "h200-sxm-141gb";
    if (system == "l40s")
        return "l40s";
    return {};
}

std::string systemForDevice(const std::string& device) {
    if (device.find("H100") != std::string::npos && device.find("HBM3") != std::string::npos)
        return "h100_sxm";
    if (device.find("H200") != std::string::npos)
        return "h200_sxm";
    if (device.find("L40S") != std::string::npos)
        return "l40s";
    return {};
}

std::string ImportedDataset::fileName() const {
    return system + "__" + op + "__" + framework + ".csv";
}

namespace {

/// A table of one of the imported kinds; the columns it is read by.
enum class TableKind { Gemm, Attention, Other };

TableKind kindOf(const io::CsvTable& t) {
    if (t.column("gemm_dtype") >= 0 && t.column("m") >= 0)
        return TableKind::Gemm;
    if (t.column("attn_dtype") >= 0 && t.column("num_key_value_heads") >= 0)
        return TableKind::Attention;
    return TableKind::Other;
}

/// Reads cells by column name and names file, line and column (name and 1-based index) when one is bad.
class RowReader {
public:
    RowReader(const io::CsvTable& t, std::size_t row) : m_t(t), m_row(row) {}

    [[noreturn]] void fail(int col, const std::string& msg) const {
        const std::string name = col >= 0 ? m_t.header.at(static_cast<std::size_t>(col)) : std::string();
        throw InputError(m_t.file, m_t.rowLines.at(m_row), name,
                         msg + (col >= 0 ? " (column " + std::to_string(col + 1) + ")" : std::string()));
    }
    const std::string& text(int col) const { return m_t.text(m_row, col); }
    std::string nonEmpty(int col) const {
        const std::string& s = text(col);
        if (s.empty())
            fail(col, "empty cell");
        return s;
    }
    double number(int col, double minV, double maxV) const {
        const std::string& s = text(col);
        double v = 0;
        const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v))
            fail(col, "'" + s + "' is not a finite number");
        if (v < minV || v > maxV) {
            std::ostringstream os;
            os << "value " << s << " is out of range [" << minV << ", " << maxV << "]";
            fail(col, os.str());
        }
        return v;
    }
    int64_t integer(int col, int64_t minV, int64_t maxV) const {
        const double v = number(col, static_cast<double>(minV), static_cast<double>(maxV));
        if (v != std::floor(v))
            fail(col, "'" + text(col) + "' is not a whole number");
        return static_cast<int64_t>(v);
    }

private:
    const io::CsvTable& m_t;
    std::size_t m_row;
};

uint64_t fnv1a(const std::string& s) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

/// Seconds with 6 significant digits: the tables' run-to-run noise is well above 1e-6 relative.
std::string seconds(double ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", ms * 1e-3);
    return buf;
}

const std::set<std::string>& gemmDtypes() {
    static const std::set<std::string> k{"bfloat16", "float16", "fp8", "fp8_block"};
    return k;
}
const std::set<std::string>& attentionDtypes() {
    static const std::set<std::string> k{"bfloat16", "float16", "fp8"};
    return k;
}

/// Latency in ms of a per-op table: > 0 (zeros appear only in top-k tables, which are not imported).
double latencyMs(const RowReader& r, int col) {
    const double ms = r.number(col, 0, 1e9);
    if (ms <= 0)
        r.fail(col, "latency must be > 0 ms");
    return ms;
}

} // namespace

void Importer::add(const io::CsvTable& t, const std::string& systemHint) {
    const TableKind kind = kindOf(t);
    if (kind == TableKind::Other) {
        m_skipped.push_back({t.file, "not a GEMM or dense-attention table (no gemm_dtype, or no attn_dtype and "
                                     "num_key_value_heads column): its family is not imported yet"});
        return;
    }
    const int cSystem = t.column("system"), cFw = t.requireColumn("framework"), cVer = t.requireColumn("version"),
              cDev = t.requireColumn("device"), cOp = t.requireColumn("op_name"),
              cKs = t.requireColumn("kernel_source"), cLat = t.requireColumn("latency");
    std::map<std::string, std::size_t> unsupported; // "column value" -> rows
    std::map<std::string, ImportSource> sources;    // dataset file name -> this table's share
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
        const RowReader r(t, i);
        std::string system = cSystem >= 0 ? r.nonEmpty(cSystem) : m_options.system;
        if (system.empty())
            system = systemHint;
        const std::string device = r.nonEmpty(cDev);
        if (system.empty()) {
            system = systemForDevice(device);
            if (system.empty())
                r.fail(cDev, "no system column and device '" + device +
                                 "' is not a known system (h100_sxm, h200_sxm, l40s): pass --system");
        }
        const std::string framework = canonicalFramework(r.nonEmpty(cFw));
        if (framework.empty())
            r.fail(cFw, "framework '" + r.text(cFw) + "' is not vLLM, SGLang or TRTLLM");
        const std::string version = r.nonEmpty(cVer), kernel = r.nonEmpty(cKs), op = r.nonEmpty(cOp);
        std::vector<std::string> out;
        std::string shapeKey, dtypeKey;
        bool keep = true;
        if (kind == TableKind::Gemm) {
            if (op != kOpGemm)
                r.fail(cOp, "op_name '" + op + "' in a GEMM table (gemm_dtype column) is not 'gemm'");
            const int cD = t.requireColumn("gemm_dtype");
            const std::string dtype = r.nonEmpty(cD);
            const int64_t m = r.integer(t.requireColumn("m"), 1, int64_t(1) << 40),
                          n = r.integer(t.requireColumn("n"), 1, int64_t(1) << 40),
                          k = r.integer(t.requireColumn("k"), 1, int64_t(1) << 40);
            const double ms = latencyMs(r, cLat);
            if (!gemmDtypes().contains(dtype)) {
                ++unsupported["gemm_dtype " + dtype];
                keep = false;
            }
            // vLLM runs its fp8_block GEMM eagerly (SOURCE.md, "How timed"); the others replay a CUDA graph.
            const std::string launch = framework == "vllm" && dtype == "fp8_block" ? "stream" : "graph";
            shapeKey = dtype + "|" + std::to_string(m) + "|" + std::to_string(n) + "|" + std::to_string(k);
            dtypeKey = dtype;
            out = {
                system, framework,  version, kernel, op, dtype, std::to_string(m), std::to_string(n), std::to_string(k),
                launch, seconds(ms)};
        } else {
            if (op != kOpContextAttention && op != kOpGenerationAttention)
                r.fail(cOp, "op_name '" + op + "' is not context_attention or generation_attention");
            const bool context = op == kOpContextAttention;
            const int64_t batch = r.integer(t.requireColumn("batch_size"), 1, int64_t(1) << 30);
            const int cIsl = t.requireColumn("isl"), cStep = t.requireColumn("step");
            const int64_t isl = r.integer(cIsl, 1, int64_t(1) << 30), step = r.integer(cStep, 0, int64_t(1) << 30);
            if (!context && isl != 1)
                r.fail(cIsl, "generation_attention rows have isl 1 (one new token per request), not " + r.text(cIsl));
            if (context && step != 0)
                r.fail(cStep, "context_attention rows have step 0 (no cached prefix), not " + r.text(cStep));
            const int cH = t.requireColumn("num_heads"), cKv = t.requireColumn("num_key_value_heads");
            const int64_t heads = r.integer(cH, 1, 1 << 20), kvHeads = r.integer(cKv, 1, 1 << 20);
            if (heads % kvHeads != 0)
                r.fail(cKv, "num_key_value_heads " + r.text(cKv) + " does not divide num_heads " + r.text(cH));
            const int64_t headDim = r.integer(t.requireColumn("head_dim"), 1, 1 << 16);
            const int cW = t.column("window_size"), cB = t.column("beam_width");
            const int64_t window = cW >= 0 ? r.integer(cW, 0, int64_t(1) << 30) : 0;
            if (cB >= 0 && r.integer(cB, 1, 1 << 10) != 1)
                r.fail(cB, "beam_width " + r.text(cB) + " is not 1 (beam search is not modelled)");
            const int cA = t.requireColumn("attn_dtype"), cK = t.requireColumn("kv_cache_dtype");
            const std::string attnDtype = r.nonEmpty(cA), kvDtype = r.nonEmpty(cK);
            const double ms = latencyMs(r, cLat);
            for (const auto& [col, d] : {std::pair{"attn_dtype", attnDtype}, std::pair{"kv_cache_dtype", kvDtype}})
                if (!attentionDtypes().contains(d)) {
                    ++unsupported[std::string(col) + " " + d];
                    keep = false;
                }
            shapeKey = op + "|" + std::to_string(batch) + "|" + std::to_string(isl) + "|" + std::to_string(step) + "|" +
                       std::to_string(heads) + "|" + std::to_string(kvHeads) + "|" + std::to_string(headDim) + "|" +
                       std::to_string(window) + "|" + attnDtype + "|" + kvDtype;
            dtypeKey = attnDtype + "/" + kvDtype;
            out = {system,
                   framework,
                   version,
                   kernel,
                   op,
                   std::to_string(batch),
                   std::to_string(isl),
                   std::to_string(step),
                   std::to_string(heads),
                   std::to_string(kvHeads),
                   std::to_string(headDim),
                   std::to_string(window),
                   attnDtype,
                   kvDtype,
                   seconds(ms)};
        }
        ImportedDataset probe;
        probe.system = system;
        probe.framework = framework;
        probe.op = op;
        const std::string name = probe.fileName();
        ImportSource& src = sources[name];
        src.file = t.file;
        ++src.rowsRead;
        if (!keep || (m_options.sampleEvery > 1 && fnv1a(shapeKey) % m_options.sampleEvery != 0))
            continue;
        auto [it, fresh] = m_datasets.try_emplace(name, std::move(probe));
        ImportedDataset& d = it->second;
        if (fresh)
            d.header = kind == TableKind::Gemm ? gemmColumns() : attentionColumns();
        d.versions.insert(version);
        d.devices.insert(device);
        ++d.kernelSources[kernel];
        ++d.dtypes[dtypeKey];
        d.rows.push_back(std::move(out));
        ++src.rowsKept;
    }
    for (auto& [name, src] : sources) {
        auto it = m_datasets.find(name);
        if (it != m_datasets.end())
            it->second.sources.push_back(src);
        else
            m_skipped.push_back({t.file, std::to_string(src.rowsRead) + " rows for " + name +
                                             ": none kept (unsupported dtypes or outside the sample)"});
    }
    for (const auto& [what, n] : unsupported)
        m_skipped.push_back(
            {t.file, std::to_string(n) + " rows with " + what + " not imported (no such path in the engine yet)"});
}

ImportResult Importer::finish() const {
    ImportResult r;
    for (const auto& [name, d] : m_datasets)
        r.datasets.push_back(d);
    r.skipped = m_skipped;
    return r;
}

std::string datasetCsv(const ImportedDataset& d) {
    std::string out;
    auto line = [&](const std::vector<std::string>& cells) {
        for (std::size_t i = 0; i < cells.size(); ++i) {
            if (i)
                out += ',';
            const std::string& c = cells[i];
            if (c.find_first_of(",\"\n\r") != std::string::npos) {
                out += '"';
                for (char ch : c)
                    out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
                out += '"';
            } else {
                out += c;
            }
        }
        out += '\n';
    };
    line(d.header);
    for (const auto& r : d.rows)
        line(r);
    return out;
}

std::string provenanceMarkdown(const ImportResult& r, const ImportOptions& o, const std::string& command) {
    std::ostringstream os;
    os << "# Imported aiconfigurator per-operator tables\n\n"
       << "Written by `" << command << "`.\n\n"
       << "Source: NVIDIA aiconfigurator's per-operator database (https://github.com/ai-dynamo/aiconfigurator, "
          "`aic-core/src/aiconfigurator_core/systems/data/<system>/<family>/<framework>/<version>/<table>.parquet`), "
          "Apache License 2.0, data (c) NVIDIA CORPORATION & AFFILIATES; see the LICENSE file next to this one. "
          "Each row is one operator as the framework calls it, timed by aiconfigurator's collector from CUDA-graph "
          "replays (vLLM fp8_block GEMMs eagerly: `launch = stream`).\n\n"
       << "Changes (Apache-2.0 section 4(b)): columns renamed and reordered (`batch_size` -> `batch`, `num_heads` -> "
          "`heads`, `num_key_value_heads` -> `kv_heads`, `window_size` -> `window`, `kv_cache_dtype` -> `kv_dtype`, "
          "`gemm_dtype` -> `dtype`, `op_name` -> `op`); framework names lower-cased (vllm, sglang, trtllm); latency "
          "converted from ms to seconds (`measured_s`, 6 significant digits); `device` and `beam_width` (always 1) "
          "moved out of the rows (devices are listed below); rows of dtypes the engine has no path for left out "
          "(listed below).\n\n";
    if (o.sampleEvery > 1)
        os << "Sample: a shape is kept when the FNV-1a 64-bit hash of its key is 0 mod " << o.sampleEvery
           << " (GEMM key `dtype|m|n|k`; attention key `op|batch|isl|step|heads|kv_heads|head_dim|window|attn_dtype|"
              "kv_dtype`, with the upstream dtype names and decimal integers). The key leaves out system, framework, "
              "version and kernel source, so every GPU and framework keeps the same shapes, with all alternative "
              "kernels of a kept shape.\n\n";
    else
        os << "Sample: every row.\n\n";
    os << "| dataset | rows | versions | devices | kernel sources (rows) | dtypes (rows) | from (rows read -> kept) |\n"
       << "|---|---:|---|---|---|---|---|\n";
    auto joinSet = [](const std::set<std::string>& s) {
        std::string out;
        for (const auto& v : s)
            out += (out.empty() ? "" : ", ") + v;
        return out;
    };
    auto joinMap = [](const std::map<std::string, std::size_t>& m) {
        std::string out;
        for (const auto& [k, n] : m)
            out += (out.empty() ? "" : ", ") + ("`" + k + "` " + std::to_string(n));
        return out;
    };
    for (const auto& d : r.datasets) {
        std::string from;
        for (const auto& s : d.sources) {
            const std::string base = s.file.substr(s.file.find_last_of("/\\") + 1);
            from += (from.empty() ? "" : ", ") +
                    ("`" + base + "` " + std::to_string(s.rowsRead) + " -> " + std::to_string(s.rowsKept));
        }
        os << "| `" << d.fileName() << "` | " << d.rows.size() << " | " << joinSet(d.versions) << " | "
           << joinSet(d.devices) << " | " << joinMap(d.kernelSources) << " | " << joinMap(d.dtypes) << " | " << from
           << " |\n";
    }
    if (!r.skipped.empty()) {
        os << "\nNot imported:\n\n";
        for (const auto& s : r.skipped)
            os << "* `" << s.file.substr(s.file.find_last_of("/\\") + 1) << "`: " << s.reason << "\n";
    }
    return os.str();
}

namespace {

/// Group labels: powers of two ("1", "2-3", "4-7", ...).
std::string pow2Bucket(double v) {
    if (v < 2)
        return "1";
    const double lo = std::exp2(std::floor(std::log2(v)));
    return std::to_string(static_cast<long long>(lo)) + "-" + std::to_string(static_cast<long long>(2 * lo - 1));
}

DType computeDtype(const std::string& aicDtype) {
    if (aicDtype == "fp8" || aicDtype == "fp8_block")
        return DType::fp8_e4m3;
    if (aicDtype == "float16")
        return DType::fp16;
    return DType::bf16;
}

struct Common {
    int system, framework, kernel, op, measured;
};
Common commonColumns(const io::CsvTable& t) {
    return {t.requireColumn("system"), t.requireColumn("framework"), t.requireColumn("kernel_source"),
            t.requireColumn("op"), t.requireColumn("measured_s")};
}

} // namespace

AicRow readRow(const io::CsvTable& t, std::size_t i) {
    const RowReader rr(t, i);
    const int cFw = t.requireColumn("framework"), cKernel = t.requireColumn("kernel_source"),
              cOp = t.requireColumn("op"), cMeas = t.requireColumn("measured_s");
    AicRow r;
    r.line = t.rowLines[i];
    const std::string fw = rr.nonEmpty(cFw), op = rr.nonEmpty(cOp);
    r.measuredS = rr.number(cMeas, 1e-12, 1e6);
    if (t.column("m") >= 0) {
        const int cD = t.requireColumn("dtype"), cM = t.requireColumn("m"), cN = t.requireColumn("n"),
                  cK = t.requireColumn("k"), cL = t.requireColumn("launch");
        r.family = EffFamily::Gemm;
        r.dtype = rr.nonEmpty(cD);
        if (!gemmDtypes().contains(r.dtype))
            rr.fail(cD, "'" + r.dtype + "' is not bfloat16, float16, fp8 or fp8_block");
        r.m = rr.integer(cM, 1, int64_t(1) << 40);
        r.n = rr.integer(cN, 1, int64_t(1) << 40);
        r.k = rr.integer(cK, 1, int64_t(1) << 40);
        const std::string launch = rr.nonEmpty(cL);
        if (launch != "graph" && launch != "stream")
            rr.fail(cL, "'" + launch + "' is not graph or stream");
        r.launch = launch == "graph" ? LaunchMode::Graph : LaunchMode::Stream;
        r.computeType = computeDtype(r.dtype);
        gemmFeatures(double(r.m), double(r.n), double(r.k), r.x);
        r.axes = {{"m", r.m}, {"n", r.n}, {"k", r.k}};
        r.id = fw + " " + r.dtype + " " + t.text(i, cM) + "x" + t.text(i, cN) + "x" + t.text(i, cK) + " " +
               t.text(i, cKernel);
        r.keys = {{"framework", fw},
                  {"op", op},
                  {"dtype", r.dtype},
                  {"kernel", t.text(i, cKernel)},
                  {"m", pow2Bucket(double(r.m))}};
        return r;
    }
    const int cB = t.requireColumn("batch"), cIsl = t.requireColumn("isl"), cStep = t.requireColumn("step"),
              cH = t.requireColumn("heads"), cKv = t.requireColumn("kv_heads"), cHd = t.requireColumn("head_dim"),
              cW = t.requireColumn("window"), cA = t.requireColumn("attn_dtype"), cKd = t.requireColumn("kv_dtype");
    const bool context = op == kOpContextAttention;
    if (!context && op != kOpGenerationAttention)
        rr.fail(cOp, "'" + op + "' is not context_attention or generation_attention");
    const std::string attnDtype = rr.nonEmpty(cA), kvDtype = rr.nonEmpty(cKd);
    for (int col : {cA, cKd})
        if (!attentionDtypes().contains(t.text(i, col)))
            rr.fail(col, "'" + t.text(i, col) + "' is not bfloat16, float16 or fp8");
    AttentionShape& s = r.shape;
    const int64_t batch = rr.integer(cB, 1, int64_t(1) << 30);
    const int64_t isl = rr.integer(cIsl, 1, int64_t(1) << 30);
    const int64_t step = rr.integer(cStep, 0, int64_t(1) << 30);
    const int64_t heads = rr.integer(cH, 1, 1 << 20);
    s.batch = double(batch);
    // Context: isl new tokens attend causally to themselves. Generation: one query over the step cached
    // tokens and itself.
    s.queries = context ? double(isl) : 1;
    s.keys = context ? double(isl) : double(step) + 1;
    s.heads = double(heads);
    s.kvHeads = double(rr.integer(cKv, 1, 1 << 20));
    s.qkDim = s.vDim = double(rr.integer(cHd, 1, 1 << 16));
    s.window = double(rr.integer(cW, 0, int64_t(1) << 30));
    s.kvBytesPerElement = kvDtype == "fp8" ? 1 : 2;
    s.actBytesPerElement = attnDtype == "fp8" ? 1 : 2;
    s.causal = true;
    r.computeType = computeDtype(attnDtype);
    r.launch = LaunchMode::Graph;
    r.dtype = attnDtype + "/" + kvDtype;
    r.headDim = static_cast<int>(s.qkDim);
    const double span = s.window > 0 ? std::min(s.keys, s.window) : s.keys;
    if (context) {
        r.family = EffFamily::ContextAttention;
        contextFeatures(s.batch, s.queries, s.heads, s.kvHeads, std::min(span, s.queries), r.x);
        r.axes = {{"batch", batch}, {"isl", isl}, {"heads", heads}};
    } else {
        r.family = EffFamily::GenerationAttention;
        generationFeatures(s.batch, s.keys, s.heads, s.kvHeads, span, r.x);
        r.axes = {{"batch", batch}, {"step", step}, {"heads", heads}};
    }
    r.id = fw + " " + op + " b" + t.text(i, cB) + " isl" + t.text(i, cIsl) + " step" + t.text(i, cStep) + " h" +
           t.text(i, cH) + "/" + t.text(i, cKv) + " d" + t.text(i, cHd) + " w" + t.text(i, cW) + " " + r.dtype + " " +
           t.text(i, cKernel);
    r.keys = {{"framework", fw},
              {"op", op},
              {"dtype", r.dtype},
              {"kernel", t.text(i, cKernel)},
              {"head_dim", t.text(i, cHd)},
              {"window", t.text(i, cW) == "0" ? "none" : t.text(i, cW)},
              {"batch", pow2Bucket(s.batch)}};
    return r;
}

double rowScale(const KernelEfficiency* eff, const AicRow& r) {
    if (!eff)
        return 1.0;
    const EffSurface* s = r.family == EffFamily::Gemm ? eff->find(r.family, r.dtype)
                                                      : eff->nearestAttention(r.family, r.dtype, r.headDim);
    return s ? std::exp2(s->log2Scale.eval(r.x)) : 1.0;
}

double rowPredictS(const PlatformModel& pm, const AicRow& r, double scale) {
    if (r.family == EffFamily::Gemm)
        return evalGemm(pm, "gemm", double(r.m), double(r.n), double(r.k), r.computeType, r.computeType, r.computeType,
                        r.launch, 1, 2, scale)
            .timeS;
    return evalAttention(pm, "attention", r.shape, r.computeType, LaunchMode::Graph, scale).timeS;
}

bool rowHeldOut(const EffHeldOut& h, const AicRow& r) {
    for (const auto& [col, v] : r.axes)
        if (h.contains(col, v))
            return true;
    return false;
}

void validateRows(ValidationReport& rep, const PlatformModel& pm, const io::CsvTable& t, const AicValidation& v) {
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
        ValidationRow out;
        out.line = t.rowLines[i];
        try {
            const AicRow r = readRow(t, i);
            if (v.split != AicSplit::All) {
                const EffHeldOut* h = v.heldOut ? v.heldOut->heldOutOf(r.family) : nullptr;
                if (!h)
                    throw InputError(t.file, t.rowLines[i], "",
                                     std::string("no held-out record for ") + effFamilyName(r.family) +
                                         " on this system in the stack (run `rooflab calibrate aic` first)");
                if (rowHeldOut(*h, r) != (v.split == AicSplit::HeldOut))
                    continue;
            }
            out.id = r.id;
            out.keys = r.keys;
            out.measuredS = r.measuredS;
            out.predictedS = rowPredictS(pm, r, rowScale(v.efficiency, r));
            out.errorPct = (out.predictedS - out.measuredS) / out.measuredS * 100.0;
        } catch (const InputError& e) {
            out.error = e.what();
            ++rep.failed;
        }
        rep.rows.push_back(std::move(out));
    }
}

void validateGemmRows(ValidationReport& rep, const PlatformModel& pm, const io::CsvTable& t, const AicValidation& v) {
    commonColumns(t);
    validateRows(rep, pm, t, v);
}

void validateAttentionRows(ValidationReport& rep, const PlatformModel& pm, const io::CsvTable& t,
                           const AicValidation& v) {
    commonColumns(t);
    validateRows(rep, pm, t, v);
}

} // namespace rooflab::aic
