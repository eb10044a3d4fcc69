// Numbers in rooflab's output are finite (issue 20: a NaN or Inf anywhere in an output is a bug). Property test over
// every shipped preset x every shipped platform x every phase, in the JSON of a cases line (spec::encodeResult) and
// of `predict llm --format json` (report::predictionJson), both per-operator tables included.
#include "codec/catalog.hpp"
#include "codec/request_codec.hpp"
#include "engine/predict.hpp"
#include "io/data_paths.hpp"
#include "report/format.hpp"
#include "units/errors.hpp"

#include <cmath>
#include <gtest/gtest.h>

using namespace rooflab;

namespace {

/// Paths of the non-finite numbers in `j` ("" when none).
void nonFinite(const nlohmann::json& j, const std::string& path, std::string& bad) {
    if (j.is_number_float()) {
        if (!std::isfinite(j.get<double>()))
            bad += " " + (path.empty() ? std::string("(root)") : path);
    } else if (j.is_object()) {
        for (auto it = j.begin(); it != j.end(); ++it)
            nonFinite(it.value(), path + "." + it.key(), bad);
    } else if (j.is_array()) {
        for (std::size_t i = 0; i < j.size(); ++i)
            nonFinite(j[i], path + "[" + std::to_string(i) + "]", bad);
    }
}

} // namespace

TEST(FiniteNumbers, PresetsTimesPlatformsTimesPhases) {
    io::setBuiltinDataDir(ROOFLAB_SOURCE_DIR);
    io::Catalog cat;
    const auto models = io::listModelNames();
    const auto platforms = io::listPlatformNames();
    ASSERT_GE(models.size(), 20u);
    ASSERT_GE(platforms.size(), 10u);
    int evaluated = 0, infeasible = 0;
    for (const auto& platform : platforms) {
        for (const auto& model : models) {
            for (const char* phase : {"prefill", "decode", "chunked", "request"}) {
                for (int tp : {1, 2}) {
                    const nlohmann::json q{{"platform", platform}, {"model", model}, {"phase", phase},
                                           {"batch", 8},           {"prompt", 1024}, {"context", 2048},
                                           {"chunk", 512},         {"output", 64},   {"tp", tp}};
                    SCOPED_TRACE(q.dump());
                    Request r;
                    try {
                        r = spec::decodeRequest(q);
                        cat.resolve(r);
                    } catch (const InputError& e) {
                        ADD_FAILURE() << "a shipped preset/platform does not decode: " << e.what();
                        continue;
                    }
                    r.withOps = true;
                    Result res = predict(cat.platformOf(r, platform), r);
                    ++evaluated;
                    infeasible += res.ok ? 0 : 1;
                    std::string bad;
                    nonFinite(spec::encodeResult(r, res), "", bad);
                    if (std::string(phase) == "request") {
                        const RequestPrediction rp = requestOrError(std::move(res));
                        nonFinite(report::predictionJson(rp.prefill, true), "prefill", bad);
                        nonFinite(report::predictionJson(rp.decodeFirst, true), "decode_first", bad);
                        for (double v : {rp.ttftS, rp.tpotS, rp.e2eS, rp.tokensPerS, rp.energyPerTokenJ})
                            if (!std::isfinite(v))
                                bad += " request summary";
                    } else {
                        nonFinite(report::predictionJson(stepOrError(std::move(res)), true), "step", bad);
                    }
                    EXPECT_TRUE(bad.empty()) << "not finite:" << bad;
                }
            }
        }
    }
    EXPECT_GT(evaluated, 1000);
    EXPECT_LT(infeasible, evaluated); // most points evaluate (infeasible ones must be finite too)
}
