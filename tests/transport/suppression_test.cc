#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "platform/platform.h"
#include "shipper_options.h"
#include "support/test_support.h"
#include "transport/heartbeat.h"
#include "transport/http_client.h"
#include "transport/shipper.h"
#include "transport/suppression.h"

namespace sentinel::transport {
namespace {

using testing::eventually;
using testing::TempDir;

constexpr double kWait = 60;  // generous: only a failure ever waits this long
const Timestamp kNow = *schema::parse_iso8601("2026-11-21T12:00:00+00:00");

schema::Alert make_alert(const std::string& id, const std::string& category,
                         const std::string& src = "10.0.0.1") {
    schema::Alert a;
    a.id = id;
    a.ts = kNow;
    a.level = schema::Severity::kHigh;
    a.category = category;
    a.message = category + " from " + src;
    a.src = src;
    a.agent_id = "0123456789abcdef";
    a.hostname = "test-host";
    return a;
}

suppress::RuleSet rule_set(const std::string& text) {
    auto set = suppress::rule_set_from_json(nlohmann::json::parse(text));
    EXPECT_TRUE(set.is_ok()) << text;
    return set.is_ok() ? std::move(set).value() : suppress::RuleSet{};
}

// --- SuppressionFilter -------------------------------------------------------------------

TEST(SuppressionFilterTest, CountsPerRuleAndLetsOthersThrough) {
    SuppressionFilter f("");
    EXPECT_FALSE(f.version());
    EXPECT_FALSE(f.apply(make_alert("a", "PORT SCAN"), kNow));  // no rules: nothing suppressed
    ASSERT_TRUE(f.replace(rule_set(R"({"version":3,"rules":[{"id":7,"category":"port scan"},
                                       {"id":9,"src":"192.168.0.0/16"}]})"))
                    .is_ok());
    EXPECT_EQ(f.version(), 3);
    EXPECT_EQ(f.apply(make_alert("a", "PORT SCAN"), kNow), 7);
    EXPECT_EQ(f.apply(make_alert("b", "PORT SCAN", "192.168.1.1"), kNow), 7);  // first rule wins
    EXPECT_EQ(f.apply(make_alert("c", "SYN FLOOD", "192.168.1.1"), kNow), 9);
    EXPECT_FALSE(f.apply(make_alert("d", "SYN FLOOD", "10.0.0.1"), kNow));
    EXPECT_EQ(f.total(), 3u);
    EXPECT_EQ(f.counts(), (std::map<int64_t, uint64_t>{{7, 2}, {9, 1}}));
    // Counts survive a rule set change (they are per process).
    ASSERT_TRUE(f.replace(rule_set(R"({"version":4,"rules":[]})")).is_ok());
    EXPECT_FALSE(f.apply(make_alert("e", "PORT SCAN"), kNow));
    EXPECT_EQ(f.counts(), (std::map<int64_t, uint64_t>{{7, 2}, {9, 1}}));
    EXPECT_EQ(f.version(), 4);
}

TEST(SuppressionFilterTest, ExpiredRulesStopApplyingOnTheirOwn) {
    SuppressionFilter f("");
    ASSERT_TRUE(f.replace(rule_set(R"({"version":1,"rules":[{"id":1,"category":"PORT SCAN",
                                       "expires_at":"2026-11-21T12:00:00.000000+00:00"}]})"))
                    .is_ok());
    EXPECT_EQ(f.apply(make_alert("a", "PORT SCAN"), kNow - Duration{1}), 1);
    EXPECT_FALSE(f.apply(make_alert("b", "PORT SCAN"), kNow));
    EXPECT_EQ(f.total(), 1u);
}

TEST(SuppressionFilterTest, KeepsTheRuleSetAcrossRestarts) {
    TempDir dir;
    const std::string file = dir.file("suppressions.json");
    {
        SuppressionFilter f(file);
        ASSERT_TRUE(f.load().is_ok());  // missing file: no rules, fine
        EXPECT_FALSE(f.version());
        ASSERT_TRUE(f.replace(rule_set(R"({"version":12,"rules":[{"id":5,"category":"X",
                                           "src":"10.0.0.0/8","port":22,"comment":"c"}]})"))
                        .is_ok());
    }
    EXPECT_EQ(platform::file_mode(file).value(), 0600u);
    const auto kept = nlohmann::json::parse(platform::read_file(file).value());
    EXPECT_EQ(kept["version"], 12);
    EXPECT_EQ(kept["rules"][0]["src"], "10.0.0.0/8");
    EXPECT_FALSE(kept["rules"][0].contains("comment"));  // the agent form only
    SuppressionFilter again(file);
    ASSERT_TRUE(again.load().is_ok());
    EXPECT_EQ(again.version(), 12);
    EXPECT_EQ(again.apply(make_alert("a", "X", "10.1.1.1:22"), kNow), 5);
    EXPECT_FALSE(again.apply(make_alert("b", "X", "10.1.1.1:23"), kNow));
}

