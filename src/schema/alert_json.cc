#include "schema/alert_json.h"
#include "common/json_input.h"

#include <nlohmann/json.hpp>

#include "common/ip_address.h"

namespace sentinel::schema {

std::string to_json(const Alert& a) {
    nlohmann::ordered_json j;
    j["id"] = a.id;
    j["ts"] = format_iso8601(a.ts);
    j["level"] = to_string(a.level);
    j["category"] = a.category;
    j["message"] = a.message;
    j["src"] = a.src;
    j["agent_id"] = a.agent_id;
    j["hostname"] = a.hostname;
    j["os"] = a.os;
    if (a.received_at) {
        j["received_at"] = format_iso8601(*a.received_at);
    }
    if (a.flow) {
        j["flow"] = flow_to_json(*a.flow);
    }
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::ordered_json flow_to_json(const Flow& f) {
    nlohmann::ordered_json j;
    j["src_ip"] = f.src_ip;
    j["src_port"] = f.src_port;
    j["dest_ip"] = f.dest_ip;
    j["dest_port"] = f.dest_port;
    j["proto"] = f.proto;
    return j;
}

std::optional<Flow> flow_from_json(const nlohmann::json& j) {
    if (!j.is_object()) {
        return std::nullopt;
    }
    const auto address = [&](const char* key) -> std::optional<std::string> {
        const auto it = j.find(key);
        if (it == j.end() || !it->is_string()) {
            return std::nullopt;
        }
        const auto ip = IpAddress::parse(it->get<std::string>());
        if (!ip) {
            return std::nullopt;
        }
        return ip->to_string();
    };
    const auto number = [&](const char* key, uint32_t max) -> std::optional<uint32_t> {
        const auto it = j.find(key);
        if (it == j.end()) {
            return 0u;
        }
        if (!it->is_number_unsigned() || it->get<uint64_t>() > max) {
            return std::nullopt;
        }
        return static_cast<uint32_t>(it->get<uint64_t>());
    };
    auto src = address("src_ip");
    auto dest = address("dest_ip");
    const auto sport = number("src_port", 65535);
    const auto dport = number("dest_port", 65535);
    const auto proto = number("proto", 255);
    if (!src || !dest || !sport || !dport || !proto) {
        return std::nullopt;
    }
    Flow f;
    f.src_ip = std::move(*src);
    f.dest_ip = std::move(*dest);
    f.src_port = static_cast<uint16_t>(*sport);
    f.dest_port = static_cast<uint16_t>(*dport);
    f.proto = static_cast<uint8_t>(*proto);
    return f;
}

namespace {
std::string string_field(const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        return {};
    }
    return it->is_string() ? it->get<std::string>() : it->dump();
}
}  // namespace

Result<Alert> alert_from_json(std::string_view text) {
    const auto parsed = json_input::parse(text);
    if (!parsed) {
        return Error{"alert: " + parsed.error()};
    }
    const nlohmann::json& j = *parsed;
    if (!j.is_object()) {
        return Error{"alert is not a JSON object"};
    }
    Alert a;
    const auto level = parse_severity(string_field(j, "level"));
    if (!level) {
        return Error{"invalid level"};
    }
    a.level = *level;
    a.id = string_field(j, "id");
    a.category = string_field(j, "category");
    a.message = string_field(j, "message");
    a.src = string_field(j, "src");
    a.agent_id = string_field(j, "agent_id");
    a.hostname = string_field(j, "hostname");
    a.os = string_field(j, "os");
    if (const auto ts = parse_iso8601(string_field(j, "ts"))) {
        a.ts = *ts;
    }
    if (const auto r = parse_iso8601(string_field(j, "received_at"))) {
        a.received_at = *r;
    }
    if (const auto it = j.find("flow"); it != j.end()) {
        a.flow = flow_from_json(*it);
    }
    return a;
}

}  // namespace sentinel::schema
