#pragma once
/// @brief A GPU framework's stack constants fitted from its own single-op microbenchmarks (`rooflab calibrate
/// gpu-stack`): the host time per kernel outside graphs and the passes of the operators the framework writes
/// differently from the platform's reference kernels. Nothing end-to-end is read (issue 21: the `hf-transformers`
/// stack, measured with profilers/gpu/harness/hf_bench.py).
#include "hardware/platform.hpp"
#include "io/csv.hpp"
#include "workloads/stack.hpp"

#include <string>
#include <vector>

namespace rooflab {

struct GpuStackFit {
    double hostOverheadS = 0;           ///< host time to issue one kernel (framework dispatch, module calls, launch)
    double normHostOverheadS = 0;       ///< host time of one norm kernel; 0: not fitted (no norm_kernels column)
    double normPasses = 0;              ///< 0: not fitted (no rows)
    double ropePasses = 0;              ///< 0: not fitted
    double repeatKvPasses = 0;          ///< decode_attention.repeat_kv_passes; 0: not fitted
    double moePasses = 0;               ///< passes.moe; 0: not fitted (no moe_other rows)
    double groupedGemmOverlap = 1;      ///< grouped_gemm_overlap, where hasGroupedGemmOverlap
    double groupedGemmDramFraction = 1; ///< grouped_gemm_dram_fraction, fitted with the overlap
    bool hasGroupedGemmOverlap = false;
    /// what each constant was fitted on and its fit error, one line each
    std::vector<std::string> notes;
};

/// @brief Fits `base`'s GPU constants on `platform`:
/// - host_overhead: the per-layer slope of the framework's own forward on tiny tensors (`hostFloor`: family, layers,
///   kernels, median_s; two depths per family) over the slope of its kernel count, median over the families,
///   divided by the platform's host_overhead_scale (the engine multiplies it back); with a `norm_kernels` column,
///   norm_host_overhead and host_overhead together by least squares over the families (norms written as plain
///   tensor ops cost the host less per kernel than module calls and linears);
/// - passes.norm / passes.rope: solved on the engine's memory-op evaluator for the `hf_rmsnorm` / `hf_rope` rows of
///   `ops` of 2048+ rows (graph-replayed, cold inputs), with the stack's kernel counts (rope at the strided rate
///   where the stack says so); median over rows;
/// - decode_attention.repeat_kv_passes: solved likewise on the `attn_decode_repeat_kv_only` rows whose cache is 64 MB
///   or more (the broadcast copy of K and V, two kernels, at the strided element-wise rate);
/// - passes.moe: solved on the `moe_other` rows of 4096+ tokens (the sparse-MoE block's kernels besides its grouped
///   GEMMs), for stacks that run the MoE permutation and combine as kernels of their own;
/// - grouped_gemm_overlap: the overlap of memory and compute time in the grouped expert GEMMs with the least MAPE
///   on the `moe_grouped_gemm` rows (the block's grouped GEMM kernels alone).
/// Throws InputError naming the file when a table lacks the columns or the rows a constant needs.
GpuStackFit fitGpuStack(const Platform& platform, const StackProfile& base, const io::CsvTable& ops,
                        const io::CsvTable& hostFloor);

/// @brief `text` (a stack profile's YAML) with the fitted values put in place (top-level host_overhead,
/// passes.norm, passes.rope, decode_attention.repeat_kv_passes; each key must already be present) and the fit's
/// notes as a trailing comment block (replacing the block a previous fit wrote). A fitted key the file has but this
/// fit did not produce (its rows were missing) is refused, naming `file`, line and key, rather than kept stale.
std::string writeGpuStackYaml(const std::string& text, const GpuStackFit& fit, const std::string& provenance,
                              const std::string& file);

} // namespace rooflab
