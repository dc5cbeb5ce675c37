#include <gtest/gtest.h>

#include <algorithm>
#include <array>

#include "test_support.h"

namespace sentinel::detect::testing {
namespace {

using decode::tcp_flags::kAck;
using decode::tcp_flags::kPsh;
using decode::tcp_flags::kRst;
using decode::tcp_flags::kSyn;
using schema::Severity;

// ---- SUSPICIOUS PORT ----

TEST(SuspiciousPort, ServiceAnsweringOnListedPortFires) {
    Harness h("suspicious_port");
    h.feed(tcp(1, "10.10.10.70", 1036, "10.10.10.10", 4444, kSyn));
    EXPECT_EQ(h.count(), 0u);  // an attempt alone proves nothing
    h.feed(tcp(1.1, "10.10.10.10", 4444, "10.10.10.70", 1036, kSyn | kAck));
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().category, "SUSPICIOUS PORT");
    EXPECT_EQ(h.last().level, Severity::kMedium);
    EXPECT_EQ(h.last().src, "10.10.10.70:4444");
    EXPECT_EQ(h.last().message, "10.10.10.70:1036 -> 10.10.10.10:4444  (port 4444 = C2/backdoor)");
    h.feed(tcp(1.2, "10.10.10.10", 4444, "10.10.10.70", 1036, kAck | kPsh));
    EXPECT_EQ(h.count(), 1u);  // once per flow
}

TEST(SuspiciousPort, ScannerProbeRefusedWithRstIsSilent) {
    Harness h("suspicious_port");
    for (const uint16_t port : {1080, 4444, 6667, 12345, 31337}) {
        h.feed(syn(1, "192.168.1.10", "192.168.1.25", port, 55000));
        h.feed(tcp(1.001, "192.168.1.25", port, "192.168.1.10", 55000, kRst | kAck));
    }
    EXPECT_EQ(h.count(), 0u);
}

TEST(SuspiciousPort, ClientEphemeralPortOnTheListIsSilent) {
    Harness h("suspicious_port");
    h.feed(tcp(1, "10.0.0.9", 1080, "10.0.0.3", 20000, kSyn));
    h.feed(tcp(1.001, "10.0.0.3", 20000, "10.0.0.9", 1080, kSyn | kAck));
    h.feed(tcp(1.002, "10.0.0.9", 1080, "10.0.0.3", 20000, kAck));
    h.feed(tcp(1.003, "10.0.0.3", 20000, "10.0.0.9", 1080, kAck | kPsh));
    h.feed(tcp(1.004, "10.0.0.9", 1080, "10.0.0.3", 20000, kAck | kPsh));
    // Random source ports of a flood that happen to be listed.
    h.feed(tcp(2, "203.0.113.1", 4444, "10.0.0.3", 80, kSyn));
    h.feed(tcp(2.001, "10.0.0.3", 80, "203.0.113.1", 4444, kSyn | kAck));
    EXPECT_EQ(h.count(), 0u);
}

TEST(SuspiciousPort, FlowSeenMidWayFiresWhenTheServiceAnswers) {
    Harness h("suspicious_port");
    h.feed(tcp(1, "10.234.0.239", 1793, "10.234.2.116", 4444, kAck));
    EXPECT_EQ(h.count(), 0u);
    h.feed(tcp(1.001, "10.234.2.116", 4444, "10.234.0.239", 1793, kAck | kPsh));
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().message,
              "10.234.0.239:1793 -> 10.234.2.116:4444  (port 4444 = C2/backdoor)");
}

TEST(SuspiciousPort, UdpBroadcastAndUnansweredDatagramsAreSilent) {
    Harness h("suspicious_port");
    for (int i = 0; i < 10; ++i) {
        h.feed(udp(1 + i, "192.168.242.181", 49154, "255.255.255.255", 6667));
        h.feed(udp(1 + i, "192.168.1.10", 50000, "192.168.1.25", 31337));
    }
    EXPECT_EQ(h.count(), 0u);
    h.feed(udp(20, "192.168.1.25", 31337, "192.168.1.10", 50000));
    EXPECT_EQ(h.count(), 1u);
}