TEST(SuppressionFilterTest, DamagedFileIsMovedAsideAndHoldsNoRules) {
    TempDir dir;
    const std::string file = dir.file("suppressions.json");
    for (const char* text : {"{not json", R"({"version":1,"rules":[{"id":1,"port":0}]})"}) {
        ASSERT_TRUE(platform::write_file_atomic(file, text).is_ok());
        SuppressionFilter f(file);
        const Status st = f.load();
        ASSERT_FALSE(st.is_ok());
        EXPECT_NE(st.message().find("damaged"), std::string::npos) << st.message();
        EXPECT_FALSE(f.version());
        EXPECT_FALSE(std::filesystem::exists(file));
        EXPECT_TRUE(std::filesystem::exists(file + ".bad"));
        EXPECT_FALSE(f.apply(make_alert("a", "X"), kNow));
    }
}

// --- heartbeat ---------------------------------------------------------------------------

TEST(HeartbeatTest, BodyCarriesCumulativeSuppressedCountsPerRule) {
    HeartbeatReport r;
    r.identity = {"0123456789abcdef", "host", "Linux", "0.1.0"};
    r.uptime_s = 42;
    r.agent.packets = 1000;
    r.agent.anomalies = {{"truncated", 2}};
    r.spool_depth = 3;
    r.suppressed = {{7, 1234}, {12, 1}};
    const auto j = nlohmann::json::parse(heartbeat_body(r));
    EXPECT_EQ(j["agent_id"], "0123456789abcdef");
    EXPECT_EQ(j["hostname"], "host");
    EXPECT_EQ(j["uptime_s"], 42);
    EXPECT_EQ(j["packets"], 1000);
    EXPECT_EQ(j["spool_depth"], 3);
    EXPECT_TRUE(j["vt_quota_left"].is_null());
    EXPECT_EQ(j["anomalies"]["truncated"], 2);
    EXPECT_EQ(j["suppressed"], nlohmann::json::parse(R"({"7":1234,"12":1})"));
    EXPECT_TRUE(j["startup_ms"].is_null());  // the capture has not started yet
    EXPECT_EQ(j["rss_bytes"], 0);

    r.suppressed.clear();
    r.agent.vt_quota_left = 400;
    r.agent.resident_bytes = 14'000'000;
    r.agent.peak_resident_bytes = 15'500'000;
    r.agent.state_bytes = 871'000;
    r.agent.state_cap_bytes = 110'100'000;
    r.agent.startup_us = 2'500;
    const auto empty = nlohmann::json::parse(heartbeat_body(r));
    EXPECT_TRUE(empty["suppressed"].is_object());
    EXPECT_TRUE(empty["suppressed"].empty());
    EXPECT_EQ(empty["vt_quota_left"], 400);
    EXPECT_EQ(empty["rss_bytes"], 14'000'000);
    EXPECT_EQ(empty["peak_rss_bytes"], 15'500'000);
    EXPECT_EQ(empty["state_bytes"], 871'000);
    EXPECT_EQ(empty["state_cap_bytes"], 110'100'000);
    EXPECT_DOUBLE_EQ(empty["startup_ms"].get<double>(), 2.5);
}

TEST(HeartbeatTest, SuppressionsVersionOfTheAnswer) {
    EXPECT_EQ(suppressions_version_of(R"({"ok":true,"suppressions_version":4})"), 4);
    EXPECT_EQ(suppressions_version_of(R"({"ok":true,"suppressions_version":0})"), 0);
    EXPECT_FALSE(suppressions_version_of(R"({"ok":true})"));  // the original server
    EXPECT_FALSE(suppressions_version_of(R"({"ok":true,"suppressions_version":"4"})"));
    EXPECT_FALSE(suppressions_version_of("<html>"));
    EXPECT_FALSE(suppressions_version_of(""));
}

// --- shipper against the stand-in with the rules route -----------------------------------

class StubServer {
  public:
    Status start(const std::string& pki, const std::string& out) {
        out_ = out;
        if (auto st = child_.start({SENTINEL_PYTHON, SENTINEL_STUB, SENTINEL_SUPPORT_DIR, "--cert",
                                    pki + "/server.crt", "--key", pki + "/server.key", "--out", out,
                                    "--api-key", "test-key"});
            !st) {
            return st;
        }
        auto line = child_.read_line(30);
        if (!line || line->rfind("port ", 0) != 0) {
            return Status::error("the stub server did not start");
        }
        port_ = std::stoi(line->substr(5));
        return Status::ok();
    }
    Status command(const std::string& line) {
        if (auto st = child_.write_line(line); !st) {
            return st;
        }
        auto answer = child_.read_line(30);
        return answer && answer->rfind("ok", 0) == 0 ? Status::ok()
                                                     : Status::error("no answer to " + line);
    }
    // What GET /api/agent/suppressions answers from now on (and the heartbeat's version).
    void serve_rules(const std::string& json) {
        ASSERT_TRUE(platform::write_file_atomic(out_ + "/rules.json", json, 0600, false).is_ok());
    }
    std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
    std::vector<nlohmann::json> alerts() const { return json_lines("alerts.jsonl"); }
    std::vector<nlohmann::json> heartbeats() const { return json_lines("heartbeats.jsonl"); }
    bool wait_for_alerts(size_t count, double timeout_s) const {
        return eventually([&] { return alerts().size() >= count; }, timeout_s);
    }
    size_t rule_fetches() const { return testing::read_lines(out_ + "/rule_fetches.log").size(); }

  private:
    std::vector<nlohmann::json> json_lines(const std::string& name) const {
        std::vector<nlohmann::json> out;
        for (const auto& line : testing::read_lines(out_ + "/" + name)) {
            out.push_back(nlohmann::json::parse(line, nullptr, false));
        }
        return out;
    }

    testing::ChildProcess child_;
    std::string out_;
    int port_ = 0;
};

class ShipperSuppressionTest : public ::testing::Test {
  protected:
    void SetUp() override {
        testing::clear_proxy_environment();
        ASSERT_TRUE(testing::make_test_pki(pki_.path()).is_ok());
        ASSERT_TRUE(server_.start(pki_.path(), out_.path()).is_ok());
    }

    ShipperOptions options() {
        auto o = testing::stand_in_options(server_.url(), pki_.file("ca.crt"), state_.path());
        o.heartbeat_interval = 0.1;
        o.suppression_start_wait = kWait;  // the first fetch always settles well before this
        return o;
    }

    std::unique_ptr<Shipper> make(const ShipperOptions& o) { return testing::make_shipper(o); }

    std::vector<std::string> stored_ids() { return testing::stored_ids(server_); }

    // True once some heartbeat reported exactly `suppressed`.
    bool heartbeat_reported(const std::string& suppressed) {
        const auto want = nlohmann::json::parse(suppressed);
        for (const auto& hb : server_.heartbeats()) {
            if (hb.is_object() && hb.value("suppressed", nlohmann::json()) == want) {
                return true;
            }
        }
        return false;
    }

    std::string kept_file() const { return state_.file("spool/suppressions.json"); }

    TempDir pki_, out_, state_;
    StubServer server_;
};

TEST_F(ShipperSuppressionTest, HttpClientGetsTheRules) {
    server_.serve_rules(R"({"version":2,"rules":[{"id":1,"category":"X"}]})");
    HttpOptions http;
    http.base_url = server_.url();
    http.ca_cert = pki_.file("ca.crt");
    http.headers = {"X-API-Key: test-key"};
    auto client = HttpClient::create(http);
    ASSERT_TRUE(client.is_ok()) << client.error();
    const HttpResult r = (*client)->get_json("/api/agent/suppressions", 5000);
    ASSERT_TRUE(r.answered()) << r.error;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(nlohmann::json::parse(r.body)["version"], 2);
    // The same client still POSTs after a GET (the handle is reused).
    const HttpResult hb = (*client)->post_json("/api/agent/heartbeat", R"({"agent_id":"x"})", 5000);
    EXPECT_EQ(hb.status, 200);
    EXPECT_EQ(suppressions_version_of(hb.body), 2);
    EXPECT_EQ((*client)->get_json("/api/nothing", 5000).status, 404);
    EXPECT_EQ(server_.rule_fetches(), 1u);
}

TEST_F(ShipperSuppressionTest, RulesFetchedAtStartDropMatchingAlertsBeforeTheSpool) {
    server_.serve_rules(R"({"version":1,"rules":[{"id":7,"category":"PORT SCAN"},
                           {"id":9,"src":"192.168.0.0/16","expires_at":null}]})");
    auto o = options();
    // What the agent prints (and writes to the Event Log): only the alerts no rule suppressed.
    std::mutex kept_mu;
    std::vector<std::string> kept_ids;
    o.on_kept = [&](const schema::Alert& a) {
        std::lock_guard lock(kept_mu);
        kept_ids.push_back(a.id);
    };
    auto shipper = make(o);
    ASSERT_TRUE(shipper->start().is_ok());
    // Submitted at once: the writer holds them until the first fetch settled.
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(shipper->submit(make_alert("scan" + std::to_string(i), "PORT SCAN")));
    }
    ASSERT_TRUE(shipper->submit(make_alert("lan", "SYN FLOOD", "192.168.3.4")));
    ASSERT_TRUE(shipper->submit(make_alert("keep1", "SYN FLOOD")));
    ASSERT_TRUE(shipper->submit(make_alert("keep2", "DNS TUNNEL")));
    ASSERT_TRUE(server_.wait_for_alerts(2, kWait));
    ASSERT_TRUE(eventually([&] { return heartbeat_reported(R"({"7":5,"9":1})"); }, kWait));
    shipper->stop(5);
    EXPECT_EQ(stored_ids(), (std::vector<std::string>{"keep1", "keep2"}));
    EXPECT_EQ(kept_ids, (std::vector<std::string>{"keep1", "keep2"}));
    const auto c = shipper->counters();
    EXPECT_EQ(c.suppressed, 6u);
    EXPECT_EQ(c.suppressed_by_rule, (std::map<int64_t, uint64_t>{{7, 5}, {9, 1}}));
    EXPECT_EQ(c.delivered, 2u);
    EXPECT_EQ(c.spool_depth, 0u);
    EXPECT_EQ(c.suppression_rules, 2u);
    EXPECT_EQ(c.suppressions_version, 1);
    // The set is kept for the next start.
    SuppressionFilter kept(kept_file());
    ASSERT_TRUE(kept.load().is_ok());
    EXPECT_EQ(kept.version(), 1);
    EXPECT_EQ(kept.rules()->rules.size(), 2u);
}

