// Two servers on one PostgreSQL database: whichever instance receives an alert or an
// acknowledgement, dashboards on every instance see it live, and stats, agents and timeline
// agree.
#include <nlohmann/json.hpp>

#include <chrono>
#include <future>
#include <thread>

#include "../store/pg_harness.h"
#include "fixture.h"

namespace sentinel::server::testing {
namespace {

using Json = nlohmann::json;

class MultiInstanceTest : public ServerFixture {
  protected:
    void SetUp() override {
        if (!pgtest::skip_reason().empty()) {
            GTEST_SKIP() << pgtest::skip_reason();
        }
        ServerFixture::SetUp();
        dsn_ = pgtest::create_database();
        ASSERT_FALSE(dsn_.empty());
        config_.storage.backend = "postgres";
        config_.storage.dsn = dsn_;
    }
    void TearDown() override {
        stop_second();
        ServerFixture::TearDown();
        if (!dsn_.empty())
            pgtest::drop_database(dsn_);
    }

    // The second instance: same config and database, its own data_dir and ports.
    void start_second() {
        auto c = config_;
        c.data_dir = dir_ + "/data2";
        app2_ = std::make_unique<ServerApp>(c);
        const auto st = app2_->start();
        ASSERT_TRUE(st.is_ok()) << st.message();
        gui2_ = app2_->gui_port();
        agent2_ = app2_->agent_port();
        std::promise<void> ready;
        auto ready_f = ready.get_future();
        thread2_ = std::thread([this, &ready] {
            RunOptions o;
            o.handle_signals = false;
            o.print_banner = false;
            o.on_ready = [&](uint16_t, uint16_t, uint16_t) { ready.set_value(); };
            app2_->run(o);
        });
        ready_f.wait();
    }
    void stop_second() {
        if (!app2_)
            return;
        app2_->stop();
        if (thread2_.joinable())
            thread2_.join();
        app2_.reset();
    }

    Response gui2(const std::string& method, const std::string& path, const std::string& cookie) {
        return http(method, "https://127.0.0.1:" + std::to_string(gui2_) + path, "",
                    {"Cookie: ns_session=" + cookie}, cert_);
    }
    std::string login2() {
        auto r = http("POST", "https://127.0.0.1:" + std::to_string(gui2_) + "/api/login",
                      std::string(R"({"username":"admin","password":")") + kAdminPassword + "\"}",
                      {}, cert_);
        EXPECT_EQ(r.status, 200) << r.body;
        const auto sc = r.header("set-cookie");
        const auto eq = sc.find('=');
        return sc.substr(eq + 1, sc.find(';') - eq - 1);
    }

