#include "engine/predict.hpp"

namespace rooflab {

PlatformTarget PlatformTarget::from(const Platform& p) {
    PlatformTarget t{p, PlatformModel::from(p), std::nullopt};
    if (p.kind == DeviceKind::Cpu)
        t.cpu = cpuMachineFrom(p);
    return t;
}

namespace {

Result failed(std::string why) {
    Result r;
    r.ok = false;
    r.error = std::move(why);
    return r;
}

Result llmStep(const PlatformModel& pm, const LlmTarget& t, const Request& q) {
    Prediction p = predictStep(pm, *t.arch, *t.stack, q.scenario, q.withOps);
    Result r;
    r.ok = p.ok;
    r.error = p.error;
    r.errorKey = p.errorKey;
    if (p.ok) {
        r.latencyS = p.latencyS;
        r.flops = p.flops;
        r.dramBytes = p.bytes;
        r.tokensPerS = p.tokensPerS;
        r.bound = p.bound;
        r.fits = p.memory.fits;
    }
    r.detail = std::move(p);
    return r;
}

Result llmRequest(const PlatformModel& pm, const LlmTarget& t, const Request& q) {
    RequestPrediction p = predictRequest(pm, *t.arch, *t.stack, q.scenario);
    Result r;
    r.ok = p.prefill.ok;
    r.error = p.prefill.error;
    r.errorKey = p.prefill.errorKey;
    if (r.ok) {
        r.latencyS = p.e2eS;
        r.flops = p.prefill.flops;
        r.dramBytes = p.prefill.bytes;
        r.tokensPerS = p.tokensPerS;
        r.bound = p.decodeFirst.bound;
        r.fits = p.prefill.memory.fits && p.decodeFirst.memory.fits;
    }
    if (!q.withOps) {
        p.prefill.ops.clear();
        p.decodeFirst.ops.clear();
    }
    r.detail = std::move(p);
    return r;
}

Result gemm(const PlatformModel& pm, const GemmWork& w) {
    const GemmCase& g = w.gemm;
    if (g.m < 1 || g.n < 1 || g.k < 1 || g.batch < 1)
        return failed("GEMM dimensions and batch must be at least 1");
    GemmPrediction p;
    p.computeType = pm.computeType(g.dtype, p.fellBack);
    p.op = evalGemm(pm, "gemm", double(g.m), double(g.n), double(g.k), g.dtype, g.weightType, p.computeType,
                    w.launch == KernelLaunch::Graph ? LaunchMode::Graph : LaunchMode::Stream, double(g.batch),
                    gemmOutputBytesPerElement(g.dtype));
    Result r;
    r.latencyS = p.op.timeS;
    r.flops = p.op.flops;
    r.dramBytes = p.op.bytes[kDram];
    r.bound = p.op.bound;
    r.fits = pm.capacityBytes[kDram] <= 0 || p.op.bytes[kDram] <= pm.capacityBytes[kDram];
    r.detail = p;
    return r;
}

Result llm(const PlatformModel& pm, const Request& q) {
    const LlmTarget* t = q.llm();
    if (!t->arch || !t->stack)
        return failed("the request's model or stack is not resolved (front-end error)");
    if (pm.kind == DeviceKind::Cpu && t->stack->cpu.present) {
        // A CPU framework: its GEMV/GEMM/attention rates and its per-op host time at this thread count.
        const Scenario& s = q.scenario;
        const DType act = (s.act == DType::int8 || s.act == DType::int4) ? DType::bf16 : s.act;
        // GGUF weights on a framework with rates for their format (llama.cpp) take that format's GEMM rates.
        const bool ggufRates = isGgufBlock(s.weights) && t->stack->cpu.gemmPeakFraction.count(dtypeName(s.weights));
        const PlatformModel cpm =
            withCpuStack(pm, t->stack->cpu, ggufRates ? s.weights : act, act, double(t->arch->headDim));
        StackProfile stack = *t->stack;
        stack.hostOverheadS =
            threadCurveAt(stack.cpu.hostOverheadS, pm.cpuThreads > 0 ? pm.cpuThreads : pm.units, stack.hostOverheadS);
        LlmTarget cpuTarget = *t;
        cpuTarget.stack = &stack;
        if (std::holds_alternative<LlmRequest>(q.workload))
            return llmRequest(cpm, cpuTarget, q);
        return llmStep(cpm, cpuTarget, q);
    }
    if (std::holds_alternative<LlmRequest>(q.workload))
        return llmRequest(pm, *t, q);
    return llmStep(pm, *t, q);
}

} // namespace

Result predict(const PlatformModel& pm, const Request& q) {
    if (std::holds_alternative<ServingWork>(q.workload))
        return failed("a serving case is simulated by the serving layer (serving::simulateRequest), not predict()");
    if (q.llm()) {
        if (q.cpuThreads > 0)
            return failed("a CPU thread count needs the platform's hardware description (PlatformTarget)");
        return llm(pm, q);
    }
    if (const auto* g = std::get_if<GemmWork>(&q.workload))
        return gemm(pm, *g);
    return failed("CPU kernels need the platform's CPU model (PlatformTarget)");
}

Result predict(const PlatformTarget& platform, const Request& q) {
    if (q.llm() && q.cpuThreads > 0) {
        if (platform.hardware.kind != DeviceKind::Cpu)
            return failed("a thread count applies to CPU platforms; " + platform.hardware.name + " is not one");
        if (double(q.cpuThreads) > platform.hardware.units())
            return failed("threads " + std::to_string(q.cpuThreads) + " exceed the " +
                          std::to_string(static_cast<long long>(platform.hardware.units())) + " hardware threads of " +
                          platform.hardware.name);
        return llm(withCpuThreads(platform.hardware, platform.model, q.cpuThreads), q);
    }
    if (const auto* c = std::get_if<CpuKernelWork>(&q.workload)) {
        if (!platform.cpu)
            return failed("CPU kernels need a CPU platform; " + platform.hardware.name + " is not one");
        CpuKernelResult k = evalCpuKernel(*platform.cpu, c->kernel);
        Result r;
        r.ok = k.ok;
        r.error = k.failReason;
        if (k.ok) {
            r.latencyS = k.timeS;
            r.flops = k.flops;
            r.dramBytes = k.bytes;
            r.boundText = k.bound;
            r.bound = k.bound.rfind("compute", 0) == 0 ? Bound::Compute : Bound::Dram;
        }
        r.detail = std::move(k);
        return r;
    }
    return predict(platform.model, q);
}

Prediction stepOrError(Result&& r) {
    if (auto* p = std::get_if<Prediction>(&r.detail))
        return std::move(*p);
    Prediction p;
    p.ok = false;
    p.error = std::move(r.error);
    p.errorKey = std::move(r.errorKey);
    return p;
}

RequestPrediction requestOrError(Result&& r) {
    if (auto* q = std::get_if<RequestPrediction>(&r.detail))
        return std::move(*q);
    RequestPrediction q;
    q.prefill.ok = false;
    q.prefill.error = std::move(r.error);
    q.prefill.errorKey = std::move(r.errorKey);
    return q;
}

} // namespace rooflab
