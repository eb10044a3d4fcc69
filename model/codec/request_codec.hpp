#pragma once
/// @brief The one codec of Request: its JSON form is the `rooflab predict --cases` line format, its YAML form a
/// scenario file with the same keys. Defaults and valid ranges come from the spec (ScenarioLimits, GEMM limits),
/// so every front end that goes through here accepts and rejects the same input with the same message.
///
/// Keys (all optional except where the kind needs them):
///   id (any JSON value, echoed), kind: llm (default) | gemm | cpu, platform
///   llm:  model (required), stack, phase: prefill | decode (default) | chunked | request, batch, prompt, context,
///         chunk, chunk_offset, output, tp, pp, ep, dp, microbatches, sp, overlap, weights, kv, act, threads
///   gemm: m, n, k (required), batch, dtype, weights, launch: stream (default) | graph
///   cpu:  kernel (required: read, write, copy, scale, add, triad, softmax-3pass, softmax-2pass, reduction, gemm),
///         elements | m, n, k, dtype, threads, cold_weights, name
#include "engine/predict.hpp"
#include "spec/request.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace rooflab::spec {

/// Where a request's text came from, for messages: file and line (JSONL: the line; YAML: per-key lines), and how
/// keys are spelled to the user (command-line options: prefix "--" and dashes).
struct CodecSource {
    std::string file;
    int line = 0;
    std::map<std::string, int> keyLines; ///< YAML: line of each key
    bool optionSpelling = false;         ///< name keys as --chunk-offset instead of chunk_offset
};

/// @brief Decodes one request object. Throws InputError naming file, line and key for unknown keys, wrong types,
/// out-of-range values and unknown names of phases, datatypes and kernels.
Request decodeRequest(const nlohmann::json& j, const CodecSource& src = {});
/// @brief Parses one JSON text (a cases line) and decodes it.
Request decodeRequestText(const std::string& text, const CodecSource& src = {});
/// @brief Reads a YAML (or JSON) scenario file with the same keys.
Request loadRequestFile(const std::string& path);

/// @brief The request in its canonical JSON form (every field, defaults included): decodeRequest(encodeRequest(r))
/// gives back r.
nlohmann::json encodeRequest(const Request& r);
/// @brief The same as YAML text (a scenario file).
std::string encodeRequestYaml(const Request& r);

/// @brief The result line of `rooflab predict --cases`: id, latency_s, bound, flops, bytes (DRAM), fits, and the
/// workload's own fields (tokens_per_s, memory_bytes, ttft_s/tpot_s, bytes_l2, dtype, flop_per_s, ...).
nlohmann::json encodeResult(const Request& r, const Result& res);

} // namespace rooflab::spec
