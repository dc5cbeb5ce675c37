// libFuzzer entry point for the messages the agent reads from the server outside the alert
// payloads. There is no WebSocket message parser to fuzz: the server reads the dashboard's
// WebSocket messages and drops them unread (http_server.cc ws_reader). What the agent parses
// instead: the heartbeat answer (suppressions_version_of) and the rule-set answer of
// GET /api/agent/suppressions, installed the way the shipper does (SuppressionFilter::replace).
// The input is the answer body; its bytes also fill the heartbeat the agent sends, which must
// stay valid JSON whatever the host name or anomaly names hold.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "schema/alert.h"
#include "suppress/rule.h"
#include "transport/heartbeat.h"
#include "transport/suppression.h"

namespace {

using namespace sentinel::transport;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_ws_message: invariant failed: %s\n", what);
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);

    // The heartbeat answer.
    (void)suppressions_version_of(body);

    // The rules answer, as the shipper installs it (the filter keeps it in memory only).
    const auto j = nlohmann::json::parse(body, nullptr, false);
    if (!j.is_discarded()) {
        auto set = sentinel::suppress::rule_set_from_json(j);
        if (set) {
            SuppressionFilter filter("");
            const int64_t version = set->version;
            check(filter.replace(std::move(set).value()).is_ok(), "replace");
            check(filter.version() == version, "version kept");
            sentinel::schema::Alert alert;
            alert.category = "PORT SCAN";
            alert.src = "10.0.0.5";
            alert.flow = sentinel::schema::Flow{"10.0.0.5", "192.168.1.10", 40000, 22, 6};
            alert.ts = sentinel::Timestamp::from_seconds(1'700'000'000);
            (void)filter.apply(alert, alert.ts);
        }
    }

    // The heartbeat the agent sends, with outside text (host name, OS, anomaly names) in it.
    HeartbeatReport report;
    const size_t third = size / 3;
    report.identity.agent_id = "0123456789abcdef";
    report.identity.hostname = std::string(body.substr(0, third));
    report.identity.os = std::string(body.substr(third, third));
    report.identity.version = "0.1.0";
    report.agent.anomalies[std::string(body.substr(2 * third))] = size;
    report.suppressed[static_cast<int64_t>(size) - 3] = 1;
    const std::string sent = heartbeat_body(report);
    const auto back = nlohmann::json::parse(sent, nullptr, false);
    check(!back.is_discarded() && back.is_object(), "heartbeat body is not a JSON object");
    check(back.contains("agent_id") && back.contains("suppressed"), "heartbeat body fields");
    return 0;
}
