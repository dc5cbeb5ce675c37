#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <string>

#ifndef SENTINEL_NO_CAPTURE
#include "agent/offline.h"
#endif
#include "config/config.h"
#include "schema/alert.h"

#ifdef SENTINEL_NO_CAPTURE
namespace sentinel::agent {
enum class OutputFormat { kJsonl, kNone };
}
#endif

int main(int argc, char** argv) {
    using sentinel::agent::OutputFormat;

    CLI::App app{"NetSentinel agent: captures packets, runs the detectors and ships alerts"};
    std::string config_path = "sentinel_config.json";
    std::string read_path;
    OutputFormat output = OutputFormat::kJsonl;
    std::vector<std::string> only;
    bool no_progress = false;
    app.add_option("--config", config_path,
                   "Config file (sentinel_config.json); detector keys are read from it")
        ->capture_default_str();
    app.add_option("--read", read_path,
                   "Analyse a pcap or pcapng file offline instead of capturing: no server, no "
                   "reputation lookups; alerts go to stdout, a summary to stderr")
        ->check(CLI::ExistingFile);
    app.add_option("--output", output,
                   "With --read: 'jsonl' prints each alert as one JSON line (the wire format), "
                   "'none' prints no alerts (for benchmarks)")
        ->transform(CLI::CheckedTransformer(
            std::map<std::string, OutputFormat>{{"jsonl", OutputFormat::kJsonl},
                                                {"none", OutputFormat::kNone}},
            CLI::ignore_case))
        ->default_str("jsonl");
    app.add_option("--detectors", only,
                   "Run only these detectors (port_scan syn_flood icmp_flood suspicious_port "
                   "arp_spoof dns_tunnel exfiltration brute_force); all by default");
    app.add_flag("--no-progress", no_progress,
                 "Never draw the progress bar (it is drawn only when stderr is a terminal)");
    CLI11_PARSE(app, argc, argv);

#ifdef SENTINEL_NO_CAPTURE
    read_path.clear();
#endif
    if (read_path.empty()) {
        std::fprintf(stderr, "live capture is not available in this build yet; use --read FILE\n");
        return 2;
    }

    sentinel::config::LoadWarnings warnings;
    auto config = sentinel::config::load_config(config_path, &warnings);
    if (!config) {
        std::fprintf(stderr, "%s\n", config.error().c_str());
        return 2;
    }
    for (const auto& w : warnings.messages) {
        std::fprintf(stderr, "config: %s\n", w.c_str());
    }

#ifndef SENTINEL_NO_CAPTURE
    sentinel::agent::OfflineOptions options;
    options.path = read_path;
    options.output = output;
    options.detectors = config->detectors;
    options.only = only;
    options.progress = !no_progress && ::isatty(STDERR_FILENO) == 1;
    options.agent_id = sentinel::schema::make_alert_id().substr(0, 16);
    options.hostname = sentinel::agent::local_hostname();
    options.os = sentinel::agent::local_os();

    auto summary = sentinel::agent::run_offline(options, stdout, stderr);
    if (!summary) {
        std::fprintf(stderr, "%s\n", summary.error().c_str());
        return 1;
    }
    const std::string text = sentinel::agent::format_summary(*summary);
    std::fwrite(text.data(), 1, text.size(), stderr);
#endif
    return 0;
}
