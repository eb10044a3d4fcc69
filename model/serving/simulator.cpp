#include "analysis/llm_engine.hpp"
#include "engine/predict.hpp"
#include "serving/serving.hpp"
#include "spec/request.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <random>
#include <unordered_map>

namespace rooflab::serving {

Distribution distributionOf(std::vector<double> v) {
    Distribution d;
    d.count = static_cast<int64_t>(v.size());
    if (v.empty())
        return d;
    std::sort(v.begin(), v.end());
    double sum = 0;
    for (const double x : v)
        sum += x;
    d.mean = sum / double(v.size());
    d.min = v.front();
    d.max = v.back();
    // Linear between order statistics (numpy's default percentile).
    auto pct = [&](double p) {
        const double rank = p * double(v.size() - 1);
        const auto lo = static_cast<std::size_t>(std::floor(rank));
        const std::size_t hi = std::min(lo + 1, v.size() - 1);
        return v[lo] + (v[hi] - v[lo]) * (rank - double(lo));
    };
    d.p50 = pct(0.50);
    d.p90 = pct(0.90);
    d.p99 = pct(0.99);
    return d;
}

KvCapacity kvCapacity(const PlatformModel& pm, const LlmArch& arch, const StackProfile& stack, const Scenario& base) {
    const SchedulerProfile& sp = stack.scheduler;
    KvCapacity k;
    // Peak activations: an iteration at the full token budget, all prefill.
    const Scenario peak = ScenarioBuilder(base)
                              .phase(Phase::Chunked)
                              .batch(0)
                              .chunk(sp.tokenBudget)
                              .chunkSeqs(1)
                              .chunkOffset(0)
                              .unchecked();
    const MemoryUse m = memoryUse(pm, arch, stack, peak);
    k.capacityBytes = pm.capacityBytes[kDram];
    k.weightsBytes = m.weightsBytes;
    k.activationBytes = m.activationBytes;
    k.workspaceBytes = m.workspaceBytes;
    // KV bytes per token on this device: a sequence of 4096 tokens (sliding-window layers hold at most their window,
    // so models with windows get the average over that length).
    constexpr int64_t kProbe = 4096;
    const Scenario one = ScenarioBuilder(base).phase(Phase::Decode).batch(1).context(kProbe - 1).unchecked();
    k.bytesPerToken = memoryUse(pm, arch, stack, one).kvCacheBytes / double(kProbe);
    const double f = sp.kvMemoryFraction, cap = k.capacityBytes;
    switch (sp.kvBudget) {
    case SchedulerProfile::KvBudget::Total:
        k.kvBytes = f * cap - k.weightsBytes - k.activationBytes - k.workspaceBytes;
        break;
    case SchedulerProfile::KvBudget::Static:
        k.kvBytes = f * cap - k.weightsBytes;
        break;
    case SchedulerProfile::KvBudget::Free:
        k.kvBytes = f * (cap - k.weightsBytes - k.activationBytes - k.workspaceBytes);
        break;
    }
    if (k.kvBytes > 0 && k.bytesPerToken > 0) {
        k.blocks = static_cast<int64_t>(std::floor(k.kvBytes / k.bytesPerToken / double(sp.blockSize)));
        k.tokens = k.blocks * sp.blockSize;
    }
    return k;
}

namespace {

/// Step times from predict(), memoized on (decode sequences, context grid point, prefill prompts, prefill tokens,
/// offset grid point); the mean decode context is interpolated between two grid points.
class StepTimer {
public:
    StepTimer(const PlatformModel& pm, const LlmArch& arch, const StackProfile& stack, const Scenario& base,
              double grid)
        : m_pm(pm), m_arch(arch), m_stack(stack), m_base(base), m_grid(std::max(1.0, std::floor(grid))) {}

