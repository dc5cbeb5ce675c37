#pragma once

#include <memory>
#include <string>

#include "outputs/output.h"
#include "schema/alert.h"

namespace sentinel::outputs {

struct WebhookOptions {
    std::string url;      // https://
    std::string ca_file;  // empty: the system trust store
    std::string secret;   // empty: no signature header
    double timeout_s = 10;
};

// "sha256=" plus the lower-case hex HMAC-SHA256 of `body` under `secret`.
std::string webhook_signature(const std::string& secret, const std::string& body);

// One alert as the webhook's JSON object: the wire alert (id, ts, level, category, message, src,
// agent_id, hostname, os, received_at, flow) plus community_id when a flow applies.
std::string webhook_alert_json(const schema::Alert& alert);

// The request body for a batch of webhook_alert_json() objects:
// {"source":"netsentinel","count":n,"alerts":[...]}.
std::string webhook_body(const std::vector<std::string>& alerts);

// POSTs batches of alerts as JSON to an https URL (verified, TLS 1.2+), with
// X-NetSentinel-Signature when a secret is set. 2xx is success; 408, 429, 5xx and transport
// errors are transient; other statuses mean the receiver refuses the batch.
std::unique_ptr<Sink> make_webhook_sink(WebhookOptions options);

}  // namespace sentinel::outputs
