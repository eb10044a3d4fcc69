// The deterministic mutation fuzzer of the test suite: a main() for the libFuzzer entry points when the compiler
// has no libFuzzer (GCC builds, including the ASan+UBSan preset CI runs). It takes libFuzzer's command line
// (corpus folders or files, -runs=N, -max_total_time=S, -seed=N, -max_len=N), replays every corpus input first
// (the regression inputs), then mutates them with a seeded generator: bit flips, interesting bytes and tokens,
// insertions, deletions, duplicated ranges and lines, splices of two inputs. Same seed, same inputs, same order.
// A finding aborts; the input that did it is written to crash-<target>-<exec> (or $ROOFLAB_FUZZ_ARTIFACTS/...)
// from the abort handler or the sanitizer's death callback, so it can be added to the corpus as a regression input.
// -write_mutations=DIR (with -runs=N, -seed=N, -write_suffix=.ext) writes N mutated inputs to files instead, for the
// release-binary run of tests/fuzz/release_binary_run.sh.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

// The sanitizer runtime's death callback exists only when a sanitizer is linked in.
#if defined(__SANITIZE_ADDRESS__)
#define ROOFLAB_HAVE_SANITIZER_API 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ROOFLAB_HAVE_SANITIZER_API 1
#endif
#endif
#ifdef ROOFLAB_HAVE_SANITIZER_API
#include <sanitizer/common_interface_defs.h>
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

// The input being run and where to save it, kept where a signal handler can reach them without allocating.
const std::string* g_current = nullptr;
char g_artifact[4096] = {0};

