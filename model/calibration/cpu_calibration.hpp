#pragma once
/// @brief CPU calibration and validation: fits a CPU platform (effective cache capacities, per-level all-core
/// and single-thread bandwidths, per-engine peaks, latencies, topology) from a `rooflab bench cpu` dataset folder
/// (bandwidth.csv, latency.csv, flops.csv, topology.json, provenance.json), and compares the CPU model's
/// predicted times with the measured ones (MAPE per kernel class). No I/O beyond reading the dataset files.
#include "analysis/cpu_kernels.hpp"
#include "hardware/cpu_smt.hpp"
#include "hardware/platform.hpp"
#include "io/csv.hpp"
#include "workloads/stack.hpp"

#include <string>
#include <vector>

namespace rooflab {

struct CpuBandwidthSample {
    std::string kernel; ///< read, write, copy, triad
    int threads = 1;
    double footprintBytes = 0; ///< all arrays of all threads
    double bytesMoved = 0;     ///< in one timed sample (all repetitions)
    double medianS = 0;        ///< one timed sample
    double bytesPerS = 0;
    int line = 0;
};
struct CpuLatencySample {
    double footprintBytes = 0;
    double ns = 0;
};
struct CpuFlopsSample {
    std::string isa, dtype; ///< e.g. avx512_fma, fp32
    int threads = 1;
    double flopPerS = 0;
    int line = 0;
};
/// One row of softmax.csv or reduction.csv (fp32; t threads each own one row of elements / t).
struct CpuVectorKernelSample {
    std::string kernel; ///< softmax-3pass, softmax-2pass, reduction
    std::string isa;    ///< avx512, avx2, sse2
    int threads = 1;
    double elements = 0;       ///< over all threads
    double footprintBytes = 0; ///< arrays of all threads (x and y for softmax)
    int repetitions = 1;       ///< kernel calls per timed sample
    double medianS = 0;        ///< one timed sample
    bool verified = true;
    int line = 0;
    std::string file;
};
/// One row of a CPU GEMM reference (profilers/cpu/reference/torch_cpu_gemm.py): Y[m,n] = X[m,k] W[n,k]^T with the
/// weights rotated beyond the last-level cache (cold).
struct CpuGemmSample {
    double m = 0, n = 0, k = 0;
    std::string dtype; ///< fp32, bf16
    int threads = 1;
    double medianS = 0; ///< one call
    int line = 0;
};
struct CpuCacheInfo {
    int level = 0;
    double sizeBytes = 0; ///< one instance, as the OS reports it
    int instances = 1;
};

/// @brief A dataset folder of `rooflab bench cpu`.
struct CpuMeasurements {
    std::string dir;
    std::string cpu;  ///< provenance.json "cpu"
    std::string date; ///< provenance.json "date" (ISO)
    std::string tool; ///< provenance.json "tool" + "command"
    int cores = 0, pus = 0;
    double memoryBytes = 0;
    std::vector<CpuCacheInfo> caches;
    std::vector<CpuBandwidthSample> bandwidth;
    std::vector<CpuLatencySample> latency;
    std::vector<CpuFlopsSample> flops;
    std::vector<CpuVectorKernelSample> vectorKernels; ///< softmax.csv and reduction.csv, where present
    int threadsPerCore = 1;                           ///< topology.json smt_per_core
    std::vector<SmtPairScaling> smtPairs; ///< smt.csv (or smt/smt.csv): the SMT-pairing probe, where present
    std::string smtFile;                  ///< path of that file
    std::vector<CpuGemmSample> gemm;      ///< a CPU GEMM reference (loadCpuGemm), where given
    std::string gemmFile;
};

/// @brief Reads a CPU GEMM reference CSV (m,n,k,dtype,threads,median_s, …). Throws InputError naming file, line and
/// column for malformed content.
std::vector<CpuGemmSample> loadCpuGemm(const std::string& path);

/// @brief Loads whatever of the dataset files exist (bandwidth.csv is required; softmax.csv, reduction.csv and
/// smt.csv (or smt/smt.csv) are read where present). Throws InputError naming the
/// file, line and column for malformed content.
CpuMeasurements loadCpuMeasurements(const std::string& dir);

/// @brief Repeated sweeps of one machine combined point by point: for every bandwidth point (kernel, threads,
/// footprint), latency footprint, FLOP/s engine and softmax/reduction point, the median over the sweeps that
/// have it of its rate (bytes/s, ns, flop/s, time per call). Shared VMs are slow in episodes that hit a whole
/// kernel's sweep; the median of three or more sweeps removes such an episode. Topology, SMT probe and source
/// lines come from the first sweep; `dir` names them all. One sweep is returned unchanged.
/// Throws InputError when the sweeps are of different machines (CPU name or core count differ).
CpuMeasurements medianOfSweeps(const std::vector<CpuMeasurements>& sweeps);

/// @brief loadCpuMeasurements() of each folder (or its bandwidth.csv), combined by medianOfSweeps().
CpuMeasurements loadCpuSweeps(const std::vector<std::string>& dirs);

/// @brief One fitted or measured parameter, for the calibration report.
struct CpuFit {
    std::string parameter;
    double value = 0;
    std::string unit;
    int points = 0;
    double fitErrorPct = 0; ///< MAPE of the model on the points this parameter serves (0 = direct reading)
    std::string source;
};

struct CpuCalibrationResult {
    Platform platform;
    std::vector<CpuFit> fits;
    std::vector<std::string> notes;
};

/// @brief Effective capacity of each cache level (bytes, the whole level as one thread sees it: per core for
/// private levels) from the single-thread pointer-chase latency curve: the footprint between the two points of
/// the steepest latency rise near the reported size. Reported sizes are kept where the curve gives no clear
/// boundary or one within 30% of the reported size.
std::vector<double> effectiveCacheBytes(const CpuMeasurements& m, std::vector<std::string>* notes = nullptr);

/// @brief Fits a CPU platform on `m`, starting from `base` (name, vendor, part number, power and any engine
/// the data do not cover are kept). `date` is the ISO date written into the fitted sources.
CpuCalibrationResult calibrateCpu(const Platform& base, const CpuMeasurements& m, const std::string& date);

/// @brief One compared point.
struct CpuValidationRow {
    std::string kernelClass; ///< "read", "write", "copy", "triad", "softmax-3pass", "softmax-2pass",
                             ///< "reduction", "flops:<isa>-<dtype>"
    int threads = 1;
    double footprintBytes = 0;
    std::string level; ///< level the model picked
    double measuredS = 0, predictedS = 0;
    double errorPct = 0; ///< (predicted - measured) / measured x 100
    int line = 0;
};
struct CpuValidationSummary {
    std::string kernelClass;
    int points = 0;
    double mapePct = 0, biasPct = 0, maxAbsPct = 0;
    double within10Pct = 0; ///< share of points within +-10 %
};
struct CpuValidationResult {
    std::vector<CpuValidationRow> rows;
    std::vector<CpuValidationSummary> byClass; ///< plus "all bandwidth", "all softmax/reduction", "all flops"
    std::vector<CpuValidationSummary> byLevel; ///< bandwidth points by serving level
};

/// @brief Predicts every bandwidth sample (time of one timed sample = repetitions x one pass), every verified
/// softmax/reduction sample of the widest ISA in the dataset (the one the platform's vector engine stands for;
/// same timing rule) and every FLOP/s sample (as time for its flop count) and compares with the measurement.
CpuValidationResult validateCpu(const CpuMachine& machine, const CpuMeasurements& m);

/// @brief Summaries of rows grouped by `key`.
std::vector<CpuValidationSummary> summarizeCpuRows(const std::vector<CpuValidationRow>& rows, bool byLevel);

/// @brief Compares a CPU platform with public STREAM / Intel MLC figures (datasets/public/ncpp-spr/
/// spr_stream_mlc.csv): STREAM Copy/Scale/Add/Triad and MLC peak read (100R), write (100W), 2R1W and LLC
/// bandwidth against the model's all-core out-of-cache (LLC: in-cache) rates, MLC idle latencies against the
/// levels' latencies. Rows that are not DDR5 systems (HBM) or not understood are skipped. Errors are time
/// errors: measured rate / predicted rate - 1.
std::vector<CpuValidationRow> validatePublicStreamMlc(const CpuMachine& machine, const std::string& csvPath);

/// @brief Maps a flops.csv ISA to the engine kind that carries it ("matrix" for AMX, else "vector"/"scalar").
EngineKind engineKindForIsa(const std::string& isa);

/// @brief A CPU framework's stack constants fitted from single-op microbenchmarks (bench/cpu_llm ops.csv): the
/// `cpu:` section and the element-wise passes of a stack profile. Nothing end-to-end is used.
struct CpuStackFit {
    CpuStackProfile cpu;
    double normPasses = 1, ropePasses = 1, activationPasses = 1, residualPasses = 1;
    /// what each constant was fitted on and its fit error (MAPE of the fitted rows), one line each
    std::vector<std::string> notes;
};

/// @brief Which tiny-model rows give the framework's fixed per-step host time.
enum class CpuStepSource : unsigned char {
    Forward,  ///< model(...) called directly: tiny_model_prefill / tiny_model_decode
    Generate, ///< transformers generate(): tiny_model_generate1 (prefill + first token) / ..._per_token
};

/// @brief Fits `base`'s CPU constants on `platform` from an ops.csv of bench/cpu_llm/cpu_llm_bench.py:
/// - host time per op, by threads: the per-layer slope of the tiny models' forward (2 and 16 layers, decode and
///   prefill averaged) over the ops per layer the stack counts; the fixed per-step time: the intercept less the
///   non-layer ops;
/// - per GEMM datatype and thread count: the GEMV fraction of the DRAM bandwidth (one-row `linear` rows), the GEMM
///   peak fraction and small-M half point (rows of more than one row; grid search on the engine's evalGemm);
/// - attention: the K/V fraction of the DRAM bandwidth (SDPA decode rows) and the peak fraction (prefill rows);
/// - passes of norm, RoPE, SiLU-multiply and residual add against evalMemoryOp (rows of 512+ tokens, 4 and 16
///   threads, the stack's kernel counts).
/// Every microbenchmark time is taken less one op's host time at its thread count (each timed call is one
/// dispatch). Throws InputError when the table lacks the rows a constant needs.
CpuStackFit fitCpuStack(const Platform& platform, const StackProfile& base, const io::CsvTable& ops,
                        CpuStepSource step);

/// @brief Single-op tables of several machines (or sessions) combined point by point: for every (op, dtype, threads,
/// m, n, k, elements) the median of the tables' `median_s` (the mean of the two middle ones for an even count), on
/// the first table's row, in first-seen order; min_s / max_s become the smallest and largest table median. Points
/// measured in only one table are dropped when there are two or more tables (a median of one machine is not the
/// median host). Throws InputError (file, column) when a table lacks op, threads or median_s.
io::CsvTable medianOfOpsTables(const std::vector<io::CsvTable>& tables);

/// @brief `text` (a stack profile's YAML) with its `passes:` values replaced by the fit's and its `cpu:` section
/// (which must be the last top-level key, if present) replaced by the fitted one, with provenance comments.
std::string writeCpuStackYaml(const std::string& text, const CpuStackFit& fit, const std::string& provenance);

} // namespace rooflab
