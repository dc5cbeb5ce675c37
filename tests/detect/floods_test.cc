#include <gtest/gtest.h>

#include "test_support.h"

namespace sentinel::detect::testing {
namespace {

using schema::Severity;

void syns(Harness& h, double t0, const char* src, int n, double spacing = 0.001,
          uint16_t dport = 80) {
    for (int i = 0; i < n; ++i) {
        h.feed(syn(t0 + i * spacing, src, "10.0.0.9", dport, static_cast<uint16_t>(1024 + i)));
    }
}

TEST(SynFlood, OneBelowThresholdIsSilent) {
    Harness h("syn_flood", original_rules());
    syns(h, 10, "192.0.2.10", 199);
    EXPECT_EQ(h.count(), 0u);
}

TEST(SynFlood, FiresExactlyAtThreshold) {
    Harness h("syn_flood", original_rules());
    syns(h, 10, "192.0.2.10", 200);
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().category, "SYN FLOOD");
    EXPECT_EQ(h.last().level, Severity::kCritical);
    EXPECT_EQ(h.last().message, "192.0.2.10 sent 200 SYNs in 5s");
    EXPECT_EQ(h.last().src, "192.0.2.10");
}

TEST(SynFlood, WindowBoundary) {
    Harness inside("syn_flood", original_rules());
    syns(inside, 10, "192.0.2.10", 200, 5.0 / 199);  // first to last: exactly 5 s
    EXPECT_EQ(inside.count(), 1u);

    Harness outside("syn_flood", original_rules());
    // 200 SYNs over 5.7 s: at most ~176 within any 5 s + 1/15 window.
    syns(outside, 10, "192.0.2.10", 200, 5.7 / 199);
    EXPECT_EQ(outside.count(), 0u);
}

TEST(SynFlood, SynAckAndAckAreNotCounted) {
    Harness h("syn_flood", original_rules());
    for (int i = 0; i < 300; ++i) {
        h.feed(tcp(10 + i * 0.001, "192.0.2.10", 80, "10.0.0.9", 4000,
                   decode::tcp_flags::kSyn | decode::tcp_flags::kAck));
        h.feed(tcp(10 + i * 0.001, "192.0.2.10", 80, "10.0.0.9", 4000, decode::tcp_flags::kAck));
    }
    EXPECT_EQ(h.count(), 0u);
}

TEST(SynFlood, CooldownInPacketTime) {
    Harness h("syn_flood", original_rules());
    syns(h, 10, "192.0.2.10", 1000, 0.01);  // 10 s of 100 SYN/s: fires at 2 s
    EXPECT_EQ(h.count(), 1u);
    syns(h, 20, "192.0.2.10", 1000, 0.01);  // fires again once 15 s have passed
    ASSERT_EQ(h.count(), 2u);
    EXPECT_GE(h.sink.alerts[1].ts.ns - h.sink.alerts[0].ts.ns, Duration::seconds(15).ns);
}

TEST(SynFlood, CriticalTierSourceFiresAtTwentyAndIsCritical) {
    Harness h("syn_flood", original_rules());
    h.reputation.ips[ip("198.51.100.66")] = verdict(intel::Tier::kCritical, 12);
    syns(h, 10, "198.51.100.66", 19);
    EXPECT_EQ(h.count(), 0u);
    syns(h, 10.5, "198.51.100.66", 1, 0.001, 81);
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().level, Severity::kCritical);
    EXPECT_EQ(h.last().message,
              "198.51.100.66 sent 20 SYNs in 5s  [VT:CRITICAL \u2014 12 malicious]");
}

TEST(SynFlood, Ipv6) {
    Harness h("syn_flood", original_rules());
    for (int i = 0; i < 200; ++i) {
        h.feed(syn(10 + i * 0.001, "2001:db8::66", "2001:db8::1", 80));
    }
    EXPECT_EQ(h.count(), 1u);
}

TEST(IcmpFlood, EdgesAndMessage) {
    Harness h("icmp_flood");
    for (int i = 0; i < 99; ++i) {
        h.feed(icmp(10 + i * 0.01, "192.168.189.128", "10.2.1.212", 8));
    }
    EXPECT_EQ(h.count(), 0u);
    h.feed(icmp(11.5, "192.168.189.128", "10.2.1.212", 8));
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().category, "ICMP FLOOD");
    EXPECT_EQ(h.last().level, Severity::kHigh);
    EXPECT_EQ(h.last().message, "192.168.189.128 sent 100 ICMP echo-requests in 5s");
}

TEST(IcmpFlood, RepliesAndUnreachablesAreNotCounted) {
    Harness h("icmp_flood");
    for (int i = 0; i < 500; ++i) {
        h.feed(icmp(10 + i * 0.001, "192.168.1.25", "192.168.1.10", 0));
        h.feed(icmp(10 + i * 0.001, "192.168.1.25", "192.168.1.10", 3));
    }
    EXPECT_EQ(h.count(), 0u);
}

