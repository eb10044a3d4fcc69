#pragma once
/// @brief How an LLM step is run: phase, token counts, parallel layout and datatypes. Filled only by the Request
/// codec and the spec helpers (model/spec): front ends describe what they want as a Request.
#include "units/dtype.hpp"

#include <cstdint>
#include <string_view>

namespace rooflab {

enum class Phase : unsigned char { Prefill, Decode, Chunked };
std::string_view phaseName(Phase p);

struct Scenario {
    Phase phase = Phase::Decode;
    int64_t batch = 1;          ///< sequences in the step (prefill: prompts; decode/chunked: decoding sequences)
    int64_t prompt = 512;       ///< prefill: prompt tokens per sequence
    int64_t context = 1024;     ///< decode/chunked: tokens already cached per decoding sequence
    int64_t chunk = 0;          ///< chunked: prefill tokens in the step (from one prompt)
    int64_t chunkOffset = 0;    ///< chunked: tokens of that prompt already cached
    int64_t outputTokens = 128; ///< request: tokens generated (the first comes from prefill)
    int tp = 1, pp = 1, ep = 1, dp = 1;
    int microbatches = 1; ///< pipeline micro-batches (PP)
    bool sequenceParallel = false;
    bool overlapComm = false;
    DType weights = DType::bf16;
    DType kv = DType::bf16;
    DType act = DType::bf16;
};

} // namespace rooflab
