#include "serving/serving_fit.hpp"

#include "codec/request_codec.hpp"
#include "io/files.hpp"
#include "units/errors.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <set>

namespace rooflab::serving {
namespace {

/// The backend column's stack (tensorrt-llm for trtllm).
std::string stackOfRow(const io::CsvTable& t, std::size_t row) {
    const int c = t.column("backend");
    return c < 0 ? std::string() : spec::servingStackOfBackend(t.text(row, c));
}

bool isAggregated(const io::CsvTable& t, std::size_t row) {
    const int c = t.column("mode");
    return c >= 0 && t.text(row, c) == "agg";
}

std::vector<const ServingValidationRow*> predictedRows(const ServingValidationReport& rep) {
    std::vector<const ServingValidationRow*> out;
    for (const ServingValidationRow& r : rep.rows)
        if (r.predicted)
            out.push_back(&r);
    return out;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n == 0 ? 0.0 : (n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]));
}

/// "12.5 us" / "141 ms": the stack file's time notation, 4 significant digits.
std::string timeText(double seconds, bool micro) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.4g %s", micro ? seconds * 1e6 : seconds * 1e3, micro ? "us" : "ms");
    return buf;
}

bool startsWith(const std::string& s, const std::string& p) {
    return s.rfind(p, 0) == 0;
}

std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "\"";
}

} // namespace

SchedulerFit fitSchedulerConstants(const io::CsvTable& table, io::Catalog& catalog, const StackProfile& base,
                                   const SchedulerFitOptions& options) {
    SchedulerFit fit;
    const std::string& stackName = base.name;
    fit.stack = stackName;
    auto run = [&](const StackProfile& stack, ServingSplit split) {
        ServingValidationOptions vo;
        vo.split = split;
        vo.stacks[stackName] = &stack;
        vo.include = [&](const io::CsvTable& t, std::size_t row) {
            return isAggregated(t, row) && stackOfRow(t, row) == stackName;
        };
        return validateServingBenchmark(table, catalog, "", options.threads, vo);
    };

    // For each candidate pair of host times: simulate without a front end, take frontend_latency from the
    // low-concurrency gap, simulate again with it; keep the pair whose calibration TPOT MAPE is lowest (ties: the
    // smaller).
    StackProfile trial = base;
    std::vector<SchedulerFit> candidates;
    std::optional<ServingErrorStats> withoutConstants; // the grid's (0, 0) without a front end: the fit's "before"
    for (const double it : options.iterationOverheadGridS)
        for (const double s : options.sequenceOverheadGridS) {
            trial.scheduler.iterationOverheadS = it;
            trial.scheduler.sequenceOverheadS = s;
            trial.scheduler.frontendLatencyS = 0;
            const ServingValidationReport bare = run(trial, ServingSplit::Calibration);
            SchedulerFit f;
            f.stack = stackName;
            f.iterationOverheadS = it;
            f.sequenceOverheadS = s;
            std::vector<double> gaps;
            for (const ServingValidationRow& r : bare.rows) {
                if (!r.predicted)
                    continue;
                f.rows.push_back(r.id);
                if (r.concurrency > 0 && r.concurrency <= options.lowConcurrency)
                    gaps.push_back(r.measuredTtftS - r.predictedTtftS);
            }
            if (f.rows.empty())
                throw InputError(table.file, 0, "backend",
                                 "no aggregated calibration row of stack '" + stackName + "' could be simulated");
            if (it == 0 && s == 0)
                withoutConstants = servingErrorStats(predictedRows(bare));
            f.frontendRows = gaps.size();
            f.frontendLatencyS = std::max(0.0, median(gaps));
            trial.scheduler.frontendLatencyS = f.frontendLatencyS;
            f.after = servingErrorStats(predictedRows(run(trial, ServingSplit::Calibration)));
            fit.curve.push_back({it, s, f.after.tpotMapePct});
            candidates.push_back(std::move(f));
        }
    // The smallest host times whose TPOT MAPE is within options.tolerancePct of the best (iteration_overhead first,
    // then sequence_overhead: the grid's order): where the rows cannot tell the candidates apart (the overlap
    // scheduler hides host time behind the step), no host time is claimed.
    double best = fit.curve.front().tpotMapePct;
    for (const SchedulerFit::Point& p : fit.curve)
        best = std::min(best, p.tpotMapePct);
    std::size_t pick = 0;
    while (fit.curve[pick].tpotMapePct > best + options.tolerancePct)
        ++pick;
    candidates[pick].curve = fit.curve;
    fit = candidates[pick];
    trial.scheduler.iterationOverheadS = fit.iterationOverheadS;
    trial.scheduler.sequenceOverheadS = fit.sequenceOverheadS;
    trial.scheduler.frontendLatencyS = fit.frontendLatencyS;

    StackProfile bare = base; // without the three constants: what the fit adds
    bare.scheduler.iterationOverheadS = 0;
    bare.scheduler.sequenceOverheadS = 0;
    bare.scheduler.frontendLatencyS = 0;
    // The calibration half's errors with the fitted values are the picked candidate's (a simulation repeats exactly);
    // without them, the grid's (0, 0) unless the grid has none.
    fit.before =
        withoutConstants ? *withoutConstants : servingErrorStats(predictedRows(run(bare, ServingSplit::Calibration)));
    fit.heldOutBefore = servingErrorStats(predictedRows(run(bare, ServingSplit::HeldOut)));
    fit.heldOutAfter = servingErrorStats(predictedRows(run(trial, ServingSplit::HeldOut)));
    return fit;
}

