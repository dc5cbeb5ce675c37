#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <limits>
#include <new>
#include <vector>

#include "detect/ip_key.h"

namespace sentinel::detect {

// A bounded hash index with least-recently-used eviction. It maps keys to slot indices in
// [0, capacity); callers keep their per-key values in columns (vectors indexed by slot) that they
// attach to the table, which grows them with itself. Evictions are counted so that bounded state
// is visible in the agent's summary.
//
// Memory grows with what the table holds: reset() claims the cap and allocates room for a few
// keys only; when every allocated slot is in use and the cap is not reached, an insert grows the
// room by half (never beyond the cap) and every attached column with it. Growth is the only
// allocation after reset(), happens at most ceil(log1.5(cap / kInitialSlots)) times (17 for a cap
// of 65 536) and is amortised over the inserts that filled the room; slot indices never change. A
// factor of 1.5 rather than 2 keeps the unused room under a third of what is allocated. At the cap
// the least recently used key is evicted and counted, exactly as when the whole cap was allocated
// up front.
template <typename Key, typename Hash = std::hash<Key>, typename Equal = std::equal_to<Key>>
class LruTable {
  public:
    static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
    static constexpr uint32_t kInitialSlots = 64;
    static constexpr size_t kMaxColumns = 4;

    struct Slot {
        uint32_t index = kNone;
        bool inserted = false;  // a new key: the caller must initialise its value
    };

    LruTable() = default;
    // Attached columns are addressed by pointer: the table stays where it was built.
    LruTable(const LruTable&) = delete;
    LruTable& operator=(const LruTable&) = delete;

    // Drops every entry and column, and claims room for up to `capacity` keys (at least 1),
    // allocating only the first kInitialSlots of it.
    void reset(uint32_t capacity) {
        capacity_ = capacity < 1 ? 1 : capacity;
        column_count_ = 0;
        size_ = 0;
        head_ = tail_ = kNone;
        evictions_ = 0;
        growths_ = 0;
        growth_failures_ = 0;
        std::vector<Node>().swap(nodes_);
        std::vector<uint32_t>().swap(buckets_);
        allocated_ = 0;
        allocate(capacity_ < kInitialSlots ? capacity_ : kInitialSlots);
    }

