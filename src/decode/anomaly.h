#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sentinel::decode {

// Every way a frame can be malformed or undecodable. A malformed frame bumps one of these and
// decoding stops at that layer; it never throws or aborts. One list, so enum and names agree.
#define SENTINEL_DECODE_ANOMALIES(X)                                    \
    X(kUnsupportedLinkType, "unsupported_link_type")                    \
    X(kTruncatedEthernet, "truncated_ethernet")                         \
    X(kTruncatedVlan, "truncated_vlan")                                 \
    X(kTooManyVlanTags, "too_many_vlan_tags")                           \
    X(kTruncatedLinuxSll, "truncated_linux_sll")                        \
    X(kTruncatedLinuxSll2, "truncated_linux_sll2")                      \
    X(kTruncatedLoopbackHeader, "truncated_loopback_header")            \
    X(kUnknownLoopbackFamily, "unknown_loopback_family")                \
    X(kUnknownRawIpVersion, "unknown_raw_ip_version")                   \
    X(kTruncatedArp, "truncated_arp")                                   \
    X(kUnsupportedArpFormat, "unsupported_arp_format")                  \
    X(kTruncatedIpv4, "truncated_ipv4")                                 \
    X(kBadIpv4Version, "bad_ipv4_version")                              \
    X(kBadIpv4HeaderLength, "bad_ipv4_header_length")                   \
    X(kBadIpv4TotalLength, "bad_ipv4_total_length")                     \
    X(kBadIpv4Options, "bad_ipv4_options")                              \
    X(kTruncatedIpv6, "truncated_ipv6")                                 \
    X(kBadIpv6Version, "bad_ipv6_version")                              \
    X(kBadIpv6PayloadLength, "bad_ipv6_payload_length")                 \
    X(kTruncatedIpv6ExtensionHeader, "truncated_ipv6_extension_header") \
    X(kIpv6TooManyExtensionHeaders, "ipv6_too_many_extension_headers")  \
    X(kTruncatedTcp, "truncated_tcp")                                   \
    X(kBadTcpHeaderLength, "bad_tcp_header_length")                     \
    X(kTruncatedUdp, "truncated_udp")                                   \
    X(kBadUdpLength, "bad_udp_length")                                  \
    X(kTruncatedIcmp, "truncated_icmp")                                 \
    X(kTruncatedIcmpv6, "truncated_icmpv6")                             \
    X(kTruncatedDnsHeader, "truncated_dns_header")                      \
    X(kBadDnsTcpLength, "bad_dns_tcp_length")                           \
    X(kTruncatedDnsName, "truncated_dns_name")                          \
    X(kDnsLabelTooLong, "dns_label_too_long")                           \
    X(kDnsNameTooLong, "dns_name_too_long")                             \
    X(kDnsPointerForward, "dns_pointer_forward")                        \
    X(kDnsPointerLoop, "dns_pointer_loop")                              \
    X(kDnsTooManyPointers, "dns_too_many_pointers")                     \
    X(kTruncatedDnsQuestion, "truncated_dns_question")

enum class Anomaly : uint8_t {
#define SENTINEL_ANOMALY_ENUM(id, text) id,
    SENTINEL_DECODE_ANOMALIES(SENTINEL_ANOMALY_ENUM)
#undef SENTINEL_ANOMALY_ENUM
        kCount
};

inline constexpr size_t kAnomalyCount = static_cast<size_t>(Anomaly::kCount);

// The stable snake_case name of an anomaly, as reported in stats and logs.
std::string_view anomaly_name(Anomaly a);

// Fixed array of named counters, one per anomaly. Owned by one capture thread: plain integers,
// no atomics; a reader on another thread takes a snapshot copy.
class AnomalyCounters {
  public:
    void add(Anomaly a) { ++counts_[static_cast<size_t>(a)]; }
    uint64_t get(Anomaly a) const { return counts_[static_cast<size_t>(a)]; }
    // Sum over every anomaly.
    uint64_t total() const;
    void reset() { counts_.fill(0); }
    // Adds other's counts into this one (for merging per-thread counters).
    void merge(const AnomalyCounters& other);
    const std::array<uint64_t, kAnomalyCount>& counts() const { return counts_; }
    // "name=count" for every non-zero counter, space separated ("none" when all are zero).
    // Allocates: for periodic stats output, never per packet.
    std::string summary() const;

  private:
    std::array<uint64_t, kAnomalyCount> counts_{};
};

}  // namespace sentinel::decode
