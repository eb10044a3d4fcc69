#include "analysis/search.hpp"

#include "analysis/parallel.hpp"
#include "engine/predict.hpp"
#include "units/errors.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace rooflab {

namespace {

std::string fmtMs(double s) {
    char b[32];
    std::snprintf(b, sizeof b, "%.3g ms", s * 1e3);
    return b;
}

/// Checks the targets; fills `why` with the first one missed.
bool meets(const SloTargets& slo, double ttftS, double tpotS, std::string* why) {
    if (slo.ttftMaxS > 0 && ttftS > slo.ttftMaxS) {
        if (why)
            *why = "TTFT " + fmtMs(ttftS) + " > " + fmtMs(slo.ttftMaxS);
        return false;
    }
    if (slo.tpotMaxS > 0 && tpotS > slo.tpotMaxS) {
        if (why)
            *why = "TPOT " + fmtMs(tpotS) + " > " + fmtMs(slo.tpotMaxS);
        return false;
    }
    return true;
}

/// Energy of the decode steps of a request batch (predictRequest's total minus its prefill).
double decodeEnergyJ(const RequestPrediction& r, const Scenario& s) {
    const double total = r.energyPerTokenJ * double(s.batch) * double(s.outputTokens) * double(s.dp);
    return std::max(0.0, total - r.prefill.energyJ);
}

} // namespace

std::vector<std::size_t> paretoFront(const std::vector<std::pair<double, double>>& xy) {
    std::vector<std::size_t> idx(xy.size());
    std::iota(idx.begin(), idx.end(), std::size_t(0));
    std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
        if (xy[a].first != xy[b].first)
            return xy[a].first < xy[b].first;
        if (xy[a].second != xy[b].second)
            return xy[a].second > xy[b].second;
        return a < b;
    });
    std::vector<std::size_t> front;
    double bestY = -std::numeric_limits<double>::infinity();
    for (std::size_t i : idx)
        if (xy[i].second > bestY) {
            front.push_back(i);
            bestY = xy[i].second;
        }
    return front;
}

SearchResult searchConfigurations(const SearchSpace& sp, const SloTargets& slo, SearchObjective objective,
                                  unsigned threads) {
    SearchResult res;
    for (std::size_t p = 0; p < sp.platforms.size(); ++p)
        for (int tp : sp.tp)
            for (int pp : sp.pp)
                for (DType w : sp.weights)
                    for (DType kv : sp.kv)
                        for (int64_t b : sp.batch) {
                            SearchCandidate c;
                            c.platform = p;
                            c.tp = tp;
                            c.pp = pp;
                            c.weights = w;
                            c.kv = kv;
                            c.batch = b;
                            res.candidates.push_back(c);
                        }
    parallelFor(res.candidates.size(), threads, [&](std::size_t i) {
        SearchCandidate& c = res.candidates[i];
        const Scenario s = ScenarioBuilder()
                               .batch(c.batch)
                               .prompt(sp.prompt)
                               .context(sp.prompt)
                               .outputTokens(sp.output)
                               .tp(c.tp)
                               .pp(c.pp)
                               .weights(c.weights)
                               .kv(c.kv)
                               .unchecked();
        const PlatformModel& pm = sp.platforms[c.platform].value;
        const Result outcome = predict(pm, llmRequestOf(sp.model, sp.stack, s, true));
        if (!outcome.ok) {
            c.why = outcome.error;
            return;
        }
        const RequestPrediction& r = *outcome.request();
        c.ok = true;
        // Memory at the end of the request is what must fit (the KV cache is largest there).
        c.fits = r.prefill.memory.fits && r.endMemory.fits;
        c.ttftS = r.ttftS;
        c.tpotS = r.tpotS;
        c.e2eS = r.e2eS;
        c.replicaTokensPerS = r.tokensPerS;
        c.dp = 1;
        if (sp.rateTokensPerS > 0 && r.tokensPerS > 0)
            c.dp = static_cast<int>(std::min(1e6, std::ceil(sp.rateTokensPerS / r.tokensPerS - 1e-9)));
        c.devices = c.tp * c.pp * std::max(1, c.dp);
        c.tokensPerSPerDevice = r.tokensPerS / double(c.tp * c.pp);
        const double price = c.platform < sp.pricePerDeviceHour.size() ? sp.pricePerDeviceHour[c.platform] : 0.0;
        c.costPerHour = price * c.devices;
        c.energyPerTokenJ = r.energyPerTokenJ;
        c.energyPerRequestJ = r.energyPerTokenJ * double(sp.output);
        c.powerW = r.e2eS > 0 ? r.energyPerTokenJ * r.tokensPerS * c.dp : 0;
        if (!c.fits) {
            c.why = "does not fit: needs " +
                    std::to_string(std::max(r.prefill.memory.totalBytes, r.endMemory.totalBytes) / 1e9) + " GB of " +
                    std::to_string(r.endMemory.capacityBytes / 1e9) + " GB per device";
            return;
        }
        c.meetsSlo = meets(slo, c.ttftS, c.tpotS, &c.why);
    });
    std::vector<std::size_t> fitting;
    std::vector<std::pair<double, double>> xy;
    for (std::size_t i = 0; i < res.candidates.size(); ++i) {
        const SearchCandidate& c = res.candidates[i];
        if (c.ok && c.fits) {
            fitting.push_back(i);
            xy.emplace_back(c.tpotS, c.tokensPerSPerDevice);
        }
    }
    for (std::size_t k : paretoFront(xy))
        res.pareto.push_back(fitting[k]);
    auto better = [&](const SearchCandidate& a, const SearchCandidate& b) {
        if (objective == SearchObjective::Cost && a.costPerHour != b.costPerHour)
            return a.costPerHour < b.costPerHour;
        if (a.devices != b.devices)
            return a.devices < b.devices;
        if (a.tokensPerSPerDevice != b.tokensPerSPerDevice)
            return a.tokensPerSPerDevice > b.tokensPerSPerDevice;
        return a.tpotS < b.tpotS;
    };
    for (std::size_t i = 0; i < res.candidates.size(); ++i)
        if (res.candidates[i].meetsSlo && (!res.best || better(res.candidates[i], res.candidates[*res.best])))
            res.best = i;
    return res;
}

