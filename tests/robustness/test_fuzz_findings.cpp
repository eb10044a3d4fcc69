// Fuzz findings (tests/fuzz/findings/README.md): an open one is a failing test, disabled until the code it breaks is
// fixed; then it is enabled and its input moved into the target's corpus as a regression input.
#include "codec/request_codec.hpp"
#include "units/errors.hpp"

#include <gtest/gtest.h>

using namespace rooflab;

// Fixed (issue 20): a scenario file whose mapping has a non-scalar key ("[1,2]" on a line of its own) escaped as
// YAML::TypedBadConversion (exit 1); yamlToJson now refuses it with an InputError naming file and line.
TEST(FuzzFindings, ScenarioYamlNonScalarKeyIsAnInputError) {
    const std::string path =
        std::string(ROOFLAB_SOURCE_DIR) + "/tests/fuzz/corpus/request_yaml/repro-fuzz-sequence-as-key.yaml";
    try {
        (void)spec::loadRequestFile(path);
        FAIL() << "accepted";
    } catch (const InputError& e) {
        EXPECT_EQ(e.file(), path);
        EXPECT_EQ(e.line(), 3) << e.what();
    }
}