TEST(SuspiciousPort, OwnPortsAreNotListedByDefaultAndTheListIsConfigurable) {
    Harness h("suspicious_port");
    for (const uint16_t port : {8443, 8444, 8080, 8888, 54321, 65535}) {
        h.feed(syn(1, "10.0.0.1", "10.0.0.2", port));
        h.feed(tcp(1.001, "10.0.0.2", port, "10.0.0.1", 40000, kSyn | kAck));
    }
    EXPECT_EQ(h.count(), 0u);

    config::DetectorConfig c;
    c.suspicious_ports = {7777};
    Harness custom("suspicious_port", c);
    custom.feed(syn(1, "10.0.0.1", "10.0.0.2", 4444));
    custom.feed(tcp(1.001, "10.0.0.2", 4444, "10.0.0.1", 40000, kSyn | kAck));
    custom.feed(syn(1, "10.0.0.1", "10.0.0.2", 7777));
    custom.feed(tcp(1.001, "10.0.0.2", 7777, "10.0.0.1", 40000, kSyn | kAck));
    ASSERT_EQ(custom.count(), 1u);
    EXPECT_EQ(custom.last().src, "10.0.0.1:7777");
}

TEST(SuspiciousPort, ExternalEndpointReputationRaisesSeverity) {
    Harness h("suspicious_port");
    h.reputation.ips[ip("64.227.107.71")] = verdict(intel::Tier::kHigh, 5, 2);
    h.feed(syn(1, "172.16.99.201", "64.227.107.71", 4444, 1732));
    h.feed(tcp(1.3, "64.227.107.71", 4444, "172.16.99.201", 1732, kSyn | kAck));
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().level, Severity::kHigh);
    EXPECT_EQ(h.last().message,
              "172.16.99.201:1732 -> 64.227.107.71:4444  (port 4444 = C2/backdoor)  "
              "[VT:HIGH \u2014 5 malicious, 2 suspicious]");
}

TEST(SuspiciousPort, CooldownPerClientAndPort) {
    Harness h("suspicious_port");
    for (int i = 0; i < 3; ++i) {
        const auto cport = static_cast<uint16_t>(2000 + i);
        h.feed(tcp(1 + i, "10.0.0.1", cport, "10.0.0.2", 6667, kSyn));
        h.feed(tcp(1 + i, "10.0.0.2", 6667, "10.0.0.1", cport, kSyn | kAck));
    }
    EXPECT_EQ(h.count(), 1u);
    h.feed(tcp(17, "10.0.0.1", 3000, "10.0.0.2", 6667, kSyn));
    h.feed(tcp(17, "10.0.0.2", 6667, "10.0.0.1", 3000, kSyn | kAck));
    EXPECT_EQ(h.count(), 2u);
}

// ---- ARP SPOOFING ----

TEST(ArpSpoof, MacChangeIsCriticalWithOriginalMessage) {
    Harness h("arp_spoof", original_rules());
    h.feed(arp(1, 2, "192.168.10.4", mac(0x7f)));
    h.feed(arp(2, 2, "192.168.10.4", mac(0x7f)));
    EXPECT_EQ(h.count(), 0u);
    h.feed(arp(3, 2, "192.168.10.4", mac(0xba)));
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().category, "ARP SPOOFING");
    EXPECT_EQ(h.last().level, Severity::kCritical);
    EXPECT_EQ(h.last().src, "192.168.10.4");
    EXPECT_EQ(h.last().message,
              "IP 192.168.10.4 MAC changed: 02:00:00:00:00:7f -> 02:00:00:00:00:ba  (MITM?)");
}

TEST(ArpSpoof, NeverAdjustedByReputationAndCooldownApplies) {
    Harness h("arp_spoof", original_rules());
    h.reputation.ips[ip("192.168.10.4")] = verdict(intel::Tier::kCritical, 30);
    h.feed(arp(1, 2, "192.168.10.4", mac(1)));
    h.feed(arp(2, 2, "192.168.10.4", mac(2)));
    h.feed(arp(3, 2, "192.168.10.4", mac(1)));  // flip back inside the cooldown
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().message.find("VT:"), std::string::npos);
    h.feed(arp(20, 2, "192.168.10.4", mac(2)));
    EXPECT_EQ(h.count(), 2u);
    EXPECT_EQ(h.last().message,
              "IP 192.168.10.4 MAC changed: 02:00:00:00:00:01 -> 02:00:00:00:00:02  (MITM?)");
}

