// The improved rules (docs/detection-quality.md), one behaviour per test.
#include <cstdio>

#include <gtest/gtest.h>

#include "detect/engine.h"
#include "test_support.h"

namespace sentinel::detect::testing {
namespace {

using decode::tcp_flags::kAck;
using decode::tcp_flags::kFin;
using decode::tcp_flags::kRst;
using decode::tcp_flags::kSyn;
using schema::Severity;

// One TCP session client:sport -> server:dport: SYN at t, SYN-ACK, ACK, then the server closes
// with FIN after `length` seconds.
void session(Harness& h, double t, const char* client, uint16_t sport, const char* server,
             uint16_t dport, double length) {
    h.feed(tcp(t, client, sport, server, dport, kSyn));
    h.feed(tcp(t + 0.001, server, dport, client, sport, kSyn | kAck));
    h.feed(tcp(t + 0.002, client, sport, server, dport, kAck));
    h.feed(tcp(t + length, server, dport, client, sport, kFin | kAck));
    h.feed(tcp(t + length + 0.001, client, sport, server, dport, kFin | kAck));
}

TEST(BruteForceImproved, SlowShortSessionsFireWhereSynCountsStaySilent) {
    // hydra -t 1 against SSH: one connection every 20 s, several passwords each (about 3 SYNs
    // per 30 s, far below the original 30).
    Harness original("brute_force", original_rules());
    Harness h("brute_force");
    for (int i = 0; i < 10; ++i) {
        for (Harness* x : {&original, &h}) {
            session(*x, 100 + i * 20.0, "240.0.1.2", static_cast<uint16_t>(40000 + i),
                    "240.125.0.2", 22, 15);
        }
        if (i < 9) {
            EXPECT_EQ(h.count(), 0u) << i;
        }
    }
    EXPECT_EQ(original.count(), 0u);
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().category, "BRUTE FORCE");
    EXPECT_EQ(h.last().level, Severity::kHigh);
    EXPECT_EQ(h.last().src, "240.0.1.2");
    EXPECT_EQ(h.last().message, "240.0.1.2 -> 10 short sessions on port 22/SSH in 300s");
}

TEST(BruteForceImproved, LongSessionsAndRefusedProbesAreNotLoginAttempts) {
    Harness h("brute_force");
    // An administrator's interactive sessions: long.
    for (int i = 0; i < 12; ++i) {
        session(h, 10 + i * 5.0, "10.0.0.5", static_cast<uint16_t>(40000 + i), "10.0.0.6", 22, 120);
    }
    // A connect scan retrying a closed MySQL port: refused with RST, never accepted.
    for (int i = 0; i < 20; ++i) {
        const auto sport = static_cast<uint16_t>(50000 + i);
        h.feed(tcp(20 + i, "192.168.1.10", sport, "192.168.1.25", 3306, kSyn));
        h.feed(tcp(20 + i + 0.001, "192.168.1.25", 3306, "192.168.1.10", sport, kRst | kAck));
    }
    // Short sessions to a port that is not watched.
    for (int i = 0; i < 20; ++i) {
        session(h, 30 + i, "10.0.0.7", static_cast<uint16_t>(40000 + i), "10.0.0.6", 443, 1);
    }
    EXPECT_EQ(h.count(), 0u);
}

TEST(BruteForceImproved, ClientResetsCountAndSessionsSpreadOverTheWindowExpire) {
    config::DetectorConfig c;
    c.bruteforce_short_sessions = 3;
    c.bruteforce_session_window = 60;
    Harness h("brute_force", c);
    // Sessions 40 s apart: never 3 within 60 s.
    for (int i = 0; i < 5; ++i) {
        session(h, 10 + i * 40.0, "10.0.0.5", static_cast<uint16_t>(40000 + i), "10.0.0.6", 21, 2);
    }
    EXPECT_EQ(h.count(), 0u);
    // The client gives up with RST after each failed login (medusa style).
    for (int i = 0; i < 3; ++i) {
        const auto sport = static_cast<uint16_t>(41000 + i);
        h.feed(tcp(500 + i, "10.0.0.8", sport, "10.0.0.6", 21, kSyn));
        h.feed(tcp(500 + i + 0.001, "10.0.0.6", 21, "10.0.0.8", sport, kSyn | kAck));
        h.feed(tcp(500 + i + 0.5, "10.0.0.8", sport, "10.0.0.6", 21, kRst));
    }
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().message, "10.0.0.8 -> 3 short sessions on port 21/FTP in 60s");
}

