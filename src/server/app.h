#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "config/config.h"

namespace sentinel::server {

struct RunOptions {
    int threads = 2;
    bool handle_signals = true;
    bool print_banner = true;
    // Called once every listener is bound (the ports are known).
    std::function<void(uint16_t gui, uint16_t agent, uint16_t redirect)> on_ready;
};

// The whole server: store, state, API and listeners. Construct, start(), run().
class ServerApp {
  public:
    explicit ServerApp(config::Config config);
    ~ServerApp();

    // Validates the config (an empty api_key is refused), opens the store, creates the first
    // admin account when there is none, loads state and binds every port.
    Status start();
    // Serves until stop() or a signal; commits everything queued before returning.
    void run(const RunOptions& options);
    void stop();

    uint16_t gui_port() const;
    uint16_t agent_port() const;
    uint16_t redirect_port() const;

  private:
    struct Parts;
    config::Config config_;
    std::unique_ptr<Parts> parts_;
};

// Opens the store named by `config` and adds a read-only API token; returns the token.
Result<std::string> create_api_token(const config::Config& config, const std::string& name);

// The store path for a config (<data_dir>/netsentinel.db).
std::string database_path(const config::Config& config);

// The start-up banner lines (URLs with "localhost" for a wildcard bind).
std::string banner(const config::Config& config, uint16_t gui, uint16_t agent, uint16_t redirect);

}  // namespace sentinel::server
