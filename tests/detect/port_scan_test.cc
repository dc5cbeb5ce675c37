#include <gtest/gtest.h>

#include "test_support.h"

namespace sentinel::detect::testing {
namespace {

using schema::Severity;

void scan(Harness& h, double t0, const char* src, int ports, double spacing = 0.01,
          uint16_t first = 1) {
    for (int i = 0; i < ports; ++i) {
        h.feed(syn(t0 + i * spacing, src, "10.0.0.9", static_cast<uint16_t>(first + i)));
    }
}

TEST(PortScan, OneBelowThresholdIsSilent) {
    Harness h("port_scan", original_rules());
    ASSERT_TRUE(h.ok);
    scan(h, 100, "192.168.1.10", 14);
    EXPECT_EQ(h.count(), 0u);
}

TEST(PortScan, FiresExactlyAtThresholdWithOriginalMessage) {
    Harness h("port_scan", original_rules());
    scan(h, 100, "192.168.1.10", 15, 0.01, 20);
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().category, "PORT SCAN");
    EXPECT_EQ(h.last().level, Severity::kHigh);
    EXPECT_EQ(h.last().src, "192.168.1.10");
    EXPECT_EQ(h.last().message,
              "192.168.1.10 probed 15 ports in 10s (sample: [20, 21, 22, 23, 24, 25, 26, 27]...)");
    EXPECT_EQ(h.last().ts, at(100 + 14 * 0.01));
}

TEST(PortScan, RepeatedPortsCountOnce) {
    Harness h("port_scan", original_rules());
    for (int round = 0; round < 5; ++round) {
        scan(h, 100 + round, "192.168.1.10", 14);
    }
    EXPECT_EQ(h.count(), 0u);
}

TEST(PortScan, ProbesOlderThanTheWindowExpire) {
    Harness h("port_scan", original_rules());
    // 15 ports, but spread over 14 s: never 15 within 10 s.
    scan(h, 100, "192.168.1.10", 15, 1.0);
    EXPECT_EQ(h.count(), 0u);
}

TEST(PortScan, ProbesJustInsideTheWindowCount) {
    Harness h("port_scan", original_rules());
    // First and last probe 9.99 s apart.
    scan(h, 100, "192.168.1.10", 15, 9.99 / 14);
    EXPECT_EQ(h.count(), 1u);
}

TEST(PortScan, CooldownSuppressesThenAllowsAgain) {
    Harness h("port_scan", original_rules());
    scan(h, 100, "192.168.1.10", 15);
    scan(h, 105, "192.168.1.10", 30, 0.01, 100);  // within 15 s of the alert
    EXPECT_EQ(h.count(), 1u);
    EXPECT_EQ(h.engine.category_stats()[0].suppressed, 30u);
    scan(h, 115.2, "192.168.1.10", 15, 0.01, 300);  // 15 s after the first alert
    EXPECT_EQ(h.count(), 2u);
}

TEST(PortScan, ServerRepliesToManyClientsAreNotProbes) {
    Harness h("port_scan", original_rules());
    for (int i = 0; i < 100; ++i) {
        const auto port = static_cast<uint16_t>(40000 + i);
        h.feed(tcp(100 + i * 0.01, "10.0.0.9", 80, "10.0.0.1", port,
                   decode::tcp_flags::kSyn | decode::tcp_flags::kAck));
        h.feed(tcp(100 + i * 0.01, "10.0.0.9", 80, "10.0.0.1", port, decode::tcp_flags::kAck));
        h.feed(tcp(100 + i * 0.01, "10.0.0.9", 80, "10.0.0.1", port, decode::tcp_flags::kRst));
        h.feed(udp(100 + i * 0.01, "10.0.0.53", 53, "10.0.0.1", port));
    }
    EXPECT_EQ(h.count(), 0u);
}

TEST(PortScan, UdpProbesAndStealthProbesCount) {
    Harness udp_h("port_scan", original_rules());
    for (int i = 0; i < 15; ++i) {
        udp_h.feed(
            udp(100 + i * 0.01, "172.31.15.102", 61000, "10.0.0.9", static_cast<uint16_t>(i + 1)));
    }
    EXPECT_EQ(udp_h.count(), 1u);

    Harness xmas("port_scan", original_rules());
    for (int i = 0; i < 15; ++i) {
        xmas.feed(tcp(100 + i * 0.001, "192.168.1.10", 50000, "10.0.0.9",
                      static_cast<uint16_t>(i + 1),
                      decode::tcp_flags::kFin | decode::tcp_flags::kPsh | decode::tcp_flags::kUrg));
    }
    EXPECT_EQ(xmas.count(), 1u);
}

TEST(PortScan, TracerouteIsNotAScan) {
    Harness h("port_scan", original_rules());
    for (int i = 0; i < 30; ++i) {  // 30 hops x 3 probes, one destination port each
        for (int k = 0; k < 3; ++k) {
            h.feed(udp(100 + i * 0.05 + k * 0.01, "10.0.0.7", 45000, "93.184.216.34",
                       static_cast<uint16_t>(33434 + i * 3 + k)));
        }
    }
    EXPECT_EQ(h.count(), 0u);
}

TEST(PortScan, BroadcastDatagramsAreNotProbes) {
    Harness h("port_scan", original_rules());
    for (int i = 0; i < 20; ++i) {
        h.feed(udp(100 + i * 0.01, "192.168.1.7", 50000, "255.255.255.255",
                   static_cast<uint16_t>(i + 1)));
    }
    EXPECT_EQ(h.count(), 0u);
}

TEST(PortScan, Ipv6ScanFires) {
    Harness h("port_scan", original_rules());
    for (int i = 0; i < 15; ++i) {
        h.feed(syn(100 + i * 0.01, "2001:db8::10", "2001:db8::9", static_cast<uint16_t>(i + 1)));
    }
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().src, "2001:db8::10");
}

TEST(PortScan, HighTierScannerFiresAtFourPortsOneLevelHigher) {
    Harness h("port_scan", original_rules());
    h.reputation.ips[ip("203.0.113.7")] = verdict(intel::Tier::kHigh, 4);
    for (int i = 0; i < 3; ++i) {
        h.feed(syn(100 + i * 0.01, "203.0.113.7", "10.0.0.9", static_cast<uint16_t>(i + 1)));
    }
    EXPECT_EQ(h.count(), 0u);
    h.feed(syn(100.5, "203.0.113.7", "10.0.0.9", 4));
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().level, Severity::kCritical);
    EXPECT_EQ(h.last().message,
              "203.0.113.7 probed 4 ports in 10s (sample: [1, 2, 3, 4]...)  "
              "[VT:HIGH \u2014 4 malicious]");
    // The scanner was asked for at detector priority on first sight.
    ASSERT_FALSE(h.reputation.requests.empty());
    EXPECT_EQ(h.reputation.requests.front().first, ip("203.0.113.7"));
    EXPECT_EQ(h.reputation.requests.front().second, intel::Priority::kDetector);
}

}  // namespace
}  // namespace sentinel::detect::testing
