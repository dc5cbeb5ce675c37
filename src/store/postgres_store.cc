// PostgreSQL backend: a group-commit writer with its own connection, a read connection, and a
// listener connection that turns other instances' commits into RemoteChange callbacks through
// LISTEN/NOTIFY. Several servers may share one database.
#include <pqxx/pqxx>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "common/log.h"
#include "store/migrations.h"
#include "store/store.h"

namespace sentinel::store {

namespace {

constexpr const char* kOtherKey = "(other)";
constexpr int64_t kMinuteKeep = 120;
constexpr const char* kChannel = "sentinel_changes";
constexpr int kMaxAttempts = 3;
constexpr size_t kMaxIdList = 7000;  // NOTIFY payloads must stay under 8000 bytes  // a group is
                                     // retried after a deadlock or serialization failure

// Serialises migrations of concurrently starting servers (an arbitrary fixed key).
constexpr int64_t kMigrationLock = 0x4e535f4d4947;  // "NS_MIG"

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

constexpr const char* kAlertColumns =
    "seq,id,ts,received_at,level,category,message,src,agent_id,hostname,src_ip,src_port,dest_ip,"
    "dest_port,proto,status,ack_by,ack_at,resolved_by,resolved_at";

std::optional<Timestamp> opt_time(const pqxx::field& f) {
    if (f.is_null())
        return std::nullopt;
    return Timestamp{f.as<int64_t>()};
}

std::string opt_text(const pqxx::field& f) {
    return f.is_null() ? std::string() : f.as<std::string>();
}

// One row selected with kAlertColumns.
StoredAlert read_stored(const pqxx::row& r) {
    StoredAlert out;
    out.seq = r[0].as<int64_t>();
    schema::Alert& a = out.alert;
    a.id = r[1].as<std::string>();
    a.ts = Timestamp{r[2].as<int64_t>()};
    a.received_at = Timestamp{r[3].as<int64_t>()};
    a.level = static_cast<schema::Severity>(std::clamp<int64_t>(r[4].as<int64_t>(), 0, 4));
    a.category = r[5].as<std::string>();
    a.message = r[6].as<std::string>();
    a.src = r[7].as<std::string>();
    a.agent_id = r[8].as<std::string>();
    a.hostname = r[9].as<std::string>();
    if (!r[10].is_null()) {
        schema::Flow f;
        f.src_ip = r[10].as<std::string>();
        f.src_port = static_cast<uint16_t>(r[11].as<int>(0));
        f.dest_ip = opt_text(r[12]);
        f.dest_port = static_cast<uint16_t>(r[13].as<int>(0));
        f.proto = static_cast<uint8_t>(r[14].as<int>(0));
        a.flow = std::move(f);
    }
    auto& w = out.workflow;
    w.status = static_cast<AlertStatus>(std::clamp<int64_t>(r[15].as<int64_t>(), 0, 2));
    w.ack_by = opt_text(r[16]);
    w.ack_at = opt_time(r[17]);
    w.resolved_by = opt_text(r[18]);
    w.resolved_at = opt_time(r[19]);
    return out;
}

// The WHERE clause of an alert query and its parameters ($1...).
void build_where(const AlertQuery& q, std::string& sql, std::vector<std::string>& params,
                 bool with_cursor) {
    sql += " WHERE true";
    auto add = [&](const char* column_op, std::string v) {
        params.push_back(std::move(v));
        sql += std::string(" AND ") + column_op + "$" + std::to_string(params.size());
    };
    if (with_cursor && q.before)
        add("seq<", std::to_string(*q.before));
    if (q.level)
        add("level=", std::to_string(static_cast<int>(*q.level)));
    if (!q.category.empty())
        add("category=", q.category);
    if (!q.agent_id.empty())
        add("agent_id=", q.agent_id);
    if (!q.src.empty())
        add("src=", q.src);
    if (q.since)
        add("ts>=", std::to_string(q.since->ns));
    if (q.until)
        add("ts<=", std::to_string(q.until->ns));
    switch (q.status) {
        case StatusFilter::kAny:
            break;
        case StatusFilter::kNew:
            sql += " AND status=0";
            break;
        case StatusFilter::kAcknowledged:
            sql += " AND status=1";
            break;
        case StatusFilter::kResolved:
            sql += " AND status=2";
            break;
        case StatusFilter::kOpen:
            sql += " AND status IN (0,1)";
            break;
    }
    if (!q.text.empty()) {
        std::string pattern = "%";
        for (char c : q.text) {
            if (c == '%' || c == '_' || c == '\\') {
                pattern += '\\';
            }
            pattern += c;
        }
        pattern += '%';
        params.push_back(std::move(pattern));
        const std::string p = "$" + std::to_string(params.size());
        sql += " AND (category ILIKE " + p + " OR message ILIKE " + p + " OR src ILIKE " + p +
               " OR hostname ILIKE " + p + ")";
    }
}

AgentRecord read_agent(const pqxx::row& r) {
    AgentRecord a;
    a.agent_id = r[0].as<std::string>();
    a.hostname = r[1].as<std::string>();
    a.ip = r[2].as<std::string>();
    a.os = r[3].as<std::string>();
    a.version = r[4].as<std::string>();
    a.first_seen = Timestamp{r[5].as<int64_t>()};
    a.last_seen = Timestamp{r[6].as<int64_t>()};
    a.alert_count = static_cast<uint64_t>(r[7].as<int64_t>());
    a.packets = static_cast<uint64_t>(r[8].as<int64_t>());
    a.bytes = static_cast<uint64_t>(r[9].as<int64_t>());
    a.capture_drops = static_cast<uint64_t>(r[10].as<int64_t>());
    a.spool_depth = static_cast<uint64_t>(r[11].as<int64_t>());
    a.spool_dropped = static_cast<uint64_t>(r[12].as<int64_t>());
    a.uptime_s = static_cast<uint64_t>(r[13].as<int64_t>());
    a.extra_json = r[14].as<std::string>();
    return a;
}

UserRecord read_user(const pqxx::row& r) {
    return UserRecord{r[0].as<std::string>(),
                      r[1].as<std::string>(),
                      r[2].as<std::string>(),
                      r[3].as<std::string>(),
                      static_cast<uint32_t>(r[4].as<int64_t>()),
                      Timestamp{r[5].as<int64_t>()}};
}

constexpr const char* kTokenSelect =
    "SELECT t.id,t.name,t.username,coalesce(u.role,''),t.hash,t.created,t.last_used FROM "
    "user_tokens t LEFT JOIN users u ON u.name=t.username";

TokenRecord read_token(const pqxx::row& r) {
    return TokenRecord{r[0].as<int64_t>(),     r[1].as<std::string>(),
                       r[2].as<std::string>(), r[3].as<std::string>(),
                       r[4].as<std::string>(), Timestamp{r[5].as<int64_t>()},
                       opt_time(r[6])};
}

constexpr const char* kRuleSelect =
    "SELECT id,category,src,dst,port,agent_id,expires_at,comment,created_by,created_at,"
    "hits_server,hits_agents,last_hit FROM suppressions";

SuppressionRule read_rule(const pqxx::row& r) {
    SuppressionRule x;
    x.id = r[0].as<int64_t>();
    x.category = r[1].as<std::string>();
    x.src = r[2].as<std::string>();
    x.dst = r[3].as<std::string>();
    x.port = static_cast<uint16_t>(r[4].as<int>());
    x.agent_id = r[5].as<std::string>();
    x.expires_at = opt_time(r[6]);
    x.comment = r[7].as<std::string>();
    x.created_by = r[8].as<std::string>();
    x.created_at = Timestamp{r[9].as<int64_t>()};
    x.hits_server = static_cast<uint64_t>(r[10].as<int64_t>());
    x.hits_agents = static_cast<uint64_t>(r[11].as<int64_t>());
    x.last_hit = opt_time(r[12]);
    return x;
}

constexpr const char* kAgentSelect =
    "SELECT agent_id,hostname,ip,os,version,first_seen,last_seen,alert_count,packets,bytes,"
    "capture_drops,spool_depth,spool_dropped,uptime_s,extra FROM agents";

// Appends one quoted element to a PostgreSQL array literal.
void append_element(std::string& out, const char* sep, const std::string& value) {
    out += sep;
    out += '"';
    for (char c : value) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    out += '"';
}

class PostgresStore;

// Forwards NOTIFY payloads to the store's listener thread.
class Receiver final : public pqxx::notification_receiver {
  public:
    Receiver(pqxx::connection_base& c, std::function<void(const std::string&)> fn)
        : pqxx::notification_receiver(c, kChannel), fn_(std::move(fn)) {}
    void operator()(const std::string& payload, int) override { fn_(payload); }

