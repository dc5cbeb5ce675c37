#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "common/ip_address.h"
#include "common/time.h"

namespace sentinel::decode {

// Which layers a decoded packet carries; detectors declare the layers they want.
enum Layer : uint32_t {
    kLayerEthernet = 1u << 0,
    kLayerVlan = 1u << 1,
    kLayerArp = 1u << 2,
    kLayerIpv4 = 1u << 3,
    kLayerIpv6 = 1u << 4,
    kLayerTcp = 1u << 5,
    kLayerUdp = 1u << 6,
    kLayerIcmp = 1u << 7,  // ICMPv4
    kLayerIcmpv6 = 1u << 8,
    kLayerDns = 1u << 9,  // a DNS message with at least one well-formed question
};
using LayerMask = uint32_t;

namespace tcp_flags {
constexpr uint8_t kFin = 0x01;
constexpr uint8_t kSyn = 0x02;
constexpr uint8_t kRst = 0x04;
constexpr uint8_t kPsh = 0x08;
constexpr uint8_t kAck = 0x10;
constexpr uint8_t kUrg = 0x20;
}  // namespace tcp_flags

struct ArpInfo {
    uint16_t opcode = 0;  // 1 request, 2 reply
    MacAddress sender_mac;
    IpAddress sender_ip;
    MacAddress target_mac;
    IpAddress target_ip;
};

struct DnsInfo {
    static constexpr size_t kMaxName = 255;
    bool is_response = false;
    uint16_t id = 0;
    uint16_t qtype = 0;
    uint16_t question_count = 0;
    uint16_t answer_count = 0;
    // First question name in dotted text form without the trailing dot, original case.
    char qname[kMaxName + 1] = {};
    uint16_t qname_len = 0;
    std::string_view name() const { return {qname, qname_len}; }
};

// One decoded frame. Filled in place by the decoder (zero-copy: payload points into the capture
// buffer and is only valid until the next packet). Fixed size, no heap.
struct Packet {
    Timestamp ts;
    uint32_t wire_len = 0;      // length on the wire
    uint32_t captured_len = 0;  // bytes captured
    LayerMask layers = 0;
    bool has(LayerMask m) const { return (layers & m) == m; }

    // Link layer.
    MacAddress src_mac, dst_mac;
    uint16_t vlan_id = 0;  // outermost VLAN id, 0 when untagged

    ArpInfo arp;

    // Network layer (IPv4 or IPv6).
    IpAddress src_ip, dst_ip;
    uint8_t ip_protocol = 0;         // transport protocol after IPv6 extension headers
    uint32_t ip_total_len = 0;       // IPv4 total length / IPv6 40 + payload length
    bool is_fragment = false;        // any fragment
    bool is_later_fragment = false;  // offset > 0: carries no transport header

    // Transport layer.
    uint16_t src_port = 0, dst_port = 0;
    uint8_t tcp_flags = 0;
    uint8_t icmp_type = 0, icmp_code = 0;  // ICMPv4 or ICMPv6
    std::span<const uint8_t> payload;      // transport payload

    DnsInfo dns;

    bool is_ip() const { return (layers & (kLayerIpv4 | kLayerIpv6)) != 0; }
    bool is_tcp_syn_only() const {
        return (layers & kLayerTcp) && (tcp_flags & tcp_flags::kSyn) &&
               !(tcp_flags & tcp_flags::kAck);
    }
    // ICMPv4 echo request (type 8) or ICMPv6 echo request (type 128).
    bool is_echo_request() const {
        return ((layers & kLayerIcmp) && icmp_type == 8) ||
               ((layers & kLayerIcmpv6) && icmp_type == 128);
    }
};

}  // namespace sentinel::decode