    /// The step of `decode` sequences at mean context `ctx` plus `prefillTokens` from `prefillSeqs` prompts at mean
    /// offset `offset`. Sets error() and returns 0 when the step model rejects it.
    double time(int64_t decode, double ctx, int64_t prefillSeqs, int64_t prefillTokens, double offset) {
        const int64_t off = prefillSeqs > 0 ? static_cast<int64_t>(std::llround(offset / m_grid)) : 0;
        if (decode == 0)
            return at(0, 0, prefillSeqs, prefillTokens, off);
        const double g = ctx / m_grid;
        const auto lo = static_cast<int64_t>(std::floor(g));
        const double frac = g - double(lo);
        const double t0 = at(decode, lo, prefillSeqs, prefillTokens, off);
        if (frac <= 0)
            return t0;
        const double t1 = at(decode, lo + 1, prefillSeqs, prefillTokens, off);
        return t0 + (t1 - t0) * frac;
    }
    const std::string& error() const { return m_error; }
    int64_t evaluations() const { return m_evaluations; }
    int64_t lookups() const { return m_lookups; }

private:
    struct Key {
        int64_t decode, ctx, seqs, tokens, off;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        std::size_t operator()(const Key& k) const noexcept {
            uint64_t h = 1469598103934665603ull;
            for (const int64_t v : {k.decode, k.ctx, k.seqs, k.tokens, k.off}) {
                h ^= static_cast<uint64_t>(v) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
                h *= 1099511628211ull;
            }
            return static_cast<std::size_t>(h);
        }
    };

    double at(int64_t decode, int64_t ctxPoint, int64_t seqs, int64_t tokens, int64_t offPoint) {
        ++m_lookups;
        const Key key{decode, ctxPoint, seqs, tokens, offPoint};
        if (auto it = m_cache.find(key); it != m_cache.end())
            return it->second;
        ++m_evaluations;
        ScenarioBuilder b(m_base);
        const auto ctx = static_cast<int64_t>(double(ctxPoint) * m_grid);
        if (seqs == 0)
            b.phase(Phase::Decode).batch(decode).context(ctx);
        else
            b.phase(Phase::Chunked)
                .batch(decode)
                .context(ctx)
                .chunk(tokens)
                .chunkSeqs(seqs)
                .chunkOffset(static_cast<int64_t>(double(offPoint) * m_grid));
        const Result r = predict(m_pm, llmRequestOf(m_arch, m_stack, b.unchecked(), false, false));
        double t = 0;
        if (!r.ok || !r.step() || !r.step()->ok) {
            if (m_error.empty())
                m_error = !r.error.empty() ? r.error : (r.step() ? r.step()->error : "step not predicted");
        } else {
            t = r.latencyS;
        }
        m_cache.emplace(key, t);
        return t;
    }

    const PlatformModel& m_pm;
    const LlmArch& m_arch;
    const StackProfile& m_stack;
    const Scenario& m_base;
    double m_grid;
    std::unordered_map<Key, double, KeyHash> m_cache;
    std::string m_error;
    int64_t m_evaluations = 0, m_lookups = 0;
};

struct Seq {
    int64_t input = 0, output = 0;
    double arrival = 0;
    int64_t tokens = 0;   ///< prompt + generated so far (vLLM's num_tokens)
    int64_t computed = 0; ///< tokens whose KV is cached (num_computed_tokens)
    int64_t generated = 0;
    int64_t blocks = 0;
    double scheduled = -1, firstToken = -1, lastToken = -1, finish = -1;
    bool measured = false;
    bool prefixApplied = false;
    bool decoding() const { return generated >= 1 && tokens - computed == 1; }
};

/// Internal record of one iteration, for the window statistics.
struct IterRecord {
    double start, end;
    int64_t generated, prefilled, decodeSeqs, inSystem, kvUsed;
};

/// Uniform in [0, 1) from 53 random bits: the same stream on every standard library (unlike the distributions).
double uniform01(std::mt19937_64& g) {
    return double(g() >> 11) * 0x1.0p-53;
}

class Simulator {
public:
    Simulator(const PlatformModel& pm, const LlmArch& arch, const StackProfile& stack, const Scenario& base,
              const Workload& load, const Options& opt)
        : m_sp(stack.scheduler), m_load(load), m_opt(opt), m_timer(pm, arch, stack, base, opt.contextGrid) {
        m_res.kv = kvCapacity(pm, arch, stack, base);
        m_res.gpus = base.tp * base.pp * base.dp;
    }

