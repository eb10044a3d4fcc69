#pragma once
/// @brief CPU identification and run-time ISA detection (CPUID, XCR0 through xgetbv, Linux AMX permission).
/// Everything here is safe on any x86-64: nothing executes an instruction the CPU lacks.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace rooflab::cpu {

/// @brief Instruction sets the FLOP/s benchmarks know. Names match the `isa` column of flops.csv.
enum class Isa { Scalar, Avx2Fma, Avx512Fma, Avx512Bf16, AmxBf16, AmxInt8 };

/// @brief "scalar", "avx2_fma", "avx512_fma", "avx512_bf16", "amx_bf16", "amx_int8".
const char* isaName(Isa isa);
/// @brief Parses isaName() strings; throws rooflab::InputError for unknown names.
Isa parseIsa(const std::string& name);
std::vector<Isa> allIsas();

/// @brief Raw CPUID feature bits plus what the OS enabled (XCR0) and granted (AMX permission).
struct IsaFeatures {
    bool sse2 = false, avx = false, avx2 = false, fma = false;
    bool avx512f = false, avx512dq = false, avx512bw = false, avx512vl = false, avx512vnni = false;
    bool avx512bf16 = false, avx512fp16 = false;
    bool amxTile = false, amxBf16 = false, amxInt8 = false;
    bool osxsave = false;  ///< CPUID.1:ECX.OSXSAVE — xgetbv may be executed
    unsigned long long xcr0 = 0;
    bool osAvx = false;    ///< XCR0 has SSE+YMM state
    bool osAvx512 = false; ///< XCR0 has opmask+ZMM state
    bool osAmx = false;    ///< XCR0 has XTILECFG+XTILEDATA
    bool amxPermission = false;      ///< arch_prctl(ARCH_REQ_XCOMP_PERM, XTILEDATA) succeeded
    std::string amxPermissionReason; ///< why AMX is not usable, empty when it is
};

struct CpuInfo {
    std::string vendor;    ///< "GenuineIntel", "AuthenticAMD"
    std::string modelName; ///< brand string
    int family = 0, model = 0, stepping = 0;
    bool hypervisor = false;
    int logicalCpus = 0;   ///< std::thread::hardware_concurrency()
    double nominalFrequencyHz = 0; ///< "cpu MHz" of /proc/cpuinfo, 0 when unknown
    double maxFrequencyHz = 0;     ///< cpufreq cpuinfo_max_freq, 0 when absent (VMs)
    IsaFeatures isa;
    std::vector<std::string> procFlags; ///< flags line of /proc/cpuinfo (Linux's view)
};

/// @brief Detects the CPU. Requests AMX permission from the kernel when the CPU has AMX, since the FLOP/s
/// benchmarks need it (the permission is per process). Never throws.
CpuInfo detectCpuInfo();

/// @brief True when `isa` may be executed by this process (CPU bit, OS state and, for AMX, permission).
bool isaUsable(const IsaFeatures& features, Isa isa);
/// @brief Why `isa` is not usable ("CPU lacks AVX-512 BF16", "kernel refused AMX permission: …"); empty if usable.
std::string isaUnusableReason(const IsaFeatures& features, Isa isa);

/// @brief Asks Linux for AMX tile data permission (arch_prctl ARCH_REQ_XCOMP_PERM). Idempotent.
bool requestAmxPermission(std::string* reason = nullptr);

/// @brief Core clock estimated from a chain of dependent 64-bit multiplies (3 cycles each) over ~`seconds`.
double measureCoreFrequencyHz(double seconds = 0.05);

nlohmann::json toJson(const CpuInfo& info);

} // namespace rooflab::cpu
