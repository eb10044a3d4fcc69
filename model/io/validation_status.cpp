#include "io/validation_status.hpp"

#include "io/data_paths.hpp"
#include "io/yaml_util.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <mutex>

namespace rooflab {

std::string_view predictionScopeName(PredictionScope s) {
    switch (s) {
    case PredictionScope::LlmStep:
        return "llm-step";
    case PredictionScope::Serving:
        return "serving";
    case PredictionScope::CpuLlm:
        return "cpu-llm";
    case PredictionScope::Kernel:
        return "kernel";
    }
    return "llm-step";
}

bool predictionScopeFromName(std::string_view name, PredictionScope& out) {
    for (PredictionScope s :
         {PredictionScope::LlmStep, PredictionScope::Serving, PredictionScope::CpuLlm, PredictionScope::Kernel})
        if (predictionScopeName(s) == name) {
            out = s;
            return true;
        }
    return false;
}

std::string_view validationSplitName(ValidationSplit s) {
    switch (s) {
    case ValidationSplit::HeldOut:
        return "held-out";
    case ValidationSplit::All:
        return "all";
    case ValidationSplit::Calibration:
        return "calibration";
    }
    return "all";
}

std::string_view confidenceLevelName(ConfidenceLevel l) {
    switch (l) {
    case ConfidenceLevel::Validated:
        return "validated";
    case ConfidenceLevel::Calibrated:
        return "calibrated";
    case ConfidenceLevel::DatasheetOnly:
        return "datasheet-only";
    }
    return "datasheet-only";
}

namespace {

/// A percentage as the CLI prints it: one decimal below 100 ("4.5 %"), none above ("143 %").
std::string pct(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, v < 100 ? "%.1f %%" : "%.0f %%", v);
    return buf;
}

std::string upper(const std::string& s) {
    std::string u = s;
    std::transform(u.begin(), u.end(), u.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return u;
}

std::string joined(const std::vector<std::string>& v, const char* sep) {
    std::string out;
    for (const auto& s : v)
        out += (out.empty() ? "" : sep) + s;
    return out;
}

std::vector<std::string> stringList(io::MapReader& r, const char* key, bool required) {
    std::vector<std::string> out;
    const YAML::Node n = required ? r.required(key) : r.optional(key);
    if (!n.IsDefined() || n.IsNull())
        return out;
    if (n.IsScalar()) {
        out.push_back(n.Scalar());
        return out;
    }
    if (!n.IsSequence())
        r.failAt(n, key, "expected a name or a list of names");
    for (const auto& item : n)
        out.push_back(io::scalarText(item, r.file(), r.keyPath(key)));
    if (required && out.empty())
        r.failAt(n, key, "expected at least one name");
    return out;
}

/// The MAPE part of the line: "4.5 % MAPE" or "TTFT 87.2 % / TPOT 36.4 % MAPE" (several metrics of one split).
std::string metricsText(const std::vector<ValidationEntry>& entries) {
    if (entries.size() == 1) {
        const auto& e = entries.front();
        const bool plain = e.metric == "latency";
        return pct(e.mapePct) + " MAPE" + (plain ? "" : " (" + e.metric + ")");
    }
    std::string out;
    for (const auto& e : entries)
        out += (out.empty() ? "" : " / ") + (e.metric == "ttft" || e.metric == "tpot" ? upper(e.metric) : e.metric) +
               " " + pct(e.mapePct);
    return out + " MAPE";
}

} // namespace

std::string Confidence::summary() const {
    switch (level) {
    case ConfidenceLevel::Validated:
        return "validated — " + basis;
    case ConfidenceLevel::Calibrated:
        return "calibrated (not validated end to end) — " + basis;
    case ConfidenceLevel::DatasheetOnly:
        return "datasheet only — " + basis;
    }
    return basis;
}

std::string Confidence::badge() const {
    switch (level) {
    case ConfidenceLevel::Validated:
        return "validated ±" + pct(mapePct);
    case ConfidenceLevel::Calibrated:
        return mapeKnown() ? "calibrated ±" + pct(mapePct) + " (fit)" : "calibrated";
    case ConfidenceLevel::DatasheetOnly:
        return "datasheet only";
    }
    return "";
}

std::string findValidationStatusFile() {
    namespace fs = std::filesystem;
    for (const auto& dir : io::dataDirs()) {
        const fs::path p = fs::path(dir) / "resources" / "validation" / "status.yaml";
        std::error_code ec;
        if (fs::is_regular_file(p, ec))
            return p.string();
    }
    return "";
}

ValidationStatus loadValidationStatus(const std::string& path) {
    using io::MapReader;
    ValidationStatus st;
    st.file = path;
    const YAML::Node root = io::loadYamlFile(path);
    MapReader r(root, path, "");
    r.requireVersion1("validation status");
    const YAML::Node ni = r.optional("no_inherit");
    if (ni.IsDefined() && !ni.IsNull()) {
        if (!ni.IsMap())
            r.failAt(ni, "no_inherit", "expected a mapping of platform name -> reason");
        for (const auto& kv : ni)
            st.noInherit[kv.first.Scalar()] = io::scalarText(kv.second, path, "no_inherit." + kv.first.Scalar());
    }
    const YAML::Node list = r.required("entries");
    if (!list.IsSequence())
        r.failAt(list, "entries", "expected a list of validation entries");
    std::map<std::string, int> ids;
    int i = 0;
    for (const auto& node : list) {
        const std::string where = "entries[" + std::to_string(i++) + "]";
        MapReader e(node, path, where, io::lineOf(node));
        ValidationEntry v;
        v.file = path;
        v.line = io::lineOf(node);
        v.id = e.requiredString("id");
        if (const auto [it, fresh] = ids.emplace(v.id, v.line); !fresh)
            e.fail("id", "'" + v.id + "' is already used by the entry at line " + std::to_string(it->second));
        v.platforms = stringList(e, "platforms", true);
        v.stacks = stringList(e, "stacks", false);
        const std::string scope = e.requiredChoice("scope", {"llm-step", "serving", "cpu-llm", "kernel"});
        predictionScopeFromName(scope, v.scope);
        v.basis = e.requiredString("basis");
        v.dataset = e.requiredString("dataset");
        const std::string split = e.requiredChoice("split", {"held-out", "all", "calibration"});
        v.split = split == "held-out" ? ValidationSplit::HeldOut
                  : split == "all"    ? ValidationSplit::All
                                      : ValidationSplit::Calibration;
        v.metric = e.requiredChoice("metric", {"latency", "ttft", "tpot", "decode", "prefill"});
        v.mapePct = e.requiredNumber("mape_percent", 0.0, 1e6);
        v.rows = e.requiredInt("rows", 1, 1'000'000'000);
        v.date = e.requiredString("date");
        v.command = e.requiredString("command");
        if (v.command.rfind("rooflab validate", 0) != 0)
            e.fail("command", "expected the 'rooflab validate ...' (or validate-cpu) command that reproduces the MAPE");
        v.note = e.optionalString("note");
        e.finish();
        st.entries.push_back(std::move(v));
    }
    r.finish();
    return st;
}

const ValidationStatus& shippedValidationStatus() {
    static std::once_flag once;
    static ValidationStatus status;
    std::call_once(once, [] {
        const std::string path = findValidationStatusFile();
        if (!path.empty())
            status = loadValidationStatus(path);
    });
    return status;
}

namespace {

int splitRank(ValidationSplit s) {
    return static_cast<int>(s);
}

bool covers(const ValidationEntry& e, const std::string& platform, const StackProfile* stack, PredictionScope scope) {
    if (e.scope != scope || std::find(e.platforms.begin(), e.platforms.end(), platform) == e.platforms.end())
        return false;
    if (e.stacks.empty())
        return true;
    return stack && std::find(e.stacks.begin(), e.stacks.end(), stack->name) != e.stacks.end();
}

/// The entries of the best split that covers (platform, stack, scope), sorted by metric; empty when none.
std::vector<ValidationEntry> bestEntries(const ValidationStatus& st, const std::string& platform,
                                         const StackProfile* stack, PredictionScope scope) {
    std::vector<ValidationEntry> found;
    for (const auto& e : st.entries)
        if (covers(e, platform, stack, scope))
            found.push_back(e);
    if (found.empty())
        return found;
    int best = splitRank(ValidationSplit::Calibration);
    for (const auto& e : found)
        best = std::min(best, splitRank(e.split));
    std::erase_if(found, [&](const ValidationEntry& e) { return splitRank(e.split) != best; });
    // One entry per metric: the largest MAPE of that metric (several held-out sets: the worst one is the honest
    // headline).
    std::map<std::string, ValidationEntry> byMetric;
    for (const auto& e : found) {
        auto it = byMetric.find(e.metric);
        if (it == byMetric.end() || e.mapePct > it->second.mapePct)
            byMetric[e.metric] = e;
    }
    std::vector<ValidationEntry> out;
    for (const char* m : {"latency", "ttft", "tpot", "prefill", "decode"})
        if (auto it = byMetric.find(m); it != byMetric.end())
            out.push_back(it->second);
    return out;
}

std::string splitText(ValidationSplit s) {
    switch (s) {
    case ValidationSplit::HeldOut:
        return "held-out";
    case ValidationSplit::All:
        return "not fitted on";
    case ValidationSplit::Calibration:
        return "on its calibration set";
    }
    return "";
}

} // namespace

Confidence resolveConfidence(const ValidationStatus& status, const Platform& platform, const StackProfile* stack,
                             PredictionScope scope) {
    Confidence c;
    std::string measuredOn = platform.name;
    std::vector<ValidationEntry> entries = bestEntries(status, platform.name, stack, scope);
    const auto noInherit = status.noInherit.find(platform.name);
    if (entries.empty() && !platform.extends.empty() && noInherit == status.noInherit.end()) {
        entries = bestEntries(status, platform.extends, stack, scope);
        if (!entries.empty()) {
            c.inheritedFrom = platform.extends;
            measuredOn = platform.extends;
        }
    }
    if (!entries.empty()) {
        const ValidationEntry& first = entries.front();
        c.level =
            first.split == ValidationSplit::Calibration ? ConfidenceLevel::Calibrated : ConfidenceLevel::Validated;
        for (const auto& e : entries)
            c.mapePct = std::max(c.mapePct, e.mapePct);
        int64_t rows = 0;
        for (const auto& e : entries)
            rows = std::max(rows, e.rows);
        c.basis = metricsText(entries) + ", " + first.basis + ", " + splitText(first.split) + ", " +
                  std::to_string(rows) + " rows (" +
                  (c.inheritedFrom.empty() ? measuredOn
                                           : "measured on " + measuredOn + ", which " + platform.name + " extends") +
                  ")";
        c.entries = std::move(entries);
        return c;
    }
    // No validation: the provenance of the platform's values, and the stack's kernel efficiency fitted on it.
    int fitted = 0, measured = 0;
    for (const auto& [id, s] : platform.sources) {
        fitted += s.kind == SourceKind::Fitted;
        measured += s.kind == SourceKind::Measured;
    }
    const KernelEfficiency* eff = stack ? stack->efficiencyFor(platform.name, platform.extends) : nullptr;
    std::vector<std::string> parts;
    if (fitted + measured > 0) {
        std::string what = "platform values from microbenchmarks (";
        if (fitted)
            what += std::to_string(fitted) + " fitted source" + (fitted > 1 ? "s" : "");
        if (fitted && measured)
            what += ", ";
        if (measured)
            what += std::to_string(measured) + " measured source" + (measured > 1 ? "s" : "");
        parts.push_back(what + ")");
    }
    if (eff)
        parts.push_back(stack->name + " kernel efficiency fitted on per-operator tables" +
                        (eff->platform == platform.name ? std::string() : " of " + eff->platform));
    std::string why;
    if (noInherit != status.noInherit.end())
        why = "; " + noInherit->second;
    if (!parts.empty()) {
        c.level = ConfidenceLevel::Calibrated;
        c.basis = joined(parts, "; ") + "; no end-to-end " + std::string(predictionScopeName(scope)) + " validation" +
                  (stack && scope != PredictionScope::Kernel ? " with " + stack->name : "") + why + "; error unknown";
        return c;
    }
    c.level = ConfidenceLevel::DatasheetOnly;
    c.basis = "nothing measured behind this platform (datasheet, published and assumed values only)" + why +
              "; error unknown";
    if (platform.kind == DeviceKind::Gpu)
        c.basis += " (for scale: the H100's datasheet-only file was 14.2 % off the project's own H100 e2e runs, "
                   "the calibrated one 3.0 %)";
    return c;
}

} // namespace rooflab
