#include "codec/catalog.hpp"

#include "io/data_paths.hpp"
#include "io/model_loader.hpp"
#include "io/platform_loader.hpp"
#include "io/stack_loader.hpp"
#include "units/errors.hpp"

namespace rooflab::io {

Catalog::Catalog() : Catalog([](const std::string& n) { return loadModel(n); }) {}
Catalog::Catalog(ModelLoader models) : m_loadModel(std::move(models)) {}

template <class T, class F>
const T& Catalog::get(std::map<std::string, std::shared_ptr<const T>>& m, const char* kind, const std::string& name,
                      F load) {
    const std::string key = std::string(kind) + ":" + name;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (auto it = m.find(name); it != m.end())
            return *it->second;
        if (auto e = m_errors.find(key); e != m_errors.end())
            throw InputError("", 0, kind, e->second);
    }
    // Loaded outside the lock: another thread may load the same name at the same time; the first one kept wins.
    try {
        auto v = std::make_shared<const T>(load(name));
        std::lock_guard<std::mutex> lock(m_mutex);
        auto [it, inserted] = m.emplace(name, std::move(v));
        return *it->second;
    } catch (const std::exception& ex) {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_errors[key] = ex.what();
        throw InputError("", 0, kind, ex.what());
    }
}

const PlatformTarget& Catalog::platform(const std::string& name) {
    return get(m_platforms, "platform", name,
               [](const std::string& n) { return PlatformTarget::from(loadPlatformFile(findPlatformFile(n))); });
}

const LlmArch& Catalog::model(const std::string& name) {
    return get(m_models, "model", name, m_loadModel);
}

const StackProfile& Catalog::stack(const std::string& name) {
    return get(m_stacks, "stack", name, [](const std::string& n) { return loadStack(n); });
}

void Catalog::resolve(Request& r) {
    if (LlmTarget* t = r.target()) {
        t->arch = &model(t->model);
        t->stack = &stack(t->stackName);
    }
}

const PlatformTarget& Catalog::platformOf(const Request& r, const std::string& fallback) {
    return platform(r.platform.empty() ? fallback : r.platform);
}

} // namespace rooflab::io
