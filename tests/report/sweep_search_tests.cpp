// Sweep and search engine: list/range parsing, index decoding, parallel sweeps identical to serial ones,
// grid-file errors with file/line/key, Pareto fronts, SLO search, requirements and phase splitting.
#include "analysis/search.hpp"
#include "analysis/sweep.hpp"
#include "codec/sweep_grid.hpp"
#include "io/data_paths.hpp"
#include "units/errors.hpp"

#include <algorithm>
#include <fstream>
#include <gtest/gtest.h>
#include <string>

using namespace rooflab;

namespace {
SweepSpace smallSpace() {
    io::setBuiltinDataDir(ROOFLAB_SOURCE_DIR);
    SweepGridText g;
    g.platform = "h100-sxm5-80gb,h200-sxm-141gb";
    g.model = "llama-3.1-8b,mixtral-8x7b";
    g.phase = "decode,prefill,request";
    g.batch = "1:64:x4";
    g.context = "512,4096";
    g.tp = "1,2";
    g.weights = "bf16,fp8";
    return buildSweepSpace(g);
}
} // namespace

TEST(ParseIntList, ListsRangesAndMixes) {
    EXPECT_EQ(parseIntList("8", "k", 1, 100), (std::vector<int64_t>{8}));
    EXPECT_EQ(parseIntList("1:256:x2", "k", 1, 1000), (std::vector<int64_t>{1, 2, 4, 8, 16, 32, 64, 128, 256}));
    EXPECT_EQ(parseIntList("128:512:+128", "k", 1, 1000), (std::vector<int64_t>{128, 256, 384, 512}));
    EXPECT_EQ(parseIntList("128:512:128", "k", 1, 1000), (std::vector<int64_t>{128, 256, 384, 512}));
    EXPECT_EQ(parseIntList("3, 1,2:8:x2,8", "k", 1, 1000), (std::vector<int64_t>{1, 2, 3, 4, 8}));
    EXPECT_EQ(parseIntList("1:5", "k", 1, 1000), (std::vector<int64_t>{1, 2, 3, 4, 5}));
}

TEST(ParseIntList, ErrorsNameTheKey) {
    for (const char* bad : {"", "x", "1,,2", "8:1", "1:8:x1", "1:8:0", "0", "1:2000:x2", "1:a:x2"}) {
        try {
            parseIntList(bad, "--batch", 1, 1000, "grid.yaml", 7);
            FAIL() << "accepted '" << bad << "'";
        } catch (const InputError& e) {
            EXPECT_EQ(e.key(), "--batch") << bad;
            EXPECT_EQ(e.file(), "grid.yaml");
            EXPECT_EQ(e.line(), 7);
        }
    }
    EXPECT_THROW(parseIntList("1:1000000:+1", "k", 1, 1 << 30, "", 0, 1000), InputError);
}

TEST(Sweep, IndexDecodingCoversTheGrid) {
    const SweepSpace sp = smallSpace();
    ASSERT_EQ(sp.size(), 2u * 2 * 3 * 4 * 2 * 2 * 2);
    const SweepCoord first = decodeSweepIndex(sp, 0);
    EXPECT_EQ(first.platform, 0u);
    EXPECT_EQ(first.weights, 0u);
    const SweepCoord second = decodeSweepIndex(sp, 1);
    EXPECT_EQ(second.weights, 1u); // the last non-trivial axis varies fastest
    const SweepCoord last = decodeSweepIndex(sp, sp.size() - 1);
    EXPECT_EQ(last.platform, 1u);
    EXPECT_EQ(last.model, 1u);
    EXPECT_EQ(last.batch, sp.batch.size() - 1);
}

