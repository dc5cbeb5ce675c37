// Hostile requests over real HTTPS: each test is one way a request could crash, fool or lock out
// the server.
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <thread>
#include <vector>

#include "fixture.h"

namespace sentinel::server::testing {
namespace {

using Json = nlohmann::json;

class HardeningTest : public ServerFixture {
  protected:
    std::string origin() const { return "https://127.0.0.1:" + std::to_string(gui_port_); }
    std::vector<std::string> session() const { return {"Cookie: ns_session=" + cookie_}; }
    Json state() { return Json::parse(gui("GET", "/api/state", "", session()).body); }
};

// 100,000 nested arrays in one field plus a second key: the shape that overflowed the stack.
std::string deeply_nested(const std::string& field, const std::string& rest) {
    constexpr int kDepth = 100'000;
    return "{\"" + field + "\":" + std::string(kDepth, '[') + std::string(kDepth, ']') + "," +
           rest + "}";
}

TEST_F(HardeningTest, DeeplyNestedBodiesAreRefusedOnEveryRoute) {
    start_server();
    login();
    const std::string login_body = deeply_nested("username", R"("password":"x")");
    ASSERT_GT(login_body.size(), 190'000u);
    auto r = gui("POST", "/api/login", login_body);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("username"), std::string::npos) << r.body;  // names the field
    EXPECT_NE(r.body.find("deeper than 32"), std::string::npos) << r.body;

    const std::string alert = deeply_nested("level", R"("category":"X")");
    EXPECT_EQ(post_agent("/api/alert", alert).status, 400);
    EXPECT_EQ(post_agent("/api/alerts", deeply_nested("alerts", R"("x":1)")).status, 400);
    EXPECT_EQ(post_agent("/api/agent/heartbeat", deeply_nested("agent_id", R"("os":"x")")).status,
              400);
    r = gui("POST", "/api/tokens", deeply_nested("name", R"("x":1)"), session());
    EXPECT_EQ(r.status, 400) << r.body;
    r = gui("POST", "/api/suppressions", deeply_nested("category", R"("x":1)"), session());
    EXPECT_EQ(r.status, 400) << r.body;

    // Still serving, and 32 levels are still fine where a field is free-form.
    EXPECT_EQ(post_agent("/api/alert", alert_body("a1")).status, 201);
    std::string nested_src = std::string(30, '[') + "\"10.0.0.1\"" + std::string(30, ']');
    EXPECT_EQ(post_agent("/api/alert", R"({"level":"LOW","category":"X","message":"m",)"
                                       R"("agent_id":"a1","hostname":"h","src":)" +
                                           nested_src + "}")
                  .status,
              201);
}

TEST_F(HardeningTest, ShortApiKeyIsAStartupError) {
    config_.api_key = "a";
    ServerApp app(config_);
    const auto st = app.start();
    ASSERT_FALSE(st.is_ok());
    EXPECT_NE(st.message().find("at least 16 characters"), std::string::npos) << st.message();
}

TEST_F(HardeningTest, OutOfRangeEventTimesFallBackToArrivalAndAreCounted) {
    start_server();
    login();
    for (const std::string ts :
         {"1e300", "-1e300", R"("9999-01-01T00:00:00Z")", R"("2999-01-01T00:00:00Z")",
          R"("2100-01-01T00:00:00Z")", R"("not a time")"}) {
        std::string body = alert_body("a1");
        body.insert(body.size() - 1, R"(,"ts":)" + ts);
        ASSERT_EQ(post_agent("/api/alert", body).status, 201) << ts;
    }
    const auto alerts = state()["alerts"];
    ASSERT_EQ(alerts.size(), 6u);
    for (const auto& a : alerts) {
        EXPECT_EQ(a["ts"], a["received_at"]) << a.dump();
    }
    const auto metrics = gui("GET", "/metrics", "", session()).body;
    EXPECT_NE(metrics.find("netsentinel_alert_time_fallbacks_total 6"), std::string::npos)
        << metrics;
}

TEST_F(HardeningTest, RefusedRequestsRegisterNoAgent) {
    config_.agent_rate_limit = 3;
    config_.max_agents = 1;
    start_server();
    std::string batch = R"({"alerts":[)";
    for (int i = 0; i < 5; ++i)
        batch += (i ? "," : "") + alert_body("greedy", "HIGH", "id-" + std::to_string(i));
    batch += "]}";
    EXPECT_EQ(post_agent("/api/alerts", batch).status, 429);
    // The refused agent took no slot: another agent can still register.
    EXPECT_EQ(post_agent("/api/alert", alert_body("a2")).status, 201);
    login();
    const auto agents = state()["agents"];
    ASSERT_EQ(agents.size(), 1u) << agents.dump();
    EXPECT_EQ(agents[0]["agent_id"], "a2");
}

TEST_F(HardeningTest, StateChangingDashboardRoutesCheckOriginAndContentType) {
    start_server();
    login();
    const std::string user = R"({"name":"mallory","password":"mallory-password-1","role":"admin"})";
    auto with = [&](std::vector<std::string> extra) {
        auto h = session();
        h.insert(h.end(), extra.begin(), extra.end());
        return h;
    };
    // A foreign page's text/plain form post with the victim's cookie.
    auto r = gui("POST", "/api/users", user,
                 with({"Origin: https://evil.example", "Content-Type: text/plain"}));
    EXPECT_EQ(r.status, 403) << r.body;
    r = gui("POST", "/api/users", user, with({"Origin: https://evil.example"}));
    EXPECT_EQ(r.status, 403) << r.body;
    r = gui("POST", "/api/users", user, with({"Sec-Fetch-Site: cross-site"}));
    EXPECT_EQ(r.status, 403) << r.body;
    r = gui("POST", "/api/users", user, with({"Origin: " + origin(), "Content-Type: text/plain"}));
    EXPECT_EQ(r.status, 415) << r.body;
    r = gui("DELETE", "/api/users/admin", "", with({"Origin: https://evil.example"}));
    EXPECT_EQ(r.status, 403) << r.body;
    r = gui("POST", "/api/login", R"({"username":"admin","password":"x"})",
            {"Origin: https://evil.example"});
    EXPECT_EQ(r.status, 403) << r.body;
    // Nothing of the refused requests took effect.
    auto users = Json::parse(gui("GET", "/api/users", "", session()).body)["users"];
    EXPECT_EQ(users.size(), 1u) << users.dump();
    // The dashboard's own request goes through.
    r = gui("POST", "/api/users", user, with({"Origin: " + origin()}));
    EXPECT_EQ(r.status, 201) << r.body;
}

TEST_F(HardeningTest, ALoginBurstFromOneAddressDoesNotLockOutAnother) {
    start_server();
    const std::string good =
        std::string(R"({"username":"admin","password":")") + kAdminPassword + "\"}";
    std::atomic<bool> stop{false};
    std::vector<std::thread> burst;
    for (int i = 0; i < 48; ++i) {
        burst.emplace_back([&] {
            while (!stop) {
                (void)http("POST", gui_url("/api/login"),
                           R"({"username":"admin","password":"guess"})", {}, cert_, "127.0.0.1");
            }
        });
    }
    // While the guesses are being hashed (each ~0.1 s of CPU), a correct login from another
    // address gets in.
    std::vector<long> answers;
    for (int i = 0; i < 3; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        answers.push_back(http("POST", gui_url("/api/login"), good, {}, cert_, "127.0.0.2").status);
    }
    stop = true;
    for (auto& t : burst)
        t.join();
    EXPECT_EQ(answers, (std::vector<long>{200, 200, 200}));
    // The guessing address itself is throttled.
    const auto again = http("POST", gui_url("/api/login"), good, {}, cert_, "127.0.0.1");
    EXPECT_EQ(again.status, 429) << again.body;
}

// The accepted (not listening) TCP sockets of this process whose local port is `port`: the server
// runs in-process, so its descriptors are ours to inspect.
std::vector<int> accepted_sockets(uint16_t port) {
    std::vector<int> out;
    DIR* d = opendir("/proc/self/fd");
    if (!d)
        return out;
    while (const dirent* e = readdir(d)) {
        const int fd = std::atoi(e->d_name);
        sockaddr_in a{};
        socklen_t len = sizeof a;
        int listening = 0;
        socklen_t ll = sizeof listening;
        if (fd <= 2 || getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0 ||
            a.sin_family != AF_INET || ntohs(a.sin_port) != port ||
            getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ll) != 0 || listening) {
            continue;
        }
        out.push_back(fd);
    }
    closedir(d);
    return out;
}

int connect_to(uint16_t port) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    return fd;
}

TEST_F(HardeningTest, AcceptedSocketsSendWithoutNagleDelay) {
    start_server();
    for (const uint16_t port : {gui_port_, agent_port_}) {
        const int client = connect_to(port);
        std::vector<int> accepted;
        for (int i = 0; i < 200 && accepted.empty(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            accepted = accepted_sockets(port);
        }
        ASSERT_EQ(accepted.size(), 1u) << "port " << port;
        int nodelay = 0;
        socklen_t len = sizeof nodelay;
        ASSERT_EQ(getsockopt(accepted[0], IPPROTO_TCP, TCP_NODELAY, &nodelay, &len), 0);
        EXPECT_NE(nodelay, 0) << "port " << port;
        close(client);
    }
}

}  // namespace
}  // namespace sentinel::server::testing
