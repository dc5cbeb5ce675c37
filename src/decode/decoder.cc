#include "decode/decoder.h"

#include <cstddef>
#include <cstring>
#include <type_traits>

#include "decode/byte_reader.h"
#include "decode/dns.h"

namespace sentinel::decode {
namespace {

constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeArp = 0x0806;
constexpr uint16_t kEtherTypeIpv6 = 0x86DD;
constexpr uint16_t kEtherTypeVlan = 0x8100;
constexpr uint16_t kEtherTypeQinQ = 0x88A8;
constexpr uint16_t kEtherTypeQinQOld = 0x9100;
constexpr int kMaxVlanTags = 4;

constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoIcmpv6 = 58;
constexpr uint8_t kIpv6HopByHop = 0;
constexpr uint8_t kIpv6Routing = 43;
constexpr uint8_t kIpv6Fragment = 44;
constexpr uint8_t kIpv6Ah = 51;
constexpr uint8_t kIpv6DestOptions = 60;
// Legitimate packets carry a handful at most; the cap bounds work on hostile chains.
constexpr int kMaxIpv6ExtensionHeaders = 8;

static_assert(std::is_trivially_copyable_v<Packet> && std::is_standard_layout_v<Packet>,
              "reset_packet copies Packet bytewise");

// Resets every field to its default except the DNS name bytes (valid only up to qname_len), so
// a reset costs two short copies instead of clearing the 256-byte buffer. Robust to new fields.
void reset_packet(Packet& p) {
    static const Packet kBlank{};
    constexpr size_t kNameBegin = offsetof(Packet, dns) + offsetof(DnsInfo, qname);
    constexpr size_t kNameEnd = kNameBegin + sizeof(DnsInfo::qname);
    auto* dst = reinterpret_cast<unsigned char*>(static_cast<void*>(&p));
    const auto* src = reinterpret_cast<const unsigned char*>(static_cast<const void*>(&kBlank));
    std::memcpy(dst, src, kNameBegin);
    std::memcpy(dst + kNameEnd, src + kNameEnd, sizeof(Packet) - kNameEnd);
}

class FrameDecoder {
  public:
    FrameDecoder(Packet& p, AnomalyCounters& anomalies, bool snapped)
        : p_(p), anomalies_(anomalies), snapped_(snapped) {}

    void link(int dlt, ByteReader r) {
        switch (dlt) {
            case link_type::kEthernet:
                ethernet(r);
                return;
            case link_type::kLinuxSll:
                linux_sll(r);
                return;
            case link_type::kLinuxSll2:
                linux_sll2(r);
                return;
            case link_type::kNull:
            case link_type::kLoop:
                loopback(r);
                return;
            case link_type::kRaw:
            case link_type::kRawOpenBsd:
            case link_type::kLinktypeRaw:
                raw_ip(r);
                return;
            case link_type::kIpv4:
                ipv4(r);
                return;
            case link_type::kIpv6:
                ipv6(r);
                return;
            default:
                anomalies_.add(Anomaly::kUnsupportedLinkType);
                return;
        }
    }

  private:
    void anomaly(Anomaly a) { anomalies_.add(a); }

    static void read_mac(ByteReader& r, MacAddress& mac) {
        std::span<const uint8_t> b;
        if (r.read_bytes(6, b)) {
            std::memcpy(mac.bytes.data(), b.data(), 6);
        }
    }

    void ethernet(ByteReader r) {
        if (!r.has(14)) {
            anomaly(Anomaly::kTruncatedEthernet);
            return;
        }
        read_mac(r, p_.dst_mac);
        read_mac(r, p_.src_mac);
        uint16_t type = 0;
        (void)r.read_u16(type);
        p_.layers |= kLayerEthernet;
        ethertype(type, r);
    }

    // Linux cooked v1: packet type, ARPHRD type, address length, 8 address bytes, protocol.
    void linux_sll(ByteReader r) {
        uint16_t pkttype = 0, hatype = 0, halen = 0, protocol = 0;
        std::span<const uint8_t> addr;
        if (!r.read_u16(pkttype) || !r.read_u16(hatype) || !r.read_u16(halen) ||
            !r.read_bytes(8, addr) || !r.read_u16(protocol)) {
            anomaly(Anomaly::kTruncatedLinuxSll);
            return;
        }
        cooked_source(hatype, halen, addr);
        ethertype(protocol, r);
    }

