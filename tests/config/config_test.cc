#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

namespace sentinel::config {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

namespace fs = std::filesystem;

constexpr const char* kFile = "sentinel_config.json";

// Parses text that must be rejected and returns the message.
std::string error_of(const std::string& text) {
    auto r = parse_config(text, kFile);
    EXPECT_FALSE(r.is_ok()) << "accepted: " << text;
    return r.is_ok() ? std::string() : r.error();
}

Config parse_ok(const std::string& text, LoadWarnings* warnings = nullptr) {
    auto r = parse_config(text, kFile, warnings);
    EXPECT_TRUE(r.is_ok()) << r.error();
    return r.is_ok() ? r.value() : Config{};
}

// Portable (the config library is also built for the Windows agent): no mkdtemp or setenv.
void set_env(const char* name, const char* value) {
#ifdef _WIN32
    _putenv_s(name, value);
#else
    setenv(name, value, 1);
#endif
}

void unset_env(const char* name) {
#ifdef _WIN32
    _putenv_s(name, "");
#else
    unsetenv(name);
#endif
}

class TempDir {
  public:
    TempDir() {
        std::random_device rd;
        do {
            path_ = fs::temp_directory_path() / ("config_test." + std::to_string(rd()));
        } while (!fs::create_directory(path_));
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }
    std::string write(const std::string& name, const std::string& text) const {
        fs::path p = path_ / name;
        fs::create_directories(p.parent_path());
        std::ofstream(p) << text;
        return p.string();
    }

