// Single-op microbenchmarks of llama.cpp's CPU backend (ggml), for `rooflab calibrate cpu --stack llama.cpp`.
//
// Built on the device machine against the llama.cpp checkout in third_party_src/ (bench/cpu_llm/llama_cpp_run.sh),
// never by the project's CMake. Times, per thread count:
//   mul_mat    weights of one GGUF format (q4_K, q8_0, bf16, ...) x f32 activations [k, m], each weight placed in the
//              buffer type llama.cpp's loader would pick (the CPU backend's extra buffer types — AMX, repacked — first,
//              then plain host memory), rotated over enough copies that a pass streams >= 640 MiB from DRAM;
//   flash_attn ggml_flash_attn_ext of m query rows over ctx keys (f16 K/V, GQA), as llama.cpp's decode/prefill
//              call it, rotated over copies of the K/V cache;
//   node       a chain of tiny adds: the CPU backend's per-node cost (thread barrier between graph nodes).
// Each point: one warm-up graph, then --reps timed graphs; the per-op time is the graph's time / copies.
// Output: CSV on stdout, one row per point, flushed as it goes.
#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "ggml.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr double kRotateBytes = 640.0 * 1024 * 1024;

struct Args {
    std::vector<int> threads{16, 4};
    int reps = 5;
    std::string sections = "node,elementwise,flash_attn,mul_mat";
    double budgetS = 300;
};

double nowS() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Timing {
    double medianS = 0, minS = 0, maxS = 0;
};

Timing timeGraph(ggml_backend_t be, ggml_cgraph* g, int reps) {
    ggml_backend_graph_compute(be, g); // warm-up
    std::vector<double> t;
    for (int r = 0; r < reps; ++r) {
        const double t0 = nowS();
        ggml_backend_graph_compute(be, g);
        t.push_back(nowS() - t0);
    }
    return {median(t), *std::min_element(t.begin(), t.end()), *std::max_element(t.begin(), t.end())};
}

void row(const char* op, const char* type, int threads, long m, long n, long k, long ctx, long heads, long kvHeads,
         long headDim, int copies, int reps, const Timing& t, double bytes, double flops, const char* buft) {
    const double per = t.medianS / copies;
    std::printf("%s,%s,%d,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%d,%d,%.9g,%.9g,%.9g,%.4f,%.6g,%.6g,%s\n", op, type, threads, m,
                n, k, ctx, heads, kvHeads, headDim, copies, reps, per, t.minS / copies, t.maxS / copies,
                (t.maxS - t.minS) / t.medianS, bytes, flops, buft);
    std::fflush(stdout);
}

std::vector<ggml_backend_buffer_type_t> weightBufts(ggml_backend_dev_t dev) {
    std::vector<ggml_backend_buffer_type_t> out;
    ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(dev);
    auto fn = reinterpret_cast<ggml_backend_dev_get_extra_bufts_t>(
        ggml_backend_reg_get_proc_address(reg, "ggml_backend_dev_get_extra_bufts"));
    if (fn)
        for (ggml_backend_buffer_type_t* p = fn(dev); p && *p; ++p)
            out.push_back(*p);
    out.push_back(ggml_backend_cpu_buffer_type());
    return out;
}

/// One quantized row block, repeated: the bytes of `rows` x `k` weights of `type` (quantized from N(0, 0.02)).
std::vector<uint8_t> weightBytes(ggml_type type, long rows, long k) {
    const long blockRows = std::min<long>(rows, 64);
    std::vector<float> src(size_t(blockRows * k));
    std::mt19937 rng(1);
    std::normal_distribution<float> nd(0.f, 0.02f);
    for (auto& x : src)
        x = nd(rng);
    const size_t rowBytes = ggml_row_size(type, k);
    std::vector<uint8_t> block(rowBytes * size_t(blockRows));
    if (type == GGML_TYPE_F32)
        std::memcpy(block.data(), src.data(), block.size());
    else
        ggml_quantize_chunk(type, src.data(), block.data(), 0, blockRows, k, nullptr);
    std::vector<uint8_t> all(rowBytes * size_t(rows));
    for (long r = 0; r < rows; r += blockRows)
        std::memcpy(all.data() + rowBytes * size_t(r), block.data(), rowBytes * size_t(std::min(blockRows, rows - r)));
    return all;
}