  private:
    std::function<void(const std::string&)> fn_;
};

class PostgresStore final : public Store {
  public:
    PostgresStore(std::string dsn, StoreOptions options) : dsn_(std::move(dsn)), options_(options) {
        std::random_device rd;
        origin_ = static_cast<int64_t>(rd() & 0x7fffffff) + 1;
    }

    ~PostgresStore() override { close(); }

    Status init() {
        try {
            wconn_ = std::make_unique<pqxx::connection>(dsn_);
            rconn_ = std::make_unique<pqxx::connection>(dsn_);
            if (auto st = migrate(); !st) {
                return st;
            }
            prepare(*wconn_);
            {
                pqxx::nontransaction n(*wconn_);
                for (const auto& row : n.exec("SELECT kind,key FROM stat_key")) {
                    const auto kind = row[0].as<int>();
                    if (kind == 0 || kind == 1) {
                        known_keys_[kind].insert(row[1].as<std::string>());
                    }
                }
            }
        } catch (const std::exception& e) {
            return Status::error(e.what());
        }
        if (auto r = apply_retention(Timestamp{now_ns()}); !r) {
            return r.status();
        }
        writer_ = std::thread([this] { writer_loop(); });
        return Status::ok();
    }

    void write(WriteBatch batch, WriteCallback done) override {
        {
            std::lock_guard lock(queue_mu_);
            if (!closing_) {
                queue_.push_back({std::move(batch), std::move(done)});
                queue_cv_.notify_one();
                return;
            }
        }
        done(WriteResult{Status::error("the store is closed"), {}});
    }

