#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include "common/time.h"

namespace sentinel::detect {

// Converts a window length in seconds to the width of one RateWindow slot.
inline int64_t slot_width_ns(double window_seconds, int sub_intervals) {
    const auto w = static_cast<int64_t>(window_seconds * 1e9) / sub_intervals;
    return w < 1 ? 1 : w;
}

// Index of the slot holding `ts` (floor division, so it is also right before 1970).
inline int64_t slot_of(Timestamp ts, int64_t width_ns) {
    return ts.ns >= 0 ? ts.ns / width_ns : (ts.ns - width_ns + 1) / width_ns;
}

// "How much happened in the last W" for one key, in constant memory: the window is split into
// kSubIntervals slots of width W / kSubIntervals and a ring keeps one more slot than that.
// An event is therefore counted for at least W and at most W + W/kSubIntervals after it
// happened: everything inside [now - W, now] always counts, nothing older than
// now - W - W/kSubIntervals ever does. Counts themselves are exact, so threshold edges are
// exact. A timestamp older than the newest slot (a capture whose clock steps back) is counted in
// the newest slot rather than dropped.
//
// `Slot` may be narrower than `Count` to save memory for tables of many keys (16-bit slots: 48
// bytes a key instead of 80). A narrow slot saturates: the total stays the sum of the slots, so it
// is exact as long as no slot holds more than Slot's maximum, and never counts an event twice.
template <typename Count, typename Slot = Count>
class RateWindow {
  public:
    static constexpr int kSubIntervals = 15;
    static constexpr int kSlots = kSubIntervals + 1;

    // Adds `amount` at slot `slot` and returns the total over the window.
    Count add(int64_t slot, Count amount) {
        advance(slot);
        Slot& c = counts_[head_ & (kSlots - 1)];
        if constexpr (sizeof(Slot) < sizeof(Count)) {
            const Count room = static_cast<Count>(std::numeric_limits<Slot>::max() - c);
            amount = amount < room ? amount : room;
        }
        c = static_cast<Slot>(c + amount);
        total_ += amount;
        return total_;
    }
    // The total over the window ending at `slot` (expires old slots).
    Count total_at(int64_t slot) {
        advance(slot);
        return total_;
    }
    Count total() const { return total_; }

  private:
    void advance(int64_t slot) {
        if (head_ == kUnset || slot - head_ >= kSlots) {
            std::fill(std::begin(counts_), std::end(counts_), Slot{0});
            total_ = 0;
            head_ = slot;
        } else if (slot > head_) {
            for (int64_t s = head_ + 1; s <= slot; ++s) {
                Slot& c = counts_[s & (kSlots - 1)];
                total_ -= c;
                c = 0;
            }
            head_ = slot;
        }
    }

    static constexpr int64_t kUnset = std::numeric_limits<int64_t>::min();
    static_assert((kSlots & (kSlots - 1)) == 0, "ring size must be a power of two");

    int64_t head_ = kUnset;
    Count total_ = 0;
    Slot counts_[kSlots] = {};
};

// "How many distinct values (ports) in the last W" for one key, keeping at most `capacity`
// (value, last seen) pairs in caller-owned storage. With capacity = threshold the answer is exact
// up to the threshold, which is all a detector needs: once `capacity` distinct values are held
// the oldest pair is replaced.
class DistinctWindow {
  public:
    // values/seen point to `capacity` elements each; count is the caller's per-key counter.
    static uint32_t add(uint16_t* values, int64_t* seen, uint16_t& count, uint32_t capacity,
                        uint16_t value, Timestamp now, int64_t window_ns) {
        const int64_t oldest_allowed = now.ns - window_ns;
        uint16_t kept = 0;
        bool found = false;
        for (uint16_t i = 0; i < count; ++i) {
            if (seen[i] < oldest_allowed) {
                continue;  // expired
            }
            if (values[i] == value) {
                found = true;
                seen[i] = std::max(seen[i], now.ns);
            }
            values[kept] = values[i];
            seen[kept] = seen[i];
            ++kept;
        }
        count = kept;
        if (found) {
            return count;
        }
        if (count < capacity) {
            values[count] = value;
            seen[count] = now.ns;
            ++count;
            return count;
        }
        // Full: replace the least recently seen value.
        uint16_t victim = 0;
        for (uint16_t i = 1; i < count; ++i) {
            if (seen[i] < seen[victim]) {
                victim = i;
            }
        }
        values[victim] = value;
        seen[victim] = now.ns;
        return count;
    }
};

}  // namespace sentinel::detect
