#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace sentinel::libcurl {
struct Library;
}

namespace sentinel::virustotal {

struct HttpResponse {
    long status = 0;  // 0 when no HTTP answer arrived (network error)
    std::string body;
    std::optional<int64_t> retry_after_seconds;
    std::string error;  // set on network errors
};

// Issues GET requests against the VirusTotal API (or a stand-in in tests).
class Transport {
  public:
    virtual ~Transport() = default;
    // GET <base_url><path>; never throws. Blocks for at most the configured timeout.
    virtual HttpResponse get(const std::string& path) = 0;
};

struct TransportOptions {
    std::string base_url;  // e.g. https://www.virustotal.com/api/v3 (no trailing slash needed)
    std::string api_key;
    std::string ca_file;  // empty: the system trust store
    long timeout_seconds = 15;
    const std::atomic<bool>* abort = nullptr;  // set to cancel a request in flight
};

// What both implementations send and accept.
inline constexpr const char* kUserAgent = "NetSentinel-Agent/4.0";
inline constexpr size_t kMaxReplyBytes = 1 << 20;  // VirusTotal answers are a few KB

// This platform's transport: libcurl on Linux (CurlTransport, transport.cc), WinHTTP on Windows
// (transport.windows.cc, over transport::HttpClient). Both send GET with x-apikey, Accept:
// application/json and kUserAgent, require TLS 1.2 or newer, verify the server against ca_file
// when set (chain and host name) or else the system store, and read Retry-After in seconds.
std::unique_ptr<Transport> make_transport(TransportOptions options);

// libcurl implementation (Linux): TLS verification on, x-apikey header, one reused handle.
class CurlTransport final : public Transport {
  public:
    explicit CurlTransport(TransportOptions options);
    ~CurlTransport() override;
    CurlTransport(const CurlTransport&) = delete;
    CurlTransport& operator=(const CurlTransport&) = delete;

    HttpResponse get(const std::string& path) override;

  private:
    TransportOptions options_;
    const libcurl::Library* lib_ = nullptr;  // loaded on first use (libcurl/library.h)
    std::string init_error_;                 // why there is no handle
    void* handle_ = nullptr;
};

}  // namespace sentinel::virustotal
