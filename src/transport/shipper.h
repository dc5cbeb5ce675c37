#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "schema/alert.h"
#include "transport/identity.h"

namespace sentinel::transport {

class HttpClient;
class Spool;

// What the agent reports about itself in each heartbeat (docs/api.md). The
// shipper adds identity, version, uptime and its own spool figures.
struct AgentStats {
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint64_t capture_drops = 0;
    uint64_t alerts = 0;
    uint64_t vt_requests = 0;
    int64_t vt_quota_left = -1;  // -1: VirusTotal disabled (sent as null)
    std::map<std::string, uint64_t> anomalies = {};
    // Footprint, so the dashboard can show what the agent costs its host (0: unknown).
    uint64_t resident_bytes = 0;       // resident memory now
    uint64_t peak_resident_bytes = 0;  // the most it has had resident
    uint64_t state_bytes = 0;          // detector tables allocated
    uint64_t state_cap_bytes = 0;      // what those tables may grow to at their caps
    int64_t startup_us = -1;           // process start to capture ready; -1: not yet (sent as null)
};

struct ShipperOptions {
    std::string server_url;  // "https://host:8444"
    std::string api_key;
    std::string ca_cert;
    bool insecure = false;   // allow an unverified connection (explicit --insecure only)
    std::string state_dir;   // identity and spool live here (spool in <state_dir>/spool)
    AgentIdentity identity;  // from load_or_create_identity
    uint64_t spool_max_bytes = 64ull << 20;
    bool spool_durable = true;       // fdatasync appends and acknowledgements
    double heartbeat_interval = 30;  // seconds; <= 0 disables heartbeats
    // Called on the sender thread for each heartbeat; must be thread-safe and quick.
    std::function<AgentStats()> stats;
    size_t queue_capacity = 10'000;  // alerts handed over but not yet spooled
    size_t batch_max = 500;          // alerts per POST /api/alerts
    double request_timeout = 10;     // seconds per request
    double connect_timeout = 10;     // seconds per connection attempt
    double backoff_initial = 1;      // seconds; doubles per failure, with jitter
    double backoff_max = 60;         // seconds
    // Suppression rules from the server (GET /api/agent/suppressions) drop matching alerts
    // before they reach the spool, so they cost no disk and no bandwidth.
    bool suppression = true;
    std::string suppressions_file;  // the kept rule set; "" = <state_dir>/spool/suppressions.json
    // At start the spool writer holds alerts back until the first rule fetch finished (or
    // failed), at most this long (seconds), so a fresh start applies the server's current rules.
    double suppression_start_wait = 3;
    // Called on the spool writer thread for each alert no rule suppressed, before it is spooled:
    // where the agent prints it and writes the Windows Event Log, off the packet thread and
    // never for a suppressed alert. Must be thread-safe.
    std::function<void(const schema::Alert&)> on_kept;
};

// Counters for the console stats line and tests. Read from any thread.
struct ShipperCounters {
    uint64_t submitted = 0;      // alerts handed to submit()
    uint64_t delivered = 0;      // acknowledged by the server (accepted or duplicate)
    uint64_t rejected = 0;       // permanently refused by the server (4xx), dropped
    uint64_t dropped = 0;        // lost on the agent: spool full, damaged record, queue full
    uint64_t spool_depth = 0;    // alerts waiting in the spool
    uint64_t spool_bytes = 0;    // spool size on disk
    uint64_t spool_corrupt = 0;  // torn or damaged spool records skipped (part of dropped)
    uint64_t queue_dropped = 0;  // submit() found the hand-over queue full (part of dropped)
    uint64_t send_failures = 0;  // requests that failed and will be retried
    uint64_t heartbeats = 0;     // heartbeats the server acknowledged
    uint64_t suppressed = 0;     // dropped by a suppression rule before the spool (since start)
    std::map<int64_t, uint64_t> suppressed_by_rule;  // rule id -> alerts (since start)
    uint64_t suppression_rules = 0;                  // rules held
    int64_t suppressions_version = -1;               // version of the rules held; -1: none yet
    bool legacy_api = false;  // the server has no batch route: one POST /api/alert each
    bool connected = false;   // the last request got an answer
    std::string last_error;   // the last delivery problem, for a person ("" when fine)
};

// Delivers alerts to the server without ever losing one silently.
//
// submit() (any thread, typically the packet thread) hands an alert to a bounded in-memory queue
// and returns at once. A spool writer thread writes queued alerts to a disk spool at once, even
// while a request is in flight, so a kill -9 loses at most what the writer had not yet flushed
// (milliseconds of alerts, never a whole request timeout's worth). The sender thread sends
// the spool in order (POST /api/alerts in batches; POST /api/alert one by one when the server
// answers 404 to the batch route) and removes an alert only after the server acknowledged it.
// Failures are retried with exponential backoff and jitter (Retry-After honoured on 429); 4xx
// answers other than 408/429 for one alert drop that alert permanently (counted and logged).
// The spool survives restarts and kill -9; it is bounded by spool_max_bytes, and only then are
// the oldest alerts dropped (counted, logged, reported in the heartbeat as spool_dropped).
// A heartbeat with the agent's stats is posted every heartbeat_interval.
// Suppression: the sender fetches the server's rules at start and whenever a heartbeat answer
// names another "suppressions_version"; the spool writer drops (and counts per rule) alerts a
// live rule matches before they are spooled; the last rule set is kept on disk so it applies
// from the next start on, before the server is reachable. Servers without the route (the
// original) are tolerated: the kept rules, if any, keep applying.
class Shipper {
  public:
    // Opens the spool and prepares the connection. Fails with a clear message when the CA file
    // is missing (unless insecure), the URL is not https, or the spool cannot be opened.
    static Result<std::unique_ptr<Shipper>> create(ShipperOptions options);
    ~Shipper();  // stop(0) if still running
    Shipper(const Shipper&) = delete;
    Shipper& operator=(const Shipper&) = delete;

    // Starts the sender thread (sends the first heartbeat at once).
    Status start();

    // Hands one alert over; never blocks on the network or the disk. Fills id (when empty),
    // agent_id, hostname and os from the identity. False when the queue is full (counted).
    bool submit(schema::Alert alert);

    // Sends what can be sent within `deadline_seconds`, keeps the rest spooled, and joins the
    // sender thread. Alerts submitted before stop() are spooled first. Idempotent.
    void stop(double deadline_seconds);

    ShipperCounters counters() const;
    const AgentIdentity& identity() const { return options_.identity; }

  private:
    struct Impl;
    explicit Shipper(ShipperOptions options);
    void run();
    void spool_incoming();

    ShipperOptions options_;
    std::unique_ptr<Impl> impl_;
    std::thread sender_;
    std::thread writer_;
    std::condition_variable writer_wake_;
    uint64_t spooled_batches_ = 0;  // bumped by the writer after each commit (wakes the sender)
    bool sender_stopping_ = false;  // set once the writer has spooled everything submitted
    bool rules_ready_ = false;      // the first rule fetch finished (or was given up on)
    double rules_wait_until_ = 0;   // steady-clock seconds; the writer waits no longer

    mutable std::mutex mu_;
    std::condition_variable wake_;
    std::deque<schema::Alert> queue_;
    bool stopping_ = false;
    bool finished_ = false;     // run() has returned (set and read by the stopping thread only)
    double stop_deadline_ = 0;  // seconds on the steady clock

    std::atomic<double> abort_at_{std::numeric_limits<double>::infinity()};
    std::atomic<uint64_t> submitted_{0};
    std::atomic<uint64_t> queue_dropped_{0};
};

}  // namespace sentinel::transport
