#include "calibration/calibrate.hpp"

#include "analysis/ops.hpp"
#include "io/csv.hpp"
#include "io/stack_loader.hpp"
#include "io/yaml_util.hpp"
#include "units/errors.hpp"
#include "units/quantity.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <span>

namespace rooflab {

namespace fs = std::filesystem;

namespace {

struct GemmPoint {
    double m, n, k;
    DType dtype;
    double measuredS;
};

struct AttentionPoint {
    AttentionShape shape;
    double measuredS;
};

double mape(const std::vector<double>& pred, const std::vector<double>& meas) {
    double s = 0;
    for (std::size_t i = 0; i < pred.size(); ++i)
        s += std::fabs(pred[i] - meas[i]) / meas[i];
    return pred.empty() ? 0.0 : 100.0 * s / static_cast<double>(pred.size());
}

/// Golden-section-free robust 1-D search: scan a grid, then refine around the best point twice.
double search1d(double lo, double hi, int steps, const std::function<double(double)>& cost) {
    double bestX = lo, bestC = cost(lo);
    for (int round = 0; round < 3; ++round) {
        const double step = (hi - lo) / steps;
        for (int i = 0; i <= steps; ++i) {
            const double x = lo + step * i;
            const double c = cost(x);
            if (c < bestC) {
                bestC = c;
                bestX = x;
            }
        }
        lo = std::max(lo, bestX - step);
        hi = std::min(hi, bestX + step);
    }
    return bestX;
}

Value fitted(double v, const std::string& src) {
    Value out;
    out.si = v;
    out.source = src;
    out.present = true;
    return out;
}

/// Median of a set of fitted ratios and their mean absolute deviation from it (%), the fit error reported.
struct Central {
    double median = 0;
    double spreadPct = 0;
};
Central medianAndSpread(std::vector<double> v) {
    Central c;
    if (v.empty())
        return c;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    c.median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    for (double x : v)
        c.spreadPct += std::fabs(x - c.median) / c.median;
    c.spreadPct *= 100.0 / static_cast<double>(n);
    return c;
}

std::string readProvenance(const std::string& dir, Source& measured) {
    const fs::path p = fs::path(dir) / "provenance.json";
    std::error_code ec;
    if (!fs::is_regular_file(p, ec))
        return "no provenance.json in " + dir;
    const YAML::Node j = io::loadYamlFile(p.string());
    auto get = [&](const char* k) { return j[k].IsDefined() && j[k].IsScalar() ? j[k].Scalar() : std::string(); };
    measured.card = get("card");
    measured.driver = get("driver");
    measured.date = get("date");
    measured.tool = get("tool");
    return "";
}

/// Kernels PyTorch launches for each op of op_microbench.py's elementwise tables, as its docstring lists them
/// (0: not used). The stacks' own kernels are the strided ones (`--only strided`): RoPE on q/k views of the
/// fused QKV output, SiLU-multiply on the chunks of the fused gate-up output, the decode KV append from a view;
/// where those were not measured at small sizes the contiguous ops stand in (on an H200, 2026-12-02, the two
/// fits agree: 2.05 and 1.98 us per kernel). `copy` is an index_copy_ gather-scatter, not the stacks' KV append.
double elementwiseKernels(const std::string& op) {
    if (op == "rope_strided" || op == "rope")
        return 5; // neg, cat (rotate_half), x*cos, rot*sin, add
    if (op == "silu_mul_chunked" || op == "silu_mul")
        return 2;
    if (op == "kv_copy_strided" || op == "add" || op == "rms_norm")
        return 1;
    return 0;
}

struct ElementwisePoint {
    bool norm;
    bool strided; ///< timed as the engine times the stack's op: its pass bytes at the strided rate
    double kernels, cols, bytes, measuredS;
};

/// The pytorch-eager stack's passes for a strided op of the tables (0: not one of the stack's strided ops).
double stridedPasses(const StackProfile& eager, const std::string& op) {
    return op == "rope_strided" ? eager.ropePasses : op == "silu_mul_chunked" ? eager.activationPasses : 0;
}

/// An elementwise table's points. Small rows (<= 64, a few MB) are where the fixed time and the row latency are the
/// whole time: `small` (element-wise ops) and `norms` (rms_norm). Larger rows are bandwidth, measured cold (rotating
/// buffers) where the engine's activations are L2-hot; only the stack's strided ops at >= 2048 rows are used there
/// (`large`), for their rate. The stack's strided ops carry the bytes the engine gives them (its passes).
struct ElementwiseRows {
    std::vector<ElementwisePoint> small, norms, large;
};
ElementwiseRows elementwiseRows(const io::CsvTable& t, const StackProfile& eager) {
    const int cOp = t.requireColumn("op"), cRows = t.requireColumn("rows"), cCols = t.requireColumn("cols"),
              cBytes = t.requireColumn("bytes_moved"), cT = t.requireColumn("median_s");
    ElementwiseRows out;
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
        const std::string op = t.text(i, cOp);
        const double kernels = elementwiseKernels(op);
        if (kernels <= 0)
            continue;
        const double rows = t.number(i, cRows, 1, 1e9), cols = t.number(i, cCols, 1, 1e9);
        const double measuredS = t.number(i, cT, 1e-12, 1e3);
        const double passes = stridedPasses(eager, op);
        const bool norm = op == "rms_norm";
        if (rows <= 64) {
            const double bytes = passes > 0 ? 2.0 * rows * cols * 2.0 * passes : t.number(i, cBytes, 1, 1e15);
            (norm ? out.norms : out.small).push_back({norm, passes > 0, kernels, cols, bytes, measuredS});
        } else if (passes > 0 && rows >= 2048) {
            out.large.push_back({false, true, kernels, cols, 2.0 * rows * cols * 2.0 * passes, measuredS});
        }
    }
    return out;
}

/// MAPE of the engine's memory-op model on `pts` (graph-replayed kernels, as op_microbench.py times them).
double elementwiseCost(const PlatformModel& m, const std::vector<ElementwisePoint>& pts) {
    double s = 0;
    for (const ElementwisePoint& a : pts) {
        const double pr =
            evalMemoryOp(m, "e", a.norm ? OpClass::Norm : OpClass::Elementwise, a.bytes / 2, a.bytes / 2, 0, a.kernels,
                         LaunchMode::Graph, a.norm ? a.cols : 0, a.strided ? m.stridedElementwiseBytesPerS : 0.0)
                .timeS;
        s += std::fabs(pr - a.measuredS) / a.measuredS;
    }
    return pts.empty() ? 0.0 : 100.0 * s / static_cast<double>(pts.size());
}

/// "value @source" of a platform value, or "default" where the base platform does not give it.
std::string keptValue(const Value& v, double resolved, Dimension d) {
    std::string s = formatQuantity(resolved, d, 4);
    if (v.present)
        return s + " @" + (v.source.empty() ? std::string("base") : v.source);
    return s + " (default)";
}

/// The collective (all-reduce, all-gather, all-to-all over NCCL) values the calibration fitted and those it kept
/// from the base platform (issue 19: "collectives keep their defaults" said which).
std::string collectivesNote(const Platform& p, const Platform& base, bool busFractionFitted, const std::string& why) {
    const EfficiencyValues r = resolveEfficiency(p), kept0 = resolveEfficiency(base);
    std::vector<std::string> kept;
    std::string fitted;
    if (busFractionFitted)
        fitted = "collective_bus_fraction " + formatQuantity(r.collectiveBusFraction, Dimension::Count, 4);
    else
        kept.push_back("efficiency.collective_bus_fraction " +
                       keptValue(base.efficiency.collectiveBusFraction, kept0.collectiveBusFraction, Dimension::Count));
    kept.push_back("efficiency.collective_step_latency " +
                   keptValue(base.efficiency.collectiveStepLatencyS, kept0.collectiveStepLatencyS, Dimension::Seconds));
    if (base.scaleUp.bytesPerS)
        kept.push_back("scale_up.bandwidth " +
                       keptValue(base.scaleUp.bytesPerS, base.scaleUp.bytesPerS.si, Dimension::BytesPerSecond));
    if (base.scaleUp.latencyS)
        kept.push_back("scale_up.latency " +
                       keptValue(base.scaleUp.latencyS, base.scaleUp.latencyS.si, Dimension::Seconds));
    std::string s = "collectives (all-reduce, all-gather, all-to-all over NCCL): ";
    s += fitted.empty() ? "nothing fitted (" + why + ")" : "fitted " + fitted + " (" + why + ")";
    s += "; kept from the base platform: ";
    for (std::size_t i = 0; i < kept.size(); ++i)
        s += (i ? ", " : "") + kept[i];
    return s;
}

/// Whether a platform value was fitted by an earlier `rooflab calibrate gpu` (its source says so).
bool fittedByGpuCalibration(const Platform& p, const Value& v) {
    if (!v.present)
        return false;
    const auto it = p.sources.find(v.source);
    return it != p.sources.end() && it->second.kind == SourceKind::Fitted &&
           it->second.tool.find("calibrate gpu") != std::string::npos;
}

} // namespace

