#include "hardware/efficiency_params.hpp"

#include "hardware/platform.hpp"

#include <algorithm>
#include <string>

namespace rooflab {

namespace defaults {

double graphLaunch(const Platform& p, const EfficiencyValues&, DType) {
    return p.launchOverheadS.valueOr(0) * 0.25;
}

double collectiveStepLatency(const Platform& p, const EfficiencyValues&, DType) {
    return std::max(p.scaleUp.latencyS.valueOr(0), 1e-6);
}

} // namespace defaults

namespace {

// One parameter's storage as a span: a scalar is one value, a per-datatype map one per DType.
template <class T> std::span<T> slotsOf(T& v) {
    return {&v, 1};
}
template <class T, std::size_t N> std::span<T> slotsOf(std::array<T, N>& a) {
    return {a.data(), N};
}

constexpr std::array<EfficiencyParam, kEfficiencyParamCount> kParams = {{
#define ROOFLAB_EFF_ROW(shape, member, key, dim, lo, hi, dflt, doc, why)                                               \
    {EffParam::member,                                                                                                 \
     key,                                                                                                              \
     ParamShape::shape,                                                                                                \
     Dimension::dim,                                                                                                   \
     lo,                                                                                                               \
     hi,                                                                                                               \
     dflt,                                                                                                             \
     doc,                                                                                                              \
     why,                                                                                                              \
     [](Efficiency& e) { return slotsOf(e.member); },                                                                  \
     [](EfficiencyValues& r) { return slotsOf(r.member); }},
    ROOFLAB_EFFICIENCY_PARAMS(ROOFLAB_EFF_ROW)
#undef ROOFLAB_EFF_ROW
}};

} // namespace

std::span<const Value> EfficiencyParam::values(const Efficiency& e) const {
    // The accessor only forms a span over the member; nothing is written through it here.
    return valuesOf(const_cast<Efficiency&>(e));
}

std::span<const double> EfficiencyParam::resolved(const EfficiencyValues& r) const {
    return resolvedOf(const_cast<EfficiencyValues&>(r));
}

std::string_view EfficiencyParam::slotKey(std::size_t slot) const {
    return shape == ParamShape::Scalar ? std::string_view() : dtypeName(static_cast<DType>(slot));
}

double EfficiencyParam::constantDefault(DeviceKind kind, std::size_t slot) const {
    if (dflt.kind != ParamDefault::Kind::Constant && dflt.kind != ParamDefault::Kind::Unset)
        return 0.0;
    if (kind == DeviceKind::Cpu)
        return dflt.cpu;
    return dflt.gpuByDType ? dflt.gpuByDType[slot] : dflt.gpu;
}

const std::array<EfficiencyParam, kEfficiencyParamCount>& efficiencyParams() {
    return kParams;
}

const EfficiencyParam& efficiencyParam(EffParam id) {
    return kParams[static_cast<std::size_t>(id)];
}

const EfficiencyParam* findEfficiencyParam(std::string_view key) {
    for (const EfficiencyParam& d : kParams)
        if (key == d.key)
            return &d;
    return nullptr;
}

EfficiencyValues resolveEfficiency(const Platform& p) {
    EfficiencyValues out;
    std::array<bool, kEfficiencyParamCount> done{};
    // Depth-first: a SameAs default resolves the key it names first (the table test rejects cycles and unknown keys).
    auto resolve = [&](auto& self, const EfficiencyParam& d) -> void {
        const auto index = static_cast<std::size_t>(d.id);
        if (done[index])
            return;
        done[index] = true;
        const EfficiencyParam* base = nullptr;
        if (d.dflt.kind == ParamDefault::Kind::SameAs) {
            base = findEfficiencyParam(d.dflt.sameAs);
            if (base)
                self(self, *base);
        }
        const std::span<const Value> values = d.values(p.efficiency);
        const std::span<double> resolved = d.resolved(out);
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (values[i].present) {
                resolved[i] = values[i].si;
                continue;
            }
            switch (d.dflt.kind) {
            case ParamDefault::Kind::Constant:
            case ParamDefault::Kind::Unset:
                resolved[i] = d.constantDefault(p.kind, i);
                break;
            case ParamDefault::Kind::SameAs: {
                const std::span<const double> from = base ? base->resolved(out) : std::span<const double>();
                resolved[i] = from.empty() ? 0.0 : from[std::min(i, from.size() - 1)];
                break;
            }
            case ParamDefault::Kind::Derived:
                resolved[i] = d.dflt.derive(p, out, static_cast<DType>(i));
                break;
            }
        }
    };
    for (const EfficiencyParam& d : kParams)
        resolve(resolve, d);
    return out;
}

} // namespace rooflab
