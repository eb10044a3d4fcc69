#pragma once
#include "workloads/stack.hpp"

#include <string>

namespace rooflab::io {
/// @brief Loads a stack profile by name (resources/stacks/<name>.yaml) or path. Throws InputError.
StackProfile loadStack(const std::string& nameOrPath);
StackProfile loadStackFile(const std::string& path);
StackProfile loadStackString(const std::string& text, const std::string& name);
} // namespace rooflab::io
