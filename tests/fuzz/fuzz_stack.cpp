// Fuzz target: serving-stack profiles (resources/stacks/*.yaml).
#include "fuzz_common.hpp"
#include "io/stack_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return rooflab::fuzz::guard(
        "stack", [&] { (void)rooflab::io::loadStackString(rooflab::fuzz::textOf(data, size), "fuzz.yaml"); });
}
