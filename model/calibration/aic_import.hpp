#pragma once
/// @brief NVIDIA aiconfigurator per-operator tables (GEMM, context and generation attention) read into rooflab
/// measurement datasets, and those datasets validated against the engine.
///
/// Input: the CSV form of aiconfigurator's `<system>/<family>/<framework>/<version>/<table>.parquet` files (one
/// header row, upstream column names, an optional first column `system`). Columns are found by name, so the
/// frameworks' different column orders read alike. Output: one dataset per (system, framework, op), rows in a fixed
/// column order with latency in seconds and the provenance of every row (system, framework, version, device,
/// kernel source, op). No file access here: the caller reads the tables (io::loadCsvFile) and writes the text.
#include "analysis/moe_routing.hpp"
#include "analysis/ops.hpp"
#include "analysis/platform_model.hpp"
#include "calibration/validation.hpp"
#include "io/csv.hpp"
#include "workloads/kernel_efficiency.hpp"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace rooflab::aic {

/// Ops the importer reads (the `<op>` of a dataset's file name). Other aiconfigurator tables (MLA, wide-EP, DeepEP,
/// ...) are reported as skipped.
inline constexpr const char* kOpGemm = "gemm";
inline constexpr const char* kOpContextAttention = "context_attention";
inline constexpr const char* kOpGenerationAttention = "generation_attention";
inline constexpr const char* kOpMoe = "moe";                          ///< fused MoE experts
inline constexpr const char* kOpCustomAllreduce = "custom_allreduce"; ///< the framework's own all-reduce
inline constexpr const char* kOpNccl = "nccl";                        ///< nccl-tests collectives (framework `nccl`)

/// Columns of an imported GEMM dataset (validate kind "aic-gemm").
const std::vector<std::string>& gemmColumns();
/// Columns of an imported attention dataset (validate kind "aic-attention").
const std::vector<std::string>& attentionColumns();

/// Columns of an imported MoE dataset (validate kind "aic-moe").
const std::vector<std::string>& moeColumns();
/// Columns of an imported collective dataset, custom all-reduce or NCCL (validate kind "aic-collective").
const std::vector<std::string>& collectiveColumns();

/// @brief Canonical framework name ("vllm", "sglang", "trtllm") of an aiconfigurator `framework` cell
/// ("VLLM", "vLLM", "SGLang", "TRTLLM", ...); empty when unknown.
std::string canonicalFramework(const std::string& cell);

/// @brief rooflab platform name of an aiconfigurator system directory ("h100_sxm" -> "h100-sxm5-80gb",
/// "h200_sxm" -> "h200-sxm-141gb", "l40s" -> "l40s"); empty when there is none.
std::string platformForSystem(const std::string& system);

/// @brief aiconfigurator system name of a `device` cell (torch.cuda.get_device_name()); empty when unknown.
std::string systemForDevice(const std::string& device);

struct ImportOptions {
    /// System of tables without a `system` column (upstream Parquet converted as is); empty: from `device`.
    std::string system;
    /// Keep the shapes whose FNV-1a hash of the shape key is 0 mod this (1 = every row). The key leaves out system,
    /// framework, version and kernel source, so every framework and GPU keeps the same shapes. Collective tables
    /// (a few hundred rows) are always imported whole.
    uint64_t sampleEvery = 1;
};

/// One input table's share of a dataset.
struct ImportSource {
    std::string file;
    std::size_t rowsRead = 0, rowsKept = 0;
};

/// @brief One output dataset: all rows of one (system, framework, op).
struct ImportedDataset {
    std::string system, framework, op;
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    std::set<std::string> versions, devices;
    std::map<std::string, std::size_t> kernelSources; ///< kernel source -> rows kept
    /// dtype (GEMM), attn/kv dtype pair, MoE dtype/routing or collective op/mode -> rows kept
    std::map<std::string, std::size_t> dtypes;
    std::vector<ImportSource> sources;

    /// "<system>__<op>__<framework>.csv"
    std::string fileName() const;
};

