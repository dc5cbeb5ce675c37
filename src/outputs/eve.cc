#include "outputs/eve.h"

#include <fmt/format.h>

#include <array>
#include <ctime>
#include <nlohmann/json.hpp>

#include "common/ip_address.h"
#include "outputs/community_id.h"

namespace sentinel::outputs {

int eve_severity(schema::Severity level) {
    switch (level) {
        case schema::Severity::kCritical:
        case schema::Severity::kHigh:
            return 1;
        case schema::Severity::kMedium:
            return 2;
        case schema::Severity::kLow:
        case schema::Severity::kInfo:
            return 3;
    }
    return 3;
}

uint32_t signature_id(std::string_view category) {
    // Order is part of the contract: SIEM rules key on these numbers. Append, never reorder.
    static constexpr std::array<std::string_view, 8> kKnown = {
        "PORT SCAN",       "SYN FLOOD",    "ICMP FLOOD",        "DNS TUNNELLING",
        "SUSPICIOUS PORT", "ARP SPOOFING", "DATA EXFILTRATION", "BRUTE FORCE"};
    for (size_t i = 0; i < kKnown.size(); ++i) {
        if (category == kKnown[i]) {
            return 9'100'001 + static_cast<uint32_t>(i);
        }
    }
    uint32_t h = 2166136261u;  // FNV-1a: fixed, unlike std::hash
    for (char ch : category) {
        h = (h ^ static_cast<uint8_t>(ch)) * 16777619u;
    }
    return 9'200'000 + h % 100'000;
}

std::string eve_timestamp(Timestamp t) {
    const int64_t secs = t.ns >= 0 ? t.ns / 1'000'000'000 : (t.ns - 999'999'999) / 1'000'000'000;
    const int64_t micros = (t.ns - secs * 1'000'000'000) / 1000;
    const std::time_t tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}+0000", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
}

std::string src_address(std::string_view src) {
    if (src.empty()) {
        return "";
    }
    if (IpAddress::parse(src)) {
        return std::string(src);
    }
    if (src.front() == '[') {
        const auto close = src.find(']');
        if (close != std::string_view::npos && IpAddress::parse(src.substr(1, close - 1))) {
            return std::string(src.substr(1, close - 1));
        }
        return "";
    }
    const auto colon = src.rfind(':');
    if (colon != std::string_view::npos && IpAddress::parse(src.substr(0, colon))) {
        return std::string(src.substr(0, colon));
    }
    return "";
}

std::string eve_json(const schema::Alert& a) {
    nlohmann::ordered_json j;
    j["timestamp"] = eve_timestamp(a.ts);
    j["event_type"] = "alert";
    if (a.flow) {
        const schema::Flow& f = *a.flow;
        const bool icmp = f.proto == 1 || f.proto == 58;
        const bool ports = f.proto == 6 || f.proto == 17 || f.proto == 132;
        j["src_ip"] = f.src_ip;
        if (ports) {
            j["src_port"] = f.src_port;
        }
        j["dest_ip"] = f.dest_ip;
        if (ports) {
            j["dest_port"] = f.dest_port;
        }
        j["proto"] = schema::proto_name(f.proto);
        if (icmp) {
            // As Suricata writes ICMP: type and code, no ports (schema::Flow keeps them there).
            j["icmp_type"] = f.src_port;
            j["icmp_code"] = f.dest_port;
        }
        if (std::string id = community_id(f); !id.empty()) {
            j["community_id"] = id;
        }
    } else if (std::string ip = src_address(a.src); !ip.empty()) {
        j["src_ip"] = ip;
    }
    nlohmann::ordered_json alert;
    alert["action"] = "allowed";  // an IDS observes; nothing was blocked
    alert["gid"] = 1;
    alert["signature_id"] = signature_id(a.category);
    alert["rev"] = 1;
    alert["signature"] = a.message;
    alert["category"] = a.category;
    alert["severity"] = eve_severity(a.level);
    j["alert"] = std::move(alert);
    j["host"] = a.hostname;
    nlohmann::ordered_json ns;
    ns["id"] = a.id;
    ns["agent_id"] = a.agent_id;
    ns["level"] = std::string(schema::to_string(a.level));
    ns["src"] = a.src;
    if (a.received_at) {
        ns["received_at"] = schema::format_iso8601(*a.received_at);
    }
    j["netsentinel"] = std::move(ns);
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace sentinel::outputs
