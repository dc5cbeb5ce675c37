#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "schema/alert.h"

namespace sentinel::outputs {

// Suricata's alert.severity: 1 for CRITICAL and HIGH, 2 for MEDIUM, 3 for LOW and INFO.
int eve_severity(schema::Severity level);

// A signature id that stays the same for a category across releases and servers: 9100001..
// for the eight detector categories, 9200000 + a hash below 100000 for any other.
uint32_t signature_id(std::string_view category);

// Suricata's timestamp form: "2026-01-02T03:04:05.123456+0000".
std::string eve_timestamp(Timestamp t);

// One alert as a Suricata-style EVE JSON object on a single line (no newline):
// timestamp, event_type "alert", src_ip, src_port, dest_ip, dest_port (TCP, UDP, SCTP), proto,
// icmp_type and icmp_code (ICMP, ICMPv6), community_id (when a flow applies), alert{action, gid,
// signature_id, rev, signature, category, severity}, host, netsentinel{id, agent_id, level, src,
// received_at}. Without a flow, src_ip comes from the address part of alert.src and the destination
// and ports are left out.
std::string eve_json(const schema::Alert& alert);

// The address part of an alert's src: "1.2.3.4", "1.2.3.4:22" and "[v6]:22" give the address;
// empty when it holds no address.
std::string src_address(std::string_view src);

}  // namespace sentinel::outputs