struct Ctx {
    ggml_context* ctx = nullptr;
    explicit Ctx(size_t tensors) {
        ggml_init_params p{ggml_tensor_overhead() * tensors + ggml_graph_overhead_custom(tensors, false) + 1024,
                           nullptr, true};
        ctx = ggml_init(p);
    }
    ~Ctx() { ggml_free(ctx); }
};

void benchNode(ggml_backend_t be, int threads, int reps) {
    const int nodes = 2000;
    Ctx c(nodes + 8);
    ggml_tensor* a = ggml_new_tensor_1d(c.ctx, GGML_TYPE_F32, 32);
    ggml_tensor* b = ggml_new_tensor_1d(c.ctx, GGML_TYPE_F32, 32);
    ggml_tensor* x = a;
    for (int i = 0; i < nodes; ++i)
        x = ggml_add(c.ctx, x, b);
    ggml_cgraph* g = ggml_new_graph_custom(c.ctx, nodes + 8, false);
    ggml_build_forward_expand(g, x);
    ggml_backend_buffer_t buf = ggml_backend_alloc_ctx_tensors(c.ctx, be);
    std::vector<float> ones(32, 1.f);
    ggml_backend_tensor_set(a, ones.data(), 0, sizeof(float) * 32);
    ggml_backend_tensor_set(b, ones.data(), 0, sizeof(float) * 32);
    const Timing t = timeGraph(be, g, reps);
    row("node", "f32", threads, 1, 32, 0, 0, 0, 0, 0, nodes, reps, t, 3.0 * 32 * 4, 32, "CPU");
    ggml_backend_buffer_free(buf);
}

struct Shape {
    long n, k; // weight: n output features x k input features
};

void benchMulMat(ggml_backend_t be, ggml_backend_dev_t dev, int threads, int reps, ggml_type type,
                 const std::vector<Shape>& shapes, const std::vector<long>& ms, double deadline) {
    for (const Shape& s : shapes) {
        if (nowS() > deadline)
            return;
        if (s.k % ggml_blck_size(type) != 0)
            continue; // rows of 896 cannot hold 256-wide k-quant blocks (llama.cpp falls back to another format)
        const size_t bytes = ggml_row_size(type, s.k) * size_t(s.n);
        const int maxCopies = int(std::clamp(std::ceil(kRotateBytes / double(bytes)), 1.0, 1024.0));
        const std::vector<uint8_t> w = weightBytes(type, s.n, s.k);
        // Weights in the first buffer type that supports the op (llama.cpp's loader order), all copies in one buffer.
        for (ggml_backend_buffer_type_t buft : weightBufts(dev)) {
            Ctx wc(size_t(maxCopies) + 4);
            std::vector<ggml_tensor*> ws;
            for (int i = 0; i < maxCopies; ++i)
                ws.push_back(ggml_new_tensor_2d(wc.ctx, type, s.k, s.n));
            ggml_backend_buffer_t wbuf = ggml_backend_alloc_ctx_tensors_from_buft(wc.ctx, buft);
            if (!wbuf)
                continue;
            ggml_backend_buffer_set_usage(wbuf, GGML_BACKEND_BUFFER_USAGE_WEIGHTS);
            bool supported = true;
            {
                Ctx probe(8);
                ggml_tensor* x = ggml_new_tensor_2d(probe.ctx, GGML_TYPE_F32, s.k, 512);
                ggml_tensor* op = ggml_mul_mat(probe.ctx, ws[0], x);
                supported = ggml_backend_dev_supports_op(dev, op);
            }
            if (!supported) {
                ggml_backend_buffer_free(wbuf);
                continue;
            }
            for (ggml_tensor* t : ws)
                ggml_backend_tensor_set(t, w.data(), 0, w.size());
            for (long m : ms) {
                if (nowS() > deadline)
                    break;
                const double flops = 2.0 * double(m) * double(s.n) * double(s.k);
                // GEMV-like points rotate over >= 640 MiB; compute-bound ones stop at ~8 GFLOP per graph.
                const int copies = std::max(1, std::min(maxCopies, int(std::ceil(8e9 / flops))));
                Ctx gc(size_t(copies) * 2 + 8);
                ggml_tensor* x = ggml_new_tensor_2d(gc.ctx, GGML_TYPE_F32, s.k, m);
                std::vector<ggml_tensor*> outs;
                for (int i = 0; i < copies; ++i)
                    outs.push_back(ggml_mul_mat(gc.ctx, ws[size_t(i)], x));
                ggml_cgraph* g = ggml_new_graph_custom(gc.ctx, size_t(copies) * 2 + 8, false);
                for (ggml_tensor* o : outs)
                    ggml_build_forward_expand(g, o);
                ggml_backend_buffer_t abuf = ggml_backend_alloc_ctx_tensors(gc.ctx, be);
                std::vector<float> xs(size_t(s.k * m), 0.01f);
                ggml_backend_tensor_set(x, xs.data(), 0, xs.size() * sizeof(float));
                const Timing t = timeGraph(be, g, reps);
                row("mul_mat", ggml_type_name(type), threads, m, s.n, s.k, 0, 0, 0, 0, copies, reps, t,
                    double(bytes) + 4.0 * double(m) * double(s.k + s.n), flops, ggml_backend_buft_name(buft));
                ggml_backend_buffer_free(abuf);
            }
            ggml_backend_buffer_free(wbuf);
            break;
        }
    }
}

