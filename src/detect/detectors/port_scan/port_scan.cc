#include "detect/detectors/port_scan/port_scan.h"

#include <algorithm>
#include <cstddef>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "detect/util.h"

namespace sentinel::detect {
namespace {

// Original rules: many distinct destination ports probed by one source within the window.
// Improved rules, in the spirit of Threshold Random Walk (Jung et al., 2004): many failed first
// contacts from one source across hosts and ports, where a first contact is a probe to a
// (host, protocol, port) the source has not tried within the window and it fails unless the
// far end accepts it (TCP SYN-ACK, any UDP datagram back). Refused (RST) and unanswered
// contacts both fail, so a horizontal sweep (one port, many hosts) counts like a vertical scan,
// while a busy client whose connections are answered stays at zero. Only probes count:
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
        improved_ = improved_rules(c.port_scan_rules);
        if (improved_) {
            pairs_.reset(c.max_tracked_hosts);
            pairs_.attach(pair_first_);
            pairs_.attach(pair_answered_);
            contacts_.reset(c.max_tracked_hosts, window_);
            accepted_.reset(c.max_tracked_hosts, window_);
            return Status::ok();
        }
        sources_.reset(c.max_tracked_hosts);
        // One block per source: last-seen times, ports, count, so a probe touches adjacent
        // cache lines only. std::byte storage gives the implicit objects C++20 allows.
        stride_ =
            (threshold_ * (sizeof(int64_t) + sizeof(uint16_t)) + sizeof(uint16_t) + 7) / 8 * 8;
        sources_.attach(blocks_, stride_);
        return Status::ok();
    }

    void on_packet(const decode::Packet& p, Context& ctx) override {
        if (!p.is_ip()) {
            return;
        }
        if (improved_) {
            on_contact_packet(p, ctx);
            return;
        }
        if (!is_probe(p)) {
            return;
        }
        const auto slot = sources_.find_or_insert(p.src_ip);
        std::byte* block = blocks_.data() + static_cast<size_t>(slot.index) * stride_;
        auto* seen = reinterpret_cast<int64_t*>(block);
        auto* ports = reinterpret_cast<uint16_t*>(block + threshold_ * sizeof(int64_t));
        uint16_t& count = ports[threshold_];
        if (slot.inserted) {
            count = 0;
            ctx.reputation().request(p.src_ip, intel::Priority::kDetector);
        }
        const uint32_t n = DistinctWindow::add(
            ports, seen, count, static_cast<uint32_t>(threshold_), p.dst_port, p.ts, window_ns_);
        if (n < min_threshold_) {
            return;
        }
        const intel::Verdict v = ctx.reputation().ip(p.src_ip);
        if (n < intel::scale_threshold(threshold_, v.tier) || !ctx.claim(p.src_ip, 0, p.ts)) {
            return;
        }
        std::vector<uint16_t> sample(ports, ports + n);
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
        if (improved_) {
            collect_table("port_scan.contacts", pairs_, out);
            collect_table("port_scan.sources", contacts_.table(), out);
            collect_bytes(
                "port_scan",
                pairs_.memory_bytes() + contacts_.state_bytes() + accepted_.state_bytes(),
                pairs_.memory_bytes_at_cap() + contacts_.cap_bytes() + accepted_.cap_bytes(), out);
            return;
        }
        collect_table("port_scan.sources", sources_, out);
        collect_bytes("port_scan", sources_.memory_bytes(), sources_.memory_bytes_at_cap(), out);
    }

  private:
    // The (prober, target, protocol, port) of a contact; client_port holds the protocol.
    static FlowKey contact_key(const IpAddress& prober, const IpAddress& target, bool tcp,
                               uint16_t port) {
        return FlowKey{prober, target, static_cast<uint16_t>(tcp ? 6 : 17), port};
    }