TEST(Sweep, ParallelOutputEqualsSerialAndIsOrdered) {
    const SweepSpace sp = smallSpace();
    for (SweepFormat f : {SweepFormat::Csv, SweepFormat::Jsonl}) {
        std::string serial;
        evaluateSweepChunk(sp, f, 0, sp.size(), serial);
        if (f == SweepFormat::Csv)
            serial = sweepCsvHeader() + serial;
        for (unsigned threads : {1u, 2u, 4u}) {
            for (uint64_t chunk : {uint64_t(1), uint64_t(7), uint64_t(1000)}) {
                std::string par;
                uint64_t lastDone = 0;
                SweepRunOptions o;
                o.format = f;
                o.threads = threads;
                o.chunkPoints = chunk;
                const SweepStats st = runSweep(
                    sp, o, [&](std::string_view t) { par.append(t); },
                    [&](uint64_t done, uint64_t total) {
                        EXPECT_GE(done, lastDone);
                        EXPECT_EQ(total, sp.size());
                        lastDone = done;
                    });
                EXPECT_EQ(par, serial) << "threads " << threads << " chunk " << chunk;
                // Points that differ only on an axis their phase ignores (context for prefill) are written once.
                EXPECT_EQ(st.points, sweepDistinctPoints(sp));
                EXPECT_EQ(uint64_t(std::count(par.begin(), par.end(), '\n')),
                          sweepDistinctPoints(sp) + (f == SweepFormat::Csv ? 1 : 0));
                EXPECT_EQ(lastDone, sp.size());
                EXPECT_GT(st.ok, 0u);
            }
        }
    }
}

TEST(Sweep, PointsMatchTheEngine) {
    const SweepSpace sp = smallSpace();
    for (uint64_t i = 0; i < sp.size(); i += 37) {
        const SweepCoord c = decodeSweepIndex(sp, i);
        const SweepResult r = evaluateSweepPoint(sp, c);
        const Scenario s = sweepScenario(sp, c);
        if (sp.phases[c.phase] == SweepPhase::Request) {
            const RequestPrediction q =
                predictRequest(sp.platforms[c.platform].value, sp.models[c.model].value, sp.stacks[c.stack].value, s);
            EXPECT_DOUBLE_EQ(r.latencyS, q.e2eS);
            EXPECT_DOUBLE_EQ(r.energyPerTokenJ, q.energyPerTokenJ);
            continue;
        }
        const Prediction p =
            predictStep(sp.platforms[c.platform].value, sp.models[c.model].value, sp.stacks[c.stack].value, s, false);
        ASSERT_EQ(r.ok, p.ok);
        EXPECT_DOUBLE_EQ(r.latencyS, p.latencyS);
        EXPECT_DOUBLE_EQ(r.energyJ, p.energyJ);
        EXPECT_EQ(r.fits, p.memory.fits);
        if (p.ok) {
            EXPECT_NEAR(r.energyPerTokenJ * p.tokens, p.energyJ, 1e-9 * p.energyJ);
        }
    }
}

TEST(Sweep, SinkErrorsStopTheSweep) {
    const SweepSpace sp = smallSpace();
    SweepRunOptions o;
    o.threads = 2;
    o.chunkPoints = 3;
    int calls = 0;
    EXPECT_THROW(runSweep(sp, o,
                          [&](std::string_view) {
                              if (++calls == 3)
                                  throw InputError("out.csv", 0, "--out", "disk full");
                          }),
                 InputError);
}

TEST(SweepGrid, FileErrorsNameFileLineAndKey) {
    io::setBuiltinDataDir(ROOFLAB_SOURCE_DIR);
    const std::string dir = std::string(ROOFLAB_SOURCE_DIR) + "/tests/report/fixtures/";
    const SweepGridText g = loadSweepGridFile(dir + "grid.yaml");
    EXPECT_EQ(g.batch, "1:64:x2");
    EXPECT_EQ(g.context, "1024,4096,16384,65536");
    EXPECT_EQ(buildSweepSpace(g).size(), 2u * 7 * 4 * 2 * 2);
    try {
        buildSweepSpace(loadSweepGridFile(dir + "grid-bad.yaml"));
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(e.file().find("grid-bad.yaml"), std::string::npos);
        EXPECT_EQ(e.line(), 3);
        EXPECT_EQ(e.key(), "batch");
    }
    EXPECT_THROW(loadSweepGridFile(dir + "grid-bad-key.yaml"), InputError);
    // Command-line axes override the file's and are named as options.
    SweepGridText over;
    over.batch = "0";
    SweepGridText merged = g;
    overlaySweepGrid(merged, over);
    try {
        buildSweepSpace(merged);
        FAIL();
    } catch (const InputError& e) {
        EXPECT_EQ(e.key(), "--batch");
        EXPECT_TRUE(e.file().empty());
    }
}

