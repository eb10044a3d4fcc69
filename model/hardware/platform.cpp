#include "hardware/platform.hpp"

#include "units/errors.hpp"

#include <algorithm>

namespace rooflab {

std::string_view sourceKindName(SourceKind k) {
    switch (k) {
    case SourceKind::Datasheet:
        return "datasheet";
    case SourceKind::Published:
        return "published";
    case SourceKind::Measured:
        return "measured";
    case SourceKind::Fitted:
        return "fitted";
    case SourceKind::Assumed:
        return "assumed";
    }
    return "?";
}

std::string_view engineKindName(EngineKind k) {
    switch (k) {
    case EngineKind::Tensor:
        return "tensor";
    case EngineKind::Vector:
        return "vector";
    case EngineKind::Matrix:
        return "matrix";
    case EngineKind::Scalar:
        return "scalar";
    }
    return "?";
}

std::string_view memoryKindName(MemoryKind k) {
    switch (k) {
    case MemoryKind::L1:
        return "l1";
    case MemoryKind::L2:
        return "l2";
    case MemoryKind::L3:
        return "l3";
    case MemoryKind::Dram:
        return "dram";
    }
    return "?";
}

const MemoryLevel* Platform::level(MemoryKind k) const {
    for (const auto& m : memory) {
        if (m.kind == k)
            return &m;
    }
    return nullptr;
}

const MemoryLevel& Platform::dram() const {
    if (const MemoryLevel* d = level(MemoryKind::Dram))
        return *d;
    throw InputError(file, 0, "memory", "platform has no dram level");
}

double Platform::peakFlopPerS(DType t) const {
    const ComputeEngine* e = engineFor(t);
    return e ? e->peakFlopPerS[static_cast<std::size_t>(t)].si : 0.0;
}

const ComputeEngine* Platform::engineFor(DType t) const {
    const ComputeEngine* best = nullptr;
    for (const auto& e : compute) {
        const Value& v = e.peakFlopPerS[static_cast<std::size_t>(t)];
        if (v.present && v.si > 0 && (!best || v.si > best->peakFlopPerS[static_cast<std::size_t>(t)].si))
            best = &e;
    }
    return best;
}

double Platform::units() const {
    double u = 0;
    for (const auto& e : compute)
        u = std::max(u, e.units.si);
    return u;
}

} // namespace rooflab
