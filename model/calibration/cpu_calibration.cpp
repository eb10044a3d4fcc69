#include "calibration/cpu_calibration.hpp"

#include "analysis/ops.hpp"
#include "analysis/platform_model.hpp"
#include "io/csv.hpp"
#include "io/platform_loader.hpp"
#include "units/errors.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <tuple>
#include <utility>
#include <yaml-cpp/yaml.h>

namespace rooflab {

namespace {

namespace fs = std::filesystem;

double median(std::vector<double> v) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string fmtG(double v) {
    std::ostringstream os;
    os.precision(4);
    os << v;
    return os.str();
}

Value val(double si, const std::string& src) {
    Value v;
    v.si = si;
    v.source = src;
    v.present = true;
    return v;
}

MemoryKind kindOfCacheLevel(int level) {
    return level == 1 ? MemoryKind::L1 : level == 2 ? MemoryKind::L2 : MemoryKind::L3;
}

} // namespace

EngineKind engineKindForIsa(const std::string& isa) {
    if (isa.rfind("amx", 0) == 0)
        return EngineKind::Matrix;
    if (isa == "scalar")
        return EngineKind::Scalar;
    return EngineKind::Vector;
}

namespace {
/// Per key, the median of `rate(sample)` over the sweeps; the first sweep's sample carries it
/// (`apply(sample, median, every sample of the key)`), in first-seen order.
template <class Sample, class Key, class Rate, class Apply>
std::vector<Sample> medianPerPoint(const std::vector<const std::vector<Sample>*>& sweeps, Key key, Rate rate,
                                   Apply apply) {
    using K = decltype(key(std::declval<const Sample&>()));
    std::map<K, std::vector<const Sample*>> byKey;
    std::vector<K> order;
    for (const auto* sw : sweeps)
        for (const Sample& x : *sw) {
            auto& all = byKey[key(x)];
            if (all.empty())
                order.push_back(key(x));
            all.push_back(&x);
        }
    std::vector<Sample> out;
    for (const K& k : order) {
        const std::vector<const Sample*>& all = byKey[k];
        std::vector<double> rates;
        for (const Sample* x : all)
            rates.push_back(rate(*x));
        Sample y = *all.front();
        apply(y, median(rates), all);
        out.push_back(y);
    }
    return out;
}
} // namespace

CpuMeasurements medianOfSweeps(const std::vector<CpuMeasurements>& sweeps) {
    if (sweeps.empty())
        throw InputError("", 0, "--measurements", "no CPU dataset given");
    if (sweeps.size() == 1)
        return sweeps.front();
    CpuMeasurements out = sweeps.front();
    for (const auto& s : sweeps)
        if (s.cpu != out.cpu || s.cores != out.cores || s.pus != out.pus)
            throw InputError(s.dir, 0, "provenance.json",
                             "a sweep of another machine (" + s.cpu + ", " + std::to_string(s.cores) + " cores) than " +
                                 out.dir + " (" + out.cpu + ", " + std::to_string(out.cores) + " cores)");
    std::vector<const std::vector<CpuBandwidthSample>*> bw;
    std::vector<const std::vector<CpuLatencySample>*> lat;
    std::vector<const std::vector<CpuFlopsSample>*> fl;
    std::vector<const std::vector<CpuVectorKernelSample>*> vk;
    out.dir.clear();
    for (const auto& s : sweeps) {
        bw.push_back(&s.bandwidth);
        lat.push_back(&s.latency);
        fl.push_back(&s.flops);
        vk.push_back(&s.vectorKernels);
        out.dir += (out.dir.empty() ? "" : " + ") + s.dir;
    }
    out.dir += " (per-point median of " + std::to_string(sweeps.size()) + " sweeps)";
    out.bandwidth = medianPerPoint(
        bw, [](const CpuBandwidthSample& x) { return std::make_tuple(x.kernel, x.threads, x.footprintBytes); },
        [](const CpuBandwidthSample& x) { return x.bytesPerS; },
        [](CpuBandwidthSample& y, double r, const auto&) {
            y.bytesPerS = r;
            y.medianS = y.bytesMoved / r;
        });
    out.latency = medianPerPoint(
        lat, [](const CpuLatencySample& x) { return x.footprintBytes; }, [](const CpuLatencySample& x) { return x.ns; },
        [](CpuLatencySample& y, double r, const auto&) { y.ns = r; });
    out.flops = medianPerPoint(
        fl, [](const CpuFlopsSample& x) { return std::make_tuple(x.isa, x.dtype, x.threads); },
        [](const CpuFlopsSample& x) { return x.flopPerS; },
        [](CpuFlopsSample& y, double r, const auto&) { y.flopPerS = r; });
    out.vectorKernels = medianPerPoint(
        vk, [](const CpuVectorKernelSample& x) { return std::make_tuple(x.kernel, x.isa, x.threads, x.elements); },
        [](const CpuVectorKernelSample& x) { return x.medianS / std::max(1, x.repetitions); },
        [](CpuVectorKernelSample& y, double perCall, const std::vector<const CpuVectorKernelSample*>& all) {
            y.medianS = perCall * std::max(1, y.repetitions);
            // Verified only where every sweep that measured the point verified it.
            for (const auto* x : all)
                y.verified = y.verified && x->verified;
        });
    return out;
}

CpuMeasurements loadCpuSweeps(const std::vector<std::string>& dirs) {
    std::vector<CpuMeasurements> sweeps;
    for (const auto& d : dirs)
        sweeps.push_back(loadCpuMeasurements(fs::is_regular_file(d) ? fs::path(d).parent_path().string() : d));
    return medianOfSweeps(sweeps);
}

std::vector<CpuGemmSample> loadCpuGemm(const std::string& path) {
    const io::CsvTable t = io::loadCsvFile(path);
    const int cm = t.requireColumn("m"), cn = t.requireColumn("n"), ck = t.requireColumn("k"),
              cd = t.requireColumn("dtype"), ct = t.requireColumn("threads"), cs = t.requireColumn("median_s");
    std::vector<CpuGemmSample> out;
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
        CpuGemmSample g;
        g.m = t.number(i, cm, 1, 1e7);
        g.n = t.number(i, cn, 1, 1e7);
        g.k = t.number(i, ck, 1, 1e7);
        g.dtype = t.text(i, cd);
        if (!parseDType(g.dtype))
            throw InputError(t.file, t.rowLines[i], "dtype", "unknown datatype '" + g.dtype + "'");
        g.threads = static_cast<int>(t.number(i, ct, 1, 1e5));
        g.medianS = t.number(i, cs, 1e-9, 1e5);
        g.line = t.rowLines[i];
        out.push_back(g);
    }
    if (out.empty())
        throw InputError(path, 0, "", "no GEMM rows");
    return out;
}

CpuMeasurements loadCpuMeasurements(const std::string& dir) {
    CpuMeasurements m;
    m.dir = dir;
    const fs::path d(dir);
    if (!fs::is_directory(d))
        throw InputError(dir, 0, "",
                         "not a dataset folder (expected bandwidth.csv, latency.csv, flops.csv, topology.json)");
    {
        const io::CsvTable t = io::loadCsvFile((d / "bandwidth.csv").string());
        const int ck = t.requireColumn("kernel"), ct = t.requireColumn("threads"),
                  cf = t.requireColumn("footprint_bytes"), cb = t.requireColumn("bytes_moved"),
                  cm = t.requireColumn("median_s"), cr = t.requireColumn("bytes_per_s");
        for (std::size_t i = 0; i < t.rows.size(); ++i) {
            CpuBandwidthSample s;
            s.kernel = t.text(i, ck);
            try {
                parseCpuOp(s.kernel);
            } catch (const InputError& e) {
                throw InputError(t.file, t.rowLines[i], "kernel", e.message());
            }
            s.threads = static_cast<int>(t.number(i, ct, 1, 1e5));
            s.footprintBytes = t.number(i, cf, 1, 1e15);
            s.bytesMoved = t.number(i, cb, 1, 1e18);
            s.medianS = t.number(i, cm, 1e-12, 1e5);
            s.bytesPerS = t.number(i, cr, 1, 1e16);
            s.line = t.rowLines[i];
            m.bandwidth.push_back(s);
        }
    }
    if (fs::exists(d / "latency.csv")) {
        const io::CsvTable t = io::loadCsvFile((d / "latency.csv").string());
        const int cf = t.requireColumn("footprint_bytes"), cn = t.requireColumn("ns");
        for (std::size_t i = 0; i < t.rows.size(); ++i)
            m.latency.push_back({t.number(i, cf, 1, 1e15), t.number(i, cn, 0.01, 1e7)});
        std::sort(m.latency.begin(), m.latency.end(),
                  [](const auto& a, const auto& b) { return a.footprintBytes < b.footprintBytes; });
    }
    if (fs::exists(d / "flops.csv")) {
        const io::CsvTable t = io::loadCsvFile((d / "flops.csv").string());
        const int ci = t.requireColumn("isa"), cd = t.requireColumn("dtype"), ct = t.requireColumn("threads"),
                  cr = t.requireColumn("flop_per_s");
        for (std::size_t i = 0; i < t.rows.size(); ++i) {
            CpuFlopsSample s;
            s.isa = t.text(i, ci);
            s.dtype = t.text(i, cd);
            if (!parseDType(s.dtype))
                throw InputError(t.file, t.rowLines[i], "dtype", "unknown datatype '" + s.dtype + "'");
            s.threads = static_cast<int>(t.number(i, ct, 1, 1e5));
            s.flopPerS = t.number(i, cr, 1, 1e18);
            s.line = t.rowLines[i];
            m.flops.push_back(s);
        }
    }
    for (const char* name : {"softmax.csv", "reduction.csv"}) {
        if (!fs::exists(d / name))
            continue;
        const io::CsvTable t = io::loadCsvFile((d / name).string());
        const int ck = t.requireColumn("kernel"), ci = t.requireColumn("isa"), ct = t.requireColumn("threads"),
                  ce = t.requireColumn("elements"), cf = t.requireColumn("footprint_bytes"),
                  cr = t.requireColumn("repetitions"), cm = t.requireColumn("median_s"),
                  cv = t.requireColumn("verified");
        for (std::size_t i = 0; i < t.rows.size(); ++i) {
            CpuVectorKernelSample s;
            s.kernel = t.text(i, ck);
            const CpuOp op = [&] {
                try {
                    return parseCpuOp(s.kernel);
                } catch (const InputError& e) {
                    throw InputError(t.file, t.rowLines[i], "kernel", e.message());
                }
            }();
            if (op != CpuOp::Softmax3Pass && op != CpuOp::Softmax2Pass && op != CpuOp::Reduction)
                throw InputError(t.file, t.rowLines[i], "kernel",
                                 "expected softmax-3pass, softmax-2pass or reduction, found '" + s.kernel + "'");
            s.isa = t.text(i, ci);
            s.threads = static_cast<int>(t.number(i, ct, 1, 1e5));
            s.elements = t.number(i, ce, 1, 1e15);
            s.footprintBytes = t.number(i, cf, 1, 1e16);
            s.repetitions = static_cast<int>(t.number(i, cr, 1, 1e9));
            s.medianS = t.number(i, cm, 1e-12, 1e5);
            s.verified = t.number(i, cv, 0, 1) > 0.5;
            s.line = t.rowLines[i];
            s.file = name;
            m.vectorKernels.push_back(s);
        }
    }
    for (const fs::path& smt : {d / "smt.csv", d / "smt" / "smt.csv"}) {
        if (!fs::exists(smt))
            continue;
        const io::CsvTable t = io::loadCsvFile(smt.string());
        const int cp = t.requireColumn("probe"), ca = t.requireColumn("cpu_a"), cb = t.requireColumn("cpu_b"),
                  cs = t.requireColumn("scaling"), co = t.requireColumn("ok");
        for (std::size_t i = 0; i < t.rows.size(); ++i)
            m.smtPairs.push_back({t.text(i, cp), static_cast<int>(t.number(i, ca, 0, 1e6)),
                                  static_cast<int>(t.number(i, cb, 0, 1e6)), t.number(i, cs, 0, 100),
                                  t.number(i, co, 0, 1) > 0.5});
        m.smtFile = smt.string();
        break;
    }
    const fs::path topo = d / "topology.json";
    if (fs::exists(topo)) {
        try {
            const YAML::Node n = YAML::LoadFile(topo.string());
            m.cores = n["cores"] ? n["cores"].as<int>() : 0;
            m.pus = n["pus"] ? n["pus"].as<int>() : 0;
            m.memoryBytes = n["memory_bytes"] ? n["memory_bytes"].as<double>() : 0;
            m.threadsPerCore = n["smt_per_core"] ? std::max(1, n["smt_per_core"].as<int>()) : 1;
            for (const auto& c : n["caches"]) {
                CpuCacheInfo ci;
                ci.level = c["level"].as<int>();
                ci.sizeBytes = c["size_bytes"].as<double>();
                ci.instances = c["instances"] ? c["instances"].as<int>() : 1;
                m.caches.push_back(ci);
            }
        } catch (const YAML::Exception& e) {
            throw InputError(topo.string(), e.mark.line + 1, "", std::string("cannot read topology: ") + e.what());
        }
    }
    const fs::path prov = d / "provenance.json";
    if (fs::exists(prov)) {
        try {
            const YAML::Node n = YAML::LoadFile(prov.string());
            if (n["cpu"])
                m.cpu = n["cpu"].as<std::string>();
            if (n["date"])
                m.date = n["date"].as<std::string>().substr(0, 10);
            if (n["tool"])
                m.tool = n["tool"].as<std::string>();
            if (n["command"])
                m.tool += ": " + n["command"].as<std::string>();
        } catch (const YAML::Exception& e) {
            throw InputError(prov.string(), e.mark.line + 1, "", std::string("cannot read provenance: ") + e.what());
        }
    }
    if (m.cpu.empty())
        m.cpu = "CPU of dataset " + dir;
    if (m.tool.empty())
        m.tool = "rooflab bench cpu";
    return m;
}

