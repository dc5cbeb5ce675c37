#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "detect/ip_key.h"

namespace sentinel::detect {

// A fixed-capacity hash index with least-recently-used eviction. It maps keys to slot indices in
// [0, capacity); callers keep their per-key values in parallel arrays indexed by slot, so that
// every byte is allocated once in reset() and the packet path never allocates. Evictions are
// counted so that bounded state is visible in the agent's summary.
template <typename Key, typename Hash = std::hash<Key>, typename Equal = std::equal_to<Key>>
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
        while (buckets < capacity_) {
            buckets <<= 1;
        }
        mask_ = buckets - 1;
        buckets_.assign(buckets, kNone);
        nodes_.assign(capacity_, Node{});
        size_ = 0;
        head_ = tail_ = kNone;
        evictions_ = 0;
    }

    // The slot holding `key` (marked most recently used), or kNone.
    uint32_t find(const Key& key) {
        const uint32_t h = hash(key);
        for (uint32_t i = buckets_[h & mask_]; i != kNone; i = nodes_[i].chain) {
            if (nodes_[i].hash == h && Equal{}(nodes_[i].key, key)) {
                touch(i);
                return i;
            }
        }
        return kNone;
    }

    // The slot of `key`, inserting it (and evicting the least recently used key when full).
    Slot find_or_insert(const Key& key) {
        const uint32_t h = hash(key);
        for (uint32_t i = buckets_[h & mask_]; i != kNone; i = nodes_[i].chain) {
            if (nodes_[i].hash == h && Equal{}(nodes_[i].key, key)) {
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
        Node& n = nodes_[i];
        n.key = key;
        n.hash = h;
        n.chain = buckets_[h & mask_];
        buckets_[h & mask_] = i;
        push_front(i);
        return {i, true};
    }

    const Key& key(uint32_t index) const { return nodes_[index].key; }
    uint32_t size() const { return size_; }
    uint32_t capacity() const { return capacity_; }
    uint64_t evictions() const { return evictions_; }
    // Bytes held by the index itself (not the caller's value arrays).
    uint64_t memory_bytes() const {
        return static_cast<uint64_t>(capacity_) * sizeof(Node) +
               static_cast<uint64_t>(buckets_.size()) * sizeof(uint32_t);
    }

  private:
    // Key, hash and links together: a lookup touches one bucket and one node.
    struct Node {
        Key key{};
        uint32_t hash = 0;
        uint32_t chain = kNone;  // next slot in the same bucket
        uint32_t prev = kNone;   // LRU list, head = most recently used
        uint32_t next = kNone;
    };

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
        nodes_[i].prev = kNone;
        nodes_[i].next = head_;
        if (head_ != kNone) {
            nodes_[head_].prev = i;
        }
        head_ = i;
        if (tail_ == kNone) {
            tail_ = i;
        }
    }
    void unlink_list(uint32_t i) {
        Node& n = nodes_[i];
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
    void unlink_chain(uint32_t i) {
        uint32_t* link = &buckets_[nodes_[i].hash & mask_];
        while (*link != i) {
            link = &nodes_[*link].chain;
        }
        *link = nodes_[i].chain;
    }

    std::vector<uint32_t> buckets_;
    std::vector<Node> nodes_;
    uint32_t capacity_ = 0;
    uint32_t mask_ = 0;
    uint32_t size_ = 0;
    uint32_t head_ = kNone;
    uint32_t tail_ = kNone;
    uint64_t evictions_ = 0;
};

// The common case: one entry per address.
using AddressTable = LruTable<IpAddress, IpHash, IpEqual>;

}  // namespace sentinel::detect
