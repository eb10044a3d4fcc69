#include "io/files.hpp"

#include "units/errors.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace rooflab::io {

namespace fs = std::filesystem;

std::string readInputFile(const std::string& path, std::uintmax_t maxBytes, const std::string& key) {
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (ec || !fs::exists(status))
        throw InputError(path, 0, key, "cannot open file" + (ec ? ": " + ec.message() : std::string()));
    if (!fs::is_regular_file(status))
        throw InputError(path, 0, key, "not a regular file (a device, FIFO or folder cannot be an input file)");
    const auto size = fs::file_size(path, ec);
    if (!ec && size > maxBytes)
        throw InputError(path, 0, key,
                         "file of " + std::to_string(size) + " bytes is larger than the " +
                             std::to_string(maxBytes >> 20) + " MiB an input file may have");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw InputError(path, 0, key, "cannot open file");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void writeFileAtomic(const std::string& path, const std::string& text, const std::string& key) {
    const fs::path dest(path);
    std::error_code dirEc;
    if (fs::is_directory(dest, dirEc))
        throw InputError(path, 0, key, "is a folder; give a file name (nothing was written)");
    // Hidden, per process: two runs writing the same file never share a temporary.
    const fs::path tmp = dest.parent_path() / ("." + dest.filename().string() + ".tmp" + std::to_string(::getpid()));
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out)
            throw InputError(path, 0, key, "cannot write (is the folder there and writable?)");
        out << text;
        out.flush();
        if (!out) {
            std::error_code ec;
            fs::remove(tmp, ec);
            throw InputError(path, 0, key, "write failed (disk full?)");
        }
    }
    std::error_code ec;
    fs::rename(tmp, dest, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw InputError(path, 0, key, "cannot replace the file: " + ec.message());
    }
}

std::vector<std::string> splitLines(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t nl = text.find('\n', pos);
        lines.push_back(text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
        pos = nl == std::string::npos ? text.size() : nl + 1;
    }
    return lines;
}

uint64_t fnv1a(std::string_view text) {
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

} // namespace rooflab::io
