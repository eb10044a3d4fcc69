#include "profilers/cpu/pmu.hpp"

#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <utility>

#ifdef ROOFLAB_HAVE_LIBPFM
#include <perfmon/pfmlib_perf_event.h>
#endif

#include "profilers/cpu/cpuinfo.hpp"

namespace rooflab::cpu {
namespace {

struct GenericEvent {
    const char* name;
    std::uint32_t type;
    std::uint64_t config;
    const char* symbol;
};

constexpr GenericEvent kGenericEvents[] = {
    {"task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, "PERF_COUNT_SW_TASK_CLOCK"},
    {"cpu-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, "PERF_COUNT_SW_CPU_CLOCK"},
    {"page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, "PERF_COUNT_SW_PAGE_FAULTS"},
    {"context-switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES, "PERF_COUNT_SW_CONTEXT_SWITCHES"},
    {"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, "PERF_COUNT_HW_CPU_CYCLES"},
    {"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, "PERF_COUNT_HW_INSTRUCTIONS"},
    {"cache-references", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES, "PERF_COUNT_HW_CACHE_REFERENCES"},
    {"cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES, "PERF_COUNT_HW_CACHE_MISSES"},
    {"branch-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES, "PERF_COUNT_HW_BRANCH_MISSES"},
};

const GenericEvent* findGeneric(const std::string& name) {
    for (const auto& e : kGenericEvents)
        if (name == e.name)
            return &e;
    return nullptr;
}

int perfEventOpen(perf_event_attr& attr) {
    return static_cast<int>(syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC));
}

std::string errnoText(int err) {
    const char* name = err == ENOENT       ? "ENOENT"
                       : err == EACCES     ? "EACCES"
                       : err == EPERM      ? "EPERM"
                       : err == EOPNOTSUPP ? "EOPNOTSUPP"
                       : err == EINVAL     ? "EINVAL"
                       : err == ENODEV     ? "ENODEV"
                       : err == ENOSYS     ? "ENOSYS"
                                           : "errno";
    std::string text = std::string(name) + " (" + std::strerror(err) + ")";
    if (err == ENOENT || err == EOPNOTSUPP || err == ENODEV)
        text += " — no hardware PMU exposed (typical of VMs)";
    else if (err == EACCES || err == EPERM)
        text += " — not permitted (perf_event_paranoid, seccomp or missing CAP_PERFMON)";
    else if (err == ENOSYS)
        text += " — perf_event_open is not available in this kernel/container";
    return text;
}

int readParanoid() {
    std::ifstream in("/proc/sys/kernel/perf_event_paranoid");
    int v = -99;
    if (!(in >> v))
        return -99;
    return v;
}

#ifdef ROOFLAB_HAVE_LIBPFM
/// libpfm4 is initialised once per process; its status string is kept for reports.
const std::pair<bool, std::string>& libpfmState() {
    static std::pair<bool, std::string> state;
    static std::once_flag once;
    std::call_once(once, [] {
        const int rc = pfm_initialize();
        if (rc != PFM_SUCCESS) {
            state = {false, std::string("pfm_initialize failed: ") + pfm_strerror(rc)};
            return;
        }
        std::string hostPmus;
        pfm_pmu_info_t info;
        for (int pmu = PFM_PMU_NONE; pmu < PFM_PMU_MAX; ++pmu) {
            std::memset(&info, 0, sizeof(info));
            info.size = sizeof(info);
            if (pfm_get_pmu_info(static_cast<pfm_pmu_t>(pmu), &info) == PFM_SUCCESS && info.is_present &&
                info.type == PFM_PMU_TYPE_CORE) {
                hostPmus += (hostPmus.empty() ? "" : ", ") + std::string(info.name);
            }
        }
        state = {true, "libpfm4 initialised; core PMU tables for this CPU: " +
                           (hostPmus.empty() ? std::string("none") : hostPmus)};
    });
    return state;
}
#endif

/// Fills `attr` for `name`; returns an empty string on success, else the reason.
std::string encodeEvent(const std::string& name, perf_event_attr& attr, std::string& kind) {
    std::memset(&attr, 0, sizeof(attr));
    attr.size = sizeof(attr);
    if (const GenericEvent* g = findGeneric(name)) {
        attr.type = g->type;
        attr.config = g->config;
        kind = g->type == PERF_TYPE_SOFTWARE ? "software" : "hardware";
        return "";
    }
    kind = "named";
#ifdef ROOFLAB_HAVE_LIBPFM
    const auto& state = libpfmState();
    if (!state.first)
        return state.second;
    pfm_perf_encode_arg_t arg;
    std::memset(&arg, 0, sizeof(arg));
    arg.size = sizeof(arg);
    arg.attr = &attr;
    const int rc = pfm_get_os_event_encoding(name.c_str(), PFM_PLM3, PFM_OS_PERF_EVENT, &arg);
    if (rc != PFM_SUCCESS)
        return "libpfm4 cannot encode '" + name + "': " + pfm_strerror(rc);
    attr.size = sizeof(attr);
    return "";
#else
    return "event names need libpfm4, which this build does not include";
#endif
}

int openEvent(perf_event_attr& attr) {
    attr.disabled = 1;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    attr.inherit = 1;
    attr.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
    return perfEventOpen(attr);
}

PmuEventStatus tryEvent(const std::string& name) {
    PmuEventStatus status;
    status.name = name;
    perf_event_attr attr;
    const std::string encodeError = encodeEvent(name, attr, status.kind);
    if (!encodeError.empty()) {
        status.reason = encodeError;
        return status;
    }
    const int fd = openEvent(attr);
    if (fd < 0) {
        const GenericEvent* g = findGeneric(name);
        status.reason = std::string("perf_event_open(") + (g != nullptr ? g->symbol : name.c_str()) +
                        ") failed: " + errnoText(errno);
        return status;
    }
    close(fd);
    status.available = true;
    return status;
}

} // namespace

std::vector<std::string> rooflineEventNames() {
    const CpuInfo cpu = detectCpuInfo();
    if (cpu.vendor == "GenuineIntel") {
        std::vector<std::string> names = {
            "FP_ARITH_INST_RETIRED.SCALAR_DOUBLE",      "FP_ARITH_INST_RETIRED.SCALAR_SINGLE",
            "FP_ARITH_INST_RETIRED.256B_PACKED_DOUBLE", "FP_ARITH_INST_RETIRED.256B_PACKED_SINGLE",
            "FP_ARITH_INST_RETIRED.512B_PACKED_DOUBLE", "FP_ARITH_INST_RETIRED.512B_PACKED_SINGLE",
            "LONGEST_LAT_CACHE.MISS"};
        if (cpu.isa.amxTile) {
            names.push_back("AMX_OPS_RETIRED.BF16");
            names.push_back("AMX_OPS_RETIRED.INT8");
        }
        return names;
    }
    if (cpu.vendor == "AuthenticAMD")
        return {"RETIRED_SSE_AVX_FLOPS:ANY"};
    return {};
}

PmuCapabilities probePmu() {
    PmuCapabilities caps;
    caps.perfEventParanoid = readParanoid();
#ifdef ROOFLAB_HAVE_LIBPFM
    caps.libpfmCompiledIn = true;
    caps.libpfm = libpfmState().second;
#else
    caps.libpfm = "not compiled in (libpfm4 headers were not found at build time)";
#endif
    std::error_code ec;
    const std::filesystem::path sources = "/sys/bus/event_source/devices";
    for (const auto& entry : std::filesystem::directory_iterator(sources, ec))
        caps.eventSources.push_back(entry.path().filename().string());
    std::sort(caps.eventSources.begin(), caps.eventSources.end());

    for (const char* name : {"task-clock", "page-faults", "context-switches"})
        caps.events.push_back(tryEvent(name));
    caps.softwareEvents = caps.events.front().available;
    caps.softwareReason = caps.events.front().reason;

    for (const char* name : {"cycles", "instructions", "cache-references", "cache-misses"})
        caps.events.push_back(tryEvent(name));
    const PmuEventStatus& cycles = caps.events[3];
    caps.hardwareCounters = cycles.available;
    caps.hardwareReason = cycles.reason;
    if (!cycles.available && std::find(caps.eventSources.begin(), caps.eventSources.end(), "cpu") ==
                                 caps.eventSources.end())
        caps.hardwareReason += "; /sys/bus/event_source/devices has no 'cpu' PMU";

    for (const auto& name : rooflineEventNames()) {
        PmuEventStatus status = tryEvent(name);
        if (!status.available && !caps.hardwareCounters && status.reason.find("perf_event_open") != std::string::npos)
            status.reason = "hardware counters unavailable: " + caps.hardwareReason;
        caps.events.push_back(status);
    }

    std::vector<std::string> imcs;
    for (const auto& s : caps.eventSources)
        if (s.rfind("uncore_imc", 0) == 0 || s.rfind("amd_df", 0) == 0 || s.rfind("amd_umc", 0) == 0)
            imcs.push_back(s);
    caps.uncoreMemory = !imcs.empty();
    if (caps.uncoreMemory) {
        caps.uncoreReason = "";
        for (const auto& s : imcs)
            caps.events.push_back({s + "/cas_count_read/", "uncore", true, ""});
    } else {
        caps.uncoreReason = "no uncore memory-controller PMU (uncore_imc*, amd_df, amd_umc) in "
                            "/sys/bus/event_source/devices: memory CAS counts (UNC_M_CAS_COUNT.RD/WR) unavailable";
    }
    return caps;
}

nlohmann::json toJson(const PmuCapabilities& caps) {
    nlohmann::json events = nlohmann::json::array();
    for (const auto& e : caps.events)
        events.push_back({{"name", e.name}, {"kind", e.kind}, {"available", e.available}, {"reason", e.reason}});
    return {{"libpfm_compiled_in", caps.libpfmCompiledIn},
            {"libpfm", caps.libpfm},
            {"perf_event_paranoid", caps.perfEventParanoid},
            {"software_events", caps.softwareEvents},
            {"software_reason", caps.softwareReason},
            {"hardware_counters", caps.hardwareCounters},
            {"hardware_reason", caps.hardwareReason},
            {"uncore_memory", caps.uncoreMemory},
            {"uncore_reason", caps.uncoreReason},
            {"event_sources", caps.eventSources},
            {"events", events}};
}

PmuCounters PmuCounters::create(const std::vector<std::string>& names) {
    PmuCounters counters;
    for (const auto& name : names) {
        PmuEventStatus status;
        status.name = name;
        perf_event_attr attr;
        const std::string encodeError = encodeEvent(name, attr, status.kind);
        if (!encodeError.empty()) {
            status.reason = encodeError;
            counters.m_unavailable.push_back(status);
            continue;
        }
        const int fd = openEvent(attr);
        if (fd < 0) {
            status.reason = "perf_event_open failed: " + errnoText(errno);
            counters.m_unavailable.push_back(status);
            continue;
        }
        counters.m_events.push_back({name, fd});
    }
    return counters;
}

PmuCounters::~PmuCounters() { closeAll(); }

PmuCounters::PmuCounters(PmuCounters&& other) noexcept
    : m_events(std::move(other.m_events)), m_unavailable(std::move(other.m_unavailable)) {
    other.m_events.clear();
}

PmuCounters& PmuCounters::operator=(PmuCounters&& other) noexcept {
    if (this != &other) {
        closeAll();
        m_events = std::move(other.m_events);
        m_unavailable = std::move(other.m_unavailable);
        other.m_events.clear();
    }
    return *this;
}

void PmuCounters::closeAll() {
    for (auto& e : m_events)
        if (e.fd >= 0)
            close(e.fd);
    m_events.clear();
}

std::vector<std::string> PmuCounters::names() const {
    std::vector<std::string> out;
    for (const auto& e : m_events)
        out.push_back(e.name);
    return out;
}

void PmuCounters::start() {
    for (const auto& e : m_events) {
        ioctl(e.fd, PERF_EVENT_IOC_RESET, 0);
        ioctl(e.fd, PERF_EVENT_IOC_ENABLE, 0);
    }
}

void PmuCounters::stop() {
    for (const auto& e : m_events)
        ioctl(e.fd, PERF_EVENT_IOC_DISABLE, 0);
}

std::vector<PmuReading> PmuCounters::read() const {
    std::vector<PmuReading> out;
    for (const auto& e : m_events) {
        std::uint64_t values[3] = {0, 0, 0}; // value, time_enabled, time_running
        PmuReading r;
        r.name = e.name;
        if (::read(e.fd, values, sizeof(values)) == static_cast<ssize_t>(sizeof(values))) {
            r.raw = values[0];
            r.runningFraction = values[1] > 0 ? static_cast<double>(values[2]) / static_cast<double>(values[1]) : 0;
            r.value = r.runningFraction > 0 ? static_cast<double>(values[0]) / r.runningFraction
                                            : static_cast<double>(values[0]);
        }
        out.push_back(r);
    }
    return out;
}

} // namespace rooflab::cpu
