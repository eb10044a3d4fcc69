#pragma once
/// @brief A team of persistent worker threads pinned to CPUs (through hwloc when available), with a spinning
/// barrier for low-overhead timing. Thread i is pinned to topology.pinOrder[i].
#include "profilers/cpu/stats.hpp"
#include "profilers/topology/topology.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace rooflab::cpu {

/// @brief Sense-reversing spin barrier for `count` threads. Threads must not outnumber the CPUs they run on.
class SpinBarrier {
public:
    explicit SpinBarrier(int count) : m_count(count), m_waiting(0), m_generation(0) {}
    void wait();

private:
    const int m_count;
    alignas(64) std::atomic<int> m_waiting;
    alignas(64) std::atomic<std::uint64_t> m_generation;
};

/// @brief Per-thread elapsed times of one timed sample. A sample's time is its slowest thread's own kernel time,
/// not the span between two barriers: in a VM, a vCPU that spins in the closing barrier can be descheduled by the
/// hypervisor (KVM pause-loop exiting, ~0.5 ms), which would otherwise enter the sample. Each thread writes only
/// its own slot (64 B apart); read `slowest()` after a barrier.
class SampleClock {
public:
    explicit SampleClock(int threads) : m_slots(static_cast<std::size_t>(threads) * kStride, 0.0) {}
    void set(int tid, double seconds) { m_slots[static_cast<std::size_t>(tid) * kStride] = seconds; }
    double slowest() const {
        double t = 0;
        for (std::size_t i = 0; i < m_slots.size(); i += kStride)
            t = m_slots[i] > t ? m_slots[i] : t;
        return t;
    }

private:
    static constexpr std::size_t kStride = 8;
    std::vector<double> m_slots;
};

class ThreadTeam {
public:
    /// @brief Starts `threads` workers pinned to `pinOrder` (OS CPU indices; empty = not pinned).
    ThreadTeam(int threads, const std::vector<int>& pinOrder);
    ~ThreadTeam();
    ThreadTeam(const ThreadTeam&) = delete;
    ThreadTeam& operator=(const ThreadTeam&) = delete;

    int size() const { return static_cast<int>(m_workers.size()); }
    /// @brief Runs job(threadIndex) on every worker and returns when all are done. Exceptions thrown by a job
    /// are rethrown here (the first one).
    void run(const std::function<void(int)>& job);
    /// @brief The barrier shared by the team; call it from inside a job to synchronise all workers.
    SpinBarrier& barrier() { return m_barrier; }
    /// @brief Pinning failures (empty when every worker was pinned).
    const std::vector<std::string>& pinErrors() const { return m_pinErrors; }
    const std::vector<int>& cpus() const { return m_cpus; }

private:
    void workerLoop(int index);

    std::vector<std::thread> m_workers;
    std::vector<int> m_cpus;
    std::vector<std::string> m_pinErrors;
    SpinBarrier m_barrier;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_done;
    const std::function<void(int)>* m_job = nullptr;
    std::uint64_t m_jobGeneration = 0;
    int m_remaining = 0;
    int m_started = 0;
    bool m_stop = false;
    std::exception_ptr m_error;
};

/// @brief What a timed team job reads and writes: repetitions per sample, samples, each sample's time (written by
/// thread 0 after the closing barrier) and the per-thread kernel times it is taken from.
struct SampleLoop {
    explicit SampleLoop(int threads) : clock(threads) {}
    int reps = 1;
    int samples = 1;
    std::vector<double> times;
    SampleClock clock;
};

/// @brief timeRepeated() of `job` on `team`: sets loop.reps and loop.samples, runs the job, takes loop.times.
inline RepeatedTimes timeOnTeam(ThreadTeam& team, SampleLoop& loop, const std::function<void(int)>& job,
                                double minSampleSeconds, double maxPointSeconds, int runs) {
    return timeRepeated(
        [&](int r, int count) {
            loop.reps = r;
            loop.samples = count;
            loop.times.assign(static_cast<std::size_t>(count), 0.0);
            team.run(job);
            return loop.times;
        },
        minSampleSeconds, maxPointSeconds, runs);
}

} // namespace rooflab::cpu
