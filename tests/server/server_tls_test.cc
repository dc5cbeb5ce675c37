// TLS policy checked with real handshakes, plus the WebSocket push and its access checks.
#include <nlohmann/json.hpp>

#include "fixture.h"

namespace sentinel::server::testing {
namespace {

class ServerTlsTest : public ServerFixture {
  protected:
    CmdResult s_client(uint16_t port, const std::string& args) {
        return run_command("echo | timeout 20 openssl s_client -connect 127.0.0.1:" +
                           std::to_string(port) + " " + args);
    }
    static bool handshake_ok(const CmdResult& r) {
        return r.exit_code == 0 && r.output.find("Cipher is (NONE)") == std::string::npos &&
               r.output.find("New, TLS") != std::string::npos;
    }
};

TEST_F(ServerTlsTest, OnlyTls12And13WithAeadCiphers) {
    start_server();
    for (uint16_t port : {gui_port_, agent_port_}) {
        auto r = s_client(port, "-tls1_1");
        EXPECT_FALSE(handshake_ok(r)) << r.output;
        r = s_client(port, "-tls1");
        EXPECT_FALSE(handshake_ok(r)) << r.output;
        r = s_client(port, "-tls1_2 -cipher AES128-SHA");
        EXPECT_FALSE(handshake_ok(r)) << r.output;
        r = s_client(port, "-tls1_2 -cipher ECDHE-ECDSA-AES128-SHA");  // ECDHE but CBC
        EXPECT_FALSE(handshake_ok(r)) << r.output;
        r = s_client(port, "-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256");
        EXPECT_TRUE(handshake_ok(r)) << r.output;
        EXPECT_NE(r.output.find("ECDHE-ECDSA-AES128-GCM-SHA256"), std::string::npos);
        r = s_client(port, "-tls1_3");
        EXPECT_TRUE(handshake_ok(r)) << r.output;
        EXPECT_NE(r.output.find("TLSv1.3"), std::string::npos);
    }
}

TEST_F(ServerTlsTest, PlainHttpOnTlsPortIsCounted) {
    auto token = create_api_token(config_, "m");
    ASSERT_TRUE(token.is_ok());
    start_server();
    auto r = http("GET", "http://127.0.0.1:" + std::to_string(agent_port_) + "/");
    EXPECT_EQ(r.status, 0);  // connection closed, no answer
    auto m = gui("GET", "/metrics", "", {"Authorization: Bearer " + *token});
    ASSERT_EQ(m.status, 200);
    EXPECT_NE(m.body.find("netsentinel_connection_errors_total{kind=\"plain_http_on_tls\"} 1"),
              std::string::npos)
        << m.body;
}

TEST_F(ServerTlsTest, WebSocketPushesAlertsToLoggedInSameOrigin) {
    start_server();
    const std::string cookie = login();
    const std::string origin = "https://127.0.0.1:" + std::to_string(gui_port_);
    const std::string base = std::string("/usr/bin/python3 ") + WS_CLIENT + " " +
                             std::to_string(gui_port_) + " " + std::to_string(agent_port_) + " " +
                             cert_ + " ";
    auto r = run_command("timeout 60 " + base + cookie + " " + origin + " " + kApiKey);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output, "101\npushed\n");
    // No session.
    r = run_command("timeout 60 " + base + "'' " + origin + " " + kApiKey);
    EXPECT_EQ(r.output, "401\n");
    // A foreign origin, even with a valid session.
    r = run_command("timeout 60 " + base + cookie + " https://evil.example " + kApiKey);
    EXPECT_EQ(r.output, "403\n");
    // No origin at all.
    r = run_command("timeout 60 " + base + cookie + " '' " + kApiKey);
    EXPECT_EQ(r.output, "403\n");
    // Logging out ends the live feed.
    r = run_command("timeout 60 " + base + cookie + " " + origin + " " + kApiKey + " logout");
    EXPECT_EQ(r.output, "101\nclosed\n");
    EXPECT_EQ(gui("GET", "/api/me", "", {"Cookie: ns_session=" + cookie}).status, 401);
}

}  // namespace
}  // namespace sentinel::server::testing
