#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "schema/alert.h"

namespace sentinel::schema {

// One alert as a single-line JSON object in the wire format:
// {"id","ts","level","category","message","src","agent_id","hostname","os"[,"received_at"]
//  [,"flow":{"src_ip","src_port","dest_ip","dest_port","proto"}]}.
std::string to_json(const Alert& alert);

// The "flow" member of a wire alert: {"src_ip","src_port","dest_ip","dest_port","proto"}.
nlohmann::ordered_json flow_to_json(const Flow& flow);
// nullopt when `j` is not such an object or an address or number in it is invalid.
std::optional<Flow> flow_from_json(const nlohmann::json& j);

// Parses the wire format. Only level, category and message are required here; the server applies
// the original's stricter validation and truncation itself.
Result<Alert> alert_from_json(std::string_view text);

}  // namespace sentinel::schema
