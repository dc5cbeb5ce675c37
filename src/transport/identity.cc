#include "transport/identity.h"
#include "common/json_input.h"

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "common/log.h"
#include "platform/platform.h"
#include "schema/alert.h"

namespace sentinel::transport {

namespace {

constexpr const char* kIdentityFile = "agent.json";

bool valid_agent_id(const std::string& id) {
    if (id.empty() || id.size() > 64) {
        return false;
    }
    for (const char c : id) {
        const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                        (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
        if (!ok) {
            return false;
        }
    }
    return true;
}

}  // namespace

Result<AgentIdentity> load_or_create_identity(const std::string& state_dir,
                                              const std::string& version) {
    if (auto st = platform::create_directories(state_dir, 0700); !st) {
        return Error{"state directory: " + st.message() + " (choose another one with --state-dir)"};
    }
    const std::string path = state_dir + "/" + kIdentityFile;
    AgentIdentity id;
    id.hostname = platform::hostname();
    id.os = platform::os_description();
    id.version = version;

    nlohmann::json stored = nlohmann::json::object();
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) {
        auto text = platform::read_file(path);
        if (!text) {
            return Error{text.error()};
        }
        auto parsed = json_input::parse(*text);
        stored = parsed ? std::move(parsed).value() : nlohmann::json();
        if (stored.is_object() && stored.contains("agent_id") && stored["agent_id"].is_string() &&
            valid_agent_id(stored["agent_id"].get<std::string>())) {
            id.agent_id = stored["agent_id"].get<std::string>();
        } else {
            SENTINEL_LOG(warn, "identity",
                         "{} is damaged; keeping it as {}.bad and starting "
                         "with a new agent id",
                         path, path);
            std::filesystem::rename(path, path + ".bad", ec);
            stored = nlohmann::json::object();
        }
    }
    const bool created = id.agent_id.empty();
    if (created) {
        id.agent_id = schema::make_alert_id().substr(0, 16);
    }
    const auto same = [&](const char* key, const std::string& value) {
        return stored.contains(key) && stored[key].is_string() && stored[key] == value;
    };
    if (created || !same("hostname", id.hostname) || !same("os", id.os) ||
        !same("version", id.version)) {
        nlohmann::ordered_json out;
        out["agent_id"] = id.agent_id;
        out["hostname"] = id.hostname;
        out["os"] = id.os;
        out["version"] = id.version;
        if (stored.contains("created") && stored["created"].is_string()) {
            out["created"] = stored["created"];
        } else {
            const auto now = std::chrono::system_clock::now().time_since_epoch();
            out["created"] = schema::format_iso8601(
                Timestamp{std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()});
        }
        const std::string text =
            out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
        if (auto st = platform::write_file_atomic(path, text, 0600, true); !st) {
            return Error{"cannot save the agent identity: " + st.message()};
        }
    }
    return id;
}

}  // namespace sentinel::transport
