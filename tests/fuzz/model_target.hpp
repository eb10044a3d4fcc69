#pragma once
// Shared by the model YAML and HF config.json targets: load, then predict a decode and a prefill step with it
// (a model that loads must evaluate, and its numbers must be finite).
#include "codec/catalog.hpp"
#include "codec/request_codec.hpp"
#include "engine/predict.hpp"
#include "fuzz_common.hpp"
#include "io/model_loader.hpp"

namespace rooflab::fuzz {

inline int modelTarget(const char* target, const uint8_t* data, size_t size) {
    return guard(target, [&] {
        static io::Catalog cat;
        const PlatformTarget& plat = cat.platform("h100-sxm5-80gb");
        const StackProfile& stack = cat.stack("vllm");
        const LlmArch arch = io::loadModelString(textOf(data, size), "fuzz.config.json");
        for (const char* q : {R"({"model":"fuzz","phase":"decode","batch":2,"context":300})",
                              R"({"model":"fuzz","phase":"prefill","batch":1,"prompt":200})"}) {
            Request r = spec::decodeRequestText(q);
            r.llm()->arch = &arch;
            r.llm()->stack = &stack;
            const Result res = predict(plat, r);
            expectFinite(target, "latency", res.latencyS);
            expectFinite(target, "flops", res.flops);
            expectFinite(target, "dram bytes", res.dramBytes);
        }
    });
}

} // namespace rooflab::fuzz
