#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "capture/pcap_source.h"
#include "config/config.h"
#include "transport/console.h"

namespace sentinel::agent {

// Figures run_live publishes for others (the Windows tray's "Show Status").
struct LiveProgress {
    std::atomic<uint64_t> packets{0};
    std::atomic<uint64_t> alerts_sent{0};  // delivered to the server
};

// The Windows tray's "Show Status" text, the original's: "Packets:<n>  Alerts sent:<n>
// Server:<url>".
std::string format_status(const LiveProgress& progress, const std::string& server);

// The tray's "Open Dashboard" target: https://<server host>:<gui_port>, the dashboard (the original
// opened the agent port, where no page is served).
std::string dashboard_url(const config::Config& config);

// Everything the agent needs to capture (or replay a file) and ship alerts to the server.
struct LiveOptions {
    config::Config config;
    std::string read_file;         // replay this capture instead of an interface (then exit)
    capture::LiveOptions capture;  // interface, BPF, snap length, buffer, promiscuous mode
    std::string server;            // --server URL; empty: https://<server_host>:<agent_port>
    std::string state_dir;         // identity, spool and reputation cache
    bool insecure = false;         // allow an unverified TLS connection (explicit flag only)
    bool quiet = false;
    transport::LogFormat log_format = transport::LogFormat::kText;
    std::vector<std::string> only;     // detectors to run; all when empty
    size_t batch_frames = 256;         // most frames per capture read (pump.run_batch)
    double stats_interval = 30;        // seconds between console stats lines
    double drain_seconds = 30;         // after a replay, how long to wait for delivery
    double lookup_wait = 120;          // a replay's first pass: seconds for VirusTotal lookups
    LiveProgress* progress = nullptr;  // updated about once a second when set
    // When the process started (main's first line): the heartbeat reports the time from here to
    // the capture being ready.
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

// Runs capture → decode → detect → reputation → delivery until a stop signal (or the end of a
// replayed file) and returns the process exit code: 0 after a clean stop, 1 when capture failed,
// 2 for a setup problem (config, CA, state directory) that the message names.
int run_live(const LiveOptions& options);

}  // namespace sentinel::agent