// ---------------------------------------------------------------- requirements

std::string_view resourceName(Resource r) {
    switch (r) {
    case Resource::Compute:
        return "compute";
    case Resource::MemoryBandwidth:
        return "memory bandwidth";
    case Resource::MemoryCapacity:
        return "memory capacity";
    case Resource::Interconnect:
        return "interconnect bandwidth";
    }
    return "?";
}

PlatformModel scaleResource(const PlatformModel& pm, Resource r, double factor) {
    PlatformModel out = pm;
    switch (r) {
    case Resource::Compute:
        for (double& v : out.tensorPeak)
            v *= factor;
        out.vectorPeakFp32 *= factor;
        break;
    case Resource::MemoryBandwidth:
        out.bandwidth[kDram] *= factor;
        out.gemmDramBytesPerS *= factor;
        break;
    case Resource::MemoryCapacity:
        out.capacityBytes[kDram] *= factor;
        break;
    case Resource::Interconnect:
        out.scaleUpBytesPerS *= factor;
        out.scaleOutBytesPerS *= factor;
        break;
    }
    return out;
}

std::vector<Requirement> platformRequirements(const PlatformModel& base, const LlmArch& model,
                                              const StackProfile& stack, const Scenario& s0, const SloTargets& slo) {
    const Scenario s = withPhase(s0, Phase::Prefill);
    const Result res0 = predict(base, llmRequestOf(model, stack, s, true));
    if (!res0.ok)
        throw InputError("", 0, "", res0.error);
    const RequestPrediction& r0 = *res0.request();
    std::vector<Requirement> out;
    bool fell = false;
    const DType ct = base.computeType(s.act, fell);
    const struct {
        Resource r;
        const char* unit;
        double value;
    } scaled[] = {
        {Resource::Compute, "flop/s", base.tensorPeak[static_cast<std::size_t>(ct)]},
        {Resource::MemoryBandwidth, "bytes/s", base.bandwidth[kDram]},
        {Resource::Interconnect, "bytes/s",
         s.tp * s.pp > 1 && s.tp * s.pp > base.scaleUpDomain ? base.scaleOutBytesPerS : base.scaleUpBytesPerS}};
    constexpr double kLo = 1.0 / 4096, kHi = 4096;
    // Minimal factor meeting `target` (0: both); -1 when even kHi does not.
    auto bisect = [&](Resource res, int target) {
        const SloTargets t{target == 2 ? 0.0 : slo.ttftMaxS, target == 1 ? 0.0 : slo.tpotMaxS};
        auto good = [&](double f) {
            const RequestPrediction r =
                requestOrError(predict(scaleResource(base, res, f), llmRequestOf(model, stack, s, true)));
            return r.prefill.ok && meets(t, r.ttftS, r.tpotS, nullptr);
        };
        if (!good(kHi))
            return -1.0;
        if (good(kLo))
            return kLo;
        double lo = std::log(kLo), hi = std::log(kHi); // !good(lo), good(hi)
        for (int it = 0; it < 48 && hi - lo > 1e-4; ++it) {
            const double mid = 0.5 * (lo + hi);
            (good(std::exp(mid)) ? hi : lo) = mid;
        }
        return std::exp(hi);
    };
    for (const auto& x : scaled) {
        Requirement q;
        q.resource = x.r;
        q.unit = x.unit;
        q.baseValue = x.value;
        if (x.r == Resource::Interconnect && s.tp * s.pp * s.ep <= 1) {
            q.reachable = q.ttftReachable = q.tpotReachable = true;
            q.note = "not used: one device (TP x PP x EP = 1)";
            out.push_back(q);
            continue;
        }
        if (x.value <= 0) {
            q.note = "the platform has no value to scale";
            out.push_back(q);
            continue;
        }
        const double both = bisect(x.r, 0);
        const double ft = slo.ttftMaxS > 0 ? bisect(x.r, 1) : kLo;
        const double fp = slo.tpotMaxS > 0 ? bisect(x.r, 2) : kLo;
        q.ttftReachable = ft > 0;
        q.tpotReachable = fp > 0;
        q.ttftFactor = std::max(ft, 0.0);
        q.tpotFactor = std::max(fp, 0.0);
        q.reachable = both > 0;
        q.factor = std::max(both, 0.0);
        q.requiredValue = q.factor * x.value;
        if (!q.reachable)
            q.note =
                "both targets are not reachable by this resource alone (x4096 is not enough; another resource binds)";
        else if (q.factor <= kLo)
            q.note = "does not bind: 1/4096 of the platform's value meets the targets";
        out.push_back(q);
    }
    // Capacity: what the request needs at its largest (end of generation), independent of the roofs.
    Requirement cap;
    cap.resource = Resource::MemoryCapacity;
    cap.unit = "bytes";
    cap.baseValue = base.capacityBytes[kDram];
    const double need = std::max(r0.prefill.memory.totalBytes, r0.endMemory.totalBytes);
    cap.requiredValue = need;
    cap.factor = cap.baseValue > 0 ? need / cap.baseValue : 0;
    cap.reachable = cap.ttftReachable = cap.tpotReachable = true;
    cap.note = "weights, KV cache at prompt + output tokens, activations and workspace per device";
    out.insert(out.begin() + 2, cap);
    return out;
}