struct ImportSkip {
    std::string file, reason;
};

struct ImportResult {
    std::vector<ImportedDataset> datasets; ///< sorted by file name
    std::vector<ImportSkip> skipped;       ///< tables of families not imported (yet)
};

/// @brief Collects aiconfigurator tables into datasets. add() checks every row (also rows the sample leaves out)
/// and throws InputError naming the file, line and column of the first bad cell.
class Importer {
public:
    explicit Importer(ImportOptions options) : m_options(std::move(options)) {}
    /// `systemHint`: the system of a table without a `system` column when ImportOptions::system is empty (e.g. from
    /// the upstream folder layout); empty: from each row's `device`.
    void add(const io::CsvTable& table, const std::string& systemHint = {});
    ImportResult finish() const;

private:
    ImportOptions m_options;
    std::map<std::string, ImportedDataset> m_datasets; ///< by file name
    std::vector<ImportSkip> m_skipped;
};

/// The dataset as CSV text (header, rows, '\n' line ends).
std::string datasetCsv(const ImportedDataset& d);

/// @brief PROVENANCE.md of an import: upstream, licence, conversions, sampling rule, and per dataset its rows,
/// sources, versions, devices, kernel sources and dtypes. `command` is echoed as the command that made it.
std::string provenanceMarkdown(const ImportResult& r, const ImportOptions& o, const std::string& command);

/// Which rows of an imported table a validation reads: all, the part a fit was calibrated on, or the part it held
/// out (every fifth distinct value along each shape axis, recorded in the stack profile by `rooflab calibrate aic`).
enum class AicSplit : unsigned char { All, Calibration, HeldOut };

/// @brief How an imported table is validated: with a stack's fitted efficiency on the table's platform (nullptr:
/// the platform file's own), on which split (the held-out record of `heldOut`).
struct AicValidation {
    const KernelEfficiency* efficiency = nullptr;
    const KernelEfficiency* heldOut = nullptr;
    AicSplit split = AicSplit::All;
    DecodeAttentionKernel decodeKernel; ///< the stack's decode-attention kernel (readRow)
};

/// @brief One row of an imported table as the engine sees it: op family, surface key, features, shape.
struct AicRow {
    int line = 0;
    std::string id;
    std::map<std::string, std::string> keys; ///< breakdown keys
    EffFamily family = EffFamily::Gemm;
    std::string dtype; ///< surface key: GEMM dtype, attention "<attn>/<kv>", MoE "<dtype>/<routing>", collective
                       ///< "<op>/<mode>"
    int headDim = 0;
    double x[4] = {}; ///< surface features (kernel_efficiency.hpp)
    double measuredS = 0;
    int64_t m = 0, n = 0, k = 0;
    AttentionShape shape;
    /// MoE: tokens entering the layer, hidden size, full per-expert intermediate size, top-k, routed experts,
    /// moe_tp and moe_ep sizes
    int64_t tokens = 0, hidden = 0, inter = 0, topk = 0, experts = 0, moeTp = 1, moeEp = 1;
    Collective collective = Collective::AllReduce;
    double bytes = 0; ///< collective: bytes per rank (all-gather / reduce-scatter: the gathered buffer)
    int64_t ranks = 0;
    DType computeType = DType::bf16;
    /// The weights' stored type: computeType, except the weight-only 4-bit MoE formats (w4a16_mxfp4: mxfp4,
    /// int4_wo: int4), which stream 4-bit weights and compute in bf16
    DType weightType = DType::bf16;
    LaunchMode launch = LaunchMode::Graph;
    MoeLayout moeLayout = MoeLayout::Slots;            ///< MoE: the kernel's row layout (from its kernel source)
    MoeRouting routing;                                ///< MoE: the table's expert routing (distribution column)
    std::vector<std::pair<std::string, int64_t>> axes; ///< the shape axes the held-out split runs along
};

