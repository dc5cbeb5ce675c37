#include "detect/detectors/icmp_flood/icmp_flood.h"

#include <fmt/format.h>

#include "detect/util.h"

namespace sentinel::detect {
namespace {

// Many ICMP echo requests (IPv4 type 8, ICMPv6 type 128) from one source within the window.
class IcmpFlood final : public Detector {
  public:
    const DetectorInfo& info() const override { return kInfo; }

    Status configure(const config::DetectorConfig& c) override {
        if (c.icmp_flood_window <= 0 || c.icmp_flood_threshold < 1) {
            return Status::error("icmp_flood_window and icmp_flood_threshold must be positive");
        }
        window_ = c.icmp_flood_window;
        threshold_ = c.icmp_flood_threshold;
        min_threshold_ = intel::scale_threshold(threshold_, intel::Tier::kCritical);
        sources_.reset(c.max_tracked_hosts, window_);
        return Status::ok();
    }

    void on_packet(const decode::Packet& p, Context& ctx) override {
        if (!p.is_echo_request() || !p.is_ip()) {
            return;
        }
        const auto hit =
            count_source_event(sources_, p.src_ip, p.ts, threshold_, min_threshold_, ctx);
        if (!hit) {
            return;
        }
        const std::string src = p.src_ip.to_string();
        std::string message = fmt::format("{} sent {} ICMP echo-requests in {}s", src, hit->total,
                                          window_text(window_));
        intel::append_suffix(message, hit->verdict);
        ctx.emit(make_alert(p.ts,
                            intel::adjust_severity(schema::Severity::kHigh, hit->verdict.tier),
                            kInfo.category, std::move(message), src));
    }

    void collect(CounterList& out) const override {
        collect_table("icmp_flood.sources", sources_.table(), out);
        collect_bytes("icmp_flood", sources_.state_bytes(), sources_.cap_bytes(), out);
    }

  private:
    static constexpr DetectorInfo kInfo{"icmp_flood", "ICMP FLOOD",
                                        decode::kLayerIcmp | decode::kLayerIcmpv6};
    double window_ = 5;
    uint64_t threshold_ = 100;
    uint64_t min_threshold_ = 10;
    RateTracker<IpAddress, uint32_t> sources_;
};

}  // namespace

std::unique_ptr<Detector> create_icmp_flood() { return std::make_unique<IcmpFlood>(); }

}  // namespace sentinel::detect
