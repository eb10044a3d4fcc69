#pragma once
/// @brief Resolves the names a Request carries (platform, model, stack) into loaded objects, each loaded once and
/// kept for the catalog's lifetime; safe to share between threads. Failed loads are remembered, so a batch of
/// requests naming a missing model reports it once per request without reading the disk again.
#include "engine/predict.hpp"
#include "spec/request.hpp"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace rooflab::io {

class Catalog {
public:
    /// How a model name becomes an architecture (default: io::loadModel: preset or path).
    using ModelLoader = std::function<LlmArch(const std::string&)>;
    Catalog();
    explicit Catalog(ModelLoader models);

    const PlatformTarget& platform(const std::string& name);
    const LlmArch& model(const std::string& name);
    const StackProfile& stack(const std::string& name);

    /// @brief Sets the request's resolved model and stack (LLM and serving workloads). Throws InputError naming 'model'
    /// or 'stack' when a name cannot be loaded.
    void resolve(Request& r);
    /// The platform the request names, else `fallback`.
    const PlatformTarget& platformOf(const Request& r, const std::string& fallback);

private:
    template <class T, class F>
    const T& get(std::map<std::string, std::shared_ptr<const T>>& m, const char* kind, const std::string& name, F load);

    ModelLoader m_loadModel;
    std::mutex m_mutex;
    std::map<std::string, std::shared_ptr<const PlatformTarget>> m_platforms;
    std::map<std::string, std::shared_ptr<const LlmArch>> m_models;
    std::map<std::string, std::shared_ptr<const StackProfile>> m_stacks;
    std::map<std::string, std::string> m_errors;
};

} // namespace rooflab::io