TEST(ArpSpoof, ProbesAndDistinctHostsAreSilent) {
    Harness h("arp_spoof", original_rules());
    for (int i = 0; i < 50; ++i) {
        h.feed(arp(1, 1, "0.0.0.0", mac(static_cast<uint8_t>(i))));
    }
    h.feed(arp(2, 1, "10.0.0.6", mac(1)));
    h.feed(arp(2, 2, "10.0.0.7", mac(2)));
    h.feed(arp(3, 2, "10.0.0.6", mac(1)));
    EXPECT_EQ(h.count(), 0u);
    h.feed(arp(4, 1, "10.0.0.6", mac(9)));  // a gratuitous request announcing a new MAC
    EXPECT_EQ(h.count(), 1u);
}

// An ICMPv6 neighbor message body (after the 8-byte header): target address, then one
// link-layer address option (type 1 source, 2 target).
std::array<uint8_t, 24> neighbor_body(const char* target, uint8_t option, uint8_t mac_last) {
    std::array<uint8_t, 24> body{};
    const IpAddress t = ip(target);
    std::copy(t.bytes().begin(), t.bytes().end(), body.begin());
    body[16] = option;
    body[17] = 1;
    const MacAddress m = mac(mac_last);
    std::copy(m.bytes.begin(), m.bytes.end(), body.begin() + 18);
    return body;
}

TEST(ArpSpoof, Ipv6NeighborDiscoveryBindingsToo) {
    Harness h("arp_spoof", original_rules());
    auto na1 = neighbor_body("fe80::1", 2, 0x11);
    decode::Packet p = icmp(1, "fe80::1", "ff02::1", 136);
    p.payload = na1;
    h.feed(p);
    auto ns = neighbor_body("fe80::99", 1, 0x11);  // solicitation from fe80::1, same MAC
    p = icmp(2, "fe80::1", "ff02::1:ff00:99", 135);
    p.payload = ns;
    h.feed(p);
    EXPECT_EQ(h.count(), 0u);
    auto na2 = neighbor_body("fe80::1", 2, 0x66);  // someone else claims fe80::1
    p = icmp(3, "fe80::66", "ff02::1", 136);
    p.payload = na2;
    h.feed(p);
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().message,
              "IP fe80::1 MAC changed: 02:00:00:00:00:11 -> 02:00:00:00:00:66  (MITM?)");
    // Duplicate address detection (source ::) announces nothing; echo requests are ignored.
    auto dad = neighbor_body("fe80::1", 1, 0x77);
    p = icmp(20, "::", "ff02::1:ff00:1", 135);
    p.payload = dad;
    h.feed(p);
    h.feed(icmp(21, "fe80::1", "fe80::2", 128));
    EXPECT_EQ(h.count(), 1u);
}

TEST(ArpSpoof, TableIsBoundedByArpTableSize) {
    config::DetectorConfig c;
    c.arp_table_size = 100;
    Harness h("arp_spoof", original_rules(c));
    for (int i = 0; i < 1000; ++i) {
        const std::string addr = "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250);
        h.feed(arp(1, 2, addr.c_str(), mac(1)));
    }
    uint64_t size = 0, evictions = 0;
    for (const auto& counter : h.engine.counters()) {
        if (counter.name == "arp_spoof.bindings.size")
            size = counter.value;
        if (counter.name == "arp_spoof.bindings.evictions")
            evictions = counter.value;
    }
    EXPECT_EQ(size, 100u);
    EXPECT_EQ(evictions, 900u);
}

// ---- DNS TUNNELLING ----

TEST(DnsTunnel, LengthEdgesAndMessage) {
    Harness h("dns_tunnel", original_rules());
    // 49 characters below the registered domain pirate.sea: silent.
    const std::string base = ".pirate.sea";
    h.feed(dns_query(1, "10.0.2.30", std::string(40, 'a') + ".cccccccc" + base));
    EXPECT_EQ(h.count(), 0u);
    const std::string name = std::string(41, 'b') + ".cccccccc" + base;  // 50 below pirate.sea
    h.feed(dns_query(2, "10.0.2.30", name));
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().category, "DNS TUNNELLING");
    EXPECT_EQ(h.last().level, Severity::kMedium);
    EXPECT_EQ(h.last().src, "10.0.2.30");
    EXPECT_EQ(h.last().message, "10.0.2.30 queried 61-char name: " + name + "...");
}

