// Reputation under every detector and both rule sets (docs/reputation.md): each rule fires at
// exactly its own threshold scaled by the endpoint's tier and not one event earlier, with the
// severity adjusted and the suffix appended; the tiers come from a test view, from an offline
// feed index (so the feed suffix is checked too), or from VirusTotal answers handed to the packet
// side as the lookup worker hands them over.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "detect/engine.h"
#include "intel/domain.h"
#include "intel/feeds.h"
#include "intel/local_reputation.h"
#include "test_support.h"

namespace sentinel::detect::testing {
namespace {

using decode::tcp_flags::kAck;
using decode::tcp_flags::kFin;
using decode::tcp_flags::kRst;
using decode::tcp_flags::kSyn;
using intel::Tier;
using schema::Severity;

// Hands packets to the engine under test.
class Feeder {
  public:
    explicit Feeder(Engine& engine) : engine_(engine) {}
    void operator()(const decode::Packet& p) const { engine_.on_packet(p); }

  private:
    Engine& engine_;
};

// One detector under one rule set. An event is what the rule counts (a probe, a SYN, a short
// session, a packet of bytes, ...); `event(feed, k)` feeds the k-th one (k from 1).
struct Scenario {
    std::string name;      // "<detector>_<rules>[_<variant>]"
    std::string detector;  // folder name
    std::string rules;     // the value of every *_rules key
    std::string endpoint;  // whose reputation applies: an address, or a domain
    bool endpoint_is_domain = false;
    // Addresses whose reputation must not matter: flagged HIGH in every run, so a rule that
    // consults one of them fires at the wrong count.
    std::vector<std::string> decoys;
    Severity base = Severity::kHigh;
    uint64_t threshold = 0;  // events at CLEAN; 0: no threshold (fires on the first event)
    bool adjusted = true;    // false: reputation never applies (ARP)
    std::string src;         // the alert's src
    void (*configure)(config::DetectorConfig&) = nullptr;
    void (*setup)(const Feeder&) = nullptr;
    void (*event)(const Feeder&, uint64_t k) = nullptr;
};

double at_event(uint64_t k) { return 100 + static_cast<double>(k) * 0.01; }
uint16_t port_for(uint64_t k) { return static_cast<uint16_t>(1000 + k); }
uint16_t sport_for(uint64_t k) { return static_cast<uint16_t>(40000 + k); }

constexpr const char* kAttacker = "203.0.113.7";
constexpr const char* kVictim = "10.0.0.20";
constexpr const char* kInsider = "10.0.0.5";
constexpr const char* kDrop = "198.51.100.77";
constexpr const char* kTunnelDomain = "evil-tunnel.com";
// A delegated tunnel zone (iodine's "t.<domain>" setup) listed on its own.
constexpr const char* kTunnelZone = "t.evil-tunnel.com";

// Destinations 10.0.1.1 ... 10.0.1.60, one per event.
std::string spread_destination(uint64_t k) { return "10.0.1." + std::to_string(k); }
std::vector<std::string> spread_destinations() {
    std::vector<std::string> out;
    for (uint64_t k = 1; k <= 60; ++k) {
        out.push_back(spread_destination(k));
    }
    return out;
}

// The improved DNS rule's estimate gives exactly 8 bits to a data part of four distinct letters.
// Below kTunnelDomain a label is three letters plus 'z'; below kTunnelZone ("t.<domain>") it is
// three letters other than 't', the data part then being "<label>.t". The rule keeps the names
// it has seen in a 1024-bit filter; data parts sharing a bit there would count once, so the test
// takes labels that do not.
const std::vector<std::string>& tunnel_labels(bool zone) {
    static const auto make = [](bool below_zone) {
        std::vector<std::string> out;
        std::vector<bool> used(1024);
        for (char a = 'a'; a < 'z'; ++a) {
            for (char b = static_cast<char>(a + 1); b < 'z'; ++b) {
                for (char c = static_cast<char>(b + 1); c < 'z'; ++c) {
                    if (below_zone && (a == 't' || b == 't' || c == 't')) {
                        continue;
                    }
                    const std::string label =
                        below_zone ? std::string{a, b, c} : std::string{a, b, c, 'z'};
                    const std::string data = below_zone ? label + ".t" : label;
                    const uint64_t bit = (intel::hash_domain(data) >> 7) & 1023;
                    if (!used[bit]) {
                        used[bit] = true;
                        out.push_back(label);
                    }
                }
            }
        }
        return out;
    };
    static const std::vector<std::string> below_domain = make(false);
    static const std::vector<std::string> below_zone = make(true);
    return zone ? below_zone : below_domain;
}

// A short login session to SSH: accepted, then closed by the server after one second.
void short_session(const Feeder& feed, uint64_t k) {
    const double t = 100 + static_cast<double>(k) * 2;
    const uint16_t sport = sport_for(k);
    feed(tcp(t, kAttacker, sport, kVictim, 22, kSyn));
    feed(tcp(t + 0.001, kVictim, 22, kAttacker, sport, kSyn | kAck));
    feed(tcp(t + 0.002, kAttacker, sport, kVictim, 22, kAck));
    feed(tcp(t + 1, kVictim, 22, kAttacker, sport, kFin | kAck));
    feed(tcp(t + 1.001, kAttacker, sport, kVictim, 22, kFin | kAck));
}

std::vector<Scenario> make_scenarios() {
    std::vector<Scenario> out;
    for (const std::string rules : {"original", "improved"}) {
        const bool improved = rules == "improved";

        Scenario s;
        s.name = "port_scan_" + rules;
        s.detector = "port_scan";
        s.rules = rules;
        s.endpoint = kAttacker;
        s.decoys = {kVictim};
        s.base = Severity::kHigh;
        s.threshold = 15;
        s.src = kAttacker;
        // Original: a new destination port; improved: a failed first contact (refused).
        if (improved) {
            s.event = [](const Feeder& feed, uint64_t k) {
                feed(tcp(at_event(k), kAttacker, 40000, kVictim, port_for(k), kSyn));
                feed(tcp(at_event(k) + 0.001, kVictim, port_for(k), kAttacker, 40000, kRst | kAck));
            };
        } else {
            s.event = [](const Feeder& feed, uint64_t k) {
                feed(syn(at_event(k), kAttacker, kVictim, port_for(k)));
            };
        }
        out.push_back(s);

        s = {};
        s.name = "syn_flood_" + rules;
        s.detector = "syn_flood";
        s.rules = rules;
        s.endpoint = kAttacker;
        s.decoys = spread_destinations();
        s.base = Severity::kCritical;
        s.threshold = 30;
        s.src = kAttacker;
        s.configure = [](config::DetectorConfig& c) { c.syn_flood_threshold = 30; };
        // Original: a SYN; improved: a handshake left half-open. One destination per event, so
        // the improved rule's per-destination view (no reputation: its sources may be spoofed)
        // stays out of the way.
        s.event = [](const Feeder& feed, uint64_t k) {
            feed(syn(at_event(k), kAttacker, spread_destination(k).c_str(), 80, sport_for(k)));
        };
        out.push_back(s);

        s = {};
        s.name = "icmp_flood_" + rules;
        s.detector = "icmp_flood";
        s.rules = rules;
        s.endpoint = kAttacker;
        s.decoys = {kVictim};
        s.base = Severity::kHigh;
        s.threshold = 30;
        s.src = kAttacker;
        s.configure = [](config::DetectorConfig& c) { c.icmp_flood_threshold = 30; };
        s.event = [](const Feeder& feed, uint64_t k) {
            feed(icmp(at_event(k), kAttacker, kVictim, 8));
        };
        out.push_back(s);

        // SUSPICIOUS PORT looks up the far end: the service when the client is internal...
        s = {};
        s.name = "suspicious_port_" + rules + "_outbound";
        s.detector = "suspicious_port";
        s.rules = rules;
        s.endpoint = kDrop;
        s.decoys = {kInsider};
        s.base = Severity::kMedium;
        s.src = std::string(kInsider) + ":4444";
        s.event = [](const Feeder& feed, uint64_t k) {
            feed(tcp(at_event(k), kInsider, 50000, kDrop, 4444, kSyn));
            feed(tcp(at_event(k) + 0.001, kDrop, 4444, kInsider, 50000, kSyn | kAck));
        };
        out.push_back(s);

        // ...and the client otherwise.
        s = {};
        s.name = "suspicious_port_" + rules + "_inbound";
        s.detector = "suspicious_port";
        s.rules = rules;
        s.endpoint = kAttacker;
        s.decoys = {kVictim};
        s.base = Severity::kMedium;
        s.src = std::string(kAttacker) + ":4444";
        s.event = [](const Feeder& feed, uint64_t k) {
            feed(tcp(at_event(k), kAttacker, 50000, kVictim, 4444, kSyn));
            feed(tcp(at_event(k) + 0.001, kVictim, 4444, kAttacker, 50000, kSyn | kAck));
        };
        out.push_back(s);

        s = {};
        s.name = "arp_spoof_" + rules;
        s.detector = "arp_spoof";
        s.rules = rules;
        s.endpoint = "192.168.1.50";
        s.base = Severity::kCritical;
        s.adjusted = false;
        s.src = "192.168.1.50";
        s.setup = [](const Feeder& feed) { feed(arp(10, 2, "192.168.1.50", mac(1))); };
        s.event = [](const Feeder& feed, uint64_t k) {
            feed(arp(at_event(k), 2, "192.168.1.50", mac(static_cast<uint8_t>(1 + k))));
        };
        out.push_back(s);

        // DNS TUNNELLING: the queried name's reputation, which covers its parent domains, so a
        // listing of the registered domain and one of a zone below it both apply.
        for (const bool zone : {false, true}) {
            s = {};
            s.name = "dns_tunnel_" + rules + (zone ? "_listed_zone" : "");
            s.detector = "dns_tunnel";
            s.rules = rules;
            s.endpoint = zone ? kTunnelZone : kTunnelDomain;
            s.endpoint_is_domain = true;
            s.decoys = {kInsider, "10.0.0.53"};
            s.base = Severity::kMedium;
            s.src = kInsider;
            if (improved) {
                // Each new name adds 8 bits (no allowance): the threshold is 30 names' worth.
                s.threshold = 30;
                s.configure = [](config::DetectorConfig& c) {
                    c.dns_tunnel_name_allowance_bits = 0;
                    c.dns_tunnel_info_bits = 240;
                };
                s.event = zone ? +[](const Feeder& feed, uint64_t k) {
                    feed(dns_query(at_event(k), kInsider,
                                   tunnel_labels(true).at(k - 1) + "." + kTunnelZone));
                } : +[](const Feeder& feed, uint64_t k) {
                    feed(dns_query(at_event(k), kInsider,
                                   tunnel_labels(false).at(k - 1) + "." + kTunnelDomain));
                };
            } else {
                // The original rule measures one name: the k-th query carries k characters
                // below the registered domain (below the zone, "t." counts too; the first two
                // queries carry three, below every tier's threshold).
                s.threshold = 50;
                s.event = zone ? +[](const Feeder& feed, uint64_t k) {
                    feed(dns_query(at_event(k), kInsider,
                                   std::string(k < 3 ? 1 : k - 2, 'x') + "." + kTunnelZone));
                } : +[](const Feeder& feed, uint64_t k) {
                    feed(dns_query(at_event(k), kInsider,
                                   std::string(k, 'x') + "." + kTunnelDomain));
                };
            }
            out.push_back(s);
        }

        // DATA EXFILTRATION: the destination's reputation; an event is a 1000-byte packet.
        s = {};
        s.name = "exfiltration_" + rules;
        s.detector = "exfiltration";
        s.rules = rules;
        s.endpoint = kDrop;
        s.decoys = {kInsider};
        s.base = Severity::kHigh;
        s.threshold = 30;
        s.src = kInsider;
        s.configure = [](config::DetectorConfig& c) { c.exfil_bytes_threshold = 30'000; };
        s.event = [](const Feeder& feed, uint64_t k) {
            feed(ip_packet(at_event(k), kInsider, kDrop, 1000));
        };
        out.push_back(s);
        if (improved) {
            // Once the host's usual volume is learnt, the learnt threshold is the one scaled.
            s.name = "exfiltration_improved_learnt";
            s.configure = [](config::DetectorConfig& c) {
                c.exfil_window = 30;
                c.exfil_bytes_threshold = 50'000;  // warm-up only
                c.exfil_warmup_windows = 1;
                c.exfil_min_bytes = 30'000;
                c.exfil_baseline_factor = 4;
            };
            // One active window, long before the events: its 1000 bytes are the usual volume
            // (learnt once a later window starts; the events come three windows later).
            s.setup = [](const Feeder& feed) { feed(ip_packet(1, kInsider, kDrop, 1000)); };
            out.push_back(s);
        }

        s = {};
        s.name = "brute_force_" + rules;
        s.detector = "brute_force";
        s.rules = rules;
        s.endpoint = kAttacker;
        s.decoys = {kVictim};
        s.base = Severity::kHigh;
        s.src = kAttacker;
        if (improved) {
            s.threshold = 10;
            s.configure = [](config::DetectorConfig& c) { c.bruteforce_short_sessions = 10; };
            s.event = short_session;
        } else {
            s.threshold = 30;
            s.event = [](const Feeder& feed, uint64_t k) {
                feed(syn(at_event(k), kAttacker, kVictim, 22, sport_for(k)));
            };
        }
        out.push_back(s);
    }
    return out;
}

const std::vector<Scenario>& scenarios() {
    static const std::vector<Scenario> all = make_scenarios();
    return all;
}

// What a test view knows about a flagged endpoint, per tier.
intel::Verdict vt_verdict(Tier tier) {
    intel::Verdict v;
    v.tier = tier;
    switch (tier) {
        case Tier::kCritical:
            v.malicious = 12;
            break;
        case Tier::kHigh:
            v.malicious = 4;
            v.suspicious = 1;
            break;
        case Tier::kMedium:
            v.malicious = 1;
            break;
        case Tier::kLow:
            v.reputation = -25;
            break;
        case Tier::kClean:
            break;
    }
    return v;
}

// Feed file names: they live as long as the program, as FeedIndexBuilder requires.
std::string_view feed_name(Tier tier) {
    switch (tier) {
        case Tier::kCritical:
            return "matrix-critical.txt";
        case Tier::kHigh:
            return "matrix-high.txt";
        case Tier::kMedium:
            return "matrix-medium.txt";
        case Tier::kLow:
        case Tier::kClean:
            return "matrix-low.txt";
    }
    return "matrix.txt";
}
constexpr std::string_view kDecoyFeed = "decoys.txt";

// Where the verdict comes from: a test view, an offline feed index, or VirusTotal answers handed
// to the packet side the way the lookup worker delivers them (LocalReputation's result ring).
enum class Source { kView, kFeed, kLookup };

using Param = std::tuple<size_t, Tier, Source>;

class ReputationMatrix : public ::testing::TestWithParam<Param> {};

TEST_P(ReputationMatrix, FiresAtExactlyTheScaledThreshold) {
    const auto [index, tier, source] = GetParam();
    const Scenario& s = scenarios()[index];

    config::DetectorConfig c;
    c.port_scan_rules = c.syn_flood_rules = c.bruteforce_rules = c.arp_spoof_rules =
        c.dns_tunnel_rules = c.exfil_rules = s.rules;
    if (s.configure != nullptr) {
        s.configure(c);
    }

    // The verdict the endpoint should get, and the suffix it gives.
    intel::Verdict expected;
    FakeReputation view;
    intel::LocalOptions options;
    options.lookups = false;
    intel::LocalReputation local(options);
    if (source == Source::kView) {
        expected = vt_verdict(tier);
        if (tier != Tier::kClean) {
            if (s.endpoint_is_domain) {
                view.domains[s.endpoint] = expected;
            } else {
                view.ips[ip(s.endpoint.c_str())] = expected;
            }
        }
        for (const auto& d : s.decoys) {
            view.ips[ip(d.c_str())] = vt_verdict(Tier::kHigh);
        }
    } else if (source == Source::kLookup) {
        expected = vt_verdict(tier);
        const auto answer = [&local](const std::string& endpoint, const intel::Verdict& v,
                                     bool domain) {
            intel::LookupResult r;
            r.found = true;
            r.malicious = v.malicious;
            r.suspicious = v.suspicious;
            r.reputation = v.reputation;
            r.ttl_seconds = 3600;
            if (domain) {
                // VirusTotal is asked about the registered domain of a queried name.
                r.kind = intel::LookupKind::kDomain;
                intel::DomainName normalized;
                ASSERT_TRUE(intel::normalize_domain(endpoint, normalized));
                ASSERT_TRUE(
                    intel::normalize_domain(intel::registered_domain(normalized.view()), r.domain));
            } else {
                r.kind = intel::LookupKind::kIp;
                r.ip = ip(endpoint.c_str());
            }
            ASSERT_TRUE(local.give_result(r));
        };
        if (tier != Tier::kClean) {
            answer(s.endpoint, expected, s.endpoint_is_domain);
        }
        for (const auto& d : s.decoys) {
            answer(d, vt_verdict(Tier::kHigh), false);
        }
    } else {
        const Tier feed_tier = tier == Tier::kClean ? Tier::kLow : tier;
        intel::FeedIndexBuilder builder({feed_name(tier), kDecoyFeed}, {feed_tier, Tier::kHigh});
        if (tier != Tier::kClean) {
            const auto report = builder.add_text(0, "# flagged endpoint\n" + s.endpoint + "\n");
            ASSERT_EQ(report.entries, 1u);
            expected.tier = tier;
            expected.source = "FEED";
            expected.detail = feed_name(tier);
        }
        std::string decoys;
        for (const auto& d : s.decoys) {
            decoys += d + "\n";
        }
        ASSERT_EQ(builder.add_text(1, decoys).entries, s.decoys.size());
        local.publish_feeds(builder.build());
    }
    std::string suffix;
    intel::append_suffix(suffix, expected);
    if (source == Source::kFeed && tier != Tier::kClean) {
        ASSERT_EQ(suffix, "  [FEED:" + std::string(intel::to_string(tier)) + " \u2014 " +
                              std::string(feed_name(tier)) + "]");
    }

    CollectingSink sink;
    Engine engine(source == Source::kView ? static_cast<intel::ReputationView&>(view) : local,
                  sink);
    ASSERT_TRUE(engine.configure(c, builtin_registry(), {s.detector}).is_ok());
    engine.between_batches();  // the feed index and the answers are in use before the first packet
    const Feeder feed(engine);
    if (s.setup != nullptr) {
        s.setup(feed);
    }
    ASSERT_TRUE(sink.alerts.empty()) << sink.alerts.front().message;

    const uint64_t fire_at =
        s.threshold == 0 ? 1
                         : (s.adjusted ? intel::scale_threshold(s.threshold, tier) : s.threshold);
    for (uint64_t k = 1; k < fire_at; ++k) {
        s.event(feed, k);
        ASSERT_TRUE(sink.alerts.empty()) << "fired after " << k << " of " << fire_at
                                         << " events: " << sink.alerts.front().message;
    }
    s.event(feed, fire_at);
    ASSERT_EQ(sink.alerts.size(), 1u) << "no alert at " << fire_at << " events";

    const schema::Alert& a = sink.alerts.front();
    EXPECT_EQ(a.src, s.src);
    EXPECT_EQ(a.level, s.adjusted ? intel::adjust_severity(s.base, tier) : s.base);
    if (s.adjusted && tier != Tier::kClean) {
        EXPECT_TRUE(a.message.ends_with(suffix)) << a.message << "\nwanted suffix: " << suffix;
        EXPECT_EQ(a.message.find(suffix), a.message.size() - suffix.size()) << a.message;
    } else {
        EXPECT_EQ(a.message.find("  [VT:"), std::string::npos) << a.message;
        EXPECT_EQ(a.message.find("  [FEED:"), std::string::npos) << a.message;
    }
}

std::string param_name(const ::testing::TestParamInfo<Param>& info) {
    const auto [index, tier, source] = info.param;
    return scenarios()[index].name + "_" + std::string(intel::to_string(tier)) +
           (source == Source::kView   ? "_view"
            : source == Source::kFeed ? "_feed"
                                      : "_lookup");
}

INSTANTIATE_TEST_SUITE_P(
    AllDetectors, ReputationMatrix,
    ::testing::Combine(::testing::Range<size_t>(0, scenarios().size()),
                       ::testing::Values(Tier::kCritical, Tier::kHigh, Tier::kMedium, Tier::kLow,
                                         Tier::kClean),
                       ::testing::Values(Source::kView, Source::kFeed, Source::kLookup)),
    param_name);

// The matrix covers every built-in detector under both rule sets.
TEST(ReputationMatrixCoverage, EveryDetectorUnderBothRuleSets) {
    for (const auto& entry : builtin_registry().entries()) {
        for (const std::string rules : {"original", "improved"}) {
            bool found = false;
            for (const auto& s : scenarios()) {
                found = found || (s.detector == entry.name && s.rules == rules);
            }
            EXPECT_TRUE(found) << entry.name << " under " << rules << " rules";
        }
    }
}

}  // namespace
}  // namespace sentinel::detect::testing
