#include "intel/reputation.h"

#include <gtest/gtest.h>

namespace sentinel::intel {
namespace {

TEST(Tier, FollowsTheOriginalOrder) {
    EXPECT_EQ(tier_for(9, 0, 0), Tier::kCritical);
    EXPECT_EQ(tier_for(8, 0, 0), Tier::kHigh);
    EXPECT_EQ(tier_for(3, 0, 0), Tier::kHigh);
    EXPECT_EQ(tier_for(2, 0, 0), Tier::kMedium);
    EXPECT_EQ(tier_for(1, 0, 0), Tier::kMedium);
    EXPECT_EQ(tier_for(0, 5, 0), Tier::kMedium);
    EXPECT_EQ(tier_for(0, 4, -11), Tier::kLow);
    EXPECT_EQ(tier_for(0, 4, -10), Tier::kClean);
    EXPECT_EQ(tier_for(0, 0, 0), Tier::kClean);
}

TEST(Tier, ParsesNamesCaseInsensitively) {
    EXPECT_EQ(parse_tier("high"), Tier::kHigh);
    EXPECT_EQ(parse_tier("CRITICAL"), Tier::kCritical);
    EXPECT_EQ(parse_tier("Low"), Tier::kLow);
    EXPECT_FALSE(parse_tier("severe").has_value());
}

TEST(Suffix, FeedDetailReplacesCounts) {
    Verdict v;
    v.tier = Tier::kHigh;
    v.source = "FEED";
    v.detail = "feodo.csv";
    std::string m = "x";
    append_suffix(m, v);
    EXPECT_EQ(m, "x  [FEED:HIGH \u2014 feodo.csv]");
}

TEST(Suffix, VirusTotalFormatUnchanged) {
    Verdict v;
    v.tier = Tier::kCritical;
    v.malicious = 12;
    v.suspicious = 2;
    std::string m = "x";
    append_suffix(m, v);
    EXPECT_EQ(m, "x  [VT:CRITICAL \u2014 12 malicious, 2 suspicious]");
}

TEST(MoreSevere, HigherTierWinsAndTiesKeepTheFirst) {
    Verdict vt;
    vt.tier = Tier::kMedium;
    Verdict feed;
    feed.tier = Tier::kHigh;
    feed.source = "FEED";
    EXPECT_EQ(more_severe(vt, feed).source, "FEED");
    feed.tier = Tier::kMedium;
    EXPECT_EQ(more_severe(vt, feed).source, "VT");
}

}  // namespace
}  // namespace sentinel::intel
