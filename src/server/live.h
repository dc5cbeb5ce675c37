#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/time.h"
#include "schema/alert.h"
#include "server/metrics.h"
#include "store/store.h"

namespace sentinel::server {

// The alert object of the dashboard API and WebSocket; `workflow` null means a new alert.
std::string alert_json(const schema::Alert& alert, const store::Workflow* workflow = nullptr);
// The workflow fields of an alert as a JSON object text (status, ack_by, ack_at, resolved_by,
// resolved_at), with "id" first.
std::string workflow_json(const std::string& id, const store::Workflow& workflow);

// One dashboard connection's pending updates. The network side drains it at a bounded rate, so
// a burst of alerts becomes a few messages; a client that cannot keep up loses the oldest
// pending alerts (counted) instead of slowing anyone else.
class Subscriber {
  public:
    static constexpr size_t kMaxPendingAlerts = 1000;

    virtual ~Subscriber() = default;
    // Called (from any thread, no lock held) when new updates are pending.
    virtual void wake() = 0;

    struct Pending {
        std::vector<std::string> alerts;    // alert JSON objects, oldest first
        std::vector<std::string> messages;  // whole messages to send as they are, oldest first
        bool stats = false;
        bool timeline = false;
        bool agents = false;
        uint64_t dropped = 0;  // alerts discarded since the last take()
        bool empty() const {
            return alerts.empty() && messages.empty() && !stats && !timeline && !agents;
        }
    };
    static constexpr size_t kMaxPendingMessages = 100;
    void add(const std::vector<std::string>& alerts, bool stats, bool timeline, bool agents,
             const std::string& message = {});
    Pending take();

  private:
    std::mutex mu_;
    Pending pending_;
};

struct LiveOptions {
    uint32_t max_agents = 500;
    uint32_t rate_limit = 50;
    double rate_window_s = 5;
    double offline_after_s = 90;
    size_t max_counter_keys = 10'000;
};

// What a request says about its agent.
struct AgentContact {
    std::string agent_id;
    std::string hostname;
    std::string os;
    std::string ip;  // the TCP peer, observed by the server
};

// In-memory view of the server: agent registry, rate buckets, counters and the per-minute
// timeline, rebuilt from the store at start and updated as commits complete. Thread-safe.
class LiveState {
  public:
    LiveState(LiveOptions options, Metrics& metrics);

    void load(const store::Summary& summary, std::vector<store::AgentRecord> agents);

    enum class Admit { kOk, kAgentLimit, kRateLimited };
    // Registers the agent when new (refused at max_agents) and charges `n` alerts to its rate
    // bucket. On kOk, *record is the agent record to store with the alerts. On kRateLimited,
    // *retry_after_s says when the window resets.
    Admit admit_alerts(const AgentContact& who, size_t n, Timestamp now, store::AgentRecord* record,
                       double* retry_after_s);
    // Heartbeat fields beyond the contact.
    struct Heartbeat {
        std::string version;
        uint64_t uptime_s = 0, packets = 0, bytes = 0, capture_drops = 0, spool_depth = 0,
                 spool_dropped = 0;
        std::string extra_json = "{}";
    };
    // The record to store, or nullopt when the agent is new and the registry is full.
    std::optional<store::AgentRecord> heartbeat(const AgentContact& who, const Heartbeat& hb,
                                                Timestamp now);

    // After a commit: counts the new alerts and notifies subscribers. `remote`: another server
    // sharing the database stored them (counted in stats, not in this server's metrics).
    void alerts_committed(const std::string& agent_id, const std::vector<schema::Alert>& fresh,
                          bool remote = false);
    // Called with the alerts of every local commit (never `remote` ones), on the committing
    // thread, before subscribers are notified; the server hands them to its outputs. Set once
    // before serving.
    void set_commit_listener(std::function<void(const std::vector<schema::Alert>&)> listener) {
        commit_listener_ = std::move(listener);
    }
    // After a heartbeat commit.
    void agents_changed();
    // Another server stored agent records: adopt the stored figures (last_seen never goes back)
    // and notify subscribers.
    void merge_agents(const std::vector<store::AgentRecord>& stored);

    // Sends a whole WebSocket message (a JSON object text) to every subscriber; `stats` also
    // marks the stats as changed.
    void broadcast(const std::string& message, bool stats = false);
    // Suppressed alerts (server and agents), for stats.suppressed_total and the agents list.
    void set_suppressed_total(uint64_t total);
    // What an agent itself suppressed since its process started (sum over rules of its latest
    // cumulative heartbeat counts), shown as "suppressed" in the agents list.
    void set_agent_suppressed(const std::string& agent_id, uint64_t n);

    std::string stats_json(Timestamp now);
    std::string timeline_json(Timestamp now);
    std::string agents_json(Timestamp now);
    size_t agents_online(Timestamp now);
    size_t agent_count();

    // Periodic work: announces agents that went offline, prunes idle rate buckets and agents
    // not seen for a day. Returns ids of pruned agents.
    std::vector<std::string> tick(Timestamp now);

    void subscribe(const std::shared_ptr<Subscriber>& s);
    void unsubscribe(const Subscriber* s);
    size_t subscriber_count();

  private:
    struct Bucket {
        uint64_t count = 0;
        Timestamp window_start;
    };
    using Levels = std::array<uint64_t, 5>;

    void count_key(std::unordered_map<std::string, uint64_t>& map, std::vector<std::string>& order,
                   const std::string& key, uint64_t n);
    void notify(const std::vector<std::string>& alerts, bool stats, bool timeline, bool agents,
                const std::string& message = {});
    bool online(const store::AgentRecord& a, Timestamp now) const;

    LiveOptions options_;
    Metrics& metrics_;
    std::function<void(const std::vector<schema::Alert>&)> commit_listener_;
    std::mutex mu_;
    std::map<std::string, store::AgentRecord> agents_;
    std::map<std::string, bool> last_online_;
    std::unordered_map<std::string, Bucket> buckets_;
    uint64_t total_ = 0;
    Levels by_level_{};
    std::unordered_map<std::string, uint64_t> categories_, sources_;
    std::vector<std::string> category_order_, source_order_;  // first-seen order breaks ties
    std::map<int64_t, Levels> minutes_;                       // arrival minute → per level
    uint64_t suppressed_total_ = 0;
    std::unordered_map<std::string, uint64_t> agent_suppressed_;

    std::mutex subs_mu_;
    std::vector<std::weak_ptr<Subscriber>> subs_;
};

}  // namespace sentinel::server