TEST(DnsTunnel, LongProviderHostNamesAreNotData) {
    Harness h("dns_tunnel", original_rules());
    h.feed(
        dns_query(1, "192.168.1.121", "wd-prod-cp-eu-north-2-fe.northeurope.cloudapp.azure.com"));
    h.feed(dns_query(2, "192.168.1.2", "CPE0016ec35ac27-CM00159a41912e.cpe.net.cable.rogers.com"));
    h.feed(dns_query(3, "192.168.1.3", std::string(70, 'x') + ".com"));  // no subdomain at all
    EXPECT_EQ(h.count(), 0u);
}

TEST(DnsTunnel, MessageKeepsFirst80Characters) {
    Harness h("dns_tunnel", original_rules());
    const std::string name = std::string(120, 'X') + ".t1.example.com";
    h.feed(dns_query(1, "192.168.1.17", name));
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().message,
              "192.168.1.17 queried 135-char name: " + name.substr(0, 80) + "...");
}

TEST(DnsTunnel, ResponsesReverseLookupsAndMdnsAreSilent) {
    Harness h("dns_tunnel", original_rules());
    const std::string long_name = std::string(60, 'a') + ".example.com";
    h.feed(dns_query(1, "10.0.0.1", long_name, /*response=*/true));
    h.feed(dns_query(2, "10.0.0.1",
                     "b.a.9.8.7.6.5.4.3.2.1.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"));
    h.feed(dns_query(3, "10.0.0.1", "4.3.2.1.in-addr.ARPA"));
    h.feed(dns_query(4, "192.168.0.193",
                     "_BitTorrent-0123456789abcdef0123456789abcdef01234567._tcp.local"));
    h.feed(dns_query(5, "192.168.0.193", long_name, false, 5353));
    EXPECT_EQ(h.count(), 0u);
    h.feed(dns_query(6, "10.0.0.1", long_name));
    EXPECT_EQ(h.count(), 1u);
}

TEST(DnsTunnel, DomainReputationScalesTheLength) {
    Harness h("dns_tunnel", original_rules());
    h.reputation.domains["biillpi.com"] = verdict(intel::Tier::kHigh, 3);
    h.feed(dns_query(1, "192.168.1.17", "abcdefghijkl.biillpi.com"));  // 12 below: < 13
    EXPECT_EQ(h.count(), 0u);
    h.feed(dns_query(2, "192.168.1.17", "abcdefghijklm.biillpi.com"));  // 13 below: >= 13
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().level, Severity::kHigh);
    EXPECT_EQ(h.last().message,
              "192.168.1.17 queried 25-char name: abcdefghijklm.biillpi.com...  "
              "[VT:HIGH \u2014 3 malicious]");
    // Every queried domain is warmed, de-duplicated.
    h.feed(dns_query(20, "192.168.1.17", "www.BIILLPI.com"));
    size_t warm = 0;
    for (const auto& r : h.reputation.domain_requests) {
        warm += r.second == intel::Priority::kWarm ? 1 : 0;
    }
    EXPECT_EQ(warm, 1u);
}

TEST(DnsTunnel, CooldownPerSource) {
    Harness h("dns_tunnel", original_rules());
    const std::string long_name = std::string(60, 'a') + ".example.com";
    h.feed(dns_query(1, "10.0.0.1", long_name));
    h.feed(dns_query(10, "10.0.0.1", long_name));
    h.feed(dns_query(10, "10.0.0.2", long_name));
    EXPECT_EQ(h.count(), 2u);
    h.feed(dns_query(16, "10.0.0.1", long_name));
    EXPECT_EQ(h.count(), 3u);
}

// ---- DATA EXFILTRATION ----

void upload(Harness& h, double t0, const char* src, const char* dst, uint64_t bytes,
            double seconds) {
    const uint64_t n = bytes / 1500;
    for (uint64_t i = 0; i < n; ++i) {
        h.feed(tcp(t0 + seconds * static_cast<double>(i) / static_cast<double>(n), src, 40000, dst,
                   443, kAck | kPsh, 1500));
    }
}