TEST(Search, ParetoFront) {
    const std::vector<std::pair<double, double>> xy = {{1, 1}, {2, 3}, {2, 2}, {3, 2}, {4, 5}, {0.5, 0.5}};
    EXPECT_EQ(paretoFront(xy), (std::vector<std::size_t>{5, 0, 1, 4}));
    EXPECT_TRUE(paretoFront({}).empty());
}

namespace {
SearchSpace searchSpace() {
    io::setBuiltinDataDir(ROOFLAB_SOURCE_DIR);
    const SweepSpace sp = buildSweepSpace([] {
        SweepGridText g;
        g.platform = "h100-sxm5-80gb,h200-sxm-141gb";
        g.model = "llama-3.1-70b";
        return g;
    }());
    SearchSpace s;
    s.platforms = sp.platforms;
    s.pricePerDeviceHour = {2.5, 3.5};
    s.model = sp.models.front().value;
    s.stack = sp.stacks.front().value;
    return s;
}
} // namespace

TEST(Search, BestMeetsTargetsAndIsMinimal) {
    const SearchSpace sp = searchSpace();
    const SloTargets slo{0.5, 0.05};
    const SearchResult r = searchConfigurations(sp, slo, SearchObjective::Devices, 2);
    ASSERT_TRUE(r.best);
    const SearchCandidate& b = r.candidates[*r.best];
    EXPECT_TRUE(b.meetsSlo);
    EXPECT_LE(b.ttftS, 0.5);
    EXPECT_LE(b.tpotS, 0.05);
    for (const auto& c : r.candidates) {
        if (c.meetsSlo) {
            EXPECT_GE(c.devices, b.devices);
        }
        if (c.ok && c.fits && c.tp == 1 && sp.platforms[c.platform].name == "h100-sxm5-80gb")
            ADD_FAILURE() << "70B bf16 fits on one 80 GB device?";
    }
    // The front is sorted by TPOT with strictly increasing throughput per device.
    ASSERT_FALSE(r.pareto.empty());
    for (std::size_t i = 1; i < r.pareto.size(); ++i) {
        EXPECT_GE(r.candidates[r.pareto[i]].tpotS, r.candidates[r.pareto[i - 1]].tpotS);
        EXPECT_GT(r.candidates[r.pareto[i]].tokensPerSPerDevice, r.candidates[r.pareto[i - 1]].tokensPerSPerDevice);
    }
    const SearchResult rc = searchConfigurations(sp, slo, SearchObjective::Cost, 1);
    ASSERT_TRUE(rc.best);
    for (const auto& c : rc.candidates)
        if (c.meetsSlo) {
            EXPECT_GE(c.costPerHour, rc.candidates[*rc.best].costPerHour);
        }
    // Impossible targets: no winner, but the front is still there.
    const SearchResult none = searchConfigurations(sp, SloTargets{1e-6, 1e-6}, SearchObjective::Devices, 2);
    EXPECT_FALSE(none.best);
    EXPECT_FALSE(none.pareto.empty());
}

TEST(Search, ThroughputTargetSizesReplicas) {
    SearchSpace sp = searchSpace();
    sp.rateTokensPerS = 10000;
    const SearchResult r = searchConfigurations(sp, SloTargets{}, SearchObjective::Devices, 2);
    for (const auto& c : r.candidates)
        if (c.ok && c.fits) {
            EXPECT_GE(c.replicaTokensPerS * c.dp, 10000 * (1 - 1e-9));
            EXPECT_EQ(c.devices, c.tp * c.pp * c.dp);
        }
}

