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
        // Version 2 (issue #11): the firing packet's flow, the ack/resolve workflow, allowlist
        // rules with hit counters, the audit log, per-user API tokens and users.created_at.
        R"sql(
ALTER TABLE alerts ADD COLUMN src_ip TEXT;
ALTER TABLE alerts ADD COLUMN src_port INTEGER;
ALTER TABLE alerts ADD COLUMN dest_ip TEXT;
ALTER TABLE alerts ADD COLUMN dest_port INTEGER;
ALTER TABLE alerts ADD COLUMN proto INTEGER;
ALTER TABLE alerts ADD COLUMN status INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN ack_by TEXT;
ALTER TABLE alerts ADD COLUMN ack_at INTEGER;
ALTER TABLE alerts ADD COLUMN resolved_by TEXT;
ALTER TABLE alerts ADD COLUMN resolved_at INTEGER;
CREATE INDEX alerts_status ON alerts(status, seq);
CREATE INDEX alerts_group ON alerts(category, src, status);
ALTER TABLE users ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
CREATE TABLE suppressions(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  category TEXT NOT NULL, src TEXT NOT NULL, dst TEXT NOT NULL, port INTEGER NOT NULL,
  agent_id TEXT NOT NULL, expires_at INTEGER, comment TEXT NOT NULL, created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL, hits_server INTEGER NOT NULL DEFAULT 0,
  hits_agents INTEGER NOT NULL DEFAULT 0, last_hit INTEGER);
CREATE TABLE suppression_agent_counts(agent_id TEXT NOT NULL, rule_id INTEGER NOT NULL,
  reported INTEGER NOT NULL, PRIMARY KEY(agent_id, rule_id));
CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO meta(key,value) VALUES('suppressions_version',0);
CREATE TABLE audit_log(id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL,
  username TEXT NOT NULL, ip TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,
  detail TEXT NOT NULL);
CREATE TABLE user_tokens(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL,
  username TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, created INTEGER NOT NULL, last_used INTEGER);
CREATE INDEX user_tokens_user ON user_tokens(username);
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
        R"sql(
ALTER TABLE alerts ADD COLUMN src_ip TEXT, ADD COLUMN src_port INTEGER, ADD COLUMN dest_ip TEXT,
  ADD COLUMN dest_port INTEGER, ADD COLUMN proto SMALLINT,
  ADD COLUMN status SMALLINT NOT NULL DEFAULT 0, ADD COLUMN ack_by TEXT, ADD COLUMN ack_at BIGINT,
  ADD COLUMN resolved_by TEXT, ADD COLUMN resolved_at BIGINT;
CREATE INDEX alerts_status ON alerts(status, seq);
CREATE INDEX alerts_group ON alerts(category, src, status);
ALTER TABLE users ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;
CREATE TABLE suppressions(
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  category TEXT NOT NULL, src TEXT NOT NULL, dst TEXT NOT NULL, port INTEGER NOT NULL,
  agent_id TEXT NOT NULL, expires_at BIGINT, comment TEXT NOT NULL, created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL, hits_server BIGINT NOT NULL DEFAULT 0,
  hits_agents BIGINT NOT NULL DEFAULT 0, last_hit BIGINT);
CREATE TABLE suppression_agent_counts(agent_id TEXT NOT NULL, rule_id BIGINT NOT NULL,
  reported BIGINT NOT NULL, PRIMARY KEY(agent_id, rule_id));
CREATE TABLE meta(key TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO meta(key,value) VALUES('suppressions_version',0);
CREATE TABLE audit_log(id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ts BIGINT NOT NULL,
  username TEXT NOT NULL, ip TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,
  detail TEXT NOT NULL);
CREATE TABLE user_tokens(id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name TEXT NOT NULL,
  username TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, created BIGINT NOT NULL, last_used BIGINT);
CREATE INDEX user_tokens_user ON user_tokens(username);
)sql",
    };
    return kSteps;
}

}  // namespace sentinel::store