/// @brief Whether a row is a weight-only 4-bit MoE kernel (w4a16_mxfp4, int4_wo): 4-bit weights, bf16 compute.
inline bool isWeightOnlyMoe(const AicRow& r) {
    return r.family == EffFamily::Moe && r.weightType != r.computeType;
}
/// @brief Reads row `i` of an imported table; throws InputError naming file, line and column of a bad cell.
/// `decodeKernel`: the stack's decode-attention kernel (StackProfile::decodeKernel), set on generation-attention rows'
/// shapes.
AicRow readRow(const io::CsvTable& t, std::size_t i, const DecodeAttentionKernel& decodeKernel = {});
/// @brief The fitted correction of a row's kernel (1 without efficiency or surface).
double rowScale(const KernelEfficiency* eff, const AicRow& r);
/// @brief An eagerly timed row's host floor: its surface's floor for the row's kernel source (0 for graph-timed rows,
/// or without efficiency, surface or floor).
double rowHostFloorS(const KernelEfficiency* eff, const AicRow& r);
/// @brief What validation predicts for a row: its operator corrected by its surface, and no less than its host floor
/// where it was timed eagerly.
double rowModelS(const PlatformModel& pm, const KernelEfficiency* eff, const AicRow& r);
/// @brief The engine's time of a row's operator with correction `scale` (its own launch mode).
double rowPredictS(const PlatformModel& pm, const AicRow& r, double scale);
/// @brief Whether a row is in the held-out part of a split.
bool rowHeldOut(const EffHeldOut& h, const AicRow& r);

/// @brief Validates an imported GEMM dataset ("aic-gemm"): each row through evalGemm with the row's launch (graph:
/// CUDA-graph replay; stream: vLLM's eager fp8_block). Breakdown keys: framework, op, dtype, kernel, m (a dataset
/// holds one system, framework and op: its dtype groups are framework x op x dtype).
void validateGemmRows(ValidationReport& rep, const PlatformModel& pm, const io::CsvTable& t,
                      const AicValidation& v = {});

/// @brief Validates an imported MoE dataset ("aic-moe"): the step graph's fused MoE experts (grouped gate/up GEMM
/// over the experts the tokens touch under uniform routing, activation, grouped down GEMM; analysis/step_graph.cpp)
/// on one GPU holding experts / moe_ep experts of width inter / moe_tp, graph launch. The surface of the row's
/// routing corrects it. Breakdown keys: framework, op, dtype (dtype/routing), kernel, tokens.
void validateMoeRows(ValidationReport& rep, const PlatformModel& pm, const io::CsvTable& t,
                     const AicValidation& v = {});

/// @brief Validates an imported collective dataset ("aic-collective"): evalCollective over `ranks` GPUs of one
/// NVLink node, graph launch. Breakdown keys: framework, op, dtype (op/mode), ranks, bytes.
void validateCollectiveRows(ValidationReport& rep, const PlatformModel& pm, const io::CsvTable& t,
                            const AicValidation& v = {});

/// @brief The roofline time of the fused MoE experts of a row (before any MoE surface), and its surface features.
/// One definition with the engine's step graph: rows per touched expert, touched experts and rows of the measured
/// (most loaded) rank under the row's routing (rankExperts), width per GPU.
struct MoeShape {
    double tokensPerExpert = 0, distinctExperts = 0, localRows = 0, width = 0;
};
MoeShape moeShape(const MoeRouting& routing, double tokens, double topk, double experts, double moeTp, double moeEp,
                  double inter);

/// @brief Validates an imported attention dataset ("aic-attention"): each row through evalAttention with the op's
/// shape (context: batch x isl new tokens, causal, no prefix; generation: one query over step + 1 keys), compute
/// dtype (attn_dtype) and KV-cache bytes (kv_dtype), graph launch. Breakdown keys: framework, op, dtype (attn/kv),
/// kernel, head_dim, window, batch.
void validateAttentionRows(ValidationReport& rep, const PlatformModel& pm, const io::CsvTable& t,
                           const AicValidation& v = {});

} // namespace rooflab::aic
