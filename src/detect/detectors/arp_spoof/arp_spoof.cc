#include "detect/detectors/arp_spoof/arp_spoof.h"

#include <algorithm>
#include <span>

#include <fmt/format.h>

#include "detect/util.h"

namespace sentinel::detect {
namespace {

// An IP address announced with a different MAC than before: in an ARP sender field (replies and
// requests both announce the sender's binding; gratuitous ARP is often a request; probes from
// 0.0.0.0 announce nothing), or, for IPv6, in neighbor discovery. ARP target fields are never
// learnt: they can hold placeholders such as a multicast MAC. Always CRITICAL and never adjusted
// by reputation: the endpoints are local.
class ArpSpoof final : public Detector {
  public:
    const DetectorInfo& info() const override { return kInfo; }

    Status configure(const config::DetectorConfig& c) override {
        bindings_.reset(c.arp_table_size);
        macs_.assign(bindings_.capacity(), MacAddress{});
        return Status::ok();
    }

    void on_packet(const decode::Packet& p, Context& ctx) override {
        if (p.layers & decode::kLayerArp) {
            const decode::ArpInfo& arp = p.arp;
            if ((arp.opcode != 1 && arp.opcode != 2) || arp.sender_ip.empty() ||
                (arp.sender_ip.is_v4() && arp.sender_ip.v4_host_order() == 0)) {
                return;
            }
            observe(arp.sender_ip, arp.sender_mac, p.ts, ctx);
        } else if (p.layers & decode::kLayerIcmpv6) {
            IpAddress ip;
            MacAddress mac;
            if (neighbor_binding(p, ip, mac)) {
                observe(ip, mac, p.ts, ctx);
            }
        }
    }

    void collect(CounterList& out) const override {
        collect_table("arp_spoof.bindings", bindings_, out);
        out.push_back({"arp_spoof.state_bytes",
                       bindings_.memory_bytes() + macs_.size() * sizeof(MacAddress)});
    }

  private:
    void observe(const IpAddress& ip, const MacAddress& mac, Timestamp ts, Context& ctx) {
        const auto slot = bindings_.find_or_insert(ip);
        MacAddress& known = macs_[slot.index];
        if (slot.inserted) {
            known = mac;
            return;
        }
        if (known == mac) {
            return;
        }
        const MacAddress old = known;
        known = mac;
        if (!ctx.claim(ip, 0, ts)) {
            return;
        }
        const std::string text = ip.to_string();
        ctx.emit(make_alert(ts, schema::Severity::kCritical, kInfo.category,
                            fmt::format("IP {} MAC changed: {} -> {}  (MITM?)", text,
                                        old.to_string(), mac.to_string()),
                            text));
    }

    // IPv6's ARP: a Neighbor Advertisement binds its target address to the target link-layer
    // address option; a Neighbor Solicitation binds its (specified) source address to the
    // source link-layer address option. The ICMPv6 payload starts after the 8-byte header.
    static bool neighbor_binding(const decode::Packet& p, IpAddress& ip, MacAddress& mac) {
        constexpr uint8_t kSolicitation = 135, kAdvertisement = 136;
        if (p.icmp_type != kSolicitation && p.icmp_type != kAdvertisement) {
            return false;
        }
        const std::span<const uint8_t> body = p.payload;
        if (body.size() < 16) {
            return false;
        }
        const uint8_t wanted_option = p.icmp_type == kAdvertisement ? 2 : 1;
        for (size_t off = 16; off + 8 <= body.size();) {
            const size_t len = static_cast<size_t>(body[off + 1]) * 8;
            if (len == 0 || off + len > body.size()) {
                return false;
            }
            if (body[off] == wanted_option) {
                std::copy_n(body.begin() + static_cast<ptrdiff_t>(off + 2), 6, mac.bytes.begin());
                if (p.icmp_type == kAdvertisement) {
                    ip = IpAddress::v6(body.data());
                    return true;
                }
                ip = p.src_ip;
                return !std::all_of(ip.bytes().begin(), ip.bytes().end(),
                                    [](uint8_t b) { return b == 0; });
            }
            off += len;
        }
        return false;
    }

    static constexpr DetectorInfo kInfo{"arp_spoof", "ARP SPOOFING",
                                        decode::kLayerArp | decode::kLayerIcmpv6};
    AddressTable bindings_;
    std::vector<MacAddress> macs_;
};

}  // namespace

std::unique_ptr<Detector> create_arp_spoof() { return std::make_unique<ArpSpoof>(); }

}  // namespace sentinel::detect
