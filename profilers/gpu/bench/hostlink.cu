// Host <-> device copies (cudaMemcpyAsync), pinned (cudaMallocHost) and pageable host memory, 4 KiB to 1 GiB.
#include "common.hpp"

#include <cstring>

namespace rooflab::gpubench {

void benchHostLink(const Device&, const Options& o) {
    Csv csv(o.outDir + "/hostlink.csv", "direction,bytes,pinned,median_s,bytes_per_s");
    const size_t maxBytes = o.quick ? (size_t{256} << 20) : (size_t{1} << 30);
    void* dev = nullptr;
    void* pinned = nullptr;
    RB_CHECK(cudaMalloc(&dev, maxBytes));
    RB_CHECK(cudaMallocHost(&pinned, maxBytes));
    std::vector<unsigned char> pageable(maxBytes);
    for (size_t i = 0; i < maxBytes; i += 4096)
        pageable[i] = static_cast<unsigned char>(i * 2654435761u >> 24);
    std::memcpy(pinned, pageable.data(), maxBytes);
    fillRandom(dev, maxBytes, "u32", 99, nullptr);
    cudaStream_t s;
    RB_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    for (const char* dir : {"h2d", "d2h"}) {
        for (int pin = 1; pin >= 0; --pin) {
            for (size_t b = size_t{4} << 10; b <= maxBytes; b *= (o.quick ? 16 : 4)) {
                void* host = pin ? pinned : static_cast<void*>(pageable.data());
                const bool h2d = std::string(dir) == "h2d";
                const int runs = b >= (size_t{256} << 20) ? 5 : (o.quick ? 10 : 20);
                auto t = timeEvents(s, 2, runs, 1, [&] {
                    RB_CHECK(cudaMemcpyAsync(h2d ? dev : host, h2d ? host : dev, b,
                                             h2d ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost, s));
                });
                Stats st = summarize(t);
                csv.row(std::string(dir), b, pin, st.median, static_cast<double>(b) / st.median);
                if (b >= (size_t{64} << 20))
                    progress("hostlink", std::string(dir) + (pin ? " pinned " : " pageable ") + std::to_string(b >> 20) +
                                             " MiB: " + std::to_string(static_cast<double>(b) / st.median * 1e-9) + " GB/s");
            }
        }
    }
    RB_CHECK(cudaStreamDestroy(s));
    RB_CHECK(cudaFreeHost(pinned));
    RB_CHECK(cudaFree(dev));
}

} // namespace rooflab::gpubench