TEST_F(ShipperSuppressionTest, StopReportsCountsNoHeartbeatCarriedYet) {
    server_.serve_rules(R"({"version":1,"rules":[{"id":7,"category":"PORT SCAN"}]})");
    auto o = options();
    o.heartbeat_interval = 3600;  // one heartbeat at start, then none until the stop
    auto shipper = make(o);
    ASSERT_TRUE(shipper->start().is_ok());
    ASSERT_TRUE(eventually([&] { return server_.heartbeats().size() == 1; }, kWait));
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(shipper->submit(make_alert("s" + std::to_string(i), "PORT SCAN")));
    }
    ASSERT_TRUE(eventually([&] { return shipper->counters().suppressed == 3; }, kWait));
    shipper->stop(5);
    const auto hbs = server_.heartbeats();
    ASSERT_EQ(hbs.size(), 2u);
    EXPECT_EQ(hbs[0]["suppressed"], nlohmann::json::object());
    EXPECT_EQ(hbs[1]["suppressed"], nlohmann::json::parse(R"({"7":3})"));
    EXPECT_TRUE(server_.alerts().empty());
}

// A replay hands over all its alerts and calls stop() within milliseconds, typically before the
// first rule fetch has answered: the rules must still apply to them.
TEST_F(ShipperSuppressionTest, StopRightAfterStartStillAppliesTheServersRules) {
    server_.serve_rules(R"({"version":1,"rules":[{"id":7,"category":"PORT SCAN"}]})");
    auto shipper = make(options());
    ASSERT_TRUE(shipper->start().is_ok());
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(shipper->submit(make_alert("s" + std::to_string(i), "PORT SCAN")));
    }
    ASSERT_TRUE(shipper->submit(make_alert("f1", "SYN FLOOD")));
    shipper->stop(kWait);
    EXPECT_EQ(shipper->counters().suppressed, 3u);
    EXPECT_EQ(stored_ids(), (std::vector<std::string>{"f1"}));
    ASSERT_FALSE(server_.heartbeats().empty());
    EXPECT_EQ(server_.heartbeats().back()["suppressed"], nlohmann::json::parse(R"({"7":3})"));
}