  private:
    fs::path path_;
};

// Keeps VIRUSTOTAL_API_KEY out of tests that do not set it, whatever the caller's environment.
class ConfigTest : public ::testing::Test {
  protected:
    void SetUp() override { unset_env("VIRUSTOTAL_API_KEY"); }
    void TearDown() override { unset_env("VIRUSTOTAL_API_KEY"); }
};

TEST_F(ConfigTest, EmptyObjectGivesEveryDefault) {
    Config c = parse_ok("{}");
    Config d;
    EXPECT_EQ(c.api_key, "");
    EXPECT_EQ(c.server_host, "0.0.0.0");
    EXPECT_EQ(c.gui_port, 8443);
    EXPECT_EQ(c.agent_port, 8444);
    EXPECT_EQ(c.effective_redirect_port(), 8442);
    EXPECT_EQ(c.ca_cert, "certs/ca.crt");
    EXPECT_EQ(c.server_cert, "certs/server.crt");
    EXPECT_EQ(c.server_key, "certs/server.key");
    EXPECT_EQ(c.storage.backend, "sqlite");
    EXPECT_EQ(c.detectors.port_scan_window, 10);
    EXPECT_EQ(c.detectors.port_scan_threshold, 15u);
    EXPECT_EQ(c.detectors.syn_flood_window, 5);
    EXPECT_EQ(c.detectors.syn_flood_threshold, 200u);
    EXPECT_EQ(c.detectors.icmp_flood_window, 5);
    EXPECT_EQ(c.detectors.icmp_flood_threshold, 100u);
    EXPECT_EQ(c.detectors.dns_tunnel_query_len, 50u);
    EXPECT_EQ(c.detectors.exfil_window, 60);
    EXPECT_EQ(c.detectors.exfil_bytes_threshold, 5'000'000u);
    EXPECT_EQ(c.detectors.bruteforce_window, 30);
    EXPECT_EQ(c.detectors.bruteforce_threshold, 30u);
    EXPECT_EQ(c.detectors.alert_cooldown, 15);
    EXPECT_EQ(c.detectors.suspicious_ports, d.detectors.suspicious_ports);
    EXPECT_EQ(c.detectors.bruteforce_ports, d.detectors.bruteforce_ports);
    EXPECT_EQ(c.virustotal_api_key_source, "");
    EXPECT_EQ(c.source_path, kFile);
}

TEST_F(ConfigTest, EveryKeyIsReadWithItsType) {
    LoadWarnings w;
    Config c = parse_ok(R"({
      "api_key": "k", "server_host": "10.1.2.3", "gui_port": 9443, "agent_port": 9444,
      "redirect_port": 9080, "ca_cert": "a.crt", "server_cert": "s.crt", "server_key": "s.key",
      "data_dir": "/srv/data", "storage": {"backend": "postgres", "dsn": "host=db"},
      "agent_rate_limit": 7, "agent_rate_window": 2.5, "max_agents": 9, "max_body_bytes": 4096,
      "max_connections": 300, "max_connections_per_ip": 12,
      "retention_days": 30, "retention_max_alerts": 1000, "agent_offline_after": 45,
      "virustotal_api_key": "vt", "virustotal_base_url": "http://127.0.0.1:1/api",
      "vt_requests_per_minute": 60, "vt_daily_quota": 900, "vt_cache_clean_ttl": 10,
      "vt_cache_malicious_ttl": 20, "intel_feeds": [{"path": "f.txt", "tier": "high"}],
      "spool_max_bytes": 2097152, "heartbeat_interval": 12, "state_dir": "st",
      "port_scan_window": 1.5, "port_scan_threshold": 3, "syn_flood_window": 2,
      "syn_flood_threshold": 4, "icmp_flood_window": 3, "icmp_flood_threshold": 5,
      "dns_tunnel_query_len": 60, "exfil_window": 61, "exfil_bytes_threshold": 6000000000,
      "bruteforce_window": 31, "bruteforce_threshold": 32, "alert_cooldown": 0,
      "suspicious_ports": [4444, 4444, 31337], "bruteforce_ports": [],
      "max_tracked_hosts": 100, "arp_table_size": 200
    })",
                        &w);
    EXPECT_THAT(w.messages, IsEmpty());
    EXPECT_EQ(c.api_key, "k");
    EXPECT_EQ(c.server_host, "10.1.2.3");
    EXPECT_EQ(c.gui_port, 9443);
    EXPECT_EQ(c.agent_port, 9444);
    EXPECT_EQ(c.effective_redirect_port(), 9080);
    EXPECT_EQ(c.ca_cert, "a.crt");
    EXPECT_EQ(c.server_cert, "s.crt");
    EXPECT_EQ(c.server_key, "s.key");
    EXPECT_EQ(c.data_dir, "/srv/data");
    EXPECT_EQ(c.storage.backend, "postgres");
    EXPECT_EQ(c.storage.dsn, "host=db");
    EXPECT_EQ(c.agent_rate_limit, 7u);
    EXPECT_EQ(c.agent_rate_window, 2.5);
    EXPECT_EQ(c.max_agents, 9u);
    EXPECT_EQ(c.max_body_bytes, 4096u);
    EXPECT_EQ(c.max_connections, 300u);
    EXPECT_EQ(c.max_connections_per_ip, 12u);
    EXPECT_EQ(c.retention_days, 30u);
    EXPECT_EQ(c.retention_max_alerts, 1000u);
    EXPECT_EQ(c.agent_offline_after, 45);
    EXPECT_EQ(c.virustotal_api_key, "vt");
    EXPECT_EQ(c.virustotal_api_key_source, "config");
    EXPECT_EQ(c.virustotal_base_url, "http://127.0.0.1:1/api");
    EXPECT_EQ(c.vt_requests_per_minute, 60u);
    EXPECT_EQ(c.vt_daily_quota, 900u);
    EXPECT_EQ(c.vt_cache_clean_ttl, 10u);
    EXPECT_EQ(c.vt_cache_malicious_ttl, 20u);
    ASSERT_EQ(c.intel_feeds.size(), 1u);
    EXPECT_EQ(c.intel_feeds[0].path, "f.txt");
    EXPECT_EQ(c.intel_feeds[0].tier, "HIGH");  // tiers are case-insensitive, stored upper case
    EXPECT_EQ(c.spool_max_bytes, 2097152u);
    EXPECT_EQ(c.heartbeat_interval, 12);
    EXPECT_EQ(c.state_dir, "st");
    EXPECT_EQ(c.detectors.port_scan_window, 1.5);
    EXPECT_EQ(c.detectors.port_scan_threshold, 3u);
    EXPECT_EQ(c.detectors.syn_flood_window, 2);
    EXPECT_EQ(c.detectors.syn_flood_threshold, 4u);
    EXPECT_EQ(c.detectors.icmp_flood_window, 3);
    EXPECT_EQ(c.detectors.icmp_flood_threshold, 5u);
    EXPECT_EQ(c.detectors.dns_tunnel_query_len, 60u);
    EXPECT_EQ(c.detectors.exfil_window, 61);
    EXPECT_EQ(c.detectors.exfil_bytes_threshold, 6'000'000'000u);
    EXPECT_EQ(c.detectors.bruteforce_window, 31);
    EXPECT_EQ(c.detectors.bruteforce_threshold, 32u);
    EXPECT_EQ(c.detectors.alert_cooldown, 0);
    EXPECT_THAT(c.detectors.suspicious_ports, ElementsAre(4444, 31337));  // duplicates dropped
    EXPECT_THAT(c.detectors.bruteforce_ports, IsEmpty());
    EXPECT_EQ(c.detectors.max_tracked_hosts, 100u);
    EXPECT_EQ(c.detectors.arp_table_size, 200u);
}