std::vector<double> effectiveCacheBytes(const CpuMeasurements& m, std::vector<std::string>* notes) {
    std::vector<double> out;
    for (const auto& c : m.caches)
        out.push_back(c.sizeBytes);
    if (m.caches.empty() || m.latency.size() < 6)
        return out;
    // Only the last level is searched: a VM's slice of a shared LLC (cache allocation, other tenants) is where
    // the reported and the usable size differ; private L1/L2 match their reported sizes in our datasets.
    const std::size_t k = m.caches.size() - 1;
    const double reported = m.caches[k].sizeBytes;
    const double lower = m.caches.size() >= 2 ? m.caches[k - 1].sizeBytes * 1.3 : 0;
    const auto& L = m.latency;
    double bestScore = 0, boundary = 0;
    for (std::size_t i = 1; i + 2 < L.size(); ++i) {
        if (L[i].footprintBytes < lower || L[i].footprintBytes > reported * 1.5)
            continue;
        // A persistent rise: the lower of the next two points over the higher of this and the previous one.
        const double before = std::max(L[i - 1].ns, L[i].ns);
        const double after = std::min(L[i + 1].ns, L[i + 2].ns);
        const double score = std::log(after / before);
        if (score > bestScore) {
            bestScore = score;
            boundary = std::sqrt(L[i].footprintBytes * L[i + 1].footprintBytes);
        }
    }
    if (bestScore > std::log(1.5) && boundary < 0.7 * reported) {
        out[k] = boundary;
        if (notes)
            notes->push_back("L" + std::to_string(m.caches[k].level) + ": effective capacity " +
                             fmtG(boundary / 1048576) + " MiB from the latency curve (reported " +
                             fmtG(reported / 1048576) + " MiB)");
    }
    return out;
}

namespace {

/// The machine the fit works on: levels from the topology (effective LLC), DRAM last, bandwidths filled later.
CpuMachine skeleton(const CpuMeasurements& m, const std::vector<double>& caps, double units) {
    CpuMachine mc;
    mc.units = units;
    for (std::size_t i = 0; i < m.caches.size(); ++i) {
        CpuLevel l;
        l.kind = kindOfCacheLevel(m.caches[i].level);
        l.name = "L" + std::to_string(m.caches[i].level);
        l.perUnit = m.caches[i].instances > 1;
        l.capacityBytes = caps[i];
        mc.levels.push_back(l);
    }
    CpuLevel dram;
    dram.kind = MemoryKind::Dram;
    dram.name = "DRAM";
    dram.capacityBytes = m.memoryBytes;
    mc.levels.push_back(dram);
    return mc;
}

/// The model's time of one timed bandwidth sample (STREAM convention: one pass moves the footprint; one fork/join
/// around the sample's passes, so the per-kernel overhead is paid once); 0 where the model has no answer. `level`
/// receives the level serving the first pass.
double samplePredictedS(const CpuMachine& mc, const CpuBandwidthSample& s, std::size_t* level = nullptr) {
    CpuKernelRequest r;
    r.op = parseCpuOp(s.kernel);
    r.dtype = DType::fp64;
    r.elements = s.footprintBytes / (streamArrays(r.op) * 8.0);
    r.threads = s.threads;
    const CpuKernelResult p = evalCpuKernel(mc, r);
    if (!p.ok || p.timeS <= 0)
        return 0;
    if (level)
        *level = p.passes.front().level;
    const double reps = s.bytesMoved / s.footprintBytes;
    return reps * (p.timeS - mc.kernelOverheadS) + mc.kernelOverheadS;
}

/// The model's time of one cold-weight GEMM call; 0 where the model has no answer.
double gemmPredictedS(const CpuMachine& mc, const CpuGemmSample& g, std::size_t* level = nullptr) {
    CpuKernelRequest r;
    r.op = CpuOp::Gemm;
    r.m = g.m;
    r.n = g.n;
    r.k = g.k;
    r.dtype = *parseDType(g.dtype);
    r.threads = g.threads;
    r.coldWeights = true;
    const CpuKernelResult p = evalCpuKernel(mc, r);
    if (!p.ok || p.timeS <= 0)
        return 0;
    if (level)
        *level = p.passes.front().level;
    return p.timeS;
}

/// A `fitted` source record of this calibration run.
Source fittedSource(const std::string& id, const CpuMeasurements& m, const std::string& date, const std::string& note,
                    double fitErrorPct) {
    Source sf;
    sf.id = id;
    sf.kind = SourceKind::Fitted;
    sf.tool = "rooflab calibrate cpu --measurements " + m.dir;
    sf.date = date;
    sf.card = m.cpu;
    sf.note = note;
    sf.fitErrorPct = fitErrorPct;
    return sf;
}

int bwIndex(const std::string& kernel) {
    if (kernel == "read")
        return 0;
    if (kernel == "write")
        return 1;
    if (kernel == "copy")
        return 2;
    return -1;
}

} // namespace

CpuValidationResult validateCpu(const CpuMachine& machine, const CpuMeasurements& m) {
    CpuValidationResult res;
    for (const auto& s : m.bandwidth) {
        std::size_t level = 0;
        const double predictedS = samplePredictedS(machine, s, &level);
        if (predictedS <= 0)
            continue;
        CpuValidationRow row;
        row.kernelClass = s.kernel;
        row.threads = s.threads;
        row.footprintBytes = s.footprintBytes;
        row.level = std::string(memoryKindName(machine.levels[level].kind));
        row.measuredS = s.medianS;
        row.predictedS = predictedS;
        row.errorPct = (row.predictedS - row.measuredS) / row.measuredS * 100;
        row.line = s.line;
        res.rows.push_back(row);
    }
    // Softmax and reduction: the widest ISA measured (what the platform's vector engine stands for), verified rows.
    std::string widest;
    for (const char* isa : {"avx512", "avx2", "sse2"})
        for (const auto& s : m.vectorKernels)
            if (widest.empty() && s.isa == isa)
                widest = isa;
    for (const auto& s : m.vectorKernels) {
        if (s.isa != widest || !s.verified)
            continue;
        CpuKernelRequest r;
        r.op = parseCpuOp(s.kernel);
        r.dtype = DType::fp32;
        r.elements = s.elements;
        r.threads = s.threads;
        const CpuKernelResult p = evalCpuKernel(machine, r);
        if (!p.ok || p.timeS <= 0)
            continue;
        CpuValidationRow row;
        row.kernelClass = s.kernel;
        row.threads = s.threads;
        row.footprintBytes = s.footprintBytes;
        row.level = std::string(memoryKindName(machine.levels[p.passes.front().level].kind));
        row.measuredS = s.medianS;
        // One timed sample = `repetitions` calls inside one barrier pair: the per-pass overhead is paid once.
        const double overhead = machine.kernelOverheadS * static_cast<double>(p.passes.size());
        row.predictedS = s.repetitions * (p.timeS - overhead) + overhead;
        row.errorPct = (row.predictedS - row.measuredS) / row.measuredS * 100;
        row.line = s.line;
        res.rows.push_back(row);
    }
    for (const auto& s : m.flops) {
        const DType t = *parseDType(s.dtype);
        const EngineKind ek = engineKindForIsa(s.isa);
        // Only the fastest ISA of an engine kind and datatype is what the platform's engine represents.
        bool dominated = false;
        for (const auto& o : m.flops)
            if (o.threads == s.threads && o.dtype == s.dtype && engineKindForIsa(o.isa) == ek &&
                o.flopPerS > s.flopPerS)
                dominated = true;
        if (dominated)
            continue;
        double rate = 0;
        for (const auto& e : machine.engines) {
            if (e.kind != ek)
                continue;
            const auto ti = static_cast<std::size_t>(t);
            if (e.allCoreFlopPerS[ti] > 0)
                rate = std::max(
                    rate, threadScaledRate(machine, e.oneThreadFlopPerS[ti], e.allCoreFlopPerS[ti], true, s.threads));
        }
        if (rate <= 0)
            continue;
        CpuValidationRow row;
        row.kernelClass = "flops:" + s.isa + "-" + s.dtype;
        row.threads = s.threads;
        row.level = "registers";
        row.measuredS = 1.0 / s.flopPerS; // time per flop
        row.predictedS = 1.0 / rate;
        row.errorPct = (row.predictedS - row.measuredS) / row.measuredS * 100;
        row.line = s.line;
        res.rows.push_back(row);
    }
    for (const auto& g : m.gemm) {
        std::size_t level = 0;
        const double predictedS = gemmPredictedS(machine, g, &level);
        if (predictedS <= 0)
            continue;
        CpuValidationRow row;
        row.kernelClass = "gemm:" + g.dtype;
        row.threads = g.threads;
        row.footprintBytes = g.n * g.k * bytesPerElement(*parseDType(g.dtype));
        row.level = std::string(memoryKindName(machine.levels[level].kind));
        row.measuredS = g.medianS;
        row.predictedS = predictedS;
        row.errorPct = (predictedS - g.medianS) / g.medianS * 100;
        row.line = g.line;
        res.rows.push_back(row);
    }
    res.byClass = summarizeCpuRows(res.rows, false);
    res.byLevel = summarizeCpuRows(res.rows, true);
    return res;
}