TEST(PortScanImproved, HorizontalSweepIsCaughtWhereDistinctPortsMiss) {
    // One port, many hosts (nmap -PS style): one distinct port for the original rule.
    Harness original("port_scan", original_rules());
    Harness h("port_scan");
    char target[32];
    for (int i = 0; i < 15; ++i) {
        std::snprintf(target, sizeof target, "10.0.1.%d", i + 1);
        for (Harness* x : {&original, &h}) {
            x->feed(syn(10 + i * 0.01, "10.0.0.128", target, 80));
            // Some hosts refuse; the others never answer: both are failed first contacts.
            if (i % 3 == 0) {
                x->feed(tcp(10 + i * 0.01 + 0.001, target, 80, "10.0.0.128", 40000, kRst | kAck));
            }
        }
        if (i < 14) {
            EXPECT_EQ(h.count(), 0u) << i;
        }
    }
    EXPECT_EQ(original.count(), 0u);
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().category, "PORT SCAN");
    EXPECT_EQ(h.last().level, Severity::kHigh);
    EXPECT_EQ(h.last().src, "10.0.0.128");
    EXPECT_EQ(h.last().message,
              "10.0.0.128 made 15 failed first contacts (unanswered or refused) in 10s");
}

TEST(PortScanImproved, BusyClientWithAnsweredContactsIsNotAScan) {
    // A client opening connections to 40 services on 20 hosts within 10 s, all accepted (TCP
    // SYN-ACK, UDP answers), is silent; so is a server answering many clients.
    Harness h("port_scan");
    char server[32];
    for (int i = 0; i < 40; ++i) {
        std::snprintf(server, sizeof server, "203.0.113.%d", i % 20 + 1);
        const auto sport = static_cast<uint16_t>(40000 + i);
        const auto dport = static_cast<uint16_t>(i < 20 ? 443 : 8000 + i);
        const double t = 10 + i * 0.2;
        h.feed(tcp(t, "192.168.1.5", sport, server, dport, kSyn));
        h.feed(tcp(t + 0.03, server, dport, "192.168.1.5", sport, kSyn | kAck));
        h.feed(udp(t + 0.05, "192.168.1.5", static_cast<uint16_t>(50000 + i), server, 4433));
        h.feed(udp(t + 0.08, server, 4433, "192.168.1.5", static_cast<uint16_t>(50000 + i)));
        // The server side: replies to many client ports are never probes.
        h.feed(tcp(t + 0.1, "192.168.1.1", 80, "192.168.1.5", sport, kAck));
    }
    EXPECT_EQ(h.count(), 0u);
    // Retransmitted SYNs to one unanswered service are one contact, not many.
    for (int i = 0; i < 30; ++i) {
        h.feed(tcp(20 + i * 0.3, "192.168.1.6", 41000, "198.51.100.7", 22, kSyn));
    }
    EXPECT_EQ(h.count(), 0u);
}

TEST(SynFloodImproved, SpoofedSourceFloodIsSeenAtTheVictim) {
    // Every SYN from a different spoofed source: no source reaches the threshold.
    Harness original("syn_flood", original_rules());
    Harness h("syn_flood");
    for (int i = 0; i < 200; ++i) {
        decode::Packet p =
            syn(10 + i * 0.001, "1.1.1.1", "10.10.10.10", 80, static_cast<uint16_t>(1024 + i));
        p.src_ip = IpAddress::v4(0x0b000000u + static_cast<uint32_t>(i) * 7919u);
        original.feed(p);
        h.feed(p);
        if (i < 199) {
            EXPECT_EQ(h.count(), 0u) << i;
        }
    }
    EXPECT_EQ(original.count(), 0u);
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().category, "SYN FLOOD");
    EXPECT_EQ(h.last().level, Severity::kCritical);
    EXPECT_EQ(h.last().src, "10.10.10.10");
    EXPECT_EQ(h.last().message, "10.10.10.10 has 200 half-open handshakes in 5s (any sources)");
}

