#include "analysis/platform_model.hpp"
#include "io/data_paths.hpp"
#include "io/platform_loader.hpp"
#include "io/platform_schema.hpp"
#include "units/errors.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <regex>
#include <set>
#include <sstream>

using namespace rooflab;

namespace {

const std::string kMinimal = R"(version: 1
name: tiny-gpu
vendor: Test
kind: gpu
sources:
  ds: {kind: datasheet, citation: "test sheet"}
devices_per_node: "1 @ds"
compute:
  - name: tc
    kind: tensor
    units: "10 @ds"
    clock: "1 GHz @ds"
    peak:
      bf16: "100 TFLOP/s @ds"
memory:
  - name: L2
    kind: l2
    capacity: "8 MiB @ds"
    read: "4 TB/s @ds"
  - name: HBM
    kind: dram
    capacity: "16 GB @ds"
    read: "1 TB/s @ds"
launch_overhead: "4 us @ds"
power:
  tdp: "300 W @ds"
)";

std::string replaceOnce(std::string s, const std::string& from, const std::string& to) {
    const auto pos = s.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    if (pos != std::string::npos)
        s.replace(pos, from.size(), to);
    return s;
}

struct Broken {
    const char* what;
    std::string text;
    int line;        // expected line, 0 = any
    const char* key; // expected key substring, "" = none
};

} // namespace

TEST(Platform, MinimalLoads) {
    const Platform p = io::loadPlatformString(kMinimal, "tiny.yaml");
    EXPECT_EQ(p.name, "tiny-gpu");
    EXPECT_DOUBLE_EQ(p.peakFlopPerS(DType::bf16), 100e12);
    EXPECT_EQ(p.peakFlopPerS(DType::fp8_e4m3), 0.0);
    EXPECT_EQ(p.dram().readBytesPerS.source, "ds");
    EXPECT_EQ(p.dram().readBytesPerS.line, 23);
}

TEST(Platform, PerDatatypeSplitKGranularityReachesTheModel) {
    const std::string text = kMinimal + "efficiency:\n  gemm_min_k_per_split: \"256 @ds\"\n"
                                        "  gemm_min_k_per_split_by_dtype:\n    bf16: \"64 @ds\"\n";
    const Platform p = io::loadPlatformString(text, "tiny.yaml");
    const PlatformModel m = PlatformModel::from(p);
    EXPECT_DOUBLE_EQ(m.minKPerSplitByType[static_cast<std::size_t>(DType::bf16)], 64);
    // Datatypes the map leaves out take gemm_min_k_per_split.
    EXPECT_DOUBLE_EQ(m.minKPerSplitByType[static_cast<std::size_t>(DType::fp8_e4m3)], 256);
    // Written back as a map, and read back the same.
    const std::string yaml = io::platformToYaml(p);
    EXPECT_NE(yaml.find("gemm_min_k_per_split_by_dtype:\n    bf16: "), std::string::npos);
    EXPECT_DOUBLE_EQ(PlatformModel::from(io::loadPlatformString(yaml, "back.yaml"))
                         .minKPerSplitByType[static_cast<std::size_t>(DType::bf16)],
                     64);
    // A misspelt datatype in the map is named with its file line.
    try {
        io::loadPlatformString(replaceOnce(text, "    bf16: \"64", "    bf61: \"64"), "tiny.yaml");
        FAIL() << "bf61 accepted";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("bf61"), std::string::npos) << e.what();
        const auto at = text.rfind("    bf16: ");
        EXPECT_EQ(e.line(), 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
    }
}

