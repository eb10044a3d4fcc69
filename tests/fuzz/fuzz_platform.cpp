// Fuzz target: platform YAML (io::loadPlatformString), then the roofline model built from what loaded.
#include "engine/predict.hpp"
#include "fuzz_common.hpp"
#include "io/platform_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return rooflab::fuzz::guard("platform", [&] {
        const rooflab::Platform p = rooflab::io::loadPlatformString(rooflab::fuzz::textOf(data, size), "fuzz.yaml",
                                                                    ROOFLAB_SOURCE_DIR "/platforms");
        (void)rooflab::PlatformTarget::from(p);
    });
}
