#include "detect/detectors/dns_tunnel/dns_tunnel.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <vector>

#include <fmt/format.h>

#include "detect/util.h"
#include "intel/domain.h"

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

// Query types that carry bulk data in their answers and that tunnels favour (iodine: NULL;
// dnscat2: TXT, MX, CNAME; dns2tcp and DNSExfiltrator: TXT). Ordinary clients ask for A, AAAA,
// HTTPS and PTR.
bool is_data_qtype(uint16_t qtype) {
    switch (qtype) {
        case 5:    // CNAME
        case 10:   // NULL
        case 15:   // MX
        case 16:   // TXT
        case 25:   // KEY
        case 255:  // ANY
            return true;
        default:
            return qtype >= 65280 && qtype <= 65534;  // private use
    }
}

// The name of a data-carrying query type, for messages.
std::string_view data_qtype_name(uint16_t qtype) {
    switch (qtype) {
        case 5:
            return "CNAME";
        case 10:
            return "NULL";
        case 15:
            return "MX";
        case 16:
            return "TXT";
        case 25:
            return "KEY";
        case 255:
            return "ANY";
        default:
            return "private-type";
    }
}

// A top-level domain is letters only (or an IDN "xn--" label). Names ending in anything else
// ("dnscat.<hex>.<hex>", dnscat2 without a domain) have no registered domain: all of it is data.
bool has_plausible_tld(std::string_view lower) {
    const size_t dot = lower.rfind('.');
    const std::string_view tld = dot == std::string_view::npos ? lower : lower.substr(dot + 1);
    if (tld.empty()) {
        return false;
    }
    if (tld.size() > 4 && tld.substr(0, 4) == "xn--") {
        return true;
    }
    for (const char c : tld) {
        if (c < 'a' || c > 'z') {
            return false;
        }
    }
    return true;
}

// Information estimate of a name part, after Born & Gustafson (2010): its length times its
// character (Shannon) entropy, i.e. L·log2(L) − Σ c·log2(c) over the character counts c, dots
// left out. An ordinary host name scores about 4 bits per character and rarely 170 bits in all;
// base32/base64 data from a tunnel reaches 4.5–6 bits per character over 30–250 characters.
double information_bits(std::string_view data) {
    uint8_t counts[256] = {};
    uint32_t n = 0;
    for (const char c : data) {
        if (c != '.') {
            ++counts[static_cast<unsigned char>(c)];
            ++n;
        }
    }
    if (n < 2) {
        return 0;
    }
    double sum = 0;
    for (const uint8_t c : counts) {
        if (c > 1) {
            sum += c * std::log2(static_cast<double>(c));
        }
    }
    return n * std::log2(static_cast<double>(n)) - sum;
}

// Original rules: a DNS query whose first question name carries at least dns_tunnel_query_len
// characters below its registered domain (the last two labels, three under a suffix such as
// co.uk). Improved rules: the information sent per registered domain over a window, in the
// spirit of Paxson et al. (USENIX Security 2013): every new name below the domain adds the bits
// its length and character entropy carry beyond an ordinary host name's allowance, twice for
// TXT/NULL-type queries, and the domain alerts when the sum reaches dns_tunnel_info_bits; one
// name carrying dns_tunnel_name_bits alerts on its own. Long provider names carry little
// (human-readable, about 4 bits per character), a slow tunnel's unique random labels add up.
// Both rules look at queries only (a resolver's answer repeats the client's question), and at
// neither reverse lookups (*.arpa) nor multicast DNS (port 5353, *.local).
class DnsTunnel final : public Detector {
  public:
    const DetectorInfo& info() const override { return kInfo; }

