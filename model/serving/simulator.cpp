#include "analysis/llm_engine.hpp"
#include "engine/predict.hpp"
#include "serving/serving.hpp"
#include "spec/request.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <deque>
#include <limits>
#include <memory>
#include <queue>
#include <random>
#include <tuple>
#include <unordered_map>
#include <utility>

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
        // Attention DP: every rank holds its own sequences' cache; the worker's blocks are all ranks' together
        // (the scheduler is assumed to keep the ranks evenly loaded).
        k.blocks = static_cast<int64_t>(std::floor(k.kvBytes / k.bytesPerToken / double(sp.blockSize))) *
                   std::max(1, base.attentionDp);
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
        // The two points a run of decode iterations interpolates between repeat for many iterations: the last two
        // lookups answer before the hash map.
        for (const auto& [k, v] : m_recent)
            if (k == key)
                return v;
        const double t = lookup(key);
        m_recent[m_recentNext] = {key, t};
        m_recentNext ^= 1;
        return t;
    }
    double lookup(const Key& key) {
        // A direct-mapped table of recent keys in front of the map (whose nodes sit all over the heap).
        const std::size_t h = KeyHash{}(key);
        auto& slot = m_direct[h & (kDirect - 1)];
        if (slot.first == key)
            return slot.second;
        const double t = find(key);
        slot = {key, t};
        return t;
    }
    double find(const Key& key) {
        if (auto it = m_cache.find(key); it != m_cache.end())
            return it->second;
        ++m_evaluations;
        ScenarioBuilder b(m_base);
        const auto ctx = static_cast<int64_t>(double(key.ctx) * m_grid);
        if (key.seqs == 0)
            b.phase(Phase::Decode).batch(key.decode).context(ctx);
        else
            b.phase(Phase::Chunked)
                .batch(key.decode)
                .context(ctx)
                .chunk(key.tokens)
                .chunkSeqs(key.seqs)
                .chunkOffset(static_cast<int64_t>(double(key.off) * m_grid));
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
    static constexpr std::size_t kDirect = 1024;
    std::vector<std::pair<Key, double>> m_direct{kDirect, {Key{-1, -1, -1, -1, -1}, 0.0}};
    std::pair<Key, double> m_recent[2] = {{{-1, -1, -1, -1, -1}, 0.0}, {{-1, -1, -1, -1, -1}, 0.0}};
    int m_recentNext = 0;
    std::string m_error;
    int64_t m_evaluations = 0, m_lookups = 0;
};

/// What the iteration loop reads of every running sequence sits in the first cache line (the struct is aligned to
/// one): a pass over a batch of 256 touches 256 lines, not 512.
struct alignas(64) Seq {
    int64_t tokens = 0;   ///< prompt + generated so far (vLLM's num_tokens)
    int64_t computed = 0; ///< tokens whose KV is cached (num_computed_tokens)
    int64_t generated = 0;
    int64_t output = 0;
    int64_t blocks = 0;
    double lastToken = -1;
    double finish = -1;
    bool measured = false;
    bool prefixApplied = false;
    int64_t input = 0;
    double arrival = 0; ///< when the client sent it
    double readyAt = 0; ///< when it reaches its current engine (front end, KV transfer)
    double scheduled = -1, firstToken = -1;
    double transferS = 0, transferBytes = 0;
    double specCredit = 0; ///< speculative decoding: tokens earned but not yet emitted (fraction of one)
    bool decoding() const { return generated >= 1 && tokens - computed == 1; }
};

/// Internal record of one iteration, for the window statistics.
struct IterRecord {
    double start, end;
    int64_t generated, prefilled, decodeSeqs, kvUsed, kvBlocks;
    PoolRole pool;
};

/// Uniform in [0, 1) from 53 random bits: the same stream on every standard library (unlike the distributions).
double uniform01(std::mt19937_64& g) {
    return double(g() >> 11) * 0x1.0p-53;
}

/// What the engines of a simulation share: the requests and what they record.
struct Book {
    std::vector<Seq> seqs;
    /// Inter-token gaps as (gap, how many): the sequences that decoded in consecutive iterations share one entry
    /// per iteration (a run of 2,560 requests x 1k tokens has 2.6 M gaps but ~20 k distinct entries).
    std::vector<std::pair<double, int64_t>> itl;
    /// Counts `n` gaps of `gap` seconds: into the last entry when it holds the same gap (the samples are a multiset,
    /// so merging keeps every statistic), else a new entry. Sequences that all last decoded in the same iteration
    /// (SGLang's prefill-only iterations pause every running sequence) then share one entry, not one each.
    void addGaps(double gap, int64_t n) {
        if (!itl.empty() && itl.back().first == gap)
            itl.back().second += n;
        else
            itl.emplace_back(gap, n);
    }
    std::vector<IterRecord> records;
    std::vector<IterationStat> iterations;
    bool keepIterations = false;
    int64_t preemptions = 0;
};

/// One engine instance (a worker of a pool) under its scheduler: the iteration loop of the serving engine. Requests
/// reach it at their readyAt time; an aggregated engine runs them to the end, a prefill engine hands them over after
/// their first token, a decode engine receives them with the prompt's KV cache in place.
class Engine {
public:
    Engine(const SchedulerProfile& sp, PoolRole role, int worker, const KvCapacity& kv, StepTimer& timer, Book& book,
           const Options& opt, double layers)
        : m_sp(sp), m_role(role), m_worker(worker), m_kv(kv), m_timer(timer), m_book(book), m_freeBlocks(kv.blocks) {
        if (sp.blockSize > 0 && (sp.blockSize & (sp.blockSize - 1)) == 0)
            m_blockShift = std::countr_zero(static_cast<uint64_t>(sp.blockSize));
        if (role != PoolRole::Prefill && opt.speculativeTokens > 0) {
            m_specK = opt.speculativeTokens;
            double p = 1;
            for (int i = 1; i <= m_specK; ++i) {
                p *= std::clamp(opt.acceptanceRate, 0.0, 1.0);
                m_specExtra += p;
            }
            m_layers = std::max(1.0, layers);
        }
    }

    void deliver(int idx) { m_pending.emplace(m_book.seqs[static_cast<std::size_t>(idx)].readyAt, idx); }
    /// When this engine's next iteration starts; infinity when it has nothing to do.
    double nextStart() const {
        if (!m_running.empty() || !m_waiting.empty())
            return m_now;
        if (!m_pending.empty())
            return std::max(m_now, m_pending.top().first);
        return std::numeric_limits<double>::infinity();
    }
    /// Runs one iteration at nextStart(): appends sequences whose prefill ended here to `handover` (prefill
    /// engines) and finished ones to `finished`. False (with `error`) when nothing could be scheduled.
    bool iterate(std::vector<int>& handover, std::vector<int>& finished, std::string& error);
    /// Event skipping: when every running sequence decodes, nothing waits and no arrival is due, the iterations up
    /// to the next finish repeat the same batch with every context one token longer. Runs them in one pass (per
    /// iteration only the step time, from the memo, and the records; the sequences are updated once at the end) as
    /// long as their start times stay at or before `horizon` (when another engine could hand something over). The
    /// iteration in which the first sequences finish ends the span (if it starts before `horizon`): they are
    /// appended to `finished` in running order, as iterate() does. Returns the iterations run (0: the next iteration
    /// is not such a one).
    int64_t skipDecodes(double horizon, int64_t maxIterations, std::vector<int>& finished);
    /// Whether the request at the front of the queue cannot be admitted now (skipDecodes: nor during the span).
    bool admissionBlocked(int64_t budget) const;
    int64_t blocksFor(double tokens) const {
        return static_cast<int64_t>(std::ceil(tokens / double(m_sp.blockSize) - 1e-9));
    }
    /// blocksFor of a whole number of tokens (>= 0), in integers: the same value (the 1e-9 only guards a
    /// fractional token count). A power-of-two block size (every shipped stack) shifts instead of dividing.
    int64_t blocksOf(int64_t tokens) const {
        return m_blockShift >= 0 ? (tokens + m_sp.blockSize - 1) >> m_blockShift
                                 : (tokens + m_sp.blockSize - 1) / m_sp.blockSize;
    }
    /// tokens mod the block size (tokens >= 0).
    int64_t blockResidue(int64_t tokens) const {
        return m_blockShift >= 0 ? tokens & (m_sp.blockSize - 1) : tokens % m_sp.blockSize;
    }

private:
    Seq& seq(int idx) { return m_book.seqs[static_cast<std::size_t>(idx)]; }
    const Seq& seq(int idx) const { return m_book.seqs[static_cast<std::size_t>(idx)]; }
    int64_t reservedBlocks() const;
    void preempt(int idx);
    void scheduleMixed();
    void schedulePrefillFirst();
    void admitWaiting(int64_t& budget);
    bool tryRunning(int idx, int64_t& budget);

