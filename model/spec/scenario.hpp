#pragma once
/// @brief How an LLM step is run: phase, token counts, parallel layout and datatypes. Filled only by the Request
/// codec and the ScenarioBuilder below (model/spec): front ends describe what they want, the spec layer owns the
/// defaults and the valid ranges, so every front end agrees on both.
#include "units/dtype.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rooflab {

enum class Phase : unsigned char { Prefill, Decode, Chunked };
std::string_view phaseName(Phase p);
/// Parses prefill|decode|chunked.
std::optional<Phase> parsePhase(std::string_view s);

struct Scenario {
    Phase phase = Phase::Decode;
    /// sequences in the step (prefill: prompts; decode/chunked: decoding sequences; chunked may have 0: a step of
    /// prefill chunks only, as a serving engine runs when no sequence is decoding)
    int64_t batch = 1;
    int64_t prompt = 512;    ///< prefill: prompt tokens per sequence
    int64_t context = 1024;  ///< decode/chunked: tokens already cached per decoding sequence
    int64_t chunk = 512;     ///< chunked: prefill tokens in the step, all prompts' chunks together
    int64_t chunkOffset = 0; ///< chunked: tokens of each chunked prompt already cached (their mean)
    /// chunked: prompts the step's prefill tokens come from, each with chunk / chunkSeqs tokens at chunkOffset (a
    /// serving iteration's several prefill chunks, summarized by their mean size and mean offset). 1: one prompt.
    int64_t chunkSeqs = 1;
    /// decode: slots a static KV cache allocates per sequence (transformers' StaticCache max_cache_len: prompt +
    /// max_new_tokens). A stack whose decode attention runs over the whole static cache (decode_attention.repeat_kv)
    /// reads all of them; 0: context + 1 (the cache just fits the step). Other stacks ignore it.
    int64_t cacheLength = 0;
    int64_t outputTokens = 128; ///< request: tokens generated (the first comes from prefill)
    int tp = 1, pp = 1, ep = 1, dp = 1;
    /// Attention data parallelism (SGLang --enable-dp-attention, TensorRT-LLM enable_attention_dp, aiconfigurator's
    /// attention_dp_size): the step's sequences are spread over this many ranks, each running attention tp-way on
    /// its own; the MoE / dense FFN is shared by all tp x attentionDp GPUs. 1: off.
    int attentionDp = 1;
    /// Tensor parallelism inside each expert (moe_tp); 0: what tp x attentionDp / ep leaves.
    int moeTp = 0;
    int microbatches = 1; ///< pipeline micro-batches (PP)
    bool sequenceParallel = false;
    bool overlapComm = false;
    DType weights = DType::bf16;
    DType kv = DType::bf16;
    DType act = DType::bf16;
};

/// @brief The valid range of every integer field of a Scenario. Chosen so that no product the engine forms
/// (batch x prompt tokens, tp x pp x dp devices, context + chunk) can overflow its integer type.
struct ScenarioLimits {
    static constexpr int64_t kMaxBatch = int64_t(1) << 24;  ///< 16.7 M sequences
    static constexpr int64_t kMaxTokens = int64_t(1) << 31; ///< prompt, context, chunk, offset, output
    static constexpr int64_t kMaxParallel = 1024;           ///< tp, pp, ep, dp each (devices < 2^31)
    static constexpr int64_t kMaxMicrobatches = int64_t(1) << 20;
};

/// @brief The same scenario in another phase (a request's prefill, its first decode step).
Scenario withPhase(const Scenario& s, Phase p);
/// @brief The last decode step of a request (context = prompt + output tokens): where its KV cache is largest.
Scenario requestEndScenario(const Scenario& s);

/// @brief The first field of `s` outside its range: (key as the codec spells it, message); nullopt when valid.
struct FieldError {
    std::string key;
    std::string message;
};
std::optional<FieldError> checkScenarioRanges(const Scenario& s);

/// @brief Builds a Scenario from the defaults above, one field at a time; build() checks the ranges and throws
/// InputError naming the field (with `keyPrefix`, e.g. "--" for command-line options).
class ScenarioBuilder {
public:
    ScenarioBuilder() = default;
    explicit ScenarioBuilder(const Scenario& base) : m_s(base) {}
    ScenarioBuilder& phase(Phase v) {
        m_s.phase = v;
        return *this;
    }
    ScenarioBuilder& batch(int64_t v) {
        m_s.batch = v;
        return *this;
    }
    ScenarioBuilder& prompt(int64_t v) {
        m_s.prompt = v;
        return *this;
    }
    ScenarioBuilder& context(int64_t v) {
        m_s.context = v;
        return *this;
    }
    ScenarioBuilder& chunk(int64_t v) {
        m_s.chunk = v;
        return *this;
    }
    ScenarioBuilder& chunkOffset(int64_t v) {
        m_s.chunkOffset = v;
        return *this;
    }
    ScenarioBuilder& chunkSeqs(int64_t v) {
        m_s.chunkSeqs = v;
        return *this;
    }
    ScenarioBuilder& cacheLength(int64_t v) {
        m_s.cacheLength = v;
        return *this;
    }
    ScenarioBuilder& outputTokens(int64_t v) {
        m_s.outputTokens = v;
        return *this;
    }
    ScenarioBuilder& tp(int v) {
        m_s.tp = v;
        return *this;
    }
    ScenarioBuilder& pp(int v) {
        m_s.pp = v;
        return *this;
    }
    ScenarioBuilder& ep(int v) {
        m_s.ep = v;
        return *this;
    }
    ScenarioBuilder& dp(int v) {
        m_s.dp = v;
        return *this;
    }
    ScenarioBuilder& microbatches(int v) {
        m_s.microbatches = v;
        return *this;
    }
    ScenarioBuilder& sequenceParallel(bool v) {
        m_s.sequenceParallel = v;
        return *this;
    }
    ScenarioBuilder& overlapComm(bool v) {
        m_s.overlapComm = v;
        return *this;
    }
    ScenarioBuilder& weights(DType v) {
        m_s.weights = v;
        return *this;
    }
    ScenarioBuilder& kv(DType v) {
        m_s.kv = v;
        return *this;
    }
    ScenarioBuilder& act(DType v) {
        m_s.act = v;
        return *this;
    }

    /// The scenario; throws InputError when a field is out of range.
    Scenario build(const std::string& keyPrefix = "") const;
    /// The scenario without the range check (hot loops over values already checked, e.g. sweep axes).
    const Scenario& unchecked() const { return m_s; }

private:
    Scenario m_s;
};

} // namespace rooflab
