#include "io/platform_schema.hpp"

#include "hardware/efficiency_params.hpp"
#include "hardware/platform.hpp"
#include "units/errors.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <vector>

namespace rooflab::io {

namespace {

/// A number as SCHEMA.md writes it: shortest %g, exponents without '+' and leading zeros (1e6, 1e-3).
std::string number(double v) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%g", v);
    std::string s = buf;
    const auto e = s.find('e');
    if (e == std::string::npos)
        return s;
    std::string mant = s.substr(0, e), exp = s.substr(e + 1);
    const bool negative = exp.front() == '-';
    exp.erase(0, exp.find_first_not_of("+-0"));
    return mant + "e" + (negative ? "-" : "") + exp;
}

/// A value in the unit a reader expects for its dimension (times in s / ms / µs / ns; other dimensions plain SI).
std::string quantity(double si, Dimension d) {
    if (d != Dimension::Seconds || si == 0.0)
        return number(si);
    static constexpr std::pair<double, const char*> kUnits[] = {{1.0, "s"}, {1e-3, "ms"}, {1e-6, "µs"}, {1e-9, "ns"}};
    for (const auto& [factor, unit] : kUnits)
        if (std::fabs(si) >= factor * (1 - 1e-12) || factor == 1e-9)
            return number(si / factor) + " " + unit;
    return number(si);
}

std::string dimensionWord(Dimension d) {
    switch (d) {
    case Dimension::Count:
        return "count";
    case Dimension::Seconds:
        return "time";
    default:
        return std::string(dimensionName(d));
    }
}

std::string defaultText(const EfficiencyParam& k) {
    const ParamDefault& d = k.dflt;
    const std::string note = d.text ? std::string(" (") + d.text + ")" : "";
    switch (d.kind) {
    case ParamDefault::Kind::SameAs:
        return std::string("`") + d.sameAs + "`";
    case ParamDefault::Kind::Derived:
        return d.text ? d.text : "";
    case ParamDefault::Kind::Unset:
        return "absent" + note;
    case ParamDefault::Kind::Constant:
        break;
    }
    if (d.gpuByDType) {
        // Group the datatypes by value, in DType order of first appearance: "gpu: fp64, fp32 0.85; …".
        std::vector<std::pair<double, std::string>> groups;
        for (std::size_t t = 0; t < kDTypeCount; ++t) {
            const std::string name(dtypeName(static_cast<DType>(t)));
            auto it =
                std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == d.gpuByDType[t]; });
            if (it == groups.end())
                groups.emplace_back(d.gpuByDType[t], name);
            else
                it->second += ", " + name;
        }
        std::string s = "gpu: ";
        for (std::size_t i = 0; i < groups.size(); ++i)
            s += (i ? "; " : "") + groups[i].second + " " + quantity(groups[i].first, k.dimension);
        return s + " — cpu: " + quantity(d.cpu, k.dimension) + " for all" + note;
    }
    if (d.gpu == d.cpu)
        return quantity(d.gpu, k.dimension) + note;
    return "gpu " + quantity(d.gpu, k.dimension) + ", cpu " + quantity(d.cpu, k.dimension) + note;
}

std::pair<std::size_t, std::size_t> markers(const std::string& doc, const std::string& file) {
    const auto begin = doc.find(kEfficiencySchemaBegin);
    const auto end = doc.find(kEfficiencySchemaEnd);
    if (begin == std::string::npos || end == std::string::npos || end < begin)
        throw InputError(file, 0, "",
                         "no generated efficiency table: expected the lines '" + std::string(kEfficiencySchemaBegin) +
                             "' and '" + std::string(kEfficiencySchemaEnd) + "', in this order");
    const auto from = doc.find('\n', begin);
    return {from == std::string::npos ? doc.size() : from + 1, end};
}

} // namespace

std::string efficiencySchemaTable() {
    std::ostringstream os;
    os << "| key | type / range | default (gpu / cpu) | meaning | rationale of the default |\n";
    os << "|---|---|---|---|---|\n";
    for (const EfficiencyParam& k : efficiencyParams()) {
        const bool perDType = k.shape == ParamShape::PerDType;
        os << "| `" << k.key << (perDType ? ".<dtype>" : "") << "` | " << dimensionWord(k.dimension)
           << (perDType ? " per datatype key" : "") << ", " << quantity(k.min, k.dimension) << " … "
           << quantity(k.max, k.dimension) << " | " << defaultText(k) << " | " << k.doc << " | " << k.why << " |\n";
    }
    return os.str();
}

std::string generatedEfficiencySection(const std::string& document, const std::string& file) {
    const auto [from, to] = markers(document, file);
    return document.substr(from, to - from);
}

std::string withGeneratedEfficiencySection(const std::string& document, const std::string& file) {
    const auto [from, to] = markers(document, file);
    return document.substr(0, from) + efficiencySchemaTable() + document.substr(to);
}

} // namespace rooflab::io
