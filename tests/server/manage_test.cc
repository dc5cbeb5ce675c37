// Issue #11 over real HTTPS: roles and users, per-user tokens, the audit log, suppression rules
// (API, ingest, agent endpoint, heartbeat deltas), acknowledge / resolve and alert groups.
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "fixture.h"
#include "server/live.h"
#include "server/metrics.h"
#include "server/suppression.h"
#include "store/store.h"

namespace sentinel::server::testing {
namespace {

using Json = nlohmann::json;

class ManageApiTest : public ServerFixture {
  protected:
    std::string login_as(const std::string& user, const std::string& password) {
        auto r = gui("POST", "/api/login", Json{{"username", user}, {"password", password}}.dump());
        EXPECT_EQ(r.status, 200) << r.body;
        const auto sc = r.header("set-cookie");
        return "Cookie: ns_session=" + sc.substr(sc.find('=') + 1, sc.find(';') - sc.find('=') - 1);
    }
    std::string admin() {
        if (admin_.empty())
            admin_ = "Cookie: ns_session=" + login();
        return admin_;
    }
    Response call(const std::string& method, const std::string& path, const std::string& auth,
                  const Json& body = nullptr) {
        return gui(method, path, body.is_null() ? "" : body.dump(), {auth});
    }
    Json get(const std::string& path, const std::string& auth) {
        auto r = gui("GET", path, "", {auth});
        EXPECT_EQ(r.status, 200) << path << ": " << r.body;
        return Json::parse(r.body, nullptr, false);
    }
    static std::string error_of(const Response& r) {
        auto j = Json::parse(r.body, nullptr, false);
        return j.is_object() && j.contains("error") ? j["error"].get<std::string>() : r.body;
    }
    static Json alert(const std::string& id, const std::string& src,
                      const std::string& category = "PORT SCAN", const std::string& agent = "a1") {
        return Json{{"id", id},
                    {"ts", "2026-01-02T03:04:05.123456+00:00"},
                    {"level", "HIGH"},
                    {"category", category},
                    {"message", "from " + src},
                    {"src", src},
                    {"agent_id", agent},
                    {"hostname", "host-" + agent}};
    }
    // Polls a GET until `pred` holds (hit counters are written once a second).
    Json wait_for(const std::string& path, const std::string& auth,
                  const std::function<bool(const Json&)>& pred) {
        Json j;
        for (int i = 0; i < 100; ++i) {
            j = get(path, auth);
            if (pred(j))
                return j;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        ADD_FAILURE() << "condition never held; last " << path << ": " << j.dump();
        return j;
    }
    static Json rule_by_id(const Json& list, int64_t id) {
        for (const auto& r : list["rules"])
            if (r["id"] == id)
                return r;
        return nullptr;
    }
    std::vector<std::string> audit_actions() {
        std::vector<std::string> out;
        const auto page = get("/api/audit?limit=1000", admin());
        for (const auto& e : page["entries"])
            out.push_back(e["action"].get<std::string>());
        return out;
    }

    std::string admin_;
};

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

TEST_F(ManageApiTest, UsersRolesAndTheirErrors) {
    start_server();
    const auto a = admin();
    EXPECT_EQ(get("/api/me", a)["role"], "admin");
    auto users = get("/api/users", a)["users"];
    ASSERT_EQ(users.size(), 1u);
    EXPECT_EQ(users[0]["name"], "admin");
    EXPECT_TRUE(users[0]["created_at"].is_string());

    EXPECT_EQ(gui("GET", "/api/users").status, 401);
    EXPECT_EQ(call("PUT", "/api/users", a).status, 405);
    EXPECT_EQ(call("POST", "/api/users", a, Json("x")).status, 400);
    auto r = call("POST", "/api/users", a,
                  {{"name", "bad name!"}, {"password", "0123456789"}, {"role", "viewer"}});
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(error_of(r).rfind("name:", 0), 0u) << r.body;
    r = call("POST", "/api/users", a, {{"name", "bob"}, {"password", "short"}, {"role", "viewer"}});
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(error_of(r).rfind("password:", 0), 0u) << r.body;
    r = call("POST", "/api/users", a,
             {{"name", "bob"}, {"password", "0123456789"}, {"role", "root"}});
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(error_of(r).rfind("role:", 0), 0u) << r.body;
    r = call("POST", "/api/users", a,
             {{"name", "bob"}, {"password", "bob-password-1"}, {"role", "viewer"}});
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(Json::parse(r.body)["user"]["role"], "viewer");
    r = call("POST", "/api/users", a,
             {{"name", "bob"}, {"password", "bob-password-1"}, {"role", "admin"}});
    EXPECT_EQ(r.status, 409);

    // A viewer reads but never writes.
    const auto b = login_as("bob", "bob-password-1");
    EXPECT_EQ(get("/api/me", b), (Json{{"user", "bob"}, {"role", "viewer"}}));
    EXPECT_EQ(gui("GET", "/api/state", "", {b}).status, 200);
    EXPECT_EQ(gui("GET", "/api/suppressions", "", {b}).status, 200);
    EXPECT_EQ(gui("GET", "/api/alert-groups", "", {b}).status, 200);
    for (const auto& [method, path, body] : std::vector<std::tuple<std::string, std::string, Json>>{
             {"GET", "/api/users", nullptr},
             {"POST", "/api/users", Json{{"name", "eve"}}},
             {"DELETE", "/api/users/admin", nullptr},
             {"GET", "/api/audit", nullptr},
             {"POST", "/api/suppressions", Json{{"category", "PORT SCAN"}}},
             {"DELETE", "/api/suppressions/1", nullptr},
             {"POST", "/api/alerts/ack", Json{{"ids", {"x"}}}},
             {"POST", "/api/alerts/resolve", Json{{"ids", {"x"}}}}}) {
        r = call(method, path, b, body);
        EXPECT_EQ(r.status, 403) << method << " " << path;
        EXPECT_EQ(error_of(r), "Forbidden: admin role required");
    }

    EXPECT_EQ(call("DELETE", "/api/users/admin", a).status, 409) << "not yourself";
    EXPECT_EQ(call("DELETE", "/api/users/nobody", a).status, 404);
    EXPECT_EQ(call("DELETE", "/api/users/bob", a).status, 200);
    EXPECT_EQ(gui("GET", "/api/me", "", {b}).status, 401) << "sessions end with the user";
    EXPECT_EQ(get("/api/users", a)["users"].size(), 1u);
}

TEST_F(ManageApiTest, TokensActWithTheirUsersRoleAndDieWithTheUser) {
    start_server();
    const auto a = admin();
    ASSERT_EQ(call("POST", "/api/users", a,
                   {{"name", "carol"}, {"password", "carol-password"}, {"role", "viewer"}})
                  .status,
              201);
    const auto c = login_as("carol", "carol-password");
    auto r = call("POST", "/api/tokens", c, {{"name", ""}});
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(error_of(r).rfind("name:", 0), 0u);
    r = call("POST", "/api/tokens", c, {{"name", "ci"}});
    ASSERT_EQ(r.status, 201) << r.body;
    const auto made = Json::parse(r.body);
    EXPECT_EQ(made["user"], "carol");
    EXPECT_EQ(made["role"], "viewer");
    EXPECT_TRUE(made["last_used"].is_null());
    const std::string carol_token = "Authorization: Bearer " + made["token"].get<std::string>();
    EXPECT_EQ(get("/api/me", carol_token), (Json{{"user", "carol"}, {"role", "viewer"}}));
    EXPECT_EQ(call("POST", "/api/suppressions", carol_token, {{"category", "X"}}).status, 403);
    auto own = get("/api/tokens", c)["tokens"];
    ASSERT_EQ(own.size(), 1u);
    EXPECT_TRUE(own[0]["last_used"].is_string()) << "use is recorded";
    EXPECT_FALSE(own[0].contains("token")) << "the secret is shown once";

    // An admin's token acts as admin; the admin sees every token.
    r = call("POST", "/api/tokens", a, {{"name", "automation"}});
    ASSERT_EQ(r.status, 201);
    const auto admin_token_id = Json::parse(r.body)["id"].get<int64_t>();
    const std::string admin_token =
        "Authorization: Bearer " + Json::parse(r.body)["token"].get<std::string>();
    EXPECT_EQ(call("POST", "/api/suppressions", admin_token, {{"category", "X"}}).status, 201);
    EXPECT_EQ(get("/api/tokens", a)["tokens"].size(), 2u);
    EXPECT_EQ(get("/api/tokens", c)["tokens"].size(), 1u);
    // Someone else's token is not the viewer's to delete.
    EXPECT_EQ(call("DELETE", "/api/tokens/" + std::to_string(admin_token_id), c).status, 404);
    EXPECT_EQ(call("DELETE", "/api/tokens/abc", c).status, 404);
    EXPECT_EQ(call("DELETE", "/api/tokens/" + std::to_string(admin_token_id), a).status, 200);
    EXPECT_EQ(gui("GET", "/api/me", "", {admin_token}).status, 401);

    // Legacy tokens made by `sentinel-server --create-token` are viewers.
    auto legacy = create_api_token(config_, "legacy");
    ASSERT_TRUE(legacy.is_ok());
    const std::string l = "Authorization: Bearer " + *legacy;
    EXPECT_EQ(get("/api/me", l)["role"], "viewer");
    EXPECT_EQ(call("POST", "/api/suppressions", l, {{"category", "X"}}).status, 403);

    EXPECT_EQ(call("DELETE", "/api/users/carol", a).status, 200);
    EXPECT_EQ(gui("GET", "/api/me", "", {carol_token}).status, 401) << "tokens die with the user";
    EXPECT_EQ(gui("GET", "/api/state", "", {carol_token}).status, 401);
}

TEST_F(ManageApiTest, CurrentPasswordGuessesAreLimitedLikeLogins) {
    start_server();
    const auto a = admin();
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(call("POST", "/api/me/password", a, {{"old", "guess"}, {"new", "new-password-1"}})
                      .status,
                  422);
    }
    const auto r =
        call("POST", "/api/me/password", a, {{"old", kAdminPassword}, {"new", "new-password-1"}});
    EXPECT_EQ(r.status, 429) << r.body;
    EXPECT_EQ(
        gui("POST", "/api/login", Json{{"username", "admin"}, {"password", kAdminPassword}}.dump())
            .status,
        429);
}

TEST_F(ManageApiTest, PasswordChangeAndAuditLog) {
    start_server();
    const auto a = admin();
    EXPECT_EQ(gui("POST", "/api/login", R"({"username":"admin","password":"wrong"})").status, 401);
    auto r = call("POST", "/api/me/password", a, {{"old", "wrong"}, {"new", "new-password-1"}});
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(error_of(r).rfind("old:", 0), 0u);
    r = call("POST", "/api/me/password", a, {{"old", kAdminPassword}, {"new", "short"}});
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(error_of(r).rfind("new:", 0), 0u);
    EXPECT_EQ(call("POST", "/api/me/password", a, Json("x")).status, 400);
    r = call("POST", "/api/me/password", a, {{"old", kAdminPassword}, {"new", "new-password-1"}});
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(
        gui("POST", "/api/login", Json{{"username", "admin"}, {"password", kAdminPassword}}.dump())
            .status,
        401);
    const auto a2 = login_as("admin", "new-password-1");
    ASSERT_EQ(call("POST", "/api/users", a2,
                   {{"name", "dave"}, {"password", "dave-password"}, {"role", "viewer"}})
                  .status,
              201);
    ASSERT_EQ(call("DELETE", "/api/users/dave", a2).status, 200);
    ASSERT_EQ(call("POST", "/api/logout", a).status, 200);
    admin_ = a2;

    auto entries = get("/api/audit?limit=1000", a2)["entries"];
    std::vector<std::string> actions;
    for (const auto& e : entries) {
        actions.push_back(e["action"]);
        EXPECT_EQ(e["ip"], "127.0.0.1");
        EXPECT_TRUE(e["ts"].is_string());
    }
    for (const char* want :
         {"login", "login_failed", "password_change", "user_create", "user_delete", "logout"})
        EXPECT_TRUE(has(actions, want)) << want;
    EXPECT_EQ(entries[0]["action"], "logout") << "newest first";
    EXPECT_EQ(entries[0]["user"], "admin");
    EXPECT_EQ(entries[1]["action"], "user_delete");
    EXPECT_EQ(entries[1]["target"], "dave");

    auto page = get("/api/audit?limit=2", a2);
    ASSERT_EQ(page["entries"].size(), 2u);
    ASSERT_TRUE(page["next"].is_string());
    auto page2 = get("/api/audit?limit=2&before=" + page["next"].get<std::string>(), a2);
    EXPECT_EQ(page2["entries"][0]["id"], entries[2]["id"]);
    EXPECT_EQ(gui("GET", "/api/audit?limit=0", "", {a2}).status, 400);
    EXPECT_EQ(gui("GET", "/api/audit?before=x", "", {a2}).status, 400);
}

TEST_F(ManageApiTest, RuleValidationNamesTheField) {
    start_server();
    const auto a = admin();
    for (const auto& [body, field] : std::vector<std::pair<Json, std::string>>{
             {Json{{"src", "nope"}}, "src:"},
             {Json{{"dst", "300.1.1.1"}}, "dst:"},
             {Json{{"port", 70000}}, "port:"},
             {Json{{"category", 5}}, "category:"},
             {Json{{"category", "X"}, {"expires_at", "tomorrow"}}, "expires_at:"},
             {Json{{"category", "X"}, {"expires_at", "2001-01-01T00:00:00+00:00"}}, "expires_at:"},
             {Json{{"category", "X"}, {"expires_in_s", -5}}, "expires_in_s:"},
         }) {
        auto r = call("POST", "/api/suppressions", a, body);
        EXPECT_EQ(r.status, 422) << body.dump();
        EXPECT_EQ(error_of(r).rfind(field, 0), 0u) << body.dump() << " → " << r.body;
    }
    auto r = call("POST", "/api/suppressions", a, {{"comment", "nothing to match"}});
    EXPECT_EQ(r.status, 422) << "at least one matching field";
    EXPECT_EQ(call("POST", "/api/suppressions", a, Json::array()).status, 400);
    EXPECT_EQ(gui("POST", "/api/suppressions", "{", {a}).status, 400);
    EXPECT_EQ(gui("GET", "/api/suppressions").status, 401);
    EXPECT_EQ(call("DELETE", "/api/suppressions/999", a).status, 404);
    EXPECT_EQ(call("DELETE", "/api/suppressions/x", a).status, 404);
    EXPECT_EQ(call("PUT", "/api/suppressions", a).status, 405);
    EXPECT_EQ(get("/api/suppressions", a)["rules"].size(), 0u);
}

TEST_F(ManageApiTest, RulesSuppressOnIngestAndCountHits) {
    config_.agent_rate_limit = 1000;
    start_server();
    const auto a = admin();
    // History: one alert from inside 10/8 within the last 7 days (ts = now).
    auto recent = alert("old-1", "10.1.2.3:4444");
    recent.erase("ts");
    ASSERT_EQ(post_agent("/api/alert", recent.dump()).status, 201);

    auto r = call("POST", "/api/suppressions", a,
                  {{"category", "port scan"}, {"src", "10.0.0.0/8"}, {"comment", "scanner"}});
    ASSERT_EQ(r.status, 201) << r.body;
    auto made = Json::parse(r.body);
    const int64_t id = made["rule"]["id"];
    EXPECT_EQ(made["would_have_matched"], 1);
    EXPECT_FALSE(made.contains("warning"));
    EXPECT_EQ(made["rule"]["created_by"], "admin");
    EXPECT_EQ(made["rule"]["hits"], 0);
    EXPECT_EQ(made["rule"]["expired"], false);

    r = call("POST", "/api/suppressions", a, {{"dst", "192.0.2.1"}, {"expires_in_s", 3600}});
    ASSERT_EQ(r.status, 201) << r.body;
    made = Json::parse(r.body);
    EXPECT_EQ(made["would_have_matched"], 0);
    EXPECT_EQ(made["warning"], "This rule matches no alert seen in the last 7 days");
    EXPECT_TRUE(made["rule"]["expires_at"].is_string());
    const int64_t dst_rule = made["rule"]["id"];
    const auto rules = get("/api/suppressions", a);
    EXPECT_EQ(rules["rules"].size(), 2u);
    EXPECT_EQ(rules["version"], 2);

    // Single: acknowledged, not stored.
    r = post_agent("/api/alert", alert("s-1", "10.9.9.9").dump());
    ASSERT_EQ(r.status, 201);
    EXPECT_EQ(Json::parse(r.body)["id"], "s-1");
    // Batch: two suppressed (one by flow src, one by dst), one stored.
    auto by_flow = alert("s-2", "");
    by_flow["flow"] = {{"src_ip", "10.7.7.7"},
                       {"src_port", 1234},
                       {"dest_ip", "10.0.0.1"},
                       {"dest_port", 22},
                       {"proto", 6}};
    auto by_dst = alert("s-3", "172.16.0.9", "SYN FLOOD");
    by_dst["flow"] = {{"src_ip", "172.16.0.9"},
                      {"src_port", 1},
                      {"dest_ip", "192.0.2.1"},
                      {"dest_port", 80},
                      {"proto", 6}};
    Json batch = {{"alerts", {by_flow, alert("keep-1", "172.16.0.1"), by_dst}}};
    r = post_agent("/api/alerts", batch.dump());
    ASSERT_EQ(r.status, 201) << r.body;
    auto res = Json::parse(r.body);
    EXPECT_EQ(res["accepted"].size(), 3u);
    EXPECT_EQ(res["suppressed"], (Json{"s-2", "s-3"}));
    auto stored = get("/api/alerts?limit=100", a)["alerts"];
    ASSERT_EQ(stored.size(), 2u);
    EXPECT_EQ(stored[0]["id"], "keep-1");
    EXPECT_EQ(stored[1]["id"], "old-1");

    auto list = wait_for("/api/suppressions", a, [&](const Json& j) {
        return rule_by_id(j, id)["hits_server"] == 2 && rule_by_id(j, dst_rule)["hits"] == 1;
    });
    EXPECT_TRUE(rule_by_id(list, id)["last_hit"].is_string());
    EXPECT_EQ(get("/api/state", a)["stats"]["suppressed_total"], 3);
    auto metrics = gui("GET", "/metrics", "", {a}).body;
    EXPECT_NE(metrics.find("netsentinel_suppressed_total{rule=\"" + std::to_string(id) + "\"} 2"),
              std::string::npos)
        << metrics;

    // The agent's view.
    EXPECT_EQ(http("GET", agent_url("/api/agent/suppressions"), "", {}, cert_).status, 401);
    r = http("GET", agent_url("/api/agent/suppressions"), "",
             {"X-API-Key: " + std::string(kApiKey)}, cert_);
    ASSERT_EQ(r.status, 200);
    auto agent_view = Json::parse(r.body);
    EXPECT_EQ(agent_view["version"], 2);
    ASSERT_EQ(agent_view["rules"].size(), 2u);
    EXPECT_EQ(agent_view["rules"][0]["src"], "10.0.0.0/8");
    EXPECT_FALSE(agent_view["rules"][0].contains("hits"));
    EXPECT_FALSE(agent_view["rules"][0].contains("comment"));

    // Deleting the rule restores the alerts.
    EXPECT_EQ(call("DELETE", "/api/suppressions/" + std::to_string(id), a).status, 200);
    EXPECT_EQ(call("DELETE", "/api/suppressions/" + std::to_string(id), a).status, 404);
    ASSERT_EQ(post_agent("/api/alert", alert("s-4", "10.9.9.9").dump()).status, 201);
    EXPECT_EQ(get("/api/alerts?limit=100", a)["alerts"][0]["id"], "s-4");
    // Its hits still count: the suppressed total never goes down.
    EXPECT_EQ(get("/api/state", a)["stats"]["suppressed_total"], 3);
    metrics = gui("GET", "/metrics", "", {a}).body;
    EXPECT_NE(metrics.find("netsentinel_suppressed_total{rule=\"deleted\"} 2"), std::string::npos)
        << metrics;
    EXPECT_EQ(metrics.find("netsentinel_suppressed_total{rule=\"" + std::to_string(id) + "\"}"),
              std::string::npos);
    auto actions = audit_actions();
    EXPECT_TRUE(has(actions, "rule_create"));
    EXPECT_TRUE(has(actions, "rule_delete"));
}

TEST_F(ManageApiTest, HeartbeatCountsBecomeDeltasAcrossAgentAndServerRestarts) {
    start_server();
    const auto a = admin();
    auto r = call("POST", "/api/suppressions", a, {{"category", "PORT SCAN"}});
    ASSERT_EQ(r.status, 201);
    const int64_t id = Json::parse(r.body)["rule"]["id"];
    const std::string key = std::to_string(id);
    auto beat = [&](uint64_t n) {
        auto resp = post_agent("/api/agent/heartbeat",
                               Json{{"agent_id", "hb1"},
                                    {"hostname", "h"},
                                    {"suppressed", {{key, n}, {"9999", 5}, {"junk", 1}}}}
                                   .dump());
        EXPECT_EQ(resp.status, 200);
        return Json::parse(resp.body);
    };
    EXPECT_EQ(beat(10)["suppressions_version"], 1);
    beat(15);  // +5
    beat(15);  // +0
    beat(4);   // the agent restarted: +4
    auto hits = [&](const Json& j) { return rule_by_id(j, id)["hits_agents"]; };
    wait_for("/api/suppressions", a, [&](const Json& j) { return hits(j) == 19; });
    bool found = false;
    const auto agents = get("/api/agents", a);
    for (const auto& ag : agents) {
        if (ag["agent_id"] == "hb1") {
            found = true;
            EXPECT_EQ(ag["suppressed"], 4) << "the agent's own counts since it started";
        }
    }
    EXPECT_TRUE(found);
    auto heartbeat_without = post_agent("/api/agent/heartbeat", R"({"agent_id":"hb2"})");
    EXPECT_EQ(Json::parse(heartbeat_without.body)["suppressions_version"], 1);

    // After a server restart the last reports are remembered: 4 again adds nothing, 6 adds 2.
    stop_server();
    start_server();
    admin_.clear();
    const auto a2 = admin();
    EXPECT_EQ(hits(get("/api/suppressions", a2)), 19);
    beat(4);
    beat(6);
    wait_for("/api/suppressions", a2, [&](const Json& j) { return hits(j) == 21; });
    EXPECT_EQ(get("/api/state", a2)["stats"]["suppressed_total"], 21);

    // A deleted rule's hits, flushed or not, stay in the total across restarts.
    beat(9);  // +3, maybe still pending when the rule goes
    EXPECT_EQ(call("DELETE", "/api/suppressions/" + key, a2).status, 200);
    EXPECT_EQ(get("/api/state", a2)["stats"]["suppressed_total"], 24);
    stop_server();
    start_server();
    admin_.clear();
    EXPECT_EQ(get("/api/state", admin())["stats"]["suppressed_total"], 24);
}

TEST_F(ManageApiTest, AckResolveStatusFiltersGroupsAndExport) {
    config_.agent_rate_limit = 1000;
    start_server();
    const auto a = admin();
    auto w1 = alert("w1", "10.0.0.5");
    w1["flow"] = {{"src_ip", "10.0.0.5"},
                  {"src_port", 4444},
                  {"dest_ip", "10.0.0.2"},
                  {"dest_port", 22},
                  {"proto", 6}};
    Json batch = {{"alerts", {w1, alert("w2", "10.0.0.5"), alert("w3", "10.0.0.6", "SYN FLOOD")}}};
    ASSERT_EQ(post_agent("/api/alerts", batch.dump()).status, 201);

    auto all = get("/api/alerts", a)["alerts"];
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[2]["flow"]["dest_port"], 22);
    EXPECT_EQ(all[2]["status"], "new");
    EXPECT_TRUE(all[2]["ack_by"].is_null());

