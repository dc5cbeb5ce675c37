#include "detect/detectors/brute_force/brute_force.h"

#include <limits>
#include <vector>

#include <fmt/format.h>

#include "detect/util.h"

namespace sentinel::detect {
namespace {

// Original rules: many connection attempts (SYN without ACK) from one source to one login
// service port. Improved rules: many short sessions (accepted by the service, then ended by FIN
// or RST soon after the SYN) from one source to one login service port over a longer window, which
// sees crackers that try several passwords per connection (hydra, medusa, ncrack) and do not
// reach the SYN rate.
class BruteForce final : public Detector {
  public:
    const DetectorInfo& info() const override { return kInfo; }

    Status configure(const config::DetectorConfig& c) override {
        if (c.bruteforce_window <= 0 || c.bruteforce_threshold < 1) {
            return Status::error("bruteforce_window and bruteforce_threshold must be positive");
        }
        window_ = c.bruteforce_window;
        threshold_ = c.bruteforce_threshold;
        min_threshold_ = intel::scale_threshold(threshold_, intel::Tier::kCritical);
        ports_.assign(c.bruteforce_ports);
        improved_ = improved_rules(c.bruteforce_rules);
        if (improved_) {
            if (c.bruteforce_session_window <= 0 || c.bruteforce_session_seconds <= 0 ||
                c.bruteforce_short_sessions < 1) {
                return Status::error(
                    "bruteforce_session_window, bruteforce_session_seconds and "
                    "bruteforce_short_sessions must be positive");
            }
            window_ = c.bruteforce_session_window;
            threshold_ = c.bruteforce_short_sessions;
            min_threshold_ = intel::scale_threshold(threshold_, intel::Tier::kCritical);
            session_ns_ = static_cast<int64_t>(c.bruteforce_session_seconds * 1e9);
            flows_.reset(c.max_tracked_hosts);
            flows_.attach(flow_start_);  // every slot is set when inserted
            flows_.attach(flow_open_);
        }
        attempts_.reset(c.max_tracked_hosts, window_);
        return Status::ok();
    }

    void on_packet(const decode::Packet& p, Context& ctx) override {
        if (!p.is_ip()) {
            return;
        }
        if (improved_) {
            on_session_packet(p, ctx);
            return;
        }
        if (!p.is_tcp_syn_only() || !ports_.contains(p.dst_port)) {
            return;
        }
        count(p.src_ip, p.dst_port, p.ts, "attempts", ctx);
    }

    void collect(CounterList& out) const override {
        collect_table("brute_force.attempts", attempts_.table(), out);
        uint64_t bytes = attempts_.state_bytes();
        uint64_t cap = attempts_.cap_bytes();
        if (improved_) {
            collect_table("brute_force.sessions", flows_, out);
            bytes += flows_.memory_bytes();
            cap += flows_.memory_bytes_at_cap();
        }
        collect_bytes("brute_force", bytes, cap, out);
    }

  private:
    // Tracks sessions to watched ports: the SYN opens one, the first FIN or RST in either
    // direction closes it; a session closed within bruteforce_session_seconds counts.
    void on_session_packet(const decode::Packet& p, Context& ctx) {
        if (!(p.layers & decode::kLayerTcp)) {
            return;
        }
        if (p.is_tcp_syn_only()) {
            if (!ports_.contains(p.dst_port)) {
                return;
            }
            const auto slot =
                flows_.find_or_insert(FlowKey{p.src_ip, p.dst_ip, p.src_port, p.dst_port});
            if (slot.inserted || flow_start_[slot.index] == kEnded) {
                flow_start_[slot.index] = p.ts.ns;
                flow_open_[slot.index] = 0;
            }
            return;
        }
        constexpr uint8_t kSynAck = decode::tcp_flags::kSyn | decode::tcp_flags::kAck;
        if ((p.tcp_flags & kSynAck) == kSynAck) {
            // The service accepted: from now on the session is a login attempt, not a probe.
            const uint32_t i = flows_.find(FlowKey{p.dst_ip, p.src_ip, p.dst_port, p.src_port});
            if (i != FlowTable::kNone) {
                flow_open_[i] = 1;
            }
            return;
        }
        if ((p.tcp_flags & (decode::tcp_flags::kFin | decode::tcp_flags::kRst)) == 0) {
            return;
        }
        // Either direction may close; the server side is the watched port.
        const bool from_client = ports_.contains(p.dst_port);
        const FlowKey key = from_client ? FlowKey{p.src_ip, p.dst_ip, p.src_port, p.dst_port}
                                        : FlowKey{p.dst_ip, p.src_ip, p.dst_port, p.src_port};
        if (!ports_.contains(key.server_port)) {
            return;
        }
        const uint32_t i = flows_.find(key);
        if (i == FlowTable::kNone || flow_start_[i] == kEnded) {
            return;
        }
        const int64_t started = flow_start_[i];
        flow_start_[i] = kEnded;
        // A refused SYN (closed port) is a scan probe, not a failed login.
        if (flow_open_[i] == 0 || p.ts.ns - started > session_ns_) {
            return;
        }
        count(key.client, key.server_port, p.ts, "short sessions", ctx);
    }