std::vector<CpuValidationRow> validatePublicStreamMlc(const CpuMachine& machine, const std::string& csvPath) {
    const io::CsvTable t = io::loadCsvFile(csvPath);
    const int cw = t.requireColumn("workload"), ct = t.requireColumn("test"), cv = t.requireColumn("value"),
              cm = t.requireColumn("memory_installed"), cf = t.requireColumn("source_file"),
              cl = t.requireColumn("source_line"), cc = t.requireColumn("cpu_model");
    std::vector<CpuValidationRow> rows;
    if (machine.levels.empty())
        return rows;
    const double big = 1e10; // elements: far out of every cache
    auto streamRate = [&](CpuOp op) {
        CpuKernelRequest r;
        r.op = op;
        r.elements = big;
        r.dtype = DType::fp64;
        const CpuKernelResult p = evalCpuKernel(machine, r);
        return p.bytesPerS();
    };
    const CpuLevel& dram = machine.levels.back();
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
        if (t.text(i, cm).find("DDR5") == std::string::npos || t.text(i, cm).find("HBM") != std::string::npos)
            continue;
        const std::string& wl = t.text(i, cw);
        const std::string& test = t.text(i, ct);
        const double v = t.number(i, cv, 0, 1e12);
        std::string cls;
        double predicted = 0, measured = 0; // rates (B/s) or, for latencies, seconds (inverted below)
        bool isLatency = false;
        if (wl.rfind("Stream", 0) == 0) {
            measured = v * 1e6;
            if (test.rfind("Copy", 0) == 0) {
                cls = "STREAM copy";
                predicted = streamRate(CpuOp::Copy);
            } else if (test.rfind("Scale", 0) == 0) {
                cls = "STREAM scale";
                predicted = streamRate(CpuOp::Scale);
            } else if (test.rfind("Add", 0) == 0) {
                cls = "STREAM add";
                predicted = streamRate(CpuOp::Add);
            } else if (test.rfind("Triad", 0) == 0) {
                cls = "STREAM triad";
                predicted = streamRate(CpuOp::Triad);
            }
        } else if (wl.find("Bandwidth") != std::string::npos) {
            measured = v * 1e6;
            const double all = machine.units;
            if (test.find("All Sockets 100R") != std::string::npos) {
                cls = "MLC read";
                predicted = levelBandwidth(machine, dram, BwKind::Read, all);
            } else if (test.find("All Sockets 100W") != std::string::npos) {
                cls = "MLC write";
                predicted = levelBandwidth(machine, dram, BwKind::Write, all);
            } else if (test.find("All Sockets 2R1W") != std::string::npos) {
                cls = "MLC 2R1W";
                predicted = mixedBandwidth(machine, dram, 1.0 / 3.0, all);
            } else if (test.find("LLC Bandwidth") != std::string::npos) {
                for (const auto& l : machine.levels)
                    if (l.kind == MemoryKind::L3) {
                        cls = "MLC LLC read";
                        predicted = levelBandwidth(machine, l, BwKind::Read, all);
                    }
            }
        } else if (wl.find("atency") != std::string::npos &&
                   test.find("Local socket local cluster") != std::string::npos) {
            isLatency = true;
            measured = v * 1e-9;
            const MemoryKind k = test.find("L1 hit") != std::string::npos   ? MemoryKind::L1
                                 : test.find("L2 hit") != std::string::npos ? MemoryKind::L2
                                 : test.find("L3 hit") != std::string::npos ? MemoryKind::L3
                                                                            : MemoryKind::Dram;
            if (test.find("Sequential") != std::string::npos)
                continue;
            for (const auto& l : machine.levels)
                if (l.kind == k) {
                    cls = "MLC latency " + std::string(memoryKindName(k));
                    predicted = l.latencyS;
                }
        }
        if (cls.empty() || predicted <= 0 || measured <= 0)
            continue;
        CpuValidationRow row;
        row.kernelClass = cls;
        row.threads = static_cast<int>(machine.units);
        row.level = t.text(i, cc);
        // as times: a rate's time is 1/rate
        row.measuredS = isLatency ? measured : 1.0 / measured;
        row.predictedS = isLatency ? predicted : 1.0 / predicted;
        row.errorPct = (row.predictedS - row.measuredS) / row.measuredS * 100;
        row.line = static_cast<int>(t.number(i, cl, 1, 1e9));
        row.footprintBytes = 0;
        (void)cf;
        rows.push_back(row);
    }
    return rows;
}

std::vector<CpuValidationSummary> summarizeCpuRows(const std::vector<CpuValidationRow>& rows, bool byLevel) {
    std::map<std::string, std::vector<double>> groups;
    for (const auto& r : rows) {
        const bool isFlops = r.kernelClass.rfind("flops:", 0) == 0;
        const bool isGemm = r.kernelClass.rfind("gemm:", 0) == 0;
        const bool isVector = r.kernelClass.rfind("softmax", 0) == 0 || r.kernelClass == "reduction";
        if (byLevel) {
            if (!isFlops && !isVector && !isGemm)
                groups[r.level].push_back(r.errorPct);
            continue;
        }
        groups[r.kernelClass].push_back(r.errorPct);
        groups[isFlops    ? "all flops"
               : isGemm   ? "all gemm"
               : isVector ? "all softmax/reduction"
                          : "all bandwidth"]
            .push_back(r.errorPct);
    }
    std::vector<CpuValidationSummary> out;
    for (const auto& [k, errs] : groups) {
        CpuValidationSummary s;
        s.kernelClass = k;
        s.points = static_cast<int>(errs.size());
        double within = 0;
        for (double e : errs) {
            s.mapePct += std::abs(e);
            s.biasPct += e;
            s.maxAbsPct = std::max(s.maxAbsPct, std::abs(e));
            within += std::abs(e) <= 10 ? 1 : 0;
        }
        s.mapePct /= static_cast<double>(errs.size());
        s.biasPct /= static_cast<double>(errs.size());
        s.within10Pct = within / static_cast<double>(errs.size()) * 100;
        out.push_back(s);
    }
    return out;
}

namespace {

/// Least squares by the normal equations with partial pivoting (a handful of unknowns). Unknowns whose column is
/// empty come back as NaN.
std::vector<double> leastSquares(const std::vector<std::vector<double>>& x, const std::vector<double>& y,
                                 std::size_t n) {
    std::vector<std::vector<double>> a(n, std::vector<double>(n + 1, 0.0));
    for (std::size_t p = 0; p < x.size(); ++p)
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t j = 0; j < n; ++j)
                a[i][j] += x[p][i] * x[p][j];
            a[i][n] += x[p][i] * y[p];
        }
    std::vector<bool> used(n, false);
    for (std::size_t i = 0; i < n; ++i)
        used[i] = a[i][i] > 0;
    for (std::size_t c = 0; c < n; ++c) {
        if (!used[c])
            continue;
        std::size_t piv = c;
        for (std::size_t r = c + 1; r < n; ++r)
            if (used[r] && std::abs(a[r][c]) > std::abs(a[piv][c]))
                piv = r;
        std::swap(a[c], a[piv]);
        if (std::abs(a[c][c]) < 1e-300)
            continue;
        for (std::size_t r = 0; r < n; ++r)
            if (r != c && a[r][c] != 0) {
                const double f = a[r][c] / a[c][c];
                for (std::size_t k = c; k <= n; ++k)
                    a[r][k] -= f * a[c][k];
            }
    }
    std::vector<double> u(n, std::nan(""));
    for (std::size_t i = 0; i < n; ++i)
        if (used[i] && std::abs(a[i][i]) > 1e-300)
            u[i] = a[i][n] / a[i][i];
    return u;
}

/// Per level and kind, the one-thread and all-thread bandwidths for the machine's current capacities, spill
/// steepness and pass overhead: least squares on the relative time error of the read/write/copy points at 1 and
/// at `maxThreads` threads. The model is linear in the time per byte of each level: a pass over W bytes takes
/// W x sum_i share_i / bw_i + pass overhead.
void fitPlateaus(CpuMachine& mc, const std::vector<CpuBandwidthSample>& pts, int maxThreads) {
    const std::size_t nl = mc.levels.size();
    const int sets[2] = {1, maxThreads};
    for (int ts = 0; ts < (maxThreads > 1 ? 2 : 1); ++ts)
        for (int k = 0; k < 3; ++k) {
            std::vector<std::vector<double>> x;
            std::vector<double> y;
            std::vector<std::vector<double>> dominant(nl);
            for (const auto& s : pts) {
                if (s.threads != sets[ts] || bwIndex(s.kernel) != k)
                    continue;
                const std::vector<double> f = servedShares(mc, s.footprintBytes, s.threads);
                const double passS = s.footprintBytes / s.bytesPerS;
                std::vector<double> row(nl);
                for (std::size_t i = 0; i < nl; ++i) {
                    row[i] = f[i] * s.bytesPerS;
                    if (f[i] > 0.5)
                        dominant[i].push_back(s.bytesPerS);
                }
                x.push_back(row);
                y.push_back(1.0 - mc.passOverheadS / passS);
            }
            if (x.empty())
                continue;
            const std::vector<double> u = leastSquares(x, y, nl);
            double previous = 0;
            for (std::size_t i = 0; i < nl; ++i) {
                double bw = u[i] > 0 && std::isfinite(u[i]) ? 1.0 / u[i] : 0;
                // A level the points barely touch (or a negative solution): the median of the points it dominates,
                // else the level above's rate.
                if (bw <= 0 || (dominant[i].empty() && bw > 4 * std::max(previous, median(dominant[i]))))
                    bw = !dominant[i].empty() ? median(dominant[i]) : previous;
                auto& target = ts == 0 ? mc.levels[i].oneThreadBytesPerS : mc.levels[i].allCoreBytesPerS;
                target[static_cast<std::size_t>(k)] = bw;
                if (bw > 0)
                    previous = bw;
            }
        }
    for (auto& l : mc.levels)
        for (std::size_t k = 0; k < 3; ++k) {
            if (maxThreads == 1)
                l.allCoreBytesPerS[k] = l.oneThreadBytesPerS[k];
            if (l.oneThreadBytesPerS[k] <= 0)
                l.oneThreadBytesPerS[k] = l.allCoreBytesPerS[k] / std::max(1.0, mc.units);
            l.allCoreBytesPerS[k] = std::max(l.allCoreBytesPerS[k], l.oneThreadBytesPerS[k]);
        }
}

/// MAPE (%) of the model's time per timed sample over `pts`.
double bandwidthMape(const CpuMachine& mc, const std::vector<CpuBandwidthSample>& pts) {
    double sum = 0;
    int n = 0;
    for (const auto& s : pts) {
        const double predictedS = samplePredictedS(mc, s);
        if (predictedS <= 0)
            return 1e300;
        sum += std::abs(predictedS - s.medianS) / s.medianS;
        ++n;
    }
    return n ? 100 * sum / n : 1e300;
}

