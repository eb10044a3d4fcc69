// Fuzz target: kernel traces (the CSV `rooflab profile` writes and the GUI's trace page reads, gpu::readTrace).
// readTrace reports a broken trace as std::runtime_error (its documented error, naming the CSV line or the header
// column); anything else escaping, a crash or a sanitizer report is a finding.
#include "fuzz_common.hpp"
#include "profilers/gpu/trace/formats.hpp"

#include <sstream>
#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return rooflab::fuzz::guard("kernel_trace", [&] {
        try {
            std::istringstream in(rooflab::fuzz::textOf(data, size));
            const auto kernels = rooflab::gpu::readTrace(in);
            uint64_t total = 0;
            for (const auto& k : kernels)
                total += k.durationNs();
            (void)rooflab::gpu::timeByClass(kernels);
            (void)total;
        } catch (const std::runtime_error&) {
            // readTrace's documented error for a broken trace (it names the CSV line or the header column).
        }
    });
}
