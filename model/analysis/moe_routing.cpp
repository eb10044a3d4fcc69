#include "analysis/moe_routing.hpp"

#include "analysis/step_graph.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

namespace rooflab {

bool moeRoutingFromName(std::string_view name, MoeRouting& out) {
    if (name == "uniform") {
        out = {};
        return true;
    }
    if (name == "balanced") {
        out = {MoeRouting::Kind::Balanced, 0};
        return true;
    }
    constexpr std::string_view prefix = "power_law_";
    if (name.substr(0, prefix.size()) != prefix)
        return false;
    double alpha = 0;
    const char* first = name.data() + prefix.size();
    const char* last = name.data() + name.size();
    const auto [ptr, ec] = std::from_chars(first, last, alpha);
    if (ec != std::errc() || ptr != last || !(alpha > 1.0) || !(alpha < 10.0))
        return false;
    out = {MoeRouting::Kind::PowerLaw, alpha};
    return true;
}

namespace {

/// The step graph's uniform expectation (expertsTouched), an ep-th of it on the rank.
RankExperts uniformRank(double tokens, double topK, double experts, double ep) {
    const ExpertsTouched all = expertsTouched(tokens, std::min(topK, experts), experts);
    return {all.experts / ep, tokens * topK / ep, all.experts > 0 ? all.rowsPerExpert : 0.0};
}

/// Rank 0's experts [0, E / ep) under the collector's balanced picks.
RankExperts balancedRank(int64_t T, int64_t k, int64_t E, int64_t ep) {
    const int64_t local = E / ep, stride = (E + k - 1) / k;
    if (T >= stride) {
        // pick (i, j) lands on (i + j stride) mod E: per j, the T consecutive values from j x stride.
        auto below = [&](int64_t n) { return (n / E) * local + std::min(n % E, local); }; // v < n with v mod E < local
        double rows = 0;
        for (int64_t j = 0; j < k; ++j)
            rows += double(below(j * stride + T) - below(j * stride));
        int64_t touched = 0;
        for (int64_t e = 0; e < local; ++e)
            for (int64_t j = 0; j < k; ++j)
                if ((((e - j * stride) % E) + E) % E < T) {
                    ++touched;
                    break;
                }
        return {double(touched), rows, touched > 0 ? rows / double(touched) : 0.0};
    }
    std::vector<int64_t> load(static_cast<std::size_t>(local), 0);
    for (int64_t i = 0; i < T; ++i)
        for (int64_t j = 0; j < k; ++j) {
            const double v = std::fmod(double(i) * double(stride) / double(T) + double(j * stride), double(E));
            const auto e = static_cast<int64_t>(v);
            if (e < local)
                ++load[static_cast<std::size_t>(e)];
        }
    double rows = 0, touched = 0;
    for (int64_t c : load) {
        rows += double(c);
        touched += c > 0 ? 1 : 0;
    }
    return {touched, rows, touched > 0 ? rows / touched : 0.0};
}

/// splitmix64: a fixed, portable sequence of draws.
struct Draws {
    uint64_t s;
    double next() {
        uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        return double(z >> 11) * 0x1.0p-53;
    }
};

/// Where the rounding leaves picks over (or short), the collector hands them out in the order of its sort of the
/// loads, largest first. Among equal loads the tables show an even spread over the expert range: at one token (every
/// load rounds to zero, all k picks are handed out this way) the power-law rows time the same as the balanced ones at
/// every EP size, on all three frameworks and both Hopper GPUs (datasets/aic/README.md, "MoE routing: picks left
/// over by the rounding"). Index order would put them all on rank 0's experts. So equal loads are ranked by the van
/// der Corput sequence over the expert range (0, E/2, E/4, 3E/4, ...; an expert already taken is skipped): the first
/// 2^j of them are evenly spaced. Returns each expert's rank in that order.
std::vector<uint32_t> evenSpreadOrder(int64_t E) {
    int bits = 0;
    while ((int64_t(1) << bits) < E)
        ++bits;
    std::vector<uint32_t> rank(static_cast<std::size_t>(E), UINT32_MAX);
    uint32_t next = 0;
    for (uint64_t j = 0; j < (uint64_t(1) << bits); ++j) {
        uint64_t r = 0; // j with its `bits` bits reversed: the sequence's j-th fraction, times 2^bits
        for (int b = 0; b < bits; ++b)
            if (j & (uint64_t(1) << b))
                r |= uint64_t(1) << (bits - 1 - b);
        const auto e = static_cast<std::size_t>((r * uint64_t(E)) >> bits);
        if (rank[e] == UINT32_MAX)
            rank[e] = next++;
    }
    return rank;
}

/// The collector's power-law loads, scaled to T k picks and rounded (the sum corrected on the largest / smallest
/// experts as it does, equal loads in evenSpreadOrder), then the most loaded group of E / ep experts; averaged over
/// kPowerLawDraws draws.
RankExperts powerLawRank(double alpha, int64_t T, int64_t k, int64_t E, int64_t ep) {
    const int64_t local = E / ep, picks = T * k;
    const bool many = picks > E;
    const double lo = many ? 1.0 : 0.01, hi = many ? double(T) * 0.8 : 2.0;
    const double a1 = 1.0 - alpha, loP = std::pow(lo, a1), hiP = std::pow(hi, a1);
    Draws rng{0x5EEDull + uint64_t(T) * 1315423911ull + uint64_t(E) * 2654435761ull + uint64_t(k) * 97ull};
    std::vector<double> x(static_cast<std::size_t>(E));
    std::vector<int64_t> n(static_cast<std::size_t>(E));
    std::vector<std::size_t> order(static_cast<std::size_t>(E));
    const std::vector<uint32_t> tie = evenSpreadOrder(E);
    RankExperts sum;
    for (int d = 0; d < kPowerLawDraws; ++d) {
        double total = 0;
        for (double& v : x) {
            v = hi > lo ? std::pow((hiP - loP) * rng.next() + loP, 1.0 / a1) : lo;
            total += v;
        }
        int64_t have = 0;
        for (std::size_t e = 0; e < x.size(); ++e) {
            n[e] = std::llround(x[e] / total * double(picks));
            have += n[e];
        }
        if (have != picks) {
            // Only the ends of the order are used: the first `delta` experts (picks short) or the last (picks over,
            // each taken from the largest expert when it has none). Partial sorts (a whole one where |delta| reaches
            // E), not a sort of every expert: a model with a million experts drew a million-element sort per draw.
            const auto before = [&](std::size_t a, std::size_t b) {
                return n[a] > n[b] || (n[a] == n[b] && tie[a] < tie[b]);
            };
            for (std::size_t e = 0; e < order.size(); ++e)
                order[e] = e;
            int64_t delta = picks - have;
            const auto ends = static_cast<std::size_t>(std::min<int64_t>(delta < 0 ? -delta : delta, E));
            if (delta > 0) {
                std::partial_sort(order.begin(), order.begin() + std::ptrdiff_t(ends), order.end(), before);
                for (std::size_t i = 0; delta > 0; ++i, --delta)
                    ++n[order[i % ends]];
            } else {
                const std::size_t largest = *std::min_element(order.begin(), order.end(), before);
                // order[i]: the i-th expert from the end of the order.
                const auto after = [&](std::size_t a, std::size_t b) { return before(b, a); };
                std::partial_sort(order.begin(), order.begin() + std::ptrdiff_t(ends), order.end(), after);
                for (std::size_t i = 0; delta < 0; ++i, ++delta) {
                    const std::size_t e = order[i % ends];
                    if (n[e] > 0)
                        --n[e];
                    else
                        --n[largest];
                }
            }
        }
        int64_t bestRows = -1, bestTouched = 0;
        for (int64_t g = 0; g < ep; ++g) {
            int64_t rows = 0, touched = 0;
            for (int64_t e = g * local; e < (g + 1) * local; ++e) {
                rows += n[static_cast<std::size_t>(e)];
                touched += n[static_cast<std::size_t>(e)] > 0 ? 1 : 0;
            }
            if (rows > bestRows) {
                bestRows = rows;
                bestTouched = touched;
            }
        }
        sum.experts += double(bestTouched);
        sum.rows += double(bestRows);
    }
    sum.experts /= kPowerLawDraws;
    sum.rows /= kPowerLawDraws;
    sum.rowsPerExpert = sum.experts > 0 ? sum.rows / sum.experts : 0.0;
    return sum;
}

} // namespace

RankExperts rankExperts(const MoeRouting& routing, double tokens, double topK, double experts, double ep) {
    ep = std::max(1.0, ep);
    if (routing.kind == MoeRouting::Kind::Uniform || tokens <= 0 || experts < 1)
        return uniformRank(std::max(0.0, tokens), topK, experts, ep);
    const auto T = std::max<int64_t>(1, std::llround(tokens));
    const auto k = std::max<int64_t>(1, std::llround(topK));
    const auto E = std::max<int64_t>(1, std::llround(experts));
    const auto P = std::clamp<int64_t>(std::llround(ep), 1, E);
    if (routing.kind == MoeRouting::Kind::Balanced)
        return balancedRank(T, std::min(k, E), E, P);
    // Per-thread memo: the serving simulator asks for the same few shapes every step.
    using Key = std::tuple<double, int64_t, int64_t, int64_t, int64_t>;
    thread_local std::map<Key, RankExperts> memo;
    const Key key{routing.alpha, T, k, E, P};
    if (auto it = memo.find(key); it != memo.end())
        return it->second;
    if (memo.size() > 200000)
        memo.clear();
    const RankExperts r = powerLawRank(routing.alpha, T, std::min(k, E), E, P);
    memo.emplace(key, r);
    return r;
}

} // namespace rooflab
