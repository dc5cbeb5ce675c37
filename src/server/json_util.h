#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "common/json_input.h"
#include "common/status.h"
#include "common/time.h"

// Small helpers shared by the server's JSON routes (api.cc, manage_api.cc, live.cc).
namespace sentinel::server {

using Json = nlohmann::ordered_json;

// Every request body and WebSocket message is read through json_input: at most 32 levels deep,
// so the recursive parts of nlohmann (copy, dump) stay within a small stack. The error is what a
// client is told: the original's "Bad request" for broken JSON, the limit and the field otherwise.
inline Result<Json> parse_body(std::string_view body) {
    json_input::Limits limits;
    limits.max_depth = 32;
    limits.max_values = 100'000;
    limits.max_string = 1024 * 1024;
    limits.max_bytes = 16 * 1024 * 1024;  // the listener's max_body_bytes is the real bound
    json_input::Problem problem;
    auto parsed = json_input::parse<Json>(body, limits, &problem);
    if (!parsed && problem == json_input::Problem::kSyntax)
        return Error{"Bad request"};
    return parsed;
}

// Invalid UTF-8 from clients is replaced, never thrown.
inline std::string dump(const Json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sentinel::server
