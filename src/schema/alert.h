#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/time.h"

namespace sentinel::schema {

enum class Severity : uint8_t { kInfo = 0, kLow = 1, kMedium = 2, kHigh = 3, kCritical = 4 };

std::string_view to_string(Severity s);  // "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"
// Case-insensitive; nullopt for anything else.
std::optional<Severity> parse_severity(std::string_view text);
// One step up the ladder INFO → LOW → MEDIUM → HIGH → CRITICAL, capped at CRITICAL.
Severity raise(Severity s);

// The packet that fired an alert, as Suricata's EVE names it. Ports are 0 for protocols without
// them; for ICMP/ICMPv6 src_port holds the type and dest_port the code (as Community ID wants).
struct Flow {
    std::string src_ip;
    std::string dest_ip;
    uint16_t src_port = 0;
    uint16_t dest_port = 0;
    uint8_t proto = 0;  // IANA protocol number: 1 ICMP, 6 TCP, 17 UDP, 58 ICMPv6

    bool operator==(const Flow&) const = default;
};

// "TCP", "UDP", "ICMP", "IPv6-ICMP", or the number for any other protocol.
std::string proto_name(uint8_t proto);

// One alert as it travels from agent to server and is stored (the original's fields plus an id
// made by the agent, the event time and the server's arrival time).
struct Alert {
    std::string id;  // agent-generated, unique; makes retries idempotent
    Timestamp ts;    // event time (capture time of the packet that fired it)
    Severity level = Severity::kInfo;
    std::string category;  // "PORT SCAN", "SYN FLOOD", ...
    std::string message;
    std::string src;  // cooldown key: an address, or "ip:port" for SUSPICIOUS PORT
    std::string agent_id;
    std::string hostname;
    std::string os;
    std::optional<Timestamp> received_at;  // set by the server
    std::optional<Flow> flow;              // absent when no IP packet applies (ARP)
};

// UTC ISO-8601 with microseconds and "+00:00", as the original server wrote timestamps.
std::string format_iso8601(Timestamp t);
std::optional<Timestamp> parse_iso8601(std::string_view text);

// A random 128-bit id as 32 lower-case hex characters.
std::string make_alert_id();

}  // namespace sentinel::schema
