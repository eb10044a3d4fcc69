#pragma once
/// @brief A serving-stack profile: which logical operators run as their own kernels, how many passes over
/// memory they make, and how kernels are launched. Profiles are data files (resources/stacks/*.yaml).
#include <string>
#include <utility>
#include <vector>

namespace rooflab {

struct StackProfile {
    std::string name;
    std::string description;
    std::string file;
    bool fusedQkv = true;
    bool fusedGateUp = true;
    bool prefillGraph = false; ///< prefill kernels replayed from a CUDA graph
    bool decodeGraph = true;   ///< decode kernels replayed from a CUDA graph
    // Kernels per occurrence of each logical operator (0 = fused into a neighbour).
    double embeddingKernels = 1, normKernels = 1, qkNormKernels = 1, ropeKernels = 1, kvAppendKernels = 1;
    double activationKernels = 1, residualKernels = 1, routerKernels = 2, attentionKernels = 1;
    // Read+write passes over the tensor per occurrence (1 = one read and one write of the activation).
    double normPasses = 1, ropePasses = 1, activationPasses = 1, residualPasses = 1;
    /// RoPE and the activation run on strided views (q/k out of the fused QKV output, gate/up chunks): their passes
    /// go at the platform's strided element-wise rate (efficiency.strided_elementwise_fraction), not its DRAM rate
    bool stridedElementwise = false;
    double hostOverheadS = 0; ///< host time to issue one kernel outside graphs (framework dispatch + launch)
    /// Host time of one collective call outside graphs (process-group bookkeeping, waiting for the slowest
    /// rank) per tensor-parallel degree: (tp, seconds), ascending tp, distinct degrees. One entry holds for
    /// every degree; empty = the same as hostOverheadS.
    std::vector<std::pair<double, double>> collectiveHostOverheadByTp;

    /// Host time of one collective among `tp` ranks: the table interpolated linearly in log2(tp) (held
    /// constant below its first entry, extended along its last two entries above the last), else hostOverheadS.
    double collectiveHostS(double tp) const;
    double workspaceBytes = 2.0e9; ///< runtime memory beyond weights, KV cache and activations (context, allocator)
    double activationMemoryFactor = 1.0;

    /// @brief The profile used when none is named: `pytorch-eager`, equal to resources/stacks/pytorch-eager.yaml
    /// (the data file is the source of truth; front ends that can read files load it with io::loadStack, and a test
    /// checks that this copy, for code that reads none, matches it).
    static StackProfile defaultProfile();

    bool operator==(const StackProfile&) const = default;
};

} // namespace rooflab
