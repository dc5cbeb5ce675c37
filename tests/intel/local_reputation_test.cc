#include "intel/local_reputation.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sentinel::intel {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

class LocalReputationTest : public ::testing::Test {
  protected:
    LocalOptions options() {
        LocalOptions o;
        o.ip_capacity = 4;
        o.domain_capacity = 4;
        o.ring_capacity = 4;
        o.clock = [this] { return now_ms_; };
        return o;
    }
    std::vector<LookupRequest> drain(LocalReputation& rep) {
        std::vector<LookupRequest> out;
        LookupRequest r;
        while (rep.take_request(r)) {
            out.push_back(r);
        }
        return out;
    }
    int64_t now_ms_ = 1'000'000;
};

TEST_F(LocalReputationTest, InternalAddressesAndPrivateNamesAreNeverRequested) {
    LocalReputation rep(options());
    rep.request(ip("10.1.2.3"), Priority::kDetector);
    rep.request(ip("192.168.1.1"), Priority::kWarm);
    rep.request(ip("fe80::1"), Priority::kWarm);
    rep.request(IpAddress{}, Priority::kWarm);
    rep.request_domain("printer.local", Priority::kWarm);
    rep.request_domain("1.0.0.10.in-addr.arpa.", Priority::kWarm);
    rep.request_domain("nas", Priority::kWarm);
    rep.request_domain("db.internal", Priority::kWarm);
    rep.request_domain("pc.lan", Priority::kWarm);
    EXPECT_TRUE(drain(rep).empty());
}

TEST_F(LocalReputationTest, RequestsAreDeduplicatedAndDomainsUseTheRegisteredDomain) {
    LocalReputation rep(options());
    rep.request(ip("203.0.113.5"), Priority::kWarm);
    rep.request(ip("203.0.113.5"), Priority::kDetector);
    rep.request_domain("a1.tunnel.evil.com", Priority::kDetector);
    rep.request_domain("b2.tunnel.EVIL.com.", Priority::kDetector);
    const auto sent = drain(rep);
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(sent[0].ip, ip("203.0.113.5"));
    EXPECT_EQ(sent[1].kind, LookupKind::kDomain);
    EXPECT_EQ(sent[1].domain.view(), "evil.com");
    EXPECT_EQ(sent[1].priority, Priority::kDetector);
}

TEST_F(LocalReputationTest, ResultsBecomeVerdictsAfterPoll) {
    LocalReputation rep(options());
    rep.request(ip("203.0.113.5"), Priority::kDetector);
    rep.request_domain("x.evil.com", Priority::kDetector);
    auto sent = drain(rep);
    ASSERT_EQ(sent.size(), 2u);

    LookupResult r;
    r.ip = sent[0].ip;
    r.found = true;
    r.malicious = 4;
    r.ttl_seconds = 300;
    ASSERT_TRUE(rep.give_result(r));
    LookupResult d;
    d.kind = LookupKind::kDomain;
    d.domain = sent[1].domain;
    d.found = true;
    d.malicious = 10;
    d.ttl_seconds = 300;
    ASSERT_TRUE(rep.give_result(d));

    EXPECT_EQ(rep.ip(ip("203.0.113.5")).tier, Tier::kClean);  // not absorbed yet
    rep.poll();
    const Verdict v = rep.ip(ip("203.0.113.5"));
    EXPECT_EQ(v.tier, Tier::kHigh);
    EXPECT_EQ(v.malicious, 4u);
    EXPECT_EQ(v.source, "VT");
    EXPECT_EQ(rep.domain("other.sub.EVIL.com").tier, Tier::kCritical);

    // Known and fresh: no new request; expired: one refresh, the old verdict stays meanwhile.
    rep.request(ip("203.0.113.5"), Priority::kDetector);
    EXPECT_TRUE(drain(rep).empty());
    now_ms_ += 301'000;
    rep.poll();
    rep.request(ip("203.0.113.5"), Priority::kDetector);
    EXPECT_EQ(drain(rep).size(), 1u);
    EXPECT_EQ(rep.ip(ip("203.0.113.5")).tier, Tier::kHigh);
}

