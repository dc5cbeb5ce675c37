#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "common/time.h"

// Small helpers shared by the server's JSON routes (api.cc, manage_api.cc, live.cc).
namespace sentinel::server {

using Json = nlohmann::ordered_json;

inline Timestamp wall_now() {
    return Timestamp{std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count()};
}

// Invalid UTF-8 from clients is replaced, never thrown.
inline std::string dump(const Json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sentinel::server
