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

// The persistent lookup cache and daily budget: a small SQLite file in the agent's state
// directory, so a restart neither forgets answers nor spends the daily quota twice. Used by the
// lookup worker thread only.
class Cache {
  public:
    // Opens (creating if needed) the database at path; ":memory:" gives a throwaway cache.
    static Result<std::unique_ptr<Cache>> open(const std::string& path);
    ~Cache();
    Cache(const Cache&) = delete;
    Cache& operator=(const Cache&) = delete;

    // A stored answer that has not expired at now (seconds since the epoch).
    std::optional<Report> get(const std::string& key, int64_t now);
    Status put(const std::string& key, const Report& report);
    // Every stored answer that has not expired at now, soonest expiry first (so that, loaded into
    // an LRU in this order, the longest-lived answers are the ones a small table keeps).
    Status for_each_valid(int64_t now,
                          const std::function<void(const std::string& key, const Report&)>& fn);
    // Drops expired answers and keeps at most max_rows (oldest expiry first).
    Status prune(int64_t now, uint64_t max_rows);
    uint64_t size();

    // Requests spent on a UTC day (days since the epoch).
    uint32_t used_on(int64_t day);
    Status set_used(int64_t day, uint32_t used);

  private:
    explicit Cache(sqlite3* db) : db_(db) {}
    Status exec(const char* sql);

    sqlite3* db_;
};

}  // namespace sentinel::virustotal
