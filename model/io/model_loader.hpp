#pragma once
/// @brief Loads LLM architectures from Hugging Face config.json files or YAML presets with the same keys.
#include "workloads/llm.hpp"

#include <string>
#include <vector>

namespace rooflab::io {

/// Model types the loader understands.
const std::vector<std::string>& supportedModelTypes();

/// @brief Loads a model by preset name (resources/models/<name>.yaml) or by path (config.json or .yaml).
LlmArch loadModel(const std::string& nameOrPath);
LlmArch loadModelFile(const std::string& path);
/// @brief Parses config text (JSON or YAML); `name` appears in messages and becomes the model name's fallback.
LlmArch loadModelString(const std::string& text, const std::string& name);

} // namespace rooflab::io
