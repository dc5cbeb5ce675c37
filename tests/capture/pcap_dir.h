#pragma once

#include <filesystem>
#include <string>

namespace sentinel::testing {

// Folder of the reference captures: the build's SENTINEL_PCAP_DIR, else the shared checkout.
// Empty when neither exists, so callers can skip with a message.
inline std::filesystem::path pcap_dir() {
    namespace fs = std::filesystem;
    std::error_code ec;
#ifdef SENTINEL_PCAP_DIR
    const fs::path configured = SENTINEL_PCAP_DIR;
    if (!configured.empty() && fs::exists(configured / "MANIFEST.md", ec)) {
        return configured;
    }
#endif
#ifdef SENTINEL_SOURCE_DIR
    const fs::path fallback = fs::path(SENTINEL_SOURCE_DIR) / ".." / "shared" / "pcaps";
#else
    const fs::path fallback = "../shared/pcaps";
#endif
    if (fs::exists(fallback / "MANIFEST.md", ec)) {
        return fallback;
    }
    return {};
}

}  // namespace sentinel::testing
