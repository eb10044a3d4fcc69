#pragma once
/// @brief Work sharing for independent, pure evaluations (search candidates, simulations, validation rows): items
/// are handed out one at a time from an atomic counter, so uneven items balance across threads.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace rooflab {

/// @brief The threads parallelFor uses for `n` items: `threads` (0: the hardware's), at most one per item, at
/// least 1.
inline unsigned parallelThreads(std::size_t n, unsigned threads) {
    threads = threads ? threads : std::max(1u, std::thread::hardware_concurrency());
    return static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(n, 1)));
}

/// @brief Calls f(i) for every i in [0, n) on parallelThreads(n, threads) threads (inline when that is 1).
template <class F> void parallelFor(std::size_t n, unsigned threads, F f) {
    threads = parallelThreads(n, threads);
    if (threads <= 1) {
        for (std::size_t i = 0; i < n; ++i)
            f(i);
        return;
    }
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            for (std::size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1))
                f(i);
        });
    for (auto& th : pool)
        th.join();
}

} // namespace rooflab
