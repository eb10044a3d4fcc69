#pragma once
/// @brief Terminal progress line for long CPU benchmark runs: rewritten in place when stderr is a terminal,
/// silent otherwise (logs and CI stay clean). Header-only, shared by `rooflab bench cpu` and rooflab-bench-cpu.
#include "profilers/cpu/progress.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace rooflab::cpu {

class TerminalProgress {
public:
    explicit TerminalProgress(bool enabled = isatty(STDERR_FILENO) != 0) : m_enabled(enabled) {}
    ~TerminalProgress() { finish(); }
    TerminalProgress(const TerminalProgress&) = delete;
    TerminalProgress& operator=(const TerminalProgress&) = delete;

    ProgressCallback callback() {
        return [this](const std::string& what, double fraction) { update(what, fraction); };
    }
    void update(const std::string& what, double fraction) {
        if (!m_enabled)
            return;
        const auto now = std::chrono::steady_clock::now();
        const std::string stage = what.substr(0, what.find(':'));
        if (stage == m_stage && now - m_last < std::chrono::milliseconds(100) && fraction < 1.0)
            return;
        m_stage = stage;
        m_last = now;
        const double elapsed = std::chrono::duration<double>(now - m_start).count();
        std::fprintf(stderr, "\r\033[K[%3d%%] %-70.70s %6.1f s", static_cast<int>(fraction * 100.0 + 0.5),
                     what.c_str(), elapsed);
        std::fflush(stderr);
        m_dirty = true;
    }
    void finish() {
        if (m_enabled && m_dirty)
            std::fprintf(stderr, "\r\033[K");
        m_dirty = false;
    }

private:
    bool m_enabled;
    bool m_dirty = false;
    std::string m_stage;
    std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point m_last{};
};

} // namespace rooflab::cpu
