#include "pg_harness.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <pqxx/pqxx>
#include <sstream>

namespace sentinel::pgtest {
namespace {

struct Cluster {
    std::string admin_dsn;
    std::string skip;
    std::string own_dir;  // set when this process started the cluster
};

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
        s.pop_back();
    return s;
}

std::string own_dir_for_exit;

void stop_own_cluster() {
    if (!own_dir_for_exit.empty()) {
        const std::string cmd =
            std::string("sh '") + PG_CLUSTER_SCRIPT + "' stop '" + own_dir_for_exit + "'";
        (void)std::system(cmd.c_str());
    }
}

Cluster load() {
    Cluster c;
    std::string dir;
    if (const char* env = std::getenv("SENTINEL_PG_DIR"); env && *env) {
        dir = env;
    } else {
        char tmpl[] = "/tmp/sentinel-pgstate.XXXXXX";
        if (!mkdtemp(tmpl)) {
            c.skip = "cannot create a temporary directory";
            return c;
        }
        dir = tmpl;
        const std::string cmd =
            std::string("sh '") + PG_CLUSTER_SCRIPT + "' start '" + dir + "' >/dev/null";
        own_dir_for_exit = dir;
        std::atexit(stop_own_cluster);
        (void)std::system(cmd.c_str());  // on failure no dsn file: the tests fail below
    }
    const std::string dsn = read_file(dir + "/dsn");
    if (dsn.rfind("skip: ", 0) == 0) {
        c.skip = dsn.substr(6);
    } else if (dsn.empty()) {
        // The fixture was meant to start a server and did not: a failure, not a skip.
        c.admin_dsn = "";
    } else {
        c.admin_dsn = dsn;
    }
    return c;
}

const Cluster& cluster() {
    static const Cluster c = load();
    return c;
}

std::string with_dbname(const std::string& dsn, const std::string& name) {
    auto pos = dsn.find("dbname=");
    return dsn.substr(0, pos) + "dbname=" + name;
}

}  // namespace

const std::string& skip_reason() { return cluster().skip; }

std::string create_database() {
    const auto& c = cluster();
    if (c.admin_dsn.empty()) {
        ADD_FAILURE() << "the PostgreSQL test server did not start (see the fixture output)";
        return "";
    }
    static std::atomic<int> counter{0};
    const std::string name =
        "t_" + std::to_string(getpid()) + "_" + std::to_string(counter.fetch_add(1));
    try {
        pqxx::connection conn(c.admin_dsn);
        pqxx::nontransaction n(conn);
        n.exec("DROP DATABASE IF EXISTS " + name);
        n.exec("CREATE DATABASE " + name);
    } catch (const std::exception& e) {
        ADD_FAILURE() << "cannot create a test database: " << e.what();
        return "";
    }
    return with_dbname(c.admin_dsn, name);
}

void drop_database(const std::string& dsn) {
    const auto& c = cluster();
    const auto pos = dsn.find("dbname=");
    if (c.admin_dsn.empty() || pos == std::string::npos)
        return;
    try {
        pqxx::connection conn(c.admin_dsn);
        pqxx::nontransaction n(conn);
        n.exec("DROP DATABASE IF EXISTS " + dsn.substr(pos + 7) + " WITH (FORCE)");
    } catch (const std::exception&) {
    }
}

}  // namespace sentinel::pgtest
