#include "suppress/rule.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace sentinel::suppress {
namespace {

constexpr size_t kMaxCategory = 128;
constexpr size_t kMaxAgentId = 128;
constexpr size_t kMaxComment = 1000;
constexpr double kMaxExpiresInS = 10.0 * 366 * 24 * 3600;

Error field_error(std::string_view prefix, std::string_view field, std::string_view problem) {
    std::string m;
    m.reserve(prefix.size() + field.size() + problem.size() + 2);
    m.append(prefix).append(field).append(": ").append(problem);
    return Error{std::move(m)};
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

// A string member: absent or null → "", otherwise a string (trimmed) no longer than max.
std::optional<Error> read_text(const nlohmann::json& j, const char* key, size_t max, bool do_trim,
                               std::string_view prefix, std::string& out) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        return std::nullopt;
    }
    if (!it->is_string()) {
        return field_error(prefix, key, "expected a string");
    }
    const auto& s = it->get_ref<const std::string&>();
    const std::string_view v = do_trim ? trim(s) : std::string_view(s);
    if (v.size() > max) {
        return field_error(prefix, key,
                           "too long (at most " + std::to_string(max) + " characters)");
    }
    out.assign(v);
    return std::nullopt;
}

std::optional<Error> read_cidr(const nlohmann::json& j, const char* key, std::string_view prefix,
                               std::optional<Cidr>& out) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        return std::nullopt;
    }
    if (!it->is_string()) {
        return field_error(prefix, key, "expected an IPv4/IPv6 address or CIDR");
    }
    const auto text = trim(it->get_ref<const std::string&>());
    if (text.empty()) {
        return std::nullopt;
    }
    out = Cidr::parse(text);
    if (!out) {
        return field_error(prefix, key, "expected an IPv4/IPv6 address or CIDR");
    }
    return std::nullopt;
}

std::optional<Error> read_port(const nlohmann::json& j, std::string_view prefix,
                               std::optional<uint16_t>& out) {
    const auto it = j.find("port");
    if (it == j.end() || it->is_null()) {
        return std::nullopt;
    }
    const auto bad = [&] {
        return field_error(prefix, "port", "expected an integer from 1 to 65535");
    };
    int64_t value = 0;
    if (it->is_number_integer()) {
        value = it->get<int64_t>();
    } else if (it->is_number_unsigned()) {
        const auto u = it->get<uint64_t>();
        value = u > 65535 ? 65536 : static_cast<int64_t>(u);
    } else if (it->is_string()) {
        // HTML forms send numbers as text.
        const auto text = trim(it->get_ref<const std::string&>());
        if (text.empty()) {
            return std::nullopt;
        }
        if (text.size() > 5) {
            return bad();
        }
        for (char c : text) {
            if (c < '0' || c > '9') {
                return bad();
            }
            value = value * 10 + (c - '0');
        }
    } else {
        return bad();
    }
    if (value < 1 || value > 65535) {
        return bad();
    }
    out = static_cast<uint16_t>(value);
    return std::nullopt;
}

std::optional<Error> read_time(const nlohmann::json& j, const char* key, std::string_view prefix,
                               std::optional<Timestamp>& out) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        return std::nullopt;
    }
    if (it->is_string()) {
        const auto text = trim(it->get_ref<const std::string&>());
        if (text.empty()) {
            return std::nullopt;
        }
        out = schema::parse_iso8601(text);
        if (out) {
            return std::nullopt;
        }
    }
    return field_error(prefix, key, "expected an ISO-8601 time or null");
}

