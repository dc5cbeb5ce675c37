#include "agent/live.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "agent/reputation_setup.h"
#include "capture/pump.h"
#include "common/log.h"
#include "decode/decoder.h"
#include "detect/engine.h"
#include "platform/platform.h"
#include "transport/identity.h"
#include "transport/server_url.h"
#include "transport/shipper.h"
#include "virustotal/service.h"

#ifndef SENTINEL_VERSION
#define SENTINEL_VERSION "0.0.0"
#endif

namespace sentinel::agent {
namespace {

// Figures the packet thread publishes for the heartbeat and the stats line (sender thread).
struct SharedCounters {
    std::atomic<uint64_t> packets{0};
    std::atomic<uint64_t> bytes{0};
    std::atomic<uint64_t> capture_drops{0};
    std::atomic<uint64_t> alerts{0};
    // Detector tables, refreshed about once a second (walking the tables is not per packet).
    std::atomic<uint64_t> state_bytes{0};
    std::atomic<uint64_t> state_cap_bytes{0};
    std::atomic<int64_t> startup_us{-1};  // main() to the capture loop; -1 until it runs
};

// Counts each alert and hands it to the shipper; printing it (and the Event Log) happens on the
// shipper's writer thread once suppression rules let it through (see announce_alert). Runs only
// when an alert fires, so the allocation in submit() is not per packet.
class ShippingSink final : public detect::AlertSink {
  public:
    ShippingSink(transport::Shipper& shipper, SharedCounters& counters)
        : shipper_(shipper), counters_(counters) {}

    void emit(schema::Alert&& alert) override {
        counters_.alerts.fetch_add(1, std::memory_order_relaxed);
        shipper_.submit(std::move(alert));
    }

