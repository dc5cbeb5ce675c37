#include "agent/offline.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "schema/alert_json.h"

namespace sentinel::agent {
namespace {

namespace fs = std::filesystem;

fs::path trace(const char* name) { return fs::path(SENTINEL_SOURCE_DIR) / "tests/traces" / name; }

std::string read_all(std::FILE* f) {
    std::rewind(f);
    std::string out;
    std::array<char, 4096> buf{};
    size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
        out.append(buf.data(), n);
    }
    return out;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start < text.size()) {
        const size_t end = text.find('\n', start);
        out.push_back(text.substr(start, end - start));
        start = end == std::string::npos ? text.size() : end + 1;
    }
    return out;
}

TEST(Offline, WritesEachAlertAsOneWireFormatLineAndSummarises) {
    OfflineOptions options;
    options.path = trace("hydra_ssh_48tasks.pcap").string();
    options.agent_id = "0123456789abcdef";
    options.hostname = "sensor-1";
    options.os = "Linux 6.1";
    std::FILE* out = std::tmpfile();
    std::FILE* diag = std::tmpfile();
    auto summary = run_offline(options, out, diag);
    ASSERT_TRUE(summary.is_ok()) << summary.error();

    const auto alert_lines = lines(read_all(out));
    ASSERT_EQ(alert_lines.size(), 1u);
    auto alert = schema::alert_from_json(alert_lines[0]);
    ASSERT_TRUE(alert.is_ok());
    EXPECT_EQ(alert->category, "BRUTE FORCE");
    EXPECT_EQ(alert->src, "203.0.113.10");
    EXPECT_EQ(alert->agent_id, "0123456789abcdef");
    EXPECT_EQ(alert->hostname, "sensor-1");
    EXPECT_EQ(alert->os, "Linux 6.1");
    EXPECT_EQ(alert->id.size(), 32u);
    EXPECT_EQ(read_all(diag), "");  // no progress bar unless asked

    EXPECT_GT(summary->packets, 100u);
    EXPECT_EQ(summary->packets, summary->decoded);
    EXPECT_GT(summary->bytes, summary->packets * 54);
    EXPECT_EQ(summary->alerts, 1u);
    EXPECT_EQ(summary->anomalies.total(), 0u);
    EXPECT_EQ(summary->evictions, 0u);
    const std::string text = format_summary(*summary);
    EXPECT_NE(text.find("packets     " + std::to_string(summary->packets)), std::string::npos);
    EXPECT_NE(text.find("alerts      1: BRUTE FORCE 1"), std::string::npos) << text;
    EXPECT_NE(text.find("anomalies   0"), std::string::npos);
    EXPECT_NE(text.find("evictions   0"), std::string::npos);
    // Tables grow with what they hold: a small capture uses a sliver of the claimed budget.
    EXPECT_GT(summary->state_bytes, 0u);
    EXPECT_LT(summary->state_bytes * 10, summary->cap_bytes);
    EXPECT_GT(summary->peak_resident_bytes, 0u);
    EXPECT_GE(summary->startup_seconds, 0.0);
    EXPECT_NE(text.find("at the caps"), std::string::npos) << text;
    EXPECT_NE(text.find("peak resident"), std::string::npos) << text;
    EXPECT_NE(text.find("start-up    "), std::string::npos) << text;
    std::fclose(out);
    std::fclose(diag);
}

TEST(Offline, OutputNoneCountsAlertsWithoutWritingThem) {
    OfflineOptions options;
    options.path = trace("exfil_ncat_6.5MB_upload.pcap").string();
    options.output = OutputFormat::kNone;
    std::FILE* out = std::tmpfile();
    auto summary = run_offline(options, out, out);
    ASSERT_TRUE(summary.is_ok());
    EXPECT_EQ(read_all(out), "");
    EXPECT_EQ(summary->alerts, 1u);
    std::fclose(out);
}

TEST(Offline, DetectorConfigAndSelectionApply) {
    OfflineOptions options;
    options.path = trace("hydra_ssh_48tasks.pcap").string();
    options.detectors.bruteforce_ports = {2222};
    std::FILE* out = std::tmpfile();
    auto summary = run_offline(options, out, out);
    ASSERT_TRUE(summary.is_ok());
    EXPECT_EQ(summary->alerts, 0u);  // port 22 is no longer a login service

    options.detectors = {};
    options.only = {"port_scan"};
    summary = run_offline(options, out, out);
    ASSERT_TRUE(summary.is_ok());
    EXPECT_EQ(summary->alerts, 0u);
    ASSERT_EQ(summary->categories.size(), 1u);
    EXPECT_EQ(summary->categories[0].category, "PORT SCAN");

    options.only = {"no_such_detector"};
    EXPECT_FALSE(run_offline(options, out, out).is_ok());
    std::fclose(out);
}

TEST(Offline, MissingFileIsAnErrorNamingIt) {
    OfflineOptions options;
    options.path = "/nonexistent/capture.pcap";
    auto summary = run_offline(options, stdout, stderr);
    ASSERT_FALSE(summary.is_ok());
    EXPECT_NE(summary.error().find("/nonexistent/capture.pcap"), std::string::npos);
}

struct ProgramRun {
    int status = -1;
    std::string out;
};

ProgramRun run_agent(const std::string& args) {
    const std::string cmd =
        std::string(SENTINEL_BINARY_DIR) + "/bin/sentinel-agent " + args + " 2>/dev/null";
    ProgramRun r;
    std::FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) {
        return r;
    }
    std::array<char, 4096> buf{};
    size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) {
        r.out.append(buf.data(), n);
    }
    const int status = ::pclose(p);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

TEST(AgentProgram, ReadPrintsJsonLinesAndHonoursConfig) {
    const std::string capture = trace("dig_long_label_tunnel.pcap").string();
    ProgramRun r = run_agent("--read " + capture + " --no-progress");
    EXPECT_EQ(r.status, 0);
    const auto out = lines(r.out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_NE(out[0].find("\"category\":\"DNS TUNNELLING\""), std::string::npos);

    const fs::path dir = fs::temp_directory_path() / ("agent_test_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const fs::path config = dir / "sentinel_config.json";
    std::ofstream(config) << R"({"dns_tunnel_rules": "original", "dns_tunnel_query_len": 200})";
    r = run_agent("--config " + config.string() + " --read " + capture);
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out, "");

    r = run_agent("--config " + (dir / "missing.json").string() + " --read " + capture);
    EXPECT_EQ(r.status, 2);
    r = run_agent("--read " + capture + " --output none");
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out, "");
    r = run_agent("--read " + capture + " --output xml");
    EXPECT_NE(r.status, 0);
    fs::remove_all(dir);
}

}  // namespace
}  // namespace sentinel::agent