TEST_F(ConfigTest, WrongTypeNamesFileKeyAndExpectation) {
    EXPECT_EQ(error_of(R"({"syn_flood_threshold": "lots"})"),
              "sentinel_config.json: \"syn_flood_threshold\" must be an integer from 1 to "
              "65535, got \"lots\"");
    EXPECT_EQ(error_of(R"({"port_scan_window": true})"),
              "sentinel_config.json: \"port_scan_window\" must be a number from 0.1 to 3600, got "
              "true");
    EXPECT_EQ(error_of(R"({"server_host": 5})"),
              "sentinel_config.json: \"server_host\" must be a string, got 5");
    EXPECT_EQ(error_of(R"({"ca_cert": ""})"),
              "sentinel_config.json: \"ca_cert\" must be a non-empty string (a path), got \"\"");
    EXPECT_EQ(error_of(R"({"suspicious_ports": 4444})"),
              "sentinel_config.json: \"suspicious_ports\" must be an array of port numbers from 1 "
              "to 65535, got 4444");
}

TEST_F(ConfigTest, OutOfRangeValueIsRejected) {
    EXPECT_EQ(error_of(R"({"port_scan_threshold": 0})"),
              "sentinel_config.json: \"port_scan_threshold\" must be an integer from 2 to 4096, "
              "got 0");
    EXPECT_EQ(error_of(R"({"syn_flood_threshold": -5})"),
              "sentinel_config.json: \"syn_flood_threshold\" must be an integer from 1 to "
              "65535, got -5");
    EXPECT_EQ(error_of(R"({"syn_flood_threshold": 200.5})"),
              "sentinel_config.json: \"syn_flood_threshold\" must be an integer from 1 to "
              "65535, got 200.5");
    EXPECT_EQ(error_of(R"({"exfil_window": 0})"),
              "sentinel_config.json: \"exfil_window\" must be a number from 1 to 86400, got 0");
    EXPECT_THAT(error_of(R"({"virustotal_base_url": "ftp://x"})"),
                HasSubstr("\"virustotal_base_url\" must be a string starting with https://"));
    // An integral float from a tool that writes only floats is still an integer.
    EXPECT_EQ(parse_ok(R"({"syn_flood_threshold": 250.0})").detectors.syn_flood_threshold, 250u);
}

TEST_F(ConfigTest, BadPortIsRejected) {
    EXPECT_EQ(
        error_of(R"({"gui_port": 70000})"),
        "sentinel_config.json: \"gui_port\" must be a port number from 1 to 65535, got 70000");
    EXPECT_EQ(error_of(R"({"agent_port": 0})"),
              "sentinel_config.json: \"agent_port\" must be a port number from 1 to 65535, got 0");
    EXPECT_EQ(error_of(R"({"gui_port": "8443"})"),
              "sentinel_config.json: \"gui_port\" must be a port number from 1 to 65535, got "
              "\"8443\"");
    EXPECT_EQ(
        error_of(R"({"bruteforce_ports": [22, 70000]})"),
        "sentinel_config.json: \"bruteforce_ports[1]\" must be a port number from 1 to 65535, "
        "got 70000");
    EXPECT_EQ(error_of(R"({"redirect_port": 65536})"),
              "sentinel_config.json: \"redirect_port\" must be a port number from 0 to 65535, or "
              "null (0 and null disable it), got 65536");
}

TEST_F(ConfigTest, ClashingPortsAreRejected) {
    EXPECT_EQ(error_of(R"({"gui_port": 9000, "agent_port": 9000})"),
              "sentinel_config.json: \"agent_port\" must differ from \"gui_port\" (both are 9000)");
    EXPECT_EQ(error_of(R"({"redirect_port": 8444})"),
              "sentinel_config.json: \"redirect_port\" must differ from \"agent_port\" (both are "
              "8444)");
    EXPECT_THAT(error_of(R"({"gui_port": 8445})"),
                HasSubstr("the default \"redirect_port\" (gui_port - 1 = 8444) clashes with "
                          "\"agent_port\""));
    EXPECT_EQ(parse_ok(R"({"gui_port": 8445, "redirect_port": 0})").effective_redirect_port(), 0);
}

TEST_F(ConfigTest, RedirectPortFalsyValuesDisableIt) {
    EXPECT_EQ(parse_ok(R"({"redirect_port": null})").effective_redirect_port(), 0);
    EXPECT_EQ(parse_ok(R"({"redirect_port": false})").effective_redirect_port(), 0);
    EXPECT_EQ(parse_ok(R"({"redirect_port": 0})").effective_redirect_port(), 0);
    EXPECT_EQ(parse_ok(R"({"gui_port": 443})").effective_redirect_port(), 442);
    EXPECT_THAT(error_of(R"({"redirect_port": true})"), HasSubstr("got true"));
}

TEST_F(ConfigTest, BadTierIsRejected) {
    EXPECT_EQ(error_of(R"({"intel_feeds": [{"path": "a.txt", "tier": "SEVERE"}]})"),
              "sentinel_config.json: \"intel_feeds[0].tier\" must be one of \"CRITICAL\", "
              "\"HIGH\", \"MEDIUM\", \"LOW\", got \"SEVERE\"");
    EXPECT_EQ(error_of(R"({"intel_feeds": [{"path": "a.txt", "tier": "LOW"}, {"tier": "LOW"}]})"),
              "sentinel_config.json: \"intel_feeds[1]\" has no \"path\"");
    EXPECT_EQ(error_of(R"({"intel_feeds": [{"path": "a.txt"}]})"),
              "sentinel_config.json: \"intel_feeds[0]\" has no \"tier\"");
    EXPECT_EQ(error_of(R"({"intel_feeds": ["a.txt"]})"),
              "sentinel_config.json: \"intel_feeds[0]\" must be an object {\"path\": ..., "
              "\"tier\": ...}, got \"a.txt\"");
}

TEST_F(ConfigTest, BadStorageBackendIsRejected) {
    EXPECT_EQ(error_of(R"({"storage": {"backend": "mysql"}})"),
              "sentinel_config.json: \"storage.backend\" must be \"sqlite\" or \"postgres\", got "
              "\"mysql\"");
    EXPECT_THAT(
        error_of(R"({"storage": "sqlite"})"),
        HasSubstr("\"storage\" must be an object {\"backend\": \"sqlite\" or \"postgres\""));
}

TEST_F(ConfigTest, RejectedSecretsAreNeverEchoed) {
    std::string e = error_of(R"({"api_key": 1234567890123})");
    EXPECT_EQ(e, "sentinel_config.json: \"api_key\" must be a string, got a number");
    e = error_of(R"({"storage": {"dsn": ["postgres://u:hunter2@db/x"]}})");
    EXPECT_THAT(e, AllOf(HasSubstr("\"storage.dsn\" must be a string, got an array"),
                         Not(HasSubstr("hunter2"))));
}

TEST_F(ConfigTest, UnknownKeyIsAWarningNotAnError) {
    LoadWarnings w;
    Config c = parse_ok(R"({"syn_flood_treshold": 5, "colour": "red",
                            "storage": {"backend": "sqlite", "path": "x"},
                            "intel_feeds": [{"path": "a", "tier": "LOW", "url": "u"}]})",
                        &w);
    EXPECT_EQ(c.detectors.syn_flood_threshold, 200u);
    EXPECT_THAT(w.messages,
                ElementsAre("sentinel_config.json: unknown key \"colour\" ignored",
                            "sentinel_config.json: unknown key \"intel_feeds[0].url\" ignored",
                            "sentinel_config.json: unknown key \"storage.path\" ignored",
                            "sentinel_config.json: unknown key \"syn_flood_treshold\" ignored "
                            "(did you mean \"syn_flood_threshold\"?)"));
}

