#include "predict_cases.hpp"

#include "codec/catalog.hpp"
#include "codec/request_codec.hpp"
#include "engine/predict.hpp"
#include "io/validation_status.hpp"
#include "report/format.hpp"
#include "serving/serving_request.hpp"
#include "units/errors.hpp"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

namespace rooflab::cli {
namespace {

/// `text` with every byte that is not part of a well-formed UTF-8 sequence replaced by U+FFFD.
std::string replaceInvalidUtf8(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    std::size_t i = 0;
    while (i < text.size()) {
        const unsigned char c = byte(i);
        std::size_t len = 0;
        unsigned char lo = 0x80, hi = 0xBF; // allowed range of the second byte
        if (c < 0x80)
            len = 1;
        else if (c >= 0xC2 && c <= 0xDF)
            len = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            lo = c == 0xE0 ? 0xA0 : 0x80; // no overlong forms
            hi = c == 0xED ? 0x9F : 0xBF; // no surrogates
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            lo = c == 0xF0 ? 0x90 : 0x80;
            hi = c == 0xF4 ? 0x8F : 0xBF; // at most U+10FFFF
        }
        bool ok = len > 0 && i + len <= text.size();
        for (std::size_t k = 1; ok && k < len; ++k)
            ok = k == 1 ? byte(i + 1) >= lo && byte(i + 1) <= hi : (byte(i + k) & 0xC0) == 0x80;
        if (ok) {
            out.append(text, i, len);
            i += len;
        } else {
            out += "\xEF\xBF\xBD";
            ++i;
        }
    }
    return out;
}

/// The "id" of a line the codec refused, when the line is a JSON object that has one (invalid UTF-8 elsewhere in the
/// line, the codec's most common complaint, does not hide it); null otherwise.
nlohmann::json idOfRefusedLine(const std::string& line) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded())
        j = nlohmann::json::parse(replaceInvalidUtf8(line), nullptr, false);
    if (j.is_object() && j.contains("id"))
        return j["id"];
    return nullptr;
}

/// One cases line -> one result line. Every line is answered: a bad line gets {"error": ..., "line": N}.
std::string evaluateLine(const std::string& line, std::size_t lineNo, const std::string& defaultPlatform,
                         io::Catalog& cat, const std::string& source, bool& bad) {
    nlohmann::json out;
    spec::CodecSource src;
    src.file = source;
    src.line = static_cast<int>(lineNo);
    Request r;
    try {
        r = spec::decodeRequestText(line, src);
        cat.resolve(r);
        const PlatformTarget& platform = cat.platformOf(r, defaultPlatform);
        bool ok = true;
        std::string error, errorKey;
        if (std::holds_alternative<ServingWork>(r.workload)) {
            // A serving case runs the serving simulator (a layer above predict()).
            serving::Options opt;
            opt.keepIterations = false;
            const serving::ServingResult res = serving::simulateRequest(platform.model, r, opt);
            out = serving::encodeServingResult(r, res);
            ok = res.ok;
            error = res.error;
            errorKey = res.errorKey;
        } else {
            const Result res = predict(platform, r);
            out = spec::encodeResult(r, res);
            ok = res.ok;
            error = res.error;
            errorKey = res.errorKey;
        }
        if (ok) {
            // Every answer says how far it can be trusted (io/validation_status.hpp).
            const LlmTarget* t = r.target();
            const bool serving = std::holds_alternative<ServingWork>(r.workload);
            const PredictionScope scope = serving                                     ? PredictionScope::Serving
                                          : !t                                        ? PredictionScope::Kernel
                                          : platform.hardware.kind == DeviceKind::Cpu ? PredictionScope::CpuLlm
                                                                                      : PredictionScope::LlmStep;
            report::addConfidenceJson(
                out, resolveConfidence(shippedValidationStatus(), platform.hardware, t ? t->stack : nullptr, scope));
        }
        if (!ok) {
            bad = true;
            out["error"] = source + ":" + std::to_string(lineNo) + ": " + error;
            out["line"] = lineNo;
            if (!errorKey.empty())
                out["key"] = errorKey;
        }
    } catch (const std::exception& e) {
        bad = true;
        if (!r.id.empty()) {
            out["id"] = nlohmann::json::parse(r.id, nullptr, false);
        } else {
            // The codec refused the line: echo its id when the line is a JSON object that has one.
            nlohmann::json id = idOfRefusedLine(line);
            if (!id.is_null())
                out["id"] = std::move(id);
        }
        const auto* ie = dynamic_cast<const InputError*>(&e);
        // Codec errors already name file and line; resolver errors name the key only.
        if (ie && !ie->file().empty())
            out["error"] = e.what();
        else if (ie)
            out["error"] = source + ":" + std::to_string(lineNo) + ": " +
                           (ie->key().empty() ? "" : "'" + ie->key() + "': ") + ie->message();
        else
            out["error"] = source + ":" + std::to_string(lineNo) + ": " + e.what();
        out["line"] = lineNo;
    }
    // Invalid UTF-8 in the input (echoed in a message) is replaced, never allowed to abort the batch.
    return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace

int runCases(const std::string& defaultPlatform, const std::string& path, int threads, std::ostream& out) {
    std::vector<std::string> lines;
    {
        std::ifstream file;
        std::istream* in = &std::cin;
        if (path != "-") {
            file.open(path);
            if (!file)
                throw InputError(path, 0, "", "cannot open cases file");
            in = &file;
        }
        std::string line;
        while (std::getline(*in, line))
            lines.push_back(std::move(line));
    }
    const std::string source = path == "-" ? "<stdin>" : path;
    io::Catalog cat;
    std::vector<std::string> results(lines.size());
    std::vector<char> badFlags(lines.size(), 0);
    const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
    const unsigned nThreads = static_cast<unsigned>(threads > 0 ? unsigned(threads) : hw);
    // Lines are taken one at a time from a shared counter: a serving case simulates thousands of requests (tens of
    // ms) where a step case takes microseconds, so fixed slices would leave threads idle.
    const std::size_t n = lines.size();
    std::atomic<std::size_t> next{0};
    auto work = [&]() {
        for (std::size_t i = next++; i < n; i = next++) {
            if (lines[i].find_first_not_of(" \t\r") == std::string::npos)
                continue;
            bool bad = false;
            results[i] = evaluateLine(lines[i], i + 1, defaultPlatform, cat, source, bad);
            badFlags[i] = bad ? 1 : 0;
        }
    };
    const bool serving = std::any_of(lines.begin(), lines.end(),
                                     [](const std::string& l) { return l.find("\"serving\"") != std::string::npos; });
    if (nThreads <= 1 || (n < 64 && !serving)) {
        work();
    } else {
        std::vector<std::thread> pool;
        for (unsigned t = 0; t < std::min<std::size_t>(nThreads, n); ++t)
            pool.emplace_back(work);
        for (auto& th : pool)
            th.join();
    }
    int code = 0;
    std::string buffer;
    buffer.reserve(1 << 20);
    for (std::size_t i = 0; i < n; ++i) {
        if (results[i].empty())
            continue;
        buffer += results[i];
        buffer += '\n';
        if (buffer.size() > (1u << 20)) {
            out << buffer;
            buffer.clear();
        }
        if (badFlags[i])
            code = 2;
    }
    out << buffer;
    out.flush();
    return code;
}

} // namespace rooflab::cli
