#include "schema/alert_json.h"

#include <nlohmann/json.hpp>

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
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
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
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
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
    return a;
}

}  // namespace sentinel::schema
