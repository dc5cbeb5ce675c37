#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "schema/alert.h"

namespace sentinel::outputs {

// Counters of one output, as /metrics shows them (netsentinel_output_*{output="<name>"}).
struct OutputStats {
    std::string name;          // "eve", "syslog" or "webhook"
    uint64_t sent = 0;         // alerts the receiver took
    uint64_t dropped = 0;      // alerts discarded: queue overflow, or refused past the retry limit
    uint64_t retries = 0;      // failed delivery attempts (each is retried or ends in a drop)
    uint64_t queue_depth = 0;  // alerts waiting, including a batch being delivered
    bool connected = false;    // the last delivery attempt succeeded
};

// Why a delivery failed. kTransient (receiver down, timeout, 5xx): retry until it works while
// the queue absorbs new alerts. kRejected (the receiver answered that it refuses the batch):
// retried max_rejected_retries times, then dropped and counted.
enum class Failure { kTransient, kRejected };

struct DeliveryError {
    Failure kind = Failure::kTransient;
    std::string message;
};

// One destination. Every method runs on its output's worker thread only.
class Sink {
  public:
    virtual ~Sink() = default;
    // Metrics label: "eve", "syslog", "webhook".
    virtual std::string name() const = 0;
    // The destination for log lines ("tls://siem.example:6514"); never contains a secret.
    virtual std::string target() const = 0;
    // One alert as this sink's record (an EVE line, an RFC 5424 message, a JSON object).
    virtual std::string format(const schema::Alert& alert) const = 0;
    // Delivers the records in order; nullopt when the receiver has them all. On an error the
    // whole batch is offered again later (at-least-once).
    virtual std::optional<DeliveryError> deliver(const std::vector<std::string>& records) = 0;
    // Releases connections and files (also called before the worker exits).
    virtual void close() {}
};

struct WorkerOptions {
    size_t queue_max = 10'000;  // output_queue_max
    size_t batch_max = 100;     // alerts per delivery
    double backoff_initial_s = 0.5;
    double backoff_max_s = 30;
    uint32_t max_rejected_retries = 5;
};

// Runs one Sink on its own thread behind a bounded queue: submit() never waits for a receiver.
// While the receiver is unreachable the worker retries with exponential backoff and the queue
// keeps the newest queue_max alerts (older ones are dropped and counted). One log line marks each
// down and up transition.
class Output {
  public:
    Output(std::unique_ptr<Sink> sink, WorkerOptions options);
    ~Output();
    Output(const Output&) = delete;
    Output& operator=(const Output&) = delete;

    // Starts the worker thread.
    void start();
    // Queues copies of the alerts, in order; never blocks on the receiver.
    void submit(const std::vector<schema::Alert>& alerts);
    // Keeps delivering for at most drain_s seconds (until the queue is empty), then stops the
    // worker. Alerts still queued are counted as dropped.
    void stop(double drain_s);
    OutputStats stats() const;
    const std::string& name() const { return name_; }

  private:
    void run();
    // Waits up to `seconds` or until stop; false when the worker should exit now.
    bool wait_backoff(double seconds);

    std::unique_ptr<Sink> sink_;
    WorkerOptions options_;
    std::string name_;

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<schema::Alert> queue_;
    size_t in_flight_ = 0;
    bool stopping_ = false;
    std::chrono::steady_clock::time_point drain_deadline_{};
    uint64_t sent_ = 0, dropped_ = 0, retries_ = 0;
    bool connected_ = false;
    bool drop_logged_ = false;  // one "queue full" line per outage
    std::thread thread_;
};

}  // namespace sentinel::outputs
