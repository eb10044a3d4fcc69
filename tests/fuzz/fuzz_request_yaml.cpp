// Fuzz target: scenario files (a Request as YAML, spec::loadRequestFile; the loader takes a path).
#include "codec/request_codec.hpp"
#include "fuzz_common.hpp"

#include <yaml-cpp/yaml.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return rooflab::fuzz::guard("request_yaml", [&] {
        try {
            (void)rooflab::spec::loadRequestFile(
                rooflab::fuzz::scratchFile(rooflab::fuzz::textOf(data, size), ".yaml"));
        } catch (const YAML::BadConversion&) {
            // Open: a non-scalar mapping key reaches as<std::string>() in request_codec.cpp's yamlToJson
            // (tests/fuzz/findings/request_yaml-sequence-as-key.yaml).
            rooflab::fuzz::knownFinding("request_yaml", "YAML::BadConversion from a non-scalar key");
        }
    });
}