    // Keeps `column` at `per_slot` elements per allocated slot from now on (call after reset()).
    // Its elements are value-initialised; the caller initialises a slot's value when the slot is
    // inserted, as before.
    template <typename T>
    void attach(std::vector<T>& column, size_t per_slot = 1) {
        if (column_count_ == kMaxColumns) {
            std::abort();  // a programming error, caught by every detector test
        }
        std::vector<T>().swap(column);
        columns_[column_count_++] =
            Column{&column, per_slot, sizeof(T), &resize_column<T>, &column_bytes<T>};
        resize_column<T>(&column, static_cast<size_t>(allocated_) * per_slot);
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

    // The slot of `key`, inserting it (growing the table, or evicting the least recently used
    // key when the cap is reached).
    Slot find_or_insert(const Key& key) {
        const uint32_t h = hash(key);
        for (uint32_t i = buckets_[h & mask_]; i != kNone; i = nodes_[i].chain) {
            if (nodes_[i].hash == h && Equal{}(nodes_[i].key, key)) {
                touch(i);
                return {i, false};
            }
        }
        uint32_t i;
        if (size_ < allocated_ || (size_ < capacity_ && grow())) {
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
    // The cap: the most keys the table will ever hold.
    uint32_t capacity() const { return capacity_; }
    // Slots allocated so far (size() <= allocated() <= capacity()).
    uint32_t allocated() const { return allocated_; }
    uint64_t evictions() const { return evictions_; }
    uint64_t growths() const { return growths_; }
    // Growths refused for lack of memory (the cap then drops to the room already allocated).
    uint64_t growth_failures() const { return growth_failures_; }
    // Bytes held by the index and its attached columns.
    uint64_t memory_bytes() const {
        uint64_t bytes = static_cast<uint64_t>(nodes_.capacity()) * sizeof(Node) +
                         static_cast<uint64_t>(buckets_.capacity()) * sizeof(uint32_t);
        for (size_t c = 0; c < column_count_; ++c) {
            bytes += columns_[c].bytes(columns_[c].vector);
        }
        return bytes;
    }
    // What memory_bytes() will be once the cap is allocated: the budget reset() claimed.
    uint64_t memory_bytes_at_cap() const {
        uint64_t bytes = static_cast<uint64_t>(capacity_) * sizeof(Node) +
                         static_cast<uint64_t>(bucket_count(capacity_)) * sizeof(uint32_t);
        for (size_t c = 0; c < column_count_; ++c) {
            bytes +=
                static_cast<uint64_t>(capacity_) * columns_[c].per_slot * columns_[c].element_size;
        }
        return bytes;
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
    struct Column {
        void* vector = nullptr;
        size_t per_slot = 1;
        size_t element_size = 0;
        void (*resize)(void* vector, size_t elements) = nullptr;
        uint64_t (*bytes)(const void* vector) = nullptr;
    };

    // Grows a column to exactly `elements` (reserve first, so that no growth policy of the
    // vector over-allocates).
    template <typename T>
    static void resize_column(void* vector, size_t elements) {
        auto& v = *static_cast<std::vector<T>*>(vector);
        v.reserve(elements);
        v.resize(elements);
    }

    template <typename T>
    static uint64_t column_bytes(const void* vector) {
        return static_cast<uint64_t>(static_cast<const std::vector<T>*>(vector)->capacity()) *
               sizeof(T);
    }

    static uint32_t bucket_count(uint32_t slots) {
        uint32_t buckets = 1;
        while (buckets < slots) {
            buckets <<= 1;
        }
        return buckets;
    }

    // Grows the room by half, or to the cap when that would pass three quarters of it (no
    // last copy of everything for a few more slots). Nothing is thrown on the packet path: when
    // memory runs out the table keeps the room it has as its cap (evicting from then on, and
    // counted in growth_failures()) instead of trying again on every insert.
    bool grow() noexcept {
        const uint32_t step = allocated_ / 2 < 1 ? 1 : allocated_ / 2;
        const bool last =
            allocated_ + static_cast<uint64_t>(step) > static_cast<uint64_t>(capacity_) * 3 / 4;
        try {
            allocate(last ? capacity_ : allocated_ + step);
        } catch (const std::bad_alloc&) {
            capacity_ = allocated_;
            ++growth_failures_;
            return false;
        }
        ++growths_;
        return true;
    }

    // Makes room for `slots` keys: nodes, every attached column, then buckets (re-chained when
    // their count changes). Slot indices and the LRU order stay as they are. If an allocation
    // fails part-way, the table is unchanged apart from some arrays being longer than needed.
    void allocate(uint32_t slots) {
        nodes_.reserve(slots);
        nodes_.resize(slots);
        for (size_t c = 0; c < column_count_; ++c) {
            columns_[c].resize(columns_[c].vector,
                               static_cast<size_t>(slots) * columns_[c].per_slot);
        }
        const uint32_t buckets = bucket_count(slots);
        if (buckets_.size() != buckets) {
            std::vector<uint32_t> fresh;
            fresh.reserve(buckets);
            fresh.assign(buckets, kNone);
            buckets_.swap(fresh);
            mask_ = buckets - 1;
            for (uint32_t i = 0; i < size_; ++i) {
                uint32_t& bucket = buckets_[nodes_[i].hash & mask_];
                nodes_[i].chain = bucket;
                bucket = i;
            }
        }
        allocated_ = slots;
    }

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
    std::array<Column, kMaxColumns> columns_{};
    size_t column_count_ = 0;
    uint32_t capacity_ = 0;
    uint32_t allocated_ = 0;
    uint32_t mask_ = 0;
    uint32_t size_ = 0;
    uint32_t head_ = kNone;
    uint32_t tail_ = kNone;
    uint64_t evictions_ = 0;
    uint64_t growths_ = 0;
    uint64_t growth_failures_ = 0;
};

// The common case: one entry per address.
using AddressTable = LruTable<IpAddress, IpHash, IpEqual>;

}  // namespace sentinel::detect