    Status configure(const config::DetectorConfig& c) override {
        if (c.dns_tunnel_query_len < 1) {
            return Status::error("dns_tunnel_query_len must be positive");
        }
        threshold_ = c.dns_tunnel_query_len;
        min_threshold_ = intel::scale_threshold(threshold_, intel::Tier::kCritical);
        improved_ = improved_rules(c.dns_tunnel_rules);
        if (improved_) {
            if (c.dns_tunnel_window <= 0 || c.dns_tunnel_info_bits < 1 ||
                c.dns_tunnel_name_bits < 1) {
                return Status::error(
                    "dns_tunnel_window, dns_tunnel_info_bits and dns_tunnel_name_bits must be "
                    "positive");
            }
            window_ = c.dns_tunnel_window;
            // Names are remembered for between half a window and a whole one.
            generation_ns_ = slot_width_ns(window_, 2);
            slot_ns_ = slot_width_ns(window_, RateWindow<uint32_t>::kSubIntervals);
            info_bits_ = c.dns_tunnel_info_bits;
            name_bits_ = c.dns_tunnel_name_bits;
            allowance_bits_ = c.dns_tunnel_name_allowance_bits;
            domains_.reset(c.dns_tunnel_max_domains);
            domains_.attach(state_);
        }
        return Status::ok();
    }

