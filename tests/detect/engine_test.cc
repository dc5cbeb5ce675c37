#include <gtest/gtest.h>

#include <random>

#include "detect/lru_table.h"
#include "detect/windows.h"
#include "test_support.h"

namespace sentinel::detect::testing {
namespace {

TEST(Registry, HoldsTheEightDetectorsInTheOriginalOrder) {
    std::vector<std::string> names;
    std::vector<std::string> categories;
    for (const auto& e : builtin_registry().entries()) {
        names.emplace_back(e.name);
        categories.emplace_back(e.factory()->info().category);
    }
    EXPECT_EQ(names,
              (std::vector<std::string>{"port_scan", "syn_flood", "icmp_flood", "suspicious_port",
                                        "arp_spoof", "dns_tunnel", "exfiltration", "brute_force"}));
    EXPECT_EQ(categories,
              (std::vector<std::string>{"PORT SCAN", "SYN FLOOD", "ICMP FLOOD", "SUSPICIOUS PORT",
                                        "ARP SPOOFING", "DNS TUNNELLING", "DATA EXFILTRATION",
                                        "BRUTE FORCE"}));
}

TEST(Engine, UnknownDetectorAndBadConfigAreErrors) {
    FakeReputation rep;
    CollectingSink sink;
    Engine engine(rep, sink);
    EXPECT_FALSE(engine.configure({}, builtin_registry(), {"no_such"}).is_ok());
    config::DetectorConfig bad;
    bad.syn_flood_window = 0;
    const Status s = engine.configure(bad);
    ASSERT_FALSE(s.is_ok());
    EXPECT_NE(s.message().find("syn_flood"), std::string::npos);
}

// A detector that records what it was given, to check dispatch by wanted layers.
class Recorder final : public Detector {
  public:
    static inline int calls = 0;
    const DetectorInfo& info() const override { return kInfo; }
    Status configure(const config::DetectorConfig&) override { return Status::ok(); }
    void on_packet(const decode::Packet& p, Context& ctx) override {
        ++calls;
        if (ctx.claim(p.src_ip, 0, p.ts)) {
            ctx.emit(schema::Alert{});
        }
    }
    void collect(CounterList&) const override {}
    static constexpr DetectorInfo kInfo{"recorder", "RECORDER", decode::kLayerArp};
};

TEST(Engine, DispatchesOnlyWantedLayersAndAppliesCooldown) {
    Registry registry;
    registry.add("recorder", [] { return std::unique_ptr<Detector>(new Recorder); });
    FakeReputation rep;
    CollectingSink sink;
    Engine engine(rep, sink);
    ASSERT_TRUE(engine.configure({}, registry).is_ok());
    Recorder::calls = 0;
    engine.on_packet(syn(1, "10.0.0.1", "10.0.0.2", 80));
    EXPECT_EQ(Recorder::calls, 0);
    decode::Packet a = arp(1, 2, "10.0.0.1", mac(1));
    a.src_ip = ip("10.0.0.1");
    engine.on_packet(a);
    a.ts = at(15.999);
    engine.on_packet(a);
    a.ts = at(16);
    engine.on_packet(a);
    EXPECT_EQ(Recorder::calls, 3);
    EXPECT_EQ(sink.alerts.size(), 2u);
    EXPECT_EQ(engine.category_stats()[0].emitted, 2u);
    EXPECT_EQ(engine.category_stats()[0].suppressed, 1u);
    // A capture whose clock steps back does not suppress for the gap.
    a.ts = at(5);
    engine.on_packet(a);
    EXPECT_EQ(sink.alerts.size(), 3u);
}

TEST(LruTable, EvictsLeastRecentlyUsedAndCounts) {
    LruTable<int> t;
    t.reset(3);
    t.find_or_insert(1);
    t.find_or_insert(2);
    t.find_or_insert(3);
    EXPECT_NE(t.find(1), LruTable<int>::kNone);  // 1 is now the most recent
    EXPECT_TRUE(t.find_or_insert(4).inserted);   // evicts 2
    EXPECT_EQ(t.find(2), LruTable<int>::kNone);
    EXPECT_NE(t.find(1), LruTable<int>::kNone);
    EXPECT_NE(t.find(3), LruTable<int>::kNone);
    EXPECT_EQ(t.size(), 3u);
    EXPECT_EQ(t.evictions(), 1u);
    for (int i = 10; i < 1000; ++i) {
        t.find_or_insert(i);
    }
    EXPECT_EQ(t.size(), 3u);
    EXPECT_EQ(t.evictions(), 991u);
    EXPECT_NE(t.find(999), LruTable<int>::kNone);
}

TEST(LruTable, GrowsWithItsKeysUpToTheCapKeepingSlotsColumnsAndOrder) {
    LruTable<int> t;
    std::vector<int64_t> values;
    std::vector<uint8_t> blocks;
    t.reset(1000);
    t.attach(values);
    t.attach(blocks, 3);
    EXPECT_EQ(t.capacity(), 1000u);
    EXPECT_EQ(t.allocated(), LruTable<int>::kInitialSlots);
    EXPECT_EQ(values.size(), LruTable<int>::kInitialSlots);
    EXPECT_EQ(blocks.size(), 3 * LruTable<int>::kInitialSlots);
    const uint64_t small = t.memory_bytes();
    for (int k = 0; k < 1000; ++k) {
        const auto slot = t.find_or_insert(k);
        ASSERT_TRUE(slot.inserted);
        ASSERT_EQ(slot.index, static_cast<uint32_t>(k));  // slots are handed out in order
        ASSERT_GE(t.allocated(), t.size());
        ASSERT_EQ(values.size(), t.allocated());
        values[slot.index] = k * 10;
    }
    EXPECT_EQ(t.allocated(), 1000u);  // grown up to the cap, never beyond it
    EXPECT_EQ(values.capacity(), 1000u);
    EXPECT_EQ(blocks.size(), 3000u);
    EXPECT_EQ(t.growths(), 7u);  // 64 -> 96 -> 144 -> 216 -> 324 -> 486 -> 729 -> 1000
    EXPECT_EQ(t.evictions(), 0u);
    EXPECT_EQ(t.memory_bytes(), t.memory_bytes_at_cap());
    EXPECT_LT(small * 10, t.memory_bytes());
    for (int k = 0; k < 1000; ++k) {
        ASSERT_EQ(t.find(k), static_cast<uint32_t>(k)) << k;  // survives re-chaining
        ASSERT_EQ(values[static_cast<size_t>(k)], k * 10);
    }
    // LRU order survived the growth: 0..999 were touched in order, so 0 goes first.
    EXPECT_TRUE(t.find_or_insert(5000).inserted);
    EXPECT_EQ(t.find(0), LruTable<int>::kNone);
    EXPECT_EQ(t.evictions(), 1u);
    EXPECT_EQ(t.allocated(), 1000u);
    // reset() gives the memory back and claims the new cap.
    t.reset(10);
    EXPECT_EQ(t.allocated(), 10u);
    EXPECT_EQ(t.capacity(), 10u);
    EXPECT_EQ(t.size(), 0u);
    EXPECT_EQ(t.find(5000), LruTable<int>::kNone);
}

TEST(Engine, TablesStartSmallAndClaimTheirCaps) {
    FakeReputation rep;
    CollectingSink sink;
    Engine engine(rep, sink);
    ASSERT_TRUE(engine.configure({}).is_ok());
    // Every table allocates a few slots only; the budget at the caps is the old up-front figure.
    EXPECT_LT(engine.state_bytes(), 4u << 20);
    EXPECT_GT(engine.cap_bytes(), 100u << 20);
    for (const auto& counter : engine.counters()) {
        if (counter.name.ends_with(".allocated")) {
            EXPECT_LE(counter.value, LruTable<int>::kInitialSlots) << counter.name;
        }
    }
}

TEST(RateWindow, NarrowSlotsSaturateWithoutLosingTheSum) {
    static_assert(sizeof(RateWindow<uint32_t, uint16_t>) == 48);
    static_assert(sizeof(RateWindow<uint32_t>) == 80);
    RateWindow<uint32_t, uint16_t> w;
    EXPECT_EQ(w.add(0, 65'000), 65'000u);
    EXPECT_EQ(w.add(0, 1'000), 65'535u);  // the slot is full: counted up to its maximum
    EXPECT_EQ(w.add(1, 10), 65'545u);     // the next slot counts again
    // Sixteen slots later the saturated slot expires exactly as counted.
    EXPECT_EQ(w.add(16, 0), 10u);
    EXPECT_EQ(w.add(17, 0), 0u);
}

TEST(RateWindow, CountsForAtLeastTheWindowAndAtMostOneSlotMore) {
    const int64_t width = slot_width_ns(15, RateWindow<uint32_t>::kSubIntervals);  // 1 s
    RateWindow<uint32_t> w;
    w.add(slot_of(at(100.5), width), 1);
    EXPECT_EQ(w.total_at(slot_of(at(115.5), width)), 1u);  // exactly W later
    EXPECT_EQ(w.total_at(slot_of(at(115.99), width)), 1u);
    EXPECT_EQ(w.total_at(slot_of(at(116.0), width)), 0u);  // W + one slot
    w.add(slot_of(at(200), width), 5);
    w.add(slot_of(at(150), width), 2);  // older timestamp: counted in the newest slot
    EXPECT_EQ(w.total(), 7u);
}

// One million SYNs from random spoofed sources must leave every table at its cap, count the
// evictions, stay under the documented memory bound, and still catch a real flood and scan.
TEST(BoundedState, MillionSpoofedSourcesThenRealAttacksStillFire) {
    FakeReputation rep;
    CollectingSink sink;
    Engine engine(rep, sink);
    config::DetectorConfig c;  // max_tracked_hosts = 65 536
    ASSERT_TRUE(engine.configure(c).is_ok());

    std::mt19937 rng(42);
    decode::Packet p = syn(0, "1.1.1.1", "10.0.0.9", 80);
    for (int i = 0; i < 1'000'000; ++i) {
        p.ts = at(1000 + i * 1e-5);  // 100 000 SYN/s for 10 s
        p.src_ip = IpAddress::v4(rng() | 0x01000000u);
        p.src_port = static_cast<uint16_t>(rng());
        engine.on_packet(p);
    }
    // The improved SYN flood rule sees the spoofed flood at its victim, once per cooldown;
    // nothing names a spoofed source.
    ASSERT_EQ(sink.alerts.size(), 1u);
    EXPECT_EQ(sink.alerts[0].category, "SYN FLOOD");
    EXPECT_EQ(sink.alerts[0].src, "10.0.0.9");
    sink.alerts.clear();

    std::map<std::string, uint64_t> counters;
    for (const auto& counter : engine.counters()) {
        counters[counter.name] = counter.value;
    }
    for (const char* table : {"port_scan.sources", "syn_flood.sources"}) {
        const std::string t(table);
        EXPECT_EQ(counters[t + ".size"], c.max_tracked_hosts) << t;
        EXPECT_LE(counters[t + ".size"], counters[t + ".capacity"]) << t;
        EXPECT_GT(counters[t + ".evictions"], 900'000u) << t;
    }
    EXPECT_GT(engine.total_evictions(), 1'800'000u);
    // docs/detectors/README.md: tables grow only as far as the flood fills them, at most 64 MiB
    // of detector state here, and never beyond the budget claimed at their caps.
    EXPECT_LE(engine.state_bytes(), 64ull << 20);
    EXPECT_LE(engine.state_bytes(), engine.cap_bytes());
    for (const char* table : {"port_scan.sources", "syn_flood.sources", "syn_flood.handshakes"}) {
        const std::string t(table);
        EXPECT_EQ(counters[t + ".allocated"], c.max_tracked_hosts) << t;
    }
    // Tables the flood does not touch stay small.
    EXPECT_LE(counters["icmp_flood.sources.allocated"], LruTable<int>::kInitialSlots);
    EXPECT_LE(counters["exfiltration.sources.allocated"], LruTable<int>::kInitialSlots);

    // A real flood and scan from one source after the storm.
    for (int i = 0; i < 200; ++i) {
        engine.on_packet(
            syn(1011 + i * 0.001, "192.0.2.10", "10.0.0.9", static_cast<uint16_t>(1 + i)));
    }
    std::vector<std::string> categories;
    for (const auto& a : sink.alerts) {
        categories.push_back(a.category);
        EXPECT_EQ(a.src, "192.0.2.10");
    }
    EXPECT_EQ(categories, (std::vector<std::string>{"PORT SCAN", "SYN FLOOD"}));
}

}  // namespace
}  // namespace sentinel::detect::testing
