// End to end: a real sentinel server (tests/server/fixture) configured with all three outputs;
// alerts posted by an agent reach the EVE file, rsyslogd over TLS and the HTTPS webhook, once
// each, and /metrics counts them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "outputs/receivers.h"
#include "server/fixture.h"
#include "server/live.h"
#include "support/test_support.h"

namespace sentinel::server::testing {
namespace {

using nlohmann::json;
using sentinel::outputs::testing::Rsyslog;
using sentinel::outputs::testing::WebhookReceiver;
using sentinel::testing::eventually;
using sentinel::testing::read_lines;
using sentinel::testing::TempDir;

std::string batch(int from, int to) {
    json alerts = json::array();
    for (int i = from; i < to; ++i) {
        alerts.push_back({{"id", "e2e-" + std::to_string(i)},
                          {"ts", "2026-01-02T03:04:05.123456+00:00"},
                          {"level", i % 3 == 0 ? "CRITICAL" : "MEDIUM"},
                          {"category", "PORT SCAN"},
                          {"message", "Port scan from 10.0.0.5"},
                          {"src", "10.0.0.5"},
                          {"agent_id", "agent-e2e"},
                          {"hostname", "host-e2e"},
                          {"flow",
                           {{"src_ip", "128.232.110.120"},
                            {"src_port", 34855},
                            {"dest_ip", "66.35.250.204"},
                            {"dest_port", 80},
                            {"proto", 6}}}});
    }
    return json{{"alerts", alerts}}.dump();
}

class ServerOutputsTest : public ServerFixture {};

TEST_F(ServerOutputsTest, StoredAlertsReachEveSyslogAndWebhookOnce) {
    TempDir rx_dir;
    ASSERT_TRUE(sentinel::testing::make_test_pki(rx_dir.path()).is_ok());
    Rsyslog rsyslog;
    ASSERT_TRUE(rsyslog.start(rx_dir.path(), true, rx_dir.path()).is_ok());
    WebhookReceiver webhook;
    ASSERT_TRUE(webhook.start(rx_dir.path(), 0, "e2e-secret").is_ok());

    const std::string eve_path = dir_ + "/eve.json";
    config_.outputs.eve_log_path = eve_path;
    config_.outputs.syslog_host = "127.0.0.1";
    config_.outputs.syslog_port = rsyslog.port();
    config_.outputs.syslog_transport = "tls";
    config_.outputs.syslog_ca_file = rx_dir.file("ca.crt");
    config_.outputs.webhook_url = "https://127.0.0.1:" + std::to_string(webhook.port()) + "/in";
    config_.outputs.webhook_ca_file = rx_dir.file("ca.crt");
    config_.outputs.webhook_secret = "e2e-secret";
    start_server();

    auto r = post_agent("/api/alerts", batch(0, 12));
    ASSERT_EQ(r.status, 201) << r.body;
    r = post_agent("/api/alert", json::parse(batch(12, 13))["alerts"][0].dump());
    ASSERT_EQ(r.status, 201) << r.body;
    // A retried batch: duplicates are stored once, so they reach no output again.
    r = post_agent("/api/alerts", batch(5, 15));
    ASSERT_EQ(r.status, 201) << r.body;
    const size_t kTotal = 15;

    std::vector<std::string> expected;
    for (size_t i = 0; i < kTotal; ++i) {
        expected.push_back("e2e-" + std::to_string(i));
    }
    ASSERT_TRUE(eventually([&] { return read_lines(eve_path).size() >= kTotal; }, 30));
    ASSERT_TRUE(eventually([&] { return rsyslog.field_lines().size() >= kTotal; }, 30));
    ASSERT_TRUE(eventually([&] { return webhook.ids().size() >= kTotal; }, 30));

    std::vector<std::string> eve_ids;
    for (const auto& line : read_lines(eve_path)) {
        const json j = json::parse(line);
        eve_ids.push_back(j["netsentinel"]["id"]);
        EXPECT_EQ(j["community_id"], "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
        EXPECT_EQ(j["host"], "host-e2e");
        EXPECT_TRUE(j["netsentinel"].contains("received_at"));
    }
    EXPECT_EQ(eve_ids, expected);
    EXPECT_EQ(webhook.ids(), expected);
    for (const auto& req : webhook.requests()) {
        EXPECT_TRUE(req["valid"].get<bool>());
    }
    const auto fields = rsyslog.field_lines();
    ASSERT_EQ(fields.size(), kTotal);
    for (size_t i = 0; i < kTotal; ++i) {
        EXPECT_EQ(fields[i].rfind("1|", 0), 0u) << fields[i];
        EXPECT_NE(fields[i].find("id=\"" + expected[i] + "\""), std::string::npos) << fields[i];
        EXPECT_NE(fields[i].find("|host-e2e|netsentinel|"), std::string::npos) << fields[i];
    }

    login();
    auto metrics = [&] { return gui("GET", "/metrics", "", {"Cookie: ns_session=" + cookie_}); };
    // The counters move just after the receiver has the alerts.
    ASSERT_TRUE(eventually(
        [&] {
            return metrics().body.find("netsentinel_output_sent_total{output=\"webhook\"} 15\n") !=
                   std::string::npos;
        },
        30));
    const auto m = metrics();
    ASSERT_EQ(m.status, 200);
    for (const char* name : {"eve", "syslog", "webhook"}) {
        const std::string out = std::string("{output=\"") + name + "\"}";
        EXPECT_NE(m.body.find("netsentinel_output_sent_total" + out + " 15\n"), std::string::npos)
            << name << "\n"
            << m.body;
        EXPECT_NE(m.body.find("netsentinel_output_dropped_total" + out + " 0"), std::string::npos);
        EXPECT_NE(m.body.find("netsentinel_output_queue_depth" + out + " 0"), std::string::npos);
        EXPECT_NE(m.body.find("netsentinel_output_connected" + out + " 1"), std::string::npos);
    }
}

TEST_F(ServerOutputsTest, AlertsAcceptedWhileTheWebhookIsDownArriveAfterItReturns) {
    TempDir rx_dir;
    ASSERT_TRUE(sentinel::testing::make_test_pki(rx_dir.path()).is_ok());
    const uint16_t port = sentinel::outputs::testing::free_port();
    config_.outputs.webhook_url = "https://127.0.0.1:" + std::to_string(port) + "/in";
    config_.outputs.webhook_ca_file = rx_dir.file("ca.crt");
    start_server();
    // Ingest does not wait for the receiver: 201 at once, the alerts wait in the queue.
    ASSERT_EQ(post_agent("/api/alerts", batch(0, 4)).status, 201);
    login();
    auto metric = [&](const std::string& series) {
        const auto body = gui("GET", "/metrics", "", {"Cookie: ns_session=" + cookie_}).body;
        return body.find(series) != std::string::npos;
    };
    ASSERT_TRUE(eventually(
        [&] { return metric("netsentinel_output_connected{output=\"webhook\"} 0"); }, 30));
    EXPECT_TRUE(metric("netsentinel_output_queue_depth{output=\"webhook\"} 4"));
    WebhookReceiver webhook;
    ASSERT_TRUE(webhook.start(rx_dir.path(), port, "").is_ok());
    // Backoff may be up to 30 s after several failures; one doubling from 0.5 s is typical here.
    ASSERT_TRUE(eventually([&] { return webhook.ids().size() >= 4; }, 60));
    EXPECT_EQ(webhook.ids(), (std::vector<std::string>{"e2e-0", "e2e-1", "e2e-2", "e2e-3"}));
}

// The hook forwards what this server committed; alerts another server stored in a shared
// database (remote) are that server's to forward, and an empty commit forwards nothing.
TEST(LiveCommitListenerTest, OnlyLocalCommitsReachTheOutputs) {
    Metrics metrics;
    LiveState live(LiveOptions{}, metrics);
    std::vector<std::string> forwarded;
    int calls = 0;
    live.set_commit_listener([&](const std::vector<schema::Alert>& fresh) {
        ++calls;
        for (const auto& a : fresh) {
            forwarded.push_back(a.id);
        }
    });
    schema::Alert a;
    a.id = "local-1";
    a.agent_id = "agent";
    schema::Alert b = a;
    b.id = "local-2";
    live.alerts_committed("agent", {a, b});
    schema::Alert r = a;
    r.id = "remote-1";
    live.alerts_committed("agent", {r}, /*remote=*/true);
    live.alerts_committed("agent", {});
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(forwarded, (std::vector<std::string>{"local-1", "local-2"}));
}

TEST_F(ServerOutputsTest, BadOutputConfigStopsTheServerWithTheKeyName) {
    config_.outputs.syslog_host = "127.0.0.1";
    config_.outputs.syslog_transport = "tls";
    config_.outputs.syslog_ca_file = dir_ + "/missing-ca.crt";
    ServerApp app(config_);
    const auto st = app.start();
    ASSERT_FALSE(st.is_ok());
    EXPECT_NE(st.message().find("syslog_ca_file"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace sentinel::server::testing