TEST(Platform, BrokenInputsNameFileLineAndKey) {
    const std::vector<Broken> cases = {
        {"yaml syntax", replaceOnce(kMinimal, "kind: gpu", "kind: [gpu"), 0, ""},
        {"wrong type", replaceOnce(kMinimal, "units: \"10 @ds\"", "units: [10]"), 11, "compute[0].units"},
        {"negative", replaceOnce(kMinimal, "read: \"1 TB/s @ds\"", "read: \"-1 TB/s @ds\""), 23, "memory[1].read"},
        {"nan", replaceOnce(kMinimal, "tdp: \"300 W @ds\"", "tdp: \"nan W @ds\""), 26, "power.tdp"},
        {"unknown key", replaceOnce(kMinimal, "vendor: Test", "vendor: Test\nvendr: x"), 4, "vendr"},
        {"missing section", replaceOnce(kMinimal, "power:\n  tdp: \"300 W @ds\"\n", ""), 0, "power"},
        {"huge number", replaceOnce(kMinimal, "capacity: \"16 GB @ds\"", "capacity: \"1e300 GB @ds\""), 22, "capacity"},
        {"wrong version", replaceOnce(kMinimal, "version: 1", "version: 7"), 1, "version"},
        {"wrong unit", replaceOnce(kMinimal, "read: \"4 TB/s @ds\"", "read: \"4 TB @ds\""), 19, "memory[0].read"},
        {"no provenance", replaceOnce(kMinimal, "clock: \"1 GHz @ds\"", "clock: \"1 GHz\""), 12, "compute[0].clock"},
        {"unknown source", replaceOnce(kMinimal, "bf16: \"100 TFLOP/s @ds\"", "bf16: \"100 TFLOP/s @dz\""), 14,
         "peak.bf16"},
        {"bad kind", replaceOnce(kMinimal, "kind: gpu", "kind: gpuu"), 4, "kind"},
        {"levels out of order",
         replaceOnce(replaceOnce(kMinimal, "kind: l2", "kind: dram"), "kind: dram\n    capacity: \"16 GB",
                     "kind: l2\n    capacity: \"16 GB"),
         0, "kind"},
        {"unknown dtype", replaceOnce(kMinimal, "bf16: \"100", "bf17: \"100"), 14, "bf17"},
        {"empty", "", 0, ""},
        {"binary",
         std::string("\x7f"
                     "ELF\x02\x01\x01\0\0\0",
                     10),
         0, ""},
        {"not a mapping", "- 1\n- 2\n", 1, ""},
        {"idle above tdp", replaceOnce(kMinimal, "tdp: \"300 W @ds\"", "tdp: \"300 W @ds\"\n  idle: \"400 W @ds\""), 0,
         "idle"},
    };
    for (const auto& c : cases) {
        try {
            io::loadPlatformString(c.text, "broken.yaml");
            ADD_FAILURE() << c.what << ": no error";
        } catch (const InputError& e) {
            EXPECT_EQ(e.file(), "broken.yaml") << c.what;
            if (c.line > 0) {
                EXPECT_EQ(e.line(), c.line) << c.what << ": " << e.what();
            }
            EXPECT_NE(e.key().find(c.key), std::string::npos) << c.what << ": " << e.what();
            EXPECT_FALSE(e.message().empty());
        }
    }
}

TEST(Platform, UnknownKeySuggestsTheKnownOne) {
    try {
        io::loadPlatformString(replaceOnce(kMinimal, "launch_overhead:", "launch_overhed:"), "x.yaml");
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("did you mean 'launch_overhead'"), std::string::npos) << e.what();
    }
}

TEST(Platform, CyclesConvertWithTheClock) {
    const Platform p = io::loadPlatformString(
        replaceOnce(kMinimal, "read: \"1 TB/s @ds\"", "read: \"1 TB/s @ds\"\n    latency: \"500 cycles @ds\""),
        "t.yaml");
    EXPECT_NEAR(p.dram().latencyS.si, 500e-9, 1e-15);
}

