#pragma once
/// @brief `rooflab validate --dataset FILE` for serving benchmarks (aic-silicon): every row simulated with its own
/// deployment, TTFT / TPOT mean and median APE per GPU x backend x mode x model, rows predicted and why others were
/// not, the weakest rows, and the gates.
#include "io/csv.hpp"
#include "serving/serving_validation.hpp"

#include <ostream>
#include <string>
#include <vector>

namespace rooflab::cli {

/// Limits (percent; < 0: none) of a serving validation, from --max-mape ttft=X,tpot=Y[,ttft_median=..,tpot_median=..].
struct ServingGates {
    double ttftMape = -1, tpotMape = -1, ttftMedian = -1, tpotMedian = -1;
};
/// @brief Parses the --max-mape value for serving datasets: "X" (both TTFT and TPOT MAPE) or KEY=X pairs separated
/// by commas (keys ttft, tpot, ttft_median, tpot_median). Throws InputError naming --max-mape.
ServingGates parseServingGates(const std::string& text);

struct ServingValidateOptions {
    std::string platform; ///< empty: each row's gpu column picks the node
    std::string format = "table";
    std::string out;      ///< also write the output here (atomic); empty: stdout only
    unsigned threads = 0; ///< 0: all hardware threads
    bool rows = false;    ///< print every row
    serving::ServingSplit split = serving::ServingSplit::All; ///< all rows, or one half of the scheduler fit's split
    ServingGates gates;
};

/// @brief Validates one aic-silicon table and prints the result (table, json or csv) to `os` and/or `--out`.
/// Appends gate violations to `exceeded`. Returns true when every row was predicted.
bool runServingValidation(const io::CsvTable& table, const ServingValidateOptions& o, std::ostream& os,
                          std::vector<std::string>& exceeded);

} // namespace rooflab::cli
