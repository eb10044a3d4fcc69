#pragma once
/// @brief SMT layout from an SMT-pairing probe (smt.csv of `rooflab bench cpu --only smt`): pairs of OS CPUs whose
/// two pinned threads reach about one thread's FMA throughput (and L1 read bandwidth) share a core. Header-only and
/// pure, shared by the probe (profilers/cpu/smt.cpp) and the calibration (cpu_calibration.cpp).
#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace rooflab {

/// Scaling (pair rate / 2 x one thread) below which a pair counts as SMT siblings. Siblings reach ~0.5 (one thread
/// of the FMA kernel already fills the core's FMA ports); two cores ~1.0; a vCPU contended by another tenant gives
/// ~0.75-0.8 (measured on the 16-vCPU Xeon guest, datasets/cpu/xeon-amx-16vcpu/smt/), so the threshold sits
/// between 0.5 and 0.75.
inline constexpr double kSmtSiblingScaling = 0.65;

struct SmtPairScaling {
    std::string probe; ///< "fma", "l1_read"
    int cpuA = 0, cpuB = 0;
    double scaling = 0;
    bool ok = false;
};

/// @brief What the probe says about the machine's SMT layout.
struct SmtLayout {
    std::vector<std::vector<int>> coreGroups; ///< transitive closure of sibling pairs (singletons included)
    int pairsProbed = 0, siblingPairs = 0;
    bool fixed = false;     ///< groups form a uniform partition (every group the same size >= 2)
    int threadsPerCore = 1; ///< group size when fixed, else 1
    int siblingStride = 0;  ///< when fixed and CPU i's siblings are i + stride, i + 2 stride …: stride; else 0
    std::string verdict;
};

/// @brief Sibling pairs: every valid probe of the pair scales below kSmtSiblingScaling. A fixed layout needs the
/// groups to partition the probed CPUs uniformly; anything else (isolated low pairs on a shared VM) is reported as
/// "no fixed pairing": the host places busy vCPUs itself.
inline SmtLayout inferSmtLayout(const std::vector<SmtPairScaling>& points) {
    SmtLayout out;
    std::map<std::pair<int, int>, bool> sibling;
    for (const auto& p : points) {
        if (!p.ok)
            continue;
        const auto key = std::minmax(p.cpuA, p.cpuB);
        const bool below = p.scaling < kSmtSiblingScaling;
        auto it = sibling.find(key);
        sibling[key] = it == sibling.end() ? below : (it->second && below);
    }
    std::map<int, int> parent;
    for (const auto& [key, unused] : sibling) {
        parent.try_emplace(key.first, key.first);
        parent.try_emplace(key.second, key.second);
    }
    auto find = [&](int x) {
        while (parent[x] != x)
            x = parent[x] = parent[parent[x]];
        return x;
    };
    out.pairsProbed = static_cast<int>(sibling.size());
    for (const auto& [key, isSibling] : sibling)
        if (isSibling) {
            ++out.siblingPairs;
            parent[find(key.first)] = find(key.second);
        }
    std::map<int, std::vector<int>> groups;
    for (const auto& [c, unused] : parent)
        groups[find(c)].push_back(c);
    for (auto& [root, members] : groups) {
        std::sort(members.begin(), members.end());
        out.coreGroups.push_back(members);
    }
    std::sort(out.coreGroups.begin(), out.coreGroups.end());
    if (out.coreGroups.empty())
        return out;
    const std::size_t size = out.coreGroups.front().size();
    out.fixed = size >= 2 && std::all_of(out.coreGroups.begin(), out.coreGroups.end(),
                                         [&](const auto& g) { return g.size() == size; });
    if (out.fixed) {
        out.threadsPerCore = static_cast<int>(size);
        const int stride = out.coreGroups.front()[1] - out.coreGroups.front()[0];
        const bool uniformStride = std::all_of(out.coreGroups.begin(), out.coreGroups.end(), [&](const auto& g) {
            for (std::size_t i = 1; i < g.size(); ++i)
                if (g[i] - g[i - 1] != stride)
                    return false;
            return true;
        });
        out.siblingStride = uniformStride ? stride : 0;
    }
    std::string groupsText;
    for (const auto& g : out.coreGroups) {
        if (g.size() < 2)
            continue;
        groupsText += " {";
        for (std::size_t i = 0; i < g.size(); ++i)
            groupsText += (i ? "," : "") + std::to_string(g[i]);
        groupsText += "}";
    }
    out.verdict =
        out.fixed
            ? std::to_string(out.coreGroups.size()) + " cores x " + std::to_string(size) +
                  " hardware threads, sibling stride " + std::to_string(out.siblingStride) + ":" + groupsText
            : "no fixed SMT pairing: " + std::to_string(out.siblingPairs) + " of " + std::to_string(out.pairsProbed) +
                  " CPU pairs scale below " + std::to_string(kSmtSiblingScaling).substr(0, 4) +
                  (groupsText.empty() ? "" : " (" + groupsText.substr(1) + ")") + "; two busy threads run on two cores";
    return out;
}

} // namespace rooflab
