// Reputation and suppression in `sentinel-agent --read`: the same feeds, VirusTotal cache and
// lookups, and stored suppression rules as live capture, driven through the real binary (and a
// loopback HTTPS stand-in for VirusTotal).

#include <sys/wait.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../virustotal/stub_server.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct AgentRun {
    int status = -1;
    std::vector<json> alerts;
    std::string summary;
};

AgentRun agent(const std::string& args, const fs::path& dir) {
    const std::string cmd = "cd '" + dir.string() + "' && " + SENTINEL_BINARY_DIR +
                            "/bin/sentinel-agent " + args + " --no-progress 2>stderr.txt";
    AgentRun r;
    std::FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) {
        return r;
    }
    std::string out;
    std::array<char, 4096> buf{};
    size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) {
        out.append(buf.data(), n);
    }
    const int status = ::pclose(p);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
        r.alerts.push_back(json::parse(line));
    }
    std::ifstream err(dir / "stderr.txt");
    r.summary.assign(std::istreambuf_iterator<char>(err), std::istreambuf_iterator<char>());
    return r;
}

std::vector<json> of(const AgentRun& r, const std::string& category) {
    std::vector<json> out;
    for (const json& a : r.alerts) {
        if (a["category"] == category) {
            out.push_back(a);
        }
    }
    return out;
}

class ReadReputation : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("agent_reputation_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "state");
    }
    void TearDown() override { fs::remove_all(dir_); }
    void write_config(const json& config) {
        json c = config;
        c["state_dir"] = (dir_ / "state").string();
        std::ofstream(dir_ / "sentinel_config.json") << c.dump();
    }
    // A config whose VirusTotal lookups go to the stand-in.
    void write_vt_config(const sentinel::virustotal::testing::StubServer& vt, int per_minute) {
        write_config({{"virustotal_api_key", "offline-test-key"},
                      {"virustotal_base_url", vt.base_url()},
                      {"virustotal_ca_file", vt.ca_file()},
                      {"vt_requests_per_minute", per_minute}});
    }
    static std::string pcap(const char* name) {
        return (fs::path(SENTINEL_PCAP_DIR) / name).string();
    }
    static std::string trace(const char* name) {
        return (fs::path(SENTINEL_SOURCE_DIR) / "tests/traces" / name).string();
    }
    fs::path dir_;
};

// The issue's case: a feed marks the nmap scanner CRITICAL. Without reputation the improved rule
// waits for 15 failed first contacts; with it, 15 × 0.10 rounds up to 2, the level is CRITICAL
// and the message names the feed. The SYN-flood rule scales the same way (200 × 0.10 = 20).
TEST_F(ReadReputation, FeedAppliesFromTheFirstPacket) {
    std::ofstream(dir_ / "scanners.txt") << "# test feed\n192.168.1.10\n";
    write_config(
        {{"intel_feeds", {{{"path", (dir_ / "scanners.txt").string()}, {"tier", "CRITICAL"}}}}});
    const std::string capture = pcap("port_scan/evilfingers_nmap_sS.pcap");

    const AgentRun with = agent("--config sentinel_config.json --read " + capture, dir_);
    ASSERT_EQ(with.status, 0) << with.summary;
    const auto scans = of(with, "PORT SCAN");
    ASSERT_FALSE(scans.empty()) << with.summary;
    EXPECT_EQ(scans[0]["level"], "CRITICAL");
    EXPECT_EQ(scans[0]["message"],
              "192.168.1.10 made 2 failed first contacts (unanswered or refused) in 10s  "
              "[FEED:CRITICAL — scanners.txt]");
    const auto floods = of(with, "SYN FLOOD");
    ASSERT_FALSE(floods.empty());
    EXPECT_EQ(floods[0]["src"], "192.168.1.10");
    EXPECT_EQ(floods[0]["message"],
              "192.168.1.10 left 20 half-open handshakes in 5s  [FEED:CRITICAL — scanners.txt]");
    EXPECT_NE(with.summary.find("reputation  feeds with 1 entry"), std::string::npos)
        << with.summary;

    const AgentRun without =
        agent("--config sentinel_config.json --no-reputation --read " + capture, dir_);
    ASSERT_EQ(without.status, 0);
    const auto clean = of(without, "PORT SCAN");
    ASSERT_FALSE(clean.empty());
    EXPECT_EQ(clean[0]["level"], "HIGH");
    EXPECT_EQ(clean[0]["message"],
              "192.168.1.10 made 15 failed first contacts (unanswered or refused) in 10s");
    EXPECT_NE(without.summary.find("reputation  off (--no-reputation)"), std::string::npos);
}

