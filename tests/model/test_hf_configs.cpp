// Hugging Face config.json as transformers writes it (issue 21): the Hub's historical keys and transformers 5's
// spellings of the same model load to the same architecture. The transformers-5 form of each family is derived here
// from the historical one the way transformers 5 saves a config: attribute_map keys stored under their target name
// (num_experts -> num_local_experts), rope_theta + rope_scaling folded into rope_parameters, torch_dtype -> dtype,
// the sliding-window pattern written out as layer_types, multimodal wrappers nesting the text model in text_config.
#include "io/model_loader.hpp"
#include "units/errors.hpp"

#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <sstream>
#include <yaml-cpp/yaml.h>

using namespace rooflab;

namespace {

std::string readText(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}
std::string fixture(const std::string& name) {
    return readText(std::string(ROOFLAB_SOURCE_DIR) + "/tests/fixtures/hf/" + name);
}
std::string preset(const std::string& name) {
    return readText(std::string(ROOFLAB_SOURCE_DIR) + "/resources/models/" + name + ".yaml");
}

std::string dump(const YAML::Node& n) {
    YAML::Emitter e;
    e << n;
    return e.c_str();
}

void rename(YAML::Node& n, const std::string& from, const std::string& to) {
    if (!n[from].IsDefined())
        return;
    n[to] = YAML::Clone(n[from]);
    n.remove(from);
}

/// The transformers-5 spelling of a historical config. `slidingLayer(i)` is the family's historical pattern, written
/// out as layer_types (nullptr: the config has no sliding layers, layer_types all full_attention).
YAML::Node asTransformers5(const std::string& historical, const std::function<bool(int)>& slidingLayer) {
    YAML::Node n = YAML::Load(historical);
    n.remove("name"); // the historical and new files are compared on their architecture only
    YAML::Node rope(YAML::NodeType::Map);
    rope["rope_type"] = "default";
    if (n["rope_scaling"].IsDefined() && n["rope_scaling"].IsMap())
        for (const auto& kv : n["rope_scaling"])
            rope[kv.first.Scalar()] = kv.second;
    if (n["rope_theta"].IsDefined())
        rope["rope_theta"] = n["rope_theta"];
    n.remove("rope_scaling");
    n.remove("rope_theta");
    n["rope_parameters"] = rope;
    rename(n, "torch_dtype", "dtype");
    const int layers = n["num_hidden_layers"].as<int>();
    YAML::Node types(YAML::NodeType::Sequence);
    for (int i = 0; i < layers; ++i)
        types.push_back(slidingLayer && slidingLayer(i) ? "sliding_attention" : "full_attention");
    n["layer_types"] = types;
    n.remove("sliding_window_pattern");
    n["transformers_version"] = "5.0.0";
    return n;
}

void expectSameModel(const LlmArch& a, const LlmArch& b) {
    EXPECT_EQ(a.modelType.substr(0, 6), b.modelType.substr(0, 6));
    EXPECT_EQ(a.hiddenSize, b.hiddenSize);
    EXPECT_EQ(a.numLayers, b.numLayers);
    EXPECT_EQ(a.numHeads, b.numHeads);
    EXPECT_EQ(a.numKvHeads, b.numKvHeads);
    EXPECT_EQ(a.headDim, b.headDim);
    EXPECT_EQ(a.intermediateSize, b.intermediateSize);
    EXPECT_EQ(a.vocabSize, b.vocabSize);
    EXPECT_EQ(a.tieEmbeddings, b.tieEmbeddings);
    EXPECT_EQ(a.qkvBias, b.qkvBias);
    EXPECT_EQ(a.qkNorm, b.qkNorm);
    EXPECT_EQ(a.normsPerLayer, b.normsPerLayer);
    EXPECT_EQ(a.numExperts, b.numExperts);
    EXPECT_EQ(a.topK, b.topK);
    EXPECT_EQ(a.moeIntermediateSize, b.moeIntermediateSize);
    EXPECT_EQ(a.numSharedExperts, b.numSharedExperts);
    EXPECT_EQ(a.sharedExpertIntermediate, b.sharedExpertIntermediate);
    EXPECT_EQ(a.kvLoraRank, b.kvLoraRank);
    EXPECT_EQ(a.totalParams(), b.totalParams());
    EXPECT_EQ(a.activeParams(), b.activeParams());
    EXPECT_EQ(a.kvElementsPerToken(), b.kvElementsPerToken());
    ASSERT_EQ(a.groups.size(), b.groups.size());
    for (std::size_t i = 0; i < a.groups.size(); ++i) {
        EXPECT_EQ(a.groups[i].count, b.groups[i].count) << i;
        EXPECT_EQ(a.groups[i].moe, b.groups[i].moe) << i;
        EXPECT_EQ(a.groups[i].windowTokens, b.groups[i].windowTokens) << i;
    }
}

int slidingLayers(const LlmArch& a) {
    int n = 0;
    for (const auto& g : a.groups)
        n += g.windowTokens > 0 ? g.count : 0;
    return n;
}

} // namespace