TEST(IcmpFlood, WindowBoundaryAndIpv6) {
    Harness slow("icmp_flood");
    for (int i = 0; i < 100; ++i) {
        slow.feed(icmp(10 + i * 0.06, "192.168.1.1", "192.168.1.2", 8));  // 100 over 5.94 s
    }
    EXPECT_EQ(slow.count(), 0u);
    Harness v6("icmp_flood");
    for (int i = 0; i < 100; ++i) {
        v6.feed(icmp(10 + i * 0.01, "fe80::1", "fe80::2", 128));
    }
    EXPECT_EQ(v6.count(), 1u);
}

TEST(IcmpFlood, CooldownInPacketTime) {
    Harness h("icmp_flood");
    for (int i = 0; i < 3000; ++i) {  // 30 s of 100 echo requests per second
        h.feed(icmp(10 + i * 0.01, "192.168.189.128", "10.2.1.212", 8));
    }
    // Fires at 10.99 s, then once the 15 s cooldown has passed (25.99 s); not again before 40.99 s.
    ASSERT_EQ(h.count(), 2u);
    const int64_t gap = h.sink.alerts[1].ts.ns - h.sink.alerts[0].ts.ns;
    EXPECT_GE(gap, Duration::seconds(15).ns);
    EXPECT_LT(gap, Duration::seconds(15.01).ns);
}

TEST(BruteForce, EdgesAndMessage) {
    Harness h("brute_force", original_rules());
    for (int i = 0; i < 29; ++i) {
        h.feed(syn(10 + i * 0.5, "10.234.125.254", "10.121.70.151", 21));
    }
    EXPECT_EQ(h.count(), 0u);
    h.feed(syn(25, "10.234.125.254", "10.121.70.151", 21));
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().category, "BRUTE FORCE");
    EXPECT_EQ(h.last().level, Severity::kHigh);
    EXPECT_EQ(h.last().src, "10.234.125.254");
    EXPECT_EQ(h.last().message, "10.234.125.254 -> 30 attempts on port 21/FTP in 30s");
}

TEST(BruteForce, CountsPerServicePortAndOnlyListedPorts) {
    // 29 SYNs to each of two listed ports (58 in all) stay below the threshold of 30 per port;
    // 40 to each of two unlisted ports count for nothing.
    Harness h("brute_force", original_rules());
    for (int i = 0; i < 29; ++i) {
        h.feed(syn(10 + i * 0.1, "10.0.0.5", "10.0.0.6", 22));
        h.feed(syn(10 + i * 0.1, "10.0.0.5", "10.0.0.6", 3389));
    }
    for (int i = 0; i < 40; ++i) {
        h.feed(syn(13 + i * 0.1, "10.0.0.5", "10.0.0.6", 80));
        h.feed(syn(13 + i * 0.1, "10.0.0.5", "10.0.0.6", 8443));
    }
    EXPECT_EQ(h.count(), 0u);
    EXPECT_EQ(h.engine.packets(), 138u);
    // The 30th SYN to one listed port fires.
    h.feed(syn(17, "10.0.0.5", "10.0.0.6", 3389));
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().message, "10.0.0.5 -> 30 attempts on port 3389/RDP in 30s");
}

TEST(BruteForce, WindowBoundaryAndCooldownSharedAcrossPorts) {
    Harness slow("brute_force", original_rules());
    for (int i = 0; i < 30; ++i) {
        slow.feed(syn(10 + i * 1.2, "10.0.0.5", "10.0.0.6", 22));  // 30 over 34.8 s
    }
    EXPECT_EQ(slow.count(), 0u);

    Harness h("brute_force", original_rules());
    for (int i = 0; i < 30; ++i) {
        h.feed(syn(10 + i * 0.1, "10.0.0.5", "10.0.0.6", 22));
        h.feed(syn(10 + i * 0.1, "10.0.0.5", "10.0.0.6", 3389));
    }
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().message, "10.0.0.5 -> 30 attempts on port 22/SSH in 30s");
}

TEST(BruteForce, ConfigurablePortsAndVtScaling) {
    config::DetectorConfig c;
    c.bruteforce_ports = {2222};
    Harness h("brute_force", original_rules(c));
    h.reputation.ips[ip("203.0.113.9")] = verdict(intel::Tier::kMedium, 1);
    for (int i = 0; i < 15; ++i) {
        h.feed(syn(10 + i * 0.1, "203.0.113.9", "10.0.0.6", 2222));
        h.feed(syn(10 + i * 0.1, "203.0.113.9", "10.0.0.6", 22));
    }
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().level, Severity::kCritical);
    EXPECT_EQ(h.last().message,
              "203.0.113.9 -> 15 attempts on port 2222/TCP in 30s  [VT:MEDIUM \u2014 1 malicious]");
}

}  // namespace
}  // namespace sentinel::detect::testing
