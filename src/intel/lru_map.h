#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace sentinel::intel {

// A bounded hash map with least-recently-used eviction. Open addressing with linear probing and
// backward-shift deletion keeps lookups short without tombstones.
//
// Memory grows with what the map holds: the constructor claims the cap and allocates room for
// kInitialEntries only; an upsert that finds every allocated node in use below the cap grows the
// room by half (never beyond the cap) and rebuilds the index. That is the only allocation of
// find/upsert, and it happens at most log1.5(cap / kInitialEntries) times; in steady state they
// never allocate. At the cap the least recently used entry is evicted and counted.
template <typename K, typename V, typename Hash>
class LruMap {
  public:
    static constexpr size_t kInitialEntries = 64;

    explicit LruMap(size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {
        allocate(capacity_ < kInitialEntries ? capacity_ : kInitialEntries);
    }

    // The value for key without changing its recency; nullptr when absent.
    const V* peek(const K& key) const {
        const uint32_t node = locate(key, Hash{}(key));
        return node == kNone ? nullptr : &nodes_[node].value;
    }
    V* peek(const K& key) {
        const uint32_t node = locate(key, Hash{}(key));
        return node == kNone ? nullptr : &nodes_[node].value;
    }

    // The value for key, marked most recently used; a default value is inserted when absent
    // (evicting the least recently used entry when full). *inserted tells which happened.
    V& upsert(const K& key, bool* inserted = nullptr) {
        const size_t hash = Hash{}(key);
        uint32_t node = locate(key, hash);
        if (node != kNone) {
            touch(node);
            if (inserted != nullptr) {
                *inserted = false;
            }
            return nodes_[node].value;
        }
        if (size_ < allocated_ || (size_ < capacity_ && grow())) {
            node = static_cast<uint32_t>(size_++);
        } else {
            node = tail_;
            unlink(node);
            erase_index(node);
            ++evictions_;
        }
        Node& n = nodes_[node];
        n.key = key;
        n.value = V{};
        n.hash = hash;
        size_t slot = hash & mask_;
        while (index_[slot] != kNone) {
            slot = (slot + 1) & mask_;
        }
        index_[slot] = node;
        link_front(node);
        if (inserted != nullptr) {
            *inserted = true;
        }
        return n.value;
    }

    size_t size() const { return size_; }
    // The cap: the most entries the map will ever hold.
    size_t capacity() const { return capacity_; }
    // Entries allocated so far (size() <= allocated() <= capacity()).
    size_t allocated() const { return allocated_; }
    // Growths refused for lack of memory (the cap then drops to the room already allocated).
    uint64_t growth_failures() const { return growth_failures_; }
    uint64_t evictions() const { return evictions_; }
    // Bytes of nodes and index allocated so far.
    uint64_t memory_bytes() const {
        return static_cast<uint64_t>(nodes_.capacity()) * sizeof(Node) +
               static_cast<uint64_t>(index_.capacity()) * sizeof(uint32_t);
    }

  private:
    static constexpr uint32_t kNone = UINT32_MAX;

    struct Node {
        K key{};
        V value{};
        size_t hash = 0;
        uint32_t prev = kNone;
        uint32_t next = kNone;
    };

    static size_t index_slots(size_t entries) {
        size_t slots = 2;
        while (slots < entries * 2) {
            slots <<= 1;
        }
        return slots;
    }

    // By half, or to the cap when that would pass three quarters of it. Nothing is thrown on the
    // packet path: when memory runs out the map keeps the room it has as its cap (evicting from
    // then on) instead of trying again on every upsert.
    bool grow() noexcept {
        const size_t step = allocated_ / 2 < 1 ? 1 : allocated_ / 2;
        const size_t next = allocated_ + step;
        try {
            allocate(next > capacity_ / 4 * 3 ? capacity_ : next);
        } catch (const std::bad_alloc&) {
            capacity_ = allocated_;
            ++growth_failures_;
            return false;
        }
        return true;
    }

    // Makes room for `entries` nodes and rebuilds the index (at most half full) over the nodes
    // in use. Node numbers and the LRU order stay as they are; if an allocation fails part-way,
    // nothing changes but the length of nodes_.
    void allocate(size_t entries) {
        nodes_.reserve(entries);
        nodes_.resize(entries);
        const size_t slots = index_slots(entries);
        if (index_.size() == slots) {
            allocated_ = entries;
            return;
        }
        std::vector<uint32_t> fresh;
        fresh.reserve(slots);
        fresh.assign(slots, kNone);
        index_.swap(fresh);
        mask_ = slots - 1;
        for (size_t node = 0; node < size_; ++node) {
            size_t slot = nodes_[node].hash & mask_;
            while (index_[slot] != kNone) {
                slot = (slot + 1) & mask_;
            }
            index_[slot] = static_cast<uint32_t>(node);
        }
        allocated_ = entries;
    }

    uint32_t locate(const K& key, size_t hash) const {
        size_t slot = hash & mask_;
        while (index_[slot] != kNone) {
            const Node& n = nodes_[index_[slot]];
            if (n.hash == hash && n.key == key) {
                return index_[slot];
            }
            slot = (slot + 1) & mask_;
        }
        return kNone;
    }

    void erase_index(uint32_t node) {
        size_t slot = nodes_[node].hash & mask_;
        while (index_[slot] != node) {
            slot = (slot + 1) & mask_;
        }
        size_t hole = slot;
        size_t next = (hole + 1) & mask_;
        while (index_[next] != kNone) {
            const size_t home = nodes_[index_[next]].hash & mask_;
            // Move the entry back when its home is not cyclically inside (hole, next].
            const bool stays =
                hole <= next ? (home > hole && home <= next) : (home > hole || home <= next);
            if (!stays) {
                index_[hole] = index_[next];
                hole = next;
            }
            next = (next + 1) & mask_;
        }
        index_[hole] = kNone;
    }

    void unlink(uint32_t node) {
        Node& n = nodes_[node];
        if (n.prev != kNone) {
            nodes_[n.prev].next = n.next;
        } else {
            head_ = n.next;
        }
        if (n.next != kNone) {
            nodes_[n.next].prev = n.prev;
        } else {
            tail_ = n.prev;
        }
        n.prev = n.next = kNone;
    }

    void link_front(uint32_t node) {
        Node& n = nodes_[node];
        n.prev = kNone;
        n.next = head_;
        if (head_ != kNone) {
            nodes_[head_].prev = node;
        }
        head_ = node;
        if (tail_ == kNone) {
            tail_ = node;
        }
    }

    void touch(uint32_t node) {
        if (head_ != node) {
            unlink(node);
            link_front(node);
        }
    }

    size_t capacity_;
    size_t allocated_ = 0;
    std::vector<Node> nodes_;
    std::vector<uint32_t> index_;
    size_t mask_ = 0;
    size_t size_ = 0;
    uint32_t head_ = kNone;  // most recently used
    uint32_t tail_ = kNone;  // least recently used
    uint64_t evictions_ = 0;
    uint64_t growth_failures_ = 0;
};

}  // namespace sentinel::intel
