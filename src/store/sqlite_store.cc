// SQLite backend: one write connection owned by a group-commit writer thread, one read
// connection, WAL mode with synchronous=FULL so an acknowledged alert survives a crash.
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "common/log.h"
#include "store/migrations.h"
#include "store/store.h"

namespace sentinel::store {

WriteResult Store::write_sync(WriteBatch batch) {
    std::promise<WriteResult> p;
    auto f = p.get_future();
    write(std::move(batch), [&p](WriteResult r) { p.set_value(std::move(r)); });
    return f.get();
}

namespace {

constexpr const char* kOtherKey = "(other)";
constexpr int64_t kMinuteKeep = 120;    // minutes of per-minute counters kept
constexpr int kCheckpointPages = 1000;  // WAL size that wakes the checkpointer

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A prepared statement; reset after every use.
class Stmt {
  public:
    Stmt() = default;
    Stmt(sqlite3* db, const std::string& sql) {
        if (sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) !=
            SQLITE_OK) {
            error_ = sqlite3_errmsg(db);
            s_ = nullptr;
        }
    }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    Stmt(Stmt&& o) noexcept : s_(std::exchange(o.s_, nullptr)), error_(std::move(o.error_)) {}
    Stmt& operator=(Stmt&& o) noexcept {
        std::swap(s_, o.s_);
        std::swap(error_, o.error_);
        return *this;
    }
    ~Stmt() { sqlite3_finalize(s_); }

    bool ok() const { return s_ != nullptr; }
    const std::string& error() const { return error_; }
    sqlite3_stmt* get() { return s_; }

    Stmt& bind(int i, int64_t v) {
        sqlite3_bind_int64(s_, i, v);
        return *this;
    }
    Stmt& bind(int i, const std::string& v) {
        sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    int step() { return sqlite3_step(s_); }
    void reset() {
        sqlite3_reset(s_);
        sqlite3_clear_bindings(s_);
    }
    int64_t i64(int col) { return sqlite3_column_int64(s_, col); }
    std::string text(int col) {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
        return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, col))) : "";
    }

  private:
    sqlite3_stmt* s_ = nullptr;
    std::string error_;
};

Status exec(sqlite3* db, const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "unknown error";
        sqlite3_free(err);
        return Status::error(msg);
    }
    return Status::ok();
}

Result<sqlite3*> open_db(const std::string& path) {
    sqlite3* db = nullptr;
    const int rc =
        sqlite3_open_v2(path.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close(db);
        return Error{"cannot open database " + path + ": " + msg};
    }
    sqlite3_busy_timeout(db, 10'000);
    return db;
}

constexpr const char* kAlertColumns =
    "seq,id,ts,received_at,level,category,message,src,agent_id,hostname,src_ip,src_port,dest_ip,"
    "dest_port,proto,status,ack_by,ack_at,resolved_by,resolved_at";

bool is_null(Stmt& s, int col) { return sqlite3_column_type(s.get(), col) == SQLITE_NULL; }

std::optional<Timestamp> opt_time(Stmt& s, int col) {
    if (is_null(s, col))
        return std::nullopt;
    return Timestamp{s.i64(col)};
}

// One row selected with kAlertColumns.
StoredAlert read_stored(Stmt& s) {
    StoredAlert out;
    out.seq = s.i64(0);
    schema::Alert& a = out.alert;
    a.id = s.text(1);
    a.ts = Timestamp{s.i64(2)};
    a.received_at = Timestamp{s.i64(3)};
    a.level = static_cast<schema::Severity>(std::clamp<int64_t>(s.i64(4), 0, 4));
    a.category = s.text(5);
    a.message = s.text(6);
    a.src = s.text(7);
    a.agent_id = s.text(8);
    a.hostname = s.text(9);
    if (!is_null(s, 10)) {
        schema::Flow f;
        f.src_ip = s.text(10);
        f.src_port = static_cast<uint16_t>(s.i64(11));
        f.dest_ip = s.text(12);
        f.dest_port = static_cast<uint16_t>(s.i64(13));
        f.proto = static_cast<uint8_t>(s.i64(14));
        a.flow = std::move(f);
    }
    auto& w = out.workflow;
    w.status = static_cast<AlertStatus>(std::clamp<int64_t>(s.i64(15), 0, 2));
    w.ack_by = s.text(16);
    w.ack_at = opt_time(s, 17);
    w.resolved_by = s.text(18);
    w.resolved_at = opt_time(s, 19);
    return out;
}

// A bound value of a dynamically built statement.
struct Bind {
    bool is_text = false;
    int64_t i = 0;
    std::string t;
};

// The WHERE clause of an alert query (starting with " WHERE 1") and its values.
void build_where(const AlertQuery& q, std::string& sql, std::vector<Bind>& binds,
                 bool with_cursor) {
    sql += " WHERE 1";
    auto add_int = [&](const char* clause, int64_t v) {
        sql += clause;
        binds.push_back({false, v, {}});
    };
    auto add_text = [&](const char* clause, std::string v) {
        sql += clause;
        binds.push_back({true, 0, std::move(v)});
    };
    if (with_cursor && q.before)
        add_int(" AND seq<?", *q.before);
    if (q.level)
        add_int(" AND level=?", static_cast<int64_t>(*q.level));
    if (!q.category.empty())
        add_text(" AND category=?", q.category);
    if (!q.agent_id.empty())
        add_text(" AND agent_id=?", q.agent_id);
    if (!q.src.empty())
        add_text(" AND src=?", q.src);
    if (q.since)
        add_int(" AND ts>=?", q.since->ns);
    if (q.until)
        add_int(" AND ts<=?", q.until->ns);
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
        binds.push_back({true, 0, std::move(pattern)});
        const std::string p = "?" + std::to_string(binds.size());
        sql += " AND (category LIKE " + p + " ESCAPE '\\' OR message LIKE " + p +
               " ESCAPE '\\' OR src LIKE " + p + " ESCAPE '\\' OR hostname LIKE " + p +
               " ESCAPE '\\')";
    }
}

