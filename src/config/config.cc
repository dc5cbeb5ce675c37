#include "config/config.h"

// Placeholder until the loader lands: defaults only.
namespace sentinel::config {

Result<Config> load_config(const std::string& path, LoadWarnings*) {
    Config c;
    c.source_path = path;
    return c;
}

Result<Config> parse_config(const std::string&, const std::string& path, LoadWarnings*) {
    Config c;
    c.source_path = path;
    return c;
}

std::string describe(const Config&) { return "{}"; }

}  // namespace sentinel::config
