#include "store/migrations.h"

namespace sentinel::store {

const std::vector<std::string>& sqlite_migrations() {
    // Version 1 uses IF NOT EXISTS: databases created before versioning adopt it unchanged.
    static const std::vector<std::string> kSteps = {
        R"sql(
CREATE TABLE IF NOT EXISTS alerts(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  ts INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  level INTEGER NOT NULL,
  category TEXT NOT NULL,
  message TEXT NOT NULL,
  src TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  hostname TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alerts_ts ON alerts(ts);
CREATE INDEX IF NOT EXISTS alerts_level ON alerts(level, seq);
CREATE INDEX IF NOT EXISTS alerts_category ON alerts(category, seq);
CREATE INDEX IF NOT EXISTS alerts_src ON alerts(src, seq);
CREATE INDEX IF NOT EXISTS alerts_agent ON alerts(agent_id, seq);
CREATE TABLE IF NOT EXISTS agents(
  agent_id TEXT PRIMARY KEY,
  hostname TEXT NOT NULL, ip TEXT NOT NULL, os TEXT NOT NULL, version TEXT NOT NULL,
  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, alert_count INTEGER NOT NULL,
  packets INTEGER NOT NULL, bytes INTEGER NOT NULL, capture_drops INTEGER NOT NULL,
  spool_depth INTEGER NOT NULL, spool_dropped INTEGER NOT NULL, uptime_s INTEGER NOT NULL,
  extra TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stat_level(level INTEGER PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS stat_key(kind INTEGER NOT NULL, key TEXT NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY(kind, key));
CREATE TABLE IF NOT EXISTS stat_minute(minute INTEGER NOT NULL, level INTEGER NOT NULL,
  n INTEGER NOT NULL, PRIMARY KEY(minute, level));
CREATE TABLE IF NOT EXISTS users(name TEXT PRIMARY KEY, role TEXT NOT NULL, salt TEXT NOT NULL,
  hash TEXT NOT NULL, iterations INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS api_tokens(hash TEXT PRIMARY KEY, name TEXT NOT NULL,
  created INTEGER NOT NULL);
)sql",
    };
    return kSteps;
}

const std::vector<std::string>& postgres_migrations() {
    // Times are unix nanoseconds (BIGINT) as in SQLite. `origin` tags the server instance that
    // stored an alert, so a LISTEN/NOTIFY listener can fetch another instance's commit exactly.
    static const std::vector<std::string> kSteps = {
        R"sql(
CREATE TABLE alerts(
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  ts BIGINT NOT NULL,
  received_at BIGINT NOT NULL,
  level SMALLINT NOT NULL,
  category TEXT NOT NULL,
  message TEXT NOT NULL,
  src TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  hostname TEXT NOT NULL,
  origin BIGINT NOT NULL DEFAULT 0);
CREATE INDEX alerts_ts ON alerts(ts);
CREATE INDEX alerts_received ON alerts(received_at);
CREATE INDEX alerts_level ON alerts(level, seq);
CREATE INDEX alerts_category ON alerts(category, seq);
CREATE INDEX alerts_src ON alerts(src, seq);
CREATE INDEX alerts_agent ON alerts(agent_id, seq);
CREATE TABLE agents(
  agent_id TEXT PRIMARY KEY,
  hostname TEXT NOT NULL, ip TEXT NOT NULL, os TEXT NOT NULL, version TEXT NOT NULL,
  first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, alert_count BIGINT NOT NULL,
  packets BIGINT NOT NULL, bytes BIGINT NOT NULL, capture_drops BIGINT NOT NULL,
  spool_depth BIGINT NOT NULL, spool_dropped BIGINT NOT NULL, uptime_s BIGINT NOT NULL,
  extra TEXT NOT NULL);
CREATE TABLE stat_level(level SMALLINT PRIMARY KEY, n BIGINT NOT NULL);
CREATE TABLE stat_key(kind SMALLINT NOT NULL, key TEXT NOT NULL, n BIGINT NOT NULL,
  PRIMARY KEY(kind, key));
CREATE TABLE stat_minute(minute BIGINT NOT NULL, level SMALLINT NOT NULL, n BIGINT NOT NULL,
  PRIMARY KEY(minute, level));
CREATE TABLE users(name TEXT PRIMARY KEY, role TEXT NOT NULL, salt TEXT NOT NULL,
  hash TEXT NOT NULL, iterations BIGINT NOT NULL);
CREATE TABLE api_tokens(hash TEXT PRIMARY KEY, name TEXT NOT NULL, created BIGINT NOT NULL);
)sql",
    };
    return kSteps;
}

}  // namespace sentinel::store
