#include "transport/console.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "platform/platform.h"

namespace sentinel::transport {

namespace {

constexpr const char* kReset = "\033[0m";
constexpr const char* kCyan = "\033[36m";

const char* level_color(schema::Severity level) {
    switch (level) {
        case schema::Severity::kInfo:
            return "\033[36m";
        case schema::Severity::kLow:
            return "\033[32m";
        case schema::Severity::kMedium:
            return "\033[33m";
        case schema::Severity::kHigh:
            return "\033[31m";
        case schema::Severity::kCritical:
            return "\033[35m";
    }
    return "";
}

std::string local_clock(Timestamp ts) {
    const std::time_t t = static_cast<std::time_t>(ts.whole_seconds());
    std::tm tm{};
    {
        static std::mutex mu;  // std::localtime shares one buffer
        std::lock_guard lock(mu);
        if (const std::tm* p = std::localtime(&t)) {
            tm = *p;
        }
    }
    char buf[16];
    std::strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
    return buf;
}

std::string dump(const nlohmann::ordered_json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// One JSON object per log line, with the message escaped properly (a pattern cannot do that).
class JsonFormatter final : public spdlog::formatter {
  public:
    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        nlohmann::ordered_json j;
        j["ts"] = schema::format_iso8601(Timestamp{
            std::chrono::duration_cast<std::chrono::nanoseconds>(msg.time.time_since_epoch())
                .count()});
        const auto level = spdlog::level::to_string_view(msg.level);
        j["level"] = std::string(level.data(), level.size());
        j["msg"] = std::string(msg.payload.data(), msg.payload.size());
        const std::string line = dump(j) + "\n";
        dest.append(line.data(), line.data() + line.size());
    }
    std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<JsonFormatter>();
    }
};

}  // namespace

std::string format_alert_line(schema::Severity level, Timestamp ts, std::string_view category,
                              std::string_view message, bool color) {
    std::string name(schema::to_string(level));
    name.resize(std::max<size_t>(name.size(), 8), ' ');
    std::string line;
    line.reserve(32 + category.size() + message.size());
    line += '[';
    if (color) {
        line += level_color(level);
    }
    line += name;
    if (color) {
        line += kReset;
    }
    line += "]  ";
    line += local_clock(ts);
    line += "  ";
    if (color) {
        line += kCyan;
    }
    line += category;
    if (color) {
        line += kReset;
    }
    line += "  ";
    line += message;
    return line;
}

Console::Console(ConsoleOptions options) : options_(options) {
    color_ = options_.format == LogFormat::kText &&
             (options_.color == 1 || (options_.color < 0 && platform::is_terminal(options_.out)));
}

void Console::write(const std::string& line) {
    std::lock_guard lock(mu_);
    std::fwrite(line.data(), 1, line.size(), options_.out);
    std::fputc('\n', options_.out);
    std::fflush(options_.out);
}

void Console::alert(const schema::Alert& a) {
    if (options_.quiet) {
        return;
    }
    if (options_.format == LogFormat::kJson) {
        nlohmann::ordered_json j;
        j["type"] = "alert";
        j["id"] = a.id;
        j["ts"] = schema::format_iso8601(a.ts);
        j["level"] = schema::to_string(a.level);
        j["category"] = a.category;
        j["message"] = a.message;
        j["src"] = a.src;
        write(dump(j));
        return;
    }
    write(format_alert_line(a.level, a.ts, a.category, a.message, color_));
}

void Console::event(schema::Severity level, std::string_view category, std::string_view message) {
    if (options_.quiet && level < schema::Severity::kHigh) {
        return;
    }
    const Timestamp now = wall_now();
    if (options_.format == LogFormat::kJson) {
        nlohmann::ordered_json j;
        j["type"] = "event";
        j["ts"] = schema::format_iso8601(now);
        j["level"] = schema::to_string(level);
        j["category"] = category;
        j["message"] = message;
        write(dump(j));
        return;
    }
    write(format_alert_line(level, now, category, message, color_));
}

void Console::stats(const ConsoleStats& s) {
    if (options_.quiet) {
        return;
    }
    if (options_.format == LogFormat::kJson) {
        nlohmann::ordered_json j;
        j["type"] = "stats";
        j["ts"] = schema::format_iso8601(wall_now());
        j["agent_id"] = s.agent_id;
        j["packets"] = s.packets;
        j["capture_drops"] = s.capture_drops;
        j["delivered"] = s.delivered;
        j["rejected"] = s.rejected;
        j["dropped"] = s.dropped;
        j["spool_depth"] = s.spool_depth;
        j["detections"] = s.by_category;
        j["suppressed"] = s.suppressed;
        auto& by_rule = j["suppressed_by_rule"] = nlohmann::ordered_json::object();
        for (const auto& [id, count] : s.suppressed_by_rule) {
            by_rule[std::to_string(id)] = count;
        }
        write(dump(j));
        return;
    }
    std::string line = "[STATS   ]  " + local_clock(wall_now()) + "  agent " + s.agent_id +
                       "  packets " + std::to_string(s.packets) + "  capture drops " +
                       std::to_string(s.capture_drops) + "  delivered " +
                       std::to_string(s.delivered) + "  spooled " + std::to_string(s.spool_depth) +
                       "  rejected " + std::to_string(s.rejected) + "  lost " +
                       std::to_string(s.dropped);
    if (s.suppressed > 0) {
        line += "  suppressed " + std::to_string(s.suppressed);
        std::string rules;
        for (const auto& [id, count] : s.suppressed_by_rule) {
            rules += (rules.empty() ? "" : ", ") + ("rule " + std::to_string(id)) + ": " +
                     std::to_string(count);
        }
        if (!rules.empty()) {
            line += " (" + rules + ")";
        }
    }
    if (!s.by_category.empty()) {
        line += "  |";
        for (const auto& [category, count] : s.by_category) {
            line += "  " + category + " " + std::to_string(count);
        }
    }
    write(line);
}

void configure_logging(LogFormat format, bool quiet) {
    std::shared_ptr<spdlog::logger> logger;
    if (format == LogFormat::kJson) {
        auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
        sink->set_formatter(std::make_unique<JsonFormatter>());
        logger = std::make_shared<spdlog::logger>("netsentinel", std::move(sink));
    } else {
        auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
        sink->set_pattern("%Y-%m-%d %H:%M:%S.%e [%^%l%$] %v");
        logger = std::make_shared<spdlog::logger>("netsentinel", std::move(sink));
    }
    logger->set_level(quiet ? spdlog::level::warn : spdlog::level::info);
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace sentinel::transport
