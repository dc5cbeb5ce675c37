#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"

// Helpers for tests that need real processes: a temporary directory, a throwaway PKI, the Python
// HTTPS stand-in for the server's agent API and a CONNECT proxy (both in tests/support).
namespace sentinel::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its content by the destructor.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

  private:
    std::string path_;
};

// Writes ca.crt/ca.key, server.crt/server.key (SAN IP:127.0.0.1, DNS:localhost, signed by ca),
// wrong_name.crt/.key (signed by ca, SAN DNS:other.example only) and other_ca.crt (an unrelated
// CA) into `dir` with the openssl CLI.
Status make_test_pki(const std::string& dir);

// A child process with its stdin and stdout connected to pipes.
class ChildProcess {
  public:
    ChildProcess() = default;
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // Starts argv[0] (searched in PATH) with the extra "NAME=value" environment entries.
    Status start(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});
    Status write_line(const std::string& line);
    // One line from the child's stdout (without the newline); an error after `timeout_s`.
    Result<std::string> read_line(double timeout_s);
    void close_stdin();
    void kill(int sig);
    // Waits for the exit; the raw wait status, or -1.
    int wait();
    pid_t pid() const { return pid_; }
    bool running() const { return pid_ > 0; }

  private:
    pid_t pid_ = -1;
    int in_ = -1;
    int out_ = -1;
    std::string buffer_;
};

// The HTTPS stand-in for the server's agent API (standin_server.py).
class StandInServer {
  public:
    // Starts it with <cert>.crt and <cert>.key from make_test_pki(pki_dir); data goes to out_dir.
    Status start(const std::string& pki_dir, const std::string& out_dir,
                 const std::string& api_key = "test-key", const std::string& cert = "server");
    // Sends one command ("down", "up", "batch404 on", "fail 2 429 1", "delay 0.1") and returns
    // its "ok ..." answer.
    Result<std::string> command(const std::string& line);
    int port() const { return port_; }
    std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
    // Stored alerts in arrival order, and received heartbeat bodies.
    std::vector<nlohmann::json> alerts() const;
    std::vector<nlohmann::json> heartbeats() const;
    nlohmann::json stats();
    // Polls until at least `count` alerts are stored; false after `timeout_s`.
    bool wait_for_alerts(size_t count, double timeout_s) const;

  private:
    ChildProcess child_;
    std::string out_dir_;
    int port_ = 0;
};

// The CONNECT proxy (connect_proxy.py); every CONNECT target is logged.
class ConnectProxy {
  public:
    Status start(const std::string& log_path);
    int port() const { return port_; }
    std::vector<std::string> targets() const;

  private:
    ChildProcess child_;
    std::string log_path_;
    int port_ = 0;
};

// Lines of a text file (empty when missing).
std::vector<std::string> read_lines(const std::string& path);

// Sleeps in small steps until `done()` or `timeout_s`; returns done().
template <typename F>
bool eventually(F done, double timeout_s);

void sleep_seconds(double s);

template <typename F>
bool eventually(F done, double timeout_s) {
    for (double waited = 0; waited < timeout_s; waited += 0.02) {
        if (done()) {
            return true;
        }
        sleep_seconds(0.02);
    }
    return done();
}

}  // namespace sentinel::testing
