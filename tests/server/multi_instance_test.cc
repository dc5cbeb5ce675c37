// Two servers on one PostgreSQL database: whichever instance receives an alert, dashboards on
// every instance see it live, and stats, agents and timeline agree.
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

}  // namespace
}  // namespace sentinel::server::testing