TEST(HfConfigs, LlamaBothSpellings) {
    const std::string h = fixture("llama-3.1-8b.config.json");
    const LlmArch a = io::loadModelString(h, "llama.config.json");
    const LlmArch b = io::loadModelString(dump(asTransformers5(h, nullptr)), "llama.v5.config.json");
    expectSameModel(a, b);
}

TEST(HfConfigs, Qwen2AndQwen3BothSpellings) {
    for (const char* name : {"qwen2.5-7b", "qwen3-8b"}) {
        SCOPED_TRACE(name);
        const std::string h = preset(name);
        const LlmArch a = io::loadModelString(h, "h.yaml");
        const LlmArch b = io::loadModelString(dump(asTransformers5(h, nullptr)), "v5.yaml");
        expectSameModel(a, b);
    }
}

TEST(HfConfigs, Qwen2SlidingLayersFollowMaxWindowLayers) {
    // Qwen2Config: with use_sliding_window, the layers from max_window_layers on slide; transformers 5 writes them out.
    YAML::Node n = YAML::Load(preset("qwen2.5-7b"));
    n["use_sliding_window"] = true;
    n["sliding_window"] = 4096;
    n["max_window_layers"] = 20;
    const LlmArch a = io::loadModelString(dump(n), "h.yaml");
    EXPECT_EQ(slidingLayers(a), a.numLayers - 20);
    const LlmArch b = io::loadModelString(dump(asTransformers5(dump(n), [](int i) { return i >= 20; })), "v5.yaml");
    expectSameModel(a, b);
}

TEST(HfConfigs, Qwen3MoeTransformers5IsAccepted) {
    // transformers 5 stores Qwen3MoeConfig.num_experts as num_local_experts (attribute_map): the file that used to
    // fail with "'num_experts': missing required key".
    const std::string h = fixture("qwen3-30b-a3b.config.json");
    YAML::Node v5 = asTransformers5(h, nullptr);
    rename(v5, "num_experts", "num_local_experts");
    const LlmArch a = io::loadModelString(h, "qwen3moe.config.json");
    const LlmArch b = io::loadModelString(dump(v5), "qwen3moe.v5.config.json");
    EXPECT_EQ(b.numExperts, 128);
    expectSameModel(a, b);
    // Both spellings with different values: an error naming the alias and its line.
    YAML::Node both = YAML::Load(h);
    both["num_local_experts"] = 64;
    try {
        io::loadModelString(dump(both), "both.json");
        FAIL() << "accepted two expert counts";
    } catch (const InputError& e) {
        EXPECT_EQ(e.key(), "num_local_experts") << e.what();
        EXPECT_GT(e.line(), 0) << e.what();
    }
    // Neither: the message names both spellings.
    YAML::Node none = YAML::Load(h);
    none.remove("num_experts");
    try {
        io::loadModelString(dump(none), "none.json");
        FAIL() << "accepted no expert count";
    } catch (const InputError& e) {
        EXPECT_EQ(e.key(), "num_experts");
        EXPECT_NE(std::string(e.what()).find("num_local_experts"), std::string::npos) << e.what();
    }
}

