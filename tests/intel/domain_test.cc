#include "intel/domain.h"

#include <gtest/gtest.h>

#include <string>

namespace sentinel::intel {
namespace {

std::string norm(std::string_view in) {
    DomainName d;
    return normalize_domain(in, d) ? std::string(d.view()) : std::string("<bad>");
}

TEST(Domain, NormalizesCaseAndTrailingDot) {
    EXPECT_EQ(norm("WWW.Example.COM."), "www.example.com");
    EXPECT_EQ(norm(""), "<bad>");
    EXPECT_EQ(norm("."), "<bad>");
    EXPECT_EQ(norm("a..b"), "<bad>");
    EXPECT_EQ(norm(std::string(254, 'a')), "<bad>");
}

TEST(Domain, PrivateAndSingleLabelNamesAreNotLookedUp) {
    EXPECT_TRUE(is_lookup_candidate("evil.example.com"));
    EXPECT_FALSE(is_lookup_candidate("printer.local"));
    EXPECT_FALSE(is_lookup_candidate("4.3.2.1.in-addr.arpa"));
    EXPECT_FALSE(is_lookup_candidate("db.corp.internal"));
    EXPECT_FALSE(is_lookup_candidate("nas.lan"));
    EXPECT_FALSE(is_lookup_candidate("fileserver"));
    EXPECT_FALSE(is_lookup_candidate("10.1.2.3"));
    EXPECT_FALSE(is_lookup_candidate("bad name.com"));
}

TEST(Domain, RegisteredDomainCollapsesSubdomains) {
    EXPECT_EQ(registered_domain("a8f3e2.tunnel.evil.com"), "evil.com");
    EXPECT_EQ(registered_domain("evil.com"), "evil.com");
    EXPECT_EQ(registered_domain("com"), "com");
    EXPECT_EQ(registered_domain("x.y.bbc.co.uk"), "bbc.co.uk");
    EXPECT_EQ(registered_domain("co.uk"), "co.uk");
    EXPECT_EQ(registered_domain("shop.example.com.au"), "example.com.au");
}

}  // namespace
}  // namespace sentinel::intel