void bind_all(Stmt& s, const std::vector<Bind>& binds) {
    for (size_t i = 0; i < binds.size(); ++i) {
        const int idx = static_cast<int>(i + 1);
        if (binds[i].is_text) {
            s.bind(idx, binds[i].t);
        } else {
            s.bind(idx, binds[i].i);
        }
    }
}

class SqliteStore final : public Store {
  public:
    SqliteStore(sqlite3* wdb, sqlite3* rdb, sqlite3* cdb, StoreOptions options)
        : wdb_(wdb), rdb_(rdb), cdb_(cdb), options_(options) {}

    ~SqliteStore() override {
        close();
        read_stmts_.clear();
        insert_alert_ = Stmt();
        upsert_agent_ = Stmt();
        bump_level_ = Stmt();
        bump_key_ = Stmt();
        bump_minute_ = Stmt();
        sqlite3_close(wdb_);
        sqlite3_close(rdb_);
        sqlite3_close(cdb_);
    }

    Status init() {
        for (const char* pragma :
             {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=OFF",
              "PRAGMA cache_size=-65536", "PRAGMA temp_store=MEMORY"}) {
            if (auto st = exec(wdb_, pragma); !st) {
                return st;
            }
        }
        (void)exec(rdb_, "PRAGMA cache_size=-16384");
        if (auto st = migrate(); !st) {
            return Status::error("cannot create the database schema: " + st.message());
        }
        insert_alert_ = Stmt(wdb_,
                             "INSERT OR IGNORE INTO alerts(id,ts,received_at,level,category,"
                             "message,src,agent_id,hostname,src_ip,src_port,dest_ip,dest_port,"
                             "proto) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
        upsert_agent_ = Stmt(
            wdb_,
            "INSERT INTO agents(agent_id,hostname,ip,os,version,first_seen,last_seen,alert_count,"
            "packets,bytes,capture_drops,spool_depth,spool_dropped,uptime_s,extra) "
            "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(agent_id) DO UPDATE SET "
            "hostname=excluded.hostname, ip=excluded.ip, os=excluded.os, "
            "version=excluded.version, last_seen=excluded.last_seen, "
            "alert_count=agents.alert_count+excluded.alert_count, packets=excluded.packets, "
            "bytes=excluded.bytes, capture_drops=excluded.capture_drops, "
            "spool_depth=excluded.spool_depth, spool_dropped=excluded.spool_dropped, "
            "uptime_s=excluded.uptime_s, extra=excluded.extra");
        bump_level_ = Stmt(wdb_,
                           "INSERT INTO stat_level(level,n) VALUES(?,?) ON CONFLICT(level) DO "
                           "UPDATE SET n=n+excluded.n");
        bump_key_ = Stmt(wdb_,
                         "INSERT INTO stat_key(kind,key,n) VALUES(?,?,?) ON CONFLICT(kind,key) "
                         "DO UPDATE SET n=n+excluded.n");
        bump_minute_ = Stmt(wdb_,
                            "INSERT INTO stat_minute(minute,level,n) VALUES(?,?,?) ON "
                            "CONFLICT(minute,level) DO UPDATE SET n=n+excluded.n");
        for (Stmt* s : {&insert_alert_, &upsert_agent_, &bump_level_, &bump_key_, &bump_minute_}) {
            if (!s->ok()) {
                return Status::error("cannot prepare a statement: " + s->error());
            }
        }
        {
            Stmt keys(wdb_, "SELECT kind,key FROM stat_key");
            while (keys.step() == SQLITE_ROW) {
                const auto kind = keys.i64(0);
                if (kind == 0 || kind == 1) {
                    known_keys_[kind].insert(keys.text(1));
                }
            }
        }
        if (auto r = apply_retention(Timestamp{now_ns()}); !r) {
            return r.status();
        }
        // Checkpoints run on their own connection and thread, so a commit only waits for its
        // own WAL fsync, never for copying pages back into the database file.
        sqlite3_wal_hook(wdb_, &SqliteStore::on_wal_commit, this);
        // The checkpoint connection must see the database in WAL mode, or checkpoints are no-ops.
        if (auto st = exec(cdb_, "PRAGMA journal_mode=WAL"); !st) {
            return st;
        }
        (void)exec(wdb_, "PRAGMA journal_size_limit=67108864");
        checkpointer_ = std::thread([this] { checkpoint_loop(); });
        writer_ = std::thread([this] { writer_loop(); });
        completer_ = std::thread([this] { completion_loop(); });
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
        std::vector<Bind> binds;
        build_where(q, sql, binds, true);
        const size_t limit = std::clamp<size_t>(q.limit, 1, 10'000);
        sql += " ORDER BY seq DESC LIMIT " + std::to_string(limit + 1);

        std::lock_guard lock(read_mu_);
        Stmt& s = read_stmt(sql);
        if (!s.ok()) {
            return Error{"query failed: " + s.error()};
        }
        bind_all(s, binds);
        AlertPage page;
        int rc;
        while ((rc = s.step()) == SQLITE_ROW) {
            if (page.alerts.size() == limit) {
                page.next = page.alerts.back().seq;
                break;
            }
            page.alerts.push_back(read_stored(s));
        }
        const bool failed = rc != SQLITE_ROW && rc != SQLITE_DONE;
        s.reset();
        if (failed) {
            return Error{std::string("query failed: ") + sqlite3_errmsg(rdb_)};
        }
        return page;
    }

    Result<uint64_t> count_alerts() override {
        std::lock_guard lock(read_mu_);
        Stmt& s = read_stmt("SELECT count(*) FROM alerts");
        uint64_t n = 0;
        if (s.step() == SQLITE_ROW) {
            n = static_cast<uint64_t>(s.i64(0));
        }
        s.reset();
        return n;
    }

    Result<Summary> load_summary() override {
        std::lock_guard lock(read_mu_);
        Summary sum;
        {
            Stmt s(rdb_, "SELECT level,n FROM stat_level");
            while (s.step() == SQLITE_ROW) {
                const auto lvl = s.i64(0);
                if (lvl >= 0 && lvl < 5) {
                    sum.by_level[static_cast<size_t>(lvl)] = static_cast<uint64_t>(s.i64(1));
                    sum.total += static_cast<uint64_t>(s.i64(1));
                }
            }
        }
        {
            Stmt s(rdb_, "SELECT kind,key,n FROM stat_key");
            while (s.step() == SQLITE_ROW) {
                auto& target = s.i64(0) == 0 ? sum.categories : sum.sources;
                target.emplace_back(s.text(1), static_cast<uint64_t>(s.i64(2)));
            }
        }
        {
            Stmt s(rdb_, "SELECT minute,level,n FROM stat_minute ORDER BY minute");
            while (s.step() == SQLITE_ROW) {
                const int64_t minute = s.i64(0);
                if (sum.minutes.empty() || sum.minutes.back().first != minute) {
                    sum.minutes.push_back({minute, {}});
                }
                const auto lvl = s.i64(1);
                if (lvl >= 0 && lvl < 5) {
                    sum.minutes.back().second[static_cast<size_t>(lvl)] =
                        static_cast<uint64_t>(s.i64(2));
                }
            }
        }
        return sum;
    }

    Result<std::vector<AgentRecord>> load_agents() override {
        std::lock_guard lock(read_mu_);
        Stmt s(rdb_,
               "SELECT agent_id,hostname,ip,os,version,first_seen,last_seen,alert_count,packets,"
               "bytes,capture_drops,spool_depth,spool_dropped,uptime_s,extra FROM agents");
        std::vector<AgentRecord> out;
        while (s.step() == SQLITE_ROW) {
            AgentRecord a;
            a.agent_id = s.text(0);
            a.hostname = s.text(1);
            a.ip = s.text(2);
            a.os = s.text(3);
            a.version = s.text(4);
            a.first_seen = Timestamp{s.i64(5)};
            a.last_seen = Timestamp{s.i64(6)};
            a.alert_count = static_cast<uint64_t>(s.i64(7));
            a.packets = static_cast<uint64_t>(s.i64(8));
            a.bytes = static_cast<uint64_t>(s.i64(9));
            a.capture_drops = static_cast<uint64_t>(s.i64(10));
            a.spool_depth = static_cast<uint64_t>(s.i64(11));
            a.spool_dropped = static_cast<uint64_t>(s.i64(12));
            a.uptime_s = static_cast<uint64_t>(s.i64(13));
            a.extra_json = s.text(14);
            out.push_back(std::move(a));
        }
        return out;
    }

    Result<uint64_t> prune_agents(Timestamp cutoff) override {
        std::lock_guard lock(write_mu_);
        Stmt s(wdb_, "DELETE FROM agents WHERE last_seen<?");
        s.bind(1, cutoff.ns);
        if (s.step() != SQLITE_DONE) {
            return Error{std::string("cannot prune agents: ") + sqlite3_errmsg(wdb_)};
        }
        return static_cast<uint64_t>(sqlite3_changes(wdb_));
    }

    Result<uint64_t> apply_retention(Timestamp now) override {
        std::lock_guard lock(write_mu_);
        uint64_t removed = 0;
        if (options_.retention_days > 0) {
            // Arrival order is storage order, so the cut-off is found by bisecting seq instead
            // of keeping an index on received_at (one fewer b-tree per insert).
            const int64_t cutoff =
                now.ns - static_cast<int64_t>(options_.retention_days) * 86'400 * 1'000'000'000;
            Stmt bounds(wdb_, "SELECT min(seq), max(seq) FROM alerts");
            Stmt at(wdb_, "SELECT received_at FROM alerts WHERE seq>=? ORDER BY seq LIMIT 1");
            if (bounds.step() == SQLITE_ROW &&
                sqlite3_column_type(bounds.get(), 0) != SQLITE_NULL) {
                int64_t lo = bounds.i64(0), hi = bounds.i64(1) + 1;  // first seq to keep in [lo,hi]
                while (lo < hi) {
                    const int64_t mid = lo + (hi - lo) / 2;
                    at.bind(1, mid);
                    const bool old = at.step() == SQLITE_ROW && at.i64(0) < cutoff;
                    at.reset();
                    if (old) {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                Stmt del(wdb_, "DELETE FROM alerts WHERE seq<?");
                del.bind(1, lo);
                if (del.step() != SQLITE_DONE) {
                    return Error{std::string("retention failed: ") + sqlite3_errmsg(wdb_)};
                }
                removed += static_cast<uint64_t>(sqlite3_changes(wdb_));
            }
        }
        if (options_.retention_max_alerts > 0) {
            Stmt s(wdb_,
                   "DELETE FROM alerts WHERE seq<=(SELECT seq FROM alerts ORDER BY seq DESC "
                   "LIMIT 1 OFFSET ?)");
            s.bind(1, static_cast<int64_t>(options_.retention_max_alerts));
            if (s.step() != SQLITE_DONE) {
                return Error{std::string("retention failed: ") + sqlite3_errmsg(wdb_)};
            }
            removed += static_cast<uint64_t>(sqlite3_changes(wdb_));
        }
        Stmt m(wdb_, "DELETE FROM stat_minute WHERE minute<?");
        m.bind(1, now.ns / 60'000'000'000 - kMinuteKeep);
        m.step();
        return removed;
    }

    Result<uint64_t> count_users() override {
        std::lock_guard lock(read_mu_);
        Stmt s(rdb_, "SELECT count(*) FROM users");
        return s.step() == SQLITE_ROW ? static_cast<uint64_t>(s.i64(0)) : 0;
    }

    Status put_user(const UserRecord& u) override {
        std::lock_guard lock(write_mu_);
        Stmt s(wdb_,
               "INSERT INTO users(name,role,salt,hash,iterations,created_at) VALUES(?,?,?,?,?,?) "
               "ON CONFLICT(name) DO UPDATE SET role=excluded.role, salt=excluded.salt, "
               "hash=excluded.hash, iterations=excluded.iterations");
        s.bind(1, u.name).bind(2, u.role).bind(3, u.salt_hex).bind(4, u.hash_hex);
        s.bind(5, static_cast<int64_t>(u.iterations));
        s.bind(6, u.created_at.ns != 0 ? u.created_at.ns : now_ns());
        if (s.step() != SQLITE_DONE) {
            return Status::error(std::string("cannot store the user: ") + sqlite3_errmsg(wdb_));
        }
        return Status::ok();
    }

    Result<std::optional<UserRecord>> find_user(const std::string& name) override {
        std::lock_guard lock(read_mu_);
        Stmt s(rdb_, "SELECT name,role,salt,hash,iterations,created_at FROM users WHERE name=?");
        s.bind(1, name);
        if (s.step() != SQLITE_ROW) {
            return std::optional<UserRecord>{};
        }
        UserRecord u{
            s.text(0),          s.text(1), s.text(2), s.text(3), static_cast<uint32_t>(s.i64(4)),
            Timestamp{s.i64(5)}};
        return std::optional<UserRecord>{std::move(u)};
    }

    Status put_token(const std::string& name, const std::string& hash_hex) override {
        std::lock_guard lock(write_mu_);
        Stmt s(wdb_, "INSERT OR REPLACE INTO api_tokens(hash,name,created) VALUES(?,?,?)");
        s.bind(1, hash_hex).bind(2, name).bind(3, now_ns());
        if (s.step() != SQLITE_DONE) {
            return Status::error(std::string("cannot store the token: ") + sqlite3_errmsg(wdb_));
        }
        return Status::ok();
    }

    Result<std::optional<std::string>> find_token(const std::string& hash_hex) override {
        std::lock_guard lock(read_mu_);
        Stmt s(rdb_, "SELECT name FROM api_tokens WHERE hash=?");
        s.bind(1, hash_hex);
        if (s.step() != SQLITE_ROW) {
            return std::optional<std::string>{};
        }
        return std::optional<std::string>{s.text(0)};
    }

    Result<std::vector<AlertGroup>> query_groups(const AlertQuery& q) override {
        std::string sql =
            "SELECT category,src,count(*),max(level),min(ts),max(ts),count(DISTINCT agent_id),"
            "sum(status<2),max(seq),sum(status=0) FROM alerts";
        std::vector<Bind> binds;
        build_where(q, sql, binds, false);
        const size_t limit = std::clamp<size_t>(q.limit, 1, 10'000);
        sql += " GROUP BY category,src ORDER BY max(ts) DESC LIMIT " + std::to_string(limit);
        std::lock_guard lock(read_mu_);
        Stmt s(rdb_, sql);
        if (!s.ok()) {
            return Error{"query failed: " + s.error()};
        }
        bind_all(s, binds);
        std::vector<AlertGroup> out;
        std::vector<int64_t> last_seq;
        int rc;
        while ((rc = s.step()) == SQLITE_ROW) {
            AlertGroup g;
            g.category = s.text(0);
            g.src = s.text(1);
            g.count = static_cast<uint64_t>(s.i64(2));
            g.level = static_cast<schema::Severity>(std::clamp<int64_t>(s.i64(3), 0, 4));
            g.first_ts = Timestamp{s.i64(4)};
            g.last_ts = Timestamp{s.i64(5)};
            g.agents = static_cast<uint64_t>(s.i64(6));
            g.open = static_cast<uint64_t>(s.i64(7));
            last_seq.push_back(s.i64(8));
            g.unseen = static_cast<uint64_t>(s.i64(9));
            out.push_back(std::move(g));
        }
        if (rc != SQLITE_DONE) {
            return Error{std::string("query failed: ") + sqlite3_errmsg(rdb_)};
        }
        Stmt& m = read_stmt("SELECT message FROM alerts WHERE seq=?");
        for (size_t i = 0; i < out.size(); ++i) {
            m.bind(1, last_seq[i]);
            if (m.step() == SQLITE_ROW) {
                out[i].last_message = m.text(0);
            }
            m.reset();
        }
        return out;
    }

    Result<std::vector<StatusChanged>> change_status(const StatusChange& c) override {
        const bool resolve = c.to == AlertStatus::kResolved;
        const std::string set = resolve
                                    ? "UPDATE alerts SET status=2, resolved_by=?1, resolved_at=?2, "
                                      "ack_by=coalesce(ack_by,?1), ack_at=coalesce(ack_at,?2)"
                                    : "UPDATE alerts SET status=1, ack_by=?1, ack_at=?2";
        const std::string cond = resolve ? " AND status<2" : " AND status<1";
        const std::string returning = " RETURNING id,status,ack_by,ack_at,resolved_by,resolved_at";
        std::lock_guard lock(write_mu_);
        std::vector<StatusChanged> changed;
        auto collect = [&](Stmt& up) {
            int rc;
            while ((rc = up.step()) == SQLITE_ROW) {
                StatusChanged x;
                x.id = up.text(0);
                x.workflow.status = static_cast<AlertStatus>(std::clamp<int64_t>(up.i64(1), 0, 2));
                x.workflow.ack_by = up.text(2);
                x.workflow.ack_at = opt_time(up, 3);
                x.workflow.resolved_by = up.text(4);
                x.workflow.resolved_at = opt_time(up, 5);
                changed.push_back(std::move(x));
            }
            up.reset();
            return rc == SQLITE_DONE;
        };
        if (auto st = exec(wdb_, "BEGIN IMMEDIATE"); !st) {
            return Error{st.message()};
        }
        bool ok = true;
        if (c.group) {
            Stmt up(wdb_, set + " WHERE category=?3 AND src=?4" + cond + returning);
            up.bind(1, c.by).bind(2, c.at.ns).bind(3, c.group->first).bind(4, c.group->second);
            ok = collect(up);
        } else {
            Stmt up(wdb_, set + " WHERE id=?3" + cond + returning);
            for (const auto& id : c.ids) {
                up.bind(1, c.by).bind(2, c.at.ns).bind(3, id);
                if (!(ok = collect(up))) {
                    break;
                }
            }
        }
        if (!ok) {
            Error e{std::string("cannot update alerts: ") + sqlite3_errmsg(wdb_)};
            (void)exec(wdb_, "ROLLBACK");
            return e;
        }
        if (auto st = exec(wdb_, "COMMIT"); !st) {
            (void)exec(wdb_, "ROLLBACK");
            return Error{st.message()};
        }
        return changed;
    }

    Result<std::vector<UserRecord>> list_users() override {
        std::lock_guard lock(read_mu_);
        Stmt s(rdb_, "SELECT name,role,salt,hash,iterations,created_at FROM users ORDER BY name");
        std::vector<UserRecord> out;
        while (s.step() == SQLITE_ROW) {
            out.push_back({s.text(0), s.text(1), s.text(2), s.text(3),
                           static_cast<uint32_t>(s.i64(4)), Timestamp{s.i64(5)}});
        }
        return out;
    }

    Result<bool> delete_user(const std::string& name) override {
        std::lock_guard lock(write_mu_);
        if (auto st = exec(wdb_, "BEGIN IMMEDIATE"); !st) {
            return Error{st.message()};
        }
        Stmt t(wdb_, "DELETE FROM user_tokens WHERE username=?");
        t.bind(1, name);
        Stmt u(wdb_, "DELETE FROM users WHERE name=?");
        u.bind(1, name);
        if (t.step() != SQLITE_DONE || u.step() != SQLITE_DONE) {
            Error e{std::string("cannot delete the user: ") + sqlite3_errmsg(wdb_)};
            (void)exec(wdb_, "ROLLBACK");
            return e;
        }
        const bool found = sqlite3_changes(wdb_) == 1;
        if (auto st = exec(wdb_, "COMMIT"); !st) {
            (void)exec(wdb_, "ROLLBACK");
            return Error{st.message()};
        }
        return found;
    }

    Result<TokenRecord> create_user_token(const TokenRecord& token) override {
        std::lock_guard lock(write_mu_);
        Stmt s(wdb_, "INSERT INTO user_tokens(name,username,hash,created) VALUES(?,?,?,?)");
        TokenRecord out = token;
        out.created = Timestamp{now_ns()};
        s.bind(1, token.name).bind(2, token.user).bind(3, token.hash_hex).bind(4, out.created.ns);
        if (s.step() != SQLITE_DONE) {
            return Error{std::string("cannot store the token: ") + sqlite3_errmsg(wdb_)};
        }
        out.id = sqlite3_last_insert_rowid(wdb_);
        return out;
    }

    static constexpr const char* kTokenSelect =
        "SELECT t.id,t.name,t.username,coalesce(u.role,''),t.hash,t.created,t.last_used FROM "
        "user_tokens t LEFT JOIN users u ON u.name=t.username";

    static TokenRecord read_token(Stmt& s) {
        return TokenRecord{s.i64(0),  s.text(1),           s.text(2),     s.text(3),
                           s.text(4), Timestamp{s.i64(5)}, opt_time(s, 6)};
    }

    Result<std::vector<TokenRecord>> list_user_tokens(const std::string& user) override {
        std::lock_guard lock(read_mu_);
        Stmt s(rdb_, std::string(kTokenSelect) +
                         (user.empty() ? " ORDER BY t.id" : " WHERE t.username=? ORDER BY t.id"));
        if (!user.empty()) {
            s.bind(1, user);
        }
        std::vector<TokenRecord> out;
        while (s.step() == SQLITE_ROW) {
            out.push_back(read_token(s));
        }
        return out;
    }

    Result<std::optional<TokenRecord>> find_user_token(const std::string& hash_hex) override {
        std::lock_guard lock(read_mu_);
        Stmt& s = read_stmt(std::string(kTokenSelect) + " WHERE t.hash=? AND u.name IS NOT NULL");
        s.bind(1, hash_hex);
        std::optional<TokenRecord> out;
        if (s.step() == SQLITE_ROW) {
            out = read_token(s);
        }
        s.reset();
        return out;
    }

    Result<bool> delete_user_token(int64_t id) override {
        std::lock_guard lock(write_mu_);
        Stmt s(wdb_, "DELETE FROM user_tokens WHERE id=?");
        s.bind(1, id);
        if (s.step() != SQLITE_DONE) {
            return Error{std::string("cannot delete the token: ") + sqlite3_errmsg(wdb_)};
        }
        return sqlite3_changes(wdb_) == 1;
    }

    Status touch_user_token(int64_t id, Timestamp when) override {
        std::lock_guard lock(write_mu_);
        Stmt s(wdb_, "UPDATE user_tokens SET last_used=? WHERE id=?");
        s.bind(1, when.ns).bind(2, id);
        if (s.step() != SQLITE_DONE) {
            return Status::error(std::string("cannot update the token: ") + sqlite3_errmsg(wdb_));
        }
        return Status::ok();
    }

    Status append_audit(const AuditEntry& e) override {
        std::lock_guard lock(write_mu_);
        Stmt s(wdb_,
               "INSERT INTO audit_log(ts,username,ip,action,target,detail) VALUES(?,?,?,?,?,?)");
        s.bind(1, e.ts.ns).bind(2, e.user).bind(3, e.ip).bind(4, e.action).bind(5, e.target);
        s.bind(6, e.detail);
        if (s.step() != SQLITE_DONE) {
            return Status::error(std::string("cannot write the audit log: ") +
                                 sqlite3_errmsg(wdb_));
        }
        return Status::ok();
    }

    Result<AuditPage> query_audit(size_t limit, std::optional<int64_t> before) override {
        limit = std::clamp<size_t>(limit, 1, 1000);
        std::lock_guard lock(read_mu_);
        Stmt s(rdb_, std::string("SELECT id,ts,username,ip,action,target,detail FROM audit_log") +
                         (before ? " WHERE id<?" : "") + " ORDER BY id DESC LIMIT " +
                         std::to_string(limit + 1));
        if (before) {
            s.bind(1, *before);
        }
        AuditPage page;
        while (s.step() == SQLITE_ROW) {
            if (page.entries.size() == limit) {
                page.next = page.entries.back().id;
                break;
            }
            page.entries.push_back({s.i64(0), Timestamp{s.i64(1)}, s.text(2), s.text(3), s.text(4),
                                    s.text(5), s.text(6)});
        }
        return page;
    }

    Result<SuppressionRule> create_suppression(const SuppressionRule& r) override {
        std::lock_guard lock(write_mu_);
        if (auto st = exec(wdb_, "BEGIN IMMEDIATE"); !st) {
            return Error{st.message()};
        }
        Stmt s(wdb_,
               "INSERT INTO suppressions(category,src,dst,port,agent_id,expires_at,comment,"
               "created_by,created_at) VALUES(?,?,?,?,?,?,?,?,?)");
        s.bind(1, r.category).bind(2, r.src).bind(3, r.dst).bind(4, r.port).bind(5, r.agent_id);
        if (r.expires_at) {
            s.bind(6, r.expires_at->ns);
        }
        s.bind(7, r.comment).bind(8, r.created_by).bind(9, r.created_at.ns);
        if (s.step() != SQLITE_DONE ||
            !exec(wdb_, "UPDATE meta SET value=value+1 WHERE key='suppressions_version'")) {
            Error e{std::string("cannot store the rule: ") + sqlite3_errmsg(wdb_)};
            (void)exec(wdb_, "ROLLBACK");
            return e;
        }
        SuppressionRule out = r;
        out.id = sqlite3_last_insert_rowid(wdb_);
        out.hits_server = out.hits_agents = 0;
        out.last_hit.reset();
        if (auto st = exec(wdb_, "COMMIT"); !st) {
            (void)exec(wdb_, "ROLLBACK");
            return Error{st.message()};
        }
        return out;
    }

    Result<bool> delete_suppression(int64_t id, uint64_t unflushed_hits) override {
        std::lock_guard lock(write_mu_);
        if (auto st = exec(wdb_, "BEGIN IMMEDIATE"); !st) {
            return Error{st.message()};
        }
        Stmt retire(wdb_,
                    "INSERT INTO meta(key,value) SELECT 'suppressed_by_deleted_rules', "
                    "hits_server+hits_agents+? FROM suppressions WHERE id=? "
                    "ON CONFLICT(key) DO UPDATE SET value=value+excluded.value");
        retire.bind(1, static_cast<int64_t>(unflushed_hits)).bind(2, id);
        Stmt c(wdb_, "DELETE FROM suppression_agent_counts WHERE rule_id=?");
        c.bind(1, id);
        Stmt s(wdb_, "DELETE FROM suppressions WHERE id=?");
        s.bind(1, id);
        bool found = false;
        bool ok =
            retire.step() == SQLITE_DONE && c.step() == SQLITE_DONE && s.step() == SQLITE_DONE;
        if (ok) {
            found = sqlite3_changes(wdb_) == 1;
            if (found) {
                ok = exec(wdb_, "UPDATE meta SET value=value+1 WHERE key='suppressions_version'")
                         .is_ok();
            }
        }
        if (!ok) {
            Error e{std::string("cannot delete the rule: ") + sqlite3_errmsg(wdb_)};
            (void)exec(wdb_, "ROLLBACK");
            return e;
        }
        if (auto st = exec(wdb_, "COMMIT"); !st) {
            (void)exec(wdb_, "ROLLBACK");
            return Error{st.message()};
        }
        return found;
    }

    Result<std::vector<SuppressionRule>> load_suppressions() override {
        std::lock_guard lock(read_mu_);
        Stmt s(rdb_,
               "SELECT id,category,src,dst,port,agent_id,expires_at,comment,created_by,created_at,"
               "hits_server,hits_agents,last_hit FROM suppressions ORDER BY id");
        std::vector<SuppressionRule> out;
        while (s.step() == SQLITE_ROW) {
            SuppressionRule r;
            r.id = s.i64(0);
            r.category = s.text(1);
            r.src = s.text(2);
            r.dst = s.text(3);
            r.port = static_cast<uint16_t>(s.i64(4));
            r.agent_id = s.text(5);
            r.expires_at = opt_time(s, 6);
            r.comment = s.text(7);
            r.created_by = s.text(8);
            r.created_at = Timestamp{s.i64(9)};
            r.hits_server = static_cast<uint64_t>(s.i64(10));
            r.hits_agents = static_cast<uint64_t>(s.i64(11));
            r.last_hit = opt_time(s, 12);
            out.push_back(std::move(r));
        }
        return out;
    }

    Result<int64_t> suppressions_version() override {
        std::lock_guard lock(read_mu_);
        Stmt& s = read_stmt("SELECT value FROM meta WHERE key='suppressions_version'");
        const int64_t v = s.step() == SQLITE_ROW ? s.i64(0) : 0;
        s.reset();
        return v;
    }

    Result<uint64_t> suppressed_by_deleted_rules() override {
        std::lock_guard lock(read_mu_);
        Stmt& s = read_stmt("SELECT value FROM meta WHERE key='suppressed_by_deleted_rules'");
        const int64_t v = s.step() == SQLITE_ROW ? s.i64(0) : 0;
        s.reset();
        return static_cast<uint64_t>(v);
    }

    Status record_suppression_hits(const std::vector<SuppressionHits>& hits,
                                   const std::vector<AgentRuleCount>& reported) override {
        std::lock_guard lock(write_mu_);
        if (auto st = exec(wdb_, "BEGIN IMMEDIATE"); !st) {
            return st;
        }
        Stmt h(wdb_,
               "UPDATE suppressions SET hits_server=hits_server+?, hits_agents=hits_agents+?, "
               "last_hit=max(coalesce(last_hit,0),?) WHERE id=?");
        Stmt c(wdb_,
               "INSERT INTO suppression_agent_counts(agent_id,rule_id,reported) SELECT ?,?,? "
               "WHERE EXISTS(SELECT 1 FROM suppressions WHERE id=?2) ON CONFLICT(agent_id,rule_id) "
               "DO UPDATE SET reported=excluded.reported");
        bool ok = true;
        for (const auto& x : hits) {
            h.bind(1, static_cast<int64_t>(x.server)).bind(2, static_cast<int64_t>(x.agents));
            h.bind(3, x.last_hit.ns).bind(4, x.rule_id);
            ok = ok && h.step() == SQLITE_DONE;
            h.reset();
        }
        for (const auto& x : reported) {
            c.bind(1, x.agent_id).bind(2, x.rule_id).bind(3, static_cast<int64_t>(x.reported));
            ok = ok && c.step() == SQLITE_DONE;
            c.reset();
        }
        if (!ok) {
            Status st =
                Status::error(std::string("cannot store rule hits: ") + sqlite3_errmsg(wdb_));
            (void)exec(wdb_, "ROLLBACK");
            return st;
        }
        if (auto st = exec(wdb_, "COMMIT"); !st) {
            (void)exec(wdb_, "ROLLBACK");
            return st;
        }
        return Status::ok();
    }

    Result<std::vector<AgentRuleCount>> load_agent_rule_counts() override {
        std::lock_guard lock(read_mu_);
        Stmt s(rdb_, "SELECT agent_id,rule_id,reported FROM suppression_agent_counts");
        std::vector<AgentRuleCount> out;
        while (s.step() == SQLITE_ROW) {
            out.push_back({s.text(0), s.i64(1), static_cast<uint64_t>(s.i64(2))});
        }
        return out;
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
        {
            std::lock_guard lock(done_mu_);
            writer_done_ = true;
            done_cv_.notify_all();
        }
        if (completer_.joinable()) {
            completer_.join();
        }
        {
            std::lock_guard lock(ckpt_mu_);
            ckpt_stop_ = true;
            ckpt_cv_.notify_all();
        }
        if (checkpointer_.joinable()) {
            checkpointer_.join();
        }
        sqlite3_wal_checkpoint_v2(cdb_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
    }

  private:
    struct Pending {
        WriteBatch batch;
        WriteCallback done;
    };

    Status migrate() {
        if (auto st = exec(wdb_, "BEGIN IMMEDIATE"); !st) {
            return st;
        }
        Stmt v(wdb_, "PRAGMA user_version");
        const int64_t current = v.step() == SQLITE_ROW ? v.i64(0) : 0;
        v.reset();
        const auto& steps = sqlite_migrations();
        if (current > static_cast<int64_t>(steps.size())) {
            (void)exec(wdb_, "ROLLBACK");
            return Status::error("the database schema (version " + std::to_string(current) +
                                 ") is newer than this server (version " +
                                 std::to_string(steps.size()) + "); upgrade the server");
        }
        for (auto i = static_cast<size_t>(current); i < steps.size(); ++i) {
            auto st = exec(wdb_, steps[i].c_str());
            if (st) {
                st = exec(wdb_, ("PRAGMA user_version=" + std::to_string(i + 1)).c_str());
            }
            if (!st) {
                (void)exec(wdb_, "ROLLBACK");
                return st;
            }
        }
        return exec(wdb_, "COMMIT");
    }

    Stmt& read_stmt(const std::string& sql) {
        auto it = read_stmts_.find(sql);
        if (it == read_stmts_.end()) {
            if (read_stmts_.size() > 256) {
                read_stmts_.clear();
            }
            it = read_stmts_.emplace(sql, Stmt(rdb_, sql)).first;
        }
        return it->second;
    }

    void writer_loop() {
        for (;;) {
            std::vector<Pending> group;
            {
                std::unique_lock lock(queue_mu_);
                queue_cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
                if (queue_.empty()) {
                    return;  // closing and drained
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
            {
                std::lock_guard lock(write_mu_);
                st = commit_group(group, results);
            }
            for (size_t i = 0; i < group.size(); ++i) {
                if (!st) {
                    results[i] = WriteResult{st, {}};
                }
            }
            // Callbacks run on their own thread so the writer can start the next group at once.
            std::lock_guard lock(done_mu_);
            done_queue_.push_back({std::move(group), std::move(results)});
            done_cv_.notify_one();
        }
    }

    static int on_wal_commit(void* self, sqlite3* db, const char* name, int pages) {
        auto* store = static_cast<SqliteStore*>(self);
        if (pages >= 50 * kCheckpointPages) {
            // The checkpointer is not keeping up: bound the WAL from the writer itself.
            sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        }
        if (pages >= kCheckpointPages) {
            std::lock_guard lock(store->ckpt_mu_);
            store->ckpt_wanted_ = true;
            store->ckpt_cv_.notify_one();
        }
        return SQLITE_OK;
    }

    void checkpoint_loop() {
        for (;;) {
            {
                std::unique_lock lock(ckpt_mu_);
                ckpt_cv_.wait_for(lock, std::chrono::seconds(1),
                                  [&] { return ckpt_stop_ || ckpt_wanted_; });
                if (ckpt_stop_) {
                    return;
                }
                ckpt_wanted_ = false;
            }
            sqlite3_wal_checkpoint_v2(cdb_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        }
    }

    void completion_loop() {
        for (;;) {
            std::pair<std::vector<Pending>, std::vector<WriteResult>> item;
            {
                std::unique_lock lock(done_mu_);
                done_cv_.wait(lock, [&] { return writer_done_ || !done_queue_.empty(); });
                if (done_queue_.empty()) {
                    return;
                }
                item = std::move(done_queue_.front());
                done_queue_.pop_front();
            }
            for (size_t i = 0; i < item.first.size(); ++i) {
                item.first[i].done(std::move(item.second[i]));
            }
        }
    }

    Status commit_group(std::vector<Pending>& group, std::vector<WriteResult>& results) {
        if (auto st = exec(wdb_, "BEGIN IMMEDIATE"); !st) {
            return st;
        }
        std::array<int64_t, 5> levels{};
        std::unordered_map<std::string, int64_t> keys[2];
        std::unordered_map<int64_t, std::array<int64_t, 5>> minutes;
        std::unordered_map<std::string, std::pair<const AgentRecord*, int64_t>> agents;
        auto fail = [&](const char* what) {
            Status st = Status::error(std::string(what) + ": " + sqlite3_errmsg(wdb_));
            insert_alert_.reset();
            upsert_agent_.reset();
            (void)exec(wdb_, "ROLLBACK");
            return st;
        };
        for (size_t g = 0; g < group.size(); ++g) {
            auto& batch = group[g].batch;
            auto& inserted = results[g].inserted;
            inserted.reserve(batch.alerts.size());
            int64_t new_count = 0;
            for (const auto& a : batch.alerts) {
                const int64_t received = a.received_at ? a.received_at->ns : now_ns();
                insert_alert_.bind(1, a.id).bind(2, a.ts.ns).bind(3, received);
                insert_alert_.bind(4, static_cast<int64_t>(a.level)).bind(5, a.category);
                insert_alert_.bind(6, a.message).bind(7, a.src).bind(8, a.agent_id);
                insert_alert_.bind(9, a.hostname);
                if (a.flow) {
                    insert_alert_.bind(10, a.flow->src_ip).bind(11, a.flow->src_port);
                    insert_alert_.bind(12, a.flow->dest_ip).bind(13, a.flow->dest_port);
                    insert_alert_.bind(14, a.flow->proto);
                }
                if (insert_alert_.step() != SQLITE_DONE) {
                    return fail("cannot store an alert");
                }
                insert_alert_.reset();
                const bool is_new = sqlite3_changes(wdb_) == 1;
                inserted.push_back(is_new);
                if (!is_new) {
                    continue;
                }
                ++new_count;
                const auto lvl = static_cast<size_t>(a.level);
                ++levels[lvl];
                ++keys[0][bounded_key(0, a.category)];
                if (!a.src.empty()) {
                    ++keys[1][bounded_key(1, a.src)];
                }
                ++minutes[received / 60'000'000'000][lvl];
            }
            if (batch.agent) {
                // One upsert per agent per group: the latest record, all new alerts counted.
                auto& slot = agents[batch.agent->agent_id];
                slot.first = &*batch.agent;
                slot.second += new_count;
            }
        }
        for (const auto& [id, slot] : agents) {
            const auto& r = *slot.first;
            upsert_agent_.bind(1, r.agent_id).bind(2, r.hostname).bind(3, r.ip);
            upsert_agent_.bind(4, r.os).bind(5, r.version).bind(6, r.first_seen.ns);
            upsert_agent_.bind(7, r.last_seen.ns).bind(8, slot.second);
            upsert_agent_.bind(9, static_cast<int64_t>(r.packets));
            upsert_agent_.bind(10, static_cast<int64_t>(r.bytes));
            upsert_agent_.bind(11, static_cast<int64_t>(r.capture_drops));
            upsert_agent_.bind(12, static_cast<int64_t>(r.spool_depth));
            upsert_agent_.bind(13, static_cast<int64_t>(r.spool_dropped));
            upsert_agent_.bind(14, static_cast<int64_t>(r.uptime_s));
            upsert_agent_.bind(15, r.extra_json);
            if (upsert_agent_.step() != SQLITE_DONE) {
                return fail("cannot store the agent");
            }
            upsert_agent_.reset();
        }
        for (size_t l = 0; l < levels.size(); ++l) {
            if (levels[l] > 0) {
                bump_level_.bind(1, static_cast<int64_t>(l)).bind(2, levels[l]);
                const int rc = bump_level_.step();
                bump_level_.reset();
                if (rc != SQLITE_DONE)
                    return fail("cannot update counters");
            }
        }
        for (int kind = 0; kind < 2; ++kind) {
            for (const auto& [key, n] : keys[kind]) {
                bump_key_.bind(1, kind).bind(2, key).bind(3, n);
                const int rc = bump_key_.step();
                bump_key_.reset();
                if (rc != SQLITE_DONE)
                    return fail("cannot update counters");
            }
        }
        for (const auto& [minute, per_level] : minutes) {
            for (size_t l = 0; l < per_level.size(); ++l) {
                if (per_level[l] > 0) {
                    bump_minute_.bind(1, minute).bind(2, static_cast<int64_t>(l));
                    bump_minute_.bind(3, per_level[l]);
                    const int rc = bump_minute_.step();
                    bump_minute_.reset();
                    if (rc != SQLITE_DONE)
                        return fail("cannot update counters");
                }
            }
        }
        if (auto st = exec(wdb_, "COMMIT"); !st) {
            (void)exec(wdb_, "ROLLBACK");
            return st;
        }
        return Status::ok();
    }

    // Counters keyed by client strings are capped; new keys past the cap share one bucket.
    const std::string& bounded_key(int kind, const std::string& key) {
        auto& known = known_keys_[kind];
        auto it = known.find(key);
        if (it != known.end()) {
            return *it;
        }
        if (known.size() >= options_.max_counter_keys) {
            return *known.insert(kOtherKey).first;
        }
        return *known.insert(key).first;
    }

    sqlite3* wdb_;
    sqlite3* rdb_;
    sqlite3* cdb_;  // checkpoints only
    StoreOptions options_;

    std::mutex write_mu_;  // the write connection
    Stmt insert_alert_, upsert_agent_, bump_level_, bump_key_, bump_minute_;
    std::unordered_set<std::string> known_keys_[2];

    std::mutex read_mu_;  // the read connection
    std::unordered_map<std::string, Stmt> read_stmts_;

    std::mutex queue_mu_;
    std::condition_variable queue_cv_;
    std::deque<Pending> queue_;
    bool closing_ = false;
    std::thread writer_;

    std::mutex done_mu_;
    std::condition_variable done_cv_;
    std::deque<std::pair<std::vector<Pending>, std::vector<WriteResult>>> done_queue_;
    bool writer_done_ = false;
    std::thread completer_;

    std::mutex ckpt_mu_;
    std::condition_variable ckpt_cv_;
    bool ckpt_wanted_ = false;
    bool ckpt_stop_ = false;
    std::thread checkpointer_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite(const std::string& path, const StoreOptions& options) {
    auto w = open_db(path);
    if (!w) {
        return w.status();
    }
    auto r = open_db(path);
    if (!r) {
        sqlite3_close(*w);
        return r.status();
    }
    auto c = open_db(path);
    if (!c) {
        sqlite3_close(*w);
        sqlite3_close(*r);
        return c.status();
    }
    auto store = std::make_unique<SqliteStore>(*w, *r, *c, options);
    if (auto st = store->init(); !st) {
        return Error{"database " + path + ": " + st.message()};
    }
    return std::unique_ptr<Store>(std::move(store));
}

}  // namespace sentinel::store
