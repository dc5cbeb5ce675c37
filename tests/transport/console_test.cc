#include "transport/console.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>

#include "common/log.h"

namespace sentinel::transport {
namespace {

std::string capture(const std::function<void(Console&)>& body, ConsoleOptions options) {
    std::FILE* f = std::tmpfile();
    options.out = f;
    {
        Console console(options);
        body(console);
    }
    std::rewind(f);
    std::string out;
    char buf[512];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) {
        out.append(buf, n);
    }
    std::fclose(f);
    return out;
}

schema::Alert sample() {
    schema::Alert a;
    a.id = "abc";
    a.ts = Timestamp::from_seconds(3600 * 14 + 60 * 3 + 7);  // 14:03:07 UTC (tests run in UTC)
    a.level = schema::Severity::kHigh;
    a.category = "PORT SCAN";
    a.message = "10.0.0.9 probed 15 ports in 10s";
    a.src = "10.0.0.9";
    return a;
}

TEST(Console, OriginalAlertLineLayout) {
    const std::string out = capture([](Console& c) { c.alert(sample()); }, {.color = 0});
    EXPECT_EQ(out, "[HIGH    ]  14:03:07  PORT SCAN  10.0.0.9 probed 15 ports in 10s\n");
}

TEST(Console, ColoursOnlyWhenAsked) {
    const std::string out = capture([](Console& c) { c.alert(sample()); }, {.color = 1});
    EXPECT_EQ(out,
              "[\033[31mHIGH    \033[0m]  14:03:07  \033[36mPORT SCAN\033[0m  10.0.0.9 probed 15 "
              "ports in 10s\n");
    // A file is not a terminal: automatic mode stays plain.
    const std::string plain = capture([](Console& c) { c.alert(sample()); }, {.color = -1});
    EXPECT_EQ(plain.find('\033'), std::string::npos);
}

TEST(Console, SeverityColours) {
    EXPECT_NE(format_alert_line(schema::Severity::kCritical, {}, "X", "m", true).find("\033[35m"),
              std::string::npos);
    EXPECT_NE(format_alert_line(schema::Severity::kMedium, {}, "X", "m", true).find("\033[33m"),
              std::string::npos);
    EXPECT_NE(format_alert_line(schema::Severity::kLow, {}, "X", "m", true).find("\033[32m"),
              std::string::npos);
    EXPECT_EQ(format_alert_line(schema::Severity::kCritical, {}, "X", "m", false),
              "[CRITICAL]  00:00:00  X  m");
}

TEST(Console, QuietHidesAlertsAndStats) {
    const std::string out = capture(
        [](Console& c) {
            c.alert(sample());
            c.stats({});
            c.event(schema::Severity::kInfo, "SHIPPER", "connected");
        },
        {.quiet = true, .color = 0});
    EXPECT_EQ(out, "");
}

TEST(Console, JsonFormatOneObjectPerLine) {
    const std::string out = capture(
        [](Console& c) {
            auto a = sample();
            a.message = "quote \" and newline \n";
            c.alert(a);
            ConsoleStats s;
            s.packets = 42;
            s.by_category["PORT SCAN"] = 1;
            c.stats(s);
        },
        {.format = LogFormat::kJson});
    const auto nl = out.find('\n');
    ASSERT_NE(nl, std::string::npos);
    const auto alert = nlohmann::json::parse(out.substr(0, nl));
    EXPECT_EQ(alert["type"], "alert");
    EXPECT_EQ(alert["level"], "HIGH");
    EXPECT_EQ(alert["message"], "quote \" and newline \n");
    EXPECT_EQ(alert["ts"], "1970-01-01T14:03:07.000000+00:00");
    const auto stats = nlohmann::json::parse(out.substr(nl + 1));
    EXPECT_EQ(stats["type"], "stats");
    EXPECT_EQ(stats["packets"], 42);
    EXPECT_EQ(stats["detections"]["PORT SCAN"], 1);
}

TEST(Console, StatsLine) {
    ConsoleStats s;
    s.agent_id = "0123456789abcdef";
    s.packets = 1000;
    s.delivered = 7;
    s.spool_depth = 2;
    s.dropped = 1;
    s.by_category["SYN FLOOD"] = 3;
    const std::string out = capture([&](Console& c) { c.stats(s); }, {.color = 0});
    EXPECT_EQ(out.rfind("[STATS   ]  ", 0), 0u);
    EXPECT_NE(out.find("packets 1000"), std::string::npos);
    EXPECT_NE(out.find("delivered 7"), std::string::npos);
    EXPECT_NE(out.find("spooled 2"), std::string::npos);
    EXPECT_NE(out.find("lost 1"), std::string::npos);
    EXPECT_NE(out.find("SYN FLOOD 3"), std::string::npos);
}

TEST(Console, StatsLineShowsSuppressedCountsPerRule) {
    ConsoleStats s;
    s.agent_id = "0123456789abcdef";
    EXPECT_EQ(capture([&](Console& c) { c.stats(s); }, {.color = 0}).find("suppressed"),
              std::string::npos);  // nothing suppressed: not mentioned
    s.suppressed = 12;
    s.suppressed_by_rule = {{7, 10}, {9, 2}};
    const std::string out = capture([&](Console& c) { c.stats(s); }, {.color = 0});
    EXPECT_NE(out.find("suppressed 12 (rule 7: 10, rule 9: 2)"), std::string::npos) << out;
    const auto j = nlohmann::json::parse(
        capture([&](Console& c) { c.stats(s); }, {.format = LogFormat::kJson}));
    EXPECT_EQ(j["suppressed"], 12);
    EXPECT_EQ(j["suppressed_by_rule"]["7"], 10);
    EXPECT_EQ(j["suppressed_by_rule"]["9"], 2);
}

// Runs `body` with stderr redirected to a file and returns what was written.
std::string capture_stderr(const std::function<void()>& body) {
    std::fflush(stderr);
    std::FILE* f = std::tmpfile();
    const int saved = ::dup(2);
    ::dup2(::fileno(f), 2);
    body();
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    std::rewind(f);
    std::string out;
    char buf[512];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) {
        out.append(buf, n);
    }
    std::fclose(f);
    return out;
}

TEST(Logging, JsonFormatEscapesAndQuietKeepsWarnings) {
    const std::string out = capture_stderr([] {
        configure_logging(LogFormat::kJson, true);
        SENTINEL_LOG(info, "shipper", "hidden in quiet mode");
        SENTINEL_LOG(warn, "shipper", "spool is \"full\" at {} bytes", 4096);
    });
    configure_logging(LogFormat::kText, false);
    const auto nl = out.find('\n');
    ASSERT_NE(nl, std::string::npos) << out;
    EXPECT_EQ(out.find('\n', nl + 1), std::string::npos) << out;  // only the warning
    const auto j = nlohmann::json::parse(out.substr(0, nl));
    EXPECT_EQ(j["level"], "warning");
    EXPECT_EQ(j["msg"], "[shipper] spool is \"full\" at 4096 bytes");
    EXPECT_EQ(j["ts"].get<std::string>().substr(26), "+00:00");
}

}  // namespace
}  // namespace sentinel::transport