    const SchedulerProfile& m_sp;
    PoolRole m_role;
    int m_worker;
    const KvCapacity& m_kv;
    StepTimer& m_timer;
    Book& m_book;
    using Pending = std::pair<double, int>;
    std::priority_queue<Pending, std::vector<Pending>, std::greater<>> m_pending; ///< (ready time, sequence)
    std::deque<int> m_waiting;
    std::vector<int> m_running;
    std::vector<std::pair<int, int64_t>> m_batch; ///< this iteration: (sequence, tokens computed)
    /// This iteration's step shape, summed as sequences are scheduled. The context and offset sums are of whole
    /// token counts: in integers they are exact, as the sums in doubles were (far below 2^53), in any order.
    int64_t m_decodeN = 0, m_prefillSeqs = 0, m_prefillTokens = 0;
    int64_t m_ctxTokens = 0, m_offTokens = 0;
    void addToBatch(const Seq& s, int idx, int64_t n) {
        if (s.decoding()) {
            ++m_decodeN;
            m_ctxTokens += s.computed;
        } else {
            ++m_prefillSeqs;
            m_prefillTokens += n;
            m_offTokens += s.computed;
        }
        m_batch.emplace_back(idx, n);
    }
    int64_t m_freeBlocks = 0;
    int m_preemptedNow = 0;
    double m_now = 0;
    std::vector<int64_t> m_boundary; ///< skipDecodes: sequences per (computed mod block size)
    int m_specK = 0;                 ///< speculative decoding: draft tokens per decoding sequence (0: off)
    double m_specExtra = 0;          ///< expected accepted draft tokens per iteration, sum_{i=1..k} a^i
    double m_layers = 1;             ///< decoder layers (a draft pass costs one layer's share of the decode step)
    int m_blockShift = -1;           ///< log2 of the block size when it is a power of two, else -1
    /// skipDecodes ran until the KV blocks ran out: the next iteration needs more blocks than are free (it
    /// preempts), so the next span cannot start; iterate() clears it.
    bool m_kvBound = false;
    /// What skipDecodes' pass over the running sequences finds, taken by iterate() as it updates them (valid while
    /// every running sequence was in its batch and nothing has changed since; m_boundary holds the residues).
    struct SpanShape {
        bool valid = false;
        int64_t firstFinish = 0, ctxTokens = 0, measuredPrev = 0, measuredAll = 0;
    } m_shape;
};

int64_t Engine::reservedBlocks() const {
    if (m_sp.admissionReserve <= 0)
        return 0;
    int64_t sum = 0;
    for (const int i : m_running) {
        const Seq& s = seq(i);
        const double final = double(s.tokens) + m_sp.admissionReserve * double(s.output - s.generated);
        sum += std::max<int64_t>(0, blocksFor(final) - s.blocks);
    }
    return sum;
}

void Engine::preempt(int idx) {
    Seq& s = seq(idx);
    m_freeBlocks += s.blocks;
    s.blocks = 0;
    s.computed = 0; // recomputed from the start (prompt + tokens generated so far)
    m_running.erase(std::find(m_running.begin(), m_running.end(), idx));
    m_waiting.push_front(idx);
    ++m_preemptedNow;
    ++m_book.preemptions;
}

bool Engine::tryRunning(int idx, int64_t& budget) {
    Seq& s = seq(idx);
    int64_t n = s.tokens - s.computed;
    if (m_specK > 0 && s.decoding()) {
        n = 1 + m_specK; // the pending token and the drafts, verified together
        if (n > budget)
            return true;
    }
    if (!m_sp.chunkedPrefill && n > budget && !(budget == m_sp.tokenBudget && m_batch.empty()))
        return true; // a whole prompt waits for a budget it fits in (alone, it runs even past the budget)
    if (m_sp.chunkedPrefill)
        n = std::min(n, budget);
    if (n <= 0)
        return true;
    const int64_t need = blocksOf(s.computed + n) - s.blocks;
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
    addToBatch(s, idx, n);
    return true;
}

void Engine::admitWaiting(int64_t& budget) {
    while (!m_waiting.empty() && budget > 0 &&
           (m_sp.maxSeqs <= 0 || static_cast<int64_t>(m_running.size()) < m_sp.maxSeqs)) {
        const int idx = m_waiting.front();
        Seq& s = seq(idx);
        int64_t cached = 0;
        if (!s.prefixApplied && m_sp.prefixCacheHitRate > 0) {
            // Whole blocks of the prompt found in the prefix cache; at least the last prompt token is computed.
            cached = std::min<int64_t>(
                s.input - 1,
                static_cast<int64_t>(std::floor(m_sp.prefixCacheHitRate * double(s.input) / double(m_sp.blockSize))) *
                    m_sp.blockSize);
        }
        int64_t n = s.tokens - (s.computed + cached);
        if (m_specK > 0 && s.decoding()) {
            n = 1 + m_specK; // a decode pool's arrival verifies drafts from its first iteration
            if (n > budget)
                break;
        }
        if (!m_sp.chunkedPrefill && n > budget && !(budget == m_sp.tokenBudget && m_batch.empty()))
            break;
        if (m_sp.chunkedPrefill)
            n = std::min(n, budget);
        const int64_t have = s.computed + cached;
        const int64_t need = blocksFor(double(have + n)) - s.blocks;
        int64_t admitNeed = need;
        if (m_sp.admissionReserve > 0) {
            // A prefill engine keeps the KV only until the hand-over: it reserves for the prompt alone.
            const double out = m_role == PoolRole::Prefill ? 1.0 : double(s.output - s.generated);
            const double final = double(s.tokens) + m_sp.admissionReserve * out;
            admitNeed = std::max(need, blocksFor(final) - s.blocks) + reservedBlocks();
        }
        if (admitNeed > m_freeBlocks)
            break;
        s.prefixApplied = true;
        s.computed = have;
        if (s.scheduled < 0)
            s.scheduled = m_now; // first in a batch: this iteration's start (admission is the only way in)
        m_freeBlocks -= need;
        s.blocks += need;
        m_waiting.pop_front();
        m_running.push_back(idx);
        budget -= std::min(n, budget);
        addToBatch(s, idx, n);
    }
}

void Engine::scheduleMixed() {
    int64_t budget = m_sp.tokenBudget;
    // Running sequences first, in admission order (decodes and partial prefills); a preemption may shrink the list.
    // tryRunning's path for a decoding sequence whose next block is free (one token) runs inline, on locals.
    int64_t freeBlocks = m_freeBlocks, decodeN = 0, ctxTokens = 0;
    for (std::size_t i = 0; i < m_running.size() && budget > 0; ++i) {
        const int idx = m_running[i];
        if (m_specK == 0) {
            Seq& s = seq(idx);
            if (s.decoding()) {
                const int64_t need = blocksOf(s.computed + 1) - s.blocks;
                if (need <= freeBlocks) {
                    freeBlocks -= need;
                    s.blocks += need;
                    --budget;
                    ++decodeN;
                    ctxTokens += s.computed;
                    m_batch.emplace_back(idx, 1);
                    continue;
                }
            }
        }
        m_freeBlocks = freeBlocks;
        const bool ran = tryRunning(idx, budget);
        freeBlocks = m_freeBlocks;
        if (!ran)
            break; // it preempted itself: everything after it is gone too
    }
    m_freeBlocks = freeBlocks;
    m_decodeN += decodeN;
    m_ctxTokens += ctxTokens;
    if (m_preemptedNow == 0)
        admitWaiting(budget);
}

void Engine::schedulePrefillFirst() {
    int64_t budget = m_sp.tokenBudget;
    // A prefill batch: partial prefills of running sequences first, then new requests.
    for (std::size_t i = 0; i < m_running.size() && budget > 0; ++i) {
        const int idx = m_running[i];
        if (!seq(idx).decoding())
            if (!tryRunning(idx, budget))
                break;
    }
    admitWaiting(budget);
    if (!m_batch.empty())
        return;
    // Else a decode batch of every running sequence.
    for (std::size_t i = 0; i < m_running.size(); ++i) {
        int64_t unlimited = int64_t(1) << 40;
        if (!tryRunning(m_running[i], unlimited))
            break;
    }
}

