#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

namespace sentinel::intel {

// A bounded single-producer/single-consumer queue of trivially copyable items. push() and pop()
// never lock, block or allocate; the storage is allocated once by the constructor.
template <typename T>
class SpscRing {
  public:
    // capacity is rounded up to a power of two.
    explicit SpscRing(size_t capacity) {
        size_t n = 1;
        while (n < capacity) {
            n <<= 1;
        }
        mask_ = n - 1;
        slots_ = std::make_unique<T[]>(n);
    }

    // Producer only. False when full (the item is not queued).
    bool push(const T& item) {
        const size_t head = head_.load(std::memory_order_relaxed);
        if (head - tail_.load(std::memory_order_acquire) > mask_) {
            return false;
        }
        slots_[head & mask_] = item;
        head_.store(head + 1, std::memory_order_release);
        return true;
    }

    // Consumer only. False when empty.
    bool pop(T& out) {
        const size_t tail = tail_.load(std::memory_order_relaxed);
        if (tail == head_.load(std::memory_order_acquire)) {
            return false;
        }
        out = slots_[tail & mask_];
        tail_.store(tail + 1, std::memory_order_release);
        return true;
    }

    size_t capacity() const { return mask_ + 1; }

  private:
    alignas(64) std::atomic<size_t> head_{0};
    alignas(64) std::atomic<size_t> tail_{0};
    size_t mask_ = 0;
    std::unique_ptr<T[]> slots_;
};

}  // namespace sentinel::intel
