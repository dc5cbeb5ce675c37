// libFuzzer entry point for the server's request handling without sockets: every input is one
// HttpRequest for Api::handle, on either port, with or without valid credentials. The Api is
// built as src/server/app.cc builds it, over an SQLite store in a temp dir, once per process
// (rebuilt every kResetEvery inputs, or when an input has taken the harness's credentials away).
// Input format (README.md):
//   byte 0   flags: 0x01 agent port (else GUI), 0x02 valid X-API-Key, 0x04 valid session cookie,
//            0x08 Bearer legacy (viewer) token, 0x10 Bearer admin user token, 0x20 matching
//            Host/Origin headers, 0x40 also run the WebSocket upgrade check
//   then     [u16 little-endian length][bytes] fields: method, target, body, then header name,
//            header value, ... until the input ends (a short last field takes what is left).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "server/api.h"
#include "server/auth.h"
#include "server/http_types.h"
#include "server/live.h"
#include "server/metrics.h"
#include "store/store.h"

namespace {

using namespace sentinel;
using namespace sentinel::server;

constexpr const char* kApiKey = "fuzz-api-key-0123456789abcdef";
constexpr const char* kPassword = "fuzz admin password, not in any corpus";
constexpr const char* kHost = "sentinel.test:8443";
constexpr uint64_t kResetEvery = 5000;

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "fuzz_server_request: %s\n", what.c_str());
    std::abort();
}

void check(bool ok, const char* what) {
    if (!ok) {
        fail(std::string("invariant failed: ") + what);
    }
}

// One server's worth of state, as ServerApp::start() assembles it (no outputs, no network).
class Env {
  public:
    Env() {
        char tmpl[] = "/tmp/fuzz_server_request.XXXXXX";
        const char* d = ::mkdtemp(tmpl);
        check(d != nullptr, "mkdtemp");
        dir_ = d;
        config_.api_key = kApiKey;
        config_.server_host = "127.0.0.1";
        config_.data_dir = dir_ + "/data";
        std::filesystem::create_directories(config_.data_dir);
        store::StoreOptions so;
        auto s = store::open_sqlite(config_.data_dir + "/netsentinel.db", so);
        if (!s) {
            fail("open_sqlite: " + s.error());
        }
        store_ = std::move(s).value();
        LiveOptions lo;
        lo.max_agents = config_.max_agents;
        lo.rate_limit = config_.agent_rate_limit;
        lo.rate_window_s = config_.agent_rate_window;
        lo.offline_after_s = config_.agent_offline_after;
        live_ = std::make_unique<LiveState>(lo, metrics_);
        auto summary = store_->load_summary();
        auto agents = store_->load_agents();
        check(summary.is_ok() && agents.is_ok(), "load summary/agents");
        live_->load(*summary, std::move(agents).value());
        auth_ = std::make_unique<Auth>(*store_);
        check(auth_->ensure_admin(config_.data_dir, kPassword).is_ok(), "ensure_admin");
        api_ = std::make_unique<Api>(config_, *store_, *live_, *auth_, metrics_);
        auto legacy = Auth::create_token(*store_, "fuzz-legacy");
        check(legacy.is_ok(), "create_token");
        legacy_token_ = *legacy;
        auto user = auth_->create_user_token("admin", "fuzz-admin");
        check(user.is_ok(), "create_user_token");
        user_token_ = user->first;
        check(relogin(), "first login");
    }

