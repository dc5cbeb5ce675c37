// The record-file store of the VirusTotal cache (the Windows agent's; built and run on Linux and,
// in the windows preset, under Wine): persistence, torn and damaged files, bounds, compaction.
#include "virustotal/file_cache.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "virustotal/cache.h"

namespace sentinel::virustotal {
namespace {

namespace fs = std::filesystem;

class FileCacheTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("file_cache_test_" +
                std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        path_ = (dir_ / "reputation.cache").string();
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::unique_ptr<FileCache> open() {
        auto cache = FileCache::open(path_);
        EXPECT_TRUE(cache.is_ok()) << (cache.is_ok() ? "" : cache.error());
        return cache.is_ok() ? std::move(cache.value()) : nullptr;
    }
    std::string bytes() const {
        std::ifstream in(path_, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }
    void write(const std::string& content) const {
        std::ofstream(path_, std::ios::binary | std::ios::trunc) << content;
    }

    static Report report(uint32_t malicious, int64_t expires_at) {
        Report r;
        r.malicious = malicious;
        r.suspicious = 2;
        r.harmless = 60;
        r.undetected = 9;
        r.reputation = -12;
        r.country = "NL";
        r.as_owner = "Example AS";
        r.expires_at = expires_at;
        return r;
    }

    fs::path dir_;
    std::string path_;
};

TEST_F(FileCacheTest, AnswersAndBudgetSurviveAReopen) {
    {
        auto cache = open();
        ASSERT_TRUE(cache);
        ASSERT_TRUE(cache->put("ip:203.0.113.10", report(9, 5'000)).is_ok());
        Report missing;
        missing.not_found = true;
        missing.expires_at = 6'000;
        ASSERT_TRUE(cache->put("domain:example.test", missing).is_ok());
        ASSERT_TRUE(cache->set_used(20'000, 3).is_ok());
        ASSERT_TRUE(cache->set_used(20'000, 4).is_ok());
    }
    auto cache = open();
    ASSERT_TRUE(cache);
    EXPECT_EQ(cache->damaged_bytes(), 0u);
    EXPECT_EQ(cache->size(), 2u);
    const auto got = cache->get("ip:203.0.113.10", 4'999);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->malicious, 9u);
    EXPECT_EQ(got->suspicious, 2u);
    EXPECT_EQ(got->harmless, 60u);
    EXPECT_EQ(got->undetected, 9u);
    EXPECT_EQ(got->reputation, -12);
    EXPECT_EQ(got->country, "NL");
    EXPECT_EQ(got->as_owner, "Example AS");
    EXPECT_FALSE(got->not_found);
    EXPECT_EQ(got->expires_at, 5'000);
    ASSERT_TRUE(cache->get("domain:example.test", 0).has_value());
    EXPECT_TRUE(cache->get("domain:example.test", 0)->not_found);
    EXPECT_EQ(cache->used_on(20'000), 4u);
}

TEST_F(FileCacheTest, PlatformStoreIsNamedAndOpensThroughCacheOpen) {
    const std::string name = Cache::file_name();
    EXPECT_TRUE(name == "reputation.sqlite3" || name == "reputation.cache") << name;
    auto cache = Cache::open((dir_ / name).string());
    ASSERT_TRUE(cache.is_ok()) << cache.error();
    ASSERT_TRUE(cache.value()->put("ip:192.0.2.1", report(1, 100)).is_ok());
    EXPECT_TRUE(cache.value()->get("ip:192.0.2.1", 99).has_value());
}

// A crash in the middle of an append leaves part of a record: it is dropped and counted, the
// records before it are kept, and the file is cut back so the next append is readable.
TEST_F(FileCacheTest, TornTailIsDroppedAndCounted) {
    {
        auto cache = open();
        ASSERT_TRUE(cache->put("ip:192.0.2.1", report(1, 100)).is_ok());
        ASSERT_TRUE(cache->put("ip:192.0.2.2", report(2, 100)).is_ok());
    }
    const std::string whole = bytes();
    const std::string third = encode_report_record("ip:192.0.2.3", report(3, 100));
    for (size_t cut = 1; cut < third.size(); cut += 7) {
        write(whole + third.substr(0, cut));
        auto cache = open();
        ASSERT_TRUE(cache);
        EXPECT_EQ(cache->damaged_bytes(), cut);
        EXPECT_EQ(cache->size(), 2u);
        EXPECT_FALSE(cache->get("ip:192.0.2.3", 0).has_value());
        EXPECT_EQ(bytes(), whole) << "the damaged end was not cut off";
    }
    auto cache = open();
    ASSERT_TRUE(cache->put("ip:192.0.2.4", report(4, 100)).is_ok());
    cache = open();
    EXPECT_EQ(cache->damaged_bytes(), 0u);
    EXPECT_EQ(cache->size(), 3u);
}

// One flipped bit in a record fails its CRC: that record and everything after it are dropped.
TEST_F(FileCacheTest, FlippedBitStopsReadingAtThatRecord) {
    std::string content = encode_cache_file({}, {});
    const size_t header = content.size();
    const std::string first = encode_report_record("ip:192.0.2.1", report(1, 100));
    const std::string second = encode_report_record("ip:192.0.2.2", report(2, 100));
    content += first + second + encode_budget_record(7, 1);
    content[header + first.size() + 20] ^= 0x04;
    write(content);
    auto cache = open();
    ASSERT_TRUE(cache);
    EXPECT_EQ(cache->size(), 1u);
    EXPECT_TRUE(cache->get("ip:192.0.2.1", 0).has_value());
    EXPECT_EQ(cache->used_on(7), 0u);
    EXPECT_EQ(cache->damaged_bytes(), content.size() - header - first.size());
}

TEST_F(FileCacheTest, ForeignOrEmptyFileStartsEmpty) {
    for (const std::string& content : {std::string(), std::string("SQLite format 3\0", 16),
                                       std::string(5000, '\xff'), std::string("NSVTC\x01\n", 7)}) {
        write(content);
        auto cache = open();
        ASSERT_TRUE(cache);
        EXPECT_EQ(cache->size(), 0u);
        EXPECT_EQ(cache->damaged_bytes(), content.size());
        ASSERT_TRUE(cache->put("ip:192.0.2.9", report(1, 100)).is_ok());
        EXPECT_TRUE(open()->get("ip:192.0.2.9", 0).has_value());
    }
}

TEST_F(FileCacheTest, ParserRejectsRecordsBeyondTheLimits) {
    const std::string header = encode_cache_file({}, {});
    // A length over the record limit, and a length running past the end.
    for (const uint32_t length : {uint32_t{CacheFileLimits::kMaxRecord + 1}, uint32_t{0xffffffff},
                                  uint32_t{0}, uint32_t{100}}) {
        std::string content = header;
        for (int i = 0; i < 4; ++i) {
            content.push_back(static_cast<char>((length >> (8 * i)) & 0xff));
        }
        content += std::string(12, '\0');
        const CacheContents parsed = parse_cache_file(content);
        EXPECT_EQ(parsed.records, 0u);
        EXPECT_EQ(parsed.valid_bytes, header.size());
        EXPECT_EQ(parsed.damaged_bytes, content.size() - header.size());
    }
    // Over-long text is cut on a character boundary when stored, never refused or split.
    Report long_text = report(1, 100);
    long_text.as_owner = std::string(CacheFileLimits::kMaxText - 1, 'a') + "\xc3\xa9";
    auto cache = open();
    ASSERT_TRUE(cache->put("ip:192.0.2.1", long_text).is_ok());
    EXPECT_EQ(open()->get("ip:192.0.2.1", 0)->as_owner,
              std::string(CacheFileLimits::kMaxText - 1, 'a'));
    EXPECT_FALSE(cache->put(std::string(CacheFileLimits::kMaxKey + 1, 'k'), long_text).is_ok());
    EXPECT_FALSE(cache->put("", long_text).is_ok());
}

// Every request rewrites the day's budget: replaced records are compacted away so the file
// stays near the size of what it holds.
TEST_F(FileCacheTest, ReplacedRecordsAreCompacted) {
    auto cache = open();
    ASSERT_TRUE(cache->put("ip:192.0.2.1", report(1, 100)).is_ok());
    for (uint32_t used = 1; used <= 1'500; ++used) {
        ASSERT_TRUE(cache->set_used(20'000, used).is_ok());
    }
    const uint64_t minimal =
        encode_cache_file({{"ip:192.0.2.1", report(1, 100)}}, {{20'000, 1'500}}).size();
    EXPECT_LT(cache->file_bytes(), minimal + 1100 * 21);
    EXPECT_EQ(cache->file_bytes(), bytes().size());
    auto reopened = open();
    EXPECT_EQ(reopened->used_on(20'000), 1'500u);
    EXPECT_EQ(reopened->size(), 1u);
    EXPECT_EQ(reopened->damaged_bytes(), 0u);
}

TEST_F(FileCacheTest, PruneRewritesTheFile) {
    auto cache = open();
    for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE(cache->put("ip:192.0.2." + std::to_string(i), report(0, 100 + i)).is_ok());
    }
    ASSERT_TRUE(cache->prune(104, 10).is_ok());  // 5 expired, then the 5 soonest of 15
    EXPECT_EQ(cache->size(), 10u);
    EXPECT_EQ(bytes().size(), cache->file_bytes());
    auto reopened = open();
    EXPECT_EQ(reopened->size(), 10u);
    EXPECT_FALSE(reopened->get("ip:192.0.2.9", 0).has_value());
    EXPECT_TRUE(reopened->get("ip:192.0.2.10", 0).has_value());
}

TEST_F(FileCacheTest, EncodeThenParseRoundTrips) {
    std::unordered_map<std::string, Report> reports;
    reports["ip:2001:db8::1"] = report(5, -1);
    reports["domain:xn--bcher-kva.example"] = report(0, INT64_MAX);
    reports["domain:xn--bcher-kva.example"].reputation = INT32_MIN;
    const std::map<int64_t, uint32_t> budget{{-3, 0}, {20'000, UINT32_MAX}};
    const std::string file = encode_cache_file(reports, budget);
    const CacheContents parsed = parse_cache_file(file);
    EXPECT_EQ(parsed.damaged_bytes, 0u);
    EXPECT_EQ(parsed.valid_bytes, file.size());
    EXPECT_EQ(parsed.records, 4u);
    EXPECT_EQ(parsed.budget, budget);
    ASSERT_EQ(parsed.reports.size(), 2u);
    EXPECT_EQ(parsed.reports.at("domain:xn--bcher-kva.example").reputation, INT32_MIN);
    EXPECT_EQ(parsed.reports.at("domain:xn--bcher-kva.example").expires_at, INT64_MAX);
    EXPECT_EQ(parsed.reports.at("ip:2001:db8::1").expires_at, -1);
}

}  // namespace
}  // namespace sentinel::virustotal
