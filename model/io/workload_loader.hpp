#pragma once
#include "workloads/gemm.hpp"

#include <string>

namespace rooflab::io {
/// @brief Loads a GEMM or CPU-kernel workload file (format v1). Throws InputError naming file, line and key.
Workload loadWorkloadFile(const std::string& path);
Workload loadWorkloadString(const std::string& text, const std::string& name);
std::string_view cpuKernelName(CpuKernel k);
} // namespace rooflab::io
