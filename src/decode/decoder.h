#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "common/time.h"
#include "decode/anomaly.h"
#include "decode/packet.h"

namespace sentinel::decode {

// Link-layer types as libpcap's pcap_datalink() reports them (DLT_* values). Defined here so
// decode never includes or links libpcap.
namespace link_type {
constexpr int kNull = 0;           // BSD loopback, 4-byte family in the writer's byte order
constexpr int kEthernet = 1;       // Ethernet II, with 802.1Q / 802.1ad / QinQ tags
constexpr int kRaw = 12;           // raw IPv4 or IPv6 (LINKTYPE_RAW 101 on disk)
constexpr int kRawOpenBsd = 14;    // DLT_RAW on OpenBSD
constexpr int kLinktypeRaw = 101;  // LINKTYPE_RAW, accepted in case a caller passes it through
constexpr int kLoop = 108;         // OpenBSD loopback, family in network byte order
constexpr int kLinuxSll = 113;     // Linux cooked capture v1
constexpr int kIpv4 = 228;         // raw IPv4
constexpr int kIpv6 = 229;         // raw IPv6
constexpr int kLinuxSll2 = 276;    // Linux cooked capture v2
}  // namespace link_type

// True when decode_frame understands this link type.
bool is_supported_link_type(int dlt);
// Short human name of a link type ("ethernet", "linux_sll2", ...); "unknown" otherwise.
std::string_view link_type_name(int dlt);

// Decodes one captured frame into out, overwriting whatever out held (cheaply: the DNS name
// buffer is not cleared). Zero-copy: out.payload points into frame. Never allocates or throws;
// every malformation bumps one anomaly counter and stops decoding at that layer.
// wire_len is the original length (>= frame.size() when the snap length cut the frame; a
// shorter-than-declared packet is only an anomaly when it was not cut by the snap length).
// Returns true when at least one layer was decoded.
bool decode_frame(int dlt, std::span<const uint8_t> frame, uint32_t wire_len, Timestamp ts,
                  Packet& out, AnomalyCounters& anomalies);

// Ports on which UDP payloads are parsed as DNS (53, and 5353 for mDNS); TCP uses 53 only.
constexpr uint16_t kDnsPort = 53;
constexpr uint16_t kMdnsPort = 5353;

}  // namespace sentinel::decode
