#include "profilers/topology/topology.hpp"

#include <sched.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <tuple>

#ifdef ROOFLAB_HAVE_HWLOC
#include <hwloc.h>
#endif

namespace rooflab::topology {
namespace {

std::vector<int> allowedCpus() {
    std::vector<int> cpus;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
            if (CPU_ISSET(cpu, &set))
                cpus.push_back(cpu);
    }
    return cpus;
}

std::string readFirstLine(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::string line;
    if (in)
        std::getline(in, line);
    return line;
}

/// Parses Linux cpulist syntax "0-3,8,10-11".
std::vector<int> parseCpuList(const std::string& text) {
    std::vector<int> cpus;
    std::stringstream ss(text);
    std::string part;
    while (std::getline(ss, part, ',')) {
        if (part.empty())
            continue;
        const auto dash = part.find('-');
        try {
            if (dash == std::string::npos) {
                cpus.push_back(std::stoi(part));
            } else {
                const int lo = std::stoi(part.substr(0, dash));
                const int hi = std::stoi(part.substr(dash + 1));
                for (int c = lo; c <= hi; ++c)
                    cpus.push_back(c);
            }
        } catch (const std::exception&) {
            // ignore malformed pieces: detection degrades, never fails
        }
    }
    return cpus;
}

std::uint64_t parseSizeWithSuffix(const std::string& text) {
    if (text.empty())
        return 0;
    std::size_t pos = 0;
    std::uint64_t value = 0;
    try {
        value = std::stoull(text, &pos);
    } catch (const std::exception&) {
        return 0;
    }
    const char suffix = pos < text.size() ? text[pos] : ' ';
    if (suffix == 'K')
        return value << 10;
    if (suffix == 'M')
        return value << 20;
    if (suffix == 'G')
        return value << 30;
    return value;
}

std::vector<int> intersect(const std::vector<int>& a, const std::vector<int>& allowed) {
    std::vector<int> out;
    for (int c : a)
        if (std::binary_search(allowed.begin(), allowed.end(), c))
            out.push_back(c);
    return out;
}

void finalize(Topology& topo) {
    std::sort(topo.caches.begin(), topo.caches.end(), [](const CacheLevel& a, const CacheLevel& b) {
        return std::tie(a.level, a.type) < std::tie(b.level, b.type);
    });
    for (auto& cache : topo.caches)
        std::sort(cache.instanceCpus.begin(), cache.instanceCpus.end());
    topo.smtPerCore = topo.cores > 0 ? topo.pus / topo.cores : 0;
    topo.numaNodes = static_cast<int>(topo.numa.size());
    for (const auto& node : topo.numa)
        topo.memoryBytes += node.memoryBytes;
    // Some VMs put hot-plugged memory outside the NUMA node counts: trust the larger of the two.
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    std::uint64_t kib = 0;
    if (meminfo >> key >> kib && key == "MemTotal:")
        topo.memoryBytes = std::max(topo.memoryBytes, kib * 1024);
}

/// First PU of each core in core order, then the second PU of each core, …
std::vector<int> buildPinOrder(const std::vector<std::vector<int>>& coresPus) {
    std::vector<int> order;
    std::size_t maxSmt = 0;
    for (const auto& pus : coresPus)
        maxSmt = std::max(maxSmt, pus.size());
    for (std::size_t k = 0; k < maxSmt; ++k)
        for (const auto& pus : coresPus)
            if (k < pus.size())
                order.push_back(pus[k]);
    return order;
}

Topology detectSysfs() {
    namespace fs = std::filesystem;
    Topology topo;
    topo.source = "sysfs";
    const std::vector<int> allowed = allowedCpus();
    const fs::path cpuRoot = "/sys/devices/system/cpu";
    std::set<int> packages;
    std::map<std::pair<int, int>, std::vector<int>> cores; // (package, core_id) -> PUs
    std::map<std::tuple<int, std::string, std::string>, CacheLevel> caches; // (level, type, shared list)
    for (int cpu : allowed) {
        const fs::path dir = cpuRoot / ("cpu" + std::to_string(cpu));
        int pkg = 0;
        int core = cpu;
        try {
            pkg = std::stoi(readFirstLine(dir / "topology/physical_package_id"));
            core = std::stoi(readFirstLine(dir / "topology/core_id"));
        } catch (const std::exception&) {
        }
        packages.insert(pkg);
        cores[{pkg, core}].push_back(cpu);
        for (int index = 0; index < 16; ++index) {
            const fs::path cdir = dir / ("cache/index" + std::to_string(index));
            if (!fs::exists(cdir))
                break;
            std::string type = readFirstLine(cdir / "type");
            if (type == "Instruction")
                continue;
            type = type == "Data" ? "data" : "unified";
            int level = 0;
            try {
                level = std::stoi(readFirstLine(cdir / "level"));
            } catch (const std::exception&) {
                continue;
            }
            const std::string shared = readFirstLine(cdir / "shared_cpu_list");
            auto& entry = caches[{level, type, shared}];
            if (entry.level == 0) {
                entry.level = level;
                entry.type = type;
                entry.sizeBytes = parseSizeWithSuffix(readFirstLine(cdir / "size"));
                entry.lineBytes = static_cast<int>(parseSizeWithSuffix(readFirstLine(cdir / "coherency_line_size")));
                entry.associativity = static_cast<int>(parseSizeWithSuffix(readFirstLine(cdir / "ways_of_associativity")));
                entry.instanceCpus.push_back(intersect(parseCpuList(shared), allowed));
            }
        }
    }
    // Merge instances of the same (level, type).
    for (auto& [key, instance] : caches) {
        auto it = std::find_if(topo.caches.begin(), topo.caches.end(), [&](const CacheLevel& c) {
            return c.level == instance.level && c.type == instance.type;
        });
        if (it == topo.caches.end())
            topo.caches.push_back(instance);
        else
            it->instanceCpus.push_back(instance.instanceCpus.front());
    }
    topo.packages = static_cast<int>(packages.size());
    topo.cores = static_cast<int>(cores.size());
    topo.pus = static_cast<int>(allowed.size());
    std::vector<std::vector<int>> corePus;
    for (auto& [key, pus] : cores) {
        std::sort(pus.begin(), pus.end());
        corePus.push_back(pus);
    }
    topo.pinOrder = buildPinOrder(corePus);

    const fs::path nodeRoot = "/sys/devices/system/node";
    std::error_code ec;
    if (fs::exists(nodeRoot, ec)) {
        for (const auto& entry : fs::directory_iterator(nodeRoot, ec)) {
            const std::string name = entry.path().filename().string();
            if (name.rfind("node", 0) != 0 || name.size() <= 4 ||
                name.find_first_not_of("0123456789", 4) != std::string::npos)
                continue;
            NumaNode node;
            node.osIndex = std::stoi(name.substr(4));
            node.cpus = intersect(parseCpuList(readFirstLine(entry.path() / "cpulist")), allowed);
            std::ifstream meminfo(entry.path() / "meminfo");
            std::string line;
            while (std::getline(meminfo, line)) {
                const auto pos = line.find("MemTotal:");
                if (pos != std::string::npos) {
                    std::istringstream fields(line.substr(pos + 9));
                    std::uint64_t kib = 0;
                    fields >> kib;
                    node.memoryBytes = kib * 1024;
                }
            }
            if (!node.cpus.empty() || node.memoryBytes > 0)
                topo.numa.push_back(node);
        }
        std::sort(topo.numa.begin(), topo.numa.end(),
                  [](const NumaNode& a, const NumaNode& b) { return a.osIndex < b.osIndex; });
    }
    if (topo.numa.empty()) {
        NumaNode node;
        node.cpus = allowed;
        std::ifstream meminfo("/proc/meminfo");
        std::string key;
        std::uint64_t kib = 0;
        if (meminfo >> key >> kib && key == "MemTotal:")
            node.memoryBytes = kib * 1024;
        topo.numa.push_back(node);
    }
    finalize(topo);
    return topo;
}

#ifdef ROOFLAB_HAVE_HWLOC
std::vector<int> bitmapToVector(hwloc_const_bitmap_t set) {
    std::vector<int> out;
    for (int id = hwloc_bitmap_first(set); id != -1; id = hwloc_bitmap_next(set, id))
        out.push_back(id);
    return out;
}

/// A loaded hwloc topology shared by detection and pinning (hwloc binding calls are thread-safe once loaded).
hwloc_topology_t sharedHwloc() {
    static hwloc_topology_t topology = nullptr;
    static std::once_flag once;
    std::call_once(once, [] {
        hwloc_topology_t t = nullptr;
        if (hwloc_topology_init(&t) != 0)
            return;
        if (hwloc_topology_load(t) != 0) {
            hwloc_topology_destroy(t);
            return;
        }
        topology = t;
    });
    return topology;
}

Topology detectHwloc() {
    hwloc_topology_t t = sharedHwloc();
    if (t == nullptr)
        return detectSysfs();
    Topology topo;
    unsigned version = hwloc_get_api_version();
    topo.source = "hwloc API " + std::to_string(version >> 16) + "." + std::to_string((version >> 8) & 0xff) + "." +
                  std::to_string(version & 0xff);
    topo.packages = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PACKAGE);
    topo.cores = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE);
    topo.pus = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU);
    const hwloc_obj_type_t cacheTypes[] = {HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L3CACHE,
                                           HWLOC_OBJ_L4CACHE, HWLOC_OBJ_L5CACHE};
    for (hwloc_obj_type_t type : cacheTypes) {
        const int n = hwloc_get_nbobjs_by_type(t, type);
        for (int i = 0; i < n; ++i) {
            hwloc_obj_t obj = hwloc_get_obj_by_type(t, type, static_cast<unsigned>(i));
            if (obj == nullptr || obj->attr == nullptr || obj->attr->cache.type == HWLOC_OBJ_CACHE_INSTRUCTION)
                continue;
            const std::string ctype = obj->attr->cache.type == HWLOC_OBJ_CACHE_DATA ? "data" : "unified";
            const int level = static_cast<int>(obj->attr->cache.depth);
            auto it = std::find_if(topo.caches.begin(), topo.caches.end(),
                                   [&](const CacheLevel& c) { return c.level == level && c.type == ctype; });
            if (it == topo.caches.end()) {
                CacheLevel cache;
                cache.level = level;
                cache.type = ctype;
                cache.sizeBytes = obj->attr->cache.size;
                cache.lineBytes = static_cast<int>(obj->attr->cache.linesize);
                cache.associativity = obj->attr->cache.associativity;
                topo.caches.push_back(cache);
                it = topo.caches.end() - 1;
            }
            it->instanceCpus.push_back(bitmapToVector(obj->cpuset));
        }
    }
    const int nodes = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE);
    for (int i = 0; i < nodes; ++i) {
        hwloc_obj_t obj = hwloc_get_obj_by_type(t, HWLOC_OBJ_NUMANODE, static_cast<unsigned>(i));
        if (obj == nullptr)
            continue;
        NumaNode node;
        node.osIndex = static_cast<int>(obj->os_index);
        node.memoryBytes = obj->attr != nullptr ? obj->attr->numanode.local_memory : 0;
        node.cpus = bitmapToVector(obj->cpuset);
        topo.numa.push_back(node);
    }
    std::vector<std::vector<int>> corePus;
    for (int i = 0; i < topo.cores; ++i) {
        hwloc_obj_t core = hwloc_get_obj_by_type(t, HWLOC_OBJ_CORE, static_cast<unsigned>(i));
        if (core != nullptr)
            corePus.push_back(bitmapToVector(core->cpuset));
    }
    if (corePus.empty()) { // some VMs expose PUs without cores
        for (int i = 0; i < topo.pus; ++i)
            if (hwloc_obj_t pu = hwloc_get_obj_by_type(t, HWLOC_OBJ_PU, static_cast<unsigned>(i)))
                corePus.push_back({static_cast<int>(pu->os_index)});
        topo.cores = topo.pus;
    }
    topo.pinOrder = buildPinOrder(corePus);
    finalize(topo);
    return topo;
}
#endif

} // namespace

