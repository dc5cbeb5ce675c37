#include "intel/feeds.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "intel/domain.h"

namespace sentinel::intel {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

class FeedIndexTest : public ::testing::Test {
  protected:
    FeedIndexTest()
        : builder_({"blocklist.txt", "feodo.csv", "medium.txt"},
                   {Tier::kHigh, Tier::kCritical, Tier::kMedium}) {}
    FeedIndexBuilder builder_;
};

TEST_F(FeedIndexTest, PlainListWithIpsCidrsDomainsAndComments) {
    const FeedReport r = builder_.add_text(0,
                                           "# a comment\n"
                                           "\n"
                                           "203.0.113.7\n"
                                           "198.51.100.0/24   # trailing comment\n"
                                           "2001:db8:bad::/48\n"
                                           "2001:db8::66\n"
                                           "Evil.Example.\n"
                                           "0.0.0.0 ads.tracker.test\n"
                                           "http://198.18.0.5:8080/bins/x.sh\n"
                                           "this is-not an entry\n"
                                           "300.1.2.3/8\n"
                                           "singlelabel\n");
    EXPECT_EQ(r.entries, 7u);
    EXPECT_EQ(r.bad_lines, 3u);
    EXPECT_EQ(r.first_bad_lines, (std::vector<size_t>{10, 11, 12}));
    const auto index = builder_.build();

    EXPECT_EQ(index->ip(ip("203.0.113.7")).tier, Tier::kHigh);
    EXPECT_EQ(index->ip(ip("203.0.113.8")).tier, Tier::kClean);
    EXPECT_EQ(index->ip(ip("198.51.100.200")).tier, Tier::kHigh);
    EXPECT_EQ(index->ip(ip("198.51.101.1")).tier, Tier::kClean);
    EXPECT_EQ(index->ip(ip("2001:db8:bad:1::2")).tier, Tier::kHigh);
    EXPECT_EQ(index->ip(ip("2001:db8:bae::1")).tier, Tier::kClean);
    EXPECT_EQ(index->ip(ip("2001:db8::66")).tier, Tier::kHigh);
    EXPECT_EQ(index->ip(ip("198.18.0.5")).tier, Tier::kHigh);

    EXPECT_EQ(index->domain("evil.example").tier, Tier::kHigh);
    EXPECT_EQ(index->domain("a.b.evil.example").tier, Tier::kHigh);  // parent match
    EXPECT_EQ(index->domain("notevil.example").tier, Tier::kClean);
    EXPECT_EQ(index->domain("example").tier, Tier::kClean);
    EXPECT_EQ(index->domain("ads.tracker.test").tier, Tier::kHigh);

    const Verdict v = index->ip(ip("203.0.113.7"));
    EXPECT_EQ(v.source, "FEED");
    EXPECT_EQ(v.detail, "blocklist.txt");
    std::string message = "m";
    append_suffix(message, v);
    EXPECT_EQ(message, "m  [FEED:HIGH \u2014 blocklist.txt]");
}

TEST_F(FeedIndexTest, FeodoCsvCurrentAndOldHeaders) {
    const FeedReport r = builder_.add_text(
        1,
        "################################################################\n"
        "# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #\n"
        "################################################################\n"
        "\"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\n"
        "\"2021-01-17 07:30:05\",\"67.213.75.205\",\"443\",\"online\",\"2023-10-31\",\"Pikabot\"\n"
        "\"2021-01-17 07:30:05\",\"not-an-ip\",\"443\",\"online\",\"2023-10-31\",\"Pikabot\"\n"
        "# end\n");
    EXPECT_EQ(r.entries, 1u);
    EXPECT_EQ(r.bad_lines, 1u);
    EXPECT_EQ(r.format, "csv:dst_ip");
    const FeedReport old = builder_.add_text(
        1, "# Firstseen,DstIP,DstPort,LastOnline,Malware\n2019-05-01,192.0.2.99,447,x,TrickBot\n");
    EXPECT_EQ(old.entries, 1u);
    EXPECT_EQ(old.bad_lines, 0u);
    const auto index = builder_.build();
    EXPECT_EQ(index->ip(ip("67.213.75.205")).tier, Tier::kCritical);
    EXPECT_EQ(index->ip(ip("67.213.75.205")).detail, "feodo.csv");
    EXPECT_EQ(index->ip(ip("192.0.2.99")).tier, Tier::kCritical);
}

TEST_F(FeedIndexTest, UrlhausAndThreatFoxCsv) {
    const FeedReport urlhaus = builder_.add_text(
        0,
        "# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n"
        "\"1\",\"2024-01-01 00:00:00\",\"http://malware.example.net/a,b.exe\",\"online\","
        "\"2024-01-01\",\"malware_download\",\"exe\",\"https://urlhaus.abuse.ch/url/1/\",\"x\"\n"
        "\"2\",\"2024-01-01 00:00:00\",\"https://198.51.100.77:8443/x\",\"online\",\"\","
        "\"malware_download\",\"\",\"\",\"x\"\n");
    EXPECT_EQ(urlhaus.entries, 2u);
    EXPECT_EQ(urlhaus.bad_lines, 0u);
    const FeedReport threatfox = builder_.add_text(
        2,
        "# \"first_seen_utc\",\"ioc_id\",\"ioc_value\",\"ioc_type\",\"threat_type\","
        "\"fk_malware\"\n"
        "\"2024-01-01\",\"1\",\"203.0.113.50:4444\",\"ip:port\",\"botnet_cc\",\"x\"\n"
        "\"2024-01-01\",\"2\",\"c2.badguy.test\",\"domain\",\"botnet_cc\",\"x\"\n"
        "\"2024-01-01\",\"3\",\"http://[2001:db8::77]:81/p\",\"url\",\"payload\",\"x\"\n"
        "\"2024-01-01\",\"4\",\"d41d8cd98f00b204e9800998ecf8427e\",\"md5_hash\",\"payload\","
        "\"x\"\n");
    EXPECT_EQ(threatfox.entries, 3u);
    EXPECT_EQ(threatfox.skipped, 1u);
    EXPECT_EQ(threatfox.bad_lines, 0u);
    const auto index = builder_.build();
    EXPECT_EQ(index->domain("malware.example.net").tier, Tier::kHigh);
    EXPECT_EQ(index->domain("example.net").tier, Tier::kClean);  // no child-to-parent match
    EXPECT_EQ(index->ip(ip("198.51.100.77")).tier, Tier::kHigh);
    EXPECT_EQ(index->ip(ip("203.0.113.50")).tier, Tier::kMedium);
    EXPECT_EQ(index->domain("www.c2.badguy.test").tier, Tier::kMedium);
    EXPECT_EQ(index->ip(ip("2001:db8::77")).tier, Tier::kMedium);
}

TEST_F(FeedIndexTest, HostsFileLines) {
    const FeedReport r = builder_.add_text(0,
                                           "127.0.0.1 localhost\n"
                                           "::1 localhost ip6-localhost\n"
                                           "127.0.0.1 localhost.localdomain\n"
                                           "0.0.0.0 ads.example tracker.example # two names\n"
                                           "0.0.0.0 bad!name.example\n");
    EXPECT_EQ(r.entries, 2u);
    EXPECT_EQ(r.skipped, 4u);
    EXPECT_EQ(r.bad_lines, 1u);
    const auto index = builder_.build();
    EXPECT_EQ(index->domain("ads.example").tier, Tier::kHigh);
    EXPECT_EQ(index->domain("x.tracker.example").tier, Tier::kHigh);
    EXPECT_EQ(index->ip(ip("127.0.0.1")).tier, Tier::kClean);
}

TEST_F(FeedIndexTest, MostSevereFeedWins) {
    (void)builder_.add_text(2, "203.0.113.0/24\nevil.example\n");
    (void)builder_.add_text(1, "203.0.113.9\n");
    (void)builder_.add_text(0, "203.0.0.0/16\nx.evil.example\n");
    const auto index = builder_.build();
    EXPECT_EQ(index->ip(ip("203.0.113.9")).tier, Tier::kCritical);
    EXPECT_EQ(index->ip(ip("203.0.113.10")).tier, Tier::kHigh);  // /16 HIGH beats /24 MEDIUM
    EXPECT_EQ(index->domain("x.evil.example").tier, Tier::kHigh);
    EXPECT_EQ(index->domain("y.evil.example").tier, Tier::kMedium);
}

TEST(FeedSet, NoticesChangesAndReloads) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("feedset_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "list.txt").string();
    FeedSet set({{path, Tier::kLow}});
    std::vector<FeedReport> reports;

    EXPECT_TRUE(set.changed());
    auto index = set.load(reports);
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_FALSE(reports[0].readable);
    EXPECT_EQ(index->ip(ip("203.0.113.1")).tier, Tier::kClean);
    EXPECT_FALSE(set.changed());

    std::ofstream(path) << "203.0.113.1\n";
    EXPECT_TRUE(set.changed());
    index = set.load(reports);
    EXPECT_TRUE(reports[0].readable);
    EXPECT_EQ(reports[0].name, "list.txt");
    EXPECT_EQ(index->ip(ip("203.0.113.1")).tier, Tier::kLow);
    EXPECT_FALSE(set.changed());

    std::ofstream(path) << "203.0.113.2\nbad line here\n";  // size differs
    EXPECT_TRUE(set.changed());
    index = set.load(reports);
    EXPECT_EQ(index->ip(ip("203.0.113.1")).tier, Tier::kClean);
    EXPECT_EQ(index->ip(ip("203.0.113.2")).tier, Tier::kLow);
    EXPECT_EQ(reports[0].bad_lines, 1u);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sentinel::intel