    void on_packet(const decode::Packet& p, Context& ctx) override {
        const decode::DnsInfo& dns = p.dns;
        const std::string_view name = dns.name();
        if (dns.is_response || name.empty() || p.src_port == 5353 || p.dst_port == 5353 ||
            ends_with_label(name, "arpa") || ends_with_label(name, "local")) {
            return;
        }
        char lower[decode::DnsInfo::kMaxName + 1];
        const size_t n = name.size();
        for (size_t i = 0; i < n; ++i) {
            lower[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[i])));
        }
        // Lookups ask for the registered domain: a tunnel's random subdomains are never in any
        // cache, the domain they hang off may be. The verdict is asked for the whole name, which
        // covers its parents: a zone listed below the registered domain (a tunnel delegated to
        // t.<domain>) applies as well as the registered domain itself.
        const std::string_view domain = intel::registered_domain({lower, n});
        ctx.warm_domain(domain);
        if (improved_) {
            on_query(p, {lower, n}, domain, ctx);
            return;
        }
        const size_t data_len = domain.size() < n ? n - domain.size() - 1 : 0;
        if (data_len < min_threshold_) {
            return;
        }
        const intel::Verdict v = ctx.reputation().domain({lower, n});
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

    void collect(CounterList& out) const override {
        uint64_t bytes = 0;
        uint64_t cap = 0;
        if (improved_) {
            collect_table("dns_tunnel.domains", domains_, out);
            bytes = domains_.memory_bytes();
            cap = domains_.memory_bytes_at_cap();
        }
        collect_bytes("dns_tunnel", bytes, cap, out);
    }

  private:
    static constexpr int kSeenWords = 16;  // 1024 bits per generation

    // Per registered domain: which names were seen (hashes in a bitmap for the current and the
    // previous half-window, so a name is new again after at most one window), and the weighted
    // bits, new names and data-type queries over the window.
    struct DomainState {
        uint64_t seen[2][kSeenWords] = {};
        int64_t generation = 0;
        RateWindow<uint32_t> bits;
        RateWindow<uint16_t> names;
        RateWindow<uint16_t> data_queries;
    };

    // Marks `hash` seen in the current generation; false when it was seen in either.
    static bool remember(DomainState& s, uint64_t hash) {
        const uint64_t bit = hash & (kSeenWords * 64 - 1);
        const uint64_t mask = 1ull << (bit & 63);
        uint64_t& word = s.seen[s.generation & 1][bit >> 6];
        if ((word & mask) != 0 || (s.seen[(s.generation + 1) & 1][bit >> 6] & mask) != 0) {
            return false;
        }
        word |= mask;
        return true;
    }

    static void advance_generation(DomainState& s, int64_t generation) {
        if (generation <= s.generation) {
            return;
        }
        if (generation - s.generation >= 2) {
            std::fill(&s.seen[0][0], &s.seen[0][0] + 2 * kSeenWords, 0);
        } else {
            std::fill(s.seen[generation & 1], s.seen[generation & 1] + kSeenWords, 0);
        }
        s.generation = generation;
    }

    void on_query(const decode::Packet& p, std::string_view lower, std::string_view domain,
                  Context& ctx) {
        // The part a tunnel controls: below the registered domain, or all of a name without one.
        std::string_view key = domain;
        std::string_view data;
        const bool has_domain = has_plausible_tld(lower);
        if (!has_domain) {
            key = kNoDomain;
            data = lower;
        } else if (domain.size() + 1 < lower.size()) {
            data = lower.substr(0, lower.size() - domain.size() - 1);
        }
        if (data.empty()) {
            return;  // a registered domain itself (htb.com, example.org) carries no data
        }
        const auto slot = domains_.find_or_insert(intel::hash_domain(key));
        DomainState& s = state_[slot.index];
        const int64_t generation = slot_of(p.ts, generation_ns_);
        if (slot.inserted) {
            s = DomainState{};
            s.generation = generation;
        }
        advance_generation(s, generation);
        if (!remember(s, intel::hash_domain(data) >> 7)) {
            return;  // a repeated name (a retry, a cache refresh) sends nothing new
        }
        const bool data_type = is_data_qtype(p.dns.qtype);
        const double weight = data_type ? 2 : 1;
        const double raw = information_bits(data);
        const double excess = raw > allowance_bits_ ? raw - allowance_bits_ : 0;
        const int64_t slot_index = slot_of(p.ts, slot_ns_);
        const uint32_t total = s.bits.add(slot_index, static_cast<uint32_t>(excess * weight));
        const uint32_t names = s.names.add(slot_index, 1);
        const uint32_t data_queries = s.data_queries.add(slot_index, data_type ? 1 : 0);
        const auto name_bits = static_cast<uint64_t>(raw * weight);
        if (total < intel::scale_threshold(info_bits_, intel::Tier::kCritical) &&
            name_bits < intel::scale_threshold(name_bits_, intel::Tier::kCritical)) {
            return;
        }
        // Without a registered domain there is nothing a reputation service could know.
        const intel::Verdict v = has_domain ? ctx.reputation().domain(lower) : intel::Verdict{};
        const bool one_name = name_bits >= intel::scale_threshold(name_bits_, v.tier);
        if (!one_name && total < intel::scale_threshold(info_bits_, v.tier)) {
            return;
        }
        if (has_domain) {
            ctx.reputation().request_domain(domain, intel::Priority::kDetector);
        }
        if (!ctx.claim(p.src_ip, 0, p.ts)) {
            return;
        }
        const std::string src = p.is_ip() ? p.src_ip.to_string() : std::string("?");
        const std::string_view name = p.dns.name();
        std::string message;
        if (one_name && (names == 1 || total < intel::scale_threshold(info_bits_, v.tier))) {
            message = fmt::format("{} sent ~{} bits in one {}-char name under {}", src, name_bits,
                                  name.size(), key);
            if (data_type) {
                message += fmt::format(" ({} query, counted twice)", data_qtype_name(p.dns.qtype));
            }
            message += fmt::format(": {}...", name.substr(0, 80));
        } else {
            message = fmt::format(
                "{} sent ~{} bits in {} new names under {} in {}s ({} TXT/NULL-type): {}...", src,
                total, names, key, window_text(window_), data_queries, name.substr(0, 60));
        }
        intel::append_suffix(message, v);
        ctx.emit(make_alert(p.ts, intel::adjust_severity(schema::Severity::kMedium, v.tier),
                            kInfo.category, std::move(message), src));
    }

    static constexpr std::string_view kNoDomain = "(no registered domain)";
    static constexpr DetectorInfo kInfo{"dns_tunnel", "DNS TUNNELLING", decode::kLayerDns};
    uint64_t threshold_ = 50;
    uint64_t min_threshold_ = 5;
    bool improved_ = false;
    double window_ = 3600;
    int64_t generation_ns_ = 1;
    int64_t slot_ns_ = 1;
    uint64_t info_bits_ = 1000;
    uint64_t name_bits_ = 300;
    double allowance_bits_ = 64;
    LruTable<uint64_t> domains_;
    std::vector<DomainState> state_;
};

}  // namespace

std::unique_ptr<Detector> create_dns_tunnel() { return std::make_unique<DnsTunnel>(); }

}  // namespace sentinel::detect
