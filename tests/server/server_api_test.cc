// The HTTP contract over real HTTPS: status codes, ordering of checks, dashboard auth, export.
#include <nlohmann/json.hpp>

#include "fixture.h"

namespace sentinel::server::testing {
namespace {

using Json = nlohmann::json;

class ServerApiTest : public ServerFixture {};

TEST_F(ServerApiTest, AgentAlertStatusCodes) {
    config_.max_body_bytes = 8192;
    start_server();
    const auto good = alert_body("a1");
    EXPECT_EQ(post_agent("/api/alert", good, "").status, 401);
    auto r = post_agent("/api/alert", good, "wrong-key");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(Json::parse(r.body)["error"], "Unauthorized");
    r = post_agent("/api/alert", "{not json");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(Json::parse(r.body)["error"], "Bad request");
    EXPECT_EQ(post_agent("/api/alert", "{}").status, 400);
    EXPECT_EQ(post_agent("/api/alert", "[1,2]").status, 400);  // the original crashed with 500
    r = post_agent("/api/alert", R"({"level":"HIGH","category":"X"})");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(Json::parse(r.body)["error"], "Missing fields");
    r = post_agent("/api/alert", alert_body("a1", "SEVERE"));
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(Json::parse(r.body)["error"], "Invalid level");
    r = post_agent("/api/alert", std::string(9000, ' '));
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(Json::parse(r.body)["error"], "Body too large");
    r = post_agent("/api/alert", alert_body("a1", "high"));
    ASSERT_EQ(r.status, 201) << r.body;
    const auto j = Json::parse(r.body);
    EXPECT_EQ(j["ok"], true);
    EXPECT_FALSE(j["id"].get<std::string>().empty());
    // Wrong method and unknown path.
    EXPECT_EQ(http("GET", agent_url("/api/alert"), "", {}, cert_).status, 405);
    EXPECT_EQ(post_agent("/api/nothing", good).status, 404);
    // Agent routes are not on the GUI port.
    EXPECT_EQ(
        http("POST", gui_url("/api/alert"), good, {"X-API-Key: " + std::string(kApiKey)}, cert_)
            .status,
        404);
}

TEST_F(ServerApiTest, OriginalAgentPayloadIsAcceptedAndTruncated) {
    start_server();
    // §5.6: exactly what the Python agent sent (no id, no ts).
    const std::string original =
        R"({"level":"MEDIUM","category":"SUSPICIOUS PORT","message":"Connection to suspicious port 4444","src":"192.168.1.20:4444","agent_id":"0123456789abcdef","hostname":"lab-pc","os":"Linux 6.1.0"})";
    auto r = http("POST", agent_url("/api/alert"), original,
                  {"X-API-Key: " + std::string(kApiKey), "X-Agent-ID: 0123456789abcdef",
                   "X-Hostname: lab-pc", "User-Agent: NetSentinel-Agent/4.0"},
                  cert_);
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string long_agent(100, 'x');
    r = post_agent("/api/alert", alert_body(long_agent));
    ASSERT_EQ(r.status, 201);
    login();
    auto list = gui("GET", "/api/alerts?limit=10", "", {"Cookie: ns_session=" + cookie_});
    ASSERT_EQ(list.status, 200);
    const auto j = Json::parse(list.body);
    ASSERT_EQ(j["alerts"].size(), 2u);
    EXPECT_EQ(j["alerts"][0]["agent_id"].get<std::string>().size(), 64u);
    EXPECT_EQ(j["alerts"][1]["category"], "SUSPICIOUS PORT");
    EXPECT_EQ(j["alerts"][1]["src"], "192.168.1.20:4444");
    EXPECT_TRUE(j["alerts"][1].contains("received_at"));
    auto agents =
        Json::parse(gui("GET", "/api/agents", "", {"Cookie: ns_session=" + cookie_}).body);
    bool found = false;
    for (const auto& a : agents) {
        if (a["agent_id"] == "0123456789abcdef") {
            found = true;
            EXPECT_EQ(a["os"], "Linux 6.1.0");
            EXPECT_EQ(a["ip"], "127.0.0.1");
            EXPECT_EQ(a["online"], true);
            EXPECT_EQ(a["alert_count"], 1);
        }
    }
    EXPECT_TRUE(found);
}

TEST_F(ServerApiTest, EventTimeIsKeptAndIdIsIdempotent) {
    start_server();
    auto r = post_agent("/api/alert", alert_body("a1", "LOW", "evt-1"));
    ASSERT_EQ(r.status, 201);
    EXPECT_EQ(Json::parse(r.body)["id"], "evt-1");
    r = post_agent("/api/alert", alert_body("a1", "LOW", "evt-1"));
    ASSERT_EQ(r.status, 201);
    EXPECT_EQ(Json::parse(r.body)["id"], "evt-1");
    EXPECT_EQ(post_agent("/api/alert", alert_body("a1", "LOW", "bad id!")).status, 400);
    login();
    const auto j =
        Json::parse(gui("GET", "/api/alerts", "", {"Cookie: ns_session=" + cookie_}).body);
    ASSERT_EQ(j["alerts"].size(), 1u);
    EXPECT_EQ(j["alerts"][0]["ts"], "2026-01-02T03:04:05.123456+00:00");
    EXPECT_NE(j["alerts"][0]["received_at"], j["alerts"][0]["ts"]);
}

TEST_F(ServerApiTest, RateLimitIsCheckedBeforeStoring) {
    config_.agent_rate_limit = 3;
    config_.agent_rate_window = 3600;
    start_server();
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(post_agent("/api/alert", alert_body("a1")).status, 201);
    }
    auto r = post_agent("/api/alert", alert_body("a1"));
    EXPECT_EQ(r.status, 429);
    EXPECT_EQ(Json::parse(r.body)["error"], "Rate limit exceeded");
    EXPECT_FALSE(r.header("retry-after").empty());
    // Another agent has its own bucket.
    EXPECT_EQ(post_agent("/api/alert", alert_body("a2")).status, 201);
    login();
    const auto st =
        Json::parse(gui("GET", "/api/state", "", {"Cookie: ns_session=" + cookie_}).body);
    EXPECT_EQ(st["stats"]["total"], 4);
    EXPECT_EQ(st["alerts"].size(), 4u);
}

TEST_F(ServerApiTest, AgentCapIsCheckedBeforeStoring) {
    config_.max_agents = 2;
    start_server();
    ASSERT_EQ(post_agent("/api/alert", alert_body("a1")).status, 201);
    ASSERT_EQ(post_agent("/api/agent/heartbeat", R"({"agent_id":"a2","hostname":"h2"})").status,
              200);
    auto r = post_agent("/api/alert", alert_body("a3"));
    EXPECT_EQ(r.status, 429);
    EXPECT_EQ(Json::parse(r.body)["error"], "Agent limit reached");
    // A heartbeat at the cap is answered 200 but not registered (the original's contract).
    EXPECT_EQ(post_agent("/api/agent/heartbeat", R"({"agent_id":"a4"})").status, 200);
    login();
    const auto st =
        Json::parse(gui("GET", "/api/state", "", {"Cookie: ns_session=" + cookie_}).body);
    EXPECT_EQ(st["stats"]["total"], 1);
    EXPECT_EQ(st["agents"].size(), 2u);
}

TEST_F(ServerApiTest, HeartbeatFields) {
    start_server();
    EXPECT_EQ(post_agent("/api/agent/heartbeat", "{}").status, 400);
    EXPECT_EQ(Json::parse(post_agent("/api/agent/heartbeat", "{}").body)["error"],
              "Missing agent_id");
    EXPECT_EQ(post_agent("/api/agent/heartbeat", R"({"agent_id":"a1"})", "nope").status, 401);
    auto r = post_agent("/api/agent/heartbeat",
                        R"({"agent_id":"a1","hostname":"h1","os":"Linux","version":"1.2.3",)"
                        R"("uptime_s":42,"packets":1000,"bytes":5000,"capture_drops":3,)"
                        R"("spool_depth":7,"spool_dropped":1,"anomalies":{"bad_checksum":2},)"
                        R"("rss_bytes":14000000,"peak_rss_bytes":15500000,"state_bytes":871000,)"
                        R"("state_cap_bytes":110100000,"startup_ms":2.5})");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(Json::parse(r.body)["ok"], true);
    login();
    const auto a =
        Json::parse(gui("GET", "/api/agents", "", {"Cookie: ns_session=" + cookie_}).body);
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0]["version"], "1.2.3");
    EXPECT_EQ(a[0]["packets"], 1000);
    EXPECT_EQ(a[0]["capture_drops"], 3);
    EXPECT_EQ(a[0]["spool_depth"], 7);
    EXPECT_EQ(a[0]["uptime_s"], 42);
    EXPECT_EQ(a[0]["rss_bytes"], 14000000);
    EXPECT_EQ(a[0]["peak_rss_bytes"], 15500000);
    EXPECT_EQ(a[0]["state_bytes"], 871000);
    EXPECT_EQ(a[0]["state_cap_bytes"], 110100000);
    EXPECT_DOUBLE_EQ(a[0]["startup_ms"].get<double>(), 2.5);

    // An older agent sends no footprint; a non-number is dropped, not stored.
    ASSERT_EQ(post_agent("/api/agent/heartbeat",
                         R"({"agent_id":"a1","rss_bytes":"lots","startup_ms":null})")
                  .status,
              200);
    const auto b =
        Json::parse(gui("GET", "/api/agents", "", {"Cookie: ns_session=" + cookie_}).body);
    EXPECT_FALSE(b[0].contains("rss_bytes"));
    EXPECT_FALSE(b[0].contains("startup_ms"));
}

