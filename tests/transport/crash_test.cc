// kill -9 of an agent mid-delivery: after a restart on the same state directory every alert is
// stored exactly once.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <map>
#include <random>

#include "support/test_support.h"

namespace sentinel::transport {
namespace {

using testing::TempDir;

class CrashTest : public ::testing::TestWithParam<int> {};

TEST_P(CrashTest, KillNineMidFlightLosesNothingAndStoresNothingTwice) {
    for (const char* name : {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}) {
        ::unsetenv(name);
    }
    TempDir pki, out, state;
    ASSERT_TRUE(testing::make_test_pki(pki.path()).is_ok());
    testing::StandInServer server;
    ASSERT_TRUE(server.start(pki.path(), out.path()).is_ok());
    ASSERT_TRUE(server.command("delay 0.02").is_ok());  // keep batches in flight for a while

    constexpr int kCount = 300;
    const std::string program = SENTINEL_BINARY_DIR "/tests/ship_alerts";
    std::mt19937 rng(static_cast<unsigned>(GetParam()) * 7919u + 17u);
    std::uniform_real_distribution<double> when(0.0, 0.25);

    testing::ChildProcess first;
    ASSERT_TRUE(first
                    .start({program, server.url(), pki.file("ca.crt"), state.path(),
                            std::to_string(kCount), "k", "7"})
                    .is_ok());
    auto line = first.read_line(60);
    ASSERT_TRUE(line.is_ok()) << line.error();
    ASSERT_EQ(*line, "spooled");
    // Mid-flight: delivery has begun (the first batch is stored) and, with the stand-in's delay
    // per batch, cannot have finished when the kill lands.
    ASSERT_TRUE(server.wait_for_alerts(1, 60));
    testing::sleep_seconds(when(rng));
    first.kill(SIGKILL);
    const int status = first.wait();
    ASSERT_TRUE(WIFSIGNALED(status));
    const size_t before_restart = server.alerts().size();
    EXPECT_LT(before_restart, static_cast<size_t>(kCount));

    testing::ChildProcess second;
    ASSERT_TRUE(
        second.start({program, server.url(), pki.file("ca.crt"), state.path(), "0", "k", "7"})
            .is_ok());
    do {  // "spooled" (nothing new) comes first
        line = second.read_line(120);
        ASSERT_TRUE(line.is_ok()) << line.error();
    } while (line->rfind("drained", 0) != 0);
    EXPECT_EQ(second.wait(), 0);

    std::map<std::string, int> seen;
    std::vector<std::string> order;
    for (const auto& a : server.alerts()) {
        ++seen[a["id"].get<std::string>()];
        order.push_back(a["id"].get<std::string>());
    }
    EXPECT_EQ(seen.size(), static_cast<size_t>(kCount))
        << "stored before the kill: " << before_restart;
    for (int i = 0; i < kCount; ++i) {
        char id[16];
        std::snprintf(id, sizeof(id), "k%05d", i);
        EXPECT_EQ(seen[id], 1) << id;
    }
    EXPECT_EQ(order.size(), static_cast<size_t>(kCount));     // the stand-in stores an id once
    EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));  // replayed in order
}

INSTANTIATE_TEST_SUITE_P(RandomKillPoints, CrashTest, ::testing::Values(1, 2, 3));

}  // namespace
}  // namespace sentinel::transport
