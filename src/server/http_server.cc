// The only translation unit with Boost.Beast/Asio code (compile cost: keep it that way).
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange

#include "server/http_server.h"

#include <openssl/ssl.h>
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <list>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/log.h"

namespace sentinel::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using beast::error_code;
using net::awaitable;
using net::use_awaitable;

namespace {

constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
constexpr auto kRequestTimeout = std::chrono::seconds(30);
constexpr auto kIdleTimeout = std::chrono::seconds(60);
constexpr auto kWriteTimeout = std::chrono::seconds(30);
constexpr auto kWsWriteStall = std::chrono::seconds(5);
constexpr auto kWsPace = std::chrono::milliseconds(100);  // at most 10 flushes per second
constexpr auto kRetentionEvery = std::chrono::seconds(60);
constexpr auto kAgentPruneEvery = std::chrono::hours(1);
constexpr const char* kCiphers =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";

using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using WsStream = websocket::stream<TlsStream>;

bool is_timeout(const error_code& ec) {
    return ec == beast::error::timeout || ec == net::error::timed_out;
}

// Runs Api::handle and resumes the coroutine on its own executor with the response.
template <typename Token>
auto async_api(Api& api, HttpRequest req, Token&& token) {
    return net::async_initiate<Token, void(HttpResponse)>(
        [&api](auto handler, HttpRequest r) {
            auto ex = net::get_associated_executor(handler);
            auto h = std::make_shared<decltype(handler)>(std::move(handler));
            api.handle(std::move(r), [h, ex](HttpResponse resp) {
                net::post(ex, [h, resp = std::move(resp)]() mutable { (*h)(std::move(resp)); });
            });
        },
        token, std::move(req));
}

std::string host_literal(const net::ip::address& a) {
    if (a.is_v6()) {
        const auto v6 = a.to_v6();
        if (v6.is_v4_mapped()) {
            return net::ip::make_address_v4(net::ip::v4_mapped, v6).to_string();
        }
        return "[" + v6.to_string() + "]";
    }
    return a.to_string();
}

bool is_wildcard(const std::string& host) {
    return host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]";
}

// One WebSocket client: its pending updates and the timer that wakes its writer.
struct WsClient : Subscriber, std::enable_shared_from_this<WsClient> {
    WsClient(WsStream stream) : ws(std::move(stream)), wake_timer(ws.get_executor()) {}

    void wake() override {
        net::post(ws.get_executor(), [self = weak_from_this()] {
            if (auto s = self.lock())
                s->wake_timer.cancel();
        });
    }

    WsStream ws;
    net::steady_timer wake_timer;
    bool closed = false;
    std::atomic<int64_t> write_started_ms{0};  // 0 when no write is in flight
};

// One accepted connection as the connection table sees it.
struct Conn {
    Conn(std::string p, net::any_io_executor e) : peer(std::move(p)), ex(std::move(e)) {}
    const std::string peer;         // the per-address key (host_literal of the peer)
    const net::any_io_executor ex;  // the session's strand
    // Session strand only: the socket while the session waits for its peer (idle).
    beast::tcp_stream* waiting = nullptr;
    // Set once when the connection is chosen to make room; it closes at its next idle point.
    std::atomic<bool> shed{false};
    // Under ConnTable's mutex only.
    bool idle = false;
    bool counted = false;
    std::list<std::weak_ptr<Conn>>::iterator idle_pos;
};

// Concurrent connections, total and per peer address, and the idle ones in the order they became
// idle. A connection is idle while the server waits for its peer: before or during the TLS
// handshake, and before each request's header (keep-alive). Thread-safe.
class ConnTable {
  public:
    enum class Admit { kOk, kAddressLimit, kTotalLimit };

    void set_limits(size_t total, size_t per_address) {
        std::lock_guard lock(mu_);
        max_total_ = total;
        max_per_address_ = per_address;
    }

