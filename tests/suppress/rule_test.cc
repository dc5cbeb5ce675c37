#include "suppress/rule.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace sentinel::suppress {
namespace {

using nlohmann::json;

const Timestamp kNow = *schema::parse_iso8601("2026-11-21T12:00:00+00:00");

Rule parse(const char* text) {
    auto r = rule_from_json(json::parse(text));
    EXPECT_TRUE(r.is_ok()) << text << ": " << (r.is_ok() ? "" : r.error());
    return r.is_ok() ? std::move(r).value() : Rule{};
}

std::string parse_error(const char* text, std::optional<Timestamp> now = std::nullopt) {
    auto r = rule_from_json(json::parse(text), now);
    EXPECT_FALSE(r.is_ok()) << text;
    return r.is_ok() ? std::string() : r.error();
}

schema::Alert alert(std::string category, std::string src, std::optional<schema::Flow> flow = {}) {
    schema::Alert a;
    a.id = "a1";
    a.ts = kNow;
    a.category = std::move(category);
    a.src = std::move(src);
    a.agent_id = "agent-1";
    a.hostname = "h";
    a.flow = std::move(flow);
    return a;
}

schema::Flow flow(std::string src, uint16_t sport, std::string dst, uint16_t dport,
                  uint8_t proto = 6) {
    return schema::Flow{std::move(src), std::move(dst), sport, dport, proto};
}

TEST(SuppressRuleTest, ParsesEveryField) {
    const auto r = parse(R"({"id":7,"category":"PORT SCAN","src":"10.0.0.0/8","dst":"192.168.1.5",
        "port":22,"agent_id":"agent-1","expires_at":"2026-11-22T10:00:00.000000+00:00",
        "comment":"nightly backup","created_by":"admin",
        "created_at":"2026-11-20T10:00:00.000000+00:00","hits":5,"expired":false})");
    EXPECT_EQ(r.id, 7);
    EXPECT_EQ(r.category, "PORT SCAN");
    ASSERT_TRUE(r.src);
    EXPECT_EQ(r.src->to_string(), "10.0.0.0/8");
    ASSERT_TRUE(r.dst);
    EXPECT_EQ(cidr_text(*r.dst), "192.168.1.5");
    EXPECT_EQ(r.port, uint16_t{22});
    EXPECT_EQ(r.agent_id, "agent-1");
    ASSERT_TRUE(r.expires_at);
    EXPECT_EQ(schema::format_iso8601(*r.expires_at), "2026-11-22T10:00:00.000000+00:00");
    EXPECT_EQ(r.comment, "nightly backup");
    EXPECT_EQ(r.created_by, "admin");
    ASSERT_TRUE(r.created_at);
}

TEST(SuppressRuleTest, EmptyAndNullMeanAny) {
    const auto r = parse(R"({"category":"","src":null,"dst":"","port":null,"agent_id":"x",
                             "expires_at":null})");
    EXPECT_TRUE(r.category.empty());
    EXPECT_FALSE(r.src);
    EXPECT_FALSE(r.dst);
    EXPECT_FALSE(r.port);
    EXPECT_FALSE(r.expires_at);
    EXPECT_EQ(r.id, 0);
}

TEST(SuppressRuleTest, PortAcceptsNumericText) {
    EXPECT_EQ(parse(R"({"port":"443"})").port, uint16_t{443});
    EXPECT_FALSE(parse(R"({"port":"","category":"X"})").port);
}

TEST(SuppressRuleTest, NormalisesCidrHostBits) {
    const auto r = parse(R"({"src":"10.1.2.3/8"})");
    EXPECT_EQ(cidr_text(*r.src), "10.0.0.0/8");
}

