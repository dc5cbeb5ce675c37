#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "server/app.h"

namespace sentinel::server::testing {

struct CmdResult {
    int exit_code = -1;
    std::string output;  // stdout and stderr
};
// Runs a shell command (loopback only, never the network).
CmdResult run_command(const std::string& command);

struct Response {
    long status = 0;
    std::string body;
    std::multimap<std::string, std::string> headers;  // lower-case names
    std::string header(const std::string& name) const;
};

// HTTPS (or HTTP) with libcurl; `ca_file` verifies the server certificate.
// `local_ip` binds the client to another loopback address (a second client machine).
Response http(const std::string& method, const std::string& url, const std::string& body = "",
              const std::vector<std::string>& headers = {}, const std::string& ca_file = "",
              const std::string& local_ip = "");

// A temp dir with a self-signed P-256 certificate for localhost / 127.0.0.1, and a server
// started in-process on free loopback ports.
class ServerFixture : public ::testing::Test {
  protected:
    static constexpr const char* kApiKey = "test-api-key-0123456789abcdef";
    static constexpr const char* kAdminPassword = "correct horse battery staple";

    void SetUp() override;
    void TearDown() override;

    // Adjust config_ before calling.
    void start_server();
    void stop_server();

    std::string gui_url(const std::string& path) const;
    std::string agent_url(const std::string& path) const;
    Response post_agent(const std::string& path, const std::string& body,
                        const std::string& key = kApiKey);
    Response gui(const std::string& method, const std::string& path, const std::string& body = "",
                 std::vector<std::string> headers = {});
    // Logs in as admin; returns the session cookie value.
    std::string login();
    static std::string alert_body(const std::string& agent, const std::string& level = "HIGH",
                                  const std::string& id = "");

    std::string dir_;
    std::string cert_, key_;
    config::Config config_;
    std::unique_ptr<ServerApp> app_;
    std::thread thread_;
    uint16_t gui_port_ = 0, agent_port_ = 0, redirect_port_ = 0;
    std::string cookie_;
};

// A free loopback TCP port (bound then released).
uint16_t free_port();

}  // namespace sentinel::server::testing
