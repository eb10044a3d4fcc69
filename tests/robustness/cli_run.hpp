#pragma once
// Runs the rooflab binary (ROOFLAB_EXE) from a test: arguments are passed through the shell, stdout and stderr land in
// files the test reads back.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace rooflab::test {

inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// A scratch folder per test, removed at the end.
struct ScratchDir {
    std::filesystem::path path;
    explicit ScratchDir(const std::string& name) {
        path = std::filesystem::temp_directory_path() / ("rooflab-" + name + "-" + std::to_string(::getpid()));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::filesystem::path operator/(const std::string& rel) const { return path / rel; }
};

struct CliRun {
    int rc = -1;
    std::string out, err;
};

/// `args` is shell text (quote what needs quoting). Runs in `cwd` when given.
inline CliRun runCli(const std::string& args, const std::filesystem::path& scratch, const std::string& cwd = "") {
    const auto outFile = scratch / ".stdout", errFile = scratch / ".stderr";
    std::string cmd = (cwd.empty() ? std::string() : "cd '" + cwd + "' && ") + "'" + ROOFLAB_EXE + "' " + args + " >'" +
                      outFile.string() + "' 2>'" + errFile.string() + "'";
    const int status = std::system(cmd.c_str());
    CliRun r;
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(outFile);
    r.err = slurp(errFile);
    std::filesystem::remove(outFile);
    std::filesystem::remove(errFile);
    return r;
}

} // namespace rooflab::test
