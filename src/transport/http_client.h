#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sentinel::libcurl {
struct Library;
}

namespace sentinel::transport {

struct HttpOptions {
    std::string base_url;   // "https://host:port" (a trailing '/' is ignored)
    std::string ca_cert;    // PEM file the server's certificate must chain to
    bool insecure = false;  // allow an unverified (or plain HTTP) connection
    std::string user_agent = "NetSentinel-Agent";
    std::vector<std::string> headers;  // extra "Name: value" lines sent with every request
    long connect_timeout_ms = 10'000;
    // With no ca_cert: verify the server against the system's trust store (a public service
    // such as VirusTotal) instead of refusing to start.
    bool trust_system_store = false;
    // Set by another thread to cut a request in flight short (it then fails).
    const std::atomic<bool>* cancel = nullptr;
    // A longer answer body fails the request (kOther); 0: no limit.
    size_t max_body_bytes = 0;
};

// Why a request got no HTTP answer.
enum class FailureKind {
    kNone,
    kConnect,  // refused, unreachable, timed out, reset: worth retrying
    kTls,      // the server's certificate did not verify, or the handshake failed
    kOther,    // anything else (bad URL, out of memory)
};

struct HttpResult {
    FailureKind failure = FailureKind::kNone;
    std::string error;  // for a person, when failure != kNone
    long status = 0;    // the HTTP status when failure == kNone
    std::string body;
    std::optional<double> retry_after;  // seconds, from a Retry-After header

    bool answered() const { return failure == FailureKind::kNone; }
};

// Drops trailing '/' from the base URL and refuses what would send the API key in clear text or
// to an unverified server (plain http, a missing CA file unless trust_system_store) unless
// insecure. Returns whether the
// URL is https. Both clients (libcurl, WinHTTP) start with it.
Result<bool> check_http_options(HttpOptions& options);

// HTTPS requests (POST of JSON, GET) with libcurl: TLS 1.2 or newer, the server verified against
// ca_cert only (not the system store; the system store only with trust_system_store and no
// ca_cert) unless insecure; the standard proxy variables (https_proxy,
// no_proxy) apply. One connection is kept alive between requests. Not thread-safe: one owner
// thread.
class HttpClient {
  public:
    // Fails when the URL is not https (unless insecure) or the CA file is missing (unless
    // insecure), with a message saying what to do.
    static Result<std::unique_ptr<HttpClient>> create(HttpOptions options);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // POSTs `body` (application/json) to base_url + path; gives up after `timeout_ms`, or as
    // soon as the steady clock (in seconds) passes *abort_at when given (another thread may
    // move it earlier while the request runs).
    HttpResult post_json(std::string_view path, std::string_view body, long timeout_ms,
                         const std::atomic<double>* abort_at = nullptr);
    // GETs base_url + path (expecting JSON back); same timeout and abort rules as post_json.
    HttpResult get_json(std::string_view path, long timeout_ms,
                        const std::atomic<double>* abort_at = nullptr);

    const HttpOptions& options() const { return options_; }

  private:
    HttpClient(HttpOptions options, const libcurl::Library& lib);  // libcurl
    explicit HttpClient(HttpOptions options);                      // WinHTTP
    // One request; `body` is sent only when `post`.
    HttpResult perform(bool post, std::string_view path, std::string_view body, long timeout_ms,
                       const std::atomic<double>* abort_at);
    HttpOptions options_;
    const libcurl::Library* lib_ = nullptr;  // libcurl, loaded on first use (libcurl/library.h)
    void* curl_ = nullptr;                   // CURL*
    void* header_list_ = nullptr;            // curl_slist*
};

}  // namespace sentinel::transport