bool Engine::iterate(std::vector<int>& handover, std::vector<int>& finished, std::string& error) {
    m_now = nextStart();
    // Arrivals up to now join the queue, in the order they became ready.
    while (!m_pending.empty() && m_pending.top().first <= m_now) {
        m_waiting.push_back(m_pending.top().second);
        m_pending.pop();
    }
    m_kvBound = false;
    m_shape.valid = false;
    m_batch.clear();
    m_decodeN = m_prefillSeqs = m_prefillTokens = 0;
    m_ctxTokens = m_offTokens = 0;
    m_preemptedNow = 0;
    if (m_sp.batching == SchedulerProfile::Batching::Mixed)
        scheduleMixed();
    else
        schedulePrefillFirst();
    if (m_batch.empty()) {
        error = "the scheduler could not run any request (KV cache of " + std::to_string(m_kv.tokens) + " tokens)";
        return false;
    }
    // The step: decode sequences by their mean context, prefill chunks by their mean size and offset.
    const int64_t decode = m_decodeN, pseqs = m_prefillSeqs, ptoks = m_prefillTokens;
    const double ctxSum = double(m_ctxTokens), offSum = double(m_offTokens);
    double step = 0;
    if (m_specK > 0 && decode > 0) {
        // Verification: every decoding sequence a chunk of k + 1 tokens at its context, with the prefill chunks;
        // the draft: k one-layer passes at the decode batch.
        const int64_t k1 = 1 + m_specK;
        step = m_timer.time(0, 0, pseqs + decode, ptoks + decode * k1, (offSum + ctxSum) / double(pseqs + decode));
        step += double(m_specK) * m_timer.time(decode, ctxSum / double(decode), 0, 0, 0) / m_layers;
    } else {
        step = m_timer.time(decode, decode > 0 ? ctxSum / double(decode) : 0.0, pseqs, ptoks,
                            pseqs > 0 ? offSum / double(pseqs) : 0.0);
    }
    if (!m_timer.error().empty()) {
        error = m_timer.error();
        return false;
    }
    const double host = m_sp.iterationOverheadS + m_sp.sequenceOverheadS * double(m_batch.size());
    const double dur = m_sp.overlapScheduler ? std::max(step, host) : step + host;
    const double start = m_now, end = m_now + dur;
    int64_t generated = 0, sameGap = 0;
    bool leaving = false;
    // skipDecodes' shape of the sequences that stay, all decoding (else it is not valid).
    bool shapeOk = m_specK == 0;
    int64_t covered = 0, shFirst = std::numeric_limits<int64_t>::max(), shCtx = 0, shMeasured = 0;
    if (shapeOk)
        m_boundary.assign(static_cast<std::size_t>(m_sp.blockSize), 0);
    for (const auto& [idx, n] : m_batch) {
        Seq& s = seq(idx);
        if (m_specK > 0 && s.decoding()) {
            // The pending token and the accepted drafts keep their KV; the verifier adds its own token.
            s.specCredit += 1.0 + m_specExtra;
            auto e = static_cast<int64_t>(std::floor(s.specCredit + 1e-9));
            s.specCredit -= double(e);
            e = std::clamp<int64_t>(e, 1, s.output - s.generated);
            s.computed += e;
            s.tokens += e;
            s.generated += e;
            generated += e;
            if (s.measured) {
                if (s.lastToken == start && e == 1)
                    ++sameGap;
                else
                    m_book.addGaps((end - s.lastToken) / double(e), e);
            }
            s.lastToken = end;
            const int64_t keep = blocksFor(double(s.computed));
            m_freeBlocks += s.blocks - keep; // the rejected drafts' slots
            s.blocks = keep;
            if (s.generated < s.output)
                continue;
            s.finish = end;
            m_freeBlocks += s.blocks;
            s.blocks = 0;
            finished.push_back(idx);
            leaving = true;
            continue;
        }
        s.computed += n;
        if (s.computed < s.tokens) {
            shapeOk = false;
            continue; // a partial prefill chunk
        }
        ++s.generated;
        ++s.tokens;
        ++generated;
        if (s.generated == 1)
            s.firstToken = end;
        else if (s.measured && s.lastToken == start)
            ++sameGap; // decoded in the previous iteration too: the gap is this iteration
        else if (s.measured)
            m_book.addGaps(end - s.lastToken, 1);
        s.lastToken = end;
        if (s.generated < s.output) {
            if (m_role != PoolRole::Prefill) {
                if (shapeOk) { // decoding now (tokens = computed + 1), its last token at `end` = m_now
                    ++covered;
                    shapeOk = s.blocks == blocksOf(s.computed);
                    shFirst = std::min(shFirst, s.output - s.generated);
                    shCtx += s.computed;
                    ++m_boundary[static_cast<std::size_t>(blockResidue(s.computed))];
                    shMeasured += s.measured ? 1 : 0;
                }
                continue;
            }
            // Prefill done: the sequence leaves with its KV cache for a decode engine.
            m_freeBlocks += s.blocks;
            s.blocks = 0;
            handover.push_back(idx);
            leaving = true;
            continue;
        }
        s.finish = end;
        m_freeBlocks += s.blocks;
        s.blocks = 0;
        finished.push_back(idx);
        leaving = true;
    }
    if (sameGap > 0)
        m_book.addGaps(dur, sameGap); // the iteration's duration, exactly as skipDecodes records it
    if (leaving)
        std::erase_if(m_running, [&](int i) {
            const Seq& s = seq(i);
            return s.finish >= 0 || (m_role == PoolRole::Prefill && s.generated >= 1 && s.blocks == 0);
        });
    m_shape = {shapeOk && covered == static_cast<int64_t>(m_running.size()), shFirst, shCtx, shMeasured, shMeasured};
    const int64_t used = m_kv.blocks - m_freeBlocks;
    m_book.records.push_back({start, end, generated, ptoks, decode, used, m_kv.blocks, m_role});
    if (m_book.keepIterations) {
        IterationStat it{start,
                         dur,
                         step,
                         static_cast<int32_t>(decode),
                         static_cast<int32_t>(pseqs),
                         static_cast<int32_t>(ptoks),
                         static_cast<int32_t>(m_running.size()),
                         static_cast<int32_t>(m_waiting.size()),
                         m_preemptedNow,
                         used};
        it.worker = m_worker;
        it.pool = m_role;
        m_book.iterations.push_back(it);
    }
    m_now = end;
    return true;
}

bool Engine::admissionBlocked(int64_t budget) const {
    // admitWaiting's test for the queue's front (FIFO: nothing behind it is admitted either), with the blocks free
    // before this iteration's decodes take theirs. While only decodes run, it stays blocked: the free blocks only
    // shrink, and the reserve of the running sequences shrinks no faster than the blocks they take.
    if (m_sp.maxSeqs > 0 && static_cast<int64_t>(m_running.size()) >= m_sp.maxSeqs)
        return true;
    if (budget <= 0)
        return true;
    const Seq& s = seq(m_waiting.front());
    int64_t cached = 0;
    if (!s.prefixApplied && m_sp.prefixCacheHitRate > 0)
        cached = std::min<int64_t>(
            s.input - 1,
            static_cast<int64_t>(std::floor(m_sp.prefixCacheHitRate * double(s.input) / double(m_sp.blockSize))) *
                m_sp.blockSize);
    int64_t n = s.tokens - (s.computed + cached);
    if (!m_sp.chunkedPrefill && n > budget)
        return true; // a whole prompt waits for a budget it fits in (the decodes are in the batch)
    if (m_sp.chunkedPrefill)
        n = std::min(n, budget);
    const int64_t need = blocksFor(double(s.computed + cached + n)) - s.blocks;
    int64_t admitNeed = need;
    if (m_sp.admissionReserve > 0) {
        const double out = m_role == PoolRole::Prefill ? 1.0 : double(s.output - s.generated);
        admitNeed =
            std::max(need, blocksFor(double(s.tokens) + m_sp.admissionReserve * out) - s.blocks) + reservedBlocks();
    }
    return admitNeed > m_freeBlocks;
}