TEST(Search, RequirementsMeetTheTargetsAtTheRequiredValue) {
    const SearchSpace sp = searchSpace();
    const PlatformModel& pm = sp.platforms.front().value;
    Scenario s;
    s.batch = 16;
    s.prompt = 1024;
    s.context = 1024;
    s.outputTokens = 256;
    s.tp = 4;
    const SloTargets slo{1.0, 0.02};
    const auto req = platformRequirements(pm, sp.model, sp.stack, s, slo);
    ASSERT_EQ(req.size(), 4u);
    for (const auto& q : req) {
        if (q.resource == Resource::MemoryCapacity) {
            EXPECT_GT(q.requiredValue, 0);
            EXPECT_LT(q.requiredValue, pm.capacityBytes[kDram]);
            continue;
        }
        if (q.resource == Resource::Compute) {
            ASSERT_TRUE(q.ttftReachable);
            // At the required value TTFT is met; 2% less and it is not.
            const auto at = predictRequest(scaleResource(pm, q.resource, q.ttftFactor), sp.model, sp.stack, s);
            EXPECT_LE(at.ttftS, slo.ttftMaxS);
            const auto below =
                predictRequest(scaleResource(pm, q.resource, q.ttftFactor * 0.98), sp.model, sp.stack, s);
            EXPECT_GT(below.ttftS, slo.ttftMaxS);
        }
        if (q.resource == Resource::MemoryBandwidth) {
            ASSERT_TRUE(q.tpotReachable);
            const auto at = predictRequest(scaleResource(pm, q.resource, q.tpotFactor), sp.model, sp.stack, s);
            EXPECT_LE(at.tpotS, slo.tpotMaxS);
        }
    }
    Scenario bad = s;
    bad.tp = 3;
    EXPECT_THROW(platformRequirements(pm, sp.model, sp.stack, bad, slo), InputError);
}

TEST(Search, SplitAddsTheKvTransferAndSizesTheCluster) {
    const SearchSpace sp = searchSpace();
    SplitInputs in;
    in.model = sp.model;
    in.stack = sp.stack;
    in.prefill = {"h100-sxm5-80gb", sp.platforms[0].value, 4, 1, 2.5};
    in.decode = {"h200-sxm-141gb", sp.platforms[1].value, 4, 64, 3.5};
    in.prompt = 2048;
    in.output = 256;
    in.requestsPerS = 4;
    const auto d = evaluateSplit(in);
    ASSERT_EQ(d.size(), 3u);
    const SplitDeployment& split = d[0];
    ASSERT_TRUE(split.ok) << split.why;
    EXPECT_DOUBLE_EQ(split.kvBytesPerRequest, in.model.kvElementsPerToken() * 2.0 * 2048);
    EXPECT_GT(split.transferS, 0);
    EXPECT_DOUBLE_EQ(split.ttftS, split.prefillS + split.transferS);
    EXPECT_GE(split.requestsPerSCapacity, in.requestsPerS);
    EXPECT_EQ(split.devices, 4 * (split.prefillInstances + split.decodeInstances));
    EXPECT_NEAR(split.costPerHour, 4 * (2.5 * split.prefillInstances + 3.5 * split.decodeInstances), 1e-9);
    EXPECT_GT(split.powerW, 0);
    EXPECT_NEAR(split.tokensPerS, 4.0 * 256, 1e-9);
    // A faster link only shortens the transfer.
    in.linkBytesPerS = 1e12;
    const auto fast = evaluateSplit(in);
    EXPECT_LT(fast[0].transferS, split.transferS);
    EXPECT_DOUBLE_EQ(fast[0].prefillS, split.prefillS);
    for (std::size_t i = 1; i < d.size(); ++i)
        EXPECT_TRUE(d[i].ok) << d[i].label << ": " << d[i].why;
}
