#include "outputs/syslog.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include "common/ip_address.h"
#include "outputs/community_id.h"
#include "outputs/eve.h"

namespace sentinel::outputs {
namespace {

constexpr std::array<const char*, 24> kFacilityNames = {
    "kern",   "user",   "mail",     "daemon", "auth",   "syslog", "lpr",    "news",
    "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "audit",  "alert",  "clock",
    "local0", "local1", "local2",   "local3", "local4", "local5", "local6", "local7"};

// PRINTUSASCII (33..126) only, at most `max` characters; "-" (NILVALUE) when empty.
std::string header_field(std::string_view text, size_t max) {
    std::string out;
    for (char ch : text) {
        if (out.size() >= max) {
            break;
        }
        const auto u = static_cast<unsigned char>(ch);
        out += (u > 32 && u < 127) ? ch : '_';
    }
    return out.empty() ? "-" : out;
}

// SD-PARAM value: '"', '\' and ']' are escaped (RFC 5424 §6.3.3).
std::string sd_value(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char ch : text) {
        if (ch == '"' || ch == '\\' || ch == ']') {
            out += '\\';
        }
        out += ch;
    }
    return out;
}

std::string rfc3339(Timestamp t) {
    const int64_t secs = t.ns >= 0 ? t.ns / 1'000'000'000 : (t.ns - 999'999'999) / 1'000'000'000;
    const int64_t micros = (t.ns - secs * 1'000'000'000) / 1000;
    const std::time_t tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
}

std::string openssl_error(const char* what) {
    const unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0) {
        return what;
    }
    std::array<char, 256> buf{};
    ERR_error_string_n(e, buf.data(), buf.size());
    return fmt::format("{}: {}", what, buf.data());
}

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left > 0 ? static_cast<int>(left) : 0;
}

// Waits for `events` on fd until the deadline; false on timeout or error.
bool wait_fd(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        pollfd p{fd, events, 0};
        const int r = ::poll(&p, 1, remaining_ms(deadline));
        if (r > 0) {
            return true;
        }
        if (r == 0 || errno != EINTR) {
            return false;
        }
    }
}

class SyslogSink final : public Sink {
  public:
    explicit SyslogSink(SyslogOptions o) : o_(std::move(o)) {}
    ~SyslogSink() override { close(); }

    std::string name() const override { return "syslog"; }
    std::string target() const override {
        const bool v6 = o_.host.find(':') != std::string::npos;
        return fmt::format("{}://{}{}{}:{}", o_.tls ? "tls" : "tcp", v6 ? "[" : "", o_.host,
                           v6 ? "]" : "", o_.port);
    }
    std::string format(const schema::Alert& alert) const override {
        return octet_frame(format_rfc5424(alert, o_.facility, o_.app_name));
    }

