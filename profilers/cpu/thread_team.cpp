#include "profilers/cpu/thread_team.hpp"

#include <immintrin.h>

namespace rooflab::cpu {

void SpinBarrier::wait() {
    const std::uint64_t generation = m_generation.load(std::memory_order_acquire);
    if (m_waiting.fetch_add(1, std::memory_order_acq_rel) + 1 == m_count) {
        m_waiting.store(0, std::memory_order_relaxed);
        m_generation.fetch_add(1, std::memory_order_acq_rel);
        return;
    }
    while (m_generation.load(std::memory_order_acquire) == generation)
        _mm_pause();
}

ThreadTeam::ThreadTeam(int threads, const std::vector<int>& pinOrder) : m_barrier(threads) {
    m_cpus.resize(static_cast<std::size_t>(threads), -1);
    if (!pinOrder.empty())
        for (std::size_t i = 0; i < m_cpus.size(); ++i)
            m_cpus[i] = pinOrder[i % pinOrder.size()];
    m_workers.reserve(m_cpus.size());
    for (int i = 0; i < threads; ++i)
        m_workers.emplace_back([this, i] { workerLoop(i); });
    std::unique_lock lock(m_mutex);
    m_done.wait(lock, [&] { return m_started == threads; });
}

ThreadTeam::~ThreadTeam() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    for (auto& worker : m_workers)
        worker.join();
}

void ThreadTeam::workerLoop(int index) {
    const int cpu = m_cpus[static_cast<std::size_t>(index)];
    std::string error;
    const bool pinned = cpu < 0 || topology::pinCurrentThreadToCpu(cpu, &error);
    std::uint64_t seen = 0;
    {
        std::lock_guard lock(m_mutex);
        if (!pinned)
            m_pinErrors.push_back(error);
        ++m_started;
    }
    m_done.notify_all();
    for (;;) {
        const std::function<void(int)>* job = nullptr;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [&] { return m_stop || m_jobGeneration != seen; });
            if (m_stop)
                return;
            seen = m_jobGeneration;
            job = m_job;
        }
        try {
            (*job)(index);
        } catch (...) {
            std::lock_guard lock(m_mutex);
            if (!m_error)
                m_error = std::current_exception();
        }
        {
            std::lock_guard lock(m_mutex);
            --m_remaining;
        }
        m_done.notify_all();
    }
}

void ThreadTeam::run(const std::function<void(int)>& job) {
    {
        std::lock_guard lock(m_mutex);
        m_job = &job;
        m_remaining = size();
        m_error = nullptr;
        ++m_jobGeneration;
    }
    m_wake.notify_all();
    std::unique_lock lock(m_mutex);
    m_done.wait(lock, [&] { return m_remaining == 0; });
    if (m_error)
        std::rethrow_exception(m_error);
}

} // namespace rooflab::cpu
