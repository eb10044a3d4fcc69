// rooflab platforms list|show, models list|show, stacks list.
#include "common.hpp"
#include "io/data_paths.hpp"
#include "io/files.hpp"
#include "io/model_loader.hpp"
#include "io/platform_loader.hpp"
#include "io/platform_schema.hpp"
#include "io/stack_loader.hpp"
#include "registry.hpp"
#include "units/errors.hpp"
#include "units/quantity.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace rooflab::cli {
namespace {

/// Cuts the last column of `rows` (a free-text description) at a word so that the table fits `width` columns; rows
/// shorter than the header (error rows) are left as they are.
void cutLastColumnToWidth(const std::vector<std::string>& header, std::vector<std::vector<std::string>>& rows,
                          std::size_t width) {
    std::size_t used = 0;
    for (std::size_t c = 0; c + 1 < header.size(); ++c) {
        std::size_t w = header[c].size();
        for (const auto& r : rows)
            if (c < r.size())
                w = std::max(w, r[c].size());
        used += w + 2;
    }
    const std::size_t room = width > used + 12 ? width - used : 12;
    for (auto& r : rows) {
        if (r.size() < header.size() || r.back().size() <= room)
            continue;
        std::string& d = r.back();
        std::size_t cut = d.rfind(' ', room - 3);
        if (cut == std::string::npos || cut < room / 2)
            cut = room - 3;
        while (cut > 0 && (static_cast<unsigned char>(d[cut]) & 0xC0) == 0x80) // not inside a UTF-8 character
            --cut;
        d = d.substr(0, cut) + "...";
    }
}

/// A path relative to the working directory when it lies below it (stable output across checkouts).
std::string displayPath(const std::string& path) {
    std::error_code ec;
    const auto rel = std::filesystem::relative(path, std::filesystem::current_path(ec), ec);
    if (!ec && !rel.empty() && rel.native().rfind("..", 0) != 0)
        return rel.string();
    return path;
}

std::string valueCell(const Platform& p, const Value& v, Dimension d) {
    if (!v.present)
        return "-";
    std::string s = formatQuantity(v.si, d, 4);
    auto it = p.sources.find(v.source);
    s += "  [" + std::string(it != p.sources.end() ? sourceKindName(it->second.kind) : "?") + ": " + v.source + "]";
    return s;
}

void showPlatform(const Platform& p, Format fmt) {
    if (fmt == Format::Json) {
        nlohmann::json j;
        j["name"] = p.name;
        j["vendor"] = p.vendor;
        j["kind"] = p.kind == DeviceKind::Gpu ? "gpu" : "cpu";
        j["file"] = p.file;
        j["description"] = p.description;
        for (const auto& e : p.compute) {
            nlohmann::json je{{"name", e.name},
                              {"kind", std::string(engineKindName(e.kind))},
                              {"units", e.units.si},
                              {"clock_hz", e.clockHz.si}};
            for (std::size_t t = 0; t < kDTypeCount; ++t)
                if (e.peakFlopPerS[t].present)
                    je["peak_flop_per_s"][std::string(dtypeName(static_cast<DType>(t)))] = e.peakFlopPerS[t].si;
            j["compute"].push_back(je);
        }
        for (const auto& m : p.memory)
            j["memory"].push_back({{"name", m.name},
                                   {"kind", std::string(memoryKindName(m.kind))},
                                   {"capacity_bytes", m.capacityBytes.si},
                                   {"read_bytes_per_s", m.readBytesPerS.si},
                                   {"latency_s", m.latencyS.si}});
        for (const auto& c : io::efficiencyEntries(p.efficiency))
            j["efficiency"][c.key] = {{"value_si", c.value->si},
                                      {"dimension", std::string(dimensionName(c.dimension))},
                                      {"source", c.value->source}};
        for (const auto& [id, s] : p.sources)
            j["sources"][id] = {{"kind", std::string(sourceKindName(s.kind))},
                                {"citation", s.citation},
                                {"tool", s.tool},
                                {"date", s.date},
                                {"card", s.card},
                                {"note", s.note}};
        std::cout << j.dump(2) << "\n";
        return;
    }
    std::cout << p.name << " — " << p.description << "\n"
              << "vendor " << p.vendor << ", " << (p.kind == DeviceKind::Gpu ? "GPU" : "CPU") << ", " << p.partNumber
              << "\nfile " << displayPath(p.file) << (p.extends.empty() ? "" : " (extends " + p.extends + ")")
              << "\n\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& e : p.compute) {
        rows.push_back({e.name + " units", valueCell(p, e.units, Dimension::Count)});
        rows.push_back({e.name + " clock", valueCell(p, e.clockHz, Dimension::Hertz)});
        for (std::size_t t = 0; t < kDTypeCount; ++t)
            if (e.peakFlopPerS[t].present)
                rows.push_back({e.name + " " + std::string(dtypeName(static_cast<DType>(t))),
                                valueCell(p, e.peakFlopPerS[t], Dimension::FlopPerSecond)});
    }
    for (const auto& m : p.memory) {
        rows.push_back(
            {m.name + " capacity" + (m.perUnit ? " (per unit)" : ""), valueCell(p, m.capacityBytes, Dimension::Bytes)});
        rows.push_back({m.name + " read", valueCell(p, m.readBytesPerS, Dimension::BytesPerSecond)});
        if (m.copyBytesPerS)
            rows.push_back({m.name + " copy", valueCell(p, m.copyBytesPerS, Dimension::BytesPerSecond)});
        if (m.latencyS)
            rows.push_back({m.name + " latency", valueCell(p, m.latencyS, Dimension::Seconds)});
    }
    auto link = [&](const char* what, const Link& l) {
        if (l.name.empty())
            return;
        rows.push_back({std::string(what) + " (" + l.name + ")", valueCell(p, l.bytesPerS, Dimension::BytesPerSecond)});
        rows.push_back({std::string(what) + " latency", valueCell(p, l.latencyS, Dimension::Seconds)});
        if (l.devicesPerNode)
            rows.push_back({std::string(what) + " devices", valueCell(p, l.devicesPerNode, Dimension::Count)});
    };
    link("host link", p.hostLink);
    link("scale-up", p.scaleUp);
    link("scale-out", p.scaleOut);
    rows.push_back({"launch overhead", valueCell(p, p.launchOverheadS, Dimension::Seconds)});
    rows.push_back({"TDP", valueCell(p, p.power.tdpW, Dimension::Watts)});
    // The efficiency section (what calibration fits); absent keys take the engine's defaults (SCHEMA.md).
    for (const auto& c : io::efficiencyEntries(p.efficiency))
        rows.push_back({"efficiency." + c.key, valueCell(p, *c.value, c.dimension)});
    // Three columns: the value right-aligned on its unit, the provenance left-aligned after it.
    std::vector<std::vector<std::string>> table;
    for (const auto& r : rows) {
        const std::string& cell = r[1];
        const auto cut = cell.find("  [");
        table.push_back({r[0], cut == std::string::npos ? cell : cell.substr(0, cut),
                         cut == std::string::npos ? "" : cell.substr(cut + 2)});
    }
    std::size_t w0 = std::string("parameter").size(), w1 = std::string("value").size();
    for (const auto& r : table) {
        w0 = std::max(w0, r[0].size());
        w1 = std::max(w1, r[1].size());
    }
    auto line = [&](const std::string& a, const std::string& b, const std::string& c) {
        std::cout << a << std::string(w0 - a.size() + 2 + (w1 - std::min(w1, b.size())), ' ') << b << "  " << c << "\n";
    };
    line("parameter", "value", "provenance");
    std::cout << std::string(w0 + 2 + w1 + 2 + std::string("provenance").size(), '-') << "\n";
    for (const auto& r : table)
        line(r[0], r[1], r[2]);
    std::cout << "\nsources:\n";
    for (const auto& [id, s] : p.sources) {
        std::cout << "  " << id << " (" << sourceKindName(s.kind) << "): ";
        if (!s.citation.empty())
            std::cout << s.citation;
        if (!s.tool.empty())
            std::cout << s.tool << ", " << s.date << (s.card.empty() ? "" : ", " + s.card)
                      << (s.driver.empty() ? "" : ", driver " + s.driver);
        if (!s.note.empty())
            std::cout << (s.citation.empty() && s.tool.empty() ? "" : " — ") << s.note;
        std::cout << "\n";
    }
}

