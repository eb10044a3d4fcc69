#pragma once
/// @brief NVIDIA aiconfigurator per-operator tables (GEMM, context and generation attention) read into rooflab
/// measurement datasets, and those datasets validated against the engine.
///
/// Input: the CSV form of aiconfigurator's `<system>/<family>/<framework>/<version>/<table>.parquet` files (one
/// header row, upstream column names, an optional first column `system`). Columns are found by name, so the
/// frameworks' different column orders read alike. Output: one dataset per (system, framework, op), rows in a fixed
/// column order with latency in seconds and the provenance of every row (system, framework, version, device,
/// kernel source, op). No file access here: the caller reads the tables (io::loadCsvFile) and writes the text.
#include "analysis/platform_model.hpp"
#include "calibration/validation.hpp"
#include "io/csv.hpp"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace rooflab::aic {

/// Ops the importer reads. Other aiconfigurator tables (MLA, MoE, collectives, ...) are reported as skipped.
inline constexpr const char* kOpGemm = "gemm";
inline constexpr const char* kOpContextAttention = "context_attention";
inline constexpr const char* kOpGenerationAttention = "generation_attention";

/// Columns of an imported GEMM dataset (validate kind "aic-gemm").
const std::vector<std::string>& gemmColumns();
/// Columns of an imported attention dataset (validate kind "aic-attention").
const std::vector<std::string>& attentionColumns();

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
    /// framework, version and kernel source, so every framework and GPU keeps the same shapes.
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
    std::map<std::string, std::size_t> dtypes;        ///< dtype (GEMM) or attn/kv dtype pair -> rows kept
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

/// @brief Validates an imported GEMM dataset ("aic-gemm"): each row as a GemmWork Request through predict(), with
/// the row's launch (graph: CUDA-graph replay; stream: vLLM's eager fp8_block). Breakdown keys: framework, op,
/// dtype, kernel, m (a dataset holds one system, framework and op: its dtype groups are framework x op x dtype).
void validateGemmRows(ValidationReport& rep, const PlatformModel& pm, const io::CsvTable& t);

/// @brief Validates an imported attention dataset ("aic-attention"): each row through evalAttention with the op's
/// shape (context: batch x isl new tokens, causal, no prefix; generation: one query over step + 1 keys), compute
/// dtype (attn_dtype) and KV-cache bytes (kv_dtype), graph launch. Breakdown keys: framework, op, dtype (attn/kv),
/// kernel, head_dim, batch.
void validateAttentionRows(ValidationReport& rep, const PlatformModel& pm, const io::CsvTable& t);

} // namespace rooflab::aic