TEST_F(ServerApiTest, BatchIsIdempotentAndReportsItems) {
    config_.agent_rate_limit = 10;
    config_.agent_rate_window = 3600;
    start_server();
    Json batch = {{"alerts", Json::array()}};
    for (int i = 0; i < 3; ++i) {
        batch["alerts"].push_back(Json::parse(alert_body("a1", "HIGH", "b" + std::to_string(i))));
    }
    batch["alerts"].push_back(Json::parse(alert_body("a1", "NOPE", "b-bad")));
    batch["alerts"].push_back(Json::parse(alert_body("a1", "LOW")));  // no id
    auto r = post_agent("/api/alerts", batch.dump());
    ASSERT_EQ(r.status, 201) << r.body;
    auto j = Json::parse(r.body);
    EXPECT_EQ(j["accepted"], Json({"b0", "b1", "b2"}));
    EXPECT_TRUE(j["duplicates"].empty());
    ASSERT_EQ(j["rejected"].size(), 2u);
    EXPECT_EQ(j["rejected"][0]["id"], "b-bad");
    EXPECT_EQ(j["rejected"][0]["error"], "Invalid level");
    EXPECT_EQ(j["rejected"][1]["error"], "Invalid id");
    // The same batch again: all duplicates, nothing stored twice.
    batch["alerts"].erase(3);
    batch["alerts"].erase(3);
    r = post_agent("/api/alerts", batch.dump());
    ASSERT_EQ(r.status, 201);
    j = Json::parse(r.body);
    EXPECT_TRUE(j["accepted"].empty());
    EXPECT_EQ(j["duplicates"], Json({"b0", "b1", "b2"}));
    // 6 of 10 used; a batch of 5 exceeds the bucket as a whole.
    Json big = {{"alerts", Json::array()}};
    for (int i = 0; i < 5; ++i) {
        big["alerts"].push_back(Json::parse(alert_body("a1", "HIGH", "c" + std::to_string(i))));
    }
    r = post_agent("/api/alerts", big.dump());
    EXPECT_EQ(r.status, 429);
    EXPECT_FALSE(r.header("retry-after").empty());
    EXPECT_EQ(post_agent("/api/alerts", R"({"alerts":"x"})").status, 400);
    EXPECT_EQ(post_agent("/api/alerts", batch.dump(), "bad").status, 401);
    login();
    const auto st =
        Json::parse(gui("GET", "/api/state", "", {"Cookie: ns_session=" + cookie_}).body);
    EXPECT_EQ(st["stats"]["total"], 3);
}