struct AttnCase {
    long heads, kvHeads, headDim;
};

void benchFlashAttn(ggml_backend_t be, int threads, int reps, const std::vector<AttnCase>& cases,
                    const std::vector<long>& ctxs, const std::vector<long>& ms, double deadline) {
    for (const AttnCase& a : cases)
        for (long ctx : ctxs)
            for (long m : ms) {
                if (nowS() > deadline || m > ctx)
                    continue;
                const double kvBytes = 2.0 * 2.0 * double(ctx) * double(a.kvHeads * a.headDim);
                const double flops = 4.0 * double(m) * double(ctx) * double(a.heads * a.headDim);
                const int copies =
                    int(std::clamp(std::min(std::ceil(kRotateBytes / kvBytes), std::ceil(4e9 / flops)), 1.0, 128.0));
                Ctx c(size_t(copies) * 6 + 8);
                ggml_tensor* q = ggml_new_tensor_4d(c.ctx, GGML_TYPE_F32, a.headDim, m, a.heads, 1);
                ggml_tensor* mask = ggml_new_tensor_4d(c.ctx, GGML_TYPE_F16, ctx, m, 1, 1);
                std::vector<ggml_tensor*> outs;
                std::vector<ggml_tensor*> kvs;
                for (int i = 0; i < copies; ++i) {
                    ggml_tensor* k = ggml_new_tensor_4d(c.ctx, GGML_TYPE_F16, a.headDim, ctx, a.kvHeads, 1);
                    ggml_tensor* v = ggml_new_tensor_4d(c.ctx, GGML_TYPE_F16, a.headDim, ctx, a.kvHeads, 1);
                    kvs.push_back(k);
                    kvs.push_back(v);
                    ggml_tensor* o =
                        ggml_flash_attn_ext(c.ctx, q, k, v, mask, 1.0f / std::sqrt(float(a.headDim)), 0.f, 0.f);
                    ggml_flash_attn_ext_set_prec(o, GGML_PREC_F32);
                    outs.push_back(o);
                }
                ggml_cgraph* g = ggml_new_graph_custom(c.ctx, size_t(copies) * 6 + 8, false);
                for (ggml_tensor* o : outs)
                    ggml_build_forward_expand(g, o);
                ggml_backend_buffer_t buf = ggml_backend_alloc_ctx_tensors(c.ctx, be);
                if (!buf)
                    continue;
                std::vector<ggml_fp16_t> h(size_t(ctx * a.kvHeads * a.headDim), ggml_fp32_to_fp16(0.01f));
                for (ggml_tensor* t : kvs)
                    ggml_backend_tensor_set(t, h.data(), 0, h.size() * sizeof(ggml_fp16_t));
                std::vector<float> qs(size_t(a.headDim * m * a.heads), 0.01f);
                ggml_backend_tensor_set(q, qs.data(), 0, qs.size() * sizeof(float));
                // Causal mask of the last m positions: row r sees keys [0, ctx - m + r].
                std::vector<ggml_fp16_t> mk(size_t(ctx * m));
                for (long r = 0; r < m; ++r)
                    for (long j = 0; j < ctx; ++j)
                        mk[size_t(r * ctx + j)] = ggml_fp32_to_fp16(j <= ctx - m + r ? 0.f : -INFINITY);
                ggml_backend_tensor_set(mask, mk.data(), 0, mk.size() * sizeof(ggml_fp16_t));
                const Timing t = timeGraph(be, g, reps);
                row("flash_attn", "f16", threads, m, 0, 0, ctx, a.heads, a.kvHeads, a.headDim, copies, reps, t,
                    kvBytes + 8.0 * double(m * a.heads * a.headDim), flops, "CPU");
                ggml_backend_buffer_free(buf);
            }
}