TEST_F(ConfigTest, InvalidJsonReportsLineAndColumn) {
    const std::string e = error_of("{\n  \"gui_port\": 8443,\n  \"agent_port\": ,\n}\n");
    EXPECT_THAT(e, HasSubstr("sentinel_config.json: invalid JSON at line 3, column 17: "));
    EXPECT_THAT(e, Not(HasSubstr("json.exception")));
    EXPECT_THAT(error_of(""), HasSubstr("sentinel_config.json: invalid JSON at line 1, column 1"));
    // A long broken token makes a long message; reading it must not recurse per character (the
    // std::regex that did overflowed the stack, found by fuzz_config).
    const std::string long_token = "{\"a\": \"" + std::string(500'000, 'x') + "\x01\"}";
    EXPECT_THAT(error_of(long_token), HasSubstr("invalid JSON at line 1, column "));
    EXPECT_EQ(error_of("[1, 2]"),
              "sentinel_config.json: must hold a JSON object ({\"key\": value, ...}), got an "
              "array");
}

TEST_F(ConfigTest, MissingFileIsAClearError) {
    TempDir dir;
    const std::string path = (dir.path() / "nope.json").string();
    auto r = load_config(path);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.error(), path + ": config file not found (sentinel-certs creates one)");
    auto d = load_config(dir.path().string());
    ASSERT_FALSE(d.is_ok());
    EXPECT_THAT(d.error(), HasSubstr(dir.path().string() + ": cannot read the config file"));
}

