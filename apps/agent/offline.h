#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/config.h"
#include "decode/anomaly.h"
#include "detect/detector.h"
#include "detect/engine.h"
#include "intel/local_reputation.h"
#include "intel/reputation.h"
#include "schema/alert.h"

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

// What an offline run takes from the agent's local knowledge, as live capture does: reputation
// and the suppression rules the server gave it. Both optional; the caller owns them.
struct OfflineContext {
    intel::ReputationView* reputation = nullptr;  // null: every endpoint CLEAN
    // The id of the rule that drops `alert`, or nullopt to keep it.
    std::function<std::optional<int64_t>(const schema::Alert& alert)> suppress;
    std::string reputation_text;  // the summary's "reputation" line ("off" when empty)
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
    uint64_t suppressed = 0;           // alerts dropped by the suppression rules
    std::string reputation;            // what reputation the run used
};

// Reads a capture file through decode and every detector with no server, judging endpoints by
// `context.reputation` (which must already know every answer it will give: nothing is looked up
// during the run): each alert the suppression rules keep is written to `alerts` as one JSON line
// (the wire format), progress to `diagnostics`. Returns the run's summary.
Result<OfflineSummary> run_offline(const OfflineOptions& options, std::FILE* alerts,
                                   std::FILE* diagnostics, const OfflineContext& context = {});

// The first pass of an offline run with online lookups: reads the file through the same
// detectors with no output and returns the lookups they and the engine's warming ask for
// (external addresses and registered domains, each once, detector priority kept), so that they
// can be resolved before the detection pass judges anything.
Result<std::vector<intel::LookupRequest>> collect_lookups(const OfflineOptions& options);

// The summary as printed on stderr: packets, bytes, rate, start-up, alerts by category,
// anomalies, evictions, memory.
std::string format_summary(const OfflineSummary& summary);

// "<host name>" and "Linux <release>" of this machine.
std::string local_hostname();
std::string local_os();

}  // namespace sentinel::agent