    // Polls `pred` on instance 2's /api/state: cross-instance updates arrive asynchronously.
    template <typename Pred>
    Json wait_state2(const std::string& cookie, Pred pred) {
        Json state;
        for (int i = 0; i < 300; ++i) {
            auto r = gui2("GET", "/api/state", cookie);
            state = Json::parse(r.body, nullptr, false);
            if (r.status == 200 && pred(state))
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return state;
    }

    std::string dsn_;
    std::unique_ptr<ServerApp> app2_;
    std::thread thread2_;
    uint16_t gui2_ = 0, agent2_ = 0;
};

TEST_F(MultiInstanceTest, AlertPostedToOneInstanceIsPushedByTheOther) {
    start_server();
    start_second();
    const std::string cookie = login2();  // the admin user made by the first instance
    const std::string origin = "https://127.0.0.1:" + std::to_string(gui2_);
    // The WebSocket client is on instance 2; it posts its alert to instance 1's agent port.
    auto r = run_command("timeout 60 /usr/bin/python3 " + std::string(WS_CLIENT) + " " +
                         std::to_string(gui2_) + " " + std::to_string(agent_port_) + " " + cert_ +
                         " " + cookie + " " + origin + " " + kApiKey);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output, "101\npushed\n");
}

TEST_F(MultiInstanceTest, WorkflowMadeOnOneInstanceIsPushedByTheOther) {
    start_server();
    start_second();
    const std::string c1 = login();
    const std::string c2 = login2();
    const std::string origin = "https://127.0.0.1:" + std::to_string(gui2_);
    // The WebSocket is on instance 2; the rule, the alert, the acknowledgement and the group
    // resolution all go to instance 1.
    auto r = run_command("timeout 90 /usr/bin/python3 " + std::string(WS_CLIENT) + " " +
                         std::to_string(gui2_) + " " + std::to_string(agent_port_) + " " + cert_ +
                         " " + c2 + " " + origin + " " + kApiKey + " manage " +
                         std::to_string(gui_port_) + " " + c1);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output,
              "101\nsuppressions\nalerts new\nalert_update acknowledged admin\n"
              "group_update resolved\n");
}

TEST_F(MultiInstanceTest, StatsAgentsAndTimelineAgree) {
    start_server();
    start_second();
    const std::string cookie = login2();
    for (int i = 0; i < 3; ++i) {
        auto r = post_agent("/api/alert", alert_body("edge-1", "HIGH", "m" + std::to_string(i)));
        ASSERT_EQ(r.status, 201) << r.body;
    }
    // Posted again to instance 2: a duplicate there too, not a new alert.
    auto dup =
        http("POST", "https://127.0.0.1:" + std::to_string(agent2_) + "/api/alert",
             alert_body("edge-1", "HIGH", "m0"), {std::string("X-API-Key: ") + kApiKey}, cert_);
    ASSERT_EQ(dup.status, 201) << dup.body;

    auto state = wait_state2(cookie, [](const Json& s) {
        return s.contains("stats") && s["stats"]["total"] == 3 && s["agents"].size() == 1 &&
               s["agents"][0]["alert_count"] == 3;
    });
    ASSERT_TRUE(state.contains("stats")) << state.dump();
    EXPECT_EQ(state["stats"]["total"], 3) << state.dump();
    EXPECT_EQ(state["stats"]["by_level"]["HIGH"], 3);
    ASSERT_EQ(state["agents"].size(), 1u);
    EXPECT_EQ(state["agents"][0]["agent_id"], "edge-1");
    EXPECT_EQ(state["agents"][0]["online"], true);
    EXPECT_EQ(state["agents"][0]["alert_count"], 3);
    uint64_t in_timeline = 0;
    for (const auto& n : state["timeline"])
        in_timeline += n.get<uint64_t>();
    EXPECT_EQ(in_timeline, 3u);
    EXPECT_EQ(state["alerts"].size(), 3u);

    // Instance 1 agrees with instance 2.
    const std::string cookie1 = login();
    auto one = Json::parse(gui("GET", "/api/state", "", {"Cookie: ns_session=" + cookie1}).body);
    EXPECT_EQ(one["stats"], state["stats"]);
    EXPECT_EQ(one["timeline"], state["timeline"]);
    EXPECT_EQ(one["agents"][0]["alert_count"], 3);
}

// Issue #11 on PostgreSQL: a rule added on one instance is applied by the other, and users,
// per-user tokens, ack/resolve and the audit log are shared.
TEST_F(MultiInstanceTest, RulesUsersTokensAndWorkflowAreShared) {
    start_server();
    start_second();
    const std::string c1 = "Cookie: ns_session=" + login();
    const std::string c2 = login2();
    auto r =
        gui("POST", "/api/suppressions", R"({"category":"PORT SCAN","comment":"shared"})", {c1});
    ASSERT_EQ(r.status, 201) << r.body;
    const auto rule_id = Json::parse(r.body)["rule"]["id"].get<int64_t>();
    // Instance 2 picks the rule up (it polls the stored rules version).
    Json rules;
    for (int i = 0; i < 100; ++i) {
        rules = Json::parse(gui2("GET", "/api/suppressions", c2).body, nullptr, false);
        if (rules.is_object() && rules["version"] == 1)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(rules["version"], 1) << rules.dump();
    auto posted =
        http("POST", "https://127.0.0.1:" + std::to_string(agent2_) + "/api/alert",
             alert_body("m1", "HIGH", "sup-1"), {"X-API-Key: " + std::string(kApiKey)}, cert_);
    ASSERT_EQ(posted.status, 201);
    EXPECT_EQ(Json::parse(posted.body)["suppressed"], true);
    // Hits written by instance 2 are in the shared table.
    for (int i = 0; i < 100; ++i) {
        rules = Json::parse(gui2("GET", "/api/suppressions", c2).body, nullptr, false);
        if (rules["rules"][0]["hits_server"] == 1)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(rules["rules"][0]["id"], rule_id);
    EXPECT_EQ(rules["rules"][0]["hits_server"], 1);

    // A user and a token made on instance 1 work on instance 2.
    ASSERT_EQ(gui("POST", "/api/users",
                  R"({"name":"erin","password":"erin-password","role":"viewer"})", {c1})
                  .status,
              201);
    auto erin = http("POST", "https://127.0.0.1:" + std::to_string(gui2_) + "/api/login",
                     R"({"username":"erin","password":"erin-password"})", {}, cert_);
    EXPECT_EQ(erin.status, 200);
    r = gui("POST", "/api/tokens", R"({"name":"shared"})", {c1});
    ASSERT_EQ(r.status, 201);
    const std::string bearer =
        "Authorization: Bearer " + Json::parse(r.body)["token"].get<std::string>();
    auto me =
        http("GET", "https://127.0.0.1:" + std::to_string(gui2_) + "/api/me", "", {bearer}, cert_);
    ASSERT_EQ(me.status, 200);
    EXPECT_EQ(Json::parse(me.body)["role"], "admin");

    // Once the rule is gone, an alert stored by instance 1 is resolved on instance 2.
    ASSERT_EQ(gui("DELETE", "/api/suppressions/" + std::to_string(rule_id), "", {c1}).status, 200);
    ASSERT_EQ(post_agent("/api/alert", alert_body("m1", "HIGH", "wf-2")).status, 201);
    r = http("POST", "https://127.0.0.1:" + std::to_string(gui2_) + "/api/alerts/resolve",
             R"({"ids":["wf-2"]})", {"Cookie: ns_session=" + c2}, cert_);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Json::parse(r.body)["updated"], 1);
    auto resolved = Json::parse(gui("GET", "/api/alerts?status=resolved", "", {c1}).body);
    ASSERT_EQ(resolved["alerts"].size(), 1u);
    EXPECT_EQ(resolved["alerts"][0]["resolved_by"], "admin");
    // Deleting erin on instance 1 ends her session on instance 2 too (re-checked within 5 s).
    const auto sc = erin.header("set-cookie");
    const std::string erin_cookie = sc.substr(sc.find('=') + 1, sc.find(';') - sc.find('=') - 1);
    EXPECT_EQ(gui2("GET", "/api/me", erin_cookie).status, 200);
    ASSERT_EQ(gui("DELETE", "/api/users/erin", "", {c1}).status, 200);
    long status = 200;
    for (int i = 0; i < 100 && status == 200; ++i) {
        status = gui2("GET", "/api/me", erin_cookie).status;
        if (status == 200)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(status, 401);
    auto audit = Json::parse(gui("GET", "/api/audit?limit=1000", "", {c1}).body);
    bool resolve_seen = false;
    for (const auto& e : audit["entries"])
        resolve_seen |= e["action"] == "alert_resolve";
    EXPECT_TRUE(resolve_seen);
}

}  // namespace
}  // namespace sentinel::server::testing
