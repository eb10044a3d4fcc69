#pragma once
/// @brief Cache-aware roofline for CPU kernels: STREAM (read, write, copy, scale, add, triad), softmax with three
/// or two passes over memory (Two-Pass Softmax paper), reductions and GEMM (SIMD FMA and AMX), with per-level
/// bandwidth and thread scaling. Pure functions of (CpuMachine, kernel, options): no I/O, no globals.
///
/// Threads are placed one per physical core first, then on SMT siblings (the profilers' pin order; where a measured
/// sibling layout says hardware threads i and i + s share a core, threads 0, 1, 2 … follow that layout). With c cores
/// busy and d siblings added (c + d = threads), a private resource (L1, L2, a per-core L3 share, a compute engine)
/// runs at min(single x (c + g d), all-core) where g = all-core / (cores x single) - 1 (clamped to 0..1) is what a
/// second hardware thread adds to a core; a shared level (L3, DRAM) saturates smoothly, 1 / rate(t)^2 = a / t^2 + c
/// through rate(1) = single and rate(all threads) = all-core. All-core rates come from the
/// platform's memory levels (`read`, `write`, `copy`) and engine peaks; single-thread rates from
/// `efficiency.cpu.single_thread` (written by `rooflab calibrate cpu`; older files: the `single-thread-rates`
/// source note) and default to all-core / units (linear scaling).
///
/// Cache levels do not end in a step: the share of a working set W served by the levels up to i is
/// 1 / (1 + (W / C_i)^s_i), C_i the capacity the threads reach (private levels: per core x busy cores; siblings
/// share), s_i the level's `efficiency.cpu.spill_steepness` (absent: a step at C_i). The rest spills to the next
/// level; time per byte is the served-share-weighted sum over levels.
#include "hardware/platform.hpp"
#include "workloads/gemm.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace rooflab {

std::string_view cpuOpName(CpuOp op);
/// Parses "read", "write", "copy", "scale", "add", "triad", "softmax-3pass", "softmax-2pass", "reduction",
/// "gemm"; throws InputError naming `key` otherwise.
CpuOp parseCpuOp(std::string_view name, const std::string& key = "kernel");
CpuOp cpuOpFromKernel(CpuKernel k);

/// Which of the three measured bandwidth kinds of a level.
enum class BwKind : unsigned char { Read = 0, Write = 1, Copy = 2 };

/// @brief One memory level as the CPU model sees it (all values SI; bandwidths achieved, not peak).
struct CpuLevel {
    MemoryKind kind = MemoryKind::Dram;
    std::string name;
    bool perUnit = false;                       ///< private per core: capacity grows with the threads using it
    double capacityBytes = 0;                   ///< per core when perUnit, else the whole (shared) level
    double spillSteepness = 0;                  ///< s of the served share 1 / (1 + (W / C)^s); 0 = a step at C
    std::array<double, 3> allCoreBytesPerS{};   ///< read, write, copy (copy counts read + write bytes)
    std::array<double, 3> oneThreadBytesPerS{}; ///< same, one thread
    double latencyS = 0;
};

/// @brief One compute engine: all-core and one-thread peak per datatype (flop/s; 0 = no path).
struct CpuEngine {
    std::string name;
    EngineKind kind = EngineKind::Vector;
    double units = 1;
    std::array<double, kDTypeCount> allCoreFlopPerS{};
    std::array<double, kDTypeCount> oneThreadFlopPerS{};
};

/// @brief The resolved CPU machine: levels nearest first (DRAM last), engines, efficiencies.
struct CpuMachine {
    std::string name;
    double units = 1;          ///< hardware threads (the platform's largest engine `units`)
    double threadsPerCore = 1; ///< SMT: units = cores x threadsPerCore
    double passOverheadS = 0;  ///< fixed time of one pass in one thread (call, loop entry)
    double siblingStride = 0;  ///< 0: threads fill cores first; s > 0: thread i shares a core
                               ///< with i +- s (efficiency.cpu.sibling_stride)
    /// (threads, factor) sorted by threads: measured throughput relative to the core-fill model at thread counts
    /// between one and all (efficiency.cpu.thread_scaling); empty = 1 everywhere.
    std::vector<std::pair<double, double>> threadScaling;
    /// the same for shared levels (efficiency.cpu.shared_thread_scaling); empty = threadScaling
    std::vector<std::pair<double, double>> sharedThreadScaling;
    std::vector<CpuLevel> levels;
    std::vector<CpuEngine> engines;
    std::array<double, kDTypeCount> gemmFraction{}; ///< achieved fraction of the engine peak in large GEMMs
    double gemmSmallMHalf = 0;                      ///< M at which a GEMM reaches half that fraction (0 = no ramp)
    std::array<double, kDTypeCount> gemmMemoryFraction{}; ///< memory-bound GEMMs: fraction of the level's bandwidth
    double vectorFraction = 0.5;                          ///< fraction of SIMD peak for exp-heavy element-wise work
    double kernelOverheadS = 0;                           ///< fixed cost per pass (fork/join, barrier)
    bool singleThreadFromFile = false;                    ///< single-thread rates came from the platform's record
    double cores() const { return std::max(1.0, units / std::max(1.0, threadsPerCore)); }
};