/// The element-wise ops of a Llama layer as llama.cpp's graph runs them (f32 activations, width of Llama-3.2-1B):
/// rms_norm (rms_norm + mul by the weight: 2 nodes), rope (q: 32 heads, k: 8 heads of 64: 2 nodes), swiglu (one
/// fused GLU node over gate and up of 8192), add (the residual). Each timed graph runs `copies` independent copies.
void benchElementwise(ggml_backend_t be, int threads, int reps, double deadline) {
    const long d = 2048, ff = 8192, hd = 64, hq = 32, hk = 8;
    for (long tokens : {1L, 16L, 512L, 2048L}) {
        if (nowS() > deadline)
            return;
        const int copies = int(std::clamp(64.0 * 512.0 / double(tokens), 8.0, 256.0));
        for (const char* op : {"rms_norm", "rope", "swiglu", "add"}) {
            Ctx c(size_t(copies) * 8 + 16);
            ggml_tensor* x = ggml_new_tensor_2d(c.ctx, GGML_TYPE_F32, d, tokens);
            ggml_tensor* y = ggml_new_tensor_2d(c.ctx, GGML_TYPE_F32, d, tokens);
            ggml_tensor* w = ggml_new_tensor_1d(c.ctx, GGML_TYPE_F32, d);
            ggml_tensor* gate = ggml_new_tensor_2d(c.ctx, GGML_TYPE_F32, ff, tokens);
            ggml_tensor* up = ggml_new_tensor_2d(c.ctx, GGML_TYPE_F32, ff, tokens);
            ggml_tensor* q = ggml_new_tensor_3d(c.ctx, GGML_TYPE_F32, hd, hq, tokens);
            ggml_tensor* k = ggml_new_tensor_3d(c.ctx, GGML_TYPE_F32, hd, hk, tokens);
            ggml_tensor* pos = ggml_new_tensor_1d(c.ctx, GGML_TYPE_I32, tokens);
            std::vector<ggml_tensor*> outs;
            long n = d, elements = d * tokens;
            for (int i = 0; i < copies; ++i) {
                const std::string o = op;
                if (o == "rms_norm") {
                    outs.push_back(ggml_mul(c.ctx, ggml_rms_norm(c.ctx, x, 1e-5f), w));
                } else if (o == "rope") {
                    outs.push_back(ggml_rope_ext(c.ctx, q, pos, nullptr, int(hd), GGML_ROPE_TYPE_NORMAL, 131072,
                                                 500000.f, 1.f, 0.f, 1.f, 0.f, 0.f));
                    outs.push_back(ggml_rope_ext(c.ctx, k, pos, nullptr, int(hd), GGML_ROPE_TYPE_NORMAL, 131072,
                                                 500000.f, 1.f, 0.f, 1.f, 0.f, 0.f));
                    n = (hq + hk) * hd;
                    elements = n * tokens;
                } else if (o == "swiglu") {
                    outs.push_back(ggml_swiglu_split(c.ctx, gate, up));
                    n = ff;
                    elements = ff * tokens;
                } else {
                    outs.push_back(ggml_add(c.ctx, x, y));
                }
            }
            ggml_cgraph* g = ggml_new_graph_custom(c.ctx, size_t(copies) * 8 + 16, false);
            for (ggml_tensor* t : outs)
                ggml_build_forward_expand(g, t);
            ggml_backend_buffer_t buf = ggml_backend_alloc_ctx_tensors(c.ctx, be);
            if (!buf)
                continue;
            for (ggml_tensor* t : {x, y, w, gate, up, q, k}) {
                std::vector<float> v(size_t(ggml_nelements(t)), 0.5f);
                ggml_backend_tensor_set(t, v.data(), 0, v.size() * sizeof(float));
            }
            std::vector<int32_t> p(static_cast<size_t>(tokens));
            for (long i = 0; i < tokens; ++i)
                p[size_t(i)] = int32_t(1000 + i);
            ggml_backend_tensor_set(pos, p.data(), 0, p.size() * sizeof(int32_t));
            const Timing t = timeGraph(be, g, reps);
            row(op, "f32", threads, tokens, n, 0, 0, 0, 0, 0, copies, reps, t, 4.0 * double(elements) * 2.0,
                double(elements), "CPU");
            ggml_backend_buffer_free(buf);
        }
    }
}

