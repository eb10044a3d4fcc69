// Fuzz target: GEMM and CPU-kernel workload files (resources/workloads/*.yaml).
#include "fuzz_common.hpp"
#include "io/workload_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return rooflab::fuzz::guard(
        "workload", [&] { (void)rooflab::io::loadWorkloadString(rooflab::fuzz::textOf(data, size), "fuzz.yaml"); });
}