TEST_F(ConfigTest, ServerPortAliasFeedsGuiPort) {
    LoadWarnings w;
    EXPECT_EQ(parse_ok(R"({"server_port": 9443})", &w).gui_port, 9443);
    EXPECT_THAT(w.messages, IsEmpty());
    EXPECT_EQ(parse_ok(R"({"server_port": 9443, "gui_port": 9443})", &w).gui_port, 9443);
    EXPECT_THAT(w.messages, IsEmpty());
    EXPECT_EQ(parse_ok(R"({"server_port": 9443, "gui_port": 7443})", &w).gui_port, 7443);
    EXPECT_THAT(w.messages, ElementsAre("sentinel_config.json: \"server_port\" (9443) and "
                                        "\"gui_port\" (7443) differ; using \"gui_port\""));
    EXPECT_THAT(error_of(R"({"server_port": "x"})"),
                HasSubstr("\"server_port\" must be a port number from 1 to 65535, got \"x\""));
}

TEST_F(ConfigTest, EnvironmentVirusTotalKeyWins) {
    EXPECT_EQ(parse_ok(R"({"virustotal_api_key": "from-file"})").virustotal_api_key, "from-file");
    set_env("VIRUSTOTAL_API_KEY", "from-env");
    Config c = parse_ok(R"({"virustotal_api_key": "from-file"})");
    EXPECT_EQ(c.virustotal_api_key, "from-env");
    EXPECT_EQ(c.virustotal_api_key_source, "environment");
    EXPECT_EQ(parse_ok("{}").virustotal_api_key, "from-env");
    set_env("VIRUSTOTAL_API_KEY", "");  // empty means unset, as in the original
    c = parse_ok(R"({"virustotal_api_key": "from-file"})");
    EXPECT_EQ(c.virustotal_api_key, "from-file");
    EXPECT_EQ(c.virustotal_api_key_source, "config");
}

