#pragma once
/// @brief Design-space search over the LLM engine: (a) the best configuration under service-level targets
/// (TTFT, TPOT, memory fits) minimizing devices or cost, with the Pareto front of throughput per device vs TPOT;
/// (b) platform requirements (GenZ-style): the compute, DRAM bandwidth, capacity and interconnect a platform
/// needs to meet the targets; (c) phase splitting (Splitwise-style): prefill on one platform, decode on another,
/// KV cache moved over the scale-out network. Pure functions of their inputs; no I/O.
#include "analysis/sweep.hpp"

#include <optional>
#include <string>
#include <vector>

namespace rooflab {

/// Service-level targets; 0 = no limit.
struct SloTargets {
    double ttftMaxS = 0;
    double tpotMaxS = 0;
};

enum class SearchObjective : unsigned char { Devices, Cost };

/// @brief Candidates: every platform x batch x TP x PP x weights x KV datatype, for one model and request shape.
struct SearchSpace {
    std::vector<Named<PlatformModel>> platforms;
    std::vector<double> pricePerDeviceHour; ///< USD per device-hour, parallel to platforms (0: unknown)
    LlmArch model;
    StackProfile stack;
    std::vector<int64_t> batch{1, 2, 4, 8, 16, 32, 64, 128, 256};
    std::vector<int> tp{1, 2, 4, 8}, pp{1};
    std::vector<DType> weights{DType::bf16}, kv{DType::bf16};
    int64_t prompt = 1024, output = 256;
    /// Generated tokens/s the deployment must sustain; the replica count (DP) is sized for it. 0: one replica.
    double rateTokensPerS = 0;
};

struct SearchCandidate {
    std::size_t platform = 0;
    int64_t batch = 1;
    int tp = 1, pp = 1, dp = 1;
    DType weights = DType::bf16, kv = DType::bf16;
    bool ok = false;          ///< the engine accepted the configuration
    bool fits = false;        ///< fits in device memory (prefill and decode)
    bool meetsSlo = false;    ///< ok, fits, TTFT and TPOT within the targets
    std::string why;          ///< why not (engine error, memory, which target is missed)
    double ttftS = 0, tpotS = 0, e2eS = 0;
    double replicaTokensPerS = 0;  ///< generated tokens/s of one replica
    double tokensPerSPerDevice = 0;
    int devices = 0;               ///< tp x pp x dp
    double costPerHour = 0;        ///< devices x price (0 when the price is unknown)
    double energyPerTokenJ = 0;
    double energyPerRequestJ = 0;  ///< one request's share (output tokens x energy per token)
    double powerW = 0;             ///< mean power of the deployment while generating
};

struct SearchResult {
    std::vector<SearchCandidate> candidates;
    std::optional<std::size_t> best;   ///< index into candidates
    std::vector<std::size_t> pareto;   ///< fitting candidates not dominated in (TPOT lower, tokens/s/device higher), by TPOT
};

/// @brief Evaluates every candidate (on `threads` threads) and picks the best one that meets the targets:
/// fewest devices (or lowest cost), then most tokens/s per device, then lowest TPOT.
SearchResult searchConfigurations(const SearchSpace& sp, const SloTargets& slo, SearchObjective objective,
                                  unsigned threads = 0);

/// @brief Marks a list of (x lower-better, y higher-better) points; returns the indices of the Pareto front,
/// sorted by x. Points with equal x keep only the best y.
std::vector<std::size_t> paretoFront(const std::vector<std::pair<double, double>>& xy);

// ---------------------------------------------------------------- requirements

enum class Resource : unsigned char { Compute, MemoryBandwidth, MemoryCapacity, Interconnect };
std::string_view resourceName(Resource r);

struct Requirement {
    Resource resource = Resource::Compute;
    std::string unit;          ///< "flop/s", "bytes/s", "bytes"
    double baseValue = 0;      ///< the platform's value (compute: peak of the datatype the model runs in)
    double requiredValue = 0;  ///< minimal value that meets both targets with the other resources fixed
    double factor = 0;         ///< requiredValue / baseValue
    bool reachable = false;    ///< false: no amount of this resource alone meets both targets
    /// The same for each target alone (TTFT is mostly prefill compute, TPOT mostly decode bandwidth).
    double ttftFactor = 0, tpotFactor = 0;
    bool ttftReachable = false, tpotReachable = false;
    std::string note;
};

/// @brief For `s` (batch, prompt, output, TP/PP, datatypes) on `base`: bisects (in log space, factors 1/4096 to
/// 4096) each resource's scale with the others fixed, for the minimal value meeting TTFT and TPOT; capacity is the
/// memory the scenario needs per device. Infeasible scenarios (engine errors) throw InputError.
std::vector<Requirement> platformRequirements(const PlatformModel& base, const LlmArch& model,
                                              const StackProfile& stack, const Scenario& s, const SloTargets& slo);

/// Returns a copy of `pm` with one resource scaled by `factor`.
PlatformModel scaleResource(const PlatformModel& pm, Resource r, double factor);

// ---------------------------------------------------------------- phase splitting

struct SplitSide {
    std::string name;
    PlatformModel platform;
    int tp = 1;
    int64_t batch = 1;          ///< prefill: prompts per prefill step; decode: sequences per decode step
    double pricePerDeviceHour = 0;
};

struct SplitInputs {
    LlmArch model;
    StackProfile stack;
    SplitSide prefill, decode;
    int64_t prompt = 1024, output = 256;
    double requestsPerS = 1;    ///< arrival rate of the request mix
    DType weights = DType::bf16, kv = DType::bf16;
    double linkBytesPerS = 0;   ///< KV-transfer bandwidth per device pair; 0: the smaller scale-out of the two
};

struct SplitDeployment {
    std::string label;          ///< "split", or "colocated on <platform>"
    bool ok = false;
    std::string why;
    double ttftS = 0;           ///< split: prefill + KV transfer
    double prefillS = 0, transferS = 0, kvBytesPerRequest = 0;
    double tpotS = 0;
    int prefillInstances = 0, decodeInstances = 0; ///< colocated: instances in decodeInstances
    int devices = 0;
    double requestsPerSCapacity = 0;  ///< what the sized cluster sustains
    double tokensPerS = 0;            ///< generated tokens/s at the requested rate
    double costPerHour = 0;
    double powerW = 0;                ///< busy energy x rate + idle power of the idle share
    double energyPerRequestJ = 0, energyPerTokenJ = 0;
    double costPerMillionTokens = 0;  ///< USD per 10^6 generated tokens (0: price unknown)
};

/// @brief The split deployment and, for comparison, each platform serving both phases (at the decode batch).
std::vector<SplitDeployment> evaluateSplit(const SplitInputs& in);

} // namespace rooflab
