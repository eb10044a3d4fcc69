#include "io/stack_loader.hpp"

#include "io/data_paths.hpp"
#include "io/yaml_util.hpp"
#include "units/quantity.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace rooflab {

namespace io {

namespace {
StackProfile parseStack(const YAML::Node& root, const std::string& file) {
    MapReader r(root, file, "");
    r.requireVersion1("stack");
    StackProfile s;
    s.file = file;
    s.name = r.requiredString("name");
    s.description = r.optionalString("description");
    s.fusedQkv = r.optionalBool("fused_qkv", true);
    s.fusedGateUp = r.optionalBool("fused_gate_up", true);
    s.stridedElementwise = r.optionalBool("strided_elementwise", false);
    const YAML::Node launch = r.optional("launch");
    if (launch.IsDefined() && !launch.IsNull()) {
        MapReader l(launch, file, "launch", r.line());
        s.prefillGraph = l.requiredChoice("prefill", {"stream", "graph"}) == "graph";
        s.decodeGraph = l.requiredChoice("decode", {"stream", "graph"}) == "graph";
        l.finish();
    }
    // Host times: "<number> <unit>", 0 .. 10 ms.
    auto hostTime = [&](const YAML::Node& node, const std::string& key) {
        std::string err;
        auto q = parseQuantity(scalarText(node, file, key), Dimension::Seconds, err);
        if (!q || q->inCycles || q->value < 0 || q->value > 1e-2)
            r.failAt(node, key, q ? "must be a time between 0 and 10 ms" : err);
        return q->value;
    };
    if (const YAML::Node host = r.optional("host_overhead"); host.IsDefined() && !host.IsNull())
        s.hostOverheadS = hostTime(host, "host_overhead");
    // collective_host_overhead: one time for every degree, or a time per tensor-parallel degree ({2: 144 us, ...}).
    const YAML::Node coll = r.optional("collective_host_overhead");
    if (coll.IsMap()) {
        for (const auto& kv : coll) {
            const std::string key = "collective_host_overhead." + kv.first.Scalar();
            char* end = nullptr;
            const double tp = std::strtod(kv.first.Scalar().c_str(), &end);
            if (kv.first.Scalar().empty() || *end != '\0' || !(tp >= 2) || tp > 65536 || tp != std::floor(tp))
                r.failAt(kv.first, key, "a key must be a tensor-parallel degree >= 2");
            for (const auto& [seen, unused] : s.collectiveHostOverheadByTp)
                if (seen == tp)
                    r.failAt(kv.first, key, "this tensor-parallel degree is given twice");
            s.collectiveHostOverheadByTp.emplace_back(tp, hostTime(kv.second, key));
        }
        std::sort(s.collectiveHostOverheadByTp.begin(), s.collectiveHostOverheadByTp.end());
    } else if (coll.IsDefined() && !coll.IsNull()) {
        s.collectiveHostOverheadByTp = {{2.0, hostTime(coll, "collective_host_overhead")}};
    }
    const YAML::Node kernels = r.optional("kernels");
    if (kernels.IsDefined() && !kernels.IsNull()) {
        MapReader k(kernels, file, "kernels", r.line());
        s.embeddingKernels = k.optionalNumber("embedding", 1, 0, 64);
        s.normKernels = k.optionalNumber("norm", 1, 0, 64);
        s.qkNormKernels = k.optionalNumber("qk_norm", 1, 0, 64);
        s.ropeKernels = k.optionalNumber("rope", 1, 0, 64);
        s.kvAppendKernels = k.optionalNumber("kv_append", 1, 0, 64);
        s.activationKernels = k.optionalNumber("activation", 1, 0, 64);
        s.residualKernels = k.optionalNumber("residual", 1, 0, 64);
        s.routerKernels = k.optionalNumber("router", 2, 0, 64);
        s.attentionKernels = k.optionalNumber("attention", 1, 1, 64);
        k.finish();
    }
    const YAML::Node passes = r.optional("passes");
    if (passes.IsDefined() && !passes.IsNull()) {
        MapReader p(passes, file, "passes", r.line());
        s.normPasses = p.optionalNumber("norm", 1, 0, 64);
        s.ropePasses = p.optionalNumber("rope", 1, 0, 64);
        s.activationPasses = p.optionalNumber("activation", 1, 0, 64);
        s.residualPasses = p.optionalNumber("residual", 1, 0, 64);
        p.finish();
    }
    const YAML::Node mem = r.optional("memory");
    if (mem.IsDefined() && !mem.IsNull()) {
        MapReader m(mem, file, "memory", r.line());
        const YAML::Node ws = m.optional("workspace");
        if (ws.IsDefined() && !ws.IsNull()) {
            std::string err;
            auto q = parseQuantity(scalarText(ws, file, "memory.workspace"), Dimension::Bytes, err);
            if (!q || q->value < 0)
                m.failAt(ws, "workspace", q ? "must not be negative" : err);
            s.workspaceBytes = q->value;
        }
        s.activationMemoryFactor = m.optionalNumber("activation_factor", 1.0, 0.0, 100.0);
        m.finish();
    }
    const YAML::Node sched = r.optional("scheduler");
    if (sched.IsDefined() && !sched.IsNull()) {
        MapReader q(sched, file, "scheduler", r.line());
        SchedulerProfile& p = s.scheduler;
        p.framework = q.requiredChoice("framework", {"vllm", "sglang", "tensorrt-llm"});
        if (q.has("batching"))
            p.batching = q.requiredChoice("batching", {"mixed", "prefill_first"}) == "mixed"
                             ? SchedulerProfile::Batching::Mixed
                             : SchedulerProfile::Batching::PrefillFirst;
        p.tokenBudget = q.optionalInt("token_budget", p.tokenBudget, 1, int64_t(1) << 24);
        p.maxSeqs = q.optionalInt("max_seqs", p.maxSeqs, 0, int64_t(1) << 24);
        p.chunkedPrefill = q.optionalBool("chunked_prefill", p.chunkedPrefill);
        p.blockSize = q.optionalInt("block_size", p.blockSize, 1, 4096);
        p.admissionReserve = q.optionalNumber("admission_reserve", p.admissionReserve, 0.0, 1.0);
        p.prefixCacheHitRate = q.optionalNumber("prefix_cache_hit_rate", p.prefixCacheHitRate, 0.0, 1.0);
        const YAML::Node kvm = q.optional("kv_memory");
        if (kvm.IsDefined() && !kvm.IsNull()) {
            MapReader k(kvm, file, "scheduler.kv_memory", q.line());
            p.kvMemoryFraction = k.requiredNumber("fraction", 0.01, 1.0);
            const std::string of = k.requiredChoice("of", {"total", "static", "free"});
            p.kvBudget = of == "total"    ? SchedulerProfile::KvBudget::Total
                         : of == "static" ? SchedulerProfile::KvBudget::Static
                                          : SchedulerProfile::KvBudget::Free;
            k.finish();
        }
        if (const YAML::Node it = q.optional("iteration_overhead"); it.IsDefined() && !it.IsNull())
            p.iterationOverheadS = hostTime(it, "scheduler.iteration_overhead");
        p.overlapScheduler = q.optionalBool("overlap_scheduler", p.overlapScheduler);
        if (const YAML::Node fe = q.optional("frontend_latency"); fe.IsDefined() && !fe.IsNull()) {
            // Seconds of front-end work per request: "<number> <unit>", 0 .. 10 s.
            std::string err;
            auto v = parseQuantity(scalarText(fe, file, "scheduler.frontend_latency"), Dimension::Seconds, err);
            if (!v || v->inCycles || v->value < 0 || v->value > 10)
                r.failAt(fe, "scheduler.frontend_latency", v ? "must be a time between 0 and 10 s" : err);
            p.frontendLatencyS = v->value;
        }
        q.finish();
    }
    r.finish();
    return s;
}
} // namespace

StackProfile loadStackString(const std::string& text, const std::string& name) {
    return parseStack(loadYamlString(text, name), name);
}
StackProfile loadStackFile(const std::string& path) {
    return parseStack(loadYamlFile(path), path);
}
StackProfile loadStack(const std::string& nameOrPath) {
    return loadStackFile(findStackFile(nameOrPath));
}

} // namespace io
} // namespace rooflab