    // Linux cooked v2: protocol, reserved, interface index, ARPHRD type, packet type, address
    // length, 8 address bytes.
    void linux_sll2(ByteReader r) {
        uint16_t protocol = 0, reserved = 0, hatype = 0;
        uint32_t ifindex = 0;
        uint8_t pkttype = 0, halen = 0;
        std::span<const uint8_t> addr;
        if (!r.read_u16(protocol) || !r.read_u16(reserved) || !r.read_u32(ifindex) ||
            !r.read_u16(hatype) || !r.read_u8(pkttype) || !r.read_u8(halen) ||
            !r.read_bytes(8, addr)) {
            anomaly(Anomaly::kTruncatedLinuxSll2);
            return;
        }
        cooked_source(hatype, halen, addr);
        ethertype(protocol, r);
    }

    void cooked_source(uint16_t hatype, uint16_t halen, std::span<const uint8_t> addr) {
        constexpr uint16_t kArphrdEther = 1;
        if (hatype == kArphrdEther && halen == 6) {
            std::memcpy(p_.src_mac.bytes.data(), addr.data(), 6);
        }
    }

    // DLT_NULL stores the address family in the writer's byte order, DLT_LOOP in network order;
    // writers get both wrong, so either order is accepted. AF_INET6 differs by OS.
    void loopback(ByteReader r) {
        uint32_t le = 0;
        if (!r.read_u32_le(le)) {
            anomaly(Anomaly::kTruncatedLoopbackHeader);
            return;
        }
        const uint32_t be = __builtin_bswap32(le);
        auto family = [](uint32_t v) -> int {
            switch (v) {
                case 2:
                    return 4;
                case 10:  // Linux
                case 24:  // NetBSD, OpenBSD
                case 28:  // FreeBSD
                case 30:  // macOS
                    return 6;
                default:
                    return 0;
            }
        };
        int version = family(le);
        if (version == 0) {
            version = family(be);
        }
        if (version == 4) {
            ipv4(r);
        } else if (version == 6) {
            ipv6(r);
        } else {
            anomaly(Anomaly::kUnknownLoopbackFamily);
        }
    }

    void raw_ip(ByteReader r) {
        uint8_t first = 0;
        if (!r.peek_u8(r.offset(), first)) {
            anomaly(Anomaly::kTruncatedIpv4);
            return;
        }
        switch (first >> 4) {
            case 4:
                ipv4(r);
                return;
            case 6:
                ipv6(r);
                return;
            default:
                anomaly(Anomaly::kUnknownRawIpVersion);
                return;
        }
    }

    void ethertype(uint16_t type, ByteReader r) {
        for (int tags = 0;
             type == kEtherTypeVlan || type == kEtherTypeQinQ || type == kEtherTypeQinQOld;
             ++tags) {
            if (tags == kMaxVlanTags) {
                anomaly(Anomaly::kTooManyVlanTags);
                return;
            }
            uint16_t tci = 0;
            if (!r.read_u16(tci) || !r.read_u16(type)) {
                anomaly(Anomaly::kTruncatedVlan);
                return;
            }
            if (tags == 0) {
                p_.vlan_id = tci & 0x0FFF;
            }
            p_.layers |= kLayerVlan;
        }
        switch (type) {
            case kEtherTypeIpv4:
                ipv4(r);
                return;
            case kEtherTypeIpv6:
                ipv6(r);
                return;
            case kEtherTypeArp:
                arp(r);
                return;
            default:
                return;  // other protocols (LLDP, STP, ...) are legitimate, just not ours
        }
    }

