#pragma once
/// @brief LLM inference prediction of a prefill, decode or chunked step for one device of a TP/PP/EP layout, in
/// four steps: checkScenario -> buildStepGraph (step_graph.hpp, no platform) -> evaluateGraph (every operator on
/// the platform) -> summarizeStep (power limit, eager timeline, PP, bound, memory, energy). Pure functions of
/// (platform, model, stack, scenario): no I/O, no globals, thread-safe.
#include "analysis/ops.hpp"
#include "analysis/step_graph.hpp"
#include "spec/scenario.hpp"
#include "workloads/llm.hpp"
#include "workloads/stack.hpp"

#include <string>
#include <vector>

namespace rooflab {

/// @brief Memory per device against capacity. "Does not fit" is a result, with the largest batch and context
/// that would fit.
struct MemoryUse {
    double weightsBytes = 0, kvCacheBytes = 0, activationBytes = 0, workspaceBytes = 0;
    double totalBytes = 0, capacityBytes = 0;
    bool fits = true;
    int64_t maxBatch = 0;     ///< largest batch the stack's scheduler admits at this context (its KV budget; 0: none)
    int64_t maxContext = 0;   ///< largest context per sequence that fits at this batch
    int64_t maxPositions = 0; ///< the model's max_position_embeddings (0: not given)
    bool beyondPositions = false; ///< the sequence is longer than the model's positions (fits says nothing of it)
};

struct Prediction {
    bool ok = true;
    std::string error;         ///< set when !ok (infeasible configuration)
    std::string errorKey;      ///< the scenario key the error is about (tp, ep, attention_dp, ...; "" : none)
    std::vector<OpResult> ops; ///< per-operator table of one device (layers folded into count)
    double latencyS = 0;       ///< step latency (prefill: TTFT of the batch; decode: time per step)
    double computeS = 0, memoryS = 0, commS = 0, overheadS = 0; ///< time by what binds each operator
    std::array<double, kMemLevels> memoryLevelS{};              ///< memoryS split by the level that binds
    double flops = 0;                                           ///< per device per step
    double bytes = 0;                                           ///< DRAM bytes per device per step
    double tokens = 0;         ///< tokens processed (prefill) or generated (decode) per step, all replicas
    double tokensPerS = 0;     ///< throughput of the whole deployment (DP replicas, PP in flight)
    double pipelineBubble = 0; ///< fraction of PP time idle
    int devices = 1;
    Bound bound = Bound::Compute; ///< what binds the step (largest share of time)
    std::string why;              ///< one sentence: which roof binds and why
    MemoryUse memory;
    std::vector<std::string> notes; ///< datatype fallbacks, node spans, assumptions
    double energyJ = 0;             ///< per step, all devices
};

/// @brief Per-step prediction: checkScenario, buildStepGraph, evaluateGraph, summarizeStep. Invalid scenarios
/// (tp not dividing heads, pp > layers...) give ok=false with the check's error.
Prediction predictStep(const PlatformModel& pm, const LlmArch& model, const StackProfile& stack, const Scenario& s,
                       bool withOps = true);

/// @brief A step graph evaluated on a platform: one OpResult per OpSpec (same order, count and perLayer copied,
/// host dispatch time set), and the datatypes the platform resolved.
struct GraphEvaluation {
    std::vector<OpResult> ops;
    DType gemmType = DType::bf16; ///< the tensor path GEMMs run on (after any fallback)
    DType attentionType = DType::bf16;
    double hostFloorS = 0;          ///< host time per kernel outside graphs on this platform (0 under graphs)
    double collectiveFloorS = 0;    ///< host time per collective outside graphs
    double normFloorS = 0;          ///< host time per kernel of a norm outside graphs
    std::vector<std::string> notes; ///< platform findings: datatype fallbacks, collectives leaving the node
};

/// @brief Times every operator of `graph` with ops.hpp's evaluators. No totals: see summarizeStep. `stack`: its
/// fitted kernel efficiency on this platform (StackProfile::efficiencyFor(pm.name)) scales the GEMMs and attention
/// kernels it has surfaces for; nullptr or no surfaces: the platform's efficiencies.
GraphEvaluation evaluateGraph(const PlatformModel& pm, const StepGraph& graph, const StackProfile* stack = nullptr);

/// @brief Step totals from an evaluated graph: the power-limit derate of compute-bound operators, overlap of
/// communication, PP stages and bubble, the eager dispatch timeline, the time split by bound, the bound sentence,
/// memory use and energy. Takes the evaluation's ops and notes into the Prediction.
Prediction summarizeStep(const PlatformModel& pm, const LlmArch& model, const StackProfile& stack, const Scenario& s,
                         const StepGraph& graph, GraphEvaluation&& evaluation);

/// @brief A whole request: TTFT (prefill), TPOT averaged over the generated tokens as the context grows.
struct RequestPrediction {
    Prediction prefill;
    Prediction decodeFirst; ///< the first decode step
    MemoryUse endMemory;    ///< memory at the last decode step (context = prompt + output): the peak
    double ttftS = 0, tpotS = 0, e2eS = 0, tokensPerS = 0;
    double energyPerTokenJ = 0;
};
RequestPrediction predictRequest(const PlatformModel& pm, const LlmArch& model, const StackProfile& stack,
                                 const Scenario& s);

/// @brief Memory per device for the scenario (also part of predictStep).
MemoryUse memoryUse(const PlatformModel& pm, const LlmArch& model, const StackProfile& stack, const Scenario& s);

/// @brief The bytes a serving stack's scheduler gives the KV cache on one device (SchedulerProfile::KvBudget): the
/// one accounting that the largest batch (memoryUse) and the serving simulator's KV capacity share.
double kvBudgetBytes(const SchedulerProfile& sp, double capacityBytes, double weightsBytes, double activationBytes,
                     double workspaceBytes);

/// @brief Expected number of distinct experts that `tokens` tokens touch when each picks `topK` of `experts`
/// uniformly: E (1 - (1 - k/E)^T).
double expectedDistinctExperts(double experts, double topK, double tokens);

/// Bytes of the model's weights at datatype `w` (int4 includes group scales).
double weightBytes(double params, DType w);

} // namespace rooflab
