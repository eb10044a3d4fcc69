#include "profilers/gpu/trace/formats.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>

using namespace rooflab::gpu;

TEST(GpuCsv, ParsesQuotedFieldsWithCommasQuotesAndNewlines) {
    std::istringstream in("a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\n2,\"multi\nline\",\n");
    const CsvTable t = parseCsv(in);
    ASSERT_EQ(t.header, (std::vector<std::string>{"a", "b", "c"}));
    ASSERT_EQ(t.rows.size(), 2u);
    EXPECT_EQ(t.rows[0][1], "x, y");
    EXPECT_EQ(t.rows[0][2], "say \"hi\"");
    EXPECT_EQ(t.rows[1][1], "multi\nline");
    EXPECT_EQ(t.rows[1][2], "");
    EXPECT_EQ(t.column("c"), 2u);
    EXPECT_FALSE(t.column("d").has_value());
}

TEST(GpuCsv, RejectsRaggedRowsAndOpenQuotes) {
    std::istringstream ragged("a,b\n1,2,3\n");
    EXPECT_THROW(parseCsv(ragged), std::runtime_error);
    std::istringstream open("a,b\n1,\"2\n");
    EXPECT_THROW(parseCsv(open), std::runtime_error);
}

TEST(GpuCsv, WriteThenParseRoundTrips) {
    CsvTable t;
    t.header = {"name", "v"};
    t.rows = {{"void f<int, 2>(float*)", "1"}, {"plain", "q\"uote"}};
    std::ostringstream out;
    writeCsv(out, t);
    std::istringstream in(out.str());
    const CsvTable back = parseCsv(in);
    EXPECT_EQ(back.header, t.header);
    EXPECT_EQ(back.rows, t.rows);
}

TEST(GpuSchemas, ExactHeadersForEveryMeasurementFile) {
    const auto& s = measurementSchemas();
    EXPECT_EQ(s.at("bandwidth"), (std::vector<std::string>{"op", "level", "bytes_footprint", "bytes_moved", "median_s",
                                                           "p10_s", "p90_s", "runs", "bytes_per_s"}));
    EXPECT_EQ(s.at("gemm").front(), "m");
    EXPECT_EQ(s.at("gemm").back(), "algo");
    EXPECT_EQ(s.at("e2e").size(), 17u);
    EXPECT_EQ(s.at("trace").size(), 14u);
    for (const char* k : {"bandwidth", "latency", "flops", "gemm", "launch", "hostlink", "nccl", "e2e", "trace"})
        EXPECT_TRUE(s.count(k)) << k;

    CsvTable t;
    t.header = s.at("launch");
    EXPECT_EQ(validateSchema("launch", t), "");
    t.header.push_back("extra");
    EXPECT_NE(validateSchema("launch", t), "");
    t.header = s.at("trace");
    t.header.push_back("dram__bytes_read.sum");
    EXPECT_EQ(validateSchema("trace", t), "") << "trace files may carry metric columns";
    t.header[0] = "index";
    EXPECT_NE(validateSchema("trace", t).find("'index'"), std::string::npos);
    EXPECT_NE(validateSchema("nope", t), "");
}

TEST(GpuTrace, WriteReadRoundTripWithMetricsAndClassification) {
    TraceKernel a;
    a.idx = 0;
    a.name = "void at::native::vectorized_elementwise_kernel<4, silu>(int, float)";
    a.cls = KernelClass::Elementwise;
    a.gridX = 132;
    a.gridY = a.gridZ = 1;
    a.blockX = 256;
    a.blockY = a.blockZ = 1;
    a.registers = 32;
    a.sharedBytes = 1024;
    a.startNs = 1000;
    a.endNs = 4000;
    a.metrics["dram__bytes_read.sum"] = 1.5e6;
    TraceKernel b = a;
    b.idx = 1;
    b.name = "nvjet_tst_128x256_64x4_2x1_v_bz_coopA_TNT";
    b.cls = KernelClass::Gemm;
    b.startNs = 5000;
    b.endNs = 9000;
    b.metrics.clear();
    std::ostringstream out;
    writeTrace(out, {a, b});
    std::istringstream in(out.str());
    const auto back = readTrace(in);
    ASSERT_EQ(back.size(), 2u);
    EXPECT_EQ(back[0].name, a.name);
    EXPECT_EQ(back[0].cls, KernelClass::Elementwise);
    EXPECT_EQ(back[0].durationNs(), 3000u);
    EXPECT_DOUBLE_EQ(back[0].metrics.at("dram__bytes_read.sum"), 1.5e6);
    EXPECT_TRUE(back[1].metrics.empty());
    EXPECT_EQ(back[1].cls, KernelClass::Gemm);
    const auto byClass = timeByClass(back);
    EXPECT_EQ(byClass.at(KernelClass::Gemm), 4000u);
    EXPECT_EQ(byClass.at(KernelClass::Elementwise), 3000u);
}