TEST_F(ShipperSuppressionTest, ANewVersionInTheHeartbeatFetchesTheRulesAgain) {
    server_.serve_rules(R"({"version":1,"rules":[{"id":7,"category":"PORT SCAN"}]})");
    auto shipper = make(options());
    ASSERT_TRUE(shipper->start().is_ok());
    ASSERT_TRUE(shipper->submit(make_alert("s1", "PORT SCAN")));
    ASSERT_TRUE(shipper->submit(make_alert("f1", "SYN FLOOD")));
    ASSERT_TRUE(server_.wait_for_alerts(1, kWait));
    EXPECT_EQ(shipper->counters().suppressed, 1u);

    // The rule on PORT SCAN is deleted, one on SYN FLOOD added.
    server_.serve_rules(R"({"version":2,"rules":[{"id":8,"category":"SYN FLOOD"}]})");
    ASSERT_TRUE(eventually([&] { return shipper->counters().suppressions_version == 2; }, kWait));
    ASSERT_TRUE(shipper->submit(make_alert("s2", "PORT SCAN")));
    ASSERT_TRUE(shipper->submit(make_alert("f2", "SYN FLOOD")));
    ASSERT_TRUE(server_.wait_for_alerts(2, kWait));
    ASSERT_TRUE(eventually([&] { return heartbeat_reported(R"({"7":1,"8":1})"); }, kWait));
    shipper->stop(5);
    EXPECT_EQ(stored_ids(), (std::vector<std::string>{"f1", "s2"}));
    EXPECT_EQ(shipper->counters().suppressed_by_rule,
              (std::map<int64_t, uint64_t>{{7, 1}, {8, 1}}));
    // Once at start, once for version 2; the heartbeats in between repeat the held version.
    EXPECT_EQ(server_.rule_fetches(), 2u);
    EXPECT_GE(server_.heartbeats().size(), 3u);
}

