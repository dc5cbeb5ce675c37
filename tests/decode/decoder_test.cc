#include "decode/decoder.h"

#include <gtest/gtest.h>

#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "decode/byte_reader.h"
#include "decode/frame_builder.h"

namespace sentinel::decode {
namespace {

using namespace sentinel::testing;

constexpr std::array<uint8_t, 4> kA = {10, 0, 0, 1};
constexpr std::array<uint8_t, 4> kB = {93, 184, 216, 34};

struct Decoded {
    bool ok = false;
    Packet p;
    AnomalyCounters anomalies;
};

Decoded run(int dlt, const Bytes& frame, uint32_t wire_len = 0) {
    Decoded d;
    d.ok = decode_frame(dlt, frame, wire_len == 0 ? static_cast<uint32_t>(frame.size()) : wire_len,
                        Timestamp{42}, d.p, d.anomalies);
    return d;
}

TEST(ByteReader, ReadsBigEndianAndRefusesToOverrun) {
    const Bytes data = {0x12, 0x34, 0x56, 0x78, 0x9a};
    ByteReader r(data);
    uint16_t a = 0;
    uint32_t b = 0;
    ASSERT_TRUE(r.read_u16(a));
    EXPECT_EQ(a, 0x1234);
    EXPECT_FALSE(r.read_u32(b));  // only 3 left
    EXPECT_EQ(r.offset(), 2u);    // a failed read does not move
    uint8_t c = 0;
    ASSERT_TRUE(r.read_u8(c));
    EXPECT_EQ(c, 0x56);
    ASSERT_TRUE(r.read_u16(a));
    EXPECT_EQ(a, 0x789a);
    EXPECT_FALSE(r.read_u8(c));
    EXPECT_FALSE(r.skip(1));
    EXPECT_TRUE(r.seek(5));
    EXPECT_FALSE(r.seek(6));
    ByteReader le(data);
    ASSERT_TRUE(le.read_u32_le(b));
    EXPECT_EQ(b, 0x78563412u);
}

TEST(Anomaly, EveryAnomalyHasADistinctName) {
    std::set<std::string_view> names;
    for (size_t i = 0; i < kAnomalyCount; ++i) {
        const std::string_view name = anomaly_name(static_cast<Anomaly>(i));
        EXPECT_FALSE(name.empty());
        EXPECT_TRUE(names.insert(name).second) << name;
    }
    EXPECT_EQ(anomaly_name(Anomaly::kTruncatedIpv4), "truncated_ipv4");
    EXPECT_EQ(anomaly_name(Anomaly::kDnsPointerLoop), "dns_pointer_loop");
    AnomalyCounters c;
    c.add(Anomaly::kTruncatedTcp);
    c.add(Anomaly::kTruncatedTcp);
    AnomalyCounters d;
    d.add(Anomaly::kBadUdpLength);
    c.merge(d);
    EXPECT_EQ(c.get(Anomaly::kTruncatedTcp), 2u);
    EXPECT_EQ(c.total(), 3u);
    EXPECT_EQ(c.summary(), "truncated_tcp=2 bad_udp_length=1");
    c.reset();
    EXPECT_EQ(c.summary(), "none");
}

TEST(Decode, EthernetIpv4TcpSyn) {
    const Bytes frame = cat({ethernet(0x0800), ipv4(6, kA, kB, tcp(40000, 443, 0x02))});
    Decoded d = run(link_type::kEthernet, frame);
    ASSERT_TRUE(d.ok);
    EXPECT_TRUE(d.p.has(kLayerEthernet | kLayerIpv4 | kLayerTcp));
    EXPECT_FALSE(d.p.has(kLayerVlan));
    EXPECT_EQ(d.p.src_mac.to_string(), "66:77:88:99:aa:bb");
    EXPECT_EQ(d.p.dst_mac.to_string(), "00:11:22:33:44:55");
    EXPECT_EQ(d.p.src_ip.to_string(), "10.0.0.1");
    EXPECT_EQ(d.p.dst_ip.to_string(), "93.184.216.34");
    EXPECT_EQ(d.p.ip_protocol, 6);
    EXPECT_EQ(d.p.ip_total_len, 40u);
    EXPECT_EQ(d.p.src_port, 40000);
    EXPECT_EQ(d.p.dst_port, 443);
    EXPECT_TRUE(d.p.is_tcp_syn_only());
    EXPECT_TRUE(d.p.payload.empty());
    EXPECT_EQ(d.p.ts.ns, 42);
    EXPECT_EQ(d.p.captured_len, frame.size());
    EXPECT_EQ(d.p.wire_len, frame.size());
    EXPECT_EQ(d.anomalies.total(), 0u);
}

TEST(Decode, EthernetPaddingIsTrimmedByIpv4TotalLength) {
    Bytes frame = cat({ethernet(0x0800), ipv4(17, kA, kB, udp(5000, 6000, {1, 2, 3}))});
    frame.resize(60, 0);  // minimum Ethernet frame
    Decoded d = run(link_type::kEthernet, frame);
    ASSERT_TRUE(d.p.has(kLayerUdp));
    EXPECT_EQ(d.p.payload.size(), 3u);
    EXPECT_EQ(d.anomalies.total(), 0u);
}

TEST(Decode, TcpPayloadAndOptions) {
    const Bytes opts = {0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02};  // MSS, NOP, NOP, SACK
    const Bytes frame =
        cat({ethernet(0x0800), ipv4(6, kA, kB, tcp(80, 5555, 0x18, {'h', 'i'}, opts))});
    Decoded d = run(link_type::kEthernet, frame);
    ASSERT_TRUE(d.p.has(kLayerTcp));
    EXPECT_EQ(d.p.tcp_flags, 0x18);
    ASSERT_EQ(d.p.payload.size(), 2u);
    EXPECT_EQ(d.p.payload[0], 'h');
    EXPECT_FALSE(d.p.is_tcp_syn_only());
}

TEST(Decode, VlanAndQinQ) {
    const Bytes inner = ipv4(17, kA, kB, udp(1, 2, {}));
    Decoded one =
        run(link_type::kEthernet, cat({ethernet(0x8100), vlan_tag(0x2064, 0x0800), inner}));
    ASSERT_TRUE(one.p.has(kLayerVlan | kLayerIpv4 | kLayerUdp));
    EXPECT_EQ(one.p.vlan_id, 100);

    Decoded qinq =
        run(link_type::kEthernet,
            cat({ethernet(0x88a8), vlan_tag(0x00c8, 0x8100), vlan_tag(0x0064, 0x0800), inner}));
    ASSERT_TRUE(qinq.p.has(kLayerVlan | kLayerIpv4 | kLayerUdp));
    EXPECT_EQ(qinq.p.vlan_id, 200);  // outermost
    EXPECT_EQ(qinq.anomalies.total(), 0u);

    Bytes deep = ethernet(0x8100);
    for (int i = 0; i < 5; ++i) {
        append(deep, vlan_tag(1, 0x8100));
    }
    Decoded too_deep = run(link_type::kEthernet, deep);
    EXPECT_EQ(too_deep.anomalies.get(Anomaly::kTooManyVlanTags), 1u);
    EXPECT_FALSE(too_deep.p.is_ip());
}

TEST(Decode, ArpReply) {
    const Bytes sha = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01};
    const Bytes tha = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
    const Bytes frame =
        cat({ethernet(0x0806), arp(2, sha, {192, 168, 1, 1}, tha, {192, 168, 1, 7})});
    Decoded d = run(link_type::kEthernet, frame);
    ASSERT_TRUE(d.p.has(kLayerArp));
    EXPECT_EQ(d.p.arp.opcode, 2);
    EXPECT_EQ(d.p.arp.sender_mac.to_string(), "de:ad:be:ef:00:01");
    EXPECT_EQ(d.p.arp.sender_ip.to_string(), "192.168.1.1");
    EXPECT_EQ(d.p.arp.target_mac.to_string(), "00:11:22:33:44:55");
    EXPECT_EQ(d.p.arp.target_ip.to_string(), "192.168.1.7");
    EXPECT_FALSE(d.p.is_ip());