    void arp(ByteReader r) {
        uint16_t htype = 0, ptype = 0, op = 0;
        uint8_t hlen = 0, plen = 0;
        if (!r.read_u16(htype) || !r.read_u16(ptype) || !r.read_u8(hlen) || !r.read_u8(plen) ||
            !r.read_u16(op)) {
            anomaly(Anomaly::kTruncatedArp);
            return;
        }
        if (hlen != 6 || plen != 4 || ptype != kEtherTypeIpv4) {
            anomaly(Anomaly::kUnsupportedArpFormat);
            return;
        }
        std::span<const uint8_t> sha, spa, tha, tpa;
        if (!r.read_bytes(6, sha) || !r.read_bytes(4, spa) || !r.read_bytes(6, tha) ||
            !r.read_bytes(4, tpa)) {
            anomaly(Anomaly::kTruncatedArp);
            return;
        }
        p_.arp.opcode = op;
        std::memcpy(p_.arp.sender_mac.bytes.data(), sha.data(), 6);
        std::memcpy(p_.arp.target_mac.bytes.data(), tha.data(), 6);
        p_.arp.sender_ip = IpAddress::v4(spa.data());
        p_.arp.target_ip = IpAddress::v4(tpa.data());
        p_.layers |= kLayerArp;
    }

    void ipv4(ByteReader r) {
        const std::span<const uint8_t> ip = r.rest();
        if (ip.size() < 20) {
            anomaly(Anomaly::kTruncatedIpv4);
            return;
        }
        if ((ip[0] >> 4) != 4) {
            anomaly(Anomaly::kBadIpv4Version);
            return;
        }
        const size_t ihl = static_cast<size_t>(ip[0] & 0x0F) * 4;
        if (ihl < 20) {
            anomaly(Anomaly::kBadIpv4HeaderLength);
            return;
        }
        if (ip.size() < ihl) {
            anomaly(Anomaly::kTruncatedIpv4);
            return;
        }
        size_t total = (static_cast<size_t>(ip[2]) << 8) | ip[3];
        const uint16_t frag = static_cast<uint16_t>((ip[6] << 8) | ip[7]);
        const uint8_t proto = ip[9];
        p_.src_ip = IpAddress::v4(ip.data() + 12);
        p_.dst_ip = IpAddress::v4(ip.data() + 16);
        p_.ip_protocol = proto;
        p_.layers |= kLayerIpv4;
        if (total == 0) {
            // Segmentation offload hands over super-frames whose length field is still 0.
            total = ip.size();
        } else if (total < ihl) {
            p_.ip_total_len = static_cast<uint32_t>(total);
            anomaly(Anomaly::kBadIpv4TotalLength);
            return;
        } else if (total > ip.size()) {
            if (!snapped_) {
                anomaly(Anomaly::kBadIpv4TotalLength);
            }
            p_.ip_total_len = static_cast<uint32_t>(total);
            total = ip.size();
        }
        if (p_.ip_total_len == 0) {
            p_.ip_total_len = static_cast<uint32_t>(total);
        }
        if (!ipv4_options_ok(ip.subspan(20, ihl - 20))) {
            anomaly(Anomaly::kBadIpv4Options);  // options never affect the transport header
        }
        const bool more_fragments = (frag & 0x2000) != 0;
        const uint16_t offset = frag & 0x1FFF;
        p_.is_fragment = more_fragments || offset != 0;
        p_.is_later_fragment = offset != 0;
        if (p_.is_later_fragment) {
            return;
        }
        transport(proto, ip.subspan(ihl, total - ihl), false);
    }

    static bool ipv4_options_ok(std::span<const uint8_t> opts) {
        size_t i = 0;
        while (i < opts.size()) {
            const uint8_t type = opts[i];
            if (type == 0) {  // end of options list
                return true;
            }
            if (type == 1) {  // no-operation
                ++i;
                continue;
            }
            if (i + 1 >= opts.size()) {
                return false;
            }
            const uint8_t len = opts[i + 1];
            if (len < 2 || len > opts.size() - i) {
                return false;
            }
            i += len;
        }
        return true;
    }