    // Counts `c` in, unless its address is at its cap. At the total cap, the oldest idle
    // connection is taken out of the count to make room and returned in `shed` for the caller to
    // close; with no idle connection, `c` is refused.
    Admit admit(const std::shared_ptr<Conn>& c, std::shared_ptr<Conn>* shed) {
        std::lock_guard lock(mu_);
        if (auto it = per_address_.find(c->peer);
            it != per_address_.end() && it->second >= max_per_address_) {
            return Admit::kAddressLimit;
        }
        if (total_ >= max_total_) {
            while (!idle_.empty() && !*shed) {
                auto victim = idle_.front().lock();
                idle_.pop_front();
                if (!victim)
                    continue;
                victim->idle = false;
                victim->shed = true;
                uncount(*victim);
                *shed = std::move(victim);
            }
            if (!*shed)
                return Admit::kTotalLimit;
        }
        ++per_address_[c->peer];
        ++total_;
        c->counted = true;
        return Admit::kOk;
    }

    // Puts `c` at the end of the idle list (no change when it is already idle); false when it has
    // been shed and should close.
    bool set_idle(const std::shared_ptr<Conn>& c) {
        std::lock_guard lock(mu_);
        if (c->shed)
            return false;
        if (!c->idle) {
            c->idle = true;
            c->idle_pos = idle_.insert(idle_.end(), c);
        }
        return true;
    }

    void set_busy(Conn& c) {
        std::lock_guard lock(mu_);
        if (c.idle) {
            idle_.erase(c.idle_pos);
            c.idle = false;
        }
    }

    void release(Conn& c) {
        std::lock_guard lock(mu_);
        if (c.idle) {
            idle_.erase(c.idle_pos);
            c.idle = false;
        }
        uncount(c);
    }

  private:
    void uncount(Conn& c) {
        if (!c.counted)
            return;
        c.counted = false;
        --total_;
        if (auto it = per_address_.find(c.peer); it != per_address_.end() && --it->second == 0)
            per_address_.erase(it);
    }

    std::mutex mu_;
    size_t max_total_ = 10'000;
    size_t max_per_address_ = 256;
    size_t total_ = 0;
    std::unordered_map<std::string, size_t> per_address_;
    std::list<std::weak_ptr<Conn>> idle_;  // oldest idle first
};

// Raises the soft open-file limit to the hard one; returns the limit now in force.
uint64_t raise_nofile_limit() {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rlimit want = rl;
        // An unlimited hard limit cannot be the soft one; the kernel's nr_open default is 2^20.
        want.rlim_cur = rl.rlim_max == RLIM_INFINITY ? rlim_t{1} << 20 : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &want) == 0)
            rl = want;
    }
    return rl.rlim_cur == RLIM_INFINITY ? uint64_t{1} << 20 : static_cast<uint64_t>(rl.rlim_cur);
}

int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

struct HttpServer::Impl {
    Impl(const config::Config& c, Api& a, LiveState& l, Metrics& m, store::Store& s)
        : config(c),
          api(a),
          live(l),
          metrics(m),
          store(s),
          tls(ssl::context::tls_server),
          gui(ioc),
          agent(ioc),
          redirect(ioc),
          ticker(ioc),
          signals(ioc) {}

    const config::Config& config;
    Api& api;
    LiveState& live;
    Metrics& metrics;
    store::Store& store;

    // Before ioc: sessions still pending when ioc is destroyed release their place here.
    ConnTable conns;
    net::io_context ioc;
    // Asio I/O objects must not be used from two threads at once, and ioc runs on several: the
    // accept loops and close_everything() (which closes the acceptors) run on `control`, the
    // housekeeping loop and the cancel of its timer on `housekeeping_strand`.
    net::strand<net::io_context::executor_type> control{net::make_strand(ioc)};
    net::strand<net::io_context::executor_type> housekeeping_strand{net::make_strand(ioc)};
    ssl::context tls;
    tcp::acceptor gui, agent, redirect;
    net::steady_timer ticker;
    net::signal_set signals;
    bool redirect_enabled = false;
    std::atomic<bool> stopping{false};
    std::atomic<int> in_flight{0};  // requests between parsing and their answer