void saveCurrent() {
    if (!g_current || !g_artifact[0])
        return;
    const int fd = ::open(g_artifact, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return;
    std::size_t off = 0;
    while (off < g_current->size()) {
        const ssize_t n = ::write(fd, g_current->data() + off, g_current->size() - off);
        if (n <= 0)
            break;
        off += static_cast<std::size_t>(n);
    }
    ::close(fd);
    const char msg[] = "fuzz: the failing input is saved as ";
    (void)!::write(2, msg, sizeof msg - 1);
    (void)!::write(2, g_artifact, std::strlen(g_artifact));
    (void)!::write(2, "\n", 1);
}

extern "C" void onFatalSignal(int sig) {
    saveCurrent();
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

const char* const kTokens[] = {
    "0",
    "-1",
    "1",
    "2",
    "3",
    "1e308",
    "-1e308",
    "1e-320",
    "nan",
    ".nan",
    "inf",
    ".inf",
    "-.inf",
    "NaN",
    "Infinity",
    "4294967296",
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "99999999999999999999",
    "16777216",
    "0.5",
    "0x10",
    "1_000",
    "null",
    "~",
    "true",
    "false",
    "\"\"",
    "[]",
    "{}",
    "[1,2]",
    "{\"a\":1}",
    ": ",
    ":",
    "- ",
    "\n",
    "\n  ",
    "\r\n",
    "\t",
    ",",
    ",,",
    "\"",
    "'",
    "#",
    "&a ",
    "*a",
    "<<: *a",
    "!!str ",
    "!!binary ",
    "? ",
    "|\n  ",
    ">\n  ",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
    "\\u0000",
    "\\ud800",
    "\xac",
    "\xc3\x28",
    "\xef\xbb\xbf",
    "\xff\xfe",
    "" /* a NUL byte */,
    "extends: ",
    "/dev/zero",
    "..",
    "/",
    "source: measured",
    "provenance",
    "version: 1",
    "kind",
    "model",
    "platform",
    "phase",
    "batch",
    "prompt",
    "context",
    "chunk",
    "output",
    "tp",
    "ep",
    "pp",
    "weights",
    "dtype",
    "bf16",
    "fp8",
    "int4",
    "fp32",
    "decode",
    "prefill",
    "request",
    "chunked",
    "gemm",
    "cpu",
    "llm",
    "model_type",
    "num_experts",
    "num_local_experts",
    "text_config",
    "rope_scaling",
    "rope_parameters",
    "layer_types",
    "sliding_window",
    "sliding_attention",
    "num_hidden_layers",
    "hidden_size",
    "intermediate_size",
    "llama-3.1-8b",
    "mixtral-8x7b",
    "h100-sxm5-80gb",
    "vllm",
    "measured_s",
    "latency_s",
};

struct Options {
    std::vector<std::string> inputs;
    long long runs = -1;      // -1: until max_total_time
    double maxTotalTimeS = 0; // 0: no limit (then runs bounds)
    uint64_t seed = 1;
    std::size_t maxLen = 0; // 0: from the corpus
    /// Write the mutated inputs (-runs of them) into this folder instead of running them: the release-binary run
    /// (tests/fuzz/release_binary_run.sh) feeds them to `rooflab`.
    std::string writeDir;
    std::string writeSuffix; ///< file name suffix of the written inputs (.yaml, .jsonl)
};

std::vector<std::string> readCorpus(const std::vector<std::string>& paths) {
    std::vector<fs::path> files;
    for (const auto& p : paths) {
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            for (const auto& e : fs::recursive_directory_iterator(p, ec))
                if (e.is_regular_file())
                    files.push_back(e.path());
        } else if (fs::is_regular_file(p, ec)) {
            files.emplace_back(p);
        }
    }
    std::sort(files.begin(), files.end()); // directory order differs between machines; the run must not
    std::vector<std::string> out;
    for (const auto& f : files) {
        std::ifstream in(f, std::ios::binary);
        out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return out;
}

class Mutator {
public:
    Mutator(uint64_t seed, const std::vector<std::string>& corpus, std::size_t maxLen)
        : m_rng(seed), m_corpus(corpus), m_maxLen(maxLen) {}

    std::string next() {
        std::string s = m_corpus.empty() ? std::string() : m_corpus[pick(m_corpus.size())];
        const int n = 1 + static_cast<int>(pick(4));
        for (int i = 0; i < n; ++i)
            mutate(s);
        if (s.size() > m_maxLen)
            s.resize(m_maxLen);
        return s;
    }

private:
    std::size_t pick(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(m_rng() % n); }
    std::size_t pos(const std::string& s) { return pick(s.size() + 1); }
    // Mutations land near line starts and after ':' often: that is where YAML, JSON and CSV keep their values.
    std::size_t interestingPos(const std::string& s) {
        if (s.empty() || pick(2) == 0)
            return pos(s);
        const std::size_t p = pick(s.size());
        const std::size_t q = s.find_first_of(":\n,", p);
        return q == std::string::npos ? s.size() : std::min(s.size(), q + 1 + pick(2));
    }
    void mutate(std::string& s) {
        switch (pick(11)) {
        case 0: // flip a bit
            if (!s.empty()) {
                const std::size_t i = pick(s.size());
                s[i] = static_cast<char>(static_cast<unsigned char>(s[i]) ^ (1u << pick(8)));
            }
            break;
        case 1: // a random byte
            if (!s.empty())
                s[pick(s.size())] = static_cast<char>(pick(256));
            break;
        case 2: { // insert random bytes
            const std::size_t at = pos(s);
            std::string ins(1 + pick(8), '\0');
            for (auto& c : ins)
                c = static_cast<char>(pick(256));
            s.insert(at, ins);
            break;
        }
        case 3: // delete a range
            if (!s.empty()) {
                const std::size_t at = pick(s.size());
                s.erase(at, 1 + pick(16));
            }
            break;
        case 4: { // duplicate a range
            if (s.empty())
                break;
            const std::size_t at = pick(s.size());
            const std::string part = s.substr(at, 1 + pick(64));
            s.insert(pos(s), part);
            break;
        }
        case 5:
        case 6: { // a token, replacing the value that follows or inserted
            const std::string tok = tokenAt(pick(std::size(kTokens)));
            const std::size_t at = interestingPos(s);
            if (pick(2) == 0) {
                const std::size_t end = s.find_first_of(",\n}]", at);
                s.replace(at, (end == std::string::npos ? s.size() : end) - at, tok);
            } else {
                s.insert(at, tok);
            }
            break;
        }
        case 7: { // splice: this input's head, another's tail
            if (m_corpus.empty())
                break;
            const std::string& o = m_corpus[pick(m_corpus.size())];
            s = s.substr(0, pos(s)) + o.substr(pick(o.size() + 1));
            break;
        }
        case 8: { // duplicate or delete a whole line
            const auto lines = lineStarts(s);
            const std::size_t i = pick(lines.size());
            const std::size_t b = lines[i], e = i + 1 < lines.size() ? lines[i + 1] : s.size();
            if (pick(2) == 0)
                s.insert(b, s.substr(b, e - b));
            else
                s.erase(b, e - b);
            break;
        }
        case 9: { // swap two lines
            const auto lines = lineStarts(s);
            if (lines.size() < 2)
                break;
            const std::size_t i = pick(lines.size() - 1);
            const std::size_t b = lines[i], m = lines[i + 1], e = i + 2 < lines.size() ? lines[i + 2] : s.size();
            s = s.substr(0, b) + s.substr(m, e - m) + s.substr(b, m - b) + s.substr(e);
            break;
        }
        default: { // change a number's digits
            const std::size_t d = s.find_first_of("0123456789", pick(s.size() + 1));
            if (d != std::string::npos)
                s.insert(d, std::string(1 + pick(12), static_cast<char>('0' + pick(10))));
            break;
        }
        }
    }
    static std::string tokenAt(std::size_t i) {
        const char* t = kTokens[i];
        return *t ? std::string(t) : std::string("\0", 1);
    }
    static std::vector<std::size_t> lineStarts(const std::string& s) {
        std::vector<std::size_t> out{0};
        for (std::size_t i = 0; i + 1 < s.size(); ++i)
            if (s[i] == '\n')
                out.push_back(i + 1);
        return out;
    }

    std::mt19937_64 m_rng;
    const std::vector<std::string>& m_corpus;
    std::size_t m_maxLen;
};

bool flag(const std::string& arg, const char* name, std::string& value) {
    const std::string prefix = std::string("-") + name + "=";
    if (arg.rfind(prefix, 0) != 0)
        return false;
    value = arg.substr(prefix.size());
    return true;
}

} // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        std::string v;
        if (flag(a, "runs", v))
            o.runs = std::stoll(v);
        else if (flag(a, "max_total_time", v))
            o.maxTotalTimeS = std::stod(v);
        else if (flag(a, "seed", v))
            o.seed = std::stoull(v);
        else if (flag(a, "max_len", v))
            o.maxLen = std::stoull(v);
        else if (flag(a, "write_mutations", v))
            o.writeDir = v;
        else if (flag(a, "write_suffix", v))
            o.writeSuffix = v;
        else if (!a.empty() && a[0] == '-')
            std::cerr << "fuzz: ignoring libFuzzer option " << a << "\n";
        else
            o.inputs.push_back(a);
    }
    const std::string target = fs::path(argv[0]).filename().string();
    const char* dir = std::getenv("ROOFLAB_FUZZ_ARTIFACTS");
    const std::vector<std::string> corpus = readCorpus(o.inputs);
    if (o.maxLen == 0) {
        std::size_t largest = 0;
        for (const auto& c : corpus)
            largest = std::max(largest, c.size());
        o.maxLen = std::clamp<std::size_t>(2 * largest, 4096, std::size_t(1) << 20);
    }
    if (!o.writeDir.empty()) {
        // The same seeded mutations as a fuzz run, written to files: mut-<seed>-<n><suffix>.
        std::error_code ec;
        fs::create_directories(o.writeDir, ec);
        Mutator m(o.seed, corpus, o.maxLen);
        const long long n = o.runs < 0 ? 100 : o.runs;
        for (long long i = 0; i < n; ++i) {
            const std::string input = m.next();
            char name[64];
            std::snprintf(name, sizeof name, "mut-%llu-%05lld", static_cast<unsigned long long>(o.seed), i);
            std::ofstream out(fs::path(o.writeDir) / (name + o.writeSuffix), std::ios::binary);
            out.write(input.data(), static_cast<std::streamsize>(input.size()));
            if (!out) {
                std::cerr << "fuzz: cannot write into " << o.writeDir << "\n";
                return 1;
            }
        }
        std::printf("fuzz %s: wrote %lld mutated inputs into %s\n", target.c_str(), n, o.writeDir.c_str());
        return 0;
    }
    std::signal(SIGABRT, onFatalSignal);
    std::signal(SIGSEGV, onFatalSignal);
    std::signal(SIGFPE, onFatalSignal);
    std::signal(SIGBUS, onFatalSignal);