TEST_F(ServerApiTest, DashboardNeedsLoginAndHoldsNoAgentKey) {
    start_server();
    auto page = gui("GET", "/");
    ASSERT_EQ(page.status, 200);
    EXPECT_EQ(page.body.find(kApiKey), std::string::npos);
    EXPECT_FALSE(page.header("content-security-policy").empty());
    for (const char* path : {"/api/state", "/api/alerts", "/api/alerts/export", "/api/agents",
                             "/api/me", "/metrics"}) {
        auto r = gui("GET", path);
        EXPECT_EQ(r.status, 401) << path;
        EXPECT_EQ(r.body.find(kApiKey), std::string::npos);
        // The agent key is not a dashboard credential.
        EXPECT_EQ(gui("GET", path, "", {"X-API-Key: " + std::string(kApiKey)}).status, 401);
    }
    EXPECT_EQ(gui("GET", "/api/nothing").status, 404);
    EXPECT_EQ(gui("DELETE", "/api/state").status, 405);
    EXPECT_EQ(gui("GET", "/missing.js").status, 404);
}

TEST_F(ServerApiTest, LoginSessionCookieAndLogout) {
    start_server();
    auto bad = gui("POST", "/api/login", R"({"username":"admin","password":"wrong"})");
    EXPECT_EQ(bad.status, 401);
    EXPECT_EQ(Json::parse(bad.body)["error"], "Invalid credentials");
    EXPECT_TRUE(bad.header("set-cookie").empty());
    auto ok = gui("POST", "/api/login",
                  std::string(R"({"username":"admin","password":")") + kAdminPassword + "\"}");
    ASSERT_EQ(ok.status, 200);
    EXPECT_EQ(Json::parse(ok.body)["user"], "admin");
    EXPECT_EQ(Json::parse(ok.body)["role"], "admin");
    const auto cookie = ok.header("set-cookie");
    EXPECT_EQ(cookie.rfind("ns_session=", 0), 0u);
    for (const char* flag : {"HttpOnly", "Secure", "SameSite=Strict", "Path=/"}) {
        EXPECT_NE(cookie.find(flag), std::string::npos) << flag;
    }
    const std::string value = cookie.substr(11, cookie.find(';') - 11);
    const std::string hdr = "Cookie: ns_session=" + value;
    auto me = gui("GET", "/api/me", "", {hdr});
    ASSERT_EQ(me.status, 200);
    EXPECT_EQ(Json::parse(me.body)["user"], "admin");
    auto out = gui("POST", "/api/logout", "", {hdr});
    EXPECT_EQ(out.status, 200);
    EXPECT_NE(out.header("set-cookie").find("Max-Age=0"), std::string::npos);
    EXPECT_EQ(gui("GET", "/api/me", "", {hdr}).status, 401);
}

