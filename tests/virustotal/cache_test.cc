#include "virustotal/cache.h"

#include <gtest/gtest.h>

namespace sentinel::virustotal {
namespace {

TEST(Cache, StoresAnswersUntilTheyExpire) {
    auto cache = std::move(Cache::open(":memory:").value());
    Report r;
    r.malicious = 4;
    r.reputation = -3;
    r.country = "NL";
    r.as_owner = "AS X";
    r.expires_at = 1'000;
    ASSERT_TRUE(cache->put("ip:198.51.100.1", r).is_ok());
    const auto got = cache->get("ip:198.51.100.1", 999);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->malicious, 4u);
    EXPECT_EQ(got->reputation, -3);
    EXPECT_EQ(got->country, "NL");
    EXPECT_EQ(got->as_owner, "AS X");
    EXPECT_FALSE(cache->get("ip:198.51.100.1", 1'000).has_value());
    EXPECT_FALSE(cache->get("ip:198.51.100.2", 0).has_value());
}

TEST(Cache, PruneDropsExpiredAndBoundsRows) {
    auto cache = std::move(Cache::open(":memory:").value());
    for (int i = 0; i < 10; ++i) {
        Report r;
        r.expires_at = 100 + i;
        ASSERT_TRUE(cache->put("ip:198.51.100." + std::to_string(i), r).is_ok());
    }
    ASSERT_TRUE(cache->prune(102, 5).is_ok());  // 3 expired, then the 2 oldest of 7
    EXPECT_EQ(cache->size(), 5u);
    EXPECT_FALSE(cache->get("ip:198.51.100.4", 0).has_value());
    EXPECT_TRUE(cache->get("ip:198.51.100.5", 0).has_value());
}

TEST(Cache, DailyBudgetCounter) {
    auto cache = std::move(Cache::open(":memory:").value());
    EXPECT_EQ(cache->used_on(20'000), 0u);
    ASSERT_TRUE(cache->set_used(20'000, 7).is_ok());
    EXPECT_EQ(cache->used_on(20'000), 7u);
    EXPECT_EQ(cache->used_on(20'001), 0u);
}

TEST(Cache, UnusablePathIsAnError) {
    const auto result = Cache::open("/nonexistent-dir/for/sure/x.sqlite3");
    ASSERT_FALSE(result.is_ok());
    EXPECT_NE(result.error().find("cannot be opened"), std::string::npos);
}

}  // namespace
}  // namespace sentinel::virustotal
