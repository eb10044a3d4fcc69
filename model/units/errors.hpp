#pragma once
/// @brief Error types of the rooflab engine. Library code throws these for broken input; the CLI main and
/// the GUI slots catch them at the edge (exit code 2, or an inline message). Never exit() in library code.
#include <stdexcept>
#include <string>

namespace rooflab {

/// @brief Broken user input: a file, line and key are named where they are known.
class InputError : public std::runtime_error {
public:
    InputError(std::string file, int line, std::string key, const std::string& message)
        : std::runtime_error(format(file, line, key, message)), m_file(std::move(file)), m_line(line),
          m_key(std::move(key)), m_message(message) {}
    explicit InputError(const std::string& message) : InputError("", 0, "", message) {}

    const std::string& file() const { return m_file; }
    int line() const { return m_line; } ///< 1-based; 0 when unknown
    const std::string& key() const { return m_key; }
    const std::string& message() const { return m_message; }

private:
    static std::string format(const std::string& file, int line, const std::string& key, const std::string& msg) {
        std::string out;
        if (!file.empty()) {
            out += file;
            if (line > 0)
                out += ":" + std::to_string(line);
            out += ": ";
        }
        if (!key.empty())
            out += "'" + key + "': ";
        return out + msg;
    }
    std::string m_file;
    int m_line = 0;
    std::string m_key;
    std::string m_message;
};

} // namespace rooflab