    ServingResult run();

private:
    bool fail(std::string why) {
        m_res.ok = false;
        m_res.error = std::move(why);
        return false;
    }
    int64_t blocksFor(double tokens) const {
        return static_cast<int64_t>(std::ceil(tokens / double(m_sp.blockSize) - 1e-9));
    }
    /// Issues a request (closed loop: at `t` for a client; open loop: from the arrival list).
    void issue(double at, int64_t input, int64_t output) {
        Seq s;
        s.input = input;
        s.output = output;
        s.arrival = at;
        s.tokens = input;
        const auto index = static_cast<int64_t>(m_seqs.size());
        s.measured = index >= m_warmup && index < m_warmup + m_measuredTarget;
        m_seqs.push_back(s);
        m_pending.push_back(static_cast<int>(index));
    }
    bool setUp();
    /// Blocks the running sequences still need under the admission reserve (0 when the reserve is 0).
    int64_t reservedBlocks() const;
    void preempt(int idx);
    /// Schedules one iteration into m_batch (pairs of sequence, tokens); false when nothing could be scheduled.
    void scheduleMixed();
    void schedulePrefillFirst();
    /// Adds waiting requests under the budget; returns tokens scheduled.
    void admitWaiting(int64_t& budget, bool prefillOnly);
    bool tryRunning(int idx, int64_t& budget);
    void finishStats();

    const SchedulerProfile& m_sp;
    const Workload& m_load;
    const Options& m_opt;
    StepTimer m_timer;
    ServingResult m_res;

