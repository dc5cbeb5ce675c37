#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/ip_address.h"
#include "schema/alert.h"

namespace sentinel::intel {

// Reputation tiers of the original (seed-behavior.md §6), most severe last.
enum class Tier : uint8_t { kClean = 0, kLow = 1, kMedium = 2, kHigh = 3, kCritical = 4 };

std::string_view to_string(Tier t);  // "CLEAN", "LOW", "MEDIUM", "HIGH", "CRITICAL"

// What is known about one endpoint. `source` says where it came from ("VT" for VirusTotal, or a
// feed name) and is used in the alert message suffix.
struct Verdict {
    Tier tier = Tier::kClean;
    uint32_t malicious = 0;
    uint32_t suspicious = 0;
    int32_t reputation = 0;
    std::string_view source = "VT";
};

// max(1, ceil(base × multiplier)) with multipliers CRITICAL 0.10, HIGH 0.25, MEDIUM 0.50,
// LOW 0.75, CLEAN 1.00.
uint64_t scale_threshold(uint64_t base, Tier tier);
// CRITICAL forces CRITICAL, HIGH and MEDIUM raise one level, LOW and CLEAN leave it.
schema::Severity adjust_severity(schema::Severity base, Tier tier);
// Appends the original's suffix for a non-CLEAN verdict: two spaces, then
// "[VT:<TIER> — <m> malicious, <s> suspicious]" (zero parts omitted) or "rep=<reputation>" when
// both counts are zero. Nothing is appended for CLEAN.
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
    // Domain names are compared lower-case without a trailing dot.
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
