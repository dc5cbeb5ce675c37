#include <CLI/CLI.hpp>

#include <string>

int main(int argc, char** argv) {
    CLI::App app{"NetSentinel server: agent API, storage and dashboard"};
    std::string config_path = "sentinel_config.json";
    app.add_option("--config", config_path, "Config file")->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    return 0;
}
