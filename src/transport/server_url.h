#pragma once

#include <cstdint>
#include <string>

namespace sentinel::transport {

struct ServerUrl {
    std::string url;      // "https://host:port", no trailing '/'
    std::string warning;  // for the person starting the agent ("" when none)
};

// The agent API base URL: --server when given (trailing '/' removed), otherwise
// https://<server_host>:<agent_port>. A wildcard server_host (0.0.0.0, ::, empty) is the server's
// listen address, not a destination: it becomes 127.0.0.1 with a warning saying that agents on
// other machines need server_host or --server set to the server's address (seed B2).
ServerUrl resolve_server_url(const std::string& server_flag, const std::string& server_host,
                             uint16_t agent_port);

}  // namespace sentinel::transport
