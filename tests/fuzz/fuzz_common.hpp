#pragma once
/// @brief What every fuzz target shares: the contract a parser keeps on hostile input. Parsing either succeeds or
/// throws rooflab::InputError (exit code 2 at the CLI); any other exception, a crash, a hang or a sanitizer report
/// is a finding. The targets are libFuzzer entry points (LLVMFuzzerTestOneInput): linked with fuzz_driver.cpp (the
/// deterministic mutation fuzzer of the test suite, any compiler) or with clang's -fsanitize=fuzzer
/// (-DROOFLAB_LIBFUZZER=ON).
#include "io/data_paths.hpp"
#include "units/errors.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <typeinfo>
#include <unistd.h>

namespace rooflab::fuzz {

/// Points the loaders at the source tree (presets, platforms, stacks), once per process.
inline void init() {
    static const bool done = [] {
        io::setBuiltinDataDir(ROOFLAB_SOURCE_DIR);
        return true;
    }();
    (void)done;
}

inline std::string textOf(const uint8_t* data, size_t size) {
    return std::string(reinterpret_cast<const char*>(data), size);
}

/// A finding: prints what escaped and aborts (the driver and libFuzzer save the input that did it).
[[noreturn]] inline void finding(const char* target, const std::string& what) {
    std::fprintf(stderr, "fuzz %s: FINDING: %s\n", target, what.c_str());
    std::fflush(stderr);
    std::abort();
}

/// A number that reaches output must be finite (issue 20: NaN or Inf anywhere in an output is a bug).
inline void expectFinite(const char* target, const char* what, double v) {
    if (!std::isfinite(v))
        finding(target, std::string(what) + " is not finite");
}

/// An open finding in code another change owns (tests/fuzz/findings/README.md): reported once per run, not fatal, so
/// the bounded CI run keeps looking for new ones. Remove the catch that calls this when the fix lands.
inline void knownFinding(const char* target, const char* what) {
    static bool reported = false;
    if (!reported)
        std::fprintf(stderr, "fuzz %s: known finding (tests/fuzz/findings): %s\n", target, what);
    reported = true;
}

/// Runs one input through `f`; InputError is the documented answer to broken input, anything else is a finding.
template <class F> int guard(const char* target, F&& f) {
    init();
    try {
        f();
    } catch (const InputError&) {
    } catch (const std::exception& e) {
        finding(target, std::string("unexpected exception ") + typeid(e).name() + ": " + e.what());
    } catch (...) {
        finding(target, "unexpected non-std exception");
    }
    return 0;
}

/// For loaders that take only a path: a per-process scratch file holding the input.
inline std::string scratchFile(const std::string& text, const char* suffix) {
    const std::string path =
        (std::filesystem::temp_directory_path() / ("rooflab-fuzz-" + std::to_string(::getpid()) + suffix)).string();
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(text.data(), static_cast<std::streamsize>(text.size()));
    return path;
}

} // namespace rooflab::fuzz
