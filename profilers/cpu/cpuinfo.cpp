#include "profilers/cpu/cpuinfo.hpp"

#include "model/units/errors.hpp"
#include "profilers/cpu/input_error.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cpuid.h>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

namespace rooflab::cpu {
namespace {

constexpr int kArchGetXcompPerm = 0x1022;
constexpr int kArchReqXcompPerm = 0x1023;
constexpr int kXfeatureXtileData = 18;

bool bit(unsigned value, int index) {
    return ((value >> index) & 1u) != 0;
}

unsigned long long readXcr0() {
    unsigned eax = 0, edx = 0;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (static_cast<unsigned long long>(edx) << 32) | eax;
}

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    const auto e = s.find_last_not_of(" \t");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

} // namespace

void throwInputError(const std::string& key, const std::string& message) {
    throw InputError("", 0, key, message);
}

const char* isaName(Isa isa) {
    switch (isa) {
    case Isa::Scalar:
        return "scalar";
    case Isa::Avx2Fma:
        return "avx2_fma";
    case Isa::Avx512Fma:
        return "avx512_fma";
    case Isa::Avx512Bf16:
        return "avx512_bf16";
    case Isa::AmxBf16:
        return "amx_bf16";
    case Isa::AmxInt8:
        return "amx_int8";
    }
    return "unknown";
}

std::vector<Isa> allIsas() {
    return {Isa::Scalar, Isa::Avx2Fma, Isa::Avx512Fma, Isa::Avx512Bf16, Isa::AmxBf16, Isa::AmxInt8};
}

Isa parseIsa(const std::string& name) {
    for (Isa isa : allIsas())
        if (name == isaName(isa))
            return isa;
    throwInputError("isa", "unknown ISA '" + name +
                               "' (expected scalar, avx2_fma, avx512_fma, avx512_bf16, "
                               "amx_bf16 or amx_int8)");
}

bool requestAmxPermission(std::string* reason) {
    unsigned long long bitmask = 0;
    if (syscall(SYS_arch_prctl, kArchGetXcompPerm, &bitmask) == 0 && ((bitmask >> kXfeatureXtileData) & 1ull) != 0)
        return true;
    if (syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtileData) != 0) {
        if (reason != nullptr)
            *reason =
                std::string("kernel refused AMX permission: arch_prctl(ARCH_REQ_XCOMP_PERM, XTILEDATA) failed: ") +
                std::strerror(errno) + (errno == EINVAL ? " (kernel older than 5.16 or AMX disabled)" : "");
        return false;
    }
    return true;
}