/// Hardware threads per core. The topology's SMT count where it shows one; otherwise SMT hidden by a hypervisor
/// is inferred when both the FMA rate and the peak (L1-resident) read bandwidth grow by only 0.35-0.7 x the
/// thread count from 1 to all threads (two threads per core then share one core's FMA units and L1 ports).
double threadsPerCore(const CpuMeasurements& m, int maxThreads, std::vector<std::string>& notes) {
    if (!m.smtPairs.empty()) {
        const SmtLayout layout = inferSmtLayout(m.smtPairs);
        notes.push_back("SMT-pairing probe (" + m.smtFile + "): " + layout.verdict);
        if (layout.fixed)
            return layout.threadsPerCore;
    }
    if (m.threadsPerCore > 1)
        return m.threadsPerCore;
    if (maxThreads < 4 || maxThreads % 2 != 0)
        return 1;
    double fmaOne = 0, fmaAll = 0;
    for (const auto& f : m.flops) {
        if (engineKindForIsa(f.isa) != EngineKind::Vector || f.dtype != "fp32")
            continue;
        if (f.threads == 1)
            fmaOne = std::max(fmaOne, f.flopPerS);
        if (f.threads == maxThreads)
            fmaAll = std::max(fmaAll, f.flopPerS);
    }
    double readOne = 0, readAll = 0;
    for (const auto& s : m.bandwidth)
        if (s.kernel == "read") {
            if (s.threads == 1)
                readOne = std::max(readOne, s.bytesPerS);
            if (s.threads == maxThreads)
                readAll = std::max(readAll, s.bytesPerS);
        }
    if (fmaOne <= 0 || readOne <= 0)
        return 1;
    const double fma = fmaAll / fmaOne / maxThreads, rd = readAll / readOne / maxThreads;
    if (fma >= 0.35 && fma <= 0.7 && rd >= 0.35 && rd <= 0.7) {
        notes.push_back("SMT hidden by the hypervisor: from 1 to " + std::to_string(maxThreads) +
                        " threads FMA rate x" + fmtG(fma * maxThreads) + ", peak read bandwidth x" +
                        fmtG(rd * maxThreads) + ": " + std::to_string(maxThreads / 2) + " cores x 2 threads");
        return 2;
    }
    return 1;
}

} // namespace

