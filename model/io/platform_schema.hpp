#pragma once
/// @brief The parts of platforms/SCHEMA.md generated from the engine's tables: the efficiency table comes from the
/// parameter table (hardware/efficiency_params.hpp). `rooflab platforms schema` prints or rewrites it; a test fails
/// when the checked-in file differs. Pure string functions (the caller reads and writes the file).
#include <string>
#include <string_view>

namespace rooflab::io {

/// Marker lines around the generated efficiency table in SCHEMA.md.
inline constexpr std::string_view kEfficiencySchemaBegin =
    "<!-- BEGIN GENERATED efficiency table: edit model/hardware/efficiency_params.hpp, then run "
    "`rooflab platforms schema --write platforms/SCHEMA.md` -->";
inline constexpr std::string_view kEfficiencySchemaEnd = "<!-- END GENERATED efficiency table -->";

/// @brief The Markdown table of every efficiency key (key, unit and range, default, meaning, rationale), one row per
/// entry of the parameter table, in file order; without the markers.
std::string efficiencySchemaTable();

/// @brief The text between the markers of `document` (without them). Throws InputError naming `file` when the
/// markers are missing or out of order.
std::string generatedEfficiencySection(const std::string& document, const std::string& file);

/// @brief `document` with the text between the markers replaced by efficiencySchemaTable(). Throws as above.
std::string withGeneratedEfficiencySection(const std::string& document, const std::string& file);

} // namespace rooflab::io
