#include "io/data_paths.hpp"
#include "io/model_loader.hpp"
#include "units/errors.hpp"

#include <gtest/gtest.h>

using namespace rooflab;

namespace {
std::string fixture(const std::string& name) {
    return std::string(ROOFLAB_SOURCE_DIR) + "/tests/fixtures/hf/" + name;
}
} // namespace

TEST(Models, Llama31_8BMatchesPublishedFacts) {
    const LlmArch a = io::loadModel("llama-3.1-8b");
    EXPECT_EQ(a.totalParams(), 8030261248.0);
    EXPECT_EQ(a.kvElementsPerToken() * 2.0, 131072.0); // bf16 KV bytes per token
    EXPECT_EQ(a.headDim, 128);
    EXPECT_EQ(a.groups.size(), 1u);
    // The HF config.json as served loads to the same architecture.
    const LlmArch b = io::loadModelFile(fixture("llama-3.1-8b.config.json"));
    EXPECT_EQ(b.totalParams(), a.totalParams());
}

TEST(Models, DeepSeekV3TotalAndActiveParameters) {
    const LlmArch a = io::loadModel("deepseek-v3");
    EXPECT_TRUE(a.isMla());
    EXPECT_TRUE(a.isMoe());
    EXPECT_NEAR(a.totalParams() / 1e9, 671.0, 2.0);
    EXPECT_NEAR(a.activeParams() / 1e9, 37.0, 1.0);
    // MLA caches the 512-wide latent plus the 64-wide rope key per layer.
    EXPECT_EQ(a.kvElementsPerToken(), 61.0 * (512 + 64));
    int moeLayers = 0;
    for (const auto& g : a.groups)
        moeLayers += g.moe ? g.count : 0;
    EXPECT_EQ(moeLayers, 58);
}

TEST(Models, MoEFamilies) {
    const LlmArch mixtral = io::loadModelFile(fixture("mixtral-8x7b.config.json"));
    EXPECT_NEAR(mixtral.totalParams() / 1e9, 46.7, 0.2);
    EXPECT_NEAR(mixtral.activeParams() / 1e9, 12.9, 0.2);
    const LlmArch qwen = io::loadModelFile(fixture("qwen3-30b-a3b.config.json"));
    EXPECT_EQ(qwen.headDim, 128);
    EXPECT_NEAR(qwen.totalParams() / 1e9, 30.5, 0.2);
    EXPECT_NEAR(qwen.activeParams() / 1e9, 3.3, 0.1);
}

TEST(Models, SlidingWindowPatterns) {
    const LlmArch g2 = io::loadModel("gemma-2-9b");
    int sliding = 0;
    for (const auto& g : g2.groups)
        sliding += g.windowTokens > 0 ? g.count : 0;
    EXPECT_EQ(sliding, 21); // every other layer of 42
    const LlmArch g3 = io::loadModel("gemma-3-27b");
    int global = 0;
    for (const auto& g : g3.groups)
        global += g.windowTokens == 0 ? g.count : 0;
    EXPECT_EQ(global, g3.numLayers / 6);           // 5 local : 1 global
    const LlmArch q = io::loadModel("qwen2.5-7b"); // sliding_window set but use_sliding_window false
    for (const auto& g : q.groups)
        EXPECT_EQ(g.windowTokens, 0);
}

TEST(Models, EveryPresetLoads) {
    const auto names = io::listModelNames();
    ASSERT_GE(names.size(), 20u);
    for (const auto& n : names) {
        SCOPED_TRACE(n);
        const LlmArch a = io::loadModel(n);
        EXPECT_EQ(a.name, n);
        EXPECT_GT(a.totalParams(), 1e8);
        EXPECT_LE(a.activeParams(), a.totalParams());
        int layers = 0;
        for (const auto& g : a.groups)
            layers += g.count;
        EXPECT_EQ(layers, a.numLayers);
    }
}

TEST(Models, BrokenConfigsNameFileLineAndKey) {
    struct Case {
        const char* file;
        int line;
        const char* key;
    };
    const Case cases[] = {{"broken-syntax.config.json", 6, ""},
                          {"broken-type.config.json", 0, "hidden_size"},
                          {"broken-missing.config.json", 0, "num_hidden_layers"},
                          {"broken-negative.config.json", 0, "num_attention_heads"},
                          {"broken-unknown-type.config.json", 0, "model_type"}};
    for (const auto& c : cases) {
        SCOPED_TRACE(c.file);
        try {
            io::loadModelFile(fixture(c.file));
            ADD_FAILURE() << "no error";
        } catch (const InputError& e) {
            EXPECT_EQ(e.file(), fixture(c.file));
            EXPECT_GT(e.line(), 0) << e.what();
            if (c.line) {
                EXPECT_EQ(e.line(), c.line) << e.what();
            }
            EXPECT_EQ(e.key(), c.key) << e.what();
        }
    }
}

TEST(Models, UnknownPresetSuggestsAName) {
    try {
        io::loadModel("llama-3.1-8");
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("did you mean 'llama-3.1-8b'"), std::string::npos) << e.what();
    }
}