CpuCalibrationResult calibrateCpu(const Platform& base, const CpuMeasurements& m, const std::string& date) {
    if (m.caches.empty())
        throw InputError(m.dir, 0, "topology.json", "no cache levels: the CPU fit needs the dataset's topology.json");
    CpuCalibrationResult res;
    res.platform = base;
    Platform& p = res.platform;
    p.kind = DeviceKind::Cpu;
    p.description = (m.cpu.empty() ? base.name : m.cpu) + "; calibrated by rooflab calibrate cpu on " + m.dir +
                    " (bandwidth per level and thread count, latency, FLOP/s per engine, topology)";
    p.file.clear();
    p.extends.clear();

    const double cores = m.cores > 0 ? m.cores : std::max(1.0, base.units());
    int maxThreads = 1;
    for (const auto& s : m.bandwidth)
        maxThreads = std::max(maxThreads, s.threads);

    const std::vector<double> latencyCaps = effectiveCacheBytes(m, &res.notes);
    std::vector<double> caps;
    for (const auto& c : m.caches)
        caps.push_back(c.sizeBytes);
    const double tpc = threadsPerCore(m, maxThreads, res.notes);
    // Placement of threads 0, 1, 2 … on cores: the probe's sibling stride where it found a fixed layout; threads
    // fill cores first otherwise (the pin order where the OS shows SMT; a host that spreads busy vCPUs where the
    // probe finds no fixed pairing).
    const SmtLayout smtLayout = m.smtPairs.empty() ? SmtLayout{} : inferSmtLayout(m.smtPairs);
    const double stride = smtLayout.fixed && tpc > 1 ? smtLayout.siblingStride : 0.0;

    // The fit works on the 1-thread and all-thread read/write/copy points only; triad, the other thread counts and
    // the softmax/reduction sets stay out of sample. Per cache level: a capacity factor (effective size: a VM's
    // slice of a shared LLC, ways taken by other data) and the spill steepness; globally the pass overhead and
    // whether the LLC acts as shared or as a per-core share. Coordinate descent on the calibration points' MAPE,
    // bandwidths refitted by least squares at every step.
    std::vector<CpuBandwidthSample> calPts;
    for (const auto& s : m.bandwidth)
        if ((s.threads == 1 || s.threads == maxThreads) && bwIndex(s.kernel) >= 0)
            calPts.push_back(s);
    const std::size_t llc = m.caches.size() - 1;
    auto machineFor = [&](const std::vector<double>& factor, const std::vector<double>& steep, double overhead,
                          bool llcPerUnit) {
        std::vector<double> c = caps;
        for (std::size_t i = 0; i < c.size(); ++i)
            c[i] *= factor[i];
        CpuMachine t = skeleton(m, c, std::max<double>(cores, maxThreads));
        t.threadsPerCore = tpc;
        t.siblingStride = stride;
        t.kernelOverheadS = 0;
        t.passOverheadS = overhead;
        t.levels[llc].perUnit = llcPerUnit;
        for (std::size_t i = 0; i < steep.size(); ++i)
            t.levels[i].spillSteepness = steep[i];
        fitPlateaus(t, calPts, maxThreads);
        return t;
    };
    const double steepGrid[] = {1, 1.5, 2, 3, 4, 6, 8, 12, 16, 24, 48};
    const double overheadGrid[] = {0, 1e-9, 2e-9, 3e-9, 4e-9, 6e-9, 8e-9, 12e-9, 16e-9};
    double bestMape = 1e300, bestOverhead = 0;
    std::vector<double> bestFactor(caps.size(), 1.0), bestSteep(caps.size(), 8.0);
    bool bestPerUnit = m.caches[llc].instances > 1;
    // The topology's layout of the last level (pu 0) is kept unless the other one fits the calibration points
    // clearly better (by kLayoutSwitchPct points of MAPE): a near tie says nothing about the layout, and the wrong
    // one extrapolates badly to working sets beyond the sweep (STREAM-sized arrays).
    constexpr double kLayoutSwitchPct = 1.0;
    for (int pu = 0; pu < 2; ++pu) {
        const bool perUnit = pu == 0 ? m.caches[llc].instances > 1 : m.caches[llc].instances <= 1;
        std::vector<double> factor(caps.size(), 1.0), steep(caps.size(), 8.0);
        double overhead = 0, mape = bandwidthMape(machineFor(factor, steep, overhead, perUnit), calPts);
        for (int round = 0; round < 3; ++round) {
            for (double o : overheadGrid) {
                const double e = bandwidthMape(machineFor(factor, steep, o, perUnit), calPts);
                if (e < mape - 1e-9) {
                    mape = e;
                    overhead = o;
                }
            }
            for (std::size_t li = 0; li < caps.size(); ++li) {
                // Private levels: 0.5-1.5x the reported size; the last level down to 2 % (a VM's LLC slice).
                const double lo = li == llc ? 0.02 : 0.5;
                const int steps = li == llc ? 32 : 12;
                for (int i = 0; i <= steps; ++i) {
                    const double f = lo * std::pow(1.5 / lo, static_cast<double>(i) / steps);
                    for (double sv : steepGrid) {
                        std::vector<double> tf = factor, tsv = steep;
                        tf[li] = f;
                        tsv[li] = sv;
                        const double e = bandwidthMape(machineFor(tf, tsv, overhead, perUnit), calPts);
                        if (e < mape - 1e-9) {
                            mape = e;
                            factor = tf;
                            steep = tsv;
                        }
                    }
                }
            }
        }
        if (mape < bestMape - (pu == 0 ? 0.0 : kLayoutSwitchPct)) {
            bestMape = mape;
            bestFactor = factor;
            bestSteep = steep;
            bestOverhead = overhead;
            bestPerUnit = perUnit;
        }
    }
    const CpuMachine mc = machineFor(bestFactor, bestSteep, bestOverhead, bestPerUnit);
    for (std::size_t i = 0; i < caps.size(); ++i)
        caps[i] *= bestFactor[i];
    res.notes.push_back("L" + std::to_string(m.caches[llc].level) + ": effective capacity " +
                        fmtG(caps[llc] / 1048576) + " MiB" + (bestPerUnit ? " per core" : " shared") +
                        " fitted on the bandwidth curves (reported " + fmtG(m.caches[llc].sizeBytes / 1048576) +
                        " MiB " + (m.caches[llc].instances > 1 ? "per instance" : "shared") +
                        "; latency curve: " + fmtG(latencyCaps[llc] / 1048576) + " MiB)");
    std::string steepNote;
    for (std::size_t i = 0; i < caps.size(); ++i)
        steepNote += (i ? ", L" : "L") + std::to_string(m.caches[i].level) + " " + fmtG(bestSteep[i]) + " at " +
                     fmtG(caps[i] / 1024) + " KiB (x" + fmtG(bestFactor[i]) + ")";
    res.notes.push_back("spill steepness and capacity: " + steepNote + "; pass overhead " + fmtG(bestOverhead * 1e9) +
                        " ns; calibration-point MAPE " + fmtG(bestMape) + " % over " + std::to_string(calPts.size()) +
                        " points (1 and " + std::to_string(maxThreads) + " threads, read/write/copy)");
    for (const auto& l : mc.levels)
        if (l.allCoreBytesPerS[0] <= 0)
            res.notes.push_back(l.name + ": no bandwidth points; values kept from the base platform");
    // Latency per level: median of the single-thread chase points the level serves.
    // Level boundaries for latency are the chase curve's own (its jumps include TLB reach, which a random chase
    // feels and prefetched streams do not).
    const CpuMachine latMachine = skeleton(m, latencyCaps, cores);
    std::vector<double> latS(mc.levels.size(), 0.0);
    for (std::size_t li = 0; li < mc.levels.size(); ++li) {
        std::vector<double> v;
        for (const auto& s : m.latency)
            if (servingLevel(latMachine, s.footprintBytes, 1) == li)
                v.push_back(s.ns * 1e-9);
        latS[li] = median(v);
    }

    // Sources.
    const std::string bench = "cpu-bench", topo = "cpu-topology", capFit = "cpu-cache-fit";
    const std::string st(kSingleThreadSourceId);
    Source sb;
    sb.id = bench;
    sb.kind = SourceKind::Measured;
    sb.tool = m.tool;
    sb.date = m.date.empty() ? date : m.date;
    sb.card = m.cpu;
    sb.note =
        "rooflab calibrate cpu on " + m.dir +
        ": per-level bandwidths (all threads here, one thread in efficiency.cpu.single_thread) are least-squares "
        "fits of the read/write/copy points of bandwidth.csv at 1 and " +
        std::to_string(maxThreads) +
        " threads (relative time error; STREAM byte counting), given the fitted capacities, spill steepness and "
        "pass overhead (cpu-cache-fit); peaks are the fastest ISA of flops.csv per engine and datatype at 1 and " +
        std::to_string(maxThreads) + " threads; latencies are medians of latency.csv per level";
    Source stp = sb;
    stp.id = topo;
    stp.tool = "topology.json of " + m.dir + " (hwloc or sysfs, as recorded)";
    stp.note = "cores, cache sizes per level and instance count, memory size";
    p.sources[bench] = sb;
    p.sources[topo] = stp;

    // Memory levels: rebuild from the topology, keeping the base's names where the level exists.
    std::vector<MemoryLevel> levels;
    for (std::size_t li = 0; li < mc.levels.size(); ++li) {
        const CpuLevel& l = mc.levels[li];
        MemoryLevel ml;
        const MemoryLevel* b = base.level(l.kind);
        ml.name = b ? b->name : l.name;
        ml.kind = l.kind;
        ml.perUnit = l.perUnit;
        const bool fittedCap = li < bestFactor.size() && std::abs(bestFactor[li] - 1.0) > 1e-9;
        ml.capacityBytes = val(l.capacityBytes, fittedCap ? capFit : topo);
        if (l.kind == MemoryKind::Dram && l.capacityBytes <= 0 && b)
            ml.capacityBytes = b->capacityBytes;
        if (l.allCoreBytesPerS[0] > 0) {
            const double scale = l.kind == MemoryKind::L1 ? 1.0 / cores : 1.0;
            ml.readBytesPerS = val(l.allCoreBytesPerS[0] * scale, bench);
            if (l.allCoreBytesPerS[1] > 0)
                ml.writeBytesPerS = val(l.allCoreBytesPerS[1] * scale, bench);
            if (l.allCoreBytesPerS[2] > 0)
                ml.copyBytesPerS = val(l.allCoreBytesPerS[2] * scale, bench);
            res.fits.push_back({ml.name + " read, all cores", l.allCoreBytesPerS[0], "B/s", 0, 0, bench});
            res.fits.push_back({ml.name + " read, 1 thread", l.oneThreadBytesPerS[0], "B/s", 0, 0, bench});
            for (std::size_t k = 0; k < 3; ++k)
                if (l.oneThreadBytesPerS[k] > 0)
                    p.efficiency.cpu.singleThreadBytesPerS[static_cast<std::size_t>(l.kind)][k] =
                        val(l.oneThreadBytesPerS[k], bench);
        } else if (b) {
            ml.readBytesPerS = b->readBytesPerS;
            ml.writeBytesPerS = b->writeBytesPerS;
            ml.copyBytesPerS = b->copyBytesPerS;
        }
        if (latS[li] > 0)
            ml.latencyS = val(latS[li], bench);
        else if (b)
            ml.latencyS = b->latencyS;
        res.fits.push_back({ml.name + " capacity", ml.capacityBytes.si, "B", 0, 0, ml.capacityBytes.source});
        levels.push_back(ml);
    }
    p.memory = levels;
    // Bandwidths in the file are achieved rates: no further derating (SCHEMA.md: fraction 1.0, same source).
    p.efficiency.l1Fraction = val(1.0, bench);
    p.efficiency.l2Fraction = val(1.0, bench);
    p.efficiency.dramFraction = val(1.0, bench);

    // Compute engines: units = cores; peaks from the fastest ISA per engine kind and datatype.
    for (auto& e : p.compute) {
        e.units = val(cores, topo);
        for (std::size_t t = 0; t < kDTypeCount; ++t) {
            double all = 0, one = 0;
            std::string isa;
            for (const auto& s : m.flops) {
                if (engineKindForIsa(s.isa) != e.kind || *parseDType(s.dtype) != static_cast<DType>(t))
                    continue;
                if (s.threads == maxThreads && s.flopPerS > all) {
                    all = s.flopPerS;
                    isa = s.isa;
                }
                if (s.threads == 1)
                    one = std::max(one, s.flopPerS);
            }
            if (all <= 0) {
                // no measurement on this dataset: keep the base value (its provenance says what it is)
                continue;
            }
            e.peakFlopPerS[t] = val(all, bench);
            res.fits.push_back(
                {e.name + " " + std::string(dtypeName(static_cast<DType>(t))) + " (" + isa + "), all threads", all,
                 "flop/s", 0, 0, bench});
        }
    }
    // Engines that are in the data but not in the base (e.g. a scalar path) are not added: the platform's
    // engine list is the base's.

    // Single-thread engine rates (measured at one thread), SMT, pass overhead and spill steepness.
    for (const auto& e : p.compute)
        for (std::size_t t = 0; t < kDTypeCount; ++t) {
            double one = 0;
            for (const auto& f : m.flops)
                if (f.threads == 1 && engineKindForIsa(f.isa) == e.kind &&
                    *parseDType(f.dtype) == static_cast<DType>(t))
                    one = std::max(one, f.flopPerS);
            if (one > 0 && e.peakFlopPerS[t].present)
                p.efficiency.cpu.singleThreadFlopPerS[static_cast<std::size_t>(e.kind)][t] = val(one, bench);
        }
    // Vector fraction (the share of the SIMD fp32 peak that exp-heavy element-wise work reaches): from the
    // one-thread three-pass softmax points of the widest ISA that fit in half of L1 (compute-bound there), as the
    // model counts its flops (1 + 2 (kExpFlops + 1) per element). Every other softmax/reduction point stays out of
    // sample.
    {
        std::string widest;
        for (const char* isa : {"avx512", "avx2", "sse2"})
            for (const auto& s : m.vectorKernels)
                if (widest.empty() && s.isa == isa)
                    widest = isa;
        double oneFp32 = 0;
        for (const auto& f : m.flops)
            if (f.threads == 1 && f.dtype == "fp32" && engineKindForIsa(f.isa) != EngineKind::Matrix)
                oneFp32 = std::max(oneFp32, f.flopPerS);
        std::vector<double> fractions;
        for (const auto& s : m.vectorKernels)
            if (s.isa == widest && s.verified && s.threads == 1 && s.kernel == "softmax-3pass" &&
                s.footprintBytes <= 0.5 * m.caches.front().sizeBytes && oneFp32 > 0)
                fractions.push_back((1 + 2 * (kExpFlops + 1)) * s.elements * s.repetitions / s.medianS / oneFp32);
        if (!fractions.empty()) {
            const double vf = std::clamp(median(fractions), 1e-3, 1.0);
            p.efficiency.vectorFraction = val(vf, capFit);
            res.notes.push_back("vector fraction " + fmtG(vf) + " from " + std::to_string(fractions.size()) +
                                " one-thread " + widest + " softmax-3pass points in L1 (compute-bound)");
        }
    }
    const std::string smtSource = tpc > 1 && m.threadsPerCore <= 1 ? capFit : topo;
    p.efficiency.cpu.threadsPerCore = val(tpc, smtSource);
    p.efficiency.cpu.passOverheadS = val(bestOverhead, capFit);
    if (!m.smtPairs.empty()) {
        const std::string smtId = "smt-probe";
        p.efficiency.cpu.siblingStride = val(stride, smtId);
        Source ss;
        ss.id = smtId;
        ss.kind = SourceKind::Measured;
        ss.tool = "rooflab bench cpu --only smt (" + m.smtFile + ")";
        ss.date = date;
        ss.card = m.cpu;
        ss.note = "SMT-pairing probe: FMA and L1-read throughput of two threads pinned to each CPU pair; " +
                  smtLayout.verdict + (stride > 0 ? "" : " -> sibling_stride 0: threads fill cores first");
        p.sources[smtId] = ss;
    } else {
        p.efficiency.cpu.siblingStride = Value{};
    }
    for (std::size_t li = 0; li < caps.size(); ++li)
        p.efficiency.cpu.spillSteepness[static_cast<std::size_t>(mc.levels[li].kind)] = val(bestSteep[li], capFit);
    p.sources.erase(st); // older files carried the single-thread rates in this source's note

    // Thread scaling: at the thread counts between one and all (outside the fit above) the measured read/write/copy
    // samples against the core-fill model; per thread count, separately for samples served by a private level (L1,
    // L2: the cores' own resources) and by a shared one (last-level cache, DRAM), the median of predicted over
    // measured time is the throughput factor (two rounds: pass overheads do not scale). Triad and softmax/reduction
    // stay out of sample.
    p.efficiency.cpu.threadScaling.clear();
    p.efficiency.cpu.sharedThreadScaling.clear();
    {
        const std::string threadFit = "cpu-thread-fit";
        std::map<int, double> factors[2]; // [0] private, [1] shared
        CpuMachine mt = cpuMachineFrom(p);
        auto sharedLevel = [&](std::size_t level) {
            const CpuLevel& l = mt.levels[level];
            return !(l.perUnit && l.kind != MemoryKind::Dram);
        };
        auto install = [&] {
            mt.threadScaling.clear();
            mt.sharedThreadScaling.clear();
            for (const auto& [t, f] : factors[0])
                mt.threadScaling.emplace_back(static_cast<double>(t), f);
            for (const auto& [t, f] : factors[1])
                mt.sharedThreadScaling.emplace_back(static_cast<double>(t), f);
        };
        std::vector<CpuBandwidthSample> midPts;
        for (const auto& s : m.bandwidth)
            if (s.threads > 1 && s.threads < maxThreads && bwIndex(s.kernel) >= 0 && s.medianS > 0)
                midPts.push_back(s);
        for (int round = 0; round < 2; ++round) {
            std::map<int, std::vector<double>> ratios[2];
            for (const auto& s : midPts) {
                std::size_t level = 0;
                if (const double predictedS = samplePredictedS(mt, s, &level); predictedS > 0)
                    ratios[sharedLevel(level) ? 1 : 0][s.threads].push_back(predictedS / s.medianS);
            }
            for (int k = 0; k < 2; ++k)
                for (const auto& [t, r] : ratios[k])
                    factors[k][t] = std::clamp(factors[k].count(t) ? factors[k][t] * median(r) : median(r), 0.05, 20.0);
            install();
        }
        if (!factors[0].empty() || !factors[1].empty()) {
            const std::size_t n = midPts.size();
            const double err = bandwidthMape(mt, midPts);
            std::string list;
            for (int k = 0; k < 2; ++k)
                for (const auto& [t, f] : factors[k]) {
                    (k == 0 ? p.efficiency.cpu.threadScaling : p.efficiency.cpu.sharedThreadScaling)[t] =
                        val(f, threadFit);
                    const std::string what = std::string(k == 0 ? "private" : "shared") + " levels";
                    list += (list.empty() ? "" : ", ") + what + " " + std::to_string(t) + " threads x" + fmtG(f);
                    res.fits.push_back({std::to_string(t) + " threads: throughput factor, " + what, f, "",
                                        static_cast<int>(n), err, threadFit});
                }
            p.sources[threadFit] = fittedSource(
                threadFit, m, date,
                "throughput at thread counts between 1 and " + std::to_string(maxThreads) +
                    " relative to the core-fill model (threads fill cores, shared levels saturate): median of "
                    "predicted over measured time of the read/write/copy samples of bandwidth.csv at each count, "
                    "separately for samples served by private levels (thread_scaling; also the compute engines) and "
                    "by shared ones (shared_thread_scaling); fit_error_pct = the MAPE of those samples after the fit",
                err);
            res.notes.push_back("thread scaling (" + std::to_string(n) + " samples, MAPE " + fmtG(err) +
                                "% after): " + list);
        }
    }

    // GEMM efficiency from a CPU GEMM reference (cold weights), where given: per datatype the achieved fraction of
    // the engine peak, and one small-M half point for all datatypes, by grid search on the MAPE of the 1-thread and
    // all-thread rows; the other thread counts stay out of sample.
    if (!m.gemm.empty()) {
        const std::string gemmFit = "cpu-gemm-fit";
        std::vector<CpuGemmSample> fitRows;
        std::set<std::string> dtypes;
        for (const auto& g : m.gemm)
            if (g.threads == 1 || g.threads == maxThreads) {
                fitRows.push_back(g);
                dtypes.insert(g.dtype);
            }
        CpuMachine mg = cpuMachineFrom(p);
        // Memory side first: the rows of the smallest M of each datatype (GEMVs, memory-bound) give the fraction of
        // the bandwidth its kernels reach (median of predicted over measured time at fraction 1).
        std::map<std::string, double> memFrac;
        for (const auto& dt : dtypes) {
            double mMin = 1e300;
            for (const auto& g : fitRows)
                if (g.dtype == dt)
                    mMin = std::min(mMin, g.m);
            const auto ti = static_cast<std::size_t>(*parseDType(dt));
            mg.gemmMemoryFraction[ti] = 1.0;
            mg.gemmFraction[ti] = 1.0;
            std::vector<double> ratios;
            for (const auto& g : fitRows)
                if (g.dtype == dt && g.m == mMin && mMin <= 8)
                    if (const double ps = gemmPredictedS(mg, g); ps > 0)
                        ratios.push_back(ps / g.medianS);
            if (!ratios.empty()) {
                memFrac[dt] = std::clamp(median(ratios), 0.05, 2.0);
                mg.gemmMemoryFraction[ti] = memFrac[dt];
            }
        }
        const double halfGrid[] = {0, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256};
        double bestErr = 1e300, bestHalf = 0;
        std::map<std::string, double> bestFrac;
        for (double h : halfGrid) {
            mg.gemmSmallMHalf = h;
            double sum = 0;
            std::size_t n = 0;
            std::map<std::string, double> frac;
            for (const auto& dt : dtypes) {
                const auto ti = static_cast<std::size_t>(*parseDType(dt));
                double bestDt = 1e300;
                std::size_t bestCount = 0;
                for (int i = 10; i <= 100; ++i) {
                    mg.gemmFraction[ti] = i / 100.0;
                    double e = 0;
                    std::size_t c = 0;
                    for (const auto& g : fitRows)
                        if (g.dtype == dt)
                            if (const double ps = gemmPredictedS(mg, g); ps > 0) {
                                e += std::abs(ps - g.medianS) / g.medianS;
                                ++c;
                            }
                    if (c && e < bestDt) {
                        bestDt = e;
                        bestCount = c;
                        frac[dt] = i / 100.0;
                    }
                }
                mg.gemmFraction[ti] = frac[dt];
                if (bestCount) {
                    sum += bestDt;
                    n += bestCount;
                }
            }
            const double err = n ? 100 * sum / static_cast<double>(n) : 1e300;
            if (err < bestErr) {
                bestErr = err;
                bestHalf = h;
                bestFrac = frac;
            }
        }
        p.efficiency.gemmSmallMHalf = val(bestHalf, gemmFit);
        for (const auto& [dt, f] : memFrac) {
            p.efficiency.gemmMemoryFractionByDType[static_cast<std::size_t>(*parseDType(dt))] = val(f, gemmFit);
            res.fits.push_back(
                {"GEMM memory fraction, " + dt, f, "", static_cast<int>(fitRows.size()), bestErr, gemmFit});
        }
        std::string list;
        for (const auto& [dt, f] : bestFrac) {
            p.efficiency.gemmPeakFraction[static_cast<std::size_t>(*parseDType(dt))] = val(f, gemmFit);
            list += (list.empty() ? "" : ", ") + dt + " " + fmtG(f);
            res.fits.push_back(
                {"GEMM fraction of the engine peak, " + dt, f, "", static_cast<int>(fitRows.size()), bestErr, gemmFit});
        }
        res.fits.push_back(
            {"GEMM small-M half point", bestHalf, "rows", static_cast<int>(fitRows.size()), bestErr, gemmFit});
        p.sources[gemmFit] = fittedSource(
            gemmFit, m, date,
            "GEMM efficiency from the CPU GEMM reference " + m.gemmFile +
                " (PyTorch linear, weights rotated beyond the LLC): per datatype the fraction of the bandwidth its "
                "GEMVs reach (median over the smallest-M rows), the fraction of the engine peak, and the M at which "
                "a GEMM reaches half of it, by grid search on the MAPE of the rows at 1 and " +
                std::to_string(maxThreads) + " threads; fit_error_pct = that MAPE",
            bestErr);
        res.notes.push_back("GEMM (" + std::to_string(fitRows.size()) + " rows of " + m.gemmFile + "): fraction " +
                            list + ", small-M half " + fmtG(bestHalf) + " rows, MAPE " + fmtG(bestErr) + "%");
    }

    // Fit quality: the model on all bandwidth points of the set.
    const CpuMachine check = cpuMachineFrom(p);
    const CpuValidationResult v = validateCpu(check, m);
    double bwMape = 0;
    for (const auto& s : v.byClass)
        if (s.kernelClass == "all bandwidth")
            bwMape = s.mapePct;
    {
        const std::string note =
            "effective cache capacities (and whether the last level acts as shared or as a per-core share), spill "
            "steepness per cache level, pass overhead, vector fraction (one-thread softmax-3pass points in half "
            "of L1, where it is compute-bound)" +
            std::string(smtSource == capFit ? ", threads per core (SMT hidden by the hypervisor, inferred from "
                                              "FMA and L1 read scaling)"
                                            : "") +
            ": coordinate descent minimising the CPU model's MAPE on the read/write/copy points of bandwidth.csv "
            "at 1 and " +
            std::to_string(maxThreads) +
            " threads (capacity factors 0.5-1.5, last level 0.02-1.5, of the reported size); fit_error_pct = "
            "that MAPE";
        p.sources[capFit] = fittedSource(capFit, m, date, note, bestMape);
    }
    for (auto& f : res.fits)
        if (f.source == capFit)
            f.fitErrorPct = bestMape;
    res.notes.push_back("CPU model on the calibration set: bandwidth MAPE " + fmtG(bwMape) + "% over " +
                        std::to_string(m.bandwidth.size()) + " points");

    // Drop sources nothing cites any more (the base's placeholders for values now measured).
    const std::string yaml = io::platformToYaml(p);
    for (auto it = p.sources.begin(); it != p.sources.end();) {
        if (yaml.find("@" + it->first + "\"") == std::string::npos &&
            yaml.find("@" + it->first + " ") == std::string::npos &&
            yaml.find("@" + it->first + "\n") == std::string::npos)
            it = p.sources.erase(it);
        else
            ++it;
    }
    return res;
}

} // namespace rooflab