TEST(SuppressRuleTest, ErrorsNameTheField) {
    EXPECT_EQ(parse_error(R"({"src":"10.0.0.256"})"), "src: expected an IPv4/IPv6 address or CIDR");
    EXPECT_EQ(parse_error(R"({"src":"10.0.0.0/33"})"),
              "src: expected an IPv4/IPv6 address or CIDR");
    EXPECT_EQ(parse_error(R"({"src":5})"), "src: expected an IPv4/IPv6 address or CIDR");
    EXPECT_EQ(parse_error(R"({"dst":"example.com"})"),
              "dst: expected an IPv4/IPv6 address or CIDR");
    EXPECT_EQ(parse_error(R"({"dst":"fe80::/129"})"), "dst: expected an IPv4/IPv6 address or CIDR");
    EXPECT_EQ(parse_error(R"({"port":0})"), "port: expected an integer from 1 to 65535");
    EXPECT_EQ(parse_error(R"({"port":65536})"), "port: expected an integer from 1 to 65535");
    EXPECT_EQ(parse_error(R"({"port":-1})"), "port: expected an integer from 1 to 65535");
    EXPECT_EQ(parse_error(R"({"port":22.5})"), "port: expected an integer from 1 to 65535");
    EXPECT_EQ(parse_error(R"({"port":"22a"})"), "port: expected an integer from 1 to 65535");
    EXPECT_EQ(parse_error(R"({"port":true})"), "port: expected an integer from 1 to 65535");
    EXPECT_EQ(parse_error(R"({"category":5})"), "category: expected a string");
    EXPECT_EQ(parse_error(R"({"agent_id":[]})"), "agent_id: expected a string");
    EXPECT_EQ(parse_error(R"({"category":"X","comment":{}})"), "comment: expected a string");
    EXPECT_EQ(parse_error(R"({"category":"X","expires_at":"tomorrow"})"),
              "expires_at: expected an ISO-8601 time or null");
    EXPECT_EQ(parse_error(R"({"category":"X","expires_at":12})"),
              "expires_at: expected an ISO-8601 time or null");
    EXPECT_EQ(parse_error(R"({"id":"7","category":"X"})"), "id: expected a non-negative integer");
    EXPECT_EQ(parse_error(R"({"id":-3,"category":"X"})"), "id: expected a non-negative integer");
    EXPECT_EQ(
        parse_error(std::string(R"({"category":")" + std::string(129, 'A') + R"("})").c_str()),
        "category: too long (at most 128 characters)");
    EXPECT_EQ(parse_error(R"([1,2])"), "rule: expected a JSON object");
}

TEST(SuppressRuleTest, NeedsAtLeastOneMatchingField) {
    EXPECT_EQ(parse_error(R"({"comment":"everything","expires_at":null})"),
              "rule: set at least one of category, src, dst, port, agent_id");
    EXPECT_EQ(parse_error(R"({"category":"  ","src":""})"),
              "rule: set at least one of category, src, dst, port, agent_id");
}

TEST(SuppressRuleTest, ExpiresInSecondsNeedsNow) {
    EXPECT_EQ(parse_error(R"({"category":"X","expires_in_s":60})"),
              "expires_in_s: not accepted here; use expires_at");
    auto r = rule_from_json(json::parse(R"({"category":"X","expires_in_s":90})"), kNow);
    ASSERT_TRUE(r.is_ok()) << r.error();
    EXPECT_EQ(*r->expires_at, kNow + Duration::seconds(90));
    EXPECT_EQ(parse_error(R"({"category":"X","expires_in_s":0})", kNow),
              "expires_in_s: expected a positive number of seconds (at most 10 years)");
    EXPECT_EQ(parse_error(R"({"category":"X","expires_in_s":"60"})", kNow),
              "expires_in_s: expected a positive number of seconds (at most 10 years)");
    EXPECT_EQ(parse_error(R"({"category":"X","expires_in_s":60,
                              "expires_at":"2026-11-22T10:00:00+00:00"})",
                          kNow),
              "expires_in_s: give either expires_at or expires_in_s");
}

TEST(SuppressRuleTest, JsonRoundTrip) {
    const auto r = parse(R"({"id":3,"category":"DNS TUNNEL","src":"2001:db8::/32","port":53,
                             "expires_at":"2026-11-22T10:00:00.000000+00:00","comment":"c"})");
    const auto j = to_json(r);
    EXPECT_EQ(j.dump(),
              R"({"id":3,"category":"DNS TUNNEL","src":"2001:db8::/32","dst":"","port":53,)"
              R"("agent_id":"","expires_at":"2026-11-22T10:00:00.000000+00:00","comment":"c",)"
              R"("created_by":"","created_at":null})");
    const auto back = rule_from_json(json::parse(j.dump()));
    ASSERT_TRUE(back.is_ok());
    EXPECT_EQ(to_json(*back), j);

    const auto agent = to_agent_json(r);
    EXPECT_FALSE(agent.contains("comment"));
    EXPECT_EQ(agent["port"], 53);
    EXPECT_TRUE(agent["dst"].get<std::string>().empty());
}