  private:
    transport::Shipper& shipper_;
    SharedCounters& counters_;
};

// Prints an alert the original's way; the Windows agent also writes CRITICAL and HIGH alerts to
// the Application log.
void announce_alert(transport::Console& console, const schema::Alert& alert) {
    console.alert(alert);
    if (platform::has_windows_services() && alert.level >= schema::Severity::kHigh) {
        platform::write_event_log("NetSentinelAgent", platform::EventType::kError,
                                  fmt::format("[{}] {}: {}", schema::to_string(alert.level),
                                              alert.category, alert.message));
    }
}

std::string vt_status(const config::Config& config, const virustotal::ReputationStats& stats) {
    if (!stats.lookups_enabled) {
        return config.intel_feeds.empty() ? "DISABLED (no API key)"
                                          : "DISABLED (no API key); offline feeds active";
    }
    return fmt::format("ACTIVE (key from {}, {} lookups/min, {} left today)",
                       config.virustotal_api_key_source, config.vt_requests_per_minute,
                       stats.quota_left);
}

}  // namespace

std::string format_status(const LiveProgress& progress, const std::string& server) {
    return fmt::format("Packets:{}  Alerts sent:{}  Server:{}", progress.packets.load(),
                       progress.alerts_sent.load(), server);
}

std::string dashboard_url(const config::Config& config) {
    return fmt::format("https://{}:{}", config::agent_connect_host(config), config.gui_port);
}

int run_live(const LiveOptions& options) {
    const config::Config& config = options.config;
    transport::configure_logging(options.log_format, options.quiet);
    transport::Console console({.quiet = options.quiet, .format = options.log_format});

    if (Status s = platform::install_stop_handlers(); !s.is_ok()) {
        std::fprintf(stderr, "%s\n", s.message().c_str());
        return 2;
    }
    const auto url =
        transport::resolve_server_url(options.server, config.server_host, config.agent_port);
    if (!url.warning.empty()) {
        SENTINEL_LOG(warn, "agent", "{}", url.warning);
    }
    auto identity = transport::load_or_create_identity(options.state_dir, SENTINEL_VERSION);
    if (!identity) {
        std::fprintf(stderr, "%s\n", identity.error().c_str());
        return 2;
    }

    auto reputation = make_agent_reputation(config, options.state_dir);
    if (!reputation) {
        std::fprintf(stderr, "%s\n", reputation.error().c_str());
        return 2;
    }
    virustotal::ReputationService& intel = **reputation;
    // Feeds and cached answers apply from the first packet; a replayed file's endpoints are
    // resolved before it is judged, so a replay gives the alerts an offline run gives.
    OfflineOptions file_pass;
    file_pass.path = options.read_file;
    file_pass.detectors = config.detectors;
    file_pass.only = options.only;
    auto reputation_text = prepare_reputation(
        intel, options.read_file.empty() ? nullptr : &file_pass, options.lookup_wait, stderr);
    if (!reputation_text) {
        std::fprintf(stderr, "%s\n", reputation_text.error().c_str());
        return 2;
    }

    SharedCounters counters;
    transport::ShipperOptions ship;
    ship.server_url = url.url;
    ship.api_key = config.api_key;
    ship.ca_cert = config::resolve_path(config, config.ca_cert);
    ship.insecure = options.insecure;
    ship.state_dir = options.state_dir;
    ship.identity = *identity;
    ship.spool_max_bytes = config.spool_max_bytes;
    ship.heartbeat_interval = config.heartbeat_interval;
    // The server counts each alert of a batch against the per-agent rate limit, so a batch
    // larger than the limit could never be accepted.
    ship.batch_max = std::max<size_t>(1, config.agent_rate_limit);
    ship.stats = [&counters, &intel] {
        transport::AgentStats s;
        s.packets = counters.packets.load(std::memory_order_relaxed);
        s.bytes = counters.bytes.load(std::memory_order_relaxed);
        s.capture_drops = counters.capture_drops.load(std::memory_order_relaxed);
        s.alerts = counters.alerts.load(std::memory_order_relaxed);
        const auto vt = intel.stats();
        s.vt_requests = vt.requests;
        s.vt_quota_left = vt.lookups_enabled ? static_cast<int64_t>(vt.quota_left) : -1;
        s.resident_bytes = platform::resident_bytes();
        s.peak_resident_bytes = platform::peak_resident_bytes();
        s.state_bytes = counters.state_bytes.load(std::memory_order_relaxed);
        s.state_cap_bytes = counters.state_cap_bytes.load(std::memory_order_relaxed);
        s.startup_us = counters.startup_us.load(std::memory_order_relaxed);
        return s;
    };
    ship.on_kept = [&console](const schema::Alert& alert) { announce_alert(console, alert); };
    auto shipper = transport::Shipper::create(std::move(ship));
    if (!shipper) {
        std::fprintf(stderr, "%s\n", shipper.error().c_str());
        return 2;
    }

    capture::SourceOptions source_options;
    source_options.read_file = options.read_file;
    source_options.live = options.capture;
    auto source = capture::open_source(source_options);
    if (!source) {
        std::fprintf(stderr, "%s\n", source.error().c_str());
        return 1;
    }
    if (!decode::is_supported_link_type((*source)->datalink())) {
        SENTINEL_LOG(warn, "capture", "link type {} is not decoded; only counting frames",
                     decode::link_type_name((*source)->datalink()));
    }

    ShippingSink sink(**shipper, counters);
    detect::Engine engine(intel, sink);
    if (Status s = engine.configure(config.detectors, detect::builtin_registry(), options.only);
        !s.is_ok()) {
        std::fprintf(stderr, "%s\n", s.message().c_str());
        return 2;
    }
    if (Status s = intel.start(); !s.is_ok()) {
        std::fprintf(stderr, "%s\n", s.message().c_str());
        return 2;
    }
    if (Status s = (*shipper)->start(); !s.is_ok()) {
        std::fprintf(stderr, "%s\n", s.message().c_str());
        return 2;
    }

    console.event(schema::Severity::kInfo, "AGENT",
                  fmt::format("{} {} ({}) v{}", identity->agent_id, identity->hostname,
                              identity->os, SENTINEL_VERSION));
    console.event(schema::Severity::kInfo, "AGENT",
                  fmt::format("AlertShipper -> {} (CA {})", url.url,
                              options.insecure ? "NOT VERIFIED: --insecure"
                                               : config::resolve_path(config, config.ca_cert)));
    console.event(schema::Severity::kInfo, "AGENT",
                  "VirusTotal " + vt_status(config, intel.stats()));
    console.event(schema::Severity::kInfo, "AGENT", "reputation: " + *reputation_text);
    if (options.read_file.empty()) {
        // What the kernel granted (Linux), e.g. "TPACKET_V3" unless immediate mode asked for
        // one slot per frame.
        const capture::LiveOptions& c = options.capture;
        const auto* live = dynamic_cast<const capture::PcapLiveSource*>(source->get());
        std::string ring = live != nullptr ? live->ring_kind() : std::string();
        if (ring.empty()) {
            ring = c.immediate ? "immediate" : "buffered";
        }
        console.event(schema::Severity::kInfo, "AGENT",
                      fmt::format("sniffing on {} ({}, buffer {} MiB, timeout {} ms, batch {})",
                                  (*source)->name(), ring, c.buffer_bytes >> 20, c.timeout_ms,
                                  options.batch_frames));
    } else {
        console.event(schema::Severity::kInfo, "AGENT", "replaying " + (*source)->name());
    }

    capture::PacketSource& src = **source;
    capture::PacketPump pump(src);
    // A quiet interface can keep the capture read blocked; a stop signal must still end it.
    std::atomic<bool> capture_done{false};
    std::thread stop_watcher([&] {
        while (!capture_done.load()) {
            if (platform::wait_for_stop(0.2)) {
                src.stop();
                return;
            }
        }
    });
    using Clock = std::chrono::steady_clock;
    auto next_stats = Clock::now() + std::chrono::duration<double>(options.stats_interval);
    auto next_capture_stats = Clock::now();
    counters.state_bytes.store(engine.state_bytes(), std::memory_order_relaxed);
    counters.state_cap_bytes.store(engine.cap_bytes(), std::memory_order_relaxed);
    counters.startup_us.store(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - options.started)
            .count(),
        std::memory_order_relaxed);
    int exit_code = 0;
    while (!src.finished() && !platform::stop_requested()) {
        Result<size_t> n = pump.run_batch(options.batch_frames,
                                          [&](const decode::Packet& p) { engine.on_packet(p); });
        if (!n) {
            SENTINEL_LOG(error, "capture", "{}", n.error());
            exit_code = 1;
            break;
        }
        engine.between_batches();
        counters.packets.store(pump.stats().frames, std::memory_order_relaxed);
        counters.bytes.store(pump.stats().bytes, std::memory_order_relaxed);
        const auto now = Clock::now();
        if (now >= next_capture_stats) {
            // pcap_stats is a system call: once a second is plenty for drop reporting.
            const auto cs = src.stats();
            counters.capture_drops.store(cs.dropped + cs.interface_dropped,
                                         std::memory_order_relaxed);
            counters.state_bytes.store(engine.state_bytes(), std::memory_order_relaxed);
            counters.state_cap_bytes.store(engine.cap_bytes(), std::memory_order_relaxed);
            next_capture_stats = now + std::chrono::seconds(1);
            if (options.progress != nullptr) {
                options.progress->packets.store(pump.stats().frames, std::memory_order_relaxed);
                options.progress->alerts_sent.store((*shipper)->counters().delivered,
                                                    std::memory_order_relaxed);
            }
        }
        if (now >= next_stats) {
            next_stats = now + std::chrono::duration<double>(options.stats_interval);
            const auto sc = (*shipper)->counters();
            transport::ConsoleStats cs;
            cs.agent_id = identity->agent_id;
            cs.packets = counters.packets.load();
            cs.capture_drops = counters.capture_drops.load();
            cs.delivered = sc.delivered;
            cs.rejected = sc.rejected;
            cs.dropped = sc.dropped;
            cs.spool_depth = sc.spool_depth;
            cs.suppressed = sc.suppressed;
            cs.suppressed_by_rule = sc.suppressed_by_rule;
            for (const auto& c : engine.category_stats()) {
                if (c.emitted > 0) {
                    cs.by_category[std::string(c.category)] = c.emitted;
                }
            }
            console.stats(cs);
        }
    }

    capture_done.store(true);
    stop_watcher.join();
    src.stop();
    const auto capture_stats = src.stats();
    src.close();
    intel.stop();
    // A replay ends by itself: give delivery time to drain. A signal means the operator wants
    // out soon; what is not sent stays spooled for the next start.
    const bool replay_done = !options.read_file.empty() && !platform::stop_requested();
    (*shipper)->stop(replay_done ? options.drain_seconds : 5);
    const auto sc = (*shipper)->counters();
    console.event(
        schema::Severity::kInfo, "AGENT",
        fmt::format("stopped: {} packets, {} alerts, {} suppressed, {} delivered, {} still "
                    "spooled, {} dropped, {} capture drops",
                    pump.stats().frames, counters.alerts.load(), sc.suppressed, sc.delivered,
                    sc.spool_depth, sc.dropped,
                    capture_stats.dropped + capture_stats.interface_dropped));
    return exit_code;
}

}  // namespace sentinel::agent
