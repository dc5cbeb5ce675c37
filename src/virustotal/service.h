#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "config/config.h"
#include "intel/feeds.h"
#include "intel/local_reputation.h"
#include "intel/reputation.h"
#include "virustotal/cache.h"
#include "virustotal/transport.h"
#include "virustotal/worker.h"

namespace sentinel::virustotal {

// A snapshot for the agent heartbeat and console stats.
struct ReputationStats {
    bool lookups_enabled = false;  // a VirusTotal key is configured and has not been rejected
    bool disabled = false;         // the key was rejected (HTTP 401)
    uint64_t requests = 0;         // HTTP requests sent to VirusTotal
    uint64_t hits = 0;             // 200 answers
    uint64_t not_found = 0;        // 404 answers (cached as clean)
    uint64_t errors = 0;
    uint64_t rate_limited = 0;  // 429 answers
    uint64_t cache_hits = 0;    // answered from the persistent cache
    uint32_t quota_left = 0;    // requests left today
    uint64_t cache_size = 0;    // verdicts held in memory
    uint64_t evictions = 0;     // verdicts evicted from memory (LRU)
    uint64_t queue_drops = 0;   // lookups dropped because a queue was full
    uint64_t queued = 0;
    uint64_t feed_entries = 0;
    uint64_t feed_reloads = 0;
    uint64_t feed_bad_lines = 0;  // in the last load of every feed
};

// What resolve() achieved.
struct ResolveReport {
    uint64_t wanted = 0;         // distinct endpoints the first pass asked about
    uint64_t cached = 0;         // answered by the persistent cache
    uint64_t looked_up = 0;      // answered by VirusTotal now
    uint64_t unresolved = 0;     // no answer: treated as CLEAN
    std::string why_unresolved;  // "time limit", "daily quota", "API key rejected", "errors"
};

// Knobs that are not in the config file (tests, embedding).
struct ServiceOptions {
    std::string ca_file;           // CA bundle for the VirusTotal connection; empty: system store
    const Clock* clock = nullptr;  // worker clock; null: the system clock
    std::function<int64_t()> packet_clock;  // monotonic ms read by poll(); null: steady clock
    int64_t feed_poll_ms = 5'000;           // how often feed files are checked for changes
    int64_t idle_ms = 50;                   // worker wake-up interval when idle
    size_t ip_capacity = 65'536;
    size_t domain_capacity = 8'192;
    size_t ring_capacity = 4'096;
    size_t queue_capacity = 1'000;
};

// Reputation for the agent: VirusTotal lookups (when a key is configured) plus offline feeds.
// The ReputationView methods belong to the packet thread and never block; start() launches one
// background thread that owns the HTTP client, the persistent cache, the lookup queue and feed
// reloading.
class ReputationService final : public intel::ReputationView {
  public:
    ~ReputationService() override;

    intel::Verdict ip(const IpAddress& address) const override { return local_.ip(address); }
    intel::Verdict domain(std::string_view name) const override { return local_.domain(name); }
    void request(const IpAddress& address, intel::Priority priority) override {
        local_.request(address, priority);
    }
    void request_domain(std::string_view name, intel::Priority priority) override {
        local_.request_domain(name, priority);
    }
    void poll() override { local_.poll(); }

    // Makes what is known locally apply from the first packet: loads the feeds and the unexpired
    // answers of the persistent VirusTotal cache into the packet-side tables. Call on the packet
    // thread before the first packet and before start(); without it the feeds arrive with the
    // background thread's first round and cached answers with each endpoint's first lookup.
    Status prepare();
    // Resolves `wanted` (the lookups a first pass over a capture file asked for) before the
    // detection pass: cached answers at once, the rest through VirusTotal within the rate limit
    // and the daily quota, for at most `max_seconds`. Blocks; call on the packet thread after
    // prepare() and before start(). Endpoints left unresolved stay CLEAN and are counted.
    ResolveReport resolve(const std::vector<intel::LookupRequest>& wanted, double max_seconds);
    // No lookups from now on (a replayed file whose endpoints were resolved beforehand): the
    // verdicts already known stay.
    void freeze() { local_.disable_lookups(); }
    // Starts the background thread (it loads the feeds at once unless prepare() did). Call once.
    Status start();
    // Stops and joins the background thread, cancelling a request in flight. Idempotent.
    void stop();
    // Any thread.
    ReputationStats stats() const;

  private:
    friend Result<std::unique_ptr<ReputationService>> make_reputation(const config::Config&,
                                                                      const std::string&,
                                                                      const ServiceOptions&);
    ReputationService(intel::LocalOptions local, ServiceOptions options,
                      std::vector<intel::FeedSpec> feeds);

    void run();
    void reload_feeds();
    // Hands finished results to the packet side and absorbs them (packet thread, before start).
    void absorb_now();
    void deliver(std::vector<Outcome>& outcomes);

    ServiceOptions options_;
    intel::LocalReputation local_;
    intel::FeedSet feeds_;
    SystemClock system_clock_;
    std::unique_ptr<Cache> cache_;
    std::unique_ptr<Transport> transport_;
    std::unique_ptr<Worker> worker_;
    std::deque<intel::LookupResult> backlog_;  // results waiting for room in the ring

    std::atomic<uint64_t> feed_reloads_{0};
    std::atomic<uint64_t> feed_bad_lines_{0};
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::condition_variable wake_;
    std::thread thread_;
};

// Builds the service from the agent config. The VirusTotal key is VIRUSTOTAL_API_KEY from the
// environment when set, else config.virustotal_api_key; without one only the feeds work. The
// persistent cache lives in <state_dir>/<Cache::file_name()> (reputation.sqlite3 on Linux,
// reputation.cache on Windows). Fails on an invalid feed tier or an
// unusable state directory.
Result<std::unique_ptr<ReputationService>> make_reputation(const config::Config& config,
                                                           const std::string& state_dir,
                                                           const ServiceOptions& options = {});

}  // namespace sentinel::virustotal
