#include "units/dtype.hpp"
#include "units/quantity.hpp"

#include <gtest/gtest.h>

using namespace rooflab;

TEST(Quantity, ParsesUnitsToSi) {
    std::string err;
    EXPECT_DOUBLE_EQ(parseQuantity("3.35 TB/s", Dimension::BytesPerSecond, err)->value, 3.35e12);
    EXPECT_DOUBLE_EQ(parseQuantity("50 MiB", Dimension::Bytes, err)->value, 50.0 * 1048576);
    EXPECT_DOUBLE_EQ(parseQuantity("4 us", Dimension::Seconds, err)->value, 4e-6);
    EXPECT_DOUBLE_EQ(parseQuantity("1980 MHz", Dimension::Hertz, err)->value, 1.98e9);
    EXPECT_DOUBLE_EQ(parseQuantity("989.4 TFLOP/s", Dimension::FlopPerSecond, err)->value, 989.4e12);
    auto c = parseQuantity("263 cycles", Dimension::Seconds, err);
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->inCycles);
    EXPECT_DOUBLE_EQ(c->value, 263);
}

TEST(Quantity, RejectsWrongUnitsAndNonFinite) {
    std::string err;
    EXPECT_FALSE(parseQuantity("3.35 TB", Dimension::BytesPerSecond, err));
    EXPECT_NE(err.find("not a bandwidth unit"), std::string::npos) << err;
    EXPECT_FALSE(parseQuantity("nan GB/s", Dimension::BytesPerSecond, err));
    EXPECT_FALSE(parseQuantity("inf", Dimension::Count, err));
    EXPECT_FALSE(parseQuantity("1e400 B", Dimension::Bytes, err));
    EXPECT_FALSE(parseQuantity("1e31 B", Dimension::Bytes, err));
    EXPECT_FALSE(parseQuantity("", Dimension::Bytes, err));
    EXPECT_FALSE(parseQuantity("fast", Dimension::Seconds, err));
    EXPECT_FALSE(parseQuantity("12", Dimension::Bytes, err)); // a unit is required
}

TEST(Quantity, FormatsWithPrefixes) {
    EXPECT_EQ(formatQuantity(3.35e12, Dimension::BytesPerSecond, 3), "3.35 TB/s");
    EXPECT_EQ(formatQuantity(4e-6, Dimension::Seconds, 3), "4 us");
    EXPECT_EQ(formatQuantity(1.5e-3, Dimension::Seconds, 3), "1.5 ms");
}

TEST(DType, ParsesNamesAndAliases) {
    EXPECT_EQ(parseDType("bf16"), DType::bf16);
    EXPECT_EQ(parseDType("bfloat16"), DType::bf16);
    EXPECT_EQ(parseDType("FP8"), DType::fp8_e4m3);
    EXPECT_EQ(parseDType("fp8-e5m2"), DType::fp8_e5m2);
    EXPECT_FALSE(parseDType("fp7"));
    EXPECT_DOUBLE_EQ(bytesPerElement(DType::int4), 0.5);
    for (std::size_t i = 0; i < kDTypeCount; ++i)
        EXPECT_EQ(parseDType(dtypeName(static_cast<DType>(i))), static_cast<DType>(i));
}

// Human output has no scientific notation (issue 19: "1.128e+04 ms" in a sweep table): past the largest prefix the
// number grows, below the smallest it gets decimals.
TEST(Units, FormatQuantityNeverWritesAnExponent) {
    EXPECT_EQ(formatQuantity(11280, Dimension::Seconds, 4), "11280 s");
    EXPECT_EQ(formatQuantity(2.5e18, Dimension::Bytes, 4), "2500 PB");
    EXPECT_EQ(formatQuantity(1.5e-12, Dimension::Seconds, 3), "0.0015 ns");
    for (double v : {1e-15, 3.3e-13, 1e20, 4.2e25})
        for (Dimension d : {Dimension::Seconds, Dimension::Bytes, Dimension::FlopPerSecond})
            EXPECT_EQ(formatQuantity(v, d, 4).find('e'), std::string::npos) << formatQuantity(v, d, 4);
}

TEST(DType, BlockScaledFormatsCountTheirScales) {
    // nvfp4: 4-bit E2M1 + one FP8 E4M3 scale per 16 elements = 4.5 bits; mxfp4: + one E8M0 scale per 32 = 4.25 bits.
    EXPECT_DOUBLE_EQ(bytesPerElement(DType::nvfp4) * 8, 4.5);
    EXPECT_DOUBLE_EQ(bytesPerElement(DType::mxfp4) * 8, 4.25);
    // fp8_block: 1 byte + one fp32 scale per 128 x 128 weight block.
    EXPECT_DOUBLE_EQ(bytesPerElement(DType::fp8_block), 1.0 + 4.0 / 16384.0);
    EXPECT_GT(bytesPerElement(DType::fp8_block), bytesPerElement(DType::fp8_e4m3));
    EXPECT_TRUE(isFloat8(DType::fp8_block));
    EXPECT_TRUE(isFloat4(DType::nvfp4) && isFloat4(DType::mxfp4) && !isFloat4(DType::int4));
    EXPECT_EQ(parseDType("fp8_block"), DType::fp8_block);
    EXPECT_EQ(parseDType("NVFP4"), DType::nvfp4);
    EXPECT_EQ(parseDType("mxfp4"), DType::mxfp4);
    EXPECT_EQ(parseDType("int4_wo"), DType::int4);
}

TEST(DType, GgufBlockFormatsCountTheirScales) {
    // Bits per weight with the blocks' scales and minimums (llama.cpp block layouts).
    EXPECT_DOUBLE_EQ(bytesPerElement(DType::q4_k) * 8, 4.5);
    EXPECT_DOUBLE_EQ(bytesPerElement(DType::q5_k) * 8, 5.5);
    EXPECT_DOUBLE_EQ(bytesPerElement(DType::q6_k) * 8, 6.5625);
    EXPECT_DOUBLE_EQ(bytesPerElement(DType::q8_0) * 8, 8.5);
    EXPECT_EQ(parseDType("Q4_K_M"), DType::q4_k);
    EXPECT_TRUE(isGgufBlock(DType::q8_0));
    EXPECT_FALSE(isGgufBlock(DType::int4));
}
