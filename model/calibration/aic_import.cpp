#include "calibration/aic_import.hpp"

#include "analysis/ops.hpp"
#include "analysis/step_graph.hpp"
#include "codec/request_codec.hpp"
#include "engine/predict.hpp"
#include "io/files.hpp"
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

const std::vector<std::string>& moeColumns() {
    static const std::vector<std::string> k{"system",  "framework", "version", "kernel_source", "op",
                                            "dtype",   "tokens",    "hidden",  "inter",         "topk",
                                            "experts", "moe_tp",    "moe_ep",  "distribution",  "measured_s"};
    return k;
}

const std::vector<std::string>& collectiveColumns() {
    static const std::vector<std::string> k{"system", "framework", "version", "kernel_source", "op",        "dtype",
                                            "ranks",  "elements",  "bytes",   "mode",          "measured_s"};
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
    if (s == "nccl")
        return "nccl";
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
enum class TableKind { Gemm, Attention, Moe, CustomAllreduce, Nccl, Other };

TableKind kindOf(const io::CsvTable& t) {
    if (t.column("gemm_dtype") >= 0 && t.column("m") >= 0)
        return TableKind::Gemm;
    if (t.column("attn_dtype") >= 0 && t.column("num_key_value_heads") >= 0)
        return TableKind::Attention;
    // wideep_*_moe tables carry the same columns but other op names (rejected per row below) or extra ones.
    if (t.column("moe_dtype") >= 0 && t.column("num_tokens") >= 0 && t.column("moe_ep_size") >= 0 &&
        t.column("rank0_num_tokens") < 0)
        return TableKind::Moe;
    if (t.column("allreduce_dtype") >= 0 && t.column("message_size") >= 0 && t.column("num_gpus") >= 0)
        return TableKind::CustomAllreduce;
    if (t.column("nccl_dtype") >= 0 && t.column("message_size") >= 0 && t.column("num_gpus") >= 0)
        return TableKind::Nccl;
    return TableKind::Other;
}

/// Bytes of one element of a collective's dtype; 0 when unknown.
double collectiveElementBytes(const std::string& dtype) {
    if (dtype == "bfloat16" || dtype == "half" || dtype == "float16")
        return 2;
    if (dtype == "int8" || dtype == "fp8")
        return 1;
    if (dtype == "float32" || dtype == "float")
        return 4;
    return 0;
}

const std::set<std::string>& collectiveOps() {
    static const std::set<std::string> k{"all_reduce", "all_gather", "reduce_scatter", "alltoall"};
    return k;
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
const std::set<std::string>& moeDtypes() {
    // w4a16_mxfp4 / int4_wo: 4-bit weights (MXFP4, or int4 with group scales) dequantized to bf16 in the expert
    // GEMMs: gpt-oss's and Kimi-K2's experts as the frameworks run them on Hopper and Ada.
    static const std::set<std::string> k{"bfloat16", "float16", "fp8", "fp8_block", "w4a16_mxfp4", "int4_wo"};
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

/// The expert routing a MoE table's distribution cell names (moeRoutingFromName); anything else fails with file, line
/// and column.
MoeRouting routingCell(const RowReader& r, int col) {
    const std::string name = r.nonEmpty(col);
    MoeRouting routing;
    if (!moeRoutingFromName(name, routing))
        r.fail(col, "'" + name + "' is not balanced, uniform or power_law_<alpha> (alpha > 1)");
    return routing;
}

} // namespace

void Importer::add(const io::CsvTable& t, const std::string& systemHint) {
    const TableKind kind = kindOf(t);
    if (kind == TableKind::Other) {
        m_skipped.push_back({t.file, "not a GEMM, dense-attention, MoE or collective table (no gemm_dtype; no "
                                     "attn_dtype and num_key_value_heads; no moe_dtype; no allreduce_dtype / "
                                     "nccl_dtype with message_size): its family is not imported yet"});
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
        } else if (kind == TableKind::Moe) {
            if (op != kOpMoe)
                r.fail(cOp, "op_name '" + op + "' in a MoE table (moe_dtype column) is not 'moe'");
            const int cD = t.requireColumn("moe_dtype");
            const std::string dtype = r.nonEmpty(cD);
            const int64_t tokens = r.integer(t.requireColumn("num_tokens"), 1, int64_t(1) << 30),
                          hidden = r.integer(t.requireColumn("hidden_size"), 1, 1 << 20),
                          inter = r.integer(t.requireColumn("inter_size"), 1, 1 << 22);
            const int cK = t.requireColumn("topk"), cE = t.requireColumn("num_experts");
            const int64_t topk = r.integer(cK, 1, 1 << 12), experts = r.integer(cE, 1, 1 << 16);
            if (topk > experts)
                r.fail(cK, "topk " + r.text(cK) + " exceeds num_experts " + r.text(cE));
            const int cTp = t.requireColumn("moe_tp_size"), cEp = t.requireColumn("moe_ep_size");
            const int64_t moeTp = r.integer(cTp, 1, 1 << 12), moeEp = r.integer(cEp, 1, 1 << 12);
            if (experts % moeEp != 0)
                r.fail(cEp, "moe_ep_size " + r.text(cEp) + " does not divide num_experts " + r.text(cE));
            const int cDist = t.requireColumn("distribution");
            routingCell(r, cDist);
            const std::string& distribution = r.text(cDist);
            const double ms = latencyMs(r, cLat);
            if (!moeDtypes().contains(dtype)) {
                ++unsupported["moe_dtype " + dtype];
                keep = false;
            } else if (kernel.find("nongated") != std::string::npos) {
                // ReLU^2 non-gated experts (Nemotron-H): the step graph times gated (SwiGLU) experts only.
                ++unsupported["kernel_source " + kernel + " (non-gated experts)"];
                keep = false;
            }
            const std::string shape = std::to_string(tokens) + "|" + std::to_string(hidden) + "|" +
                                      std::to_string(inter) + "|" + std::to_string(topk) + "|" +
                                      std::to_string(experts) + "|" + std::to_string(moeTp) + "|" +
                                      std::to_string(moeEp);
            shapeKey = "moe|" + dtype + "|" + shape + "|" + distribution;
            dtypeKey = dtype + "/" + distribution;
            out = {system,
                   framework,
                   version,
                   kernel,
                   op,
                   dtype,
                   std::to_string(tokens),
                   std::to_string(hidden),
                   std::to_string(inter),
                   std::to_string(topk),
                   std::to_string(experts),
                   std::to_string(moeTp),
                   std::to_string(moeEp),
                   distribution,
                   seconds(ms)};
        } else if (kind == TableKind::CustomAllreduce || kind == TableKind::Nccl) {
            const bool nccl = kind == TableKind::Nccl;
            if (!collectiveOps().contains(op) || (!nccl && op != "all_reduce"))
                r.fail(cOp, "op_name '" + op + "' is not " +
                                (nccl ? "all_reduce, all_gather, reduce_scatter or alltoall" : "all_reduce"));
            const int cD = t.requireColumn(nccl ? "nccl_dtype" : "allreduce_dtype");
            const std::string dtype = r.nonEmpty(cD);
            const double elementBytes = collectiveElementBytes(dtype);
            if (elementBytes <= 0)
                r.fail(cD, "'" + dtype + "' is not bfloat16, half, float16, int8, fp8 or float32");
            const int64_t ranks = r.integer(t.requireColumn("num_gpus"), 2, 1 << 12),
                          elements = r.integer(t.requireColumn("message_size"), 1, int64_t(1) << 40);
            const double ms = latencyMs(r, cLat);
            // The framework's all-reduce: vLLM / SGLang time a CUDA-graph-captured and an eager variant (`backend`
            // *_graph / *_eager); TensorRT-LLM's runs in a graph. NCCL: nccl-tests, its own launches.
            std::string mode = "nccl";
            if (!nccl) {
                mode = "graph";
                if (const int cB = t.column("backend"); cB >= 0) {
                    const std::string& b = r.text(cB);
                    if (b.ends_with("_eager"))
                        mode = "eager";
                    else if (!b.ends_with("_graph"))
                        r.fail(cB, "backend '" + b + "' ends in neither _graph nor _eager");
                }
            }
            shapeKey = op + "|" + std::to_string(ranks) + "|" + std::to_string(elements) + "|" + dtype + "|" + mode;
            dtypeKey = op + "/" + mode;
            // NCCL tables name the image they ran in (TRTLLM) as framework: their datasets' framework is nccl.
            out = {system,
                   nccl ? std::string("nccl") : framework,
                   version,
                   kernel,
                   op,
                   dtype,
                   std::to_string(ranks),
                   std::to_string(elements),
                   std::to_string(static_cast<int64_t>(double(elements) * elementBytes)),
                   mode,
                   seconds(ms)};
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
        probe.framework = kind == TableKind::Nccl ? std::string("nccl") : framework;
        probe.op = kind == TableKind::Moe               ? std::string(kOpMoe)
                   : kind == TableKind::CustomAllreduce ? std::string(kOpCustomAllreduce)
                   : kind == TableKind::Nccl            ? std::string(kOpNccl)
                                                        : op;
        const bool sampled = kind != TableKind::CustomAllreduce && kind != TableKind::Nccl;
        const std::string name = probe.fileName();
        ImportSource& src = sources[name];
        src.file = t.file;
        ++src.rowsRead;
        if (!keep || (sampled && m_options.sampleEvery > 1 && io::fnv1a(shapeKey) % m_options.sampleEvery != 0))
            continue;
        auto [it, fresh] = m_datasets.try_emplace(name, std::move(probe));
        ImportedDataset& d = it->second;
        if (fresh)
            d.header = kind == TableKind::Gemm        ? gemmColumns()
                       : kind == TableKind::Attention ? attentionColumns()
                       : kind == TableKind::Moe       ? moeColumns()
                                                      : collectiveColumns();
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
          "`gemm_dtype` -> `dtype`, `op_name` -> `op`; MoE: `moe_dtype` -> `dtype`, `num_tokens` -> `tokens`, "
          "`hidden_size` -> `hidden`, `inter_size` -> `inter`, `num_experts` -> `experts`, `moe_tp_size` -> "
          "`moe_tp`, `moe_ep_size` -> `moe_ep`; collectives: `allreduce_dtype` / `nccl_dtype` -> `dtype`, "
          "`num_gpus` -> `ranks`, `message_size` -> `elements`, added `bytes` = elements x element size and `mode` "
          "(graph / eager from `backend`, nccl for nccl-tests), NCCL tables' framework `nccl`); framework names "
          "lower-cased (vllm, sglang, trtllm); latency "
          "converted from ms to seconds (`measured_s`, 6 significant digits); `device` and `beam_width` (always 1) "
          "moved out of the rows (devices are listed below); rows of dtypes the engine has no path for left out "
          "(listed below).\n\n";
    if (o.sampleEvery > 1)
        os << "Sample: a shape is kept when the FNV-1a 64-bit hash of its key is 0 mod " << o.sampleEvery
           << " (GEMM key `dtype|m|n|k`; attention key `op|batch|isl|step|heads|kv_heads|head_dim|window|attn_dtype|"
              "kv_dtype`; MoE key `moe|dtype|tokens|hidden|inter|topk|experts|moe_tp|moe_ep|distribution`, with the "
              "upstream dtype names and decimal integers). The key leaves out system, framework, "
              "version and kernel source, so every GPU and framework keeps the same shapes, with all alternative "
              "kernels of a kept shape. Collective tables are imported whole.\n\n";
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

/// The stored type of a table dtype's weights: the compute type, except the weight-only 4-bit MoE formats.
DType weightDtype(const std::string& aicDtype) {
    if (aicDtype == "w4a16_mxfp4")
        return DType::mxfp4;
    if (aicDtype == "int4_wo")
        return DType::int4;
    return computeDtype(aicDtype);
}

struct Common {
    int system, framework, kernel, op, measured;
};
Common commonColumns(const io::CsvTable& t) {
    return {t.requireColumn("system"), t.requireColumn("framework"), t.requireColumn("kernel_source"),
            t.requireColumn("op"), t.requireColumn("measured_s")};
}

} // namespace

AicRow readRow(const io::CsvTable& t, std::size_t i, const DecodeAttentionKernel& decodeKernel) {
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
        r.computeType = r.weightType = computeDtype(r.dtype);
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
    if (t.column("experts") >= 0) {
        const int cD = t.requireColumn("dtype"), cT = t.requireColumn("tokens"), cH = t.requireColumn("hidden"),
                  cI = t.requireColumn("inter"), cK = t.requireColumn("topk"), cE = t.requireColumn("experts"),
                  cTp = t.requireColumn("moe_tp"), cEp = t.requireColumn("moe_ep"),
                  cDist = t.requireColumn("distribution");
        r.family = EffFamily::Moe;
        const std::string dtype = rr.nonEmpty(cD);
        if (!moeDtypes().contains(dtype))
            rr.fail(cD, "'" + dtype + "' is not bfloat16, float16, fp8, fp8_block, w4a16_mxfp4 or int4_wo");
        r.tokens = rr.integer(cT, 1, int64_t(1) << 30);
        r.hidden = rr.integer(cH, 1, 1 << 20);
        r.inter = rr.integer(cI, 1, 1 << 22);
        r.topk = rr.integer(cK, 1, 1 << 12);
        r.experts = rr.integer(cE, 1, 1 << 16);
        r.moeTp = rr.integer(cTp, 1, 1 << 12);
        r.moeEp = rr.integer(cEp, 1, 1 << 12);
        if (r.topk > r.experts)
            rr.fail(cK, "topk exceeds experts");
        if (r.experts % r.moeEp != 0)
            rr.fail(cEp, "moe_ep does not divide experts");
        r.routing = routingCell(rr, cDist);
        const std::string& dist = rr.text(cDist);
        // CUTLASS grouped GEMMs (TensorRT-LLM's moe_torch_flow_cutlass, FlashInfer's cutlass MoE) and OpenAI's
        // triton_kernels experts (vLLM's gpt-oss MXFP4 path, "oaitriton": gather and scatter by routing index) move
        // only the rank's rows; the fused_moe Triton and Marlin kernels (and TensorRT-LLM's moe_torch_flow MXFP4 path)
        // write every token x top-k slot (MoeLayout: their time stops falling with EP). Their surfaces are fitted
        // apart: "<dtype>/<routing>" and "<dtype>/<routing>/permuted".
        const std::string_view kernel = t.text(i, cKernel);
        r.moeLayout =
            kernel.find("cutlass") != std::string_view::npos || kernel.find("oaitriton") != std::string_view::npos
                ? MoeLayout::Permuted
                : MoeLayout::Slots;
        r.dtype = dtype + "/" + dist + (r.moeLayout == MoeLayout::Permuted ? kMoePermutedSuffix : "");
        r.computeType = computeDtype(dtype);
        r.weightType = weightDtype(dtype);
        r.launch = LaunchMode::Graph;
        const MoeShape ms = moeShape(r.routing, double(r.tokens), double(r.topk), double(r.experts), double(r.moeTp),
                                     double(r.moeEp), double(r.inter));
        moeFeatures(ms.tokensPerExpert, ms.distinctExperts, double(r.hidden), ms.width, r.x);
        // The split runs along tokens, hidden and inter; the weight-only 4-bit tables hold one to three models each
        // (gpt-oss-120b/-20b, Kimi-K2, a 896-expert shape), so they are split along tokens alone (a held-out hidden
        // or inter would hold out whole models).
        if (!isWeightOnlyMoe(r))
            r.axes = {{"tokens", r.tokens}, {"hidden", r.hidden}, {"inter", r.inter}};
        else
            r.axes = {{"tokens", r.tokens}};
        r.id = fw + " " + r.dtype + " t" + t.text(i, cT) + " h" + t.text(i, cH) + " i" + t.text(i, cI) + " k" +
               t.text(i, cK) + " e" + t.text(i, cE) + " tp" + t.text(i, cTp) + " ep" + t.text(i, cEp) + " " +
               t.text(i, cKernel);
        r.keys = {{"framework", fw},
                  {"op", op},
                  {"dtype", r.dtype},
                  {"kernel", t.text(i, cKernel)},
                  {"tokens", pow2Bucket(double(r.tokens))}};
        return r;
    }
    if (t.column("ranks") >= 0) {
        const int cD = t.requireColumn("dtype"), cR = t.requireColumn("ranks"), cEl = t.requireColumn("elements"),
                  cBy = t.requireColumn("bytes"), cMode = t.requireColumn("mode");
        r.family = EffFamily::Collective;
        static const std::pair<const char*, Collective> kinds[] = {{"all_reduce", Collective::AllReduce},
                                                                   {"all_gather", Collective::AllGather},
                                                                   {"reduce_scatter", Collective::ReduceScatter},
                                                                   {"alltoall", Collective::AllToAll}};
        bool known = false;
        for (const auto& [name, kind] : kinds)
            if (op == name) {
                r.collective = kind;
                known = true;
            }
        if (!known)
            rr.fail(cOp, "'" + op + "' is not all_reduce, all_gather, reduce_scatter or alltoall");
        rr.nonEmpty(cD);
        r.ranks = rr.integer(cR, 2, 1 << 12);
        const int64_t elements = rr.integer(cEl, 1, int64_t(1) << 40);
        r.bytes = double(rr.integer(cBy, 1, int64_t(1) << 42));
        const std::string mode = rr.nonEmpty(cMode);
        if (mode != "graph" && mode != "eager" && mode != "nccl")
            rr.fail(cMode, "'" + mode + "' is not graph, eager or nccl");
        r.dtype = op + "/" + mode;
        r.launch = LaunchMode::Graph;
        collectiveFeatures(r.bytes, double(r.ranks), r.x);
        // Along the message size only: three rank counts (2, 4, 8) leave no fifth value to hold out.
        r.axes = {{"elements", elements}};
        r.id = fw + " " + r.dtype + " " + t.text(i, cD) + " x" + t.text(i, cR) + " " + t.text(i, cBy) + " B";
        r.keys = {{"framework", fw},
                  {"op", op},
                  {"dtype", r.dtype},
                  {"ranks", t.text(i, cR)},
                  {"bytes", pow2Bucket(r.bytes)}};
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
    r.computeType = r.weightType = computeDtype(attnDtype);
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
        s.decodeKernel = decodeKernel;
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

MoeShape moeShape(const MoeRouting& routing, double tokens, double topk, double experts, double moeTp, double moeEp,
                  double inter) {
    // As the step graph's moe() (analysis/step_graph.cpp): the measured rank's touched experts and rows under the
    // table's routing; the grouped GEMMs run one product per touched expert over the rows routed to it.
    const RankExperts rank = rankExperts(routing, tokens, topk, experts, moeEp);
    MoeShape m;
    m.distinctExperts = rank.experts;
    m.tokensPerExpert = std::max(1.0, rank.rowsPerExpert);
    m.localRows = rank.rows;
    m.width = inter / moeTp;
    return m;
}

namespace {
/// The surface a row's kernel is corrected by: by dtype (GEMM, MoE, collective), or the nearest head size
/// (attention); nullptr without efficiency or surface.
const EffSurface* rowSurface(const KernelEfficiency* eff, const AicRow& r) {
    if (!eff)
        return nullptr;
    return r.family == EffFamily::Gemm || r.family == EffFamily::Moe || r.family == EffFamily::Collective
               ? eff->find(r.family, r.dtype)
               : eff->nearestAttention(r.family, r.dtype, r.headDim);
}
} // namespace

double rowScale(const KernelEfficiency* eff, const AicRow& r) {
    const EffSurface* s = rowSurface(eff, r);
    return s ? std::exp2(s->log2Scale.eval(r.x)) : 1.0;
}

double rowHostFloorS(const KernelEfficiency* eff, const AicRow& r) {
    const EffSurface* s = r.launch == LaunchMode::Stream ? rowSurface(eff, r) : nullptr;
    const auto kernel = r.keys.find("kernel");
    if (!s || kernel == r.keys.end())
        return 0.0;
    for (const auto& [k, floorS] : s->hostFloorS)
        if (k == kernel->second)
            return floorS;
    return 0.0;
}

double rowModelS(const PlatformModel& pm, const KernelEfficiency* eff, const AicRow& r) {
    return std::max(rowPredictS(pm, r, rowScale(eff, r)), rowHostFloorS(eff, r));
}

double rowPredictS(const PlatformModel& pm, const AicRow& r, double scale) {
    if (r.family == EffFamily::Gemm)
        return evalGemm(pm, "gemm", double(r.m), double(r.n), double(r.k), r.computeType, r.computeType, r.computeType,
                        r.launch, 1, 2, scale)
            .timeS;
    if (r.family == EffFamily::Moe) {
        // The step graph's fused MoE (activations in bf16): grouped gate/up GEMM, activation, grouped down GEMM and
        // the rows moved around them by the kernel's layout (moeSlotBytes).
        const MoeShape ms = moeShape(r.routing, double(r.tokens), double(r.topk), double(r.experts), double(r.moeTp),
                                     double(r.moeEp), double(r.inter));
        const double h = double(r.hidden), actBytes = 2;
        const MoeSlotBytes sb =
            moeSlotBytes(r.moeLayout, double(r.tokens), double(r.topk), ms.localRows, h, ms.width, actBytes);
        OpResult gateUp = evalGemm(pm, "experts_gate_up", ms.tokensPerExpert, 2 * ms.width, h, r.computeType,
                                   r.weightType, r.computeType, r.launch, ms.distinctExperts, actBytes);
        OpResult act = evalMemoryOp(pm, "experts_activation", OpClass::Elementwise, sb.activationRead,
                                    sb.activationWritten, sb.activationRows * ms.width, 1, r.launch);
        OpResult down = evalGemm(pm, "experts_down", ms.tokensPerExpert, h, ms.width, r.computeType, r.weightType,
                                 r.computeType, r.launch, ms.distinctExperts, actBytes);
        OpResult route = evalMemoryOp(pm, "experts_combine", OpClass::Other, sb.routeRead, sb.routeWritten,
                                      double(r.tokens) * double(r.topk) * h, 1, r.launch);
        double total = 0;
        for (OpResult* o : {&gateUp, &act, &down, &route}) {
            scaleOpTime(*o, scale);
            total += o->timeS;
        }
        return total;
    }
    if (r.family == EffFamily::Collective) {
        OpResult o = evalCollective(pm, "collective", r.collective, r.bytes, double(r.ranks), r.launch);
        scaleOpTime(o, scale);
        return o.timeS;
    }
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
            const AicRow r = readRow(t, i, v.decodeKernel);
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
            out.predictedS = rowModelS(pm, v.efficiency, r);
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

void validateMoeRows(ValidationReport& rep, const PlatformModel& pm, const io::CsvTable& t, const AicValidation& v) {
    commonColumns(t);
    validateRows(rep, pm, t, v);
}

void validateCollectiveRows(ValidationReport& rep, const PlatformModel& pm, const io::CsvTable& t,
                            const AicValidation& v) {
    commonColumns(t);
    validateRows(rep, pm, t, v);
}

void validateAttentionRows(ValidationReport& rep, const PlatformModel& pm, const io::CsvTable& t,
                           const AicValidation& v) {
    commonColumns(t);
    validateRows(rep, pm, t, v);
}

} // namespace rooflab::aic
