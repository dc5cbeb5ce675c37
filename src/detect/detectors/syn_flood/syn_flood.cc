#include "detect/detectors/syn_flood/syn_flood.h"

#include <vector>

#include <fmt/format.h>

#include "detect/util.h"

namespace sentinel::detect {
namespace {

// Original rules: many TCP connection attempts (SYN without ACK) from one source within the
// window. Improved rules: many half-open handshakes (a SYN whose connection the client never
// completes with an ACK) per source and per destination, so a spoofed-source flood is seen at
// its victim, and a busy client whose connections complete is not a flood.
class SynFlood final : public Detector {
  public:
    const DetectorInfo& info() const override { return kInfo; }

    Status configure(const config::DetectorConfig& c) override {
        if (c.syn_flood_window <= 0 || c.syn_flood_threshold < 1 ||
            c.syn_flood_threshold > kSourceEventTrackerMaxThreshold) {
            return Status::error(
                "syn_flood_window must be positive and syn_flood_threshold within 1..65535");
        }
        window_ = c.syn_flood_window;
        threshold_ = c.syn_flood_threshold;
        min_threshold_ = intel::scale_threshold(threshold_, intel::Tier::kCritical);
        sources_.reset(c.max_tracked_hosts, window_);
        improved_ = improved_rules(c.syn_flood_rules);
        if (improved_) {
            window_ns_ = static_cast<int64_t>(window_ * 1e9);
            flows_.reset(c.max_tracked_hosts);
            flows_.attach(flow_syn_);
            flows_.attach(flow_state_);  // kDone is 0; every slot is set when inserted
            completed_src_.reset(c.max_tracked_hosts, window_);
            opened_dst_.reset(c.max_tracked_hosts, window_);
            completed_dst_.reset(c.max_tracked_hosts, window_);
        }
        return Status::ok();
    }

    void on_packet(const decode::Packet& p, Context& ctx) override {
        if (!p.is_ip()) {
            return;
        }
        if (improved_) {
            on_handshake_packet(p, ctx);
            return;
        }
        if (!p.is_tcp_syn_only()) {
            return;
        }
        const auto hit =
            count_source_event(sources_, p.src_ip, p.ts, threshold_, min_threshold_, ctx);
        if (!hit) {
            return;
        }
        const std::string src = p.src_ip.to_string();
        std::string message =
            fmt::format("{} sent {} SYNs in {}s", src, hit->total, window_text(window_));
        intel::append_suffix(message, hit->verdict);
        ctx.emit(make_alert(p.ts,
                            intel::adjust_severity(schema::Severity::kCritical, hit->verdict.tier),
                            kInfo.category, std::move(message), src));
    }

    void collect(CounterList& out) const override {
        collect_table("syn_flood.sources", sources_.table(), out);
        uint64_t bytes = sources_.state_bytes();
        uint64_t cap = sources_.cap_bytes();
        if (improved_) {
            collect_table("syn_flood.handshakes", flows_, out);
            collect_table("syn_flood.destinations", opened_dst_.table(), out);
            bytes += flows_.memory_bytes() + completed_src_.state_bytes() +
                     opened_dst_.state_bytes() + completed_dst_.state_bytes();
            cap += flows_.memory_bytes_at_cap() + completed_src_.cap_bytes() +
                   opened_dst_.cap_bytes() + completed_dst_.cap_bytes();
        }
        collect_bytes("syn_flood", bytes, cap, out);
    }

  private:
    static constexpr uint8_t kHalfOpen = 1;
    static constexpr uint8_t kDone = 0;

