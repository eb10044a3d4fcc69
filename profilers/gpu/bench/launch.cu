// Launch overhead. stream_empty_kernel: back-to-back launches of an empty kernel on one stream, per launch.
// graph_empty_kernel: a graph of 1000 empty-kernel nodes replayed, per node. sync_roundtrip: launch one empty
// kernel and wait for it (cudaStreamSynchronize), host clock, per round trip.
#include "common.hpp"

namespace rooflab::gpubench {
namespace {
__global__ void emptyKernel() {}
} // namespace

void benchLaunch(const Device&, const Options& o) {
    Csv csv(o.outDir + "/launch.csv", "mode,median_s,p10_s,p90_s,runs");
    cudaStream_t s;
    RB_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    const int runs = o.quick ? 10 : 30;
    const int n = 1000;
    auto emit = [&](const char* mode, const Stats& st) {
        csv.row(std::string(mode), st.median, st.p10, st.p90, st.runs);
        progress("launch", std::string(mode) + ": " + std::to_string(st.median * 1e6) + " us");
    };
    emit("stream_empty_kernel", summarize(timeEvents(s, 100, runs, n, [&] {
             emptyKernel<<<1, 32, 0, s>>>();
             RB_CHECK_LAUNCH();
         })));
    {
        cudaGraph_t g;
        cudaGraphExec_t ge;
        RB_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
        for (int i = 0; i < n; ++i)
            emptyKernel<<<1, 32, 0, s>>>();
        RB_CHECK(cudaStreamEndCapture(s, &g));
        RB_CHECK(cudaGraphInstantiate(&ge, g, 0));
        auto t = timeEvents(s, 3, runs, 1, [&] { RB_CHECK(cudaGraphLaunch(ge, s)); });
        for (auto& x : t)
            x /= n;
        emit("graph_empty_kernel", summarize(t));
        RB_CHECK(cudaGraphExecDestroy(ge));
        RB_CHECK(cudaGraphDestroy(g));
    }
    {
        std::vector<double> t;
        for (int i = 0; i < 100 + runs * 20; ++i) {
            const auto t0 = std::chrono::steady_clock::now();
            emptyKernel<<<1, 32, 0, s>>>();
            RB_CHECK_LAUNCH();
            RB_CHECK(cudaStreamSynchronize(s));
            const auto t1 = std::chrono::steady_clock::now();
            if (i >= 100)
                t.push_back(std::chrono::duration<double>(t1 - t0).count());
        }
        emit("sync_roundtrip", summarize(t));
    }
    RB_CHECK(cudaStreamDestroy(s));
}

} // namespace rooflab::gpubench