const CacheLevel* Topology::cache(int level) const {
    for (const auto& c : caches)
        if (c.level == level)
            return &c;
    return nullptr;
}

int Topology::deepestCacheLevel() const {
    int deepest = 0;
    for (const auto& c : caches)
        deepest = std::max(deepest, c.level);
    return deepest;
}

std::uint64_t Topology::llcBytes() const {
    const CacheLevel* llc = cache(deepestCacheLevel());
    return llc == nullptr ? 0 : llc->sizeBytes * static_cast<std::uint64_t>(std::max(1, llc->instances()));
}

std::uint64_t Topology::cacheBytesForThreads(int level, int threads) const {
    const CacheLevel* c = cache(level);
    if (c == nullptr || pinOrder.empty())
        return 0;
    std::set<std::size_t> touched;
    for (int i = 0; i < threads; ++i) {
        const int cpu = pinOrder[static_cast<std::size_t>(i) % pinOrder.size()];
        for (std::size_t k = 0; k < c->instanceCpus.size(); ++k) {
            const auto& cpus = c->instanceCpus[k];
            if (std::find(cpus.begin(), cpus.end(), cpu) != cpus.end())
                touched.insert(k);
        }
    }
    return c->sizeBytes * std::max<std::uint64_t>(1, touched.size());
}

