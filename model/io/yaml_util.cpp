#include "io/yaml_util.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

namespace rooflab::io {

namespace {
constexpr std::size_t kMaxFileBytes = 16u << 20;

void checkText(const std::string& text, const std::string& name) {
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
        throw InputError(name, 0, "", "file is empty");
    if (text.find('\0') != std::string::npos)
        throw InputError(name, 0, "", "file is binary (contains NUL bytes), not YAML or JSON");
    // Reject invalid UTF-8 early: yaml-cpp would otherwise produce confusing errors.
    int line = 1;
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '\n')
            ++line;
        int extra = 0;
        if (c < 0x80)
            extra = 0;
        else if ((c & 0xE0) == 0xC0 && c >= 0xC2)
            extra = 1;
        else if ((c & 0xF0) == 0xE0)
            extra = 2;
        else if ((c & 0xF8) == 0xF0 && c <= 0xF4)
            extra = 3;
        else
            throw InputError(name, line, "", "file is not valid UTF-8 text (binary data?)");
        if (i + static_cast<std::size_t>(extra) >= text.size() + (extra == 0 ? 1 : 0) && extra > 0)
            throw InputError(name, line, "", "file ends inside a UTF-8 sequence (binary data?)");
        for (int k = 1; k <= extra; ++k) {
            if ((static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]) & 0xC0) != 0x80)
                throw InputError(name, line, "", "file is not valid UTF-8 text (binary data?)");
        }
        if (c < 0x20 && c != '\n' && c != '\r' && c != '\t')
            throw InputError(name, line, "", "file contains control characters (binary data?)");
        i += static_cast<std::size_t>(extra) + 1;
    }
}
} // namespace

/// yaml-cpp keeps the first of two equal keys and drops the second silently (whose value, and whose cited source,
/// would then never be checked): a repeated key in any mapping is an error naming both lines. Iterative, so a
/// deeply nested document cannot overflow the stack here.
static void rejectDuplicateKeys(const YAML::Node& root, const std::string& name) {
    std::vector<YAML::Node> todo{root};
    while (!todo.empty()) {
        const YAML::Node n = todo.back();
        todo.pop_back();
        if (n.IsMap()) {
            std::map<std::string, int> seen;
            for (const auto& kv : n) {
                if (kv.first.IsScalar()) {
                    const int line = lineOf(kv.first);
                    auto [it, fresh] = seen.emplace(kv.first.Scalar(), line);
                    if (!fresh)
                        throw InputError(name, line, kv.first.Scalar(),
                                         "duplicate key (first at line " + std::to_string(it->second) + ")");
                }
                todo.push_back(kv.second);
            }
        } else if (n.IsSequence()) {
            for (const auto& e : n)
                todo.push_back(e);
        }
    }
}

YAML::Node loadYamlString(const std::string& text, const std::string& name) {
    checkText(text, name);
    try {
        YAML::Node root = YAML::Load(text);
        if (!root.IsDefined() || root.IsNull())
            throw InputError(name, 0, "", "file holds no document");
        rejectDuplicateKeys(root, name);
        return root;
    } catch (const YAML::Exception& e) {
        throw InputError(name, e.mark.line >= 0 ? e.mark.line + 1 : 0, "", "syntax error: " + e.msg);
    }
}

YAML::Node loadYamlFile(const std::string& path) {
    // A folder opens as an empty stream and a device never ends: neither is an input file (issue 20: a folder was
    // called "file is empty", /dev/zero "larger than 16 MiB").
    std::error_code ec;
    const auto st = std::filesystem::status(path, ec);
    if (!ec && std::filesystem::exists(st) && !std::filesystem::is_regular_file(st))
        throw InputError(path, 0, "",
                         std::filesystem::is_directory(st) ? "is a folder, not a file"
                                                           : "not a regular file (a device or FIFO cannot be an "
                                                             "input file)");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw InputError(path, 0, "", "cannot open file");
    std::string text;
    char buf[65536];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
        text.append(buf, static_cast<std::size_t>(in.gcount()));
        if (text.size() > kMaxFileBytes)
            throw InputError(path, 0, "", "file is larger than 16 MiB; not a rooflab input file");
    }
    if (path.ends_with(".json"))
        checkJsonSyntax(text, path);
    return loadYamlString(text, path);
}

