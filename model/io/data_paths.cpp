#include "io/data_paths.hpp"

#include "io/yaml_util.hpp"
#include "units/errors.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <mutex>

namespace rooflab::io {

namespace fs = std::filesystem;

namespace {
std::mutex g_mutex;
std::string g_builtin;

std::vector<std::string> namesIn(const std::string& sub) {
    std::vector<std::string> names;
    for (const auto& dir : dataDirs()) {
        const fs::path p = fs::path(dir) / sub;
        std::error_code ec;
        if (!fs::is_directory(p, ec))
            continue;
        for (const auto& entry : fs::directory_iterator(p, ec)) {
            if (entry.path().extension() == ".yaml")
                names.push_back(entry.path().stem().string());
        }
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
}

std::string findIn(const std::string& nameOrPath, const std::string& sub, const char* what) {
    std::error_code ec;
    if (nameOrPath.find('/') != std::string::npos || nameOrPath.ends_with(".yaml") || nameOrPath.ends_with(".json")) {
        if (fs::is_regular_file(nameOrPath, ec))
            return nameOrPath;
        throw InputError(nameOrPath, 0, "", std::string("no such ") + what + " file");
    }
    for (const auto& dir : dataDirs()) {
        const fs::path p = fs::path(dir) / sub / (nameOrPath + ".yaml");
        if (fs::is_regular_file(p, ec))
            return p.string();
    }
    if (fs::is_regular_file(nameOrPath, ec))
        return nameOrPath;
    const auto names = namesIn(sub);
    const std::string near = closestMatch(nameOrPath, names);
    // The name shortened: a value of megabytes must not become a message of megabytes (issue 20).
    const std::string shown = nameOrPath.size() <= 80 ? nameOrPath : nameOrPath.substr(0, 80) + "...";
    std::string msg = std::string("unknown ") + what + " '" + shown + "'";
    if (!near.empty())
        msg += " (did you mean '" + near + "'?)";
    else if (!names.empty())
        msg += "; try 'rooflab " + std::string(what) + "s list'";
    if (names.empty())
        msg += "; no shipped data found (set ROOFLAB_DATA_DIR to the rooflab source folder)";
    throw InputError(msg);
}
} // namespace

void setBuiltinDataDir(const std::string& dir) {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_builtin = dir;
}

std::vector<std::string> dataDirs() {
    std::vector<std::string> dirs;
    std::error_code ec;
    if (const char* env = std::getenv("ROOFLAB_DATA_DIR"); env && *env && fs::is_directory(env, ec))
        dirs.emplace_back(env);
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        if (!g_builtin.empty() && fs::is_directory(g_builtin, ec))
            dirs.push_back(g_builtin);
    }
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const fs::path share = exe.parent_path().parent_path() / "share" / "rooflab";
        if (fs::is_directory(share, ec))
            dirs.push_back(share.string());
    }
    return dirs;
}

std::string findPlatformFile(const std::string& n) {
    return findIn(n, "platforms", "platform");
}
std::string findModelFile(const std::string& n) {
    return findIn(n, "resources/models", "model");
}
std::string findStackFile(const std::string& n) {
    return findIn(n, "resources/stacks", "stack");
}
std::vector<std::string> listPlatformNames() {
    return namesIn("platforms");
}
std::vector<std::string> listModelNames() {
    return namesIn("resources/models");
}
std::vector<std::string> listStackNames() {
    return namesIn("resources/stacks");
}

} // namespace rooflab::io