TEST(Platform, EveryShippedPlatformLoadsAndRoundTrips) {
    const auto names = io::listPlatformNames();
    ASSERT_GE(names.size(), 9u);
    for (const auto& n : names) {
        SCOPED_TRACE(n);
        const Platform p = io::loadPlatformFile(io::findPlatformFile(n));
        EXPECT_EQ(p.name, n) << "platform name must equal the file stem";
        EXPECT_FALSE(p.sources.empty());
        const PlatformModel pm = PlatformModel::from(p);
        EXPECT_GT(pm.bandwidth[kDram], 0);
        EXPECT_GT(pm.capacityBytes[kDram], 0);
        // Every value names a source that exists.
        for (const auto& e : p.compute) {
            for (const auto& v : e.peakFlopPerS) {
                if (v.present) {
                    EXPECT_TRUE(p.sources.count(v.source)) << v.source;
                }
            }
        }
        const Platform again = io::loadPlatformString(io::platformToYaml(p), n + " (round trip)");
        EXPECT_EQ(again.name, p.name);
        EXPECT_NEAR(again.peakFlopPerS(DType::bf16), p.peakFlopPerS(DType::bf16),
                    1e-6 * p.peakFlopPerS(DType::bf16) + 1);
        EXPECT_NEAR(again.dram().readBytesPerS.si, p.dram().readBytesPerS.si, 1e-5 * p.dram().readBytesPerS.si);
        EXPECT_EQ(again.sources.size(), p.sources.size());
    }
}

TEST(Platform, SaveIsAtomicAndNeverClobbersOnFailure) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / "rooflab-save-test";
    fs::remove_all(dir);
    fs::create_directories(dir);
    const Platform p = io::loadPlatformString(kMinimal, "tiny.yaml");
    const std::string path = (dir / "tiny.yaml").string();
    io::savePlatformFile(p, path);
    const Platform back = io::loadPlatformFile(path);
    EXPECT_EQ(back.name, "tiny-gpu");
    // A platform that cannot be written back faithfully (dangling source) must not replace the file.
    Platform bad = p;
    bad.compute[0].units.source = "missing-source";
    {
        std::ifstream in(path);
        std::stringstream before;
        before << in.rdbuf();
        EXPECT_THROW(io::savePlatformFile(bad, path), InputError);
        std::ifstream in2(path);
        std::stringstream after;
        after << in2.rdbuf();
        EXPECT_EQ(before.str(), after.str());
    }
    EXPECT_THROW(io::savePlatformFile(p, (dir / "no" / "such" / "dir.yaml").string()), InputError);
    fs::remove_all(dir);
}

TEST(Platform, ExtendsMergesOverTheBase) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / "rooflab-extends-test";
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "tiny-gpu.yaml") << kMinimal;
    std::ofstream(dir / "tiny-node.yaml") << "extends: tiny-gpu\nname: tiny-node\ndevices_per_node: \"8 @ds\"\n";
    const Platform n = io::loadPlatformFile((dir / "tiny-node.yaml").string());
    EXPECT_EQ(n.name, "tiny-node");
    EXPECT_EQ(n.extends, "tiny-gpu");
    EXPECT_DOUBLE_EQ(n.devicesPerNode.si, 8);
    EXPECT_DOUBLE_EQ(n.peakFlopPerS(DType::bf16), 100e12);
    std::ofstream(dir / "loop-a.yaml") << "extends: loop-b\n";
    std::ofstream(dir / "loop-b.yaml") << "extends: loop-a\n";
    EXPECT_THROW(io::loadPlatformFile((dir / "loop-a.yaml").string()), InputError);
    fs::remove_all(dir);
}

// ---- The efficiency parameter table (hardware/efficiency_params.hpp) ----