    void ipv6(ByteReader r) {
        const std::span<const uint8_t> ip = r.rest();
        if (ip.size() < 40) {
            anomaly(Anomaly::kTruncatedIpv6);
            return;
        }
        if ((ip[0] >> 4) != 6) {
            anomaly(Anomaly::kBadIpv6Version);
            return;
        }
        const size_t payload_len = (static_cast<size_t>(ip[4]) << 8) | ip[5];
        uint8_t next = ip[6];
        p_.src_ip = IpAddress::v6(ip.data() + 8);
        p_.dst_ip = IpAddress::v6(ip.data() + 24);
        p_.layers |= kLayerIpv6;
        p_.ip_total_len = static_cast<uint32_t>(40 + payload_len);
        size_t end = ip.size();
        if (payload_len == 0) {
            // A jumbogram (hop-by-hop option) or an offloaded super-frame: use what is there.
            p_.ip_total_len = static_cast<uint32_t>(ip.size());
        } else if (40 + payload_len <= ip.size()) {
            end = 40 + payload_len;
        } else if (!snapped_) {
            anomaly(Anomaly::kBadIpv6PayloadLength);
        }
        ByteReader h(ip.first(end));
        (void)h.skip(40);
        for (int count = 0;; ++count) {
            const bool is_extension = next == kIpv6HopByHop || next == kIpv6Routing ||
                                      next == kIpv6Fragment || next == kIpv6Ah ||
                                      next == kIpv6DestOptions;
            if (!is_extension) {
                break;
            }
            if (count == kMaxIpv6ExtensionHeaders) {
                p_.ip_protocol = next;
                anomaly(Anomaly::kIpv6TooManyExtensionHeaders);
                return;
            }
            uint8_t following = 0, hdr_len = 0;
            if (!h.peek_u8(h.offset(), following) || !h.peek_u8(h.offset() + 1, hdr_len)) {
                p_.ip_protocol = next;
                anomaly(Anomaly::kTruncatedIpv6ExtensionHeader);
                return;
            }
            size_t len = 0;
            if (next == kIpv6Fragment) {
                len = 8;
                uint16_t off_flags = 0;
                if (!h.peek_u16(h.offset() + 2, off_flags) || !h.has(len)) {
                    p_.ip_protocol = next;
                    anomaly(Anomaly::kTruncatedIpv6ExtensionHeader);
                    return;
                }
                p_.is_fragment = true;
                if ((off_flags & 0xFFF8) != 0) {
                    p_.is_later_fragment = true;
                }
            } else if (next == kIpv6Ah) {
                len = (static_cast<size_t>(hdr_len) + 2) * 4;
            } else {
                len = (static_cast<size_t>(hdr_len) + 1) * 8;
            }
            if (!h.skip(len)) {
                p_.ip_protocol = next;
                anomaly(Anomaly::kTruncatedIpv6ExtensionHeader);
                return;
            }
            next = following;
            if (p_.is_later_fragment) {
                p_.ip_protocol = next;
                return;
            }
        }
        p_.ip_protocol = next;
        transport(next, h.rest(), true);
    }

    void transport(uint8_t proto, std::span<const uint8_t> l4, bool over_ipv6) {
        switch (proto) {
            case kProtoTcp:
                tcp(l4);
                return;
            case kProtoUdp:
                udp(l4);
                return;
            case kProtoIcmp:
                if (!over_ipv6) {
                    icmp(l4, kLayerIcmp, Anomaly::kTruncatedIcmp);
                }
                return;
            case kProtoIcmpv6:
                if (over_ipv6) {
                    icmp(l4, kLayerIcmpv6, Anomaly::kTruncatedIcmpv6);
                }
                return;
            default:
                return;
        }
    }

    void tcp(std::span<const uint8_t> seg) {
        if (seg.size() < 20) {
            anomaly(Anomaly::kTruncatedTcp);
            return;
        }
        const size_t data_offset = static_cast<size_t>(seg[12] >> 4) * 4;
        if (data_offset < 20) {
            anomaly(Anomaly::kBadTcpHeaderLength);
            return;
        }
        if (seg.size() < data_offset) {
            anomaly(Anomaly::kTruncatedTcp);
            return;
        }
        p_.src_port = static_cast<uint16_t>((seg[0] << 8) | seg[1]);
        p_.dst_port = static_cast<uint16_t>((seg[2] << 8) | seg[3]);
        p_.tcp_flags = seg[13];
        p_.payload = seg.subspan(data_offset);
        p_.layers |= kLayerTcp;
        if ((p_.src_port == kDnsPort || p_.dst_port == kDnsPort) && !p_.payload.empty()) {
            dns_over_tcp(p_.payload);
        }
    }