    Bytes odd = cat({ethernet(0x0806), arp(1, sha, {1, 2, 3, 4}, tha, {5, 6, 7, 8})});
    odd[14 + 4] = 8;  // hardware length 8
    EXPECT_EQ(run(link_type::kEthernet, odd).anomalies.get(Anomaly::kUnsupportedArpFormat), 1u);
}

TEST(Decode, Ipv4OptionsAreSkippedAndChecked) {
    const Bytes ra = {0x94, 0x04, 0x00, 0x00};  // router alert
    Decoded d = run(link_type::kEthernet,
                    cat({ethernet(0x0800), ipv4(17, kA, kB, udp(1000, 2000, {9}), ra)}));
    ASSERT_TRUE(d.p.has(kLayerUdp));
    EXPECT_EQ(d.p.src_port, 1000);
    EXPECT_EQ(d.anomalies.total(), 0u);

    const Bytes bad = {0x07, 0x09, 0x00, 0x00};  // record route claiming 9 bytes in a 4-byte area
    Decoded b = run(link_type::kEthernet,
                    cat({ethernet(0x0800), ipv4(17, kA, kB, udp(1000, 2000, {9}), bad)}));
    EXPECT_EQ(b.anomalies.get(Anomaly::kBadIpv4Options), 1u);
    EXPECT_TRUE(b.p.has(kLayerUdp));  // options never hide the transport header
}

TEST(Decode, Ipv4HeaderErrors) {
    Bytes frame = cat({ethernet(0x0800), ipv4(6, kA, kB, tcp(1, 2, 2))});
    Bytes bad_ihl = frame;
    bad_ihl[14] = 0x44;
    EXPECT_EQ(run(link_type::kEthernet, bad_ihl).anomalies.get(Anomaly::kBadIpv4HeaderLength), 1u);
    Bytes bad_version = frame;
    bad_version[14] = 0x55;
    EXPECT_EQ(run(link_type::kEthernet, bad_version).anomalies.get(Anomaly::kBadIpv4Version), 1u);
    Bytes long_total = cat({ethernet(0x0800), ipv4(6, kA, kB, tcp(1, 2, 2), {}, 0, 400)});
    Decoded lt = run(link_type::kEthernet, long_total);
    EXPECT_EQ(lt.anomalies.get(Anomaly::kBadIpv4TotalLength), 1u);
    EXPECT_TRUE(lt.p.has(kLayerTcp));  // still decoded from what is there
    EXPECT_EQ(lt.p.ip_total_len, 400u);
    // The same shortfall caused by the snap length is not an anomaly.
    Decoded snapped = run(link_type::kEthernet, long_total, 14 + 400);
    EXPECT_EQ(snapped.anomalies.total(), 0u);
    EXPECT_EQ(snapped.p.wire_len, 414u);
    Bytes short_total = cat({ethernet(0x0800), ipv4(6, kA, kB, tcp(1, 2, 2), {}, 0, 10)});
    EXPECT_EQ(run(link_type::kEthernet, short_total).anomalies.get(Anomaly::kBadIpv4TotalLength),
              1u);
}

TEST(Decode, OnlyFirstFragmentsCarryPorts) {
    const Bytes first = cat({ethernet(0x0800), ipv4(17, kA, kB, udp(53, 53, Bytes(16, 0)), {},
                                                    0x2000 /* MF, offset 0 */)});
    Decoded f = run(link_type::kEthernet, first);
    EXPECT_TRUE(f.p.is_fragment);
    EXPECT_FALSE(f.p.is_later_fragment);
    EXPECT_TRUE(f.p.has(kLayerUdp));
    EXPECT_EQ(f.p.src_port, 53);

    // A later fragment whose bytes happen to look like a TCP header must not yield ports.
    const Bytes later =
        cat({ethernet(0x0800), ipv4(6, kA, kB, tcp(4444, 22, 0x02), {}, 185 /* offset 1480 */)});
    Decoded l = run(link_type::kEthernet, later);
    EXPECT_TRUE(l.p.is_fragment);
    EXPECT_TRUE(l.p.is_later_fragment);
    EXPECT_TRUE(l.p.has(kLayerIpv4));
    EXPECT_FALSE(l.p.has(kLayerTcp));
    EXPECT_EQ(l.p.src_port, 0);
    EXPECT_EQ(l.p.dst_port, 0);
    EXPECT_FALSE(l.p.is_tcp_syn_only());
    EXPECT_EQ(l.anomalies.total(), 0u);
}

TEST(Decode, IcmpEcho) {
    Decoded v4 = run(link_type::kEthernet, cat({ethernet(0x0800), ipv4(1, kA, kB, icmp_echo(8))}));
    ASSERT_TRUE(v4.p.has(kLayerIcmp));
    EXPECT_EQ(v4.p.icmp_type, 8);
    EXPECT_TRUE(v4.p.is_echo_request());
    EXPECT_EQ(v4.p.payload.size(), 4u);

    Decoded v6 = run(link_type::kEthernet, cat({ethernet(0x86dd), ipv6(58, icmp_echo(128))}));
    ASSERT_TRUE(v6.p.has(kLayerIpv6 | kLayerIcmpv6));
    EXPECT_TRUE(v6.p.is_echo_request());
    Decoded reply = run(link_type::kEthernet, cat({ethernet(0x86dd), ipv6(58, icmp_echo(129))}));
    EXPECT_FALSE(reply.p.is_echo_request());
}

TEST(Decode, Ipv6TcpAndExtensionChain) {
    const Bytes seg = tcp(50000, 22, 0x02);
    Decoded plain = run(link_type::kEthernet, cat({ethernet(0x86dd), ipv6(6, seg)}));
    ASSERT_TRUE(plain.p.has(kLayerIpv6 | kLayerTcp));
    EXPECT_EQ(plain.p.src_ip.to_string(), "2001:db8::1");
    EXPECT_EQ(plain.p.ip_total_len, 60u);
    EXPECT_EQ(plain.p.dst_port, 22);

    // hop-by-hop -> routing -> destination options -> AH -> fragment (offset 0) -> TCP
    Bytes ah = {44, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1};  // (1 + 2) * 4 = 12 bytes
    const Bytes chain =
        cat({ipv6_ext(43), ipv6_ext(60, 1), ipv6_ext(51), ah, ipv6_fragment(6, 0, true), seg});
    Decoded d = run(link_type::kEthernet, cat({ethernet(0x86dd), ipv6(0, chain)}));
    ASSERT_TRUE(d.p.has(kLayerTcp)) << d.anomalies.total();
    EXPECT_EQ(d.p.ip_protocol, 6);
    EXPECT_EQ(d.p.dst_port, 22);
    EXPECT_TRUE(d.p.is_fragment);
    EXPECT_FALSE(d.p.is_later_fragment);
    EXPECT_EQ(d.anomalies.total(), 0u);

    const Bytes later = cat({ipv6_fragment(6, 1448, false), seg});
    Decoded l = run(link_type::kEthernet, cat({ethernet(0x86dd), ipv6(44, later)}));
    EXPECT_TRUE(l.p.is_later_fragment);
    EXPECT_FALSE(l.p.has(kLayerTcp));
    EXPECT_EQ(l.p.ip_protocol, 6);
    EXPECT_EQ(l.p.dst_port, 0);
}

TEST(Decode, Ipv6ExtensionLoopIsBounded) {
    Bytes chain;
    for (int i = 0; i < 20; ++i) {
        append(chain, ipv6_ext(60));
    }
    append(chain, tcp(1, 2, 2));
    Decoded d = run(link_type::kEthernet, cat({ethernet(0x86dd), ipv6(60, chain)}));
    EXPECT_EQ(d.anomalies.get(Anomaly::kIpv6TooManyExtensionHeaders), 1u);
    EXPECT_FALSE(d.p.has(kLayerTcp));
    EXPECT_TRUE(d.p.has(kLayerIpv6));

    Bytes cut = cat({ethernet(0x86dd), ipv6(0, ipv6_ext(6, 2))});  // claims 24 bytes, has 24
    cut.resize(cut.size() - 4);
    cut[14 + 5] = 20;  // payload length matches what is left
    EXPECT_EQ(run(link_type::kEthernet, cut).anomalies.get(Anomaly::kTruncatedIpv6ExtensionHeader),
              1u);
}

TEST(Decode, UdpLengthErrors) {
    Decoded bad =
        run(link_type::kEthernet, cat({ethernet(0x0800), ipv4(17, kA, kB, udp(1, 2, {1, 2}, 4))}));
    EXPECT_EQ(bad.anomalies.get(Anomaly::kBadUdpLength), 1u);
    EXPECT_FALSE(bad.p.has(kLayerUdp));
    Decoded longer = run(link_type::kEthernet,
                         cat({ethernet(0x0800), ipv4(17, kA, kB, udp(1, 2, {1, 2}, 100))}));
    EXPECT_EQ(longer.anomalies.get(Anomaly::kBadUdpLength), 1u);
    EXPECT_EQ(longer.p.payload.size(), 2u);
}

TEST(Decode, DnsOverUdpTcpAndMdns) {
    const Bytes q = dns_query(0x1234, "www.Example.com", 28);
    Decoded udp53 =
        run(link_type::kEthernet, cat({ethernet(0x0800), ipv4(17, kA, kB, udp(33333, 53, q))}));
    ASSERT_TRUE(udp53.p.has(kLayerDns));
    EXPECT_EQ(udp53.p.dns.name(), "www.Example.com");
    EXPECT_EQ(udp53.p.dns.qtype, 28);
    EXPECT_EQ(udp53.p.dns.id, 0x1234);
    EXPECT_FALSE(udp53.p.dns.is_response);
    EXPECT_EQ(udp53.p.dns.question_count, 1);

    Decoded mdns =
        run(link_type::kEthernet, cat({ethernet(0x0800), ipv4(17, kA, kB, udp(5353, 5353, q))}));
    EXPECT_TRUE(mdns.p.has(kLayerDns));

    Bytes framed;
    put16(framed, static_cast<uint16_t>(q.size()));
    append(framed, q);
    Decoded over_tcp = run(link_type::kEthernet,
                           cat({ethernet(0x0800), ipv4(6, kA, kB, tcp(40000, 53, 0x18, framed))}));
    ASSERT_TRUE(over_tcp.p.has(kLayerDns | kLayerTcp));
    EXPECT_EQ(over_tcp.p.dns.name(), "www.Example.com");

    Decoded other_port =
        run(link_type::kEthernet, cat({ethernet(0x0800), ipv4(17, kA, kB, udp(33333, 54, q))}));
    EXPECT_FALSE(other_port.p.has(kLayerDns));

    // A reused Packet must not leak the previous name into a packet without DNS.
    Packet p;
    AnomalyCounters an;
    const Bytes with_dns = cat({ethernet(0x0800), ipv4(17, kA, kB, udp(1, 53, q))});
    const Bytes without = cat({ethernet(0x0800), ipv4(17, kA, kB, udp(1, 54, q))});
    ASSERT_TRUE(decode_frame(link_type::kEthernet, with_dns, 0, {}, p, an));
    ASSERT_TRUE(decode_frame(link_type::kEthernet, without, 0, {}, p, an));
    EXPECT_FALSE(p.has(kLayerDns));
    EXPECT_TRUE(p.dns.name().empty());
}

TEST(Decode, LinuxCookedV1AndV2) {
    const Bytes inner = ipv4(6, kA, kB, tcp(1234, 80, 0x02));
    Bytes sll;
    put16(sll, 0);  // to us
    put16(sll, 1);  // ARPHRD_ETHER
    put16(sll, 6);  // address length
    append(sll, {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0, 0});
    put16(sll, 0x0800);
    Decoded v1 = run(link_type::kLinuxSll, cat({sll, inner}));
    ASSERT_TRUE(v1.p.has(kLayerIpv4 | kLayerTcp));
    EXPECT_FALSE(v1.p.has(kLayerEthernet));
    EXPECT_EQ(v1.p.src_mac.to_string(), "aa:bb:cc:dd:ee:ff");

    Bytes sll2;
    put16(sll2, 0x0800);
    put16(sll2, 0);
    put32(sll2, 3);  // interface index
    put16(sll2, 1);
    sll2.push_back(4);  // outgoing
    sll2.push_back(6);
    append(sll2, {1, 2, 3, 4, 5, 6, 0, 0});
    Decoded v2 = run(link_type::kLinuxSll2, cat({sll2, inner}));
    ASSERT_TRUE(v2.p.has(kLayerIpv4 | kLayerTcp));
    EXPECT_EQ(v2.p.dst_port, 80);
    EXPECT_EQ(v2.p.src_mac.to_string(), "01:02:03:04:05:06");
}

TEST(Decode, LoopbackFamiliesInEitherByteOrder) {
    const Bytes v4 = ipv4(6, kA, kB, tcp(1, 1080, 0x02));
    const Bytes v6 = ipv6(17, udp(1, 2, {}));
    struct Case {
        int dlt;
        Bytes header;
        const Bytes* inner;
        LayerMask want;
    };
    const Case cases[] = {
        {link_type::kNull, {2, 0, 0, 0}, &v4, kLayerIpv4 | kLayerTcp},   // little-endian writer
        {link_type::kNull, {0, 0, 0, 2}, &v4, kLayerIpv4 | kLayerTcp},   // big-endian writer
        {link_type::kNull, {30, 0, 0, 0}, &v6, kLayerIpv6 | kLayerUdp},  // macOS AF_INET6
        {link_type::kNull, {0, 0, 0, 28}, &v6, kLayerIpv6 | kLayerUdp},  // FreeBSD, big-endian
        {link_type::kLoop, {0, 0, 0, 2}, &v4, kLayerIpv4 | kLayerTcp},
        {link_type::kLoop, {0, 0, 0, 24}, &v6, kLayerIpv6 | kLayerUdp},
        {link_type::kLoop, {10, 0, 0, 0}, &v6, kLayerIpv6 | kLayerUdp},  // wrong order, accepted
    };
    for (const Case& c : cases) {
        Decoded d = run(c.dlt, cat({c.header, *c.inner}));
        EXPECT_TRUE(d.p.has(c.want)) << c.dlt << " " << int(c.header[0]) << int(c.header[3]);
    }
    EXPECT_EQ(run(link_type::kNull, cat({{7, 0, 0, 0}, v4}))
                  .anomalies.get(Anomaly::kUnknownLoopbackFamily),
              1u);
}

TEST(Decode, RawIpLinkTypes) {
    const Bytes v4 = ipv4(17, kA, kB, udp(1, 2, {}));
    const Bytes v6 = ipv6(6, tcp(1, 2, 2));
    for (int dlt : {link_type::kRaw, link_type::kRawOpenBsd, link_type::kLinktypeRaw}) {
        EXPECT_TRUE(run(dlt, v4).p.has(kLayerIpv4 | kLayerUdp)) << dlt;
        EXPECT_TRUE(run(dlt, v6).p.has(kLayerIpv6 | kLayerTcp)) << dlt;
    }
    EXPECT_TRUE(run(link_type::kIpv4, v4).p.has(kLayerIpv4 | kLayerUdp));
    EXPECT_TRUE(run(link_type::kIpv6, v6).p.has(kLayerIpv6 | kLayerTcp));
    EXPECT_EQ(run(link_type::kIpv4, v6).anomalies.get(Anomaly::kBadIpv4Version), 1u);
    EXPECT_EQ(
        run(link_type::kRaw, Bytes{0x50, 0, 0, 0}).anomalies.get(Anomaly::kUnknownRawIpVersion),
        1u);
}

TEST(Decode, UnsupportedLinkTypeIsCounted) {
    Decoded d = run(147, Bytes(60, 0));
    EXPECT_FALSE(d.ok);
    EXPECT_EQ(d.anomalies.get(Anomaly::kUnsupportedLinkType), 1u);
    EXPECT_FALSE(is_supported_link_type(147));
    EXPECT_TRUE(is_supported_link_type(link_type::kLinuxSll2));
    EXPECT_EQ(link_type_name(link_type::kNull), "null");
}

TEST(Decode, NonIpEthertypeIsNotAnAnomaly) {
    Decoded d = run(link_type::kEthernet, cat({ethernet(0x88cc), Bytes(40, 0)}));  // LLDP
    EXPECT_TRUE(d.ok);
    EXPECT_EQ(d.p.layers, LayerMask{kLayerEthernet});
    EXPECT_EQ(d.anomalies.total(), 0u);
}

// Every prefix of a well-formed frame decodes without crashing and is counted as an anomaly:
// either a header is cut, or a length field (IPv4 total, IPv6 payload, UDP) promises more bytes.
TEST(Decode, TruncationAtEveryOffsetIsCountedNotFatal) {
    const Bytes opts = {0x01, 0x01, 0x01, 0x00};
    const std::vector<std::pair<int, Bytes>> frames = {
        {link_type::kEthernet, cat({ethernet(0x0800), ipv4(6, kA, kB, tcp(1, 2, 2), opts)})},
        {link_type::kEthernet, cat({ethernet(0x8100), vlan_tag(5, 0x0800),
                                    ipv4(17, kA, kB, udp(1, 53, dns_query(1, "a.example.org")))})},
        {link_type::kEthernet,
         cat({ethernet(0x86dd), ipv6(0, cat({ipv6_ext(58), icmp_echo(128)}))})},
        {link_type::kEthernet,
         cat({ethernet(0x0806), arp(1, Bytes(6, 1), {1, 2, 3, 4}, Bytes(6, 0), {5, 6, 7, 8})})},
        {link_type::kNull, cat({{2, 0, 0, 0}, ipv4(1, kA, kB, icmp_echo(8))})},
    };
    for (const auto& [dlt, frame] : frames) {
        Decoded whole = run(dlt, frame);
        ASSERT_EQ(whole.anomalies.total(), 0u);
        for (size_t cut = 0; cut < frame.size(); ++cut) {
            const Bytes prefix(frame.begin(), frame.begin() + static_cast<long>(cut));
            Decoded d = run(dlt, prefix);
            EXPECT_GT(d.anomalies.total(), 0u) << "dlt " << dlt << " cut " << cut;
        }
    }
}

}  // namespace
}  // namespace sentinel::decode