TEST_F(ServerApiTest, FailedLoginsAreRateLimited) {
    start_server();
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(gui("POST", "/api/login", R"({"username":"admin","password":"x"})").status, 401);
    }
    auto r = gui("POST", "/api/login",
                 std::string(R"({"username":"admin","password":")") + kAdminPassword + "\"}");
    EXPECT_EQ(r.status, 429);
    EXPECT_EQ(Json::parse(r.body)["error"], "Too many attempts");
}

TEST_F(ServerApiTest, ApiTokenIsReadOnlyBearer) {
    auto token = create_api_token(config_, "ci");
    ASSERT_TRUE(token.is_ok()) << token.error();
    start_server();
    const std::string auth = "Authorization: Bearer " + *token;
    EXPECT_EQ(gui("GET", "/api/state", "", {auth}).status, 200);
    auto m = gui("GET", "/metrics", "", {auth});
    ASSERT_EQ(m.status, 200);
    EXPECT_NE(m.body.find("netsentinel_alerts_total{level=\"HIGH\"}"), std::string::npos);
    EXPECT_NE(m.body.find("netsentinel_store_commit_seconds_bucket"), std::string::npos);
    EXPECT_EQ(gui("GET", "/api/state", "", {"Authorization: Bearer nst_wrong"}).status, 401);
}

TEST_F(ServerApiTest, AlertQueriesFilterAndPage) {
    config_.agent_rate_limit = 1000;
    start_server();
    for (int i = 0; i < 30; ++i) {
        const std::string level = i % 3 == 0 ? "CRITICAL" : "LOW";
        ASSERT_EQ(post_agent("/api/alert",
                             alert_body(i % 2 ? "odd" : "even", level, "q" + std::to_string(i)))
                      .status,
                  201);
    }
    login();
    const std::string c = "Cookie: ns_session=" + cookie_;
    auto j = Json::parse(gui("GET", "/api/alerts?level=CRITICAL&limit=4", "", {c}).body);
    ASSERT_EQ(j["alerts"].size(), 4u);
    for (const auto& a : j["alerts"])
        EXPECT_EQ(a["level"], "CRITICAL");
    ASSERT_TRUE(j["next"].is_string());
    auto j2 = Json::parse(
        gui("GET", "/api/alerts?level=CRITICAL&limit=4&before=" + j["next"].get<std::string>(), "",
            {c})
            .body);
    EXPECT_EQ(j2["alerts"].size(), 4u);
    EXPECT_NE(j2["alerts"][0]["id"], j["alerts"][0]["id"]);
    auto odd = Json::parse(gui("GET", "/api/alerts?agent=odd&limit=100", "", {c}).body);
    EXPECT_EQ(odd["alerts"].size(), 15u);
    EXPECT_TRUE(odd["next"].is_null());
    auto text = Json::parse(gui("GET", "/api/alerts?q=host-ODD", "", {c}).body);
    EXPECT_EQ(text["alerts"].size(), 15u);
    EXPECT_EQ(gui("GET", "/api/alerts?level=BAD", "", {c}).status, 400);
    EXPECT_EQ(gui("GET", "/api/alerts?since=yesterday", "", {c}).status, 400);
    auto range = Json::parse(
        gui("GET",
            "/api/alerts?since=2026-01-01T00:00:00%2B00:00&until=2026-01-03T00:00:00%2B00:00", "",
            {c})
            .body);
    EXPECT_EQ(range["alerts"].size(), 30u);
}