    void on_handshake_packet(const decode::Packet& p, Context& ctx) {
        if (p.is_tcp_syn_only()) {
            const auto slot =
                flows_.find_or_insert(FlowKey{p.src_ip, p.dst_ip, p.src_port, p.dst_port});
            if (!slot.inserted && flow_state_[slot.index] == kHalfOpen &&
                p.ts.ns - flow_syn_[slot.index] <= window_ns_) {
                return;  // a retransmitted SYN: the same handshake
            }
            flow_syn_[slot.index] = p.ts.ns;
            flow_state_[slot.index] = kHalfOpen;
            const auto src = sources_.add(p.src_ip, p.ts, 1);
            const auto dst = opened_dst_.add(p.dst_ip, p.ts, 1);
            if (src.inserted) {
                ctx.reputation().request(p.src_ip, intel::Priority::kDetector);
            }
            check_source(p, src.total, ctx);
            check_destination(p, dst.total, ctx);
            return;
        }
        // The client's ACK completes the handshake.
        if ((p.tcp_flags & (decode::tcp_flags::kAck | decode::tcp_flags::kSyn |
                            decode::tcp_flags::kRst)) != decode::tcp_flags::kAck) {
            return;
        }
        const uint32_t i = flows_.find(FlowKey{p.src_ip, p.dst_ip, p.src_port, p.dst_port});
        if (i == FlowTable::kNone || flow_state_[i] != kHalfOpen) {
            return;
        }
        flow_state_[i] = kDone;
        completed_src_.add(p.src_ip, p.ts, 1);
        completed_dst_.add(p.dst_ip, p.ts, 1);
    }

    void check_source(const decode::Packet& p, uint32_t opened, Context& ctx) {
        if (opened < min_threshold_) {
            return;
        }
        const uint32_t done = completed_src_.add(p.src_ip, p.ts, 0).total;
        const uint32_t half_open = opened > done ? opened - done : 0;
        if (half_open < min_threshold_) {
            return;
        }
        const intel::Verdict v = ctx.reputation().ip(p.src_ip);
        if (half_open < intel::scale_threshold(threshold_, v.tier) ||
            !ctx.claim(p.src_ip, 0, p.ts)) {
            return;
        }
        const std::string src = p.src_ip.to_string();
        std::string message = fmt::format("{} left {} half-open handshakes in {}s", src, half_open,
                                          window_text(window_));
        intel::append_suffix(message, v);
        ctx.emit(make_alert(p.ts, intel::adjust_severity(schema::Severity::kCritical, v.tier),
                            kInfo.category, std::move(message), src));
    }

    // The victim's view: its sources may be spoofed, so no reputation applies. Its cooldown
    // key (port 1) is apart from the same address's own source alerts.
    void check_destination(const decode::Packet& p, uint32_t opened, Context& ctx) {
        if (opened < threshold_) {
            return;
        }
        const uint32_t done = completed_dst_.add(p.dst_ip, p.ts, 0).total;
        const uint32_t half_open = opened > done ? opened - done : 0;
        if (half_open < threshold_ || !ctx.claim(p.dst_ip, 1, p.ts)) {
            return;
        }
        const std::string victim = p.dst_ip.to_string();
        ctx.emit(make_alert(p.ts, schema::Severity::kCritical, kInfo.category,
                            fmt::format("{} has {} half-open handshakes in {}s (any sources)",
                                        victim, half_open, window_text(window_)),
                            victim));
    }

    static constexpr DetectorInfo kInfo{"syn_flood", "SYN FLOOD", decode::kLayerTcp};
    using FlowTable = LruTable<FlowKey, FlowHash, FlowEqual>;
    bool improved_ = false;
    int64_t window_ns_ = 0;
    FlowTable flows_;
    std::vector<int64_t> flow_syn_;    // time of the handshake's SYN
    std::vector<uint8_t> flow_state_;  // kHalfOpen until the client's ACK
    RateTracker<IpAddress, uint32_t> completed_src_;
    RateTracker<IpAddress, uint32_t> opened_dst_;
    RateTracker<IpAddress, uint32_t> completed_dst_;
    double window_ = 5;
    uint64_t threshold_ = 200;
    uint64_t min_threshold_ = 20;
    SourceEventTracker sources_;  // one key per source: a spoofed flood fills it
};

}  // namespace

std::unique_ptr<Detector> create_syn_flood() { return std::make_unique<SynFlood>(); }

}  // namespace sentinel::detect
