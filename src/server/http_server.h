#pragma once

#include <cstdint>
#include <memory>

#include "common/status.h"
#include "config/config.h"
#include "server/api.h"
#include "server/live.h"
#include "server/metrics.h"
#include "store/store.h"

namespace sentinel::server {

// The network side: TLS listeners for the GUI and agent ports, the plain-HTTP redirect, the
// WebSocket push and the periodic housekeeping. All Boost.Beast code lives behind this pimpl.
class HttpServer {
  public:
    HttpServer(const config::Config& config, Api& api, LiveState& live, Metrics& metrics,
               store::Store& store);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Loads the certificate and binds every listener (port 0 picks a free port).
    Status start();
    // Serves on `threads` threads until stop() or, when `handle_signals`, SIGINT/SIGTERM.
    void run(int threads, bool handle_signals);
    // Stops accepting, closes connections after a short grace period. Thread-safe.
    void stop();

    uint16_t gui_port() const;
    uint16_t agent_port() const;
    uint16_t redirect_port() const;  // 0 when disabled

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sentinel::server
