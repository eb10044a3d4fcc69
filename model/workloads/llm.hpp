#pragma once
/// @brief An LLM architecture as the engine sees it, read from a Hugging Face config.json or a YAML preset
/// with the same keys (io/model_loader).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace rooflab {

enum class NormKind : unsigned char { RmsNorm, LayerNorm };

/// @brief One group of identical decoder layers (evaluation multiplies a group's cost by its count).
struct LayerGroup {
    int count = 0;
    bool moe = false;     ///< MoE feed-forward (else dense gated MLP)
    int windowTokens = 0; ///< sliding-window length; 0 = global attention
};

struct LlmArch {
    std::string name;      ///< preset id or file stem
    std::string modelType; ///< HF model_type
    std::string source;    ///< HF repo id, where known
    std::string file;
    /// What the loader assumed for keys the file leaves out, said in every prediction's notes (a config.json
    /// without num_key_value_heads is multi-head attention).
    std::vector<std::string> assumptions;
    /// Weight formats of published checkpoints of this architecture, by Hugging Face id: "fp8_block" where the
    /// checkpoint's quantization_config is FP8 with weight_block_size (the preset's own config for its source and
    /// aliases; `checkpoint_weights:` for quantized releases of a BF16 preset). A benchmark row that says "fp8" for
    /// such a checkpoint ran the block-scaled kernels.
    std::map<std::string, std::string> checkpointWeights;

    int64_t hiddenSize = 0;
    int numLayers = 0;
    int numHeads = 0;
    int numKvHeads = 0;
    int64_t headDim = 0;
    int64_t intermediateSize = 0; ///< dense MLP width
    int64_t vocabSize = 0;
    int64_t maxPositions = 0;
    bool tieEmbeddings = false;
    bool gatedMlp = true; ///< gate/up/down (SwiGLU/GeGLU); false = up/down
    bool qkvBias = false;
    bool qkNorm = false;   ///< per-head q/k norms (Qwen3, Gemma 3)
    int normsPerLayer = 2; ///< Gemma 2/3 have 4 (pre/post attention and MLP)
    NormKind norm = NormKind::RmsNorm;

    // Mixture of experts (numExperts == 0: dense).
    int numExperts = 0;
    int topK = 0;
    int64_t moeIntermediateSize = 0;
    int numSharedExperts = 0;             ///< shared experts of moeIntermediateSize width (DeepSeek)
    int64_t sharedExpertIntermediate = 0; ///< one shared expert of this width (Qwen2-MoE); 0 = none

    // Multi-head latent attention (kvLoraRank > 0: MLA, DeepSeek-V2/V3).
    int64_t qLoraRank = 0;
    int64_t kvLoraRank = 0;
    int64_t qkNopeHeadDim = 0;
    int64_t qkRopeHeadDim = 0;
    int64_t vHeadDim = 0;

    // DeepSeek Sparse Attention (indexTopkTokens > 0: GLM-5, DeepSeek-V3.2): a lightning indexer (an MQA of
    // indexHeads x indexHeadDim over every cached key, its own cached key per token) picks the indexTopkTokens
    // keys each query's MLA attends to.
    int64_t indexTopkTokens = 0;
    int indexHeads = 0;
    int64_t indexHeadDim = 0;

    std::vector<LayerGroup> groups; ///< sums to numLayers

    bool isMoe() const { return numExperts > 0; }
    bool isMla() const { return kvLoraRank > 0; }
    bool isSparseAttention() const { return indexTopkTokens > 0; }

    /// Parameters of one decoder layer's attention block (projections, norms inside attention).
    double attentionParams() const;
    /// Parameters of one layer's DSA indexer (0 without one); part of attentionParams, replicated on TP ranks.
    double indexerParams() const;
    /// Parameters of one dense MLP / one MoE layer (all experts, router, shared experts).
    double denseMlpParams() const;
    double moeLayerParams() const;
    /// Parameters of the MoE layer that one token activates (top-k experts + shared + router).
    double moeActiveParams() const;
    double embeddingParams() const;
    double lmHeadParams() const; ///< 0 when tied to the embedding
    /// Total parameters (embedding, layers, final norm, LM head).
    double totalParams() const;
    /// Parameters that one token uses (MoE: top-k experts only).
    double activeParams() const;
    /// KV-cache elements per token summed over layers (full context; MLA: latent + rope key; DSA: + indexer key).
    double kvElementsPerToken() const;
};

} // namespace rooflab
