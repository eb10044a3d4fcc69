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

// The 2026 MoE presets of the aic-silicon serving dataset (resources/models/SOURCES.md), against the publishers'
// figures. Totals count every weight the engine loads (embedding, LM head, all experts; no MTP module, no vision
// tower). Publishers differ in what "active" counts: OpenAI leaves the input embedding (a row gather, not a product)
// out; GLM-5's and MiniMax-M2.5's rounded "40B" / "10B" match the count without embedding and LM head (with both:
// 41.8B and 11.0B); the Kimi K2 report's 32.6B matches the count with both (without the embedding: 31.7B), as
// DeepSeek-V3's 37B does above.
TEST(Models, AicSiliconMoePresetsMatchPublishedParameterCounts) {
    enum class Active { All, NoEmbedding, NoEmbeddingNoHead };
    struct Case {
        const char* name;
        const char* hubId;
        double totalB, activeB;
        Active counts;
    };
    const Case cases[] = {
        {"gpt-oss-120b", "openai/gpt-oss-120b", 116.83, 5.13, Active::NoEmbedding}, // model card: 116.83B / 5.13B
        {"kimi-k2.5", "moonshotai/Kimi-K2.5", 1040.0, 32.6, Active::All},           // Kimi K2 report: 1.04T / 32.6B
        {"minimax-m2.5", "MiniMaxAI/MiniMax-M2.5", 229.0, 10.0, Active::NoEmbeddingNoHead}, // HF 229B; card 10B
        {"glm-5", "zhipuai/GLM-5", 744.0, 40.0, Active::NoEmbeddingNoHead},                 // card: 744B / 40B
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        const LlmArch a = io::loadModel(c.name);
        EXPECT_EQ(io::loadModel(c.hubId).totalParams(), a.totalParams());
        ASSERT_TRUE(a.isMoe());
        const double total = a.totalParams() / 1e9;
        double active = a.activeParams();
        if (c.counts != Active::All)
            active -= a.embeddingParams();
        if (c.counts == Active::NoEmbeddingNoHead)
            active -= a.lmHeadParams();
        active /= 1e9;
        EXPECT_NEAR(total / c.totalB, 1.0, 0.02) << total << " B";
        EXPECT_NEAR(active / c.activeB, 1.0, 0.02) << active << " B";
    }
}

TEST(Models, AicSiliconMoePresetArchitectures) {
    // gpt-oss-120b: 36 layers alternating 128-token sliding window / full (layer_types), 128 experts top-4.
    const LlmArch oss = io::loadModel("gpt-oss-120b");
    EXPECT_EQ(oss.numExperts, 128);
    EXPECT_EQ(oss.topK, 4);
    EXPECT_EQ(oss.numKvHeads, 8);
    EXPECT_EQ(oss.headDim, 64);
    EXPECT_TRUE(oss.qkvBias);
    int sliding = 0;
    for (const auto& g : oss.groups)
        sliding += g.windowTokens == 128 ? g.count : 0;
    EXPECT_EQ(sliding, 18);
    // Kimi K2.5: the text_config is DeepSeek-V3's architecture (MLA), 384 experts, one dense layer.
    const LlmArch kimi = io::loadModel("kimi-k2.5");
    EXPECT_TRUE(kimi.isMla());
    EXPECT_FALSE(kimi.isSparseAttention());
    EXPECT_EQ(kimi.numExperts, 384);
    EXPECT_EQ(kimi.numSharedExperts, 1);
    int dense = 0;
    for (const auto& g : kimi.groups)
        dense += g.moe ? 0 : g.count;
    EXPECT_EQ(dense, 1);
    // MiniMax-M2.5: GQA 48 / 8 heads of 128 with q/k norms, 256 experts of 1536, top-8, every layer MoE.
    const LlmArch mm = io::loadModel("minimax-m2.5");
    EXPECT_FALSE(mm.isMla());
    EXPECT_TRUE(mm.qkNorm);
    EXPECT_EQ(mm.moeIntermediateSize, 1536);
    EXPECT_EQ(mm.kvElementsPerToken(), 2.0 * 62 * 8 * 128);
    // GLM-5: MLA (192 + 64 query/key dims, 256 value dims) with DSA: 32 x 128 indexer, top 2048 keys.
    const LlmArch glm = io::loadModel("glm-5");
    EXPECT_TRUE(glm.isMla());
    EXPECT_TRUE(glm.isSparseAttention());
    EXPECT_EQ(glm.indexTopkTokens, 2048);
    EXPECT_EQ(glm.indexHeads, 32);
    EXPECT_EQ(glm.headDim, 256);
    // The cache holds the latent, the rope key and the indexer's key per layer.
    EXPECT_EQ(glm.kvElementsPerToken(), 78.0 * (512 + 64 + 128));
    // Indexer: wq_b 2048 x 32*128, wk 6144 x 128, k_norm weight + bias, weights_proj 6144 x 32.
    EXPECT_EQ(glm.indexerParams(), 2048.0 * 4096 + 6144.0 * 128 + 256 + 6144.0 * 32);
}
