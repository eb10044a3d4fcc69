// The report library on its own (no Qt): log-axis ticks of the SVG renderer, deterministic SVG, atomic report
// folders (a cancelled or failed run leaves nothing), and the whole scenario in the outputs.
#include "io/data_paths.hpp"
#include "report/format.hpp"
#include "report/plot_spec.hpp"
#include "report/report.hpp"
#include "units/errors.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <set>
#include <sstream>

using namespace rooflab;
using namespace rooflab::report;
namespace fs = std::filesystem;

namespace {

std::string readText(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::ostringstream os;
    os << f.rdbuf();
    return os.str();
}

fs::path freshDir(const std::string& name) {
    const fs::path d = fs::temp_directory_path() / ("rooflab-report-lib-" + name);
    fs::remove_all(d);
    return d;
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size()))
        ++n;
    return n;
}

/// Report data of a small model, computed once (the predictions are the expensive part).
const ReportData& smallReport() {
    static const ReportData d = [] {
        ReportInput in;
        in.model = "llama-3.2-1b";
        in.batch = 4;
        in.prompt = 512;
        return computeReport(in);
    }();
    return d;
}

} // namespace

TEST(LogTicks, ShortRangesLabelOneTwoFiveAndNeverRepeat) {
    const auto ticks = logTicks(0.8, 60);
    std::set<std::string> labels;
    std::vector<double> labelled;
    for (const auto& t : ticks)
        if (!t.label.empty()) {
            EXPECT_TRUE(labels.insert(t.label).second) << "repeated label " << t.label;
            labelled.push_back(t.value);
        }
    EXPECT_EQ(labelled, (std::vector<double>{1, 2, 5, 10, 20, 50}));
    EXPECT_TRUE(labels.count("1") && labels.count("50"));
    // Unlabelled sub-ticks at 3, 4, 6 ... within the range.
    EXPECT_GT(ticks.size(), labelled.size());
}

TEST(LogTicks, LongRangesLabelDecadesOnlyAndThinThemOut) {
    std::set<std::string> labels;
    for (const auto& t : logTicks(1e-3, 1e4)) {
        if (!t.label.empty()) {
            EXPECT_TRUE(labels.insert(t.label).second) << t.label;
        }
    }
    EXPECT_EQ(labels, (std::set<std::string>{"0.001", "0.01", "0.1", "1", "10", "100", "1000", "10000"}));
    std::size_t n = 0;
    for (const auto& t : logTicks(1e-12, 1e12))
        n += !t.label.empty();
    EXPECT_LE(n, 13u) << "24 decades: every other one labelled";
    // Very small and large values read as 1e-9, 2e+07 style without repeats.
    for (const auto& t : logTicks(1e-9, 3e-9)) {
        if (!t.label.empty()) {
            EXPECT_NE(t.label.find('e'), std::string::npos) << t.label;
        }
    }
}

TEST(LogTicks, UnderOneDecadeStillHasSeveralLabels) {
    std::size_t n = 0;
    for (const auto& t : logTicks(300, 900))
        n += !t.label.empty();
    EXPECT_GE(n, 3u);
}

TEST(LinearTicks, NiceStepsWithEnoughDigits) {
    std::vector<std::string> labels;
    for (const auto& t : linearTicks(0, 0.25))
        labels.push_back(t.label);
    EXPECT_EQ(labels, (std::vector<std::string>{"0.00", "0.05", "0.10", "0.15", "0.20", "0.25"}));
}

TEST(SvgRenderer, DrawsEveryPlotDeterministically) {
    const auto specs = reportPlots(smallReport());
    ASSERT_EQ(specs.size(), 6u);
    SvgPlotRenderer svg;
    for (const auto& s : specs) {
        const std::string a = svg.render(s, PlotFormat::Svg);
        EXPECT_EQ(a, svg.render(s, PlotFormat::Svg)) << s.name;
        EXPECT_EQ(a.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u) << s.name;
        EXPECT_NE(a.find("</svg>"), std::string::npos);
        EXPECT_EQ(a.find("nan"), std::string::npos) << s.name << ": NaN coordinates";
        EXPECT_EQ(a.find("inf"), std::string::npos) << s.name << ": infinite coordinates";
    }
    EXPECT_THROW(svg.render(specs.front(), PlotFormat::Png), std::runtime_error);
}

