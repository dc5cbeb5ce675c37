#include "server/metrics.h"

#include <fmt/format.h>

#include "outputs/outputs.h"

namespace sentinel::server {

namespace {
constexpr std::array<const char*, 5> kLevels = {"INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"};
constexpr std::array<const char*, static_cast<size_t>(Reject::kCount)> kRejectNames = {
    "unauthorized",       "bad_request", "missing_fields",   "invalid_level",
    "rate_limited",       "agent_limit", "body_too_large",   "not_found",
    "method_not_allowed", "store_error", "forbidden_origin", "bad_content_type"};
constexpr std::array<const char*, static_cast<size_t>(ConnError::kCount)> kConnNames = {
    "tls_handshake",  "plain_http_on_tls", "timeout",       "read_error",
    "ws_slow_client", "connection_limit",  "address_limit", "idle_shed"};
// netsentinel_output_*{output="eve|syslog|webhook"} (docs/outputs.md).
void render_outputs(std::string& out, const std::vector<outputs::OutputStats>& stats) {
    struct Series {
        const char* name;
        const char* type;
        const char* help;
        uint64_t (*value)(const outputs::OutputStats&);
    };
    static constexpr Series kSeries[] = {
        {"netsentinel_output_sent_total", "counter", "Alerts delivered to the output's receiver.",
         [](const outputs::OutputStats& s) { return s.sent; }},
        {"netsentinel_output_dropped_total", "counter",
         "Alerts discarded: queue full while the receiver was down, or refused past the retry "
         "limit.",
         [](const outputs::OutputStats& s) { return s.dropped; }},
        {"netsentinel_output_retries_total", "counter", "Failed delivery attempts.",
         [](const outputs::OutputStats& s) { return s.retries; }},
        {"netsentinel_output_queue_depth", "gauge", "Alerts waiting for delivery.",
         [](const outputs::OutputStats& s) { return s.queue_depth; }},
        {"netsentinel_output_connected", "gauge", "1 when the last delivery attempt succeeded.",
         [](const outputs::OutputStats& s) { return static_cast<uint64_t>(s.connected); }},
    };
    for (const Series& series : kSeries) {
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", series.name, series.help, series.name,
                           series.type);
        for (const auto& s : stats) {
            out += fmt::format("{}{{output=\"{}\"}} {}\n", series.name, s.name, series.value(s));
        }
    }
}

}  // namespace

void Metrics::observe_commit(double seconds) {
    size_t i = 0;
    while (i < kBuckets.size() && seconds > kBuckets[i]) {
        ++i;
    }
    commit_buckets_[i]++;
    commit_count_++;
    commit_sum_us_ += static_cast<uint64_t>(seconds * 1e6);
}

std::string Metrics::render(uint64_t agents_online) const {
    std::string out;
    auto line = [&out](const std::string& s) {
        out += s;
        out += '\n';
    };
    line("# HELP netsentinel_alerts_total Alerts stored, by level.");
    line("# TYPE netsentinel_alerts_total counter");
    for (size_t i = 0; i < kLevels.size(); ++i) {
        line(fmt::format("netsentinel_alerts_total{{level=\"{}\"}} {}", kLevels[i],
                         alerts_by_level_[i].load()));
    }
    line("# HELP netsentinel_alert_duplicates_total Alerts received again (already stored).");
    line("# TYPE netsentinel_alert_duplicates_total counter");
    line(fmt::format("netsentinel_alert_duplicates_total {}", duplicates_.load()));
    line("# HELP netsentinel_rejections_total Requests refused, by reason.");
    line("# TYPE netsentinel_rejections_total counter");
    for (size_t i = 0; i < kRejectNames.size(); ++i) {
        line(fmt::format("netsentinel_rejections_total{{reason=\"{}\"}} {}", kRejectNames[i],
                         rejections_[i].load()));
    }
    line("# HELP netsentinel_connection_errors_total Connection-level failures, by kind.");
    line("# TYPE netsentinel_connection_errors_total counter");
    for (size_t i = 0; i < kConnNames.size(); ++i) {
        line(fmt::format("netsentinel_connection_errors_total{{kind=\"{}\"}} {}", kConnNames[i],
                         conn_errors_[i].load()));
    }
    line("# HELP netsentinel_connections_total TCP connections accepted.");
    line("# TYPE netsentinel_connections_total counter");
    line(fmt::format("netsentinel_connections_total {}", connections_.load()));
    line("# HELP netsentinel_login_failures_total Failed dashboard logins.");
    line("# TYPE netsentinel_login_failures_total counter");
    line(fmt::format("netsentinel_login_failures_total {}", login_failures_.load()));
    line(
        "# HELP netsentinel_alert_time_fallbacks_total Alerts whose ts was out of range and was "
        "replaced by the arrival time.");
    line("# TYPE netsentinel_alert_time_fallbacks_total counter");
    line(fmt::format("netsentinel_alert_time_fallbacks_total {}", time_fallbacks_.load()));
    line("# HELP netsentinel_agents_online Agents whose last contact is recent.");
    line("# TYPE netsentinel_agents_online gauge");
    line(fmt::format("netsentinel_agents_online {}", agents_online));
    line("# HELP netsentinel_websocket_clients Connected dashboard WebSocket clients.");
    line("# TYPE netsentinel_websocket_clients gauge");
    line(fmt::format("netsentinel_websocket_clients {}", ws_clients_.load()));
    line("# HELP netsentinel_store_commit_seconds Time from queueing a write to its commit.");
    line("# TYPE netsentinel_store_commit_seconds histogram");
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
        cumulative += commit_buckets_[i].load();
        line(fmt::format("netsentinel_store_commit_seconds_bucket{{le=\"{}\"}} {}", kBuckets[i],
                         cumulative));
    }
    cumulative += commit_buckets_[kBuckets.size()].load();
    line(fmt::format("netsentinel_store_commit_seconds_bucket{{le=\"+Inf\"}} {}", cumulative));
    line(fmt::format("netsentinel_store_commit_seconds_sum {}",
                     static_cast<double>(commit_sum_us_.load()) / 1e6));
    line(fmt::format("netsentinel_store_commit_seconds_count {}", commit_count_.load()));
    if (outputs_ != nullptr && !outputs_->empty()) {
        render_outputs(out, outputs_->stats());
    }
    return out;
}

}  // namespace sentinel::server
