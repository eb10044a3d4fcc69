#pragma once
/// @brief Grid sweeps over the LLM engine: platforms x models x stacks x phase x batch x prompt x context x
/// TP/PP/EP x datatypes. The grid is never materialized: point i is decoded from its mixed-radix index, so a
/// sweep of millions of points costs only its results. Evaluation is parallel (std::thread, chunks handed out by
/// an atomic counter) and the formatted output comes back in grid order. No I/O: the caller supplies the sink.
#include "analysis/llm_engine.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace rooflab {

/// Phase of a sweep point: the three step kinds, or a whole request (TTFT + TPOT over the output tokens).
enum class SweepPhase : unsigned char { Prefill, Decode, Chunked, Request };
std::string_view sweepPhaseName(SweepPhase p);
/// Parses prefill|decode|chunked|request; false when unknown.
bool parseSweepPhase(std::string_view s, SweepPhase& out);

/// @brief Parses an integer list/range: "8", "1,2,4", "1:256:x2" (geometric), "128:1024:128" or "128:1024:+128"
/// (arithmetic), and mixes ("1,3,8:64:x2"). Values are sorted and de-duplicated. Throws InputError naming `key`
/// (and `file`/`line` when given) for bad text, empty ranges, or more than `maxValues` values.
std::vector<int64_t> parseIntList(std::string_view text, const std::string& key, int64_t minValue, int64_t maxValue,
                                  const std::string& file = "", int line = 0, std::size_t maxValues = 1u << 20);

template <class T> struct Named {
    std::string name;
    T value;
};

/// @brief The axes of a sweep (resolved objects, not names). Every axis must be non-empty.
struct SweepSpace {
    std::vector<Named<PlatformModel>> platforms;
    std::vector<Named<LlmArch>> models;
    std::vector<Named<StackProfile>> stacks;
    std::vector<SweepPhase> phases{SweepPhase::Decode};
    std::vector<int64_t> batch{1}, prompt{512}, context{1024}, output{128};
    std::vector<int> tp{1}, pp{1}, ep{1};
    std::vector<DType> weights{DType::bf16}, kv{DType::bf16}, act{DType::bf16};
    int64_t chunk = 512; ///< chunked phase: prefill tokens per step

    /// Number of points (product of the axis sizes); 0 when an axis is empty. Saturates at UINT64_MAX.
    uint64_t size() const;
};

/// Axis positions of one point.
struct SweepCoord {
    std::size_t platform = 0, model = 0, stack = 0, phase = 0, batch = 0, prompt = 0, context = 0, output = 0, tp = 0,
                pp = 0, ep = 0, weights = 0, kv = 0, act = 0;
};
/// Point `index` (< size()) -> axis positions. The last axis (act) varies fastest; platform slowest.
SweepCoord decodeSweepIndex(const SweepSpace& sp, uint64_t index);
/// The engine scenario of a point.
Scenario sweepScenario(const SweepSpace& sp, const SweepCoord& c);

/// @brief Result of one sweep point. Energies are for all devices; per token divides by the tokens of the step
/// (request: by the generated tokens).
struct SweepResult {
    bool ok = false;   ///< the engine accepted the configuration (tp divides heads, ...)
    bool fits = false; ///< fits in device memory
    Bound bound = Bound::Compute;
    int devices = 1;
    double latencyS = 0; ///< step latency (request: end-to-end)
    double tokensPerS = 0;
    double memoryBytes = 0; ///< per device
    double energyJ = 0;     ///< per step (request: per request batch)
    double energyPerTokenJ = 0;
    double ttftS = 0, tpotS = 0; ///< request; prefill has a TTFT, decode a TPOT (NaN where not applicable)
    std::string error;           ///< why the engine refused the point (ok false)
};

/// @brief Whether an axis (prompt, context, output) changes the result of `phase`: prefill reads the prompt,
/// decode and chunked steps the context, a request the prompt and the output. Points that differ only on an axis
/// that does not apply are the same point: a sweep writes the first and skips the rest.
bool sweepAxisApplies(SweepPhase phase, std::string_view axis);
/// @brief One warning per axis with several values that some phase of the grid ignores ("--context does not apply
/// to prefill: its 7 values give one row per prefill point").
std::vector<std::string> sweepAxisWarnings(const SweepSpace& sp);
/// @brief Whether point `c` is written: false for the duplicates sweepAxisApplies() describes.
bool sweepPointIsDistinct(const SweepSpace& sp, const SweepCoord& c);
/// Number of points a sweep writes (size() less the duplicates). Saturates at UINT64_MAX.
uint64_t sweepDistinctPoints(const SweepSpace& sp);

/// @brief Evaluates one point. Pure, thread-safe.
SweepResult evaluateSweepPoint(const SweepSpace& sp, const SweepCoord& c);

enum class SweepFormat : unsigned char { Csv, Jsonl };

/// The CSV header line (with '\n') of the sweep output.
std::string sweepCsvHeader();
/// @brief Appends one formatted record (CSV row or JSON line, with '\n') to `out`. Numbers are written with
/// std::to_chars (shortest round-trip form), so the text is deterministic and exact.
void appendSweepRecord(std::string& out, SweepFormat f, const SweepSpace& sp, const SweepCoord& c,
                       const SweepResult& r);

struct SweepRunOptions {
    SweepFormat format = SweepFormat::Csv;
    unsigned threads = 0;        ///< 0: std::thread::hardware_concurrency()
    uint64_t chunkPoints = 4096; ///< points per work item
    bool header = true;          ///< CSV: emit the header line first
};

struct SweepStats {
    uint64_t points = 0, ok = 0; ///< points written (duplicates skipped); ok: points the engine accepted
    double wallS = 0;
};

/// @brief Evaluates every point of `sp` on `threads` threads and hands the formatted text to `sink` in grid order
/// (one call per chunk, never concurrently). `progress(done, total)` is called from the sink's thread after each
/// chunk (may be empty). Exceptions thrown by `sink` stop the sweep and are rethrown.
SweepStats runSweep(const SweepSpace& sp, const SweepRunOptions& opt, const std::function<void(std::string_view)>& sink,
                    const std::function<void(uint64_t, uint64_t)>& progress = {});

/// @brief Evaluates points [begin, end) into `out` (appending). The kernel runSweep's workers run; exposed for the
/// benchmark. Returns the number of points that the engine accepted.
uint64_t evaluateSweepChunk(const SweepSpace& sp, SweepFormat f, uint64_t begin, uint64_t end, std::string& out);

} // namespace rooflab
