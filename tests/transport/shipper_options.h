#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "support/test_support.h"
#include "transport/shipper.h"

// Shared by the shipper tests: a clean proxy environment and options for the local stand-in.
namespace sentinel::testing {

// The stand-in listens on loopback; a proxy from the environment must not intercept it.
inline void clear_proxy_environment() {
    for (const char* name : {"https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy",
                             "ALL_PROXY", "no_proxy", "NO_PROXY"}) {
        ::unsetenv(name);
    }
}

// Fast retries, no fsync, no periodic heartbeat; tests change what they exercise.
inline transport::ShipperOptions stand_in_options(const std::string& url,
                                                  const std::string& ca_cert,
                                                  const std::string& state_dir) {
    transport::ShipperOptions o;
    o.server_url = url;
    o.api_key = "test-key";
    o.ca_cert = ca_cert;
    o.state_dir = state_dir;
    o.identity = {"0123456789abcdef", "test-host", "Linux test", "0.1.0"};
    o.spool_durable = false;
    o.heartbeat_interval = 3600;
    o.backoff_initial = 0.02;
    o.backoff_max = 0.2;
    o.request_timeout = 5;
    o.connect_timeout = 2;
    return o;
}

inline std::unique_ptr<transport::Shipper> make_shipper(const transport::ShipperOptions& o) {
    auto s = transport::Shipper::create(o);
    EXPECT_TRUE(s.is_ok()) << s.error();
    return s ? std::move(*s) : nullptr;
}

// The ids of the alerts a stand-in (StandInServer or an extension of it) stored, in arrival order.
template <typename Server>
std::vector<std::string> stored_ids(const Server& server) {
    std::vector<std::string> ids;
    for (const auto& a : server.alerts()) {
        ids.push_back(a.value("id", ""));
    }
    return ids;
}

}  // namespace sentinel::testing