/// `platforms schema`: prints SCHEMA.md's generated efficiency table, or rewrites it in `path` (atomically).
void platformSchema(const std::string& path) {
    if (path.empty()) {
        std::cout << io::kEfficiencySchemaBegin << "\n"
                  << io::efficiencySchemaTable() << io::kEfficiencySchemaEnd << "\n";
        return;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw InputError(path, 0, "--write", "cannot read (give the path of platforms/SCHEMA.md)");
    std::ostringstream text;
    text << in.rdbuf();
    const std::string before = text.str();
    const std::string after = io::withGeneratedEfficiencySection(before, path);
    if (after == before) {
        std::cout << path << ": efficiency table up to date\n";
        return;
    }
    io::writeFileAtomic(path, after, "--write");
    std::cout << path << ": efficiency table regenerated\n";
}

void showModel(const LlmArch& a, Format fmt) {
    const double kvBf16 = a.kvElementsPerToken() * 2.0;
    nlohmann::json j;
    j["name"] = a.name;
    j["model_type"] = a.modelType;
    j["source"] = a.source;
    j["file"] = a.file;
    j["layers"] = a.numLayers;
    j["hidden_size"] = a.hiddenSize;
    j["heads"] = a.numHeads;
    j["kv_heads"] = a.numKvHeads;
    j["head_dim"] = a.headDim;
    j["intermediate_size"] = a.intermediateSize;
    j["vocab_size"] = a.vocabSize;
    j["params"] = a.totalParams();
    j["active_params"] = a.activeParams();
    j["weight_bytes_bf16"] = a.totalParams() * 2.0;
    j["kv_bytes_per_token_bf16"] = kvBf16;
    if (a.isMoe())
        j["moe"] = {{"experts", a.numExperts},
                    {"top_k", a.topK},
                    {"expert_width", a.moeIntermediateSize},
                    {"shared_experts", a.numSharedExperts},
                    {"shared_expert_width", a.sharedExpertIntermediate}};
    if (a.isMla())
        j["mla"] = {{"q_lora_rank", a.qLoraRank},
                    {"kv_lora_rank", a.kvLoraRank},
                    {"qk_nope_head_dim", a.qkNopeHeadDim},
                    {"qk_rope_head_dim", a.qkRopeHeadDim},
                    {"v_head_dim", a.vHeadDim}};
    if (a.isSparseAttention())
        j["sparse_attention"] = {
            {"index_topk", a.indexTopkTokens}, {"index_heads", a.indexHeads}, {"index_head_dim", a.indexHeadDim}};
    for (const auto& g : a.groups)
        j["layer_groups"].push_back({{"count", g.count}, {"moe", g.moe}, {"window", g.windowTokens}});
    if (fmt == Format::Json) {
        std::cout << j.dump(2) << "\n";
        return;
    }
    int denseLayers = 0;
    for (const auto& g : a.groups)
        denseLayers += g.moe ? 0 : g.count;
    std::vector<std::vector<std::string>> rows = {
        {"model_type", a.modelType},
        {"source", a.source},
        {"layers", std::to_string(a.numLayers)},
        {"hidden size", std::to_string(a.hiddenSize)},
        {"heads / KV heads / head dim",
         std::to_string(a.numHeads) + " / " + std::to_string(a.numKvHeads) + " / " + std::to_string(a.headDim)},
        // An all-MoE model's dense intermediate_size is unused: say so and point at the expert width.
        {"MLP width", denseLayers > 0 || !a.isMoe()
                          ? std::to_string(a.intermediateSize)
                          : "none dense (expert width " + std::to_string(a.moeIntermediateSize) + ")"},
        {"vocabulary", std::to_string(a.vocabSize)},
        {"parameters", fmtNum(a.totalParams() / 1e9, 5) + " B"},
        {"active parameters / token", fmtNum(a.activeParams() / 1e9, 5) + " B"},
        {"weight bytes (bf16)", fmtBytes(a.totalParams() * 2.0)},
        {"KV bytes per token (bf16)", fmtNum(kvBf16, 8) + " B (" + fmtBytes(kvBf16) + ")"},
    };
    if (a.isMoe())
        rows.push_back({"experts", std::to_string(a.numExperts) + " routed (top-" + std::to_string(a.topK) +
                                       "), width " + std::to_string(a.moeIntermediateSize) + ", shared " +
                                       std::to_string(a.numSharedExperts)});
    if (a.isMla())
        rows.push_back(
            {"MLA", "kv_lora_rank " + std::to_string(a.kvLoraRank) + ", q_lora_rank " + std::to_string(a.qLoraRank)});
    if (a.isSparseAttention())
        rows.push_back({"sparse attention", "DSA: top " + std::to_string(a.indexTopkTokens) +
                                                " keys per query, indexer " + std::to_string(a.indexHeads) + " x " +
                                                std::to_string(a.indexHeadDim)});
    std::string groups;
    for (const auto& g : a.groups)
        groups += (groups.empty() ? "" : ", ") + std::to_string(g.count) + "x " + (g.moe ? "MoE" : "dense") +
                  (g.windowTokens ? " window " + std::to_string(g.windowTokens) : " global");
    rows.push_back({"layers by kind", groups});
    std::cout << a.name << "\n";
    printTable(std::cout, {"property", "value"}, rows);
}

void addInfo(CLI::App& root, int& exitCode) {
    static std::string fmtStore = "table";
    static std::string nameStore;
    std::string* fmt = &fmtStore;
    std::string* name = &nameStore;
    CLI::App& plat = subcommandGroup(root, "platforms", "List or show shipped platforms");
    CLI::App* pl = plat.add_subcommand("list", "List shipped platforms");
    pl->callback([&exitCode]() {
        std::vector<std::vector<std::string>> rows;
        for (const auto& n : io::listPlatformNames()) {
            try {
                const Platform p = io::loadPlatformFile(io::findPlatformFile(n));
                rows.push_back({p.name, p.kind == DeviceKind::Gpu ? "gpu" : "cpu", p.vendor,
                                fmtFlops(p.peakFlopPerS(DType::bf16)) + "/s", fmtBytes(p.dram().capacityBytes.si),
                                formatQuantity(p.dram().readBytesPerS.si, Dimension::BytesPerSecond, 3),
                                p.description});
            } catch (const std::exception& e) {
                rows.push_back({n, "ERROR", e.what()});
                exitCode = kBadInput;
            }
        }
        // The table fits 120 columns (issue 19): descriptions are cut at a word to what is left of the line;
        // `platforms show` has everything.
        const std::vector<std::string> header = {"name",   "kind",      "vendor",     "bf16 peak",
                                                 "memory", "bandwidth", "description"};
        cutLastColumnToWidth(header, rows, 120);
        printTable(std::cout, header, rows, true);
        std::cout << "(rooflab platforms show NAME: every value with its source)\n";
    });
    CLI::App* ps = plat.add_subcommand("show", "Show a platform with the provenance of every value");
    ps->add_option("name", *name, "platform name or file")->required();
    ps->add_option("--format", *fmt, "table or json");
    ps->callback([=]() { showPlatform(io::loadPlatformFile(io::findPlatformFile(*name)), parseFormat(*fmt)); });
    static std::string schemaPath;
    CLI::App* sc = plat.add_subcommand("schema", "Print platforms/SCHEMA.md's efficiency table (generated from the "
                                                 "engine's parameter table), or rewrite it with --write");
    sc->add_option("--write", schemaPath, "SCHEMA.md whose generated efficiency section to rewrite in place");
    sc->callback([]() { platformSchema(schemaPath); });

    CLI::App& mod = subcommandGroup(root, "models", "List or show model presets");
    CLI::App* ml = mod.add_subcommand("list", "List model presets");
    ml->callback([&exitCode]() {
        std::vector<std::vector<std::string>> rows;
        for (const auto& n : io::listModelNames()) {
            try {
                const LlmArch a = io::loadModel(n);
                rows.push_back({a.name, a.modelType, fmtNum(a.totalParams() / 1e9, 4) + " B",
                                a.isMoe() ? fmtNum(a.activeParams() / 1e9, 4) + " B" : "-", std::to_string(a.numLayers),
                                fmtBytes(a.kvElementsPerToken() * 2.0), a.source});
            } catch (const std::exception& e) {
                rows.push_back({n, "ERROR", e.what()});
                exitCode = kBadInput;
            }
        }
        printTable(std::cout, {"name", "type", "params", "active", "layers", "KV/token bf16", "source"}, rows);
    });
    CLI::App* ms = mod.add_subcommand("show", "Show a model: parameters, weight bytes, KV bytes per token");
    ms->add_option("name", *name, "preset name or path to config.json / YAML")->required();
    ms->add_option("--format", *fmt, "table or json");
    ms->callback([=]() { showModel(io::loadModel(*name), parseFormat(*fmt)); });

    CLI::App& st = subcommandGroup(root, "stacks", "List stack profiles (serving frameworks on GPUs, CPU frameworks)");
    CLI::App* sl = st.add_subcommand("list", "List stack profiles (serving frameworks on GPUs, CPU frameworks)");
    sl->callback([]() {
        std::vector<std::vector<std::string>> rows;
        for (const auto& n : io::listStackNames()) {
            const StackProfile s = io::loadStack(n);
            rows.push_back({s.name, s.description});
        }
        const std::vector<std::string> header = {"name", "description"};
        cutLastColumnToWidth(header, rows, 120);
        printTable(std::cout, header, rows, true);
    });
}

} // namespace
ROOFLAB_REGISTER_COMMAND("info", addInfo);
} // namespace rooflab::cli
