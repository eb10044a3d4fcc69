// Counter cross-check (CUPTI Range Profiler): written in a later step.
#include "common.hpp"

namespace rooflab::gpubench {
void benchCounters(const Device&, const Options&) {
    throw std::runtime_error("counters: the CUPTI range-profiler check is not built in this version");
}
} // namespace rooflab::gpubench
