#pragma once
/// @brief Finding shipped data: platforms/, resources/models/, resources/stacks/, resources/workloads/.
/// Search order: $ROOFLAB_DATA_DIR, then the source tree the binary was built from, then <prefix>/share/rooflab.
#include <string>
#include <vector>

namespace rooflab::io {

/// Folders that hold rooflab's shipped data, in search order (only existing ones).
std::vector<std::string> dataDirs();
/// Overrides the compiled-in source data folder (the CLI and GUI pass ROOFLAB_SOURCE_DATA_DIR).
void setBuiltinDataDir(const std::string& dir);

/// Path of a shipped platform by name, or `nameOrPath` itself when it is an existing file.
/// Throws InputError listing the known names (with did-you-mean) otherwise.
std::string findPlatformFile(const std::string& nameOrPath);
std::string findModelFile(const std::string& nameOrPath);
std::string findStackFile(const std::string& nameOrPath);

/// Names (file stems) of the shipped files of each kind, sorted.
std::vector<std::string> listPlatformNames();
std::vector<std::string> listModelNames();
std::vector<std::string> listStackNames();

} // namespace rooflab::io
