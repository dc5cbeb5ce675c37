// Outputs against real receivers: rsyslogd from Debian (plain TCP and TLS), a Python HTTPS
// webhook receiver that is stopped and restarted mid-stream, and the EVE file across a rotation.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "outputs/eve_file.h"
#include "outputs/output.h"
#include "outputs/outputs.h"
#include "outputs/receivers.h"
#include "outputs/syslog.h"
#include "outputs/webhook.h"
#include "support/test_support.h"

namespace sentinel::outputs {
namespace {

using nlohmann::json;
using sentinel::outputs::testing::free_port;
using sentinel::outputs::testing::Rsyslog;
using sentinel::outputs::testing::WebhookReceiver;
using sentinel::testing::eventually;
using sentinel::testing::read_lines;
using sentinel::testing::TempDir;

WorkerOptions fast(size_t queue_max = 10'000) {
    WorkerOptions o;
    o.queue_max = queue_max;
    o.backoff_initial_s = 0.02;
    o.backoff_max_s = 0.2;
    return o;
}

std::vector<schema::Alert> make_alerts(int from, int to) {
    std::vector<schema::Alert> v;
    for (int i = from; i < to; ++i) {
        schema::Alert a;
        a.id = "alert-" + std::to_string(i);
        a.ts = Timestamp::from_micros(1767323045 + i, 250000);
        a.level = i % 2 == 0 ? schema::Severity::kHigh : schema::Severity::kMedium;
        a.category = "PORT SCAN";
        a.message = "Port scan from 128.232.110.120 \"quoted\" [x]";
        a.src = "128.232.110.120";
        a.agent_id = "agent-7";
        a.hostname = "sensor-7";
        a.flow = schema::Flow{"128.232.110.120", "66.35.250.204", 34855, 80, 6};
        v.push_back(a);
    }
    return v;
}

std::vector<std::string> split(const std::string& s, char sep, size_t parts) {
    std::vector<std::string> out;
    size_t start = 0;
    while (out.size() + 1 < parts) {
        const auto p = s.find(sep, start);
        if (p == std::string::npos) {
            break;
        }
        out.push_back(s.substr(start, p - start));
        start = p + 1;
    }
    out.push_back(s.substr(start));
    return out;
}

const std::regex kRfc5424Line(
    R"(^<\d{1,3}>1 \S+ [!-~]{1,255} [!-~]{1,48} [!-~]{1,128} [!-~]{1,32} (-|(?:\[(?:[^\]\\]|\\.)*\])+) \{.*\}$)");

void expect_received(const Rsyslog& r, int count) {
    ASSERT_TRUE(eventually([&] { return static_cast<int>(r.field_lines().size()) >= count; }, 30))
        << "rsyslog received " << r.field_lines().size();
    const auto fields = r.field_lines();
    const auto lines = r.rfc5424_lines();
    ASSERT_EQ(static_cast<int>(fields.size()), count);
    ASSERT_EQ(static_cast<int>(lines.size()), count);
    for (int i = 0; i < count; ++i) {
        EXPECT_TRUE(std::regex_match(lines[i], kRfc5424Line)) << lines[i];
        const auto f = split(fields[i], '|', 8);
        ASSERT_EQ(f.size(), 8u) << fields[i];
        EXPECT_EQ(f[0], "1") << "parsed as RFC 5424";
        EXPECT_EQ(f[1], i % 2 == 0 ? "131" : "132");  // local0 + err (HIGH) / warning (MEDIUM)
        EXPECT_EQ(f[2], "sensor-7");
        EXPECT_EQ(f[3], "netsentinel");
        EXPECT_EQ(f[5], "PORT_SCAN");
        EXPECT_NE(f[6].find("id=\"alert-" + std::to_string(i) + "\""), std::string::npos) << f[6];
        EXPECT_NE(f[6].find("community_id=\"1:LQU9qZlK+B5F3KDmev6m5PMibrg=\""), std::string::npos);
        const json eve = json::parse(f[7]);
        EXPECT_EQ(eve["netsentinel"]["id"], "alert-" + std::to_string(i));
        EXPECT_EQ(eve["alert"]["signature"], "Port scan from 128.232.110.120 \"quoted\" [x]");
        EXPECT_EQ(eve["community_id"], "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    }
}

TEST(SyslogReceiverTest, RsyslogOverTcpParsesEveryMessage) {
    TempDir dir;
    Rsyslog rsyslog;
    ASSERT_TRUE(rsyslog.start(dir.path(), false).is_ok());
    SyslogOptions so;
    so.host = "127.0.0.1";
    so.port = rsyslog.port();
    Output out(make_syslog_sink(so), fast());
    out.start();
    out.submit(make_alerts(0, 15));
    out.submit(make_alerts(15, 40));
    ASSERT_TRUE(eventually([&] { return out.stats().sent == 40; }, 30));
    expect_received(rsyslog, 40);
    EXPECT_TRUE(out.stats().connected);
}

TEST(SyslogReceiverTest, RsyslogOverTlsWithTheRightCa) {
    TempDir dir;
    ASSERT_TRUE(sentinel::testing::make_test_pki(dir.path()).is_ok());
    Rsyslog rsyslog;
    ASSERT_TRUE(rsyslog.start(dir.path(), true, dir.path()).is_ok());
    SyslogOptions so;
    so.host = "127.0.0.1";
    so.port = rsyslog.port();
    so.tls = true;
    so.ca_file = dir.file("ca.crt");
    Output out(make_syslog_sink(so), fast());
    out.start();
    out.submit(make_alerts(0, 20));
    ASSERT_TRUE(eventually([&] { return out.stats().sent == 20; }, 30));
    expect_received(rsyslog, 20);
}

TEST(SyslogReceiverTest, TlsWithAnotherCaDeliversNothing) {
    TempDir dir;
    ASSERT_TRUE(sentinel::testing::make_test_pki(dir.path()).is_ok());
    Rsyslog rsyslog;
    ASSERT_TRUE(rsyslog.start(dir.path(), true, dir.path()).is_ok());
    SyslogOptions so;
    so.host = "127.0.0.1";
    so.port = rsyslog.port();
    so.tls = true;
    so.ca_file = dir.file("other_ca.crt");
    auto sink = make_syslog_sink(so);
    auto err = sink->deliver({octet_frame(format_rfc5424(make_alerts(0, 1)[0], 16, "ns"))});
    ASSERT_TRUE(err.has_value());
    EXPECT_NE(err->message.find("certificate"), std::string::npos) << err->message;
    EXPECT_TRUE(rsyslog.field_lines().empty());
}

TEST(SyslogReceiverTest, ReconnectsAfterTheReceiverRestarts) {
    TempDir dir;
    auto rsyslog = std::make_unique<Rsyslog>();
    ASSERT_TRUE(rsyslog->start(dir.path(), false).is_ok());
    const uint16_t port = rsyslog->port();
    SyslogOptions so;
    so.host = "127.0.0.1";
    so.port = port;
    Output out(make_syslog_sink(so), fast());
    out.start();
    out.submit(make_alerts(0, 10));
    ASSERT_TRUE(eventually([&] { return out.stats().sent == 10; }, 30));
    ASSERT_TRUE(eventually([&] { return rsyslog->field_lines().size() == 10; }, 30));
    rsyslog->stop();
    out.submit(make_alerts(10, 20));
    ASSERT_TRUE(eventually([&] { return out.stats().retries > 0; }, 30));
    EXPECT_FALSE(out.stats().connected);
    EXPECT_EQ(out.stats().sent, 10u);
    // Same folder and port: the new instance appends to the same files.
    Rsyslog second;
    ASSERT_TRUE(second.start(dir.path(), false, "", port).is_ok());
    ASSERT_TRUE(eventually([&] { return out.stats().sent == 20; }, 30));
    EXPECT_TRUE(out.stats().connected);
    ASSERT_TRUE(eventually([&] { return second.field_lines().size() == 20; }, 30));
    const auto fields = second.field_lines();
    for (size_t i = 0; i < fields.size(); ++i) {
        EXPECT_NE(fields[i].find("id=\"alert-" + std::to_string(i) + "\""), std::string::npos)
            << fields[i];
    }
    EXPECT_EQ(out.stats().dropped, 0u);
}

std::vector<std::string> alert_ids(int from, int to) {
    std::vector<std::string> v;
    for (int i = from; i < to; ++i) {
        v.push_back("alert-" + std::to_string(i));
    }
    return v;
}

TEST(WebhookReceiverTest, SignedBatchesArriveWithEveryField) {
    TempDir dir;
    ASSERT_TRUE(sentinel::testing::make_test_pki(dir.path()).is_ok());
    WebhookReceiver rx;
    ASSERT_TRUE(rx.start(dir.path(), 0, "hook-secret").is_ok());
    WebhookOptions wo;
    wo.url = "https://127.0.0.1:" + std::to_string(rx.port()) + "/hook?token=abc";
    wo.ca_file = dir.file("ca.crt");
    wo.secret = "hook-secret";
    auto sink = make_webhook_sink(wo);
    EXPECT_EQ(sink->target(), "https://127.0.0.1:" + std::to_string(rx.port()) + "/****");
    WorkerOptions o = fast();
    o.batch_max = 3;
    Output out(std::move(sink), o);
    out.start();
    out.submit(make_alerts(0, 7));
    ASSERT_TRUE(eventually([&] { return out.stats().sent == 7; }, 30));
    const auto reqs = rx.requests();
    ASSERT_GE(reqs.size(), 3u);  // batches of at most 3
    for (const auto& r : reqs) {
        EXPECT_TRUE(r["valid"].get<bool>()) << r.dump();
        EXPECT_EQ(r["path"], "/hook?token=abc");
        EXPECT_EQ(r["content_type"], "application/json");
        EXPECT_LE(r["body"]["alerts"].size(), 3u);
        EXPECT_EQ(r["body"]["count"], r["body"]["alerts"].size());
    }
    EXPECT_EQ(rx.ids(), alert_ids(0, 7));
    const json& a = reqs[0]["body"]["alerts"][0];
    EXPECT_EQ(a["level"], "HIGH");
    EXPECT_EQ(a["category"], "PORT SCAN");
    EXPECT_EQ(a["agent_id"], "agent-7");
    EXPECT_EQ(a["hostname"], "sensor-7");
    EXPECT_EQ(a["flow"]["src_port"], 34855);
    EXPECT_EQ(a["community_id"], "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
}

TEST(WebhookReceiverTest, WrongCaIsNeverTrusted) {
    TempDir dir;
    ASSERT_TRUE(sentinel::testing::make_test_pki(dir.path()).is_ok());
    WebhookReceiver rx;
    ASSERT_TRUE(rx.start(dir.path(), 0, "").is_ok());
    WebhookOptions wo;
    wo.url = "https://127.0.0.1:" + std::to_string(rx.port()) + "/";
    wo.ca_file = dir.file("other_ca.crt");
    auto sink = make_webhook_sink(wo);
    auto err = sink->deliver({webhook_alert_json(make_alerts(0, 1)[0])});
    ASSERT_TRUE(err.has_value());
    EXPECT_EQ(err->kind, Failure::kTransient);
    EXPECT_TRUE(rx.requests().empty());
}

TEST(WebhookReceiverTest, RefusedBatchesAreDroppedAfterTheRetryLimit) {
    TempDir dir;
    ASSERT_TRUE(sentinel::testing::make_test_pki(dir.path()).is_ok());
    WebhookReceiver rx;
    ASSERT_TRUE(rx.start(dir.path(), 0, "", 422).is_ok());
    WebhookOptions wo;
    wo.url = "https://127.0.0.1:" + std::to_string(rx.port()) + "/";
    wo.ca_file = dir.file("ca.crt");
    WorkerOptions o = fast();
    o.max_rejected_retries = 1;
    Output out(make_webhook_sink(wo), o);
    out.start();
    out.submit(make_alerts(0, 2));
    ASSERT_TRUE(eventually([&] { return out.stats().dropped == 2; }, 30));
    EXPECT_EQ(rx.requests().size(), 2u);  // the first attempt and one retry
    EXPECT_EQ(out.stats().sent, 0u);
}

TEST(WebhookReceiverTest, ReceiverRestartMidStreamLosesNothingAndKeepsOrder) {
    TempDir dir;
    ASSERT_TRUE(sentinel::testing::make_test_pki(dir.path()).is_ok());
    auto rx = std::make_unique<WebhookReceiver>();
    ASSERT_TRUE(rx->start(dir.path(), 0, "s").is_ok());
    const uint16_t port = rx->port();
    WebhookOptions wo;
    wo.url = "https://127.0.0.1:" + std::to_string(port) + "/hook";
    wo.ca_file = dir.file("ca.crt");
    wo.secret = "s";
    wo.timeout_s = 5;
    WorkerOptions o = fast(/*queue_max=*/1000);
    o.batch_max = 5;
    Output out(make_webhook_sink(wo), o);
    out.start();
    out.submit(make_alerts(0, 20));
    ASSERT_TRUE(eventually([&] { return out.stats().sent == 20; }, 30));
    rx->stop();
    out.submit(make_alerts(20, 50));  // arrives while the receiver is down
    ASSERT_TRUE(eventually([&] { return out.stats().retries >= 2; }, 30));
    EXPECT_FALSE(out.stats().connected);
    EXPECT_EQ(out.stats().queue_depth, 30u);
    WebhookReceiver again;
    ASSERT_TRUE(again.start(dir.path(), port, "s").is_ok());
    out.submit(make_alerts(50, 60));
    ASSERT_TRUE(eventually([&] { return out.stats().sent == 60; }, 30));
    EXPECT_TRUE(out.stats().connected);
    EXPECT_EQ(out.stats().dropped, 0u);
    EXPECT_EQ(again.ids(), alert_ids(0, 60));  // same log file: every alert once, in order
    for (const auto& r : again.requests()) {
        EXPECT_TRUE(r["valid"].get<bool>());
    }
}

TEST(WebhookReceiverTest, OverflowWhileDownDropsTheOldestAndCountsThem) {
    TempDir dir;
    ASSERT_TRUE(sentinel::testing::make_test_pki(dir.path()).is_ok());
    const uint16_t port = free_port();  // nothing listens yet
    WebhookOptions wo;
    wo.url = "https://127.0.0.1:" + std::to_string(port) + "/hook";
    wo.ca_file = dir.file("ca.crt");
    WorkerOptions o = fast(/*queue_max=*/10);
    o.batch_max = 5;
    Output out(make_webhook_sink(wo), o);
    out.start();
    out.submit(make_alerts(0, 5));
    ASSERT_TRUE(eventually([&] { return out.stats().retries >= 1; }, 30));
    out.submit(make_alerts(5, 40));  // 35 more into room for 10
    EXPECT_EQ(out.stats().dropped, 25u);
    WebhookReceiver rx;
    ASSERT_TRUE(rx.start(dir.path(), port, "").is_ok());
    ASSERT_TRUE(eventually([&] { return out.stats().sent == 15; }, 30));
    auto expected = alert_ids(0, 5);
    const auto newest = alert_ids(30, 40);
    expected.insert(expected.end(), newest.begin(), newest.end());
    EXPECT_EQ(rx.ids(), expected);
    EXPECT_EQ(out.stats().dropped, 25u);
    EXPECT_EQ(out.stats().queue_depth, 0u);
}

TEST(EveFileTest, LinesAreAppendedAndARotatedFileIsReopened) {
    TempDir dir;
    const std::string path = dir.file("eve.json");
    {
        std::ofstream existing(path);
        existing << "{\"earlier\":true}\n";
    }
    Output out(make_eve_file_sink(path), fast());
    out.start();
    out.submit(make_alerts(0, 5));
    ASSERT_TRUE(eventually([&] { return out.stats().sent == 5; }, 30));
    auto lines = read_lines(path);
    ASSERT_EQ(lines.size(), 6u);
    EXPECT_EQ(lines[0], "{\"earlier\":true}");
    for (int i = 0; i < 5; ++i) {
        const json j = json::parse(lines[static_cast<size_t>(i) + 1]);
        EXPECT_EQ(j["event_type"], "alert");
        EXPECT_EQ(j["netsentinel"]["id"], "alert-" + std::to_string(i));
        EXPECT_EQ(j["community_id"], "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
        EXPECT_EQ(j["src_ip"], "128.232.110.120");
        EXPECT_EQ(j["dest_port"], 80);
    }
    std::filesystem::rename(path, path + ".1");  // logrotate's default (create mode)
    out.submit(make_alerts(5, 8));
    ASSERT_TRUE(eventually([&] { return out.stats().sent == 8; }, 30));
    EXPECT_EQ(read_lines(path + ".1").size(), 6u);
    lines = read_lines(path);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(json::parse(lines[0])["netsentinel"]["id"], "alert-5");
    EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::others_all,
              std::filesystem::perms::none);
}

}  // namespace
}  // namespace sentinel::outputs
