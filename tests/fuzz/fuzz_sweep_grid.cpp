// Fuzz target: sweep grid files (codec/sweep_grid), then the space they describe (names resolved, axes parsed).
#include "codec/sweep_grid.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return rooflab::fuzz::guard("sweep_grid", [&] {
        rooflab::SweepGridText g =
            rooflab::loadSweepGridFile(rooflab::fuzz::scratchFile(rooflab::fuzz::textOf(data, size), ".yaml"));
        if (g.platform.empty())
            g.platform = "h100-sxm5-80gb";
        if (g.model.empty())
            g.model = "llama-3.1-8b";
        (void)rooflab::buildSweepSpace(g, 100000);
    });
}
