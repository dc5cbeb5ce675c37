#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "agent/live.h"
#include "agent/offline.h"
#include "agent/reputation_setup.h"
#include "capture/live_support.h"
#include "capture/pcap_source.h"
#include "config/config.h"
#include "platform/platform.h"
#include "schema/alert.h"
#include "transport/console.h"
#include "transport/server_url.h"

namespace {

enum class Output { kServer, kJsonl, kNone };

int list_interfaces() {
    auto list = sentinel::capture::list_interfaces();
    if (!list) {
        std::fprintf(stderr, "%s\n", list.error().c_str());
        return 1;
    }
    const auto chosen = sentinel::capture::choose_interface();
    for (const auto& i : *list) {
        std::string addresses;
        for (const auto& a : i.addresses) {
            addresses += (addresses.empty() ? "" : ", ") + a;
        }
        std::printf("%s %-16s %s%s%s\n", chosen && *chosen == i.name ? "*" : " ", i.name.c_str(),
                    i.up ? "up" : "down", i.loopback ? " loopback" : "",
                    addresses.empty() ? "" : ("  " + addresses).c_str());
    }
    return 0;
}

}  // namespace

// The Windows service (docs/windows.md).
sentinel::platform::ServiceSpec service_spec() {
    return {.name = "NetSentinelAgent",
            .display_name = "NetSentinel Network Monitor Agent",
            .description = "Monitors network traffic and reports threats to NetSentinel server.",
            .arguments = "--service"};
}

struct TrayContext {
    sentinel::agent::LiveProgress progress;
    std::string server;
};

// "Show Status" (docs/windows.md).
std::string tray_status(void* context) {
    const auto* tray = static_cast<const TrayContext*>(context);
    return sentinel::agent::format_status(tray->progress, tray->server);
}

struct ServiceContext {
    sentinel::agent::LiveOptions* live = nullptr;
    std::string log;  // where the service's messages go
    bool log_open = false;
};

// The service's log is capped (one older copy kept), so months of alerts do not fill the disk.
constexpr uint64_t kServiceLogMaxBytes = 16ull << 20;

int run_service_body(void* context) {
    const auto* service = static_cast<const ServiceContext*>(context);
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    std::thread log_keeper([&] {
        std::unique_lock lock(mu);
        if (!service->log_open) {
            return;
        }
        do {
            if (auto capped =
                    sentinel::platform::cap_redirected_output(service->log, kServiceLogMaxBytes);
                !capped) {
                sentinel::platform::write_event_log(
                    service_spec().name, sentinel::platform::EventType::kWarning, capped.error());
                return;
            }
        } while (!cv.wait_for(lock, std::chrono::seconds(30), [&] { return done; }));
    });
    const int code = sentinel::agent::run_live(*service->live);
    {
        std::lock_guard lock(mu);
        done = true;
    }
    cv.notify_all();
    log_keeper.join();
    if (code != 0) {
        // The service control manager only keeps the number; say where the reason is.
        sentinel::platform::write_event_log(
            service_spec().name, sentinel::platform::EventType::kError,
            fmt::format("The service stopped with exit code {}; the reason is in {}", code,
                        service->log));
    }
    return code;
}

// A service has no working directory of its own: its config sits next to the program, or in
// %ProgramData%\NetSentinel.
std::string service_config_path() {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path beside = fs::path(sentinel::platform::executable_dir()) / "sentinel_config.json";
    const std::string data = sentinel::platform::program_data_dir();
    if (fs::exists(beside, ec) || data.empty()) {
        return beside.string();
    }
    return (fs::path(data) / "NetSentinel" / "sentinel_config.json").string();
}

// state_dir from the config, resolved beside it; the Linux default (/var/lib/netsentinel) means
// %ProgramData%\NetSentinel on Windows.
std::string default_state_dir(const sentinel::config::Config& config) {
    if (sentinel::platform::has_windows_services() &&
        config.state_dir == sentinel::config::Config{}.state_dir &&
        !sentinel::platform::program_data_dir().empty()) {
        return sentinel::platform::program_data_dir() + "\\NetSentinel";
    }
    return sentinel::config::resolve_path(config, config.state_dir);
}