CpuInfo detectCpuInfo() {
    CpuInfo info;
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    unsigned maxLeaf = 0;
    if (__get_cpuid(0, &maxLeaf, &ebx, &ecx, &edx)) {
        char vendor[13] = {};
        std::memcpy(vendor, &ebx, 4);
        std::memcpy(vendor + 4, &edx, 4);
        std::memcpy(vendor + 8, &ecx, 4);
        info.vendor = vendor;
    }
    IsaFeatures& f = info.isa;
    if (maxLeaf >= 1 && __get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        const unsigned baseFamily = (eax >> 8) & 0xf;
        const unsigned baseModel = (eax >> 4) & 0xf;
        info.family = static_cast<int>(baseFamily == 0xf ? baseFamily + ((eax >> 20) & 0xff) : baseFamily);
        info.model = static_cast<int>((baseFamily == 0x6 || baseFamily == 0xf) ? (((eax >> 16) & 0xf) << 4) | baseModel
                                                                               : baseModel);
        info.stepping = static_cast<int>(eax & 0xf);
        f.sse2 = bit(edx, 26);
        f.fma = bit(ecx, 12);
        f.osxsave = bit(ecx, 27);
        f.avx = bit(ecx, 28);
        info.hypervisor = bit(ecx, 31);
    }
    if (maxLeaf >= 7 && __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
        const unsigned subleaves = eax;
        f.avx2 = bit(ebx, 5);
        f.avx512f = bit(ebx, 16);
        f.avx512dq = bit(ebx, 17);
        f.avx512bw = bit(ebx, 30);
        f.avx512vl = bit(ebx, 31);
        f.avx512vnni = bit(ecx, 11);
        f.amxBf16 = bit(edx, 22);
        f.avx512fp16 = bit(edx, 23);
        f.amxTile = bit(edx, 24);
        f.amxInt8 = bit(edx, 25);
        if (subleaves >= 1 && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx))
            f.avx512bf16 = bit(eax, 5);
    }
    if (f.osxsave) {
        f.xcr0 = readXcr0();
        f.osAvx = (f.xcr0 & 0x6) == 0x6;
        f.osAvx512 = f.osAvx && (f.xcr0 & 0xe0) == 0xe0;
        f.osAmx = (f.xcr0 & 0x60000) == 0x60000;
    }
    if (f.amxTile) {
        if (!f.osAmx)
            f.amxPermissionReason = "XCR0 lacks XTILECFG/XTILEDATA: the OS did not enable AMX state";
        else
            f.amxPermission = requestAmxPermission(&f.amxPermissionReason);
    } else {
        f.amxPermissionReason = "CPU has no AMX";
    }

    unsigned maxExt = 0;
    if (__get_cpuid(0x80000000, &maxExt, &ebx, &ecx, &edx) && maxExt >= 0x80000004) {
        unsigned brand[12];
        for (unsigned i = 0; i < 3; ++i)
            __get_cpuid(0x80000002 + i, &brand[4 * i], &brand[4 * i + 1], &brand[4 * i + 2], &brand[4 * i + 3]);
        char text[49] = {};
        std::memcpy(text, brand, 48);
        info.modelName = trim(text);
    }

    info.logicalCpus = static_cast<int>(std::thread::hardware_concurrency());
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    bool haveFlags = false, haveMhz = false, haveName = false;
    while (std::getline(cpuinfo, line) && !(haveFlags && haveMhz && haveName)) {
        const auto colon = line.find(':');
        if (colon == std::string::npos)
            continue;
        const std::string key = trim(line.substr(0, colon));
        const std::string value = trim(line.substr(colon + 1));
        if (key == "flags" && !haveFlags) {
            std::istringstream words(value);
            std::string word;
            while (words >> word)
                info.procFlags.push_back(word);
            haveFlags = true;
        } else if (key == "cpu MHz" && !haveMhz) {
            try {
                info.nominalFrequencyHz = std::stod(value) * 1e6;
            } catch (const std::exception&) {
            }
            haveMhz = true;
        } else if (key == "model name" && !haveName) {
            // The kernel's name (what lscpu shows) over the CPUID brand string: a hypervisor can answer the brand
            // leaves with another name than the guest kernel reports (an "AMD EPYC" guest whose CPUID says "Oxide
            // Virtual Turin-like Processor").
            if (!value.empty())
                info.modelName = value;
            haveName = true;
        }
    }
    std::ifstream maxFreq("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq");
    double khz = 0;
    if (maxFreq >> khz)
        info.maxFrequencyHz = khz * 1e3;
    return info;
}

bool isaUsable(const IsaFeatures& f, Isa isa) {
    return isaUnusableReason(f, isa).empty();
}

