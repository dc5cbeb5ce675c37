#include "virustotal/cache.h"

#include <sqlite3.h>

#include <utility>

namespace sentinel::virustotal {

namespace {

// Finalizes a prepared statement on every path.
class Statement {
  public:
    Statement(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    sqlite3_stmt* get() const { return stmt_; }
    bool ok() const { return stmt_ != nullptr; }

  private:
    sqlite3_stmt* stmt_ = nullptr;
};

std::string column_text(sqlite3_stmt* stmt, int column) {
    const unsigned char* text = sqlite3_column_text(stmt, column);
    return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text));
}

}  // namespace

Result<std::unique_ptr<Cache>> Cache::open(const std::string& path) {
    auto cache = SqliteCache::open(path);
    if (!cache) {
        return Error{cache.error()};
    }
    return std::unique_ptr<Cache>(std::move(cache.value()));
}

const char* Cache::file_name() { return "reputation.sqlite3"; }

Result<std::unique_ptr<SqliteCache>> SqliteCache::open(const std::string& path) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
        std::string message = "reputation cache " + path + " cannot be opened: " +
                              (db != nullptr ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return Error{std::move(message)};
    }
    sqlite3_busy_timeout(db, 2000);
    std::unique_ptr<SqliteCache> cache(new SqliteCache(db));
    const Status schema = cache->exec(
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "CREATE TABLE IF NOT EXISTS reports("
        "  key TEXT PRIMARY KEY, malicious INTEGER, suspicious INTEGER, harmless INTEGER,"
        "  undetected INTEGER, reputation INTEGER, country TEXT, as_owner TEXT,"
        "  not_found INTEGER, expires_at INTEGER);"
        "CREATE TABLE IF NOT EXISTS budget(day INTEGER PRIMARY KEY, used INTEGER);");
    if (!schema) {
        return Error{"reputation cache " + path + " is not usable: " + schema.message()};
    }
    return cache;
}

SqliteCache::~SqliteCache() { sqlite3_close(db_); }

Status SqliteCache::exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        std::string message = error != nullptr ? error : "unknown error";
        sqlite3_free(error);
        return Status::error(message);
    }
    return Status::ok();
}

std::optional<Report> SqliteCache::get(const std::string& key, int64_t now) {
    Statement s(db_,
                "SELECT malicious, suspicious, harmless, undetected, reputation, country,"
                " as_owner, not_found, expires_at FROM reports WHERE key = ?1 AND expires_at > ?2");
    if (!s.ok()) {
        return std::nullopt;
    }
    sqlite3_bind_text(s.get(), 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(s.get(), 2, now);
    if (sqlite3_step(s.get()) != SQLITE_ROW) {
        return std::nullopt;
    }
    Report r;
    r.malicious = static_cast<uint32_t>(sqlite3_column_int64(s.get(), 0));
    r.suspicious = static_cast<uint32_t>(sqlite3_column_int64(s.get(), 1));
    r.harmless = static_cast<uint32_t>(sqlite3_column_int64(s.get(), 2));
    r.undetected = static_cast<uint32_t>(sqlite3_column_int64(s.get(), 3));
    r.reputation = static_cast<int32_t>(sqlite3_column_int64(s.get(), 4));
    r.country = column_text(s.get(), 5);
    r.as_owner = column_text(s.get(), 6);
    r.not_found = sqlite3_column_int64(s.get(), 7) != 0;
    r.expires_at = sqlite3_column_int64(s.get(), 8);
    return r;
}

Status SqliteCache::for_each_valid(
    int64_t now, const std::function<void(const std::string& key, const Report&)>& fn) {
    Statement s(db_,
                "SELECT key, malicious, suspicious, reputation, not_found, expires_at FROM reports"
                " WHERE expires_at > ?1 ORDER BY expires_at");
    if (!s.ok()) {
        return Status::error(sqlite3_errmsg(db_));
    }
    sqlite3_bind_int64(s.get(), 1, now);
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
        Report r;
        const std::string key = column_text(s.get(), 0);
        r.malicious = static_cast<uint32_t>(sqlite3_column_int64(s.get(), 1));
        r.suspicious = static_cast<uint32_t>(sqlite3_column_int64(s.get(), 2));
        r.reputation = static_cast<int32_t>(sqlite3_column_int64(s.get(), 3));
        r.not_found = sqlite3_column_int64(s.get(), 4) != 0;
        r.expires_at = sqlite3_column_int64(s.get(), 5);
        fn(key, r);
    }
    return rc == SQLITE_DONE ? Status::ok() : Status::error(sqlite3_errmsg(db_));
}

