// Fuzz target: request traces for the serving simulator (Splitwise and Azure layouts), with a write/read round trip.
#include "fuzz_common.hpp"
#include "serving/serving.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return rooflab::fuzz::guard("trace_csv", [&] {
        const auto trace = rooflab::serving::parseTraceCsv(rooflab::fuzz::textOf(data, size), "fuzz.csv");
        for (const auto& t : trace)
            rooflab::fuzz::expectFinite("trace_csv", "arrival", t.arrivalS);
        (void)rooflab::serving::parseTraceCsv(rooflab::serving::writeTraceCsv(trace), "rewritten.csv");
    });
}