std::string isaUnusableReason(const IsaFeatures& f, Isa isa) {
    switch (isa) {
    case Isa::Scalar:
        return f.sse2 ? "" : "CPU lacks SSE2";
    case Isa::Avx2Fma:
        if (!f.avx2 || !f.fma)
            return "CPU lacks AVX2/FMA";
        return f.osAvx ? "" : "OS did not enable AVX state (XCR0)";
    case Isa::Avx512Fma:
        if (!f.avx512f)
            return "CPU lacks AVX-512F";
        return f.osAvx512 ? "" : "OS did not enable AVX-512 state (XCR0)";
    case Isa::Avx512Bf16:
        if (!f.avx512f || !f.avx512bf16)
            return "CPU lacks AVX-512 BF16";
        return f.osAvx512 ? "" : "OS did not enable AVX-512 state (XCR0)";
    case Isa::AmxBf16:
    case Isa::AmxInt8: {
        const bool unit = isa == Isa::AmxBf16 ? f.amxBf16 : f.amxInt8;
        if (!f.amxTile || !unit)
            return isa == Isa::AmxBf16 ? "CPU lacks AMX-BF16" : "CPU lacks AMX-INT8";
        if (!f.osAmx)
            return "OS did not enable AMX tile state (XCR0)";
        return f.amxPermission ? "" : f.amxPermissionReason;
    }
    }
    return "unknown ISA";
}

double measureCoreFrequencyHz(double seconds) {
    // A chain of dependent 64-bit multiplies: 3 cycles each on every x86-64 core of the last decade (Intel since
    // Nehalem, AMD since Zen). A chain of `add reg, imm` is not safe: Golden Cove-class cores (Sapphire/Emerald
    // Rapids) fold immediate adds at rename and run such chains faster than one per cycle.
    using Clock = std::chrono::steady_clock;
    constexpr double kCyclesPerMultiply = 3.0;
    auto chain = [](long iterations) {
        unsigned long x = 3;
        for (long i = 0; i < iterations; ++i)
            __asm__ volatile(".rept 100\n\timulq %0, %0\n\t.endr" : "+r"(x));
        return x;
    };
    chain(20000); // warm-up, also lets the clock ramp up
    double best = 0;
    long iterations = 20000;
    for (int attempt = 0; attempt < 5; ++attempt) {
        const auto t0 = Clock::now();
        chain(iterations);
        const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
        best = std::max(best, kCyclesPerMultiply * 100.0 * static_cast<double>(iterations) / dt);
        if (dt < seconds / 5)
            iterations = static_cast<long>(static_cast<double>(iterations) * (seconds / 5) / std::max(dt, 1e-6));
    }
    return best;
}

nlohmann::json toJson(const CpuInfo& info) {
    const IsaFeatures& f = info.isa;
    nlohmann::json isa = {{"sse2", f.sse2},
                          {"avx", f.avx},
                          {"avx2", f.avx2},
                          {"fma", f.fma},
                          {"avx512f", f.avx512f},
                          {"avx512dq", f.avx512dq},
                          {"avx512bw", f.avx512bw},
                          {"avx512vl", f.avx512vl},
                          {"avx512_vnni", f.avx512vnni},
                          {"avx512_bf16", f.avx512bf16},
                          {"avx512_fp16", f.avx512fp16},
                          {"amx_tile", f.amxTile},
                          {"amx_bf16", f.amxBf16},
                          {"amx_int8", f.amxInt8},
                          {"xcr0", f.xcr0},
                          {"os_avx", f.osAvx},
                          {"os_avx512", f.osAvx512},
                          {"os_amx", f.osAmx},
                          {"amx_permission", f.amxPermission},
                          {"amx_permission_reason", f.amxPermissionReason}};
    nlohmann::json usable = nlohmann::json::object();
    for (Isa i : allIsas()) {
        const std::string reason = isaUnusableReason(f, i);
        usable[isaName(i)] = reason.empty() ? nlohmann::json("yes") : nlohmann::json(reason);
    }
    return {{"vendor", info.vendor},
            {"model_name", info.modelName},
            {"family", info.family},
            {"model", info.model},
            {"stepping", info.stepping},
            {"hypervisor", info.hypervisor},
            {"logical_cpus", info.logicalCpus},
            {"nominal_frequency_hz", info.nominalFrequencyHz},
            {"max_frequency_hz", info.maxFrequencyHz},
            {"isa", isa},
            {"benchmark_isas", usable}};
}

} // namespace rooflab::cpu