Status SqliteCache::put(const std::string& key, const Report& r) {
    Statement s(db_,
                "INSERT OR REPLACE INTO reports(key, malicious, suspicious, harmless, undetected,"
                " reputation, country, as_owner, not_found, expires_at)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    if (!s.ok()) {
        return Status::error(sqlite3_errmsg(db_));
    }
    sqlite3_bind_text(s.get(), 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(s.get(), 2, r.malicious);
    sqlite3_bind_int64(s.get(), 3, r.suspicious);
    sqlite3_bind_int64(s.get(), 4, r.harmless);
    sqlite3_bind_int64(s.get(), 5, r.undetected);
    sqlite3_bind_int64(s.get(), 6, r.reputation);
    sqlite3_bind_text(s.get(), 7, r.country.data(), static_cast<int>(r.country.size()),
                      SQLITE_TRANSIENT);
    sqlite3_bind_text(s.get(), 8, r.as_owner.data(), static_cast<int>(r.as_owner.size()),
                      SQLITE_TRANSIENT);
    sqlite3_bind_int64(s.get(), 9, r.not_found ? 1 : 0);
    sqlite3_bind_int64(s.get(), 10, r.expires_at);
    if (sqlite3_step(s.get()) != SQLITE_DONE) {
        return Status::error(sqlite3_errmsg(db_));
    }
    return Status::ok();
}

Status SqliteCache::prune(int64_t now, uint64_t max_rows) {
    {
        Statement s(db_, "DELETE FROM reports WHERE expires_at <= ?1");
        sqlite3_bind_int64(s.get(), 1, now);
        if (sqlite3_step(s.get()) != SQLITE_DONE) {
            return Status::error(sqlite3_errmsg(db_));
        }
    }
    Statement s(db_,
                "DELETE FROM reports WHERE key IN (SELECT key FROM reports ORDER BY expires_at"
                " LIMIT max(0, (SELECT count(*) FROM reports) - ?1))");
    sqlite3_bind_int64(s.get(), 1, static_cast<int64_t>(max_rows));
    if (sqlite3_step(s.get()) != SQLITE_DONE) {
        return Status::error(sqlite3_errmsg(db_));
    }
    Statement old(db_, "DELETE FROM budget WHERE day < ?1");
    sqlite3_bind_int64(old.get(), 1, now / 86400 - 7);
    sqlite3_step(old.get());
    return Status::ok();
}

uint64_t SqliteCache::size() {
    Statement s(db_, "SELECT count(*) FROM reports");
    return sqlite3_step(s.get()) == SQLITE_ROW
               ? static_cast<uint64_t>(sqlite3_column_int64(s.get(), 0))
               : 0;
}

uint32_t SqliteCache::used_on(int64_t day) {
    Statement s(db_, "SELECT used FROM budget WHERE day = ?1");
    sqlite3_bind_int64(s.get(), 1, day);
    return sqlite3_step(s.get()) == SQLITE_ROW
               ? static_cast<uint32_t>(sqlite3_column_int64(s.get(), 0))
               : 0;
}

Status SqliteCache::set_used(int64_t day, uint32_t used) {
    Statement s(db_, "INSERT OR REPLACE INTO budget(day, used) VALUES (?1, ?2)");
    sqlite3_bind_int64(s.get(), 1, day);
    sqlite3_bind_int64(s.get(), 2, used);
    if (sqlite3_step(s.get()) != SQLITE_DONE) {
        return Status::error(sqlite3_errmsg(db_));
    }
    return Status::ok();
}

}  // namespace sentinel::virustotal
