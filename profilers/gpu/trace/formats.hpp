#pragma once
/// @brief The GPU measurement files rooflab writes and the calibration engine reads: CSV tables with fixed
/// headers (bandwidth, latency, flops, gemm, launch, hostlink, nccl, e2e, trace) and provenance.json.
#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kernel_class.hpp"

namespace rooflab::gpu {

/// Column names of each measurement table, in order. Keys: bandwidth latency flops gemm launch hostlink nccl e2e
/// trace.
const std::map<std::string, std::vector<std::string>>& measurementSchemas();

/// A CSV table as strings. RFC 4180 quoting: fields with commas, quotes or newlines are quoted.
struct CsvTable {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;

    /// Index of a column, or std::nullopt.
    std::optional<size_t> column(const std::string& name) const;
};

/// Parses CSV text. Throws std::runtime_error (with the line number) on unbalanced quotes or ragged rows.
CsvTable parseCsv(std::istream& in);
CsvTable readCsvFile(const std::string& path);
void writeCsv(std::ostream& out, const CsvTable& t);
/// Quotes one field when needed.
std::string csvField(const std::string& s);

/// @brief Checks that `t` has exactly the columns of schema `kind` (extra trailing columns allowed for "trace",
/// which may carry metric columns). Returns an empty string when valid, else the reason.
std::string validateSchema(const std::string& kind, const CsvTable& t);

/// One kernel of a trace (trace_<id>.csv). Times in ns.
struct TraceKernel {
    uint64_t idx = 0;
    std::string name;
    KernelClass cls = KernelClass::Other;
    int gridX = 0, gridY = 0, gridZ = 0, blockX = 0, blockY = 0, blockZ = 0;
    int registers = 0;
    int64_t sharedBytes = 0;
    uint64_t startNs = 0, endNs = 0;
    std::map<std::string, double> metrics; ///< optional metric columns, e.g. dram__bytes_read.sum
    uint64_t correlationId = 0;            ///< CUDA launch correlation id (not written to CSV)
    uint64_t durationNs() const { return endNs > startNs ? endNs - startNs : 0; }
};

/// Writes a trace CSV; metric columns are the union of the kernels' metric names, sorted.
void writeTrace(std::ostream& out, const std::vector<TraceKernel>& kernels);
/// Reads a trace CSV. An empty or unknown `class` is filled in by classifyKernel().
std::vector<TraceKernel> readTrace(std::istream& in);

/// Time per kernel class of a trace (ns), for comparing with a prediction operator by operator.
std::map<KernelClass, uint64_t> timeByClass(const std::vector<TraceKernel>& kernels);

/// provenance.json of a measurement folder.
struct Provenance {
    std::string card;
    int smCount = 0;
    int smClockMhzMax = 0;
    int memClockMhz = 0;
    int64_t l2Bytes = 0;
    std::string driver, cudaRuntime, torch, date, host, tool, command;
};
void to_json(nlohmann::json& j, const Provenance& p);
void from_json(const nlohmann::json& j, Provenance& p);

/// Card name (as the driver reports it) to rooflab's platform id: "NVIDIA H100 80GB HBM3" -> "h100-sxm5-80gb",
/// "NVIDIA H200" -> "h200-sxm-141gb". Unknown names are lower-cased with spaces as dashes.
std::string platformIdForCard(const std::string& cardName);

} // namespace rooflab::gpu
