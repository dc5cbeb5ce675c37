#include "config/config.h"

#include "common/json_input.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <variant>

namespace sentinel::config {
namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

// Larger files are certainly not configs; refusing them keeps a typo'd path from eating memory.
constexpr size_t kMaxConfigBytes = 16u << 20;

enum class Kind : uint8_t {
    kInteger,       // unsigned integer within [min, max]
    kNumber,        // any number within [min, max]
    kPort,          // 1..65535
    kRedirectPort,  // 0..65535, or null/false (0, null and false disable, as in the original)
    kHost,          // string
    kSecret,        // string, never echoed
    kPath,          // non-empty string, resolved against the config's directory
    kUrl,           // http:// or https://
    kSecretUrl,     // https:// whose path or query may hold a token: printed as scheme://host/...
    kPortList,      // array of ports
    kFeeds,         // array of {"path", "tier"}
    kStorage,       // {"backend", "dsn"}
    kRules,         // "original" or "improved"
};

using FieldRef = std::variant<uint16_t*, uint32_t*, uint64_t*, int*, double*, std::string*,
                              std::vector<uint16_t>*, std::vector<IntelFeed>*, StorageConfig*>;

struct KeySpec {
    const char* name;
    Kind kind;
    double min;
    double max;
    const char* help;
    FieldRef (*field)(Config&);  // nullptr for aliases, handled by the loader itself
};

#define SENTINEL_FIELD(member) [](Config& c) -> FieldRef { return &c.member; }

// The single source of truth for keys, types, ranges and help. Defaults live in config.h and are
// read from a default-constructed Config, so they cannot drift from the struct.
const KeySpec kKeys[] = {
    // Shared.
    {"api_key", Kind::kSecret, 0, 0,
     "Shared secret agents send as X-API-Key (sentinel-certs generates 43 random characters).",
     SENTINEL_FIELD(api_key)},
    {"server_host", Kind::kHost, 0, 0,
     "Server: address to bind. Agents: host to connect to; \"0.0.0.0\", \"::\" and \"\" mean "
     "127.0.0.1.",
     SENTINEL_FIELD(server_host)},
    {"gui_port", Kind::kPort, 1, 65535, "HTTPS port of the dashboard.", SENTINEL_FIELD(gui_port)},
    {"server_port", Kind::kPort, 1, 65535,
     "Alias of gui_port written by the original gen_certs.py; gui_port wins when both are set.",
     nullptr},
    {"agent_port", Kind::kPort, 1, 65535, "HTTPS port agents post alerts and heartbeats to.",
     SENTINEL_FIELD(agent_port)},
    {"redirect_port", Kind::kRedirectPort, 0, 65535,
     "Plain-HTTP port that redirects to the dashboard; absent means gui_port - 1, 0 or null "
     "disables it.",
     SENTINEL_FIELD(redirect_port)},
    {"ca_cert", Kind::kPath, 0, 0, "CA certificate agents use to verify the server.",
     SENTINEL_FIELD(ca_cert)},
    {"server_cert", Kind::kPath, 0, 0, "Server certificate (PEM) for both HTTPS listeners.",
     SENTINEL_FIELD(server_cert)},
    {"server_key", Kind::kPath, 0, 0, "Server private key (PEM).", SENTINEL_FIELD(server_key)},

    // Server.
    {"data_dir", Kind::kPath, 0, 0, "Server folder for the alert database.",
     SENTINEL_FIELD(data_dir)},
    {"storage", Kind::kStorage, 0, 0,
     "Alert store: backend \"sqlite\" (in data_dir) or \"postgres\" (dsn is a libpq connection "
     "string, a secret).",
     SENTINEL_FIELD(storage)},
    {"agent_rate_limit", Kind::kInteger, 1, 1e6,
     "Alerts accepted per agent per agent_rate_window; more get 429.",
     SENTINEL_FIELD(agent_rate_limit)},
    {"agent_rate_window", Kind::kNumber, 0.1, 3600, "Rate-limit window in seconds.",
     SENTINEL_FIELD(agent_rate_window)},
    {"max_agents", Kind::kInteger, 1, 1e6, "Most agents the server tracks.",
     SENTINEL_FIELD(max_agents)},
    {"max_body_bytes", Kind::kInteger, 1024, 1 << 30, "Largest request body; larger ones get 413.",
     SENTINEL_FIELD(max_body_bytes)},
    {"max_connections", Kind::kInteger, 1, 1e6,
     "Concurrent connections on all listeners together (kept below the open-file limit); at the "
     "cap the oldest idle keep-alive or not-yet-talking connection is closed to admit a new one.",
     SENTINEL_FIELD(max_connections)},
    {"max_connections_per_ip", Kind::kInteger, 1, 1e6,
     "Concurrent connections from one peer address; more are closed at once and counted "
     "(address_limit). Raise it when many agents share one NAT address.",
     SENTINEL_FIELD(max_connections_per_ip)},
    {"retention_days", Kind::kInteger, 0, 36500, "Delete alerts older than this; 0 keeps them.",
     SENTINEL_FIELD(retention_days)},
    {"retention_max_alerts", Kind::kInteger, 0, 1e12,
     "Keep at most this many alerts (oldest go first); 0 means no limit.",
     SENTINEL_FIELD(retention_max_alerts)},
    {"agent_offline_after", Kind::kNumber, 1, 86400,
     "Seconds without contact after which an agent shows as offline.",
     SENTINEL_FIELD(agent_offline_after)},

    // Server outputs (docs/outputs.md).
    {"eve_log_path", Kind::kPath, 0, 0,
     "EVE JSON lines file (Suricata style) every stored alert is appended to; absent: off.",
     SENTINEL_FIELD(outputs.eve_log_path)},
    {"syslog_host", Kind::kHost, 0, 0,
     "RFC 5424 syslog receiver every stored alert is sent to (octet-counted TCP or TLS); "
     "empty: off.",
     SENTINEL_FIELD(outputs.syslog_host)},
    {"syslog_port", Kind::kInteger, 0, 65535,
     "Syslog receiver port; 0 means 514 for \"tcp\" and 6514 for \"tls\".",
     SENTINEL_FIELD(outputs.syslog_port)},
    {"syslog_transport", Kind::kHost, 0, 0,
     "\"tcp\" (RFC 6587 octet counting) or \"tls\" (RFC 5425, TLS 1.2 or later).",
     SENTINEL_FIELD(outputs.syslog_transport)},
    {"syslog_ca_file", Kind::kPath, 0, 0,
     "CA certificate (PEM) that verifies the syslog receiver; required for \"tls\".",
     SENTINEL_FIELD(outputs.syslog_ca_file)},
    {"syslog_facility", Kind::kHost, 0, 0,
     "Syslog facility name: kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, "
     "authpriv, ftp, local0 ... local7.",
     SENTINEL_FIELD(outputs.syslog_facility)},
    {"syslog_app_name", Kind::kHost, 0, 0,
     "APP-NAME of the syslog messages (1 to 48 printable ASCII characters).",
     SENTINEL_FIELD(outputs.syslog_app_name)},
    {"webhook_url", Kind::kSecretUrl, 0, 0,
     "https:// URL every stored alert is POSTed to as JSON (in small batches); absent: off.",
     SENTINEL_FIELD(outputs.webhook_url)},
    {"webhook_ca_file", Kind::kPath, 0, 0,
     "CA bundle that verifies the webhook receiver; when absent, the system store.",
     SENTINEL_FIELD(outputs.webhook_ca_file)},
    {"webhook_secret", Kind::kSecret, 0, 0,
     "HMAC-SHA256 key for the X-NetSentinel-Signature header; the NETSENTINEL_WEBHOOK_SECRET "
     "environment variable wins. Empty: requests are not signed.",
     SENTINEL_FIELD(outputs.webhook_secret)},
    {"webhook_max_retries", Kind::kInteger, 0, 1000,
     "Retries of a batch the webhook refuses with a 4xx status before it is dropped (counted); "
     "unreachable receivers, 5xx, 408 and 429 are retried until the queue overflows.",
     SENTINEL_FIELD(outputs.webhook_max_retries)},
    {"output_queue_max", Kind::kInteger, 1, 10000000,
     "Alerts each output buffers while its receiver is unreachable; beyond it the oldest are "
     "dropped and counted.",
     SENTINEL_FIELD(outputs.output_queue_max)},

    // Agent.
    {"virustotal_api_key", Kind::kSecret, 0, 0,
     "VirusTotal key; the VIRUSTOTAL_API_KEY environment variable wins. Empty disables "
     "VirusTotal.",
     SENTINEL_FIELD(virustotal_api_key)},
    {"virustotal_base_url", Kind::kUrl, 0, 0, "VirusTotal API base URL.",
     SENTINEL_FIELD(virustotal_base_url)},
    {"virustotal_ca_file", Kind::kPath, 0, 0,
     "CA bundle that verifies the VirusTotal connection; when absent, the system store (set it "
     "behind a TLS-inspecting proxy or for a local stand-in).",
     SENTINEL_FIELD(virustotal_ca_file)},
    {"vt_requests_per_minute", Kind::kInteger, 1, 10000,
     "VirusTotal lookups per minute (the free tier allows 4).",
     SENTINEL_FIELD(vt_requests_per_minute)},
    {"vt_daily_quota", Kind::kInteger, 1, 1e7, "VirusTotal lookups per day.",
     SENTINEL_FIELD(vt_daily_quota)},
    {"vt_cache_clean_ttl", Kind::kInteger, 0, 2592000,
     "Seconds a clean VirusTotal verdict is cached.", SENTINEL_FIELD(vt_cache_clean_ttl)},
    {"vt_cache_malicious_ttl", Kind::kInteger, 0, 2592000,
     "Seconds a malicious VirusTotal verdict is cached.", SENTINEL_FIELD(vt_cache_malicious_ttl)},
    {"intel_feeds", Kind::kFeeds, 0, 0,
     "Offline blocklists: [{\"path\": FILE, \"tier\": \"CRITICAL\"|\"HIGH\"|\"MEDIUM\"|\"LOW\"}].",
     SENTINEL_FIELD(intel_feeds)},
    {"spool_max_bytes", Kind::kInteger, 1 << 20, 1099511627776.0,
     "Disk spool for alerts the server has not acknowledged.", SENTINEL_FIELD(spool_max_bytes)},
    {"heartbeat_interval", Kind::kNumber, 1, 3600, "Seconds between agent heartbeats.",
     SENTINEL_FIELD(heartbeat_interval)},
    {"state_dir", Kind::kPath, 0, 0, "Agent folder for its identity and spool.",
     SENTINEL_FIELD(state_dir)},

    // Detectors (the original's keys).
    {"port_scan_window", Kind::kNumber, 0.1, 3600, "Port scan window, seconds.",
     SENTINEL_FIELD(detectors.port_scan_window)},
    {"port_scan_threshold", Kind::kInteger, 2, 4096, "Distinct ports in the window.",
     SENTINEL_FIELD(detectors.port_scan_threshold)},
    {"syn_flood_window", Kind::kNumber, 0.1, 3600, "SYN flood window, seconds.",
     SENTINEL_FIELD(detectors.syn_flood_window)},
    {"syn_flood_threshold", Kind::kInteger, 1, 65535, "SYNs in the window.",
     SENTINEL_FIELD(detectors.syn_flood_threshold)},
    {"icmp_flood_window", Kind::kNumber, 0.1, 3600, "ICMP flood window, seconds.",
     SENTINEL_FIELD(detectors.icmp_flood_window)},
    {"icmp_flood_threshold", Kind::kInteger, 1, 1e7, "Echo requests in the window.",
     SENTINEL_FIELD(detectors.icmp_flood_threshold)},
    {"dns_tunnel_query_len", Kind::kInteger, 1, 255, "Query names this long (or longer) alert.",
     SENTINEL_FIELD(detectors.dns_tunnel_query_len)},
    {"exfil_window", Kind::kNumber, 1, 86400, "Exfiltration window, seconds.",
     SENTINEL_FIELD(detectors.exfil_window)},
    {"exfil_bytes_threshold", Kind::kInteger, 1, 1e15, "Outbound bytes in the window.",
     SENTINEL_FIELD(detectors.exfil_bytes_threshold)},
    {"bruteforce_window", Kind::kNumber, 0.1, 3600, "Brute-force window, seconds.",
     SENTINEL_FIELD(detectors.bruteforce_window)},
    {"bruteforce_threshold", Kind::kInteger, 1, 1e7, "SYNs to one service port in the window.",
     SENTINEL_FIELD(detectors.bruteforce_threshold)},
    {"alert_cooldown", Kind::kNumber, 0, 86400,
     "Seconds an identical alert is suppressed; 0 disables suppression.",
     SENTINEL_FIELD(detectors.alert_cooldown)},
    {"suspicious_ports", Kind::kPortList, 1, 65535,
     "Ports whose use alerts (backdoors, IRC, Tor); [] disables the detector.",
     SENTINEL_FIELD(detectors.suspicious_ports)},
    {"bruteforce_ports", Kind::kPortList, 1, 65535, "Service ports watched for brute force.",
     SENTINEL_FIELD(detectors.bruteforce_ports)},
    {"port_scan_rules", Kind::kRules, 0, 0,
     "Port scan evidence: distinct probed ports per source (original) or failed first contacts "
     "per source across hosts and ports (improved).",
     SENTINEL_FIELD(detectors.port_scan_rules)},
    {"syn_flood_rules", Kind::kRules, 0, 0,
     "SYN flood evidence: SYNs per source (original) or half-open handshakes per source and per "
     "destination (improved).",
     SENTINEL_FIELD(detectors.syn_flood_rules)},
    {"bruteforce_rules", Kind::kRules, 0, 0,
     "Brute-force evidence: SYNs per source and port (original), plus short sessions to one "
     "service (improved).",
     SENTINEL_FIELD(detectors.bruteforce_rules)},
    {"arp_spoof_rules", Kind::kRules, 0, 0,
     "ARP spoofing evidence: any MAC change is CRITICAL (original), or arpwatch-style state: a "
     "first change is HIGH, flip-flops and ARP senders that disagree with the frame's source "
     "are CRITICAL (improved).",
     SENTINEL_FIELD(detectors.arp_spoof_rules)},
    {"dns_tunnel_rules", Kind::kRules, 0, 0,
     "DNS tunnelling evidence: one long query name (original), or the information sent in new "
     "query names per registered domain over a window, from their length and character "
     "entropy, TXT/NULL-type queries counting twice (improved).",
     SENTINEL_FIELD(detectors.dns_tunnel_rules)},
    {"exfil_rules", Kind::kRules, 0, 0,
     "Exfiltration evidence: outbound bytes per host over a fixed threshold (original), or over "
     "a multiple of the host's own usual volume once it is learnt (improved).",
     SENTINEL_FIELD(detectors.exfil_rules)},
    {"bruteforce_short_sessions", Kind::kInteger, 1, 1e7,
     "Improved brute force: short sessions from one source to one service that alert.",
     SENTINEL_FIELD(detectors.bruteforce_short_sessions)},
    {"bruteforce_session_window", Kind::kNumber, 1, 86400,
     "Improved brute force: window for short sessions, seconds.",
     SENTINEL_FIELD(detectors.bruteforce_session_window)},
    {"bruteforce_session_seconds", Kind::kNumber, 0.1, 3600,
     "Improved brute force: a session ending this soon after its SYN is short, seconds.",
     SENTINEL_FIELD(detectors.bruteforce_session_seconds)},
    {"dns_tunnel_info_bits", Kind::kInteger, 1, 1e9,
     "Improved DNS tunnelling: estimated bits in new names below one registered domain within "
     "dns_tunnel_window that alert.",
     SENTINEL_FIELD(detectors.dns_tunnel_info_bits)},
    {"dns_tunnel_window", Kind::kNumber, 1, 86400,
     "Improved DNS tunnelling: window for the information per domain, seconds.",
     SENTINEL_FIELD(detectors.dns_tunnel_window)},
    {"dns_tunnel_name_allowance_bits", Kind::kInteger, 0, 10000,
     "Improved DNS tunnelling: bits of each new name not counted (what an ordinary host name "
     "carries).",
     SENTINEL_FIELD(detectors.dns_tunnel_name_allowance_bits)},
    {"dns_tunnel_name_bits", Kind::kInteger, 1, 1e6,
     "Improved DNS tunnelling: bits in one name that alert on their own (TXT/NULL-type names "
     "count twice).",
     SENTINEL_FIELD(detectors.dns_tunnel_name_bits)},
    {"dns_tunnel_max_domains", Kind::kInteger, 1, 1e7,
     "Improved DNS tunnelling: cap on the per-domain table (least recently used are evicted).",
     SENTINEL_FIELD(detectors.dns_tunnel_max_domains)},
    {"exfil_baseline_factor", Kind::kNumber, 1, 1000,
     "Improved exfiltration: alert at this multiple of the host's usual bytes per window.",
     SENTINEL_FIELD(detectors.exfil_baseline_factor)},
    {"exfil_min_bytes", Kind::kInteger, 1, 1e15,
     "Improved exfiltration: never alert below this many bytes in the window once the host's "
     "baseline is learnt.",
     SENTINEL_FIELD(detectors.exfil_min_bytes)},
    {"exfil_warmup_windows", Kind::kInteger, 1, 1e6,
     "Improved exfiltration: windows with outbound traffic needed before the baseline applies "
     "(until then, exfil_bytes_threshold).",
     SENTINEL_FIELD(detectors.exfil_warmup_windows)},
    {"max_tracked_hosts", Kind::kInteger, 1, 1e8,
     "Cap on every per-address table; least recently used entries are evicted.",
     SENTINEL_FIELD(detectors.max_tracked_hosts)},
    {"arp_table_size", Kind::kInteger, 1, 1e8, "Cap on the ARP IP-to-MAC table.",
     SENTINEL_FIELD(detectors.arp_table_size)},
};

#undef SENTINEL_FIELD

const KeySpec* find_key(std::string_view name) {
    for (const KeySpec& k : kKeys) {
        if (name == k.name) {
            return &k;
        }
    }
    return nullptr;
}

std::string format_bound(double v) {
    if (v == std::floor(v) && std::fabs(v) < 1e18) {
        return fmt::format("{}", static_cast<int64_t>(v));
    }
    return fmt::format("{}", v);
}

std::string expected_text(const KeySpec& k) {
    switch (k.kind) {
        case Kind::kInteger:
            return fmt::format("an integer from {} to {}", format_bound(k.min),
                               format_bound(k.max));
        case Kind::kNumber:
            return fmt::format("a number from {} to {}", format_bound(k.min), format_bound(k.max));
        case Kind::kPort:
            return "a port number from 1 to 65535";
        case Kind::kRedirectPort:
            return "a port number from 0 to 65535, or null (0 and null disable it)";
        case Kind::kHost:
        case Kind::kSecret:
            return "a string";
        case Kind::kPath:
            return "a non-empty string (a path)";
        case Kind::kUrl:
            return "a string starting with https:// or http://";
        case Kind::kSecretUrl:
            return "a string starting with https://";
        case Kind::kPortList:
            return "an array of port numbers from 1 to 65535";
        case Kind::kFeeds:
            return "an array of {\"path\": ..., \"tier\": ...} objects";
        case Kind::kStorage:
            return "an object {\"backend\": \"sqlite\" or \"postgres\", \"dsn\": ...}";
        case Kind::kRules:
            return "\"original\" or \"improved\"";
    }
    return "";
}

std::string with_article(std::string_view noun) {
    const bool vowel = !noun.empty() && std::strchr("aeiou", noun[0]) != nullptr;
    return fmt::format("{} {}", vowel ? "an" : "a", noun);
}

// How a rejected value is shown: its JSON text (shortened), or only its type for secrets.
std::string shown(const json& v, bool secret) {
    if (secret) {
        return with_article(v.type_name());
    }
    std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
    if (s.size() > 60) {
        s = s.substr(0, 57) + "...";
    }
    return s;
}

class Loader {
  public:
    Loader(std::string label, LoadWarnings* warnings)
        : label_(std::move(label)), warnings_(warnings) {}

