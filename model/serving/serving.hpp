#pragma once
/// @brief The serving simulator: iteration-level, as serving engines (vLLM, SGLang, TensorRT-LLM) schedule. Each
/// engine iteration is one forward step of a mixed batch — decode tokens of the running sequences and prefill chunks
/// under the scheduler's token budget — timed by the step model through predict(); requests arrive closed-loop
/// (`concurrency` clients, each sending its next request when the last one finishes, as aiperf and vLLM's
/// benchmark_serving run) or open-loop (Poisson arrivals, or a trace). The scheduler's rules are data: the stack
/// profile's SchedulerProfile. Pure and thread-safe: no I/O, no globals (trace files are parsed from text).
///
/// How exact the step times are: the simulator asks the step model for the step of (decode sequences D, their mean
/// context, prefill prompts P, their prefill tokens, their mean offset). D, P and the prefill tokens are exact; the
/// mean context is interpolated linearly between points of a grid `contextGrid` tokens apart; the mean prefill
/// offset is rounded to that grid. Decode attention reads KV bytes linear in the context, but the step model times
/// attention in 128-key tiles, a staircase whose edges the interpolation smooths: at one context the interpolated
/// step differs from the step model by up to 13 % (batch 256, contexts below 128), a few % elsewhere; simulated
/// mean TTFT and TPOT differ by < 0.5 % from a simulation with a 1-token grid (tests/serving). Several sequences'
/// contexts (and several prompts' chunks) are summarized by their mean, which is exact for the KV bytes decode
/// attention reads and for the tokens through the GEMMs, not for per-sequence effects (split-KV choice per length,
/// causal-chunk flops of unequal chunks). Step times are memoized on that key, so a simulation of thousands of requests
/// evaluates a few hundred distinct steps. Runs of pure-decode iterations with an unchanged batch (no arrival, no
/// finish, KV blocks free) advance in one pass over the sequences (Options::skipDecodes), and inter-token gaps are
/// kept as (gap, count) per iteration, so the cost grows with batch changes, not with tokens generated.
#include "analysis/platform_model.hpp"
#include "spec/scenario.hpp"
#include "workloads/llm.hpp"
#include "workloads/stack.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rooflab::serving {

/// One request of a trace: when it arrives and how many tokens it brings and asks for.
struct TraceRequest {
    double arrivalS = 0;      ///< seconds from the start of the trace
    int64_t inputTokens = 1;  ///< prompt tokens
    int64_t outputTokens = 1; ///< generated tokens (the first comes from the prefill)
};

/// @brief Parses a trace in the Splitwise layout (request_id,request_type,application_id,arrival_timestamp,
/// batch_size,prompt_size,token_size; arrival in seconds) or the Azure LLM inference trace layout
/// (TIMESTAMP,ContextTokens,GeneratedTokens; TIMESTAMP a date-time "YYYY-MM-DD HH:MM:SS.fffffff" or seconds).
/// Columns are found by their header names; arrivals are made relative to the first and sorted. `name` names the
/// source in errors (InputError with the line). Pure: the caller reads the file.
std::vector<TraceRequest> parseTraceCsv(std::string_view text, const std::string& name);
/// @brief The trace in the Splitwise layout (what parseTraceCsv reads back unchanged).
std::string writeTraceCsv(const std::vector<TraceRequest>& trace);

/// How requests arrive.
enum class Arrival : unsigned char { ClosedLoop, Poisson, Trace };

