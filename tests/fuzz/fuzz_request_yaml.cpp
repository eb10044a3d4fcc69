// Fuzz target: scenario files (a Request as YAML, spec::loadRequestFile; the loader takes a path).
#include "codec/request_codec.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return rooflab::fuzz::guard("request_yaml", [&] {
        (void)rooflab::spec::loadRequestFile(rooflab::fuzz::scratchFile(rooflab::fuzz::textOf(data, size), ".yaml"));
    });
}