    auto r = call("POST", "/api/alerts/ack", a, {{"ids", {"w1"}}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Json::parse(r.body)["updated"], 1);
    EXPECT_EQ(Json::parse(call("POST", "/api/alerts/ack", a, {{"ids", {"w1"}}}).body)["updated"],
              0);
    auto acked = get("/api/alerts?status=acknowledged", a)["alerts"];
    ASSERT_EQ(acked.size(), 1u);
    EXPECT_EQ(acked[0]["ack_by"], "admin");
    EXPECT_TRUE(acked[0]["ack_at"].is_string());
    EXPECT_EQ(get("/api/alerts?status=new", a)["alerts"].size(), 2u);

    r = call("POST", "/api/alerts/resolve", a,
             {{"group", {{"category", "PORT SCAN"}, {"src", "10.0.0.5"}}}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Json::parse(r.body)["updated"], 2);
    auto open = get("/api/alerts?status=open", a)["alerts"];
    ASSERT_EQ(open.size(), 1u);
    EXPECT_EQ(open[0]["id"], "w3");
    auto resolved = get("/api/alerts?status=resolved", a)["alerts"];
    ASSERT_EQ(resolved.size(), 2u);
    for (const auto& x : resolved) {
        EXPECT_EQ(x["resolved_by"], "admin");
        EXPECT_EQ(x["ack_by"], "admin");
    }

    auto nd = gui("GET", "/api/alerts/export?format=ndjson&status=resolved", "", {a});
    ASSERT_EQ(nd.status, 200);
    EXPECT_EQ(std::count(nd.body.begin(), nd.body.end(), '\n'), 2);
    EXPECT_NE(nd.body.find("\"status\":\"resolved\""), std::string::npos);
    auto csv = gui("GET", "/api/alerts/export?format=csv", "", {a}).body;
    EXPECT_NE(csv.find(",src_ip,src_port,dest_ip,dest_port,proto,status,"), std::string::npos);
    EXPECT_NE(csv.find(",10.0.0.5,4444,10.0.0.2,22,6,resolved,admin,"), std::string::npos) << csv;

    auto groups = get("/api/alert-groups", a)["groups"];
    ASSERT_EQ(groups.size(), 2u);
    Json scan;
    for (const auto& g : groups)
        if (g["category"] == "PORT SCAN")
            scan = g;
    EXPECT_EQ(scan["src"], "10.0.0.5");
    EXPECT_EQ(scan["count"], 2);
    EXPECT_EQ(scan["open"], 0);
    EXPECT_EQ(scan["new"], 0);
    EXPECT_EQ(scan["agents"], 1);
    EXPECT_EQ(scan["level"], "HIGH");
    EXPECT_EQ(scan["last_message"], "from 10.0.0.5");
    auto open_groups = get("/api/alert-groups?status=open", a)["groups"];
    ASSERT_EQ(open_groups.size(), 1u);
    EXPECT_EQ(open_groups[0]["category"], "SYN FLOOD");
    EXPECT_EQ(get("/api/alert-groups?limit=1", a)["groups"].size(), 1u);

    EXPECT_EQ(gui("GET", "/api/alerts?status=done", "", {a}).status, 400);
    EXPECT_EQ(gui("GET", "/api/alert-groups?status=done", "", {a}).status, 400);
    EXPECT_EQ(gui("GET", "/api/alert-groups?limit=x", "", {a}).status, 400);
    EXPECT_EQ(gui("GET", "/api/alert-groups").status, 401);
    for (const auto& [body, field] : std::vector<std::pair<Json, std::string>>{
             {Json::object(), "ids:"},
             {Json{{"ids", "w1"}}, "ids:"},
             {Json{{"ids", Json::array()}}, "ids:"},
             {Json{{"ids", {1, 2}}}, "ids:"},
             {Json{{"group", {{"src", "x"}}}}, "group.category:"},
             {Json{{"group", "x"}}, "group:"}}) {
        r = call("POST", "/api/alerts/ack", a, body);
        EXPECT_EQ(r.status, 422) << body.dump();
        EXPECT_EQ(error_of(r).rfind(field, 0), 0u) << r.body;
    }
    EXPECT_EQ(gui("POST", "/api/alerts/resolve", "nope", {a}).status, 400);
    EXPECT_EQ(call("GET", "/api/alerts/ack", a).status, 405);
    auto actions = audit_actions();
    EXPECT_TRUE(has(actions, "alert_ack"));
    EXPECT_TRUE(has(actions, "alert_resolve"));
}

TEST_F(ManageApiTest, WebSocketPushesRulesAndAlertUpdates) {
    start_server();
    const std::string cookie = login();
    const std::string origin = "https://127.0.0.1:" + std::to_string(gui_port_);
    const auto r = run_command("timeout 60 /usr/bin/python3 " + std::string(WS_CLIENT) + " " +
                               std::to_string(gui_port_) + " " + std::to_string(agent_port_) + " " +
                               cert_ + " " + cookie + " " + origin + " " + kApiKey + " manage");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output,
              "101\nsuppressions\nalerts new\nalert_update acknowledged admin\n"
              "group_update resolved\n");
}

// Deterministic checks of the rule cache: expiry and agent deltas at chosen times.
class SuppressionsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/suppressions_test.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        auto s = store::open_sqlite(dir_ + "/db", {});
        ASSERT_TRUE(s.is_ok());
        store_ = std::move(s).value();
        live_ = std::make_unique<LiveState>(LiveOptions{}, metrics_);
        sup_ = std::make_unique<Suppressions>(*store_, *live_);
    }
    void TearDown() override {
        sup_.reset();
        store_->close();
        std::filesystem::remove_all(dir_);
    }
    std::string dir_;
    std::unique_ptr<store::Store> store_;
    Metrics metrics_;
    std::unique_ptr<LiveState> live_;
    std::unique_ptr<Suppressions> sup_;
};

