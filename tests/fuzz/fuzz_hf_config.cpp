// Fuzz target: Hugging Face config.json (historical and transformers-5 spellings), loaded and evaluated.
#include "model_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return rooflab::fuzz::modelTarget("hf_config", data, size);
}