TEST(SuppressRuleTest, ApiFormHasStats) {
    const auto r = parse(R"({"id":3,"category":"X","expires_at":"2026-11-21T12:00:00+00:00"})");
    RuleStats stats{3, 120, kNow};
    const auto j = to_json(r, stats, kNow);
    EXPECT_EQ(j["hits"], 123);
    EXPECT_EQ(j["hits_server"], 3);
    EXPECT_EQ(j["hits_agents"], 120);
    EXPECT_EQ(j["expired"], true);
    EXPECT_EQ(j["last_hit"], schema::format_iso8601(kNow));
    EXPECT_EQ(to_json(r, RuleStats{}, kNow - Duration::seconds(1))["expired"], false);
    EXPECT_TRUE(to_json(r, RuleStats{}, kNow)["last_hit"].is_null());
}

TEST(SuppressMatchTest, CategoryIsCaseInsensitiveAndExact) {
    const auto r = parse(R"({"category":"port scan"})");
    EXPECT_TRUE(matches(r, alert("PORT SCAN", "10.0.0.1"), kNow));
    EXPECT_TRUE(matches(r, alert("Port Scan", "10.0.0.1"), kNow));
    EXPECT_FALSE(matches(r, alert("PORT SCANS", "10.0.0.1"), kNow));
    EXPECT_FALSE(matches(r, alert("SYN FLOOD", "10.0.0.1"), kNow));
}

TEST(SuppressMatchTest, SrcUsesAlertSrcThenFlow) {
    const auto r = parse(R"({"src":"10.0.0.0/8"})");
    EXPECT_TRUE(matches(r, alert("X", "10.1.2.3"), kNow));
    EXPECT_TRUE(matches(r, alert("X", "10.1.2.3:4444"), kNow));
    EXPECT_FALSE(matches(r, alert("X", "11.1.2.3"), kNow));
    EXPECT_FALSE(matches(r, alert("X", "not an address"), kNow));
    EXPECT_FALSE(matches(r, alert("X", ""), kNow));
    // alert.src (what the feed shows and groups by) wins over the flow: a SYN FLOOD reported at
    // its victim carries the victim in src and one of the flooding sources in the flow.
    EXPECT_FALSE(matches(r, alert("X", "192.168.0.1", flow("10.9.9.9", 1, "1.1.1.1", 2)), kNow));
    EXPECT_TRUE(matches(r, alert("X", "10.0.0.1", flow("192.168.0.1", 1, "10.0.0.1", 2)), kNow));
    EXPECT_TRUE(matches(r, alert("X", "", flow("10.9.9.9", 1, "1.1.1.1", 2)), kNow));
}

TEST(SuppressMatchTest, SrcIpv6) {
    const auto r = parse(R"({"src":"2001:db8::/32"})");
    EXPECT_TRUE(matches(r, alert("X", "2001:db8::1"), kNow));
    EXPECT_TRUE(matches(r, alert("X", "[2001:db8::1]:443"), kNow));
    EXPECT_FALSE(matches(r, alert("X", "2001:db9::1"), kNow));
    EXPECT_FALSE(matches(r, alert("X", "10.0.0.1"), kNow));  // other family
    EXPECT_TRUE(matches(r, alert("X", "", flow("2001:db8:1::5", 1, "2001:db9::1", 2)), kNow));
    const auto host = parse(R"({"src":"fe80::1"})");
    EXPECT_TRUE(matches(host, alert("X", "fe80::1"), kNow));
    EXPECT_FALSE(matches(host, alert("X", "fe80::2"), kNow));
}

TEST(SuppressMatchTest, SplitAlertSrc) {
    auto [a, p] = split_alert_src("1.2.3.4:80");
    EXPECT_EQ(a->to_string(), "1.2.3.4");
    EXPECT_EQ(p, 80);
    std::tie(a, p) = split_alert_src("[2001:db8::1]:443");
    EXPECT_EQ(a->to_string(), "2001:db8::1");
    EXPECT_EQ(p, 443);
    std::tie(a, p) = split_alert_src("2001:db8::1");
    EXPECT_EQ(a->to_string(), "2001:db8::1");
    EXPECT_EQ(p, 0);
    std::tie(a, p) = split_alert_src("[2001:db8::1]");
    EXPECT_TRUE(a);
    EXPECT_EQ(p, 0);
    std::tie(a, p) = split_alert_src("1.2.3.4:99999");
    EXPECT_TRUE(a);
    EXPECT_EQ(p, 0);
    std::tie(a, p) = split_alert_src("[2001:db8::1");
    EXPECT_FALSE(a);
}

