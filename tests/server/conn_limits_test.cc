// Connection caps under abuse (docs/server.md, "Connection limits"): idle sockets from one address
// are held to max_connections_per_ip and do not keep other clients out; at max_connections the
// oldest idle connection makes room for a new one.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "fixture.h"

namespace sentinel::server::testing {
namespace {

using Clock = std::chrono::steady_clock;

// A TCP connection from the loopback address `from` to 127.0.0.1:port that sends nothing; -1
// when it cannot connect.
int connect_from(const char* from, uint16_t port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    sockaddr_in local{};
    local.sin_family = AF_INET;
    inet_pton(AF_INET, from, &local.sin_addr);
    sockaddr_in remote{};
    remote.sin_family = AF_INET;
    remote.sin_port = htons(port);
    remote.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
        connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

// True when the server has closed `fd` (end of stream or reset), without waiting.
bool closed_by_server(int fd) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0)
        return false;
    char c;
    return recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

// How many of `fds` the server has closed, waiting up to `wait` for at least `want` of them.
size_t count_closed(const std::vector<int>& fds, size_t want, std::chrono::milliseconds wait) {
    const auto deadline = Clock::now() + wait;
    for (;;) {
        size_t n = 0;
        for (int fd : fds)
            n += closed_by_server(fd) ? 1 : 0;
        if (n >= want || Clock::now() >= deadline)
            return n;
        poll(nullptr, 0, 20);
    }
}

class ConnLimitsTest : public ServerFixture {
  protected:
    void TearDown() override {
        for (int fd : idle_)
            close(fd);
        ServerFixture::TearDown();
    }
    void open_idle(const char* from, int n) {
        for (int i = 0; i < n; ++i) {
            const int fd = connect_from(from, agent_port_);
            ASSERT_GE(fd, 0) << "connect from " << from;
            idle_.push_back(fd);
        }
    }
    void start() {
        auto token = create_api_token(config_, "metrics");
        ASSERT_TRUE(token.is_ok());
        token_ = *token;
        start_server();
    }
    // The value of netsentinel_connection_errors_total{kind=...} (-1 when absent).
    long conn_errors(const std::string& kind) {
        auto m = gui("GET", "/metrics", "", {"Authorization: Bearer " + token_});
        EXPECT_EQ(m.status, 200);
        const std::string key = "netsentinel_connection_errors_total{kind=\"" + kind + "\"} ";
        const auto at = m.body.find(key);
        return at == std::string::npos ? -1 : std::stol(m.body.substr(at + key.size()));
    }
    // Posts one alert from 127.0.0.1 and returns the seconds it took.
    double timed_post(const std::string& id) {
        const auto t0 = Clock::now();
        auto r = post_agent("/api/alert", alert_body("agent-1", "HIGH", id));
        const double s = std::chrono::duration<double>(Clock::now() - t0).count();
        EXPECT_EQ(r.status, 201) << r.body;
        return s;
    }
    std::vector<int> idle_;
    std::string token_;
};

TEST_F(ConnLimitsTest, IdleSocketsFromOneAddressAreCappedAndAgentsGetThrough) {
    config_.max_connections_per_ip = 20;
    start();
    open_idle("127.0.0.2", 100);
    // The 80 beyond the cap are closed at once (not after the 10 s handshake timeout)...
    EXPECT_EQ(count_closed(idle_, 80, std::chrono::seconds(5)), 80u);
    // ...and the 20 admitted ones stay open while they are within their timeouts.
    for (int i = 0; i < 20; ++i)
        EXPECT_FALSE(closed_by_server(idle_[i])) << i;
    // An agent on another address is served at once.
    EXPECT_LT(timed_post("a-1"), 2.0);
    EXPECT_EQ(conn_errors("address_limit"), 80);
}

TEST_F(ConnLimitsTest, AtTheTotalCapTheOldestIdleConnectionMakesRoom) {
    config_.max_connections = 30;
    config_.max_connections_per_ip = 20;
    start();
    open_idle("127.0.0.2", 20);
    open_idle("127.0.0.3", 10);
    EXPECT_EQ(count_closed(idle_, 1, std::chrono::milliseconds(300)), 0u);
    // The table is full of idle sockets; the agent still gets in, the oldest idle one goes.
    EXPECT_LT(timed_post("a-2"), 2.0);
    EXPECT_EQ(count_closed({idle_[0]}, 1, std::chrono::seconds(5)), 1u);
    EXPECT_FALSE(closed_by_server(idle_.back()));  // the newest idle one stays
    // (The /metrics request below may itself have made room.)
    EXPECT_GE(conn_errors("idle_shed"), 1);
    EXPECT_EQ(conn_errors("connection_limit"), 0);
}

}  // namespace
}  // namespace sentinel::server::testing