    Status fail(std::string_view key, std::string_view expected, const json& value,
                bool secret = false) const {
        return Status::error(fmt::format("{}: \"{}\" must be {}, got {}", label_, key, expected,
                                         shown(value, secret)));
    }

    Status fail_text(std::string_view text) const {
        return Status::error(fmt::format("{}: {}", label_, text));
    }

    void warn(std::string text) {
        if (warnings_ != nullptr) {
            warnings_->messages.push_back(fmt::format("{}: {}", label_, text));
        }
    }

    Status apply(const KeySpec& spec, const json& v, FieldRef field);
    Status apply_ports(const KeySpec& spec, const json& v, std::vector<uint16_t>* out);
    Status apply_feeds(const KeySpec& spec, const json& v, std::vector<IntelFeed>* out);
    Status apply_storage(const KeySpec& spec, const json& v, StorageConfig* out);

    const std::string& label() const { return label_; }

  private:
    std::string label_;
    LoadWarnings* warnings_;
};

std::optional<uint64_t> integer_in_range(const json& v, double min, double max) {
    double d = 0;
    uint64_t u = 0;
    if (v.is_number_unsigned()) {
        u = v.get<uint64_t>();
        d = static_cast<double>(u);
    } else if (v.is_number_integer()) {
        const int64_t i = v.get<int64_t>();
        if (i < 0) {
            return std::nullopt;
        }
        u = static_cast<uint64_t>(i);
        d = static_cast<double>(i);
    } else if (v.is_number_float()) {
        d = v.get<double>();
        // 200.0 is an integer written by a tool that only knows floats; 200.5 is not.
        if (!std::isfinite(d) || d != std::floor(d) || d < 0 || d > 1.8e19) {
            return std::nullopt;
        }
        u = static_cast<uint64_t>(d);
    } else {
        return std::nullopt;
    }
    if (d < min || d > max) {
        return std::nullopt;
    }
    return u;
}

void store_unsigned(FieldRef field, uint64_t u) {
    if (auto* p16 = std::get_if<uint16_t*>(&field)) {
        **p16 = static_cast<uint16_t>(u);
    } else if (auto* p32 = std::get_if<uint32_t*>(&field)) {
        **p32 = static_cast<uint32_t>(u);
    } else if (auto* p64 = std::get_if<uint64_t*>(&field)) {
        **p64 = u;
    } else if (auto* pi = std::get_if<int*>(&field)) {
        **pi = static_cast<int>(u);
    }
}

Status Loader::apply(const KeySpec& spec, const json& v, FieldRef field) {
    const std::string expected = expected_text(spec);
    switch (spec.kind) {
        case Kind::kInteger:
        case Kind::kPort: {
            auto u = integer_in_range(v, spec.min, spec.max);
            if (!u) {
                return fail(spec.name, expected, v);
            }
            store_unsigned(field, *u);
            return Status::ok();
        }
        case Kind::kRedirectPort: {
            if (v.is_null() || (v.is_boolean() && !v.get<bool>())) {
                store_unsigned(field, 0);
                return Status::ok();
            }
            auto u = integer_in_range(v, spec.min, spec.max);
            if (!u) {
                return fail(spec.name, expected, v);
            }
            store_unsigned(field, *u);
            return Status::ok();
        }
        case Kind::kNumber: {
            if (!v.is_number()) {
                return fail(spec.name, expected, v);
            }
            const double d = v.get<double>();
            if (!std::isfinite(d) || d < spec.min || d > spec.max) {
                return fail(spec.name, expected, v);
            }
            *std::get<double*>(field) = d;
            return Status::ok();
        }
        case Kind::kHost:
        case Kind::kSecret: {
            if (!v.is_string()) {
                return fail(spec.name, expected, v, spec.kind == Kind::kSecret);
            }
            *std::get<std::string*>(field) = v.get<std::string>();
            return Status::ok();
        }
        case Kind::kPath: {
            if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
                return fail(spec.name, expected, v);
            }
            *std::get<std::string*>(field) = v.get<std::string>();
            return Status::ok();
        }
        case Kind::kUrl: {
            if (!v.is_string()) {
                return fail(spec.name, expected, v);
            }
            const auto& s = v.get_ref<const std::string&>();
            if (s.rfind("https://", 0) != 0 && s.rfind("http://", 0) != 0) {
                return fail(spec.name, expected, v);
            }
            *std::get<std::string*>(field) = s;
            return Status::ok();
        }
        case Kind::kSecretUrl: {
            // Webhook URLs often carry their credential in the path (chat services do).
            if (!v.is_string() || v.get_ref<const std::string&>().rfind("https://", 0) != 0) {
                return fail(spec.name, expected, v, /*secret=*/true);
            }
            *std::get<std::string*>(field) = v.get<std::string>();
            return Status::ok();
        }
        case Kind::kPortList:
            return apply_ports(spec, v, std::get<std::vector<uint16_t>*>(field));
        case Kind::kFeeds:
            return apply_feeds(spec, v, std::get<std::vector<IntelFeed>*>(field));
        case Kind::kStorage:
            return apply_storage(spec, v, std::get<StorageConfig*>(field));
        case Kind::kRules: {
            if (!v.is_string() || (v.get_ref<const std::string&>() != "original" &&
                                   v.get_ref<const std::string&>() != "improved")) {
                return fail(spec.name, expected, v);
            }
            *std::get<std::string*>(field) = v.get<std::string>();
            return Status::ok();
        }
    }
    return Status::ok();
}