    // Holds a connection's place in the table for the life of its session.
    struct ConnSlot {
        ConnSlot(ConnTable& t, std::shared_ptr<Conn> c) : table(t), conn(std::move(c)) {}
        ConnSlot(const ConnSlot&) = delete;
        ConnSlot& operator=(const ConnSlot&) = delete;
        ~ConnSlot() {
            conn->waiting = nullptr;  // the stream it pointed to is gone (runs on the strand)
            table.release(*conn);
        }
        ConnTable& table;
        std::shared_ptr<Conn> conn;
    };

    // The session waits for its peer on `s`: the connection may be shed from now on. False when
    // it already was.
    bool wait_idle(const std::shared_ptr<Conn>& c, beast::tcp_stream& s) {
        c->waiting = &s;
        return conns.set_idle(c);
    }
    void set_busy(Conn& c) {
        c.waiting = nullptr;
        conns.set_busy(c);
    }

    // Applies the caps: raises the open-file limit and keeps the connection cap below it, with
    // room for the store, outputs and logs.
    void set_connection_limits() {
        const uint64_t nofile = raise_nofile_limit();
        const uint64_t headroom = std::max<uint64_t>(64, nofile / 8);
        const uint64_t by_files = nofile > headroom ? nofile - headroom : 1;
        const uint64_t total = std::min<uint64_t>(config.max_connections, by_files);
        conns.set_limits(total, config.max_connections_per_ip);
        SENTINEL_LOG(info, "server", "open-file limit {}; at most {} connections ({} per address)",
                     nofile, total, config.max_connections_per_ip);
    }

    std::mutex ws_mu;
    std::vector<std::weak_ptr<WsClient>> ws_clients;

