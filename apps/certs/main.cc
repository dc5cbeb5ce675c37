#include <CLI/CLI.hpp>

#include <string>

int main(int argc, char** argv) {
    CLI::App app{"NetSentinel certificates: makes the CA, server certificate, API key and config"};
    std::string config_path = "sentinel_config.json";
    app.add_option("--config", config_path, "Config file")->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    return 0;
}
