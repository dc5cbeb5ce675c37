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

// Workflow state of a stored alert (column `status`).
enum class AlertStatus : uint8_t { kNew = 0, kAcknowledged = 1, kResolved = 2 };
// Status filter of a query: kOpen means not resolved.
enum class StatusFilter : uint8_t { kAny, kNew, kAcknowledged, kResolved, kOpen };

// Who acknowledged / resolved an alert and when; empty / nullopt when not set.
struct Workflow {
    AlertStatus status = AlertStatus::kNew;
    std::string ack_by;
    std::optional<Timestamp> ack_at;
    std::string resolved_by;
    std::optional<Timestamp> resolved_at;
};

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
    StatusFilter status = StatusFilter::kAny;
};

struct StoredAlert {
    int64_t seq = 0;  // storage order; the paging cursor
    schema::Alert alert;
    Workflow workflow;
};

// Alerts of one category and source (AlertQuery filters select the alerts counted).
struct AlertGroup {
    std::string category;
    std::string src;
    uint64_t count = 0;
    schema::Severity level = schema::Severity::kInfo;  // the highest
    Timestamp first_ts;
    Timestamp last_ts;
    std::string last_message;  // of the most recently stored alert
    uint64_t agents = 0;       // distinct agents
    uint64_t open = 0;         // not resolved
    uint64_t unseen = 0;       // status new
};

// Acknowledge or resolve alerts chosen by id, or every alert of a group. Only alerts not yet
// in the target state change; resolving also acknowledges (keeping an earlier ack).
struct StatusChange {
    AlertStatus to = AlertStatus::kAcknowledged;
    std::vector<std::string> ids;
    std::optional<std::pair<std::string, std::string>> group;  // category, src
    std::string by;
    Timestamp at;
};

// An alert whose status changed, with its workflow fields after the change.
struct StatusChanged {
    std::string id;
    Workflow workflow;
};

// One allowlist rule. Empty strings / port 0 match anything.
struct SuppressionRule {
    int64_t id = 0;
    std::string category;
    std::string src;  // address or CIDR
    std::string dst;  // address or CIDR
    uint16_t port = 0;
    std::string agent_id;
    std::optional<Timestamp> expires_at;
    std::string comment;
    std::string created_by;
    Timestamp created_at;
    uint64_t hits_server = 0;
    uint64_t hits_agents = 0;
    std::optional<Timestamp> last_hit;
};

// Hits to add to a rule (rules deleted meanwhile are skipped).
struct SuppressionHits {
    int64_t rule_id = 0;
    uint64_t server = 0;
    uint64_t agents = 0;
    Timestamp last_hit;
};

// The cumulative count an agent last reported for a rule (since that agent process started).
struct AgentRuleCount {
    std::string agent_id;
    int64_t rule_id = 0;
    uint64_t reported = 0;
};

struct AuditEntry {
    int64_t id = 0;
    Timestamp ts;
    std::string user;
    std::string ip;
    std::string action;
    std::string target;
    std::string detail;
};

struct AuditPage {
    std::vector<AuditEntry> entries;  // newest first
    std::optional<int64_t> next;
};

// A per-user API token; the secret itself is never stored.
struct TokenRecord {
    int64_t id = 0;
    std::string name;
    std::string user;
    std::string role;  // the user's current role (filled by reads)
    std::string hash_hex;
    Timestamp created;
    std::optional<Timestamp> last_used;
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
    Timestamp created_at;  // set by put_user for a new user; 0 for users made before v2
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
    std::vector<AgentRecord> agents;    // when agents_changed: the changed (or all) agents
    std::vector<std::string> messages;  // dashboard messages the other server relayed
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

    // --- issue #11: alert management ---

    // Groups of alerts by (category, src) matching `query` (limit = number of groups, `before`
    // ignored), newest last_ts first.
    virtual Result<std::vector<AlertGroup>> query_groups(const AlertQuery& query) = 0;
    // Applies an ack/resolve; returns the alerts that changed.
    virtual Result<std::vector<StatusChanged>> change_status(const StatusChange& change) = 0;

    virtual Result<std::vector<UserRecord>> list_users() = 0;
    // Deletes the user and their API tokens in one transaction; false when unknown.
    virtual Result<bool> delete_user(const std::string& name) = 0;

    // Stores a per-user token (id and created set from the store); returns it.
    virtual Result<TokenRecord> create_user_token(const TokenRecord& token) = 0;
    // Tokens of `user`, or all when `user` is empty.
    virtual Result<std::vector<TokenRecord>> list_user_tokens(const std::string& user) = 0;
    // The token with this hash whose user still exists, with the user's role.
    virtual Result<std::optional<TokenRecord>> find_user_token(const std::string& hash_hex) = 0;
    virtual Result<bool> delete_user_token(int64_t id) = 0;
    virtual Status touch_user_token(int64_t id, Timestamp when) = 0;

    virtual Status append_audit(const AuditEntry& entry) = 0;
    virtual Result<AuditPage> query_audit(size_t limit, std::optional<int64_t> before) = 0;

    // Adds a rule (id assigned) and bumps the rules version; returns the stored rule.
    virtual Result<SuppressionRule> create_suppression(const SuppressionRule& rule) = 0;
    // Deletes a rule and its per-agent counts, bumps the version; false when unknown. The rule's
    // stored hits plus `unflushed_hits` (counted but not yet recorded) move to
    // suppressed_by_deleted_rules(), so the suppressed total never goes down.
    virtual Result<bool> delete_suppression(int64_t id, uint64_t unflushed_hits) = 0;
    // Hits of every rule deleted so far (all servers sharing the database).
    virtual Result<uint64_t> suppressed_by_deleted_rules() = 0;
    virtual Result<std::vector<SuppressionRule>> load_suppressions() = 0;
    // Grows whenever the rule set changes (create / delete), also by other servers.
    virtual Result<int64_t> suppressions_version() = 0;
    // Adds hit counts and replaces the agents' last reported counts, in one transaction.
    virtual Status record_suppression_hits(const std::vector<SuppressionHits>& hits,
                                           const std::vector<AgentRuleCount>& reported) = 0;
    virtual Result<std::vector<AgentRuleCount>> load_agent_rule_counts() = 0;

    // Hands a dashboard (WebSocket) message to the other servers sharing the database; their
    // subscribers get it in RemoteChange::messages. At most kMaxRelayBytes. A single-process
    // backend has no one to tell.
    static constexpr size_t kMaxRelayBytes = 7000;
    virtual Status relay(const std::string& message) {
        (void)message;
        return Status::ok();
    }

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