TEST_F(ConfigTest, DescribeMasksSecrets) {
    set_env("VIRUSTOTAL_API_KEY", "vt-secret-value");
    Config c = parse_ok(R"({"api_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
                            "storage": {"backend": "postgres",
                                        "dsn": "postgresql://nids:s3cr3t@db:5432/nids"}})");
    const std::string text = describe(c);
    EXPECT_THAT(text, Not(HasSubstr("abcdefghij")));
    EXPECT_THAT(text, Not(HasSubstr("vt-secret")));
    EXPECT_THAT(text, Not(HasSubstr("s3cr3t")));
    auto j = nlohmann::json::parse(text);
    EXPECT_EQ(j["api_key"], "**** (43 chars)");
    EXPECT_EQ(j["virustotal_api_key"], "**** (15 chars)");
    EXPECT_EQ(j["storage"]["dsn"], "postgresql://nids:****@db:5432/nids");
    EXPECT_EQ(j["gui_port"], 8443);
    EXPECT_EQ(j["redirect_port"], 8442);
    EXPECT_EQ(j["suspicious_ports"].size(), c.detectors.suspicious_ports.size());
    // Every documented key except the alias appears, so the output is a full effective config.
    for (const KeyInfo& k : config_keys()) {
        if (k.name != "server_port") {
            EXPECT_TRUE(j.contains(k.name)) << k.name;
        }
    }
}

TEST_F(ConfigTest, DsnPasswordsAreMaskedInEveryForm) {
    EXPECT_EQ(mask_dsn("host=db user=n password=hunter2 dbname=x"),
              "host=db user=n password=**** dbname=x");
    EXPECT_EQ(mask_dsn("host=db password = 'a b\\' c' port=1"), "host=db password = **** port=1");
    EXPECT_EQ(mask_dsn("postgres://u:pw@h/db?sslmode=require"),
              "postgres://u:****@h/db?sslmode=require");
    EXPECT_EQ(mask_dsn("postgres://u@h/db?password=pw&sslmode=require"),
              "postgres://u@h/db?password=****&sslmode=require");
    EXPECT_EQ(mask_dsn("postgres://h/db"), "postgres://h/db");
    EXPECT_EQ(mask_dsn("postgres://h:5432/db"), "postgres://h:5432/db");
    EXPECT_EQ(mask_dsn("postgres://u@h:5432/db"), "postgres://u@h:5432/db");
    EXPECT_EQ(mask_dsn("postgres://u:p@ss@h:5432/db"), "postgres://u:****@h:5432/db");
    EXPECT_EQ(mask_dsn("PASSWORD=x password='unterminated rest"),
              "PASSWORD=**** password=**** rest");
    EXPECT_EQ(mask_dsn("passwordless=1 password"), "passwordless=1 password");
    EXPECT_EQ(mask_dsn("1x://u:p@h"), "1x://u:p@h");  // not a URI scheme
    // Long values are scanned, not matched by recursion (std::regex overflowed the stack).
    const std::string big(1 << 20, 'x');
    EXPECT_EQ(mask_dsn("postgres://u:" + big + "@h/db"), "postgres://u:****@h/db");
    EXPECT_EQ(mask_dsn("password=" + big + " port=1"), "password=**** port=1");
    EXPECT_EQ(mask_dsn("password='" + big), "password=****");
    EXPECT_EQ(mask_secret(""), "");
    EXPECT_EQ(mask_secret("abc"), "**** (3 chars)");
}