void checkJsonSyntax(const std::string& text, const std::string& name) {
    // yaml-cpp reads JSON as YAML flow and accepts what JSON does not (a trailing comma, a bare word), so a broken
    // config.json surfaced later as "missing required key": check the JSON first, with line and column.
    try {
        const nlohmann::json parsed = nlohmann::json::parse(text);
        (void)parsed;
    } catch (const nlohmann::json::parse_error& e) {
        const std::size_t at = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
        int line = 1;
        std::size_t lineStart = 0;
        for (std::size_t i = 0; i < at; ++i)
            if (text[i] == '\n') {
                ++line;
                lineStart = i + 1;
            }
        std::string what = e.what();
        // "[json.exception.parse_error.101] parse error at line 6, column 3: syntax error while parsing object -
        // unexpected string literal; expected '}'": keep the reason after the position.
        if (const auto colon = what.find(": ", what.find("column")); colon != std::string::npos)
            what = what.substr(colon + 2);
        throw InputError(name, line, "",
                         "JSON syntax error at column " + std::to_string(at - lineStart + 1) + ": " + what);
    }
}

int lineOf(const YAML::Node& n) {
    if (!n.IsDefined())
        return 0;
    const auto m = n.Mark();
    return m.line >= 0 ? m.line + 1 : 0;
}

std::size_t editDistance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::string closestMatch(std::string_view key, const std::vector<std::string>& candidates) {
    // No name is this long: suggesting one would cost key length x candidates edit steps for nothing (a 100 kB value
    // took a second per lookup under the sanitizers; found by fuzzing).
    constexpr std::size_t kMaxSuggestLength = 256;
    if (key.size() > kMaxSuggestLength)
        return {};
    std::string best;
    std::size_t bestD = std::numeric_limits<std::size_t>::max();
    for (const auto& c : candidates) {
        const std::size_t d = editDistance(key, c);
        if (d < bestD) {
            bestD = d;
            best = c;
        }
    }
    const std::size_t limit = std::max<std::size_t>(2, key.size() / 3);
    if (bestD <= limit)
        return best;
    // A unique candidate that starts with what was typed ("h100-sxm" -> "h100-sxm5-80gb").
    std::string prefixed;
    for (const auto& c : candidates) {
        if (key.size() >= 3 && c.size() > key.size() && c.compare(0, key.size(), key) == 0 &&
            (prefixed.empty() || c.size() < prefixed.size()))
            prefixed = c;
    }
    return prefixed;
}

std::string scalarText(const YAML::Node& n, const std::string& file, const std::string& key) {
    if (!n.IsScalar())
        throw InputError(file, lineOf(n), key,
                         std::string("expected a single value, found a ") + (n.IsMap()        ? "mapping"
                                                                             : n.IsSequence() ? "list"
                                                                                              : "null"));
    return n.Scalar();
}

MapReader::MapReader(const YAML::Node& node, std::string file, std::string path, int parentLine)
    : m_node(node), m_file(std::move(file)), m_path(std::move(path)) {
    m_line = lineOf(node);
    if (m_line == 0)
        m_line = parentLine;
    if (!node.IsDefined() || node.IsNull())
        throw InputError(m_file, m_line, m_path, "section is empty; expected a mapping of keys");
    if (!node.IsMap())
        throw InputError(m_file, m_line, m_path,
                         std::string("expected a mapping of keys, found a ") +
                             (node.IsSequence() ? "list" : "single value"));
}

bool MapReader::has(const std::string& key) const {
    const YAML::Node n = m_node[key];
    return n.IsDefined() && !n.IsNull();
}

YAML::Node MapReader::optional(const std::string& key) {
    m_known.insert(key);
    return m_node[key];
}

YAML::Node MapReader::required(const std::string& key) {
    m_known.insert(key);
    const YAML::Node n = m_node[key];
    if (!n.IsDefined() || n.IsNull()) {
        // A misspelt key is the usual cause: point at it.
        for (auto it = m_node.begin(); it != m_node.end(); ++it) {
            const std::string other = it->first.Scalar();
            if (other != key && editDistance(other, key) <= std::max<std::size_t>(2, key.size() / 3))
                throw InputError(m_file, lineOf(it->first), keyPath(other),
                                 "unknown key (did you mean '" + key + "'?); '" + key + "' is required");
        }
        fail(key, "missing required key");
    }
    return n;
}

void MapReader::fail(const std::string& key, const std::string& message) const {
    const YAML::Node n = m_node[key];
    const int line = (n.IsDefined() ? lineOf(n) : 0);
    throw InputError(m_file, line ? line : m_line, keyPath(key), message);
}

void MapReader::failAt(const YAML::Node& at, const std::string& key, const std::string& message) const {
    const int line = lineOf(at);
    throw InputError(m_file, line ? line : m_line, keyPath(key), message);
}