TEST(SuppressMatchTest, DstNeedsAFlow) {
    const auto r = parse(R"({"dst":"192.168.1.0/24"})");
    EXPECT_TRUE(matches(r, alert("X", "10.0.0.1", flow("10.0.0.1", 1, "192.168.1.5", 22)), kNow));
    EXPECT_FALSE(matches(r, alert("X", "10.0.0.1", flow("10.0.0.1", 1, "192.168.2.5", 22)), kNow));
    // ARP alerts have no flow: a dst rule never matches them, even if alert.src is inside.
    EXPECT_FALSE(matches(r, alert("ARP SPOOFING", "192.168.1.5"), kNow));
    const auto v6 = parse(R"({"dst":"fd00::/8"})");
    EXPECT_TRUE(matches(v6, alert("X", "", flow("fe80::1", 1, "fd12::1", 2)), kNow));
}

TEST(SuppressMatchTest, PortMatchesEitherFlowPortOrAlertSrcPort) {
    const auto r = parse(R"({"port":22})");
    EXPECT_TRUE(matches(r, alert("X", "10.0.0.1", flow("10.0.0.1", 5555, "10.0.0.2", 22)), kNow));
    EXPECT_TRUE(matches(r, alert("X", "10.0.0.1", flow("10.0.0.2", 22, "10.0.0.1", 5555)), kNow));
    EXPECT_FALSE(matches(r, alert("X", "10.0.0.1", flow("10.0.0.1", 5555, "10.0.0.2", 23)), kNow));
    // No flow: the port of an "ip:port" source, else no match.
    EXPECT_TRUE(matches(r, alert("SUSPICIOUS PORT", "10.0.0.1:22"), kNow));
    EXPECT_TRUE(matches(r, alert("SUSPICIOUS PORT", "[fe80::1]:22"), kNow));
    EXPECT_FALSE(matches(r, alert("SUSPICIOUS PORT", "10.0.0.1:2222"), kNow));
    EXPECT_FALSE(matches(r, alert("ARP SPOOFING", "10.0.0.1"), kNow));
}

TEST(SuppressMatchTest, IcmpTypeAndCodeAreNotPorts) {
    const auto r = parse(R"({"port":8})");
    EXPECT_FALSE(
        matches(r, alert("ICMP FLOOD", "10.0.0.1", flow("10.0.0.1", 8, "10.0.0.2", 0, 1)), kNow));
    EXPECT_FALSE(matches(r, alert("X", "fe80::1", flow("fe80::1", 8, "fe80::2", 0, 58)), kNow));
    EXPECT_TRUE(matches(r, alert("X", "10.0.0.1", flow("10.0.0.1", 8, "10.0.0.2", 0, 17)), kNow));
}

TEST(SuppressMatchTest, AgentIdIsExact) {
    const auto r = parse(R"({"agent_id":"agent-1"})");
    auto a = alert("X", "10.0.0.1");
    EXPECT_TRUE(matches(r, a, kNow));
    a.agent_id = "agent-2";
    EXPECT_FALSE(matches(r, a, kNow));
    a.agent_id = "AGENT-1";
    EXPECT_FALSE(matches(r, a, kNow));
}

TEST(SuppressMatchTest, ExpiryBoundary) {
    const auto r = parse(R"({"category":"X","expires_at":"2026-11-21T12:00:00.000000+00:00"})");
    const auto a = alert("X", "10.0.0.1");
    EXPECT_TRUE(matches(r, a, kNow - Duration{1}));
    EXPECT_FALSE(matches(r, a, kNow));
    EXPECT_FALSE(matches(r, a, kNow + Duration::seconds(1)));
    EXPECT_FALSE(r.expired(kNow - Duration{1}));
    EXPECT_TRUE(r.expired(kNow));
}

