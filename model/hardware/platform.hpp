#pragma once
/// @brief A platform (one device type, possibly several per node) as plain structs. Every value carries the id
/// of its provenance record and the line it was read from. Built by io/platform_loader; evaluated by analysis/.
#include "hardware/efficiency_params.hpp"
#include "hardware/value.hpp"
#include "units/dtype.hpp"

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rooflab {

/// Where a value came from.
enum class SourceKind : unsigned char { Datasheet, Published, Measured, Fitted, Assumed };
std::string_view sourceKindName(SourceKind k);

/// @brief A provenance record, referenced by id from every value of a platform file.
struct Source {
    std::string id;
    SourceKind kind = SourceKind::Datasheet;
    std::string citation;     ///< datasheet / published: document, paper, URL
    std::string tool;         ///< measured / fitted: tool and command
    std::string date;         ///< measured / fitted: ISO date
    std::string card;         ///< measured: device name as the driver reports it
    std::string driver;       ///< measured: driver version
    std::string note;         ///< assumed: why this value; fitted: what it was fitted on
    double fitErrorPct = 0.0; ///< fitted: mean absolute percentage error of the fit on its calibration set
};

enum class DeviceKind : unsigned char { Gpu, Cpu }; // also declared in efficiency_params.hpp
enum class EngineKind : unsigned char { Tensor, Vector, Matrix, Scalar };
enum class MemoryKind : unsigned char { L1, L2, L3, Dram };

std::string_view engineKindName(EngineKind k);
std::string_view memoryKindName(MemoryKind k);

/// @brief A compute engine: tensor cores / SIMT on a GPU, AMX tiles / AVX-512 on a CPU.
struct ComputeEngine {
    std::string name;
    EngineKind kind = EngineKind::Vector;
    Value units;                                   ///< SMs or cores carrying this engine
    Value clockHz;                                 ///< clock at which the peaks are quoted
    std::array<Value, kDTypeCount> peakFlopPerS{}; ///< dense peak per input datatype; absent = no path
};

/// @brief One level of the memory hierarchy.
struct MemoryLevel {
    std::string name;
    MemoryKind kind = MemoryKind::Dram;
    bool perUnit = false; ///< capacity is per SM/core (L1/shared) rather than per device
    Value capacityBytes;
    Value readBytesPerS;
    Value writeBytesPerS;
    Value copyBytesPerS; ///< read + write bytes counted
    Value latencyS;
};

struct Link {
    std::string name;
    Value bytesPerS; ///< per device, per direction
    Value latencyS;
    Value devicesPerNode; ///< scale-up domain size (scale_up only)
};

struct Power {
    Value tdpW;
    Value idleW;
    Value joulesPerByteDram;
    Value joulesPerFlop;
};

/// @brief CPU-model parameters written by `rooflab calibrate cpu` (SCHEMA.md, `efficiency.cpu`). Absent values take
/// the model's defaults: one thread per core, no pass overhead, linear single-thread rates (all-core / units), a
/// step at each cache capacity.
struct CpuEfficiency {
    Value threadsPerCore; ///< hardware threads per physical core (SMT siblings share private caches)
    Value passOverheadS;  ///< fixed time of one pass over memory in one thread (call, loop entry, reduction tail)
    /// SMT layout of the hardware threads in the benchmarks' pin order (0, 1, 2 …): 0 or absent = threads fill
    /// cores first (hwloc pin order, or a host that spreads busy vCPUs); s > 0 = hardware thread i shares its core
    /// with i ± s (threads_per_core of them): 1 = siblings numbered adjacently, cores = siblings s apart.
    Value siblingStride;
    std::array<std::array<Value, 3>, 4> singleThreadBytesPerS{};          ///< [MemoryKind][read, write, copy]
    std::array<std::array<Value, kDTypeCount>, 4> singleThreadFlopPerS{}; ///< [EngineKind][DType]
    std::array<Value, 4> spillSteepness{}; ///< [MemoryKind] s of the share served 1 / (1 + (W / capacity)^s)
    /// Measured throughput at a thread count between one and all threads of the private resources (L1, L2, compute
    /// engines), relative to what the one-thread and all-thread rates give there (threads filling cores, shared
    /// levels saturating): below 1 where busy vCPUs of a VM share host cores or wait for them. Keyed by thread
    /// count; 1 at one and at all threads by construction; interpolated linearly in between.
    std::map<int, Value> threadScaling;
    /// The same for the shared levels (last-level cache, DRAM), whose requests queue at one resource; absent = the
    /// private curve above.
    std::map<int, Value> sharedThreadScaling;
};

/// @brief Calibrated (or default) parameters of what a pure roofline misses, as read from the file's `efficiency`
/// section: one member per row of the parameter table (hardware/efficiency_params.hpp, which documents each), a
/// Value for a scalar key, one per DType for a per-datatype map. Absent values resolve to the table's defaults
/// (resolveEfficiency); calibration writes them with provenance `fitted`.
struct Efficiency {
    CpuEfficiency cpu; ///< CPU platforms only
#define ROOFLAB_EFF_MEMBER(shape, member, ...) shape##Values member{};
    ROOFLAB_EFFICIENCY_PARAMS(ROOFLAB_EFF_MEMBER)
#undef ROOFLAB_EFF_MEMBER
};

struct Platform {
    int version = 1;
    std::string name;
    std::string vendor;
    DeviceKind kind = DeviceKind::Gpu;
    std::string partNumber;
    std::string description;
    std::string file;     ///< where it was loaded from
    std::string extends;  ///< base platform this one overrides, if any
    Value devicesPerNode; ///< devices in one node (1 for a single card)
    std::map<std::string, Source> sources;
    std::vector<ComputeEngine> compute;
    std::vector<MemoryLevel> memory; ///< ordered from nearest (L1) to farthest (DRAM)
    Link hostLink;
    Link scaleUp;
    Link scaleOut;
    Value launchOverheadS; ///< host-side cost of one kernel launch
    Power power;
    Efficiency efficiency;

    const MemoryLevel* level(MemoryKind k) const;
    const MemoryLevel& dram() const; ///< the farthest level; throws if the platform has none
    /// Best dense peak for `t` over all engines (tensor first), or 0 when no engine has a path.
    double peakFlopPerS(DType t) const;
    const ComputeEngine* engineFor(DType t) const;
    /// Number of SMs / cores of the widest engine.
    double units() const;
};

} // namespace rooflab
