#pragma once
/// @brief How a fused MoE's tokens fall on its experts, seen from one expert-parallel rank: the experts of that rank
/// the tokens' top-k picks touch and the rows each of them gets, which set the grouped GEMMs' weight traffic and their
/// M. Three routings:
///  - Uniform: every pick an independent uniform draw (a random router; the expectation, no sampling).
///  - Balanced: aiconfigurator's `balanced_logits` (collector/helper.py): token i picks experts i + j x stride
///    (mod E, stride = ceil(E / k)), or for fewer tokens than the stride floor(i x stride / T) + j x stride: every
///    expert gets T k / E rows, or T k experts one row each.
///  - PowerLaw(alpha): aiconfigurator's power-law workload (`_generate_power_law_distribution`): the E experts'
///    loads are drawn from a power law x^-alpha on [1, 0.8 T] (on [0.01, 2] when T k <= E), scaled to T k picks and
///    rounded (the picks left over go to the largest loads first, equal loads evenly spread over the experts, as the
///    tables show at one and two tokens), and the expert-parallel group with the most picks is the measured rank. Its
///    expectation is taken over a fixed sequence of draws. It is the routing the frameworks' MoE tables were measured
///    with, and the serving engine's (kMoeRouting): a step waits for its most loaded expert-parallel rank.
#include <string_view>

namespace rooflab {

struct MoeRouting {
    enum class Kind : unsigned char { Uniform, Balanced, PowerLaw };
    Kind kind = Kind::Uniform;
    double alpha = 0; ///< PowerLaw: the exponent
};

/// @brief The routing of a name: "uniform", "balanced" or "power_law_<alpha>" (alpha > 1); false for anything else.
bool moeRoutingFromName(std::string_view name, MoeRouting& out);

/// @brief One rank's share of a fused MoE: the touched experts among its experts / ep, the rows routed to it, and
/// rows per touched expert (0 where it gets none).
struct RankExperts {
    double experts = 0, rows = 0, rowsPerExpert = 0;
};

/// @brief The measured (most loaded) rank's share of `tokens` tokens' top-`topK` picks over `experts` experts split
/// over `ep` ranks (experts / ep each, rank 0 holding the first ones). Uniform and Balanced are exact expectations;
/// PowerLaw averages kPowerLawDraws draws of a fixed seed (memoized per thread). Tokens are rounded to whole tokens
/// for Balanced and PowerLaw.
RankExperts rankExperts(const MoeRouting& routing, double tokens, double topK, double experts, double ep);

inline constexpr int kPowerLawDraws = 32;

} // namespace rooflab
