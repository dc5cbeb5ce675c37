#include "common/ip_address.h"

#include <gtest/gtest.h>

namespace sentinel {
namespace {

IpAddress ip(const char* text) {
    auto parsed = IpAddress::parse(text);
    EXPECT_TRUE(parsed.has_value()) << text;
    return parsed.value_or(IpAddress{});
}

TEST(IpAddressTest, ParsesAndFormatsBothFamilies) {
    EXPECT_EQ(ip("192.168.1.10").to_string(), "192.168.1.10");
    EXPECT_EQ(ip("2001:db8::1").to_string(), "2001:db8::1");
    EXPECT_FALSE(IpAddress::parse("300.1.1.1"));
    EXPECT_FALSE(IpAddress::parse("not-an-ip"));
    EXPECT_FALSE(IpAddress::parse(""));
}

TEST(IpAddressTest, InternalRangesMatchTheOriginalList) {
    for (const char* internal : {"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.0.1",
                                 "127.0.0.1", "169.254.9.9", "224.0.0.251", "255.255.255.255",
                                 "::1", "fe80::1", "fd00::5", "ff02::fb", "::ffff:10.0.0.1"}) {
        EXPECT_TRUE(ip(internal).is_internal()) << internal;
    }
    for (const char* external : {"8.8.8.8", "172.32.0.1", "172.15.255.255", "100.64.0.1",
                                 "2001:4860::8888", "64:ff9b::9765:798c", "::ffff:8.8.8.8"}) {
        EXPECT_FALSE(ip(external).is_internal()) << external;
    }
}

TEST(CidrTest, ContainsRespectsPrefixAndFamily) {
    const auto net = Cidr::parse("10.20.0.0/14");
    ASSERT_TRUE(net);
    EXPECT_TRUE(net->contains(ip("10.23.255.1")));
    EXPECT_FALSE(net->contains(ip("10.24.0.1")));
    EXPECT_FALSE(net->contains(ip("::ffff:10.20.0.1")));
    const auto v6 = Cidr::parse("fe80::/10");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->contains(ip("febf::1")));
    EXPECT_FALSE(v6->contains(ip("fec0::1")));
    EXPECT_EQ(Cidr::parse("192.168.1.77/24")->to_string(), "192.168.1.0/24");
    EXPECT_FALSE(Cidr::parse("1.2.3.4/33"));
    EXPECT_FALSE(Cidr::parse("1.2.3.4/"));
}

}  // namespace
}  // namespace sentinel