TEST_F(SuppressionsTest, ExpiredRulesStopMatchingAndAreLeftOutForAgents) {
    sup_->start();
    const auto t0 = Timestamp::from_seconds(2'000'000'000);
    suppress::Rule rule;
    rule.category = "PORT SCAN";
    rule.expires_at = t0 + Duration::seconds(60);
    rule.created_at = t0;
    auto made = sup_->add(rule);
    ASSERT_TRUE(made.is_ok()) << made.error();
    schema::Alert a;
    a.category = "port scan";
    a.src = "10.0.0.1";
    EXPECT_EQ(sup_->match(a, t0), made->id);
    EXPECT_FALSE(sup_->match(a, t0 + Duration::seconds(60)).has_value());
    EXPECT_NE(sup_->agent_rules_json(t0).find("PORT SCAN"), std::string::npos);
    EXPECT_EQ(sup_->agent_rules_json(t0 + Duration::seconds(61)).find("PORT SCAN"),
              std::string::npos);
    EXPECT_NE(sup_->rules_json(t0 + Duration::seconds(61)).find("\"expired\":true"),
              std::string::npos);
    sup_->flush(t0);
    auto stored = store_->load_suppressions();
    ASSERT_EQ(stored->size(), 1u);
    EXPECT_EQ((*stored)[0].hits_server, 1u) << "hits are written in batches by flush";
}

TEST_F(SuppressionsTest, AgentCountsTurnIntoDeltas) {
    sup_->start();
    suppress::Rule rule;
    rule.agent_id = "x";
    auto made = sup_->add(rule);
    ASSERT_TRUE(made.is_ok());
    const auto t = Timestamp::from_seconds(1'900'000'000);
    sup_->agent_report("x", {{made->id, 7}}, t);
    sup_->agent_report("x", {{made->id, 9}}, t);
    sup_->agent_report("y", {{made->id, 3}}, t);         // another agent: its own baseline
    sup_->agent_report("x", {{made->id, 2}}, t);         // restart
    sup_->agent_report("x", {{made->id + 100, 50}}, t);  // unknown rule
    EXPECT_EQ(sup_->total(), 14u);
    sup_->flush(t);
    EXPECT_EQ((*store_->load_suppressions())[0].hits_agents, 14u);
    auto counts = store_->load_agent_rule_counts();
    ASSERT_EQ(counts->size(), 2u);
    EXPECT_EQ(sup_->total(), 14u) << "flushing moves pending hits, it does not double them";
}

}  // namespace
}  // namespace sentinel::server::testing
