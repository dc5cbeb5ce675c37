#pragma once

#include <string>

// A PostgreSQL server for tests: the cluster started by the ctest fixture (its directory in
// SENTINEL_PG_DIR), or, when a test binary runs on its own, one started on first use and
// stopped at exit. One cluster per binary or fixture; each test gets its own database.
namespace sentinel::pgtest {

// Empty when PostgreSQL is usable, else why the PostgreSQL tests are skipped.
const std::string& skip_reason();

// Creates an empty database and returns its connection string (fails the test on error).
std::string create_database();
// Drops a database made by create_database (connections to it are closed).
void drop_database(const std::string& dsn);

}  // namespace sentinel::pgtest
