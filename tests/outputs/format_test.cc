#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "config/config.h"
#include "outputs/community_id.h"
#include "outputs/eve.h"
#include "outputs/syslog.h"
#include "outputs/webhook.h"
#include "schema/alert.h"

namespace sentinel::outputs {
namespace {

using nlohmann::json;

json load_vectors(const std::string& name) {
    std::ifstream in(std::string(SENTINEL_SOURCE_DIR) + "/tests/outputs/data/" + name);
    EXPECT_TRUE(in) << name;
    return json::parse(in);
}

void check_vectors(const std::string& name, uint16_t seed) {
    const json vectors = load_vectors(name);
    ASSERT_EQ(vectors.size(), 23u);
    for (const auto& v : vectors) {
        schema::Flow f;
        f.src_ip = v["saddr"];
        f.dest_ip = v["daddr"];
        f.proto = v["proto"].get<uint8_t>();
        f.src_port = v["sport"].is_null() ? 0 : v["sport"].get<uint16_t>();
        f.dest_port = v["dport"].is_null() ? 0 : v["dport"].get<uint16_t>();
        EXPECT_EQ(community_id(f, seed), v["communityid"].get<std::string>()) << v.dump();
    }
}

TEST(CommunityIdTest, MatchesTheSpecBaselineWithSeedZero) {
    check_vectors("community_id_seed0.json", 0);
}

TEST(CommunityIdTest, MatchesTheSpecBaselineWithSeedOne) {
    check_vectors("community_id_seed1.json", 1);
}

TEST(CommunityIdTest, RejectsBadOrMixedAddresses) {
    EXPECT_EQ(community_id({"10.0.0.1", "nope", 1, 2, 6}), "");
    EXPECT_EQ(community_id({"10.0.0.1", "::1", 1, 2, 6}), "");
}

schema::Alert sample_alert() {
    schema::Alert a;
    a.id = "a1b2c3";
    a.ts = Timestamp::from_micros(1767323045, 123456);  // 2026-01-02T03:04:05.123456Z
    a.level = schema::Severity::kHigh;
    a.category = "PORT SCAN";
    a.message = "Port scan from 128.232.110.120: 20 ports in 10s";
    a.src = "128.232.110.120";
    a.agent_id = "agent-1";
    a.hostname = "sensor-1";
    a.os = "Linux";
    a.received_at = Timestamp::from_micros(1767323046, 0);
    a.flow = schema::Flow{"128.232.110.120", "66.35.250.204", 34855, 80, 6};
    return a;
}

TEST(EveTest, AlertFieldsAreSuricataStyle) {
    const json j = json::parse(eve_json(sample_alert()));
    EXPECT_EQ(j["timestamp"], "2026-01-02T03:04:05.123456+0000");
    EXPECT_EQ(j["event_type"], "alert");
    EXPECT_EQ(j["src_ip"], "128.232.110.120");
    EXPECT_EQ(j["src_port"], 34855);
    EXPECT_EQ(j["dest_ip"], "66.35.250.204");
    EXPECT_EQ(j["dest_port"], 80);
    EXPECT_EQ(j["proto"], "TCP");
    EXPECT_EQ(j["community_id"], "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");  // spec baseline
    EXPECT_EQ(j["alert"]["action"], "allowed");
    EXPECT_EQ(j["alert"]["signature"], "Port scan from 128.232.110.120: 20 ports in 10s");
    EXPECT_EQ(j["alert"]["category"], "PORT SCAN");
    EXPECT_EQ(j["alert"]["severity"], 1);
    EXPECT_EQ(j["alert"]["signature_id"], 9100001);
    EXPECT_EQ(j["alert"]["gid"], 1);
    EXPECT_EQ(j["host"], "sensor-1");
    EXPECT_EQ(j["netsentinel"]["id"], "a1b2c3");
    EXPECT_EQ(j["netsentinel"]["agent_id"], "agent-1");
    EXPECT_EQ(j["netsentinel"]["level"], "HIGH");
    EXPECT_EQ(j["netsentinel"]["src"], "128.232.110.120");
    EXPECT_EQ(j["netsentinel"]["received_at"], "2026-01-02T03:04:06.000000+00:00");
    EXPECT_EQ(eve_json(sample_alert()).find('\n'), std::string::npos);
}

TEST(EveTest, IcmpHasTypeAndCodeInsteadOfPorts) {
    auto a = sample_alert();
    a.flow = schema::Flow{"192.168.0.89", "192.168.0.1", 8, 0, 1};
    const json j = json::parse(eve_json(a));
    EXPECT_EQ(j["proto"], "ICMP");
    EXPECT_EQ(j["icmp_type"], 8);
    EXPECT_EQ(j["icmp_code"], 0);
    EXPECT_FALSE(j.contains("src_port"));
    EXPECT_FALSE(j.contains("dest_port"));
    EXPECT_EQ(j["community_id"], "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
}

TEST(EveTest, WithoutFlowTheSourceAddressComesFromSrc) {
    auto a = sample_alert();
    a.flow.reset();
    a.src = "[2001:db8::1]:4444";
    a.level = schema::Severity::kLow;
    a.category = "ARP SPOOFING";
    const json j = json::parse(eve_json(a));
    EXPECT_EQ(j["src_ip"], "2001:db8::1");
    EXPECT_FALSE(j.contains("dest_ip"));
    EXPECT_FALSE(j.contains("community_id"));
    EXPECT_EQ(j["alert"]["severity"], 3);
    EXPECT_EQ(j["alert"]["signature_id"], 9100006);
    a.src = "aa:bb:cc:dd:ee:ff";
    EXPECT_FALSE(json::parse(eve_json(a)).contains("src_ip"));
}

TEST(EveTest, SeverityAndSignatureIds) {
    EXPECT_EQ(eve_severity(schema::Severity::kCritical), 1);
    EXPECT_EQ(eve_severity(schema::Severity::kHigh), 1);
    EXPECT_EQ(eve_severity(schema::Severity::kMedium), 2);
    EXPECT_EQ(eve_severity(schema::Severity::kLow), 3);
    EXPECT_EQ(eve_severity(schema::Severity::kInfo), 3);
    EXPECT_EQ(signature_id("BRUTE FORCE"), 9100008u);
    const uint32_t other = signature_id("SOMETHING NEW");
    EXPECT_EQ(other, signature_id("SOMETHING NEW"));
    EXPECT_GE(other, 9200000u);
    EXPECT_LT(other, 9300000u);
    EXPECT_NE(other, signature_id("SOMETHING ELSE"));
}

TEST(EveTest, SrcAddress) {
    EXPECT_EQ(src_address("10.0.0.5"), "10.0.0.5");
    EXPECT_EQ(src_address("10.0.0.5:4444"), "10.0.0.5");
    EXPECT_EQ(src_address("::1"), "::1");
    EXPECT_EQ(src_address("[::1]:22"), "::1");
    EXPECT_EQ(src_address("host"), "");
    EXPECT_EQ(src_address(""), "");
}

// RFC 5424 §6: HEADER SP STRUCTURED-DATA [SP MSG].
const std::regex kRfc5424(
    R"(^<(\d{1,3})>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)) ([!-~]{1,255}) ([!-~]{1,48}) ([!-~]{1,128}) ([!-~]{1,32}) (-|(?:\[(?:[^\]\\]|\\.)*\])+) (.*)$)");

TEST(SyslogFormatTest, MessageIsRfc5424WithStructuredData) {
    const std::string m = format_rfc5424(sample_alert(), syslog_facility("local0"), "netsentinel");
    std::smatch match;
    ASSERT_TRUE(std::regex_match(m, match, kRfc5424)) << m;
    EXPECT_EQ(match[1], "131");  // local0 (16) * 8 + err (3) for HIGH
    EXPECT_EQ(match[2], "2026-01-02T03:04:05.123456Z");
    EXPECT_EQ(match[3], "sensor-1");
    EXPECT_EQ(match[4], "netsentinel");
    EXPECT_EQ(match[6], "PORT_SCAN");
    EXPECT_EQ(match[7],
              "[netsentinel@32473 id=\"a1b2c3\" agent_id=\"agent-1\" level=\"HIGH\" "
              "category=\"PORT SCAN\" src=\"128.232.110.120\" "
              "community_id=\"1:LQU9qZlK+B5F3KDmev6m5PMibrg=\" signature_id=\"9100001\"]");
    const json msg = json::parse(match[8].str());
    EXPECT_EQ(msg["netsentinel"]["id"], "a1b2c3");
}

TEST(SyslogFormatTest, EscapesStructuredDataAndSanitisesHeaderFields) {
    auto a = sample_alert();
    a.hostname = "bad host\n";
    a.category = "";
    a.src = R"(x"]\y)";
    a.level = schema::Severity::kCritical;
    const std::string m = format_rfc5424(a, syslog_facility("daemon"), "ns");
    std::smatch match;
    ASSERT_TRUE(std::regex_match(m, match, kRfc5424)) << m;
    EXPECT_EQ(match[1], "26");  // daemon (3) * 8 + crit (2)
    EXPECT_EQ(match[3], "bad_host_");
    EXPECT_EQ(match[6], "-");
    EXPECT_NE(m.find(R"(src="x\"\]\\y")"), std::string::npos) << m;
}

TEST(SyslogFormatTest, FacilitiesSeveritiesAndFraming) {
    EXPECT_EQ(syslog_facility("kern"), 0);
    EXPECT_EQ(syslog_facility("authpriv"), 10);
    EXPECT_EQ(syslog_facility("local7"), 23);
    EXPECT_EQ(syslog_facility("nope"), -1);
    EXPECT_EQ(syslog_severity(schema::Severity::kInfo), 6);
    EXPECT_EQ(syslog_severity(schema::Severity::kMedium), 4);
    EXPECT_EQ(octet_frame("<13>1 - - - - - -"), "17 <13>1 - - - - - -");
    EXPECT_EQ(octet_frame("é"), "2 é");  // octets, not characters
}

TEST(WebhookFormatTest, SignatureIsHmacSha256Hex) {
    // RFC 4231 test case 2.
    EXPECT_EQ(webhook_signature("Jefe", "what do ya want for nothing?"),
              "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookFormatTest, BodyCarriesWireAlertsAndCommunityId) {
    const std::string one = webhook_alert_json(sample_alert());
    const json body = json::parse(webhook_body({one, one}));
    EXPECT_EQ(body["source"], "netsentinel");
    EXPECT_EQ(body["count"], 2);
    ASSERT_EQ(body["alerts"].size(), 2u);
    const json& a = body["alerts"][0];
    EXPECT_EQ(a["id"], "a1b2c3");
    EXPECT_EQ(a["level"], "HIGH");
    EXPECT_EQ(a["category"], "PORT SCAN");
    EXPECT_EQ(a["hostname"], "sensor-1");
    EXPECT_EQ(a["flow"]["dest_port"], 80);
    EXPECT_EQ(a["community_id"], "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
}

TEST(OutputsConfigTest, KeysLoadAndBadValuesNameTheKey) {
    auto ok = config::parse_config(
        R"({"eve_log_path":"eve.json","syslog_host":"127.0.0.1","syslog_port":6514,
            "syslog_transport":"tls","syslog_ca_file":"ca.crt","syslog_facility":"local3",
            "webhook_url":"https://hooks.example/x","webhook_secret":"s3cr3t",
            "webhook_max_retries":2,"output_queue_max":50})",
        "/etc/ns/sentinel_config.json");
    ASSERT_TRUE(ok) << ok.error();
    EXPECT_EQ(ok->outputs.eve_log_path, "eve.json");
    EXPECT_EQ(ok->outputs.syslog_port, 6514);
    EXPECT_EQ(ok->outputs.syslog_transport, "tls");
    EXPECT_EQ(ok->outputs.syslog_facility, "local3");
    EXPECT_EQ(ok->outputs.webhook_max_retries, 2u);
    EXPECT_EQ(ok->outputs.output_queue_max, 50u);
    EXPECT_EQ(config::resolve_path(*ok, ok->outputs.syslog_ca_file), "/etc/ns/ca.crt");
    EXPECT_EQ(ok->outputs.webhook_url, "https://hooks.example/x");
    const json described = json::parse(config::describe(*ok));
    EXPECT_EQ(described["webhook_secret"], "**** (6 chars)");
    EXPECT_EQ(described["webhook_url"], "https://hooks.example/****");

    auto err = [](const std::string& text) {
        auto r = config::parse_config(text, "c.json");
        return r ? std::string() : r.error();
    };
    EXPECT_NE(err(R"({"syslog_transport":"udp"})").find("\"syslog_transport\""), std::string::npos);
    EXPECT_NE(err(R"({"syslog_facility":"local9"})").find("\"syslog_facility\""),
              std::string::npos);
    EXPECT_NE(err(R"({"webhook_url":"http://x"})").find("\"webhook_url\""), std::string::npos);
    EXPECT_NE(err(R"({"output_queue_max":0})").find("\"output_queue_max\""), std::string::npos);
    EXPECT_NE(err(R"({"syslog_port":70000})").find("\"syslog_port\""), std::string::npos);
    EXPECT_NE(err(R"({"syslog_host":"h","syslog_transport":"tls"})").find("syslog_ca_file"),
              std::string::npos);
    const std::string secret_err = err(R"({"webhook_secret":12345678})");
    EXPECT_NE(secret_err.find("\"webhook_secret\""), std::string::npos);
    EXPECT_EQ(secret_err.find("12345678"), std::string::npos);
}

TEST(OutputsConfigTest, WebhookUrlsAreMaskedToTheirHost) {
    EXPECT_EQ(config::mask_url("https://hooks.slack.com/services/T0/B0/XYZ"),
              "https://hooks.slack.com/****");
    EXPECT_EQ(config::mask_url("https://user:pw@h.example:8443/?token=1"),
              "https://h.example:8443/****");
    EXPECT_EQ(config::mask_url("https://h.example"), "https://h.example");
    EXPECT_EQ(config::mask_url("https://h.example/"), "https://h.example");
    EXPECT_EQ(config::mask_url(""), "");
    auto r = config::parse_config(R"({"webhook_url":"http://h/secret-path"})", "c.json");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().find("secret-path"), std::string::npos) << r.error();
}

TEST(OutputsConfigTest, SecretFromTheEnvironmentWins) {
    setenv("NETSENTINEL_WEBHOOK_SECRET", "from-env", 1);
    auto c = config::parse_config(R"({"webhook_secret":"from-file"})", "c.json");
    unsetenv("NETSENTINEL_WEBHOOK_SECRET");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->outputs.webhook_secret, "from-env");
    EXPECT_EQ(c->outputs.webhook_secret_source, "environment");
    auto f = config::parse_config(R"({"webhook_secret":"from-file"})", "c.json");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->outputs.webhook_secret_source, "config");
}

}  // namespace
}  // namespace sentinel::outputs