TEST_F(LocalReputationTest, FailedLookupIsRetriedOnlyAfterTheHint) {
    LocalReputation rep(options());
    rep.request(ip("203.0.113.5"), Priority::kWarm);
    ASSERT_EQ(drain(rep).size(), 1u);
    LookupResult r;
    r.ip = ip("203.0.113.5");
    r.found = false;
    r.retry_seconds = 60;
    ASSERT_TRUE(rep.give_result(r));
    rep.poll();
    rep.request(ip("203.0.113.5"), Priority::kWarm);
    EXPECT_TRUE(drain(rep).empty());
    now_ms_ += 60'000;
    rep.poll();
    rep.request(ip("203.0.113.5"), Priority::kWarm);
    EXPECT_EQ(drain(rep).size(), 1u);
}

TEST_F(LocalReputationTest, FullRingDropsAndCounts) {
    LocalReputation rep(options());  // ring of 4, map of 4
    for (int i = 1; i <= 6; ++i) {
        rep.request(ip(("203.0.113." + std::to_string(i)).c_str()), Priority::kWarm);
    }
    EXPECT_EQ(rep.counters().ring_drops.load(), 2u);
    EXPECT_EQ(drain(rep).size(), 4u);
    rep.poll();
    EXPECT_EQ(rep.counters().evictions.load(), 2u);
    EXPECT_EQ(rep.counters().cached.load(), 4u);
}

TEST_F(LocalReputationTest, MappedAddressesAreTheirIpv4Host) {
    LocalReputation rep(options());
    rep.request(ip("::ffff:198.51.100.1"), Priority::kDetector);
    rep.request(ip("198.51.100.1"), Priority::kDetector);
    rep.request(ip("::ffff:10.0.0.1"), Priority::kDetector);  // internal
    const auto sent = drain(rep);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_TRUE(sent[0].ip.is_v4());
    LookupResult r;
    r.ip = sent[0].ip;
    r.found = true;
    r.malicious = 3;
    ASSERT_TRUE(rep.give_result(r));
    rep.poll();
    EXPECT_EQ(rep.ip(ip("::ffff:198.51.100.1")).tier, Tier::kHigh);
}

TEST_F(LocalReputationTest, DisabledLookupsStopRequests) {
    LocalReputation rep(options());
    rep.disable_lookups();
    rep.request(ip("203.0.113.5"), Priority::kDetector);
    rep.request_domain("evil.com", Priority::kDetector);
    EXPECT_TRUE(drain(rep).empty());
}

TEST_F(LocalReputationTest, FeedIndexSwapAndMergeWithVirusTotal) {
    LocalReputation rep(options());
    FeedIndexBuilder b({"list.txt"}, {Tier::kHigh});
    (void)b.add_text(0, "203.0.113.0/24\nbad.example\n");
    rep.publish_feeds(b.build());
    EXPECT_EQ(rep.ip(ip("203.0.113.9")).tier, Tier::kClean);  // adopted at poll()
    rep.poll();
    EXPECT_EQ(rep.ip(ip("203.0.113.9")).source, "FEED");
    EXPECT_EQ(rep.ip(ip("203.0.113.9")).tier, Tier::kHigh);
    EXPECT_EQ(rep.domain("www.bad.example").tier, Tier::kHigh);

    // VT says CRITICAL: the more severe verdict wins and keeps VT's format.
    rep.request(ip("203.0.113.9"), Priority::kDetector);
    LookupRequest req;
    ASSERT_TRUE(rep.take_request(req));
    LookupResult r;
    r.ip = req.ip;
    r.found = true;
    r.malicious = 20;
    r.ttl_seconds = 300;
    ASSERT_TRUE(rep.give_result(r));
    rep.poll();
    EXPECT_EQ(rep.ip(ip("203.0.113.9")).tier, Tier::kCritical);
    EXPECT_EQ(rep.ip(ip("203.0.113.9")).source, "VT");

    // A replacement index: the old one is retired, and freed by the worker side.
    FeedIndexBuilder b2({"list.txt"}, {Tier::kHigh});
    (void)b2.add_text(0, "198.51.100.1\n");
    rep.publish_feeds(b2.build());
    rep.poll();
    rep.collect_retired();
    EXPECT_EQ(rep.domain("www.bad.example").tier, Tier::kClean);
    EXPECT_EQ(rep.ip(ip("198.51.100.1")).tier, Tier::kHigh);
    EXPECT_EQ(rep.counters().feed_swaps.load(), 2u);
}

}  // namespace
}  // namespace sentinel::intel
