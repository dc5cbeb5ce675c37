#include "schema/alert.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "schema/alert_json.h"

namespace sentinel::schema {
namespace {

TEST(SeverityTest, ParsesCaseInsensitivelyAndRaisesWithCap) {
    EXPECT_EQ(parse_severity("high"), Severity::kHigh);
    EXPECT_EQ(parse_severity("CRITICAL"), Severity::kCritical);
    EXPECT_FALSE(parse_severity("SEVERE"));
    EXPECT_EQ(raise(Severity::kMedium), Severity::kHigh);
    EXPECT_EQ(raise(Severity::kCritical), Severity::kCritical);
}

TEST(TimestampTest, Iso8601RoundTripsWithMicroseconds) {
    const Timestamp t{1'700'000'000'123'456'000};
    const auto text = format_iso8601(t);
    EXPECT_EQ(text, "2023-11-14T22:13:20.123456+00:00");
    EXPECT_EQ(parse_iso8601(text)->ns, t.ns);
    EXPECT_EQ(parse_iso8601("2023-11-14T23:13:20.123456+01:00")->ns, t.ns);
    EXPECT_EQ(parse_iso8601("1970-01-01T00:00:00Z")->ns, 0);
    EXPECT_FALSE(parse_iso8601("2023-13-01T00:00:00Z"));
    EXPECT_FALSE(parse_iso8601("yesterday"));
    // Outside what nanoseconds in 64 bits hold (1677..2262): refused, not overflowed.
    EXPECT_FALSE(parse_iso8601("4433-11-21T12:00:00.000000+00:00"));
    EXPECT_FALSE(parse_iso8601("9999-12-31T23:59:59Z"));
    EXPECT_FALSE(parse_iso8601("0001-01-01T00:00:00Z"));
    EXPECT_TRUE(parse_iso8601("2262-01-01T00:00:00Z"));
    EXPECT_TRUE(parse_iso8601("1678-01-01T00:00:00Z"));
}

TEST(AlertJsonTest, RoundTripsTheWireFormat) {
    Alert a;
    a.id = make_alert_id();
    a.ts = Timestamp{1'000'000'000'000'000'000};
    a.level = Severity::kHigh;
    a.category = "PORT SCAN";
    a.message = "10.0.0.5 probed 15 ports in 10s (sample: [1, 2, 3]...)";
    a.src = "10.0.0.5";
    a.agent_id = "abc";
    a.hostname = "host";
    a.os = "Linux 6.1";
    const auto back = alert_from_json(to_json(a));
    ASSERT_TRUE(back.is_ok()) << back.error();
    EXPECT_EQ(back->id, a.id);
    EXPECT_EQ(back->ts, a.ts);
    EXPECT_EQ(back->level, a.level);
    EXPECT_EQ(back->message, a.message);
    EXPECT_EQ(back->os, a.os);
    EXPECT_EQ(a.id.size(), 32u);
    EXPECT_NE(make_alert_id(), make_alert_id());
    EXPECT_FALSE(alert_from_json("[1,2]").is_ok());
    EXPECT_FALSE(alert_from_json(R"({"level":"SEVERE"})").is_ok());
}

TEST(AlertJsonTest, FlowRoundTripsAndBadFlowsAreDropped) {
    Alert a;
    a.level = Severity::kHigh;
    a.flow = Flow{"10.0.0.5", "2001:db8::1", 40000, 22, 6};
    const auto text = to_json(a);
    EXPECT_NE(text.find(R"("flow":{"src_ip":"10.0.0.5","src_port":40000,"dest_ip":"2001:db8::1")"),
              std::string::npos)
        << text;
    const auto back = alert_from_json(text);
    ASSERT_TRUE(back.is_ok()) << back.error();
    EXPECT_EQ(back->flow, a.flow);

    EXPECT_FALSE(alert_from_json(R"({"level":"LOW"})")->flow);
    for (const char* bad : {R"({"src_ip":"10.0.0.1","dest_ip":"nowhere"})",
                            R"({"src_ip":"10.0.0.1","dest_ip":"10.0.0.2","dest_port":70000})",
                            R"({"src_ip":"10.0.0.1","dest_ip":"10.0.0.2","proto":-6})", "[1]"}) {
        EXPECT_FALSE(flow_from_json(nlohmann::json::parse(bad))) << bad;
    }
    EXPECT_EQ(proto_name(58), "IPv6-ICMP");
    EXPECT_EQ(proto_name(132), "132");
}

}  // namespace
}  // namespace sentinel::schema
