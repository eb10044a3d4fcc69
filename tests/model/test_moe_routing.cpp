// The expert routings of a fused MoE (analysis/moe_routing.hpp): what the measured rank of aiconfigurator's MoE
// tables holds under their balanced and power-law workloads, against the uniform expectation.
#include "analysis/moe_routing.hpp"
#include "analysis/step_graph.hpp"

#include <algorithm>
#include <gtest/gtest.h>

namespace rooflab {
namespace {

MoeRouting routing(const char* name) {
    MoeRouting r;
    EXPECT_TRUE(moeRoutingFromName(name, r)) << name;
    return r;
}

TEST(MoeRouting, NamesParseAndBadNamesAreRejected) {
    EXPECT_EQ(routing("balanced").kind, MoeRouting::Kind::Balanced);
    EXPECT_EQ(routing("uniform").kind, MoeRouting::Kind::Uniform);
    const MoeRouting p = routing("power_law_1.2");
    EXPECT_EQ(p.kind, MoeRouting::Kind::PowerLaw);
    EXPECT_DOUBLE_EQ(p.alpha, 1.2);
    MoeRouting r;
    for (const char* bad : {"power_law_1", "power_law_0.9", "power_law_", "power_law_1.2x", "zipf", ""})
        EXPECT_FALSE(moeRoutingFromName(bad, r)) << bad;
}

TEST(MoeRouting, UniformIsTheExpectedTouchedExpertsPerRank) {
    const ExpertsTouched all = expertsTouched(64, 8, 256);
    const RankExperts r = rankExperts({}, 64, 8, 256, 8);
    EXPECT_NEAR(r.experts, all.experts / 8, 1e-9);
    EXPECT_NEAR(r.rows, 64.0 * 8 / 8, 1e-9);
    EXPECT_NEAR(r.rowsPerExpert, all.rowsPerExpert, 1e-9);
}

TEST(MoeRouting, BalancedSpreadsThePicksAsTheCollectorDoes) {
    const MoeRouting b = routing("balanced");
    // 16 tokens, top-2 of 8 experts (stride 4), 4 ranks: every expert of rank 0 gets 16 x 2 / 8 rows.
    RankExperts r = rankExperts(b, 16, 2, 8, 4);
    EXPECT_DOUBLE_EQ(r.experts, 2.0);
    EXPECT_DOUBLE_EQ(r.rows, 8.0);
    // One token, top-8 of 256 experts: its picks 0, 32, ..., 224, one a rank; of rank 0's experts 0-31 only expert 0
    // is picked.
    r = rankExperts(b, 1, 8, 256, 8);
    EXPECT_DOUBLE_EQ(r.experts, 1.0);
    EXPECT_DOUBLE_EQ(r.rows, 1.0);
    r = rankExperts(b, 1, 8, 256, 1);
    EXPECT_DOUBLE_EQ(r.experts, 8.0);
    // 16 tokens, top-8 of 128 (stride 16): all 128 experts touched, one row each per pick; uniform picks would
    // leave a third of them idle.
    r = rankExperts(b, 16, 8, 128, 1);
    EXPECT_DOUBLE_EQ(r.experts, 128.0);
    EXPECT_DOUBLE_EQ(r.rowsPerExpert, 1.0);
    EXPECT_LT(rankExperts({}, 16, 8, 128, 1).experts, 90.0);
}

TEST(MoeRouting, PowerLawMeasuresTheMostLoadedRank) {
    const MoeRouting p = routing("power_law_1.01");
    // One rank: every pick is its own, on fewer experts than uniform draws touch (a few experts take most picks).
    const RankExperts one = rankExperts(p, 256, 8, 128, 1);
    EXPECT_DOUBLE_EQ(one.rows, 256.0 * 8);
    EXPECT_LT(one.experts, rankExperts({}, 256, 8, 128, 1).experts);
    EXPECT_LE(one.experts, 128.0);
    // Eight ranks: the measured rank is the most loaded, well above an even eighth, and deterministic.
    const RankExperts r = rankExperts(p, 256, 8, 128, 8);
    EXPECT_GT(r.rows, 1.3 * 256.0 * 8 / 8);
    EXPECT_LE(r.rows, 256.0 * 8);
    EXPECT_LE(r.experts, 16.0);
    const RankExperts again = rankExperts(p, 256, 8, 128, 8);
    EXPECT_DOUBLE_EQ(again.rows, r.rows);
    EXPECT_DOUBLE_EQ(again.experts, r.experts);
}

TEST(MoeRouting, PowerLawPicksLeftByTheRoundingSpreadEvenlyOverTheRanks) {
    // One token top-8 of 256: every load rounds to zero, so all eight picks are handed out among equal loads. The
    // tables time these rows as the balanced ones at every EP size (one pick per 32 experts), so the measured rank
    // holds an even share, not all eight (index order would give rank 0 experts 0-7).
    for (const char* name : {"power_law_1.01", "power_law_1.2"}) {
        const MoeRouting p = routing(name);
        for (double ep : {1.0, 2.0, 4.0, 8.0, 32.0}) {
            const RankExperts r = rankExperts(p, 1, 8, 256, ep);
            EXPECT_DOUBLE_EQ(r.experts, std::max(1.0, 8.0 / ep)) << name << " ep " << ep;
            EXPECT_DOUBLE_EQ(r.rows, r.experts) << name << " ep " << ep;
        }
        // 160 experts at EP 2, 4 and 8: four, two and one of the eight picks on the measured rank (a rare draw rounds
        // one load up to a pick).
        for (double ep : {2.0, 4.0, 8.0})
            EXPECT_NEAR(rankExperts(p, 1, 8, 160, ep).experts, 8.0 / ep, 0.1) << name << " ep " << ep;
    }
}

} // namespace
} // namespace rooflab
