// HttpClient for the Windows agent: WinHTTP (Schannel, the system's TLS) instead of libcurl.
// The system trust store does not know our CA, so WinHTTP is told to accept an unknown root and
// the server certificate is checked here, against ca.crt, in the SENDING_REQUEST callback: that
// runs after the handshake and before any byte of the request (and so the API key) is sent. A
// certificate that does not verify closes the request. The checks themselves (signature, dates,
// host name; Wine's Schannel does not match IP addresses) are in win_cert.cc.

// clang-format off
#include <winsock2.h>
#include <windows.h>
#include <wincrypt.h>
#include <winhttp.h>
// clang-format on

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "platform/platform.h"
#include "transport/http_client.h"
#include "transport/win_cert.h"

#ifndef WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_3
#define WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_3 0x00002000
#endif

namespace sentinel::transport {

namespace {

std::wstring widen(std::string_view text) {
    if (text.empty()) {
        return {};
    }
    const int n =
        ::MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0);
    std::wstring out(static_cast<size_t>(n), L'\0');
    ::MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), out.data(), n);
    return out;
}

std::string narrow(const wchar_t* text, size_t size) {
    if (size == 0) {
        return {};
    }
    const int n = ::WideCharToMultiByte(CP_UTF8, 0, text, static_cast<int>(size), nullptr, 0,
                                        nullptr, nullptr);
    std::string out(static_cast<size_t>(n), '\0');
    ::WideCharToMultiByte(CP_UTF8, 0, text, static_cast<int>(size), out.data(), n, nullptr,
                          nullptr);
    return out;
}

std::string winhttp_error_text(DWORD code) {
    switch (code) {
        case ERROR_WINHTTP_CANNOT_CONNECT:
            return "could not connect to the server";
        case ERROR_WINHTTP_TIMEOUT:
            return "the request timed out";
        case ERROR_WINHTTP_CONNECTION_ERROR:
            return "the connection was reset";
        case ERROR_WINHTTP_NAME_NOT_RESOLVED:
            return "the server name could not be resolved";
        case ERROR_WINHTTP_OPERATION_CANCELLED:
            return "the request was cancelled";
        case ERROR_WINHTTP_SECURE_FAILURE:
            return "the TLS handshake failed or the server certificate was rejected";
        case ERROR_WINHTTP_SECURE_CERT_CN_INVALID:
            return "the server certificate does not name this host";
        case ERROR_WINHTTP_SECURE_CERT_DATE_INVALID:
            return "the server certificate has expired or is not yet valid";
        default:
            break;
    }
    char* text = nullptr;
    const DWORD n = ::FormatMessageA(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_HMODULE |
                                         FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                                     ::GetModuleHandleW(L"winhttp.dll"), code, 0,
                                     reinterpret_cast<LPSTR>(&text), 0, nullptr);
    std::string out = n > 0 && text != nullptr ? std::string(text, n) : std::string();
    if (text != nullptr) {
        ::LocalFree(text);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == '.')) {
        out.pop_back();
    }
    return (out.empty() ? "WinHTTP error" : out) + " (" + std::to_string(code) + ")";
}

FailureKind classify(DWORD code) {
    if (code >= ERROR_WINHTTP_SECURE_CHANNEL_ERROR &&
        code <= ERROR_WINHTTP_SECURE_CERT_WRONG_USAGE) {
        return FailureKind::kTls;
    }
    switch (code) {
        case ERROR_WINHTTP_SECURE_FAILURE:
        case ERROR_WINHTTP_SECURE_CERT_DATE_INVALID:
        case ERROR_WINHTTP_SECURE_CERT_CN_INVALID:
        case ERROR_WINHTTP_SECURE_INVALID_CA:
        case ERROR_WINHTTP_SECURE_CERT_REV_FAILED:
        case ERROR_WINHTTP_SECURE_INVALID_CERT:
        case ERROR_WINHTTP_SECURE_CERT_REVOKED:
        case ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED:
            return FailureKind::kTls;
        case ERROR_WINHTTP_CANNOT_CONNECT:
        case ERROR_WINHTTP_TIMEOUT:
        case ERROR_WINHTTP_CONNECTION_ERROR:
        case ERROR_WINHTTP_NAME_NOT_RESOLVED:
        case ERROR_WINHTTP_INVALID_SERVER_RESPONSE:
        case ERROR_WINHTTP_OPERATION_CANCELLED:
        case ERROR_WINHTTP_RESEND_REQUEST:
            return FailureKind::kConnect;
        default:
            return FailureKind::kOther;
    }
}