int Topology::numaNodeOfCpu(int osCpu) const {
    for (const auto& node : numa)
        if (std::find(node.cpus.begin(), node.cpus.end(), osCpu) != node.cpus.end())
            return node.osIndex;
    return -1;
}

bool haveHwloc() {
#ifdef ROOFLAB_HAVE_HWLOC
    return true;
#else
    return false;
#endif
}

Topology detectTopology() {
#ifdef ROOFLAB_HAVE_HWLOC
    return detectHwloc();
#else
    return detectSysfs();
#endif
}

bool pinCurrentThreadToCpu(int osCpu, std::string* error) {
#ifdef ROOFLAB_HAVE_HWLOC
    if (hwloc_topology_t t = sharedHwloc()) {
        hwloc_bitmap_t set = hwloc_bitmap_alloc();
        hwloc_bitmap_only(set, static_cast<unsigned>(osCpu));
        const int rc = hwloc_set_cpubind(t, set, HWLOC_CPUBIND_THREAD | HWLOC_CPUBIND_STRICT);
        const int rcLoose = rc == 0 ? 0 : hwloc_set_cpubind(t, set, HWLOC_CPUBIND_THREAD);
        hwloc_bitmap_free(set);
        if (rcLoose != 0 && error != nullptr)
            *error = "hwloc_set_cpubind(cpu " + std::to_string(osCpu) + ") failed";
        return rcLoose == 0;
    }
#endif
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(osCpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        if (error != nullptr)
            *error = "sched_setaffinity(cpu " + std::to_string(osCpu) + ") failed";
        return false;
    }
    return true;
}

