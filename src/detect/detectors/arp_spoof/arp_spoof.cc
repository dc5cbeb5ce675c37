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
//
// Improved rules (arpwatch-style state): each IP keeps its current and previous MAC. A change
// to a MAC never seen for that IP, a flip-flop back to the previous MAC (two stations claim the
// address in turn, the poisoning pattern) and an ARP packet whose sender MAC disagrees with its
// link-layer source (a forged binding) each have their own message, all CRITICAL as in the
// original. New pairs are learnt silently.
class ArpSpoof final : public Detector {
  public:
    const DetectorInfo& info() const override { return kInfo; }

    Status configure(const config::DetectorConfig& c) override {
        bindings_.reset(c.arp_table_size);
        bindings_.attach(macs_);
        improved_ = improved_rules(c.arp_spoof_rules);
        if (improved_) {
            bindings_.attach(previous_);
        } else {
            previous_.clear();
        }
        return Status::ok();
    }

    void on_packet(const decode::Packet& p, Context& ctx) override {
        if (p.layers & decode::kLayerArp) {
            const decode::ArpInfo& arp = p.arp;
            if ((arp.opcode != 1 && arp.opcode != 2) || arp.sender_ip.empty() ||
                (arp.sender_ip.is_v4() && arp.sender_ip.v4_host_order() == 0)) {
                return;
            }
            if (improved_ && !is_zero(p.src_mac) && p.src_mac != arp.sender_mac) {
                mismatch(arp.sender_ip, arp.sender_mac, p.src_mac, p.ts, ctx);
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
        collect_bytes("arp_spoof", bindings_.memory_bytes(), bindings_.memory_bytes_at_cap(), out);
    }

  private:
    static bool is_zero(const MacAddress& mac) {
        return std::all_of(mac.bytes.begin(), mac.bytes.end(), [](uint8_t b) { return b == 0; });
    }

    void mismatch(const IpAddress& ip, const MacAddress& claimed, const MacAddress& link,
                  Timestamp ts, Context& ctx) {
        // Port 1 keeps this cooldown apart from the IP's MAC-change alerts.
        if (!ctx.claim(ip, 1, ts)) {
            return;
        }
        const std::string text = ip.to_string();
        ctx.emit(make_alert(ts, schema::Severity::kCritical, kInfo.category,
                            fmt::format("IP {} claimed for {} by a frame from {}  (forged ARP?)",
                                        text, claimed.to_string(), link.to_string()),
                            text));
    }

    void observe(const IpAddress& ip, const MacAddress& mac, Timestamp ts, Context& ctx) {
        const auto slot = bindings_.find_or_insert(ip);
        MacAddress& known = macs_[slot.index];
        if (slot.inserted) {
            known = mac;
            if (improved_) {
                previous_[slot.index] = MacAddress{};
            }
            return;
        }
        if (known == mac) {
            return;
        }
        const MacAddress old = known;
        known = mac;
        bool flip_flop = false;
        if (improved_) {
            MacAddress& before = previous_[slot.index];
            flip_flop = before == mac;
            before = old;
        }
        if (!ctx.claim(ip, 0, ts)) {
            return;
        }
        const std::string text = ip.to_string();
        if (flip_flop) {
            ctx.emit(make_alert(ts, schema::Severity::kCritical, kInfo.category,
                                fmt::format("IP {} MAC flip-flop: {} -> {}  (MITM?)", text,
                                            old.to_string(), mac.to_string()),
                                text));
            return;
        }
        // Every ARP alert is CRITICAL, as in the original: an IP whose MAC changes is the mark of
        // a man in the middle until proven otherwise.
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
    bool improved_ = false;
    AddressTable bindings_;
    std::vector<MacAddress> macs_;
    std::vector<MacAddress> previous_;  // improved rules: the MAC before the current one
};

}  // namespace

std::unique_ptr<Detector> create_arp_spoof() { return std::make_unique<ArpSpoof>(); }

}  // namespace sentinel::detect