TEST_F(ServerApiTest, ExportStreamsEveryAlertInThreeFormats) {
    config_.agent_rate_limit = 100'000;
    start_server();
    constexpr int kAlerts = 5200;
    for (int b = 0; b < kAlerts / 400; ++b) {
        Json batch = {{"alerts", Json::array()}};
        for (int i = 0; i < 400; ++i) {
            auto a = Json::parse(alert_body("exp", "HIGH", "e" + std::to_string(b * 400 + i)));
            a["message"] = "line, with \"quotes\"";
            batch["alerts"].push_back(a);
        }
        ASSERT_EQ(post_agent("/api/alerts", batch.dump()).status, 201);
    }
    login();
    const std::string c = "Cookie: ns_session=" + cookie_;
    auto json = gui("GET", "/api/alerts/export", "", {c});
    ASSERT_EQ(json.status, 200);
    EXPECT_EQ(json.header("transfer-encoding"), "chunked");
    EXPECT_NE(json.header("content-disposition").find("netsentinel-alerts.json"),
              std::string::npos);
    EXPECT_EQ(Json::parse(json.body).size(), static_cast<size_t>(kAlerts));

    auto nd = gui("GET", "/api/alerts/export?format=ndjson", "", {c});
    ASSERT_EQ(nd.status, 200);
    size_t lines = 0;
    for (size_t pos = 0; (pos = nd.body.find('\n', pos)) != std::string::npos; ++pos)
        ++lines;
    EXPECT_EQ(lines, static_cast<size_t>(kAlerts));

    auto csv = gui("GET", "/api/alerts/export?format=csv", "", {c});
    ASSERT_EQ(csv.status, 200);
    EXPECT_NE(csv.header("content-disposition").find("netsentinel-alerts.csv"), std::string::npos);
    size_t rows = 0;
    for (size_t pos = 0; (pos = csv.body.find("\r\n", pos)) != std::string::npos; pos += 2)
        ++rows;
    EXPECT_EQ(rows, static_cast<size_t>(kAlerts) + 1);  // plus the header
    EXPECT_NE(csv.body.find("\"line, with \"\"quotes\"\"\""), std::string::npos);
    EXPECT_EQ(gui("GET", "/api/alerts/export?format=xml", "", {c}).status, 400);
}

TEST_F(ServerApiTest, RestartKeepsAlertsAgentsAndStats) {
    start_server();
    ASSERT_EQ(post_agent("/api/alert", alert_body("keep", "CRITICAL", "k1")).status, 201);
    ASSERT_EQ(post_agent("/api/alert", alert_body("keep", "LOW", "k2")).status, 201);
    stop_server();
    start_server();
    login();
    const auto st =
        Json::parse(gui("GET", "/api/state", "", {"Cookie: ns_session=" + cookie_}).body);
    EXPECT_EQ(st["stats"]["total"], 2);
    EXPECT_EQ(st["stats"]["by_level"]["CRITICAL"], 1);
    EXPECT_EQ(st["stats"]["top_sources"][0][0], "10.0.0.5");
    EXPECT_EQ(st["stats"]["top_sources"][0][1], 2);
    EXPECT_EQ(st["stats"]["recent_by_level"]["LOW"], 1);
    EXPECT_EQ(st["alerts"].size(), 2u);
    ASSERT_EQ(st["agents"].size(), 1u);
    EXPECT_EQ(st["agents"][0]["alert_count"], 2);
    ASSERT_EQ(st["timeline"].size(), 60u);
    EXPECT_EQ(st["timeline"][59].get<int>() + st["timeline"][58].get<int>(), 2);
}

