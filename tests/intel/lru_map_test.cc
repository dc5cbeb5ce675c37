#include "intel/lru_map.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

namespace sentinel::intel {
namespace {

using Map = LruMap<int, int, std::hash<int>>;

TEST(LruMap, EvictsTheLeastRecentlyUsedAndCounts) {
    Map m(3);
    m.upsert(1) = 10;
    m.upsert(2) = 20;
    m.upsert(3) = 30;
    m.upsert(1);       // 1 is now the most recent; 2 the least
    m.upsert(4) = 40;  // evicts 2
    EXPECT_EQ(m.size(), 3u);
    EXPECT_EQ(m.evictions(), 1u);
    EXPECT_EQ(m.peek(2), nullptr);
    ASSERT_NE(m.peek(1), nullptr);
    EXPECT_EQ(*m.peek(1), 10);
    EXPECT_EQ(*m.peek(4), 40);
}

// Groups of keys share a home slot, so probe chains are long and wrap around.
struct Coarse {
    size_t operator()(int i) const { return static_cast<size_t>(i / 5) * 37; }
};

TEST(LruMap, StaysConsistentUnderChurn) {
    // Many evictions with colliding probe chains exercise the backward-shift deletion.
    LruMap<int, int, Coarse> m(64);
    for (int i = 0; i < 10'000; ++i) {
        m.upsert(i) = i * 2;
        if (i >= 64) {
            ASSERT_EQ(m.peek(i - 64), nullptr);
        }
        for (int k = std::max(0, i - 63); k <= i; k += 7) {
            ASSERT_NE(m.peek(k), nullptr) << k;
            ASSERT_EQ(*m.peek(k), k * 2);
        }
    }
    EXPECT_EQ(m.size(), 64u);
    EXPECT_EQ(m.evictions(), 10'000u - 64u);
}

TEST(LruMap, GrowsWithItsEntriesUpToTheCap) {
    // Colliding hashes, so the index rebuilt on each growth must keep every probe chain.
    LruMap<int, int, Coarse> m(1000);
    EXPECT_EQ(m.capacity(), 1000u);
    EXPECT_EQ(m.allocated(), Map::kInitialEntries);
    const uint64_t small = m.memory_bytes();
    for (int i = 0; i < 1000; ++i) {
        m.upsert(i) = i * 3;
        ASSERT_LE(m.size(), m.allocated());
    }
    EXPECT_EQ(m.allocated(), 1000u);  // grown up to the cap, never beyond it
    EXPECT_EQ(m.evictions(), 0u);
    EXPECT_LT(small * 10, m.memory_bytes());
    for (int i = 0; i < 1000; ++i) {
        ASSERT_NE(m.peek(i), nullptr) << i;
        ASSERT_EQ(*m.peek(i), i * 3);
    }
    // The LRU order survived the growth: 0 was inserted first and never touched since.
    m.upsert(5000);
    EXPECT_EQ(m.peek(0), nullptr);
    EXPECT_NE(m.peek(1), nullptr);
    EXPECT_EQ(m.evictions(), 1u);
    EXPECT_EQ(m.allocated(), 1000u);
}

}  // namespace
}  // namespace sentinel::intel
