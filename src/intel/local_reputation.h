#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "common/ip_address.h"
#include "intel/domain.h"
#include "intel/feeds.h"
#include "intel/lru_map.h"
#include "intel/reputation.h"
#include "intel/spsc_ring.h"

namespace sentinel::intel {

enum class LookupKind : uint8_t { kIp, kDomain };

// Packet thread → lookup worker. Plain data so it can travel through an SpscRing.
struct LookupRequest {
    LookupKind kind = LookupKind::kIp;
    Priority priority = Priority::kWarm;
    IpAddress ip;
    DomainName domain;  // the registered domain for kDomain
};

// Lookup worker → packet thread.
struct LookupResult {
    LookupKind kind = LookupKind::kIp;
    IpAddress ip;
    DomainName domain;
    bool found = false;  // false: the lookup did not complete; ask again after retry_seconds
    uint32_t malicious = 0;
    uint32_t suspicious = 0;
    int32_t reputation = 0;
    uint32_t ttl_seconds = 0;
    uint32_t retry_seconds = 0;
};

struct LocalOptions {
    size_t ip_capacity = 65'536;     // remembered addresses (LRU beyond that)
    size_t domain_capacity = 8'192;  // remembered registered domains
    size_t ring_capacity = 4'096;    // each direction
    bool lookups = true;             // false: request() does nothing (no VirusTotal key)
    // Monotonic milliseconds; read once per poll(). Defaults to std::chrono::steady_clock.
    std::function<int64_t()> clock;
};

// Counters readable from any thread (relaxed; each has a single writer).
struct LocalCounters {
    std::atomic<uint64_t> requests_sent{0};  // handed to the worker
    std::atomic<uint64_t> ring_drops{0};     // lost because the request ring was full
    std::atomic<uint64_t> evictions{0};
    std::atomic<uint64_t> cached{0};  // addresses + domains remembered
    std::atomic<uint64_t> results{0};
    std::atomic<uint64_t> feed_swaps{0};
    std::atomic<uint64_t> feed_entries{0};
};

// The packet-thread half of reputation: remembers verdicts in bounded maps, merges them with
// the offline feeds, and exchanges work with a background worker through two SPSC rings.
// ReputationView methods belong to the packet thread; the "worker side" methods to exactly one
// background thread; publish_feeds/disable_lookups/counters to any thread.
class LocalReputation final : public ReputationView {
  public:
    explicit LocalReputation(LocalOptions options);
    ~LocalReputation() override;
    LocalReputation(const LocalReputation&) = delete;
    LocalReputation& operator=(const LocalReputation&) = delete;

    // Packet thread.
    Verdict ip(const IpAddress& address) const override;
    Verdict domain(std::string_view name) const override;
    void request(const IpAddress& address, Priority priority) override;
    void request_domain(std::string_view name, Priority priority) override;
    // Absorbs finished lookups and picks up a newly published feed index.
    void poll() override;

    // Worker side.
    bool take_request(LookupRequest& out) { return requests_.pop(out); }
    bool give_result(const LookupResult& result) { return results_.push(result); }
    // Frees feed indices the packet thread has stopped using.
    void collect_retired();

    // Any thread.
    void publish_feeds(std::unique_ptr<FeedIndex> index);
    // Stops new requests (the API key was rejected); verdicts already known stay.
    void disable_lookups() { lookups_.store(false, std::memory_order_relaxed); }
    bool lookups_enabled() const { return lookups_.load(std::memory_order_relaxed); }
    const LocalCounters& counters() const { return counters_; }

  private:
    struct Entry {
        bool known = false;
        bool pending = false;
        Tier tier = Tier::kClean;
        uint32_t malicious = 0;
        uint32_t suspicious = 0;
        int32_t reputation = 0;
        int64_t expires_ms = 0;
        int64_t retry_ms = 0;
    };

    // Whether a lookup should be sent for this entry now; marks it pending when sent.
    bool wants_lookup(Entry& entry) const;
    void submit(Entry& entry, const LookupRequest& request);
    static Verdict to_verdict(const Entry& entry);
    static void bump(std::atomic<uint64_t>& counter, uint64_t by = 1) {
        counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
    }

    LocalOptions options_;
    std::atomic<bool> lookups_;
    int64_t now_ms_ = 0;
    LruMap<IpAddress, Entry, IpAddressHash> ips_;
    LruMap<DomainName, Entry, DomainNameHash> domains_;
    SpscRing<LookupRequest> requests_;
    SpscRing<LookupResult> results_;
    const FeedIndex* feeds_ = nullptr;  // owned; packet thread only
    std::atomic<FeedIndex*> incoming_{nullptr};
    SpscRing<const FeedIndex*> retired_{8};
    LocalCounters counters_;
};

}  // namespace sentinel::intel