    Result<AlertPage> query_alerts(const AlertQuery& q) override {
        std::string sql = std::string("SELECT ") + kAlertColumns + " FROM alerts";
        std::vector<std::string> params;
        build_where(q, sql, params, true);
        const size_t limit = std::clamp<size_t>(q.limit, 1, 10'000);
        sql += " ORDER BY seq DESC LIMIT " + std::to_string(limit + 1);
        try {
            std::lock_guard lock(read_mu_);
            pqxx::nontransaction n(*rconn_);
            auto rows = n.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
            AlertPage page;
            for (const auto& row : rows) {
                if (page.alerts.size() == limit) {
                    page.next = page.alerts.back().seq;
                    break;
                }
                page.alerts.push_back(read_stored(row));
            }
            return page;
        } catch (const std::exception& e) {
            return Error{std::string("query failed: ") + e.what()};
        }
    }

    Result<uint64_t> count_alerts() override { return read_scalar("SELECT count(*) FROM alerts"); }

    Result<Summary> load_summary() override {
        try {
            std::lock_guard lock(read_mu_);
            pqxx::read_transaction t(*rconn_);  // one snapshot for all three tables
            Summary sum;
            for (const auto& row : t.exec("SELECT level,n FROM stat_level")) {
                const auto lvl = row[0].as<int64_t>();
                if (lvl >= 0 && lvl < 5) {
                    sum.by_level[static_cast<size_t>(lvl)] = row[1].as<uint64_t>();
                    sum.total += row[1].as<uint64_t>();
                }
            }
            for (const auto& row : t.exec("SELECT kind,key,n FROM stat_key")) {
                auto& target = row[0].as<int>() == 0 ? sum.categories : sum.sources;
                target.emplace_back(row[1].as<std::string>(), row[2].as<uint64_t>());
            }
            for (const auto& row :
                 t.exec("SELECT minute,level,n FROM stat_minute ORDER BY minute")) {
                const auto minute = row[0].as<int64_t>();
                if (sum.minutes.empty() || sum.minutes.back().first != minute) {
                    sum.minutes.push_back({minute, {}});
                }
                const auto lvl = row[1].as<int64_t>();
                if (lvl >= 0 && lvl < 5) {
                    sum.minutes.back().second[static_cast<size_t>(lvl)] = row[2].as<uint64_t>();
                }
            }
            return sum;
        } catch (const std::exception& e) {
            return Error{std::string("cannot load counters: ") + e.what()};
        }
    }

    Result<std::vector<AgentRecord>> load_agents() override {
        try {
            std::lock_guard lock(read_mu_);
            pqxx::nontransaction n(*rconn_);
            std::vector<AgentRecord> out;
            for (const auto& row : n.exec(kAgentSelect)) {
                out.push_back(read_agent(row));
            }
            return out;
        } catch (const std::exception& e) {
            return Error{std::string("cannot load agents: ") + e.what()};
        }
    }

    Result<uint64_t> prune_agents(Timestamp cutoff) override {
        try {
            std::lock_guard lock(write_mu_);
            pqxx::work w(*wconn_);
            auto r = w.exec_params("DELETE FROM agents WHERE last_seen<$1", cutoff.ns);
            w.commit();
            return static_cast<uint64_t>(r.affected_rows());
        } catch (const std::exception& e) {
            return Error{std::string("cannot prune agents: ") + e.what()};
        }
    }

    Result<uint64_t> apply_retention(Timestamp now) override {
        try {
            std::lock_guard lock(write_mu_);
            pqxx::work w(*wconn_);
            uint64_t removed = 0;
            if (options_.retention_days > 0) {
                const int64_t cutoff =
                    now.ns - static_cast<int64_t>(options_.retention_days) * 86'400 * 1'000'000'000;
                removed += w.exec_params("DELETE FROM alerts WHERE received_at<$1", cutoff)
                               .affected_rows();
            }
            if (options_.retention_max_alerts > 0) {
                removed += w.exec_params(
                                "DELETE FROM alerts WHERE seq<=(SELECT seq FROM alerts ORDER BY "
                                "seq DESC LIMIT 1 OFFSET $1)",
                                static_cast<int64_t>(options_.retention_max_alerts))
                               .affected_rows();
            }
            w.exec_params("DELETE FROM stat_minute WHERE minute<$1",
                          now.ns / 60'000'000'000 - kMinuteKeep);
            w.commit();
            return removed;
        } catch (const std::exception& e) {
            return Error{std::string("retention failed: ") + e.what()};
        }
    }

    Result<uint64_t> count_users() override { return read_scalar("SELECT count(*) FROM users"); }

    Status put_user(const UserRecord& u) override {
        return write_one("cannot store the user: ", [&](pqxx::work& w) {
            w.exec_params(
                "INSERT INTO users(name,role,salt,hash,iterations,created_at) "
                "VALUES($1,$2,$3,$4,$5,$6) ON CONFLICT(name) DO UPDATE SET role=excluded.role, "
                "salt=excluded.salt, hash=excluded.hash, iterations=excluded.iterations",
                u.name, u.role, u.salt_hex, u.hash_hex, static_cast<int64_t>(u.iterations),
                u.created_at.ns != 0 ? u.created_at.ns : now_ns());
        });
    }

    Result<std::optional<UserRecord>> find_user(const std::string& name) override {
        try {
            std::lock_guard lock(read_mu_);
            pqxx::nontransaction n(*rconn_);
            auto r = n.exec_params(
                "SELECT name,role,salt,hash,iterations,created_at FROM users WHERE name=$1", name);
            if (r.empty()) {
                return std::optional<UserRecord>{};
            }
            UserRecord u = read_user(r[0]);
            return std::optional<UserRecord>{std::move(u)};
        } catch (const std::exception& e) {
            return Error{std::string("cannot read the user: ") + e.what()};
        }
    }

    Status put_token(const std::string& name, const std::string& hash_hex) override {
        return write_one("cannot store the token: ", [&](pqxx::work& w) {
            w.exec_params(
                "INSERT INTO api_tokens(hash,name,created) VALUES($1,$2,$3) ON CONFLICT(hash) "
                "DO UPDATE SET name=excluded.name, created=excluded.created",
                hash_hex, name, now_ns());
        });
    }

    Result<std::optional<std::string>> find_token(const std::string& hash_hex) override {
        try {
            std::lock_guard lock(read_mu_);
            pqxx::nontransaction n(*rconn_);
            auto r = n.exec_params("SELECT name FROM api_tokens WHERE hash=$1", hash_hex);
            if (r.empty()) {
                return std::optional<std::string>{};
            }
            return std::optional<std::string>{r[0][0].as<std::string>()};
        } catch (const std::exception& e) {
            return Error{std::string("cannot read the token: ") + e.what()};
        }
    }

    Result<std::vector<AlertGroup>> query_groups(const AlertQuery& q) override {
        std::string sql =
            "SELECT category,src,count(*),max(level),min(ts),max(ts),count(DISTINCT agent_id),"
            "count(*) FILTER (WHERE status<2),max(seq),count(*) FILTER (WHERE status=0) FROM "
            "alerts";
        std::vector<std::string> params;
        build_where(q, sql, params, false);
        const size_t limit = std::clamp<size_t>(q.limit, 1, 10'000);
        sql += " GROUP BY category,src ORDER BY max(ts) DESC LIMIT " + std::to_string(limit);
        try {
            std::lock_guard lock(read_mu_);
            pqxx::nontransaction n(*rconn_);
            auto rows = n.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
            std::vector<AlertGroup> out;
            std::string seqs = "{";
            for (const auto& row : rows) {
                AlertGroup g;
                g.category = row[0].as<std::string>();
                g.src = row[1].as<std::string>();
                g.count = row[2].as<uint64_t>();
                g.level =
                    static_cast<schema::Severity>(std::clamp<int64_t>(row[3].as<int64_t>(), 0, 4));
                g.first_ts = Timestamp{row[4].as<int64_t>()};
                g.last_ts = Timestamp{row[5].as<int64_t>()};
                g.agents = row[6].as<uint64_t>();
                g.open = row[7].as<uint64_t>();
                g.unseen = row[9].as<uint64_t>();
                seqs += (out.empty() ? "" : ",") + row[8].as<std::string>();
                out.push_back(std::move(g));
            }
            seqs += "}";
            if (!out.empty()) {
                std::unordered_map<std::string, std::string> last;  // "category\0src" -> message
                for (const auto& row :
                     n.exec_params("SELECT category,src,message FROM alerts WHERE seq = "
                                   "ANY($1::bigint[])",
                                   seqs)) {
                    last[row[0].as<std::string>() + '\0' + row[1].as<std::string>()] =
                        row[2].as<std::string>();
                }
                for (auto& g : out) {
                    g.last_message = last[g.category + '\0' + g.src];
                }
            }
            return out;
        } catch (const std::exception& e) {
            return Error{std::string("query failed: ") + e.what()};
        }
    }

    Result<std::vector<StatusChanged>> change_status(const StatusChange& c) override {
        const bool resolve = c.to == AlertStatus::kResolved;
        const std::string set = resolve
                                    ? "UPDATE alerts SET status=2, resolved_by=$1, resolved_at=$2, "
                                      "ack_by=coalesce(ack_by,$1), ack_at=coalesce(ack_at,$2)"
                                    : "UPDATE alerts SET status=1, ack_by=$1, ack_at=$2";
        const std::string cond = resolve ? " AND status<2" : " AND status<1";
        const std::string returning = " RETURNING id,status,ack_by,ack_at,resolved_by,resolved_at";
        try {
            std::lock_guard lock(write_mu_);
            pqxx::work w(*wconn_);
            pqxx::result rows;
            if (c.group) {
                rows = w.exec_params(set + " WHERE category=$3 AND src=$4" + cond + returning, c.by,
                                     c.at.ns, c.group->first, c.group->second);
            } else {
                std::string ids = "{";
                for (const auto& id : c.ids) {
                    append_element(ids, ids.size() > 1 ? "," : "", id);
                }
                ids += "}";
                rows = w.exec_params(set + " WHERE id = ANY($3::text[])" + cond + returning, c.by,
                                     c.at.ns, ids);
            }
            std::vector<StatusChanged> changed;
            for (const auto& row : rows) {
                StatusChanged x;
                x.id = row[0].as<std::string>();
                x.workflow.status =
                    static_cast<AlertStatus>(std::clamp<int64_t>(row[1].as<int64_t>(), 0, 2));
                x.workflow.ack_by = opt_text(row[2]);
                x.workflow.ack_at = opt_time(row[3]);
                x.workflow.resolved_by = opt_text(row[4]);
                x.workflow.resolved_at = opt_time(row[5]);
                changed.push_back(std::move(x));
            }
            w.commit();
            return changed;
        } catch (const std::exception& e) {
            return Error{std::string("cannot update alerts: ") + e.what()};
        }
    }

    Result<std::vector<UserRecord>> list_users() override {
        try {
            std::lock_guard lock(read_mu_);
            pqxx::nontransaction n(*rconn_);
            std::vector<UserRecord> out;
            for (const auto& row :
                 n.exec("SELECT name,role,salt,hash,iterations,created_at FROM users ORDER BY "
                        "name")) {
                out.push_back(read_user(row));
            }
            return out;
        } catch (const std::exception& e) {
            return Error{std::string("cannot read users: ") + e.what()};
        }
    }

    Result<bool> delete_user(const std::string& name) override {
        try {
            std::lock_guard lock(write_mu_);
            pqxx::work w(*wconn_);
            w.exec_params("DELETE FROM user_tokens WHERE username=$1", name);
            const bool found =
                w.exec_params("DELETE FROM users WHERE name=$1", name).affected_rows() == 1;
            w.commit();
            return found;
        } catch (const std::exception& e) {
            return Error{std::string("cannot delete the user: ") + e.what()};
        }
    }

    Result<TokenRecord> create_user_token(const TokenRecord& token) override {
        try {
            std::lock_guard lock(write_mu_);
            pqxx::work w(*wconn_);
            TokenRecord out = token;
            out.created = Timestamp{now_ns()};
            auto r = w.exec_params(
                "INSERT INTO user_tokens(name,username,hash,created) VALUES($1,$2,$3,$4) "
                "RETURNING id",
                token.name, token.user, token.hash_hex, out.created.ns);
            out.id = r[0][0].as<int64_t>();
            w.commit();
            return out;
        } catch (const std::exception& e) {
            return Error{std::string("cannot store the token: ") + e.what()};
        }
    }

    Result<std::vector<TokenRecord>> list_user_tokens(const std::string& user) override {
        try {
            std::lock_guard lock(read_mu_);
            pqxx::nontransaction n(*rconn_);
            auto rows =
                user.empty()
                    ? n.exec(std::string(kTokenSelect) + " ORDER BY t.id")
                    : n.exec_params(
                          std::string(kTokenSelect) + " WHERE t.username=$1 ORDER BY t.id", user);
            std::vector<TokenRecord> out;
            for (const auto& row : rows) {
                out.push_back(read_token(row));
            }
            return out;
        } catch (const std::exception& e) {
            return Error{std::string("cannot read tokens: ") + e.what()};
        }
    }

    Result<std::optional<TokenRecord>> find_user_token(const std::string& hash_hex) override {
        try {
            std::lock_guard lock(read_mu_);
            pqxx::nontransaction n(*rconn_);
            auto rows = n.exec_params(
                std::string(kTokenSelect) + " WHERE t.hash=$1 AND u.name IS NOT NULL", hash_hex);
            std::optional<TokenRecord> out;
            if (!rows.empty()) {
                out = read_token(rows[0]);
            }
            return out;
        } catch (const std::exception& e) {
            return Error{std::string("cannot read the token: ") + e.what()};
        }
    }

    Result<bool> delete_user_token(int64_t id) override {
        try {
            std::lock_guard lock(write_mu_);
            pqxx::work w(*wconn_);
            const bool found =
                w.exec_params("DELETE FROM user_tokens WHERE id=$1", id).affected_rows() == 1;
            w.commit();
            return found;
        } catch (const std::exception& e) {
            return Error{std::string("cannot delete the token: ") + e.what()};
        }
    }

    Status touch_user_token(int64_t id, Timestamp when) override {
        return write_one("cannot update the token: ", [&](pqxx::work& w) {
            w.exec_params("UPDATE user_tokens SET last_used=$1 WHERE id=$2", when.ns, id);
        });
    }

    Status append_audit(const AuditEntry& e) override {
        return write_one("cannot write the audit log: ", [&](pqxx::work& w) {
            w.exec_params(
                "INSERT INTO audit_log(ts,username,ip,action,target,detail) "
                "VALUES($1,$2,$3,$4,$5,$6)",
                e.ts.ns, e.user, e.ip, e.action, e.target, e.detail);
        });
    }

    Result<AuditPage> query_audit(size_t limit, std::optional<int64_t> before) override {
        limit = std::clamp<size_t>(limit, 1, 1000);
        try {
            std::lock_guard lock(read_mu_);
            pqxx::nontransaction n(*rconn_);
            const std::string sql =
                "SELECT id,ts,username,ip,action,target,detail FROM audit_log WHERE id<$1 ORDER "
                "BY id DESC LIMIT " +
                std::to_string(limit + 1);
            AuditPage page;
            for (const auto& row :
                 n.exec_params(sql, before.value_or(std::numeric_limits<int64_t>::max()))) {
                if (page.entries.size() == limit) {
                    page.next = page.entries.back().id;
                    break;
                }
                page.entries.push_back({row[0].as<int64_t>(), Timestamp{row[1].as<int64_t>()},
                                        row[2].as<std::string>(), row[3].as<std::string>(),
                                        row[4].as<std::string>(), row[5].as<std::string>(),
                                        row[6].as<std::string>()});
            }
            return page;
        } catch (const std::exception& e) {
            return Error{std::string("cannot read the audit log: ") + e.what()};
        }
    }

    Result<SuppressionRule> create_suppression(const SuppressionRule& r) override {
        try {
            std::lock_guard lock(write_mu_);
            pqxx::work w(*wconn_);
            std::optional<int64_t> expires;
            if (r.expires_at) {
                expires = r.expires_at->ns;
            }
            auto res = w.exec_params(
                "INSERT INTO suppressions(category,src,dst,port,agent_id,expires_at,comment,"
                "created_by,created_at) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id",
                r.category, r.src, r.dst, static_cast<int>(r.port), r.agent_id, expires, r.comment,
                r.created_by, r.created_at.ns);
            w.exec("UPDATE meta SET value=value+1 WHERE key='suppressions_version'");
            SuppressionRule out = r;
            out.id = res[0][0].as<int64_t>();
            out.hits_server = out.hits_agents = 0;
            out.last_hit.reset();
            w.commit();
            return out;
        } catch (const std::exception& e) {
            return Error{std::string("cannot store the rule: ") + e.what()};
        }
    }

    Result<bool> delete_suppression(int64_t id, uint64_t unflushed_hits) override {
        try {
            std::lock_guard lock(write_mu_);
            pqxx::work w(*wconn_);
            w.exec_params(
                "INSERT INTO meta(key,value) SELECT 'suppressed_by_deleted_rules', "
                "hits_server+hits_agents+$2 FROM suppressions WHERE id=$1 "
                "ON CONFLICT(key) DO UPDATE SET value=meta.value+excluded.value",
                id, static_cast<int64_t>(unflushed_hits));
            w.exec_params("DELETE FROM suppression_agent_counts WHERE rule_id=$1", id);
            const bool found =
                w.exec_params("DELETE FROM suppressions WHERE id=$1", id).affected_rows() == 1;
            if (found) {
                w.exec("UPDATE meta SET value=value+1 WHERE key='suppressions_version'");
            }
            w.commit();
            return found;
        } catch (const std::exception& e) {
            return Error{std::string("cannot delete the rule: ") + e.what()};
        }
    }

    Result<std::vector<SuppressionRule>> load_suppressions() override {
        try {
            std::lock_guard lock(read_mu_);
            pqxx::nontransaction n(*rconn_);
            std::vector<SuppressionRule> out;
            for (const auto& row : n.exec(std::string(kRuleSelect) + " ORDER BY id")) {
                out.push_back(read_rule(row));
            }
            return out;
        } catch (const std::exception& e) {
            return Error{std::string("cannot read rules: ") + e.what()};
        }
    }

    Result<int64_t> suppressions_version() override {
        try {
            std::lock_guard lock(read_mu_);
            pqxx::nontransaction n(*rconn_);
            auto r = n.exec("SELECT value FROM meta WHERE key='suppressions_version'");
            return r.empty() ? int64_t{0} : r[0][0].as<int64_t>();
        } catch (const std::exception& e) {
            return Error{std::string("query failed: ") + e.what()};
        }
    }

    Result<uint64_t> suppressed_by_deleted_rules() override {
        try {
            std::lock_guard lock(read_mu_);
            pqxx::nontransaction n(*rconn_);
            auto r = n.exec("SELECT value FROM meta WHERE key='suppressed_by_deleted_rules'");
            return r.empty() ? uint64_t{0} : static_cast<uint64_t>(r[0][0].as<int64_t>());
        } catch (const std::exception& e) {
            return Error{std::string("query failed: ") + e.what()};
        }
    }

    Status record_suppression_hits(const std::vector<SuppressionHits>& hits,
                                   const std::vector<AgentRuleCount>& reported) override {
        // Sorted by rule id / key so concurrent servers take row locks in the same order.
        auto sorted_hits = hits;
        std::sort(sorted_hits.begin(), sorted_hits.end(),
                  [](const auto& a, const auto& b) { return a.rule_id < b.rule_id; });
        auto sorted_counts = reported;
        std::sort(sorted_counts.begin(), sorted_counts.end(), [](const auto& a, const auto& b) {
            return std::tie(a.agent_id, a.rule_id) < std::tie(b.agent_id, b.rule_id);
        });
        return write_one("cannot store rule hits: ", [&](pqxx::work& w) {
            for (const auto& x : sorted_hits) {
                w.exec_params(
                    "UPDATE suppressions SET hits_server=hits_server+$1, "
                    "hits_agents=hits_agents+$2, last_hit=greatest(coalesce(last_hit,0),$3) "
                    "WHERE id=$4",
                    static_cast<int64_t>(x.server), static_cast<int64_t>(x.agents), x.last_hit.ns,
                    x.rule_id);
            }
            for (const auto& x : sorted_counts) {
                w.exec_params(
                    "INSERT INTO suppression_agent_counts(agent_id,rule_id,reported) SELECT "
                    "$1::text,$2::bigint,$3::bigint WHERE EXISTS(SELECT 1 FROM suppressions WHERE "
                    "id=$2) ON "
                    "CONFLICT(agent_id,rule_id) DO UPDATE SET reported=excluded.reported",
                    x.agent_id, x.rule_id, static_cast<int64_t>(x.reported));
            }
        });
    }

    Result<std::vector<AgentRuleCount>> load_agent_rule_counts() override {
        try {
            std::lock_guard lock(read_mu_);
            pqxx::nontransaction n(*rconn_);
            std::vector<AgentRuleCount> out;
            for (const auto& row :
                 n.exec("SELECT agent_id,rule_id,reported FROM suppression_agent_counts")) {
                out.push_back({row[0].as<std::string>(), row[1].as<int64_t>(),
                               static_cast<uint64_t>(row[2].as<int64_t>())});
            }
            return out;
        } catch (const std::exception& e) {
            return Error{std::string("cannot read rule counts: ") + e.what()};
        }
    }

    // Payload "m <origin> <message>"; the commit announcements start with a digit.
    Status relay(const std::string& message) override {
        if (message.size() > kMaxRelayBytes) {
            return Status::error("a relayed message is limited to " +
                                 std::to_string(kMaxRelayBytes) + " bytes");
        }
        return write_one("cannot relay to the other servers: ", [&](pqxx::work& w) {
            w.exec_params("SELECT pg_notify($1,$2)", kChannel,
                          "m " + std::to_string(origin_) + " " + message);
        });
    }

    Status subscribe(std::function<void(RemoteChange)> on_change) override {
        std::lock_guard lock(listen_mu_);
        if (listener_.joinable()) {
            return Status::error("already subscribed");
        }
        try {
            lconn_ = std::make_unique<pqxx::connection>(dsn_);
            receiver_ = std::make_unique<Receiver>(
                *lconn_, [this](const std::string& payload) { payloads_.push_back(payload); });
            // LISTEN is sent lazily; make it effective before returning.
            pqxx::nontransaction(*lconn_).exec("SELECT 1");
        } catch (const std::exception& e) {
            return Status::error(std::string("cannot listen for other servers: ") + e.what());
        }
        on_change_ = std::move(on_change);
        listener_ = std::thread([this] { listen_loop(); });
        return Status::ok();
    }

    void close() override {
        {
            std::lock_guard lock(queue_mu_);
            if (closing_) {
                return;
            }
            closing_ = true;
            queue_cv_.notify_all();
        }
        if (writer_.joinable()) {
            writer_.join();
        }
        listen_stop_ = true;
        if (listener_.joinable()) {
            listener_.join();
        }
        receiver_.reset();
        lconn_.reset();
    }

  private:
    struct Pending {
        WriteBatch batch;
        WriteCallback done;
    };

    Status migrate() {
        pqxx::work w(*wconn_);
        w.exec_params("SELECT pg_advisory_xact_lock($1)", kMigrationLock);
        w.exec(
            "CREATE TABLE IF NOT EXISTS schema_migrations(version INTEGER PRIMARY KEY, "
            "applied_at BIGINT NOT NULL)");
        int current = 0;
        auto r = w.exec("SELECT coalesce(max(version),0) FROM schema_migrations");
        current = r[0][0].as<int>();
        const auto& list = postgres_migrations();
        if (current > static_cast<int>(list.size())) {
            return Status::error("the database schema (version " + std::to_string(current) +
                                 ") is newer than this server (version " +
                                 std::to_string(list.size()) + "); upgrade the server");
        }
        for (size_t v = static_cast<size_t>(current); v < list.size(); ++v) {
            w.exec(list[v]);
            w.exec_params("INSERT INTO schema_migrations(version,applied_at) VALUES($1,$2)",
                          static_cast<int>(v + 1), now_ns());
        }
        w.commit();
        return Status::ok();
    }

    static void prepare(pqxx::connection& c) {
        c.prepare("insert_alerts",
                  "INSERT INTO alerts(id,ts,received_at,level,category,message,src,agent_id,"
                  "hostname,src_ip,src_port,dest_ip,dest_port,proto,origin) SELECT u.*, $15 FROM "
                  "unnest($1::text[],$2::bigint[],$3::bigint[],$4::smallint[],$5::text[],"
                  "$6::text[],$7::text[],$8::text[],$9::text[],$10::text[],$11::integer[],"
                  "$12::text[],$13::integer[],$14::smallint[]) AS u ON CONFLICT(id) DO NOTHING "
                  "RETURNING id,seq");
        c.prepare(
            "upsert_agent",
            "INSERT INTO agents(agent_id,hostname,ip,os,version,first_seen,last_seen,alert_count,"
            "packets,bytes,capture_drops,spool_depth,spool_dropped,uptime_s,extra) "
            "VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) ON CONFLICT(agent_id) DO "
            "UPDATE SET hostname=excluded.hostname, ip=excluded.ip, os=excluded.os, "
            "version=excluded.version, last_seen=greatest(agents.last_seen,excluded.last_seen), "
            "alert_count=agents.alert_count+excluded.alert_count, packets=excluded.packets, "
            "bytes=excluded.bytes, capture_drops=excluded.capture_drops, "
            "spool_depth=excluded.spool_depth, spool_dropped=excluded.spool_dropped, "
            "uptime_s=excluded.uptime_s, extra=excluded.extra");
        c.prepare("bump_level",
                  "INSERT INTO stat_level(level,n) VALUES($1,$2) ON CONFLICT(level) DO UPDATE "
                  "SET n=stat_level.n+excluded.n");
        c.prepare("bump_key",
                  "INSERT INTO stat_key(kind,key,n) VALUES($1,$2,$3) ON CONFLICT(kind,key) DO "
                  "UPDATE SET n=stat_key.n+excluded.n");
        c.prepare("bump_minute",
                  "INSERT INTO stat_minute(minute,level,n) VALUES($1,$2,$3) ON "
                  "CONFLICT(minute,level) DO UPDATE SET n=stat_minute.n+excluded.n");
    }

    Result<uint64_t> read_scalar(const char* sql) {
        try {
            std::lock_guard lock(read_mu_);
            pqxx::nontransaction n(*rconn_);
            return n.exec(sql)[0][0].as<uint64_t>();
        } catch (const std::exception& e) {
            return Error{std::string("query failed: ") + e.what()};
        }
    }

    template <typename Fn>
    Status write_one(const char* what, Fn&& fn) {
        try {
            std::lock_guard lock(write_mu_);
            pqxx::work w(*wconn_);
            fn(w);
            w.commit();
            return Status::ok();
        } catch (const std::exception& e) {
            return Status::error(std::string(what) + e.what());
        }
    }

    void writer_loop() {
        for (;;) {
            std::vector<Pending> group;
            {
                std::unique_lock lock(queue_mu_);
                queue_cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
                if (queue_.empty()) {
                    return;
                }
                size_t alerts = 0;
                while (!queue_.empty() && (group.empty() || alerts < options_.max_group)) {
                    alerts += queue_.front().batch.alerts.size() + 1;
                    group.push_back(std::move(queue_.front()));
                    queue_.pop_front();
                }
            }
            std::vector<WriteResult> results(group.size());
            Status st;
            for (int attempt = 1; attempt <= kMaxAttempts; ++attempt) {
                for (auto& r : results) {
                    r.inserted.clear();
                }
                std::lock_guard lock(write_mu_);
                bool retry = false;
                st = commit_group(group, results, &retry);
                if (st || !retry) {
                    break;
                }
            }
            for (size_t i = 0; i < group.size(); ++i) {
                if (!st) {
                    results[i] = WriteResult{st, {}};
                }
                group[i].done(std::move(results[i]));
            }
        }
    }

    Status commit_group(std::vector<Pending>& group, std::vector<WriteResult>& results,
                        bool* retry) {
        try {
            pqxx::work w(*wconn_);
            std::array<int64_t, 5> levels{};
            // Ordered maps: every instance takes row locks in the same order, so concurrent
            // groups from several servers cannot deadlock on the counters.
            std::map<std::string, int64_t> keys[2];
            std::map<std::pair<int64_t, int64_t>, int64_t> minutes;
            std::map<std::string, std::pair<const AgentRecord*, int64_t>> agents;
            int64_t min_seq = 0, max_seq = 0;
            std::unordered_set<std::string> pending_keys[2];
            // All alerts of the group in one statement (arrays unnested server-side): one
            // round trip instead of one per alert.
            std::string cols[14];
            std::vector<int64_t> received_at;
            for (auto& c : cols)
                c = "{";
            size_t total = 0;
            for (const auto& p : group) {
                for (const auto& a : p.batch.alerts) {
                    const int64_t received = a.received_at ? a.received_at->ns : now_ns();
                    received_at.push_back(received);
                    const char* sep = total == 0 ? "" : ",";
                    append_element(cols[0], sep, a.id);
                    cols[1] += sep + std::to_string(a.ts.ns);
                    cols[2] += sep + std::to_string(received);
                    cols[3] += sep + std::to_string(static_cast<int>(a.level));
                    append_element(cols[4], sep, a.category);
                    append_element(cols[5], sep, a.message);
                    append_element(cols[6], sep, a.src);
                    append_element(cols[7], sep, a.agent_id);
                    append_element(cols[8], sep, a.hostname);
                    if (a.flow) {
                        append_element(cols[9], sep, a.flow->src_ip);
                        cols[10] += sep + std::to_string(a.flow->src_port);
                        append_element(cols[11], sep, a.flow->dest_ip);
                        cols[12] += sep + std::to_string(a.flow->dest_port);
                        cols[13] += sep + std::to_string(a.flow->proto);
                    } else {
                        for (int c = 9; c < 14; ++c)
                            cols[c] += std::string(sep) + "NULL";
                    }
                    ++total;
                }
            }
            std::unordered_map<std::string, int64_t> stored;  // id -> seq, new rows only
            if (total > 0) {
                for (auto& c : cols)
                    c += "}";
                auto rows = w.exec_prepared("insert_alerts", cols[0], cols[1], cols[2], cols[3],
                                            cols[4], cols[5], cols[6], cols[7], cols[8], cols[9],
                                            cols[10], cols[11], cols[12], cols[13], origin_);
                stored.reserve(rows.size());
                for (const auto& row : rows) {
                    const auto seq = row[1].as<int64_t>();
                    stored.emplace(row[0].as<std::string>(), seq);
                    min_seq = min_seq == 0 ? seq : std::min(min_seq, seq);
                    max_seq = std::max(max_seq, seq);
                }
            }
            size_t index = 0;
            for (size_t g = 0; g < group.size(); ++g) {
                auto& batch = group[g].batch;
                auto& inserted = results[g].inserted;
                inserted.reserve(batch.alerts.size());
                int64_t new_count = 0;
                for (const auto& a : batch.alerts) {
                    const int64_t received = received_at[index++];
                    // A repeated id within the group is new only at its first occurrence.
                    const bool is_new = stored.erase(a.id) == 1;
                    inserted.push_back(is_new);
                    if (!is_new) {
                        continue;
                    }
                    ++new_count;
                    const auto lvl = static_cast<size_t>(a.level);
                    ++levels[lvl];
                    ++keys[0][bounded_key(0, a.category, pending_keys[0])];
                    if (!a.src.empty()) {
                        ++keys[1][bounded_key(1, a.src, pending_keys[1])];
                    }
                    ++minutes[{received / 60'000'000'000, static_cast<int64_t>(lvl)}];
                }
                if (batch.agent) {
                    auto& slot = agents[batch.agent->agent_id];
                    slot.first = &*batch.agent;
                    slot.second += new_count;
                }
            }
            for (const auto& [id, slot] : agents) {
                const auto& r = *slot.first;
                w.exec_prepared(
                    "upsert_agent", r.agent_id, r.hostname, r.ip, r.os, r.version, r.first_seen.ns,
                    r.last_seen.ns, slot.second, static_cast<int64_t>(r.packets),
                    static_cast<int64_t>(r.bytes), static_cast<int64_t>(r.capture_drops),
                    static_cast<int64_t>(r.spool_depth), static_cast<int64_t>(r.spool_dropped),
                    static_cast<int64_t>(r.uptime_s), r.extra_json);
            }
            for (size_t l = 0; l < levels.size(); ++l) {
                if (levels[l] > 0) {
                    w.exec_prepared("bump_level", static_cast<int>(l), levels[l]);
                }
            }
            for (int kind = 0; kind < 2; ++kind) {
                for (const auto& [key, n] : keys[kind]) {
                    w.exec_prepared("bump_key", kind, key, n);
                }
            }
            for (const auto& [k, n] : minutes) {
                w.exec_prepared("bump_minute", k.first, static_cast<int>(k.second), n);
            }
            if (max_seq > 0 || !agents.empty()) {
                // Delivered to listeners only if the transaction commits. exec0 would throw on
                // the one-row result of pg_notify, so use exec.
                // "origin min_seq max_seq agents [{changed agent ids}]": the id list is left
                // out when it would not fit a payload (listeners then reload every agent).
                std::string payload = std::to_string(origin_) + " " + std::to_string(min_seq) +
                                      " " + std::to_string(max_seq) + " " +
                                      (agents.empty() ? "0" : "1");
                if (!agents.empty()) {
                    std::string ids = "{";
                    for (const auto& [id, slot] : agents) {
                        append_element(ids, ids.size() > 1 ? "," : "", id);
                    }
                    ids += "}";
                    if (ids.size() < kMaxIdList) {
                        payload += " " + ids;
                    }
                }
                w.exec_params("SELECT pg_notify($1,$2)", kChannel, payload);
            }
            w.commit();
            for (int kind = 0; kind < 2; ++kind) {
                known_keys_[kind].insert(pending_keys[kind].begin(), pending_keys[kind].end());
            }
            return Status::ok();
        } catch (const pqxx::deadlock_detected& e) {
            *retry = true;
            return Status::error(std::string("cannot store alerts: ") + e.what());
        } catch (const pqxx::serialization_failure& e) {
            *retry = true;
            return Status::error(std::string("cannot store alerts: ") + e.what());
        } catch (const pqxx::broken_connection& e) {
            *retry = reconnect();
            return Status::error(std::string("cannot store alerts: ") + e.what());
        } catch (const std::exception& e) {
            return Status::error(std::string("cannot store alerts: ") + e.what());
        }
    }

    bool reconnect() {
        try {
            wconn_ = std::make_unique<pqxx::connection>(dsn_);
            prepare(*wconn_);
            return true;
        } catch (const std::exception& e) {
            SENTINEL_LOG(warn, "store", "cannot reconnect to the database: {}", e.what());
            return false;
        }
    }

    // Counters keyed by client strings are capped; new keys past the cap share one bucket.
    // Keys become known only when their transaction commits (a rolled back group retries).
    std::string bounded_key(int kind, const std::string& key,
                            std::unordered_set<std::string>& pending) {
        const auto& known = known_keys_[kind];
        if (known.count(key) || pending.count(key)) {
            return key;
        }
        if (known.size() + pending.size() >= options_.max_counter_keys) {
            pending.insert(kOtherKey);
            return kOtherKey;
        }
        pending.insert(key);
        return key;
    }

    void listen_loop() {
        while (!listen_stop_) {
            try {
                lconn_->await_notification(0, 200'000);
            } catch (const std::exception& e) {
                SENTINEL_LOG(warn, "store", "lost the database notification connection: {}",
                             e.what());
                std::this_thread::sleep_for(std::chrono::seconds(1));
                try {
                    receiver_.reset();
                    lconn_ = std::make_unique<pqxx::connection>(dsn_);
                    receiver_ = std::make_unique<Receiver>(
                        *lconn_, [this](const std::string& p) { payloads_.push_back(p); });
                    pqxx::nontransaction(*lconn_).exec("SELECT 1");
                } catch (const std::exception&) {
                }
                continue;
            }
            auto payloads = std::move(payloads_);
            payloads_.clear();
            for (const auto& p : payloads) {
                handle_payload(p);
            }
        }
    }

    void handle_payload(const std::string& payload) {
        if (payload.rfind("m ", 0) == 0) {
            const size_t space = payload.find(' ', 2);
            if (space == std::string::npos ||
                payload.compare(2, space - 2, std::to_string(origin_)) == 0) {
                return;  // malformed, or our own (already sent to our dashboards)
            }
            RemoteChange change;
            change.messages.push_back(payload.substr(space + 1));
            if (on_change_) {
                on_change_(std::move(change));
            }
            return;
        }
        int64_t origin = 0, min_seq = 0, max_seq = 0;
        int agents_changed = 0;
        if (std::sscanf(payload.c_str(), "%ld %ld %ld %d", &origin, &min_seq, &max_seq,
                        &agents_changed) != 4 ||
            origin == origin_) {
            return;  // our own commits are announced locally
        }
        RemoteChange change;
        try {
            pqxx::nontransaction n(*lconn_);
            if (max_seq > 0) {
                auto rows = n.exec_params(std::string("SELECT ") + kAlertColumns +
                                              " FROM alerts WHERE seq BETWEEN $1 AND $2 AND "
                                              "origin=$3 ORDER BY seq",
                                          min_seq, max_seq, origin);
                for (const auto& row : rows) {
                    change.alerts.push_back(read_stored(row).alert);
                }
            }
            if (agents_changed) {
                // The changed agents' ids follow the four numbers, when they fit.
                size_t pos = 0;
                for (int field = 0; field < 4 && pos != std::string::npos; ++field) {
                    pos = payload.find(' ', field == 0 ? 0 : pos + 1);
                }
                const std::string ids =
                    pos == std::string::npos ? std::string() : payload.substr(pos + 1);
                auto rows =
                    ids.empty()
                        ? n.exec(kAgentSelect)
                        : n.exec_params(
                              std::string(kAgentSelect) + " WHERE agent_id = ANY($1::text[])", ids);
                for (const auto& row : rows) {
                    change.agents.push_back(read_agent(row));
                }
                change.agents_changed = true;
            }
        } catch (const std::exception& e) {
            SENTINEL_LOG(warn, "store", "cannot read another server's commit: {}", e.what());
            return;
        }
        if (on_change_) {
            on_change_(std::move(change));
        }
    }

    std::string dsn_;
    StoreOptions options_;
    int64_t origin_ = 0;  // tags this instance's rows so listeners skip their own commits

    std::mutex write_mu_;
    std::unique_ptr<pqxx::connection> wconn_;
    std::unordered_set<std::string> known_keys_[2];

    std::mutex read_mu_;
    std::unique_ptr<pqxx::connection> rconn_;

    std::mutex queue_mu_;
    std::condition_variable queue_cv_;
    std::deque<Pending> queue_;
    bool closing_ = false;
    std::thread writer_;

    std::mutex listen_mu_;
    std::unique_ptr<pqxx::connection> lconn_;
    std::unique_ptr<Receiver> receiver_;
    std::vector<std::string> payloads_;  // listener thread only
    std::function<void(RemoteChange)> on_change_;
    std::atomic<bool> listen_stop_{false};
    std::thread listener_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_postgres(const std::string& dsn, const StoreOptions& options) {
    auto store = std::make_unique<PostgresStore>(dsn, options);
    if (auto st = store->init(); !st) {
        // libpq messages may echo connection parameters but never the password.
        return Error{"PostgreSQL database: " + st.message()};
    }
    return std::unique_ptr<Store>(std::move(store));
}

}  // namespace sentinel::store
