#include "transport/server_url.h"

#include <gtest/gtest.h>

namespace sentinel::transport {
namespace {

TEST(ServerUrl, FlagWinsAndLosesTrailingSlash) {
    const auto u = resolve_server_url("https://10.0.0.5:8444//", "0.0.0.0", 8444);
    EXPECT_EQ(u.url, "https://10.0.0.5:8444");
    EXPECT_EQ(u.warning, "");
}

TEST(ServerUrl, ConfigHostAndAgentPort) {
    EXPECT_EQ(resolve_server_url("", "ids.example.org", 9444).url, "https://ids.example.org:9444");
    EXPECT_EQ(resolve_server_url("", "fd00::5", 8444).url, "https://[fd00::5]:8444");
}

TEST(ServerUrl, WildcardHostBecomesLoopbackWithAWarning) {
    for (const char* host : {"0.0.0.0", "::", ""}) {
        const auto u = resolve_server_url("", host, 8444);
        EXPECT_EQ(u.url, "https://127.0.0.1:8444");
        EXPECT_NE(u.warning.find("--server"), std::string::npos);
    }
}

}  // namespace
}  // namespace sentinel::transport
