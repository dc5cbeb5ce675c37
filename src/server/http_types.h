#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sentinel::server {

enum class Port { kGui, kAgent };

// A parsed HTTP request, independent of the network library.
struct HttpRequest {
    std::string method;                                        // "GET", "POST", ...
    std::string target;                                        // path and query, as received
    std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
    std::string body;
    std::string peer_ip;
    Port port = Port::kGui;

    // The first header with this lower-case name, or "".
    const std::string& header(const std::string& name) const;
    std::string path() const;
    // The decoded value of a query parameter, or "".
    std::string query(const std::string& name) const;
};

// A response. When `stream` is set the body is produced by repeated calls until it returns
// nullopt, and sent with chunked encoding.
struct HttpResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::function<std::optional<std::string>()> stream;

    static HttpResponse json(int status, std::string body);
    static HttpResponse error(int status, const std::string& message);
};

using Responder = std::function<void(HttpResponse)>;

}  // namespace sentinel::server