/// @brief The load: how requests arrive, how many, and their lengths.
struct Workload {
    Arrival arrival = Arrival::ClosedLoop;
    int concurrency = 1;        ///< closed loop: clients, each with one request in flight
    double ratePerS = 1.0;      ///< Poisson: mean arrivals per second
    uint64_t seed = 1;          ///< Poisson: the arrival times' random stream
    int64_t inputTokens = 1024; ///< closed loop and Poisson: prompt tokens per request
    int64_t outputTokens = 128; ///< closed loop and Poisson: generated tokens per request
    /// Measured requests (after the warm-up). 0: closed loop 20 x concurrency, Poisson 1000, trace all of it.
    int64_t requests = 0;
    /// Requests left out of the statistics at the start. -1: closed loop the first `concurrency` (the first wave,
    /// which arrives at once), open loop none.
    int64_t warmup = -1;
    /// Closed loop: the TTFT statistics of a benchmark that starts cold. 0: steady state only (the clients' first
    /// wave staggered and left out). R > 0: as a benchmark client measures R x concurrency requests from a cold
    /// start (aiperf with --num-requests R x concurrency, the method aiconfigurator's silicon runs document), one
    /// request in R belongs to the first wave, whose `concurrency` requests arrive at once and queue behind each
    /// other's prefills; the rest see the steady state. The wave is simulated on its own (every client sends one
    /// request at time 0) and its TTFTs weigh 1/R; the other statistics stay the steady state's.
    int coldStartRounds = 0;
    std::vector<TraceRequest> trace; ///< Arrival::Trace
};

/// @brief Simulation switches.
struct Options {
    double contextGrid = 64;            ///< tokens between the context points step times are interpolated between
    bool keepIterations = true;         ///< keep the per-iteration table (ServingResult::iterations)
    int64_t maxIterations = 50'000'000; ///< a guard: stop with an error past this many iterations
    /// Event skipping: runs of pure-decode iterations with an unchanged batch (no arrival, no finish, KV blocks
    /// free) advance in one pass over the sequences instead of one per iteration. Same results (tests/serving);
    /// off only to check that.
    bool skipDecodes = true;
    /// Speculative decoding (MTP or a draft model; aggregated and decode engines): draft tokens proposed per decoding
    /// sequence and iteration. 0: off. Each iteration then verifies k + 1 query tokens per decoding sequence (the
    /// step model sees them as a chunk of k + 1 tokens at the sequence's context, and the scheduler's token budget
    /// and KV blocks count them) and emits 1 + sum_{i=1..k} a^i tokens per sequence on average (geometric
    /// acceptance: the expected accepted prefix plus the verifier's own token), accumulated per sequence so the
    /// emitted counts are whole tokens. The draft costs k passes of one decoder layer at the same batch (the
    /// decode step's time / layers each: MTP's one-layer module; its LM head is not counted).
    int speculativeTokens = 0;
    double acceptanceRate = 0.0; ///< probability that a draft token is accepted given the previous ones were
};

/// @brief Mean, percentiles (linear between order statistics, as numpy's default) and extremes of a sample.
struct Distribution {
    int64_t count = 0;
    double mean = 0, p50 = 0, p90 = 0, p99 = 0, min = 0, max = 0;
};
Distribution distributionOf(std::vector<double> values);

/// Which pool an engine belongs to.
enum class PoolRole : unsigned char { Aggregated, Prefill, Decode };

/// @brief One engine iteration.
struct IterationStat {
    double startS = 0, durationS = 0; ///< durationS: the step plus host time not hidden
    double stepS = 0;                 ///< the forward step alone
    int32_t decodeSeqs = 0;           ///< sequences decoding one token
    int32_t prefillSeqs = 0;          ///< prompts with a chunk in the step
    int32_t prefillTokens = 0;        ///< prefill tokens in the step
    int32_t running = 0;              ///< sequences holding KV after scheduling
    int32_t waiting = 0;              ///< requests queued after scheduling
    int32_t preempted = 0;            ///< sequences preempted while scheduling this iteration
    int64_t kvBlocksUsed = 0;         ///< KV blocks held after the step
    int32_t worker = 0;               ///< the engine instance within its pool
    PoolRole pool = PoolRole::Aggregated;
};