    std::optional<DeliveryError> deliver(const std::vector<std::string>& records) override {
        const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                 std::chrono::duration<double>(o_.timeout_s));
        if (fd_ >= 0 && !alive()) {
            close();
        }
        if (fd_ < 0) {
            if (auto err = connect_now(deadline)) {
                close();
                return DeliveryError{Failure::kTransient, *err};
            }
        }
        std::string data;
        for (const auto& r : records) {
            data += r;
        }
        if (auto err = write_all(data, deadline)) {
            close();
            return DeliveryError{Failure::kTransient, *err};
        }
        return std::nullopt;
    }

    void close() override {
        if (ssl_ != nullptr) {
            SSL_free(ssl_);  // no close_notify: the peer may be gone, and records are framed
            ssl_ = nullptr;
        }
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }

  private:
    // A receiver sends nothing on a syslog connection, so readable means it closed (or reset)
    // the connection, or TLS housekeeping (session tickets) that is read and discarded here.
    // Without this check the first record after a receiver restart would vanish into a dead
    // socket.
    bool alive() {
        for (;;) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 0) <= 0) {
                return true;
            }
            if ((p.revents & (POLLERR | POLLHUP)) != 0 && (p.revents & POLLIN) == 0) {
                return false;
            }
            std::array<char, 4096> buf{};
            if (ssl_ != nullptr) {
                const int n = SSL_read(ssl_, buf.data(), static_cast<int>(buf.size()));
                if (n > 0) {
                    continue;
                }
                const int e = SSL_get_error(ssl_, n);
                ERR_clear_error();
                return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
            }
            const ssize_t n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
            if (n > 0) {
                continue;
            }
            return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
        }
    }

    std::optional<std::string> connect_now(Clock::time_point deadline) {
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* res = nullptr;
        const std::string port = std::to_string(o_.port);
        if (int rc = ::getaddrinfo(o_.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
            return fmt::format("cannot resolve {}: {}", o_.host, gai_strerror(rc));
        }
        std::string last = "no address";
        for (addrinfo* ai = res; ai != nullptr && fd_ < 0; ai = ai->ai_next) {
            const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                                    ai->ai_protocol);
            if (fd < 0) {
                last = std::strerror(errno);
                continue;
            }
            int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
            if (rc != 0 && errno == EINPROGRESS) {
                if (!wait_fd(fd, POLLOUT, deadline)) {
                    ::close(fd);
                    last = "connect timed out";
                    continue;
                }
                int err = 0;
                socklen_t len = sizeof err;
                ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
                rc = err == 0 ? 0 : -1;
                errno = err;
            }
            if (rc != 0) {
                last = std::strerror(errno);
                ::close(fd);
                continue;
            }
            const int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
            fd_ = fd;
        }
        ::freeaddrinfo(res);
        if (fd_ < 0) {
            return fmt::format("cannot connect: {}", last);
        }
        if (o_.tls) {
            return handshake(deadline);
        }
        return std::nullopt;
    }

    std::optional<std::string> handshake(Clock::time_point deadline) {
        if (ctx_ == nullptr) {
            ctx_.reset(SSL_CTX_new(TLS_client_method()));
            if (ctx_ == nullptr) {
                return openssl_error("TLS setup failed");
            }
            SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
            SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
            if (SSL_CTX_load_verify_locations(ctx_.get(), o_.ca_file.c_str(), nullptr) != 1) {
                ctx_.reset();
                return openssl_error("cannot load syslog_ca_file");
            }
        }
        ssl_ = SSL_new(ctx_.get());
        if (ssl_ == nullptr) {
            return openssl_error("TLS setup failed");
        }
        SSL_set_fd(ssl_, fd_);
        SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        // The certificate must name the host we were told to reach (RFC 5425 §5.2).
        if (IpAddress::parse(o_.host)) {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), o_.host.c_str());
        } else {
            SSL_set_tlsext_host_name(ssl_, o_.host.c_str());
            SSL_set1_host(ssl_, o_.host.c_str());
        }
        for (;;) {
            const int r = SSL_connect(ssl_);
            if (r == 1) {
                return std::nullopt;
            }
            const int e = SSL_get_error(ssl_, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                if (!wait_fd(fd_, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) {
                    return std::string("TLS handshake timed out");
                }
                continue;
            }
            const long verify = SSL_get_verify_result(ssl_);
            if (verify != X509_V_OK) {
                ERR_clear_error();
                return fmt::format("TLS certificate rejected: {}",
                                   X509_verify_cert_error_string(verify));
            }
            return openssl_error("TLS handshake failed");
        }
    }

    std::optional<std::string> write_all(const std::string& data, Clock::time_point deadline) {
        size_t off = 0;
        while (off < data.size()) {
            const size_t chunk = std::min<size_t>(data.size() - off, 1 << 20);
            if (ssl_ != nullptr) {
                const int n = SSL_write(ssl_, data.data() + off, static_cast<int>(chunk));
                if (n > 0) {
                    off += static_cast<size_t>(n);
                    continue;
                }
                const int e = SSL_get_error(ssl_, n);
                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                    if (!wait_fd(fd_, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) {
                        return std::string("write timed out");
                    }
                    continue;
                }
                return openssl_error("TLS write failed");
            }
            const ssize_t n = ::send(fd_, data.data() + off, chunk, MSG_NOSIGNAL);
            if (n > 0) {
                off += static_cast<size_t>(n);
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                if (!wait_fd(fd_, POLLOUT, deadline)) {
                    return std::string("write timed out");
                }
                continue;
            }
            return fmt::format("write failed: {}", std::strerror(errno));
        }
        return std::nullopt;
    }

    struct CtxFree {
        void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
    };

    SyslogOptions o_;
    std::unique_ptr<SSL_CTX, CtxFree> ctx_;
    SSL* ssl_ = nullptr;
    int fd_ = -1;
};

}  // namespace

int syslog_facility(const std::string& name) {
    for (size_t i = 0; i < kFacilityNames.size(); ++i) {
        if (name == kFacilityNames[i]) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

int syslog_severity(schema::Severity level) {
    switch (level) {
        case schema::Severity::kCritical:
            return 2;
        case schema::Severity::kHigh:
            return 3;
        case schema::Severity::kMedium:
            return 4;
        case schema::Severity::kLow:
            return 5;
        case schema::Severity::kInfo:
            return 6;
    }
    return 6;
}

std::string format_rfc5424(const schema::Alert& a, int facility, const std::string& app_name) {
    static const std::string kProcId = std::to_string(::getpid());
    const int pri = facility * 8 + syslog_severity(a.level);
    const std::string msgid = header_field(a.category, 32);
    std::string sd = fmt::format(
        "[netsentinel@32473 id=\"{}\" agent_id=\"{}\" level=\"{}\" category=\"{}\" src=\"{}\"",
        sd_value(a.id), sd_value(a.agent_id), schema::to_string(a.level), sd_value(a.category),
        sd_value(a.src));
    if (a.flow) {
        if (std::string cid = community_id(*a.flow); !cid.empty()) {
            sd += fmt::format(" community_id=\"{}\"", sd_value(cid));
        }
    }
    sd += fmt::format(" signature_id=\"{}\"]", signature_id(a.category));
    return fmt::format("<{}>1 {} {} {} {} {} {} {}", pri, rfc3339(a.ts),
                       header_field(a.hostname, 255), header_field(app_name, 48), kProcId, msgid,
                       sd, eve_json(a));
}

std::string octet_frame(const std::string& message) {
    return fmt::format("{} {}", message.size(), message);
}

std::unique_ptr<Sink> make_syslog_sink(SyslogOptions options) {
    return std::make_unique<SyslogSink>(std::move(options));
}

Status check_ca_file(const std::string& path) {
    std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)> ctx(SSL_CTX_new(TLS_client_method()),
                                                     SSL_CTX_free);
    if (ctx == nullptr || SSL_CTX_load_verify_locations(ctx.get(), path.c_str(), nullptr) != 1) {
        ERR_clear_error();
        return Status::error(fmt::format("cannot load the CA certificates in {}", path));
    }
    return Status::ok();
}

}  // namespace sentinel::outputs
