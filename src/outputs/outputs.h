#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/config.h"
#include "outputs/output.h"
#include "schema/alert.h"

namespace sentinel::outputs {

// Every output sentinel_config.json enables (EVE file, syslog, webhook), each on its own thread.
// Thread-safe.
class Outputs {
  public:
    // Builds the enabled outputs (none is fine) without starting them. Errors name the config
    // key: an unreadable CA file, an EVE file that cannot be opened. `base` sets the backoff and
    // batch sizes (tests shorten them); its queue_max is taken from output_queue_max.
    static Result<std::unique_ptr<Outputs>> create(const config::Config& config,
                                                   WorkerOptions base = {});
    // Builds from sinks directly (tests).
    explicit Outputs(std::vector<std::unique_ptr<Output>> outputs);
    ~Outputs();

    // Starts every worker.
    void start();
    // Hands freshly committed alerts to every output, in order. Cheap: copies into queues.
    void submit(const std::vector<schema::Alert>& alerts);
    // Delivers what is queued for up to drain_s seconds, then stops every worker.
    void stop(double drain_s);
    // One entry per enabled output, in the order eve, syslog, webhook.
    std::vector<OutputStats> stats() const;
    bool empty() const { return outputs_.empty(); }
    // One "name → target" line per output, for the start-up log (no secrets).
    std::vector<std::string> describe() const;

  private:
    std::vector<std::unique_ptr<Output>> outputs_;
    std::vector<std::string> described_;
};

}  // namespace sentinel::outputs
