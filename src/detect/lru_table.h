#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

namespace sentinel::detect {

// A fixed-capacity hash index with least-recently-used eviction. It maps keys to slot indices in
// [0, capacity); callers keep their per-key values in parallel arrays indexed by slot, so that
// every byte is allocated once in reset() and the packet path never allocates. Evictions are
// counted so that bounded state is visible in the agent's summary.
template <typename Key, typename Hash = std::hash<Key>>
class LruTable {
  public:
    static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

    struct Slot {
        uint32_t index = kNone;
        bool inserted = false;  // a new key: the caller must initialise its value
    };

    // Drops every entry and allocates room for `capacity` keys (at least 1).
    void reset(uint32_t capacity) {
        capacity_ = capacity < 1 ? 1 : capacity;
        uint32_t buckets = 1;
        while (buckets < capacity_ * 2) {
            buckets <<= 1;
        }
        mask_ = buckets - 1;
        buckets_.assign(buckets, kNone);
        keys_.assign(capacity_, Key{});
        hashes_.assign(capacity_, 0);
        chain_.assign(capacity_, kNone);
        prev_.assign(capacity_, kNone);
        next_.assign(capacity_, kNone);
        size_ = 0;
        head_ = tail_ = kNone;
        evictions_ = 0;
    }

    // The slot holding `key` (marked most recently used), or kNone.
    uint32_t find(const Key& key) {
        const uint32_t h = hash(key);
        for (uint32_t i = buckets_[h & mask_]; i != kNone; i = chain_[i]) {
            if (hashes_[i] == h && keys_[i] == key) {
                touch(i);
                return i;
            }
        }
        return kNone;
    }

    // The slot of `key`, inserting it (and evicting the least recently used key when full).
    Slot find_or_insert(const Key& key) {
        const uint32_t h = hash(key);
        for (uint32_t i = buckets_[h & mask_]; i != kNone; i = chain_[i]) {
            if (hashes_[i] == h && keys_[i] == key) {
                touch(i);
                return {i, false};
            }
        }
        uint32_t i;
        if (size_ < capacity_) {
            i = size_++;
        } else {
            i = tail_;
            unlink_chain(i);
            unlink_list(i);
            ++evictions_;
        }
        keys_[i] = key;
        hashes_[i] = h;
        chain_[i] = buckets_[h & mask_];
        buckets_[h & mask_] = i;
        push_front(i);
        return {i, true};
    }

    const Key& key(uint32_t index) const { return keys_[index]; }
    uint32_t size() const { return size_; }
    uint32_t capacity() const { return capacity_; }
    uint64_t evictions() const { return evictions_; }
    // Bytes held by the index itself (not the caller's value arrays).
    uint64_t memory_bytes() const {
        return static_cast<uint64_t>(capacity_) * (sizeof(Key) + 4 * sizeof(uint32_t)) +
               static_cast<uint64_t>(buckets_.size()) * sizeof(uint32_t);
    }
    static constexpr uint64_t bytes_per_entry() { return sizeof(Key) + 4 * sizeof(uint32_t) + 8; }

  private:
    uint32_t hash(const Key& key) const {
        const uint64_t h = static_cast<uint64_t>(Hash{}(key));
        return static_cast<uint32_t>(h ^ (h >> 32));
    }

    void touch(uint32_t i) {
        if (head_ == i) {
            return;
        }
        unlink_list(i);
        push_front(i);
    }
    void push_front(uint32_t i) {
        prev_[i] = kNone;
        next_[i] = head_;
        if (head_ != kNone) {
            prev_[head_] = i;
        }
        head_ = i;
        if (tail_ == kNone) {
            tail_ = i;
        }
    }
    void unlink_list(uint32_t i) {
        if (prev_[i] != kNone) {
            next_[prev_[i]] = next_[i];
        } else {
            head_ = next_[i];
        }
        if (next_[i] != kNone) {
            prev_[next_[i]] = prev_[i];
        } else {
            tail_ = prev_[i];
        }
        prev_[i] = next_[i] = kNone;
    }
    void unlink_chain(uint32_t i) {
        uint32_t* link = &buckets_[hashes_[i] & mask_];
        while (*link != i) {
            link = &chain_[*link];
        }
        *link = chain_[i];
    }

    std::vector<uint32_t> buckets_;
    std::vector<Key> keys_;
    std::vector<uint32_t> hashes_;
    std::vector<uint32_t> chain_;  // next slot in the same bucket
    std::vector<uint32_t> prev_;   // LRU list, head = most recently used
    std::vector<uint32_t> next_;
    uint32_t capacity_ = 0;
    uint32_t mask_ = 0;
    uint32_t size_ = 0;
    uint32_t head_ = kNone;
    uint32_t tail_ = kNone;
    uint64_t evictions_ = 0;
};

}  // namespace sentinel::detect
