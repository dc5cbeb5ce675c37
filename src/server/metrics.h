#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace sentinel::outputs {
class Outputs;
}

namespace sentinel::server {

enum class Reject : size_t {
    kUnauthorized,
    kBadRequest,
    kMissingFields,
    kInvalidLevel,
    kRateLimited,
    kAgentLimit,
    kBodyTooLarge,
    kNotFound,
    kMethodNotAllowed,
    kStoreError,
    kForbiddenOrigin,  // state-changing dashboard request from another site
    kBadContentType,   // state-changing dashboard request whose body is not JSON
    kCount
};

enum class ConnError : size_t {
    kTlsHandshake,    // failed handshakes (bad protocol version, cipher, scanner)
    kPlainHttpOnTls,  // plain HTTP sent to a TLS port
    kTimeout,         // slow or half-open clients
    kReadError,       // malformed HTTP, resets
    kWsDroppedSlow,   // WebSocket clients dropped for not keeping up
    kConnLimit,       // refused at the concurrent-connection cap (no idle one to close)
    kAddressLimit,    // refused at the per-address cap (max_connections_per_ip)
    kIdleShed,        // idle connections closed to admit a new one at the cap
    kCount
};

// Process-wide counters, rendered in the Prometheus text format. All members are lock-free.
class Metrics {
  public:
    void alert_stored(size_t level) { alerts_by_level_[level < 5 ? level : 0]++; }
    void duplicate() { duplicates_++; }
    void reject(Reject r) { rejections_[static_cast<size_t>(r)]++; }
    void conn_error(ConnError e) { conn_errors_[static_cast<size_t>(e)]++; }
    void connection_accepted() { connections_++; }
    void login_failed() { login_failures_++; }
    // An alert whose own time was missing the representable range (kept at its arrival time).
    void time_fallback() { time_fallbacks_++; }
    uint64_t time_fallbacks() const { return time_fallbacks_; }
    void observe_commit(double seconds);
    void set_ws_clients(int64_t n) { ws_clients_ = n; }
    void add_ws_clients(int64_t d) { ws_clients_ += d; }

    uint64_t rejections(Reject r) const { return rejections_[static_cast<size_t>(r)]; }
    uint64_t conn_errors(ConnError e) const { return conn_errors_[static_cast<size_t>(e)]; }

    // Adds the netsentinel_output_* series of these outputs to render(); set once before serving.
    void set_outputs(const outputs::Outputs* outputs) { outputs_ = outputs; }

    // Prometheus exposition text; agents_online is supplied by the caller.
    std::string render(uint64_t agents_online) const;

  private:
    static constexpr std::array<double, 10> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                        0.025,  0.05,  0.1,    0.25,  1.0};
    std::array<std::atomic<uint64_t>, 5> alerts_by_level_{};
    std::array<std::atomic<uint64_t>, static_cast<size_t>(Reject::kCount)> rejections_{};
    std::array<std::atomic<uint64_t>, static_cast<size_t>(ConnError::kCount)> conn_errors_{};
    std::atomic<uint64_t> duplicates_{0}, connections_{0}, login_failures_{0}, time_fallbacks_{0};
    std::atomic<int64_t> ws_clients_{0};
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> commit_buckets_{};
    std::atomic<uint64_t> commit_count_{0};
    std::atomic<uint64_t> commit_sum_us_{0};
    const outputs::Outputs* outputs_ = nullptr;
};

}  // namespace sentinel::server