nlohmann::ordered_json time_or_null(const std::optional<Timestamp>& t) {
    return t ? nlohmann::ordered_json(schema::format_iso8601(*t)) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json cidr_or_empty(const std::optional<Cidr>& c) {
    return c ? cidr_text(*c) : std::string();
}

Result<Rule> parse_rule(const nlohmann::json& j, std::optional<Timestamp> now,
                        std::string_view prefix) {
    if (!j.is_object()) {
        std::string m(prefix.empty() ? "rule" : prefix.substr(0, prefix.size() - 1));
        return Error{m + ": expected a JSON object"};
    }
    Rule r;
    if (const auto it = j.find("id"); it != j.end() && !it->is_null()) {
        if (!(it->is_number_integer() || it->is_number_unsigned()) ||
            (it->is_number_unsigned() && it->get<uint64_t>() > INT64_MAX) ||
            it->get<int64_t>() < 0) {
            return field_error(prefix, "id", "expected a non-negative integer");
        }
        r.id = it->get<int64_t>();
    }
    std::optional<Error> e;
    if ((e = read_text(j, "category", kMaxCategory, true, prefix, r.category)) ||
        (e = read_cidr(j, "src", prefix, r.src)) || (e = read_cidr(j, "dst", prefix, r.dst)) ||
        (e = read_port(j, prefix, r.port)) ||
        (e = read_text(j, "agent_id", kMaxAgentId, true, prefix, r.agent_id)) ||
        (e = read_time(j, "expires_at", prefix, r.expires_at)) ||
        (e = read_text(j, "comment", kMaxComment, false, prefix, r.comment)) ||
        (e = read_text(j, "created_by", kMaxAgentId, false, prefix, r.created_by)) ||
        (e = read_time(j, "created_at", prefix, r.created_at))) {
        return std::move(*e);
    }
    if (const auto it = j.find("expires_in_s"); it != j.end() && !it->is_null()) {
        if (!now) {
            return field_error(prefix, "expires_in_s", "not accepted here; use expires_at");
        }
        if (r.expires_at) {
            return field_error(prefix, "expires_in_s", "give either expires_at or expires_in_s");
        }
        if (!it->is_number() || !(it->get<double>() > 0) || it->get<double>() > kMaxExpiresInS) {
            return field_error(prefix, "expires_in_s",
                               "expected a positive number of seconds (at most 10 years)");
        }
        r.expires_at = *now + Duration{static_cast<int64_t>(std::llround(it->get<double>() * 1e9))};
    }
    if (r.category.empty() && !r.src && !r.dst && !r.port && r.agent_id.empty()) {
        std::string m(prefix.empty() ? "rule" : prefix.substr(0, prefix.size() - 1));
        return Error{m + ": set at least one of category, src, dst, port, agent_id"};
    }
    return r;
}

void append_port(AlertKey& key, uint16_t port) {
    if (port == 0) {
        return;
    }
    for (auto& p : key.ports) {
        if (p == port) {
            return;
        }
        if (p == 0) {
            p = port;
            return;
        }
    }
}

}  // namespace

Result<Rule> rule_from_json(const nlohmann::json& j, std::optional<Timestamp> now) {
    try {
        return parse_rule(j, now, "");
    } catch (const nlohmann::json::exception&) {
        return Error{"rule: malformed JSON value"};
    }
}

std::string cidr_text(const Cidr& cidr) {
    const int full = cidr.network().is_v4() ? 32 : 128;
    return cidr.prefix_len() == full ? cidr.network().to_string() : cidr.to_string();
}

nlohmann::ordered_json to_agent_json(const Rule& r) {
    nlohmann::ordered_json j;
    j["id"] = r.id;
    j["category"] = r.category;
    j["src"] = cidr_or_empty(r.src);
    j["dst"] = cidr_or_empty(r.dst);
    j["port"] = r.port ? nlohmann::ordered_json(*r.port) : nlohmann::ordered_json(nullptr);
    j["agent_id"] = r.agent_id;
    j["expires_at"] = time_or_null(r.expires_at);
    return j;
}

nlohmann::ordered_json to_json(const Rule& r) {
    auto j = to_agent_json(r);
    j["comment"] = r.comment;
    j["created_by"] = r.created_by;
    j["created_at"] = time_or_null(r.created_at);
    return j;
}

nlohmann::ordered_json to_json(const Rule& r, const RuleStats& stats, Timestamp now) {
    auto j = to_json(r);
    j["expired"] = r.expired(now);
    j["hits"] = stats.hits_server + stats.hits_agents;
    j["hits_server"] = stats.hits_server;
    j["hits_agents"] = stats.hits_agents;
    j["last_hit"] = time_or_null(stats.last_hit);
    return j;
}