std::string MapReader::requiredString(const std::string& key) {
    const YAML::Node n = required(key);
    std::string s = scalarText(n, m_file, keyPath(key));
    if (s.empty())
        failAt(n, key, "must not be empty");
    return s;
}

std::string MapReader::optionalString(const std::string& key, const std::string& fallback) {
    const YAML::Node n = optional(key);
    if (!n.IsDefined() || n.IsNull())
        return fallback;
    return scalarText(n, m_file, keyPath(key));
}

namespace {
double toNumber(const YAML::Node& n, const MapReader& r, const std::string& key) {
    const std::string s = scalarText(n, r.file(), r.keyPath(key));
    std::string err;
    auto q = parseQuantity(s, Dimension::Count, err);
    if (!q || q->unit == "%")
        r.failAt(n, key, "expected a number, found '" + s + "'");
    return q->value;
}
} // namespace

long long MapReader::requiredInt(const std::string& key, long long minValue, long long maxValue) {
    const YAML::Node n = required(key);
    const double v = toNumber(n, *this, key);
    if (v != std::floor(v))
        failAt(n, key, "expected a whole number, found " + n.Scalar());
    if (v < static_cast<double>(minValue) || v > static_cast<double>(maxValue))
        failAt(n, key,
               "value " + n.Scalar() + " is out of range [" + std::to_string(minValue) + ", " +
                   std::to_string(maxValue) + "]");
    return static_cast<long long>(v);
}

long long MapReader::optionalInt(const std::string& key, long long fallback, long long minValue, long long maxValue) {
    if (!has(key)) {
        m_known.insert(key);
        return fallback;
    }
    return requiredInt(key, minValue, maxValue);
}

double MapReader::requiredNumber(const std::string& key, double minValue, double maxValue) {
    const YAML::Node n = required(key);
    const double v = toNumber(n, *this, key);
    if (v < minValue || v > maxValue) {
        std::ostringstream os;
        os << "value " << n.Scalar() << " is out of range [" << minValue << ", " << maxValue << "]";
        failAt(n, key, os.str());
    }
    return v;
}

double MapReader::optionalNumber(const std::string& key, double fallback, double minValue, double maxValue) {
    if (!has(key)) {
        m_known.insert(key);
        return fallback;
    }
    return requiredNumber(key, minValue, maxValue);
}

bool MapReader::optionalBool(const std::string& key, bool fallback) {
    const YAML::Node n = optional(key);
    if (!n.IsDefined() || n.IsNull())
        return fallback;
    const std::string s = scalarText(n, m_file, keyPath(key));
    if (s == "true" || s == "True" || s == "yes" || s == "on")
        return true;
    if (s == "false" || s == "False" || s == "no" || s == "off")
        return false;
    failAt(n, key, "expected true or false, found '" + s + "'");
}

std::string MapReader::requiredChoice(const std::string& key, std::initializer_list<const char*> choices) {
    const YAML::Node n = required(key);
    const std::string s = scalarText(n, m_file, keyPath(key));
    std::vector<std::string> all;
    for (const char* c : choices) {
        if (s == c)
            return s;
        all.emplace_back(c);
    }
    std::string list;
    for (const auto& c : all)
        list += (list.empty() ? "" : ", ") + c;
    const std::string near = closestMatch(s, all);
    failAt(n, key, "'" + s + "' is not one of " + list + (near.empty() ? "" : " (did you mean '" + near + "'?)"));
}

void MapReader::requireVersion1(const char* what) {
    const YAML::Node ver = required("version");
    if (scalarText(ver, m_file, keyPath("version")) != "1")
        failAt(ver, "version",
               std::string("unsupported ") + what + " format version '" + ver.Scalar() +
                   "' (this rooflab reads version 1)");
}

void MapReader::ignore(std::initializer_list<const char*> keys) {
    for (const char* k : keys)
        m_known.insert(k);
}

void MapReader::finish() const {
    if (m_allowUnknown)
        return;
    std::vector<std::string> known(m_known.begin(), m_known.end());
    for (auto it = m_node.begin(); it != m_node.end(); ++it) {
        const std::string key = it->first.Scalar();
        if (m_known.count(key))
            continue;
        const std::string near = closestMatch(key, known);
        throw InputError(m_file, lineOf(it->first), keyPath(key),
                         "unknown key" + (near.empty() ? std::string() : " (did you mean '" + near + "'?)"));
    }
}

} // namespace rooflab::io
