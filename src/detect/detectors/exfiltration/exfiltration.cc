#include "detect/detectors/exfiltration/exfiltration.h"

#include <algorithm>
#include <cstdint>

#include <fmt/format.h>

#include "detect/util.h"

namespace sentinel::detect {
namespace {

// Original rules: many bytes (IP total length) sent by one internal host to external
// destinations within the window. Internal-to-internal traffic (backups, file shares) is not
// counted. Each source keeps its few biggest destinations; the alert names the main one, and that
// destination's reputation scales the threshold, so one packet to a flagged address cannot label
// a minute of ordinary uploads elsewhere.
// Improved rules: the same bytes, compared with the host's own usual volume, an exponentially
// weighted average of its outbound bytes per window (windows in which it sent something). Until
// exfil_warmup_windows such windows are seen, the original threshold applies, so a first-seen
// huge upload still alerts; after that the threshold is max(exfil_min_bytes,
// exfil_baseline_factor x usual): a steady big uploader stays silent, a sudden jump alerts.
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
        sources_.reset(c.max_tracked_hosts, window_);
        sources_.table().attach(dests_);
        improved_ = improved_rules(c.exfil_rules);
        baselines_.clear();
        if (improved_) {
            if (c.exfil_baseline_factor < 1 || c.exfil_min_bytes < 1 ||
                c.exfil_warmup_windows < 1) {
                return Status::error(
                    "exfil_baseline_factor must be at least 1, exfil_min_bytes and "
                    "exfil_warmup_windows positive");
            }
            factor_ = c.exfil_baseline_factor;
            min_bytes_ = c.exfil_min_bytes;
            warmup_windows_ = c.exfil_warmup_windows;
            sources_.table().attach(baselines_);
        }
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
        uint64_t threshold = threshold_;
        const Baseline* learnt = nullptr;
        if (improved_) {
            Baseline& b = baselines_[r.index];
            if (r.inserted) {
                b = Baseline{};
                b.epoch = slot_of(p.ts, window_ns_);
            }
            add_to_baseline(b, p.ts, bytes);
            if (b.windows >= warmup_windows_) {
                threshold = baseline_threshold(b);
                learnt = &b;
            }
        }
        if (r.total < intel::scale_threshold(threshold, intel::Tier::kCritical)) {
            return;
        }
        Destination& main = d.entries[main_destination(d, p.ts)];
        if (!main.requested) {
            // A candidate: its main destination's verdict now matters.
            main.requested = true;
            ctx.reputation().request(main.ip, intel::Priority::kDetector);
        }
        const intel::Verdict v = ctx.reputation().ip(main.ip);
        if (r.total < intel::scale_threshold(threshold, v.tier) || !ctx.claim(p.src_ip, 0, p.ts)) {
            return;
        }
        const std::string src = p.src_ip.to_string();
        std::string message = fmt::format("{} sent {:.1f} MB in {}s \u2192 {}", src,
                                          static_cast<double>(r.total) / 1e6, window_text(window_),
                                          main.ip.to_string());
        if (learnt != nullptr) {
            message += fmt::format(" ({:.1f}\u00d7 its usual {:.1f} MB)",
                                   static_cast<double>(r.total) / std::max(learnt->usual, 1.0),
                                   learnt->usual / 1e6);
        }
        intel::append_suffix(message, v);
        ctx.emit(make_alert(p.ts, intel::adjust_severity(schema::Severity::kHigh, v.tier),
                            kInfo.category, std::move(message), src));
    }

    void collect(CounterList& out) const override {
        collect_table("exfiltration.sources", sources_.table(), out);
        collect_bytes("exfiltration", sources_.state_bytes(), sources_.cap_bytes(), out);
    }

  private:
    // Weight of the newest window in the usual volume: about the last five active windows count.
    static constexpr double kAlpha = 0.2;

    // A host's usual outbound bytes per window, learnt from fixed windows (epochs) in which it
    // sent something; idle windows are not evidence of what the host usually sends.
    struct Baseline {
        double usual = 0;
        int64_t epoch = 0;     // the window being filled
        uint64_t bytes = 0;    // sent in it so far
        uint64_t pending = 0;  // the window before it, learnt once it leaves the sliding window
        uint32_t windows = 0;  // windows learnt
    };

    uint64_t baseline_threshold(const Baseline& b) const {
        const double scaled = factor_ * b.usual;
        return std::max(min_bytes_, static_cast<uint64_t>(std::min(scaled, 1e18)));
    }

    // Folds one finished window into the usual volume, capped at the threshold in force so that
    // an exfiltration cannot teach the baseline that it is normal.
    void learn(Baseline& b, uint64_t sent_bytes) const {
        if (sent_bytes == 0) {
            return;
        }
        const double sent = static_cast<double>(b.windows >= warmup_windows_
                                                    ? std::min(sent_bytes, baseline_threshold(b))
                                                    : sent_bytes);
        b.usual = b.windows == 0 ? sent : kAlpha * sent + (1 - kAlpha) * b.usual;
        if (b.windows < UINT32_MAX) {
            ++b.windows;
        }
    }

    // A finished window is learnt one window late: the sliding window it is compared against
    // still holds the previous window's bytes, and a burst that crosses a window boundary must
    // not raise its own threshold half-way.
    void add_to_baseline(Baseline& b, Timestamp ts, uint64_t bytes) const {
        const int64_t epoch = slot_of(ts, window_ns_);
        if (epoch > b.epoch) {
            learn(b, b.pending);
            if (epoch == b.epoch + 1) {
                b.pending = b.bytes;
            } else {
                learn(b, b.bytes);
                b.pending = 0;
            }
            b.bytes = 0;
            b.epoch = epoch;
        }
        b.bytes += bytes;
    }

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
            if (same_address(e.ip, ip)) {
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

    // The destination that received the most among those seen within the window (the current
    // packet's is always one of them).
    uint8_t main_destination(const Destinations& d, Timestamp ts) const {
        uint8_t best = 0;
        bool best_fresh = ts.ns - d.entries[0].last_seen <= window_ns_;
        for (uint8_t i = 1; i < d.count; ++i) {
            const bool fresh = ts.ns - d.entries[i].last_seen <= window_ns_;
            if ((fresh && !best_fresh) ||
                (fresh == best_fresh && d.entries[i].bytes > d.entries[best].bytes)) {
                best = i;
                best_fresh = fresh;
            }
        }
        return best;
    }

    static constexpr DetectorInfo kInfo{"exfiltration", "DATA EXFILTRATION",
                                        decode::kLayerIpv4 | decode::kLayerIpv6};
    double window_ = 60;
    int64_t window_ns_ = 0;
    uint64_t threshold_ = 5'000'000;
    RateTracker<IpAddress, uint64_t> sources_;
    std::vector<Destinations> dests_;
    bool improved_ = false;
    double factor_ = 4;
    uint64_t min_bytes_ = 2'000'000;
    uint32_t warmup_windows_ = 5;
    std::vector<Baseline> baselines_;  // parallel to sources_
};

}  // namespace

std::unique_ptr<Detector> create_exfiltration() { return std::make_unique<Exfiltration>(); }

}  // namespace sentinel::detect