// Everything the client keeps between requests (HttpClient::curl_ points here).
struct State {
    HINTERNET session = nullptr;
    HINTERNET connect = nullptr;
    PCCERT_CONTEXT ca = nullptr;
    bool https = true;
    std::wstring host;
    INTERNET_PORT port = 0;
    std::wstring path_prefix;
    std::wstring headers;

    ~State() {
        if (connect != nullptr) {
            ::WinHttpCloseHandle(connect);
        }
        if (session != nullptr) {
            ::WinHttpCloseHandle(session);
        }
        if (ca != nullptr) {
            ::CertFreeCertificateContext(ca);
        }
    }
};

// Per-request context seen by the status callback.
struct RequestContext {
    PCCERT_CONTEXT ca = nullptr;
    const std::wstring* host = nullptr;
    bool checked = false;
    bool rejected = false;
};

void CALLBACK on_status(HINTERNET request, DWORD_PTR context, DWORD status, LPVOID, DWORD) {
    auto* ctx = reinterpret_cast<RequestContext*>(context);
    if (ctx == nullptr || status != WINHTTP_CALLBACK_STATUS_SENDING_REQUEST || ctx->ca == nullptr) {
        return;
    }
    PCCERT_CONTEXT cert = nullptr;
    DWORD size = sizeof(cert);
    if (!::WinHttpQueryOption(request, WINHTTP_OPTION_SERVER_CERT_CONTEXT, &cert, &size) ||
        cert == nullptr) {
        // A reused connection was verified when it was set up; WinHTTP still reports its cert.
        ctx->rejected = true;
    } else {
        ctx->rejected =
            !wincert::signed_by(cert, ctx->ca) || !wincert::names_host(cert, *ctx->host);
        ::CertFreeCertificateContext(cert);
    }
    ctx->checked = true;
    if (ctx->rejected) {
        // Documented way to refuse a server from this callback: nothing is sent after it.
        ::WinHttpCloseHandle(request);
    }
}

