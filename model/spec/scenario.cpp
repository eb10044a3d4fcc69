#include "spec/scenario.hpp"

namespace rooflab {

std::string_view phaseName(Phase p) {
    switch (p) {
    case Phase::Prefill: return "prefill";
    case Phase::Decode: return "decode";
    case Phase::Chunked: return "chunked";
    }
    return "?";
}

} // namespace rooflab
