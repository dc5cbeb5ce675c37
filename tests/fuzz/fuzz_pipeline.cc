#include "fuzz_pipeline.h"

#include <array>
#include <cstdlib>

#include "decode/anomaly.h"
#include "decode/decoder.h"
#include "decode/dns.h"
#include "decode/packet.h"
#include "detect/engine.h"
#include "intel/reputation.h"
#include "schema/alert_json.h"

namespace sentinel::fuzz {
namespace {

constexpr std::array<int, 11> kLinkTypes = {
    decode::link_type::kEthernet,
    decode::link_type::kLinuxSll,
    decode::link_type::kLinuxSll2,
    decode::link_type::kNull,
    decode::link_type::kLoop,
    decode::link_type::kRaw,
    decode::link_type::kIpv4,
    decode::link_type::kIpv6,
    decode::link_type::kRawOpenBsd,
    decode::link_type::kLinktypeRaw,
    147,  // a user DLT nobody decodes: the unsupported path
};

// Reused across inputs like the capture thread reuses its Packet, so stale state would show.
decode::Packet g_packet;
decode::AnomalyCounters g_anomalies;

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

// Encodes every alert the way the shipper would, so odd bytes in messages (DNS names) reach the
// JSON codec too.
class EncodingSink final : public detect::AlertSink {
  public:
    void emit(schema::Alert&& alert) override {
        check(!alert.category.empty() && !alert.message.empty());
        const std::string json = schema::to_json(alert);
        check(!json.empty());
    }
};

// Every detector, with thresholds low and tables tiny so that a stream of fuzz inputs fires
// alerts and forces evictions. State persists across inputs, like a long capture.
detect::Engine& engine() {
    static intel::NullReputation reputation;
    static EncodingSink sink;
    static detect::Engine* engine = [] {
        config::DetectorConfig config;
        config.port_scan_threshold = 3;
        config.syn_flood_threshold = 3;
        config.icmp_flood_threshold = 3;
        config.dns_tunnel_query_len = 8;
        config.exfil_bytes_threshold = 2000;
        config.bruteforce_threshold = 3;
        config.alert_cooldown = 0.001;
        config.max_tracked_hosts = 64;
        config.arp_table_size = 16;
        auto* e = new detect::Engine(reputation, sink);
        check(e->configure(config).is_ok());
        return e;
    }();
    return *engine;
}

// Packet time moves forward 1 ms per input so windows slide and expire during a run.
int64_t g_clock_ns = 1'700'000'000'000'000'000;

// Properties every decoded packet must have, whatever the input.
void check_invariants(const decode::Packet& p, std::span<const uint8_t> frame, uint32_t wire_len) {
    using namespace decode;
    check(p.captured_len == frame.size());
    check(p.wire_len == wire_len);
    if (!p.payload.empty()) {
        check(p.payload.data() >= frame.data() &&
              p.payload.data() + p.payload.size() <= frame.data() + frame.size());
    }
    const bool l4 = (p.layers & (kLayerTcp | kLayerUdp | kLayerIcmp | kLayerIcmpv6)) != 0;
    check(!l4 || p.is_ip());
    check(!(p.has(kLayerIpv4) && p.has(kLayerIpv6)));
    check(!(p.is_later_fragment && l4));
    check(!p.is_later_fragment || p.is_fragment);
    check(!p.has(kLayerIcmp) || p.has(kLayerIpv4));
    check(!p.has(kLayerIcmpv6) || p.has(kLayerIpv6));
    if (p.has(kLayerDns)) {
        check(p.has(kLayerUdp) || p.has(kLayerTcp));
        check(p.dns.qname_len <= kDnsMaxWireName - 2);
        check(p.dns.question_count > 0);
    } else if (!p.is_ip() && p.src_port == 0) {
        check(p.payload.empty());
    }
    if (p.has(kLayerIpv4)) {
        check(p.src_ip.is_v4() && p.dst_ip.is_v4());
    }
    if (p.has(kLayerIpv6)) {
        check(p.src_ip.is_v6() && p.dst_ip.is_v6());
    }
}

}  // namespace

std::span<const int> link_types() { return kLinkTypes; }

void run_one_input(const uint8_t* data, size_t size) {
    if (size == 0) {
        return;
    }
    const int dlt = kLinkTypes[(data[0] & 0x0F) % kLinkTypes.size()];
    const std::span<const uint8_t> frame(data + 1, size - 1);
    const bool snapped = (data[0] & 0x80) != 0;
    const auto wire_len = static_cast<uint32_t>(frame.size() + (snapped ? 100 : 0));
    g_clock_ns += 1'000'000;
    decode::decode_frame(dlt, frame, wire_len, Timestamp{g_clock_ns}, g_packet, g_anomalies);
    check_invariants(g_packet, frame, wire_len);
    engine().on_packet(g_packet);
}

}  // namespace sentinel::fuzz