CalibrationResult calibrateGpu(const Platform& base, const std::vector<std::string>& dirs, const std::string& date) {
    CalibrationResult res;
    res.platform = base;
    Platform& p = res.platform;
    // The searches below start from the platform's current values. So that the result depends on the measurements
    // and the base's datasheet values only — a refit of a calibrated platform on the same measurements reproduces
    // it (issue 19: attention peak fraction 0.3546 vs the shipped 0.3559) — the efficiency values an earlier
    // `calibrate gpu` fitted start from their defaults; the end puts back those this run does not fit.
    for (const EfficiencyParam& param : efficiencyParams())
        for (Value& v : param.values(p.efficiency))
            if (fittedByGpuCalibration(base, v))
                v = Value{};
    std::error_code ec;
    if (dirs.empty())
        throw InputError("", 0, "--measurements", "no measurement folder given");
    for (const auto& d : dirs)
        if (!fs::is_directory(d, ec))
            throw InputError(d, 0, "--measurements", "not a folder of measurements");

    // One measured source per folder; each fit names the folder its data came from.
    std::map<std::string, Source> measuredByDir;
    for (const auto& d : dirs) {
        Source m;
        m.kind = SourceKind::Measured;
        if (std::string err = readProvenance(d, m); !err.empty())
            res.notes.push_back(err);
        if (m.card.empty())
            m.card = "unknown card";
        if (m.date.empty())
            m.date = date;
        m.id = "measured-" + fs::path(d).filename().string();
        m.tool = "rooflab-gpu-bench (" + (m.tool.empty() ? std::string("microbenchmarks") : m.tool) + ")";
        m.note = "microbenchmarks in " + d;
        measuredByDir[d] = m;
    }
    std::string dir = dirs.front();
    Source measured = measuredByDir[dir];
    auto file = [&](const char* name) {
        for (const auto& d : dirs)
            if (fs::is_regular_file(fs::path(d) / name, ec)) {
                dir = d;
                measured = measuredByDir[d];
                p.sources[measured.id] = measured;
                return (fs::path(d) / name).string();
            }
        return (fs::path(dirs.front()) / name).string();
    };
    auto has = [&](const char* name) {
        for (const auto& d : dirs)
            if (fs::is_regular_file(fs::path(d) / name, ec))
                return true;
        return false;
    };
    auto addFitSource = [&](const std::string& what, double errPct, const std::string& note) {
        Source s;
        s.id = "fit-" + what;
        s.kind = SourceKind::Fitted;
        s.tool = "rooflab calibrate gpu";
        s.date = date;
        s.card = measured.card;
        s.note = note + " (" + dir + ")";
        s.fitErrorPct = std::round(errPct * 100.0) / 100.0;
        p.sources[s.id] = s;
        return s.id;
    };

    MemoryLevel* dram = nullptr;
    MemoryLevel* l2 = nullptr;
    for (auto& m : p.memory) {
        if (m.kind == MemoryKind::Dram)
            dram = &m;
        if (m.kind == MemoryKind::L2)
            l2 = &m;
    }
    if (!dram)
        throw InputError(base.file, 0, "memory", "the base platform has no dram level");

    // 1. Launch costs.
    if (has("launch.csv")) {
        const io::CsvTable t = io::loadCsvFile(file("launch.csv"));
        const int cMode = t.requireColumn("mode"), cT = t.requireColumn("median_s");
        for (std::size_t i = 0; i < t.rows.size(); ++i) {
            const double v = t.number(i, cT, 0, 1);
            if (t.text(i, cMode) == "stream_empty_kernel") {
                p.launchOverheadS = fitted(v, measured.id);
                res.fits.push_back({"launch_overhead", v, 0, 1, measured.id});
            } else if (t.text(i, cMode) == "graph_empty_kernel") {
                p.efficiency.graphLaunchS = fitted(v, measured.id);
                res.fits.push_back({"efficiency.graph_launch", v, 0, 1, measured.id});
            }
        }
    } else {
        res.notes.push_back("launch.csv missing: launch costs not calibrated");
    }

    // 2. Bandwidth per level: the best sustained rate over footprints well beyond the level below.
    if (has("bandwidth.csv")) {
        const io::CsvTable t = io::loadCsvFile(file("bandwidth.csv"));
        const int cOp = t.requireColumn("op"), cLevel = t.requireColumn("level"),
                  cFoot = t.requireColumn("bytes_footprint"), cMoved = t.requireColumn("bytes_moved"),
                  cT = t.requireColumn("median_s");
        const double l2Bytes = l2 ? l2->capacityBytes.si : 50e6;
        double bestRead = 0, bestCopy = 0, bestL2 = 0;
        std::vector<std::pair<double, double>> dramPts; // (bytes, seconds) of large read/copy kernels
        for (std::size_t i = 0; i < t.rows.size(); ++i) {
            const double foot = t.number(i, cFoot, 0, 1e15), moved = t.number(i, cMoved, 0, 1e15);
            const double s = t.number(i, cT, 1e-12, 1e6);
            const std::string op = t.text(i, cOp), level = t.text(i, cLevel);
            const double bw = moved / s;
            if (level == "hbm" && foot >= 4 * l2Bytes) {
                if (op == "read")
                    bestRead = std::max(bestRead, bw);
                if (op == "copy")
                    bestCopy = std::max(bestCopy, bw);
                if (op == "read" || op == "copy")
                    dramPts.emplace_back(moved, s);
            }
            if (level == "l2" && (op == "read"))
                bestL2 = std::max(bestL2, bw);
        }
        const double best = std::max(bestRead, bestCopy);
        if (best > 0) {
            std::vector<double> pred, meas;
            for (const auto& [b, s] : dramPts) {
                pred.push_back(b / best);
                meas.push_back(s);
            }
            const double err = mape(pred, meas);
            const std::string src = addFitSource("dram", err,
                                                 "achievable DRAM bandwidth: best sustained read or copy "
                                                 "over footprints beyond 4x L2");
            const double frac = std::min(1.0, best / dram->readBytesPerS.si);
            p.efficiency.dramFraction = fitted(frac, src);
            if (bestCopy > 0)
                dram->copyBytesPerS = fitted(bestCopy, measured.id);
            res.fits.push_back({"efficiency.dram_fraction", frac, err, dramPts.size(), src});
        }
        if (l2 && bestL2 > 0 && bestL2 <= std::max(bestRead, bestCopy)) {
            res.notes.push_back("measured L2 rate " + std::to_string(bestL2 / 1e12) +
                                " TB/s is not above the DRAM rate: a lower bound (launch-bound sizes?), L2 kept as in "
                                "the base platform");
        } else if (l2 && bestL2 > 0) {
            l2->readBytesPerS = fitted(bestL2, measured.id);
            p.efficiency.l2Fraction = fitted(1.0, measured.id);
            res.fits.push_back({"memory.l2.read", bestL2, 0, 1, measured.id});
        }
    } else {
        res.notes.push_back("bandwidth.csv missing: bandwidth not calibrated");
    }

    // 3. GEMM efficiency surface: per-datatype fraction of peak, per-kernel fixed time, small-M ramp.
    if (has("gemm.csv")) {
        const io::CsvTable t = io::loadCsvFile(file("gemm.csv"));
        const int cM = t.requireColumn("m"), cN = t.requireColumn("n"), cK = t.requireColumn("k"),
                  cD = t.requireColumn("dtype"), cT = t.requireColumn("median_s");
        std::vector<GemmPoint> pts;
        for (std::size_t i = 0; i < t.rows.size(); ++i) {
            auto d = parseDType(t.text(i, cD));
            if (!d)
                throw InputError(t.file, t.rowLines[i], "dtype", "unknown datatype '" + t.text(i, cD) + "'");
            pts.push_back({t.number(i, cM, 1, 1e9), t.number(i, cN, 1, 1e9), t.number(i, cK, 1, 1e9), *d,
                           t.number(i, cT, 1e-12, 1e6)});
        }
        PlatformModel pm = PlatformModel::from(p);
        constexpr int kSimtTypes = -2; // cost over the SIMT (fp32/fp64) GEMMs of more than one row
        auto cost = [&](const PlatformModel& m, int onlyType) {
            double s = 0;
            std::size_t n = 0;
            for (const auto& g : pts) {
                if (onlyType == kSimtTypes ? !(isSimtGemm(g.dtype) && g.m > 1)
                                           : onlyType >= 0 && static_cast<int>(g.dtype) != onlyType)
                    continue;
                bool fell = false;
                const DType ct = m.computeType(g.dtype, fell);
                const double outB = isFloat8(g.dtype) || isInteger(g.dtype) ? 2.0 : bytesPerElement(g.dtype);
                const double pr =
                    evalGemm(m, "g", g.m, g.n, g.k, g.dtype, g.dtype, ct, LaunchMode::Graph, 1, outB).timeS;
                s += std::fabs(pr - g.measuredS) / g.measuredS;
                ++n;
            }
            return n ? 100.0 * s / static_cast<double>(n) : 0.0;
        };
        std::vector<int> types;
        std::size_t simtPoints = 0;
        for (const auto& g : pts) {
            if (std::find(types.begin(), types.end(), static_cast<int>(g.dtype)) == types.end())
                types.push_back(static_cast<int>(g.dtype));
            simtPoints += isSimtGemm(g.dtype) && g.m > 1 ? 1 : 0;
        }
        // SIMT kernels of several rows are a kernel family of their own (weight streaming rate, fixed time):
        // fitted only where the sweep has them, on them alone.
        const bool fitSimt = simtPoints >= 8 && p.kind == DeviceKind::Gpu;
        for (int round = 0; round < 3; ++round) {
            pm.kernelOverheadS = search1d(0, 10e-6, 40, [&](double x) {
                PlatformModel m = pm;
                m.kernelOverheadS = x;
                return cost(m, -1);
            });
            const double dramPeak = dram->readBytesPerS.si;
            pm.gemmDramBytesPerS = dramPeak * search1d(0.3, 1.0, 70, [&](double x) {
                                       PlatformModel m = pm;
                                       m.gemmDramBytesPerS = dramPeak * x;
                                       return cost(m, -1);
                                   });
            pm.smallMHalf = search1d(0, 32, 64, [&](double x) {
                PlatformModel m = pm;
                m.smallMHalf = x;
                return cost(m, -1);
            });
            for (int ty : types) {
                const auto idx = static_cast<std::size_t>(ty);
                bool fell = false;
                const DType ct = pm.computeType(static_cast<DType>(ty), fell);
                if (fell)
                    continue; // no tensor path: the fraction of another datatype would be fitted
                (void)ct;
                // Split-K granularity of this datatype's kernels (a discrete choice: K per split).
                double bestK = pm.minKPerSplitByType[idx], bestCost = cost(pm, ty);
                for (double kk : {32.0, 64.0, 128.0, 192.0, 256.0, 384.0, 512.0, 768.0, 1024.0, 2048.0}) {
                    PlatformModel m = pm;
                    m.minKPerSplitByType[idx] = kk;
                    if (const double c = cost(m, ty); c < bestCost - 1e-9) {
                        bestCost = c;
                        bestK = kk;
                    }
                }
                pm.minKPerSplitByType[idx] = bestK;
                pm.gemmFraction[idx] = search1d(0.05, 1.0, 95, [&](double x) {
                    PlatformModel m = pm;
                    m.gemmFraction[idx] = x;
                    return cost(m, ty);
                });
            }
            if (fitSimt) {
                pm.simtGemmOverheadS = search1d(0, 10e-6, 40, [&](double x) {
                    PlatformModel m = pm;
                    m.simtGemmOverheadS = x;
                    return cost(m, kSimtTypes);
                });
                pm.simtGemmDramBytesPerS = dramPeak * search1d(0.1, 1.0, 90, [&](double x) {
                                               PlatformModel m = pm;
                                               m.simtGemmDramBytesPerS = dramPeak * x;
                                               return cost(m, kSimtTypes);
                                           });
                // The half-rate row count on a log scale (2 .. 16k rows; the top end means "independent of M").
                pm.simtGemmDramHalfM = std::exp2(search1d(1, 14, 52, [&](double x) {
                    PlatformModel m = pm;
                    m.simtGemmDramHalfM = std::exp2(x);
                    return cost(m, kSimtTypes);
                }));
            }
        }
        const double total = cost(pm, -1);
        const std::string src = addFitSource("gemm", total,
                                             "GEMM surface fitted on " + std::to_string(pts.size()) +
                                                 " cuBLASLt shapes (M 1..16k, LLM-shaped N x K and squares)");
        p.efficiency.kernelOverheadS = fitted(pm.kernelOverheadS, src);
        p.efficiency.gemmSmallMHalf = fitted(pm.smallMHalf, src);
        p.efficiency.gemmDramFraction = fitted(pm.gemmDramBytesPerS / dram->readBytesPerS.si, src);
        res.fits.push_back(
            {"efficiency.gemm_dram_fraction", pm.gemmDramBytesPerS / dram->readBytesPerS.si, total, pts.size(), src});
        res.fits.push_back({"efficiency.kernel_overhead", pm.kernelOverheadS, total, pts.size(), src});
        res.fits.push_back({"efficiency.gemm_small_m_half", pm.smallMHalf, total, pts.size(), src});
        if (fitSimt) {
            const double err = cost(pm, kSimtTypes);
            const std::string s = addFitSource("gemm-simt", err,
                                               "SIMT (fp32/fp64) GEMMs of more than one row: weight streaming rate, "
                                               "its fall with rows, extra fixed time per kernel (" +
                                                   std::to_string(simtPoints) + " shapes)");
            p.efficiency.simtGemmDramFraction = fitted(pm.simtGemmDramBytesPerS / dram->readBytesPerS.si, s);
            p.efficiency.simtGemmDramHalfM = fitted(pm.simtGemmDramHalfM, s);
            p.efficiency.simtGemmOverheadS = fitted(pm.simtGemmOverheadS, s);
            res.fits.push_back({"efficiency.simt_gemm_dram_fraction", pm.simtGemmDramBytesPerS / dram->readBytesPerS.si,
                                err, simtPoints, s});
            res.fits.push_back({"efficiency.simt_gemm_dram_half_m", pm.simtGemmDramHalfM, err, simtPoints, s});
            res.fits.push_back({"efficiency.simt_gemm_overhead", pm.simtGemmOverheadS, err, simtPoints, s});
        }
        for (int ty : types) {
            bool fell = false;
            pm.computeType(static_cast<DType>(ty), fell);
            if (fell)
                continue;
            const auto idx = static_cast<std::size_t>(ty);
            const double err = cost(pm, ty);
            const std::string s = addFitSource("gemm-" + std::string(dtypeName(static_cast<DType>(ty))), err,
                                               "large-GEMM fraction of the datasheet tensor peak and the split-K "
                                               "granularity (K per split) of this datatype's kernels");
            p.efficiency.gemmPeakFraction[idx] = fitted(pm.gemmFraction[idx], s);
            p.efficiency.gemmMinKPerSplitByDType[idx] = fitted(pm.minKPerSplitByType[idx], s);
            res.fits.push_back(
                {"efficiency.gemm_min_k_per_split_by_dtype." + std::string(dtypeName(static_cast<DType>(ty))),
                 pm.minKPerSplitByType[idx], err, 0, s});
            res.fits.push_back({"efficiency.gemm_peak_fraction." + std::string(dtypeName(static_cast<DType>(ty))),
                                pm.gemmFraction[idx], err, 0, s});
        }
    } else {
        res.notes.push_back("gemm.csv missing: GEMM efficiency not calibrated");
    }

    // 4. Sustained tensor rate under the power limit: long runs of large GEMMs vs their first 50 ms.
    if (has("sustained_gemm.csv")) {
        const io::CsvTable t = io::loadCsvFile(file("sustained_gemm.csv"));
        const int cT = t.requireColumn("t_s"), cS = t.requireColumn("shape"), cR = t.requireColumn("tflops");
        std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> byShape;
        double maxT = 0;
        for (std::size_t i = 0; i < t.rows.size(); ++i)
            maxT = std::max(maxT, t.number(i, cT, 0, 1e6));
        for (std::size_t i = 0; i < t.rows.size(); ++i) {
            const double ts = t.number(i, cT, 0, 1e6), rate = t.number(i, cR, 0, 1e9);
            auto& [early, late] = byShape[t.text(i, cS)];
            if (ts < 0.05)
                early.push_back(rate);
            else if (ts > maxT / 2)
                late.push_back(rate);
        }
        auto median = [](std::vector<double> v) {
            std::sort(v.begin(), v.end());
            return v.empty() ? 0.0 : v[v.size() / 2];
        };
        std::vector<double> ratios;
        for (auto& [shape, el] : byShape)
            if (!el.first.empty() && !el.second.empty())
                ratios.push_back(median(el.second) / median(el.first));
        if (!ratios.empty()) {
            const Central c = medianAndSpread(ratios);
            const double r = std::min(1.0, c.median);
            const std::string src = addFitSource("sustained", c.spreadPct,
                                                 "large bf16 GEMMs back to back for seconds: second-half rate over "
                                                 "the first 50 ms (power limit lowers the SM clock)");
            p.efficiency.sustainedComputeFraction = fitted(r, src);
            res.fits.push_back({"efficiency.sustained_compute_fraction", r, c.spreadPct, ratios.size(), src});
        }
    } else {
        res.notes.push_back("sustained_gemm.csv missing: no power-limit derating");
    }

    // 4b. Eager host speed: the harness's own eager forward with tiny tensors (llama_bench.py --host-floor) gives
    //     this host's dispatch cost per kernel; relative to the pytorch-eager profile's value (the stack the
    //     harness is), it scales every stack's host costs on this platform.
    if (has("host_floor.csv")) {
        const io::CsvTable t = io::loadCsvFile(file("host_floor.csv"));
        const int cW = t.requireColumn("what"), cTp = t.requireColumn("tp"), cK = t.requireColumn("per_kernel_s");
        std::vector<double> perKernel;
        for (std::size_t i = 0; i < t.rows.size(); ++i)
            if (t.text(i, cW) == "forward" && t.number(i, cTp, 1, 4096) == 1)
                perKernel.push_back(t.number(i, cK, 1e-9, 1e-2));
        const StackProfile eager = io::loadStack("pytorch-eager");
        if (!perKernel.empty() && eager.hostOverheadS > 0) {
            const Central c = medianAndSpread(perKernel);
            const double scale = c.median / eager.hostOverheadS;
            const std::string src = addFitSource(
                "host", c.spreadPct,
                "eager PyTorch dispatch per kernel on this host (llama_bench.py --host-floor, tp 1) over the "
                "pytorch-eager profile's host_overhead");
            p.efficiency.hostOverheadScale = fitted(scale, src);
            res.fits.push_back({"efficiency.host_overhead_scale", scale, c.spreadPct, perKernel.size(), src});
        }
    }

    // 5. Collectives: achievable fraction of the scale-up link from the bus bandwidth of large messages (NCCL).
    //    Small messages measured through torch.distributed include its host-side cost, so no latency is fitted.
    if (has("nccl.csv") && p.scaleUp.bytesPerS) {
        const io::CsvTable t = io::loadCsvFile(file("nccl.csv"));
        const int cOp = t.requireColumn("op"), cB = t.requireColumn("bytes"),
                  cBus = t.requireColumn("busbw_bytes_per_s");
        std::map<std::string, std::pair<double, double>> largest; // op -> (bytes, busbw)
        for (std::size_t i = 0; i < t.rows.size(); ++i) {
            const double b = t.number(i, cB, 0, 1e15), bus = t.number(i, cBus, 0, 1e15);
            auto& cur = largest[t.text(i, cOp)];
            if (b > cur.first)
                cur = {b, bus};
        }
        std::vector<double> fractions;
        for (const auto& [op, bb] : largest)
            if (op != "send_recv" && bb.second > 0)
                fractions.push_back(std::min(1.0, bb.second / p.scaleUp.bytesPerS.si));
        if (!fractions.empty()) {
            const Central c = medianAndSpread(fractions);
            const double f = c.median;
            const std::string src = addFitSource("collectives", c.spreadPct,
                                                 "bus bandwidth of the largest NCCL messages (all-reduce, all-gather, "
                                                 "all-to-all) over the scale-up link bandwidth");
            p.efficiency.collectiveBusFraction = fitted(f, src);
            res.fits.push_back({"efficiency.collective_bus_fraction", f, c.spreadPct, fractions.size(), src});
            res.notes.push_back(collectivesNote(p, base, true, "bus bandwidth of the largest messages in nccl.csv"));
        } else {
            res.notes.push_back(
                collectivesNote(p, base, false, "nccl.csv has no all-reduce/all-gather/all-to-all rows"));
        }
    } else if (!has("nccl.csv")) {
        res.notes.push_back(collectivesNote(p, base, false, "nccl.csv missing: single-GPU measurements"));
    } else {
        res.notes.push_back(collectivesNote(p, base, false, "the base platform has no scale_up.bandwidth"));
    }

    // 6. Attention efficiency vs sequence length (flash attention microbenchmark), with the denser decode grid
    // (attention_decode.csv) where it was measured.
    std::vector<AttentionPoint> pts;
    auto readAttention = [&](const char* name) {
        const io::CsvTable t = io::loadCsvFile(file(name));
        const int cB = t.requireColumn("batch"), cH = t.requireColumn("heads"), cKv = t.requireColumn("kv_heads"),
                  cQ = t.requireColumn("seq_q"), cK = t.requireColumn("seq_k"), cD = t.requireColumn("head_dim"),
                  cC = t.requireColumn("causal"), cT = t.requireColumn("median_s");
        for (std::size_t i = 0; i < t.rows.size(); ++i) {
            AttentionPoint a;
            a.shape.batch = t.number(i, cB, 1, 1e9);
            a.shape.heads = t.number(i, cH, 1, 1e6);
            a.shape.kvHeads = t.number(i, cKv, 1, 1e6);
            a.shape.queries = t.number(i, cQ, 1, 1e9);
            a.shape.keys = t.number(i, cK, 1, 1e9);
            a.shape.qkDim = a.shape.vDim = t.number(i, cD, 1, 1e5);
            const std::string c = t.text(i, cC);
            a.shape.causal = c == "1" || c == "true" || c == "True";
            a.measuredS = t.number(i, cT, 1e-12, 1e6);
            pts.push_back(a);
        }
    };
    if (has("attention_decode.csv"))
        readAttention("attention_decode.csv");
    if (has("attention.csv"))
        readAttention("attention.csv");
    if (!pts.empty()) {
        PlatformModel pm = PlatformModel::from(p);
        auto cost = [&](const PlatformModel& m) {
            double s = 0;
            for (const auto& a : pts) {
                const double pr = evalAttention(m, "a", a.shape, DType::bf16, LaunchMode::Graph).timeS;
                s += std::fabs(pr - a.measuredS) / a.measuredS;
            }
            return pts.empty() ? 0.0 : 100.0 * s / static_cast<double>(pts.size());
        };
        // Decode points that run the split-KV kernels (else their DRAM fraction cannot be fitted).
        const bool anySplit = std::any_of(pts.begin(), pts.end(), [&](const AttentionPoint& a) {
            return evalAttention(pm, "a", a.shape, DType::bf16, LaunchMode::Graph).kernels > 1;
        });
        const double dramPeak = dram->readBytesPerS.si;
        for (int round = 0; round < 3; ++round) {
            pm.attentionFraction = search1d(0.05, 1.0, 95, [&](double x) {
                PlatformModel m = pm;
                m.attentionFraction = x;
                return cost(m);
            });
            pm.attentionHalfSeq = search1d(0, 4096, 64, [&](double x) {
                PlatformModel m = pm;
                m.attentionHalfSeq = x;
                return cost(m);
            });
            pm.attentionDramBytesPerS = dramPeak * search1d(0.2, 1.0, 80, [&](double x) {
                                            PlatformModel m = pm;
                                            m.attentionDramBytesPerS = dramPeak * x;
                                            return cost(m);
                                        });
            if (anySplit)
                pm.attentionSplitDramBytesPerS = dramPeak * search1d(0.2, 1.0, 80, [&](double x) {
                                                     PlatformModel m = pm;
                                                     m.attentionSplitDramBytesPerS = dramPeak * x;
                                                     return cost(m);
                                                 });
            else
                pm.attentionSplitDramBytesPerS = pm.attentionDramBytesPerS;
            pm.attentionOverheadS = search1d(0, 20e-6, 80, [&](double x) {
                PlatformModel m = pm;
                m.attentionOverheadS = x;
                return cost(m);
            });
        }
        const double err = cost(pm);
        const std::string src = addFitSource("attention", err, "flash attention (SDPA) efficiency vs sequence length");
        p.efficiency.attentionPeakFraction = fitted(pm.attentionFraction, src);
        p.efficiency.attentionHalfSeq = fitted(pm.attentionHalfSeq, src);
        p.efficiency.attentionDramFraction = fitted(pm.attentionDramBytesPerS / dramPeak, src);
        p.efficiency.attentionOverheadS = fitted(pm.attentionOverheadS, src);
        res.fits.push_back(
            {"efficiency.attention_dram_fraction", pm.attentionDramBytesPerS / dramPeak, err, pts.size(), src});
        if (anySplit) {
            p.efficiency.attentionSplitDramFraction = fitted(pm.attentionSplitDramBytesPerS / dramPeak, src);
            res.fits.push_back({"efficiency.attention_split_dram_fraction", pm.attentionSplitDramBytesPerS / dramPeak,
                                err, pts.size(), src});
        }
        res.fits.push_back({"efficiency.attention_overhead", pm.attentionOverheadS, err, pts.size(), src});
        res.fits.push_back({"efficiency.attention_peak_fraction", pm.attentionFraction, err, pts.size(), src});
        res.fits.push_back({"efficiency.attention_half_seq", pm.attentionHalfSeq, err, pts.size(), src});
    } else {
        res.notes.push_back("attention.csv missing: attention efficiency keeps its default");
    }

    // 7. Element-wise and norm kernels: the stacks' strided kernels' rate (large rows) and fixed time per kernel
    // (small rows), and the row latency of norms (one CTA reduces a row); fitted together, as each enters the
    // other's points.
    std::vector<ElementwisePoint> big, ew, norms;
    const bool haveStrided = has("elementwise_strided.csv"), haveContiguous = has("elementwise.csv");
    const StackProfile eager =
        haveStrided || haveContiguous ? io::loadStack("pytorch-eager") : StackProfile::defaultProfile();
    if (haveStrided) {
        ElementwiseRows strided = elementwiseRows(io::loadCsvFile(file("elementwise_strided.csv")), eager);
        big = std::move(strided.large);
        ew = std::move(strided.small);
    }
    if (big.empty())
        res.notes.push_back("no strided element-wise rows of >= 2048: strided passes run at the DRAM rate");
    if (haveContiguous) {
        ElementwiseRows contiguous = elementwiseRows(io::loadCsvFile(file("elementwise.csv")), eager);
        norms = std::move(contiguous.norms);
        if (ew.empty()) {
            ew = std::move(contiguous.small);
            if (!ew.empty())
                res.notes.push_back("no strided element-wise rows of <= 64: the element-wise fixed time is fitted on "
                                    "the contiguous ops of elementwise.csv");
        }
    }
    if (ew.empty())
        res.notes.push_back("no element-wise rows of <= 64: element-wise kernels keep kernel_overhead");
    if (norms.empty())
        res.notes.push_back("elementwise.csv has no rms_norm rows of <= 64: norms get no row latency");
    if (!big.empty() || !ew.empty() || !norms.empty()) {
        PlatformModel pm = PlatformModel::from(p);
        const double dramPeak = dram->readBytesPerS.si;
        for (int round = 0; round < 3; ++round) {
            if (!big.empty())
                pm.stridedElementwiseBytesPerS = dramPeak * search1d(0.05, 1.0, 95, [&](double x) {
                                                     PlatformModel m = pm;
                                                     m.stridedElementwiseBytesPerS = dramPeak * x;
                                                     return elementwiseCost(m, big);
                                                 });
            if (!ew.empty())
                pm.elementwiseOverheadS = search1d(0, 10e-6, 100, [&](double x) {
                    PlatformModel m = pm;
                    m.elementwiseOverheadS = x;
                    return elementwiseCost(m, ew);
                });
            // The norm's fixed time is the element-wise one (the same launch and tail); its row latency on top.
            if (!norms.empty())
                pm.normRowElementS = search1d(0, 5e-9, 100, [&](double x) {
                    PlatformModel m = pm;
                    m.normRowElementS = x;
                    return elementwiseCost(m, norms);
                });
        }
        if (!big.empty()) {
            const double f = pm.stridedElementwiseBytesPerS / dramPeak;
            const double err = elementwiseCost(pm, big);
            const std::string src =
                addFitSource("strided-elementwise", err, "RoPE / SiLU-multiply on strided views at the stacks' passes");
            p.efficiency.stridedElementwiseFraction = fitted(f, src);
            res.fits.push_back({"efficiency.strided_elementwise_fraction", f, err, big.size(), src});
        }
        std::vector<ElementwisePoint> small = ew;
        small.insert(small.end(), norms.begin(), norms.end());
        if (!small.empty()) {
            const std::string src =
                addFitSource("elementwise", elementwiseCost(pm, small),
                             "element-wise and norm kernels at small sizes (fixed time, row latency)");
            if (!ew.empty()) {
                p.efficiency.elementwiseOverheadS = fitted(pm.elementwiseOverheadS, src);
                res.fits.push_back({"efficiency.elementwise_overhead", pm.elementwiseOverheadS, elementwiseCost(pm, ew),
                                    ew.size(), src});
            }
            if (!norms.empty()) {
                p.efficiency.normRowElementS = fitted(pm.normRowElementS, src);
                res.fits.push_back({"efficiency.norm_row_element_time", pm.normRowElementS, elementwiseCost(pm, norms),
                                    norms.size(), src});
            }
        }
    }
    // Values an earlier calibration fitted that this run did not fit again stay as they were.
    for (const EfficiencyParam& param : efficiencyParams()) {
        const std::span<const Value> was = param.values(base.efficiency);
        const std::span<Value> now = param.values(p.efficiency);
        for (std::size_t i = 0; i < now.size() && i < was.size(); ++i)
            if (!now[i].present && fittedByGpuCalibration(base, was[i]))
                now[i] = was[i];
    }
    return res;
}

} // namespace rooflab
