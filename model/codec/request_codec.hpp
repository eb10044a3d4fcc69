#pragma once
/// @brief The one codec of Request: its JSON form is the `rooflab predict --cases` line format, its YAML form a
/// scenario file with the same keys. Defaults and valid ranges come from the spec (ScenarioLimits, GEMM limits),
/// so every front end that goes through here accepts and rejects the same input with the same message.
///
/// Keys (all optional except where the kind needs them):
///   id (any JSON value, echoed), kind: llm (default) | gemm | cpu | serving, platform
///   llm:  model (required), stack, phase: prefill | decode (default) | chunked | request, batch, prompt, context,
///         chunk, chunk_offset, output, tp, pp, ep, dp, microbatches, sp, overlap, weights, kv, act, threads
///   gemm: m, n, k (required), batch, dtype, weights, launch: stream (default) | graph
///   cpu:  kernel (required: read, write, copy, scale, add, triad, softmax-3pass, softmax-2pass, reduction, gemm),
///         elements | m, n, k, dtype, threads, cold_weights, name
///   serving: model, backend (required: tensorrt-llm | vllm | sglang; selects the stack profile, `stack` overrides
///         it), mode: agg (default) | disagg, isl, osl, concurrency (required), requests, warmup,
///         benchmark_rounds (TTFT of a cold-started benchmark of that many x concurrency requests; 0: steady state),
///         weights: bf16 | fp8 | fp8_block | nvfp4 | mxfp4 | int4_wo | a datatype, moe_weights, kv, act;
///         agg: workers, batch, tp, pp, ep, moe_tp (0 or absent: tp x attention_dp / ep), attention_dp;
///         disagg: prefill and decode, each an object of those layout keys
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

/// The weight formats a serving case names (serving benchmarks' spelling), for messages.
inline constexpr const char* kServingWeightFormats = "bf16, fp8, fp8_block, nvfp4, mxfp4, int4_wo";
/// The backends a serving case names.
inline constexpr const char* kServingBackends = "tensorrt-llm, vllm, sglang";
/// @brief The stack profile (resources/stacks) of a serving backend: tensorrt-llm (also "trtllm"), vllm, sglang;
/// empty for an unknown backend.
std::string servingStackOfBackend(const std::string& backend);

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

/// @brief The start of every result line: the request's id (as the JSON value it was), and `error` when not `ok`.
nlohmann::json resultLineStart(const Request& r, bool ok, const std::string& error);
/// @brief The result line of `rooflab predict --cases`: id, latency_s, bound, flops, bytes (DRAM), fits, and the
/// workload's own fields (tokens_per_s, memory_bytes, ttft_s/tpot_s, bytes_l2, dtype, flop_per_s, ...).
nlohmann::json encodeResult(const Request& r, const Result& res);

} // namespace rooflab::spec
