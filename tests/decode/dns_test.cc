#include "decode/dns.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "decode/frame_builder.h"

namespace sentinel::decode {
namespace {

using namespace sentinel::testing;

struct NameResult {
    bool ok = false;
    std::string name;
    size_t next = 0;
    AnomalyCounters anomalies;
};

NameResult name_at(const Bytes& msg, size_t start) {
    NameResult r;
    char buf[DnsInfo::kMaxName + 1] = {};
    uint16_t len = 0;
    r.ok = read_dns_name(msg, start, buf, len, r.next, r.anomalies);
    r.name.assign(buf, len);
    return r;
}

TEST(DnsName, PlainLabels) {
    const Bytes msg = cat({dns_header(1, 0, 1), dns_name("mail.example.org")});
    NameResult r = name_at(msg, 12);
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.name, "mail.example.org");
    EXPECT_EQ(r.next, msg.size());
}

TEST(DnsName, RootNameIsEmpty) {
    const Bytes msg = cat({dns_header(1, 0, 1), Bytes{0}});
    NameResult r = name_at(msg, 12);
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.name, "");
    EXPECT_EQ(r.next, 13u);
}

TEST(DnsName, CompressionPointerBackwards) {
    // 12: example.org, 25: "www" + pointer to 12
    Bytes msg = cat({dns_header(1, 0x8180, 1, 1), dns_name("example.org")});
    const size_t second = msg.size();
    append(msg, {3, 'w', 'w', 'w', 0xC0, 12});
    append(msg, {0xAA});  // whatever follows
    NameResult r = name_at(msg, second);
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.name, "www.example.org");
    EXPECT_EQ(r.next, second + 6);  // just after the pointer, not after the target

    // A chain of two backward pointers.
    const size_t third = msg.size();
    append(msg, {4, 'm', 'a', 'i', 'l', 0xC0, static_cast<uint8_t>(second)});
    NameResult chain = name_at(msg, third);
    ASSERT_TRUE(chain.ok);
    EXPECT_EQ(chain.name, "mail.www.example.org");
}

TEST(DnsName, PointerToItselfIsALoop) {
    Bytes msg = dns_header(1, 0, 1);
    append(msg, {3, 'a', 'b', 'c', 0xC0, 12});  // back to the name's own start
    NameResult r = name_at(msg, 12);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.anomalies.get(Anomaly::kDnsPointerLoop), 1u);
    EXPECT_TRUE(r.name.empty());
}

TEST(DnsName, PointerIntoTheWalkedSegmentIsALoop) {
    // Name at 20 points back to 14, whose labels lead to a pointer at 16 -> 15: inside the
    // segment walked since the last jump, which would cycle forever without the bound.
    Bytes msg = dns_header(1, 0, 1);
    append(msg, {0, 0});              // 12, 13 padding
    append(msg, {1, 'x', 0xC0, 15});  // 14: "x", 16: pointer to 15
    append(msg, {0, 0});              // 18, 19
    append(msg, {1, 'y', 0xC0, 14});  // 20: "y", pointer to 14
    NameResult r = name_at(msg, 20);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.anomalies.get(Anomaly::kDnsPointerLoop), 1u);
}

TEST(DnsName, ForwardPointerIsRejected) {
    Bytes msg = dns_header(1, 0, 1);
    append(msg, {0xC0, 20});
    msg.resize(30, 0);
    NameResult r = name_at(msg, 12);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.anomalies.get(Anomaly::kDnsPointerForward), 1u);
}

TEST(DnsName, PointerJumpsAreCapped) {
    // 40 one-label names, each pointing to the previous one: every jump goes backwards, so
    // only the jump cap stops it.
    Bytes msg = cat({dns_header(1, 0, 1), Bytes{1, 'a', 0}});
    size_t prev = 12;
    for (int i = 0; i < 40; ++i) {
        const size_t here = msg.size();
        append(msg, {1, 'b', static_cast<uint8_t>(0xC0 | (prev >> 8)),
                     static_cast<uint8_t>(prev & 0xFF)});
        prev = here;
    }
    NameResult r = name_at(msg, prev);
    EXPECT_FALSE(r.ok);
    EXPECT_TRUE(r.anomalies.get(Anomaly::kDnsTooManyPointers) == 1u ||
                r.anomalies.get(Anomaly::kDnsNameTooLong) == 1u);
    // A short chain of the same shape is fine.
    NameResult shorter = name_at(msg, 12 + 3 + 4 * 5);
    EXPECT_TRUE(shorter.ok);
    EXPECT_EQ(shorter.name, "b.b.b.b.b.b.a");
}

