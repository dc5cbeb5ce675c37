#include "outputs/webhook.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <nlohmann/json.hpp>

#include "config/config.h"
#include "libcurl/library.h"
#include "outputs/community_id.h"
#include "schema/alert_json.h"

namespace sentinel::outputs {
namespace {

size_t discard_body(char*, size_t size, size_t n, void*) { return size * n; }

class WebhookSink final : public Sink {
  public:
    explicit WebhookSink(WebhookOptions o) : o_(std::move(o)) {}
    ~WebhookSink() override { close(); }

    std::string name() const override { return "webhook"; }
    std::string target() const override { return config::mask_url(o_.url); }
    std::string format(const schema::Alert& alert) const override {
        return webhook_alert_json(alert);
    }

    std::optional<DeliveryError> deliver(const std::vector<std::string>& records) override {
        auto loaded = libcurl::library();
        if (!loaded) {
            return DeliveryError{Failure::kTransient, "cannot load libcurl: " + loaded.error()};
        }
        const libcurl::Library& lib = **loaded;
        if (curl_ == nullptr) {
            curl_ = lib.easy_init();
            if (curl_ == nullptr) {
                return DeliveryError{Failure::kTransient, "HTTP client setup failed"};
            }
        }
        const std::string body = webhook_body(records);
        curl_slist* headers = nullptr;
        headers = lib.slist_append(headers, "Content-Type: application/json");
        headers = lib.slist_append(headers, "Expect:");
        std::string signature;
        if (!o_.secret.empty()) {
            signature = "X-NetSentinel-Signature: " + webhook_signature(o_.secret, body);
            headers = lib.slist_append(headers, signature.c_str());
        }
        CURL* c = curl_;
        lib.easy_reset(c);
        lib.easy_setopt(c, CURLOPT_URL, o_.url.c_str());
        lib.easy_setopt(c, CURLOPT_POST, 1L);
        lib.easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
        lib.easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
        lib.easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        lib.easy_setopt(c, CURLOPT_USERAGENT, "NetSentinel-webhook/1");
        libcurl::HttpsPolicy https;
        https.ca_file = o_.ca_file;  // "" = the system store
        libcurl::apply_https_policy(lib, c, https);
        const auto timeout_ms = static_cast<long>(o_.timeout_s * 1000);
        lib.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
        lib.easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
        lib.easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_body);
        std::array<char, CURL_ERROR_SIZE> error{};
        lib.easy_setopt(c, CURLOPT_ERRORBUFFER, error.data());
        const CURLcode rc = lib.easy_perform(c);
        lib.slist_free_all(headers);
        if (rc != CURLE_OK) {
            return DeliveryError{Failure::kTransient, error[0] != '\0'
                                                          ? std::string(error.data())
                                                          : std::string(lib.easy_strerror(rc))};
        }
        long status = 0;
        lib.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200 && status < 300) {
            return std::nullopt;
        }
        const bool transient = status == 408 || status == 429 || status >= 500 || status < 200;
        return DeliveryError{transient ? Failure::kTransient : Failure::kRejected,
                             fmt::format("HTTP status {}", status)};
    }

    void close() override {
        if (curl_ != nullptr) {
            // A handle exists only if the library was loaded.
            (*libcurl::library())->easy_cleanup(curl_);
            curl_ = nullptr;
        }
    }

  private:
    WebhookOptions o_;
    CURL* curl_ = nullptr;
};

}  // namespace

std::string webhook_signature(const std::string& secret, const std::string& body) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac.data(), &len);
    std::string hex = "sha256=";
    for (unsigned int i = 0; i < len; ++i) {
        hex += fmt::format("{:02x}", mac[i]);
    }
    return hex;
}

std::string webhook_alert_json(const schema::Alert& alert) {
    auto j = nlohmann::ordered_json::parse(schema::to_json(alert), nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return "{}";
    }
    if (alert.flow) {
        if (std::string cid = community_id(*alert.flow); !cid.empty()) {
            j["community_id"] = cid;
        }
    }
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string webhook_body(const std::vector<std::string>& alerts) {
    std::string body =
        fmt::format(R"({{"source":"netsentinel","count":{},"alerts":[)", alerts.size());
    for (size_t i = 0; i < alerts.size(); ++i) {
        if (i > 0) {
            body += ',';
        }
        body += alerts[i];
    }
    body += "]}";
    return body;
}

std::unique_ptr<Sink> make_webhook_sink(WebhookOptions options) {
    return std::make_unique<WebhookSink>(std::move(options));
}

}  // namespace sentinel::outputs