    // DNS over TCP prefixes each message with its length. Only a segment that starts with a
    // message is decoded; there is no stream reassembly on the packet path.
    void dns_over_tcp(std::span<const uint8_t> data) {
        if (data.size() < 2) {
            anomaly(Anomaly::kTruncatedDnsHeader);
            return;
        }
        const size_t len = (static_cast<size_t>(data[0]) << 8) | data[1];
        if (len < 12) {
            anomaly(Anomaly::kBadDnsTcpLength);
            return;
        }
        const std::span<const uint8_t> msg = data.subspan(2);
        dns(msg.first(len < msg.size() ? len : msg.size()));
    }

    void udp(std::span<const uint8_t> dgram) {
        if (dgram.size() < 8) {
            anomaly(Anomaly::kTruncatedUdp);
            return;
        }
        const size_t len = (static_cast<size_t>(dgram[4]) << 8) | dgram[5];
        if (len < 8) {
            anomaly(Anomaly::kBadUdpLength);
            return;
        }
        p_.src_port = static_cast<uint16_t>((dgram[0] << 8) | dgram[1]);
        p_.dst_port = static_cast<uint16_t>((dgram[2] << 8) | dgram[3]);
        p_.layers |= kLayerUdp;
        size_t payload_len = len - 8;
        if (len > dgram.size()) {
            if (!snapped_) {
                anomaly(Anomaly::kBadUdpLength);
            }
            payload_len = dgram.size() - 8;
        }
        p_.payload = dgram.subspan(8, payload_len);
        const bool dns_port = p_.src_port == kDnsPort || p_.dst_port == kDnsPort ||
                              p_.src_port == kMdnsPort || p_.dst_port == kMdnsPort;
        if (dns_port) {
            dns(p_.payload);
        }
    }

    void icmp(std::span<const uint8_t> msg, Layer layer, Anomaly truncated) {
        if (msg.size() < 4) {
            anomaly(truncated);
            return;
        }
        p_.icmp_type = msg[0];
        p_.icmp_code = msg[1];
        p_.payload = msg.size() >= 8 ? msg.subspan(8) : std::span<const uint8_t>();
        p_.layers |= layer;
    }

    void dns(std::span<const uint8_t> msg) {
        if (decode_dns_message(msg, p_.dns, anomalies_)) {
            p_.layers |= kLayerDns;
        }
    }

    Packet& p_;
    AnomalyCounters& anomalies_;
    const bool snapped_;
};

}  // namespace

bool is_supported_link_type(int dlt) {
    switch (dlt) {
        case link_type::kNull:
        case link_type::kEthernet:
        case link_type::kRaw:
        case link_type::kRawOpenBsd:
        case link_type::kLinktypeRaw:
        case link_type::kLoop:
        case link_type::kLinuxSll:
        case link_type::kIpv4:
        case link_type::kIpv6:
        case link_type::kLinuxSll2:
            return true;
        default:
            return false;
    }
}

std::string_view link_type_name(int dlt) {
    switch (dlt) {
        case link_type::kNull:
            return "null";
        case link_type::kEthernet:
            return "ethernet";
        case link_type::kRaw:
        case link_type::kRawOpenBsd:
        case link_type::kLinktypeRaw:
            return "raw";
        case link_type::kLoop:
            return "loop";
        case link_type::kLinuxSll:
            return "linux_sll";
        case link_type::kIpv4:
            return "ipv4";
        case link_type::kIpv6:
            return "ipv6";
        case link_type::kLinuxSll2:
            return "linux_sll2";
        default:
            return "unknown";
    }
}

bool decode_frame(int dlt, std::span<const uint8_t> frame, uint32_t wire_len, Timestamp ts,
                  Packet& out, AnomalyCounters& anomalies) {
    reset_packet(out);
    out.ts = ts;
    out.captured_len = static_cast<uint32_t>(frame.size());
    out.wire_len = wire_len < frame.size() ? static_cast<uint32_t>(frame.size()) : wire_len;
    FrameDecoder decoder(out, anomalies, frame.size() < wire_len);
    decoder.link(dlt, ByteReader(frame));
    return out.layers != 0;
}

}  // namespace sentinel::decode
