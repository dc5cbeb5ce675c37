#include "transport/http_client.h"

#include <filesystem>

namespace sentinel::transport {

// Both clients (libcurl, WinHTTP) implement only perform().
HttpResult HttpClient::post_json(std::string_view path, std::string_view body, long timeout_ms,
                                 const std::atomic<double>* abort_at) {
    return perform(true, path, body, timeout_ms, abort_at);
}

HttpResult HttpClient::get_json(std::string_view path, long timeout_ms,
                                const std::atomic<double>* abort_at) {
    return perform(false, path, {}, timeout_ms, abort_at);
}

Result<bool> check_http_options(HttpOptions& options) {
    while (!options.base_url.empty() && options.base_url.back() == '/') {
        options.base_url.pop_back();
    }
    const bool https = options.base_url.rfind("https://", 0) == 0;
    const bool http = options.base_url.rfind("http://", 0) == 0;
    if (!https && !http) {
        return Error{"server URL \"" + options.base_url +
                     "\" must start with https:// (for example https://10.0.0.5:8444)"};
    }
    if (http && !options.insecure) {
        return Error{"server URL " + options.base_url +
                     " is plain HTTP, which would send the API key unencrypted; use https:// "
                     "or --insecure"};
    }
    if (https && !options.insecure && !(options.ca_cert.empty() && options.trust_system_store)) {
        std::error_code ec;
        if (options.ca_cert.empty() || !std::filesystem::is_regular_file(options.ca_cert, ec)) {
            return Error{"CA certificate \"" + options.ca_cert +
                         "\" not found: the server cannot be verified, so nothing will be sent. "
                         "Copy the server's ca.crt there (ca_cert in the config), or pass "
                         "--insecure to allow an unverified connection"};
        }
    }
    return https;
}

}  // namespace sentinel::transport