/// @brief The KV cache a deployment gets, per device, from the memory model and the scheduler's memory fraction.
struct KvCapacity {
    double capacityBytes = 0;   ///< device memory
    double weightsBytes = 0;    ///< this device's share of the weights
    double activationBytes = 0; ///< peak activations of an iteration at the full token budget
    double workspaceBytes = 0;  ///< the stack's runtime workspace
    double kvBytes = 0;         ///< what the KV cache gets
    double bytesPerToken = 0;   ///< KV bytes per token on this device
    int64_t tokens = 0;         ///< KV tokens that fit (whole blocks), of every attention-DP rank together
    int64_t blocks = 0;         ///< KV blocks of SchedulerProfile::blockSize tokens, every attention-DP rank
};
/// @brief The KV capacity of `base`'s layout (tp, pp, datatypes) under `stack`'s scheduler on `pm`.
KvCapacity kvCapacity(const PlatformModel& pm, const LlmArch& arch, const StackProfile& stack, const Scenario& base);

/// @brief What a simulation gives: latency distributions over the measured requests, throughput over the
/// measurement window (first measured arrival .. last measured completion, during which a closed loop keeps all
/// clients busy), scheduler and cache statistics, and the per-iteration table.
struct ServingResult {
    bool ok = true;
    std::string error;
    std::string errorKey; ///< the case key the error is about (tp, decode.ep, ...; "" : none)
    std::vector<std::string> notes;

    Distribution ttftS;  ///< time to first token: arrival to the end of the iteration that completes the prefill
    Distribution tpotS;  ///< per request: (end-to-end - TTFT) / (output tokens - 1), requests with > 1 output token
    Distribution itlS;   ///< inter-token latency: every gap between consecutive tokens of a measured request
    Distribution e2eS;   ///< arrival to the last token
    Distribution queueS; ///< arrival to the first iteration that schedules the request

    double windowS = 0;          ///< measurement window
    double requestsPerS = 0;     ///< completions (all requests) in the window per second
    double outputTokensPerS = 0; ///< tokens generated in the window per second (whole deployment)
    double inputTokensPerS = 0;  ///< prompt tokens prefilled in the window per second (recomputation included)
    double totalTokensPerS = 0;  ///< both
    double outputTokensPerSPerGpu = 0;
    double totalTokensPerSPerGpu = 0;
    double outputTokensPerSPerUser = 0; ///< mean over measured requests of 1 / TPOT
    double meanConcurrency = 0;         ///< time-averaged requests in the system during the window
    int gpus = 1;

    int64_t measured = 0;     ///< requests in the statistics
    int64_t completed = 0;    ///< requests finished in the simulation, warm-up and cool-down included
    int64_t outputTokens = 0; ///< tokens generated by the measured requests
    int64_t preemptions = 0;
    double meanDecodeBatch = 0;   ///< decode sequences per iteration, over iterations in the window
    double meanPrefillTokens = 0; ///< prefill tokens per iteration, over iterations in the window
    double peakKvUtilization = 0; ///< largest share of KV blocks held
    double meanKvUtilization = 0; ///< time-averaged share of KV blocks held in the window
    double simulatedS = 0;        ///< simulated time
    KvCapacity kv;                ///< per device of the aggregated pool, or of the decode pool when disaggregated
    KvCapacity prefillKv;         ///< disaggregated: per device of the prefill pool
    int workers = 1;              ///< engine instances (both pools when disaggregated)
    double kvTransferS = 0;       ///< disaggregated: mean KV-cache transfer time of the measured requests
    double kvTransferBytes = 0;   ///< disaggregated: mean KV-cache bytes moved per measured request

    int64_t iterationCount = 0;
    int64_t stepEvaluations = 0;           ///< distinct steps predicted (cache misses)
    int64_t stepLookups = 0;               ///< step times asked for (two grid points per interpolated step)
    std::vector<IterationStat> iterations; ///< every engine's iterations, by engine then time
};

