#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "agent/offline.h"
#include "common/status.h"
#include "config/config.h"
#include "transport/suppression.h"
#include "virustotal/service.h"

namespace sentinel::agent {

// The agent's reputation service from its config: feeds, and VirusTotal with the configured CA
// file (resolved beside the config) when a key is set. Live capture and --read use the same.
Result<std::unique_ptr<virustotal::ReputationService>> make_agent_reputation(
    const config::Config& config, const std::string& state_dir);

// Makes reputation apply from the first packet, the same way for live capture, a replay to the
// server and an offline run: the feeds and the unexpired answers of the persistent VirusTotal
// cache are loaded into the packet side before capture. For a capture file (`file_pass`
// non-null) with VirusTotal lookups on, a first pass over the file collects the endpoints the
// detectors will judge and resolves them (cache, then the API within the rate limit, the daily
// quota and `wait_seconds`) before the detection pass, so that a file gives the alerts live
// capture gives with the same answers. Progress goes to `diagnostics`. Returns one line saying
// what reputation the run uses, for the summary and the console.
Result<std::string> prepare_reputation(virustotal::ReputationService& service,
                                       const OfflineOptions* file_pass, double wait_seconds,
                                       std::FILE* diagnostics);

// Everything an offline run (`--read --output jsonl|none`) takes from the agent's state, as live
// capture would: reputation (unless `with_reputation` is false) and the suppression rules the
// server last gave this agent (unless `with_suppression` is false). The agent's identity from
// the state directory, when it has one, so that rules naming this agent match.
struct OfflineKnowledge {
    std::unique_ptr<virustotal::ReputationService> reputation;
    std::unique_ptr<transport::SuppressionFilter> suppression;
    std::string reputation_text;
    std::string agent_id;  // empty: the state directory holds no identity
};
Result<OfflineKnowledge> load_offline_knowledge(const config::Config& config,
                                                const std::string& state_dir,
                                                const OfflineOptions& options, bool with_reputation,
                                                bool with_suppression, double wait_seconds,
                                                std::FILE* diagnostics);

// The context run_offline takes from `knowledge` (which must outlive it).
OfflineContext offline_context(OfflineKnowledge& knowledge);

}  // namespace sentinel::agent
