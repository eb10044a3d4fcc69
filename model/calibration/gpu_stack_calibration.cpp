#include "calibration/gpu_stack_calibration.hpp"

#include "analysis/ops.hpp"
#include "analysis/platform_model.hpp"
#include "analysis/step_graph.hpp"
#include "units/errors.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <sstream>

namespace rooflab {
namespace {

std::string num(double v, int digits = 4) {
    std::ostringstream o;
    o.precision(digits);
    o << v;
    return o.str();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// The passes at which `timeAt(passes)` equals `want` (bisection in log space; the time grows with the passes).
double solvePasses(const std::function<double(double)>& timeAt, double want) {
    double lo = 0.05, hi = 64;
    if (timeAt(hi) < want)
        return hi;
    if (timeAt(lo) > want)
        return lo;
    for (int it = 0; it < 60; ++it) {
        const double mid = std::sqrt(lo * hi);
        (timeAt(mid) < want ? lo : hi) = mid;
    }
    return std::sqrt(lo * hi);
}

struct PassFit {
    double passes = 0;
    double mapePct = 0;
    std::size_t rows = 0;
};

/// Median of the per-row solutions, and the MAPE of the rows at that median.
PassFit fitRows(const std::vector<std::pair<std::function<double(double)>, double>>& rows) {
    PassFit f;
    if (rows.empty())
        return f;
    std::vector<double> found;
    for (const auto& [timeAt, want] : rows)
        found.push_back(solvePasses(timeAt, want));
    f.passes = median(found);
    double err = 0;
    for (const auto& [timeAt, want] : rows)
        err += std::abs(timeAt(f.passes) / want - 1.0);
    f.mapePct = 100.0 * err / double(rows.size());
    f.rows = rows.size();
    return f;
}

} // namespace

GpuStackFit fitGpuStack(const Platform& platform, const StackProfile& base, const io::CsvTable& ops,
                        const io::CsvTable& hostFloor) {
    GpuStackFit fit;
    const PlatformModel pm = PlatformModel::from(platform);

    // 1. Host time per kernel: per family, the change of the forward's time between its two depths over the change
    //    of its kernel count. With a norm_kernels column, norm kernels (plain tensor ops inside one module) and the
    //    others get their own time: least squares over the families' (d norm kernels, d other kernels, d time).
    {
        const int cF = hostFloor.requireColumn("family"), cL = hostFloor.requireColumn("layers"),
                  cK = hostFloor.requireColumn("kernels"), cT = hostFloor.requireColumn("median_s");
        const int cN = hostFloor.column("norm_kernels");
        struct Pt {
            double kernels, norms, seconds;
        };
        std::map<std::string, std::vector<Pt>> byFamily;
        for (std::size_t i = 0; i < hostFloor.rows.size(); ++i) {
            hostFloor.number(i, cL, 1, 4096);
            const double k = hostFloor.number(i, cK, 1, 1e7);
            byFamily[hostFloor.text(i, cF)].push_back(
                {k, cN >= 0 ? hostFloor.number(i, cN, 0, k) : 0.0, hostFloor.number(i, cT, 1e-7, 100)});
        }
        struct Delta {
            std::string family;
            double norms, others, seconds;
        };
        std::vector<Delta> deltas;
        for (auto& [family, pts] : byFamily) {
            if (pts.size() < 2)
                continue;
            std::sort(pts.begin(), pts.end(), [](const Pt& a, const Pt& b) { return a.kernels < b.kernels; });
            const Pt& a = pts.front();
            const Pt& b = pts.back();
            if (b.kernels <= a.kernels)
                continue;
            deltas.push_back(
                {family, b.norms - a.norms, (b.kernels - b.norms) - (a.kernels - a.norms), b.seconds - a.seconds});
        }
        if (deltas.empty())
            throw InputError(hostFloor.file, 0, "layers",
                             "needs two depths of one family (rows with the same family and different kernels)");
        const double scale = pm.hostOverheadScale > 0 ? pm.hostOverheadScale : 1.0;
        std::vector<double> slopes;
        std::string perFamily;
        for (const Delta& d : deltas) {
            const double s = d.seconds / (d.norms + d.others);
            slopes.push_back(s);
            perFamily += (perFamily.empty() ? "" : ", ") + d.family + " " + num(s * 1e6, 3) + " us";
        }
        // Two classes: normal equations of seconds = norms x hn + others x ho.
        double snn = 0, sno = 0, soo = 0, sns = 0, sos = 0;
        for (const Delta& d : deltas) {
            snn += d.norms * d.norms;
            sno += d.norms * d.others;
            soo += d.others * d.others;
            sns += d.norms * d.seconds;
            sos += d.others * d.seconds;
        }
        const double det = snn * soo - sno * sno;
        const double hn = det > 1e-9 * snn * soo ? (sns * soo - sos * sno) / det : 0.0;
        const double ho = det > 1e-9 * snn * soo ? (sos * snn - sns * sno) / det : 0.0;
        if (cN >= 0 && hn > 0 && ho > 0) {
            fit.hostOverheadS = ho / scale;
            fit.normHostOverheadS = hn / scale;
            double err = 0;
            for (const Delta& d : deltas)
                err += std::abs((d.norms * hn + d.others * ho) / d.seconds - 1.0);
            fit.notes.push_back("host_overhead " + num(fit.hostOverheadS * 1e6) + " us, norm_host_overhead " +
                                num(fit.normHostOverheadS * 1e6) +
                                " us: least squares of the forward's per-depth time change over its norm and other "
                                "kernels, " +
                                std::to_string(deltas.size()) + " families (MAPE " +
                                num(100.0 * err / double(deltas.size()), 3) +
                                " %), divided by the platform's host_overhead_scale " + num(scale) +
                                "; one slope per family: " + perFamily);
        } else {
            fit.hostOverheadS = median(slopes) / scale;
            fit.notes.push_back("host_overhead " + num(fit.hostOverheadS * 1e6) +
                                " us: median over families of the forward's per-layer time slope / kernel slope (" +
                                perFamily + "), divided by the platform's host_overhead_scale " + num(scale));
        }
    }

    // 2. Passes of the framework's own element-wise kernels and of repeat_kv.
    const int cOp = ops.requireColumn("op"), cB = ops.requireColumn("batch"), cR = ops.requireColumn("rows"),
              cC = ops.requireColumn("cols"), cH = ops.requireColumn("heads"), cKv = ops.requireColumn("kv_heads"),
              cD = ops.requireColumn("head_dim"), cS = ops.requireColumn("seq_k"), cT = ops.requireColumn("median_s");
    using Row = std::pair<std::function<double(double)>, double>;
    std::vector<Row> norm, rope, repeat, moe;
    // the sparse-MoE block's two grouped GEMMs (torch.profiler): time as a function of the overlap
    std::vector<std::pair<std::function<double(double, double)>, double>> grouped;
    const double strided = pm.stridedElementwiseBytesPerS;
    for (std::size_t i = 0; i < ops.rows.size(); ++i) {
        const std::string& op = ops.text(i, cOp);
        const double t = ops.number(i, cT, 1e-8, 100);
        if (op == "hf_rmsnorm") {
            const double rows = ops.number(i, cR, 1, 1e8), cols = ops.number(i, cC, 1, 1e6);
            if (rows < 2048)
                continue;
            const double bytes = rows * cols * 2.0;
            const double k = base.normKernels;
            norm.emplace_back(
                [=, &pm](double p) {
                    return evalMemoryOp(pm, "norm", OpClass::Norm, bytes * p, bytes * p, 4.0 * rows * cols, k,
                                        LaunchMode::Graph, cols)
                        .timeS;
                },
                t);
        } else if (op == "hf_rope") {
            const double rows = ops.number(i, cR, 1, 1e8), cols = ops.number(i, cC, 1, 1e6);
            if (rows < 2048)
                continue;
            const double bytes = rows * cols * 2.0;
            const double k = base.ropeKernels, rate = base.stridedElementwise ? strided : 0.0;
            rope.emplace_back(
                [=, &pm](double p) {
                    return evalMemoryOp(pm, "rope", OpClass::Rope, bytes * p, bytes * p, rows * cols, k,
                                        LaunchMode::Graph, 0, rate)
                        .timeS;
                },
                t);
        } else if (op == "moe_grouped_gemm") {
            const double T = ops.number(i, cB, 1, 1e7), h = ops.number(i, cC, 1, 1e6), E = ops.number(i, cH, 1, 4096),
                         k = ops.number(i, cKv, 1, 64), w = ops.number(i, cD, 1, 1e6);
            const ExpertsTouched e = expertsTouched(T, k, E);
            const OpResult gu = evalGemm(pm, "experts_gate_up", e.rowsPerExpert, 2 * w, h, DType::bf16, DType::bf16,
                                         DType::bf16, LaunchMode::Graph, e.experts);
            const OpResult dn = evalGemm(pm, "experts_down", e.rowsPerExpert, h, w, DType::bf16, DType::bf16,
                                         DType::bf16, LaunchMode::Graph, e.experts);
            grouped.emplace_back(
                [gu, dn](double overlap, double dramFraction) {
                    OpResult a = gu, b = dn;
                    applyGroupedGemmOverlap(a, overlap, dramFraction);
                    applyGroupedGemmOverlap(b, overlap, dramFraction);
                    return a.timeS + b.timeS;
                },
                t);
        } else if (op == "moe_other") {
            // The sparse-MoE block's kernels besides its grouped GEMMs (router, permutation, activation, combine), of
            // 4096+ tokens, where their bytes dominate.
            const double T = ops.number(i, cB, 1, 1e7), h = ops.number(i, cC, 1, 1e6), E = ops.number(i, cH, 1, 4096),
                         k = ops.number(i, cKv, 1, 64), w = ops.number(i, cD, 1, 1e6);
            if (T < 4096 || base.moePermuteKernels <= 0)
                continue;
            const double fixedS =
                evalGemm(pm, "router", T, E, h, DType::bf16, DType::bf16, DType::bf16, LaunchMode::Graph).timeS +
                evalMemoryOp(pm, "router_topk", OpClass::Other, T * E * 2.0, T * E * 2.0, T * E, base.routerKernels,
                             LaunchMode::Graph)
                    .timeS;
            const MoeSideBytes sb = moeSideBytes(T * k, T, h, w, 2.0);
            const double kp = base.moePermuteKernels, ka = base.activationKernels, kc = base.moeCombineKernels;
            moe.emplace_back(
                [=, &pm](double p) {
                    return fixedS +
                           evalMemoryOp(pm, "p", OpClass::Other, sb.permuteRead * p, sb.permuteWritten * p, 0, kp,
                                        LaunchMode::Graph, 0, strided)
                               .timeS +
                           evalMemoryOp(pm, "a", OpClass::Elementwise, sb.activationRead * p, sb.activationWritten * p,
                                        0, ka, LaunchMode::Graph, 0, strided)
                               .timeS +
                           evalMemoryOp(pm, "c", OpClass::Other, sb.combineRead * p, sb.combineWritten * p, 0, kc,
                                        LaunchMode::Graph, 0, strided)
                               .timeS;
                },
                t);
        } else if (op == "attn_decode_repeat_kv_only") {
            const double b = ops.number(i, cB, 1, 1e6), h = ops.number(i, cH, 1, 1024),
                         kv = ops.number(i, cKv, 1, 1024), d = ops.number(i, cD, 1, 1024),
                         s = ops.number(i, cS, 1, 1e8);
            const double cachedBytes = b * s * kv * d * 2 * 2.0, expandedBytes = cachedBytes * h / kv;
            if (cachedBytes < 64e6 || h <= kv)
                continue;
            repeat.emplace_back(
                [=, &pm](double p) {
                    return evalMemoryOp(pm, "repeat_kv", OpClass::Attention, cachedBytes * p, expandedBytes * p, 0, 2,
                                        LaunchMode::Graph, 0, strided)
                        .timeS;
                },
                t);
        }
    }
    const PassFit n = fitRows(norm), r = fitRows(rope), k = fitRows(repeat), m = fitRows(moe);
    if (n.rows == 0 && r.rows == 0 && k.rows == 0)
        throw InputError(ops.file, 0, "op",
                         "no hf_rmsnorm / hf_rope rows of 2048+ rows and no attn_decode_repeat_kv_only rows of a "
                         "64 MB+ cache: nothing to fit");
    fit.normPasses = n.passes;
    fit.ropePasses = r.passes;
    fit.repeatKvPasses = k.passes;
    fit.moePasses = m.passes;
    if (!grouped.empty()) {
        // grid search: the overlap in [0, 1] and the DRAM fraction in [0.5, 1] with the least MAPE over the rows
        double best = 1, bestDram = 1, bestErr = 1e300;
        for (int i = 0; i <= 100; i += 2)
            for (int j = 50; j <= 100; ++j) {
                const double o = i / 100.0, d = j / 100.0;
                double err = 0;
                for (const auto& [timeAt, want] : grouped)
                    err += std::abs(timeAt(o, d) / want - 1.0);
                if (err < bestErr - 1e-12) {
                    bestErr = err;
                    best = o;
                    bestDram = d;
                }
            }
        double rooflineErr = 0;
        for (const auto& [timeAt, want] : grouped)
            rooflineErr += std::abs(timeAt(1.0, 1.0) / want - 1.0);
        fit.groupedGemmOverlap = best;
        fit.groupedGemmDramFraction = bestDram;
        fit.hasGroupedGemmOverlap = true;
        const double rowsN = double(grouped.size());
        fit.notes.push_back("grouped_gemm_overlap " + num(best, 3) + ", grouped_gemm_dram_fraction " +
                            num(bestDram, 3) + ": least MAPE over " + std::to_string(grouped.size()) +
                            " moe_grouped_gemm rows (the block's two grouped GEMMs, torch.profiler, 1-16384 tokens): " +
                            num(100.0 * bestErr / rowsN, 3) +
                            " % (roofline, overlap 1: " + num(100.0 * rooflineErr / rowsN, 3) + " %)");
    }
    auto note = [&](const char* key, const PassFit& f, const std::string& what) {
        if (f.rows)
            fit.notes.push_back(std::string(key) + " " + num(f.passes) + ": median of " + std::to_string(f.rows) + " " +
                                what + " solved on the memory-op evaluator (graph launch), MAPE " + num(f.mapePct, 3) +
                                " %");
    };
    note("passes.norm", n, "hf_rmsnorm rows (2048+ rows, " + num(base.normKernels) + " kernels each)");
    note("passes.rope", r,
         "hf_rope rows (2048+ rows, " + num(base.ropeKernels) + " kernels, " +
             (base.stridedElementwise ? "strided rate)" : "DRAM rate)"));
    note("passes.moe", m,
         "moe_other rows (the sparse-MoE block less its grouped GEMMs, torch.profiler, 4096+ tokens; router GEMM "
         "and top-k at the stack's counts, the rest moeSideBytes at the strided rate)");
    note("decode_attention.repeat_kv_passes", k,
         "attn_decode_repeat_kv_only rows (cache 64 MB+, 2 kernels, strided rate)");
    return fit;
}

std::string writeGpuStackYaml(const std::string& text, const GpuStackFit& fit, const std::string& provenance,
                              const std::string& file) {
    // Every key this calibration writes, (section, key) with section "" the top level, and its value text where this
    // fit produced it. A key the file has but this fit did not produce is refused: it would keep an older fit's value
    // next to the new provenance block.
    struct Field {
        std::pair<std::string, std::string> at;
        bool fitted;
        std::string value;
    };
    const Field fields[] = {
        {{"", "host_overhead"}, fit.hostOverheadS > 0, num(fit.hostOverheadS * 1e6) + " us"},
        {{"", "norm_host_overhead"}, fit.normHostOverheadS > 0, num(fit.normHostOverheadS * 1e6) + " us"},
        {{"", "grouped_gemm_overlap"}, fit.hasGroupedGemmOverlap, num(fit.groupedGemmOverlap, 3)},
        {{"", "grouped_gemm_dram_fraction"}, fit.hasGroupedGemmOverlap, num(fit.groupedGemmDramFraction, 3)},
        {{"passes", "norm"}, fit.normPasses > 0, num(fit.normPasses)},
        {{"passes", "rope"}, fit.ropePasses > 0, num(fit.ropePasses)},
        {{"passes", "moe"}, fit.moePasses > 0, num(fit.moePasses)},
        {{"decode_attention", "repeat_kv_passes"}, fit.repeatKvPasses > 0, num(fit.repeatKvPasses)},
    };
    std::map<std::pair<std::string, std::string>, std::string> values;
    std::set<std::pair<std::string, std::string>> fittable;
    for (const Field& f : fields) {
        fittable.insert(f.at);
        if (f.fitted)
            values[f.at] = f.value;
    }
    static const std::string kMarker = "# Fitted by rooflab calibrate gpu-stack";
    std::istringstream in(text);
    std::ostringstream out;
    std::string line, section;
    std::map<std::pair<std::string, std::string>, bool> done;
    int lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        if (line.rfind(kMarker, 0) == 0)
            break; // the previous fit's trailing block: regenerated below
        const std::size_t key0 = line.find_first_not_of(' ');
        const std::size_t colon = line.find(':');
        if (key0 == std::string::npos || line[key0] == '#' || colon == std::string::npos) {
            out << line << "\n";
            continue;
        }
        const std::string key = line.substr(key0, colon - key0);
        if (key0 == 0)
            section = key;
        const std::pair<std::string, std::string> at{key0 == 0 ? "" : section, key};
        if (values.find(at) == values.end() && fittable.contains(at))
            throw InputError(file, lineNo, at.first.empty() ? at.second : at.first + "." + at.second,
                             "not refitted: the measurements have no rows for it (remove the key or give the rows)");
        if (const auto it = values.find(at); it != values.end()) {
            const std::size_t hash = line.find('#', colon);
            line = line.substr(0, colon + 1) + " " + it->second +
                   (hash != std::string::npos ? "   " + line.substr(hash) : "");
            done[at] = true;
        }
        out << line << "\n";
    }
    for (const auto& [at, v] : values)
        if (!done[at])
            throw InputError(file, 0, at.first.empty() ? at.second : at.first + "." + at.second,
                             "the stack profile has no such key to write the fitted value into");
    out << kMarker << " (" << provenance << "), from single-op microbenchmarks only:\n";
    for (const auto& n : fit.notes)
        out << "#   " << n << "\n";
    return out.str();
}

} // namespace rooflab
