#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sentinel::intel {

// A fixed-capacity hash map with least-recently-used eviction. Every node and index slot is
// allocated by the constructor; find/upsert never allocate. Open addressing with linear probing
// and backward-shift deletion keeps lookups short without tombstones.
template <typename K, typename V, typename Hash>
class LruMap {
  public:
    explicit LruMap(size_t capacity) {
        if (capacity < 1) {
            capacity = 1;
        }
        nodes_.resize(capacity);
        size_t slots = 2;
        while (slots < capacity * 2) {
            slots <<= 1;
        }
        index_.assign(slots, kNone);
        mask_ = slots - 1;
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
        if (size_ < nodes_.size()) {
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
    size_t capacity() const { return nodes_.size(); }
    uint64_t evictions() const { return evictions_; }

  private:
    static constexpr uint32_t kNone = UINT32_MAX;

    struct Node {
        K key{};
        V value{};
        size_t hash = 0;
        uint32_t prev = kNone;
        uint32_t next = kNone;
    };

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

    std::vector<Node> nodes_;
    std::vector<uint32_t> index_;
    size_t mask_ = 0;
    size_t size_ = 0;
    uint32_t head_ = kNone;  // most recently used
    uint32_t tail_ = kNone;  // least recently used
    uint64_t evictions_ = 0;
};

}  // namespace sentinel::intel
