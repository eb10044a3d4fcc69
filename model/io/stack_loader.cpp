#include "io/stack_loader.hpp"

#include "io/data_paths.hpp"
#include "io/yaml_util.hpp"
#include "units/dtype.hpp"
#include "units/quantity.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace rooflab {

namespace io {

namespace {

EffFamily familyOf(const std::string& s) {
    EffFamily f = EffFamily::Gemm;
    effFamilyFromName(s, f); // callers pass one of the names effFamilyName() writes
    return f;
}

/// The `efficiency:` section (workloads/kernel_efficiency.hpp): per platform, fitted surfaces and the held-out
/// values of their fit.
void parseEfficiency(const YAML::Node& node, const std::string& file, MapReader& parent, StackProfile& s) {
    MapReader e(node, file, "efficiency", parent.line());
    if (e.has("fp8_gemm"))
        s.fp8BlockGemm = e.requiredChoice("fp8_gemm", {"tensor", "block"}) == "block";
    const YAML::Node plats = e.optional("platforms");
    if (plats.IsDefined() && !plats.IsNull()) {
        if (!plats.IsMap())
            e.failAt(plats, "platforms", "must be a map of platform name -> surfaces");
        for (const auto& kv : plats) {
            KernelEfficiency k;
            k.platform = kv.first.Scalar();
            const std::string path = "efficiency.platforms." + k.platform;
            MapReader p(kv.second, file, path, lineOf(kv.first));
            k.system = p.optionalString("system");
            const YAML::Node held = p.optional("held_out");
            if (held.IsDefined() && !held.IsNull()) {
                MapReader h(held, file, path + ".held_out", p.line());
                for (const char* fam : {"gemm", "context_attention", "generation_attention", "moe", "collective"}) {
                    const YAML::Node f = h.optional(fam);
                    if (!f.IsDefined() || f.IsNull())
                        continue;
                    if (!f.IsMap())
                        h.failAt(f, fam, "must be a map of column -> held-out values");
                    EffHeldOut ho;
                    ho.family = familyOf(fam);
                    for (const auto& col : f) {
                        std::vector<int64_t> vals;
                        if (!col.second.IsSequence())
                            h.failAt(col.second, std::string(fam) + "." + col.first.Scalar(), "must be a list");
                        for (const auto& v : col.second) {
                            const std::string t = scalarText(v, file, path + ".held_out");
                            char* end = nullptr;
                            const long long x = std::strtoll(t.c_str(), &end, 10);
                            if (t.empty() || *end != '\0')
                                h.failAt(v, std::string(fam) + "." + col.first.Scalar(),
                                         "'" + t + "' is not an integer");
                            vals.push_back(x);
                        }
                        std::sort(vals.begin(), vals.end());
                        ho.axes.emplace_back(col.first.Scalar(), std::move(vals));
                    }
                    k.heldOut.push_back(std::move(ho));
                }
                h.finish();
            }
            const YAML::Node surf = p.optional("surfaces");
            if (surf.IsDefined() && !surf.IsNull()) {
                if (!surf.IsSequence())
                    p.failAt(surf, "surfaces", "must be a list");
                for (const auto& sn : surf) {
                    MapReader r(sn, file, path + ".surfaces", lineOf(sn));
                    EffSurface es;
                    es.family = familyOf(r.requiredChoice(
                        "family", {"gemm", "context_attention", "generation_attention", "moe", "collective"}));
                    es.dtype = r.requiredString("dtype");
                    es.headDim = static_cast<int>(r.optionalInt("head_dim", 0, 0, 4096));
                    const YAML::Node axes = r.required("axes");
                    if (!axes.IsSequence() || axes.size() < 1 || axes.size() > 4)
                        r.failAt(axes, "axes", "must be a list of 1 to 4 [first, step, count] knots");
                    for (const auto& a : axes) {
                        if (!a.IsSequence() || a.size() != 3)
                            r.failAt(a, "axes", "each axis is [first, step, count]");
                        EffGrid::Axis ax;
                        ax.lo = std::strtod(scalarText(a[0], file, "axes").c_str(), nullptr);
                        ax.step = std::strtod(scalarText(a[1], file, "axes").c_str(), nullptr);
                        ax.count = std::atoi(scalarText(a[2], file, "axes").c_str());
                        if (!(ax.step > 0) || ax.count < 1 || ax.count > 64 || !std::isfinite(ax.lo))
                            r.failAt(a, "axes", "an axis needs a step > 0 and 1 to 64 knots");
                        es.log2Scale.axes.push_back(ax);
                    }
                    const YAML::Node vals = r.required("log2_scale");
                    const std::string text = scalarText(vals, file, "log2_scale");
                    const char* c = text.c_str();
                    while (true) {
                        while (*c == ' ' || *c == '\n' || *c == '\t')
                            ++c;
                        if (*c == '\0')
                            break;
                        char* end = nullptr;
                        const double v = std::strtod(c, &end);
                        if (end == c || !std::isfinite(v) || std::fabs(v) > 20)
                            r.failAt(vals, "log2_scale",
                                     "value " + std::to_string(es.log2Scale.values.size() + 1) +
                                         " is not a number between -20 and 20");
                        es.log2Scale.values.push_back(v);
                        c = end;
                    }
                    if (es.log2Scale.values.size() != es.log2Scale.size())
                        r.failAt(vals, "log2_scale",
                                 std::to_string(es.log2Scale.values.size()) + " values for " +
                                     std::to_string(es.log2Scale.size()) + " knots");
                    const YAML::Node prov = r.optional("provenance");
                    if (prov.IsDefined() && !prov.IsNull()) {
                        MapReader pr(prov, file, path + ".surfaces.provenance", r.line());
                        es.method = pr.optionalString("method", "fitted");
                        const YAML::Node src = pr.optional("sources");
                        if (src.IsSequence())
                            for (const auto& f : src)
                                es.sources.push_back(scalarText(f, file, "sources"));
                        es.rows = pr.optionalInt("rows", 0, 0, int64_t(1) << 40);
                        es.fitMapePct = pr.optionalNumber("fit_mape", 0, 0, 1e6);
                        es.date = pr.optionalString("date");
                        if (const YAML::Node hf = pr.optional("host_floor"); hf.IsDefined() && !hf.IsNull()) {
                            if (!hf.IsMap())
                                pr.failAt(hf, "host_floor", "must map kernel sources to seconds");
                            for (const auto& floorKv : hf) {
                                const std::string kernel = scalarText(floorKv.first, file, "host_floor");
                                char* end = nullptr;
                                const std::string v = scalarText(floorKv.second, file, "host_floor");
                                const double sec = std::strtod(v.c_str(), &end);
                                if (end == v.c_str() || *end != '\0' || !(sec > 0 && sec < 1))
                                    pr.failAt(floorKv.second, "host_floor",
                                              "'" + v + "' for " + kernel + " is not a time in seconds (0 to 1)");
                                es.hostFloorS.emplace_back(kernel, sec);
                            }
                        }
                        pr.finish();
                    }
                    r.finish();
                    k.surfaces.push_back(std::move(es));
                }
            }
            p.finish();
            s.kernelEfficiency.push_back(std::move(k));
        }
    }
    e.finish();
}

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
    if (const YAML::Node host = r.optional("norm_host_overhead"); host.IsDefined() && !host.IsNull())
        s.normHostOverheadS = hostTime(host, "norm_host_overhead");
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
        s.moePermuteKernels = k.optionalNumber("moe_permute", 0, 0, 64);
        s.moeCombineKernels = k.optionalNumber("moe_combine", 0, 0, 64);
        k.finish();
    }
    const YAML::Node passes = r.optional("passes");
    if (passes.IsDefined() && !passes.IsNull()) {
        MapReader p(passes, file, "passes", r.line());
        s.normPasses = p.optionalNumber("norm", 1, 0, 64);
        s.ropePasses = p.optionalNumber("rope", 1, 0, 64);
        s.activationPasses = p.optionalNumber("activation", 1, 0, 64);
        s.residualPasses = p.optionalNumber("residual", 1, 0, 64);
        s.moePasses = p.optionalNumber("moe", 1, 0.1, 64);
        p.finish();
    }
    if (const YAML::Node kv = r.optional("kv_cache"); kv.IsDefined() && !kv.IsNull())
        s.kvAppendConcat = r.requiredChoice("kv_cache", {"preallocated", "concat"}) == "concat";
    // moe_kernels: the fused-MoE layout per expert datatype ({bfloat16: slots, fp8_block: {ep1: slots, ep2:
    // permuted}}): a layout, or a map from the smallest expert-parallel degree (ep<N>, starting at ep1) at which each
    // layout applies.
    if (const YAML::Node mk = r.optional("moe_kernels"); mk.IsDefined() && !mk.IsNull()) {
        if (!mk.IsMap())
            r.failAt(mk, "moe_kernels", "must be a map of expert datatype to layout (slots or permuted)");
        auto layoutOf = [&](const YAML::Node& v, const std::string& key) {
            const std::string t = v.IsScalar() ? v.Scalar() : "";
            if (t != "slots" && t != "permuted")
                r.failAt(v, key, "layout must be slots or permuted");
            return t == "slots" ? MoeLayout::Slots : MoeLayout::Permuted;
        };
        for (const auto& kv : mk) {
            const std::string dtype = kv.first.Scalar(), key = "moe_kernels." + dtype;
            if (std::find(std::begin(kMoeSurfaceDtypes), std::end(kMoeSurfaceDtypes), dtype) ==
                std::end(kMoeSurfaceDtypes)) {
                std::string known;
                for (const char* d : kMoeSurfaceDtypes)
                    known += std::string(known.empty() ? "" : ", ") + d;
                r.failAt(kv.first, key, "expert datatype must be one of " + known);
            }
            for (const MoeKernelRule& seen : s.moeKernels)
                if (seen.dtype == dtype)
                    r.failAt(kv.first, key, "this expert datatype is given twice");
            if (!kv.second.IsMap()) {
                s.moeKernels.push_back({dtype, 1, layoutOf(kv.second, key)});
                continue;
            }
            bool fromOne = false;
            for (const auto& e : kv.second) {
                const std::string es = e.first.Scalar(), ek = key + "." + es;
                int ep = 0;
                const char* first = es.c_str() + std::min<std::size_t>(2, es.size());
                const char* last = es.c_str() + es.size();
                const auto [end, ec] = std::from_chars(first, last, ep);
                if (es.compare(0, 2, "ep") != 0 || first == last || ec != std::errc() || end != last || ep < 1 ||
                    ep > 4096 || (first[0] == '0'))
                    r.failAt(e.first, ek, "a key must be ep<N>, the smallest expert-parallel degree it applies to");
                for (const MoeKernelRule& seen : s.moeKernels)
                    if (seen.dtype == dtype && seen.epMin == ep)
                        r.failAt(e.first, ek, "this expert-parallel degree is given twice");
                fromOne = fromOne || ep == 1;
                s.moeKernels.push_back({dtype, ep, layoutOf(e.second, ek)});
            }
            if (!fromOne)
                r.failAt(kv.second, key, "the map must start at ep1 (the layout without expert parallelism)");
        }
    }
    s.groupedGemmOverlap = r.optionalNumber("grouped_gemm_overlap", 1, 0, 1);
    s.groupedGemmDramFraction = r.optionalNumber("grouped_gemm_dram_fraction", 1, 0.1, 1);
    if (const YAML::Node da = r.optional("decode_attention"); da.IsDefined() && !da.IsNull()) {
        MapReader d(da, file, "decode_attention", r.line());
        s.decodeRepeatKv = d.optionalBool("repeat_kv", false);
        s.repeatKvPasses = d.optionalNumber("repeat_kv_passes", 1, 0.1, 64);
        s.decodeAttentionExtraKernels = d.optionalNumber("extra_kernels", 0, 0, 64);
        s.decodeKernel.maxQueryGroup = d.optionalNumber("max_query_group", 0, 0, 1024);
        d.finish();
    }
    // cpu: how a CPU framework runs on the cores (fitted by rooflab calibrate cpu --stack); curves keyed by threads.
    const YAML::Node cpu = r.optional("cpu");
    if (cpu.IsDefined() && !cpu.IsNull()) {
        MapReader c(cpu, file, "cpu", r.line());
        s.cpu.present = true;
        // Keys below are relative to the cpu: section: failAt adds "cpu.", hostTime and scalarText get c.keyPath().
        // A thread-count key (an integer >= 1) not yet in `seen`, a list of (threads, ...) pairs.
        auto threadKey = [&](const YAML::Node& keyNode, const std::string& k, const auto& seen) {
            char* end = nullptr;
            const double t = std::strtod(keyNode.Scalar().c_str(), &end);
            if (keyNode.Scalar().empty() || *end != '\0' || !(t >= 1) || t > 65536 || t != std::floor(t))
                c.failAt(keyNode, k, "a key must be a thread count >= 1");
            for (const auto& entry : seen)
                if (entry.first == t)
                    c.failAt(keyNode, k, "this thread count is given twice");
            return t;
        };
        auto boundedNumber = [&](const YAML::Node& node, const std::string& k, double lo, double hi) {
            char* end = nullptr;
            const std::string text = scalarText(node, file, c.keyPath(k));
            const double v = std::strtod(text.c_str(), &end);
            if (text.empty() || *end != '\0' || !(v >= lo) || v > hi)
                c.failAt(node, k, "must be a number between " + std::to_string(lo) + " and " + std::to_string(hi));
            return v;
        };
        // A datatype key, as its canonical name.
        auto dtypeKey = [&](const YAML::Node& keyNode, const std::string& k) {
            const auto type = parseDType(keyNode.Scalar());
            if (!type)
                c.failAt(keyNode, k, "unknown datatype; one of " + dtypeNameList());
            return std::string(dtypeName(*type));
        };
        auto curve = [&](const YAML::Node& node, const std::string& key, bool time, double lo, double hi) {
            ThreadCurve out;
            if (!node.IsMap())
                c.failAt(node, key, "must be a map of thread count to value ({1: ..., 16: ...})");
            for (const auto& kv : node) {
                const std::string k = key + "." + kv.first.Scalar();
                const double t = threadKey(kv.first, k, out);
                out.emplace_back(t, time ? hostTime(kv.second, c.keyPath(k)) : boundedNumber(kv.second, k, lo, hi));
            }
            std::sort(out.begin(), out.end());
            return out;
        };
        if (const YAML::Node h = c.optional("host_overhead"); h.IsDefined() && !h.IsNull())
            s.cpu.hostOverheadS = curve(h, "host_overhead", true, 0, 0);
        if (const YAML::Node h = c.optional("gemm_overhead"); h.IsDefined() && !h.IsNull())
            s.cpu.gemmOverheadS = curve(h, "gemm_overhead", true, 0, 0);
        if (const YAML::Node h = c.optional("attention_overhead"); h.IsDefined() && !h.IsNull())
            s.cpu.attentionOverheadS = curve(h, "attention_overhead", true, 0, 0);
        if (const YAML::Node h = c.optional("parallel_op_overhead"); h.IsDefined() && !h.IsNull())
            s.cpu.parallelOpOverheadS = curve(h, "parallel_op_overhead", true, 0, 0);
        if (const YAML::Node st = c.optional("step_overhead"); st.IsDefined() && !st.IsNull()) {
            MapReader so(st, file, "cpu.step_overhead", c.line());
            if (const YAML::Node n = so.optional("prefill"); n.IsDefined() && !n.IsNull())
                s.cpu.prefillStepS = hostTime(n, "cpu.step_overhead.prefill");
            if (const YAML::Node n = so.optional("decode"); n.IsDefined() && !n.IsNull())
                s.cpu.decodeStepS = hostTime(n, "cpu.step_overhead.decode");
            so.finish();
        }
        auto byType = [&](const char* key, CpuStackProfile::ByType& out, double lo, double hi) {
            const YAML::Node n = c.optional(key);
            if (!n.IsDefined() || n.IsNull())
                return;
            if (!n.IsMap())
                c.failAt(n, key, "must be a map of datatype to a curve by thread count");
            for (const auto& kv : n) {
                const std::string k = std::string(key) + "." + kv.first.Scalar();
                out[dtypeKey(kv.first, k)] = curve(kv.second, k, false, lo, hi);
            }
        };
        byType("gemv_dram_fraction", s.cpu.gemvDramFraction, 0.01, 10);
        if (const YAML::Node n = c.optional("gemv_shape"); n.IsDefined() && !n.IsNull()) {
            // datatype -> {threads: [[n, k, ratio], ...]}
            if (!n.IsMap())
                c.failAt(n, "gemv_shape", "must be a map of datatype to {thread count: [[n, k, ratio], ...]}");
            for (const auto& perType : n) {
                const std::string key = "gemv_shape." + perType.first.Scalar();
                auto& out = s.cpu.gemvShape[dtypeKey(perType.first, key)];
                if (!perType.second.IsMap())
                    c.failAt(perType.second, key, "must be a map of thread count to a list of [n, k, ratio]");
                for (const auto& byThreads : perType.second) {
                    const std::string k = key + "." + byThreads.first.Scalar();
                    const double t = threadKey(byThreads.first, k, out);
                    if (!byThreads.second.IsSequence())
                        c.failAt(byThreads.second, k, "must be a list of [n, k, ratio]");
                    std::vector<CpuStackProfile::GemvShape> shapes;
                    for (const auto& e : byThreads.second) {
                        if (!e.IsSequence() || e.size() != 3)
                            c.failAt(e, k, "each entry must be [n, k, ratio]");
                        shapes.push_back({boundedNumber(e[0], k, 1, 1e9), boundedNumber(e[1], k, 1, 1e9),
                                          boundedNumber(e[2], k, 0.01, 100)});
                    }
                    out.emplace_back(t, std::move(shapes));
                }
                std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
            }
        }
        byType("gemm_peak_fraction", s.cpu.gemmPeakFraction, 0.01, 10);
        byType("gemm_half_m", s.cpu.gemmHalfM, 0, 1e6);
        byType("attention_kv_fraction", s.cpu.attentionKvFraction, 0.01, 10);
        byType("attention_peak_fraction", s.cpu.attentionPeakFraction, 0.001, 10);
        if (const YAML::Node n = c.optional("attention_decode_head_key"); n.IsDefined() && !n.IsNull()) {
            if (!n.IsMap())
                c.failAt(n, "attention_decode_head_key", "must be a map of head size to a time curve by thread count");
            for (const auto& kv : n) {
                const std::string& text = kv.first.Scalar();
                const std::string k = "attention_decode_head_key." + text;
                char* end = nullptr;
                const long hd = std::strtol(text.c_str(), &end, 10);
                if (text.empty() || *end != '\0' || hd < 1 || hd > 4096)
                    c.failAt(kv.first, k, "must be a head size between 1 and 4096");
                s.cpu.attentionDecodeSPerHeadKey[int(hd)] = curve(kv.second, k, true, 0, 1e-3);
            }
        }
        c.finish();
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
        if (const YAML::Node it = q.optional("sequence_overhead"); it.IsDefined() && !it.IsNull())
            p.sequenceOverheadS = hostTime(it, "scheduler.sequence_overhead");
        p.overlapScheduler = q.optionalBool("overlap_scheduler", p.overlapScheduler);
        if (const YAML::Node fe = q.optional("frontend_latency"); fe.IsDefined() && !fe.IsNull()) {
            // Seconds of front-end work per request: "<number> <unit>", 0 .. 10 s.
            std::string err;
            auto v = parseQuantity(scalarText(fe, file, "scheduler.frontend_latency"), Dimension::Seconds, err);
            if (!v || v->inCycles || v->value < 0 || v->value > 10)
                r.failAt(fe, "scheduler.frontend_latency", v ? "must be a time between 0 and 10 s" : err);
            p.frontendLatencyS = v->value;
        }
        if (const YAML::Node fit = q.optional("fitted"); fit.IsDefined() && !fit.IsNull()) {
            // Provenance of fitted scheduler values: {provenance: fitted, keys: [...], dataset: FILE, rows: [ids]}.
            MapReader f(fit, file, "scheduler.fitted", q.line());
            if (f.requiredChoice("provenance", {"fitted"}) != "fitted")
                f.fail("provenance", "must be fitted");
            auto strings = [&](const char* key) {
                std::vector<std::string> out;
                const YAML::Node list = f.required(key);
                if (!list.IsSequence())
                    f.failAt(list, key, "must be a list");
                for (const YAML::Node& n : list)
                    out.push_back(scalarText(n, file, f.keyPath(key)));
                return out;
            };
            p.fitted.keys = strings("keys");
            for (const std::string& k : p.fitted.keys)
                if (k != "sequence_overhead" && k != "frontend_latency" && k != "iteration_overhead")
                    f.fail("keys", "'" + k +
                                       "' is not a fitted scheduler value (sequence_overhead, frontend_latency, "
                                       "iteration_overhead)");
            p.fitted.dataset = f.requiredString("dataset");
            p.fitted.rows = strings("rows");
            f.finish();
        }
        q.finish();
    }
    if (const YAML::Node eff = r.optional("efficiency"); eff.IsDefined() && !eff.IsNull())
        parseEfficiency(eff, file, r, s);
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