Status Loader::apply_ports(const KeySpec& spec, const json& v, std::vector<uint16_t>* out) {
    if (!v.is_array()) {
        return fail(spec.name, expected_text(spec), v);
    }
    std::vector<uint16_t> ports;
    for (size_t i = 0; i < v.size(); ++i) {
        auto u = integer_in_range(v[i], 1, 65535);
        if (!u) {
            return fail(fmt::format("{}[{}]", spec.name, i), "a port number from 1 to 65535", v[i]);
        }
        const auto port = static_cast<uint16_t>(*u);
        if (std::find(ports.begin(), ports.end(), port) == ports.end()) {
            ports.push_back(port);
        }
    }
    *out = std::move(ports);
    return Status::ok();
}

constexpr std::string_view kTiers[] = {"CRITICAL", "HIGH", "MEDIUM", "LOW"};

Status Loader::apply_feeds(const KeySpec& spec, const json& v, std::vector<IntelFeed>* out) {
    if (!v.is_array()) {
        return fail(spec.name, expected_text(spec), v);
    }
    std::vector<IntelFeed> feeds;
    for (size_t i = 0; i < v.size(); ++i) {
        const json& item = v[i];
        const std::string at = fmt::format("{}[{}]", spec.name, i);
        if (!item.is_object()) {
            return fail(at, "an object {\"path\": ..., \"tier\": ...}", item);
        }
        IntelFeed feed;
        auto path = item.find("path");
        if (path == item.end()) {
            return fail_text(fmt::format("\"{}\" has no \"path\"", at));
        }
        if (!path->is_string() || path->get_ref<const std::string&>().empty()) {
            return fail(at + ".path", "a non-empty string (a path)", *path);
        }
        feed.path = path->get<std::string>();
        auto tier = item.find("tier");
        if (tier == item.end()) {
            return fail_text(fmt::format("\"{}\" has no \"tier\"", at));
        }
        const std::string tier_expected = "one of \"CRITICAL\", \"HIGH\", \"MEDIUM\", \"LOW\"";
        if (!tier->is_string()) {
            return fail(at + ".tier", tier_expected, *tier);
        }
        std::string upper = tier->get<std::string>();
        std::transform(upper.begin(), upper.end(), upper.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        if (std::find(std::begin(kTiers), std::end(kTiers), upper) == std::end(kTiers)) {
            return fail(at + ".tier", tier_expected, *tier);
        }
        feed.tier = upper;
        for (const auto& [key, unused] : item.items()) {
            if (key != "path" && key != "tier") {
                warn(fmt::format("unknown key \"{}.{}\" ignored", at, key));
            }
        }
        feeds.push_back(std::move(feed));
    }
    *out = std::move(feeds);
    return Status::ok();
}

Status Loader::apply_storage(const KeySpec& spec, const json& v, StorageConfig* out) {
    if (!v.is_object()) {
        return fail(spec.name, expected_text(spec), v);
    }
    StorageConfig storage;
    for (const auto& [key, value] : v.items()) {
        if (key == "backend") {
            if (!value.is_string() || (value != "sqlite" && value != "postgres")) {
                return fail("storage.backend", "\"sqlite\" or \"postgres\"", value);
            }
            storage.backend = value.get<std::string>();
        } else if (key == "dsn") {
            if (!value.is_string()) {
                return fail("storage.dsn", "a string", value, /*secret=*/true);
            }
            storage.dsn = value.get<std::string>();
        } else {
            warn(fmt::format("unknown key \"storage.{}\" ignored", key));
        }
    }
    *out = std::move(storage);
    return Status::ok();
}

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string suggestion(std::string_view unknown) {
    const KeySpec* best = nullptr;
    size_t best_distance = 3;  // more than two edits away is no longer a typo
    for (const KeySpec& k : kKeys) {
        const size_t d = edit_distance(unknown, k.name);
        if (d < best_distance) {
            best_distance = d;
            best = &k;
        }
    }
    return best == nullptr ? "" : fmt::format(" (did you mean \"{}\"?)", best->name);
}

Status check_ports(const Config& c, const Loader& loader) {
    if (c.gui_port == c.agent_port) {
        return loader.fail_text(
            fmt::format("\"agent_port\" must differ from \"gui_port\" (both are {})", c.gui_port));
    }
    const uint16_t redirect = c.effective_redirect_port();
    if (redirect != 0 && (redirect == c.gui_port || redirect == c.agent_port)) {
        const char* other = redirect == c.gui_port ? "gui_port" : "agent_port";
        if (c.redirect_port < 0) {
            return loader.fail_text(fmt::format(
                "the default \"redirect_port\" (gui_port - 1 = {}) clashes with \"{}\"; set "
                "\"redirect_port\" to a free port, or to 0 to disable the redirect",
                redirect, other));
        }
        return loader.fail_text(fmt::format(
            "\"redirect_port\" must differ from \"{}\" (both are {})", other, redirect));
    }
    return Status::ok();
}

constexpr std::string_view kFacilities[] = {"kern",     "user",   "mail",   "daemon", "auth",
                                            "syslog",   "lpr",    "news",   "uucp",   "cron",
                                            "authpriv", "ftp",    "local0", "local1", "local2",
                                            "local3",   "local4", "local5", "local6", "local7"};

// Values the key table types only as strings; `doc` gives the rejected value for the message.
Status check_outputs(const Config& c, const json& doc, const Loader& loader) {
    const OutputsConfig& o = c.outputs;
    auto value = [&doc](const char* key) { return doc.contains(key) ? doc[key] : json(); };
    if (o.syslog_transport != "tcp" && o.syslog_transport != "tls") {
        return loader.fail("syslog_transport", "\"tcp\" or \"tls\"", value("syslog_transport"));
    }
    if (std::find(std::begin(kFacilities), std::end(kFacilities), o.syslog_facility) ==
        std::end(kFacilities)) {
        return loader.fail("syslog_facility", "a facility name such as \"local0\" or \"daemon\"",
                           value("syslog_facility"));
    }
    const bool app_name_ok = !o.syslog_app_name.empty() && o.syslog_app_name.size() <= 48 &&
                             std::all_of(o.syslog_app_name.begin(), o.syslog_app_name.end(),
                                         [](char ch) { return ch > 32 && ch < 127; });
    if (!app_name_ok) {
        return loader.fail("syslog_app_name", "1 to 48 printable ASCII characters without spaces",
                           value("syslog_app_name"));
    }
    if (!o.syslog_host.empty() && o.syslog_transport == "tls" && o.syslog_ca_file.empty()) {
        return loader.fail_text(
            "\"syslog_ca_file\" must name the CA that verifies the receiver when "
            "\"syslog_transport\" is \"tls\"");
    }
    return Status::ok();
}

std::string base_dir_of(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path abs = fs::absolute(path.empty() ? fs::path(".") : fs::path(path), ec);
    if (ec) {
        return ".";
    }
    abs = abs.lexically_normal();
    return (path.empty() ? abs : abs.parent_path()).string();
}

ordered_json value_json(const KeySpec& spec, FieldRef field, const Config& config, bool effective) {
    switch (spec.kind) {
        case Kind::kSecret: {
            const std::string& s = *std::get<std::string*>(field);
            return effective ? mask_secret(s) : s;
        }
        case Kind::kPath: {
            const std::string& s = *std::get<std::string*>(field);
            return effective ? resolve_path(config, s) : s;
        }
        case Kind::kSecretUrl: {
            const std::string& s = *std::get<std::string*>(field);
            return effective ? mask_url(s) : s;
        }
        case Kind::kRedirectPort:
            return effective ? ordered_json(config.effective_redirect_port())
                             : ordered_json(*std::get<int*>(field));
        case Kind::kStorage: {
            const StorageConfig& st = *std::get<StorageConfig*>(field);
            ordered_json o = ordered_json::object();
            o["backend"] = st.backend;
            o["dsn"] = effective ? mask_dsn(st.dsn) : st.dsn;
            return o;
        }
        case Kind::kFeeds: {
            ordered_json a = ordered_json::array();
            for (const IntelFeed& f : *std::get<std::vector<IntelFeed>*>(field)) {
                ordered_json o = ordered_json::object();
                o["path"] = effective ? resolve_path(config, f.path) : f.path;
                o["tier"] = f.tier;
                a.push_back(std::move(o));
            }
            return a;
        }
        default:
            break;
    }
    return std::visit(
        [](auto* p) -> ordered_json {
            using T = std::remove_pointer_t<decltype(p)>;
            if constexpr (std::is_same_v<T, std::vector<IntelFeed>> ||
                          std::is_same_v<T, StorageConfig>) {
                return nullptr;  // handled above
            } else {
                return ordered_json(*p);
            }
        },
        field);
}

// The parts of json_input's "parse error at line <n>, column <m>: <what>".
struct ParseErrorPlace {
    std::string_view line, column, what;
};
std::optional<ParseErrorPlace> split_parse_error(std::string_view e) {
    const auto digits = [&e](std::string_view prefix) -> std::optional<std::string_view> {
        if (!e.starts_with(prefix)) {
            return std::nullopt;
        }
        e.remove_prefix(prefix.size());
        size_t n = 0;
        while (n < e.size() && std::isdigit(static_cast<unsigned char>(e[n])) != 0) {
            ++n;
        }
        if (n == 0) {
            return std::nullopt;
        }
        const std::string_view number = e.substr(0, n);
        e.remove_prefix(n);
        return number;
    };
    const size_t at = e.find("parse error at line ");
    if (at == std::string_view::npos) {
        return std::nullopt;
    }
    e.remove_prefix(at);
    const auto line = digits("parse error at line ");
    const auto column = line ? digits(", column ") : std::nullopt;
    if (!column || !e.starts_with(": ")) {
        return std::nullopt;
    }
    e.remove_prefix(2);
    return ParseErrorPlace{*line, *column, e};
}

}  // namespace

