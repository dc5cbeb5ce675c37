#include "server/app.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "common/log.h"
#include "outputs/outputs.h"
#include "server/api.h"
#include "server/auth.h"
#include "server/http_server.h"
#include "server/live.h"
#include "server/metrics.h"
#include "store/store.h"

namespace sentinel::server {

namespace {

store::StoreOptions store_options(const config::Config& c) {
    store::StoreOptions o;
    o.retention_days = c.retention_days;
    o.retention_max_alerts = c.retention_max_alerts;
    return o;
}

Result<std::unique_ptr<store::Store>> open_store(const config::Config& c) {
    if (c.storage.backend == "postgres") {
        if (c.storage.dsn.empty()) {
            return Error{
                "storage backend \"postgres\" needs storage.dsn (a PostgreSQL connection "
                "string)"};
        }
        return store::open_postgres(c.storage.dsn, store_options(c));
    }
    if (c.storage.backend != "sqlite") {
        return Error{"storage backend \"" + c.storage.backend +
                     "\" is unknown; use \"sqlite\" or \"postgres\""};
    }
    std::error_code ec;
    std::filesystem::create_directories(c.data_dir, ec);
    if (ec) {
        return Error{"cannot create data_dir " + c.data_dir + ": " + ec.message()};
    }
    std::filesystem::permissions(c.data_dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
    return store::open_sqlite(database_path(c), store_options(c));
}

std::string url_host(const config::Config& c) {
    const auto& h = c.server_host;
    if (h.empty() || h == "0.0.0.0" || h == "::" || h == "[::]")
        return "localhost";
    if (h.find(':') != std::string::npos && h.front() != '[')
        return "[" + h + "]";
    return h;
}

// Seconds a stopping server keeps delivering queued alerts to slow or unreachable receivers.
constexpr double kOutputDrainSeconds = 5;

// The alert outputs (src/outputs): every alert committed here, once, after its commit.
Status start_outputs(const config::Config& c, std::unique_ptr<outputs::Outputs>& out,
                     Metrics& metrics, LiveState& live) {
    auto created = outputs::Outputs::create(c);
    if (!created)
        return Status::error((c.source_path.empty() ? "config" : c.source_path) + ": " +
                             created.error());
    out = std::move(created).value();
    for (const auto& line : out->describe())
        SENTINEL_LOG(info, "outputs", "alert output {}", line);
    out->start();
    metrics.set_outputs(out.get());
    outputs::Outputs* o = out.get();
    live.set_commit_listener([o](const std::vector<schema::Alert>& fresh) { o->submit(fresh); });
    return Status::ok();
}

}  // namespace

std::string database_path(const config::Config& c) {
    return (std::filesystem::path(c.data_dir) / "netsentinel.db").string();
}

std::string banner(const config::Config& c, uint16_t gui, uint16_t agent, uint16_t redirect) {
    const auto host = url_host(c);
    std::string out;
    out += "NetSentinel server\n";
    out += "  Dashboard : https://" + host + ":" + std::to_string(gui) + "/\n";
    out += "  Agent API : https://" + host + ":" + std::to_string(agent) + "/\n";
    out += redirect ? "  Redirect  : http://" + host + ":" + std::to_string(redirect) +
                          "/ -> dashboard\n"
                    : std::string("  Redirect  : disabled\n");
    out += "  Data      : " + c.data_dir + "\n";
    out += "Open the dashboard URL in a browser and log in. Press Ctrl-C to stop.\n";
    return out;
}

struct ServerApp::Parts {
    std::unique_ptr<store::Store> store;
    std::unique_ptr<outputs::Outputs> outputs;  // outlives everything that submits to it
    Metrics metrics;
    std::unique_ptr<LiveState> live;
    std::unique_ptr<Auth> auth;
    std::unique_ptr<Api> api;
    std::unique_ptr<HttpServer> http;
};

ServerApp::ServerApp(config::Config config)
    : config_(std::move(config)), parts_(std::make_unique<Parts>()) {}

ServerApp::~ServerApp() {
    if (parts_->store)
        parts_->store->close();
}

Status ServerApp::start() {
    // The same rule as the agent's: a short key could be guessed.
    if (auto st = config::check_api_key(config_); !st) {
        return st;
    }
    auto s = open_store(config_);
    if (!s)
        return s.status();
    auto& p = *parts_;
    p.store = std::move(s).value();
    LiveOptions lo;
    lo.max_agents = config_.max_agents;
    lo.rate_limit = config_.agent_rate_limit;
    lo.rate_window_s = config_.agent_rate_window;
    lo.offline_after_s = config_.agent_offline_after;
    p.live = std::make_unique<LiveState>(lo, p.metrics);
    auto summary = p.store->load_summary();
    if (!summary)
        return summary.status();
    auto agents = p.store->load_agents();
    if (!agents)
        return agents.status();
    p.live->load(*summary, std::move(agents).value());
    if (Status st = start_outputs(config_, p.outputs, p.metrics, *p.live); !st)
        return st;
    // Other servers sharing the database (PostgreSQL): their alerts, agent updates and
    // acknowledge/resolve pushes reach this server's stats, timeline and dashboards as if
    // received here.
    LiveState* live = p.live.get();
    auto subscribed = p.store->subscribe([live](store::RemoteChange change) {
        size_t begin = 0;
        for (size_t i = 1; i <= change.alerts.size(); ++i) {
            if (i == change.alerts.size() ||
                change.alerts[i].agent_id != change.alerts[begin].agent_id) {
                std::vector<schema::Alert> run(
                    std::make_move_iterator(change.alerts.begin() + static_cast<long>(begin)),
                    std::make_move_iterator(change.alerts.begin() + static_cast<long>(i)));
                const std::string agent_id = run.front().agent_id;
                live->alerts_committed(agent_id, run, true);
                begin = i;
            }
        }
        if (change.agents_changed) {
            live->merge_agents(change.agents);
        }
        for (const auto& message : change.messages) {
            live->broadcast(message);  // e.g. an alert acknowledged on the other server
        }
    });
    if (!subscribed)
        return subscribed;
    p.auth = std::make_unique<Auth>(*p.store);
    const char* env_pw = std::getenv("SENTINEL_ADMIN_PASSWORD");
    auto generated = p.auth->ensure_admin(config_.data_dir, env_pw ? env_pw : "");
    if (!generated)
        return generated.status();
    if (!generated->empty()) {
        std::printf(
            "Created the dashboard user \"admin\" with password: %s\n"
            "(also written to %s/initial_admin_password, mode 0600; delete it once noted)\n",
            generated->c_str(), config_.data_dir.c_str());
        std::fflush(stdout);
    }
    p.api = std::make_unique<Api>(config_, *p.store, *p.live, *p.auth, p.metrics);
    p.http = std::make_unique<HttpServer>(config_, *p.api, *p.live, p.metrics, *p.store);
    return p.http->start();
}

void ServerApp::run(const RunOptions& options) {
    auto& p = *parts_;
    if (options.print_banner) {
        std::fputs(banner(config_, gui_port(), agent_port(), redirect_port()).c_str(), stdout);
        std::fflush(stdout);
    }
    if (options.on_ready)
        options.on_ready(gui_port(), agent_port(), redirect_port());
    p.http->run(options.threads, options.handle_signals);
    p.api->stop_worker();
    p.store->close();                      // commits everything still queued
    p.outputs->stop(kOutputDrainSeconds);  // after the last commit has been handed over
    if (options.print_banner) {
        std::puts("NetSentinel server stopped");
        std::fflush(stdout);
    }
}

void ServerApp::stop() {
    if (parts_->http)
        parts_->http->stop();
}

uint16_t ServerApp::gui_port() const { return parts_->http ? parts_->http->gui_port() : 0; }
uint16_t ServerApp::agent_port() const { return parts_->http ? parts_->http->agent_port() : 0; }
uint16_t ServerApp::redirect_port() const {
    return parts_->http ? parts_->http->redirect_port() : 0;
}

Result<std::string> create_api_token(const config::Config& config, const std::string& name) {
    auto s = open_store(config);
    if (!s)
        return s.status();
    auto token = Auth::create_token(**s, name);
    (*s)->close();
    return token;
}

}  // namespace sentinel::server
