#include "detect/detectors/arp_spoof/arp_spoof.h"

#include <fmt/format.h>

#include "detect/util.h"

namespace sentinel::detect {
namespace {

// An IP address announced in an ARP sender field with a different MAC than before. Replies and
// requests both announce the sender's binding (gratuitous ARP is often a request); probes from
// 0.0.0.0 announce nothing. Target fields are never learnt: they can hold placeholders such as
// a multicast MAC. Always CRITICAL and never adjusted by reputation: the endpoints are local.
class ArpSpoof final : public Detector {
  public:
    const DetectorInfo& info() const override { return kInfo; }

    Status configure(const config::DetectorConfig& c) override {
        bindings_.reset(c.arp_table_size);
        macs_.assign(bindings_.capacity(), MacAddress{});
        return Status::ok();
    }

    void on_packet(const decode::Packet& p, Context& ctx) override {
        const decode::ArpInfo& arp = p.arp;
        if ((arp.opcode != 1 && arp.opcode != 2) || arp.sender_ip.empty() ||
            (arp.sender_ip.is_v4() && arp.sender_ip.v4_host_order() == 0)) {
            return;
        }
        const auto slot = bindings_.find_or_insert(arp.sender_ip);
        MacAddress& known = macs_[slot.index];
        if (slot.inserted) {
            known = arp.sender_mac;
            return;
        }
        if (known == arp.sender_mac) {
            return;
        }
        const MacAddress old = known;
        known = arp.sender_mac;
        if (!ctx.claim(arp.sender_ip, 0, p.ts)) {
            return;
        }
        const std::string ip = arp.sender_ip.to_string();
        ctx.emit(make_alert(p.ts, schema::Severity::kCritical, kInfo.category,
                            fmt::format("IP {} MAC changed: {} -> {}  (MITM?)", ip, old.to_string(),
                                        arp.sender_mac.to_string()),
                            ip));
    }

    void collect(CounterList& out) const override {
        collect_table("arp_spoof.bindings", bindings_, out);
        out.push_back({"arp_spoof.state_bytes",
                       bindings_.memory_bytes() + macs_.size() * sizeof(MacAddress)});
    }

  private:
    static constexpr DetectorInfo kInfo{"arp_spoof", "ARP SPOOFING", decode::kLayerArp};
    LruTable<IpAddress> bindings_;
    std::vector<MacAddress> macs_;
};

}  // namespace

std::unique_ptr<Detector> create_arp_spoof() { return std::make_unique<ArpSpoof>(); }

}  // namespace sentinel::detect