Result<Config> parse_config(const std::string& text, const std::string& path,
                            LoadWarnings* warnings) {
    Loader loader(path.empty() ? "config" : path, warnings);
    json_input::Limits limits;
    limits.max_bytes = 1024 * 1024;  // a config of every key with long paths is ~10 KB
    auto parsed = json_input::parse<json>(text, limits);
    if (!parsed) {
        if (const auto where = split_parse_error(parsed.error())) {
            return Error{fmt::format("{}: invalid JSON at line {}, column {}: {}", loader.label(),
                                     where->line, where->column, where->what)};
        }
        return Error{fmt::format("{}: {}", loader.label(), parsed.error())};
    }
    json doc = std::move(parsed).value();
    if (!doc.is_object()) {
        return Error{fmt::format("{}: must hold a JSON object ({{\"key\": value, ...}}), got {}",
                                 loader.label(), with_article(doc.type_name()))};
    }

    Config c;
    std::optional<uint16_t> server_port;
    bool has_gui_port = false;
    for (const auto& [key, value] : doc.items()) {
        const KeySpec* spec = find_key(key);
        if (spec == nullptr) {
            loader.warn(fmt::format("unknown key \"{}\" ignored{}", key, suggestion(key)));
            continue;
        }
        if (spec->field == nullptr) {  // "server_port"
            uint16_t port = 0;
            FieldRef tmp = &port;
            if (Status s = loader.apply(*spec, value, tmp); !s) {
                return Error{s.message()};
            }
            server_port = port;
            continue;
        }
        has_gui_port = has_gui_port || key == "gui_port";
        if (Status s = loader.apply(*spec, value, spec->field(c)); !s) {
            return Error{s.message()};
        }
    }
    if (server_port) {
        if (!has_gui_port) {
            c.gui_port = *server_port;
        } else if (*server_port != c.gui_port) {
            loader.warn(
                fmt::format("\"server_port\" ({}) and \"gui_port\" ({}) differ; using \"gui_port\"",
                            *server_port, c.gui_port));
        }
    }
    if (Status s = check_ports(c, loader); !s) {
        return Error{s.message()};
    }
    if (Status s = check_outputs(c, doc, loader); !s) {
        return Error{s.message()};
    }

    const char* env_key = std::getenv("VIRUSTOTAL_API_KEY");
    if (env_key != nullptr && *env_key != '\0') {
        c.virustotal_api_key = env_key;
        c.virustotal_api_key_source = "environment";
    } else if (!c.virustotal_api_key.empty()) {
        c.virustotal_api_key_source = "config";
    }
    const char* env_secret = std::getenv("NETSENTINEL_WEBHOOK_SECRET");
    if (env_secret != nullptr && *env_secret != '\0') {
        c.outputs.webhook_secret = env_secret;
        c.outputs.webhook_secret_source = "environment";
    } else if (!c.outputs.webhook_secret.empty()) {
        c.outputs.webhook_secret_source = "config";
    }

    c.source_path = path;
    c.base_dir = base_dir_of(path);
    return c;
}

