// Fuzz target: a Request in its JSON form (spec::decodeRequestText), encoded back and decoded again: the codec's
// round trip must hold for whatever it accepts.
#include "codec/request_codec.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return rooflab::fuzz::guard("request_json", [&] {
        rooflab::spec::CodecSource src;
        src.file = "fuzz.json";
        src.line = 1;
        const rooflab::Request r = rooflab::spec::decodeRequestText(rooflab::fuzz::textOf(data, size), src);
        const nlohmann::json once = rooflab::spec::encodeRequest(r);
        const nlohmann::json twice = rooflab::spec::encodeRequest(rooflab::spec::decodeRequest(once));
        if (once != twice)
            rooflab::fuzz::finding("request_json", "round trip differs: " + once.dump() + " vs " + twice.dump());
    });
}
