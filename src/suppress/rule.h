#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "common/status.h"
#include "common/time.h"
#include "schema/alert.h"

namespace sentinel::suppress {

// One suppression rule (allowlist entry). Unset fields match anything; a rule with no matching
// field set is never built by rule_from_json.
struct Rule {
    int64_t id = 0;
    std::string category;  // a detector's category, compared case-insensitively; "" = any
    std::optional<Cidr> src;
    std::optional<Cidr> dst;
    std::optional<uint16_t> port;  // 1-65535
    std::string agent_id;          // "" = any
    std::optional<Timestamp> expires_at;
    std::string comment;
    // Bookkeeping kept by the server; the agent ignores them.
    std::string created_by;
    std::optional<Timestamp> created_at;

    // True once now >= expires_at: a rule stops applying at its expiry instant.
    bool expired(Timestamp now) const { return expires_at && now >= *expires_at; }
};

// Hit counters the server reports next to a rule.
struct RuleStats {
    int64_t hits_server = 0;
    int64_t hits_agents = 0;
    std::optional<Timestamp> last_hit;
};

// Parses a rule from the API/agent/persisted JSON. Empty string or null means "any". Unknown
// members (hits, expired, ...) are ignored. When `now` is given, "expires_in_s" (positive seconds)
// is accepted too and turned into expires_at. Errors name the field, e.g.
// "src: expected an IPv4/IPv6 address or CIDR".
Result<Rule> rule_from_json(const nlohmann::json& j, std::optional<Timestamp> now = std::nullopt);

// Every field the rule holds: id, category, src, dst, port, agent_id, expires_at, comment,
// created_by, created_at. Unset fields are "" (strings) or null (port, times).
nlohmann::ordered_json to_json(const Rule& rule);
// As above plus "expired", "hits", "hits_server", "hits_agents", "last_hit": the API's rule object.
nlohmann::ordered_json to_json(const Rule& rule, const RuleStats& stats, Timestamp now);
// The agent's form: id and the matching fields only (category, src, dst, port, agent_id,
// expires_at).
nlohmann::ordered_json to_agent_json(const Rule& rule);

// "10.0.0.0/8" for a network, "192.168.1.5" for a single host (full-length prefix).
std::string cidr_text(const Cidr& cidr);

// The parts of an alert that rules look at, extracted once so several rules can be tried cheaply.
struct AlertKey {
    std::optional<IpAddress> src;  // the address part of alert.src, else flow.src_ip
    std::optional<IpAddress> dst;  // flow.dest_ip; none without a flow
    // Candidate ports: flow dest/src (not for ICMP, whose "ports" are type and code) and the port
    // of an "ip:port" / "[v6]:port" alert.src. 0 = none.
    uint16_t ports[3] = {0, 0, 0};

    static AlertKey of(const schema::Alert& alert);
};

// Splits an alert's src ("1.2.3.4", "1.2.3.4:80", "[2001:db8::1]:443", "2001:db8::1") into its
// address and port (0 when absent); nullopt address when the text holds none.
std::pair<std::optional<IpAddress>, uint16_t> split_alert_src(std::string_view src);

// True when `rule` has not expired at `now` and every field it sets matches the alert (see the
// contract in README.md).
bool matches(const Rule& rule, const schema::Alert& alert, Timestamp now);
bool matches(const Rule& rule, const schema::Alert& alert, const AlertKey& key, Timestamp now);

// The rules in force, as the server hands them out, with the server's version number.
struct RuleSet {
    std::vector<Rule> rules;
    int64_t version = 0;

    // The first rule (in order) that matches, or nullptr.
    const Rule* first_match(const schema::Alert& alert, Timestamp now) const;
    bool empty() const { return rules.empty(); }
};

// {"version":n,"rules":[...]}: errors name the rule, e.g. "rules[2].port: expected ...".
Result<RuleSet> rule_set_from_json(const nlohmann::json& j);
// {"version":n,"rules":[agent form...]}
nlohmann::ordered_json to_agent_json(const RuleSet& set);

}  // namespace sentinel::suppress
