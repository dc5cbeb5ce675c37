#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "decode/anomaly.h"
#include "decode/packet.h"

namespace sentinel::decode {

// Limits of DNS name decoding (RFC 1035 §2.3.4 and §4.1.4).
constexpr size_t kDnsMaxLabel = 63;
constexpr size_t kDnsMaxWireName = 255;  // encoded length, including length bytes and root
constexpr int kDnsMaxPointerJumps = 32;

// Decodes the name at msg[start] into out (dotted text, no trailing dot, original bytes) and
// sets out_len. Compression pointers must point strictly before every earlier position of this
// name, so each jump moves backwards and no loop is possible; jumps are also capped.
// next is set to the offset just after the name where it starts (after the first pointer).
// On failure returns false, bumps one anomaly and leaves out_len = 0.
bool read_dns_name(std::span<const uint8_t> msg, size_t start, char* out, uint16_t& out_len,
                   size_t& next, AnomalyCounters& anomalies);

// Decodes a DNS message header and its first question into out. Returns true when the message
// has at least one well-formed question; header fields are filled even when it does not.
bool decode_dns_message(std::span<const uint8_t> msg, DnsInfo& out, AnomalyCounters& anomalies);

}  // namespace sentinel::decode
