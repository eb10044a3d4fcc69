// rooflab models graph MODEL --phase ...: the operator graph of one step on one device, without a platform.
#include "analysis/step_graph.hpp"
#include "codec/catalog.hpp"
#include "codec/request_codec.hpp"
#include "common.hpp"
#include "io/model_loader.hpp"
#include "io/stack_loader.hpp"
#include "registry.hpp"
#include "units/errors.hpp"

#include <iostream>

namespace rooflab::cli {
namespace {

struct GraphOptions {
    std::string model;
    std::string phase = "decode";
    std::string stack = "pytorch-eager";
    std::string format = "table";
    std::string weights = "bf16", kv = "bf16", act = "bf16";
    int64_t batch = 1, prompt = 512, context = 1024, chunk = 512, chunkOffset = 0;
    int tp = 1, pp = 1, ep = 1;
    bool sp = false;
};

GraphOptions g_graph;

/// The options as a Request through the codec (the same defaults, ranges and messages as `predict llm`).
Request graphRequest(const GraphOptions& o) {
    if (o.phase == "request")
        throw InputError("", 0, "--phase", "'request' is not one of prefill, decode, chunked (a graph is one step)");
    const nlohmann::json j{{"kind", "llm"},        {"model", o.model},     {"stack", o.stack},
                           {"phase", o.phase},     {"batch", o.batch},     {"prompt", o.prompt},
                           {"context", o.context}, {"chunk", o.chunk},     {"chunk_offset", o.chunkOffset},
                           {"tp", o.tp},           {"pp", o.pp},           {"ep", o.ep},
                           {"sp", o.sp},           {"weights", o.weights}, {"kv", o.kv},
                           {"act", o.act}};
    spec::CodecSource src;
    src.optionSpelling = true;
    return spec::decodeRequest(j, src);
}

nlohmann::json specJson(const OpSpec& op) {
    nlohmann::json j;
    j["name"] = op.name;
    j["class"] = std::string(opClassName(op.cls));
    j["kind"] = std::string(opKindName(op.kind));
    j["count"] = op.count;
    j["per_layer"] = op.perLayer;
    j["kernels"] = op.kernels;
    j["flops"] = op.flops;
    j["bytes"] = op.bytes;
    nlohmann::json sh;
    switch (op.kind) {
    case OpKind::Gemm:
        sh = {{"m", op.gemm.m},
              {"n", op.gemm.n},
              {"k", op.gemm.k},
              {"batch", op.gemm.batch},
              {"a_dtype", std::string(dtypeName(op.gemm.aType))},
              {"b_dtype", std::string(dtypeName(op.gemm.bType))},
              {"out_bytes_per_element", op.gemm.outBytesPerElement}};
        break;
    case OpKind::Attention: {
        const AttentionShape& a = op.attention;
        sh = {{"batch", a.batch},
              {"queries", a.queries},
              {"keys", a.keys},
              {"heads", a.heads},
              {"kv_heads", a.kvHeads},
              {"qk_dim", a.qkDim},
              {"v_dim", a.vDim},
              {"window", a.window},
              {"causal", a.causal},
              {"kv_bytes_per_element", a.kvBytesPerElement},
              {"latent", a.kvHeadsShareLatent}};
        break;
    }
    case OpKind::Memory:
        sh = {{"elements", op.memory.elements},
              {"bytes_read", op.memory.bytesRead},
              {"bytes_written", op.memory.bytesWritten},
              {"row_elements", op.memory.rowElements},
              {"strided", op.memory.strided}};
        break;
    case OpKind::Collective:
        sh = {{"collective", std::string(collectiveName(op.collective.kind))},
              {"bytes", op.collective.bytes},
              {"ranks", op.collective.ranks}};
        break;
    }
    j["shape"] = sh;
    return j;
}

void printGraph(const LlmArch& a, const Scenario& s, const StepGraph& g, Format fmt) {
    double flops = 0, bytes = 0;
    for (const OpSpec& op : g.ops) {
        flops += op.totalFlops();
        bytes += op.totalBytes();
    }
    if (fmt == Format::Json) {
        nlohmann::json j;
        j["model"] = a.name;
        j["phase"] = std::string(phaseName(g.phase));
        j["tokens"] = g.tokens;
        j["lm_head_rows"] = g.lmHeadRows;
        j["launch"] = g.launch == LaunchMode::Graph ? "graph" : "stream";
        j["gemm_dtype"] = std::string(dtypeName(g.gemmType));
        j["attention_dtype"] = std::string(dtypeName(g.attentionType));
        j["activation_dtype"] = std::string(dtypeName(g.activationType));
        j["weights_dtype"] = std::string(dtypeName(g.weights));
        j["kv_dtype"] = std::string(dtypeName(g.kv));
        j["tp"] = g.tp;
        j["pp"] = g.pp;
        j["ep"] = g.ep;
        j["flops"] = flops;
        j["bytes"] = bytes;
        nlohmann::json ops = nlohmann::json::array();
        for (const OpSpec& op : g.ops)
            ops.push_back(specJson(op));
        j["ops"] = std::move(ops);
        std::cout << j.dump(2) << "\n";
        return;
    }
    std::cout << a.name << ", " << phaseName(g.phase) << " step of one device: " << fmtNum(g.tokens, 6)
              << " tokens, batch " << s.batch << ", tp " << g.tp << " pp " << g.pp << " ep " << g.ep << "\n"
              << "  GEMMs " << dtypeName(g.gemmType) << " (weights " << dtypeName(g.weights) << "), attention "
              << dtypeName(g.attentionType) << ", KV " << dtypeName(g.kv) << ", "
              << (g.launch == LaunchMode::Graph ? "graph replay" : "stream launches")
              << " (platform-dependent fallbacks apply at evaluation)\n\n";
    std::vector<std::vector<std::string>> rows;
    rows.reserve(g.ops.size());
    for (const OpSpec& op : g.ops)
        rows.push_back({op.name, std::string(opClassName(op.cls)), fmtNum(op.count, 4), fmtNum(op.kernels, 3),
                        describeShape(op), fmtNum(op.flops / 1e9, 4), fmtBytes(op.bytes),
                        fmtNum(op.totalFlops() / 1e9, 4), fmtBytes(op.totalBytes())});
    printTable(std::cout,
               {"operator", "class", "count", "kernels", "shape", "GFLOP", "bytes", "GFLOP x count", "bytes x count"},
               rows);
    std::cout << "\n  per step on one device: " << fmtNum(flops / 1e9, 6) << " GFLOP, " << fmtBytes(bytes)
              << " (logical bytes, before caches)\n";
}

void addGraph(CLI::App& root, int& exitCode) {
    (void)exitCode;
    CLI::App& mod = subcommandGroup(root, "models", "List or show model presets");
    GraphOptions& o = g_graph;
    CLI::App* g = mod.add_subcommand("graph", "Print the operator graph of one step (no platform)");
    g->add_option("model", o.model, "preset name or path to config.json / YAML")->required();
    g->add_option("--phase", o.phase, "prefill, decode or chunked")->capture_default_str();
    g->add_option("--batch", o.batch, "sequences in the step")->capture_default_str();
    g->add_option("--prompt", o.prompt, "prompt tokens per sequence (prefill)")->capture_default_str();
    g->add_option("--context", o.context, "tokens already cached per sequence (decode, chunked)")
        ->capture_default_str();
    g->add_option("--chunk", o.chunk, "prefill tokens in a chunked step")->capture_default_str();
    g->add_option("--chunk-offset", o.chunkOffset, "tokens of the chunked prompt already cached");
    g->add_option("--tp", o.tp, "tensor parallelism");
    g->add_option("--pp", o.pp, "pipeline stages");
    g->add_option("--ep", o.ep, "expert parallelism (divides tp)");
    g->add_flag("--sp", o.sp, "sequence parallelism (reduce-scatter/all-gather instead of all-reduce)");
    g->add_option("--weights", o.weights, "weight datatype")->capture_default_str();
    g->add_option("--kv", o.kv, "KV-cache datatype")->capture_default_str();
    g->add_option("--act", o.act, "activation datatype")->capture_default_str();
    g->add_option("--stack", o.stack, "stack profile: the framework that runs the model (rooflab stacks list)")
        ->capture_default_str();
    g->add_option("--format", o.format, "table or json")->capture_default_str();
    g->callback([&o]() {
        const Format fmt = parseFormat(o.format);
        Request req = graphRequest(o);
        io::Catalog cat;
        cat.resolve(req);
        const LlmArch& a = *req.llm()->arch;
        const StackProfile& stack = *req.llm()->stack;
        const Scenario& s = req.scenario;
        // An infeasible layout is bad input here: there is no prediction to carry the error.
        for (const ScenarioStatus& st : checkScenario(a, s)) {
            if (st.isError())
                throw InputError("", 0, st.key, st.message);
            std::cerr << "note: " << st.message << "\n";
        }
        printGraph(a, s, buildStepGraph(a, stack, s), fmt);
    });
}

} // namespace
ROOFLAB_REGISTER_COMMAND("models-graph", addGraph);
} // namespace rooflab::cli