    void count(const IpAddress& src, uint16_t port, Timestamp ts, std::string_view what,
               Context& ctx) {
        const auto r = attempts_.add(Key{src, port}, ts, 1);
        if (r.inserted) {
            ctx.reputation().request(src, intel::Priority::kDetector);
        }
        if (r.total < min_threshold_) {
            return;
        }
        const intel::Verdict v = ctx.reputation().ip(src);
        // The cooldown key is the source alone, as in the original: one alert per attacker per
        // period however many services it tries.
        if (r.total < intel::scale_threshold(threshold_, v.tier) || !ctx.claim(src, 0, ts)) {
            return;
        }
        const std::string text = src.to_string();
        std::string message = fmt::format("{} -> {} {} on port {}/{} in {}s", text, r.total, what,
                                          port, service_name(port), window_text(window_));
        intel::append_suffix(message, v);
        ctx.emit(make_alert(ts, intel::adjust_severity(schema::Severity::kHigh, v.tier),
                            kInfo.category, std::move(message), text));
    }

    struct Key {
        IpAddress src;
        uint16_t port = 0;
    };
    struct KeyHash {
        size_t operator()(const Key& k) const noexcept {
            return IpHash{}(k.src) ^ (static_cast<size_t>(k.port) * 0x9e3779b97f4a7c15ull);
        }
    };
    struct KeyEqual {
        bool operator()(const Key& a, const Key& b) const noexcept {
            return a.port == b.port && same_address(a.src, b.src);
        }
    };

    static std::string_view service_name(uint16_t port) {
        switch (port) {
            case 21:
                return "FTP";
            case 22:
                return "SSH";
            case 23:
                return "Telnet";
            case 25:
                return "SMTP";
            case 110:
                return "POP3";
            case 143:
                return "IMAP";
            case 389:
                return "LDAP";
            case 445:
                return "SMB";
            case 1433:
                return "MSSQL";
            case 3306:
                return "MySQL";
            case 3389:
                return "RDP";
            case 5432:
                return "PgSQL";
            case 5900:
                return "VNC";
            default:
                return "TCP";
        }
    }

    using FlowTable = LruTable<FlowKey, FlowHash, FlowEqual>;
    static constexpr int64_t kEnded = std::numeric_limits<int64_t>::min();
    static constexpr DetectorInfo kInfo{"brute_force", "BRUTE FORCE", decode::kLayerTcp};
    bool improved_ = false;
    int64_t session_ns_ = 0;
    FlowTable flows_;
    std::vector<int64_t> flow_start_;  // SYN time per flow slot, kEnded once closed
    std::vector<uint8_t> flow_open_;   // 1 once the service answered SYN-ACK
    double window_ = 30;
    uint64_t threshold_ = 30;
    uint64_t min_threshold_ = 3;
    PortSet ports_;
    RateTracker<Key, uint32_t, KeyHash, KeyEqual> attempts_;
};

}  // namespace

std::unique_ptr<Detector> create_brute_force() { return std::make_unique<BruteForce>(); }

}  // namespace sentinel::detect