TEST(EfficiencyTable, KeysAreUniqueAndDefaultsWellFormed) {
    std::set<std::string> keys;
    for (const EfficiencyParam& k : efficiencyParams()) {
        SCOPED_TRACE(k.key);
        EXPECT_TRUE(keys.insert(k.key).second) << "key declared twice";
        EXPECT_EQ(&efficiencyParam(k.id), &k);
        EXPECT_EQ(findEfficiencyParam(k.key), &k);
        EXPECT_LE(k.min, k.max);
        EXPECT_NE(std::string(k.doc), "");
        EXPECT_NE(std::string(k.why), "");
        const std::vector<std::string> schema = io::platformSchemaKeys();
        EXPECT_NE(std::find(schema.begin(), schema.end(), "efficiency." + std::string(k.key)), schema.end());
        switch (k.dflt.kind) {
        case ParamDefault::Kind::Constant:
            // A constant default is a value the file could hold.
            for (DeviceKind kind : {DeviceKind::Gpu, DeviceKind::Cpu})
                for (std::size_t i = 0; i < (k.shape == ParamShape::Scalar ? 1 : kDTypeCount); ++i) {
                    EXPECT_GE(k.constantDefault(kind, i), k.min);
                    EXPECT_LE(k.constantDefault(kind, i), k.max);
                }
            break;
        case ParamDefault::Kind::Unset:
            EXPECT_NE(k.dflt.text, nullptr) << "say what 'absent' means";
            break;
        case ParamDefault::Kind::SameAs: {
            // Names another key, and following the chain ends (no cycle).
            const EfficiencyParam* p = &k;
            for (int depth = 0; p && p->dflt.kind == ParamDefault::Kind::SameAs; ++depth) {
                ASSERT_LT(depth, static_cast<int>(kEfficiencyParamCount)) << "SameAs cycle";
                p = findEfficiencyParam(p->dflt.sameAs);
                ASSERT_NE(p, nullptr) << "SameAs names an unknown key";
                EXPECT_NE(p, &k);
                EXPECT_EQ(p->dimension, k.dimension);
            }
            break;
        }
        case ParamDefault::Kind::Derived:
            EXPECT_NE(k.dflt.derive, nullptr);
            EXPECT_NE(k.dflt.text, nullptr) << "state the rule for SCHEMA.md";
            break;
        }
    }
}

TEST(EfficiencyTable, SchemaMdSectionIsGenerated) {
    const std::string path = std::string(ROOFLAB_SOURCE_DIR) + "/platforms/SCHEMA.md";
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << path;
    std::ostringstream text;
    text << in.rdbuf();
    const std::string checkedIn = io::generatedEfficiencySection(text.str(), path);
    const std::string generated = io::efficiencySchemaTable();
    EXPECT_EQ(checkedIn, generated)
        << "platforms/SCHEMA.md's efficiency table differs from the parameter table "
           "(model/hardware/efficiency_params.hpp). Regenerate it from the source folder with:\n"
           "    build/ci/app/cli/rooflab platforms schema --write platforms/SCHEMA.md";
    // The rewrite is idempotent and leaves the rest of the document alone.
    EXPECT_EQ(io::withGeneratedEfficiencySection(text.str(), path),
              io::withGeneratedEfficiencySection(io::withGeneratedEfficiencySection(text.str(), path), path));
    EXPECT_THROW(io::generatedEfficiencySection("no markers here", "x.md"), InputError);
}

TEST(EfficiencyTable, EveryKeyReadsWritesAndListsThroughTheTable) {
    // Every key of the table at a value inside its range (scalars; per-datatype maps with one datatype): the reader,
    // the writer and the listing see them all without per-key code.
    std::string eff = "efficiency:\n";
    std::size_t expected = 0;
    for (const EfficiencyParam& k : efficiencyParams()) {
        const double si = k.min + 0.25 * (std::min(k.max, k.min + 1.0) - k.min);
        const std::string text =
            k.dimension == Dimension::Seconds ? std::to_string(si * 1e9) + " ns" : std::to_string(si);
        if (k.shape == ParamShape::Scalar)
            eff += "  " + std::string(k.key) + ": \"" + text + " @ds\"\n";
        else
            eff += "  " + std::string(k.key) + ":\n    fp16: \"" + text + " @ds\"\n";
        ++expected;
    }
    const Platform p = io::loadPlatformString(kMinimal + eff, "all-keys.yaml");
    const std::vector<io::EfficiencyEntry> entries = io::efficiencyEntries(p.efficiency);
    EXPECT_EQ(entries.size(), expected);
    const Platform again = io::loadPlatformString(io::platformToYaml(p), "all-keys (round trip)");
    EXPECT_EQ(io::platformToYaml(again), io::platformToYaml(p));
    for (const EfficiencyParam& k : efficiencyParams()) {
        SCOPED_TRACE(k.key);
        const std::size_t slot = k.shape == ParamShape::Scalar ? 0 : static_cast<std::size_t>(DType::fp16);
        const Value& v = k.values(again.efficiency)[slot];
        ASSERT_TRUE(v.present);
        EXPECT_EQ(v.source, "ds");
        EXPECT_GT(v.line, 0);
        EXPECT_NEAR(v.si, k.values(p.efficiency)[slot].si, 1e-6 * std::fabs(v.si) + 1e-15);
        // The file's value wins over the default.
        EXPECT_EQ(k.resolved(resolveEfficiency(again))[slot], v.si);
    }
    // Out of range: the message names file, line, key and the limits.
    try {
        (void)io::loadPlatformString(kMinimal + "efficiency:\n  norm_row_element_time: \"2 us @ds\"\n", "range.yaml");
        FAIL() << "expected an InputError";
    } catch (const InputError& e) {
        EXPECT_EQ(e.file(), "range.yaml");
        EXPECT_GT(e.line(), 0);
        EXPECT_EQ(e.key(), "efficiency.norm_row_element_time");
        EXPECT_NE(e.message().find("out of range"), std::string::npos) << e.message();
    }
}

