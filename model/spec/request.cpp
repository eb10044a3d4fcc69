#include "spec/request.hpp"

namespace rooflab {

LlmTarget* Request::llm() {
    if (auto* s = std::get_if<LlmStep>(&workload))
        return &s->target;
    if (auto* r = std::get_if<LlmRequest>(&workload))
        return &r->target;
    return nullptr;
}

const LlmTarget* Request::llm() const { return const_cast<Request*>(this)->llm(); }

std::string_view Request::kindName() const {
    switch (workload.index()) {
    case 0: return "llm";
    case 1: return "request";
    case 2: return "gemm";
    default: return "cpu";
    }
}

} // namespace rooflab
