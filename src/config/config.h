#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace sentinel::config {

// Detector settings: the original's keys and defaults (docs/config.md), plus the caps that
// keep per-address state bounded. Windows and the cooldown are in seconds of packet time.
struct DetectorConfig {
    double port_scan_window = 10;
    uint32_t port_scan_threshold = 15;
    double syn_flood_window = 5;
    uint32_t syn_flood_threshold = 200;
    double icmp_flood_window = 5;
    uint32_t icmp_flood_threshold = 100;
    uint32_t dns_tunnel_query_len = 50;
    double exfil_window = 60;
    uint64_t exfil_bytes_threshold = 5'000'000;
    double bruteforce_window = 30;
    uint32_t bruteforce_threshold = 30;
    double alert_cooldown = 15;

    // The original's list without NetSentinel's own ports (8443, 8444), common web alternates
    // (8080, 8888) and values inside ephemeral port ranges (54321, 65535).
    std::vector<uint16_t> suspicious_ports = {1080, 2323, 4444, 5555, 6666,  6667,
                                              6668, 6669, 9001, 9030, 12345, 31337};
    std::vector<uint16_t> bruteforce_ports = {21,  22,   23,   25,   110,  143, 389,
                                              445, 1433, 3306, 3389, 5432, 5900};

    // Rule set per detector: "original" (the seed's evidence, with main's fixes) or "improved"
    // (docs/detection-quality.md). Detectors without an improved rule accept only "original".
    std::string port_scan_rules = "improved";
    std::string syn_flood_rules = "improved";
    std::string bruteforce_rules = "improved";
    std::string arp_spoof_rules = "improved";
    std::string dns_tunnel_rules = "improved";
    std::string exfil_rules = "improved";
    // Improved brute force: this many short sessions from one source to one service...
    uint32_t bruteforce_short_sessions = 10;
    // ...within this many seconds, where a session is short when it ends within
    // bruteforce_session_seconds of its SYN.
    double bruteforce_session_window = 300;
    double bruteforce_session_seconds = 60;
    // Improved DNS tunnelling: estimated information (bits) sent in new query names below one
    // registered domain within dns_tunnel_window that alerts...
    uint32_t dns_tunnel_info_bits = 1000;
    double dns_tunnel_window = 3600;
    // ...where each new name contributes its bits beyond this allowance (an ordinary host name)...
    uint32_t dns_tunnel_name_allowance_bits = 80;
    // ...and one name carrying this many bits alerts on its own (TXT/NULL-type names count twice).
    uint32_t dns_tunnel_name_bits = 300;
    // Cap on the per-registered-domain table.
    uint32_t dns_tunnel_max_domains = 4096;
    // Improved exfiltration: after exfil_warmup_windows active windows, a host alerts when its
    // outbound bytes in exfil_window reach max(exfil_min_bytes, exfil_baseline_factor x its usual
    // bytes per window); before that, exfil_bytes_threshold applies.
    double exfil_baseline_factor = 4;
    uint64_t exfil_min_bytes = 2'000'000;
    uint32_t exfil_warmup_windows = 5;

    // Cap on every per-address table (least recently used entries are evicted and counted).
    uint32_t max_tracked_hosts = 65'536;
    // Cap on the ARP IP→MAC table.
    uint32_t arp_table_size = 10'000;
};

// One offline blocklist: a local file mapped to a reputation tier (CRITICAL, HIGH, MEDIUM, LOW).
struct IntelFeed {
    std::string path;
    std::string tier;
};

struct StorageConfig {
    std::string backend = "sqlite";  // "sqlite" or "postgres"
    std::string dsn;                 // PostgreSQL connection string (secret: masked when printed)
};

// Server-side alert outputs (src/outputs): each is off while its destination is empty.
struct OutputsConfig {
    std::string eve_log_path;                // EVE JSON lines file
    std::string syslog_host;                 // RFC 5424 receiver
    uint16_t syslog_port = 0;                // 0: 514 for "tcp", 6514 for "tls"
    std::string syslog_transport = "tcp";    // "tcp" or "tls"
    std::string syslog_ca_file;              // verifies a "tls" receiver (required for "tls")
    std::string syslog_facility = "local0";  // kern..local7 by name
    std::string syslog_app_name = "netsentinel";
    std::string webhook_url;      // https:// only
    std::string webhook_ca_file;  // empty: the system trust store
    std::string webhook_secret;   // secret; NETSENTINEL_WEBHOOK_SECRET in the environment wins
    std::string webhook_secret_source;   // "environment", "config" or "" (no signature)
    uint32_t webhook_max_retries = 5;    // attempts for a batch the receiver refuses (4xx)
    uint32_t output_queue_max = 10'000;  // alerts buffered per output; the oldest go first
};

