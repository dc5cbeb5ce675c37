#include "transport/http_client.h"

#include "libcurl/library.h"

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>

namespace sentinel::transport {

namespace {

struct BodySink {
    std::string* body;
    size_t max;  // 0: no limit
    bool too_long = false;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* sink = static_cast<BodySink*>(user);
    const size_t n = size * count;
    if (sink->max != 0 && sink->body->size() + n > sink->max) {
        sink->too_long = true;
        return 0;  // aborts the transfer
    }
    sink->body->append(data, n);
    return n;
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

struct Abort {
    const std::atomic<double>* at;  // steady-clock seconds, or null
    const std::atomic<bool>* cancel;
};

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    const auto* abort = static_cast<const Abort*>(user);
    if (abort->cancel != nullptr && abort->cancel->load()) {
        return 1;
    }
    if (abort->at == nullptr) {
        return 0;
    }
    const double now =
        std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    return now >= abort->at->load() ? 1 : 0;
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

HttpClient::HttpClient(HttpOptions options, const libcurl::Library& lib)
    : options_(std::move(options)), lib_(&lib) {}

HttpClient::~HttpClient() {
    if (curl_ != nullptr) {
        lib_->easy_cleanup(static_cast<CURL*>(curl_));
    }
    if (header_list_ != nullptr) {
        lib_->slist_free_all(static_cast<curl_slist*>(header_list_));
    }
}

Result<std::unique_ptr<HttpClient>> HttpClient::create(HttpOptions options) {
    if (auto checked = check_http_options(options); !checked) {
        return Error{checked.error()};
    }

    auto lib = libcurl::library();
    if (!lib) {
        return Error{"cannot load libcurl: " + lib.error()};
    }
    const libcurl::Library& c = **lib;
    std::unique_ptr<HttpClient> client(new HttpClient(std::move(options), c));
    CURL* curl = c.easy_init();
    if (curl == nullptr) {
        return Error{"cannot initialise libcurl"};
    }
    client->curl_ = curl;
    curl_slist* list = nullptr;
    list = c.slist_append(list, "Content-Type: application/json");
    list = c.slist_append(list, "Accept: application/json");
    list = c.slist_append(list, "Expect:");  // no 100-continue round trip for large batches
    for (const auto& h : client->options_.headers) {
        list = c.slist_append(list, h.c_str());
    }
    client->header_list_ = list;
    return client;
}

HttpResult HttpClient::perform(bool post, std::string_view path, std::string_view body,
                               long timeout_ms, const std::atomic<double>* abort_at) {
    HttpResult result;
    CURL* curl = static_cast<CURL*>(curl_);
    const libcurl::Library& c = *lib_;
    c.easy_reset(curl);  // keeps the live connection and session cache

    const std::string url = options_.base_url + std::string(path);
    char error_buffer[CURL_ERROR_SIZE] = {};
    c.easy_setopt(curl, CURLOPT_URL, url.c_str());
    c.easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    if (post) {
        c.easy_setopt(curl, CURLOPT_POST, 1L);
        c.easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
        c.easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    } else {
        c.easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    }
    c.easy_setopt(curl, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(header_list_));
    c.easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
    c.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
    c.easy_setopt(curl, CURLOPT_TIMEOUT_MS, std::max(1L, timeout_ms));
    c.easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    libcurl::HttpsPolicy https;
    https.ca_file = options_.ca_cert;  // "" only with trust_system_store: the system store
    https.only_ca_file = true;  // a certificate from a public CA for the same name must not pass
    https.insecure = options_.insecure;
    libcurl::apply_https_policy(c, curl, https);
    c.easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    BodySink sink{&result.body, options_.max_body_bytes};
    c.easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    c.easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    c.easy_setopt(curl, CURLOPT_HEADERDATA, &result.retry_after);
    Abort abort{abort_at, options_.cancel};
    if (abort_at != nullptr || options_.cancel != nullptr) {
        c.easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
        c.easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
        c.easy_setopt(curl, CURLOPT_XFERINFODATA, &abort);
    }

    const CURLcode code = c.easy_perform(curl);
    if (code != CURLE_OK) {
        result.failure = is_tls_failure(code)       ? FailureKind::kTls
                         : is_connect_failure(code) ? FailureKind::kConnect
                                                    : FailureKind::kOther;
        result.error = error_buffer[0] != '\0' ? error_buffer : c.easy_strerror(code);
        if (sink.too_long) {
            result.failure = FailureKind::kOther;
            result.error = "the answer is longer than " + std::to_string(sink.max) + " bytes";
        }
        result.body.clear();
        result.retry_after.reset();
        return result;
    }
    c.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
    return result;
}

}  // namespace sentinel::transport