TEST(Exfiltration, EdgesAndMessageNameTheMainDestination) {
    Harness h("exfiltration", original_rules());
    upload(h, 10, "10.10.23.101", "188.190.10.10", 4'500'000, 20);
    upload(h, 30, "10.10.23.101", "93.184.216.34", 498'000, 5);
    EXPECT_EQ(h.count(), 0u);  // 4 998 000 bytes
    h.feed(tcp(36, "10.10.23.101", 40000, "93.184.216.34", 443, kAck, 2000));
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().category, "DATA EXFILTRATION");
    EXPECT_EQ(h.last().level, Severity::kHigh);
    EXPECT_EQ(h.last().src, "10.10.23.101");
    EXPECT_EQ(h.last().message, "10.10.23.101 sent 5.0 MB in 60s \u2192 188.190.10.10");
}

TEST(Exfiltration, CooldownInPacketTime) {
    Harness h("exfiltration", original_rules());
    upload(h, 10, "10.0.0.5", "203.0.113.5", 30'000'000, 30);  // 1 MB/s for 30 s
    // 5 MB reached after 5 s, again 15 s later; the next would be at 35 s.
    ASSERT_EQ(h.count(), 2u);
    EXPECT_GE(h.sink.alerts[1].ts.ns - h.sink.alerts[0].ts.ns, Duration::seconds(15).ns);
    EXPECT_LT(h.sink.alerts[1].ts.ns - h.sink.alerts[0].ts.ns, Duration::seconds(15.01).ns);
}

TEST(Exfiltration, InternalTrafficAndInboundAreNotCounted) {
    Harness h("exfiltration", original_rules());
    upload(h, 10, "192.168.1.21", "192.168.1.253", 20'000'000, 10);
    upload(h, 10, "64.227.107.71", "192.168.1.21", 20'000'000, 10);
    upload(h, 10, "67.169.189.180", "128.121.136.217", 20'000'000, 10);
    EXPECT_EQ(h.count(), 0u);
}

TEST(Exfiltration, WindowBoundary) {
    Harness h("exfiltration", original_rules());
    upload(h, 10, "10.0.0.5", "203.0.113.5", 2'600'000, 1);
    upload(h, 75, "10.0.0.5", "203.0.113.5", 2'600'000, 1);  // the first burst has expired
    EXPECT_EQ(h.count(), 0u);
    upload(h, 100, "10.0.0.5", "203.0.113.5", 2'600'000, 1);
    EXPECT_EQ(h.count(), 1u);
}

TEST(Exfiltration, ThresholdFollowsTheMainDestinationsReputation) {
    Harness h("exfiltration", original_rules());
    h.reputation.ips[ip("203.0.113.66")] = verdict(intel::Tier::kCritical, 40);
    // One packet to the flagged address does not label uploads elsewhere.
    h.feed(tcp(9, "10.0.0.5", 40000, "203.0.113.66", 443, kAck, 100));
    upload(h, 10, "10.0.0.5", "198.51.100.1", 900'000, 5);
    EXPECT_EQ(h.count(), 0u);
    upload(h, 20, "10.0.0.5", "203.0.113.66", 1'500'000, 5);
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().level, Severity::kCritical);
    EXPECT_NE(h.last().message.find("\u2192 203.0.113.66  [VT:CRITICAL \u2014 40 malicious]"),
              std::string::npos)
        << h.last().message;
}

TEST(Exfiltration, Ipv6AndWarmingOfDestinations) {
    Harness h("exfiltration", original_rules());
    upload(h, 10, "fd00::5", "2001:db8::20", 3'000'000, 5);
    upload(h, 16, "fd00::5", "2001:db8::21", 2'001'000, 5);
    ASSERT_EQ(h.count(), 1u);
    EXPECT_EQ(h.last().message, "fd00::5 sent 5.0 MB in 60s \u2192 2001:db8::20");
    size_t warm = 0;
    for (const auto& r : h.reputation.requests) {
        warm += r.second == intel::Priority::kWarm ? 1 : 0;
    }
    EXPECT_EQ(warm, 2u);  // each external destination once
}

TEST(Exfiltration, CountsIpTotalLengthNotFrameLength) {
    Harness h("exfiltration", original_rules());
    decode::Packet p = tcp(1, "10.0.0.5", 40000, "203.0.113.5", 443, kAck, 1000);
    p.wire_len = p.captured_len = 64000;  // a huge link-layer frame must not matter
    for (int i = 0; i < 4999; ++i) {
        p.ts = at(1 + i * 0.001);
        h.feed(p);
    }
    EXPECT_EQ(h.count(), 0u);
    h.feed(p);
    EXPECT_EQ(h.count(), 1u);
}

}  // namespace
}  // namespace sentinel::detect::testing
