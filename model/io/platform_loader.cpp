#include "io/platform_loader.hpp"

#include "io/data_paths.hpp"
#include "io/files.hpp"
#include "io/yaml_util.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>

namespace rooflab::io {

namespace fs = std::filesystem;

namespace {

constexpr int kMaxExtendsDepth = 4;

/// Reads values of the form "<number> [unit] @<source-id>".
class ValueReader {
public:
    ValueReader(const Platform& p, std::string file) : m_platform(p), m_file(std::move(file)) {}

    Value read(MapReader& r, const std::string& key, Dimension d, bool required, double minSi, double maxSi,
               double clockHz = 0.0) {
        const YAML::Node n = required ? r.required(key) : r.optional(key);
        if (!n.IsDefined() || n.IsNull())
            return Value{};
        const std::string text = scalarText(n, m_file, r.keyPath(key));
        const auto at = text.rfind('@');
        if (at == std::string::npos)
            r.failAt(n, key, "value '" + text + "' has no provenance; write it as '<value> @<source-id>'");
        std::string src = text.substr(at + 1);
        while (!src.empty() && src.back() == ' ')
            src.pop_back();
        if (src.empty() || src.find(' ') != std::string::npos)
            r.failAt(n, key, "'" + text + "': expected one source id after '@'");
        if (!m_platform.sources.count(src)) {
            std::vector<std::string> ids;
            for (const auto& [id, s] : m_platform.sources)
                ids.push_back(id);
            const std::string near = closestMatch(src, ids);
            r.failAt(n, key,
                     "source '" + src + "' is not defined under 'sources'" +
                         (near.empty() ? "" : " (did you mean '" + near + "'?)"));
        }
        std::string err;
        auto q = parseQuantity(text.substr(0, at), d, err);
        if (!q)
            r.failAt(n, key, err);
        double si = q->value;
        if (q->inCycles) {
            if (clockHz <= 0)
                r.failAt(n, key, "a latency in cycles needs a clock; give compute[0].clock or write it in ns");
            si = q->value / clockHz;
        }
        if (!(si >= minSi && si <= maxSi)) {
            std::ostringstream os;
            os << "value " << text.substr(0, at) << "is out of range (must be between " << formatQuantity(minSi, d)
               << " and " << formatQuantity(maxSi, d) << ")";
            r.failAt(n, key, os.str());
        }
        Value v;
        v.si = si;
        v.source = src;
        v.line = lineOf(n);
        v.present = true;
        return v;
    }

private:
    const Platform& m_platform;
    std::string m_file;
};

/// Deep merge: maps merge key by key, everything else in `over` replaces `base`.
YAML::Node mergeNodes(const YAML::Node& base, const YAML::Node& over) {
    if (!base.IsMap() || !over.IsMap())
        return YAML::Clone(over);
    YAML::Node out = YAML::Clone(base);
    for (auto it = over.begin(); it != over.end(); ++it) {
        const std::string key = it->first.Scalar();
        if (out[key].IsDefined() && out[key].IsMap() && it->second.IsMap())
            out[key] = mergeNodes(out[key], it->second);
        else
            out[key] = YAML::Clone(it->second);
    }
    return out;
}

void readSources(Platform& p, MapReader& root) {
    const YAML::Node srcs = root.required("sources");
    if (!srcs.IsMap() || srcs.size() == 0)
        root.failAt(srcs, "sources", "expected a mapping of provenance records (id: {kind: ..., ...})");
    for (auto it = srcs.begin(); it != srcs.end(); ++it) {
        const std::string id = it->first.Scalar();
        MapReader r(it->second, p.file, "sources." + id, lineOf(it->first));
        Source s;
        s.id = id;
        const std::string kind = r.requiredChoice("kind", {"datasheet", "published", "measured", "fitted", "assumed"});
        if (kind == "datasheet" || kind == "published") {
            s.kind = kind == "datasheet" ? SourceKind::Datasheet : SourceKind::Published;
            s.citation = r.requiredString("citation");
            s.note = r.optionalString("note");
        } else if (kind == "measured") {
            s.kind = SourceKind::Measured;
            s.tool = r.requiredString("tool");
            s.date = r.requiredString("date");
            s.card = r.requiredString("card");
            s.driver = r.optionalString("driver");
            s.note = r.optionalString("note");
        } else if (kind == "fitted") {
            s.kind = SourceKind::Fitted;
            s.tool = r.requiredString("tool");
            s.date = r.requiredString("date");
            s.note = r.requiredString("note");
            s.fitErrorPct = r.optionalNumber("fit_error_pct", 0.0, 0.0, 1e6);
            s.card = r.optionalString("card");
        } else {
            s.kind = SourceKind::Assumed;
            s.note = r.requiredString("note");
        }
        r.finish();
        p.sources[id] = s;
    }
}

constexpr double kBig = 1e30;

void readLink(Platform& p, ValueReader& vr, MapReader& root, const std::string& key, Link& link, bool scaleUp) {
    const YAML::Node n = root.optional(key);
    if (!n.IsDefined() || n.IsNull())
        return;
    MapReader r(n, p.file, key, root.line());
    link.name = r.requiredString("name");
    link.bytesPerS = vr.read(r, "bandwidth", Dimension::BytesPerSecond, true, 1e3, 1e15);
    link.latencyS = vr.read(r, "latency", Dimension::Seconds, true, 0.0, 1.0);
    if (scaleUp)
        link.devicesPerNode = vr.read(r, "devices_per_node", Dimension::Count, true, 1.0, 1e6);
    r.finish();
}

// efficiency.cpu's thread-scaling curves, by YAML key (reader, writer and efficiencyEntries share the list).
template <class Cpu> auto threadScalingCurves(Cpu& c) {
    using Curve = decltype(&c.threadScaling);
    return std::array<std::pair<const char*, Curve>, 2>{
        {{"thread_scaling", &c.threadScaling}, {"shared_thread_scaling", &c.sharedThreadScaling}}};
}

// efficiency.cpu: threads_per_core, pass_overhead, sibling_stride, single_thread.<level kind>.<read|write|copy> (B/s)
// and single_thread.<engine kind>.<dtype> (flop/s), spill_steepness.<level kind>.
void readCpuEfficiency(CpuEfficiency& c, ValueReader& vr, MapReader& parent, const std::string& file) {
    const YAML::Node n = parent.optional("cpu");
    if (!n.IsDefined() || n.IsNull())
        return;
    MapReader r(n, file, "efficiency.cpu", parent.line());
    c.threadsPerCore = vr.read(r, "threads_per_core", Dimension::Count, false, 1, 8);
    c.passOverheadS = vr.read(r, "pass_overhead", Dimension::Seconds, false, 0.0, 1e-3);
    c.siblingStride = vr.read(r, "sibling_stride", Dimension::Count, false, 0, 4096);
    const YAML::Node st = r.optional("single_thread");
    if (st.IsDefined() && !st.IsNull()) {
        MapReader sr(st, file, "efficiency.cpu.single_thread", r.line());
        for (int k = 0; k < 4; ++k) {
            const std::string level(memoryKindName(static_cast<MemoryKind>(k)));
            const YAML::Node ln = sr.optional(level);
            if (!ln.IsDefined() || ln.IsNull())
                continue;
            MapReader lr(ln, file, "efficiency.cpu.single_thread." + level, sr.line());
            const char* kinds[3] = {"read", "write", "copy"};
            for (std::size_t b = 0; b < 3; ++b)
                c.singleThreadBytesPerS[static_cast<std::size_t>(k)][b] =
                    vr.read(lr, kinds[b], Dimension::BytesPerSecond, false, 1e3, 1e16);
            lr.finish();
        }
        for (int k = 0; k < 4; ++k) {
            const std::string engine(engineKindName(static_cast<EngineKind>(k)));
            const YAML::Node en = sr.optional(engine);
            if (!en.IsDefined() || en.IsNull())
                continue;
            MapReader er(en, file, "efficiency.cpu.single_thread." + engine, sr.line());
            for (std::size_t t = 0; t < kDTypeCount; ++t)
                c.singleThreadFlopPerS[static_cast<std::size_t>(k)][t] = vr.read(
                    er, std::string(dtypeName(static_cast<DType>(t))), Dimension::FlopPerSecond, false, 1e3, 1e18);
            er.finish();
        }
        sr.finish();
    }
    for (const auto& [key, target] : threadScalingCurves(c)) {
        const YAML::Node ts = r.optional(key);
        if (!ts.IsDefined() || ts.IsNull())
            continue;
        if (!ts.IsMap())
            r.failAt(ts, key, "expected a map of thread count -> factor ({2: 0.95, 8: 0.6})");
        MapReader tr(ts, file, std::string("efficiency.cpu.") + key, r.line());
        for (const auto& kv : ts) {
            const std::string k = kv.first.Scalar();
            char* end = nullptr;
            const long t = std::strtol(k.c_str(), &end, 10);
            if (k.empty() || *end != '\0' || t < 2 || t > 65536)
                tr.failAt(kv.first, k, "a key must be a thread count >= 2");
            (*target)[static_cast<int>(t)] = vr.read(tr, k, Dimension::Count, true, 0.05, 20);
        }
        tr.finish();
    }
    const YAML::Node sp = r.optional("spill_steepness");
    if (sp.IsDefined() && !sp.IsNull()) {
        MapReader pr(sp, file, "efficiency.cpu.spill_steepness", r.line());
        for (int k = 0; k < 4; ++k)
            c.spillSteepness[static_cast<std::size_t>(k)] = vr.read(
                pr, std::string(memoryKindName(static_cast<MemoryKind>(k))), Dimension::Count, false, 0.25, 100);
        pr.finish();
    }
    r.finish();
}

void readEfficiency(Platform& p, ValueReader& vr, MapReader& root) {
    const YAML::Node n = root.optional("efficiency");
    if (!n.IsDefined() || n.IsNull())
        return;
    MapReader r(n, p.file, "efficiency", root.line());
    Efficiency& e = p.efficiency;
    readCpuEfficiency(e.cpu, vr, r, p.file);
    for (const EfficiencyParam& k : efficiencyParams()) {
        const std::span<Value> slots = k.values(e);
        if (k.shape == ParamShape::Scalar) {
            slots[0] = vr.read(r, k.key, k.dimension, false, k.min, k.max);
            continue;
        }
        const YAML::Node g = r.optional(k.key);
        if (!g.IsDefined() || g.IsNull())
            continue;
        MapReader gr(g, p.file, std::string("efficiency.") + k.key, r.line());
        for (std::size_t i = 0; i < slots.size(); ++i)
            slots[i] = vr.read(gr, std::string(k.slotKey(i)), k.dimension, false, k.min, k.max);
        gr.finish();
    }
    r.finish();
}

Platform parseRoot(const YAML::Node& rootNode, const std::string& file) {
    Platform p;
    p.file = file;
    MapReader root(rootNode, file, "");
    root.requireVersion1("platform");
    root.optional("extends"); // resolved before parsing
    p.name = root.requiredString("name");
    p.vendor = root.requiredString("vendor");
    p.kind = root.requiredChoice("kind", {"gpu", "cpu"}) == "gpu" ? DeviceKind::Gpu : DeviceKind::Cpu;
    p.partNumber = root.optionalString("part_number");
    p.description = root.optionalString("description");
    readSources(p, root);
    ValueReader vr(p, file);
    p.devicesPerNode = vr.read(root, "devices_per_node", Dimension::Count, true, 1.0, 1e6);

    const YAML::Node comp = root.required("compute");
    if (!comp.IsSequence() || comp.size() == 0)
        root.failAt(comp, "compute", "expected a non-empty list of compute engines");
    for (std::size_t i = 0; i < comp.size(); ++i) {
        const std::string path = "compute[" + std::to_string(i) + "]";
        MapReader r(comp[i], file, path, root.line());
        ComputeEngine e;
        e.name = r.requiredString("name");
        const std::string kind = r.requiredChoice("kind", {"tensor", "vector", "matrix", "scalar"});
        e.kind = kind == "tensor"   ? EngineKind::Tensor
                 : kind == "vector" ? EngineKind::Vector
                 : kind == "matrix" ? EngineKind::Matrix
                                    : EngineKind::Scalar;
        e.units = vr.read(r, "units", Dimension::Count, true, 1.0, 1e6);
        e.clockHz = vr.read(r, "clock", Dimension::Hertz, true, 1e6, 1e11);
        MapReader pr(r.required("peak"), file, path + ".peak", r.line());
        bool any = false;
        for (std::size_t t = 0; t < kDTypeCount; ++t) {
            e.peakFlopPerS[t] =
                vr.read(pr, std::string(dtypeName(static_cast<DType>(t))), Dimension::FlopPerSecond, false, 1e6, 1e19);
            any = any || e.peakFlopPerS[t].present;
        }
        pr.finish();
        if (!any)
            r.fail("peak", "no datatype has a peak rate (keys: " + dtypeNameList() + ")");
        r.finish();
        p.compute.push_back(e);
    }
    const double clock = p.compute.front().clockHz.si;

    const YAML::Node mem = root.required("memory");
    if (!mem.IsSequence() || mem.size() == 0)
        root.failAt(mem, "memory", "expected a non-empty list of memory levels, nearest first");
    int lastRank = -1;
    for (std::size_t i = 0; i < mem.size(); ++i) {
        const std::string path = "memory[" + std::to_string(i) + "]";
        MapReader r(mem[i], file, path, root.line());
        MemoryLevel m;
        m.name = r.requiredString("name");
        const std::string kind = r.requiredChoice("kind", {"l1", "l2", "l3", "dram"});
        m.kind = kind == "l1"   ? MemoryKind::L1
                 : kind == "l2" ? MemoryKind::L2
                 : kind == "l3" ? MemoryKind::L3
                                : MemoryKind::Dram;
        const int rank = static_cast<int>(m.kind);
        if (rank <= lastRank)
            r.fail("kind", "memory levels must be listed nearest first, each kind once (l1, l2, l3, dram)");
        lastRank = rank;
        m.perUnit = r.optionalBool("per_unit", false);
        m.capacityBytes = vr.read(r, "capacity", Dimension::Bytes, true, 1.0, 1e16);
        m.readBytesPerS = vr.read(r, "read", Dimension::BytesPerSecond, true, 1e6, 1e17);
        m.writeBytesPerS = vr.read(r, "write", Dimension::BytesPerSecond, false, 1e6, 1e17);
        m.copyBytesPerS = vr.read(r, "copy", Dimension::BytesPerSecond, false, 1e6, 1e17);
        m.latencyS = vr.read(r, "latency", Dimension::Seconds, false, 0.0, 1e-3, clock);
        r.finish();
        p.memory.push_back(m);
    }
    if (p.memory.back().kind != MemoryKind::Dram)
        root.fail("memory", "the last memory level must be of kind dram (HBM, GDDR or DDR)");

    readLink(p, vr, root, "host_link", p.hostLink, false);
    readLink(p, vr, root, "scale_up", p.scaleUp, true);
    readLink(p, vr, root, "scale_out", p.scaleOut, false);
    p.launchOverheadS = vr.read(root, "launch_overhead", Dimension::Seconds, p.kind == DeviceKind::Gpu, 0.0, 1e-2);

    const YAML::Node pw = root.required("power");
    {
        MapReader r(pw, file, "power", root.line());
        p.power.tdpW = vr.read(r, "tdp", Dimension::Watts, true, 1.0, 1e6);
        p.power.idleW = vr.read(r, "idle", Dimension::Watts, false, 0.0, 1e6);
        p.power.joulesPerByteDram = vr.read(r, "energy_per_dram_byte", Dimension::JoulesPerByte, false, 0.0, 1e-6);
        p.power.joulesPerFlop = vr.read(r, "energy_per_flop", Dimension::JoulesPerFlop, false, 0.0, 1e-6);
        r.finish();
        if (p.power.idleW && p.power.idleW.si > p.power.tdpW.si)
            r.fail("idle", "idle power exceeds tdp");
    }
    readEfficiency(p, vr, root);
    root.finish();
    return p;
}

YAML::Node resolveExtends(const YAML::Node& node, const std::string& file, const std::string& baseDir, int depth,
                          std::string& extendsName) {
    if (!node.IsMap())
        return node;
    const YAML::Node ext = node["extends"];
    if (!ext.IsDefined() || ext.IsNull())
        return node;
    const std::string base = scalarText(ext, file, "extends");
    extendsName = base;
    if (depth >= kMaxExtendsDepth)
        throw InputError(file, lineOf(ext), "extends", "platforms extend each other too deeply (a cycle?)");
    std::string basePath;
    // A name the file system cannot even look up (too long, bad characters) is bad input of this key, not a
    // failure of the program.
    auto exists = [&](const fs::path& p) {
        std::error_code ec;
        const bool found = fs::exists(p, ec);
        if (ec && ec != std::errc::no_such_file_or_directory)
            throw InputError(file, lineOf(ext), "extends", "cannot look up '" + p.string() + "': " + ec.message());
        return found;
    };
    // Messages show the name as written, shortened: a value of megabytes must not become a message of megabytes.
    const std::string shown = base.size() <= 80 ? base : base.substr(0, 80) + "...";
    auto regular = [&](const fs::path& p) {
        std::error_code ec;
        if (!fs::is_regular_file(p, ec))
            throw InputError(
                file, lineOf(ext), "extends",
                "'" + shown + "' is " +
                    (fs::is_directory(p, ec) ? std::string("a folder") : std::string("not a regular file")) +
                    ", not a platform file");
        return p.string();
    };
    if (!baseDir.empty() && exists(fs::path(baseDir) / (base + ".yaml")))
        basePath = regular(fs::path(baseDir) / (base + ".yaml"));
    else if (exists(base))
        basePath = regular(base);
    else {
        try {
            basePath = findPlatformFile(base); // throws with the list of known platforms
        } catch (const InputError& e) {
            // The lookup knows the name only: say where it was written.
            throw InputError(file, lineOf(ext), "extends",
                             e.file().empty() ? e.message() : "'" + shown + "': " + e.message());
        }
    }
    std::string unused;
    YAML::Node baseNode =
        resolveExtends(loadYamlFile(basePath), basePath, fs::path(basePath).parent_path().string(), depth + 1, unused);
    // The base must be a valid platform on its own, so that its errors name its own file.
    (void)parseRoot(baseNode, basePath);
    YAML::Node merged = mergeNodes(baseNode, node);
    merged.remove("extends");
    return merged;
}

std::string q(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "\"";
}

/// Identifiers (names, vendors) stay plain YAML scalars when they can; anything else is quoted.
std::string plain(const std::string& s) {
    const bool simple = !s.empty() &&
                        s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789._-") == std::string::npos &&
                        s.front() != '-' && s != "true" && s != "false" && s != "null";
    return simple ? s : q(s);
}

std::string num(double v) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

std::string valueText(const Value& v, Dimension d) {
    std::string unit;
    double scaled = v.si;
    switch (d) {
    case Dimension::Count:
        break;
    case Dimension::Bytes:
        scaled = v.si;
        unit = " B";
        break;
    case Dimension::Seconds:
        scaled = v.si * 1e9;
        unit = " ns";
        break;
    case Dimension::Hertz:
        scaled = v.si / 1e6;
        unit = " MHz";
        break;
    case Dimension::FlopPerSecond:
        scaled = v.si / 1e12;
        unit = " TFLOP/s";
        break;
    case Dimension::BytesPerSecond:
        scaled = v.si / 1e9;
        unit = " GB/s";
        break;
    case Dimension::Watts:
        unit = " W";
        break;
    case Dimension::JoulesPerByte:
        scaled = v.si * 1e12;
        unit = " pJ/B";
        break;
    case Dimension::JoulesPerFlop:
        scaled = v.si * 1e12;
        unit = " pJ/FLOP";
        break;
    }
    if (d == Dimension::Bytes) {
        // Keep byte counts exact and readable.
        const double mib = v.si / 1048576.0;
        if (v.si >= 1048576.0 && mib == std::floor(mib)) {
            scaled = mib;
            unit = " MiB";
        }
    }
    return q(num(scaled) + unit + " @" + v.source);
}

void emit(std::ostringstream& os, const std::string& indent, const std::string& key, const Value& v, Dimension d) {
    if (v.present)
        os << indent << key << ": " << valueText(v, d) << "\n";
}

void emitCpuEfficiency(std::ostringstream& os, const CpuEfficiency& c) {
    std::ostringstream cpu, st, sp;
    emit(cpu, "    ", "threads_per_core", c.threadsPerCore, Dimension::Count);
    emit(cpu, "    ", "pass_overhead", c.passOverheadS, Dimension::Seconds);
    emit(cpu, "    ", "sibling_stride", c.siblingStride, Dimension::Count);
    for (int k = 0; k < 4; ++k) {
        std::ostringstream one;
        const char* kinds[3] = {"read", "write", "copy"};
        for (std::size_t b = 0; b < 3; ++b)
            emit(one, "        ", kinds[b], c.singleThreadBytesPerS[static_cast<std::size_t>(k)][b],
                 Dimension::BytesPerSecond);
        if (!one.str().empty())
            st << "      " << memoryKindName(static_cast<MemoryKind>(k)) << ":\n" << one.str();
    }
    for (int k = 0; k < 4; ++k) {
        std::ostringstream one;
        for (std::size_t t = 0; t < kDTypeCount; ++t)
            emit(one, "        ", std::string(dtypeName(static_cast<DType>(t))),
                 c.singleThreadFlopPerS[static_cast<std::size_t>(k)][t], Dimension::FlopPerSecond);
        if (!one.str().empty())
            st << "      " << engineKindName(static_cast<EngineKind>(k)) << ":\n" << one.str();
    }
    for (int k = 0; k < 4; ++k)
        emit(sp, "      ", std::string(memoryKindName(static_cast<MemoryKind>(k))),
             c.spillSteepness[static_cast<std::size_t>(k)], Dimension::Count);
    if (!st.str().empty())
        cpu << "    single_thread:\n" << st.str();
    if (!sp.str().empty())
        cpu << "    spill_steepness:\n" << sp.str();
    for (const auto& [key, curve] : threadScalingCurves(c)) {
        std::ostringstream ts;
        for (const auto& [threads, v] : *curve)
            emit(ts, "      ", std::to_string(threads), v, Dimension::Count);
        if (!ts.str().empty())
            cpu << "    " << key << ":\n" << ts.str();
    }
    if (!cpu.str().empty())
        os << "  cpu:\n" << cpu.str();
}

} // namespace

Platform loadPlatformString(const std::string& text, const std::string& name, const std::string& baseDir) {
    YAML::Node node = loadYamlString(text, name);
    std::string extendsName;
    node = resolveExtends(node, name, baseDir, 0, extendsName);
    Platform p = parseRoot(node, name);
    p.extends = extendsName;
    return p;
}

Platform loadPlatformFile(const std::string& path) {
    YAML::Node node = loadYamlFile(path);
    std::string extendsName;
    const std::string dir = fs::path(path).parent_path().string();
    node = resolveExtends(node, path, dir.empty() ? "." : dir, 0, extendsName);
    Platform p = parseRoot(node, path);
    p.extends = extendsName;
    return p;
}

std::string platformToYaml(const Platform& p) {
    std::ostringstream os;
    os << "# rooflab platform file, format v1 (see platforms/SCHEMA.md)\n";
    os << "version: 1\nname: " << plain(p.name) << "\nvendor: " << plain(p.vendor)
       << "\nkind: " << (p.kind == DeviceKind::Gpu ? "gpu" : "cpu") << "\n";
    if (!p.partNumber.empty())
        os << "part_number: " << q(p.partNumber) << "\n";
    if (!p.description.empty())
        os << "description: " << q(p.description) << "\n";
    os << "sources:\n";
    for (const auto& [id, s] : p.sources) {
        os << "  " << id << ":\n    kind: " << sourceKindName(s.kind) << "\n";
        auto field = [&](const char* k, const std::string& v) {
            if (!v.empty())
                os << "    " << k << ": " << q(v) << "\n";
        };
        field("citation", s.citation);
        field("tool", s.tool);
        field("date", s.date);
        field("card", s.card);
        field("driver", s.driver);
        field("note", s.note);
        if (s.kind == SourceKind::Fitted)
            os << "    fit_error_pct: " << num(s.fitErrorPct) << "\n";
    }
    emit(os, "", "devices_per_node", p.devicesPerNode, Dimension::Count);
    os << "compute:\n";
    for (const auto& e : p.compute) {
        os << "  - name: " << q(e.name) << "\n    kind: " << engineKindName(e.kind) << "\n";
        emit(os, "    ", "units", e.units, Dimension::Count);
        emit(os, "    ", "clock", e.clockHz, Dimension::Hertz);
        os << "    peak:\n";
        for (std::size_t t = 0; t < kDTypeCount; ++t)
            emit(os, "      ", std::string(dtypeName(static_cast<DType>(t))), e.peakFlopPerS[t],
                 Dimension::FlopPerSecond);
    }
    os << "memory:\n";
    for (const auto& m : p.memory) {
        os << "  - name: " << q(m.name) << "\n    kind: " << memoryKindName(m.kind) << "\n";
        if (m.perUnit)
            os << "    per_unit: true\n";
        emit(os, "    ", "capacity", m.capacityBytes, Dimension::Bytes);
        emit(os, "    ", "read", m.readBytesPerS, Dimension::BytesPerSecond);
        emit(os, "    ", "write", m.writeBytesPerS, Dimension::BytesPerSecond);
        emit(os, "    ", "copy", m.copyBytesPerS, Dimension::BytesPerSecond);
        emit(os, "    ", "latency", m.latencyS, Dimension::Seconds);
    }
    auto link = [&](const char* key, const Link& l, bool up) {
        if (l.name.empty())
            return;
        os << key << ":\n  name: " << q(l.name) << "\n";
        emit(os, "  ", "bandwidth", l.bytesPerS, Dimension::BytesPerSecond);
        emit(os, "  ", "latency", l.latencyS, Dimension::Seconds);
        if (up)
            emit(os, "  ", "devices_per_node", l.devicesPerNode, Dimension::Count);
    };
    link("host_link", p.hostLink, false);
    link("scale_up", p.scaleUp, true);
    link("scale_out", p.scaleOut, false);
    emit(os, "", "launch_overhead", p.launchOverheadS, Dimension::Seconds);
    os << "power:\n";
    emit(os, "  ", "tdp", p.power.tdpW, Dimension::Watts);
    emit(os, "  ", "idle", p.power.idleW, Dimension::Watts);
    emit(os, "  ", "energy_per_dram_byte", p.power.joulesPerByteDram, Dimension::JoulesPerByte);
    emit(os, "  ", "energy_per_flop", p.power.joulesPerFlop, Dimension::JoulesPerFlop);
    const Efficiency& e = p.efficiency;
    std::ostringstream eff;
    emitCpuEfficiency(eff, e.cpu);
    for (const EfficiencyParam& k : efficiencyParams()) {
        const std::span<const Value> slots = k.values(e);
        if (k.shape == ParamShape::Scalar) {
            emit(eff, "  ", k.key, slots[0], k.dimension);
            continue;
        }
        std::ostringstream one;
        for (std::size_t i = 0; i < slots.size(); ++i)
            emit(one, "    ", std::string(k.slotKey(i)), slots[i], k.dimension);
        if (!one.str().empty())
            eff << "  " << k.key << ":\n" << one.str();
    }
    if (!eff.str().empty())
        os << "efficiency:\n" << eff.str();
    return os.str();
}

void savePlatformFile(const Platform& p, const std::string& path) {
    const std::string text = platformToYaml(p);
    // Round-trip check before touching the destination: never write a file we cannot read back.
    (void)loadPlatformString(text, path);
    writeFileAtomic(path, text);
}

std::vector<EfficiencyEntry> efficiencyEntries(const Efficiency& e) {
    std::vector<EfficiencyEntry> out;
    auto add = [&](std::string key, const Value& v, Dimension d) {
        if (v.present)
            out.push_back({std::move(key), &v, d});
    };
    const CpuEfficiency& c = e.cpu;
    add("cpu.threads_per_core", c.threadsPerCore, Dimension::Count);
    add("cpu.pass_overhead", c.passOverheadS, Dimension::Seconds);
    add("cpu.sibling_stride", c.siblingStride, Dimension::Count);
    const char* kinds[3] = {"read", "write", "copy"};
    for (std::size_t k = 0; k < 4; ++k)
        for (std::size_t b = 0; b < 3; ++b)
            add("cpu.single_thread." + std::string(memoryKindName(static_cast<MemoryKind>(k))) + "." + kinds[b],
                c.singleThreadBytesPerS[k][b], Dimension::BytesPerSecond);
    for (std::size_t k = 0; k < 4; ++k)
        for (std::size_t t = 0; t < kDTypeCount; ++t)
            add("cpu.single_thread." + std::string(engineKindName(static_cast<EngineKind>(k))) + "." +
                    std::string(dtypeName(static_cast<DType>(t))),
                c.singleThreadFlopPerS[k][t], Dimension::FlopPerSecond);
    for (std::size_t k = 0; k < 4; ++k)
        add("cpu.spill_steepness." + std::string(memoryKindName(static_cast<MemoryKind>(k))), c.spillSteepness[k],
            Dimension::Count);
    for (const auto& [key, curve] : threadScalingCurves(c))
        for (const auto& [threads, v] : *curve)
            add("cpu." + std::string(key) + "." + std::to_string(threads), v, Dimension::Count);
    for (const EfficiencyParam& k : efficiencyParams()) {
        const std::span<const Value> slots = k.values(e);
        for (std::size_t i = 0; i < slots.size(); ++i)
            add(k.shape == ParamShape::Scalar ? std::string(k.key)
                                              : std::string(k.key) + "." + std::string(k.slotKey(i)),
                slots[i], k.dimension);
    }
    return out;
}

std::vector<std::string> platformSchemaKeys() {
    std::vector<std::string> keys = {
        "version",  "name",      "vendor",           "kind",    "part_number", "description",
        "extends",  "sources",   "devices_per_node", "compute", "memory",      "host_link",
        "scale_up", "scale_out", "launch_overhead",  "power",   "efficiency"};
    for (const char* k : {"name", "kind", "units", "clock", "peak"})
        keys.push_back(std::string("compute.") + k);
    for (const char* k : {"name", "kind", "per_unit", "capacity", "read", "write", "copy", "latency"})
        keys.push_back(std::string("memory.") + k);
    for (const EfficiencyParam& k : efficiencyParams())
        keys.push_back(std::string("efficiency.") + k.key);
    return keys;
}

} // namespace rooflab::io
