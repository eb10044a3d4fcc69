#pragma once
/// @brief The numbers the evaluator needs, resolved once from a Platform (defaults applied), so that a single
/// prediction touches only plain doubles. Cheap to copy; immutable after construction; thread-safe to share.
#include "hardware/platform.hpp"
#include "workloads/stack.hpp"

#include <array>
#include <string>
#include <vector>

namespace rooflab {

/// Index of the memory levels in per-level arrays.
enum MemIndex : int { kL1 = 0, kL2 = 1, kL3 = 2, kDram = 3, kMemLevels = 4 };

/// Achievable fraction of the L3 bandwidth: fixed, the platform format has no key for it yet (SCHEMA.md).
inline constexpr double kL3Fraction = 0.9;

struct PlatformModel {
    std::string name;
    /// The platform this one extends (an HGX node: the GPU it is made of), "" if none: per-GPU calibrations (a
    /// stack's kernel efficiency) keyed by the GPU apply to the node too.
    std::string extends;
    DeviceKind kind = DeviceKind::Gpu;
    double units = 1;                               ///< SMs / cores
    std::array<double, kDTypeCount> tensorPeak{};   ///< best dense peak per datatype (flop/s), 0 = no path
    std::array<double, kDTypeCount> gemmFraction{}; ///< achievable fraction of that peak in large GEMMs
    double vectorPeakFp32 = 0;                      ///< SIMT / SIMD fp32 peak (flop/s)
    std::array<double, kMemLevels> bandwidth{};     ///< achievable read bandwidth per level (bytes/s), 0 = absent
    std::array<double, kMemLevels> capacityBytes{}; ///< per device (per-unit levels multiplied out)
    std::array<double, kMemLevels> latencyS{};
    double sustainedComputeFraction = 1.0;  ///< tensor rate kept when compute-bound all the time
    double gemmDramBytesPerS = 0;           ///< DRAM bandwidth that memory-bound GEMM kernels reach
    double attentionDramBytesPerS = 0;      ///< DRAM bandwidth attention kernels reach on the KV cache
    double attentionSplitDramBytesPerS = 0; ///< the same for split-KV (flash-decoding) decode kernels
    double stridedElementwiseBytesPerS = 0; ///< rate of a stack's strided element-wise passes
    double simtGemmDramBytesPerS = 0;       ///< weight-streaming rate of SIMT GEMMs with M > 1 (0 = not modelled)
    double simtGemmDramHalfM = 0;           ///< rows at which that rate halves (0 = independent of M)
    double simtGemmOverheadS = 0;           ///< extra fixed time per SIMT GEMM kernel with M > 1
    double tileM = 128, tileN = 128, smallMHalf = 0;
    /// split-K keeps at least this much K per split, per compute datatype (gemm_min_k_per_split where not set)
    std::array<double, kDTypeCount> minKPerSplitByType = [] {
        std::array<double, kDTypeCount> a{};
        a.fill(512);
        return a;
    }();
    double kernelOverheadS = 0;
    double attentionOverheadS = 0; ///< fixed time per attention kernel
    /// CPU stacks whose decode attention costs a fixed time per (query head x key) (CpuStackProfile::
    /// attentionDecodeSPerHeadKey, at the model's head size); 0 = not used
    double attentionDecodeSPerHeadKey = 0;
    /// CPU stacks: measured weight shapes' streaming-time ratios at this thread count, as (log2 n, log2 k,
    /// ln ratio), from CpuStackProfile::gemvShape; empty = every shape at gemmDramBytesPerS (cpuGemvShapeFactor)
    std::vector<std::array<double, 3>> cpuGemvShape;
    double elementwiseOverheadS = 0; ///< fixed time per element-wise / norm / copy kernel
    double normRowElementS = 0;      ///< per-element time of one norm row (one CTA per row)
    double launchS = 0, graphLaunchS = 0;
    double hostOverheadScale = 1.0; ///< multiplies a stack's host dispatch cost on this host
    double cpuThreads = 0;          ///< CPU platforms: hardware threads this model is restricted to (0 = all units)
    double attentionFraction = 0.6, attentionHalfSeq = 256;
    double vectorFraction = 0.5;
    double scaleUpBytesPerS = 0, scaleUpLatencyS = 0, scaleUpDomain = 1;
    double scaleOutBytesPerS = 0, scaleOutLatencyS = 0;
    double collectiveFraction = 0.8, collectiveStepS = 0;
    double hostLinkBytesPerS = 0;
    double devicesPerNode = 1;
    double tdpW = 0, idleW = 0, joulesPerDramByte = 0, joulesPerFlop = 0;
    /// Every efficiency parameter of the platform, resolved (hardware/efficiency_params.hpp): the file's value, else
    /// the table's default. The named fields above are derived from it for the keys that predate the table (the
    /// evaluator, the fits and the tests use them); a new key is read here, `efficiency.<member>`.
    EfficiencyValues efficiency;

    /// Builds the model; datasheet-derived defaults fill parameters the platform's efficiency section leaves out.
    static PlatformModel from(const Platform& p);

    /// The datatype actually used for `want` (fallback when the platform has no path) — fills `fellBack`.
    DType computeType(DType want, bool& fellBack) const;
};

/// @brief CPU platforms: `all` (PlatformModel::from(p)) restricted to `threads` hardware threads (1 … units; threads
/// 0, 1, 2 … in the pin order). Compute peaks, the bandwidth of every memory level (and the GEMM / attention DRAM
/// rates) and the capacity of private caches scale by what the CPU kernel model (cpu_kernels.hpp) gives at `threads`
/// over the all-thread value (a level's measured all-thread bandwidth): per-core resources by busy cores and SMT gain,
/// shared levels (L3, DRAM) by their measured one-thread to all-thread saturation; one thread reads DRAM at the
/// single-thread rate. `units` (the tile-wave count) stays, so fewer threads never make an operator faster. Returns
/// `all` unchanged for GPU platforms and for threads <= 0 or >= units.
PlatformModel withCpuThreads(const Platform& p, const PlatformModel& all, double threads);

/// @brief CPU platforms under a CPU framework (a stack with a `cpu:` section): `pm` (all threads or withCpuThreads)
/// with the framework's GEMV / GEMM / attention rates at pm's thread count, for the step's GEMM and attention
/// datatypes (and, where the stack times decode attention per query head and key, the model's head size
/// `headDim`: the nearest head size it was measured at). Returns `pm` unchanged for GPU platforms and stacks without
/// a `cpu:` section.
PlatformModel withCpuStack(const PlatformModel& pm, const CpuStackProfile& cpu, DType gemmType, DType attentionType,
                           double headDim = 0);

/// @brief A CPU GEMM's weight-streaming time factor for a weight of n x k under `pm`'s stack: the measured shapes'
/// ratios (PlatformModel::cpuGemvShape) averaged in log space with Gaussian weights over the distance in octaves of n
/// and k (half an octave wide), shrunk toward 1 by a prior weight, so that a shape far from every measured one
/// streams at the fitted rate. 1 without measured shapes.
double cpuGemvShapeFactor(const PlatformModel& pm, double n, double k);

} // namespace rooflab
