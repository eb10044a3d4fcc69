#include "spec/scenario.hpp"

#include "units/errors.hpp"

#include <algorithm>

namespace rooflab {

std::string_view phaseName(Phase p) {
    switch (p) {
    case Phase::Prefill:
        return "prefill";
    case Phase::Decode:
        return "decode";
    case Phase::Chunked:
        return "chunked";
    }
    return "?";
}

std::optional<Phase> parsePhase(std::string_view s) {
    if (s == "prefill")
        return Phase::Prefill;
    if (s == "decode")
        return Phase::Decode;
    if (s == "chunked")
        return Phase::Chunked;
    return std::nullopt;
}

Scenario withPhase(const Scenario& s, Phase p) {
    Scenario out = s;
    out.phase = p;
    return out;
}

Scenario requestEndScenario(const Scenario& s) {
    Scenario out = withPhase(s, Phase::Decode);
    out.context = s.prompt + s.outputTokens;
    return out;
}

std::optional<FieldError> checkScenarioRanges(const Scenario& s) {
    auto out = [](const char* key, int64_t v, int64_t lo, int64_t hi) -> std::optional<FieldError> {
        if (v >= lo && v <= hi)
            return std::nullopt;
        return FieldError{key, "value " + std::to_string(v) + " is out of range [" + std::to_string(lo) + ", " +
                                   std::to_string(hi) + "]"};
    };
    using L = ScenarioLimits;
    for (auto e :
         {out("batch", s.batch, s.phase == Phase::Chunked ? 0 : 1, L::kMaxBatch),
          out("prompt", s.prompt, 1, L::kMaxTokens), out("context", s.context, 0, L::kMaxTokens),
          out("chunk", s.chunk, 1, L::kMaxTokens), out("chunk_offset", s.chunkOffset, 0, L::kMaxTokens),
          out("chunk_seqs", s.chunkSeqs, 1, std::min<int64_t>(L::kMaxBatch, std::max<int64_t>(1, s.chunk))),
          out("output", s.outputTokens, 1, L::kMaxTokens), out("cache_length", s.cacheLength, 0, L::kMaxTokens),
          out("tp", s.tp, 1, L::kMaxParallel), out("pp", s.pp, 1, L::kMaxParallel), out("ep", s.ep, 1, L::kMaxParallel),
          out("dp", s.dp, 1, L::kMaxParallel), out("microbatches", s.microbatches, 1, L::kMaxMicrobatches)})
        if (e)
            return e;
    if (s.phase == Phase::Decode && s.cacheLength > 0 && s.cacheLength < s.context + 1)
        return FieldError{"cache_length", "value " + std::to_string(s.cacheLength) +
                                              " cannot hold the context and the new token (context + 1 = " +
                                              std::to_string(s.context + 1) + ")"};
    return std::nullopt;
}

Scenario ScenarioBuilder::build(const std::string& keyPrefix) const {
    if (auto e = checkScenarioRanges(m_s)) {
        std::string key = e->key;
        if (!keyPrefix.empty())
            for (char& c : key)
                c = c == '_' ? '-' : c;
        throw InputError("", 0, keyPrefix + key, e->message);
    }
    return m_s;
}

} // namespace rooflab
