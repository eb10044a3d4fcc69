#pragma once
/// @brief Per-framework kernel efficiency fitted from imported aiconfigurator tables (`rooflab calibrate aic`):
/// the surfaces of workloads/kernel_efficiency.hpp, fitted on one part of each table and checked on the other.
///
/// Split (deterministic, by shape, not by row): along each shape axis of an op family (GEMM m, n, k; context
/// attention batch, isl, heads; generation attention batch, step, heads), the distinct values are sorted and every
/// fifth one (the 3rd, 8th, 13th, ...) is held out; a row whose value on any axis is held out belongs to the
/// held-out part, so the fit never sees those values along any axis. The held-out values are recorded in the stack
/// profile next to the surfaces, and `rooflab validate --split heldout` reads them from there.
///
/// Fit: per surface (family x dtype x head size), least squares in log2(measured / roofline) over the multilinear
/// knots, with a curvature penalty along every axis (knots without rows take the smooth continuation of their
/// neighbours), solved by conjugate gradients. Pure functions: the caller reads the tables and writes the file.
#include "analysis/platform_model.hpp"
#include "io/csv.hpp"
#include "workloads/kernel_efficiency.hpp"
#include "workloads/stack.hpp"

#include <string>
#include <vector>

namespace rooflab::aic {

struct FitOptions {
    std::string platform;               ///< rooflab platform the tables were measured on
    std::string system;                 ///< aiconfigurator system
    std::string date;                   ///< ISO date written into the provenance
    int every = 5;                      ///< hold out every n-th distinct value along each axis ...
    int phase = 2;                      ///< ... starting at this index
    double smoothing = 0.1;             ///< curvature penalty, relative to the rows per knot
    DecodeAttentionKernel decodeKernel; ///< the stack's decode-attention kernel (readRow)
};

/// One fitted surface's numbers, for the command's table.
struct SurfaceFit {
    EffFamily family = EffFamily::Gemm;
    std::string dtype;
    int headDim = 0;
    std::size_t calibrationRows = 0, heldOutRows = 0;
    double fitMapePct = 0;       ///< calibration rows, fitted
    double heldOutBeforePct = 0; ///< held-out rows, platform efficiencies
    double heldOutAfterPct = 0;  ///< held-out rows, fitted
};

struct FitResult {
    KernelEfficiency efficiency;
    std::vector<SurfaceFit> fits;
};

/// @brief The distinct values held out along each axis of each family present in `tables`.
std::vector<EffHeldOut> heldOutValues(const std::vector<const io::CsvTable*>& tables, int every, int phase);

/// @brief Fits every surface the tables hold data for. Throws InputError (file, line, column) on a malformed row.
FitResult fitKernelEfficiency(const PlatformModel& pm, const std::vector<const io::CsvTable*>& tables,
                              const FitOptions& o);

/// @brief The `efficiency:` section of a stack profile as YAML text (with its header comment), or "" when the
/// stack has none.
std::string efficiencySectionYaml(const StackProfile& s);

/// @brief `fileText` with its `efficiency:` section (and the header comment written with it) replaced by `section`,
/// or `section` appended when it has none. The rest of the file, comments included, is kept as it is.
std::string replaceEfficiencySection(const std::string& fileText, const std::string& section);

} // namespace rooflab::aic
