#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "config/config.h"
#include "server/auth.h"
#include "server/http_types.h"
#include "server/live.h"
#include "server/metrics.h"
#include "server/suppression.h"
#include "store/store.h"

namespace sentinel::server {

// Limits of the agent API (docs/api.md), in characters.
inline constexpr size_t kMaxAgentId = 64;
inline constexpr size_t kMaxHostname = 253;
inline constexpr size_t kMaxCategory = 2048;
inline constexpr size_t kMaxMessage = 4096;
inline constexpr size_t kMaxSrc = 2048;
inline constexpr size_t kMaxOs = 128;
inline constexpr size_t kMaxBatch = 500;

// Every route of both HTTPS ports, independent of the network library. Thread-safe.
class Api {
  public:
    Api(const config::Config& config, store::Store& store, LiveState& live, Auth& auth,
        Metrics& metrics);
    ~Api();
    Api(const Api&) = delete;
    Api& operator=(const Api&) = delete;

    // Stops the worker that runs password checks (queued ones are dropped unanswered) and the
    // suppression hit writer (pending hits are written first).
    void stop_worker();

    // The suppression rules in force (matching on ingest, counters).
    Suppressions& suppressions() { return *suppressions_; }

    // Answers `request`; `done` may run on another thread (after a store commit).
    void handle(HttpRequest request, Responder done);

    // Checks a WebSocket upgrade on the GUI port: a valid session (or token) and an Origin that
    // matches the Host. The identity, or the refusal to send.
    struct WsCheck {
        std::optional<Identity> identity;
        HttpResponse refusal;
    };
    WsCheck check_websocket(const HttpRequest& request);

    // The identity behind a session cookie or Bearer token.
    std::optional<Identity> authenticate(const HttpRequest& request);

  private:
    void post_alert(HttpRequest& r, Responder done);
    void post_alerts(HttpRequest& r, Responder done);
    void heartbeat(HttpRequest& r, Responder done);
    HttpResponse login(const HttpRequest& r);
    HttpResponse logout(const HttpRequest& r);
    HttpResponse state();
    HttpResponse list_alerts(const HttpRequest& r);
    HttpResponse export_alerts(const HttpRequest& r);
    HttpResponse asset(const HttpRequest& r);
    bool agent_key_ok(const HttpRequest& r);

    // Issue #11 routes (manage_api.cc). manage_route answers and returns true when `path` is one
    // of them.
    bool manage_route(const std::string& path, HttpRequest& r, const Responder& done);
    HttpResponse list_users();
    void create_user(const HttpRequest& r, const Identity& who, const Responder& done);
    HttpResponse delete_user(const HttpRequest& r, const Identity& who, const std::string& name);
    void change_password(const HttpRequest& r, const Identity& who, const Responder& done);
    HttpResponse list_tokens(const Identity& who);
    HttpResponse create_token(const HttpRequest& r, const Identity& who);
    HttpResponse delete_token(const HttpRequest& r, const Identity& who, const std::string& id);
    HttpResponse list_audit(const HttpRequest& r);
    HttpResponse create_rule(const HttpRequest& r, const Identity& who);
    HttpResponse delete_rule(const HttpRequest& r, const Identity& who, const std::string& id);
    HttpResponse change_status(const HttpRequest& r, const Identity& who, bool resolve);
    HttpResponse alert_groups(const HttpRequest& r);
    // Appends to the audit log (a failure is logged, never fatal to the request).
    void audit(const std::string& user, const std::string& ip, const std::string& action,
               const std::string& target, const std::string& detail = {});

    // Password hashing takes ~0.1 s of CPU: it runs on one worker thread with a short queue so
    // that logins can neither stall the network threads nor pile up.
    // `key` (the peer address) may hold at most two places in the queue.
    bool submit_slow(const std::string& key, std::function<void()> task);
    void worker_loop();

    const config::Config& config_;
    store::Store& store_;
    LiveState& live_;
    Auth& auth_;
    Metrics& metrics_;
    std::unique_ptr<Suppressions> suppressions_;

    std::mutex worker_mu_;
    std::condition_variable worker_cv_;
    struct SlowTask {
        std::string key;
        std::function<void()> run;
    };
    std::deque<SlowTask> worker_queue_;
    std::unordered_map<std::string, size_t> worker_queued_;  // queued tasks per key
    bool worker_stop_ = false;
    std::thread worker_;
};

// Reads the alert filters shared by list, export and groups (level, category, q, agent, src,
// since, until, status); an error response on bad input.
std::optional<HttpResponse> read_alert_filters(const HttpRequest& request, store::AlertQuery& q);
// Truncates UTF-8 text to at most `max_chars` code points.
std::string truncate_chars(std::string s, size_t max_chars);
// Reads a session id from a Cookie header.
std::string cookie_value(const std::string& cookie_header, const std::string& name);

}  // namespace sentinel::server
