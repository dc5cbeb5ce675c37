#include "detect/detectors/dns_tunnel/dns_tunnel.h"

#include <cctype>

#include <fmt/format.h>

#include "detect/util.h"

namespace sentinel::detect {
namespace {

bool ends_with_label(std::string_view name, std::string_view suffix) {
    if (name.size() < suffix.size()) {
        return false;
    }
    const std::string_view tail = name.substr(name.size() - suffix.size());
    for (size_t i = 0; i < suffix.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(tail[i])) != suffix[i]) {
            return false;
        }
    }
    return name.size() == suffix.size() || name[name.size() - suffix.size() - 1] == '.';
}

// A DNS query whose first question name carries at least dns_tunnel_query_len characters below
// its registered domain (the last two labels): that is the part a tunnel fills with data, while
// a long registered domain or a provider's host naming (cloudapp.azure.com, cable modems) is not
// data. Queries only (a resolver's answer repeats the client's question), and neither reverse
// lookups (*.arpa: ip6.arpa names are always 72 characters) nor multicast DNS (port 5353,
// *.local).
class DnsTunnel final : public Detector {
  public:
    const DetectorInfo& info() const override { return kInfo; }

    Status configure(const config::DetectorConfig& c) override {
        if (c.dns_tunnel_query_len < 1) {
            return Status::error("dns_tunnel_query_len must be positive");
        }
        threshold_ = c.dns_tunnel_query_len;
        min_threshold_ = intel::scale_threshold(threshold_, intel::Tier::kCritical);
        return Status::ok();
    }

    void on_packet(const decode::Packet& p, Context& ctx) override {
        const decode::DnsInfo& dns = p.dns;
        const std::string_view name = dns.name();
        if (dns.is_response || name.empty() || p.src_port == 5353 || p.dst_port == 5353 ||
            ends_with_label(name, "arpa") || ends_with_label(name, "local")) {
            return;
        }
        // Reputation of the registered domain (the last two labels): a tunnel's random
        // subdomains are never in any cache, the domain they hang off may be.
        char lower[decode::DnsInfo::kMaxName + 1];
        const size_t n = name.size();
        for (size_t i = 0; i < n; ++i) {
            lower[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[i])));
        }
        const std::string_view domain = registered_domain({lower, n});
        ctx.warm_domain(domain);
        const size_t data_len = domain.size() < n ? n - domain.size() - 1 : 0;
        if (data_len < min_threshold_) {
            return;
        }
        const intel::Verdict v = ctx.reputation().domain(domain);
        if (data_len < intel::scale_threshold(threshold_, v.tier)) {
            return;
        }
        ctx.reputation().request_domain(domain, intel::Priority::kDetector);
        if (!ctx.claim(p.src_ip, 0, p.ts)) {
            return;
        }
        const std::string src = p.is_ip() ? p.src_ip.to_string() : std::string("?");
        std::string message =
            fmt::format("{} queried {}-char name: {}...", src, n, name.substr(0, 80));
        intel::append_suffix(message, v);
        ctx.emit(make_alert(p.ts, intel::adjust_severity(schema::Severity::kMedium, v.tier),
                            kInfo.category, std::move(message), src));
    }

    void collect(CounterList& out) const override { out.push_back({"dns_tunnel.state_bytes", 0}); }

  private:
    static std::string_view registered_domain(std::string_view name) {
        const size_t last = name.rfind('.');
        if (last == std::string_view::npos || last == 0) {
            return name;
        }
        const size_t second = name.rfind('.', last - 1);
        return second == std::string_view::npos ? name : name.substr(second + 1);
    }

    static constexpr DetectorInfo kInfo{"dns_tunnel", "DNS TUNNELLING", decode::kLayerDns};
    uint64_t threshold_ = 50;
    uint64_t min_threshold_ = 5;
};

}  // namespace

std::unique_ptr<Detector> create_dns_tunnel() { return std::make_unique<DnsTunnel>(); }

}  // namespace sentinel::detect