TEST_F(ConfigTest, AgentConnectHostMapsBindAllToLoopback) {
    Config c;
    for (const char* any : {"0.0.0.0", "", "::"}) {
        c.server_host = any;
        EXPECT_EQ(agent_connect_host(c), "127.0.0.1") << any;
    }
    c.server_host = "sentinel.example.org";
    EXPECT_EQ(agent_connect_host(c), "sentinel.example.org");
}

TEST_F(ConfigTest, EmptyOrShortApiKeyIsRefused) {
    Status s = check_api_key(parse_ok("{}"));
    EXPECT_EQ(s.message(),
              "sentinel_config.json: \"api_key\" is missing or empty; it must hold at least 16 "
              "characters (sentinel-certs --rotate-key writes a random one)");
    s = check_api_key(parse_ok(R"({"api_key": "short"})"));
    EXPECT_THAT(s.message(), HasSubstr("\"api_key\" is too short"));
    EXPECT_THAT(s.message(), Not(HasSubstr("short\"")));
    EXPECT_TRUE(check_api_key(parse_ok(R"({"api_key": "0123456789abcdef"})")).is_ok());
}

TEST_F(ConfigTest, RelativePathsResolveAgainstTheConfigFolder) {
    TempDir dir;
    const std::string path = dir.write("etc/sentinel_config.json",
                                       R"({"ca_cert": "certs/ca.crt", "server_key": "/abs/s.key",
                                           "data_dir": "../data", "state_dir": "certs\\st",
                                           "intel_feeds": [{"path": "feeds/a.txt", "tier": "LOW"}]})");
    auto r = load_config(path);
    ASSERT_TRUE(r.is_ok()) << r.error();
    const Config& c = r.value();
    const fs::path etc = dir.path() / "etc";
    EXPECT_EQ(c.base_dir, etc.string());
    EXPECT_EQ(resolve_path(c, c.ca_cert), (etc / "certs/ca.crt").string());
    EXPECT_EQ(resolve_path(c, c.server_key), "/abs/s.key");
    EXPECT_EQ(resolve_path(c, c.data_dir), (dir.path() / "data").string());
    EXPECT_EQ(resolve_path(c, c.state_dir), (etc / "certs/st").string());
    EXPECT_EQ(resolve_path(c, c.intel_feeds[0].path), (etc / "feeds/a.txt").string());
    auto j = nlohmann::json::parse(describe(c));
    EXPECT_EQ(j["ca_cert"], (etc / "certs/ca.crt").string());
    EXPECT_EQ(j["intel_feeds"][0]["path"], (etc / "feeds/a.txt").string());
}

TEST_F(ConfigTest, DocsEmbedTheGeneratedKeyTable) {
    std::ifstream in(std::string(SENTINEL_SOURCE_DIR) + "/docs/config.md");
    ASSERT_TRUE(in) << "docs/config.md is missing";
    std::stringstream doc;
    doc << in.rdbuf();
    const std::string table = schema_markdown();
    if (doc.str().find(table) == std::string::npos) {
        const std::string fresh = std::string(SENTINEL_BINARY_DIR) + "/config_keys.md";
        std::ofstream(fresh) << table;
        ADD_FAILURE() << "docs/config.md is out of date with the key table; paste " << fresh;
    }
    for (const char* key : {"api_key", "server_host", "gui_port", "server_port", "agent_port",
                            "redirect_port", "ca_cert", "virustotal_api_key", "alert_cooldown",
                            "exfil_bytes_threshold", "intel_feeds", "storage"}) {
        EXPECT_THAT(table, HasSubstr(std::string("| `") + key + "` |"));
    }
}

}  // namespace
}  // namespace sentinel::config
