#pragma once
/// @brief Performance counters through perf_event_open, with libpfm4 resolving Intel/AMD event names
/// (FP_ARITH_INST_RETIRED.*, AMX_OPS_RETIRED.*, …) when rooflab is built with it. Degrades, never fails
/// (google/benchmark PerfCounters style): PmuCounters::create() always returns a valid object holding the
/// events that could be opened, and says why the others could not.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace rooflab::cpu {

struct PmuEventStatus {
    std::string name;
    std::string kind;      ///< "software", "hardware", "named" (libpfm4), "uncore"
    bool available = false;
    std::string reason;    ///< why not, e.g. "perf_event_open failed: ENOENT (No such file or directory) — …"
};

struct PmuCapabilities {
    bool libpfmCompiledIn = false;
    std::string libpfm;              ///< "libpfm4 4.13: host PMU amd64_fam19h" or why not available
    int perfEventParanoid = -99;     ///< /proc/sys/kernel/perf_event_paranoid (-99 unknown)
    bool softwareEvents = false;
    std::string softwareReason;
    bool hardwareCounters = false;
    std::string hardwareReason;      ///< e.g. "perf_event_open(PERF_COUNT_HW_CPU_CYCLES) failed: ENOENT — no hardware PMU exposed in this VM"
    bool uncoreMemory = false;
    std::string uncoreReason;
    std::vector<std::string> eventSources; ///< /sys/bus/event_source/devices
    std::vector<PmuEventStatus> events;
};

/// @brief Probes what this process can count: software events, generic hardware events, the vendor events
/// the roofline needs (FLOP, AMX, cache misses) and uncore memory CAS counters. Never throws.
PmuCapabilities probePmu();

/// @brief Vendor event names the roofline wants on this CPU (Intel: FP_ARITH_INST_RETIRED.*, AMX_OPS_RETIRED.*).
std::vector<std::string> rooflineEventNames();

nlohmann::json toJson(const PmuCapabilities& capabilities);

struct PmuReading {
    std::string name;
    double value = 0;           ///< scaled by time_enabled / time_running when multiplexed
    std::uint64_t raw = 0;
    double runningFraction = 0; ///< time_running / time_enabled
};

/// @brief A group of counters for the calling thread (and threads it creates after start()).
class PmuCounters {
public:
    /// @brief Opens the events it can. Names: "task-clock", "cpu-clock", "page-faults", "context-switches"
    /// (software), "cycles", "instructions", "cache-references", "cache-misses", "branch-misses" (hardware),
    /// or any libpfm4 name such as "FP_ARITH_INST_RETIRED.512B_PACKED_DOUBLE". Never throws.
    static PmuCounters create(const std::vector<std::string>& names);

    PmuCounters() = default;
    ~PmuCounters();
    PmuCounters(PmuCounters&& other) noexcept;
    PmuCounters& operator=(PmuCounters&& other) noexcept;
    PmuCounters(const PmuCounters&) = delete;
    PmuCounters& operator=(const PmuCounters&) = delete;

    /// @brief Names of the events that are counting.
    std::vector<std::string> names() const;
    /// @brief Events that could not be opened, with reasons.
    const std::vector<PmuEventStatus>& unavailable() const { return m_unavailable; }
    bool empty() const { return m_events.empty(); }

    void start();
    void stop();
    std::vector<PmuReading> read() const;

private:
    struct Event {
        std::string name;
        int fd = -1;
    };
    void closeAll();
    std::vector<Event> m_events;
    std::vector<PmuEventStatus> m_unavailable;
};

} // namespace rooflab::cpu
