#pragma once
/// @brief Whole-file input and output with the project's guarantees: inputs are regular files of bounded size
/// (a device or FIFO is refused, never read until memory runs out); outputs are written atomically (a temporary
/// file in the same folder, renamed into place; removed on failure), so a failed run leaves no partial file.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rooflab::io {

/// @brief The text of a regular file of at most `maxBytes`. Throws InputError naming `path` (and `key`, e.g. the
/// option that named the file) otherwise.
std::string readInputFile(const std::string& path, std::uintmax_t maxBytes, const std::string& key = "");

/// @brief Writes `text` to `path` atomically. Throws InputError naming `path` and `key` when it cannot.
void writeFileAtomic(const std::string& path, const std::string& text, const std::string& key = "");

/// @brief The lines of `text` without their newlines (a final newline starts no empty line): for tools that rewrite
/// a section of a data file and keep the rest as it is.
std::vector<std::string> splitLines(const std::string& text);

/// @brief A 64-bit hash of `text` (FNV-1a with the project's offset 1469598103934665603 and the FNV prime): stable
/// across runs and platforms, for deterministic samples and splits of dataset rows.
uint64_t fnv1a(std::string_view text);

} // namespace rooflab::io
