#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "schema/alert.h"
#include "server/live.h"
#include "store/store.h"
#include "suppress/rule.h"

namespace sentinel::server {

// The server's suppression rules: an in-memory copy of the stored rules used to drop matching
// alerts before they are stored, hit counters (server side and agent reports) persisted in
// batches by a background thread, and the JSON the API, the agents and the WebSocket get.
// Thread-safe.
class Suppressions {
  public:
    static constexpr auto kFlushEvery = std::chrono::seconds(1);
    // How often (in flushes) the rules are re-read: changes by another server.
    static constexpr int kReloadEveryFlushes = 3;

    Suppressions(store::Store& store, LiveState& live);
    ~Suppressions();
    Suppressions(const Suppressions&) = delete;
    Suppressions& operator=(const Suppressions&) = delete;

    // Loads rules and agents' last reports from the store and starts the flush thread. A failed
    // load is retried by the thread.
    void start();
    // Writes pending hits and stops the thread.
    void stop();

    // The id of the first live rule matching `alert`, counted as a server hit; nullopt when no
    // rule matches.
    std::optional<int64_t> match(const schema::Alert& alert, Timestamp now);
    // An agent's per-rule counts since its process started (cumulative). A value below the last
    // one means the agent restarted: it counts whole. Unknown rules are ignored.
    void agent_report(const std::string& agent_id,
                      const std::vector<std::pair<int64_t, uint64_t>>& cumulative, Timestamp now);

    // Stores a new rule (created_by/created_at set by the caller) and announces it.
    Result<suppress::Rule> add(const suppress::Rule& rule);
    // Deletes a rule and announces it; false when unknown.
    Result<bool> remove(int64_t id);
    // Counts stored alerts with ts >= since that `rule` matches (ignoring its expiry).
    Result<uint64_t> would_have_matched(const suppress::Rule& rule, Timestamp since);

    int64_t version();
    // {"rules":[API rule objects],"version":n}
    std::string rules_json(Timestamp now);
    // One API rule object.
    std::string rule_json(int64_t id, Timestamp now);
    // {"version":n,"rules":[agent rule objects]} (expired rules left out).
    std::string agent_rules_json(Timestamp now);
    // netsentinel_suppressed_total{rule="7"} lines, and rule="deleted" for the deleted rules
    // hits, so the sum never goes down.
    std::string metrics_text();
    uint64_t total();

    // Persists pending hits now and announces changed counts (the thread does it every second).
    void flush(Timestamp now);

  private:
    struct Entry {
        suppress::Rule rule;
        suppress::RuleStats stored;  // as last read from / written to the store
        uint64_t pending_server = 0;
        uint64_t pending_agents = 0;
        std::optional<Timestamp> pending_last;
        bool expired_announced = false;
    };

    Status reload();  // rules from the store; keeps pending hits of rules still present
    void announce_locked_out(Timestamp now, bool stats);
    std::string rules_json_locked(Timestamp now);
    suppress::RuleStats stats_of(const Entry& e) const;
    uint64_t total_locked() const;
    void loop();

    store::Store& store_;
    LiveState& live_;

    // Serialises reload() and flush(): a reload between a flush's write and its bookkeeping
    // would count the flushed hits twice.
    std::mutex io_mu_;
    std::mutex mu_;
    std::vector<Entry> entries_;  // in id order
    int64_t version_ = -1;        // -1: not loaded yet
    uint64_t total_ = 0;          // hits of every rule, pending ones included, and retired_
    uint64_t retired_ = 0;        // hits of deleted rules (store: suppressed_by_deleted_rules)
    // (agent, rule) → last cumulative count reported; `dirty_` ones are written at the next flush.
    std::map<std::pair<std::string, int64_t>, uint64_t> reported_;
    std::map<std::pair<std::string, int64_t>, uint64_t> dirty_;
    bool counts_loaded_ = false;

    std::mutex thread_mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace sentinel::server
