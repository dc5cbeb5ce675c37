#include "virustotal/worker.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "stub_server.h"

namespace sentinel::virustotal {
namespace {

using intel::LookupKind;
using intel::Priority;
using intel::Tier;
using nlohmann::json;

class FakeClock final : public Clock {
  public:
    int64_t now_ms() const override { return now; }
    int64_t now = 1'800'000'000'000;  // a fixed instant, mid-day UTC is irrelevant here
};

Lookup ip(std::string text) { return {LookupKind::kIp, std::move(text)}; }
Lookup dom(std::string text) { return {LookupKind::kDomain, std::move(text)}; }

class WorkerTest : public ::testing::Test {
  protected:
    WorkerTest() {
        TransportOptions c;
        c.base_url = stub_.base_url();
        c.api_key = "test-key";
        c.ca_file = stub_.ca_file();
        transport_ = std::make_unique<CurlTransport>(c);
        cache_ = std::move(Cache::open(":memory:").value());
        options_.requests_per_minute = 1000;
    }

    Worker make() { return Worker(options_, clock_, *transport_, cache_.get()); }

    // Steps until nothing is due now; returns every outcome.
    std::vector<Outcome> run(Worker& w) {
        std::vector<Outcome> out;
        for (int i = 0; i < 100 && w.next_due_ms() <= clock_.now; ++i) {
            w.step(out);
        }
        return out;
    }

