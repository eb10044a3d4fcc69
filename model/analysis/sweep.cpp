#include "analysis/sweep.hpp"

#include "engine/predict.hpp"
#include "units/errors.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <map>
#include <mutex>
#include <thread>

namespace rooflab {

std::string_view sweepPhaseName(SweepPhase p) {
    switch (p) {
    case SweepPhase::Prefill:
        return "prefill";
    case SweepPhase::Decode:
        return "decode";
    case SweepPhase::Chunked:
        return "chunked";
    case SweepPhase::Request:
        return "request";
    }
    return "?";
}

bool parseSweepPhase(std::string_view s, SweepPhase& out) {
    for (SweepPhase p : {SweepPhase::Prefill, SweepPhase::Decode, SweepPhase::Chunked, SweepPhase::Request})
        if (s == sweepPhaseName(p)) {
            out = p;
            return true;
        }
    return false;
}

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

bool parseInt(std::string_view s, int64_t& v) {
    s = trim(s);
    if (s.empty())
        return false;
    const char* e = s.data() + s.size();
    auto [p, ec] = std::from_chars(s.data(), e, v);
    return ec == std::errc() && p == e;
}

} // namespace

std::vector<int64_t> parseIntList(std::string_view text, const std::string& key, int64_t minValue, int64_t maxValue,
                                  const std::string& file, int line, std::size_t maxValues) {
    std::vector<int64_t> out;
    auto fail = [&](const std::string& msg) { throw InputError(file, line, key, msg); };
    auto check = [&](int64_t v, std::string_view item) {
        if (v < minValue || v > maxValue)
            fail("value " + std::to_string(v) + " in '" + std::string(item) + "' is out of range [" +
                 std::to_string(minValue) + ", " + std::to_string(maxValue) + "]");
    };
    if (trim(text).empty())
        fail("empty list");
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const std::size_t comma = text.find(',', pos);
        const std::string_view item =
            trim(text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
        pos = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
        if (item.empty())
            fail("empty item in '" + std::string(text) + "'");
        const std::size_t c1 = item.find(':');
        if (c1 == std::string_view::npos) {
            int64_t v = 0;
            if (!parseInt(item, v))
                fail("'" + std::string(item) +
                     "' is not a whole number (lists: 1,2,4; ranges: 1:256:x2 or 128:1024:+128)");
            check(v, item);
            out.push_back(v);
        } else {
            const std::size_t c2 = item.find(':', c1 + 1);
            int64_t lo = 0, hi = 0;
            const std::string_view stepText =
                c2 == std::string_view::npos ? std::string_view("+1") : trim(item.substr(c2 + 1));
            if (!parseInt(item.substr(0, c1), lo) ||
                !parseInt(item.substr(c1 + 1, c2 == std::string_view::npos ? std::string_view::npos : c2 - c1 - 1), hi))
                fail("'" + std::string(item) + "': a range is LO:HI:STEP with whole numbers (1:256:x2, 128:1024:+128)");
            check(lo, item);
            check(hi, item);
            if (hi < lo)
                fail("'" + std::string(item) + "': the range ends before it starts");
            const bool geometric = !stepText.empty() && (stepText.front() == 'x' || stepText.front() == '*');
            int64_t step = 0;
            std::string_view st = stepText;
            if (!st.empty() && (st.front() == 'x' || st.front() == '*' || st.front() == '+'))
                st.remove_prefix(1);
            if (!parseInt(st, step) || step < (geometric ? 2 : 1))
                fail("'" + std::string(item) + "': step '" + std::string(stepText) +
                     (geometric ? "' must be a factor of at least x2" : "' must be a whole number of at least 1"));
            for (int64_t v = lo; v <= hi;) {
                out.push_back(v);
                if (out.size() > maxValues)
                    fail("more than " + std::to_string(maxValues) + " values");
                if (geometric) {
                    if (v > hi / step)
                        break;
                    v *= step;
                } else {
                    if (v > hi - step)
                        break;
                    v += step;
                }
            }
        }
        if (out.size() > maxValues)
            fail("more than " + std::to_string(maxValues) + " values");
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

uint64_t SweepSpace::size() const {
    const std::size_t dims[] = {platforms.size(), models.size(),  stacks.size(), phases.size(), batch.size(),
                                prompt.size(),    context.size(), output.size(), tp.size(),     pp.size(),
                                ep.size(),        weights.size(), kv.size(),     act.size()};
    uint64_t n = 1;
    for (std::size_t d : dims) {
        if (d == 0)
            return 0;
        if (n > std::numeric_limits<uint64_t>::max() / d)
            return std::numeric_limits<uint64_t>::max();
        n *= d;
    }
    return n;
}

SweepCoord decodeSweepIndex(const SweepSpace& sp, uint64_t index) {
    SweepCoord c;
    auto take = [&](std::size_t& slot, std::size_t n) {
        slot = static_cast<std::size_t>(index % n);
        index /= n;
    };
    // Fastest-varying last.
    take(c.act, sp.act.size());
    take(c.kv, sp.kv.size());
    take(c.weights, sp.weights.size());
    take(c.ep, sp.ep.size());
    take(c.pp, sp.pp.size());
    take(c.tp, sp.tp.size());
    take(c.output, sp.output.size());
    take(c.context, sp.context.size());
    take(c.prompt, sp.prompt.size());
    take(c.batch, sp.batch.size());
    take(c.phase, sp.phases.size());
    take(c.stack, sp.stacks.size());
    take(c.model, sp.models.size());
    take(c.platform, sp.platforms.size());
    return c;
}

Scenario sweepScenario(const SweepSpace& sp, const SweepCoord& c) {
    Phase phase = Phase::Decode;
    switch (sp.phases[c.phase]) {
    case SweepPhase::Prefill:
    case SweepPhase::Request:
        phase = Phase::Prefill;
        break;
    case SweepPhase::Decode:
        phase = Phase::Decode;
        break;
    case SweepPhase::Chunked:
        phase = Phase::Chunked;
        break;
    }
    // Axis values were range-checked when the space was built.
    return ScenarioBuilder()
        .phase(phase)
        .batch(sp.batch[c.batch])
        .prompt(sp.prompt[c.prompt])
        .context(sp.context[c.context])
        .outputTokens(sp.output[c.output])
        .chunk(sp.chunk)
        .tp(sp.tp[c.tp])
        .pp(sp.pp[c.pp])
        .ep(sp.ep[c.ep])
        .weights(sp.weights[c.weights])
        .kv(sp.kv[c.kv])
        .act(sp.act[c.act])
        .unchecked();
}

bool sweepAxisApplies(SweepPhase phase, std::string_view axis) {
    switch (phase) {
    case SweepPhase::Prefill:
        return axis == "prompt";
    case SweepPhase::Decode:
    case SweepPhase::Chunked:
        return axis == "context";
    case SweepPhase::Request:
        return axis == "prompt" || axis == "output";
    }
    return true;
}

namespace {
struct TokenAxis {
    const char* name;
    std::size_t size;
    std::size_t SweepCoord::*slot;
};
std::array<TokenAxis, 3> tokenAxes(const SweepSpace& sp) {
    return {{{"prompt", sp.prompt.size(), &SweepCoord::prompt},
             {"context", sp.context.size(), &SweepCoord::context},
             {"output", sp.output.size(), &SweepCoord::output}}};
}
} // namespace

std::vector<std::string> sweepAxisWarnings(const SweepSpace& sp) {
    std::vector<std::string> out;
    for (const TokenAxis& a : tokenAxes(sp)) {
        if (a.size < 2)
            continue;
        for (SweepPhase ph : sp.phases)
            if (!sweepAxisApplies(ph, a.name))
                out.push_back("--" + std::string(a.name) + " does not apply to " + std::string(sweepPhaseName(ph)) +
                              ": its " + std::to_string(a.size) + " values give one row per " +
                              std::string(sweepPhaseName(ph)) + " point (the first value is written, the column " +
                              "left empty)");
    }
    return out;
}

bool sweepPointIsDistinct(const SweepSpace& sp, const SweepCoord& c) {
    const SweepPhase ph = sp.phases[c.phase];
    for (const TokenAxis& a : tokenAxes(sp))
        if (c.*a.slot != 0 && !sweepAxisApplies(ph, a.name))
            return false;
    return true;
}

uint64_t sweepDistinctPoints(const SweepSpace& sp) {
    if (sp.size() == 0)
        return 0;
    const uint64_t all = sp.size();
    uint64_t perPhaseOthers = all / sp.phases.size();
    for (const TokenAxis& a : tokenAxes(sp))
        perPhaseOthers /= a.size;
    uint64_t total = 0;
    for (SweepPhase ph : sp.phases) {
        uint64_t n = perPhaseOthers;
        for (const TokenAxis& a : tokenAxes(sp))
            if (sweepAxisApplies(ph, a.name))
                n *= a.size;
        total += n;
    }
    return all == UINT64_MAX ? UINT64_MAX : total;
}

SweepResult evaluateSweepPoint(const SweepSpace& sp, const SweepCoord& c) {
    SweepResult r;
    const Scenario s = sweepScenario(sp, c);
    // The devices a configuration asks for, also when the engine refuses it (TP 3 is 3 devices, not 1).
    r.devices = s.tp * s.pp * s.dp;
    const PlatformModel& pm = sp.platforms[c.platform].value;
    const SweepPhase phase = sp.phases[c.phase];
    const bool whole = phase == SweepPhase::Request;
    const Result res = predict(pm, llmRequestOf(sp.models[c.model].value, sp.stacks[c.stack].value, s, whole));
    r.ttftS = r.tpotS = std::numeric_limits<double>::quiet_NaN();
    if (!res.ok) {
        r.error = res.error;
        return r;
    }
    r.ok = true;
    if (phase == SweepPhase::Prefill)
        r.ttftS = res.latencyS;
    else if (phase == SweepPhase::Decode)
        r.tpotS = res.latencyS;
    r.fits = res.fits;
    r.bound = res.bound;
    r.latencyS = res.latencyS;
    r.tokensPerS = res.tokensPerS;
    if (const RequestPrediction* q = res.request()) {
        r.devices = q->prefill.devices;
        r.memoryBytes = std::max(q->prefill.memory.totalBytes, q->decodeFirst.memory.totalBytes);
        r.energyPerTokenJ = q->energyPerTokenJ;
        r.energyJ = q->energyPerTokenJ * double(s.batch) * double(s.outputTokens) * double(s.dp);
        r.ttftS = q->ttftS;
        r.tpotS = q->tpotS;
        return r;
    }
    const Prediction& p = *res.step();
    r.devices = p.devices;
    r.memoryBytes = p.memory.totalBytes;
    r.energyJ = p.energyJ;
    r.energyPerTokenJ = p.tokens > 0 ? p.energyJ / p.tokens : 0;
    return r;
}

std::string sweepCsvHeader() {
    return "platform,model,stack,phase,batch,prompt,context,output,tp,pp,ep,weights,kv,act,ok,status,devices,"
           "latency_s,tokens_per_s,bound,memory_bytes,fits,energy_j,energy_per_token_j,ttft_s,tpot_s,error\n";
}

namespace {

inline void put(std::string& out, std::string_view s) {
    out.append(s.data(), s.size());
}

inline void putInt(std::string& out, int64_t v) {
    char b[24];
    auto [p, ec] = std::to_chars(b, b + sizeof b, v);
    out.append(b, static_cast<std::size_t>(p - b));
}

/// Not-a-number and infinities (not applicable, no value) are written as an empty CSV cell / JSON null by the
/// callers; here they write nothing.
inline void putDouble(std::string& out, double v) {
    if (!std::isfinite(v))
        return;
    char b[32];
    auto [p, ec] = std::to_chars(b, b + sizeof b, v);
    out.append(b, static_cast<std::size_t>(p - b));
}

/// Names are user-controlled (file stems, preset names): quote for CSV / escape for JSON only when needed.
void putCsvText(std::string& out, std::string_view s) {
    if (s.find_first_of(",\"\n\r") == std::string_view::npos) {
        put(out, s);
        return;
    }
    out += '"';
    for (char ch : s) {
        if (ch == '"')
            out += '"';
        out += ch;
    }
    out += '"';
}

void putJsonText(std::string& out, std::string_view s) {
    out += '"';
    for (char ch : s) {
        const auto u = static_cast<unsigned char>(ch);
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += ch;
        } else if (u < 0x20) {
            char b[8];
            std::snprintf(b, sizeof b, "\\u%04x", unsigned(u));
            out += b;
        } else {
            out += ch;
        }
    }
    out += '"';
}

} // namespace

void appendSweepRecord(std::string& out, SweepFormat f, const SweepSpace& sp, const SweepCoord& c,
                       const SweepResult& r) {
    const std::string_view phase = sweepPhaseName(sp.phases[c.phase]);
    if (f == SweepFormat::Csv) {
        putCsvText(out, sp.platforms[c.platform].name);
        out += ',';
        putCsvText(out, sp.models[c.model].name);
        out += ',';
        putCsvText(out, sp.stacks[c.stack].name);
        out += ',';
        put(out, phase);
        // A token axis that does not apply to the phase is left empty (it did not shape the result).
        const SweepPhase ph = sp.phases[c.phase];
        const std::pair<int64_t, bool> ints[] = {{sp.batch[c.batch], true},
                                                 {sp.prompt[c.prompt], sweepAxisApplies(ph, "prompt")},
                                                 {sp.context[c.context], sweepAxisApplies(ph, "context")},
                                                 {sp.output[c.output], sweepAxisApplies(ph, "output")},
                                                 {sp.tp[c.tp], true},
                                                 {sp.pp[c.pp], true},
                                                 {sp.ep[c.ep], true}};
        for (const auto& [v, applies] : ints) {
            out += ',';
            if (applies)
                putInt(out, v);
        }
        out += ',';
        put(out, dtypeName(sp.weights[c.weights]));
        out += ',';
        put(out, dtypeName(sp.kv[c.kv]));
        out += ',';
        put(out, dtypeName(sp.act[c.act]));
        out += r.ok ? ",true," : ",false,";
        out += !r.ok ? "infeasible," : r.fits ? "ok," : "does_not_fit,";
        putInt(out, r.devices);
        out += ',';
        // A refused point has no numbers: empty cells, not zeros that read as "instant".
        if (r.ok) {
            putDouble(out, r.latencyS);
            out += ',';
            putDouble(out, r.tokensPerS);
            out += ',';
            put(out, boundName(r.bound));
            out += ',';
            putDouble(out, r.memoryBytes);
            out += r.fits ? ",true," : ",false,";
            putDouble(out, r.energyJ);
            out += ',';
            putDouble(out, r.energyPerTokenJ);
            out += ',';
        } else {
            out += ",,,,,,,";
        }
        putDouble(out, r.ttftS);
        out += ',';
        putDouble(out, r.tpotS);
        out += ',';
        putCsvText(out, r.error);
        out += '\n';
        return;
    }
    out += "{\"platform\":";
    putJsonText(out, sp.platforms[c.platform].name);
    out += ",\"model\":";
    putJsonText(out, sp.models[c.model].name);
    out += ",\"stack\":";
    putJsonText(out, sp.stacks[c.stack].name);
    out += ",\"phase\":\"";
    put(out, phase);
    out += '"';
    const std::pair<const char*, int64_t> ints[] = {{",\"batch\":", sp.batch[c.batch]},
                                                    {",\"prompt\":", sp.prompt[c.prompt]},
                                                    {",\"context\":", sp.context[c.context]},
                                                    {",\"output\":", sp.output[c.output]},
                                                    {",\"tp\":", sp.tp[c.tp]},
                                                    {",\"pp\":", sp.pp[c.pp]},
                                                    {",\"ep\":", sp.ep[c.ep]}};
    for (const auto& [k, v] : ints) {
        out += k;
        putInt(out, v);
    }
    out += ",\"weights\":\"";
    put(out, dtypeName(sp.weights[c.weights]));
    out += "\",\"kv\":\"";
    put(out, dtypeName(sp.kv[c.kv]));
    out += "\",\"act\":\"";
    put(out, dtypeName(sp.act[c.act]));
    out += r.ok ? "\",\"ok\":true" : "\",\"ok\":false";
    out += !r.ok ? ",\"status\":\"infeasible\"" : r.fits ? ",\"status\":\"ok\"" : ",\"status\":\"does_not_fit\"";
    if (!r.ok) {
        out += ",\"devices\":";
        putInt(out, r.devices);
        out += ",\"error\":";
        putJsonText(out, r.error);
    }
    if (r.ok) {
        out += ",\"devices\":";
        putInt(out, r.devices);
        out += ",\"latency_s\":";
        putDouble(out, r.latencyS);
        out += ",\"tokens_per_s\":";
        putDouble(out, r.tokensPerS);
        out += ",\"bound\":\"";
        put(out, boundName(r.bound));
        out += "\",\"memory_bytes\":";
        putDouble(out, r.memoryBytes);
        out += r.fits ? ",\"fits\":true" : ",\"fits\":false";
        out += ",\"energy_j\":";
        putDouble(out, r.energyJ);
        out += ",\"energy_per_token_j\":";
        putDouble(out, r.energyPerTokenJ);
        if (std::isfinite(r.ttftS)) {
            out += ",\"ttft_s\":";
            putDouble(out, r.ttftS);
        }
        if (std::isfinite(r.tpotS)) {
            out += ",\"tpot_s\":";
            putDouble(out, r.tpotS);
        }
    }
    out += "}\n";
}

uint64_t evaluateSweepChunk(const SweepSpace& sp, SweepFormat f, uint64_t begin, uint64_t end, std::string& out) {
    uint64_t ok = 0;
    for (uint64_t i = begin; i < end; ++i) {
        const SweepCoord c = decodeSweepIndex(sp, i);
        if (!sweepPointIsDistinct(sp, c))
            continue;
        const SweepResult r = evaluateSweepPoint(sp, c);
        ok += r.ok ? 1 : 0;
        appendSweepRecord(out, f, sp, c, r);
    }
    return ok;
}

SweepStats runSweep(const SweepSpace& sp, const SweepRunOptions& opt, const std::function<void(std::string_view)>& sink,
                    const std::function<void(uint64_t, uint64_t)>& progress) {
    const auto t0 = std::chrono::steady_clock::now();
    SweepStats stats;
    const uint64_t total = sp.size();
    stats.points = sweepDistinctPoints(sp);
    if (opt.format == SweepFormat::Csv && opt.header)
        sink(sweepCsvHeader());
    if (total == 0)
        return stats;
    const uint64_t chunk = std::max<uint64_t>(1, opt.chunkPoints);
    const uint64_t nChunks = (total + chunk - 1) / chunk;
    unsigned threads = opt.threads ? opt.threads : std::max(1u, std::thread::hardware_concurrency());
    threads = static_cast<unsigned>(std::min<uint64_t>(threads, nChunks));

    std::atomic<uint64_t> next{0};
    std::atomic<uint64_t> okCount{0};
    std::mutex mu;
    std::condition_variable cv;
    uint64_t nextToWrite = 0;
    std::map<uint64_t, std::string> pending; // finished chunks waiting for their turn
    std::exception_ptr error;
    bool stop = false;
    // A worker may run at most this many chunks ahead of the writer, which bounds memory.
    const uint64_t window = uint64_t(threads) * 4;

    auto worker = [&] {
        std::string buf;
        for (;;) {
            const uint64_t ci = next.fetch_add(1);
            if (ci >= nChunks)
                return;
            {
                std::unique_lock lock(mu);
                cv.wait(lock, [&] { return stop || ci < nextToWrite + window; });
                if (stop)
                    return;
            }
            buf.clear();
            const uint64_t b = ci * chunk, e = std::min(total, b + chunk);
            try {
                okCount += evaluateSweepChunk(sp, opt.format, b, e, buf);
            } catch (...) {
                std::lock_guard lock(mu);
                if (!error)
                    error = std::current_exception();
                stop = true;
                cv.notify_all();
                return;
            }
            std::unique_lock lock(mu);
            if (stop)
                return;
            if (ci != nextToWrite) {
                pending.emplace(ci, std::move(buf));
                buf = std::string();
                continue;
            }
            // Our turn: write ours and every consecutive finished chunk, holding the lock (the sink is serial).
            try {
                sink(buf);
                ++nextToWrite;
                if (progress)
                    progress(std::min(total, nextToWrite * chunk), total);
                for (auto it = pending.find(nextToWrite); it != pending.end(); it = pending.find(nextToWrite)) {
                    sink(it->second);
                    pending.erase(it);
                    ++nextToWrite;
                    if (progress)
                        progress(std::min(total, nextToWrite * chunk), total);
                }
            } catch (...) {
                if (!error)
                    error = std::current_exception();
                stop = true;
            }
            cv.notify_all();
        }
    };
    if (threads <= 1) {
        worker();
    } else {
        std::vector<std::thread> pool;
        pool.reserve(threads);
        for (unsigned t = 0; t < threads; ++t)
            pool.emplace_back(worker);
        for (auto& th : pool)
            th.join();
    }
    if (error)
        std::rethrow_exception(error);
    stats.ok = okCount.load();
    stats.wallS = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return stats;
}

} // namespace rooflab