Result<Config> load_config(const std::string& path, LoadWarnings* warnings) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
        const int err = errno;
        if (err == ENOENT) {
            return Error{
                fmt::format("{}: config file not found (sentinel-certs creates one)", path)};
        }
        return Error{fmt::format("{}: cannot read the config file: {}", path, std::strerror(err))};
    }
    std::string text;
    char buffer[8192];
    size_t n = 0;
    bool too_big = false;
    while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) {
        text.append(buffer, n);
        if (text.size() > kMaxConfigBytes) {
            too_big = true;
            break;
        }
    }
    const bool read_error = std::ferror(f) != 0;
    std::fclose(f);
    if (read_error) {
        return Error{fmt::format("{}: cannot read the config file (is it a folder?)", path)};
    }
    if (too_big) {
        return Error{
            fmt::format("{}: larger than {} MiB, not a config file", path, kMaxConfigBytes >> 20)};
    }
    return parse_config(text, path, warnings);
}

std::string describe(const Config& config) {
    ordered_json out = ordered_json::object();
    Config copy = config;  // the field accessors take a mutable Config
    for (const KeySpec& spec : kKeys) {
        if (spec.field != nullptr) {
            out[spec.name] = value_json(spec, spec.field(copy), config, /*effective=*/true);
        }
    }
    return out.dump(2, ' ', false, ordered_json::error_handler_t::replace);
}