int64_t Engine::skipDecodes(double horizon, int64_t maxIterations, std::vector<int>& finished) {
    constexpr int64_t kMinSpan = 1;
    if (m_specK > 0 || m_running.empty() || maxIterations < kMinSpan || m_kvBound)
        return 0;
    const auto d = static_cast<int64_t>(m_running.size());
    if (d > m_sp.tokenBudget || (!m_waiting.empty() && !admissionBlocked(m_sp.tokenBudget - d)))
        return 0;
    // Iterations that start before the next pending arrival (it would join the queue) and before the horizon.
    const double limit = m_pending.empty() ? horizon : std::min(horizon, std::nextafter(m_pending.top().first, -1.0));
    if (m_now > limit)
        return 0;
    // Every running sequence decoding with exactly its cached tokens' blocks; the span ends with the first finish.
    int64_t firstFinish = std::numeric_limits<int64_t>::max(), ctxTokens = 0;
    const int64_t bs = m_sp.blockSize;
    int64_t measuredPrev = 0, measuredAll = 0;
    if (m_shape.valid) { // iterate() found it as it left them
        firstFinish = m_shape.firstFinish;
        ctxTokens = m_shape.ctxTokens;
        measuredPrev = m_shape.measuredPrev;
        measuredAll = m_shape.measuredAll;
    } else {
        m_boundary.assign(static_cast<std::size_t>(bs), 0);
        for (const int i : m_running) {
            const Seq& s = seq(i);
            if (!s.decoding() || s.blocks != blocksOf(s.computed))
                return 0;
            firstFinish = std::min(firstFinish, s.output - s.generated);
            ctxTokens += s.computed;
            ++m_boundary[static_cast<std::size_t>(blockResidue(s.computed))];
            if (s.measured) {
                ++measuredAll;
                measuredPrev += s.lastToken == m_now ? 1 : 0;
            }
        }
    }
    const double ctxSum = double(ctxTokens); // exact, as the sum in doubles was
    int64_t span = std::min(maxIterations, firstFinish);
    if (span < kMinSpan)
        return 0;
    // KV blocks for the whole span must be free: the span ends where they would run out (the step-by-step path
    // then preempts where it has to).
    // A sequence at c = q bs + r tokens holding ceil(c / bs) blocks needs ceil((r + n) / bs) - (r > 0) more for n
    // tokens: the sum goes over the residues.
    auto need = [&](int64_t n) {
        int64_t sum = 0;
        for (int64_t r = 0; r < bs; ++r)
            if (const int64_t k = m_boundary[static_cast<std::size_t>(r)]; k > 0)
                sum += k * (blocksOf(r + n) - (r > 0 ? 1 : 0));
        return sum;
    };
    bool kvBound = false;
    if (need(span) > m_freeBlocks) {
        int64_t lo = 0, hi = span; // need(lo) fits, need(hi) does not
        while (hi - lo > 1) {
            const int64_t mid = lo + (hi - lo) / 2;
            (need(mid) <= m_freeBlocks ? lo : hi) = mid;
        }
        span = lo;
        kvBound = true;
        if (span < kMinSpan)
            return 0;
    }
    const double host = m_sp.iterationOverheadS + m_sp.sequenceOverheadS * double(d);
    int64_t n = 0, used = m_kv.blocks - m_freeBlocks;
    double t = m_now, firstEnd = m_now;
    while (n < span && t <= limit) {
        // The finishing iteration hands requests back to the driver: it must start strictly first (no tie with
        // another engine's iteration or an arrival, which the step-by-step path would order by engine).
        if (n + 1 == firstFinish && !(t < limit))
            break;
        const double step = m_timer.time(d, (ctxSum + double(d) * double(n)) / double(d), 0, 0, 0.0);
        if (!m_timer.error().empty())
            break; // the step-by-step path reports it
        const double dur = m_sp.overlapScheduler ? std::max(step, host) : step + host;
        // Sequences whose cached tokens reach a multiple of the block size take a new block in this iteration.
        used += m_boundary[static_cast<std::size_t>((bs - n % bs) % bs)];
        m_book.records.push_back({t, t + dur, d, 0, d, used, m_kv.blocks, m_role});
        // The first iteration's gap is shared by the sequences that decoded in the previous one; the others (first
        // decode after a hand-over, or after a prefill-only iteration) have their own (added below).
        if (const int64_t same = n == 0 ? measuredPrev : measuredAll; same > 0)
            m_book.addGaps(dur, same);
        if (n == 0)
            firstEnd = t + dur;
        if (m_book.keepIterations) {
            IterationStat it{t,
                             dur,
                             step,
                             static_cast<int32_t>(d),
                             0,
                             0,
                             static_cast<int32_t>(d),
                             static_cast<int32_t>(m_waiting.size()),
                             0,
                             used};
            it.worker = m_worker;
            it.pool = m_role;
            m_book.iterations.push_back(it);
        }
        t += dur;
        ++n;
    }
    if (n == 0)
        return 0;
    m_shape.valid = false;
    int64_t freed = 0;
    for (const int i : m_running) {
        Seq& s = seq(i);
        s.computed += n;
        s.tokens += n;
        s.generated += n;
        const int64_t b = blocksOf(s.computed);
        m_freeBlocks -= b - s.blocks;
        s.blocks = b;
        if (s.measured && s.lastToken != m_now)
            m_book.addGaps(firstEnd - s.lastToken, 1);
        s.lastToken = t;
        if (s.generated < s.output)
            continue;
        s.finish = t;
        m_freeBlocks += s.blocks;
        freed += s.blocks;
        s.blocks = 0;
        finished.push_back(i);
    }
    // Stopped by the KV blocks (not by the horizon or an arrival): the next iteration runs out of them.
    m_kvBound = kvBound && n == span;
    if (n == firstFinish) {
        // The last iteration's records count what is left after the finished sequences released their blocks.
        std::erase_if(m_running, [&](int i) { return seq(i).finish >= 0; });
        m_book.records.back().kvUsed -= freed;
        if (m_book.keepIterations) {
            m_book.iterations.back().kvBlocksUsed -= freed;
            m_book.iterations.back().running = static_cast<int32_t>(m_running.size());
        }
    }
    m_now = t;
    return n;
}

/// One pool of identical engines: its scheduler, layout, KV capacity and the step timer its workers share.
struct Pool {
    PoolRole role = PoolRole::Aggregated;
    int workers = 1;
    int gpusPerWorker = 1;
    StackProfile stack;
    Scenario base;
    KvCapacity kv;
    std::unique_ptr<StepTimer> timer;
};

/// Raw samples of a simulation (for merging replicas' distributions).
struct Samples {
    std::vector<double> ttft, tpot, e2e, queue, perUser;
    std::vector<std::pair<double, int64_t>> itl; ///< (gap, count)
};

/// The distribution of counted samples (value, how many), exactly as distributionOf of the expanded sample.
/// Sorts (gap, count) pairs as std::sort with operator< does (equal pairs are indistinguishable, so any correct sort
/// gives the same sequence): an LSD radix sort on (count, then the gap's bits) when every gap is a non-negative double
/// and every count positive (their bit patterns then order as the values do), else std::sort.
void sortCounted(std::vector<std::pair<double, int64_t>>& v) {
    constexpr std::size_t kSmall = 256;
    bool radix = v.size() > kSmall;
    uint64_t orFirst = 0, andFirst = ~uint64_t(0), orSecond = 0, andSecond = ~uint64_t(0);
    for (std::size_t i = 0; i < v.size() && radix; ++i) {
        const auto b = std::bit_cast<uint64_t>(v[i].first);
        radix = !(v[i].first < 0) && !(b >> 63) && !std::isnan(v[i].first) && v[i].second > 0;
        orFirst |= b;
        andFirst &= b;
        orSecond |= static_cast<uint64_t>(v[i].second);
        andSecond &= static_cast<uint64_t>(v[i].second);
    }
    if (!radix) {
        std::sort(v.begin(), v.end());
        return;
    }
    constexpr int kBits = 11;
    constexpr std::size_t kBuckets = std::size_t(1) << kBits;
    std::vector<std::pair<double, int64_t>> tmp(v.size());
    std::vector<std::size_t> count(kBuckets);
    // The least significant key first: the count, then the gap; digits where every key agrees are skipped.
    auto passes = [&](bool second, uint64_t differ) {
        for (int shift = 0; shift < 64; shift += kBits) {
            if (((differ >> shift) & (kBuckets - 1)) == 0)
                continue;
            auto key = [&](const std::pair<double, int64_t>& e) {
                const uint64_t k = second ? static_cast<uint64_t>(e.second) : std::bit_cast<uint64_t>(e.first);
                return static_cast<std::size_t>((k >> shift) & (kBuckets - 1));
            };
            std::fill(count.begin(), count.end(), 0);
            for (const auto& e : v)
                ++count[key(e)];
            std::size_t sum = 0;
            for (std::size_t& c : count)
                sum += std::exchange(c, sum);
            for (const auto& e : v)
                tmp[count[key(e)]++] = e;
            v.swap(tmp);
        }
    };
    passes(true, orSecond ^ andSecond);
    passes(false, orFirst ^ andFirst);
}

