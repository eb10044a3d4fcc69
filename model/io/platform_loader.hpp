#pragma once
/// @brief Loads platform files (format v1, see platforms/SCHEMA.md) into hardware::Platform, and writes them back.
#include "hardware/platform.hpp"
#include "units/quantity.hpp"

#include <string>
#include <vector>

namespace rooflab::io {

/// @brief Loads a platform file. `extends:` is resolved against the same folder and the shipped platforms.
/// Throws InputError naming file, line and key for any problem.
Platform loadPlatformFile(const std::string& path);
/// @brief Parses platform YAML text (`name` is used in messages; `baseDir` resolves `extends:`).
Platform loadPlatformString(const std::string& text, const std::string& name, const std::string& baseDir = "");

/// @brief Writes a platform in format v1, keeping every value's provenance. Writing is atomic (temp + rename);
/// on failure the old file is left untouched and InputError is thrown.
void savePlatformFile(const Platform& p, const std::string& path);
/// The YAML text that savePlatformFile writes.
std::string platformToYaml(const Platform& p);

/// @brief Every present value of the `efficiency` section as its dotted key, in file order: the CPU sub-section
/// (`cpu.single_thread.l2.read` …), then the parameter table's keys (efficiency_params.hpp; per-datatype maps as
/// `gemm_peak_fraction.bf16` …). For listings (`platforms show`, the GUI's platform values).
struct EfficiencyEntry {
    std::string key;
    const Value* value;
    Dimension dimension;
};
std::vector<EfficiencyEntry> efficiencyEntries(const Efficiency& e);

/// Every key the v1 format knows, as dotted paths (for SCHEMA.md checks and editors).
std::vector<std::string> platformSchemaKeys();

} // namespace rooflab::io
