#pragma once
#include <ostream>
#include <string>

namespace rooflab::cli {
/// @brief The batch interface: reads JSON-lines cases from `path` ('-' = stdin), evaluates them on all cores
/// and writes one JSON line per case, in input order. A bad line yields {"error": ...}; the others still run.
/// Returns the exit code: 0 when every line evaluated, 2 when some line was bad.
int runCases(const std::string& defaultPlatform, const std::string& path, int threads, std::ostream& out);
} // namespace rooflab::cli