Distribution countedDistribution(std::vector<std::pair<double, int64_t>> v) {
    Distribution d;
    sortCounted(v);
    std::vector<int64_t> ends(v.size()); // one past the last expanded index of each entry
    int64_t n = 0;
    double sum = 0;
    for (std::size_t j = 0; j < v.size(); ++j) {
        n += v[j].second;
        sum += v[j].first * double(v[j].second);
        ends[j] = n;
    }
    d.count = n;
    if (n == 0)
        return d;
    d.mean = sum / double(n);
    d.min = v.front().first;
    d.max = v.back().first;
    auto at = [&](int64_t i) {
        return v[static_cast<std::size_t>(std::upper_bound(ends.begin(), ends.end(), i) - ends.begin())].first;
    };
    auto pct = [&](double p) {
        const double rank = p * double(n - 1);
        const auto lo = static_cast<int64_t>(std::floor(rank));
        const int64_t hi = std::min(lo + 1, n - 1);
        const double a = at(lo);
        return a + (at(hi) - a) * (rank - double(lo));
    };
    d.p50 = pct(0.50);
    d.p90 = pct(0.90);
    d.p99 = pct(0.99);
    return d;
}

struct Run {
    ServingResult result;
    Samples samples;
};

/// The event loop over every engine of one or two pools: the engine whose next iteration starts first runs next,
/// so every hand-over and arrival an iteration could see has been delivered before it starts.
class Driver {
public:
    Driver(const PlatformModel& pm, const LlmArch& arch, const Workload& load, const Options& opt,
           std::vector<Pool*> pools, int gpus)
        : m_pm(pm), m_arch(arch), m_load(load), m_opt(opt), m_pools(std::move(pools)) {
        m_res.gpus = gpus;
        m_book.keepIterations = opt.keepIterations;
    }
    Run run();

private:
    bool fail(std::string why) {
        m_res.ok = false;
        m_res.error = std::move(why);
        return false;
    }
    bool setUp();
    void issue(double at, int64_t input, int64_t output);
    void toFirstStage(int idx);
    void finishStats(Samples& out);
    double kvTransferS(double bytes) const;

    const PlatformModel& m_pm;
    const LlmArch& m_arch;
    const Workload& m_load;
    const Options& m_opt;
    std::vector<Pool*> m_pools; ///< [aggregated] or [prefill, decode]
    std::vector<std::unique_ptr<Engine>> m_first, m_decode;
    std::size_t m_nextFirst = 0, m_nextDecode = 0;
    Book m_book;
    ServingResult m_res;
    std::vector<TraceRequest> m_openArrivals;
    int64_t m_warmup = 0, m_measuredTarget = 0, m_measuredDone = 0;
    double m_frontendS = 0, m_kvBytesPerToken = 0, m_now = 0;
    std::mt19937_64 m_frontendRng{0x5eed};
    std::vector<double> m_finishTimes;
};

void Driver::issue(double at, int64_t input, int64_t output) {
    Seq s;
    s.input = input;
    s.output = output;
    s.arrival = at;
    // The front end (HTTP, tokenization) before the engine sees it: exponentially distributed around its mean.
    s.readyAt = at + (m_frontendS > 0 ? -std::log(1.0 - uniform01(m_frontendRng)) * m_frontendS : 0.0);
    s.tokens = input;
    const auto index = static_cast<int64_t>(m_book.seqs.size());
    s.measured = index >= m_warmup && index < m_warmup + m_measuredTarget;
    m_book.seqs.push_back(s);
    toFirstStage(static_cast<int>(index));
}

void Driver::toFirstStage(int idx) {
    // Round-robin over the first pool's workers, as a load balancer does.
    m_first[m_nextFirst]->deliver(idx);
    m_nextFirst = (m_nextFirst + 1) % m_first.size();
}

double Driver::kvTransferS(double bytes) const {
    // Every GPU of the prefill worker sends its shard at once; the smaller worker's GPU count bounds the links in use.
    // Both pools inside one scale-up domain (an NVLink node): NVLink; else the scale-out network (one NIC per GPU).
    const Pool& p = *m_pools[0];
    const Pool& d = *m_pools[1];
    const double gpus = double(p.workers * p.gpusPerWorker + d.workers * d.gpusPerWorker);
    const bool inNode = gpus <= m_pm.scaleUpDomain && m_pm.scaleUpBytesPerS > 0;
    const double link =
        inNode ? m_pm.scaleUpBytesPerS : (m_pm.scaleOutBytesPerS > 0 ? m_pm.scaleOutBytesPerS : m_pm.hostLinkBytesPerS);
    const double bw = link * m_pm.collectiveFraction * double(std::min(p.gpusPerWorker, d.gpusPerWorker));
    const double lat = inNode ? m_pm.scaleUpLatencyS : m_pm.scaleOutLatencyS;
    return bw > 0 ? bytes / bw + lat : 0.0;
}