// Everything in sentinel_config.json, typed, with the defaults that apply when a key is absent.
// One loader serves the server, the agent and sentinel-certs.
struct Config {
    std::string source_path;  // the file it was loaded from ("" for built-in defaults)
    // Absolute directory that relative paths in the file are resolved against: the config file's
    // own directory (the current directory for built-in defaults). See resolve_path().
    std::string base_dir;

    // Shared.
    std::string api_key;  // secret
    std::string server_host = "0.0.0.0";
    uint16_t gui_port = 8443;  // "server_port" (written by the original gen_certs) is an alias
    uint16_t agent_port = 8444;
    int redirect_port = -1;  // -1: gui_port - 1; 0 disables the plain-HTTP redirect
    std::string ca_cert = "certs/ca.crt";
    std::string server_cert = "certs/server.crt";
    std::string server_key = "certs/server.key";

    // Server.
    std::string data_dir = "data";
    StorageConfig storage;
    uint32_t agent_rate_limit = 50;  // alerts per agent per window
    double agent_rate_window = 5;    // seconds
    uint32_t max_agents = 500;
    uint64_t max_body_bytes = 1 << 20;  // larger requests get 413
    // Concurrent connections, all listeners together (also kept below the descriptor limit); at
    // the cap the oldest idle connection is closed to make room.
    uint32_t max_connections = 10'000;
    uint32_t max_connections_per_ip = 256;  // more from one peer address are refused
    uint32_t retention_days = 0;            // 0: keep forever
    uint64_t retention_max_alerts = 0;      // 0: no count limit
    double agent_offline_after = 90;        // seconds without contact

    // Agent.
    std::string virustotal_api_key;         // secret; VIRUSTOTAL_API_KEY in the environment wins
    std::string virustotal_api_key_source;  // "environment", "config" or "" (no key)
    std::string virustotal_base_url = "https://www.virustotal.com/api/v3";
    std::string virustotal_ca_file;  // empty: the system trust store
    uint32_t vt_requests_per_minute = 4;
    uint32_t vt_daily_quota = 500;
    uint32_t vt_cache_clean_ttl = 3600;
    uint32_t vt_cache_malicious_ttl = 300;
    std::vector<IntelFeed> intel_feeds;
    uint64_t spool_max_bytes = 64ull << 20;
    double heartbeat_interval = 30;
    std::string state_dir = "/var/lib/netsentinel";

    DetectorConfig detectors;
    OutputsConfig outputs;

    // The redirect port after applying the "gui_port - 1" default.
    uint16_t effective_redirect_port() const {
        return redirect_port < 0 ? static_cast<uint16_t>(gui_port - 1)
                                 : static_cast<uint16_t>(redirect_port);
    }
};

// Messages about keys that were accepted but deserve attention (unknown keys, aliases).
struct LoadWarnings {
    std::vector<std::string> messages;
};

// Reads and validates a config file. A wrong type or value is an error naming the file, the key
// and what was expected. The VirusTotal key from the environment overrides the file's.
Result<Config> load_config(const std::string& path, LoadWarnings* warnings = nullptr);

// Parses config text (path is only used in messages).
Result<Config> parse_config(const std::string& text, const std::string& path,
                            LoadWarnings* warnings = nullptr);

// The effective configuration as pretty JSON, with every secret masked and paths resolved.
std::string describe(const Config& config);

// The host an agent connects to: server_host, except that "0.0.0.0", "::" and "" (bind-all
// values written for the server) mean the local machine, 127.0.0.1.
std::string agent_connect_host(const Config& config);

// Ok when api_key holds at least 16 characters. The server and agents call it at start-up so that
// an empty or trivial key never disables authentication; the message says how to fix it.
Status check_api_key(const Config& config);

// An absolute path for a path taken from the config: absolute paths are kept, relative ones are
// joined to config.base_dir (the config file's directory). Backslashes count as separators so
// that configs written on Windows work everywhere.
std::string resolve_path(const Config& config, const std::string& path);

// "****" plus the length for a non-empty secret ("" stays ""); never any part of the value.
std::string mask_secret(const std::string& secret);

// A URL reduced to scheme://host[:port], plus "/****" when it had a path, query or fragment
// (user info dropped): webhook URLs often carry their credential there.
std::string mask_url(const std::string& url);

// A PostgreSQL connection string with its password (URI user info, password= keyword or query
// parameter) replaced by "****".
std::string mask_dsn(const std::string& dsn);

// One documented key of sentinel_config.json (the loader validates against the same table).
struct KeyInfo {
    std::string name;
    std::string type;           // what the loader expects, as said in error messages
    std::string default_value;  // JSON text ("" for secrets without a default)
    std::string help;
};

// Every key the loader accepts, in documentation order.
std::vector<KeyInfo> config_keys();

// A Markdown table of config_keys(); docs/config.md embeds it verbatim.
std::string schema_markdown();

}  // namespace sentinel::config