std::string agent_connect_host(const Config& config) {
    const std::string& h = config.server_host;
    if (h.empty() || h == "0.0.0.0" || h == "::" || h == "[::]") {
        return "127.0.0.1";
    }
    return h;
}

Status check_api_key(const Config& config) {
    constexpr size_t kMinKeyLength = 16;
    if (config.api_key.size() >= kMinKeyLength) {
        return Status::ok();
    }
    const std::string file = config.source_path.empty() ? "config" : config.source_path;
    return Status::error(fmt::format(
        "{}: \"api_key\" {}; it must hold at least {} characters (sentinel-certs --rotate-key "
        "writes a random one)",
        file, config.api_key.empty() ? "is missing or empty" : "is too short", kMinKeyLength));
}

std::string resolve_path(const Config& config, const std::string& path) {
    namespace fs = std::filesystem;
    if (path.empty()) {
        return "";
    }
    std::string normalized = path;
    std::replace(normalized.begin(), normalized.end(), '\\', '/');
    fs::path p(normalized);
    if (p.is_absolute()) {
        return p.lexically_normal().string();
    }
    fs::path base = config.base_dir.empty() ? fs::path(base_dir_of("")) : fs::path(config.base_dir);
    return (base / p).lexically_normal().string();
}

std::string mask_secret(const std::string& secret) {
    if (secret.empty()) {
        return "";
    }
    return fmt::format("**** ({} chars)", secret.size());
}