bool Driver::setUp() {
    const Workload& w = m_load;
    const Pool& first = *m_pools.front();
    for (const Pool* p : m_pools)
        if (p->kv.blocks <= 0)
            return fail("no room for a KV cache: the weights (" + std::to_string(p->kv.weightsBytes / 1e9) +
                        " GB per device) and activations leave nothing of the " +
                        std::to_string(p->stack.scheduler.kvMemoryFraction) + " memory fraction");
    m_frontendS = first.stack.scheduler.frontendLatencyS;
    for (int i = 0; i < first.workers; ++i)
        m_first.push_back(std::make_unique<Engine>(first.stack.scheduler, first.role, i, first.kv, *first.timer, m_book,
                                                   m_opt, double(m_arch.numLayers)));
    if (m_pools.size() > 1) {
        const Pool& d = *m_pools[1];
        for (int i = 0; i < d.workers; ++i)
            m_decode.push_back(std::make_unique<Engine>(d.stack.scheduler, d.role, i, d.kv, *d.timer, m_book, m_opt,
                                                        double(m_arch.numLayers)));
        // The KV bytes of one token over the whole model (every layer, every KV head once; sliding windows
        // averaged over 4096 tokens as the capacity is): what a prefill worker sends for each prompt token.
        Scenario one = d.base;
        one.tp = one.pp = one.ep = one.dp = 1;
        one.attentionDp = 1;
        one.moeTp = 0;
        constexpr int64_t kProbe = 4096;
        one = ScenarioBuilder(one).phase(Phase::Decode).batch(1).context(kProbe - 1).unchecked();
        m_kvBytesPerToken = memoryUse(m_pm, m_arch, d.stack, one).kvCacheBytes / double(kProbe);
    }
    const bool closed = w.arrival == Arrival::ClosedLoop;
    switch (w.arrival) {
    case Arrival::ClosedLoop:
        if (w.concurrency < 1)
            return fail("concurrency must be at least 1");
        m_warmup = w.warmup >= 0 ? w.warmup : w.concurrency;
        m_measuredTarget = w.requests > 0 ? w.requests : 20 * int64_t(w.concurrency);
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
    // Every request must fit the KV cache on its own (else the engine rejects it: longer than the cache). A prefill
    // pool holds the prompt only.
    auto check = [&](int64_t in, int64_t out) {
        if (in < 1 || out < 1)
            return fail("a request needs at least 1 input and 1 output token");
        for (const Pool* p : m_pools) {
            const int64_t tokens = p->role == PoolRole::Prefill ? in : in + out;
            const int64_t blockSize = p->stack.scheduler.blockSize;
            if ((tokens + blockSize - 1) / blockSize > p->kv.blocks)
                return fail("a request of " + std::to_string(in) + " + " + std::to_string(out) +
                            " tokens does not fit the KV cache of " + std::to_string(p->kv.tokens) + " tokens" +
                            (p->role == PoolRole::Prefill  ? " (prefill pool)"
                             : p->role == PoolRole::Decode ? " (decode pool)"
                                                           : ""));
        }
        return true;
    };
    if (closed) {
        if (!check(w.inputTokens, w.outputTokens))
            return false;
    } else {
        for (const TraceRequest& r : m_openArrivals)
            if (!check(r.inputTokens, r.outputTokens))
                return false;
    }
    m_book.seqs.reserve(static_cast<std::size_t>(m_warmup + m_measuredTarget + (closed ? w.concurrency : 0)));
    if (closed) {
        // About one iteration per output token of a client's requests (more under preemption or prefill-only ones).
        const double perClient = double(m_warmup + m_measuredTarget + w.concurrency) / double(w.concurrency);
        const double estimate =
            1.25 * perClient * double(w.outputTokens) / double(std::max<std::size_t>(1, m_first.size()));
        const auto n = static_cast<std::size_t>(std::min(estimate, double(1 << 20)));
        m_book.records.reserve(n);
        m_book.itl.reserve(n);
    }
    if (closed) {
        // The warm-up wave starts the clients at steady-state phases: client c's first (unmeasured) request asks
        // for (c + 1) / concurrency of the output, so completions, and with them the clients' next requests, are
        // spread over one request's lifetime as in a benchmark that has run a while. Started all at once with full
        // lengths, the clients of a prefill-first engine (SGLang; vLLM under a large token budget) prefill together,
        // decode in lockstep and finish in the same iteration for ever: a deterministic simulation has no noise to
        // break that, a real engine does, and its measured TTFT shows no such waves.
        for (int c = 0; c < w.concurrency; ++c) {
            const bool warm = static_cast<int64_t>(m_book.seqs.size()) < m_warmup;
            const int64_t out =
                warm ? std::max<int64_t>(1, (w.outputTokens * (c + 1) + w.concurrency - 1) / w.concurrency)
                     : w.outputTokens;
            issue(0.0, w.inputTokens, out);
        }
    } else
        for (const TraceRequest& r : m_openArrivals)
            issue(r.arrivalS, r.inputTokens, r.outputTokens);
    return true;
}

Run Driver::run() {
    Run out;
    if (!setUp()) {
        out.result = std::move(m_res);
        return out;
    }
    const bool closed = m_load.arrival == Arrival::ClosedLoop;
    if (m_opt.keepIterations)
        m_book.iterations.reserve(1024);
    int64_t iterations = 0;
    std::vector<int> handover, finished;
    std::string error;
    while (m_measuredDone < m_measuredTarget) {
        Engine* next = nullptr;
        double at = std::numeric_limits<double>::infinity(), second = at;
        for (auto* list : {&m_first, &m_decode})
            for (const auto& e : *list) {
                const double t = e->nextStart();
                if (t < at) {
                    second = at;
                    at = t;
                    next = e.get();
                } else if (t < second) {
                    second = t;
                }
            }
        if (next == nullptr) {
            fail("no request left to run before all measured requests finished");
            break;
        }
        if (++iterations > m_opt.maxIterations) {
            fail("more than " + std::to_string(m_opt.maxIterations) + " iterations");
            break;
        }
        handover.clear();
        finished.clear();
        int64_t skipped = 0;
        if (m_opt.skipDecodes) {
            // Other engines hand over only at their iterations' ends, after their next start (`second`).
            skipped = next->skipDecodes(second, m_opt.maxIterations - iterations, finished);
            iterations += std::max<int64_t>(0, skipped - 1);
        }
        if (skipped == 0 && !next->iterate(handover, finished, error)) {
            fail(error);
            break;
        }
        for (const int idx : handover) {
            // The KV cache moves to a decode worker (round-robin); decoding resumes there with the prompt cached.
            Seq& s = m_book.seqs[static_cast<std::size_t>(idx)];
            s.transferBytes = double(s.input) * m_kvBytesPerToken;
            s.transferS = kvTransferS(s.transferBytes);
            s.readyAt = s.firstToken + s.transferS;
            s.computed = s.input;
            s.prefixApplied = true;
            m_decode[m_nextDecode]->deliver(idx);
            m_nextDecode = (m_nextDecode + 1) % m_decode.size();
        }
        for (const int idx : finished) {
            const Seq& s = m_book.seqs[static_cast<std::size_t>(idx)];
            m_finishTimes.push_back(s.finish);
            m_now = std::max(m_now, s.finish);
            if (s.measured)
                ++m_measuredDone;
            if (closed) // the client sends its next request (cool-down ones past the measured, unmeasured)
                issue(s.finish, m_load.inputTokens, m_load.outputTokens);
        }
    }
    if (!m_res.ok) {
        out.result = std::move(m_res);
        return out;
    }
    for (const IterRecord& r : m_book.records)
        m_now = std::max(m_now, r.end);
    m_res.iterationCount = iterations;
    m_res.preemptions = m_book.preemptions;
    m_res.workers = static_cast<int>(m_first.size() + m_decode.size());
    m_res.kv = m_pools.back()->kv;
    if (m_pools.size() > 1)
        m_res.prefillKv = m_pools.front()->kv;
    finishStats(out.samples);
    if (m_opt.keepIterations) {
        std::stable_sort(m_book.iterations.begin(), m_book.iterations.end(),
                         [](const IterationStat& a, const IterationStat& b) {
                             return std::tie(a.pool, a.worker) < std::tie(b.pool, b.worker);
                         });
        m_res.iterations = std::move(m_book.iterations);
    }
    out.result = std::move(m_res);
    return out;
}

void Driver::finishStats(Samples& out) {
    ServingResult& r = m_res;
    double wStart = 1e300, wEnd = 0, transferS = 0, transferBytes = 0;
    for (const Seq& s : m_book.seqs) {
        if (!s.measured || s.finish < 0)
            continue;
        ++r.measured;
        r.outputTokens += s.generated;
        out.ttft.push_back(s.firstToken - s.arrival);
        out.e2e.push_back(s.finish - s.arrival);
        out.queue.push_back(s.scheduled - s.arrival);
        transferS += s.transferS;
        transferBytes += s.transferBytes;
        if (s.output > 1) {
            const double t = (s.finish - s.firstToken) / double(s.output - 1);
            out.tpot.push_back(t);
            if (t > 0)
                out.perUser.push_back(1.0 / t);
        }
        wStart = std::min(wStart, s.arrival);
        wEnd = std::max(wEnd, s.finish);
    }
    r.completed = static_cast<int64_t>(m_finishTimes.size());
    out.itl = std::move(m_book.itl);
    r.ttftS = distributionOf(out.ttft);
    r.tpotS = distributionOf(out.tpot);
    r.e2eS = distributionOf(out.e2e);
    r.queueS = distributionOf(out.queue);
    r.itlS = countedDistribution(out.itl);
    if (!out.perUser.empty()) {
        double sum = 0;
        for (const double x : out.perUser)
            sum += x;
        r.outputTokensPerSPerUser = sum / double(out.perUser.size());
    }
    r.simulatedS = m_now;
    for (const Pool* p : m_pools) {
        r.stepEvaluations += p->timer->evaluations();
        r.stepLookups += p->timer->lookups();
    }
    if (r.measured == 0 || !(wEnd > wStart))
        return;
    r.kvTransferS = transferS / double(r.measured);
    r.kvTransferBytes = transferBytes / double(r.measured);
    r.windowS = wEnd - wStart;
    int64_t done = 0;
    for (const double t : m_finishTimes)
        done += t > wStart && t <= wEnd ? 1 : 0;
    // Requests in the system (from the client's send to its last token): every request's share of the window.
    double inSys = 0;
    for (const Seq& s : m_book.seqs) {
        const double end = s.finish >= 0 ? s.finish : wEnd;
        const double overlap = std::min(end, wEnd) - std::max(s.arrival, wStart);
        if (overlap > 0)
            inSys += overlap;
    }
    double gen = 0, pre = 0, decodeSum = 0, prefillSum = 0, kvUsed = 0, peak = 0;
    int64_t decodeIters = 0, prefillIters = 0;
    for (const IterRecord& it : m_book.records) {
        const double share = double(it.kvUsed) / double(std::max<int64_t>(1, it.kvBlocks));
        peak = std::max(peak, share);
        // The part of the iteration inside the window weighs the time averages; tokens count at its end.
        const double overlap = std::min(it.end, wEnd) - std::max(it.start, wStart);
        if (overlap > 0)
            kvUsed += share * overlap;
        if (it.end > wStart && it.end <= wEnd) {
            gen += double(it.generated);
            pre += double(it.prefilled);
            if (it.pool != PoolRole::Prefill) {
                decodeSum += double(it.decodeSeqs);
                ++decodeIters;
            }
            if (it.pool != PoolRole::Decode) {
                prefillSum += double(it.prefilled);
                ++prefillIters;
            }
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
    r.meanDecodeBatch = decodeIters > 0 ? decodeSum / double(decodeIters) : 0;
    r.meanPrefillTokens = prefillIters > 0 ? prefillSum / double(prefillIters) : 0;
    r.peakKvUtilization = peak;
    // Time-averaged over the window and over the engines.
    r.meanKvUtilization = kvUsed / w / double(m_first.size() + m_decode.size());
}

ServingResult failed(std::string why) {
    ServingResult r;
    r.ok = false;
    r.error = std::move(why);
    return r;
}

/// A pool of `layout` for `role`: its scheduler (the batch limit of the layout), its step scenario, its KV capacity.
std::unique_ptr<Pool> makePool(const PlatformModel& pm, const LlmArch& arch, const StackProfile& stack,
                               const Scenario& datatypes, const PoolLayout& layout, PoolRole role, const Options& opt) {
    auto p = std::make_unique<Pool>();
    p->role = role;
    p->workers = layout.workers;
    p->gpusPerWorker = layout.tp * layout.pp * layout.attentionDp;
    p->stack = stack;
    if (layout.batch > 0)
        p->stack.scheduler.maxSeqs = layout.batch;
    if (layout.maxNumTokens > 0)
        p->stack.scheduler.tokenBudget = layout.maxNumTokens;
    Scenario base = datatypes;
    base.tp = layout.tp;
    base.pp = layout.pp;
    base.ep = layout.ep;
    base.dp = 1;
    base.attentionDp = layout.attentionDp;
    base.moeTp = arch.isMoe() ? layout.moeTp : 0;
    p->base = base;
    p->kv = kvCapacity(pm, arch, p->stack, p->base);
    p->timer = std::make_unique<StepTimer>(pm, arch, p->stack, p->base, opt.contextGrid);
    return p;
}

/// Weighted percentile, linear between weighted order statistics: sample j (sorted) sits at rank
/// (S_j - w_j) / (S - w_last) with S_j the cumulative weight through j; equal weights give numpy's default.
Distribution weightedDistribution(std::vector<std::pair<double, double>> v, int64_t count = -1) {
    Distribution d;
    d.count = count >= 0 ? count : static_cast<int64_t>(v.size());
    if (v.empty())
        return d;
    std::sort(v.begin(), v.end());
    double total = 0, sum = 0;
    for (const auto& [x, w] : v) {
        total += w;
        sum += x * w;
    }
    d.mean = total > 0 ? sum / total : 0;
    d.min = v.front().first;
    d.max = v.back().first;
    const double span = total - v.back().second;
    std::vector<double> rank(v.size());
    double cum = 0;
    for (std::size_t j = 0; j < v.size(); ++j) {
        rank[j] = span > 0 ? cum / span : 0;
        cum += v[j].second;
    }
    auto pct = [&](double p) {
        const auto it = std::upper_bound(rank.begin(), rank.end(), p);
        if (it == rank.begin())
            return v.front().first;
        const std::size_t hi = static_cast<std::size_t>(it - rank.begin());
        if (hi >= v.size())
            return v.back().first;
        const std::size_t lo = hi - 1;
        const double f = rank[hi] > rank[lo] ? (p - rank[lo]) / (rank[hi] - rank[lo]) : 0;
        return v[lo].first + (v[hi].first - v[lo].first) * f;
    };
    d.p50 = pct(0.50);
    d.p90 = pct(0.90);
    d.p99 = pct(0.99);
    return d;
}

/// Replicas of one closed-loop worker: `parts` = (run, identical workers). Throughput adds; the latency
/// distributions merge with each request weighted by its worker's completion rate (over a common window a worker
/// completing requests faster contributes more of them), so Little's law holds for the merge as for each worker.
ServingResult combineReplicas(const std::vector<std::pair<Run*, int>>& parts, int gpus,
                              std::vector<std::pair<double, double>>* ttftOut = nullptr) {
    ServingResult r = parts.front().first->result;
    std::vector<std::pair<double, double>> ttft, tpot, itl, e2e, queue;
    double rate = 0, perUser = 0, decodeBatch = 0, prefillTokens = 0, kvMean = 0, transfer = 0, transferBytes = 0;
    int workers = 0;
    int64_t itlCount = 0;
    int64_t measured = 0, completed = 0, outputs = 0, preemptions = 0, iterations = 0, evals = 0, lookups = 0;
    double reqs = 0, out = 0, in = 0, tot = 0, conc = 0, peak = 0, window = 0, simulated = 0;
    for (const auto& [run, m] : parts) {
        const ServingResult& x = run->result;
        const double w = x.measured > 0 ? x.requestsPerS / double(x.measured) : 0;
        auto add = [&](std::vector<std::pair<double, double>>& to, const std::vector<double>& from) {
            for (int k = 0; k < m; ++k)
                for (const double v : from)
                    to.emplace_back(v, w);
        };
        add(ttft, run->samples.ttft);
        add(tpot, run->samples.tpot);
        for (int k = 0; k < m; ++k)
            for (const auto& [v, c] : run->samples.itl) {
                itl.emplace_back(v, w * double(c));
                itlCount += c;
            }
        add(e2e, run->samples.e2e);
        add(queue, run->samples.queue);
        rate += m * x.requestsPerS;
        perUser += m * x.requestsPerS * x.outputTokensPerSPerUser;
        transfer += m * x.requestsPerS * x.kvTransferS;
        transferBytes += m * x.requestsPerS * x.kvTransferBytes;
        decodeBatch += m * x.meanDecodeBatch;
        prefillTokens += m * x.meanPrefillTokens;
        kvMean += m * x.meanKvUtilization;
        workers += m * x.workers;
        measured += m * x.measured;
        completed += m * x.completed;
        outputs += m * x.outputTokens;
        preemptions += m * x.preemptions;
        iterations += x.iterationCount; // simulated once per distinct worker
        evals += x.stepEvaluations;
        lookups += x.stepLookups;
        reqs += m * x.requestsPerS;
        out += m * x.outputTokensPerS;
        in += m * x.inputTokensPerS;
        tot += m * x.totalTokensPerS;
        conc += m * x.meanConcurrency;
        peak = std::max(peak, x.peakKvUtilization);
        window = std::max(window, x.windowS);
        simulated = std::max(simulated, x.simulatedS);
    }
    if (ttftOut)
        *ttftOut = ttft;
    r.ttftS = weightedDistribution(std::move(ttft));
    r.tpotS = weightedDistribution(std::move(tpot));
    r.itlS = weightedDistribution(std::move(itl), itlCount);
    r.e2eS = weightedDistribution(std::move(e2e));
    r.queueS = weightedDistribution(std::move(queue));
    r.gpus = gpus;
    r.workers = workers;
    r.measured = measured;
    r.completed = completed;
    r.outputTokens = outputs;
    r.preemptions = preemptions;
    r.iterationCount = iterations;
    r.stepEvaluations = evals;
    r.stepLookups = lookups;
    r.requestsPerS = reqs;
    r.outputTokensPerS = out;
    r.inputTokensPerS = in;
    r.totalTokensPerS = tot;
    r.outputTokensPerSPerGpu = out / gpus;
    r.totalTokensPerSPerGpu = tot / gpus;
    r.outputTokensPerSPerUser = rate > 0 ? perUser / rate : 0;
    r.kvTransferS = rate > 0 ? transfer / rate : 0;
    r.kvTransferBytes = rate > 0 ? transferBytes / rate : 0;
    r.meanConcurrency = conc;
    r.meanDecodeBatch = decodeBatch / double(std::max(1, workers));
    r.meanPrefillTokens = prefillTokens / double(std::max(1, workers));
    r.meanKvUtilization = kvMean / double(std::max(1, workers));
    r.peakKvUtilization = peak;
    r.windowS = window;
    r.simulatedS = simulated;
    return r;
}

Run runPools(const PlatformModel& pm, const LlmArch& arch, const Workload& load, const Options& opt,
             std::vector<Pool*> pools, int gpus) {
    return Driver(pm, arch, load, opt, std::move(pools), gpus).run();
}

} // namespace

ServingResult simulate(const PlatformModel& pm, const LlmArch& arch, const StackProfile& stack, const Scenario& base,
                       const Workload& load, const Options& options) {
    if (base.dp != 1)
        return failed(
            "data-parallel replicas (dp > 1) are not simulated by simulate(): use simulateDeployment with workers");
    auto pool = std::make_unique<Pool>();
    pool->stack = stack;
    pool->base = base;
    pool->gpusPerWorker = base.tp * base.pp * base.attentionDp;
    pool->kv = kvCapacity(pm, arch, stack, base);
    pool->timer = std::make_unique<StepTimer>(pm, arch, pool->stack, pool->base, options.contextGrid);
    return runPools(pm, arch, load, options, {pool.get()}, pool->gpusPerWorker).result;
}

namespace {

/// The TTFT samples of a run, each weighing 1 / count.
std::vector<std::pair<double, double>> equalWeights(const std::vector<double>& v) {
    std::vector<std::pair<double, double>> out;
    out.reserve(v.size());
    for (const double x : v)
        out.emplace_back(x, 1.0 / double(v.size()));
    return out;
}

/// simulateDeployment without the cold-start wave; `ttftOut` (if set) gets the measured TTFTs with their weights.
ServingResult deploymentResult(const PlatformModel& pm, const LlmArch& arch, const StackProfile& stack,
                               const Scenario& datatypes, const Deployment& deployment, const Workload& load,
                               const Options& options, std::vector<std::pair<double, double>>* ttftOut) {
    auto checkLayout = [&](const PoolLayout& p, const char* pool) -> std::string {
        const std::string where = pool;
        if (p.workers < 1 || p.tp < 1 || p.pp < 1 || p.ep < 1 || p.moeTp < 1 || p.attentionDp < 1 || p.batch < 0)
            return where + "workers, tp, pp, ep, moe_tp and attention_dp must be at least 1 (batch at least 0)";
        // The expert layout matters for MoE models only (a dense model's FFN is split tp x attention_dp ways).
        if (arch.isMoe() && p.moeTp * p.ep != p.tp * p.attentionDp)
            return where + "MoE layout moe_tp " + std::to_string(p.moeTp) + " x ep " + std::to_string(p.ep) +
                   " must equal tp " + std::to_string(p.tp) + " x attention_dp " + std::to_string(p.attentionDp);
        return {};
    };
    const int gpus = deployment.gpus();
    if (deployment.mode == DeploymentMode::Disaggregated) {
        for (const auto& [p, name] :
             {std::pair{&deployment.prefill, "prefill pool: "}, std::pair{&deployment.decode, "decode pool: "}})
            if (std::string why = checkLayout(*p, name); !why.empty())
                return failed(why);
        auto pre = makePool(pm, arch, stack, datatypes, deployment.prefill, PoolRole::Prefill, options);
        auto dec = makePool(pm, arch, stack, datatypes, deployment.decode, PoolRole::Decode, options);
        Run run = runPools(pm, arch, load, options, {pre.get(), dec.get()}, gpus);
        if (ttftOut)
            *ttftOut = equalWeights(run.samples.ttft);
        if (run.result.ok)
            run.result.notes.push_back("disaggregated: TTFT ends with the prefill worker's first token (as "
                                       "aiconfigurator and Dynamo count it); the KV cache then moves to a decode "
                                       "worker (round-robin) before decoding resumes");
        return run.result;
    }
    const PoolLayout& p = deployment.aggregated;
    if (std::string why = checkLayout(p, ""); !why.empty())
        return failed(why);
    auto pool = makePool(pm, arch, stack, datatypes, p, PoolRole::Aggregated, options);
    if (p.workers == 1 || load.arrival != Arrival::ClosedLoop) {
        Run run = runPools(pm, arch, load, options, {pool.get()}, gpus);
        if (ttftOut)
            *ttftOut = equalWeights(run.samples.ttft);
        return std::move(run.result);
    }
    // Closed loop over replicas: the clients split as evenly as possible (c or c + 1 per worker); each distinct
    // worker is simulated once, alone (its own clients, its share of the measured requests), and the results merged.
    const int C = load.concurrency, W = p.workers;
    if (C < 1)
        return failed("concurrency must be at least 1");
    const int lo = C / W, extra = C % W;
    pool->workers = 1;
    std::vector<std::pair<int, int>> shapes; // (clients, workers with that many)
    if (extra > 0)
        shapes.emplace_back(lo + 1, extra);
    if (lo > 0)
        shapes.emplace_back(lo, W - extra);
    std::vector<Run> runs;
    runs.reserve(shapes.size());
    for (const auto& [clients, count] : shapes) {
        Workload w = load;
        w.concurrency = clients;
        if (load.requests > 0)
            w.requests = std::max<int64_t>(1, std::llround(double(load.requests) * clients / C));
        if (load.warmup >= 0)
            w.warmup = std::llround(double(load.warmup) * clients / C);
        pool->timer = std::make_unique<StepTimer>(pm, arch, pool->stack, pool->base, options.contextGrid);
        runs.push_back(runPools(pm, arch, w, options, {pool.get()}, pool->gpusPerWorker));
        if (!runs.back().result.ok)
            return runs.back().result;
        (void)count;
    }
    std::vector<std::pair<Run*, int>> parts;
    for (std::size_t i = 0; i < shapes.size(); ++i)
        parts.emplace_back(&runs[i], shapes[i].second);
    ServingResult r = combineReplicas(parts, gpus, ttftOut);
    r.notes.push_back(
        std::to_string(W) + " workers, " + std::to_string(C) +
        " clients: " + (extra > 0 ? std::to_string(extra) + " with " + std::to_string(lo + 1) + " clients" : "") +
        (extra > 0 && lo > 0 ? ", " : "") + (lo > 0 ? std::to_string(W - extra) + " with " + std::to_string(lo) : "") +
        (W > C ? " (" + std::to_string(W - C) + " idle)" : ""));
    return r;
}

} // namespace

ServingResult simulateDeployment(const PlatformModel& pm, const LlmArch& arch, const StackProfile& stack,
                                 const Scenario& datatypes, const Deployment& deployment, const Workload& load,
                                 const Options& options) {
    const int rounds = load.coldStartRounds;
    if (rounds <= 0 || load.arrival != Arrival::ClosedLoop)
        return deploymentResult(pm, arch, stack, datatypes, deployment, load, options, nullptr);
    std::vector<std::pair<double, double>> steady, wave;
    ServingResult r = deploymentResult(pm, arch, stack, datatypes, deployment, load, options, &steady);
    if (!r.ok || steady.empty())
        return r;
    // The cold start: every client's first request at time 0, nothing after (each client's later requests belong to
    // the steady state simulated above).
    Workload first = load;
    first.arrival = Arrival::Trace;
    first.trace.assign(static_cast<std::size_t>(std::max(1, load.concurrency)),
                       TraceRequest{0.0, load.inputTokens, load.outputTokens});
    first.warmup = 0;
    first.requests = static_cast<int64_t>(first.trace.size());
    first.coldStartRounds = 0;
    Options quiet = options;
    quiet.keepIterations = false;
    const ServingResult w = deploymentResult(pm, arch, stack, datatypes, deployment, first, quiet, &wave);
    if (!w.ok || wave.empty()) {
        r.notes.push_back("cold-start wave not simulated (" + w.error + "): TTFT is the steady state's");
        return r;
    }
    // Weights: the steady state's samples sum to 1 - 1/R, the wave's to 1/R.
    auto scaled = [](std::vector<std::pair<double, double>>& v, double share) {
        double total = 0;
        for (const auto& [x, wt] : v)
            total += wt;
        for (auto& [x, wt] : v)
            wt = total > 0 ? wt * share / total : 0;
    };
    scaled(steady, 1.0 - 1.0 / rounds);
    scaled(wave, 1.0 / rounds);
    const int64_t count = r.ttftS.count + w.ttftS.count;
    const double steadyMeanS = r.ttftS.mean;
    steady.insert(steady.end(), wave.begin(), wave.end());
    r.ttftS = weightedDistribution(std::move(steady), count);
    char text[256];
    std::snprintf(text, sizeof text,
                  "TTFT of a benchmark of %d x %d requests from a cold start: the first wave (1 in %d, every client at "
                  "once) waits %.4g ms on average, the steady state %.4g ms; the other statistics are the steady "
                  "state's",
                  rounds, load.concurrency, rounds, w.ttftS.mean * 1e3, steadyMeanS * 1e3);
    r.notes.emplace_back(text);
    return r;
}

} // namespace rooflab::serving
