#include "spec/request.hpp"

namespace rooflab {

LlmTarget* Request::llm() {
    if (auto* s = std::get_if<LlmStep>(&workload))
        return &s->target;
    if (auto* r = std::get_if<LlmRequest>(&workload))
        return &r->target;
    return nullptr;
}

const LlmTarget* Request::llm() const {
    return const_cast<Request*>(this)->llm();
}

LlmTarget* Request::target() {
    if (auto* s = std::get_if<ServingWork>(&workload))
        return &s->target;
    return llm();
}

const LlmTarget* Request::target() const {
    return const_cast<Request*>(this)->target();
}

Request llmRequestOf(const LlmArch& arch, const StackProfile& stack, const Scenario& s, bool whole, bool withOps) {
    Request r;
    LlmTarget t{arch.name, stack.name, &arch, &stack};
    if (whole)
        r.workload = LlmRequest{std::move(t)};
    else
        r.workload = LlmStep{std::move(t)};
    r.scenario = s;
    r.withOps = withOps;
    return r;
}

std::string_view Request::kindName() const {
    switch (workload.index()) {
    case 0:
        return "llm";
    case 1:
        return "request";
    case 2:
        return "gemm";
    case 3:
        return "cpu";
    default:
        return "serving";
    }
}

} // namespace rooflab