std::pair<std::optional<IpAddress>, uint16_t> split_alert_src(std::string_view s) {
    s = trim(s);
    std::string_view addr = s;
    std::string_view port;
    if (!s.empty() && s.front() == '[') {
        const auto close = s.find(']');
        if (close == std::string_view::npos) {
            return {std::nullopt, 0};
        }
        addr = s.substr(1, close - 1);
        const auto rest = s.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                return {std::nullopt, 0};
            }
            port = rest.substr(1);
        }
    } else if (const auto colon = s.find(':'); colon != std::string_view::npos &&
                                               s.find(':', colon + 1) == std::string_view::npos) {
        // Exactly one colon: "ip:port". Two or more: a bare IPv6 address.
        addr = s.substr(0, colon);
        port = s.substr(colon + 1);
    }
    uint16_t port_value = 0;
    if (!port.empty() && port.size() <= 5) {
        uint32_t v = 0;
        bool digits = true;
        for (char c : port) {
            if (c < '0' || c > '9') {
                digits = false;
                break;
            }
            v = v * 10 + static_cast<uint32_t>(c - '0');
        }
        if (digits && v <= 65535) {
            port_value = static_cast<uint16_t>(v);
        }
    }
    return {IpAddress::parse(addr), port_value};
}

AlertKey AlertKey::of(const schema::Alert& alert) {
    AlertKey key;
    const auto [src_addr, src_port] = split_alert_src(alert.src);
    // The alert's own src is what the feed shows and groups by, so a rule made from a group
    // matches it even when a detector reports the target there (SYN FLOOD at a victim).
    key.src = src_addr;
    if (alert.flow) {
        if (!key.src) {
            key.src = IpAddress::parse(alert.flow->src_ip);
        }
        key.dst = IpAddress::parse(alert.flow->dest_ip);
        const bool icmp = alert.flow->proto == 1 || alert.flow->proto == 58;
        if (!icmp) {
            append_port(key, alert.flow->dest_port);
            append_port(key, alert.flow->src_port);
        }
    }
    append_port(key, src_port);
    return key;
}

bool matches(const Rule& r, const schema::Alert& alert, const AlertKey& key, Timestamp now) {
    if (r.expired(now)) {
        return false;
    }
    if (!r.category.empty() && !iequals(r.category, alert.category)) {
        return false;
    }
    if (r.src && !(key.src && r.src->contains(*key.src))) {
        return false;
    }
    if (r.dst && !(key.dst && r.dst->contains(*key.dst))) {
        return false;
    }
    if (r.port) {
        bool hit = false;
        for (const auto p : key.ports) {
            hit = hit || (p != 0 && p == *r.port);
        }
        if (!hit) {
            return false;
        }
    }
    return r.agent_id.empty() || r.agent_id == alert.agent_id;
}

bool matches(const Rule& rule, const schema::Alert& alert, Timestamp now) {
    return matches(rule, alert, AlertKey::of(alert), now);
}

const Rule* RuleSet::first_match(const schema::Alert& alert, Timestamp now) const {
    if (rules.empty()) {
        return nullptr;
    }
    const auto key = AlertKey::of(alert);
    for (const auto& r : rules) {
        if (matches(r, alert, key, now)) {
            return &r;
        }
    }
    return nullptr;
}

Result<RuleSet> rule_set_from_json(const nlohmann::json& j) {
    try {
        if (!j.is_object()) {
            return Error{"rule set: expected a JSON object"};
        }
        RuleSet set;
        if (const auto it = j.find("version"); it != j.end() && !it->is_null()) {
            if (!(it->is_number_integer() || it->is_number_unsigned())) {
                return Error{"version: expected an integer"};
            }
            set.version = it->get<int64_t>();
        }
        const auto rules = j.find("rules");
        if (rules == j.end() || !rules->is_array()) {
            return Error{"rules: expected an array"};
        }
        set.rules.reserve(rules->size());
        for (size_t i = 0; i < rules->size(); ++i) {
            const std::string prefix = "rules[" + std::to_string(i) + "].";
            auto rule = parse_rule((*rules)[i], std::nullopt, prefix);
            if (!rule) {
                return Error{rule.error()};
            }
            set.rules.push_back(std::move(rule).value());
        }
        return set;
    } catch (const nlohmann::json::exception&) {
        return Error{"rule set: malformed JSON value"};
    }
}

nlohmann::ordered_json to_agent_json(const RuleSet& set) {
    nlohmann::ordered_json j;
    j["version"] = set.version;
    auto& rules = j["rules"] = nlohmann::ordered_json::array();
    for (const auto& r : set.rules) {
        rules.push_back(to_agent_json(r));
    }
    return j;
}

}  // namespace sentinel::suppress