TEST(DnsName, LabelLongerThan63IsRejected) {
    Bytes msg = dns_header(1, 0, 1);
    msg.push_back(0x40);  // 64: an extended label type, never a length
    msg.resize(msg.size() + 70, 'a');
    msg.push_back(0);
    NameResult r = name_at(msg, 12);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.anomalies.get(Anomaly::kDnsLabelTooLong), 1u);
    Bytes reserved = dns_header(1, 0, 1);
    append(reserved, {0x80, 0x01, 0});
    EXPECT_EQ(name_at(reserved, 12).anomalies.get(Anomaly::kDnsLabelTooLong), 1u);
}

TEST(DnsName, NameLimitIs255Bytes) {
    // Four 63-byte labels: 4 * 64 + 1 = 257 bytes encoded, over the limit.
    std::string long_name;
    for (int i = 0; i < 4; ++i) {
        long_name += (i ? "." : "") + std::string(63, static_cast<char>('a' + i));
    }
    NameResult r = name_at(cat({dns_header(1, 0, 1), dns_name(long_name)}), 12);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.anomalies.get(Anomaly::kDnsNameTooLong), 1u);

    // 3 * 64 + 62 + 1 = 255 bytes encoded: the longest legal name, 253 characters.
    const std::string max_name = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                                 std::string(63, 'c') + "." + std::string(61, 'd');
    NameResult ok = name_at(cat({dns_header(1, 0, 1), dns_name(max_name)}), 12);
    ASSERT_TRUE(ok.ok);
    EXPECT_EQ(ok.name.size(), 253u);
    EXPECT_EQ(ok.name, max_name);
}

TEST(DnsName, TruncatedNames) {
    const Bytes full = cat({dns_header(1, 0, 1), dns_name("abc.def")});
    for (size_t cut = 12; cut < full.size(); ++cut) {
        NameResult r = name_at(Bytes(full.begin(), full.begin() + static_cast<long>(cut)), 12);
        EXPECT_FALSE(r.ok) << cut;
        EXPECT_EQ(r.anomalies.get(Anomaly::kTruncatedDnsName), 1u) << cut;
    }
    Bytes half_pointer = dns_header(1, 0, 1);
    half_pointer.push_back(0xC0);
    EXPECT_EQ(name_at(half_pointer, 12).anomalies.get(Anomaly::kTruncatedDnsName), 1u);
}

TEST(DnsMessage, QueryAndResponse) {
    DnsInfo info;
    AnomalyCounters an;
    ASSERT_TRUE(decode_dns_message(dns_query(77, "a.b", 16), info, an));
    EXPECT_EQ(info.id, 77);
    EXPECT_EQ(info.qtype, 16);
    EXPECT_EQ(info.name(), "a.b");
    EXPECT_FALSE(info.is_response);

    Bytes response = dns_query(78, "c.d", 1);
    response[2] = 0x81;
    response[7] = 1;  // one answer
    ASSERT_TRUE(decode_dns_message(response, info, an));
    EXPECT_TRUE(info.is_response);
    EXPECT_EQ(info.answer_count, 1);
    EXPECT_EQ(info.name(), "c.d");
    EXPECT_EQ(an.total(), 0u);
}

TEST(DnsMessage, NoQuestionOrBrokenQuestion) {
    DnsInfo info;
    AnomalyCounters an;
    EXPECT_FALSE(decode_dns_message(dns_header(1, 0, 0), info, an));
    EXPECT_EQ(an.total(), 0u);  // legal, just nothing to report
    EXPECT_FALSE(decode_dns_message(Bytes{1, 2, 3}, info, an));
    EXPECT_EQ(an.get(Anomaly::kTruncatedDnsHeader), 1u);
    Bytes no_type = cat({dns_header(1, 0, 1), dns_name("x.y")});
    no_type.push_back(0);
    EXPECT_FALSE(decode_dns_message(no_type, info, an));
    EXPECT_EQ(an.get(Anomaly::kTruncatedDnsQuestion), 1u);
    EXPECT_TRUE(info.name().empty());
}

}  // namespace
}  // namespace sentinel::decode