// ---------------------------------------------------------------- CPU framework (stack) constants

namespace rooflab {
namespace {

struct OpRow {
    std::string op, dtype;
    double threads = 0, m = 0, n = 0, k = 0, elements = 0, medianS = 0;
    double heads = 0, kvHeads = 0, headDim = 0; ///< attention rows of tables that name their shape (else 32/8/64)
};

std::vector<OpRow> readOpRows(const io::CsvTable& t) {
    const int cOp = t.requireColumn("op"), cD = t.requireColumn("dtype"), cT = t.requireColumn("threads"),
              cM = t.requireColumn("m"), cN = t.requireColumn("n"), cK = t.requireColumn("k"),
              cE = t.requireColumn("elements"), cMed = t.requireColumn("median_s");
    const int cH = t.column("heads"), cKv = t.column("kv_heads"), cHd = t.column("head_dim");
    std::vector<OpRow> rows;
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
        if (t.text(i, cMed).empty())
            continue; // op-count rows carry no time
        OpRow r;
        r.op = t.text(i, cOp);
        r.dtype = t.text(i, cD);
        r.threads = t.number(i, cT, 0, 65536);
        r.m = t.number(i, cM, 0, 1e12);
        r.n = t.number(i, cN, 0, 1e12);
        r.k = t.number(i, cK, 0, 1e12);
        r.elements = t.number(i, cE, 0, 1e15);
        r.medianS = t.number(i, cMed, 0, 1e6);
        if (cH >= 0 && cKv >= 0 && cHd >= 0 && !t.text(i, cHd).empty()) {
            r.heads = t.number(i, cH, 0, 1e6);
            r.kvHeads = t.number(i, cKv, 0, 1e6);
            r.headDim = t.number(i, cHd, 0, 1e6);
        }
        if (r.medianS > 0)
            rows.push_back(std::move(r));
    }
    return rows;
}

double medianOf(std::vector<double> v) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double mapeOf(const std::vector<std::pair<double, double>>& predMeas) {
    double s = 0;
    for (const auto& [p, m] : predMeas)
        s += std::abs(p - m) / m;
    return predMeas.empty() ? 0 : 100.0 * s / double(predMeas.size());
}

/// One point per thread count: the median of the values at that count (one per datatype fitted).
ThreadCurve medianByThreads(const ThreadCurve& points) {
    std::map<double, std::vector<double>> byT;
    for (const auto& [t, v] : points)
        byT[t].push_back(v);
    ThreadCurve out;
    for (const auto& [t, v] : byT)
        out.emplace_back(t, medianOf(v));
    return out;
}

/// time = intercept + slope x x, least squares weighted by 1 / time^2 (relative errors: the largest shapes do not
/// outweigh the rest). slope 0 when the points do not determine a rising line.
struct Line {
    double slope = 0, intercept = 0;
};
Line relativeLine(const std::vector<double>& xs, const std::vector<double>& ys) {
    Line l;
    if (xs.size() < 2)
        return l;
    double sw = 0, mx = 0, my = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const double w = 1.0 / (ys[i] * ys[i]);
        sw += w;
        mx += w * xs[i];
        my += w * ys[i];
    }
    mx /= sw;
    my /= sw;
    double sxy = 0, sxx = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const double w = 1.0 / (ys[i] * ys[i]);
        sxy += w * (xs[i] - mx) * (ys[i] - my);
        sxx += w * (xs[i] - mx) * (xs[i] - mx);
    }
    l.slope = sxx > 0 ? sxy / sxx : 0;
    l.intercept = my - l.slope * mx;
    return l;
}

std::string fmt(double v, int digits = 4) {
    std::ostringstream o;
    o.precision(digits);
    o << v;
    return o.str();
}

/// Ops per decoder layer as the stack counts them (a dense GQA layer without QK norm).
double kernelsPerLayer(const StackProfile& s) {
    return 2 * s.normKernels + (s.fusedQkv ? 1 : 3) + s.ropeKernels + s.kvAppendKernels + s.attentionKernels + 1 +
           2 * s.residualKernels + (s.fusedGateUp ? 1 : 2) + s.activationKernels + 1;
}

/// A CpuStackProfile holding one value at one thread count (to evaluate candidates through withCpuStack).
CpuStackProfile single(double threads, const std::string& dt, double gemv, double gemm, double halfM, double kv,
                       double attn) {
    CpuStackProfile c;
    c.present = true;
    if (gemv > 0)
        c.gemvDramFraction[dt] = {{threads, gemv}};
    if (gemm > 0)
        c.gemmPeakFraction[dt] = {{threads, gemm}};
    if (halfM >= 0)
        c.gemmHalfM[dt] = {{threads, halfM}};
    if (kv > 0)
        c.attentionKvFraction[dt] = {{threads, kv}};
    if (attn > 0)
        c.attentionPeakFraction[dt] = {{threads, attn}};
    return c;
}

} // namespace

io::CsvTable medianOfOpsTables(const std::vector<io::CsvTable>& tables) {
    if (tables.size() == 1)
        return tables.front();
    io::CsvTable out;
    if (tables.empty())
        return out;
    out.file = "per-point median of";
    for (const io::CsvTable& t : tables)
        out.file += " " + t.file;
    out.header = tables.front().header;
    const int outMedian = tables.front().requireColumn("median_s");
    const int outMin = tables.front().column("min_s"), outMax = tables.front().column("max_s");
    static constexpr const char* kKey[] = {"op", "dtype", "threads", "m", "n", "k", "elements"};
    struct Point {
        std::vector<std::string> row;
        int line = 0;
        std::vector<double> medians;
        std::size_t lastTable = 0; ///< the table that gave the last median (a key twice in one table counts once)
    };
    std::map<std::string, std::size_t> index;
    std::vector<Point> points;
    for (std::size_t ti = 0; ti < tables.size(); ++ti) {
        const io::CsvTable& t = tables[ti];
        t.requireColumn("op");
        t.requireColumn("threads");
        const int cm = t.requireColumn("median_s");
        std::vector<int> keyCols;
        for (const char* k : kKey)
            keyCols.push_back(t.column(k));
        for (std::size_t i = 0; i < t.rows.size(); ++i) {
            if (t.text(i, cm).empty())
                continue; // a point the benchmark skipped
            const double v = t.number(i, cm, 1e-12, 1e5);
            std::string key;
            for (int c : keyCols)
                key += (c < 0 ? std::string() : t.text(i, c)) + "|";
            auto [it, fresh] = index.try_emplace(key, points.size());
            if (fresh) {
                // The first table's columns, whatever order a later table writes them in.
                std::vector<std::string> row(out.header.size());
                for (std::size_t c = 0; c < out.header.size(); ++c) {
                    const int src = t.column(out.header[c]);
                    row[c] = src < 0 ? std::string() : t.text(i, src);
                }
                points.push_back({std::move(row), i < t.rowLines.size() ? t.rowLines[i] : 0, {}, ti});
            } else if (points[it->second].lastTable == ti) {
                continue; // the same point again in one table: its first row stands
            }
            points[it->second].medians.push_back(v);
            points[it->second].lastTable = ti;
        }
    }
    auto seconds = [](double v) {
        std::ostringstream os;
        os.precision(7);
        os << v;
        return os.str();
    };
    for (Point& p : points) {
        if (p.medians.size() < 2)
            continue;
        const auto [lo, hi] = std::minmax_element(p.medians.begin(), p.medians.end());
        p.row[static_cast<std::size_t>(outMedian)] = seconds(median(p.medians));
        if (outMin >= 0)
            p.row[static_cast<std::size_t>(outMin)] = seconds(*lo);
        if (outMax >= 0)
            p.row[static_cast<std::size_t>(outMax)] = seconds(*hi);
        out.rows.push_back(std::move(p.row));
        out.rowLines.push_back(p.line);
    }
    return out;
}