    ~Env() {
        api_->stop_worker();
        store_->close();
        api_.reset();
        auth_.reset();
        live_.reset();
        store_.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    bool relogin() {
        // Its own client address, so the fuzzed logins' throttling does not lock the harness out.
        auto r = auth_->login("admin", kPassword, "192.0.2.250");
        if (r.outcome != Auth::LoginOutcome::kOk) {
            return false;
        }
        cookie_ = r.session_id;
        return true;
    }

    // False when an input took a credential away for good (deleted user or token, new password).
    bool credentials_ok() {
        if (!auth_->session(cookie_) && !relogin()) {
            return false;
        }
        return auth_->bearer(legacy_token_).has_value() && auth_->bearer(user_token_).has_value();
    }

    Api& api() { return *api_; }
    const std::string& cookie() const { return cookie_; }
    const std::string& legacy_token() const { return legacy_token_; }
    const std::string& user_token() const { return user_token_; }

  private:
    std::string dir_;
    config::Config config_;
    std::unique_ptr<store::Store> store_;
    Metrics metrics_;
    std::unique_ptr<LiveState> live_;
    std::unique_ptr<Auth> auth_;
    std::unique_ptr<Api> api_;
    std::string cookie_, legacy_token_, user_token_;
};

std::unique_ptr<Env>& env() {
    static std::unique_ptr<Env> e;
    return e;
}

// Reads [u16 LE length][bytes]; a short field takes what is left.
bool take_field(std::string_view& in, std::string& out) {
    if (in.size() < 2) {
        return false;
    }
    const size_t n =
        static_cast<uint8_t>(in[0]) | (static_cast<size_t>(static_cast<uint8_t>(in[1])) << 8);
    in.remove_prefix(2);
    const size_t take = std::min(n, in.size());
    out.assign(in.substr(0, take));
    in.remove_prefix(take);
    return true;
}

struct Answer {
    std::mutex mu;
    std::condition_variable cv;
    int calls = 0;
    HttpResponse response;
};

void check_response(const HttpRequest& request, HttpResponse& r) {
    check(r.status >= 100 && r.status <= 599, "status outside 100..599");
    if (r.stream) {
        size_t chunks = 0;
        while (auto chunk = r.stream()) {
            check(++chunks < 1'000'000, "endless stream");
        }
    } else if (r.content_type == "application/json" && !r.body.empty()) {
        check(nlohmann::json::accept(r.body), "application/json body is not JSON");
    }
    if (request.port == Port::kGui) {
        const bool nosniff = std::any_of(r.headers.begin(), r.headers.end(), [](const auto& h) {
            return h.first == "X-Content-Type-Options";
        });
        check(nosniff, "GUI answer without the security headers");
    }
    for (const auto& [name, value] : r.headers) {
        check(name.find_first_of("\r\n:") == std::string::npos, "header name with CR/LF/colon");
        check(value.find_first_of("\r\n") == std::string::npos, "header value with CR/LF");
    }
}

}  // namespace

// OpenSSL keeps per-thread state (DRBG, error queue) that LeakSanitizer reports at exit for the
// Api's password worker thread; not ours and bounded (one block per thread).
extern "C" const char* __lsan_default_suppressions() { return "leak:libcrypto.so\n"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static uint64_t runs = 0;
    if (!env()) {
        spdlog::set_level(spdlog::level::off);
        env() = std::make_unique<Env>();
    }
    if (size == 0) {
        return 0;
    }
    Env& e = *env();
    const uint8_t flags = data[0];
    std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);

    HttpRequest request;
    request.port = (flags & 0x01) ? Port::kAgent : Port::kGui;
    request.peer_ip = "127.0.0.1";
    take_field(in, request.method);
    take_field(in, request.target);
    take_field(in, request.body);
    if (flags & 0x02) {
        request.headers.emplace_back("x-api-key", kApiKey);
    }
    if (flags & 0x04) {
        request.headers.emplace_back("cookie", std::string(Auth::kCookieName) + "=" + e.cookie());
    }
    if (flags & 0x10) {
        request.headers.emplace_back("authorization", "Bearer " + e.user_token());
    }
    if (flags & 0x08) {
        request.headers.emplace_back("authorization", "Bearer " + e.legacy_token());
    }
    if (flags & 0x20) {
        request.headers.emplace_back("host", kHost);
        request.headers.emplace_back("origin", std::string("https://") + kHost);
    }
    std::string name, value;
    while (take_field(in, name)) {
        value.clear();
        take_field(in, value);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        request.headers.emplace_back(name, value);
    }

    if (flags & 0x40) {
        auto ws = e.api().check_websocket(request);
        check(ws.identity.has_value() || ws.refusal.status >= 400, "WebSocket refusal status");
        (void)e.api().authenticate(request);
    }

    auto answer = std::make_shared<Answer>();
    const HttpRequest copy = request;
    e.api().handle(std::move(request), [answer](HttpResponse r) {
        std::lock_guard lock(answer->mu);
        ++answer->calls;
        answer->response = std::move(r);
        answer->cv.notify_all();
    });
    {
        std::unique_lock lock(answer->mu);
        if (!answer->cv.wait_for(lock, std::chrono::seconds(60),
                                 [&] { return answer->calls > 0; })) {
            fail("no answer within 60 s to " + copy.method + " " + copy.target);
        }
        check(answer->calls == 1, "answered twice");
        check_response(copy, answer->response);
    }

    if (++runs % kResetEvery == 0 || !e.credentials_ok()) {
        env().reset();
        env() = std::make_unique<Env>();
    }
    return 0;
}