std::string formatBytes(std::uint64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1024.0 && unit < 4) {
        value /= 1024.0;
        ++unit;
    }
    char buffer[32];
    if (value == static_cast<double>(static_cast<std::uint64_t>(value)))
        std::snprintf(buffer, sizeof(buffer), "%llu %s", static_cast<unsigned long long>(value), units[unit]);
    else
        std::snprintf(buffer, sizeof(buffer), "%.1f %s", value, units[unit]);
    return buffer;
}

std::string summarize(const Topology& topology) {
    std::ostringstream out;
    auto plural = [](int n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); };
    out << plural(topology.packages, "package") << ", " << plural(topology.numaNodes, "NUMA node") << ", "
        << plural(topology.cores, "core") << ", " << plural(topology.pus, "hardware thread");
    for (const auto& c : topology.caches) {
        out << "; L" << c.level << (c.type == "data" ? "d" : "") << " " << formatBytes(c.sizeBytes) << " x"
            << c.instances();
        if (c.cpusPerInstance() > 1)
            out << " (shared by " << c.cpusPerInstance() << " threads)";
    }
    out << "; memory " << formatBytes(topology.memoryBytes) << " [" << topology.source << "]";
    return out.str();
}

nlohmann::json toJson(const Topology& topology) {
    nlohmann::json caches = nlohmann::json::array();
    for (const auto& c : topology.caches) {
        caches.push_back({{"level", c.level},
                          {"type", c.type},
                          {"size_bytes", c.sizeBytes},
                          {"line_bytes", c.lineBytes},
                          {"associativity", c.associativity},
                          {"instances", c.instances()},
                          {"cpus_per_instance", c.cpusPerInstance()},
                          {"instance_cpus", c.instanceCpus}});
    }
    nlohmann::json numa = nlohmann::json::array();
    for (const auto& n : topology.numa)
        numa.push_back({{"os_index", n.osIndex}, {"memory_bytes", n.memoryBytes}, {"cpus", n.cpus}});
    return {{"source", topology.source},
            {"packages", topology.packages},
            {"numa_nodes", topology.numaNodes},
            {"cores", topology.cores},
            {"pus", topology.pus},
            {"smt_per_core", topology.smtPerCore},
            {"memory_bytes", topology.memoryBytes},
            {"llc_bytes", topology.llcBytes()},
            {"caches", caches},
            {"numa", numa},
            {"pin_order", topology.pinOrder}};
}

} // namespace rooflab::topology