TEST(HfConfigs, Qwen2MoeBothSpellings) {
    const std::string h = preset("qwen1.5-moe-a2.7b");
    YAML::Node v5 = asTransformers5(h, nullptr);
    rename(v5, "num_experts", "num_local_experts");
    expectSameModel(io::loadModelString(h, "h.yaml"), io::loadModelString(dump(v5), "v5.yaml"));
}

TEST(HfConfigs, MixtralBothSpellings) {
    const std::string h = fixture("mixtral-8x7b.config.json");
    YAML::Node alt = asTransformers5(h, nullptr);
    rename(alt, "num_local_experts", "num_experts"); // the attribute name, which transformers also reads
    const LlmArch a = io::loadModelString(h, "mixtral.config.json");
    expectSameModel(a, io::loadModelString(dump(asTransformers5(h, nullptr)), "v5.json"));
    expectSameModel(a, io::loadModelString(dump(alt), "alt.json"));
}

TEST(HfConfigs, Gemma2BothSpellings) {
    const std::string h = preset("gemma-2-9b");
    const LlmArch a = io::loadModelString(h, "h.yaml");
    const LlmArch b = io::loadModelString(dump(asTransformers5(h, [](int i) { return i % 2 == 0; })), "v5.yaml");
    EXPECT_EQ(slidingLayers(a), 21);
    expectSameModel(a, b);
}

TEST(HfConfigs, Gemma3BothSpellingsAndTextConfig) {
    // Historical: sliding_window_pattern 6; transformers 5: layer_types, inside the multimodal wrapper's text_config.
    const std::string h = preset("gemma-3-12b");
    const LlmArch a = io::loadModelString(h, "h.yaml");
    YAML::Node text = asTransformers5(h, [](int i) { return (i + 1) % 6 != 0; });
    YAML::Node wrapper(YAML::NodeType::Map);
    wrapper["architectures"].push_back("Gemma3ForConditionalGeneration");
    wrapper["model_type"] = "gemma3";
    wrapper["text_config"] = text;
    YAML::Node vision(YAML::NodeType::Map);
    vision["model_type"] = "siglip_vision_model";
    vision["hidden_size"] = 1152;
    wrapper["vision_config"] = vision;
    const LlmArch b = io::loadModelString(dump(wrapper), "gemma3.v5.config.json");
    EXPECT_EQ(slidingLayers(a), 40);
    expectSameModel(a, b);
    // A text_config without its own model_type takes the wrapper's.
    wrapper["text_config"].remove("model_type");
    expectSameModel(a, io::loadModelString(dump(wrapper), "gemma3.v5b.config.json"));
}

TEST(HfConfigs, DeepSeekV3BothSpellings) {
    const std::string h = fixture("deepseek-v3.config.json");
    YAML::Node alt = asTransformers5(h, nullptr);
    rename(alt, "n_routed_experts", "num_local_experts"); // DeepseekV3Config.attribute_map
    const LlmArch a = io::loadModelString(h, "ds.config.json");
    expectSameModel(a, io::loadModelString(dump(asTransformers5(h, nullptr)), "v5.json"));
    expectSameModel(a, io::loadModelString(dump(alt), "alt.json"));
}

