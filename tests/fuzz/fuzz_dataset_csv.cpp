// Fuzz target: measured datasets (io::parseCsv), validated against a platform as `rooflab validate` does.
#include "analysis/platform_model.hpp"
#include "calibration/validation.hpp"
#include "codec/catalog.hpp"
#include "fuzz_common.hpp"
#include "io/csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return rooflab::fuzz::guard("dataset_csv", [&] {
        static rooflab::io::Catalog cat;
        const rooflab::PlatformTarget& plat = cat.platform("h100-sxm5-80gb");
        const rooflab::io::CsvTable t = rooflab::io::parseCsv(rooflab::fuzz::textOf(data, size), "fuzz.csv");
        const rooflab::ValidationReport rep = rooflab::validateDataset(
            plat.model, t, [](const std::string& m) -> const rooflab::LlmArch& { return cat.model(m); },
            [](const std::string& s) -> const rooflab::StackProfile& { return cat.stack(s); });
        // Rows that evaluated feed the error tables: their numbers must be finite.
        for (const auto& row : rep.rows) {
            if (!row.error.empty())
                continue;
            rooflab::fuzz::expectFinite("dataset_csv", "predicted_s", row.predictedS);
            rooflab::fuzz::expectFinite("dataset_csv", "error_pct", row.errorPct);
        }
    });
}