TEST(WriteReport, WritesTheFolderWithInlineSvg) {
    const fs::path dir = freshDir("svg");
    SvgPlotRenderer svg;
    RunOptions run;
    run.renderer = &svg;
    const ReportResult r = runReport(smallReport(), dir.string(), run);
    EXPECT_TRUE(r.plotsNote.empty());
    EXPECT_FALSE(r.pdf);
    for (const char* f : {"report.md", "report.html", "prediction.json", "batch_sweep.csv", "context_sweep.csv",
                          "prefill_operators.csv", "decode_operators.csv", "plots/roofline.svg"})
        EXPECT_TRUE(fs::is_regular_file(dir / f)) << f;
    const std::string html = readText(dir / "report.html");
    EXPECT_EQ(count(html, "<figure>\n<svg xmlns="), 6u);
    for (const auto& e : fs::directory_iterator(dir.parent_path())) {
        EXPECT_EQ(e.path().filename().string().find(".rooflab-report-lib-svg.staging"), std::string::npos);
    }
    fs::remove_all(dir);
}

// Confidence next to the numbers (io/validation_status.hpp): the H100 with the default stack is validated; every
// output of the report says so, and the latency sweeps carry the +-MAPE band.
TEST(WriteReport, CarriesTheConfidenceInEveryOutput) {
    const ReportData& d = smallReport();
    ASSERT_EQ(d.confidence.level, ConfidenceLevel::Validated);
    ASSERT_TRUE(d.confidence.mapeKnown());
    const fs::path dir = freshDir("confidence");
    RunOptions run;
    runReport(d, dir.string(), run);
    const std::string md = readText(dir / "report.md"), html = readText(dir / "report.html");
    const std::string json = readText(dir / "prediction.json"), csv = readText(dir / "confidence.csv");
    EXPECT_NE(md.find("**Confidence: validated — "), std::string::npos);
    EXPECT_NE(html.find("<p class=\"confidence validated\"><b>Confidence:</b> validated — "), std::string::npos);
    EXPECT_NE(json.find("\"confidence\": \"validated\""), std::string::npos);
    EXPECT_NE(json.find("\"confidence_mape_percent\": "), std::string::npos);
    EXPECT_NE(json.find("\"confidence_basis\": \"validated — "), std::string::npos);
    EXPECT_EQ(csv.rfind("prediction,confidence,confidence_mape_percent,confidence_basis\nstep,validated,", 0), 0u)
        << csv;
    EXPECT_NE(consoleSummary(d).find("  confidence: validated — "), std::string::npos);
    const auto specs = reportPlots(d);
    const auto sweep =
        std::find_if(specs.begin(), specs.end(), [](const auto& s) { return s.name == "latency_vs_batch"; });
    ASSERT_NE(sweep, specs.end());
    EXPECT_NE(sweep->series.front().name.find("% (MAPE)"), std::string::npos) << sweep->series.front().name;
    const PlotDocument doc = reportDocument(d, specs, {});
    EXPECT_TRUE(std::any_of(doc.lines.begin(), doc.lines.end(),
                            [](const std::string& l) { return l.rfind("Confidence: validated", 0) == 0; }));
    // A datasheet-only platform says so, with no MAPE and no band.
    ReportInput in;
    in.platform = "rtx-4070";
    in.model = "llama-3.2-1b";
    in.batch = 1;
    in.prompt = 128;
    const ReportData g = computeReport(in);
    EXPECT_EQ(g.confidence.level, ConfidenceLevel::DatasheetOnly);
    EXPECT_NE(consoleSummary(g).find("  confidence: datasheet only — "), std::string::npos);
    for (const auto& s : reportPlots(g))
        for (const auto& series : s.series)
            EXPECT_EQ(series.name.find("MAPE"), std::string::npos) << s.name;
    fs::remove_all(dir);
}

TEST(WriteReport, ACancelledRunLeavesNoFolder) {
    const fs::path dir = freshDir("cancel") / "nested" / "out";
    // Stop at the last moment: every file is written to the staging folder, none moved into place.
    const ReportProgress stopBeforeCommit = [](int, int, const std::string& stage) {
        return stage != "moving the report into place";
    };
    EXPECT_THROW(writeReport(smallReport(), {}, dir.string(), stopBeforeCommit), ReportCancelled);
    EXPECT_FALSE(fs::exists(dir));
    EXPECT_FALSE(fs::exists(dir.parent_path().parent_path())) << "created parent folders are removed too";
}

