#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "outputs/output.h"
#include "schema/alert.h"

namespace sentinel::outputs {

struct SyslogOptions {
    std::string host;
    uint16_t port = 514;
    bool tls = false;
    std::string ca_file;  // verifies the receiver (TLS); its name must match `host`
    int facility = 16;    // local0
    std::string app_name = "netsentinel";
    double timeout_s = 10;  // connect, handshake and each write
};

// The facility number for a name ("local0" → 16); -1 for an unknown name.
int syslog_facility(const std::string& name);

// RFC 5424 severity for an alert level: CRITICAL 2, HIGH 3, MEDIUM 4, LOW 5, INFO 6.
int syslog_severity(schema::Severity level);

// One alert as an RFC 5424 message (no framing, no trailing newline):
// <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [netsentinel@32473 ...] EVE-JSON
// HOSTNAME is the agent's host, MSGID the category (spaces become '_'), PROCID the server's pid.
std::string format_rfc5424(const schema::Alert& alert, int facility, const std::string& app_name);

// RFC 6587 octet-counting frame: "<length> <message>".
std::string octet_frame(const std::string& message);

// Sends RFC 5424 messages over one persistent TCP connection (RFC 6587 framing), optionally in
// TLS 1.2+ (RFC 5425) with the receiver's certificate verified against ca_file.
std::unique_ptr<Sink> make_syslog_sink(SyslogOptions options);

// Ok when the CA file loads (so a typo fails at start-up rather than at the first alert).
Status check_ca_file(const std::string& path);

}  // namespace sentinel::outputs
