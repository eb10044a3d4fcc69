#pragma once
// The platforms, models and stacks the serving tests share (loaded once per test binary), and a closed-loop load.
#include "codec/catalog.hpp"
#include "serving/serving.hpp"

namespace rooflab::serving::test_support {

struct Fixture {
    io::Catalog cat;
    const PlatformModel& pm = cat.platform("h100-sxm5-80gb").model;
    const PlatformModel& hgxH100 = cat.platform("hgx-h100-8gpu").model;
    const PlatformModel& hgx = cat.platform("hgx-h200-8gpu").model;
    const LlmArch& llama = cat.model("llama-3.1-8b");
    const LlmArch& qwenMoe = cat.model("qwen3-30b-a3b");
    const StackProfile& vllm = cat.stack("vllm");
    const StackProfile& sglang = cat.stack("sglang");
    const StackProfile& trt = cat.stack("tensorrt-llm");
};

inline Fixture& fx() {
    static Fixture f;
    return f;
}

/// `c` clients, `isl` prompt and `osl` output tokens, `requests` measured (0: the simulator's default).
inline Workload closedLoop(int c, int64_t isl, int64_t osl, int64_t requests = 0) {
    Workload w;
    w.arrival = Arrival::ClosedLoop;
    w.concurrency = c;
    w.inputTokens = isl;
    w.outputTokens = osl;
    w.requests = requests;
    return w;
}

} // namespace rooflab::serving::test_support