double steady_now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Checks the server before anything secret goes out: a bodyless GET of "/" without the API key,
// then its certificate against ca.crt and the host name. The real request then reuses this
// verified keep-alive connection; a new connection is checked again in on_status. (The probe
// is there because Wine's WinHTTP still sends a request whose handle on_status closed.)
HttpResult verify_server(State& s, int timeout_ms, int connect_timeout_ms) {
    HttpResult result;
    HINTERNET probe =
        ::WinHttpOpenRequest(s.connect, L"GET", (s.path_prefix + L"/").c_str(), nullptr,
                             WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, WINHTTP_FLAG_SECURE);
    if (probe == nullptr) {
        const DWORD code = ::GetLastError();
        result.failure = classify(code);
        result.error = winhttp_error_text(code);
        return result;
    }
    DWORD flags = SECURITY_FLAG_IGNORE_UNKNOWN_CA | SECURITY_FLAG_IGNORE_CERT_CN_INVALID;
    ::WinHttpSetOption(probe, WINHTTP_OPTION_SECURITY_FLAGS, &flags, sizeof(flags));
    ::WinHttpSetTimeouts(probe, connect_timeout_ms, connect_timeout_ms, timeout_ms, timeout_ms);
    // The certificate is read right after the handshake, while the connection is certainly open.
    bool good = false;
    BOOL ok = ::WinHttpSendRequest(probe, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA,
                                   0, 0, 0);
    if (ok) {
        PCCERT_CONTEXT cert = nullptr;
        DWORD size = sizeof(cert);
        if (::WinHttpQueryOption(probe, WINHTTP_OPTION_SERVER_CERT_CONTEXT, &cert, &size) &&
            cert != nullptr) {
            good = wincert::signed_by(cert, s.ca) && wincert::names_host(cert, s.host);
            ::CertFreeCertificateContext(cert);
        }
        ok = ::WinHttpReceiveResponse(probe, nullptr);
    }
    if (!ok) {
        const DWORD code = ::GetLastError();
        ::WinHttpCloseHandle(probe);
        result.failure = classify(code);
        result.error = winhttp_error_text(code);
        return result;
    }
    // Drain the answer so the connection returns to the pool for the real request.
    for (DWORD available = 0;
         good && ::WinHttpQueryDataAvailable(probe, &available) && available > 0;) {
        std::string sink(available, '\0');
        DWORD read = 0;
        if (!::WinHttpReadData(probe, sink.data(), available, &read) || read == 0) {
            break;
        }
    }
    ::WinHttpCloseHandle(probe);
    if (!good) {
        result.failure = FailureKind::kTls;
        result.error =
            "the server certificate is not signed by the configured CA (ca_cert) or does not "
            "name this host; nothing was sent";
    }
    return result;
}

}  // namespace

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {}

HttpClient::~HttpClient() { delete static_cast<State*>(curl_); }

