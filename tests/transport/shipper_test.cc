#include "transport/shipper.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "shipper_options.h"
#include "support/test_support.h"

namespace sentinel::transport {
namespace {

using testing::eventually;
using testing::TempDir;

constexpr double kWait = 60;  // generous: only a failure ever waits this long

using testing::clear_proxy_environment;

class ShipperTest : public ::testing::Test {
  protected:
    void SetUp() override {
        clear_proxy_environment();
        ASSERT_TRUE(testing::make_test_pki(pki_.path()).is_ok());
        ASSERT_TRUE(server_.start(pki_.path(), out_.path()).is_ok());
    }

    ShipperOptions options() {
        return testing::stand_in_options(server_.url(), pki_.file("ca.crt"), state_.path());
    }

    static schema::Alert alert(int i) {
        schema::Alert a;
        char id[16];
        std::snprintf(id, sizeof(id), "t%04d", i);
        a.id = id;
        a.ts = Timestamp::from_seconds(1'700'000'000 + i);
        a.level = schema::Severity::kHigh;
        a.category = "PORT SCAN";
        a.message = "alert number " + std::to_string(i);
        a.src = "10.0.0.1";
        return a;
    }

    std::unique_ptr<Shipper> make(const ShipperOptions& o) { return testing::make_shipper(o); }

    std::vector<std::string> stored_ids() { return testing::stored_ids(server_); }

    static std::vector<std::string> expected_ids(int from, int to) {
        std::vector<std::string> ids;
        for (int i = from; i < to; ++i) {
            ids.push_back(alert(i).id);
        }
        return ids;
    }

    void command(const std::string& line) { ASSERT_TRUE(server_.command(line).is_ok()) << line; }

    TempDir pki_, out_, state_;
    testing::StandInServer server_;
};

TEST_F(ShipperTest, OutageThenRecoveryDeliversEveryAlertOnceInOrder) {
    command("down");
    auto shipper = make(options());
    ASSERT_TRUE(shipper->start().is_ok());
    for (int i = 0; i < 40; ++i) {
        ASSERT_TRUE(shipper->submit(alert(i)));
    }
    ASSERT_TRUE(eventually(
        [&] {
            const auto c = shipper->counters();
            return c.spool_depth == 40 && c.send_failures > 1;
        },
        kWait));
    EXPECT_FALSE(shipper->counters().connected);
    EXPECT_NE(shipper->counters().last_error.find("cannot reach the server"), std::string::npos);
    command("up");
    ASSERT_TRUE(server_.wait_for_alerts(40, kWait));
    ASSERT_TRUE(eventually([&] { return shipper->counters().spool_depth == 0; }, kWait));
    shipper->stop(5);
    EXPECT_EQ(stored_ids(), expected_ids(0, 40));
    const auto c = shipper->counters();
    EXPECT_EQ(c.delivered, 40u);
    EXPECT_EQ(c.dropped, 0u);
    EXPECT_TRUE(c.connected);
    EXPECT_EQ(c.last_error, "");
}

TEST_F(ShipperTest, SubmitFillsIdentityIdAndTime) {
    auto shipper = make(options());
    ASSERT_TRUE(shipper->start().is_ok());
    schema::Alert a;
    a.level = schema::Severity::kMedium;
    a.category = "SUSPICIOUS PORT";
    a.message = "m";
    a.src = "10.0.0.2:4444";
    ASSERT_TRUE(shipper->submit(a));
    ASSERT_TRUE(server_.wait_for_alerts(1, kWait));
    const auto stored = server_.alerts().at(0);
    EXPECT_EQ(stored["agent_id"], "0123456789abcdef");
    EXPECT_EQ(stored["hostname"], "test-host");
    EXPECT_EQ(stored["os"], "Linux test");
    EXPECT_EQ(stored["level"], "MEDIUM");
    EXPECT_EQ(stored["src"], "10.0.0.2:4444");
    EXPECT_EQ(stored["id"].get<std::string>().size(), 32u);
    EXPECT_NE(stored["ts"].get<std::string>().rfind("1970", 0), 0u);
    shipper->stop(5);
}

TEST_F(ShipperTest, OriginalServerWithoutBatchRouteGetsOneByOne) {
    command("batch404 on");
    auto shipper = make(options());
    ASSERT_TRUE(shipper->start().is_ok());
    for (int i = 0; i < 5; ++i) {
        shipper->submit(alert(i));
    }
    ASSERT_TRUE(server_.wait_for_alerts(5, kWait));
    ASSERT_TRUE(eventually([&] { return shipper->counters().spool_depth == 0; }, kWait));
    EXPECT_EQ(stored_ids(), expected_ids(0, 5));
    EXPECT_TRUE(shipper->counters().legacy_api);
    EXPECT_GE(server_.stats()["batch404"].get<int>(), 1);
    EXPECT_EQ(server_.stats()["alert_requests"].get<int>(), 5);  // one POST /api/alert each
    shipper->stop(5);
}

TEST_F(ShipperTest, RateLimitAndServerErrorsAreRetried) {
    command("fail 3 429 0");
    auto shipper = make(options());
    ASSERT_TRUE(shipper->start().is_ok());
    for (int i = 0; i < 3; ++i) {
        shipper->submit(alert(i));
    }
    ASSERT_TRUE(server_.wait_for_alerts(3, kWait));
    command("fail 2 503");
    for (int i = 3; i < 6; ++i) {
        shipper->submit(alert(i));
    }
    ASSERT_TRUE(server_.wait_for_alerts(6, kWait));
    EXPECT_EQ(stored_ids(), expected_ids(0, 6));
    EXPECT_EQ(server_.stats()["failed"].get<int>(), 5);
    EXPECT_GE(shipper->counters().send_failures, 5u);
    EXPECT_EQ(shipper->counters().rejected, 0u);
    shipper->stop(5);
}

TEST_F(ShipperTest, PermanentRejectionDropsOnlyThatAlertAndCountsIt) {
    auto shipper = make(options());
    ASSERT_TRUE(shipper->start().is_ok());
    command("down");  // all three go out in one batch
    shipper->submit(alert(0));
    auto bad = alert(1);
    bad.message = "";  // the server requires a message
    shipper->submit(bad);
    shipper->submit(alert(2));
    ASSERT_TRUE(eventually([&] { return shipper->counters().spool_depth == 3; }, kWait));
    command("up");
    // The counters follow the spool's acknowledgement: wait for both, not the spool alone.
    ASSERT_TRUE(eventually(
        [&] {
            const auto c = shipper->counters();
            return c.spool_depth == 0 && c.rejected + c.delivered == 3;
        },
        kWait));
    EXPECT_EQ(stored_ids(), (std::vector<std::string>{"t0000", "t0002"}));
    EXPECT_EQ(shipper->counters().rejected, 1u);
    EXPECT_EQ(shipper->counters().delivered, 2u);
    shipper->stop(5);
}

TEST_F(ShipperTest, PermanentRejectionOnOriginalServer) {
    command("batch404 on");
    auto shipper = make(options());
    ASSERT_TRUE(shipper->start().is_ok());
    auto bad = alert(0);
    bad.category = "";
    shipper->submit(bad);
    shipper->submit(alert(1));
    ASSERT_TRUE(server_.wait_for_alerts(1, kWait));
    ASSERT_TRUE(eventually([&] { return shipper->counters().spool_depth == 0; }, kWait));
    EXPECT_EQ(stored_ids(), (std::vector<std::string>{"t0001"}));
    EXPECT_EQ(shipper->counters().rejected, 1u);
    shipper->stop(5);
}

TEST_F(ShipperTest, FullSpoolDropsOldestCountsAndReportsInHeartbeat) {
    command("down");
    auto o = options();
    o.spool_max_bytes = 4096;
    o.heartbeat_interval = 0.1;
    auto shipper = make(o);
    ASSERT_TRUE(shipper->start().is_ok());
    constexpr int kCount = 60;
    for (int i = 0; i < kCount; ++i) {
        shipper->submit(alert(i));
    }
    ASSERT_TRUE(eventually(
        [&] {
            const auto c = shipper->counters();
            return c.spool_depth + c.dropped == kCount;
        },
        kWait));
    const auto during = shipper->counters();
    ASSERT_GT(during.dropped, 0u);
    ASSERT_GT(during.spool_depth, 0u);
    EXPECT_LE(during.spool_bytes, 4096u);
    command("up");
    ASSERT_TRUE(eventually(
        [&] {
            for (const auto& hb : server_.heartbeats()) {
                if (hb.value("spool_dropped", 0) == static_cast<int>(during.dropped)) {
                    return true;
                }
            }
            return false;
        },
        kWait));
    ASSERT_TRUE(server_.wait_for_alerts(during.spool_depth, kWait));
    shipper->stop(5);
    // Exactly the oldest were dropped; the newest arrived, in order.
    EXPECT_EQ(stored_ids(), expected_ids(static_cast<int>(during.dropped), kCount));
}

TEST_F(ShipperTest, HeartbeatCarriesAgentAndSpoolStats) {
    auto o = options();
    o.heartbeat_interval = 0.1;
    o.stats = [] {
        AgentStats s;
        s.packets = 123;
        s.bytes = 4567;
        s.capture_drops = 2;
        s.alerts = 9;
        s.vt_requests = 4;
        s.vt_quota_left = 496;
        s.anomalies["truncated_tcp"] = 3;
        return s;
    };
    auto shipper = make(o);
    ASSERT_TRUE(shipper->start().is_ok());
    ASSERT_TRUE(eventually([&] { return server_.heartbeats().size() >= 2; }, kWait));
    shipper->stop(5);
    const auto hb = server_.heartbeats().at(0);
    EXPECT_EQ(hb["agent_id"], "0123456789abcdef");
    EXPECT_EQ(hb["hostname"], "test-host");
    EXPECT_EQ(hb["os"], "Linux test");
    EXPECT_EQ(hb["version"], "0.1.0");
    EXPECT_TRUE(hb["uptime_s"].is_number_unsigned());
    EXPECT_EQ(hb["packets"], 123);
    EXPECT_EQ(hb["bytes"], 4567);
    EXPECT_EQ(hb["capture_drops"], 2);
    EXPECT_EQ(hb["alerts"], 9);
    EXPECT_EQ(hb["vt_requests"], 4);
    EXPECT_EQ(hb["vt_quota_left"], 496);
    EXPECT_EQ(hb["anomalies"]["truncated_tcp"], 3);
    EXPECT_EQ(hb["spool_depth"], 0);
    EXPECT_EQ(hb["spool_dropped"], 0);
    EXPECT_TRUE(hb.contains("spool_bytes"));
    EXPECT_GE(shipper->counters().heartbeats, 2u);
}

TEST_F(ShipperTest, WrongCaRefusesClearlyAndSendsNothing) {
    auto o = options();
    o.ca_cert = pki_.file("other_ca.crt");
    auto shipper = make(o);
    ASSERT_TRUE(shipper->start().is_ok());
    for (int i = 0; i < 3; ++i) {
        shipper->submit(alert(i));
    }
    ASSERT_TRUE(eventually([&] { return shipper->counters().send_failures >= 2; }, kWait));
    const auto c = shipper->counters();
    EXPECT_NE(c.last_error.find("cannot verify the server"), std::string::npos) << c.last_error;
    EXPECT_NE(c.last_error.find("other_ca.crt"), std::string::npos) << c.last_error;
    EXPECT_EQ(c.spool_depth, 3u);  // kept, not dropped
    EXPECT_EQ(c.delivered, 0u);
    shipper->stop(0);
    EXPECT_EQ(server_.stats()["requests"].get<int>(), 0);  // not even a heartbeat got through
    EXPECT_TRUE(server_.alerts().empty());
}

TEST_F(ShipperTest, MissingCaRefusesUnlessInsecure) {
    auto o = options();
    o.ca_cert = pki_.file("missing.crt");
    auto refused = Shipper::create(o);
    ASSERT_FALSE(refused.is_ok());
    EXPECT_NE(refused.error().find("missing.crt"), std::string::npos);
    EXPECT_NE(refused.error().find("not found"), std::string::npos);
    EXPECT_NE(refused.error().find("--insecure"), std::string::npos);

    o.insecure = true;
    auto shipper = make(o);
    ASSERT_TRUE(shipper->start().is_ok());
    shipper->submit(alert(0));
    ASSERT_TRUE(server_.wait_for_alerts(1, kWait));
    shipper->stop(5);
}

TEST_F(ShipperTest, PlainHttpUrlRefusedUnlessInsecure) {
    auto o = options();
    o.server_url = "http://127.0.0.1:" + std::to_string(server_.port());
    auto refused = Shipper::create(o);
    ASSERT_FALSE(refused.is_ok());
    EXPECT_NE(refused.error().find("plain HTTP"), std::string::npos);
    o.server_url = "127.0.0.1:8444";
    EXPECT_FALSE(Shipper::create(o).is_ok());
}

TEST_F(ShipperTest, ProxyFromEnvironmentIsUsed) {
    TempDir proxy_dir;
    testing::ConnectProxy proxy;
    ASSERT_TRUE(proxy.start(proxy_dir.file("connect.log")).is_ok());
    ::setenv("https_proxy", ("http://127.0.0.1:" + std::to_string(proxy.port())).c_str(), 1);
    auto shipper = make(options());
    ASSERT_TRUE(shipper->start().is_ok());
    shipper->submit(alert(0));
    ASSERT_TRUE(server_.wait_for_alerts(1, kWait));
    shipper->stop(5);
    ::unsetenv("https_proxy");
    const auto targets = proxy.targets();
    ASSERT_FALSE(targets.empty());
    EXPECT_EQ(targets.front(), "127.0.0.1:" + std::to_string(server_.port()));
}

TEST_F(ShipperTest, NoProxyBypassesTheProxy) {
    TempDir proxy_dir;
    testing::ConnectProxy proxy;
    ASSERT_TRUE(proxy.start(proxy_dir.file("connect.log")).is_ok());
    ::setenv("https_proxy", ("http://127.0.0.1:" + std::to_string(proxy.port())).c_str(), 1);
    ::setenv("no_proxy", "127.0.0.1", 1);
    auto shipper = make(options());
    ASSERT_TRUE(shipper->start().is_ok());
    shipper->submit(alert(0));
    ASSERT_TRUE(server_.wait_for_alerts(1, kWait));
    shipper->stop(5);
    clear_proxy_environment();
    EXPECT_TRUE(proxy.targets().empty());
}

TEST_F(ShipperTest, StopKeepsUndeliveredForTheNextStart) {
    command("down");
    {
        auto shipper = make(options());
        ASSERT_TRUE(shipper->start().is_ok());
        for (int i = 0; i < 5; ++i) {
            shipper->submit(alert(i));
        }
        shipper->stop(0.2);
        EXPECT_EQ(shipper->counters().spool_depth, 5u);
    }
    command("up");
    auto shipper = make(options());
    EXPECT_EQ(shipper->counters().spool_depth, 5u);
    ASSERT_TRUE(shipper->start().is_ok());
    shipper->submit(alert(5));
    ASSERT_TRUE(server_.wait_for_alerts(6, kWait));
    shipper->stop(5);
    EXPECT_EQ(stored_ids(), expected_ids(0, 6));
}

TEST_F(ShipperTest, StopFlushesWithinTheDeadline) {
    auto shipper = make(options());
    ASSERT_TRUE(shipper->start().is_ok());
    for (int i = 0; i < 20; ++i) {
        shipper->submit(alert(i));
    }
    shipper->stop(30);  // the server is up: everything goes out before stop returns
    EXPECT_EQ(shipper->counters().spool_depth, 0u);
    EXPECT_EQ(stored_ids(), expected_ids(0, 20));
}

TEST_F(ShipperTest, StopCutsARequestInFlightAtTheDeadline) {
    command("delay 30");
    auto o = options();
    o.request_timeout = 120;
    auto shipper = make(o);
    ASSERT_TRUE(shipper->start().is_ok());
    shipper->submit(alert(0));
    ASSERT_TRUE(eventually([&] { return server_.stats()["requests"].get<int>() >= 2; }, kWait));
    shipper->stop(0.2);  // without the cut this would wait for the answer and deliver
    const auto c = shipper->counters();
    EXPECT_EQ(c.spool_depth, 1u);
    EXPECT_EQ(c.delivered, 0u);
}

TEST_F(ShipperTest, AlertsReachTheSpoolWhileARequestIsInFlight) {
    // A slow server keeps the sender inside one request; alerts submitted meanwhile must be on
    // disk at once (a kill -9 now must not lose them), not wait for the request to finish.
    command("delay 30");
    auto o = options();
    o.request_timeout = 120;
    auto shipper = make(o);
    ASSERT_TRUE(shipper->start().is_ok());
    shipper->submit(alert(0));
    ASSERT_TRUE(eventually([&] { return server_.stats()["requests"].get<int>() >= 2; }, kWait));
    for (int i = 1; i <= 5; ++i) {
        shipper->submit(alert(i));
    }
    ASSERT_TRUE(eventually([&] { return shipper->counters().spool_depth == 6; }, kWait))
        << "spool depth " << shipper->counters().spool_depth;
    EXPECT_EQ(shipper->counters().delivered, 0u);
    shipper->stop(0.2);
    EXPECT_EQ(shipper->counters().spool_depth, 6u);
}

TEST_F(ShipperTest, WrongApiKeyKeepsAlertsSpooled) {
    auto o = options();
    o.api_key = "wrong";
    auto shipper = make(o);
    ASSERT_TRUE(shipper->start().is_ok());
    shipper->submit(alert(0));
    ASSERT_TRUE(eventually([&] { return shipper->counters().send_failures >= 2; }, kWait));
    EXPECT_NE(shipper->counters().last_error.find("API key"), std::string::npos);
    EXPECT_EQ(shipper->counters().spool_depth, 1u);
    shipper->stop(0);
    EXPECT_TRUE(server_.alerts().empty());
}

TEST_F(ShipperTest, SecondShipperOnTheSameStateDirIsRefused) {
    auto first = make(options());
    auto second = Shipper::create(options());
    ASSERT_FALSE(second.is_ok());
    EXPECT_NE(second.error().find("another"), std::string::npos) << second.error();
}

}  // namespace
}  // namespace sentinel::transport
