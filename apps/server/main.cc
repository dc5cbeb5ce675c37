#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "config/config.h"
#include "server/app.h"

namespace {
constexpr const char* kDescription =
    "NetSentinel server: receives alerts from agents over HTTPS, stores them durably (SQLite in "
    "data_dir) and serves the live dashboard.\n\n"
    "First start: with no dashboard users, an \"admin\" account is created. Its password is "
    "taken from the SENTINEL_ADMIN_PASSWORD environment variable when set; otherwise a random "
    "password is printed once and written to <data_dir>/initial_admin_password (mode 0600).";
}

int main(int argc, char** argv) {
    CLI::App app{kDescription, "sentinel-server"};
    std::string config_path = "sentinel_config.json";
    std::string token_name;
    int threads = 2;
    bool print_config = false;
    app.add_option("--config", config_path, "Config file (JSON)")->capture_default_str();
    app.add_option("--create-token", token_name,
                   "Create a viewer API token named NAME for scripts (GUI API and /metrics, "
                   "sent as 'Authorization: Bearer <token>'), print it once and exit")
        ->type_name("NAME");
    app.add_option("--threads", threads, "Network threads")
        ->capture_default_str()
        ->check(CLI::Range(1, 64));
    app.add_flag("--print-config", print_config,
                 "Print the effective configuration (secrets masked) and exit");
    CLI11_PARSE(app, argc, argv);

    sentinel::config::LoadWarnings warnings;
    auto cfg = sentinel::config::load_config(config_path, &warnings);
    if (!cfg) {
        std::fprintf(stderr, "sentinel-server: %s\n", cfg.error().c_str());
        return 2;
    }
    for (const auto& w : warnings.messages) {
        std::fprintf(stderr, "sentinel-server: config: %s\n", w.c_str());
    }
    // Relative paths in the config are relative to the config file, not to the working
    // directory (a service's working directory is rarely the config's folder).
    for (std::string* path : {&cfg->server_cert, &cfg->server_key, &cfg->ca_cert, &cfg->data_dir}) {
        *path = sentinel::config::resolve_path(*cfg, *path);
    }
    if (print_config) {
        std::puts(sentinel::config::describe(*cfg).c_str());
        return 0;
    }
    if (!token_name.empty()) {
        auto token = sentinel::server::create_api_token(*cfg, token_name);
        if (!token) {
            std::fprintf(stderr, "sentinel-server: %s\n", token.error().c_str());
            return 1;
        }
        std::printf("API token \"%s\" (shown once, store it safely):\n%s\n", token_name.c_str(),
                    token->c_str());
        return 0;
    }

    sentinel::server::ServerApp server(std::move(cfg).value());
    if (auto st = server.start(); !st) {
        std::fprintf(stderr, "sentinel-server: %s\n", st.message().c_str());
        return 1;
    }
    sentinel::server::RunOptions options;
    options.threads = threads;
    server.run(options);
    return 0;
}
