// The improved rules (docs/detection-quality.md), one behaviour per test.
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

}  // namespace
}  // namespace sentinel::detect::testing
