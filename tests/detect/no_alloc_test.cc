// Proves that the engine's packet path allocates nothing in steady state: neither once its tables
// have grown to hold the traffic, nor at their caps, where new keys evict old ones. This binary
// replaces the global operator new and counts calls made while counting is switched on.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "intel/reputation.h"
#include "test_support.h"

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

namespace sentinel::detect::testing {
namespace {

class CountingSink final : public AlertSink {
  public:
    void emit(schema::Alert&&) override { ++alerts; }
    uint64_t alerts = 0;
};

// Ordinary traffic of `hosts` internal clients, one key range per call: a completed TCP handshake
// to an external server, a DNS query, an ARP announcement and an ICMP echo each. Below every
// threshold, so no alert (which may allocate its text) fires.
std::vector<decode::Packet> traffic(uint32_t first, uint32_t hosts, double t0) {
    std::vector<decode::Packet> out;
    out.reserve(hosts * 6);
    for (uint32_t i = first; i < first + hosts; ++i) {
        const double t = t0 + (i - first) * 1e-4;
        const IpAddress client = IpAddress::v4(0x0A000000u + i);  // 10.x.x.x
        const IpAddress server = IpAddress::v4(0xC6330000u + i);  // 198.51.x.x
        const auto sport = static_cast<uint16_t>(40000 + i % 20000);
        auto fix = [&](decode::Packet p, bool from_client) {
            p.src_ip = from_client ? client : server;
            p.dst_ip = from_client ? server : client;
            return p;
        };
        out.push_back(
            fix(tcp(t, "10.0.0.1", sport, "10.0.0.2", 443, decode::tcp_flags::kSyn), true));
        out.push_back(fix(tcp(t, "10.0.0.2", 443, "10.0.0.1", sport,
                              decode::tcp_flags::kSyn | decode::tcp_flags::kAck),
                          false));
        out.push_back(
            fix(tcp(t, "10.0.0.1", sport, "10.0.0.2", 443, decode::tcp_flags::kAck), true));
        decode::Packet q = dns_query(t, "10.0.0.1", "h" + std::to_string(i) + ".example.com");
        q.src_ip = client;
        out.push_back(q);
        MacAddress m = mac(static_cast<uint8_t>(i));
        m.bytes[3] = static_cast<uint8_t>(i >> 8);
        m.bytes[2] = static_cast<uint8_t>(i >> 16);
        decode::Packet a = arp(t, 2, "10.0.0.1", m);
        a.arp.sender_ip = client;
        out.push_back(a);
        out.push_back(fix(icmp(t, "10.0.0.1", "10.0.0.2", 8), true));
    }
    return out;
}

TEST(PacketPath, EngineDoesNotAllocateOnceGrownNorAtItsCaps) {
    intel::NullReputation rep;
    CountingSink sink;
    Engine engine(rep, sink);
    config::DetectorConfig c;
    c.max_tracked_hosts = 4096;
    c.arp_table_size = 1024;
    c.dns_tunnel_max_domains = 256;
    ASSERT_TRUE(engine.configure(c).is_ok());
    const std::vector<decode::Packet> first = traffic(0, 3000, 1000);
    const std::vector<decode::Packet> again = traffic(0, 3000, 1001);
    const std::vector<decode::Packet> more = traffic(3000, 6000, 1002);
    const std::vector<decode::Packet> fresh = traffic(9000, 6000, 1003);

    // The instrument itself works.
    g_allocations.store(0);
    g_counting.store(true);
    ::operator delete(::operator new(16));  // an explicit call cannot be elided
    g_counting.store(false);
    ASSERT_EQ(g_allocations.load(), 1u);

    for (const auto& p : first) {
        engine.on_packet(p);  // the tables grow to hold 3000 hosts
    }
    g_allocations.store(0);
    g_counting.store(true);
    for (const auto& p : again) {
        engine.on_packet(p);  // the same hosts again: grown, nothing to add
    }
    g_counting.store(false);
    EXPECT_EQ(g_allocations.load(), 0u);

    for (const auto& p : more) {
        engine.on_packet(p);  // the tables reach their caps and start evicting
    }
    const uint64_t evictions = engine.total_evictions();
    EXPECT_GT(evictions, 0u);
    g_allocations.store(0);
    g_counting.store(true);
    for (const auto& p : fresh) {
        engine.on_packet(p);  // new hosts only: every insert evicts
    }
    g_counting.store(false);
    EXPECT_EQ(g_allocations.load(), 0u);
    EXPECT_GT(engine.total_evictions(), evictions);
    EXPECT_EQ(sink.alerts, 0u);
    EXPECT_LE(engine.state_bytes(), engine.cap_bytes());
}

// Out of memory on the packet path: the table keeps the room it has as its cap and evicts,
// without throwing and without trying to grow again on every insert.
TEST(PacketPath, TableThatCannotGrowEvictsInsteadOfThrowing) {
    LruTable<int> t;
    std::vector<int64_t> column;
    t.reset(1000);
    t.attach(column);
    for (int k = 0; k < static_cast<int>(LruTable<int>::kInitialSlots); ++k) {
        t.find_or_insert(k);
    }
    g_allocations.store(0);
    g_fail.store(true);
    g_counting.store(true);
    const auto slot = t.find_or_insert(1000);  // needs room: the growth fails
    const uint64_t attempts = g_allocations.load();
    for (int k = 1001; k < 1200; ++k) {
        t.find_or_insert(k);
    }
    const uint64_t later = g_allocations.load();
    g_counting.store(false);
    g_fail.store(false);
    EXPECT_TRUE(slot.inserted);
    EXPECT_GE(attempts, 1u);
    EXPECT_EQ(later, attempts);  // no second attempt
    EXPECT_EQ(t.growth_failures(), 1u);
    EXPECT_EQ(t.capacity(), LruTable<int>::kInitialSlots);
    EXPECT_EQ(t.size(), LruTable<int>::kInitialSlots);
    EXPECT_EQ(t.evictions(), 200u);
    EXPECT_EQ(t.find(0), LruTable<int>::kNone);
    EXPECT_NE(t.find(1199), LruTable<int>::kNone);
    EXPECT_GE(column.size(), t.allocated());
}

}  // namespace
}  // namespace sentinel::detect::testing