std::string applySchedulerFit(const std::string& yamlText, const SchedulerFit& fit, const std::string& dataset) {
    std::vector<std::string> lines = io::splitLines(yamlText);
    std::size_t begin = lines.size();
    for (std::size_t i = 0; i < lines.size(); ++i)
        if (startsWith(lines[i], "scheduler:")) {
            begin = i;
            break;
        }
    if (begin == lines.size())
        throw InputError("", 0, "scheduler", "the stack profile has no scheduler section to write the fit into");
    // The section's own lines: indented keys up to the next top-level key (comments after its last key belong to
    // what follows).
    std::size_t last = begin;
    for (std::size_t j = begin + 1; j < lines.size(); ++j) {
        const std::string& l = lines[j];
        if (!l.empty() && l[0] != ' ' && l[0] != '#')
            break;
        if (startsWith(l, "  "))
            last = j;
    }
    std::vector<std::string> section(lines.begin() + long(begin) + 1, lines.begin() + long(last) + 1);
    // Drop an earlier fitted block (the key and its deeper-indented lines) and the values being written.
    std::vector<std::string> kept;
    bool inFitted = false;
    for (const std::string& l : section) {
        if (inFitted && startsWith(l, "    "))
            continue;
        inFitted = startsWith(l, "  fitted:");
        if (inFitted || startsWith(l, "  iteration_overhead:") || startsWith(l, "  sequence_overhead:") ||
            startsWith(l, "  frontend_latency:"))
            continue;
        kept.push_back(l);
    }
    std::vector<std::string> out = kept;
    out.push_back("  iteration_overhead: " + timeText(fit.iterationOverheadS, true));
    out.push_back("  sequence_overhead: " + timeText(fit.sequenceOverheadS, true));
    out.push_back("  frontend_latency: " + timeText(fit.frontendLatencyS, false));
    out.push_back("  fitted:");
    out.push_back("    provenance: fitted");
    out.push_back("    keys: [iteration_overhead, sequence_overhead, frontend_latency]");
    out.push_back("    dataset: " + quoted(dataset));
    out.push_back("    rows:");
    for (const std::string& id : fit.rows)
        out.push_back("      - " + quoted(id));
    std::string text;
    for (std::size_t i = 0; i <= begin; ++i)
        text += lines[i] + "\n";
    for (const std::string& l : out)
        text += l + "\n";
    for (std::size_t i = last + 1; i < lines.size(); ++i)
        text += lines[i] + "\n";
    if (!yamlText.empty() && yamlText.back() != '\n' && !text.empty())
        text.pop_back();
    return text;
}

} // namespace rooflab::serving