    Status setup_tls() {
        error_code ec;
        tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                            ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                            ssl::context::no_tlsv1_1 | ssl::context::single_dh_use |
                            ssl::context::no_compression,
                        ec);
        SSL_CTX* ctx = tls.native_handle();
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
        SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
        if (SSL_CTX_set_cipher_list(ctx, kCiphers) != 1) {
            return Status::error("the TLS cipher list was refused");
        }
        tls.use_certificate_chain_file(config.server_cert, ec);
        if (ec) {
            return Status::error("cannot load the server certificate " + config.server_cert + ": " +
                                 ec.message());
        }
        tls.use_private_key_file(config.server_key, ssl::context::pem, ec);
        if (ec) {
            return Status::error("cannot load the server key " + config.server_key + ": " +
                                 ec.message());
        }
        if (SSL_CTX_check_private_key(ctx) != 1) {
            return Status::error("the server key does not match the certificate");
        }
        return Status::ok();
    }

    Status bind(tcp::acceptor& acc, uint16_t port, const char* what) {
        error_code ec;
        net::ip::address addr;
        const std::string& host = config.server_host;
        if (host.empty()) {
            addr = net::ip::address_v4::any();
        } else {
            std::string h = host;
            if (h.size() > 2 && h.front() == '[' && h.back() == ']')
                h = h.substr(1, h.size() - 2);
            addr = net::ip::make_address(h, ec);
            if (ec) {
                tcp::resolver resolver(ioc);
                auto results = resolver.resolve(h, "", ec);
                if (ec || results.empty()) {
                    return Status::error("cannot resolve server_host " + host);
                }
                addr = results.begin()->endpoint().address();
            }
        }
        const tcp::endpoint ep(addr, port);
        acc.open(ep.protocol(), ec);
        if (!ec)
            acc.set_option(net::socket_base::reuse_address(true), ec);
        if (!ec)
            acc.bind(ep, ec);
        if (!ec)
            acc.listen(net::socket_base::max_listen_connections, ec);
        if (ec) {
            return Status::error(std::string("cannot listen on the ") + what + " port " +
                                 std::to_string(port) + ": " + ec.message());
        }
        return Status::ok();
    }

    awaitable<void> accept_loop(tcp::acceptor& acc, int kind) {
        for (;;) {
            tcp::socket sock(net::make_strand(ioc));
            error_code ec;
            co_await acc.async_accept(sock, net::redirect_error(use_awaitable, ec));
            if (ec) {
                if (!acc.is_open() || stopping)
                    co_return;
                // Out of descriptors or similar: pause instead of spinning.
                net::steady_timer t(ioc, std::chrono::milliseconds(100));
                co_await t.async_wait(net::redirect_error(use_awaitable, ec));
                continue;
            }
            metrics.connection_accepted();
            const auto peer = sock.remote_endpoint(ec);
            if (ec) {
                sock.close(ec);  // already gone
                continue;
            }
            sock.set_option(tcp::no_delay(true), ec);
            auto conn = std::make_shared<Conn>(host_literal(peer.address()), sock.get_executor());
            std::shared_ptr<Conn> shed;
            const auto admitted = conns.admit(conn, &shed);
            if (shed) {
                metrics.conn_error(ConnError::kIdleShed);
                net::post(shed->ex, [shed] {
                    if (shed->waiting) {
                        error_code cec;
                        shed->waiting->socket().close(cec);
                    }
                });
            }
            if (admitted != ConnTable::Admit::kOk) {
                metrics.conn_error(admitted == ConnTable::Admit::kAddressLimit
                                       ? ConnError::kAddressLimit
                                       : ConnError::kConnLimit);
                sock.close(ec);
                continue;
            }
            auto ex = sock.get_executor();
            if (kind == 2) {
                net::co_spawn(ex, redirect_session(std::move(sock), std::move(conn)),
                              net::detached);
            } else {
                net::co_spawn(ex,
                              tls_session(std::move(sock), std::move(conn),
                                          kind == 0 ? Port::kGui : Port::kAgent),
                              net::detached);
            }
        }
    }

    awaitable<void> redirect_session(tcp::socket sock, std::shared_ptr<Conn> conn) {
        ConnSlot slot(conns, conn);
        beast::tcp_stream stream(std::move(sock));
        beast::flat_buffer buf;
        http::request_parser<http::empty_body> parser;
        parser.header_limit(8192);
        stream.expires_after(kRequestTimeout);
        error_code ec;
        if (!wait_idle(conn, stream))
            co_return;
        // The header is enough; any body is ignored and the connection closed after the 301.
        co_await http::async_read_header(stream, buf, parser,
                                         net::redirect_error(use_awaitable, ec));
        set_busy(*conn);
        if (conn->shed)
            co_return;
        if (ec) {
            metrics.conn_error(is_timeout(ec) ? ConnError::kTimeout : ConnError::kReadError);
            co_return;
        }
        // The Location comes from the configured host or the address the client reached, never
        // from the client's Host header.
        std::string host;
        if (!is_wildcard(config.server_host)) {
            error_code aec;
            const auto a = net::ip::make_address(config.server_host, aec);
            host = aec ? config.server_host : host_literal(a);
        } else {
            const auto local = stream.socket().local_endpoint(ec);
            host = ec ? "localhost" : host_literal(local.address());
        }
        std::string target(parser.get().target());
        if (target.empty() || target[0] != '/')
            target = "/";
        http::response<http::empty_body> res{http::status::moved_permanently, 11};
        res.set(http::field::location,
                "https://" + host + ":" + std::to_string(gui.local_endpoint(ec).port()) + target);
        res.set(http::field::content_type, "text/plain");
        res.content_length(0);
        res.keep_alive(false);
        stream.expires_after(kWriteTimeout);
        co_await http::async_write(stream, res, net::redirect_error(use_awaitable, ec));
        stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    }

    awaitable<void> tls_session(tcp::socket sock, std::shared_ptr<Conn> conn, Port port) {
        ConnSlot slot(conns, conn);
        error_code ec;
        const std::string& peer_ip = conn->peer;
        beast::tcp_stream stream(std::move(sock));
        beast::flat_buffer buf;
        stream.expires_after(kHandshakeTimeout);
        // Until the first request's header has arrived the connection counts as idle.
        if (!wait_idle(conn, stream))
            co_return;
        const bool is_tls =
            co_await beast::async_detect_ssl(stream, buf, net::redirect_error(use_awaitable, ec));
        if (conn->shed)
            co_return;
        if (ec) {
            metrics.conn_error(is_timeout(ec) ? ConnError::kTimeout : ConnError::kReadError);
            co_return;
        }
        if (!is_tls) {
            metrics.conn_error(ConnError::kPlainHttpOnTls);
            co_return;
        }
        TlsStream tls_stream(std::move(stream), tls);
        if (!wait_idle(conn, beast::get_lowest_layer(tls_stream)))
            co_return;
        const size_t used = co_await tls_stream.async_handshake(
            ssl::stream_base::server, buf.data(), net::redirect_error(use_awaitable, ec));
        if (conn->shed)
            co_return;
        if (ec) {
            metrics.conn_error(is_timeout(ec) ? ConnError::kTimeout : ConnError::kTlsHandshake);
            SENTINEL_LOG(debug, "server", "TLS handshake from {} failed: {}", peer_ip,
                         ec.message());
            co_return;
        }
        buf.consume(used);

        for (bool first = true;; first = false) {
            http::request_parser<http::string_body> parser;
            parser.header_limit(16 * 1024);
            parser.body_limit(config.max_body_bytes);
            beast::get_lowest_layer(tls_stream)
                .expires_after(first ? kRequestTimeout : kIdleTimeout);
            if (!wait_idle(conn, beast::get_lowest_layer(tls_stream)))
                co_return;
            co_await http::async_read_header(tls_stream, buf, parser,
                                             net::redirect_error(use_awaitable, ec));
            set_busy(*conn);
            if (conn->shed)
                co_return;
            if (!ec && !parser.is_done()) {
                // libcurl waits a second for "100 Continue" before sending a large body.
                if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
                    http::response<http::empty_body> cont{http::status::continue_, 11};
                    co_await http::async_write(tls_stream, cont,
                                               net::redirect_error(use_awaitable, ec));
                }
                if (!ec) {
                    beast::get_lowest_layer(tls_stream).expires_after(kRequestTimeout);
                    co_await http::async_read(tls_stream, buf, parser,
                                              net::redirect_error(use_awaitable, ec));
                }
            }
            if (ec == http::error::end_of_stream || ec == net::error::eof ||
                ec == ssl::error::stream_truncated) {
                break;
            }
            if (ec == http::error::body_limit) {
                metrics.reject(Reject::kBodyTooLarge);
                auto resp = HttpResponse::error(413, "Body too large");
                co_await write_response(tls_stream, resp, 11, false);
                break;
            }
            if (ec) {
                metrics.conn_error(is_timeout(ec) ? ConnError::kTimeout : ConnError::kReadError);
                if (!is_timeout(ec) && ec != net::error::connection_reset) {
                    auto resp = HttpResponse::error(400, "Bad request");
                    co_await write_response(tls_stream, resp, 11, false);
                }
                break;
            }
            auto& req = parser.get();
            HttpRequest r;
            r.method = std::string(req.method_string());
            r.target = std::string(req.target());
            r.peer_ip = peer_ip;
            r.port = port;
            for (const auto& f : req) {
                std::string name(f.name_string());
                for (auto& c : name)
                    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                r.headers.emplace_back(std::move(name), std::string(f.value()));
            }
            if (port == Port::kGui && websocket::is_upgrade(req) && r.path() == "/ws") {
                auto check = api.check_websocket(r);
                if (!check.identity) {
                    co_await write_response(tls_stream, check.refusal, req.version(), false);
                    break;
                }
                co_await ws_session(std::move(tls_stream), std::move(req), *check.identity, r);
                co_return;
            }
            const bool keep_alive = req.keep_alive() && !stopping;
            const unsigned version = req.version();
            r.body = std::move(req.body());
            ++in_flight;
            HttpResponse resp = co_await async_api(api, std::move(r), use_awaitable);
            const bool written = co_await write_response(tls_stream, resp, version, keep_alive);
            --in_flight;
            if (!written || !keep_alive) {
                break;
            }
        }
        beast::get_lowest_layer(tls_stream).expires_after(std::chrono::seconds(3));
        co_await tls_stream.async_shutdown(net::redirect_error(use_awaitable, ec));
    }

    template <typename Stream>
    awaitable<bool> write_response(Stream& s, HttpResponse& resp, unsigned version,
                                   bool keep_alive) {
        error_code ec;
        beast::get_lowest_layer(s).expires_after(kWriteTimeout);
        if (!resp.stream) {
            http::response<http::string_body> res{static_cast<http::status>(resp.status), version};
            res.set(http::field::server, "NetSentinel");
            res.set(http::field::content_type, resp.content_type);
            for (const auto& [k, v] : resp.headers)
                res.insert(k, v);
            res.keep_alive(keep_alive);
            res.body() = std::move(resp.body);
            res.prepare_payload();
            co_await http::async_write(s, res, net::redirect_error(use_awaitable, ec));
            co_return !ec;
        }
        http::response<http::empty_body> res{static_cast<http::status>(resp.status), version};
        res.set(http::field::server, "NetSentinel");
        res.set(http::field::content_type, resp.content_type);
        for (const auto& [k, v] : resp.headers)
            res.insert(k, v);
        res.keep_alive(keep_alive);
        res.chunked(true);
        http::response_serializer<http::empty_body> sr{res};
        co_await http::async_write_header(s, sr, net::redirect_error(use_awaitable, ec));
        while (!ec) {
            auto chunk = resp.stream();
            if (!chunk)
                break;
            if (chunk->empty())
                continue;
            beast::get_lowest_layer(s).expires_after(kWriteTimeout);
            co_await net::async_write(s, http::make_chunk(net::buffer(*chunk)),
                                      net::redirect_error(use_awaitable, ec));
        }
        if (!ec) {
            co_await net::async_write(s, http::make_chunk_last(),
                                      net::redirect_error(use_awaitable, ec));
        }
        co_return !ec;
    }

    awaitable<void> ws_session(TlsStream stream, http::request<http::string_body> req, Identity who,
                               HttpRequest upgrade) {
        beast::get_lowest_layer(stream).expires_never();
        auto client = std::make_shared<WsClient>(WsStream(std::move(stream)));
        auto& ws = client->ws;
        ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
        ws.read_message_max(4096);
        ws.auto_fragment(false);  // one frame per message
        error_code ec;
        co_await ws.async_accept(req, net::redirect_error(use_awaitable, ec));
        if (ec)
            co_return;
        {
            std::lock_guard lock(ws_mu);
            std::erase_if(ws_clients, [](const auto& w) { return w.expired(); });
            ws_clients.push_back(client);
        }
        metrics.add_ws_clients(1);
        live.subscribe(client);
        net::co_spawn(ws.get_executor(), ws_reader(client), net::detached);

        auto send = [&](const std::string& text) -> awaitable<bool> {
            client->write_started_ms = steady_ms();
            co_await ws.async_write(net::buffer(text), net::redirect_error(use_awaitable, ec));
            client->write_started_ms = 0;
            co_return !ec;
        };
        const std::string hello =
            R"({"type":"hello","user":)" + std::string("\"") + json_escape(who.user) + "\"}";
        bool ok = co_await send(hello);
        net::steady_timer pace(ws.get_executor());
        auto last_auth_check = std::chrono::steady_clock::now();
        while (ok && !client->closed && !stopping) {
            // A logout (or a revoked token) ends the live feed too.
            if (std::chrono::steady_clock::now() - last_auth_check > std::chrono::seconds(1)) {
                last_auth_check = std::chrono::steady_clock::now();
                if (!api.authenticate(upgrade))
                    break;
            }
            auto p = client->take();
            if (p.empty()) {
                client->wake_timer.expires_after(std::chrono::seconds(5));
                co_await client->wake_timer.async_wait(net::redirect_error(use_awaitable, ec));
                continue;
            }
            const auto now = wall_now();
            if (!p.alerts.empty()) {
                std::string msg = R"({"type":"alerts","alerts":[)";
                for (size_t i = 0; i < p.alerts.size(); ++i) {
                    if (i)
                        msg += ',';
                    msg += p.alerts[i];
                }
                msg += "],\"dropped\":" + std::to_string(p.dropped) + "}";
                ok = co_await send(msg);
            }
            for (size_t i = 0; ok && i < p.messages.size(); ++i) {
                ok = co_await send(p.messages[i]);  // alert_update, suppressions
            }
            if (ok && p.stats) {
                ok = co_await send(R"({"type":"stats","stats":)" + live.stats_json(now) + "}");
            }
            if (ok && p.timeline) {
                ok = co_await send(R"({"type":"timeline","timeline":)" + live.timeline_json(now) +
                                   "}");
            }
            if (ok && p.agents) {
                ok = co_await send(R"({"type":"agents","agents":)" + live.agents_json(now) + "}");
            }
            pace.expires_after(kWsPace);
            co_await pace.async_wait(net::redirect_error(use_awaitable, ec));
        }
        live.unsubscribe(client.get());
        metrics.add_ws_clients(-1);
        if (!client->closed) {
            client->closed = true;
            ws.async_close(websocket::close_code::going_away, [client](error_code) {});
        }
    }

    static std::string json_escape(const std::string& s) {
        std::string out;
        for (char c : s) {
            if (c == '"' || c == '\\') {
                out += '\\';
                out += c;
            } else if (static_cast<unsigned char>(c) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out += c;
            }
        }
        return out;
    }

    awaitable<void> ws_reader(std::shared_ptr<WsClient> client) {
        beast::flat_buffer buf;
        error_code ec;
        while (!ec) {
            co_await client->ws.async_read(buf, net::redirect_error(use_awaitable, ec));
            buf.consume(buf.size());  // the dashboard sends nothing we act on
        }
        client->closed = true;
        client->wake_timer.cancel();
    }

    awaitable<void> housekeeping() {
        auto last_retention = std::chrono::steady_clock::now();
        auto last_prune = last_retention;
        error_code ec;
        while (!stopping) {
            ticker.expires_after(std::chrono::seconds(1));
            co_await ticker.async_wait(net::redirect_error(use_awaitable, ec));
            if (stopping)
                break;
            const auto now = wall_now();
            live.tick(now);
            check_ws_stalls();
            const auto t = std::chrono::steady_clock::now();
            if (t - last_retention >= kRetentionEvery) {
                last_retention = t;
                if (auto r = store.apply_retention(now); !r) {
                    SENTINEL_LOG(warn, "server", "retention failed: {}", r.error());
                }
            }
            if (t - last_prune >= kAgentPruneEvery) {
                last_prune = t;
                (void)store.prune_agents(now - Duration::seconds(86'400));
            }
        }
    }

    void check_ws_stalls() {
        const auto now = steady_ms();
        std::vector<std::shared_ptr<WsClient>> stalled;
        {
            std::lock_guard lock(ws_mu);
            for (const auto& w : ws_clients) {
                auto c = w.lock();
                if (!c)
                    continue;
                const auto started = c->write_started_ms.load();
                if (started != 0 &&
                    now - started >
                        std::chrono::duration_cast<std::chrono::milliseconds>(kWsWriteStall)
                            .count()) {
                    stalled.push_back(std::move(c));
                }
            }
        }
        for (auto& c : stalled) {
            metrics.conn_error(ConnError::kWsDroppedSlow);
            net::post(c->ws.get_executor(), [c] {
                c->closed = true;
                error_code ec;
                beast::get_lowest_layer(c->ws).socket().close(ec);
            });
        }
    }

    void close_everything() {
        error_code ec;
        gui.close(ec);
        agent.close(ec);
        redirect.close(ec);
        net::post(housekeeping_strand, [this] { ticker.cancel(); });
        signals.cancel(ec);
        std::lock_guard lock(ws_mu);
        for (const auto& w : ws_clients) {
            if (auto c = w.lock()) {
                net::post(c->ws.get_executor(), [c] {
                    c->closed = true;
                    c->wake_timer.cancel();
                });
            }
        }
    }
};

HttpServer::HttpServer(const config::Config& config, Api& api, LiveState& live, Metrics& metrics,
                       store::Store& store)
    : impl_(std::make_unique<Impl>(config, api, live, metrics, store)) {}

HttpServer::~HttpServer() = default;

Status HttpServer::start() {
    if (auto st = impl_->setup_tls(); !st)
        return st;
    impl_->set_connection_limits();
    if (auto st = impl_->bind(impl_->gui, impl_->config.gui_port, "dashboard"); !st)
        return st;
    if (auto st = impl_->bind(impl_->agent, impl_->config.agent_port, "agent"); !st)
        return st;
    const int redirect = impl_->config.redirect_port;
    if (redirect != 0) {
        const uint16_t port =
            redirect < 0
                ? (impl_->config.gui_port > 0 ? static_cast<uint16_t>(impl_->config.gui_port - 1)
                                              : uint16_t{0})
                : static_cast<uint16_t>(redirect);
        if (port != 0) {
            if (auto st = impl_->bind(impl_->redirect, port, "redirect"); !st)
                return st;
            impl_->redirect_enabled = true;
        }
    }
    return Status::ok();
}

void HttpServer::run(int threads, bool handle_signals) {
    auto& d = *impl_;
    net::co_spawn(d.control, d.accept_loop(d.gui, 0), net::detached);
    net::co_spawn(d.control, d.accept_loop(d.agent, 1), net::detached);
    if (d.redirect_enabled)
        net::co_spawn(d.control, d.accept_loop(d.redirect, 2), net::detached);
    net::co_spawn(d.housekeeping_strand, d.housekeeping(), net::detached);
    if (handle_signals) {
        d.signals.add(SIGINT);
        d.signals.add(SIGTERM);
        d.signals.async_wait([this](error_code ec, int) {
            if (!ec)
                stop();
        });
    }
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) {
        pool.emplace_back([&d] { d.ioc.run(); });
    }
    d.ioc.run();
    for (auto& t : pool)
        t.join();
}

void HttpServer::stop() {
    auto& d = *impl_;
    if (d.stopping.exchange(true))
        return;
    net::post(d.control, [&d] {
        d.close_everything();
        // Let in-flight requests finish their commits and answers (at most 2 s), then end.
        net::co_spawn(
            d.ioc,
            [&d]() -> awaitable<void> {
                net::steady_timer t(d.ioc);
                error_code ec;
                for (int i = 0; i < 100 && d.in_flight > 0; ++i) {
                    t.expires_after(std::chrono::milliseconds(20));
                    co_await t.async_wait(net::redirect_error(use_awaitable, ec));
                }
                d.ioc.stop();
            },
            net::detached);
    });
}

uint16_t HttpServer::gui_port() const {
    error_code ec;
    return impl_->gui.local_endpoint(ec).port();
}
uint16_t HttpServer::agent_port() const {
    error_code ec;
    return impl_->agent.local_endpoint(ec).port();
}
uint16_t HttpServer::redirect_port() const {
    if (!impl_->redirect_enabled)
        return 0;
    error_code ec;
    return impl_->redirect.local_endpoint(ec).port();
}

}  // namespace sentinel::server
