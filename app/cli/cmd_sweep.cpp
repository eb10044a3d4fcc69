// rooflab sweep: grids of platforms x models x stacks x phase x batch x prompt/context x TP/PP/EP x datatypes,
// evaluated on all cores, to CSV or JSONL.
#include "analysis/sweep.hpp"
#include "codec/sweep_grid.hpp"
#include "registry.hpp"
#include "units/errors.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <unistd.h>

namespace rooflab::cli {
namespace {

struct SweepOptions {
    SweepGridText grid;
    std::string gridFile, out = "-", format;
    int threads = 0;
    int64_t chunkPoints = 4096;
    bool noProgress = false, count = false, quiet = false;
};
SweepOptions g_sweep;

struct FileCloser {
    void operator()(std::FILE* f) const {
        if (f && f != stdout)
            std::fclose(f);
    }
};

/// The temporary being written, for the signal handler: prepared before the handlers are installed, so the handler
/// only reads it (unlink and raise are async-signal-safe).
char g_tmpPath[4096];
volatile std::sig_atomic_t g_tmpArmed = 0;
constexpr int kCleanupSignals[] = {SIGINT, SIGTERM, SIGHUP};

extern "C" void removeTemporaryAndDie(int sig) {
    if (g_tmpArmed)
        ::unlink(g_tmpPath);
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

/// Owns the sweep's temporary file: a hidden per-process name next to OUT (as io::writeFileAtomic's), removed when a
/// signal kills the run or when the run fails before renaming it into place.
class SweepTemporary {
public:
    explicit SweepTemporary(const std::string& out) {
        const std::filesystem::path dest(out);
        path_ = (dest.parent_path() / ("." + dest.filename().string() + ".tmp" + std::to_string(::getpid()))).string();
        if (path_.size() >= sizeof g_tmpPath)
            throw InputError(out, 0, "--out", "path too long");
        std::memcpy(g_tmpPath, path_.c_str(), path_.size() + 1);
        g_tmpArmed = 1;
        struct sigaction sa {};
        sa.sa_handler = removeTemporaryAndDie;
        sigemptyset(&sa.sa_mask);
        for (std::size_t i = 0; i < std::size(kCleanupSignals); ++i) {
            ::sigaction(kCleanupSignals[i], nullptr, &old_[i]);
            // A SIGHUP ignored on purpose (nohup) stays ignored. SIGINT and SIGTERM are always caught, even where a
            // shell started the sweep in the background with SIGINT ignored: `kill -INT` must not leave a temporary.
            if (kCleanupSignals[i] == SIGHUP && old_[i].sa_handler == SIG_IGN)
                continue;
            ::sigaction(kCleanupSignals[i], &sa, nullptr);
        }
    }
    SweepTemporary(const SweepTemporary&) = delete;
    SweepTemporary& operator=(const SweepTemporary&) = delete;
    ~SweepTemporary() {
        if (!renamed_)
            ::unlink(path_.c_str());
        for (std::size_t i = 0; i < std::size(kCleanupSignals); ++i)
            ::sigaction(kCleanupSignals[i], &old_[i], nullptr);
        g_tmpArmed = 0;
    }
    const std::string& path() const { return path_; }
    /// Renames the finished temporary into place; false (the temporary still to be removed) when that fails.
    bool commit(const std::string& out) {
        renamed_ = std::rename(path_.c_str(), out.c_str()) == 0;
        if (renamed_)
            g_tmpArmed = 0;
        return renamed_;
    }

private:
    std::string path_;
    bool renamed_ = false;
    struct sigaction old_[std::size(kCleanupSignals)]{};
};

void runSweepCommand(const SweepOptions& o) {
    SweepGridText grid;
    if (!o.gridFile.empty())
        grid = loadSweepGridFile(o.gridFile);
    overlaySweepGrid(grid, o.grid);
    const SweepSpace sp = buildSweepSpace(grid);
    // An axis that does not apply to a phase would repeat the same row once per value: say so, write it once.
    for (const std::string& w : sweepAxisWarnings(sp))
        std::cerr << "rooflab sweep: warning: " << w << "\n";
    if (o.count) {
        std::cout << sweepDistinctPoints(sp) << "\n";
        return;
    }
    SweepRunOptions ro;
    std::string format = o.format;
    if (format.empty())
        format = o.out.size() > 6 && (o.out.ends_with(".jsonl") || o.out.ends_with(".json")) ? "jsonl" : "csv";
    if (format == "csv")
        ro.format = SweepFormat::Csv;
    else if (format == "jsonl")
        ro.format = SweepFormat::Jsonl;
    else
        throw InputError("", 0, "--format", "'" + format + "' is not one of csv, jsonl");
    if (o.threads < 0)
        throw InputError("", 0, "--threads", "must be 0 (all cores) or more");
    if (o.chunkPoints < 1)
        throw InputError("", 0, "--chunk-points", "must be at least 1");
    ro.threads = static_cast<unsigned>(o.threads);
    ro.chunkPoints = static_cast<uint64_t>(o.chunkPoints);

    std::error_code dirEc;
    if (o.out != "-" && std::filesystem::is_directory(o.out, dirEc))
        throw InputError(o.out, 0, "--out", "is a folder; give a file name (nothing was written)");
    // Declared before the file, so the file is closed before the temporary is removed.
    std::unique_ptr<SweepTemporary> tmp;
    std::unique_ptr<std::FILE, FileCloser> file;
    std::FILE* fp = stdout;
    if (o.out != "-") {
        tmp = std::make_unique<SweepTemporary>(o.out);
        file.reset(std::fopen(tmp->path().c_str(), "wb"));
        if (!file)
            throw InputError(o.out, 0, "--out", "cannot write the sweep file (is the folder there and writable?)");
        fp = file.get();
    }
    static char s_buffer[1 << 20];
    std::setvbuf(fp, s_buffer, _IOFBF, sizeof s_buffer);

    const bool bar = !o.noProgress && !o.quiet && isatty(fileno(stderr)) != 0;
    auto last = std::chrono::steady_clock::now();
    const auto start = last;
    auto progress = [&](uint64_t done, uint64_t total) {
        const auto now = std::chrono::steady_clock::now();
        if (done < total && now - last < std::chrono::milliseconds(100))
            return;
        last = now;
        const double frac = total ? double(done) / double(total) : 1.0;
        const int width = 40;
        const int filled = static_cast<int>(frac * width);
        const double el = std::chrono::duration<double>(now - start).count();
        std::fprintf(stderr, "\r[%.*s%*s] %5.1f%%  %llu/%llu points  %.1fs", filled,
                     "########################################", width - filled, "", frac * 100,
                     static_cast<unsigned long long>(done), static_cast<unsigned long long>(total), el);
        if (done >= total)
            std::fputc('\n', stderr);
        std::fflush(stderr);
    };
    const SweepStats st = runSweep(
        sp, ro,
        [&](std::string_view text) {
            if (std::fwrite(text.data(), 1, text.size(), fp) != text.size())
                throw InputError(o.out, 0, "--out", "write failed");
        },
        bar ? std::function<void(uint64_t, uint64_t)>(progress) : std::function<void(uint64_t, uint64_t)>());
    if (std::fflush(fp) != 0)
        throw InputError(o.out, 0, "--out", "write failed");
    if (file) {
        if (std::fclose(file.release()) != 0)
            throw InputError(o.out, 0, "--out", "write failed");
        if (!tmp->commit(o.out))
            throw InputError(o.out, 0, "--out",
                             std::string("cannot rename the finished sweep file into place: ") + std::strerror(errno));
    }
    if (!o.quiet)
        std::fprintf(stderr, "rooflab sweep: %llu points (%llu accepted by the engine) in %.2f s, %.0f points/s%s%s\n",
                     static_cast<unsigned long long>(st.points), static_cast<unsigned long long>(st.ok), st.wallS,
                     st.wallS > 0 ? double(st.points) / st.wallS : 0.0, o.out == "-" ? "" : " -> ",
                     o.out == "-" ? "" : o.out.c_str());
}

void addSweep(CLI::App& root, int&) {
    SweepOptions& o = g_sweep;
    CLI::App* c = root.add_subcommand(
        "sweep", "Evaluate a grid (platforms x models x phase x batch x prompt/context x TP/PP/EP x datatypes) on all "
                 "cores, to CSV or JSONL");
    c->footer(
        "Lists: 1,2,4  ranges: 1:256:x2 (geometric), 128:1024:+128 (arithmetic); names comma-separated.\n"
        "A YAML grid file (--grid) takes the same keys (platform, model, stack, phase, batch, prompt, context,\n"
        "output, tp, pp, ep, weights, kv, act, chunk) as text or sequences; options override it.\n"
        "Columns: platform,model,stack,phase,batch,prompt,context,output,tp,pp,ep,weights,kv,act,ok,status,\n"
        "devices,latency_s,tokens_per_s,bound,memory_bytes,fits,energy_j,energy_per_token_j,ttft_s,tpot_s,error\n"
        "(SI base units; request phase: latency_s is end-to-end, energy_j per request batch). status is ok,\n"
        "does_not_fit or infeasible (error says why; its numbers are empty). Empty cells are not applicable:\n"
        "ttft_s in decode rows, tpot_s in prefill rows, context in prefill rows, prompt in decode rows.\n"
        "An axis that does not apply to a phase (context for prefill) is written once per point, with a warning.");
    SweepGridText& g = o.grid;
    c->add_option("--grid", o.gridFile, "YAML grid file");
    c->add_option("--platform", g.platform, "platforms (default h100-sxm5-80gb)");
    c->add_option("--model", g.model, "models (default llama-3.1-8b)");
    c->add_option("--stack", g.stack, "stack profiles (default pytorch-eager)");
    c->add_option("--phase", g.phase, "prefill, decode, chunked, request (default decode)");
    c->add_option("--batch", g.batch, "batch sizes (default 1)");
    c->add_option("--prompt", g.prompt, "prompt tokens (default 512)");
    c->add_option("--context", g.context, "decode context tokens (default 1024)");
    c->add_option("--output", g.output, "generated tokens, request phase (default 128)");
    c->add_option("--chunk", g.chunk, "chunked phase: prefill tokens per step (default 512)");
    c->add_option("--tp", g.tp, "tensor parallelism (default 1)");
    c->add_option("--pp", g.pp, "pipeline parallelism (default 1)");
    c->add_option("--ep", g.ep, "expert parallelism (default 1)");
    c->add_option("--weights", g.weights, "weight datatypes (default bf16)");
    c->add_option("--kv", g.kv, "KV-cache datatypes (default bf16)");
    c->add_option("--act", g.act, "activation datatypes (default bf16)");
    c->add_option("-o,--out", o.out, "output file, '-' for stdout")->capture_default_str();
    c->add_option("--format", o.format, "csv or jsonl (default: from --out's suffix, else csv)");
    c->add_option("-j,--threads", o.threads, "threads (0: all cores)")->capture_default_str();
    c->add_option("--chunk-points", o.chunkPoints, "points per work item")->capture_default_str();
    c->add_flag("--no-progress", o.noProgress, "no progress bar (it shows only when stderr is a terminal)");
    c->add_flag("--count", o.count, "print the number of points and exit");
    c->add_flag("-q,--quiet", o.quiet, "no summary line on stderr");
    c->callback([]() { runSweepCommand(g_sweep); });
}

} // namespace
ROOFLAB_REGISTER_COMMAND("sweep", addSweep);
} // namespace rooflab::cli
