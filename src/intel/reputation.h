#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/ip_address.h"
#include "schema/alert.h"

namespace sentinel::intel {

// Reputation tiers of the original (docs/reputation.md), most severe last.
enum class Tier : uint8_t { kClean = 0, kLow = 1, kMedium = 2, kHigh = 3, kCritical = 4 };

std::string_view to_string(Tier t);  // "CLEAN", "LOW", "MEDIUM", "HIGH", "CRITICAL"
// Case-insensitive inverse of to_string; nullopt for anything else.
std::optional<Tier> parse_tier(std::string_view text);

// The original's tier rule, checked in order: CRITICAL malicious >= 9, HIGH >= 3, MEDIUM >= 1 or
// suspicious >= 5, LOW reputation < -10, else CLEAN.
Tier tier_for(uint32_t malicious, uint32_t suspicious, int32_t reputation);

// What is known about one endpoint. `source` says where it came from ("VT" for VirusTotal, or a
// feed name) and is used in the alert message suffix.
struct Verdict {
    Tier tier = Tier::kClean;
    uint32_t malicious = 0;
    uint32_t suspicious = 0;
    int32_t reputation = 0;
    std::string_view source = "VT";
    // When non-empty, replaces the counts in the message suffix (a feed names its file here:
    // "[FEED:HIGH — feodo.csv]"). Points at storage that lives as long as the view.
    std::string_view detail = {};
};

// The more severe of two verdicts; on a tie the first one.
inline const Verdict& more_severe(const Verdict& a, const Verdict& b) {
    return b.tier > a.tier ? b : a;
}

// max(1, ceil(base × multiplier)) with multipliers CRITICAL 0.10, HIGH 0.25, MEDIUM 0.50,
// LOW 0.75, CLEAN 1.00.
uint64_t scale_threshold(uint64_t base, Tier tier);
// CRITICAL forces CRITICAL, HIGH and MEDIUM raise one level, LOW and CLEAN leave it.
schema::Severity adjust_severity(schema::Severity base, Tier tier);
// Appends the original's suffix for a non-CLEAN verdict: two spaces, then
// "[VT:<TIER> — <m> malicious, <s> suspicious]" (zero parts omitted) or "rep=<reputation>" when
// both counts are zero; a non-empty verdict.detail replaces the counts. Nothing is appended for
// CLEAN.
void append_suffix(std::string& message, const Verdict& verdict);

// Why a lookup is wanted: an endpoint that a detector is counting right now goes before passive
// cache warming, because a few lookups a minute cannot cover every address seen.
enum class Priority : uint8_t { kWarm = 0, kDetector = 1 };

// The packet path's view of reputation. Called from the packet thread only: implementations
// must not block, lock, allocate per call or do I/O here. Lookups happen elsewhere (a background
// worker) and results reach this view asynchronously; until then an endpoint is CLEAN.
class ReputationView {
  public:
    virtual ~ReputationView() = default;

    virtual Verdict ip(const IpAddress& address) const = 0;
    // Domain names are compared lower-case without a trailing dot. A verdict for a domain covers
    // its subdomains, so callers ask with the whole name they saw.
    virtual Verdict domain(std::string_view name) const = 0;

    // Asks for a lookup of an external address; internal addresses are ignored. Never blocks;
    // a full queue drops the request (counted by the implementation).
    virtual void request(const IpAddress& address, Priority priority) = 0;
    // Asks for a lookup of a queried domain; .local, .arpa, .internal, .lan and single-label
    // names are ignored.
    virtual void request_domain(std::string_view name, Priority priority) = 0;

    // Called by the packet thread between batches: the place to absorb finished lookups.
    virtual void poll() {}
};

// Every endpoint CLEAN; used when reputation is disabled and in tests.
class NullReputation final : public ReputationView {
  public:
    Verdict ip(const IpAddress&) const override { return {}; }
    Verdict domain(std::string_view) const override { return {}; }
    void request(const IpAddress&, Priority) override {}
    void request_domain(std::string_view, Priority) override {}
};

}  // namespace sentinel::intel