int main(int argc, char** argv) {
    const auto started = std::chrono::steady_clock::now();
    sentinel::platform::return_large_blocks_to_os();
    CLI::App app{
        "NetSentinel agent: captures packets, runs the eight detectors, scales them by "
        "reputation and ships alerts to sentinel-server over verified TLS"};
    std::string config_path = "sentinel_config.json";
    std::string read_path;
    std::optional<Output> output;
    std::vector<std::string> only;
    bool no_progress = false;
    bool list = false;
    sentinel::agent::LiveOptions live;
    std::string log_format = "text";
    int buffer_mb = 2;
    bool no_promisc = false;

    auto* config_option =
        app.add_option("--config", config_path,
                       "Config file (sentinel_config.json); with --read and no such file in "
                       "the current directory, the built-in defaults apply")
            ->capture_default_str();
    app.add_option("--server", live.server,
                   "Agent API base URL, e.g. https://10.0.0.5:8444 (default: "
                   "https://<server_host>:<agent_port> from the config)");
    app.add_option("--iface", live.capture.interface,
                   "Capture interface (default: the first that is up, not loopback and has an "
                   "address; see --list-interfaces)");
    app.add_flag("--list-interfaces", list, "List capture interfaces and exit");
    app.add_option("--read", read_path, "Analyse a pcap or pcapng file instead of capturing live")
        ->check(CLI::ExistingFile);
    app.add_option("--output", output,
                   "Where alerts go: 'server' (default live; with --read, ship the file's alerts), "
                   "'jsonl' (one JSON line per alert on stdout, no server; default with --read), "
                   "'none' (count only, for benchmarks)")
        ->transform(CLI::CheckedTransformer(
            std::map<std::string, Output>{
                {"server", Output::kServer}, {"jsonl", Output::kJsonl}, {"none", Output::kNone}},
            CLI::ignore_case));
    app.add_option("--bpf", live.capture.bpf,
                   "Capture filter in libpcap syntax (default: every frame, IPv4 and IPv6)");
    app.add_option("--snaplen", live.capture.snap_length, "Bytes kept per captured frame")
        ->capture_default_str()
        ->check(CLI::Range(64, 262144));
    app.add_option("--buffer-mb", buffer_mb,
                   "Kernel capture ring in MiB; it counts in the agent's resident memory. 2 (as "
                   "tcpdump) keeps up with a busy host; 16 rides out bursts of 200k+ frames/s on "
                   "a mirror port (docs/benchmarks.md, Live capture)")
        ->capture_default_str()
        ->check(CLI::Range(1, 2048));
    app.add_flag("--no-promisc", no_promisc, "Do not put the interface into promiscuous mode");
    app.add_flag("--immediate", live.capture.immediate,
                 "Hand each frame over at once (libpcap's immediate mode: a TPACKET_V2 ring and "
                 "one wake-up per frame instead of TPACKET_V3 blocks); lower latency, more CPU")
        ->group("Capture tuning");
    app.add_option("--capture-timeout-ms", live.capture.timeout_ms,
                   "Longest wait before a partly filled kernel block is handed over")
        ->capture_default_str()
        ->check(CLI::Range(1, 10000))
        ->group("Capture tuning");
    app.add_option("--batch", live.batch_frames,
                   "Most frames read per capture call before the detectors' housekeeping and "
                   "the counters run")
        ->capture_default_str()
        ->check(CLI::Range(1, 65536))
        ->group("Capture tuning");
    app.add_option("--state-dir", live.state_dir,
                   "Agent identity, alert spool and reputation cache (default: state_dir from "
                   "the config, /var/lib/netsentinel)");
    app.add_flag("--insecure", live.insecure,
                 "Send alerts even when the server certificate cannot be verified (never the "
                 "default; for lab use only)");
    app.add_flag("--quiet", live.quiet, "Print only warnings and errors");
    app.add_option("--log-format", log_format, "Console and log format: text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    app.add_option("--detectors", only,
                   "Run only these detectors (port_scan syn_flood icmp_flood suspicious_port "
                   "arp_spoof dns_tunnel exfiltration brute_force); all by default");
    bool no_reputation = false;
    bool no_suppression = false;
    double lookup_wait = 120;
    app.add_flag("--no-reputation", no_reputation,
                 "With --read: judge every endpoint CLEAN (no feeds, no VirusTotal cache or "
                 "lookups) for this run");
    app.add_flag("--no-suppression", no_suppression,
                 "With --read --output jsonl|none: keep the alerts the agent's stored "
                 "suppression rules would drop");
    app.add_option("--lookup-wait", lookup_wait,
                   "With --read and a VirusTotal key: how long the first pass may spend looking "
                   "up the capture's endpoints before judging them (seconds; cached answers "
                   "need no wait)")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 86400.0));
    app.add_flag("--no-progress", no_progress,
                 "With --read --output jsonl: never draw the progress bar (it is drawn only when "
                 "stderr is a terminal)");
    std::string service_command;
    bool service_mode = false;
    bool no_tray = false;
    if (sentinel::platform::has_windows_services()) {
        for (const char* command : {"install", "start", "stop", "remove"}) {
            app.add_flag_callback(
                std::string("--") + command,
                [&service_command, command] { service_command = command; },
                std::string("Windows service NetSentinelAgent: ") + command + " it");
        }
        app.add_flag("--service", service_mode,
                     "Run as the Windows service (used by the service control manager)")
            ->group("");
        app.add_flag("--no-tray", no_tray, "Run without the notification-area icon");
    }
    app.set_version_flag("--version", SENTINEL_VERSION);
    CLI11_PARSE(app, argc, argv);

    if (!service_command.empty()) {
        namespace platform = sentinel::platform;
        auto spec = service_spec();
        if (!live.capture.interface.empty()) {
            spec.arguments += " --iface \"" + live.capture.interface + "\"";
        }
        if (!read_path.empty()) {
            // A service that replays a capture to the server (then stops): for trying the
            // service out without a live interface. It starts in the system folder, so the path
            // must be absolute.
            std::error_code ec;
            spec.arguments += " --output server --read \"" +
                              std::filesystem::absolute(read_path, ec).string() + "\"";
        }
        const sentinel::Status s = service_command == "install" ? platform::install_service(spec)
                                   : service_command == "start" ? platform::start_service(spec.name)
                                   : service_command == "stop"
                                       ? platform::stop_service(spec.name)
                                       : platform::remove_service(spec.name);
        if (!s.is_ok()) {
            std::fprintf(stderr, "%s\n", s.message().c_str());
            return 1;
        }
        std::printf("service %s %s\n", spec.name.c_str(),
                    service_command == "install" ? "installed"
                    : service_command == "start" ? "started"
                    : service_command == "stop"  ? "stopped"
                                                 : "removed");
        return 0;
    }
    ServiceContext service_context;
    if (service_mode) {
        if (config_option->count() == 0) {
            config_path = service_config_path();
        }
        // A service has no console: its messages go to a log file beside the config. When that
        // cannot be opened, the Application log is the only place left to say so.
        const std::string log =
            (std::filesystem::path(config_path).parent_path() / "sentinel-agent-service.log")
                .string();
        service_context.log = log;
        if (const auto s = sentinel::platform::redirect_output(log); !s.is_ok()) {
            sentinel::platform::write_event_log(service_spec().name,
                                                sentinel::platform::EventType::kError,
                                                "The service cannot write its log: " + s.message());
        } else {
            service_context.log_open = true;
        }
    }

    // Windows loads Npcap at run time; without it only --read works.
    if (list || read_path.empty()) {
        if (auto s = sentinel::capture::live_capture_available(); !s.is_ok()) {
            std::fprintf(stderr, "%s\n", s.message().c_str());
            return 1;
        }
    }
    if (list) {
        return list_interfaces();
    }
    const Output out = output.value_or(read_path.empty() ? Output::kServer : Output::kJsonl);
    if (read_path.empty() && out != Output::kServer) {
        std::fprintf(stderr, "--output jsonl and none need --read FILE\n");
        return 2;
    }

    sentinel::config::LoadWarnings warnings;
    std::error_code exists_error;
    const bool defaults_only = out != Output::kServer && config_option->count() == 0 &&
                               !std::filesystem::exists(config_path, exists_error);
    auto config = defaults_only
                      ? sentinel::Result<sentinel::config::Config>(sentinel::config::Config{})
                      : sentinel::config::load_config(config_path, &warnings);
    if (!config) {
        std::fprintf(stderr, "%s\n", config.error().c_str());
        return 2;
    }
    for (const auto& w : warnings.messages) {
        std::fprintf(stderr, "config: %s\n", w.c_str());
    }

    if (live.state_dir.empty()) {
        live.state_dir = default_state_dir(*config);
    }
    if (out != Output::kServer) {
        sentinel::agent::OfflineOptions options;
        options.path = read_path;
        options.started = started;
        options.output = out == Output::kJsonl ? sentinel::agent::OutputFormat::kJsonl
                                               : sentinel::agent::OutputFormat::kNone;
        options.detectors = config->detectors;
        options.only = only;
        options.progress = !no_progress && sentinel::platform::is_terminal(stderr);
        options.agent_id = sentinel::schema::make_alert_id().substr(0, 16);
        options.hostname = sentinel::agent::local_hostname();
        options.os = sentinel::agent::local_os();
        // stdout carries the alerts: log lines go to stderr, and only warnings (an unreadable
        // feed, a damaged rule file); the summary says the rest.
        sentinel::transport::configure_logging(log_format == "json"
                                                   ? sentinel::transport::LogFormat::kJson
                                                   : sentinel::transport::LogFormat::kText,
                                               true);
        auto knowledge = sentinel::agent::load_offline_knowledge(
            *config, live.state_dir, options, !no_reputation, !no_suppression, lookup_wait, stderr);
        if (!knowledge) {
            std::fprintf(stderr, "%s\n", knowledge.error().c_str());
            return 2;
        }
        if (!knowledge->agent_id.empty()) {
            options.agent_id = knowledge->agent_id;
        }
        auto summary = sentinel::agent::run_offline(options, stdout, stderr,
                                                    sentinel::agent::offline_context(*knowledge));
        if (!summary) {
            std::fprintf(stderr, "%s\n", summary.error().c_str());
            return 1;
        }
        const std::string text = sentinel::agent::format_summary(*summary);
        std::fwrite(text.data(), 1, text.size(), stderr);
        return 0;
    }

    if (auto s = sentinel::config::check_api_key(*config); !s.is_ok()) {
        std::fprintf(stderr, "%s\n", s.message().c_str());
        return 2;
    }
    live.config = std::move(config.value());
    live.read_file = read_path;
    live.started = started;
    live.only = only;
    live.capture.buffer_bytes = buffer_mb << 20;
    live.capture.promiscuous = !no_promisc;
    live.lookup_wait = lookup_wait;
    live.log_format = log_format == "json" ? sentinel::transport::LogFormat::kJson
                                           : sentinel::transport::LogFormat::kText;
    if (service_mode) {
        // The log gets what the console would show (as the original service did), so that it
        // says what the agent captures, where it sends alerts and how it stopped.
        service_context.live = &live;
        auto code = sentinel::platform::run_as_service(service_spec().name, run_service_body,
                                                       &service_context);
        if (!code) {
            std::fprintf(stderr, "%s\n", code.error().c_str());
            return 2;
        }
        return *code;
    }
    // Windows: the notification-area icon unless --no-tray (or there is no desktop).
    TrayContext tray;
    bool tray_shown = false;
    if (sentinel::platform::has_windows_services() && !no_tray && !service_mode &&
        read_path.empty()) {
        live.progress = &tray.progress;
        tray.server = sentinel::transport::resolve_server_url(live.server, live.config.server_host,
                                                              live.config.agent_port)
                          .url;
        sentinel::platform::TrayOptions options;
        options.dashboard_url = sentinel::agent::dashboard_url(live.config);
        options.status = tray_status;
        options.context = &tray;
        const sentinel::Status shown = sentinel::platform::start_tray(options);
        tray_shown = shown.is_ok();
        if (!tray_shown) {
            std::fprintf(stderr, "running without the tray icon: %s\n", shown.message().c_str());
        }
    }
    const int code = sentinel::agent::run_live(live);
    if (tray_shown) {
        sentinel::platform::stop_tray();
    }
    return code;
}