TEST(WriteReport, ACancelledRunLeavesAnExistingFolderAsItWas) {
    const fs::path dir = freshDir("existing");
    fs::create_directories(dir);
    std::ofstream(dir / "report.md") << "old";
    const ReportProgress stopMidway = [](int done, int, const std::string&) { return done < 3; };
    EXPECT_THROW(writeReport(smallReport(), {}, dir.string(), stopMidway), ReportCancelled);
    EXPECT_EQ(readText(dir / "report.md"), "old");
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir))
        ++entries;
    EXPECT_EQ(entries, 1u) << "no staging folder or new file left behind";
    // A later successful run replaces the files.
    writeReport(smallReport(), {}, dir.string());
    EXPECT_NE(readText(dir / "report.md"), "old");
    fs::remove_all(dir);
}

TEST(WriteReport, AFileInTheWayIsInputError) {
    const fs::path dir = freshDir("file");
    std::ofstream(dir) << "x";
    EXPECT_THROW(writeReport(smallReport(), {}, dir.string()), InputError);
    fs::remove(dir);
}

TEST(ComputeReport, CarriesTheWholeScenario) {
    ReportInput in;
    in.model = "mixtral-8x7b";
    in.tp = 2;
    in.pp = 2;
    in.ep = 2;
    in.act = "fp16";
    in.phase = "chunked";
    in.chunk = 256;
    const ReportData d = computeReport(in);
    EXPECT_EQ(d.scenario.pp, 2);
    EXPECT_EQ(d.scenario.ep, 2);
    EXPECT_EQ(d.scenario.act, DType::fp16);
    ASSERT_TRUE(d.chunked.has_value());
    const fs::path dir = freshDir("scenario");
    writeReport(d, {}, dir.string());
    const std::string json = readText(dir / "prediction.json");
    for (const char* key :
         {"\"pp\": 2", "\"ep\": 2", "\"act\": \"fp16\"", "\"phase\": \"chunked\"", "\"chunk\": 256", "\"chunked\": {"})
        EXPECT_NE(json.find(key), std::string::npos) << key;
    EXPECT_NE(readText(dir / "report.md").find("TP 2, PP 2, EP 2, activations fp16, phase chunked"), std::string::npos);
    fs::remove_all(dir);
}

TEST(ComputeReport, BrokenInputIsInputError) {
    ReportInput in;
    in.phase = "prefil";
    EXPECT_THROW(computeReport(in), InputError);
    in = ReportInput{};
    in.act = "bf17";
    EXPECT_THROW(computeReport(in), InputError);
    in = ReportInput{};
    in.pp = 0;
    EXPECT_THROW(computeReport(in), InputError);
}

TEST(ComputeReport, ProgressCanCancel) {
    ReportInput in;
    in.model = "llama-3.2-1b";
    int calls = 0;
    EXPECT_THROW(computeReport(in, [&](int, int, const std::string&) { return ++calls < 2; }), ReportCancelled);
    EXPECT_EQ(calls, 2);
}

// The PDF document carries the tables, not only plots (issue 19): operators of each step and the platform with the
// provenance of every value.
TEST(ReportDocument, CarriesOperatorAndProvenanceTables) {
    const ReportData& d = smallReport();
    const PlotDocument doc = reportDocument(d, {}, {});
    std::vector<std::string> titles;
    for (const auto& t : doc.tables) {
        titles.push_back(t.title);
        EXPECT_FALSE(t.rows.empty()) << t.title;
        for (const auto& r : t.rows)
            EXPECT_EQ(r.size(), t.header.size()) << t.title;
    }
    ASSERT_GE(titles.size(), 4u);
    EXPECT_EQ(titles[0], "Prefill operators (per device)");
    EXPECT_EQ(titles[1], "Decode operators (per device)");
    EXPECT_NE(std::find(titles.begin(), titles.end(), "Platform provenance"), titles.end());
    EXPECT_EQ(doc.tables[0].rows.size(), d.request.prefill.ops.size());
}

// Machine CSVs: numbers in SI base units, units in the column names, no "16.38 KB".
TEST(OperatorCsv, NumericInSiBaseUnits) {
    const ReportData& d = smallReport();
    const auto header = opCsvHeader();
    EXPECT_NE(std::find(header.begin(), header.end(), "dram_bytes"), header.end());
    EXPECT_NE(std::find(header.begin(), header.end(), "time_s"), header.end());
    for (const auto& row : opCsvRows(d.decode, "decode")) {
        EXPECT_EQ(row[0], "decode");
        for (std::size_t c = 8; c + 1 < row.size(); ++c) {
            EXPECT_EQ(row[c].find(' '), std::string::npos) << header[c] << " = " << row[c];
            EXPECT_NO_THROW((void)std::stod(row[c])) << header[c] << " = " << row[c];
        }
    }
}
