// The Windows agent's VirusTotal transport: the agent's own WinHTTP client
// (transport/http_client.winhttp.cc), so the TLS policy and the CA check live in one place.
// Without virustotal_ca_file Schannel verifies VirusTotal against the system store; with it (a
// stand-in in tests) the server must chain to that CA and name the host, checked by
// transport/win_cert.cc before the API key is sent.
#include "virustotal/transport.h"

#include <utility>

#include "transport/http_client.h"

namespace sentinel::virustotal {

namespace {

class WinHttpTransport final : public Transport {
  public:
    explicit WinHttpTransport(TransportOptions options)
        : timeout_seconds_(options.timeout_seconds) {
        transport::HttpOptions http;
        http.base_url = options.base_url;
        http.ca_cert = options.ca_file;
        http.trust_system_store = true;
        // As on Linux, a plain-http base URL is allowed (it is the operator's explicit choice);
        // https is never downgraded.
        http.insecure = options.base_url.rfind("http://", 0) == 0;
        http.user_agent = kUserAgent;
        http.headers = {"x-apikey: " + options.api_key};
        http.connect_timeout_ms = options.timeout_seconds * 1000;
        http.cancel = options.abort;
        http.max_body_bytes = kMaxReplyBytes;
        auto client = transport::HttpClient::create(std::move(http));
        if (client) {
            client_ = std::move(client.value());
        } else {
            init_error_ = client.error();
        }
    }

    HttpResponse get(const std::string& path) override {
        HttpResponse response;
        if (client_ == nullptr) {
            response.error = init_error_;
            return response;
        }
        const transport::HttpResult r = client_->get_json(path, timeout_seconds_ * 1000);
        if (!r.answered()) {
            response.error = r.error;
            return response;
        }
        response.status = r.status;
        response.body = r.body;
        if (r.retry_after) {
            response.retry_after_seconds = static_cast<int64_t>(*r.retry_after);
        }
        return response;
    }

  private:
    long timeout_seconds_;
    std::unique_ptr<transport::HttpClient> client_;
    std::string init_error_;  // why there is no client
};

}  // namespace

std::unique_ptr<Transport> make_transport(TransportOptions options) {
    return std::make_unique<WinHttpTransport>(std::move(options));
}

}  // namespace sentinel::virustotal
