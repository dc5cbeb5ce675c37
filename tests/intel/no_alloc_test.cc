// Proves that the packet-thread calls of LocalReputation never allocate: this binary replaces the
// global operator new and counts calls made while counting is switched on.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <new>

#include "intel/feeds.h"
#include "intel/local_reputation.h"
#include "intel/lru_map.h"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<uint64_t> g_allocations{0};
std::atomic<bool> g_fail{false};  // every counted allocation throws, as if memory ran out
}  // namespace

void* operator new(size_t size) {
    if (g_counting.load(std::memory_order_relaxed)) {
        g_allocations.fetch_add(1, std::memory_order_relaxed);
        if (g_fail.load(std::memory_order_relaxed)) {
            throw std::bad_alloc();
        }
    }
    if (void* p = std::malloc(size == 0 ? 1 : size)) {
        return p;
    }
    throw std::bad_alloc();
}
// GCC cannot see that the replaced operator new above is malloc-backed.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace sentinel::intel {
namespace {

TEST(PacketPath, ReputationCallsDoNotAllocate) {
    LocalOptions o;
    o.ip_capacity = 64;
    o.domain_capacity = 64;
    o.ring_capacity = 32;
    LocalReputation rep(o);
    FeedIndexBuilder b({"list.txt"}, {Tier::kHigh});
    (void)b.add_text(0, "198.51.100.0/24\n2001:db8::/32\n203.0.113.9\nevil.example\n");
    rep.publish_feeds(b.build());

    // Results waiting in the ring before counting starts (building them is not packet work).
    LookupResult r;
    r.ip = *IpAddress::parse("203.0.113.77");
    r.found = true;
    r.malicious = 5;
    r.ttl_seconds = 60;
    ASSERT_TRUE(rep.give_result(r));
    const IpAddress v4 = *IpAddress::parse("198.51.100.4");
    const IpAddress v6 = *IpAddress::parse("2001:db8::4");

    // The instrument itself works.
    g_allocations.store(0);
    g_counting.store(true);
    ::operator delete(::operator new(16));  // an explicit call cannot be elided
    g_counting.store(false);
    ASSERT_EQ(g_allocations.load(), 1u);

    g_allocations.store(0);
    g_counting.store(true);
    rep.poll();  // adopts the feed index and absorbs the result
    uint64_t seen = 0;
    for (uint32_t i = 0; i < 1000; ++i) {
        const IpAddress a = IpAddress::v4(0xCB007100u | (i & 0x1f));  // 203.0.113.0-31
        rep.request(a, i % 2 == 0 ? Priority::kDetector : Priority::kWarm);
        rep.request_domain("a1b2c3d4.tunnel.Evil.Example.", Priority::kDetector);
        rep.request_domain("printer.local", Priority::kWarm);
        seen += static_cast<uint64_t>(rep.ip(a).tier) + static_cast<uint64_t>(rep.ip(v4).tier) +
                static_cast<uint64_t>(rep.ip(v6).tier) +
                static_cast<uint64_t>(rep.domain("x.y.evil.example").tier);
        if (i % 100 == 0) {
            rep.poll();
        }
    }
    g_counting.store(false);
    EXPECT_EQ(g_allocations.load(), 0u);
    EXPECT_GT(seen, 0u);
    EXPECT_EQ(rep.ip(*IpAddress::parse("203.0.113.77")).tier, Tier::kHigh);
    EXPECT_EQ(rep.domain("x.y.evil.example").tier, Tier::kHigh);
}

// The caches grow with what they hold; once grown, the same calls allocate nothing again.
TEST(PacketPath, GrownCachesDoNotAllocateInSteadyState) {
    LocalOptions o;
    o.ip_capacity = 100'000;
    o.domain_capacity = 100'000;
    o.ring_capacity = 4096;
    LocalReputation rep(o);
    auto pass = [&rep] {
        for (uint32_t i = 0; i < 3000; ++i) {
            LookupResult r;
            r.ip = IpAddress::v4(0xC6336400u + i);  // 198.51.100.0 onwards
            r.found = true;
            r.malicious = 5;
            r.ttl_seconds = 3600;
            ASSERT_TRUE(rep.give_result(r));
            if (i % 1000 == 999) {
                rep.poll();
            }
        }
        rep.poll();
    };
    pass();  // grows the address cache to hold 3000 entries
    g_allocations.store(0);
    g_counting.store(true);
    pass();
    uint64_t high = 0;
    for (uint32_t i = 0; i < 3000; ++i) {
        high += rep.ip(IpAddress::v4(0xC6336400u + i)).tier == Tier::kHigh ? 1 : 0;
    }
    g_counting.store(false);
    EXPECT_EQ(g_allocations.load(), 0u);
    EXPECT_EQ(high, 3000u);
}

// Out of memory on the packet path: the map keeps the room it has as its cap and evicts,
// without throwing and without trying to grow again on every upsert.
TEST(PacketPath, MapThatCannotGrowEvictsInsteadOfThrowing) {
    using Map = LruMap<int, int, std::hash<int>>;
    Map m(1000);
    for (int k = 0; k < static_cast<int>(Map::kInitialEntries); ++k) {
        m.upsert(k) = k;
    }
    g_allocations.store(0);
    g_fail.store(true);
    g_counting.store(true);
    m.upsert(1000) = 1000;  // needs room: the growth fails
    const uint64_t attempts = g_allocations.load();
    for (int k = 1001; k < 1200; ++k) {
        m.upsert(k) = k;
    }
    const uint64_t later = g_allocations.load();
    g_counting.store(false);
    g_fail.store(false);
    EXPECT_GE(attempts, 1u);
    EXPECT_EQ(later, attempts);  // no second attempt
    EXPECT_EQ(m.growth_failures(), 1u);
    EXPECT_EQ(m.capacity(), Map::kInitialEntries);
    EXPECT_EQ(m.size(), Map::kInitialEntries);
    EXPECT_EQ(m.evictions(), 200u);
    EXPECT_EQ(m.peek(0), nullptr);
    ASSERT_NE(m.peek(1199), nullptr);
    EXPECT_EQ(*m.peek(1199), 1199);
}

}  // namespace
}  // namespace sentinel::intel
