// libFuzzer entry point for the config loader: the input is the text of sentinel_config.json.
// Whatever loads is described (secrets masked) and its derived values computed.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace sentinel::config;
    const std::string text(reinterpret_cast<const char*>(data), size);
    LoadWarnings warnings;
    auto config = parse_config(text, "/etc/netsentinel/sentinel_config.json", &warnings);
    if (!config) {
        return 0;
    }
    (void)describe(*config);
    (void)agent_connect_host(*config);
    (void)check_api_key(*config);
    (void)config->effective_redirect_port();
    (void)resolve_path(*config, config->ca_cert);
    (void)resolve_path(*config, config->data_dir);
    for (const auto& feed : config->intel_feeds) {
        (void)resolve_path(*config, feed.path);
    }
    (void)mask_url(config->outputs.webhook_url);
    (void)mask_dsn(config->storage.dsn);
    return 0;
}