TEST(GpuTrace, EmptyClassIsFilledInByName) {
    std::istringstream in("idx,name,class,grid_x,grid_y,grid_z,block_x,block_y,block_z,registers,shared_bytes,"
                          "start_ns,end_ns,duration_ns\n"
                          "0,flash_fwd_kernel,,1,1,1,128,1,1,255,0,10,,50\n");
    const auto k = readTrace(in);
    ASSERT_EQ(k.size(), 1u);
    EXPECT_EQ(k[0].cls, KernelClass::Attention);
    EXPECT_EQ(k[0].endNs, 60u) << "end_ns derived from start + duration when absent";
}

TEST(GpuTrace, FieldsThatAreNotNumbersAreABrokenTrace) {
    // Found by fuzzing: std::stoull / stoi / stod let std::invalid_argument and std::out_of_range escape (exit 1 with
    // "stoull"); a broken trace is a runtime_error naming its row and column.
    const std::string header = "idx,name,class,grid_x,grid_y,grid_z,block_x,block_y,block_z,registers,shared_bytes,"
                               "start_ns,end_ns,duration_ns";
    for (const char* row :
         {"0,k,gemm,abc,1,1,1,1,1,1,0,0,10,10", "0,k,gemm,1,1,1,1,1,1,1,0,99999999999999999999999,10,10",
          "x,k,gemm,1,1,1,1,1,1,1,0,0,10,10"}) {
        SCOPED_TRACE(row);
        std::istringstream in(header + "\n" + row + "\n");
        try {
            (void)readTrace(in);
            FAIL() << "accepted";
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find("trace row 1, column '"), std::string::npos) << e.what();
        }
    }
    std::istringstream metric(header + ",tensor_flop\n0,k,,1,1,1,1,1,1,1,0,0,10,10,nan\n");
    EXPECT_THROW(readTrace(metric), std::runtime_error);
}

TEST(GpuProvenance, JsonRoundTripAndPlatformIds) {
    Provenance p;
    p.card = "NVIDIA H100 80GB HBM3";
    p.smCount = 132;
    p.smClockMhzMax = 1980;
    p.memClockMhz = 2619;
    p.l2Bytes = 52428800;
    p.driver = "580.159.04";
    p.cudaRuntime = "13.0";
    p.date = "2026-11-27T11:23:46Z";
    p.tool = "rooflab-gpu-bench 0.1";
    nlohmann::json j = p;
    EXPECT_FALSE(j.contains("torch"));
    EXPECT_EQ(j["sm_count"], 132);
    const Provenance q = j.get<Provenance>();
    EXPECT_EQ(q.card, p.card);
    EXPECT_EQ(q.l2Bytes, p.l2Bytes);
    EXPECT_EQ(q.memClockMhz, 2619);
    EXPECT_EQ(platformIdForCard("NVIDIA H100 80GB HBM3"), "h100-sxm5-80gb");
    EXPECT_EQ(platformIdForCard("NVIDIA H200"), "h200-sxm-141gb");
    EXPECT_EQ(platformIdForCard("NVIDIA H100 PCIe"), "h100-pcie-80gb");
    EXPECT_EQ(platformIdForCard("NVIDIA L40S"), "l40s");
    EXPECT_EQ(platformIdForCard("NVIDIA RTX A6000"), "rtx-a6000");
}
