#include "virustotal/service.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "stub_server.h"

namespace sentinel::virustotal {
namespace {

using intel::Priority;
using intel::Tier;

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

class ServiceTest : public ::testing::Test {
  protected:
    ServiceTest() {
        ::unsetenv("VIRUSTOTAL_API_KEY");
        state_dir_ = (stub_.dir() / "state").string();
    }
    ~ServiceTest() override { ::unsetenv("VIRUSTOTAL_API_KEY"); }

    config::Config config() const {
        config::Config c;
        c.virustotal_api_key = "cfg-key";
        c.virustotal_base_url = stub_.base_url();
        c.vt_requests_per_minute = 600;
        return c;
    }
    ServiceOptions options() const {
        ServiceOptions o;
        o.ca_file = stub_.ca_file();
        o.feed_poll_ms = 10;
        o.idle_ms = 5;
        return o;
    }
    std::unique_ptr<ReputationService> make(const config::Config& c) {
        auto result = make_reputation(c, state_dir_, options());
        if (!result.is_ok()) {
            ADD_FAILURE() << result.error();
            return nullptr;
        }
        auto service = std::move(result.value());
        EXPECT_TRUE(service->start().is_ok());
        return service;
    }
    // Polls as the packet thread would, until cond holds (bounded, so a bug fails rather
    // than hangs).
    template <typename Cond>
    bool eventually(ReputationService& s, Cond cond) {
        for (int i = 0; i < 1000; ++i) {
            s.poll();
            if (cond()) {
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
    }

    testing::StubServer stub_;
    std::string state_dir_;
};

TEST_F(ServiceTest, LooksUpExternalEndpointsOnly) {
    stub_.set_script({{"responses",
                       {{"ip_addresses/198.51.100.1", {{{"malicious", 4}}}},
                        {"domains/evil.example", {{{"malicious", 10}}}}}}});
    auto s = make(config());
    ASSERT_NE(s, nullptr);
    for (const char* a : {"10.0.0.1", "192.168.1.1", "172.16.5.5", "127.0.0.1", "169.254.1.1",
                          "224.0.0.251", "fe80::1", "fd00::1", "::1"}) {
        s->request(ip(a), Priority::kDetector);
    }
    for (const char* n : {"printer.local", "1.1.168.192.in-addr.arpa", "nas", "db.internal",
                          "pc.lan", "fileserver."}) {
        s->request_domain(n, Priority::kDetector);
    }
    s->request(ip("198.51.100.1"), Priority::kDetector);
    s->request_domain("a1b2c3.tunnel.Evil.Example.", Priority::kDetector);
    s->request_domain("d4e5f6.tunnel.evil.example", Priority::kWarm);

    ASSERT_TRUE(eventually(*s, [&] {
        return s->ip(ip("198.51.100.1")).tier == Tier::kHigh &&
               s->domain("zzz.evil.example").tier == Tier::kCritical;
    }));
    const intel::Verdict v = s->ip(ip("198.51.100.1"));
    std::string message = "m";
    intel::append_suffix(message, v);
    EXPECT_EQ(message, "m  [VT:HIGH \u2014 4 malicious]");
    s->stop();
    EXPECT_EQ(stub_.paths(), (std::vector<std::string>{"/api/v3/ip_addresses/198.51.100.1",
                                                       "/api/v3/domains/evil.example"}));
    const ReputationStats st = s->stats();
    EXPECT_EQ(st.requests, 2u);
    EXPECT_EQ(st.hits, 2u);
    EXPECT_TRUE(st.lookups_enabled);
    EXPECT_EQ(st.quota_left, 498u);
    EXPECT_EQ(st.cache_size, 2u);
}

TEST_F(ServiceTest, AnswersSurviveARestart) {
    stub_.set_script({{"responses", {{"ip_addresses/198.51.100.1", {{{"malicious", 4}}}}}}});
    {
        auto s = make(config());
        ASSERT_NE(s, nullptr);
        s->request(ip("198.51.100.1"), Priority::kWarm);
        s->request(ip("198.51.100.2"), Priority::kWarm);  // 404: cached as clean
        ASSERT_TRUE(eventually(*s, [&] {
            return s->stats().cache_size == 2 && s->stats().requests == 2 && s->stats().queued == 0;
        }));
    }
    auto s = make(config());
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->ip(ip("198.51.100.1")).tier, Tier::kClean);  // nothing until asked
    s->request(ip("198.51.100.1"), Priority::kWarm);
    s->request(ip("198.51.100.2"), Priority::kWarm);
    ASSERT_TRUE(eventually(*s, [&] { return s->stats().cache_hits == 2; }));
    ASSERT_TRUE(eventually(*s, [&] { return s->ip(ip("198.51.100.1")).tier == Tier::kHigh; }));
    EXPECT_EQ(stub_.requests().size(), 2u);
    EXPECT_EQ(s->stats().requests, 0u);
    EXPECT_EQ(s->stats().quota_left, 498u);  // the day's budget was remembered too
}

TEST_F(ServiceTest, RejectedKeyTurnsLookupsOff) {
    stub_.set_script({{"key", "the-right-key"}});
    auto s = make(config());
    ASSERT_NE(s, nullptr);
    s->request(ip("198.51.100.1"), Priority::kDetector);
    ASSERT_TRUE(eventually(*s, [&] { return s->stats().disabled; }));
    ASSERT_TRUE(eventually(*s, [&] { return !s->stats().lookups_enabled; }));
    s->request(ip("198.51.100.2"), Priority::kDetector);
    s->request_domain("evil.example", Priority::kDetector);
    s->stop();
    EXPECT_EQ(stub_.requests().size(), 1u);
    EXPECT_EQ(s->stats().requests, 1u);
}

TEST_F(ServiceTest, KeyFromTheEnvironmentWins) {
    ::setenv("VIRUSTOTAL_API_KEY", "env-key", 1);
    auto s = make(config());
    ASSERT_NE(s, nullptr);
    s->request(ip("198.51.100.9"), Priority::kDetector);
    ASSERT_TRUE(eventually(*s, [&] { return s->stats().not_found == 1; }));
    const auto logged = stub_.requests();
    ASSERT_EQ(logged.size(), 1u);
    EXPECT_EQ(logged[0].apikey, "env-key");
}

TEST_F(ServiceTest, FeedsWorkWithoutAKeyAndReloadWhenChanged) {
    const auto list = stub_.dir() / "list.txt";
    const auto domains = stub_.dir() / "domains.txt";
    std::ofstream(list) << "# test feed\n198.51.100.0/24\n";
    std::ofstream(domains) << "evil.example\n";
    config::Config c;
    c.intel_feeds = {{list.string(), "high"}, {domains.string(), "CRITICAL"}};
    auto s = make(c);
    ASSERT_NE(s, nullptr);
    ASSERT_TRUE(eventually(*s, [&] { return s->ip(ip("198.51.100.77")).tier == Tier::kHigh; }));
    const intel::Verdict v = s->ip(ip("198.51.100.77"));
    std::string message = "m";
    intel::append_suffix(message, v);
    EXPECT_EQ(message, "m  [FEED:HIGH \u2014 list.txt]");
    EXPECT_EQ(s->domain("x.y.evil.example").tier, Tier::kCritical);
    EXPECT_FALSE(s->stats().lookups_enabled);
    s->request(ip("198.51.100.78"), Priority::kDetector);  // no key: nothing is sent

    std::ofstream(list) << "203.0.113.5\nnot a valid line\n";
    ASSERT_TRUE(eventually(*s, [&] { return s->ip(ip("203.0.113.5")).tier == Tier::kHigh; }));
    EXPECT_EQ(s->ip(ip("198.51.100.77")).tier, Tier::kClean);
    EXPECT_EQ(s->stats().feed_bad_lines, 1u);
    EXPECT_GE(s->stats().feed_reloads, 2u);
    EXPECT_EQ(s->stats().feed_entries, 2u);
    s->stop();
    EXPECT_TRUE(stub_.requests().empty());
}

TEST_F(ServiceTest, FeedAndVirusTotalMostSevereWins) {
    stub_.set_script({{"responses", {{"ip_addresses/198.51.100.1", {{{"malicious", 20}}}}}}});
    const auto list = stub_.dir() / "medium.txt";
    std::ofstream(list) << "198.51.100.1\n198.51.100.2\n";
    config::Config c = config();
    c.intel_feeds = {{list.string(), "MEDIUM"}};
    auto s = make(c);
    ASSERT_NE(s, nullptr);
    ASSERT_TRUE(eventually(*s, [&] { return s->ip(ip("198.51.100.2")).tier == Tier::kMedium; }));
    s->request(ip("198.51.100.1"), Priority::kDetector);
    ASSERT_TRUE(eventually(*s, [&] { return s->ip(ip("198.51.100.1")).tier == Tier::kCritical; }));
    EXPECT_EQ(s->ip(ip("198.51.100.1")).source, "VT");
    EXPECT_EQ(s->ip(ip("198.51.100.2")).source, "FEED");
}

TEST_F(ServiceTest, InvalidFeedTierIsRejected) {
    config::Config c;
    c.intel_feeds = {{"/tmp/x.txt", "SEVERE"}};
    const auto result = make_reputation(c, state_dir_, options());
    ASSERT_FALSE(result.is_ok());
    EXPECT_NE(result.error().find("intel_feeds[0].tier"), std::string::npos);
}

}  // namespace
}  // namespace sentinel::virustotal
