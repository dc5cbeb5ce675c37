#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"

struct sqlite3;

namespace sentinel::virustotal {

// One VirusTotal answer as stored (a 404 is stored as all zeros).
struct Report {
    uint32_t malicious = 0;
    uint32_t suspicious = 0;
    uint32_t harmless = 0;
    uint32_t undetected = 0;
    int32_t reputation = 0;
    std::string country;
    std::string as_owner;
    bool not_found = false;
    int64_t expires_at = 0;  // seconds since the epoch
};

// The persistent lookup cache and daily budget, kept in the agent's state directory so that a
// restart neither forgets answers nor spends the daily quota twice. Used by the lookup worker
// thread only. Two stores implement it: SQLite on Linux (SqliteCache, cache.cc) and a
// crash-safe record file on Windows, where Debian has no mingw SQLite (FileCache,
// file_cache.h); CMake picks which one Cache::open gives.
class Cache {
  public:
    // Opens (creating if needed) this platform's store at path; ":memory:" gives a throwaway
    // cache.
    static Result<std::unique_ptr<Cache>> open(const std::string& path);
    // The file name of this platform's store in the state directory.
    static const char* file_name();

    virtual ~Cache() = default;
    Cache() = default;
    Cache(const Cache&) = delete;
    Cache& operator=(const Cache&) = delete;

    // A stored answer that has not expired at now (seconds since the epoch).
    virtual std::optional<Report> get(const std::string& key, int64_t now) = 0;
    virtual Status put(const std::string& key, const Report& report) = 0;
    // Every stored answer that has not expired at now, soonest expiry first (so that, loaded into
    // an LRU in this order, the longest-lived answers are the ones a small table keeps).
    virtual Status for_each_valid(
        int64_t now, const std::function<void(const std::string& key, const Report&)>& fn) = 0;
    // Drops expired answers and keeps at most max_rows (oldest expiry first); forgets the budget
    // of days more than a week old.
    virtual Status prune(int64_t now, uint64_t max_rows) = 0;
    // Stored answers, expired ones included until prune().
    virtual uint64_t size() = 0;

    // Requests spent on a UTC day (days since the epoch).
    virtual uint32_t used_on(int64_t day) = 0;
    virtual Status set_used(int64_t day, uint32_t used) = 0;
};

// The SQLite store (Linux): a small database in WAL mode.
class SqliteCache final : public Cache {
  public:
    static Result<std::unique_ptr<SqliteCache>> open(const std::string& path);
    ~SqliteCache() override;

    std::optional<Report> get(const std::string& key, int64_t now) override;
    Status put(const std::string& key, const Report& report) override;
    Status for_each_valid(
        int64_t now, const std::function<void(const std::string& key, const Report&)>& fn) override;
    Status prune(int64_t now, uint64_t max_rows) override;
    uint64_t size() override;
    uint32_t used_on(int64_t day) override;
    Status set_used(int64_t day, uint32_t used) override;

  private:
    explicit SqliteCache(sqlite3* db) : db_(db) {}
    Status exec(const char* sql);

    sqlite3* db_;
};

}  // namespace sentinel::virustotal
