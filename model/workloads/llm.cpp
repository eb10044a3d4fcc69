#include "workloads/llm.hpp"

namespace rooflab {

double LlmArch::attentionParams() const {
    const double h = static_cast<double>(hiddenSize);
    double p = 0;
    if (isMla()) {
        const double qk = static_cast<double>(qkNopeHeadDim + qkRopeHeadDim);
        const double heads = numHeads;
        if (qLoraRank > 0)
            p += h * static_cast<double>(qLoraRank) + static_cast<double>(qLoraRank) +
                 static_cast<double>(qLoraRank) * heads * qk;
        else
            p += h * heads * qk;
        p += h * static_cast<double>(kvLoraRank + qkRopeHeadDim) + static_cast<double>(kvLoraRank);
        p += static_cast<double>(kvLoraRank) * heads * static_cast<double>(qkNopeHeadDim + vHeadDim);
        p += heads * static_cast<double>(vHeadDim) * h;
        p += indexerParams();
    } else {
        const double q = static_cast<double>(numHeads) * static_cast<double>(headDim);
        const double kv = static_cast<double>(numKvHeads) * static_cast<double>(headDim);
        p += h * (q + 2 * kv) + q * h;
        if (qkvBias)
            p += q + 2 * kv;
        if (qkNorm)
            p += 2.0 * static_cast<double>(headDim);
    }
    return p;
}

double LlmArch::indexerParams() const {
    if (!isSparseAttention())
        return 0.0;
    const double h = static_cast<double>(hiddenSize), d = static_cast<double>(indexHeadDim), heads = indexHeads;
    // wq_b (from the query latent), wk, k_norm (LayerNorm: weight and bias), weights_proj (per-head gates).
    const double qIn = qLoraRank > 0 ? static_cast<double>(qLoraRank) : h;
    return qIn * heads * d + h * d + 2.0 * d + h * heads;
}

double LlmArch::denseMlpParams() const {
    const double h = static_cast<double>(hiddenSize);
    return (gatedMlp ? 3.0 : 2.0) * h * static_cast<double>(intermediateSize);
}

double LlmArch::moeLayerParams() const {
    const double h = static_cast<double>(hiddenSize);
    const double expert = (gatedMlp ? 3.0 : 2.0) * h * static_cast<double>(moeIntermediateSize);
    double p = h * numExperts + numExperts * expert + numSharedExperts * expert;
    if (sharedExpertIntermediate > 0)
        p += 3.0 * h * static_cast<double>(sharedExpertIntermediate) + h; // + shared-expert gate
    return p;
}

double LlmArch::moeActiveParams() const {
    const double h = static_cast<double>(hiddenSize);
    const double expert = (gatedMlp ? 3.0 : 2.0) * h * static_cast<double>(moeIntermediateSize);
    double p = h * numExperts + (topK + numSharedExperts) * expert;
    if (sharedExpertIntermediate > 0)
        p += 3.0 * h * static_cast<double>(sharedExpertIntermediate) + h;
    return p;
}

double LlmArch::embeddingParams() const {
    return static_cast<double>(vocabSize) * static_cast<double>(hiddenSize);
}
double LlmArch::lmHeadParams() const {
    return tieEmbeddings ? 0.0 : embeddingParams();
}

double LlmArch::totalParams() const {
    const double norms = static_cast<double>(normsPerLayer) * static_cast<double>(hiddenSize);
    double p = embeddingParams() + lmHeadParams() + static_cast<double>(hiddenSize);
    for (const auto& g : groups)
        p += g.count * (attentionParams() + norms + (g.moe ? moeLayerParams() : denseMlpParams()));
    return p;
}

double LlmArch::activeParams() const {
    const double norms = static_cast<double>(normsPerLayer) * static_cast<double>(hiddenSize);
    double p = embeddingParams() + lmHeadParams() + static_cast<double>(hiddenSize);
    for (const auto& g : groups)
        p += g.count * (attentionParams() + norms + (g.moe ? moeActiveParams() : denseMlpParams()));
    return p;
}

double LlmArch::kvElementsPerToken() const {
    if (isMla())
        return static_cast<double>(numLayers) * static_cast<double>(kvLoraRank + qkRopeHeadDim + indexHeadDim);
    return 2.0 * numLayers * numKvHeads * static_cast<double>(headDim);
}

} // namespace rooflab