Result<std::unique_ptr<HttpClient>> HttpClient::create(HttpOptions options) {
    auto checked = check_http_options(options);
    if (!checked) {
        return Error{checked.error()};
    }
    const bool https = *checked;

    auto state = std::make_unique<State>();
    state->https = https;
    if (https && !options.insecure && !options.ca_cert.empty()) {
        auto ca = wincert::load_certificate(options.ca_cert);
        if (!ca) {
            return Error{ca.error()};
        }
        state->ca = *ca;
    }

    const std::wstring url = widen(options.base_url);
    URL_COMPONENTS parts{};
    parts.dwStructSize = sizeof(parts);
    parts.dwHostNameLength = static_cast<DWORD>(-1);
    parts.dwUrlPathLength = static_cast<DWORD>(-1);
    if (!::WinHttpCrackUrl(url.c_str(), 0, 0, &parts) || parts.dwHostNameLength == 0) {
        return Error{"server URL \"" + options.base_url + "\" is not a valid URL"};
    }
    state->host.assign(parts.lpszHostName, parts.dwHostNameLength);
    state->port = parts.nPort;
    if (parts.lpszUrlPath != nullptr) {
        state->path_prefix.assign(parts.lpszUrlPath, parts.dwUrlPathLength);
    }

    state->session =
        ::WinHttpOpen(widen(options.user_agent).c_str(), WINHTTP_ACCESS_TYPE_DEFAULT_PROXY,
                      WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
    if (state->session == nullptr) {
        return Error{"cannot start WinHTTP: " + winhttp_error_text(::GetLastError())};
    }
    // TLS 1.2 or newer; older systems without 1.3 get 1.2 alone.
    DWORD protocols = WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_2 | WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_3;
    if (!::WinHttpSetOption(state->session, WINHTTP_OPTION_SECURE_PROTOCOLS, &protocols,
                            sizeof(protocols))) {
        protocols = WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_2;
        ::WinHttpSetOption(state->session, WINHTTP_OPTION_SECURE_PROTOCOLS, &protocols,
                           sizeof(protocols));
    }
    state->connect = ::WinHttpConnect(state->session, state->host.c_str(), state->port, 0);
    if (state->connect == nullptr) {
        return Error{"cannot prepare a connection to " + options.base_url + ": " +
                     winhttp_error_text(::GetLastError())};
    }
    std::wstring headers = L"Content-Type: application/json\r\nAccept: application/json\r\n";
    for (const auto& h : options.headers) {
        headers += widen(h) + L"\r\n";
    }
    state->headers = std::move(headers);

    std::unique_ptr<HttpClient> client(new HttpClient(std::move(options)));
    client->curl_ = state.release();
    return client;
}

HttpResult HttpClient::perform(bool post, std::string_view path, std::string_view body,
                               long timeout_ms, const std::atomic<double>* abort_at) {
    HttpResult result;
    State& s = *static_cast<State*>(curl_);
    const auto fail = [&result](DWORD code, const std::string& prefix = {}) {
        result.failure = classify(code);
        result.error = prefix + winhttp_error_text(code);
        result.body.clear();
        result.retry_after.reset();
        return result;
    };

    const int total = static_cast<int>(std::max(1L, timeout_ms));
    const int connect = static_cast<int>(std::min<long>(options_.connect_timeout_ms, total));
    if (s.https && s.ca != nullptr) {
        HttpResult check = verify_server(s, total, connect);
        if (!check.answered()) {
            return check;
        }
    }

    const std::wstring target = s.path_prefix + widen(path);
    HINTERNET request = ::WinHttpOpenRequest(
        s.connect, post ? L"POST" : L"GET", target.c_str(), nullptr, WINHTTP_NO_REFERER,
        WINHTTP_DEFAULT_ACCEPT_TYPES, s.https ? WINHTTP_FLAG_SECURE : 0);
    if (request == nullptr) {
        return fail(::GetLastError());
    }
    // Closed exactly once: by this thread at the end, or by the watchdog at abort_at.
    std::mutex close_mutex;
    bool closed = false;
    const auto close_request = [&] {
        std::lock_guard<std::mutex> lock(close_mutex);
        if (!closed) {
            closed = true;
            ::WinHttpCloseHandle(request);
        }
    };

    RequestContext ctx;
    ctx.ca = s.ca;
    ctx.host = &s.host;
    DWORD_PTR context_value = reinterpret_cast<DWORD_PTR>(&ctx);
    ::WinHttpSetOption(request, WINHTTP_OPTION_CONTEXT_VALUE, &context_value,
                       sizeof(context_value));
    // On the request itself: handles made before the session's callback was set do not inherit
    // it, and without the callback nothing would check the certificate before sending.
    if (s.ca != nullptr &&
        ::WinHttpSetStatusCallback(request, on_status, WINHTTP_CALLBACK_FLAG_SEND_REQUEST, 0) ==
            WINHTTP_INVALID_STATUS_CALLBACK) {
        const DWORD code = ::GetLastError();
        close_request();
        return fail(code, "cannot install the certificate check: ");
    }
    if (s.https && (s.ca != nullptr || options_.insecure)) {
        // The system store does not hold our CA; on_status checks the chain against ca.crt.
        // In insecure mode every certificate problem is accepted.
        // The host name is checked there too (names_host). Without a CA file
        // (trust_system_store), Schannel verifies the server against the system store alone.
        DWORD flags = SECURITY_FLAG_IGNORE_UNKNOWN_CA | SECURITY_FLAG_IGNORE_CERT_CN_INVALID;
        if (options_.insecure) {
            flags |= SECURITY_FLAG_IGNORE_CERT_DATE_INVALID | SECURITY_FLAG_IGNORE_CERT_WRONG_USAGE;
        }
        ::WinHttpSetOption(request, WINHTTP_OPTION_SECURITY_FLAGS, &flags, sizeof(flags));
    }
    ::WinHttpSetTimeouts(request, connect, connect, total, total);
    DWORD no_redirect = WINHTTP_DISABLE_REDIRECTS;
    ::WinHttpSetOption(request, WINHTTP_OPTION_DISABLE_FEATURE, &no_redirect, sizeof(no_redirect));

    // WinHTTP's synchronous calls can only be cut short by closing the handle from another thread.
    std::mutex wait_mutex;
    std::condition_variable wait_cv;
    bool done = false;
    std::thread watchdog;
    const std::atomic<bool>* cancel = options_.cancel;
    if (abort_at != nullptr || cancel != nullptr) {
        watchdog = std::thread([&] {
            std::unique_lock<std::mutex> lock(wait_mutex);
            while (!done) {
                if ((abort_at != nullptr && steady_now() >= abort_at->load()) ||
                    (cancel != nullptr && cancel->load())) {
                    close_request();
                    return;
                }
                wait_cv.wait_for(lock, std::chrono::milliseconds(50));
            }
        });
    }
    const auto finish = [&] {
        if (watchdog.joinable()) {
            {
                std::lock_guard<std::mutex> lock(wait_mutex);
                done = true;
            }
            wait_cv.notify_all();
            watchdog.join();
        }
        if (!ctx.rejected) {
            close_request();
        }
    };

    BOOL ok =
        post ? ::WinHttpSendRequest(request, s.headers.c_str(), static_cast<DWORD>(-1L),
                                    const_cast<char*>(body.data()), static_cast<DWORD>(body.size()),
                                    static_cast<DWORD>(body.size()), 0)
             : ::WinHttpSendRequest(request, s.headers.c_str(), static_cast<DWORD>(-1L),
                                    WINHTTP_NO_REQUEST_DATA, 0, 0, 0);
    if (ok) {
        ok = ::WinHttpReceiveResponse(request, nullptr);
    }
    if (!ok) {
        const DWORD code = ::GetLastError();
        finish();
        if (ctx.rejected) {
            result.failure = FailureKind::kTls;
            result.error =
                "the server certificate is not signed by the configured CA (ca_cert) or does "
                "not name this host; nothing was sent";
            return result;
        }
        return fail(code);
    }
    if (s.https && s.ca != nullptr && !ctx.checked) {
        // The callback did not run (it always should): refuse rather than trust silently.
        finish();
        result.failure = FailureKind::kTls;
        result.error = "the server certificate could not be checked against the configured CA";
        return result;
    }

    DWORD status = 0;
    DWORD size = sizeof(status);
    if (!::WinHttpQueryHeaders(request, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                               WINHTTP_HEADER_NAME_BY_INDEX, &status, &size,
                               WINHTTP_NO_HEADER_INDEX)) {
        const DWORD code = ::GetLastError();
        finish();
        return fail(code);
    }
    wchar_t retry[64] = {};
    DWORD retry_size = sizeof(retry);
    if (::WinHttpQueryHeaders(request, WINHTTP_QUERY_RETRY_AFTER, WINHTTP_HEADER_NAME_BY_INDEX,
                              retry, &retry_size, WINHTTP_NO_HEADER_INDEX)) {
        // Only the delta-seconds form; an HTTP date falls back to the normal backoff.
        const std::string value = narrow(retry, retry_size / sizeof(wchar_t));
        char* end = nullptr;
        const double seconds = std::strtod(value.c_str(), &end);
        if (end != value.c_str() && seconds >= 0) {
            result.retry_after = seconds;
        }
    }
    for (;;) {
        DWORD available = 0;
        if (!::WinHttpQueryDataAvailable(request, &available)) {
            const DWORD code = ::GetLastError();
            finish();
            return fail(code);
        }
        if (available == 0) {
            break;
        }
        const size_t old = result.body.size();
        if (options_.max_body_bytes != 0 && old + available > options_.max_body_bytes) {
            finish();
            result.failure = FailureKind::kOther;
            result.error =
                "the answer is longer than " + std::to_string(options_.max_body_bytes) + " bytes";
            result.body.clear();
            result.retry_after.reset();
            return result;
        }
        result.body.resize(old + available);
        DWORD read = 0;
        if (!::WinHttpReadData(request, result.body.data() + old, available, &read)) {
            const DWORD code = ::GetLastError();
            finish();
            return fail(code);
        }
        result.body.resize(old + read);
    }
    finish();
    result.status = static_cast<long>(status);
    return result;
}

}  // namespace sentinel::transport