CpuStackFit fitCpuStack(const Platform& platform, const StackProfile& base, const io::CsvTable& ops,
                        CpuStepSource step) {
    const std::vector<OpRow> rows = readOpRows(ops);
    const PlatformModel all = PlatformModel::from(platform);
    CpuStackFit fit;
    fit.cpu.present = true;
    auto find = [&](const std::string& op, double threads, double k) -> const OpRow* {
        for (const auto& r : rows)
            if (r.op == op && r.threads == threads && r.k == k)
                return &r;
        return nullptr;
    };
    std::set<double> threadSet;
    for (const auto& r : rows)
        if (r.op == "tiny_model_decode")
            threadSet.insert(r.threads);
    if (threadSet.empty())
        throw InputError(ops.file, 1, "op", "no tiny_model_decode rows: the host-time fit needs them");

    // 1. Host time per op and per step (tiny models: 2 and 16 layers).
    const double perLayer = kernelsPerLayer(base);
    const double nonLayer = base.embeddingKernels + base.normKernels + 1; // embedding, final norm, LM head
    const std::string prefillOp = step == CpuStepSource::Generate ? "tiny_model_generate1" : "tiny_model_prefill";
    const std::string decodeOp =
        step == CpuStepSource::Generate ? "tiny_model_generate_per_token" : "tiny_model_decode";
    std::map<double, double> hostByThreads;
    std::vector<double> prefillFixed, decodeFixed;
    for (const double t : threadSet) {
        const OpRow *d2 = find("tiny_model_decode", t, 2), *d16 = find("tiny_model_decode", t, 16);
        const OpRow *p2 = find("tiny_model_prefill", t, 2), *p16 = find("tiny_model_prefill", t, 16);
        if (!d2 || !d16 || !p2 || !p16)
            continue;
        const double slopeD = (d16->medianS - d2->medianS) / 14.0, slopeP = (p16->medianS - p2->medianS) / 14.0;
        const double h = std::max(0.0, 0.5 * (slopeD + slopeP) / perLayer);
        hostByThreads[t] = h;
        fit.cpu.hostOverheadS.emplace_back(t, h);
        const OpRow *s2 = find(prefillOp, t, 2), *s16 = find(prefillOp, t, 16);
        const OpRow *g2 = find(decodeOp, t, 2), *g16 = find(decodeOp, t, 16);
        if (s2 && s16)
            prefillFixed.push_back(std::max(0.0, s2->medianS - 2 * (s16->medianS - s2->medianS) / 14.0 - h * nonLayer));
        if (g2 && g16)
            decodeFixed.push_back(std::max(0.0, g2->medianS - 2 * (g16->medianS - g2->medianS) / 14.0 - h * nonLayer));
    }
    if (fit.cpu.hostOverheadS.empty())
        throw InputError(ops.file, 1, "op", "tiny_model_{decode,prefill} rows at 2 and 16 layers are missing");
    fit.cpu.prefillStepS = medianOf(prefillFixed);
    fit.cpu.decodeStepS = medianOf(decodeFixed);
    {
        std::string h;
        for (const auto& [t, v] : fit.cpu.hostOverheadS)
            h += (h.empty() ? "" : ", ") + fmt(t) + ": " + fmt(v * 1e6, 3) + " us";
        fit.notes.push_back("host_overhead: per-layer slope of " + std::string("tiny_model_decode/prefill") +
                            " (2 vs 16 layers, mean of both phases) / " + fmt(perLayer) + " ops per layer: " + h);
        fit.notes.push_back("step_overhead: intercepts of " + prefillOp + " / " + decodeOp +
                            " less the embedding, final norm and LM-head ops, median over thread counts");
    }
    auto hostAt = [&](double t) { return threadCurveAt(fit.cpu.hostOverheadS, t, 0.0); };
    auto kernelOnly = [&](const OpRow& r, double opsInRow) {
        return std::max(0.2 * r.medianS, r.medianS - opsInRow * hostAt(r.threads));
    };

    // 2. GEMV / GEMM per datatype and thread count (F.linear, weights rotated beyond the caches).
    std::set<std::pair<std::string, double>> gemmKeys;
    for (const auto& r : rows)
        if (r.op == "linear")
            gemmKeys.insert({r.dtype, r.threads});
    for (const auto& [dt, t] : gemmKeys) {
        const auto type = parseDType(dt);
        if (!type)
            continue;
        const PlatformModel pmT = withCpuThreads(platform, all, t);
        // One-row products: time = fixed + weight bytes / (fraction x DRAM bandwidth), least squares.
        std::vector<double> xs, ys;
        std::vector<const OpRow*> one, many;
        for (const auto& r : rows) {
            if (r.op != "linear" || r.dtype != dt || r.threads != t)
                continue;
            if (r.m <= 1) {
                const PlatformModel pm1 = withCpuStack(pmT, single(t, dt, 1.0, 0, -1, 0, 0), *type, *type);
                const OpResult o = evalGemm(pm1, "gemv", 1, r.n, r.k, *type, *type, *type, LaunchMode::Stream, 1,
                                            bytesPerElement(*type));
                xs.push_back(o.memoryS[kDram]);
                ys.push_back(kernelOnly(r, 1));
                one.push_back(&r);
            } else {
                many.push_back(&r);
            }
        }
        double gemv = 1.0, fixedS = 0.0;
        // Relative errors, so that the LM head's 0.5 GB does not outweigh the projections.
        if (const Line l = relativeLine(xs, ys); l.slope > 0) {
            gemv = 1.0 / l.slope;
            fixedS = std::max(0.0, l.intercept);
        }
        gemv = std::clamp(gemv, 0.01, 10.0);
        fit.cpu.gemvDramFraction[dt].emplace_back(t, gemv);
        fit.cpu.gemmOverheadS.emplace_back(t, fixedS); // one curve: the datatypes' values at t are averaged below
        // Each measured shape's streaming time over the line's (the kernel streams some shapes slower than others
        // of the same bytes); one entry per shape (the first row of a shape measured twice).
        std::vector<CpuStackProfile::GemvShape> shapes;
        std::string shapeNote;
        if (xs.size() >= 2)
            for (std::size_t i = 0; i < xs.size(); ++i) {
                const double n = one[i]->n, k = one[i]->k;
                if (std::any_of(shapes.begin(), shapes.end(),
                                [&](const CpuStackProfile::GemvShape& g) { return g.n == n && g.k == k; }))
                    continue;
                const double ratio = std::clamp(std::max(0.0, ys[i] - fixedS) / (xs[i] / gemv), 0.25, 4.0);
                shapes.push_back({n, k, ratio});
                shapeNote += (shapeNote.empty() ? "" : ", ") + fmt(n, 10) + "x" + fmt(k, 10) + " " + fmt(ratio, 3);
            }
        if (!shapes.empty())
            fit.cpu.gemvShape[dt].emplace_back(t, shapes);
        double bestF = 0.5, bestH = 0, bestErr = 1e300;
        if (!many.empty()) {
            for (double h : {0.0,  1.0,  2.0,  4.0,  6.0,   8.0,   12.0,  16.0,  20.0,  24.0,  32.0,  40.0,  48.0,
                             56.0, 64.0, 80.0, 96.0, 128.0, 160.0, 192.0, 256.0, 384.0, 512.0, 768.0, 1024.0}) {
                for (double f = 0.02; f <= 4.0; f *= 1.03) {
                    CpuStackProfile cand = single(t, dt, gemv, f, h, 0, 0);
                    cand.gemmOverheadS = {{t, fixedS}};
                    if (!shapes.empty())
                        cand.gemvShape[dt] = {{t, shapes}};
                    const PlatformModel pmC = withCpuStack(pmT, cand, *type, *type);
                    std::vector<std::pair<double, double>> pm;
                    for (const OpRow* r : many) {
                        const OpResult o = evalGemm(pmC, "gemm", r->m, r->n, r->k, *type, *type, *type,
                                                    LaunchMode::Stream, 1, bytesPerElement(*type));
                        pm.emplace_back(o.timeS, kernelOnly(*r, 1));
                    }
                    const double e = mapeOf(pm);
                    if (e < bestErr) {
                        bestErr = e;
                        bestF = f;
                        bestH = h;
                    }
                }
            }
        }
        fit.cpu.gemmPeakFraction[dt].emplace_back(t, bestF);
        fit.cpu.gemmHalfM[dt].emplace_back(t, bestH);
        fit.notes.push_back("gemm " + dt + " @" + fmt(t) + " threads: gemv_dram_fraction " + fmt(gemv) + ", fixed " +
                            fmt(fixedS * 1e6, 3) + " us (least squares over " + std::to_string(xs.size()) +
                            " one-row shapes), gemm_peak_fraction " + fmt(bestF) + ", gemm_half_m " + fmt(bestH) +
                            " (" + std::to_string(many.size()) + " shapes, MAPE " + fmt(many.empty() ? 0 : bestErr, 3) +
                            "%)");
        if (!shapeNote.empty())
            fit.notes.push_back("gemv_shape " + dt + " @" + fmt(t) +
                                " threads (n x k: one-row streaming time / the line's): " + shapeNote);
    }

    fit.cpu.gemmOverheadS = medianByThreads(fit.cpu.gemmOverheadS);

    // 3. Attention (SDPA with enable_gqa, as transformers calls it): 32/8 heads, head size 64. Tables that name each
    // row's heads and head size (llama.cpp's flash attention) also give the decode time per query head and key, by
    // head size: that path does the same work for every query head whatever the KV heads (GQA shares nothing), and
    // its speed depends on the head size, so K/V bytes do not describe it.
    auto standardShape = [](const OpRow& r) {
        return r.headDim == 0 || (r.heads == 32 && r.kvHeads == 8 && r.headDim == 64);
    };
    std::map<std::pair<int, double>, std::vector<double>> perHeadKey;
    for (const auto& r : rows)
        if (r.op == "sdpa_gqa_decode" && r.headDim > 0 && r.heads > 0 && r.k > 0)
            perHeadKey[{int(r.headDim), r.threads}].push_back(
                kernelOnly(r, base.attentionKernels) / (std::max(1.0, r.m) * r.heads * std::max(1.0, r.n) * r.k));
    for (const auto& [key, v] : perHeadKey) {
        const double sPerHeadKey = medianOf(v);
        fit.cpu.attentionDecodeSPerHeadKey[key.first].emplace_back(key.second, sPerHeadKey);
        fit.notes.push_back("attention_decode_head_key " + std::to_string(key.first) + " @" + fmt(key.second) +
                            " threads: " + fmt(sPerHeadKey * 1e9, 4) + " ns per query head and key (median of " +
                            std::to_string(v.size()) + " decode shapes)");
    }
    std::set<std::pair<std::string, double>> attnKeys;
    for (const auto& r : rows)
        if (r.op == "sdpa_gqa_decode" && standardShape(r))
            attnKeys.insert({r.dtype, r.threads});
    for (const auto& [dt, t] : attnKeys) {
        const auto type = parseDType(dt);
        if (!type)
            continue;
        const PlatformModel pmT = withCpuThreads(platform, all, t);
        auto shape = [&](const OpRow& r, bool prefill) {
            AttentionShape s;
            s.batch = r.m;
            s.queries = r.n;
            s.keys = r.k;
            s.heads = 32;
            s.kvHeads = 8;
            s.qkDim = s.vDim = 64;
            s.kvBytesPerElement = s.actBytesPerElement = bytesPerElement(*type);
            s.causal = prefill;
            return s;
        };
        // Each row times one scaled_dot_product_attention call: one op's host time comes off (the stack's other
        // attention ops, views and transposes, pay theirs in the step's host time).
        std::vector<double> xs, ys;
        std::vector<const OpRow*> pre;
        for (const auto& r : rows) {
            if (r.dtype != dt || r.threads != t || !standardShape(r))
                continue;
            if (r.op == "sdpa_gqa_decode") {
                const PlatformModel pm1 = withCpuStack(pmT, single(t, dt, 0, 0, -1, 1.0, 0), *type, *type);
                const OpResult o = evalAttention(pm1, "attention", shape(r, false), *type, LaunchMode::Stream);
                xs.push_back(o.memoryS[kDram]);
                ys.push_back(kernelOnly(r, 1));
            } else if (r.op == "sdpa_gqa_prefill") {
                pre.push_back(&r);
            }
        }
        // Decode: time = fixed + K/V bytes / (fraction x DRAM bandwidth), least squares in relative error (the call
        // has a fixed part: one query's softmax and the OpenMP region). With a per-(head x key) decode time the K/V
        // stream is only a bound: the plain DRAM rate, no fixed part.
        double kv = 1.0, attnFixedS = 0.0;
        if (perHeadKey.empty()) {
            if (const Line l = relativeLine(xs, ys); l.slope > 0) {
                kv = std::clamp(1.0 / l.slope, 0.01, 10.0);
                attnFixedS = std::max(0.0, l.intercept);
            }
            fit.cpu.attentionOverheadS.emplace_back(t, attnFixedS); // one curve: medianByThreads over datatypes
        }
        auto withAttention = [&, t = t](double kvFraction, double peakFraction) {
            CpuStackProfile c = single(t, dt, 0, 0, -1, kvFraction, peakFraction);
            if (perHeadKey.empty())
                c.attentionOverheadS = {{t, attnFixedS}};
            return c;
        };
        double bestF = 0.5, bestErr = 1e300;
        for (double f = 0.001; f <= 4.0 && !pre.empty(); f *= 1.03) {
            const PlatformModel pmC = withCpuStack(pmT, withAttention(kv, f), *type, *type);
            std::vector<std::pair<double, double>> pm;
            for (const OpRow* r : pre) {
                const OpResult o = evalAttention(pmC, "attention", shape(*r, true), *type, LaunchMode::Stream);
                pm.emplace_back(o.timeS, kernelOnly(*r, 1));
            }
            const double e = mapeOf(pm);
            if (e < bestErr) {
                bestErr = e;
                bestF = f;
            }
        }
        fit.cpu.attentionKvFraction[dt].emplace_back(t, kv);
        if (!pre.empty())
            fit.cpu.attentionPeakFraction[dt].emplace_back(t, bestF);
        fit.notes.push_back("attention " + dt + " @" + fmt(t) + " threads: attention_kv_fraction " + fmt(kv) +
                            ", fixed " + fmt(attnFixedS * 1e6, 3) + " us (least squares over " +
                            std::to_string(xs.size()) + " decode shapes), attention_peak_fraction " + fmt(bestF) +
                            " (" + std::to_string(pre.size()) + " prefill shapes, MAPE " +
                            fmt(pre.empty() ? 0 : bestErr, 3) + "%)");
    }
    fit.cpu.attentionOverheadS = medianByThreads(fit.cpu.attentionOverheadS);

    // 4. Element-wise passes (bf16 rows of 512+ tokens at 4 and 16 threads): solve evalMemoryOp for the passes.
    struct Elem {
        const char* op;
        double kernels;
        double* passes;
        OpClass cls;
        bool norm;
        const char* key;
    };
    const Elem elems[] = {
        {"hf_rmsnorm", base.normKernels, &fit.normPasses, OpClass::Norm, true, "norm"},
        {"hf_rope", base.ropeKernels, &fit.ropePasses, OpClass::Rope, false, "rope"},
        {"silu_mul", base.activationKernels, &fit.activationPasses, OpClass::Elementwise, false, "activation"},
        {"add", base.residualKernels, &fit.residualPasses, OpClass::Elementwise, false, "residual"}};
    // The fixed cost of an op ATen runs on all threads: `add` of 16 tokens (32768 elements, just at the grain; its
    // bytes take well under a microsecond), less the op's host time.
    for (const double t : threadSet)
        for (const auto& r : rows)
            if (r.op == "add" && r.dtype == "bf16" && r.threads == t && r.m == 16)
                fit.cpu.parallelOpOverheadS.emplace_back(t, std::max(0.0, r.medianS - hostAt(t)));
    fit.notes.push_back("parallel_op_overhead: add of 16 x 2048 bf16 (ATen's grain: one OpenMP region) less the op's "
                        "host time");
    for (const Elem& e : elems) {
        std::vector<double> found;
        for (const auto& r : rows) {
            if (r.op != e.op || r.dtype != "bf16" || r.m < 512 || (r.threads != 4 && r.threads != 16))
                continue;
            PlatformModel pmT = withCpuThreads(platform, all, r.threads);
            pmT.elementwiseOverheadS = threadCurveAt(fit.cpu.parallelOpOverheadS, r.threads, 0.0);
            const double baseBytes = r.elements * 2.0;
            const double want = kernelOnly(r, e.kernels);
            auto timeAt = [&](double passes) {
                return evalMemoryOp(pmT, e.op, e.cls, baseBytes * passes, baseBytes * passes,
                                    e.norm ? 4.0 * r.elements : r.elements, e.kernels, LaunchMode::Stream,
                                    e.norm ? r.n : 0.0)
                    .timeS;
            };
            double lo = 0.05, hi = 64;
            if (timeAt(hi) < want) {
                found.push_back(hi);
                continue;
            }
            for (int it = 0; it < 60; ++it) {
                const double mid = std::sqrt(lo * hi);
                (timeAt(mid) < want ? lo : hi) = mid;
            }
            found.push_back(std::sqrt(lo * hi));
        }
        if (!found.empty())
            *e.passes = medianOf(found);
        fit.notes.push_back(std::string("passes.") + e.key + " " + fmt(*e.passes) + ": median of " +
                            std::to_string(found.size()) + " " + e.op +
                            " rows (bf16, 512-2048 tokens, 4 and 16 "
                            "threads) solved on evalMemoryOp, " +
                            fmt(e.kernels) + " ops each");
    }
    return fit;
}