TEST(SuppressMatchTest, EveryFieldMustMatch) {
    const auto r = parse(R"({"category":"PORT SCAN","src":"10.0.0.0/8","dst":"192.168.1.5",
                             "port":22,"agent_id":"agent-1"})");
    const auto f = flow("10.0.0.7", 40000, "192.168.1.5", 22);
    EXPECT_TRUE(matches(r, alert("PORT SCAN", "10.0.0.7", f), kNow));
    EXPECT_FALSE(matches(r, alert("SYN FLOOD", "10.0.0.7", f), kNow));
    EXPECT_FALSE(
        matches(r, alert("PORT SCAN", "", flow("11.0.0.7", 40000, "192.168.1.5", 22)), kNow));
    EXPECT_FALSE(
        matches(r, alert("PORT SCAN", "", flow("10.0.0.7", 40000, "192.168.1.6", 22)), kNow));
    EXPECT_FALSE(
        matches(r, alert("PORT SCAN", "", flow("10.0.0.7", 40000, "192.168.1.5", 23)), kNow));
    auto other_agent = alert("PORT SCAN", "10.0.0.7", f);
    other_agent.agent_id = "agent-2";
    EXPECT_FALSE(matches(r, other_agent, kNow));
}

TEST(SuppressRuleSetTest, FirstMatchInOrder) {
    auto set = rule_set_from_json(json::parse(R"({"version":4,"rules":[
        {"id":1,"category":"SYN FLOOD"},
        {"id":2,"src":"10.0.0.0/8","expires_at":"2026-11-21T11:00:00+00:00"},
        {"id":3,"src":"10.0.0.0/16"},
        {"id":4,"category":"PORT SCAN"}]})"));
    ASSERT_TRUE(set.is_ok()) << set.error();
    EXPECT_EQ(set->version, 4);
    ASSERT_EQ(set->rules.size(), 4u);
    const auto* m = set->first_match(alert("PORT SCAN", "10.0.1.1"), kNow);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->id, 3);  // rule 2 expired
    m = set->first_match(alert("PORT SCAN", "10.0.1.1"), kNow - Duration::seconds(7200));
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->id, 2);
    m = set->first_match(alert("PORT SCAN", "11.0.0.1"), kNow);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->id, 4);
    EXPECT_EQ(set->first_match(alert("BEACONING", "11.0.0.1"), kNow), nullptr);
    EXPECT_EQ(RuleSet{}.first_match(alert("X", "1.1.1.1"), kNow), nullptr);
}

TEST(SuppressRuleSetTest, AgentJsonRoundTrip) {
    auto set = rule_set_from_json(json::parse(
        R"({"version":9,"rules":[{"id":1,"category":"X","comment":"dropped in agent form"}]})"));
    ASSERT_TRUE(set.is_ok());
    const auto j = to_agent_json(*set);
    EXPECT_EQ(j["version"], 9);
    EXPECT_FALSE(j["rules"][0].contains("comment"));
    auto back = rule_set_from_json(json::parse(j.dump()));
    ASSERT_TRUE(back.is_ok());
    EXPECT_EQ(to_agent_json(*back), j);
}

TEST(SuppressRuleSetTest, ErrorsNameTheRule) {
    auto bad = rule_set_from_json(json::parse(R"({"version":1,"rules":[{"id":1,"category":"X"},
                                                   {"id":2,"port":70000}]})"));
    ASSERT_FALSE(bad.is_ok());
    EXPECT_EQ(bad.error(), "rules[1].port: expected an integer from 1 to 65535");
    bad = rule_set_from_json(json::parse(R"({"version":1,"rules":[{"id":1}]})"));
    ASSERT_FALSE(bad.is_ok());
    EXPECT_EQ(bad.error(), "rules[0]: set at least one of category, src, dst, port, agent_id");
    bad = rule_set_from_json(json::parse(R"({"version":1,"rules":[3]})"));
    ASSERT_FALSE(bad.is_ok());
    EXPECT_EQ(bad.error(), "rules[0]: expected a JSON object");
    bad = rule_set_from_json(json::parse(R"({"version":"x","rules":[]})"));
    ASSERT_FALSE(bad.is_ok());
    EXPECT_EQ(bad.error(), "version: expected an integer");
    bad = rule_set_from_json(json::parse(R"({"version":1})"));
    ASSERT_FALSE(bad.is_ok());
    EXPECT_EQ(bad.error(), "rules: expected an array");
    auto empty = rule_set_from_json(json::parse(R"({"version":0,"rules":[]})"));
    ASSERT_TRUE(empty.is_ok());
    EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace sentinel::suppress