/// @brief Simulates serving `arch` with `stack` (its kernels and its scheduler) on `pm` in the layout and datatypes
/// of `base` (tp, pp, ep, weights, kv, act; its phase and token counts are ignored). Infeasible deployments (the
/// model does not fit, a request longer than the KV cache, an invalid layout) come back with ok = false.
ServingResult simulate(const PlatformModel& pm, const LlmArch& arch, const StackProfile& stack, const Scenario& base,
                       const Workload& load, const Options& options = {});

/// @brief One pool of identical engine instances (aiconfigurator's layout columns): `workers` replicas, each of
/// tp x pp x attentionDp GPUs. Attention runs tp-way within each of attentionDp data-parallel ranks; the MoE experts
/// are split moeTp x ep over the same tp x attentionDp GPUs (moeTp x ep = tp x attentionDp).
struct PoolLayout {
    int workers = 1;
    int batch =
        0; ///< per-worker cap on running sequences (the engine's max_batch_size / max_num_seqs); 0: stack default
    int tp = 1, pp = 1, ep = 1, moeTp = 1, attentionDp = 1;
    /// per-worker token budget of an iteration (max_num_tokens / max_num_batched_tokens / max_prefill_tokens);
    /// 0: the stack's scheduler default
    int64_t maxNumTokens = 0;
    int gpus() const { return workers * tp * pp * attentionDp; }
};

enum class DeploymentMode : unsigned char { Aggregated, Disaggregated };

/// @brief How a model is deployed: one aggregated pool, or a prefill pool and a decode pool with the KV cache
/// transferred between them.
struct Deployment {
    DeploymentMode mode = DeploymentMode::Aggregated;
    PoolLayout aggregated;      ///< mode Aggregated
    PoolLayout prefill, decode; ///< mode Disaggregated
    int gpus() const { return mode == DeploymentMode::Aggregated ? aggregated.gpus() : prefill.gpus() + decode.gpus(); }
};

/// @brief Simulates `deployment` of `arch` with `stack` on `pm` (the node; larger deployments span nodes over its
/// scale-out network) with the datatypes of `datatypes` (weights, kv, act; its layout and token fields are
/// ignored). The load is the whole deployment's:
/// - aggregated replicas, closed loop: the clients split as evenly as possible (c or c + 1 per worker, as a load
///   balancer keeps them); each distinct worker is simulated once and the results merged — throughput adds, latency
///   distributions merge with each request weighted by its worker's completion rate. Open loop: arrivals go to the
///   workers round-robin, all workers in one event loop.
/// - disaggregated: requests prefill in the prefill pool (round-robin; prefill-only iterations under its scheduler,
///   its batch limiting prompts in flight); TTFT ends with the prefill's first token (as aiconfigurator and Dynamo
///   count it). The prompt's KV cache (prompt tokens x the model's KV bytes per token) then moves to a decode worker
///   (round-robin) over NVLink when the whole deployment fits the scale-up domain (one node), else over the
///   scale-out network, every GPU of the smaller worker one link, at the platform's collective fraction; not
///   overlapped with the prefill. Decoding resumes there under its batch and KV capacity; TPOT includes the transfer.
/// - attention DP: the step graph runs attention per rank (the busiest rank's share of the sequences) and the FFN /
///   experts over tp x attention_dp GPUs with the DP all-gather / reduce-scatter or the EP all-to-all
///   (step_graph.cpp); a worker's KV cache is all its ranks' together.
/// - moe_tp x ep must equal tp x attention_dp for MoE models; dense models ignore moe_tp and ep.
/// The stack's scheduler frontend_latency delays each request's arrival at the engine (front end, tokenization) by
/// an exponentially distributed time of that mean (a fixed seed: runs repeat exactly): it counts in TTFT and
/// end-to-end latency, and its spread desynchronizes the clients as a real front end does. A closed loop's warm-up
/// wave starts the clients at steady-state phases (staggered output lengths, unmeasured).
ServingResult simulateDeployment(const PlatformModel& pm, const LlmArch& arch, const StackProfile& stack,
                                 const Scenario& datatypes, const Deployment& deployment, const Workload& load,
                                 const Options& options = {});

} // namespace rooflab::serving
