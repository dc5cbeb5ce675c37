#include "outputs/community_id.h"

#include <openssl/evp.h>

#include <array>
#include <cstring>
#include <optional>
#include <vector>

#include "common/ip_address.h"

namespace sentinel::outputs {
namespace {

constexpr uint8_t kIcmp = 1;
constexpr uint8_t kTcp = 6;
constexpr uint8_t kUdp = 17;
constexpr uint8_t kIcmp6 = 58;
constexpr uint8_t kSctp = 132;

// The counterpart of a request/reply ICMP type, as the spec's reference takes it from Zeek.
// Types without one are "one way": their endpoints are never swapped.
std::optional<uint16_t> icmp4_counterpart(uint16_t type) {
    switch (type) {
        case 8:
            return 0;  // echo → echo reply
        case 0:
            return 8;
        case 13:
            return 14;  // timestamp
        case 14:
            return 13;
        case 15:
            return 16;  // information
        case 16:
            return 15;
        case 10:
            return 9;  // router solicitation → advertisement (not the reverse)
        case 17:
            return 18;  // address mask
        case 18:
            return 17;
        default:
            return std::nullopt;
    }
}

std::optional<uint16_t> icmp6_counterpart(uint16_t type) {
    switch (type) {
        case 128:
            return 129;  // echo
        case 129:
            return 128;
        case 133:
            return 134;  // router solicitation / advertisement
        case 134:
            return 133;
        case 135:
            return 136;  // neighbor solicitation / advertisement
        case 136:
            return 135;
        case 130:
            return 131;  // MLD query / report
        case 131:
            return 130;
        case 139:
            return 140;  // node information (who-are-you) query / reply
        case 140:
            return 139;
        case 144:
            return 145;  // home agent address discovery
        case 145:
            return 144;
        default:
            return std::nullopt;
    }
}

bool less_endpoint(const IpAddress& a, uint16_t pa, const IpAddress& b, uint16_t pb) {
    const size_t n = a.is_v4() ? 4 : 16;
    const int c = std::memcmp(a.bytes().data(), b.bytes().data(), n);
    return c < 0 || (c == 0 && pa < pb);
}

}  // namespace

std::string community_id(const schema::Flow& flow, uint16_t seed) {
    auto src = IpAddress::parse(flow.src_ip);
    auto dst = IpAddress::parse(flow.dest_ip);
    if (!src || !dst || src->family() != dst->family()) {
        return "";
    }
    uint16_t sport = flow.src_port;
    uint16_t dport = flow.dest_port;
    const uint8_t proto = flow.proto;
    const bool has_ports =
        proto == kTcp || proto == kUdp || proto == kSctp || proto == kIcmp || proto == kIcmp6;
    bool one_way = false;
    if (proto == kIcmp || proto == kIcmp6) {
        const auto other = proto == kIcmp ? icmp4_counterpart(sport) : icmp6_counterpart(sport);
        if (other) {
            dport = *other;
        } else {
            one_way = true;  // ports stay (type, code)
        }
    }
    if (!has_ports) {
        sport = 0;
        dport = 0;
    }
    if (!one_way && !less_endpoint(*src, sport, *dst, dport)) {
        std::swap(src, dst);
        std::swap(sport, dport);
    }

    const size_t addr_len = src->is_v4() ? 4 : 16;
    std::vector<uint8_t> input;
    input.reserve(2 + 2 * addr_len + 2 + 4);
    input.push_back(static_cast<uint8_t>(seed >> 8));
    input.push_back(static_cast<uint8_t>(seed & 0xff));
    input.insert(input.end(), src->bytes().begin(), src->bytes().begin() + addr_len);
    input.insert(input.end(), dst->bytes().begin(), dst->bytes().begin() + addr_len);
    input.push_back(proto);
    input.push_back(0);
    if (has_ports) {
        input.push_back(static_cast<uint8_t>(sport >> 8));
        input.push_back(static_cast<uint8_t>(sport & 0xff));
        input.push_back(static_cast<uint8_t>(dport >> 8));
        input.push_back(static_cast<uint8_t>(dport & 0xff));
    }

    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int digest_len = 0;
    if (EVP_Digest(input.data(), input.size(), digest.data(), &digest_len, EVP_sha1(), nullptr) !=
        1) {
        return "";
    }
    std::array<unsigned char, 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1> b64{};
    const int n = EVP_EncodeBlock(b64.data(), digest.data(), static_cast<int>(digest_len));
    return "1:" + std::string(reinterpret_cast<const char*>(b64.data()), static_cast<size_t>(n));
}

}  // namespace sentinel::outputs