// ---------------------------------------------------------------- phase splitting

std::vector<SplitDeployment> evaluateSplit(const SplitInputs& in) {
    std::vector<SplitDeployment> out;
    const double rate = std::max(in.requestsPerS, 1e-12);
    auto baseScenario = [&](int tp, int64_t batch) {
        return ScenarioBuilder()
            .batch(batch)
            .prompt(in.prompt)
            .context(in.prompt)
            .outputTokens(in.output)
            .tp(tp)
            .weights(in.weights)
            .kv(in.kv)
            .unchecked();
    };
    auto finishCost = [&](SplitDeployment& d) {
        d.tokensPerS = rate * double(in.output);
        d.energyPerTokenJ = in.output > 0 ? d.energyPerRequestJ / double(in.output) : 0;
        d.costPerMillionTokens =
            d.tokensPerS > 0 && d.costPerHour > 0 ? d.costPerHour / 3600.0 / d.tokensPerS * 1e6 : 0;
    };

    // Split: prefill instances on one platform, decode instances on the other.
    {
        SplitDeployment d;
        d.label = "split: prefill on " + in.prefill.name + ", decode on " + in.decode.name;
        const Scenario ps = withPhase(baseScenario(in.prefill.tp, in.prefill.batch), Phase::Prefill);
        const Prediction pre = stepOrError(predict(in.prefill.platform, llmRequestOf(in.model, in.stack, ps, false)));
        const Scenario ds = baseScenario(in.decode.tp, in.decode.batch);
        const RequestPrediction dec =
            requestOrError(predict(in.decode.platform, llmRequestOf(in.model, in.stack, ds, true)));
        const MemoryUse& decMem = dec.endMemory;
        if (!pre.ok || !dec.prefill.ok) {
            d.why = !pre.ok ? "prefill: " + pre.error : "decode: " + dec.prefill.error;
        } else if (!pre.memory.fits || !decMem.fits) {
            d.why = !pre.memory.fits ? "prefill does not fit in " + in.prefill.name + " memory"
                                     : "decode does not fit in " + in.decode.name + " memory at batch " +
                                           std::to_string(in.decode.batch);
        } else {
            const double kvPerToken = in.model.kvElementsPerToken() * bytesPerElement(in.kv);
            d.kvBytesPerRequest = kvPerToken * double(in.prompt);
            double link = in.linkBytesPerS;
            if (link <= 0) {
                const double a = in.prefill.platform.scaleOutBytesPerS, b = in.decode.platform.scaleOutBytesPerS;
                link = a > 0 && b > 0 ? std::min(a, b) : std::max(a, b);
            }
            // The KV cache of one request is sharded over the TP devices, each with its own link.
            const double lanes = std::min(in.prefill.tp, in.decode.tp);
            const double latency = std::max(in.prefill.platform.scaleOutLatencyS, in.decode.platform.scaleOutLatencyS);
            if (link <= 0) {
                d.why = "no scale-out bandwidth on either platform: pass the KV link bandwidth";
            } else {
                d.ok = true;
                d.transferS = latency + d.kvBytesPerRequest / (link * lanes);
                d.prefillS = pre.latencyS;
                d.ttftS = pre.latencyS + d.transferS;
                d.tpotS = dec.tpotS;
                const double prefillCapacity = double(in.prefill.batch) / pre.latencyS; // requests/s per instance
                const double decodeCapacity = double(in.decode.batch) / (double(in.output) * dec.tpotS);
                d.prefillInstances = static_cast<int>(std::ceil(rate / prefillCapacity - 1e-9));
                d.decodeInstances = static_cast<int>(std::ceil(rate / decodeCapacity - 1e-9));
                d.prefillInstances = std::max(1, d.prefillInstances);
                d.decodeInstances = std::max(1, d.decodeInstances);
                d.devices = d.prefillInstances * in.prefill.tp + d.decodeInstances * in.decode.tp;
                d.requestsPerSCapacity =
                    std::min(prefillCapacity * d.prefillInstances, decodeCapacity * d.decodeInstances);
                d.costPerHour = d.prefillInstances * in.prefill.tp * in.prefill.pricePerDeviceHour +
                                d.decodeInstances * in.decode.tp * in.decode.pricePerDeviceHour;
                const double prefillJ = pre.energyJ / double(in.prefill.batch);
                const double decodeJ = decodeEnergyJ(dec, ds) / double(in.decode.batch);
                d.energyPerRequestJ = prefillJ + decodeJ;
                // Busy energy at the arrival rate, plus idle power for the capacity left unused.
                const double prefillBusy = std::min(1.0, rate / (prefillCapacity * d.prefillInstances));
                const double decodeBusy = std::min(1.0, rate / (decodeCapacity * d.decodeInstances));
                d.powerW = rate * d.energyPerRequestJ +
                           (1 - prefillBusy) * d.prefillInstances * in.prefill.tp * in.prefill.platform.idleW +
                           (1 - decodeBusy) * d.decodeInstances * in.decode.tp * in.decode.platform.idleW;
                finishCost(d);
            }
        }
        out.push_back(d);
    }
    // Colocated baselines: each platform runs whole requests at the decode batch (static batching).
    for (const SplitSide* side : {&in.prefill, &in.decode}) {
        if (side == &in.decode && in.decode.name == in.prefill.name && in.decode.tp == in.prefill.tp)
            break;
        SplitDeployment d;
        d.label = "colocated on " + side->name;
        const int tp = side->tp;
        const Scenario s = baseScenario(tp, in.decode.batch);
        const RequestPrediction r = requestOrError(predict(side->platform, llmRequestOf(in.model, in.stack, s, true)));
        if (!r.prefill.ok) {
            d.why = r.prefill.error;
        } else if (!r.prefill.memory.fits || !r.endMemory.fits) {
            d.why = "does not fit in " + side->name + " memory at batch " + std::to_string(in.decode.batch);
        } else {
            d.ok = true;
            d.ttftS = r.ttftS;
            d.prefillS = r.ttftS;
            d.tpotS = r.tpotS;
            const double capacity = double(s.batch) / r.e2eS;
            d.decodeInstances = std::max(1, static_cast<int>(std::ceil(rate / capacity - 1e-9)));
            d.devices = d.decodeInstances * tp;
            d.requestsPerSCapacity = capacity * d.decodeInstances;
            d.costPerHour = d.devices * side->pricePerDeviceHour;
            d.energyPerRequestJ = r.energyPerTokenJ * double(in.output);
            const double busy = std::min(1.0, rate / d.requestsPerSCapacity);
            d.powerW = rate * d.energyPerRequestJ + (1 - busy) * d.devices * side->platform.idleW;
            finishCost(d);
        }
        out.push_back(d);
    }
    return out;
}

} // namespace rooflab
