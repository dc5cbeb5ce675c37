#include "detect/detectors/port_scan/port_scan.h"

#include <algorithm>

#include <fmt/format.h>

#include "detect/util.h"

namespace sentinel::detect {
namespace {

// Many distinct destination ports probed by one source within the window. Only probes count:
// TCP segments without ACK and RST (SYN connection attempts and the FIN/NULL/Xmas stealth
// probes) and UDP datagrams that are not replies from a well-known service port. Replies of a
// busy server to its clients' ephemeral ports are never probes.
class PortScan final : public Detector {
  public:
    const DetectorInfo& info() const override { return kInfo; }

    Status configure(const config::DetectorConfig& c) override {
        if (c.port_scan_window <= 0 || c.port_scan_threshold < 1 || c.port_scan_threshold > 4096) {
            return Status::error(
                "port_scan_window must be positive and port_scan_threshold within 1..4096");
        }
        window_ = c.port_scan_window;
        window_ns_ = static_cast<int64_t>(window_ * 1e9);
        threshold_ = c.port_scan_threshold;
        min_threshold_ = intel::scale_threshold(threshold_, intel::Tier::kCritical);
        sources_.reset(c.max_tracked_hosts);
        const size_t cap = sources_.capacity();
        counts_.assign(cap, 0);
        ports_.assign(cap * threshold_, 0);
        seen_.assign(cap * threshold_, 0);
        return Status::ok();
    }

    void on_packet(const decode::Packet& p, Context& ctx) override {
        if (!p.is_ip() || !is_probe(p)) {
            return;
        }
        const auto slot = sources_.find_or_insert(p.src_ip);
        if (slot.inserted) {
            counts_[slot.index] = 0;
            ctx.reputation().request(p.src_ip, intel::Priority::kDetector);
        }
        const size_t base = static_cast<size_t>(slot.index) * threshold_;
        const uint32_t n =
            DistinctWindow::add(&ports_[base], &seen_[base], counts_[slot.index],
                                static_cast<uint32_t>(threshold_), p.dst_port, p.ts, window_ns_);
        if (n < min_threshold_) {
            return;
        }
        const intel::Verdict v = ctx.reputation().ip(p.src_ip);
        if (n < intel::scale_threshold(threshold_, v.tier) || !ctx.claim(p.src_ip, 0, p.ts)) {
            return;
        }
        std::vector<uint16_t> sample(ports_.begin() + static_cast<ptrdiff_t>(base),
                                     ports_.begin() + static_cast<ptrdiff_t>(base + n));
        std::sort(sample.begin(), sample.end());
        sample.resize(std::min<size_t>(sample.size(), 8));
        const std::string src = p.src_ip.to_string();
        std::string message = fmt::format("{} probed {} ports in {}s (sample: [{}]...)", src, n,
                                          window_text(window_), fmt::join(sample, ", "));
        intel::append_suffix(message, v);
        ctx.emit(make_alert(p.ts, intel::adjust_severity(schema::Severity::kHigh, v.tier),
                            kInfo.category, std::move(message), src));
    }

    void collect(CounterList& out) const override {
        collect_table("port_scan.sources", sources_, out);
        out.push_back({"port_scan.state_bytes",
                       sources_.memory_bytes() + counts_.size() * sizeof(uint16_t) +
                           ports_.size() * sizeof(uint16_t) + seen_.size() * sizeof(int64_t)});
    }

  private:
    static bool is_probe(const decode::Packet& p) {
        if (p.layers & decode::kLayerTcp) {
            return (p.tcp_flags & (decode::tcp_flags::kAck | decode::tcp_flags::kRst)) == 0;
        }
        if (p.layers & decode::kLayerUdp) {
            // A datagram from a port below 1024 is a service answering (DNS, NTP, QUIC...).
            return p.src_port >= 1024 && is_unicast(p.dst_ip);
        }
        return false;
    }

    static constexpr DetectorInfo kInfo{"port_scan", "PORT SCAN",
                                        decode::kLayerTcp | decode::kLayerUdp};
    double window_ = 10;
    int64_t window_ns_ = 0;
    uint64_t threshold_ = 15;
    uint64_t min_threshold_ = 2;
    LruTable<IpAddress> sources_;
    std::vector<uint16_t> counts_;  // distinct ports held per source
    std::vector<uint16_t> ports_;   // threshold_ ports per source
    std::vector<int64_t> seen_;     // last seen (ns) of each held port
};

}  // namespace

std::unique_ptr<Detector> create_port_scan() { return std::make_unique<PortScan>(); }

}  // namespace sentinel::detect
