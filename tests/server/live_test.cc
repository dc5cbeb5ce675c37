// LiveState and helpers without the network.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server/api.h"
#include "server/live.h"

namespace sentinel::server {
namespace {

using Json = nlohmann::json;
constexpr int64_t kS = 1'000'000'000;

struct CountingSubscriber : Subscriber {
    void wake() override { ++wakes; }
    int wakes = 0;
};

TEST(LiveStateTest, TimelineAdvancesOnReadAndCountsRecentLevels) {
    Metrics m;
    LiveState live({}, m);
    const Timestamp t0{1'800'000'000 * kS};
    schema::Alert a;
    a.id = "x";
    a.level = schema::Severity::kCritical;
    a.category = "ARP SPOOF";
    a.received_at = t0;
    live.alerts_committed("agent", {a, a});
    auto tl = Json::parse(live.timeline_json(t0));
    ASSERT_EQ(tl.size(), 60u);
    EXPECT_EQ(tl[59], 2);
    // Ten quiet minutes later the counts have moved left.
    tl = Json::parse(live.timeline_json(t0 + Duration{600 * kS}));
    EXPECT_EQ(tl[49], 2);
    EXPECT_EQ(tl[59], 0);
    auto stats = Json::parse(live.stats_json(t0 + Duration{600 * kS}));
    EXPECT_EQ(stats["recent_by_level"]["CRITICAL"], 2);
    stats = Json::parse(live.stats_json(t0 + Duration{16 * 60 * kS}));
    EXPECT_EQ(stats["recent_by_level"]["CRITICAL"], 0);  // the gauge forgets (F12)
    EXPECT_EQ(stats["by_level"]["CRITICAL"], 2);
}

TEST(LiveStateTest, AgentsGoOfflineAndAreAnnounced) {
    Metrics m;
    LiveOptions o;
    o.offline_after_s = 90;
    LiveState live(o, m);
    auto sub = std::make_shared<CountingSubscriber>();
    live.subscribe(sub);
    const Timestamp t0{1'800'000'000 * kS};
    ASSERT_TRUE(live.heartbeat({"a1", "h", "", "127.0.0.1"}, {}, t0).has_value());
    live.tick(t0);
    EXPECT_EQ(live.agents_online(t0 + Duration{89 * kS}), 1u);
    sub->take();
    const int before = sub->wakes;
    live.tick(t0 + Duration{91 * kS});
    EXPECT_EQ(live.agents_online(t0 + Duration{91 * kS}), 0u);
    EXPECT_GT(sub->wakes, before);
    EXPECT_TRUE(sub->take().agents);
    EXPECT_EQ(Json::parse(live.agents_json(t0 + Duration{91 * kS}))[0]["online"], false);
}

TEST(LiveStateTest, CounterKeysAreBounded) {
    Metrics m;
    LiveOptions o;
    o.max_counter_keys = 5;
    LiveState live(o, m);
    std::vector<schema::Alert> alerts;
    for (int i = 0; i < 50; ++i) {
        schema::Alert a;
        a.category = "C" + std::to_string(i);
        a.src = "S" + std::to_string(i);
        alerts.push_back(a);
    }
    live.alerts_committed("a", alerts);
    auto stats = Json::parse(live.stats_json(Timestamp{0}));
    EXPECT_LE(stats["by_category"].size(), 6u);
    EXPECT_EQ(stats["by_category"][0][0], "(other)");
    EXPECT_EQ(stats["by_category"][0][1], 45);
}

TEST(LiveStateTest, SubscriberDropsOldestWhenFull) {
    CountingSubscriber s;
    std::vector<std::string> many(Subscriber::kMaxPendingAlerts + 10, "{}");
    s.add(many, false, false, false);
    auto p = s.take();
    EXPECT_EQ(p.alerts.size(), Subscriber::kMaxPendingAlerts);
    EXPECT_EQ(p.dropped, 10u);
    EXPECT_TRUE(s.take().empty());
}

TEST(ApiHelpersTest, TruncationCountsCharactersNotBytes) {
    EXPECT_EQ(truncate_chars("abcdef", 3), "abc");
    EXPECT_EQ(truncate_chars("\xc3\xa9\xc3\xa9\xc3\xa9", 2), "\xc3\xa9\xc3\xa9");
    EXPECT_EQ(truncate_chars("ab", 5), "ab");
    EXPECT_EQ(cookie_value("a=1; ns_session=xyz; b=2", "ns_session"), "xyz");
    EXPECT_EQ(cookie_value("ns_sessionx=1", "ns_session"), "");
}

}  // namespace
}  // namespace sentinel::server
