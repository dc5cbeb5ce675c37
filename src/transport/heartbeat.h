#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "transport/identity.h"
#include "transport/shipper.h"

namespace sentinel::transport {

// Everything one heartbeat reports (api.md "POST /api/agent/heartbeat", manage.md "suppressed").
struct HeartbeatReport {
    AgentIdentity identity;
    uint64_t uptime_s = 0;
    AgentStats agent;
    uint64_t spool_depth = 0;
    uint64_t spool_bytes = 0;
    uint64_t spool_dropped = 0;
    uint64_t alerts_delivered = 0;
    uint64_t alerts_rejected = 0;
    uint64_t spool_corrupt = 0;
    std::map<int64_t, uint64_t> suppressed;  // rule id -> alerts since the process started
};

// The JSON body: agent_id, hostname, os, version, uptime_s, packets, bytes, capture_drops,
// alerts, spool_depth, spool_bytes, spool_dropped, vt_requests, vt_quota_left (null when
// disabled), anomalies, rss_bytes, peak_rss_bytes, state_bytes, state_cap_bytes, startup_ms (null
// until the capture runs), alerts_delivered, alerts_rejected, spool_corrupt and
// "suppressed":{"<rule id>":count} (always present, {} when nothing was suppressed).
std::string heartbeat_body(const HeartbeatReport& report);

// The "suppressions_version" of a heartbeat answer; nullopt when it has none (an original
// server) or is not JSON.
std::optional<int64_t> suppressions_version_of(std::string_view response_body);

}  // namespace sentinel::transport