std::string mask_url(const std::string& url) {
    const auto scheme = url.find("://");
    if (scheme == std::string::npos) {
        return url.empty() ? "" : "****";
    }
    const auto host_start = scheme + 3;
    auto host_end = url.find_first_of("/?#", host_start);
    std::string authority = url.substr(
        host_start, host_end == std::string::npos ? std::string::npos : host_end - host_start);
    if (const auto at = authority.rfind('@'); at != std::string::npos) {
        authority.erase(0, at + 1);
    }
    std::string out = url.substr(0, host_start) + authority;
    if (host_end != std::string::npos && host_end + 1 < url.size()) {
        out += "/****";
    }
    return out;
}

// Both forms are scanned by hand: std::regex matches by recursion, one stack frame per
// character, and a long DSN or error message from a hostile config overflowed the stack (found
// by fuzz_config).
std::string mask_dsn(const std::string& dsn) {
    std::string out = dsn;
    // URI user info: scheme://user:password@host. The password runs to the last '@' of the
    // authority, so an unencoded '@' inside it is masked too.
    const size_t sep = out.find("://");
    const auto is_scheme_char = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '.' || c == '-';
    };
    if (sep != std::string::npos && sep > 0 &&
        std::isalpha(static_cast<unsigned char>(out[0])) != 0 &&
        std::all_of(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(sep), is_scheme_char)) {
        const size_t start = sep + 3;
        const size_t end = std::min(out.find_first_of("/?#", start), out.size());
        const size_t colon = out.find_first_of(":@", start);
        if (colon < end && out[colon] == ':') {
            const size_t at = out.rfind('@', end - 1);
            if (at != std::string::npos && at > colon) {
                out.replace(colon + 1, at - colon - 1, "****");
            }
        }
    }
    // Keyword form (password=x, password = 'a b\' c') and URI query parameters
    // (?password=x&...), matched without regard to case.
    constexpr std::string_view kKey = "password";
    const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    size_t i = 0;
    while (i + kKey.size() <= out.size()) {
        bool key = true;
        for (size_t k = 0; k < kKey.size() && key; ++k) {
            key = std::tolower(static_cast<unsigned char>(out[i + k])) == kKey[k];
        }
        size_t j = i + kKey.size();
        while (key && j < out.size() && is_space(out[j])) {
            ++j;
        }
        if (!key || j == out.size() || out[j] != '=') {
            ++i;
            continue;
        }
        ++j;
        while (j < out.size() && is_space(out[j])) {
            ++j;
        }
        size_t value_end = j;
        bool quoted = false;
        if (j < out.size() && out[j] == '\'') {
            for (size_t q = j + 1; q < out.size(); ++q) {
                if (out[q] == '\\') {
                    ++q;  // the escaped character, whatever it is
                } else if (out[q] == '\'') {
                    value_end = q + 1;
                    quoted = true;
                    break;
                }
            }
        }
        if (!quoted) {
            while (value_end < out.size() && !is_space(out[value_end]) && out[value_end] != '&') {
                ++value_end;
            }
        }
        out.replace(j, value_end - j, "****");
        i = j + 4;
    }
    return out;
}

std::vector<KeyInfo> config_keys() {
    std::vector<KeyInfo> keys;
    Config defaults;
    for (const KeySpec& spec : kKeys) {
        KeyInfo info;
        info.name = spec.name;
        info.type = expected_text(spec);
        info.help = spec.help;
        if (spec.field == nullptr) {
            info.default_value = "(none)";
        } else if (spec.kind == Kind::kRedirectPort) {
            info.default_value = "gui_port - 1";
        } else {
            info.default_value = value_json(spec, spec.field(defaults), defaults, false).dump();
        }
        keys.push_back(std::move(info));
    }
    return keys;
}

std::string schema_markdown() {
    auto cell = [](std::string s) {
        std::string out;
        for (char ch : s) {
            if (ch == '|') {
                out += "\\|";
            } else {
                out += ch;
            }
        }
        return out;
    };
    std::string md = "| Key | Expected | Default | Meaning |\n|---|---|---|---|\n";
    for (const KeyInfo& k : config_keys()) {
        md += fmt::format("| `{}` | {} | `{}` | {} |\n", k.name, cell(k.type),
                          cell(k.default_value), cell(k.help));
    }
    return md;
}

}  // namespace sentinel::config
