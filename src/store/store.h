#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "schema/alert.h"

namespace sentinel::store {

// One registered agent as the server keeps it (the original's record plus heartbeat figures).
struct AgentRecord {
    std::string agent_id;
    std::string hostname;
    std::string ip;
    std::string os;
    std::string version;
    Timestamp first_seen;
    Timestamp last_seen;
    uint64_t alert_count = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint64_t capture_drops = 0;
    uint64_t spool_depth = 0;
    uint64_t spool_dropped = 0;
    uint64_t uptime_s = 0;
    std::string extra_json = "{}";  // other heartbeat fields, kept verbatim as a JSON object
};

// One write: alerts to insert (ignored when their id is already stored) and an optional agent
// record to upsert in the same transaction. The agent's alert_count grows by the number of new
// alerts; its other fields replace the stored ones (first_seen is kept).
struct WriteBatch {
    std::vector<schema::Alert> alerts;
    std::optional<AgentRecord> agent;
};

// The outcome of a WriteBatch once it is committed: inserted[i] is false for a duplicate id.
struct WriteResult {
    Status status;
    std::vector<bool> inserted;
};

using WriteCallback = std::function<void(WriteResult)>;

// Filters for listing alerts; empty fields match everything. Pages go newest first.
struct AlertQuery {
    size_t limit = 100;
    std::optional<int64_t> before;  // cursor: only alerts stored before this sequence number
    std::optional<schema::Severity> level;
    std::string category;
    std::string text;  // case-insensitive substring of category, message, src or hostname
    std::string agent_id;
    std::string src;
    std::optional<Timestamp> since;  // event time, inclusive
    std::optional<Timestamp> until;  // event time, inclusive
};

struct StoredAlert {
    int64_t seq = 0;  // storage order; the paging cursor
    schema::Alert alert;
};

struct AlertPage {
    std::vector<StoredAlert> alerts;
    std::optional<int64_t> next;  // pass as `before` for the following page
};

// Counters kept in summary tables, updated in the same transaction as the alerts.
struct Summary {
    uint64_t total = 0;
    std::array<uint64_t, 5> by_level{};
    std::vector<std::pair<std::string, uint64_t>> categories;  // all kept keys, any order
    std::vector<std::pair<std::string, uint64_t>> sources;
    // Per arrival minute (unix seconds / 60) and level, for the recent past only.
    std::vector<std::pair<int64_t, std::array<uint64_t, 5>>> minutes;
};

struct UserRecord {
    std::string name;
    std::string role;
    std::string salt_hex;
    std::string hash_hex;
    uint32_t iterations = 0;
};

struct StoreOptions {
    // Distinct categories / sources counted by name; further ones are counted under "(other)"
    // so counters keyed by client strings stay bounded.
    size_t max_counter_keys = 10'000;
    uint32_t retention_days = 0;        // 0: no age limit
    uint64_t retention_max_alerts = 0;  // 0: no count limit
    size_t max_group = 4096;            // alerts per group commit at most
};

// What another server sharing the database committed (PostgreSQL only).
struct RemoteChange {
    std::vector<schema::Alert> alerts;  // new alerts stored by the other server, oldest first
    bool agents_changed = false;
    std::vector<AgentRecord> agents;  // when agents_changed: the changed (or all) agents
};

// Durable storage for alerts, agents, counters, users and API tokens. Every method is
// thread-safe. Writes go through one writer that groups concurrent batches into a single
// transaction (group commit); a callback runs only after the commit is durable.
class Store {
  public:
    virtual ~Store() = default;

    // Queues a batch; `done` runs on the writer thread after the commit (or on failure).
    virtual void write(WriteBatch batch, WriteCallback done) = 0;
    // write() and wait for it.
    WriteResult write_sync(WriteBatch batch);

    // One page of alerts matching `query`, newest first.
    virtual Result<AlertPage> query_alerts(const AlertQuery& query) = 0;
    // Number of stored alerts.
    virtual Result<uint64_t> count_alerts() = 0;
    // Counters and recent per-minute figures, for rebuilding in-memory stats at start.
    virtual Result<Summary> load_summary() = 0;

    virtual Result<std::vector<AgentRecord>> load_agents() = 0;
    // Deletes agents last seen before `cutoff`; returns how many.
    virtual Result<uint64_t> prune_agents(Timestamp cutoff) = 0;
    // Applies retention_days / retention_max_alerts now; returns how many alerts were removed.
    virtual Result<uint64_t> apply_retention(Timestamp now) = 0;

    virtual Result<uint64_t> count_users() = 0;
    virtual Status put_user(const UserRecord& user) = 0;
    virtual Result<std::optional<UserRecord>> find_user(const std::string& name) = 0;

    // API tokens are stored as a hash only.
    virtual Status put_token(const std::string& name, const std::string& hash_hex) = 0;
    // The token's name, or nullopt.
    virtual Result<std::optional<std::string>> find_token(const std::string& hash_hex) = 0;

    // Starts calling `on_change` (on a store thread) for commits made by other processes
    // sharing the database. A single-process backend never calls it.
    virtual Status subscribe(std::function<void(RemoteChange)> on_change) {
        (void)on_change;
        return Status::ok();
    }

    // Commits everything queued and stops the writer; later writes fail.
    virtual void close() = 0;
};

// Opens (creating if needed) the SQLite store at `path` in WAL mode.
Result<std::unique_ptr<Store>> open_sqlite(const std::string& path, const StoreOptions& options);

// Connects to PostgreSQL (libpq connection string or URI), applies pending migrations.
// Several processes may open the same database.
Result<std::unique_ptr<Store>> open_postgres(const std::string& dsn, const StoreOptions& options);

}  // namespace sentinel::store
