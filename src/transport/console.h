#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "schema/alert.h"

namespace sentinel::transport {

enum class LogFormat { kText, kJson };

struct ConsoleOptions {
    bool quiet = false;  // only warnings and errors; no alert or stats lines
    LogFormat format = LogFormat::kText;
    int color = -1;  // -1: when `out` is a terminal; 0: never; 1: always
    std::FILE* out = stdout;
};

// What the periodic stats line shows.
struct ConsoleStats {
    std::string agent_id;
    uint64_t packets = 0;
    uint64_t capture_drops = 0;
    uint64_t delivered = 0;
    uint64_t rejected = 0;
    uint64_t dropped = 0;
    uint64_t spool_depth = 0;
    std::map<std::string, uint64_t> by_category = {};     // detections per category
    uint64_t suppressed = 0;                              // dropped by suppression rules
    std::map<int64_t, uint64_t> suppressed_by_rule = {};  // rule id -> alerts
};

// The agent's console: the original's coloured alert lines
//   [HIGH    ]  14:03:07  PORT SCAN  10.0.0.9 probed 15 ports in 10s (...)
// (INFO cyan, LOW green, MEDIUM yellow, HIGH red, CRITICAL magenta, category cyan; colours only on
// a terminal), a periodic stats line, quiet mode, and one JSON object per line in JSON format.
// Thread-safe; call at alert time, never per packet.
class Console {
  public:
    explicit Console(ConsoleOptions options = {});

    // One alert line (the time shown is the alert's event time, local time of day).
    void alert(const schema::Alert& alert);
    // A notice in the alert-line layout, e.g. event(kInfo, "SHIPPER", "connected").
    void event(schema::Severity level, std::string_view category, std::string_view message);
    // The periodic stats line.
    void stats(const ConsoleStats& stats);

    bool color() const { return color_; }

  private:
    void write(const std::string& line);

    ConsoleOptions options_;
    bool color_ = false;
    std::mutex mu_;
};

// Formats one alert line without colour (exposed for tests and offline output).
std::string format_alert_line(schema::Severity level, Timestamp ts, std::string_view category,
                              std::string_view message, bool color);

// Points the process-wide log (SENTINEL_LOG, spdlog) at stderr in the chosen format: text
// ("2024-05-01 14:03:07.123 [warn] [shipper] ...") or one JSON object per line
// ({"ts":"...","level":"warn","msg":"[shipper] ..."}). Quiet keeps warnings and errors only.
void configure_logging(LogFormat format, bool quiet);

}  // namespace sentinel::transport
