// Fuzz target: one `rooflab predict --cases` line as the batch interface runs it: decode, resolve names, predict,
// encode the result line. The line written back must be valid UTF-8 JSON with finite numbers (issue 20: one bad
// byte aborted the batch).
#include "codec/catalog.hpp"
#include "codec/request_codec.hpp"
#include "engine/predict.hpp"
#include "fuzz_common.hpp"

namespace {
void checkFinite(const nlohmann::json& j) {
    if (j.is_number_float())
        rooflab::fuzz::expectFinite("cases_line", "a number of the result line", j.get<double>());
    else if (j.is_structured())
        for (const auto& v : j)
            checkFinite(v);
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return rooflab::fuzz::guard("cases_line", [&] {
        static rooflab::io::Catalog cat;
        rooflab::spec::CodecSource src;
        src.file = "fuzz.jsonl";
        src.line = 1;
        rooflab::Request r = rooflab::spec::decodeRequestText(rooflab::fuzz::textOf(data, size), src);
        cat.resolve(r);
        const rooflab::Result res = rooflab::predict(cat.platformOf(r, "h100-sxm5-80gb"), r);
        const nlohmann::json out = rooflab::spec::encodeResult(r, res);
        checkFinite(out);
        (void)out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    });
}
