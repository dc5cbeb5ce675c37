#pragma once

// Real receivers for output tests: rsyslogd (Debian) with its own config on a loopback port, and
// the Python HTTPS webhook receiver (webhook_receiver.py). Both can be restarted on the same port.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "support/test_support.h"

namespace sentinel::outputs::testing {

// A free loopback TCP port (bound, then released).
uint16_t free_port();
// Whether something accepts connections on 127.0.0.1:port.
bool port_open(uint16_t port);

// rsyslogd in the foreground with its own config: imtcp on 127.0.0.1 (TLS through the OpenSSL
// stream driver with <pki>/server.crt when pki is given), writing every message it parsed twice:
// rfc5424.log (RSYSLOG_SyslogProtocol23Format) and fields.log
// (protocol-version|pri|hostname|app-name|procid|msgid|structured-data|msg).
class Rsyslog {
  public:
    Status start(const std::string& dir, bool tls, const std::string& pki = "", uint16_t port = 0);
    void stop();
    ~Rsyslog();
    uint16_t port() const { return port_; }
    std::vector<std::string> rfc5424_lines() const;
    std::vector<std::string> field_lines() const;

  private:
    sentinel::testing::ChildProcess child_;
    std::string dir_;
    uint16_t port_ = 0;
};

// webhook_receiver.py with <dir>/server.crt; every request is logged to <dir>/webhook.jsonl.
class WebhookReceiver {
  public:
    Status start(const std::string& dir, uint16_t port, const std::string& secret,
                 int status = 200);
    void stop();
    ~WebhookReceiver();
    uint16_t port() const { return port_; }
    std::vector<nlohmann::json> requests() const;
    // Alert ids in arrival order over every request.
    std::vector<std::string> ids() const;

  private:
    sentinel::testing::ChildProcess child_;
    std::string out_;
    uint16_t port_ = 0;
};

}  // namespace sentinel::outputs::testing