    std::vector<Seq> m_seqs;
    std::deque<int> m_waiting;
    std::vector<int> m_running;
    std::vector<int> m_pending;               ///< issued, not yet arrived in the queue (arrival order)
    std::vector<TraceRequest> m_openArrivals; ///< open loop: every arrival, in order
    std::size_t m_nextOpen = 0;
    std::vector<std::pair<int, int64_t>> m_batch; ///< this iteration: (sequence, tokens computed)
    int64_t m_freeBlocks = 0;
    int64_t m_warmup = 0, m_measuredTarget = 0, m_measuredDone = 0;
    int m_preemptedNow = 0;
    double m_now = 0;
    std::vector<IterRecord> m_records;
    std::vector<double> m_itl;
    std::vector<double> m_finishTimes;
};

bool Simulator::setUp() {
    const Workload& w = m_load;
    if (m_res.kv.blocks <= 0)
        return fail("no room for a KV cache: the weights (" + std::to_string(m_res.kv.weightsBytes / 1e9) +
                    " GB per device) and activations leave nothing of the " + std::to_string(m_sp.kvMemoryFraction) +
                    " memory fraction");
    m_freeBlocks = m_res.kv.blocks;
    switch (w.arrival) {
    case Arrival::ClosedLoop:
        if (w.concurrency < 1)
            return fail("concurrency must be at least 1");
        m_warmup = w.warmup >= 0 ? w.warmup : w.concurrency;
        m_measuredTarget = w.requests > 0 ? w.requests : 20 * int64_t(w.concurrency);
        for (int c = 0; c < w.concurrency; ++c)
            issue(0.0, w.inputTokens, w.outputTokens);
        break;
    case Arrival::Poisson: {
        if (!(w.ratePerS > 0))
            return fail("the arrival rate must be positive");
        m_warmup = std::max<int64_t>(0, w.warmup);
        m_measuredTarget = w.requests > 0 ? w.requests : 1000;
        std::mt19937_64 g(w.seed);
        double t = 0;
        for (int64_t i = 0; i < m_warmup + m_measuredTarget; ++i) {
            t += -std::log(1.0 - uniform01(g)) / w.ratePerS;
            m_openArrivals.push_back({t, w.inputTokens, w.outputTokens});
        }
        break;
    }
    case Arrival::Trace:
        if (w.trace.empty())
            return fail("the trace holds no request");
        m_warmup = std::max<int64_t>(0, w.warmup);
        m_measuredTarget = w.requests > 0 ? w.requests : static_cast<int64_t>(w.trace.size()) - m_warmup;
        if (m_measuredTarget <= 0 || m_warmup + m_measuredTarget > static_cast<int64_t>(w.trace.size()))
            return fail("the trace has " + std::to_string(w.trace.size()) + " requests: too few for " +
                        std::to_string(m_warmup) + " warm-up and " +
                        std::to_string(std::max<int64_t>(1, m_measuredTarget)) + " measured");
        m_openArrivals.assign(w.trace.begin(), w.trace.begin() + (m_warmup + m_measuredTarget));
        std::stable_sort(m_openArrivals.begin(), m_openArrivals.end(),
                         [](const TraceRequest& a, const TraceRequest& b) { return a.arrivalS < b.arrivalS; });
        break;
    }
    // Every request must fit the KV cache on its own (else the engine rejects it: longer than the cache).
    auto check = [&](int64_t in, int64_t out) {
        if (in < 1 || out < 1)
            return fail("a request needs at least 1 input and 1 output token");
        if (blocksFor(double(in + out)) > m_res.kv.blocks)
            return fail("a request of " + std::to_string(in) + " + " + std::to_string(out) +
                        " tokens does not fit the KV cache of " + std::to_string(m_res.kv.tokens) + " tokens");
        return true;
    };
    if (w.arrival == Arrival::ClosedLoop)
        return check(w.inputTokens, w.outputTokens);
    for (const TraceRequest& r : m_openArrivals)
        if (!check(r.inputTokens, r.outputTokens))
            return false;
    return true;
}

int64_t Simulator::reservedBlocks() const {
    if (m_sp.admissionReserve <= 0)
        return 0;
    int64_t sum = 0;
    for (const int i : m_running) {
        const Seq& s = m_seqs[static_cast<std::size_t>(i)];
        const double final = double(s.tokens) + m_sp.admissionReserve * double(s.output - s.generated);
        sum += std::max<int64_t>(0, blocksFor(final) - s.blocks);
    }
    return sum;
}

void Simulator::preempt(int idx) {
    Seq& s = m_seqs[static_cast<std::size_t>(idx)];
    m_freeBlocks += s.blocks;
    s.blocks = 0;
    s.computed = 0; // recomputed from the start (prompt + tokens generated so far)
    m_running.erase(std::find(m_running.begin(), m_running.end(), idx));
    m_waiting.push_front(idx);
    ++m_preemptedNow;
    ++m_res.preemptions;
}

bool Simulator::tryRunning(int idx, int64_t& budget) {
    Seq& s = m_seqs[static_cast<std::size_t>(idx)];
    int64_t n = s.tokens - s.computed;
    if (!m_sp.chunkedPrefill && n > budget && !(budget == m_sp.tokenBudget && m_batch.empty()))
        return true; // a whole prompt waits for a budget it fits in (alone, it runs even past the budget)
    if (m_sp.chunkedPrefill)
        n = std::min(n, budget);
    if (n <= 0)
        return true;
    const int64_t need = blocksFor(double(s.computed + n)) - s.blocks;
    while (need > m_freeBlocks) {
        // Out of blocks: preempt the most recently admitted running sequence (possibly this one).
        const int victim = m_running.back();
        preempt(victim);
        if (victim == idx)
            return false;
    }
    m_freeBlocks -= need;
    s.blocks += need;
    budget -= std::min(n, budget);
    m_batch.emplace_back(idx, n);
    return true;
}

void Simulator::admitWaiting(int64_t& budget, bool prefillOnly) {
    (void)prefillOnly;
    while (!m_waiting.empty() && budget > 0 &&
           (m_sp.maxSeqs <= 0 || static_cast<int64_t>(m_running.size()) < m_sp.maxSeqs)) {
        const int idx = m_waiting.front();
        Seq& s = m_seqs[static_cast<std::size_t>(idx)];
        int64_t cached = 0;
        if (!s.prefixApplied && m_sp.prefixCacheHitRate > 0) {
            // Whole blocks of the prompt found in the prefix cache; at least the last prompt token is computed.
            cached = std::min<int64_t>(
                s.input - 1,
                static_cast<int64_t>(std::floor(m_sp.prefixCacheHitRate * double(s.input) / double(m_sp.blockSize))) *
                    m_sp.blockSize);
        }
        int64_t n = s.tokens - (s.computed + cached);
        if (!m_sp.chunkedPrefill && n > budget && !(budget == m_sp.tokenBudget && m_batch.empty()))
            break;
        if (m_sp.chunkedPrefill)
            n = std::min(n, budget);
        const int64_t have = s.computed + cached;
        const int64_t need = blocksFor(double(have + n)) - s.blocks;
        int64_t admitNeed = need;
        if (m_sp.admissionReserve > 0) {
            const double final = double(s.tokens) + m_sp.admissionReserve * double(s.output - s.generated);
            admitNeed = std::max(need, blocksFor(final) - s.blocks) + reservedBlocks();
        }
        if (admitNeed > m_freeBlocks)
            break;
        s.prefixApplied = true;
        s.computed = have;
        m_freeBlocks -= need;
        s.blocks += need;
        m_waiting.pop_front();
        m_running.push_back(idx);
        budget -= std::min(n, budget);
        m_batch.emplace_back(idx, n);
    }
}

void Simulator::scheduleMixed() {
    int64_t budget = m_sp.tokenBudget;
    // Running sequences first, in admission order (decodes and partial prefills); a preemption may shrink the list.
    for (std::size_t i = 0; i < m_running.size() && budget > 0; ++i) {
        const int idx = m_running[i];
        if (!tryRunning(idx, budget))
            break; // it preempted itself: everything after it is gone too
    }
    if (m_preemptedNow == 0)
        admitWaiting(budget, false);
}

void Simulator::schedulePrefillFirst() {
    int64_t budget = m_sp.tokenBudget;
    // A prefill batch: partial prefills of running sequences first, then new requests.
    for (std::size_t i = 0; i < m_running.size() && budget > 0; ++i) {
        const int idx = m_running[i];
        if (!m_seqs[static_cast<std::size_t>(idx)].decoding())
            if (!tryRunning(idx, budget))
                break;
    }
    admitWaiting(budget, true);
    if (!m_batch.empty())
        return;
    // Else a decode batch of every running sequence.
    for (std::size_t i = 0; i < m_running.size(); ++i) {
        int64_t unlimited = int64_t(1) << 40;
        if (!tryRunning(m_running[i], unlimited))
            break;
    }
}

ServingResult Simulator::run() {
    if (!m_res.ok || !setUp())
        return m_res;
    const bool closed = m_load.arrival == Arrival::ClosedLoop;
    m_seqs.reserve(static_cast<std::size_t>(m_warmup + m_measuredTarget + (closed ? m_load.concurrency : 0)));
    if (m_opt.keepIterations)
        m_res.iterations.reserve(1024);
    int64_t iterations = 0;
    while (m_measuredDone < m_measuredTarget) {
        // Arrivals up to now join the queue.
        for (const int idx : m_pending)
            m_waiting.push_back(idx);
        m_pending.clear();
        while (m_nextOpen < m_openArrivals.size() && m_openArrivals[m_nextOpen].arrivalS <= m_now) {
            const TraceRequest& r = m_openArrivals[m_nextOpen++];
            issue(r.arrivalS, r.inputTokens, r.outputTokens);
            m_waiting.push_back(m_pending.back());
            m_pending.pop_back();
        }
        if (m_running.empty() && m_waiting.empty()) {
            if (m_nextOpen < m_openArrivals.size()) {
                m_now = std::max(m_now, m_openArrivals[m_nextOpen].arrivalS);
                continue;
            }
            fail("no request left to run before all measured requests finished");
            return m_res;
        }
        if (++iterations > m_opt.maxIterations) {
            fail("more than " + std::to_string(m_opt.maxIterations) + " iterations");
            return m_res;
        }
        m_batch.clear();
        m_preemptedNow = 0;
        if (m_sp.batching == SchedulerProfile::Batching::Mixed)
            scheduleMixed();
        else
            schedulePrefillFirst();
        if (m_batch.empty()) {
            fail("the scheduler could not run any request (KV cache of " + std::to_string(m_res.kv.tokens) +
                 " tokens)");
            return m_res;
        }
        // The step: decode sequences by their mean context, prefill chunks by their mean size and offset.
        int64_t decode = 0, pseqs = 0, ptoks = 0;
        double ctxSum = 0, offSum = 0;
        for (const auto& [idx, n] : m_batch) {
            const Seq& s = m_seqs[static_cast<std::size_t>(idx)];
            if (s.decoding()) {
                ++decode;
                ctxSum += double(s.computed);
            } else {
                ++pseqs;
                ptoks += n;
                offSum += double(s.computed);
            }
        }
        const double step = m_timer.time(decode, decode > 0 ? ctxSum / double(decode) : 0.0, pseqs, ptoks,
                                         pseqs > 0 ? offSum / double(pseqs) : 0.0);
        if (!m_timer.error().empty()) {
            fail(m_timer.error());
            return m_res;
        }
        const double host = m_sp.iterationOverheadS;
        const double dur = m_sp.overlapScheduler ? std::max(step, host) : step + host;
        const double start = m_now, end = m_now + dur;
        const auto inSystem = static_cast<int64_t>(m_running.size() + m_waiting.size());
        int64_t generated = 0;
        for (const auto& [idx, n] : m_batch) {
            Seq& s = m_seqs[static_cast<std::size_t>(idx)];
            if (s.scheduled < 0)
                s.scheduled = start;
            s.computed += n;
            if (s.computed < s.tokens)
                continue; // a partial prefill chunk
            ++s.generated;
            ++s.tokens;
            ++generated;
            if (s.generated == 1)
                s.firstToken = end;
            else if (s.measured)
                m_itl.push_back(end - s.lastToken);
            s.lastToken = end;
            if (s.generated < s.output)
                continue;
            s.finish = end;
            m_freeBlocks += s.blocks;
            s.blocks = 0;
            m_finishTimes.push_back(end);
            if (s.measured)
                ++m_measuredDone;
            if (closed) // the client sends its next request (cool-down ones past the measured, unmeasured)
                issue(end, m_load.inputTokens, m_load.outputTokens);
        }
        std::erase_if(m_running, [&](int i) { return m_seqs[static_cast<std::size_t>(i)].finish >= 0; });
        const int64_t used = m_res.kv.blocks - m_freeBlocks;
        m_records.push_back({start, end, generated, ptoks, decode, inSystem, used});
        if (m_opt.keepIterations)
            m_res.iterations.push_back({start, dur, step, static_cast<int32_t>(decode), static_cast<int32_t>(pseqs),
                                        static_cast<int32_t>(ptoks), static_cast<int32_t>(m_running.size()),
                                        static_cast<int32_t>(m_waiting.size()), m_preemptedNow, used});
        m_now = end;
    }
    m_res.iterationCount = iterations;
    finishStats();
    return m_res;
}

void Simulator::finishStats() {
    ServingResult& r = m_res;
    std::vector<double> ttft, tpot, e2e, queue, perUser;
    double wStart = 1e300, wEnd = 0;
    for (const Seq& s : m_seqs) {
        if (!s.measured || s.finish < 0)
            continue;
        ++r.measured;
        r.outputTokens += s.generated;
        ttft.push_back(s.firstToken - s.arrival);
        e2e.push_back(s.finish - s.arrival);
        queue.push_back(s.scheduled - s.arrival);
        if (s.output > 1) {
            const double t = (s.finish - s.firstToken) / double(s.output - 1);
            tpot.push_back(t);
            if (t > 0)
                perUser.push_back(1.0 / t);
        }
        wStart = std::min(wStart, s.arrival);
        wEnd = std::max(wEnd, s.finish);
    }
    r.completed = static_cast<int64_t>(m_finishTimes.size());
    r.ttftS = distributionOf(std::move(ttft));
    r.tpotS = distributionOf(std::move(tpot));
    r.e2eS = distributionOf(std::move(e2e));
    r.queueS = distributionOf(std::move(queue));
    r.itlS = distributionOf(std::move(m_itl));
    if (!perUser.empty()) {
        double sum = 0;
        for (const double x : perUser)
            sum += x;
        r.outputTokensPerSPerUser = sum / double(perUser.size());
    }
    r.simulatedS = m_now;
    r.stepEvaluations = m_timer.evaluations();
    r.stepLookups = m_timer.lookups();
    if (r.measured == 0 || !(wEnd > wStart))
        return;
    r.windowS = wEnd - wStart;
    int64_t done = 0;
    for (const double t : m_finishTimes)
        done += t > wStart && t <= wEnd ? 1 : 0;
    double gen = 0, pre = 0, decodeSum = 0, prefillSum = 0, inSys = 0, kvUsed = 0, peak = 0;
    int64_t iters = 0;
    for (const IterRecord& it : m_records) {
        peak = std::max(peak, double(it.kvUsed));
        // The part of the iteration inside the window weighs the time averages; tokens count at its end.
        const double overlap = std::min(it.end, wEnd) - std::max(it.start, wStart);
        if (overlap > 0) {
            inSys += double(it.inSystem) * overlap;
            kvUsed += double(it.kvUsed) * overlap;
        }
        if (it.end > wStart && it.end <= wEnd) {
            gen += double(it.generated);
            pre += double(it.prefilled);
            decodeSum += double(it.decodeSeqs);
            prefillSum += double(it.prefilled);
            ++iters;
        }
    }
    const double w = r.windowS;
    r.requestsPerS = double(done) / w;
    r.outputTokensPerS = gen / w;
    r.inputTokensPerS = pre / w;
    r.totalTokensPerS = (gen + pre) / w;
    r.outputTokensPerSPerGpu = r.outputTokensPerS / r.gpus;
    r.totalTokensPerSPerGpu = r.totalTokensPerS / r.gpus;
    r.meanConcurrency = inSys / w;
    r.meanDecodeBatch = iters > 0 ? decodeSum / double(iters) : 0;
    r.meanPrefillTokens = iters > 0 ? prefillSum / double(iters) : 0;
    r.peakKvUtilization = peak / double(r.kv.blocks);
    r.meanKvUtilization = kvUsed / w / double(r.kv.blocks);
}

} // namespace

ServingResult simulate(const PlatformModel& pm, const LlmArch& arch, const StackProfile& stack, const Scenario& base,
                       const Workload& load, const Options& options) {
    if (base.dp != 1) {
        ServingResult r;
        r.ok = false;
        r.error =
            "data-parallel replicas (dp > 1) are not simulated yet: simulate one replica with its share of the load";
        return r;
    }
    return Simulator(pm, arch, stack, base, load, options).run();
}

} // namespace rooflab::serving