std::vector<int> parseInts(const char* s) {
    std::vector<int> v;
    for (const char* p = s; *p;) {
        v.push_back(std::atoi(p));
        while (*p && *p != ',')
            ++p;
        if (*p == ',')
            ++p;
    }
    return v;
}

} // namespace

int main(int argc, char** argv) {
    Args a;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i];
        if (k == "--threads")
            a.threads = parseInts(argv[i + 1]);
        else if (k == "--reps")
            a.reps = std::atoi(argv[i + 1]);
        else if (k == "--sections")
            a.sections = argv[i + 1];
        else if (k == "--budget-s")
            a.budgetS = std::atof(argv[i + 1]);
        else {
            std::fprintf(stderr,
                         "usage: %s [--threads 16,4] [--reps 5] [--sections node,mul_mat,flash_attn] "
                         "[--budget-s 300]\n",
                         argv[0]);
            return 2;
        }
    }
    ggml_backend_load_all();
    ggml_backend_t be = ggml_backend_cpu_init();
    if (!be) {
        std::fprintf(stderr, "no CPU backend\n");
        return 1;
    }
    ggml_backend_dev_t dev = ggml_backend_get_device(be);
    const double perThreadsS = a.budgetS / double(std::max<size_t>(1, a.threads.size()));
    std::printf("op,type,threads,m,n,k,ctx,heads,kv_heads,head_dim,copies,reps,median_s,min_s,max_s,spread,"
                "bytes,flops,buft\n");
    // Projection shapes of Qwen2.5-0.5B, Llama-3.2-1B, Llama-3.2-3B and Llama-3.1-8B (n x k), LM heads included.
    const std::vector<Shape> shapes = {{2048, 2048}, {512, 2048},  {8192, 2048},  {2048, 8192},  {128256, 2048},
                                       {4096, 4096}, {1024, 4096}, {14336, 4096}, {4096, 14336}, {896, 896},
                                       {4864, 896},  {896, 4864},  {3072, 3072},  {8192, 3072},  {3072, 8192}};
    const std::vector<long> ms = {1, 2, 4, 8, 16, 64, 512};
    const std::vector<ggml_type> types = {GGML_TYPE_Q4_K, GGML_TYPE_Q8_0, GGML_TYPE_BF16, GGML_TYPE_Q6_K};
    for (int t : a.threads) {
        const double deadline = nowS() + perThreadsS; // each thread count gets its share of the budget
        ggml_backend_cpu_set_n_threads(be, t);
        if (a.sections.find("node") != std::string::npos)
            benchNode(be, t, a.reps);
        if (a.sections.find("elementwise") != std::string::npos)
            benchElementwise(be, t, a.reps, deadline);
        if (a.sections.find("flash_attn") != std::string::npos)
            benchFlashAttn(be, t, a.reps, {{32, 8, 64}, {32, 8, 128}, {14, 2, 64}}, {256, 1024, 4096}, {1, 4, 512},
                           deadline);
        if (a.sections.find("mul_mat") != std::string::npos)
            for (ggml_type ty : types)
                benchMulMat(be, dev, t, a.reps, ty, shapes, ms, deadline);
    }
    ggml_backend_free(be);
    return 0;
}
