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
        const auto r = sources_.add(p.src_ip, p.ts, 1);
        if (r.inserted) {
            ctx.reputation().request(p.src_ip, intel::Priority::kDetector);
        }
        if (r.total < min_threshold_) {
            return;
        }
        const intel::Verdict v = ctx.reputation().ip(p.src_ip);
        if (r.total < intel::scale_threshold(threshold_, v.tier) || !ctx.claim(p.src_ip, 0, p.ts)) {
            return;
        }
        const std::string src = p.src_ip.to_string();
        std::string message =
            fmt::format("{} sent {} ICMP echo-requests in {}s", src, r.total, window_text(window_));
        intel::append_suffix(message, v);
        ctx.emit(make_alert(p.ts, intel::adjust_severity(schema::Severity::kHigh, v.tier),
                            kInfo.category, std::move(message), src));
    }

    void collect(CounterList& out) const override {
        collect_table("icmp_flood.sources", sources_.table(), out);
        out.push_back({"icmp_flood.state_bytes", sources_.state_bytes()});
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
