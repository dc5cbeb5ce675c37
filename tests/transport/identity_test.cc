#include "transport/identity.h"

#include <gtest/gtest.h>

#include <fstream>

#include "platform/platform.h"
#include "support/test_support.h"

namespace sentinel::transport {
namespace {

TEST(Identity, StableAcrossRestartsAndPrivate) {
    testing::TempDir tmp;
    const std::string dir = tmp.file("state/nested");
    auto first = load_or_create_identity(dir, "1.0.0");
    ASSERT_TRUE(first.is_ok()) << first.error();
    EXPECT_EQ(first->agent_id.size(), 16u);
    EXPECT_EQ(first->hostname, platform::hostname());
    EXPECT_EQ(first->os, platform::os_description());
    auto mode = platform::file_mode(dir + "/agent.json");
    ASSERT_TRUE(mode.is_ok());
    EXPECT_EQ(*mode, 0600u);
    EXPECT_EQ(*platform::file_mode(dir), 0700u);

    auto second = load_or_create_identity(dir, "1.1.0");  // an upgrade keeps the id
    ASSERT_TRUE(second.is_ok());
    EXPECT_EQ(second->agent_id, first->agent_id);
    EXPECT_EQ(second->version, "1.1.0");
    EXPECT_EQ(*platform::file_mode(dir + "/agent.json"), 0600u);
    auto text = platform::read_file(dir + "/agent.json");
    EXPECT_NE(text->find("1.1.0"), std::string::npos);
}

TEST(Identity, DifferentStateDirsGiveDifferentIds) {
    testing::TempDir a, b;
    auto ia = load_or_create_identity(a.path(), "1");
    auto ib = load_or_create_identity(b.path(), "1");
    ASSERT_TRUE(ia.is_ok() && ib.is_ok());
    EXPECT_NE(ia->agent_id, ib->agent_id);
}

TEST(Identity, DamagedFileIsKeptAsideAndReplaced) {
    testing::TempDir tmp;
    std::ofstream(tmp.file("agent.json")) << "{not json";
    auto id = load_or_create_identity(tmp.path(), "1");
    ASSERT_TRUE(id.is_ok());
    EXPECT_EQ(id->agent_id.size(), 16u);
    EXPECT_TRUE(platform::read_file(tmp.file("agent.json.bad")).is_ok());
    auto again = load_or_create_identity(tmp.path(), "1");
    EXPECT_EQ(again->agent_id, id->agent_id);
}

TEST(Identity, UnwritableStateDirIsAClearError) {
    testing::TempDir tmp;
    std::ofstream(tmp.file("file")) << "x";
    auto id = load_or_create_identity(tmp.file("file/sub"), "1");
    ASSERT_FALSE(id.is_ok());
    EXPECT_NE(id.error().find("--state-dir"), std::string::npos);
}

}  // namespace
}  // namespace sentinel::transport
