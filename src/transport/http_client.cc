#include "transport/http_client.h"

#include <curl/curl.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>

namespace sentinel::transport {

namespace {

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    const std::string_view line(data, size * count);
    constexpr std::string_view kName = "retry-after:";
    if (line.size() > kName.size()) {
        std::string lower(line.substr(0, kName.size()));
        for (char& c : lower) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        if (lower == kName) {
            // Only the delta-seconds form; an HTTP date falls back to the normal backoff.
            const std::string value(line.substr(kName.size()));
            char* end = nullptr;
            const double seconds = std::strtod(value.c_str(), &end);
            if (end != value.c_str() && seconds >= 0) {
                *static_cast<std::optional<double>*>(user) = seconds;
            }
        }
    }
    return size * count;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    const auto* abort_at = static_cast<const std::atomic<double>*>(user);
    const double now =
        std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    return now >= abort_at->load() ? 1 : 0;
}

bool is_tls_failure(CURLcode code) {
    switch (code) {
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_SSL_CRL_BADFILE:
            return true;
        default:
            return false;
    }
}

bool is_connect_failure(CURLcode code) {
    switch (code) {
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_PROXY:
            return true;
        default:
            return false;
    }
}

}  // namespace

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {}

HttpClient::~HttpClient() {
    if (curl_ != nullptr) {
        curl_easy_cleanup(static_cast<CURL*>(curl_));
    }
    if (header_list_ != nullptr) {
        curl_slist_free_all(static_cast<curl_slist*>(header_list_));
    }
}

Result<std::unique_ptr<HttpClient>> HttpClient::create(HttpOptions options) {
    if (auto checked = check_http_options(options); !checked) {
        return Error{checked.error()};
    }

    global_init();
    std::unique_ptr<HttpClient> client(new HttpClient(std::move(options)));
    CURL* curl = curl_easy_init();
    if (curl == nullptr) {
        return Error{"cannot initialise libcurl"};
    }
    client->curl_ = curl;
    curl_slist* list = nullptr;
    list = curl_slist_append(list, "Content-Type: application/json");
    list = curl_slist_append(list, "Accept: application/json");
    list = curl_slist_append(list, "Expect:");  // no 100-continue round trip for large batches
    for (const auto& h : client->options_.headers) {
        list = curl_slist_append(list, h.c_str());
    }
    client->header_list_ = list;
    return client;
}

HttpResult HttpClient::perform(bool post, std::string_view path, std::string_view body,
                               long timeout_ms, const std::atomic<double>* abort_at) {
    HttpResult result;
    CURL* curl = static_cast<CURL*>(curl_);
    curl_easy_reset(curl);  // keeps the live connection and session cache

    const std::string url = options_.base_url + std::string(path);
    char error_buffer[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (post) {
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    } else {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(header_list_));
    curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, std::max(1L, timeout_ms));
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, options_.insecure ? "https,http" : "https");
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    // libcurl's default since 7.50, said here: a small request must not wait for Nagle.
    curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(curl, CURLOPT_SSLVERSION,
                     static_cast<long>(CURL_SSLVERSION_TLSv1_2));  // minimum; 1.3 allowed
    if (options_.insecure) {
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    } else {
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
        curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_cert.c_str());
        // Only our CA: a certificate from a public CA for the same name must not pass.
        curl_easy_setopt(curl, CURLOPT_CAPATH, nullptr);
    }
    if (options_.insecure && !options_.ca_cert.empty()) {
        curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_cert.c_str());
    }
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result.retry_after);
    if (abort_at != nullptr) {
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, abort_at);
    }

    const CURLcode code = curl_easy_perform(curl);
    if (code != CURLE_OK) {
        result.failure = is_tls_failure(code)       ? FailureKind::kTls
                         : is_connect_failure(code) ? FailureKind::kConnect
                                                    : FailureKind::kOther;
        result.error = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
        result.body.clear();
        result.retry_after.reset();
        return result;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
    return result;
}

}  // namespace sentinel::transport
