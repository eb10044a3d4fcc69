#include "io/model_loader.hpp"

#include "io/data_paths.hpp"
#include "io/yaml_util.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <mutex>

namespace rooflab::io {

namespace {

constexpr long long kMaxDim = 1LL << 24; // 16M: no real hidden size or vocabulary exceeds this
constexpr long long kMaxLayers = 100000;

std::string stem(const std::string& path) {
    std::string s = std::filesystem::path(path).filename().string();
    for (const char* suffix : {".config.json", ".json", ".yaml", ".yml"}) {
        if (s.size() > std::string(suffix).size() && s.ends_with(suffix)) {
            s.resize(s.size() - std::string(suffix).size());
            break;
        }
    }
    return s;
}

/// transformers' attribute_map of a model_type: the attribute `key` we read is stored in config.json as `alias` by
/// other transformers versions (transformers 5 writes the MoE expert count of Mixtral, Qwen2/3-MoE and gpt-oss as
/// num_local_experts, the Hub's older files num_experts; DeepSeek's attribute num_local_experts is stored as
/// n_routed_experts). Either spelling is accepted; both with different values is an error.
struct KeyAlias {
    const char* modelType;
    const char* key;
    const char* alias;
};
constexpr KeyAlias kKeyAliases[] = {
    {"mixtral", "num_local_experts", "num_experts"},          {"gpt_oss", "num_local_experts", "num_experts"},
    {"qwen2_moe", "num_experts", "num_local_experts"},        {"qwen3_moe", "num_experts", "num_local_experts"},
    {"deepseek_v2", "n_routed_experts", "num_local_experts"}, {"deepseek_v3", "n_routed_experts", "num_local_experts"},
    {"kimi_k2", "n_routed_experts", "num_local_experts"},     {"glm_moe_dsa", "n_routed_experts", "num_local_experts"},
    {"minimax_m2", "num_local_experts", "num_experts"},
};

/// DeepSeek-V3's architecture under other model_types: Kimi K2 / K2.5 (text_config of kimi_k25) and GLM-5
/// (glm_moe_dsa: MLA + DeepSeek Sparse Attention).
bool deepseekLike(const std::string& t) {
    return t == "deepseek_v2" || t == "deepseek_v3" || t == "kimi_k2" || t == "glm_moe_dsa";
}

/// The key under which this file spells `key` (its alias where only that is present), for reading and messages.
std::string spelling(MapReader& r, const YAML::Node& root, const std::string& type, const std::string& key) {
    for (const auto& a : kKeyAliases) {
        if (type != a.modelType || key != a.key || !r.has(a.alias))
            continue;
        if (!r.has(key))
            return a.alias;
        const YAML::Node k = root[key], v = root[a.alias];
        if (!k.IsScalar() || !v.IsScalar() || k.Scalar() != v.Scalar())
            r.fail(a.alias, "conflicts with '" + key + "' (transformers reads both as one attribute)");
    }
    return key;
}

/// Reads a sliding-window length: null or absent = none.
int readWindow(MapReader& r, const std::string& key) {
    if (!r.has(key)) {
        r.optional(key);
        return 0;
    }
    return static_cast<int>(r.requiredInt(key, 1, kMaxDim));
}

LlmArch parseArch(const YAML::Node& rootIn, const std::string& file) {
    YAML::Node root = rootIn;
    if (!root.IsMap())
        throw InputError(file, lineOf(root), "", "expected a mapping of configuration keys");
    // Multimodal wrappers (Gemma 3, Llama 4...): the language model lives in text_config.
    const YAML::Node textConfig = root["text_config"];
    if (textConfig.IsDefined() && textConfig.IsMap() && textConfig["hidden_size"].IsDefined()) {
        YAML::Node merged = YAML::Clone(textConfig);
        for (const char* k : {"name", "source"}) {
            if (root[k].IsDefined())
                merged[k] = root[k];
        }
        // A text_config without its own model_type takes the wrapper's (transformers fills it from the sub-config
        // class; the file may leave it out).
        if (!merged["model_type"].IsDefined() && root["model_type"].IsDefined())
            merged["model_type"] = root["model_type"];
        root = merged;
    }

    MapReader r(root, file, "");
    r.allowUnknown();
    LlmArch a;
    a.file = file;
    a.source = r.optionalString("source", r.optionalString("_name_or_path"));
    a.name = r.optionalString("name", stem(file));
    {
        // The checkpoints' weight formats: the config's own quantization_config (for the source and aliases), and
        // a preset's checkpoint_weights map for quantized releases of its architecture.
        // (A const node's missing key is an invalid node: test IsDefined before asking its type.)
        const YAML::Node q = root["quantization_config"];
        auto field = [&](const char* key) { return q.IsDefined() && q.IsMap() ? q[key] : YAML::Node(); };
        const YAML::Node method = field("quant_method"), blocks = field("weight_block_size");
        const bool fp8Block = method.IsDefined() && method.IsScalar() && method.Scalar() == "fp8" &&
                              blocks.IsDefined() && blocks.IsSequence();
        if (fp8Block) {
            if (!a.source.empty())
                a.checkpointWeights[a.source] = "fp8_block";
            if (const YAML::Node al = root["aliases"]; al.IsSequence())
                for (const auto& e : al)
                    if (e.IsScalar())
                        a.checkpointWeights[e.Scalar()] = "fp8_block";
        }
        if (const YAML::Node cw = root["checkpoint_weights"]; cw.IsDefined()) {
            if (!cw.IsMap())
                throw InputError(file, cw.Mark().line + 1, "checkpoint_weights",
                                 "must map Hugging Face ids to weight formats");
            for (const auto& kv : cw) {
                const std::string fmt = scalarText(kv.second, file, "checkpoint_weights");
                if (fmt != "fp8_block" && fmt != "fp8" && fmt != "bf16" && fmt != "nvfp4" && fmt != "mxfp4" &&
                    fmt != "int4_wo")
                    throw InputError(file, kv.second.Mark().line + 1, "checkpoint_weights",
                                     "'" + fmt +
                                         "' is not a weight format (bf16, fp8, fp8_block, nvfp4, mxfp4, int4_wo)");
                a.checkpointWeights[scalarText(kv.first, file, "checkpoint_weights")] = fmt;
            }
        }
    }
    const auto& types = supportedModelTypes();
    a.modelType = r.requiredString("model_type");
    bool known = false;
    for (const auto& t : types)
        known = known || t == a.modelType;
    if (!known) {
        std::string list;
        for (const auto& t : types)
            list += (list.empty() ? "" : ", ") + t;
        const std::string near = closestMatch(a.modelType, types);
        r.fail("model_type", "unsupported model_type '" + a.modelType + "'" +
                                 (near.empty() ? "" : " (did you mean '" + near + "'?)") + "; supported: " + list);
    }
    const std::string& t = a.modelType;
    // A Hugging Face download is always "config.json": name it by what it is (the repository in _name_or_path,
    // else its model_type) and the file, not "config" (issue 19).
    if (!r.has("name") && a.name == "config") {
        std::string id = a.source;
        if (const auto slash = id.find_last_of('/'); slash != std::string::npos)
            id = id.substr(slash + 1);
        a.name = (id.empty() ? t : id) + " (" + std::filesystem::path(file).filename().string() + ")";
    }

    a.hiddenSize = r.requiredInt("hidden_size", 1, kMaxDim);
    a.numLayers = static_cast<int>(r.requiredInt("num_hidden_layers", 1, kMaxLayers));
    a.numHeads = static_cast<int>(r.requiredInt("num_attention_heads", 1, kMaxDim));
    const bool kvHeadsGiven = r.has("num_key_value_heads");
    a.numKvHeads = static_cast<int>(r.optionalInt("num_key_value_heads", a.numHeads, 1, kMaxDim));
    if (!kvHeadsGiven && file.ends_with(".json"))
        a.assumptions.push_back("num_key_value_heads is not in " + std::filesystem::path(file).filename().string() +
                                ": multi-head attention assumed (" + std::to_string(a.numHeads) + " KV heads)");
    if (a.numHeads % a.numKvHeads != 0)
        r.fail("num_key_value_heads", "num_attention_heads (" + std::to_string(a.numHeads) +
                                          ") is not a multiple of num_key_value_heads (" +
                                          std::to_string(a.numKvHeads) + ")");
    a.vocabSize = r.requiredInt("vocab_size", 1, kMaxDim);
    a.maxPositions = r.optionalInt("max_position_embeddings", 0, 0, 1LL << 40);
    a.intermediateSize = r.optionalInt("intermediate_size", 0, 0, kMaxDim);
    const bool gemma = t == "gemma" || t == "gemma2" || t == "gemma3" || t == "gemma3_text";
    // head_dim: explicit when present; Gemma 3 defaults to 256 rather than hidden / heads.
    if (r.has("head_dim"))
        a.headDim = r.requiredInt("head_dim", 1, kMaxDim);
    else if (t == "gemma3" || t == "gemma3_text" || t == "gemma")
        a.headDim = 256;
    else {
        if (a.hiddenSize % a.numHeads != 0)
            r.fail("hidden_size", "hidden_size is not divisible by num_attention_heads and no head_dim is given");
        a.headDim = a.hiddenSize / a.numHeads;
    }
    a.tieEmbeddings = r.optionalBool("tie_word_embeddings", gemma);
    const std::string act = r.optionalString("hidden_act", r.optionalString("hidden_activation", "silu"));
    a.gatedMlp = true; // every supported family uses a gated MLP (SwiGLU / GeGLU)
    (void)act;
    a.qkvBias = t == "qwen2" || t == "qwen2_moe" || r.optionalBool("attention_bias", t == "gpt_oss") ||
                r.optionalBool("qkv_bias", false);
    // MiniMax-M2 normalizes q and k over the whole projection (qk_norm_type per_layer), not per head: a few
    // thousand parameters more per layer than the per-head count below, not modelled.
    a.qkNorm = t == "qwen3" || t == "qwen3_moe" || t == "gemma3" || t == "gemma3_text" ||
               (t == "minimax_m2" && r.optionalBool("use_qk_norm", false));
    a.normsPerLayer = (t == "gemma2" || t == "gemma3" || t == "gemma3_text") ? 4 : 2;

    // Sliding windows.
    std::vector<int> window(static_cast<std::size_t>(a.numLayers), 0);
    const int slide = readWindow(r, "sliding_window");
    const bool useSliding =
        r.optionalBool("use_sliding_window", t != "qwen2" && t != "qwen2_moe" && t != "qwen3" && t != "qwen3_moe");
    // transformers 5 writes the pattern as layer_types (one entry per layer); older files leave it to the
    // model_type's rule, which transformers applies when layer_types is absent (the branches below).
    const YAML::Node layerTypes = r.optional("layer_types");
    if (layerTypes.IsDefined() && !layerTypes.IsNull()) {
        if (!layerTypes.IsSequence())
            r.failAt(layerTypes, "layer_types", "expected a list of 'full_attention' / 'sliding_attention'");
        if (layerTypes.size() != static_cast<std::size_t>(a.numLayers))
            r.failAt(layerTypes, "layer_types",
                     "has " + std::to_string(layerTypes.size()) + " entries for " + std::to_string(a.numLayers) +
                         " layers");
        for (const auto& lt : layerTypes) {
            if (!lt.IsScalar() || (lt.Scalar() != "full_attention" && lt.Scalar() != "sliding_attention"))
                r.failAt(lt, "layer_types", "unsupported layer type (supported: full_attention, sliding_attention)");
        }
    }
    if (slide > 0 && useSliding) {
        if (layerTypes.IsDefined() && layerTypes.IsSequence()) {
            for (std::size_t i = 0; i < layerTypes.size(); ++i)
                window[i] = layerTypes[i].Scalar() == "sliding_attention" ? slide : 0;
        } else if (t == "qwen2" || t == "qwen3") {
            // Qwen2Config / Qwen3Config: layers from max_window_layers on slide.
            const int from = static_cast<int>(r.optionalInt("max_window_layers", 28, 0, kMaxLayers));
            for (int i = from; i < a.numLayers; ++i)
                window[static_cast<std::size_t>(i)] = slide;
        } else if (t == "qwen2_moe") {
            // Qwen2MoeConfig: every other layer below max_window_layers slides.
            const int below = static_cast<int>(r.optionalInt("max_window_layers", 28, 0, kMaxLayers));
            for (int i = 0; i < std::min(below, a.numLayers); ++i)
                window[static_cast<std::size_t>(i)] = (i + 1) % 2 != 0 ? slide : 0;
        } else if (t == "gemma2" || t == "gpt_oss") {
            for (int i = 0; i < a.numLayers; ++i)
                window[static_cast<std::size_t>(i)] = (i % 2 == 0) ? slide : 0;
        } else if (t == "gemma3" || t == "gemma3_text") {
            const int pattern = static_cast<int>(r.optionalInt("sliding_window_pattern", 6, 1, kMaxLayers));
            for (int i = 0; i < a.numLayers; ++i)
                window[static_cast<std::size_t>(i)] = ((i + 1) % pattern != 0) ? slide : 0;
        } else {
            for (auto& w : window)
                w = slide;
        }
    }

    // Mixture of experts.
    std::vector<bool> moe(static_cast<std::size_t>(a.numLayers), false);
    auto expertCount = [&](const std::string& key) {
        const std::string k = spelling(r, root, t, key);
        if (!r.has(k)) {
            std::string also;
            for (const auto& al : kKeyAliases)
                also += t == al.modelType && key == al.key ? std::string(" (or '") + al.alias + "')" : "";
            r.fail(key, "missing required key" + also);
        }
        return static_cast<int>(r.requiredInt(k, 1, 1 << 20));
    };
    if (t == "mixtral" || t == "gpt_oss" || t == "minimax_m2") {
        // gpt-oss: experts as Mixtral's (intermediate_size is the expert width); its attention sinks and expert
        // biases are not modelled (a few elements per head and per expert row). MiniMax-M2 the same (its
        // shared_intermediate_size is 0; its multi-token-prediction modules are not part of a step).
        a.numExperts = expertCount("num_local_experts");
        a.topK = static_cast<int>(r.requiredInt("num_experts_per_tok", 1, a.numExperts));
        a.moeIntermediateSize = a.intermediateSize;
        std::fill(moe.begin(), moe.end(), true);
    } else if (t == "qwen2_moe" || t == "qwen3_moe") {
        a.numExperts = expertCount("num_experts");
        a.topK = static_cast<int>(r.requiredInt("num_experts_per_tok", 1, a.numExperts));
        a.moeIntermediateSize = r.requiredInt("moe_intermediate_size", 1, kMaxDim);
        a.sharedExpertIntermediate = r.optionalInt("shared_expert_intermediate_size", 0, 0, kMaxDim);
        const int step = static_cast<int>(r.optionalInt("decoder_sparse_step", 1, 1, kMaxLayers));
        std::vector<long long> mlpOnly;
        const YAML::Node only = r.optional("mlp_only_layers");
        if (only.IsDefined() && only.IsSequence()) {
            for (const auto& n : only) {
                long long v = -1;
                if (n.IsScalar()) {
                    const std::string& txt = n.Scalar();
                    const auto [end, ec] = std::from_chars(txt.data(), txt.data() + txt.size(), v);
                    if (ec != std::errc() || end != txt.data() + txt.size())
                        v = -1;
                }
                if (v < 0 || v >= a.numLayers)
                    r.failAt(n, "mlp_only_layers",
                             "expected layer indices from 0 to " + std::to_string(a.numLayers - 1));
                mlpOnly.push_back(v);
            }
        }
        for (int i = 0; i < a.numLayers; ++i) {
            bool isMoe = (i + 1) % step == 0;
            for (long long m : mlpOnly)
                isMoe = isMoe && m != i;
            moe[static_cast<std::size_t>(i)] = isMoe;
        }
    } else if (deepseekLike(t)) {
        a.numExperts = expertCount("n_routed_experts");
        a.topK = static_cast<int>(r.requiredInt("num_experts_per_tok", 1, a.numExperts));
        a.moeIntermediateSize = r.requiredInt("moe_intermediate_size", 1, kMaxDim);
        a.numSharedExperts = static_cast<int>(r.optionalInt("n_shared_experts", 0, 0, 1 << 20));
        const int firstDense = static_cast<int>(r.optionalInt("first_k_dense_replace", 0, 0, kMaxLayers));
        const int freq = static_cast<int>(r.optionalInt("moe_layer_freq", 1, 1, kMaxLayers));
        for (int i = 0; i < a.numLayers; ++i)
            moe[static_cast<std::size_t>(i)] = i >= firstDense && i % freq == 0;
        a.kvLoraRank = r.requiredInt("kv_lora_rank", 1, kMaxDim);
        a.qLoraRank = r.optionalInt("q_lora_rank", 0, 0, kMaxDim);
        a.qkNopeHeadDim = r.requiredInt("qk_nope_head_dim", 1, kMaxDim);
        a.qkRopeHeadDim = r.requiredInt("qk_rope_head_dim", 1, kMaxDim);
        a.vHeadDim = r.requiredInt("v_head_dim", 1, kMaxDim);
        a.headDim = a.qkNopeHeadDim + a.qkRopeHeadDim;
        if (t == "glm_moe_dsa") {
            // DeepSeek Sparse Attention: each query attends to the index_topk keys its indexer scores highest.
            a.indexTopkTokens = r.requiredInt("index_topk", 1, 1LL << 40);
            a.indexHeads = static_cast<int>(r.requiredInt("index_n_heads", 1, kMaxDim));
            a.indexHeadDim = r.requiredInt("index_head_dim", 1, kMaxDim);
        }
    }
    bool anyDense = false;
    for (bool m : moe)
        anyDense = anyDense || !m;
    if (anyDense && a.intermediateSize <= 0)
        r.fail("intermediate_size", "missing required key (dense MLP width)");

    // Group identical layers.
    for (int i = 0; i < a.numLayers; ++i) {
        const auto idx = static_cast<std::size_t>(i);
        bool found = false;
        for (auto& g : a.groups) {
            if (g.moe == moe[idx] && g.windowTokens == window[idx]) {
                ++g.count;
                found = true;
                break;
            }
        }
        if (!found)
            a.groups.push_back(LayerGroup{1, moe[idx], window[idx]});
    }
    return a;
}

} // namespace

const std::vector<std::string>& supportedModelTypes() {
    static const std::vector<std::string> kTypes = {
        "llama",       "mistral",     "mixtral", "qwen2",   "qwen2_moe",   "qwen3",
        "qwen3_moe",   "gemma",       "gemma2",  "gemma3",  "gemma3_text", "phi3",
        "deepseek_v2", "deepseek_v3", "gpt_oss", "kimi_k2", "minimax_m2",  "glm_moe_dsa"};
    return kTypes;
}

LlmArch loadModelString(const std::string& text, const std::string& name) {
    return parseArch(loadYamlString(text, name), name);
}

LlmArch loadModelFile(const std::string& path) {
    return parseArch(loadYamlFile(path), path);
}

bool looksLikeHubId(const std::string& name) {
    if (name.empty() || name.front() == '/' || name.front() == '.' || std::count(name.begin(), name.end(), '/') != 1)
        return false;
    for (const char* ext : {".json", ".yaml", ".yml"})
        if (name.ends_with(ext))
            return false;
    return name.back() != '/';
}

namespace {

std::string lower(std::string s) {
    for (char& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

/// Every preset's Hugging Face ids (its `source` and `aliases`), read once per set of data folders.
const std::vector<std::pair<std::string, std::string>>& hubIds() {
    static std::mutex mutex;
    static std::string key;
    static std::vector<std::pair<std::string, std::string>> ids; // (id, preset path)
    std::lock_guard<std::mutex> lock(mutex);
    std::string dirs;
    for (const auto& d : dataDirs())
        dirs += d + "\n";
    if (dirs == key && !ids.empty())
        return ids;
    key = dirs;
    ids.clear();
    for (const auto& name : listModelNames()) {
        const std::string path = findModelFile(name);
        try {
            const YAML::Node root = loadYamlFile(path);
            if (!root.IsMap())
                continue;
            if (const YAML::Node s = root["source"]; s.IsScalar())
                ids.emplace_back(s.Scalar(), path);
            if (const YAML::Node a = root["aliases"]; a.IsSequence())
                for (const auto& e : a)
                    if (e.IsScalar())
                        ids.emplace_back(e.Scalar(), path);
        } catch (const std::exception&) {
            // a broken preset is reported when it is loaded by name
        }
    }
    return ids;
}

} // namespace

std::string findPresetBySource(const std::string& hubId) {
    const std::string want = lower(hubId);
    for (const auto& [id, path] : hubIds())
        if (lower(id) == want)
            return path;
    return {};
}

LlmArch loadModel(const std::string& nameOrPath) {
    std::error_code ec;
    if (looksLikeHubId(nameOrPath) && !std::filesystem::exists(nameOrPath, ec)) {
        const std::string path = findPresetBySource(nameOrPath);
        if (!path.empty())
            return loadModelFile(path);
        std::vector<std::string> known;
        for (const auto& [id, p] : hubIds())
            known.push_back(id);
        const std::string near = closestMatch(nameOrPath, known);
        throw InputError(
            "unknown model '" + nameOrPath + "': no such file, and no preset names it as its source or an alias" +
            (near.empty() ? std::string("; try 'rooflab models list'") : " (did you mean '" + near + "'?)"));
    }
    return loadModelFile(findModelFile(nameOrPath));
}

} // namespace rooflab::io
