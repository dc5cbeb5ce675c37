#include "detect/detectors/brute_force/brute_force.h"

#include <fmt/format.h>

#include "detect/util.h"

namespace sentinel::detect {
namespace {

// Many connection attempts (SYN without ACK) from one source to one login service port.
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
        attempts_.reset(c.max_tracked_hosts, window_);
        return Status::ok();
    }

    void on_packet(const decode::Packet& p, Context& ctx) override {
        if (!p.is_tcp_syn_only() || !p.is_ip() || !ports_.contains(p.dst_port)) {
            return;
        }
        const auto r = attempts_.add(Key{p.src_ip, p.dst_port}, p.ts, 1);
        if (r.inserted) {
            ctx.reputation().request(p.src_ip, intel::Priority::kDetector);
        }
        if (r.total < min_threshold_) {
            return;
        }
        const intel::Verdict v = ctx.reputation().ip(p.src_ip);
        // The cooldown key is the source alone, as in the original: one alert per attacker per
        // period however many services it tries.
        if (r.total < intel::scale_threshold(threshold_, v.tier) || !ctx.claim(p.src_ip, 0, p.ts)) {
            return;
        }
        const std::string src = p.src_ip.to_string();
        std::string message =
            fmt::format("{} -> {} attempts on port {}/{} in {}s", src, r.total, p.dst_port,
                        service_name(p.dst_port), window_text(window_));
        intel::append_suffix(message, v);
        ctx.emit(make_alert(p.ts, intel::adjust_severity(schema::Severity::kHigh, v.tier),
                            kInfo.category, std::move(message), src));
    }

    void collect(CounterList& out) const override {
        collect_table("brute_force.attempts", attempts_.table(), out);
        out.push_back({"brute_force.state_bytes", attempts_.state_bytes()});
    }

  private:
    struct Key {
        IpAddress src;
        uint16_t port = 0;
        friend bool operator==(const Key&, const Key&) = default;
    };
    struct KeyHash {
        size_t operator()(const Key& k) const noexcept {
            return IpAddressHash{}(k.src) ^ (static_cast<size_t>(k.port) * 0x9e3779b97f4a7c15ull);
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

    static constexpr DetectorInfo kInfo{"brute_force", "BRUTE FORCE", decode::kLayerTcp};
    double window_ = 30;
    uint64_t threshold_ = 30;
    uint64_t min_threshold_ = 3;
    PortSet ports_;
    RateTracker<Key, uint32_t, KeyHash> attempts_;
};

}  // namespace

std::unique_ptr<Detector> create_brute_force() { return std::make_unique<BruteForce>(); }

}  // namespace sentinel::detect
