// The Cache contract, for both stores: SQLite (the Linux agent's) and the record file (the
// Windows agent's, file_cache_test.cc has its file-level tests).
#include "virustotal/cache.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "virustotal/file_cache.h"

namespace sentinel::virustotal {
namespace {

struct Store {
    const char* name;
    std::function<Result<std::unique_ptr<Cache>>(const std::string&)> open;
};

template <typename T>
Result<std::unique_ptr<Cache>> open_as(const std::string& path) {
    auto cache = T::open(path);
    if (!cache) {
        return Error{cache.error()};
    }
    return std::unique_ptr<Cache>(std::move(cache.value()));
}

class CacheContract : public ::testing::TestWithParam<Store> {
  protected:
    std::unique_ptr<Cache> memory() { return std::move(GetParam().open(":memory:").value()); }
};

INSTANTIATE_TEST_SUITE_P(Stores, CacheContract,
                         ::testing::Values(Store{"sqlite", open_as<SqliteCache>},
                                           Store{"file", open_as<FileCache>}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_P(CacheContract, StoresAnswersUntilTheyExpire) {
    auto cache = memory();
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

TEST_P(CacheContract, PruneDropsExpiredAndBoundsRows) {
    auto cache = memory();
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

TEST_P(CacheContract, DailyBudgetCounter) {
    auto cache = memory();
    EXPECT_EQ(cache->used_on(20'000), 0u);
    ASSERT_TRUE(cache->set_used(20'000, 7).is_ok());
    EXPECT_EQ(cache->used_on(20'000), 7u);
    EXPECT_EQ(cache->used_on(20'001), 0u);
}

TEST_P(CacheContract, UnusablePathIsAnError) {
    const auto result = GetParam().open("/nonexistent-dir/for/sure/x.cache");
    ASSERT_FALSE(result.is_ok());
    EXPECT_NE(result.error().find("cannot be opened"), std::string::npos);
}

TEST_P(CacheContract, ValidAnswersComeSoonestExpiryFirst) {
    auto cache = memory();
    const int64_t expiries[] = {500, 300, 100, 400, 200};
    for (int i = 0; i < 5; ++i) {
        Report r;
        r.malicious = static_cast<uint32_t>(i);
        r.not_found = i == 2;
        r.expires_at = expiries[i];
        ASSERT_TRUE(cache->put("ip:192.0.2." + std::to_string(i), r).is_ok());
    }
    Report replaced;
    replaced.expires_at = 50;  // a later answer for the same key replaces the first
    ASSERT_TRUE(cache->put("ip:192.0.2.4", replaced).is_ok());
    EXPECT_EQ(cache->size(), 5u);
    std::vector<std::string> keys;
    ASSERT_TRUE(cache
                    ->for_each_valid(150,
                                     [&](const std::string& key, const Report& r) {
                                         keys.push_back(key);
                                         if (key == "ip:192.0.2.2") {
                                             EXPECT_TRUE(r.not_found);
                                         }
                                     })
                    .is_ok());
    EXPECT_EQ(keys, (std::vector<std::string>{"ip:192.0.2.1", "ip:192.0.2.3", "ip:192.0.2.0"}));
}

TEST_P(CacheContract, PruneForgetsBudgetDaysOlderThanAWeek) {
    auto cache = memory();
    ASSERT_TRUE(cache->set_used(100, 5).is_ok());
    ASSERT_TRUE(cache->set_used(107, 6).is_ok());
    ASSERT_TRUE(cache->prune(108 * 86400, 10).is_ok());
    EXPECT_EQ(cache->used_on(100), 0u);
    EXPECT_EQ(cache->used_on(107), 6u);
}

}  // namespace
}  // namespace sentinel::virustotal