TEST(SynFloodImproved, CompletedHandshakesAreNotAFloodButHalfOpenOnesFromOneSourceAre) {
    Harness h("syn_flood");
    // 300 connections in 3 s from one client, each completed by the client's ACK.
    for (int i = 0; i < 300; ++i) {
        const auto sport = static_cast<uint16_t>(20000 + i);
        const double t = 10 + i * 0.01;
        h.feed(tcp(t, "10.234.125.254", sport, "10.121.70.151", 21, kSyn));
        h.feed(tcp(t + 0.001, "10.121.70.151", 21, "10.234.125.254", sport, kSyn | kAck));
        h.feed(tcp(t + 0.002, "10.234.125.254", sport, "10.121.70.151", 21, kAck));
    }
    EXPECT_EQ(h.count(), 0u);
    // Retransmissions of one SYN are one handshake.
    for (int i = 0; i < 250; ++i) {
        h.feed(tcp(20 + i * 0.01, "192.168.1.60", 30000, "192.168.1.34", 80, kSyn));
    }
    EXPECT_EQ(h.count(), 0u);
    // hping3 -S: new source ports, answered by SYN-ACK, never completed.
    for (int i = 0; i < 200; ++i) {
        const auto sport = static_cast<uint16_t>(30000 + i);
        h.feed(tcp(40 + i * 0.001, "192.168.1.52", sport, "192.168.1.34", 80, kSyn));
        h.feed(tcp(40 + i * 0.001, "192.168.1.34", 80, "192.168.1.52", sport, kSyn | kAck));
    }
    ASSERT_EQ(h.count(), 2u);
    EXPECT_EQ(h.sink.alerts[0].message, "192.168.1.52 left 200 half-open handshakes in 5s");
    EXPECT_EQ(h.sink.alerts[0].src, "192.168.1.52");
    EXPECT_EQ(h.sink.alerts[1].message,
              "192.168.1.34 has 200 half-open handshakes in 5s (any sources)");
}

TEST(ArpSpoofImproved, FirstChangeAndFlipFlopAreCriticalWithTheirOwnMessages) {
    Harness h("arp_spoof");
    h.feed(arp(10, 2, "192.168.10.4", mac(0x7f)));  // a new pair: learnt silently
    h.feed(arp(11, 2, "192.168.10.4", mac(0x7f)));
    EXPECT_EQ(h.count(), 0u);
    h.feed(arp(20, 2, "192.168.10.4", mac(0xba)));  // a change, as a new NIC would make
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().level, Severity::kCritical);
    EXPECT_EQ(h.last().message,
              "IP 192.168.10.4 MAC changed: 02:00:00:00:00:7f -> 02:00:00:00:00:ba  (MITM?)");
    h.feed(arp(40, 2, "192.168.10.4", mac(0x7f)));  // and back: two stations take turns
    ASSERT_EQ(h.count(), 2u);
    EXPECT_EQ(h.last().level, Severity::kCritical);
    EXPECT_EQ(h.last().src, "192.168.10.4");
    EXPECT_EQ(h.last().message,
              "IP 192.168.10.4 MAC flip-flop: 02:00:00:00:00:ba -> 02:00:00:00:00:7f  (MITM?)");
    // The original rule: every change is CRITICAL "MAC changed".
    Harness o("arp_spoof", original_rules());
    o.feed(arp(10, 2, "192.168.10.4", mac(0x7f)));
    o.feed(arp(20, 2, "192.168.10.4", mac(0xba)));
    ASSERT_EQ(o.count(), 1u);
    EXPECT_EQ(o.last().level, Severity::kCritical);
}

TEST(ArpSpoofImproved, SenderThatDisagreesWithTheFrameSourceIsForged) {
    Harness h("arp_spoof");
    Harness o("arp_spoof", original_rules());
    // A reply claiming 10.0.0.1 is at :01, sent in a frame from :66; no binding was known.
    decode::Packet p = arp(10, 2, "10.0.0.1", mac(0x01));
    p.src_mac = mac(0x66);
    h.feed(p);
    o.feed(p);
    EXPECT_EQ(o.count(), 0u);
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().level, Severity::kCritical);
    EXPECT_EQ(h.last().src, "10.0.0.1");
    EXPECT_EQ(h.last().message,
              "IP 10.0.0.1 claimed for 02:00:00:00:00:01 by a frame from 02:00:00:00:00:66  "
              "(forged ARP?)");
    // Frames without a link-layer source (raw IP captures) are not compared.
    decode::Packet raw = arp(12, 2, "10.0.0.2", mac(0x02));
    raw.src_mac = MacAddress{};
    h.feed(raw);
    EXPECT_EQ(h.count(), 1u);
}

}  // namespace
}  // namespace sentinel::detect::testing
