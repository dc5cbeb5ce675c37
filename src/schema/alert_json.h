#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "schema/alert.h"

namespace sentinel::schema {

// One alert as a single-line JSON object in the wire format:
// {"id","ts","level","category","message","src","agent_id","hostname","os"[,"received_at"]}.
std::string to_json(const Alert& alert);

// Parses the wire format. Only level, category and message are required here; the server applies
// the original's stricter validation and truncation itself.
Result<Alert> alert_from_json(std::string_view text);

}  // namespace sentinel::schema