std::string writeCpuStackYaml(const std::string& text, const CpuStackFit& fit, const std::string& provenance) {
    std::istringstream in(text);
    std::ostringstream out;
    std::string line;
    bool inPasses = false;
    auto num = [](double v) { return fmt(v, 4); };
    auto us = [](double s) { return fmt(s * 1e6, 4) + " us"; };
    while (std::getline(in, line)) {
        if (line.rfind("cpu:", 0) == 0)
            break; // regenerated below
        const bool top = !line.empty() && line[0] != ' ' && line[0] != '#';
        if (top)
            inPasses = line.rfind("passes:", 0) == 0;
        if (inPasses && !top) {
            const std::size_t colon = line.find(':');
            const std::size_t key0 = line.find_first_not_of(' ');
            if (colon != std::string::npos && key0 != std::string::npos && line[key0] != '#') {
                const std::string key = line.substr(key0, colon - key0);
                const std::map<std::string, double> v{{"norm", fit.normPasses},
                                                      {"rope", fit.ropePasses},
                                                      {"activation", fit.activationPasses},
                                                      {"residual", fit.residualPasses}};
                if (const auto it = v.find(key); it != v.end()) {
                    const std::size_t hash = line.find('#', colon);
                    line = line.substr(0, colon + 1) + " " + num(it->second) +
                           (hash != std::string::npos ? "   " + line.substr(hash) : "");
                }
            }
        }
        out << line << "\n";
    }
    out << "cpu:\n";
    out << "  # Fitted by rooflab calibrate cpu --stack (" << provenance << "), from single-op microbenchmarks only:\n";
    for (const auto& n : fit.notes)
        out << "  #   " << n << "\n";
    out << "  host_overhead: {";
    for (std::size_t i = 0; i < fit.cpu.hostOverheadS.size(); ++i)
        out << (i ? ", " : "") << fmt(fit.cpu.hostOverheadS[i].first) << ": " << us(fit.cpu.hostOverheadS[i].second);
    out << "}\n";
    out << "  step_overhead: {prefill: " << us(fit.cpu.prefillStepS) << ", decode: " << us(fit.cpu.decodeStepS)
        << "}\n";
    auto timeCurve = [&](const char* key, const ThreadCurve& c) {
        if (c.empty())
            return;
        out << "  " << key << ": {";
        for (std::size_t i = 0; i < c.size(); ++i)
            out << (i ? ", " : "") << fmt(c[i].first) << ": " << us(c[i].second);
        out << "}\n";
    };
    timeCurve("gemm_overhead", fit.cpu.gemmOverheadS);
    timeCurve("attention_overhead", fit.cpu.attentionOverheadS);
    timeCurve("parallel_op_overhead", fit.cpu.parallelOpOverheadS);
    auto byType = [&](const char* key, const CpuStackProfile::ByType& by) {
        if (by.empty())
            return;
        out << "  " << key << ":\n";
        for (const auto& [dt, c] : by) {
            out << "    " << dt << ": {";
            for (std::size_t i = 0; i < c.size(); ++i)
                out << (i ? ", " : "") << fmt(c[i].first) << ": " << num(c[i].second);
            out << "}\n";
        }
    };
    byType("gemv_dram_fraction", fit.cpu.gemvDramFraction);
    if (!fit.cpu.gemvShape.empty()) {
        out << "  gemv_shape:   # {threads: [[n, k, one-row streaming time / gemv_dram_fraction's], ...]}\n";
        for (const auto& [dt, byThreads] : fit.cpu.gemvShape) {
            out << "    " << dt << ":\n";
            for (const auto& [t, shapes] : byThreads) {
                out << "      " << fmt(t) << ": [";
                for (std::size_t i = 0; i < shapes.size(); ++i)
                    out << (i ? ", " : "") << "[" << fmt(shapes[i].n, 10) << ", " << fmt(shapes[i].k, 10) << ", "
                        << num(shapes[i].ratio) << "]";
                out << "]\n";
            }
        }
    }
    byType("gemm_peak_fraction", fit.cpu.gemmPeakFraction);
    byType("gemm_half_m", fit.cpu.gemmHalfM);
    byType("attention_kv_fraction", fit.cpu.attentionKvFraction);
    byType("attention_peak_fraction", fit.cpu.attentionPeakFraction);
    if (!fit.cpu.attentionDecodeSPerHeadKey.empty()) {
        out << "  attention_decode_head_key:\n";
        for (const auto& [hd, c] : fit.cpu.attentionDecodeSPerHeadKey) {
            out << "    " << hd << ": {";
            for (std::size_t i = 0; i < c.size(); ++i)
                out << (i ? ", " : "") << fmt(c[i].first) << ": " << fmt(c[i].second * 1e9, 4) << " ns";
            out << "}\n";
        }
    }
    return out.str();
}

} // namespace rooflab
