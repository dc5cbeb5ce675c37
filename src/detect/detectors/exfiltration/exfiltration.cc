#include "detect/detectors/exfiltration/exfiltration.h"

#include <cstdint>

#include <fmt/format.h>

#include "detect/util.h"

namespace sentinel::detect {
namespace {

// Many bytes (IP total length) sent by one internal host to external destinations within the
// window. Internal-to-internal traffic (backups, file shares) is not counted. Each source keeps
// its few biggest destinations; the alert names the main one, and that destination's reputation
// scales the threshold, so one packet to a flagged address cannot label a minute of ordinary
// uploads elsewhere.
class Exfiltration final : public Detector {
  public:
    static constexpr int kDestinations = 4;

    const DetectorInfo& info() const override { return kInfo; }

    Status configure(const config::DetectorConfig& c) override {
        if (c.exfil_window <= 0 || c.exfil_bytes_threshold < 1) {
            return Status::error("exfil_window and exfil_bytes_threshold must be positive");
        }
        window_ = c.exfil_window;
        window_ns_ = static_cast<int64_t>(window_ * 1e9);
        threshold_ = c.exfil_bytes_threshold;
        min_threshold_ = intel::scale_threshold(threshold_, intel::Tier::kCritical);
        sources_.reset(c.max_tracked_hosts, window_);
        dests_.assign(sources_.table().capacity(), Destinations{});
        return Status::ok();
    }

    void on_packet(const decode::Packet& p, Context& ctx) override {
        if (!p.src_ip.is_internal() || p.dst_ip.is_internal() || p.dst_ip.empty()) {
            return;
        }
        const uint64_t bytes = p.ip_total_len;
        const auto r = sources_.add(p.src_ip, p.ts, bytes);
        Destinations& d = dests_[r.index];
        if (r.inserted) {
            d = Destinations{};
        }
        if (add_destination(d, p.dst_ip, bytes, p.ts)) {
            ctx.warm(p.dst_ip);
        }
        if (r.total < min_threshold_) {
            return;
        }
        Destination& main = d.entries[main_destination(d)];
        if (!main.requested) {
            // A candidate: its main destination's verdict now matters.
            main.requested = true;
            ctx.reputation().request(main.ip, intel::Priority::kDetector);
        }
        const intel::Verdict v = ctx.reputation().ip(main.ip);
        if (r.total < intel::scale_threshold(threshold_, v.tier) || !ctx.claim(p.src_ip, 0, p.ts)) {
            return;
        }
        const std::string src = p.src_ip.to_string();
        std::string message = fmt::format("{} sent {:.1f} MB in {}s \u2192 {}", src,
                                          static_cast<double>(r.total) / 1e6, window_text(window_),
                                          main.ip.to_string());
        intel::append_suffix(message, v);
        ctx.emit(make_alert(p.ts, intel::adjust_severity(schema::Severity::kHigh, v.tier),
                            kInfo.category, std::move(message), src));
    }

    void collect(CounterList& out) const override {
        collect_table("exfiltration.sources", sources_.table(), out);
        out.push_back({"exfiltration.state_bytes",
                       sources_.state_bytes() + dests_.size() * sizeof(Destinations)});
    }

  private:
    // 32 bytes: bytes saturate at 4 GiB per window, which is only used to rank destinations.
    struct Destination {
        IpAddress ip;
        bool requested = false;
        uint32_t bytes = 0;
        int64_t last_seen = 0;
    };
    static_assert(sizeof(Destination) == 32);
    struct Destinations {
        Destination entries[kDestinations];
        uint8_t count = 0;
    };

    // Adds bytes to `ip`'s entry; a destination idle for a whole window starts again from zero,
    // and a new one replaces the smallest. Returns true for a destination not held before.
    bool add_destination(Destinations& d, const IpAddress& ip, uint64_t bytes, Timestamp ts) {
        for (uint8_t i = 0; i < d.count; ++i) {
            Destination& e = d.entries[i];
            if (e.ip == ip) {
                if (ts.ns - e.last_seen > window_ns_) {
                    e.bytes = 0;
                }
                e.bytes = saturating_add(e.bytes, bytes);
                e.last_seen = ts.ns;
                return false;
            }
        }
        uint8_t victim = d.count;
        if (d.count < kDestinations) {
            ++d.count;
        } else {
            victim = 0;
            for (uint8_t i = 1; i < d.count; ++i) {
                const bool stale = ts.ns - d.entries[i].last_seen > window_ns_;
                if (stale || d.entries[i].bytes < d.entries[victim].bytes) {
                    victim = i;
                    if (stale) {
                        break;
                    }
                }
            }
        }
        d.entries[victim] = Destination{ip, false, saturating_add(0, bytes), ts.ns};
        return true;
    }

    static uint32_t saturating_add(uint32_t a, uint64_t b) {
        const uint64_t sum = a + b;
        return sum > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(sum);
    }

    static uint8_t main_destination(const Destinations& d) {
        uint8_t best = 0;
        for (uint8_t i = 1; i < d.count; ++i) {
            if (d.entries[i].bytes > d.entries[best].bytes) {
                best = i;
            }
        }
        return best;
    }

    static constexpr DetectorInfo kInfo{"exfiltration", "DATA EXFILTRATION",
                                        decode::kLayerIpv4 | decode::kLayerIpv6};
    double window_ = 60;
    int64_t window_ns_ = 0;
    uint64_t threshold_ = 5'000'000;
    uint64_t min_threshold_ = 500'000;
    RateTracker<IpAddress, uint64_t> sources_;
    std::vector<Destinations> dests_;
};

}  // namespace

std::unique_ptr<Detector> create_exfiltration() { return std::make_unique<Exfiltration>(); }

}  // namespace sentinel::detect
