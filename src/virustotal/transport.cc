#include "virustotal/transport.h"

#include "libcurl/library.h"

#include <cctype>
#include <cstdlib>
#include <utility>

namespace sentinel::virustotal {

namespace {

struct Exchange {
    HttpResponse* response;
    const std::atomic<bool>* abort;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* ex = static_cast<Exchange*>(user);
    const size_t n = size * count;
    if (ex->response->body.size() + n > kMaxReplyBytes) {
        return 0;  // aborts the transfer
    }
    ex->response->body.append(data, n);
    return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* ex = static_cast<Exchange*>(user);
    const size_t n = size * count;
    std::string_view line(data, n);
    constexpr std::string_view kName = "retry-after:";
    if (line.size() > kName.size()) {
        bool match = true;
        for (size_t i = 0; i < kName.size() && match; ++i) {
            match = std::tolower(static_cast<unsigned char>(line[i])) == kName[i];
        }
        if (match) {
            // Only the delta-seconds form; an HTTP date falls back to the default back-off.
            const std::string value(line.substr(kName.size()));
            char* end = nullptr;
            const long long seconds = std::strtoll(value.c_str(), &end, 10);
            if (end != value.c_str() && seconds >= 0) {
                ex->response->retry_after_seconds = seconds;
            }
        }
    }
    return n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* ex = static_cast<Exchange*>(user);
    return ex->abort != nullptr && ex->abort->load() ? 1 : 0;
}

}  // namespace

std::unique_ptr<Transport> make_transport(TransportOptions options) {
    return std::make_unique<CurlTransport>(std::move(options));
}

CurlTransport::CurlTransport(TransportOptions options) : options_(std::move(options)) {
    while (!options_.base_url.empty() && options_.base_url.back() == '/') {
        options_.base_url.pop_back();
    }
    auto lib = libcurl::library();
    if (!lib) {
        init_error_ = "cannot load libcurl: " + lib.error();
        return;
    }
    lib_ = *lib;
    handle_ = lib_->easy_init();
}

CurlTransport::~CurlTransport() {
    if (handle_ != nullptr) {
        lib_->easy_cleanup(static_cast<CURL*>(handle_));
    }
}

HttpResponse CurlTransport::get(const std::string& path) {
    HttpResponse response;
    auto* curl = static_cast<CURL*>(handle_);
    if (curl == nullptr) {
        response.error = init_error_.empty() ? "HTTP client could not be initialised" : init_error_;
        return response;
    }
    const libcurl::Library& c = *lib_;
    c.easy_reset(curl);
    Exchange ex{&response, options_.abort};
    const std::string url = options_.base_url + path;
    const std::string key_header = "x-apikey: " + options_.api_key;
    curl_slist* headers = nullptr;
    headers = c.slist_append(headers, key_header.c_str());
    headers = c.slist_append(headers, "Accept: application/json");

    c.easy_setopt(curl, CURLOPT_URL, url.c_str());
    c.easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    c.easy_setopt(curl, CURLOPT_USERAGENT, kUserAgent);
    c.easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    c.easy_setopt(curl, CURLOPT_TIMEOUT, options_.timeout_seconds);
    c.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, options_.timeout_seconds);
    libcurl::HttpsPolicy https;
    https.ca_file = options_.ca_file;  // "" = the system store, which knows VirusTotal's CA
    https.allow_http = true;           // virustotal_base_url may be http:// (config.md)
    libcurl::apply_https_policy(c, curl, https);
    c.easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    c.easy_setopt(curl, CURLOPT_WRITEDATA, &ex);
    c.easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    c.easy_setopt(curl, CURLOPT_HEADERDATA, &ex);
    c.easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    c.easy_setopt(curl, CURLOPT_XFERINFODATA, &ex);
    c.easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);

    const CURLcode rc = c.easy_perform(curl);
    c.slist_free_all(headers);
    if (rc != CURLE_OK) {
        response.status = 0;
        response.error = c.easy_strerror(rc);
        return response;
    }
    long status = 0;
    c.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    response.status = status;
    return response;
}

}  // namespace sentinel::virustotal
