#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "intel/local_reputation.h"
#include "intel/reputation.h"
#include "virustotal/cache.h"
#include "virustotal/transport.h"

namespace sentinel::virustotal {

// Wall-clock milliseconds since the epoch. Injected so tests can step time.
class Clock {
  public:
    virtual ~Clock() = default;
    virtual int64_t now_ms() const = 0;
};

class SystemClock final : public Clock {
  public:
    int64_t now_ms() const override;
};

struct WorkerOptions {
    uint32_t requests_per_minute = 4;  // at most this many request starts in any 60 s
    uint32_t daily_quota = 500;        // requests per UTC day
    uint32_t clean_ttl = 3600;         // seconds an answer with < 3 malicious is kept
    uint32_t malicious_ttl = 300;      // seconds an answer with >= 3 malicious is kept
    size_t queue_capacity = 1'000;
    uint32_t max_attempts = 3;          // per lookup, for network errors and 5xx
    uint32_t default_retry_after = 60;  // seconds, for a 429 without Retry-After
    uint32_t error_backoff = 5;         // seconds, doubled per failed attempt
    uint32_t failure_retry = 300;       // seconds before the packet side may ask again
    uint64_t cache_max_rows = 100'000;
};

// One lookup: an external IP address or a registered domain.
struct Lookup {
    intel::LookupKind kind = intel::LookupKind::kIp;
    std::string indicator;
};

// A finished lookup. found = false means it did not complete (retry_seconds says when the
// packet side may ask again).
struct Outcome {
    Lookup lookup;
    bool found = false;
    Report report;
    uint32_t ttl_seconds = 0;
    uint32_t retry_seconds = 0;
};

// Readable from any thread.
struct WorkerCounters {
    std::atomic<uint64_t> requests{0};      // HTTP requests issued
    std::atomic<uint64_t> hits{0};          // 200 answers
    std::atomic<uint64_t> not_found{0};     // 404 answers (cached as clean)
    std::atomic<uint64_t> errors{0};        // network errors, 5xx, other answers, bad JSON
    std::atomic<uint64_t> rate_limited{0};  // 429 answers
    std::atomic<uint64_t> cache_hits{0};    // answered from the persistent cache
    std::atomic<uint64_t> queue_drops{0};
    std::atomic<uint64_t> queued{0};
    std::atomic<uint32_t> quota_left{0};
    std::atomic<bool> disabled{false};  // the API key was rejected
};

// The VirusTotal lookup logic, driven by one thread: a bounded, deduplicated two-level priority
// queue, a sliding-window rate limiter, the daily budget, back-off and the persistent cache.
// step() performs at most one HTTP request, so tests can drive it with a fake clock.
class Worker {
  public:
    // cache may be null (nothing persisted).
    Worker(WorkerOptions options, const Clock& clock, Transport& transport, Cache* cache);

    // Queues a lookup unless it is cached, already queued or cannot be served; answers that are
    // known at once are appended to out.
    void submit(const Lookup& lookup, intel::Priority priority, std::vector<Outcome>& out);
    // Issues the next request when one is due; finished lookups are appended to out.
    void step(std::vector<Outcome>& out);
    // When step() has something to do (INT64_MAX when idle).
    int64_t next_due_ms() const;

    bool disabled() const { return counters_.disabled.load(); }
    size_t queued() const { return detector_.size() + warm_.size(); }
    const WorkerCounters& counters() const { return counters_; }

    static std::string cache_key(const Lookup& lookup);

  private:
    struct Item {
        Lookup lookup;
        std::string key;
        uint32_t attempts = 0;
    };

    void refresh_day(int64_t now_ms);
    int64_t limiter_ready_ms() const;
    void fail(const Lookup& lookup, uint32_t retry_seconds, std::vector<Outcome>& out);
    void fail_all(uint32_t retry_seconds, std::vector<Outcome>& out);
    void requeue(Item item, intel::Priority priority);
    void handle(Item item, intel::Priority priority, const HttpResponse& response,
                std::vector<Outcome>& out);
    void finish(const Item& item, Report report, std::vector<Outcome>& out);
    void update_gauges();

    WorkerOptions options_;
    const Clock& clock_;
    Transport& transport_;
    Cache* cache_;
    std::deque<Item> detector_;
    std::deque<Item> warm_;
    std::unordered_map<std::string, intel::Priority> queued_keys_;
    std::deque<int64_t> starts_;  // request start times in the last minute
    int64_t backoff_until_ms_ = 0;
    int64_t day_ = -1;
    uint32_t used_today_ = 0;
    int64_t last_error_log_ms_ = INT64_MIN / 2;
    WorkerCounters counters_;
};

}  // namespace sentinel::virustotal
