#pragma once
/// @brief Loads LLM architectures from Hugging Face config.json files or YAML presets with the same keys.
#include "workloads/llm.hpp"

#include <string>
#include <vector>

namespace rooflab::io {

/// Model types the loader understands.
const std::vector<std::string>& supportedModelTypes();

/// @brief Loads a model by preset name (resources/models/<name>.yaml), by path (config.json or .yaml), or by a
/// Hugging Face model id ("org/name", not an existing file) that a preset names as its `source` or in its
/// `aliases` (checkpoints with the same architecture: instruct and quantized releases).
LlmArch loadModel(const std::string& nameOrPath);
/// @brief "org/name" with no file extension: what loadModel looks up among the presets' Hugging Face ids.
bool looksLikeHubId(const std::string& name);
/// @brief Path of the shipped preset whose `source` or `aliases` is `hubId` (case-insensitive); empty if none.
std::string findPresetBySource(const std::string& hubId);
LlmArch loadModelFile(const std::string& path);
/// @brief Parses config text (JSON or YAML); `name` appears in messages and becomes the model name's fallback.
LlmArch loadModelString(const std::string& text, const std::string& name);

} // namespace rooflab::io