TEST(EfficiencyTable, DefaultsResolveFromTheTable) {
    Platform p = io::loadPlatformString(kMinimal + "efficiency:\n  dram_fraction: \"0.7 @ds\"\n  kernel_overhead: "
                                                   "\"3 us @ds\"\n",
                                        "defaults.yaml");
    const EfficiencyValues r = resolveEfficiency(p);
    EXPECT_DOUBLE_EQ(r.dramFraction, 0.7);
    EXPECT_DOUBLE_EQ(r.gemmDramFraction, 0.7);           // SameAs dram_fraction
    EXPECT_DOUBLE_EQ(r.attentionSplitDramFraction, 0.7); // SameAs attention_dram_fraction, SameAs dram_fraction
    EXPECT_DOUBLE_EQ(r.elementwiseOverheadS, 3e-6);      // SameAs kernel_overhead
    EXPECT_DOUBLE_EQ(r.graphLaunchS, 1e-6);              // 0.25 x launch_overhead (4 us)
    EXPECT_DOUBLE_EQ(r.collectiveStepLatencyS, 1e-6);    // no scale_up: max(0, 1 us)
    EXPECT_DOUBLE_EQ(r.gemmTileN, 256);
    EXPECT_DOUBLE_EQ(r.gemmPeakFraction[static_cast<std::size_t>(DType::fp8_e4m3)], 0.70);
    EXPECT_DOUBLE_EQ(r.gemmPeakFraction[static_cast<std::size_t>(DType::fp32)], 0.85);
    EXPECT_DOUBLE_EQ(r.gemmMinKPerSplitByDType[static_cast<std::size_t>(DType::bf16)], 512); // SameAs a scalar
    EXPECT_DOUBLE_EQ(r.simtGemmDramFraction, 0.0);                                           // unset: not modelled
    p.kind = DeviceKind::Cpu;
    const EfficiencyValues c = resolveEfficiency(p);
    EXPECT_DOUBLE_EQ(c.gemmTileN, 64);
    EXPECT_DOUBLE_EQ(c.gemmPeakFraction[static_cast<std::size_t>(DType::fp32)], 0.70);
    // PlatformModel takes them as they resolve.
    const PlatformModel pm = PlatformModel::from(p);
    EXPECT_DOUBLE_EQ(pm.efficiency.dramFraction, 0.7);
    EXPECT_DOUBLE_EQ(pm.gemmDramBytesPerS, 0.7e12);
    EXPECT_DOUBLE_EQ(pm.elementwiseOverheadS, 3e-6);
    // A hand-built model starts from the table's GPU constants.
    const EfficiencyValues fresh;
    EXPECT_DOUBLE_EQ(fresh.dramFraction, 0.90);
    EXPECT_DOUBLE_EQ(fresh.gemmPeakFraction[static_cast<std::size_t>(DType::bf16)], 0.80);
}
