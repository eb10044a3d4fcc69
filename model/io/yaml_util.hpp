#pragma once
/// @brief Strict reading of YAML (and JSON, which yaml-cpp also parses) with errors that name file, line and key.
#include "units/errors.hpp"
#include "units/quantity.hpp"

#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <vector>
#include <yaml-cpp/yaml.h>

namespace rooflab::io {

/// @brief Reads and parses a YAML/JSON file. Rejects missing, empty, oversized (> 16 MiB) and binary files.
YAML::Node loadYamlFile(const std::string& path);
/// @brief Parses YAML text; `name` is used in error messages.
YAML::Node loadYamlString(const std::string& text, const std::string& name);

/// 1-based line of a node, 0 when unknown.
int lineOf(const YAML::Node& n);

/// @brief Throws InputError naming `name`, line and column when `text` is not valid JSON (loadYamlFile checks
/// every .json file so before reading it as YAML).
void checkJsonSyntax(const std::string& text, const std::string& name);
/// Levenshtein distance, for did-you-mean suggestions.
std::size_t editDistance(std::string_view a, std::string_view b);
/// The closest candidate within a small distance, or "".
std::string closestMatch(std::string_view key, const std::vector<std::string>& candidates);

/// @brief A view of one YAML mapping that tracks which keys were consumed, so that unknown keys are reported
/// with a did-you-mean suggestion. Paths are dotted ("memory[1].read").
class MapReader {
public:
    MapReader(const YAML::Node& node, std::string file, std::string path, int parentLine = 0);

    bool has(const std::string& key) const;
    YAML::Node optional(const std::string& key);
    YAML::Node required(const std::string& key);

    std::string requiredString(const std::string& key);
    std::string optionalString(const std::string& key, const std::string& fallback = "");
    /// Integer in [minValue, maxValue].
    long long requiredInt(const std::string& key, long long minValue, long long maxValue);
    long long optionalInt(const std::string& key, long long fallback, long long minValue, long long maxValue);
    /// Finite number in [minValue, maxValue].
    double requiredNumber(const std::string& key, double minValue, double maxValue);
    double optionalNumber(const std::string& key, double fallback, double minValue, double maxValue);
    bool optionalBool(const std::string& key, bool fallback);
    /// One of `choices`.
    std::string requiredChoice(const std::string& key, std::initializer_list<const char*> choices);

    /// Marks keys as known without reading them (e.g. HF keys that the engine ignores).
    void ignore(std::initializer_list<const char*> keys);
    /// Accept any remaining key silently (HF configs carry many keys we do not use).
    void allowUnknown() { m_allowUnknown = true; }
    /// Reads `version:` and throws unless it is 1; `what` names the format in the message ("platform").
    void requireVersion1(const char* what);
    /// Throws InputError for the first key that was never read, with a did-you-mean suggestion.
    void finish() const;

    [[noreturn]] void fail(const std::string& key, const std::string& message) const;
    [[noreturn]] void failAt(const YAML::Node& at, const std::string& key, const std::string& message) const;

    const std::string& file() const { return m_file; }
    std::string keyPath(const std::string& key) const { return m_path.empty() ? key : m_path + "." + key; }
    int line() const { return m_line; }
    const YAML::Node& node() const { return m_node; }

private:
    YAML::Node m_node;
    std::string m_file;
    std::string m_path;
    int m_line = 0;
    bool m_allowUnknown = false;
    std::set<std::string> m_known;
};

/// Scalar text of a node; throws naming file/line/key when it is not a scalar.
std::string scalarText(const YAML::Node& n, const std::string& file, const std::string& key);

} // namespace rooflab::io
