#include "transport/server_url.h"

namespace sentinel::transport {

ServerUrl resolve_server_url(const std::string& server_flag, const std::string& server_host,
                             uint16_t agent_port) {
    ServerUrl out;
    if (!server_flag.empty()) {
        out.url = server_flag;
        while (!out.url.empty() && out.url.back() == '/') {
            out.url.pop_back();
        }
        return out;
    }
    std::string host = server_host;
    if (host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]") {
        out.warning = "server_host \"" + server_host +
                      "\" is a listen address, so this agent sends to 127.0.0.1; agents on other "
                      "machines need server_host (or --server) set to the server's address";
        host = "127.0.0.1";
    } else if (host.find(':') != std::string::npos && host.front() != '[') {
        host = "[" + host + "]";  // an IPv6 literal in a URL
    }
    out.url = "https://" + host + ":" + std::to_string(agent_port);
    return out;
}

}  // namespace sentinel::transport
