#pragma once
/// @brief Fits a platform's efficiency parameters from microbenchmark measurements (never from end-to-end runs):
/// achievable bandwidth per memory level, launch costs, the GEMM efficiency surface per datatype (with the
/// per-kernel fixed time and the small-M ramp), and attention efficiency vs sequence length when measured.
#include "hardware/platform.hpp"

#include <string>
#include <vector>

namespace rooflab {

struct FitResult {
    std::string parameter; ///< e.g. "efficiency.gemm_peak_fraction.bf16"
    double value = 0;
    double fitErrorPct = 0; ///< MAPE of the fitted model on the points used
    std::size_t points = 0;
    std::string source; ///< provenance id written into the platform
};

struct CalibrationResult {
    Platform platform; ///< the base platform with fitted / measured values and their provenance
    std::vector<FitResult> fits;
    std::vector<std::string> notes; ///< inputs that were missing or skipped
};

/// @brief Calibrates `base` from folders of GPU microbenchmark results (bandwidth.csv, gemm.csv, launch.csv,
/// attention.csv, sustained_gemm.csv; provenance.json). Each file is taken from the first folder that has it, so a
/// second folder can supply operator measurements of a sibling card (its provenance names that card).
/// `date` is written into the fitted sources (ISO date).
CalibrationResult calibrateGpu(const Platform& base, const std::vector<std::string>& measurementDirs,
                               const std::string& date);

} // namespace rooflab
