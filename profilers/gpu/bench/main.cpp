/// rooflab-gpu-bench: GPU microbenchmarks (memory bandwidth and latency, SIMT and tensor peaks, cuBLASLt GEMM
/// sweep, launch overhead, host link). Writes CSV files plus provenance.json into --out.
#include "common.hpp"

#include <cublasLt.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

using namespace rooflab::gpubench;

namespace {

std::string readDriverVersion() {
    std::ifstream f("/proc/driver/nvidia/version");
    std::string line;
    if (f && std::getline(f, line)) {
        // "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.159.04  Thu ..."
        std::istringstream is(line);
        std::string tok;
        while (is >> tok)
            if (!tok.empty() && std::isdigit(static_cast<unsigned char>(tok[0])) && tok.find('.') != std::string::npos)
                return tok;
    }
    int v = 0;
    cudaDriverGetVersion(&v);
    return "cuda-driver-api-" + std::to_string(v);
}

std::string jsonEscape(const std::string& s) {
    std::string o;
    for (char c : s) {
        if (c == '"' || c == '\\') { o += '\\'; o += c; }
        else if (static_cast<unsigned char>(c) < 0x20) o += ' ';
        else o += c;
    }
    return o;
}

std::string isoNow() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

void writeProvenance(const Device& d, const Options& o, const std::string& command) {
    int rt = 0;
    cudaRuntimeGetVersion(&rt);
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    std::ofstream f(o.outDir + "/provenance.json");
    f << "{\n"
      << "  \"card\": \"" << jsonEscape(d.prop.name) << "\",\n"
      << "  \"sm_count\": " << d.smCount << ",\n"
      << "  \"sm_clock_mhz_max\": " << d.smClockKHz / 1000 << ",\n"
      << "  \"mem_clock_mhz\": " << d.memClockKHz / 1000 << ",\n"
      << "  \"l2_bytes\": " << d.l2Bytes << ",\n"
      << "  \"memory_bytes\": " << d.totalBytes << ",\n"
      << "  \"compute_capability\": \"" << d.prop.major << "." << d.prop.minor << "\",\n"
      << "  \"driver\": \"" << jsonEscape(readDriverVersion()) << "\",\n"
      << "  \"cuda_runtime\": \"" << rt / 1000 << "." << (rt % 1000) / 10 << "\",\n"
      << "  \"cublaslt\": \"" << cublasLtGetVersion() << "\",\n"
      << "  \"date\": \"" << isoNow() << "\",\n"
      << "  \"host\": \"" << jsonEscape(host) << "\",\n"
      << "  \"tool\": \"rooflab-gpu-bench 0.1\",\n"
      << "  \"quick\": " << (o.quick ? "true" : "false") << ",\n"
      << "  \"command\": \"" << jsonEscape(command) << "\"\n"
      << "}\n";
}

void usage() {
    std::cout << "usage: rooflab-gpu-bench [--only LIST] [--quick] [--out DIR] [--device N]\n"
                 "  LIST: comma-separated subset of bandwidth,latency,flops,gemm,launch,hostlink,counters\n";
}

} // namespace

int main(int argc, char** argv) {
    Options o;
    int dev = 0;
    std::string command;
    for (int i = 0; i < argc; ++i) {
        if (i)
            command += ' ';
        command += argv[i];
    }
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) { usage(); std::exit(2); }
            return argv[++i];
        };
        if (a == "--quick") o.quick = true;
        else if (a == "--out") o.outDir = next();
        else if (a == "--device") dev = std::stoi(next());
        else if (a == "--only") {
            std::stringstream ss(next());
            std::string item;
            while (std::getline(ss, item, ','))
                if (!item.empty()) o.only.push_back(item);
        } else if (a == "-h" || a == "--help") { usage(); return 0; }
        else { std::cerr << "unknown argument " << a << "\n"; usage(); return 2; }
    }
    std::filesystem::create_directories(o.outDir);
    Device d;
    try {
        d = queryDevice(dev);
    } catch (const std::exception& e) {
        std::cerr << "rooflab-gpu-bench: no usable GPU: " << e.what() << "\n";
        return 1;
    }
    progress("device", std::string(d.prop.name) + ", " + std::to_string(d.smCount) + " SMs, L2 " +
                           std::to_string(d.l2Bytes >> 20) + " MiB, " + std::to_string(d.totalBytes >> 30) + " GiB");
    writeProvenance(d, o, command);
    struct Section { const char* name; void (*fn)(const Device&, const Options&); };
    const Section sections[] = {{"launch", benchLaunch},       {"bandwidth", benchBandwidth}, {"latency", benchLatency},
                                {"flops", benchFlops},         {"gemm", benchGemm},           {"hostlink", benchHostLink},
                                {"counters", benchCounters}};
    int failures = 0;
    for (const auto& s : sections) {
        if (!o.wants(s.name))
            continue;
        // "counters" only when asked for by name: it needs the CUPTI profiler and replays kernels.
        if (std::string(s.name) == "counters" && o.only.empty())
            continue;
        const auto t0 = std::chrono::steady_clock::now();
        try {
            s.fn(d, o);
        } catch (const std::exception& e) {
            ++failures;
            progress(s.name, std::string("FAILED: ") + e.what());
            cudaGetLastError();
        }
        const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        progress(s.name, "done in " + std::to_string(sec) + " s");
    }
    return failures ? 1 : 0;
}
