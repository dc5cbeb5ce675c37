#pragma once

#include <string>

#include "common/status.h"

namespace sentinel::transport {

// Who this agent is. agent_id is stable across restarts (kept in the state directory), so a
// restart does not register a new agent on the server.
struct AgentIdentity {
    std::string agent_id;  // 16 lower-case hex characters
    std::string hostname;
    std::string os;       // "Linux 6.1.0-18-amd64", "macOS 14.4"
    std::string version;  // agent version, e.g. "0.1.0"
};

// Reads <state_dir>/agent.json, or creates it with a new random agent_id (atomically, mode 0600).
// The host name and OS are read from the system on every call and the file is rewritten when
// they or the version changed. A damaged file is kept as agent.json.bad and replaced.
Result<AgentIdentity> load_or_create_identity(const std::string& state_dir,
                                              const std::string& version);

}  // namespace sentinel::transport
