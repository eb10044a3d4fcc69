// Fuzz target: model YAML presets (resources/models/*.yaml), loaded and evaluated.
#include "model_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return rooflab::fuzz::modelTarget("model", data, size);
}