TEST(HfConfigs, GptOss) {
    // openai/gpt-oss-20b as the Hub serves it (layer_types written out) and without layer_types (GptOssConfig's
    // default: even layers slide), with the expert count under its attribute name.
    const char* hub = R"({"architectures": ["GptOssForCausalLM"], "attention_bias": true, "attention_dropout": 0.0,
      "eos_token_id": 200002, "experts_per_token": 4, "head_dim": 64, "hidden_act": "silu", "hidden_size": 2880,
      "initial_context_length": 4096, "initializer_range": 0.02, "intermediate_size": 2880,
      "max_position_embeddings": 131072, "model_type": "gpt_oss", "num_attention_heads": 64,
      "num_experts_per_tok": 4, "num_hidden_layers": 24, "num_key_value_heads": 8, "num_local_experts": 32,
      "rms_norm_eps": 1e-05, "rope_scaling": {"beta_fast": 32.0, "beta_slow": 1.0, "factor": 32.0,
      "original_max_position_embeddings": 4096, "rope_type": "yarn", "truncate": false}, "rope_theta": 150000,
      "sliding_window": 128, "swiglu_limit": 7.0, "tie_word_embeddings": false, "use_cache": true,
      "vocab_size": 201088})";
    YAML::Node withTypes = YAML::Load(hub);
    YAML::Node types(YAML::NodeType::Sequence);
    for (int i = 0; i < 24; ++i)
        types.push_back(i % 2 == 0 ? "sliding_attention" : "full_attention");
    withTypes["layer_types"] = types;
    const LlmArch a = io::loadModelString(dump(withTypes), "gpt-oss-20b.config.json");
    EXPECT_EQ(a.numExperts, 32);
    EXPECT_EQ(a.topK, 4);
    EXPECT_TRUE(a.qkvBias);
    EXPECT_EQ(slidingLayers(a), 12);
    // OpenAI's model card: 20.91B total, 3.61B active; its active count leaves out the 0.58B embedding table,
    // which rooflab's includes (as for every preset).
    EXPECT_NEAR(a.totalParams() / 1e9, 20.91, 0.3);
    EXPECT_NEAR(a.activeParams() / 1e9, 3.61 + 201088.0 * 2880 / 1e9, 0.05);
    YAML::Node v5 = asTransformers5(hub, [](int i) { return i % 2 == 0; });
    rename(v5, "num_local_experts", "num_experts");
    expectSameModel(a, io::loadModelString(dump(v5), "v5.json"));
    expectSameModel(a, io::loadModelString(hub, "no-layer-types.json"));
}

TEST(HfConfigs, LayerTypesAreChecked) {
    YAML::Node n = YAML::Load(preset("gemma-2-9b"));
    YAML::Node types(YAML::NodeType::Sequence);
    for (int i = 0; i < 42; ++i)
        types.push_back(i == 5 ? "chunked_attention" : "full_attention");
    n["layer_types"] = types;
    try {
        io::loadModelString(dump(n), "g.yaml");
        FAIL() << "accepted an unsupported layer type";
    } catch (const InputError& e) {
        EXPECT_EQ(e.key(), "layer_types") << e.what();
        EXPECT_GT(e.line(), 0) << e.what();
    }
    types.push_back("full_attention");
    n["layer_types"] = types;
    EXPECT_THROW(io::loadModelString(dump(n), "g.yaml"), InputError); // 43 entries for 42 layers
}

TEST(HfConfigs, KimiK25WrapperAndGlm5LoadAsTheirPresets) {
    // Kimi K2.5's config.json is a multimodal wrapper: the language model is its text_config (model_type kimi_k2).
    const LlmArch kimi = io::loadModelString(fixture("kimi-k2.5.config.json"), "kimi-k2.5.config.json");
    EXPECT_EQ(kimi.modelType, "kimi_k2");
    expectSameModel(kimi, io::loadModel("kimi-k2.5"));
    const LlmArch glm = io::loadModelString(fixture("glm-5.config.json"), "glm-5.config.json");
    const LlmArch preset = io::loadModel("glm-5");
    expectSameModel(glm, preset);
    EXPECT_EQ(glm.indexTopkTokens, preset.indexTopkTokens);
    EXPECT_EQ(glm.indexHeads, preset.indexHeads);
    EXPECT_EQ(glm.indexHeadDim, preset.indexHeadDim);
    // A glm_moe_dsa config without its indexer keys is refused, naming the key.
    YAML::Node n = YAML::Load(fixture("glm-5.config.json"));
    n.remove("index_topk");
    try {
        io::loadModelString(dump(n), "no-topk.json");
        FAIL() << "a DSA config without index_topk loaded";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("index_topk"), std::string::npos) << e.what();
    }
}
