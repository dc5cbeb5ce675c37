#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/config.h"
#include "decode/anomaly.h"
#include "detect/detector.h"
#include "detect/engine.h"

namespace sentinel::agent {

enum class OutputFormat { kJsonl, kNone };

struct OfflineOptions {
    std::string path;  // pcap or pcapng file
    OutputFormat output = OutputFormat::kJsonl;
    config::DetectorConfig detectors;
    std::vector<std::string> only;  // run only these detectors (all when empty)
    bool progress = false;          // draw a progress bar on `diagnostics`
    // Identity written into each alert (the offline mode has no server to register with).
    std::string agent_id;
    std::string hostname;
    std::string os;
    // When the process started (main's first line), for the start-up figure.
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

struct OfflineSummary {
    uint64_t packets = 0;
    uint64_t bytes = 0;  // wire bytes
    uint64_t decoded = 0;
    double seconds = 0;  // wall time of the run
    uint64_t alerts = 0;
    std::vector<detect::CategoryStats> categories;
    decode::AnomalyCounters anomalies;
    detect::CounterList counters;  // engine and detector counters
    uint64_t evictions = 0;
    uint64_t state_bytes = 0;          // detector tables allocated at the end of the run
    uint64_t cap_bytes = 0;            // the same tables at their caps (the claimed budget)
    uint64_t peak_resident_bytes = 0;  // of the whole process, at the end of the run
    double startup_seconds = 0;        // from options.started to the first packet's detection
};

// Reads a capture file through decode and every detector with no server and no reputation
// lookups: each alert is written to `alerts` as one JSON line (the wire format), progress to
// `diagnostics`. Returns the run's summary.
Result<OfflineSummary> run_offline(const OfflineOptions& options, std::FILE* alerts,
                                   std::FILE* diagnostics);

// The summary as printed on stderr: packets, bytes, rate, start-up, alerts by category,
// anomalies, evictions, memory.
std::string format_summary(const OfflineSummary& summary);

// "<host name>" and "Linux <release>" of this machine.
std::string local_hostname();
std::string local_os();

}  // namespace sentinel::agent