// VirusTotal through the loopback stand-in: the first pass resolves the attacker before the
// detection pass judges it, so the first short SSH session already fires (10 × 0.10 = 1) as
// CRITICAL; a second run answers from the persistent cache without a request.
TEST_F(ReadReputation, VirusTotalAnswersAreResolvedBeforeDetection) {
    sentinel::virustotal::testing::StubServer vt;
    vt.set_script(
        {{"key", "offline-test-key"},
         {"responses", {{"ip_addresses/203.0.113.10", {{{"status", 200}, {"malicious", 9}}}}}}});
    write_vt_config(vt, 60);
    const std::string capture = trace("hydra_ssh_48tasks.pcap");

    const AgentRun first = agent("--config sentinel_config.json --read " + capture, dir_);
    ASSERT_EQ(first.status, 0) << first.summary;
    const auto brute = of(first, "BRUTE FORCE");
    ASSERT_FALSE(brute.empty()) << first.summary;
    EXPECT_EQ(brute[0]["level"], "CRITICAL");
    EXPECT_EQ(brute[0]["message"],
              "203.0.113.10 -> 1 short sessions on port 22/SSH in 300s  [VT:CRITICAL — 9 "
              "malicious]");
    EXPECT_EQ(vt.paths(), std::vector<std::string>{"/api/v3/ip_addresses/203.0.113.10"});
    EXPECT_NE(first.summary.find("1 looked up"), std::string::npos) << first.summary;

    const AgentRun second = agent("--config sentinel_config.json --read " + capture, dir_);
    ASSERT_EQ(second.status, 0);
    EXPECT_EQ(of(second, "BRUTE FORCE").front()["message"], brute[0]["message"]);
    EXPECT_EQ(vt.paths().size(), 1u);  // answered by the cache
    EXPECT_NE(second.summary.find("1 from the cache"), std::string::npos) << second.summary;
}

// Without an answer in time (here: no time at all), the endpoint is judged CLEAN and the summary
// says so instead of silently ignoring the key.
TEST_F(ReadReputation, UnresolvedEndpointsAreCountedNotHidden) {
    sentinel::virustotal::testing::StubServer vt;
    write_vt_config(vt, 1);
    const AgentRun r = agent(
        "--config sentinel_config.json --lookup-wait 0 --read " + trace("hydra_ssh_48tasks.pcap"),
        dir_);
    ASSERT_EQ(r.status, 0) << r.summary;
    EXPECT_EQ(of(r, "BRUTE FORCE").front()["level"], "HIGH");
    EXPECT_NE(r.summary.find("1 unresolved (time limit) and judged CLEAN"), std::string::npos)
        << r.summary;
}

// The rules the server last gave this agent apply to its offline runs too.
TEST_F(ReadReputation, StoredSuppressionRulesApply) {
    write_config(json::object());
    fs::create_directories(dir_ / "state" / "spool");
    std::ofstream(dir_ / "state" / "spool" / "suppressions.json")
        << R"({"version":3,"rules":[{"id":7,"category":"BRUTE FORCE","src":"203.0.113.10"}]})";
    const std::string capture = trace("hydra_ssh_48tasks.pcap");
    const AgentRun kept = agent("--config sentinel_config.json --read " + capture, dir_);
    ASSERT_EQ(kept.status, 0) << kept.summary;
    EXPECT_TRUE(of(kept, "BRUTE FORCE").empty());
    EXPECT_NE(kept.summary.find("suppressed  1 by the agent's suppression rules"),
              std::string::npos)
        << kept.summary;
    const AgentRun all =
        agent("--config sentinel_config.json --no-suppression --read " + capture, dir_);
    EXPECT_EQ(of(all, "BRUTE FORCE").size(), 1u);
}

}  // namespace