    testing::StubServer stub_;
    FakeClock clock_;
    WorkerOptions options_;
    std::unique_ptr<CurlTransport> transport_;
    std::unique_ptr<Cache> cache_;
};

Tier tier_of(const Outcome& o) {
    return intel::tier_for(o.report.malicious, o.report.suspicious, o.report.reputation);
}

TEST_F(WorkerTest, EachTierFromAResponse) {
    stub_.set_script({{"key", "test-key"},
                      {"responses",
                       {{"ip_addresses/198.51.100.1", {{{"malicious", 12}}}},
                        {"ip_addresses/198.51.100.2", {{{"malicious", 5}}}},
                        {"ip_addresses/198.51.100.3", {{{"malicious", 1}}}},
                        {"ip_addresses/198.51.100.4", {{{"suspicious", 6}}}},
                        {"ip_addresses/198.51.100.5", {{{"reputation", -25}}}},
                        {"ip_addresses/2001:db8::5", {{{"harmless", 80}}}},
                        {"domains/evil.example", {{{"malicious", 9}}}}}}});
    Worker w = make();
    std::vector<Outcome> out;
    for (const char* a : {"198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4",
                          "198.51.100.5", "2001:db8::5"}) {
        w.submit(ip(a), Priority::kDetector, out);
    }
    w.submit(dom("evil.example"), Priority::kDetector, out);
    EXPECT_TRUE(out.empty());
    out = run(w);
    ASSERT_EQ(out.size(), 7u);
    const std::vector<Tier> expected = {Tier::kCritical, Tier::kHigh, Tier::kMedium,
                                        Tier::kMedium,   Tier::kLow,  Tier::kClean,
                                        Tier::kCritical};
    for (size_t i = 0; i < out.size(); ++i) {
        EXPECT_TRUE(out[i].found) << i;
        EXPECT_EQ(tier_of(out[i]), expected[i]) << out[i].lookup.indicator;
    }
    EXPECT_EQ(out[0].report.country, "US");
    EXPECT_EQ(out[0].report.as_owner, "Example AS");
    EXPECT_EQ(out[0].ttl_seconds, 300u);   // malicious >= 3
    EXPECT_EQ(out[2].ttl_seconds, 3600u);  // clean TTL
    const auto logged = stub_.requests();
    ASSERT_EQ(logged.size(), 7u);
    EXPECT_EQ(logged[0].path, "/api/v3/ip_addresses/198.51.100.1");
    EXPECT_EQ(logged[5].path, "/api/v3/ip_addresses/2001:db8::5");
    EXPECT_EQ(logged[6].path, "/api/v3/domains/evil.example");
    for (const auto& r : logged) {
        EXPECT_EQ(r.apikey, "test-key");
    }
    EXPECT_EQ(w.counters().hits.load(), 7u);
    EXPECT_EQ(w.counters().requests.load(), 7u);
}

TEST_F(WorkerTest, NotFoundIsCleanAndCached) {
    Worker w = make();
    std::vector<Outcome> out;
    w.submit(ip("203.0.113.9"), Priority::kWarm, out);
    out = run(w);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(out[0].found);
    EXPECT_EQ(tier_of(out[0]), Tier::kClean);
    EXPECT_EQ(w.counters().not_found.load(), 1u);

    out.clear();
    clock_.now += 3'000'000;  // 50 minutes: still within the clean TTL
    w.submit(ip("203.0.113.9"), Priority::kWarm, out);
    ASSERT_EQ(out.size(), 1u);  // answered from the cache at once
    EXPECT_TRUE(out[0].found);
    EXPECT_EQ(w.queued(), 0u);
    EXPECT_EQ(stub_.requests().size(), 1u);
    EXPECT_EQ(w.counters().cache_hits.load(), 1u);

    out.clear();
    clock_.now += 700'000;  // past the hour: asked again
    w.submit(ip("203.0.113.9"), Priority::kWarm, out);
    EXPECT_TRUE(out.empty());
    run(w);
    EXPECT_EQ(stub_.requests().size(), 2u);
}

TEST_F(WorkerTest, UnauthorizedDisablesAndNothingMoreIsSent) {
    stub_.set_script({{"key", "another-key"}});
    Worker w = make();
    std::vector<Outcome> out;
    w.submit(ip("198.51.100.1"), Priority::kDetector, out);
    w.submit(ip("198.51.100.2"), Priority::kWarm, out);
    w.submit(ip("198.51.100.3"), Priority::kWarm, out);
    out = run(w);
    EXPECT_TRUE(w.disabled());
    ASSERT_EQ(out.size(), 3u);  // every queued lookup is answered as not completed
    for (const auto& o : out) {
        EXPECT_FALSE(o.found);
    }
    out.clear();
    w.submit(ip("198.51.100.4"), Priority::kDetector, out);
    EXPECT_EQ(out.size(), 1u);
    run(w);
    clock_.now += 3'600'000;
    run(w);
    EXPECT_EQ(stub_.requests().size(), 1u);
}

TEST_F(WorkerTest, TooManyRequestsBacksOffThenSucceeds) {
    stub_.set_script(
        {{"responses",
          {{"ip_addresses/198.51.100.7",
            {{{"status", 429}, {"retry_after", 30}}, {{"status", 200}, {"malicious", 3}}}}}}});
    Worker w = make();
    std::vector<Outcome> out;
    w.submit(ip("198.51.100.7"), Priority::kDetector, out);
    out = run(w);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(w.counters().rate_limited.load(), 1u);
    EXPECT_EQ(w.next_due_ms(), clock_.now + 30'000);  // Retry-After honoured
    EXPECT_EQ(w.queued(), 1u);

    clock_.now += 29'000;
    out = run(w);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(stub_.requests().size(), 1u);

    clock_.now += 1'000;
    out = run(w);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(tier_of(out[0]), Tier::kHigh);
    EXPECT_EQ(stub_.requests().size(), 2u);
}

TEST_F(WorkerTest, RateLimiterAllowsFourPerMinute) {
    options_.requests_per_minute = 4;
    Worker w = make();
    std::vector<Outcome> out;
    for (int i = 1; i <= 6; ++i) {
        w.submit(ip("198.51.100." + std::to_string(i)), Priority::kWarm, out);
    }
    const int64_t start = clock_.now;
    run(w);
    EXPECT_EQ(stub_.requests().size(), 4u);  // the 5th waits
    EXPECT_EQ(w.next_due_ms(), start + 60'000);

    clock_.now = start + 59'999;
    run(w);
    EXPECT_EQ(stub_.requests().size(), 4u);
    clock_.now = start + 60'000;
    run(w);
    EXPECT_EQ(stub_.requests().size(), 6u);
}

TEST_F(WorkerTest, RateLimiterIsASlidingWindow) {
    options_.requests_per_minute = 2;
    Worker w = make();
    std::vector<Outcome> out;
    const int64_t start = clock_.now;
    w.submit(ip("198.51.100.1"), Priority::kWarm, out);
    run(w);
    EXPECT_EQ(stub_.requests().size(), 1u);

    clock_.now = start + 30'000;
    w.submit(ip("198.51.100.2"), Priority::kWarm, out);
    w.submit(ip("198.51.100.3"), Priority::kWarm, out);
    run(w);
    EXPECT_EQ(stub_.requests().size(), 2u);
    EXPECT_EQ(w.next_due_ms(), start + 60'000);  // when the first start leaves the window

    clock_.now = start + 60'000;
    run(w);
    EXPECT_EQ(stub_.requests().size(), 3u);
    w.submit(ip("198.51.100.4"), Priority::kWarm, out);
    EXPECT_EQ(w.next_due_ms(), start + 90'000);
}

TEST_F(WorkerTest, DailyQuotaStopsRequestsUntilTheNextDay) {
    options_.daily_quota = 2;
    Worker w = make();
    std::vector<Outcome> out;
    for (int i = 1; i <= 3; ++i) {
        w.submit(ip("198.51.100." + std::to_string(i)), Priority::kWarm, out);
    }
    out = run(w);
    EXPECT_EQ(stub_.requests().size(), 2u);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_FALSE(out[2].found);
    EXPECT_GT(out[2].retry_seconds, 0u);
    EXPECT_LE(out[2].retry_seconds, 86'401u);
    EXPECT_EQ(w.counters().quota_left.load(), 0u);

    clock_.now += 86'400'000;
    out.clear();
    w.submit(ip("198.51.100.3"), Priority::kWarm, out);
    run(w);
    EXPECT_EQ(stub_.requests().size(), 3u);
    EXPECT_EQ(w.counters().quota_left.load(), 1u);
}

TEST_F(WorkerTest, DetectorRequestsGoBeforeWarming) {
    Worker w = make();
    std::vector<Outcome> out;
    w.submit(ip("198.51.100.1"), Priority::kWarm, out);
    w.submit(ip("198.51.100.2"), Priority::kWarm, out);
    w.submit(ip("198.51.100.3"), Priority::kDetector, out);
    w.submit(ip("198.51.100.2"), Priority::kDetector, out);  // promoted
    w.submit(dom("tunnel.example"), Priority::kDetector, out);
    EXPECT_EQ(w.queued(), 4u);
    run(w);
    EXPECT_EQ(stub_.paths(), (std::vector<std::string>{
                                 "/api/v3/ip_addresses/198.51.100.3",
                                 "/api/v3/ip_addresses/198.51.100.2",
                                 "/api/v3/domains/tunnel.example",
                                 "/api/v3/ip_addresses/198.51.100.1",
                             }));
}

TEST_F(WorkerTest, DuplicatesAreQueuedOnce) {
    Worker w = make();
    std::vector<Outcome> out;
    for (int i = 0; i < 5; ++i) {
        w.submit(ip("198.51.100.1"), Priority::kWarm, out);
        w.submit(dom("a.example"), Priority::kDetector, out);
    }
    EXPECT_EQ(w.queued(), 2u);
    out = run(w);
    EXPECT_EQ(out.size(), 2u);
    EXPECT_EQ(stub_.requests().size(), 2u);
}

TEST_F(WorkerTest, BoundedQueueEvictsWarmingForDetectorWork) {
    options_.queue_capacity = 2;
    Worker w = make();
    std::vector<Outcome> out;
    w.submit(ip("198.51.100.1"), Priority::kWarm, out);
    w.submit(ip("198.51.100.2"), Priority::kWarm, out);
    w.submit(ip("198.51.100.3"), Priority::kWarm, out);  // dropped
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].lookup.indicator, "198.51.100.3");
    w.submit(ip("198.51.100.4"), Priority::kDetector, out);  // evicts the oldest warm item
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[1].lookup.indicator, "198.51.100.1");
    EXPECT_FALSE(out[1].found);
    EXPECT_EQ(w.counters().queue_drops.load(), 2u);
    EXPECT_EQ(w.queued(), 2u);
}

TEST_F(WorkerTest, ServerErrorsRetryWithBackoffThenGiveUp) {
    stub_.set_script(
        {{"responses",
          {{"ip_addresses/198.51.100.1", {{{"status", 503}}, {{"status", 200}, {"malicious", 1}}}},
           {"ip_addresses/198.51.100.2", {{{"status", 500}}}}}}});
    Worker w = make();
    std::vector<Outcome> out;
    w.submit(ip("198.51.100.1"), Priority::kDetector, out);
    out = run(w);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(w.next_due_ms(), clock_.now + 5'000);
    clock_.now += 5'000;
    out = run(w);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(tier_of(out[0]), Tier::kMedium);

    w.submit(ip("198.51.100.2"), Priority::kDetector, out);
    out.clear();
    for (int i = 0; i < 5 && out.empty(); ++i) {
        clock_.now += 60'000;
        run(w);
        out = run(w);
    }
    EXPECT_EQ(w.queued(), 0u);
    EXPECT_EQ(stub_.requests().size(), 2u + 3u);  // three attempts for .2
    EXPECT_EQ(w.counters().errors.load(), 4u);
}

TEST_F(WorkerTest, UnexpectedBodyIsAnErrorAndNotCached) {
    stub_.set_script({{"responses", {{"ip_addresses/198.51.100.1", {{{"status", 999}}}}}}});
    Worker w = make();
    std::vector<Outcome> out;
    w.submit(ip("198.51.100.1"), Priority::kDetector, out);
    out = run(w);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_FALSE(out[0].found);
    EXPECT_EQ(w.counters().errors.load(), 1u);
    EXPECT_FALSE(cache_->get("ip:198.51.100.1", clock_.now / 1000).has_value());
}

TEST_F(WorkerTest, NetworkErrorIsRetried) {
    TransportOptions c;
    c.base_url = "https://127.0.0.1:1/api/v3";  // nothing listens on port 1
    c.api_key = "k";
    c.timeout_seconds = 5;
    CurlTransport refused(c);
    options_.max_attempts = 2;
    Worker w(options_, clock_, refused, cache_.get());
    std::vector<Outcome> out;
    w.submit(ip("198.51.100.1"), Priority::kDetector, out);
    out = run(w);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(w.queued(), 1u);
    clock_.now += 5'000;
    out = run(w);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_FALSE(out[0].found);
    EXPECT_EQ(w.counters().errors.load(), 2u);
}

TEST_F(WorkerTest, BudgetSurvivesARestart) {
    const auto path = (stub_.dir() / "state.sqlite3").string();
    options_.daily_quota = 3;
    {
        auto cache = std::move(Cache::open(path).value());
        Worker w(options_, clock_, *transport_, cache.get());
        std::vector<Outcome> out;
        w.submit(ip("198.51.100.1"), Priority::kWarm, out);
        w.submit(ip("198.51.100.2"), Priority::kWarm, out);
        run(w);
    }
    auto cache = std::move(Cache::open(path).value());
    Worker w(options_, clock_, *transport_, cache.get());
    EXPECT_EQ(w.counters().quota_left.load(), 1u);
    std::vector<Outcome> out;
    w.submit(ip("198.51.100.1"), Priority::kWarm, out);  // cached: no request
    EXPECT_EQ(out.size(), 1u);
    w.submit(ip("198.51.100.3"), Priority::kWarm, out);
    w.submit(ip("198.51.100.4"), Priority::kWarm, out);
    run(w);
    EXPECT_EQ(stub_.requests().size(), 3u);
}

}  // namespace
}  // namespace sentinel::virustotal
