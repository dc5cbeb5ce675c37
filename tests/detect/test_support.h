#pragma once

#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "decode/packet.h"
#include "detect/engine.h"
#include "intel/reputation.h"

namespace sentinel::detect::testing {

inline IpAddress ip(const char* text) { return *IpAddress::parse(text); }

inline Timestamp at(double seconds) { return Timestamp::from_seconds(seconds); }

inline decode::Packet ip_packet(double t, const char* src, const char* dst, uint32_t len = 60) {
    decode::Packet p;
    p.ts = at(t);
    p.src_ip = ip(src);
    p.dst_ip = ip(dst);
    p.layers =
        decode::kLayerEthernet | (p.src_ip.is_v4() ? decode::kLayerIpv4 : decode::kLayerIpv6);
    p.ip_total_len = len;
    p.wire_len = p.captured_len = len + 14;
    return p;
}

inline decode::Packet tcp(double t, const char* src, uint16_t sport, const char* dst,
                          uint16_t dport, uint8_t flags, uint32_t len = 60) {
    decode::Packet p = ip_packet(t, src, dst, len);
    p.layers |= decode::kLayerTcp;
    p.ip_protocol = 6;
    p.src_port = sport;
    p.dst_port = dport;
    p.tcp_flags = flags;
    return p;
}

inline decode::Packet syn(double t, const char* src, const char* dst, uint16_t dport,
                          uint16_t sport = 40000) {
    return tcp(t, src, sport, dst, dport, decode::tcp_flags::kSyn);
}

inline decode::Packet udp(double t, const char* src, uint16_t sport, const char* dst,
                          uint16_t dport, uint32_t len = 60) {
    decode::Packet p = ip_packet(t, src, dst, len);
    p.layers |= decode::kLayerUdp;
    p.ip_protocol = 17;
    p.src_port = sport;
    p.dst_port = dport;
    return p;
}

inline decode::Packet icmp(double t, const char* src, const char* dst, uint8_t type) {
    decode::Packet p = ip_packet(t, src, dst);
    const bool v6 = p.src_ip.is_v6();
    p.layers |= v6 ? decode::kLayerIcmpv6 : decode::kLayerIcmp;
    p.ip_protocol = v6 ? 58 : 1;
    p.icmp_type = type;
    return p;
}

inline decode::Packet dns_query(double t, const char* src, const std::string& name,
                                bool response = false, uint16_t port = 53) {
    decode::Packet p =
        response ? udp(t, "10.0.0.53", port, src, 40000) : udp(t, src, 40000, "10.0.0.53", port);
    p.layers |= decode::kLayerDns;
    p.dns.is_response = response;
    p.dns.question_count = 1;
    p.dns.qtype = 1;  // A
    p.dns.qname_len = static_cast<uint16_t>(name.size());
    name.copy(p.dns.qname, name.size());
    return p;
}

inline MacAddress mac(uint8_t last) { return MacAddress{{0x02, 0, 0, 0, 0, last}}; }

inline decode::Packet arp(double t, uint16_t opcode, const char* sender_ip, MacAddress sender_mac,
                          const char* target_ip = "192.168.1.1") {
    decode::Packet p;
    p.ts = at(t);
    p.layers = decode::kLayerEthernet | decode::kLayerArp;
    p.arp.opcode = opcode;
    p.arp.sender_ip = ip(sender_ip);
    p.arp.sender_mac = sender_mac;
    p.arp.target_ip = ip(target_ip);
    p.src_mac = sender_mac;
    return p;
}

// Reputation with verdicts set by the test; remembers every request. A domain's verdict covers
// its subdomains (the most severe listing of the name or a parent wins), as in
// intel::LocalReputation; names are compared lower-case without a trailing dot.
class FakeReputation final : public intel::ReputationView {
  public:
    intel::Verdict ip(const IpAddress& a) const override {
        const auto it = ips.find(a);
        return it == ips.end() ? intel::Verdict{} : it->second;
    }
    intel::Verdict domain(std::string_view name) const override {
        std::string lower(name);
        for (char& c : lower) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        if (!lower.empty() && lower.back() == '.') {
            lower.pop_back();
        }
        intel::Verdict best;
        for (std::string_view rest = lower; !rest.empty();) {
            const auto it = domains.find(std::string(rest));
            if (it != domains.end() && it->second.tier > best.tier) {
                best = it->second;
            }
            const size_t dot = rest.find('.');
            rest = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
        }
        return best;
    }
    void request(const IpAddress& a, intel::Priority p) override { requests.push_back({a, p}); }
    void request_domain(std::string_view name, intel::Priority p) override {
        domain_requests.push_back({std::string(name), p});
    }

    std::map<IpAddress, intel::Verdict> ips;
    std::map<std::string, intel::Verdict> domains;
    std::vector<std::pair<IpAddress, intel::Priority>> requests;
    std::vector<std::pair<std::string, intel::Priority>> domain_requests;
};

class CollectingSink final : public AlertSink {
  public:
    void emit(schema::Alert&& a) override { alerts.push_back(std::move(a)); }
    std::vector<schema::Alert> alerts;
};

inline intel::Verdict verdict(intel::Tier tier, uint32_t malicious, uint32_t suspicious = 0) {
    intel::Verdict v;
    v.tier = tier;
    v.malicious = malicious;
    v.suspicious = suspicious;
    return v;
}

// The default config with every detector on its original rules.
inline config::DetectorConfig original_rules(config::DetectorConfig c = {}) {
    c.port_scan_rules = c.syn_flood_rules = c.bruteforce_rules = c.arp_spoof_rules =
        c.dns_tunnel_rules = c.exfil_rules = "original";
    return c;
}

// An engine running only the named detector, with default config unless changed. A config the
// detector refuses fails the test (a negative test that never ran its detector proves nothing).
struct Harness {
    explicit Harness(const std::string& detector, config::DetectorConfig c = {})
        : engine(reputation, sink) {
        config = c;
        const Status s = engine.configure(config, builtin_registry(), {detector});
        ok = s.is_ok();
        EXPECT_TRUE(ok) << detector << " refused its config: " << s.message();
    }
    void feed(const decode::Packet& p) { engine.on_packet(p); }
    size_t count() const { return sink.alerts.size(); }
    const schema::Alert& last() const { return sink.alerts.back(); }

    config::DetectorConfig config;
    FakeReputation reputation;
    CollectingSink sink;
    Engine engine;
    bool ok = false;
};

}  // namespace sentinel::detect::testing
