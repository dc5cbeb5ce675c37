#include "transport/heartbeat.h"
#include "common/json_input.h"

#include <nlohmann/json.hpp>

namespace sentinel::transport {

std::string heartbeat_body(const HeartbeatReport& r) {
    nlohmann::ordered_json j;
    j["agent_id"] = r.identity.agent_id;
    j["hostname"] = r.identity.hostname;
    j["os"] = r.identity.os;
    j["version"] = r.identity.version;
    j["uptime_s"] = r.uptime_s;
    j["packets"] = r.agent.packets;
    j["bytes"] = r.agent.bytes;
    j["capture_drops"] = r.agent.capture_drops;
    j["alerts"] = r.agent.alerts;
    j["spool_depth"] = r.spool_depth;
    j["spool_bytes"] = r.spool_bytes;
    j["spool_dropped"] = r.spool_dropped;
    j["vt_requests"] = r.agent.vt_requests;
    if (r.agent.vt_quota_left >= 0) {
        j["vt_quota_left"] = r.agent.vt_quota_left;
    } else {
        j["vt_quota_left"] = nullptr;
    }
    j["anomalies"] = r.agent.anomalies;
    j["rss_bytes"] = r.agent.resident_bytes;
    j["peak_rss_bytes"] = r.agent.peak_resident_bytes;
    j["state_bytes"] = r.agent.state_bytes;
    j["state_cap_bytes"] = r.agent.state_cap_bytes;
    if (r.agent.startup_us >= 0) {
        j["startup_ms"] = static_cast<double>(r.agent.startup_us) / 1000.0;
    } else {
        j["startup_ms"] = nullptr;
    }
    j["alerts_delivered"] = r.alerts_delivered;
    j["alerts_rejected"] = r.alerts_rejected;
    j["spool_corrupt"] = r.spool_corrupt;
    auto& suppressed = j["suppressed"] = nlohmann::ordered_json::object();
    for (const auto& [id, count] : r.suppressed) {
        suppressed[std::to_string(id)] = count;
    }
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<int64_t> suppressions_version_of(std::string_view body) {
    const auto parsed = json_input::parse(body);
    if (!parsed || !parsed->is_object()) {
        return std::nullopt;
    }
    const nlohmann::json& j = *parsed;
    const auto it = j.find("suppressions_version");
    if (it == j.end() || !(it->is_number_integer() || it->is_number_unsigned())) {
        return std::nullopt;
    }
    return it->get<int64_t>();
}

}  // namespace sentinel::transport
