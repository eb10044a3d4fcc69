#include "io/workload_loader.hpp"

#include "io/yaml_util.hpp"

namespace rooflab::io {

namespace {
constexpr long long kMaxDim = 1LL << 40;

DType readDType(MapReader& r, const std::string& key, DType fallback) {
    if (!r.has(key)) {
        r.optional(key);
        return fallback;
    }
    const YAML::Node n = r.required(key);
    const std::string s = scalarText(n, r.file(), r.keyPath(key));
    auto t = parseDType(s);
    if (!t)
        r.failAt(n, key, "unknown datatype '" + s + "' (known: " + dtypeNameList() + ")");
    return *t;
}

Workload parseWorkload(const YAML::Node& root, const std::string& file) {
    MapReader r(root, file, "");
    r.requireVersion1("workload");
    Workload w;
    w.file = file;
    w.name = r.requiredString("name");
    w.kind = r.requiredChoice("kind", {"gemm", "cpu-kernel"});
    w.description = r.optionalString("description");
    const YAML::Node cases = r.required("cases");
    if (!cases.IsSequence() || cases.size() == 0)
        r.failAt(cases, "cases", "expected a non-empty list of cases");
    for (std::size_t i = 0; i < cases.size(); ++i) {
        MapReader c(cases[i], file, "cases[" + std::to_string(i) + "]", r.line());
        if (w.kind == "gemm") {
            GemmCase g;
            g.name = c.optionalString("name", "gemm" + std::to_string(i));
            g.m = c.requiredInt("m", 1, kMaxDim);
            g.n = c.requiredInt("n", 1, kMaxDim);
            g.k = c.requiredInt("k", 1, kMaxDim);
            g.batch = c.optionalInt("batch", 1, 1, 1LL << 30);
            g.dtype = readDType(c, "dtype", DType::bf16);
            g.weightType = readDType(c, "weights", g.dtype);
            w.gemms.push_back(g);
        } else {
            CpuKernelCase k;
            k.name = c.optionalString("name", "kernel" + std::to_string(i));
            const std::string kind = c.requiredChoice(
                "kernel", {"copy", "scale", "add", "triad", "softmax-3pass", "softmax-2pass", "reduction", "gemm"});
            static const std::pair<const char*, CpuKernel> kMap[] = {
                {"copy", CpuKernel::Copy},         {"scale", CpuKernel::Scale},
                {"add", CpuKernel::Add},           {"triad", CpuKernel::Triad},
                {"softmax-3pass", CpuKernel::Softmax3Pass}, {"softmax-2pass", CpuKernel::Softmax2Pass},
                {"reduction", CpuKernel::Reduction}, {"gemm", CpuKernel::Gemm}};
            for (const auto& [n, v] : kMap)
                if (kind == n)
                    k.kernel = v;
            if (k.kernel == CpuKernel::Gemm) {
                k.m = c.requiredInt("m", 1, kMaxDim);
                k.n = c.requiredInt("n", 1, kMaxDim);
                k.k = c.requiredInt("k", 1, kMaxDim);
            } else {
                k.elements = c.requiredInt("elements", 1, kMaxDim);
            }
            k.dtype = readDType(c, "dtype", DType::fp32);
            k.threads = static_cast<int>(c.optionalInt("threads", 0, 0, 1 << 20));
            w.cpuKernels.push_back(k);
        }
        c.finish();
    }
    r.finish();
    return w;
}
} // namespace

std::string_view cpuKernelName(CpuKernel k) {
    switch (k) {
    case CpuKernel::Copy: return "copy";
    case CpuKernel::Scale: return "scale";
    case CpuKernel::Add: return "add";
    case CpuKernel::Triad: return "triad";
    case CpuKernel::Softmax3Pass: return "softmax-3pass";
    case CpuKernel::Softmax2Pass: return "softmax-2pass";
    case CpuKernel::Reduction: return "reduction";
    case CpuKernel::Gemm: return "gemm";
    }
    return "?";
}

Workload loadWorkloadString(const std::string& text, const std::string& name) {
    return parseWorkload(loadYamlString(text, name), name);
}
Workload loadWorkloadFile(const std::string& path) { return parseWorkload(loadYamlFile(path), path); }

} // namespace rooflab::io
