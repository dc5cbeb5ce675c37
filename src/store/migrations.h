#pragma once

#include <string>
#include <vector>

namespace sentinel::store {

// Versioned schema migrations. Entry i upgrades a database from version i to i+1; a database
// records its version (SQLite: PRAGMA user_version; PostgreSQL: table schema_migrations) and
// only the missing steps run, each in the transaction that records it. Append only: never edit
// a released step.
const std::vector<std::string>& sqlite_migrations();
const std::vector<std::string>& postgres_migrations();

}  // namespace sentinel::store