TEST_F(ServerApiTest, RedirectUsesServerHostNotHostHeader) {
    config_.redirect_port = free_port();
    start_server();
    ASSERT_NE(redirect_port_, 0);
    auto r = http("GET", "http://127.0.0.1:" + std::to_string(redirect_port_) + "/x/y?z=1", "",
                  {"Host: evil.example:8442"});
    EXPECT_EQ(r.status, 301);
    EXPECT_EQ(r.header("location"), "https://127.0.0.1:" + std::to_string(gui_port_) + "/x/y?z=1");
}

TEST_F(ServerApiTest, ExpectContinueIsAnswered) {
    start_server();
    Json batch = {{"alerts", Json::array()}};
    for (int i = 0; i < 20; ++i) {
        batch["alerts"].push_back(Json::parse(alert_body("a1", "LOW", "x" + std::to_string(i))));
    }
    const std::string file = dir_ + "/batch.json";
    ASSERT_EQ(run_command("printf '%s' '" + batch.dump() + "' > " + file).exit_code, 0);
    const auto r = run_command("curl -sv --noproxy '*' --cacert " + cert_ +
                               " -H 'Content-Type: application/json' -H 'X-API-Key: " + kApiKey +
                               "' -H 'Expect: 100-continue' --data-binary @" + file + " " +
                               agent_url("/api/alerts"));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("< HTTP/1.1 100 Continue"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("< HTTP/1.1 201"), std::string::npos) << r.output;
}

TEST_F(ServerApiTest, RedirectBracketsIpv6Hosts) {
    config_.server_host = "::1";
    config_.redirect_port = free_port();
    start_server();
    ASSERT_NE(redirect_port_, 0);
    auto r = http("POST", "http://[::1]:" + std::to_string(redirect_port_) + "/a", "{}",
                  {"Host: [fe80::1]:1"});
    EXPECT_EQ(r.status, 301);
    EXPECT_EQ(r.header("location"), "https://[::1]:" + std::to_string(gui_port_) + "/a");
}

TEST(ServerBannerTest, WildcardBindShowsLocalhostAndDisabledRedirect) {
    config::Config c;
    c.server_host = "0.0.0.0";
    const auto b = banner(c, 8443, 8444, 0);
    EXPECT_NE(b.find("https://localhost:8443/"), std::string::npos) << b;
    EXPECT_NE(b.find("https://localhost:8444/"), std::string::npos) << b;
    EXPECT_NE(b.find("Redirect  : disabled"), std::string::npos) << b;
    EXPECT_EQ(b.find("https://:"), std::string::npos) << b;  // B12
    c.server_host = "fd00::5";
    EXPECT_NE(banner(c, 1, 2, 3).find("http://[fd00::5]:3/"), std::string::npos);
}

TEST(ServerCliTest, HelpDescribesEveryFlag) {
    const auto r = run_command(std::string(SERVER_BINARY) + " --help");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    for (const char* flag : {"--config", "--create-token", "--threads", "--print-config",
                             "SENTINEL_ADMIN_PASSWORD", "initial_admin_password"}) {
        EXPECT_NE(r.output.find(flag), std::string::npos) << flag;
    }
}

TEST_F(ServerApiTest, EmptyApiKeyIsAStartupError) {
    config_.api_key = "";
    ServerApp app(config_);
    const auto st = app.start();
    EXPECT_FALSE(st.is_ok());
    EXPECT_NE(st.message().find("api_key"), std::string::npos);
}

TEST_F(ServerApiTest, FirstStartWritesAGeneratedAdminPassword) {
    unsetenv("SENTINEL_ADMIN_PASSWORD");
    start_server();
    const auto path = config_.data_dir + "/initial_admin_password";
    const auto r = run_command("stat -c %a " + path + " && cat " + path);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output.substr(0, 4), "600\n");
    const std::string pw = r.output.substr(4, r.output.find('\n', 4) - 4);
    auto ok = gui("POST", "/api/login", R"({"username":"admin","password":")" + pw + "\"}");
    EXPECT_EQ(ok.status, 200);
}

}  // namespace
}  // namespace sentinel::server::testing