    void on_contact_packet(const decode::Packet& p, Context& ctx) {
        const bool tcp = (p.layers & decode::kLayerTcp) != 0;
        if (!tcp && !(p.layers & decode::kLayerUdp)) {
            return;
        }
        constexpr uint8_t kSynAck = decode::tcp_flags::kSyn | decode::tcp_flags::kAck;
        if (!tcp || (p.tcp_flags & kSynAck) == kSynAck) {
            // An acceptance, if it answers a pending contact of the receiver.
            const uint32_t i = pairs_.find(contact_key(p.dst_ip, p.src_ip, tcp, p.src_port));
            if (i != PairTable::kNone && pair_answered_[i] == 0 &&
                p.ts.ns - pair_first_[i] <= window_ns_) {
                pair_answered_[i] = 1;
                accepted_.add(p.dst_ip, p.ts, 1);
            }
        }
        if (!is_probe(p)) {
            return;
        }
        const auto slot = pairs_.find_or_insert(contact_key(p.src_ip, p.dst_ip, tcp, p.dst_port));
        if (!slot.inserted && p.ts.ns - pair_first_[slot.index] <= window_ns_) {
            return;  // a retransmission or a reused contact, not a new one
        }
        pair_first_[slot.index] = p.ts.ns;
        pair_answered_[slot.index] = 0;
        const auto c = contacts_.add(p.src_ip, p.ts, 1);
        if (c.inserted) {
            ctx.reputation().request(p.src_ip, intel::Priority::kDetector);
        }
        if (c.total < min_threshold_) {
            return;
        }
        const uint32_t accepted = accepted_.add(p.src_ip, p.ts, 0).total;
        const uint32_t failed = c.total > accepted ? c.total - accepted : 0;
        if (failed < min_threshold_) {
            return;
        }
        const intel::Verdict v = ctx.reputation().ip(p.src_ip);
        if (failed < intel::scale_threshold(threshold_, v.tier) || !ctx.claim(p.src_ip, 0, p.ts)) {
            return;
        }
        const std::string src = p.src_ip.to_string();
        std::string message =
            fmt::format("{} made {} failed first contacts (unanswered or refused) in {}s", src,
                        failed, window_text(window_));
        intel::append_suffix(message, v);
        ctx.emit(make_alert(p.ts, intel::adjust_severity(schema::Severity::kHigh, v.tier),
                            kInfo.category, std::move(message), src));
    }

    static bool is_probe(const decode::Packet& p) {
        if (p.layers & decode::kLayerTcp) {
            return (p.tcp_flags & (decode::tcp_flags::kAck | decode::tcp_flags::kRst)) == 0;
        }
        if (p.layers & decode::kLayerUdp) {
            // A datagram from a port below 1024 is a service answering (DNS, NTP, QUIC...);
            // 33434-33534 is where traceroute sends its probes, one port per hop.
            return p.src_port >= 1024 && is_unicast(p.dst_ip) &&
                   (p.dst_port < kTracerouteFirst || p.dst_port > kTracerouteLast);
        }
        return false;
    }

    static constexpr uint16_t kTracerouteFirst = 33434;
    static constexpr uint16_t kTracerouteLast = 33534;
    static constexpr DetectorInfo kInfo{"port_scan", "PORT SCAN",
                                        decode::kLayerTcp | decode::kLayerUdp};
    using PairTable = LruTable<FlowKey, FlowHash, FlowEqual>;
    bool improved_ = false;
    PairTable pairs_;
    std::vector<int64_t> pair_first_;     // when the contact was first made
    std::vector<uint8_t> pair_answered_;  // 1 once the target accepted it
    SourceEventTracker contacts_;         // one key per source: a spoofed flood fills it
    RateTracker<IpAddress, uint32_t> accepted_;
    double window_ = 10;
    int64_t window_ns_ = 0;
    uint64_t threshold_ = 15;
    uint64_t min_threshold_ = 2;
    AddressTable sources_;
    // Per source: int64 last_seen[threshold_], uint16 port[threshold_], uint16 count. The
    // vector's storage is aligned for new'd objects and stride_ is a multiple of 8.
    std::vector<std::byte> blocks_;
    size_t stride_ = 0;
};

}  // namespace

std::unique_ptr<Detector> create_port_scan() { return std::make_unique<PortScan>(); }

}  // namespace sentinel::detect
