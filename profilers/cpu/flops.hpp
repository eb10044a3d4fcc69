#pragma once
/// @brief Peak arithmetic throughput per instruction set: independent multiply-add chains in registers (no
/// memory traffic), on one core and on all cores. Instruction sets the CPU, the OS or the kernel's AMX
/// permission do not allow are reported as skipped, never executed.
#include "profilers/cpu/cpuinfo.hpp"
#include "profilers/cpu/progress.hpp"
#include "profilers/cpu/stats.hpp"
#include "profilers/topology/topology.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace rooflab::cpu {

struct FlopsOptions {
    std::vector<Isa> isas = allIsas();
    std::vector<int> threadCounts = {1};
    int runs = 7;
    double sampleSeconds = 0.02;
    ProgressCallback progress;
};

struct FlopsPoint {
    Isa isa = Isa::Scalar;
    std::string dtype;            ///< "fp64", "fp32", "bf16" (fp32 accumulate), "int8" (int32 accumulate)
    int threads = 1;
    std::string status;           ///< "ok", or why the ISA was skipped / failed verification
    double flopPerSample = 0;     ///< operations (2 per multiply-add) over all threads in one sample
    TimingSummary timing;
    double flopPerSecond = 0;     ///< flopPerSample / median sample time (0 when skipped)
    bool verified = false;        ///< the kernels' accumulators hold the analytically expected values
    std::string instruction;      ///< e.g. "vfmadd231pd zmm", "tdpbf16ps"
};

/// @brief Kernels (isa, dtype) the benchmark knows, usable or not.
struct FlopsKernelInfo {
    Isa isa;
    std::string dtype;
    std::string instruction;
    double flopPerInstruction;
};
std::vector<FlopsKernelInfo> flopsKernels();

/// @brief Measures every (isa, dtype) kernel of `options.isas` at each thread count. Throws
/// rooflab::InputError for a thread count < 1.
std::vector<FlopsPoint> runFlops(const FlopsOptions& options, const topology::Topology& topology,
                                 const CpuInfo& cpu);

} // namespace rooflab::cpu
