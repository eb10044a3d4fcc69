#pragma once
/// @brief Page-aligned benchmark memory from mmap, with transparent huge pages requested for large buffers so
/// TLB misses do not dominate out-of-cache bandwidth and latency. Pages are first touched by the thread that
/// uses them (NUMA-aware first touch); this class never touches the memory itself.
#include <sys/mman.h>

#include <cstddef>
#include <new>
#include <utility>

namespace rooflab::cpu {

class AlignedBuffer {
public:
    AlignedBuffer() = default;
    explicit AlignedBuffer(std::size_t bytes) : m_bytes(bytes) {
        if (bytes == 0)
            return;
        void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            throw std::bad_alloc();
        if (bytes >= (std::size_t{4} << 20))
            madvise(p, bytes, MADV_HUGEPAGE);
        m_data = p;
    }
    ~AlignedBuffer() { release(); }
    AlignedBuffer(AlignedBuffer&& other) noexcept
        : m_data(std::exchange(other.m_data, nullptr)), m_bytes(std::exchange(other.m_bytes, 0)) {}
    AlignedBuffer& operator=(AlignedBuffer&& other) noexcept {
        if (this != &other) {
            release();
            m_data = std::exchange(other.m_data, nullptr);
            m_bytes = std::exchange(other.m_bytes, 0);
        }
        return *this;
    }
    AlignedBuffer(const AlignedBuffer&) = delete;
    AlignedBuffer& operator=(const AlignedBuffer&) = delete;

    template <typename T> T* as() const { return static_cast<T*>(m_data); }
    std::size_t bytes() const { return m_bytes; }

private:
    void release() {
        if (m_data != nullptr)
            munmap(m_data, m_bytes);
        m_data = nullptr;
    }
    void* m_data = nullptr;
    std::size_t m_bytes = 0;
};

} // namespace rooflab::cpu