/// Source id of the record holding the single-thread rates (`<level>.<read|write|copy>=B/s`,
/// `<engine kind>.<dtype>=flop/s` tokens in its note).
inline constexpr std::string_view kSingleThreadSourceId = "single-thread-rates";

/// @brief Resolves a platform (kind cpu or gpu) into a CpuMachine. Achieved rates (sources `measured` or
/// `fitted`) are used as they are; datasheet/assumed bandwidths are derated by the platform's level fractions.
/// Throws InputError when the single-thread record is malformed.
CpuMachine cpuMachineFrom(const Platform& p);

/// @brief Formats single-thread rates as note tokens for the `single-thread-rates` record.
std::string formatSingleThreadTokens(const CpuMachine& m);

/// @brief Physical cores busy with `threads` threads (1, 2 … in the pin order): min(threads, cores) when threads
/// fill cores first, else the distinct cores among hardware threads 0 … threads-1 of the sibling layout.
double busyCores(const CpuMachine& m, double threads);
/// @brief The thread-scaling factor at `threads` of private resources (or of shared levels): 1 at one thread and at
/// all threads, the platform's measured factors at their thread counts, linear in between.
double threadScalingFactor(const CpuMachine& m, double threads, bool shared = false);
/// @brief Rate of a resource with single-thread rate `one` and all-thread rate `all` at `threads` threads (see the
/// file comment): per core for private resources, smooth saturation for shared ones; times the thread-scaling
/// factor.
double threadScaledRate(const CpuMachine& m, double one, double all, bool privateResource, double threads);
/// @brief Bandwidth of `level` for `kind` at `threads` threads.
double levelBandwidth(const CpuMachine& m, const CpuLevel& level, BwKind kind, double threads);
/// @brief Bandwidth of a stream with the given share of written bytes (0 = read only, 0.5 = copy, 1 = write
/// only), interpolating time per byte between read, copy and write: triad (1/3 written) sits between read and
/// copy.
double mixedBandwidth(const CpuMachine& m, const CpuLevel& level, double writeShare, double threads);
/// @brief Share of a working set of `workingSetBytes` (all threads) served by each level (sums to 1).
std::vector<double> servedShares(const CpuMachine& m, double workingSetBytes, double threads);
/// @brief Bytes of `level` available to `threads` threads.
double levelCapacityForThreads(const CpuMachine& m, const CpuLevel& level, double threads);
/// @brief Index of the level that serves the largest share of a working set of `workingSetBytes` (all threads);
/// with step transitions the nearest level whose capacity for these threads holds it, DRAM otherwise.
std::size_t servingLevel(const CpuMachine& m, double workingSetBytes, double threads);
/// @brief Best peak of `t` over engines at `threads` threads (0 = no path); `engineOut` names the engine.
double computeRate(const CpuMachine& m, DType t, double threads, std::string* engineOut = nullptr);

/// @brief One pass over memory (softmax has 2 or 3).
struct CpuPass {
    std::string what;
    double bytesRead = 0, bytesWritten = 0;
    double flops = 0;
    std::size_t level = 0;      ///< index into CpuMachine::levels (the one serving the largest share)
    double workingSetBytes = 0; ///< reuse distance of the pass's bytes (what must stay cached between uses)
    double memoryS = 0, computeS = 0, timeS = 0;
};

/// @brief The prediction: per-pass breakdown and totals. Infeasible requests come back with ok = false.
struct CpuKernelResult {
    bool ok = true;
    std::string failReason;
    CpuOp op = CpuOp::Triad;
    double threads = 1;
    double workingSetBytes = 0;
    double bytes = 0; ///< STREAM convention: every byte read or written once
    double flops = 0;
    double timeS = 0;
    std::string levelName; ///< level serving the (first) pass
    std::string bound;     ///< "compute (AMX tiles)", "L2 bandwidth", ...
    std::string engine;
    std::vector<CpuPass> passes;
    double bytesPerS() const { return timeS > 0 ? bytes / timeS : 0; }
    double flopPerS() const { return timeS > 0 ? flops / timeS : 0; }
};

/// Vector operations counted for one exp() in softmax: Cody-Waite range reduction (2 FMA), degree-5 polynomial
/// (5 FMA), scaling by 2^n and the max/sum update, ~12 SIMD ops per element (Two-Pass Softmax paper, AVX-512).
inline constexpr double kExpFlops = 12.0;

/// @brief Times one kernel. Pure, thread-safe.
CpuKernelResult evalCpuKernel(const CpuMachine& m, const CpuKernelRequest& r);

/// @brief STREAM convention: arrays per element (read/write 1, copy/scale 2, add/triad 3) and the share of
/// written bytes.
int streamArrays(CpuOp op);
double streamWriteShare(CpuOp op);

} // namespace rooflab
