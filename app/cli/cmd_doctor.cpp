// `rooflab doctor`: what this machine can measure — CPU model and ISA (AMX and the kernel's permission), hwloc
// topology, PMU counters (and why not), CUDA driver, CUPTI and GPUs. CUDA is probed with dlopen only, so the
// CLI neither links nor needs CUDA.
#include "model/units/errors.hpp"
#include "profilers/cpu/cpuinfo.hpp"
#include "profilers/cpu/pmu.hpp"
#include "profilers/topology/topology.hpp"
#include "registry.hpp"

#include <cstdint>
#include <dlfcn.h>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

namespace {

using CuInit = int (*)(unsigned);
using CuDriverGetVersion = int (*)(int*);
using CuDeviceGetCount = int (*)(int*);
using CuDeviceGet = int (*)(int*, int);
using CuDeviceGetName = int (*)(char*, int, int);
using CuDeviceTotalMem = int (*)(std::size_t*, int);
using CuptiGetVersion = int (*)(std::uint32_t*);

template <typename Fn> Fn symbol(void* library, const char* name) {
    return reinterpret_cast<Fn>(dlsym(library, name));
}

std::string lastDlError() {
    const char* e = dlerror();
    return e != nullptr ? e : "unknown dlopen error";
}

nlohmann::json probeCuda() {
    nlohmann::json gpu = {{"driver_found", false}, {"devices", nlohmann::json::array()}};
    void* cuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (cuda == nullptr) {
        gpu["driver_reason"] = "no NVIDIA driver (libcuda.so.1 not found: " + lastDlError() + ")";
    } else {
        gpu["driver_found"] = true;
        const auto init = symbol<CuInit>(cuda, "cuInit");
        const auto driverVersion = symbol<CuDriverGetVersion>(cuda, "cuDriverGetVersion");
        const auto deviceCount = symbol<CuDeviceGetCount>(cuda, "cuDeviceGetCount");
        const auto deviceGet = symbol<CuDeviceGet>(cuda, "cuDeviceGet");
        const auto deviceName = symbol<CuDeviceGetName>(cuda, "cuDeviceGetName");
        auto totalMem = symbol<CuDeviceTotalMem>(cuda, "cuDeviceTotalMem_v2");
        if (totalMem == nullptr)
            totalMem = symbol<CuDeviceTotalMem>(cuda, "cuDeviceTotalMem");
        if (init == nullptr || deviceCount == nullptr || deviceGet == nullptr || deviceName == nullptr) {
            gpu["driver_reason"] = "libcuda.so.1 lacks cuInit/cuDeviceGetCount/cuDeviceGet/cuDeviceGetName";
        } else if (const int rc = init(0); rc != 0) {
            gpu["driver_reason"] = "cuInit failed with CUresult " + std::to_string(rc) +
                                   (rc == 100  ? " (CUDA_ERROR_NO_DEVICE)"
                                    : rc == 35 ? " (driver/runtime mismatch)"
                                               : "");
        } else {
            int version = 0;
            if (driverVersion != nullptr && driverVersion(&version) == 0)
                gpu["driver_cuda_version"] = std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
            int count = 0;
            deviceCount(&count);
            for (int i = 0; i < count; ++i) {
                int device = 0;
                char name[256] = {};
                std::size_t bytes = 0;
                if (deviceGet(&device, i) != 0)
                    continue;
                deviceName(name, sizeof(name), device);
                if (totalMem != nullptr)
                    totalMem(&bytes, device);
                gpu["devices"].push_back({{"index", i}, {"name", name}, {"memory_bytes", bytes}});
            }
            gpu["driver_reason"] = count == 0 ? "driver loaded but no GPU visible" : "";
        }
    }
    nlohmann::json cupti = {{"found", false}};
    std::string tried;
    for (const char* path : {"libcupti.so", "libcupti.so.13", "libcupti.so.12", "/usr/local/cuda/lib64/libcupti.so",
                             "/usr/local/cuda/extras/CUPTI/lib64/libcupti.so"}) {
        void* lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (lib == nullptr) {
            tried += std::string(tried.empty() ? "" : ", ") + path;
            continue;
        }
        cupti["found"] = true;
        cupti["path"] = path;
        std::uint32_t version = 0;
        if (const auto getVersion = symbol<CuptiGetVersion>(lib, "cuptiGetVersion");
            getVersion && getVersion(&version) == 0)
            cupti["api_version"] = version;
        break;
    }
    if (!cupti["found"].get<bool>())
        cupti["reason"] = "CUPTI not found (tried " + tried + ")";
    gpu["cupti"] = cupti;
    return gpu;
}

nlohmann::json collectDoctor() {
    const rooflab::cpu::CpuInfo cpu = rooflab::cpu::detectCpuInfo();
    const rooflab::topology::Topology topo = rooflab::topology::detectTopology();
    nlohmann::json j;
    j["cpu"] = rooflab::cpu::toJson(cpu);
    j["cpu"]["measured_frequency_hz"] = rooflab::cpu::measureCoreFrequencyHz(0.02);
    j["topology"] = rooflab::topology::toJson(topo);
    j["topology"]["summary"] = rooflab::topology::summarize(topo);
    j["topology"]["hwloc"] = rooflab::topology::haveHwloc();
    j["pmu"] = rooflab::cpu::toJson(rooflab::cpu::probePmu());
    j["gpu"] = probeCuda();
    return j;
}

std::string renderText(const nlohmann::json& j) {
    std::ostringstream out;
    const auto& cpu = j["cpu"];
    const auto& isa = cpu["isa"];
    out << "CPU\n";
    out << "  model         " << cpu["model_name"].get<std::string>() << " (" << cpu["vendor"].get<std::string>()
        << ", family " << cpu["family"] << " model " << cpu["model"] << " stepping " << cpu["stepping"] << ")"
        << (cpu["hypervisor"].get<bool>() ? ", virtual machine" : "") << "\n";
    char clock[64];
    std::snprintf(clock, sizeof(clock), "%.2f GHz", cpu["measured_frequency_hz"].get<double>() * 1e-9);
    out << "  clock         ~" << clock << " measured (dependent-multiply chain)\n";
    out << "  ISA           ";
    for (const char* f : {"sse2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
                          "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8"})
        if (isa[f].get<bool>())
            out << f << " ";
    out << "\n";
    out << "  AMX           ";
    if (!isa["amx_tile"].get<bool>())
        out << "not present\n";
    else if (isa["amx_permission"].get<bool>())
        out << "present, kernel granted tile-data permission (arch_prctl ARCH_REQ_XCOMP_PERM)\n";
    else
        out << "present but unusable: " << isa["amx_permission_reason"].get<std::string>() << "\n";
    out << "  FLOP/s bench  ";
    bool first = true;
    for (const auto& [name, status] : cpu["benchmark_isas"].items()) {
        out << (first ? "" : "\n                ") << name << ": " << status.get<std::string>();
        first = false;
    }
    out << "\n\nTopology\n  " << j["topology"]["summary"].get<std::string>() << "\n";
    const auto& pmu = j["pmu"];
    out << "\nPMU counters (perf_event_open; perf_event_paranoid = " << pmu["perf_event_paranoid"] << ")\n";
    out << "  software      "
        << (pmu["software_events"].get<bool>() ? "available (task-clock, page-faults, context-switches)"
                                               : "not available: " + pmu["software_reason"].get<std::string>())
        << "\n";
    out << "  hardware      "
        << (pmu["hardware_counters"].get<bool>() ? std::string("available")
                                                 : "not available: " + pmu["hardware_reason"].get<std::string>())
        << "\n";
    out << "  libpfm4       " << pmu["libpfm"].get<std::string>() << "\n";
    out << "  uncore memory "
        << (pmu["uncore_memory"].get<bool>() ? std::string("available")
                                             : "not available: " + pmu["uncore_reason"].get<std::string>())
        << "\n";
    for (const auto& e : pmu["events"])
        if (e["kind"] == "named")
            out << "  " << e["name"].get<std::string>() << ": "
                << (e["available"].get<bool>() ? std::string("yes") : e["reason"].get<std::string>()) << "\n";
    const auto& gpu = j["gpu"];
    out << "\nGPU\n";
    if (!gpu["driver_found"].get<bool>() || gpu["devices"].empty()) {
        out << "  driver        " << gpu["driver_reason"].get<std::string>() << "\n";
    } else {
        out << "  driver        CUDA " << gpu.value("driver_cuda_version", std::string("?")) << "\n";
        for (const auto& d : gpu["devices"])
            out << "  GPU " << d["index"] << "         " << d["name"].get<std::string>() << ", "
                << rooflab::topology::formatBytes(d["memory_bytes"].get<std::uint64_t>()) << "\n";
    }
    const auto& cupti = gpu["cupti"];
    out << "  CUPTI         "
        << (cupti["found"].get<bool>() ? "found: " + cupti["path"].get<std::string>()
                                       : cupti["reason"].get<std::string>())
        << "\n";
    return out.str();
}

void addDoctor(CLI::App& root, int& exitCode) {
    CLI::App* cmd =
        root.add_subcommand("doctor", "Report what this machine can measure (CPU ISA, topology, PMU, GPUs)");
    auto format = std::make_shared<std::string>("text");
    cmd->add_option("--format", *format, "Output format: text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    cmd->callback([format, &exitCode] {
        const nlohmann::json report = collectDoctor();
        if (*format == "json")
            std::cout << report.dump(2) << "\n";
        else
            std::cout << renderText(report);
        exitCode = rooflab::cli::kOk;
    });
}

} // namespace

ROOFLAB_REGISTER_COMMAND("doctor", addDoctor);