TEST_F(ShipperSuppressionTest, AnOriginalServerWithoutTheRouteIsTolerated) {
    auto shipper = make(options());  // the stand-in serves no rules: 404, no version
    ASSERT_TRUE(shipper->start().is_ok());
    ASSERT_TRUE(shipper->submit(make_alert("s1", "PORT SCAN")));
    ASSERT_TRUE(server_.wait_for_alerts(1, kWait));
    ASSERT_TRUE(eventually([&] { return server_.heartbeats().size() >= 4; }, kWait));
    shipper->stop(5);
    const auto c = shipper->counters();
    EXPECT_EQ(c.suppressed, 0u);
    EXPECT_EQ(c.suppressions_version, -1);
    EXPECT_EQ(server_.rule_fetches(), 1u);  // asked once, not on every heartbeat
    EXPECT_TRUE(heartbeat_reported("{}"));
    EXPECT_FALSE(std::filesystem::exists(kept_file()));
}

TEST_F(ShipperSuppressionTest, KeptRulesApplyBeforeTheServerIsReachable) {
    ASSERT_TRUE(platform::create_directories(state_.file("spool")).is_ok());
    ASSERT_TRUE(platform::write_file_atomic(
                    kept_file(), R"({"version":3,"rules":[{"id":4,"category":"PORT SCAN"}]})")
                    .is_ok());
    ASSERT_TRUE(server_.command("down").is_ok());
    auto shipper = make(options());
    EXPECT_EQ(shipper->counters().suppressions_version, 3);
    ASSERT_TRUE(shipper->start().is_ok());
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(shipper->submit(make_alert("s" + std::to_string(i), "PORT SCAN")));
    }
    ASSERT_TRUE(shipper->submit(make_alert("f1", "SYN FLOOD")));
    ASSERT_TRUE(shipper->submit(make_alert("f2", "SYN FLOOD")));
    // Only the two that no rule matches reach the spool, while the server is down.
    ASSERT_TRUE(eventually(
        [&] {
            const auto c = shipper->counters();
            return c.suppressed == 3 && c.spool_depth == 2;
        },
        kWait));
    // Back up, as an original server (no rules route): the kept rules keep applying.
    ASSERT_TRUE(server_.command("up").is_ok());
    ASSERT_TRUE(server_.wait_for_alerts(2, kWait));
    ASSERT_TRUE(shipper->submit(make_alert("s3", "PORT SCAN")));
    ASSERT_TRUE(eventually([&] { return shipper->counters().suppressed == 4; }, kWait));
    ASSERT_TRUE(eventually([&] { return heartbeat_reported(R"({"4":4})"); }, kWait));
    shipper->stop(5);
    EXPECT_EQ(stored_ids(), (std::vector<std::string>{"f1", "f2"}));
    EXPECT_EQ(shipper->counters().suppressions_version, 3);
}

}  // namespace
}  // namespace sentinel::transport