#ifdef ROOFLAB_HAVE_SANITIZER_API
    __sanitizer_set_death_callback(saveCurrent);
#endif

    const auto t0 = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    long long execs = 0;
    auto runOne = [&](const std::string& input) {
        g_current = &input;
        std::snprintf(g_artifact, sizeof g_artifact, "%s%scrash-%s-%lld", dir ? dir : "", dir ? "/" : "",
                      target.c_str(), execs);
        LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
        g_current = nullptr;
        ++execs;
    };
    for (const auto& c : corpus)
        runOne(c);
    const long long replayed = execs;
    const double replayS = elapsed();
    Mutator m(o.seed, corpus, o.maxLen);
    while (true) {
        const long long mutated = execs - replayed;
        if (o.runs >= 0 && mutated >= o.runs)
            break;
        if (o.runs < 0 && o.maxTotalTimeS <= 0)
            break; // replay only
        if (o.maxTotalTimeS > 0 && (mutated & 15) == 0 && elapsed() >= o.maxTotalTimeS)
            break;
        runOne(m.next());
    }
    const double total = elapsed();
    std::printf("fuzz %s: %lld corpus inputs replayed in %.2f s; %lld mutated inputs in %.1f s (%.0f/s, seed %llu, "
                "max_len %zu); 0 findings\n",
                target.c_str(), replayed, replayS, execs - replayed, total - replayS,
                total > replayS ? double(execs - replayed) / (total - replayS) : 0.0,
                static_cast<unsigned long long>(o.seed), o.maxLen);
    return 0;
}
