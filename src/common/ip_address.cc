#include "common/ip_address.h"

#ifdef _WIN32
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#endif

#include <cstdio>

namespace sentinel {

IpAddress IpAddress::v4(const uint8_t* network_order_bytes) {
    IpAddress ip;
    std::memcpy(ip.bytes_.data(), network_order_bytes, 4);
    ip.family_ = Family::kV4;
    return ip;
}

IpAddress IpAddress::v4(uint32_t host_order) {
    const uint8_t b[4] = {static_cast<uint8_t>(host_order >> 24),
                          static_cast<uint8_t>(host_order >> 16),
                          static_cast<uint8_t>(host_order >> 8), static_cast<uint8_t>(host_order)};
    return v4(b);
}

IpAddress IpAddress::v6(const uint8_t* network_order_bytes) {
    IpAddress ip;
    std::memcpy(ip.bytes_.data(), network_order_bytes, 16);
    ip.family_ = Family::kV6;
    return ip;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    if (text.empty() || text.size() > 64) {
        return std::nullopt;
    }
    char buf[65];
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    uint8_t raw[16];
    if (text.find(':') == std::string_view::npos) {
        if (inet_pton(AF_INET, buf, raw) == 1) {
            return v4(raw);
        }
        return std::nullopt;
    }
    if (inet_pton(AF_INET6, buf, raw) == 1) {
        return v6(raw);
    }
    return std::nullopt;
}

uint32_t IpAddress::v4_host_order() const {
    if (!is_v4()) {
        return 0;
    }
    return (uint32_t{bytes_[0]} << 24) | (uint32_t{bytes_[1]} << 16) | (uint32_t{bytes_[2]} << 8) |
           uint32_t{bytes_[3]};
}

namespace {

bool v4_is_internal(uint32_t a) {
    return (a >> 24) == 10 ||      // 10/8
           (a >> 20) == 0xAC1 ||   // 172.16/12
           (a >> 16) == 0xC0A8 ||  // 192.168/16
           (a >> 24) == 127 ||     // 127/8
           (a >> 16) == 0xA9FE ||  // 169.254/16
           (a >> 28) == 0xE ||     // 224/4
           (a >> 28) == 0xF;       // 240/4
}

}  // namespace

bool IpAddress::is_internal() const {
    if (is_v4()) {
        return v4_is_internal(v4_host_order());
    }
    if (!is_v6()) {
        return false;
    }
    const auto& b = bytes_;
    static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(b.data(), kMappedPrefix, 12) == 0) {
        return v4_is_internal((uint32_t{b[12]} << 24) | (uint32_t{b[13]} << 16) |
                              (uint32_t{b[14]} << 8) | uint32_t{b[15]});
    }
    static constexpr uint8_t kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return std::memcmp(b.data(), kLoopback, 16) == 0 ||  // ::1
           (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||    // fe80::/10
           (b[0] & 0xfe) == 0xfc ||                      // fc00::/7
           b[0] == 0xff;                                 // ff00::/8
}

size_t IpAddress::format(char* out, size_t capacity) const {
    if (capacity == 0) {
        return 0;
    }
    if (empty()) {
        out[0] = '\0';
        return 0;
    }
    if (inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), out,
                  static_cast<socklen_t>(capacity)) == nullptr) {
        out[0] = '\0';
        return 0;
    }
    return std::strlen(out);
}

std::string IpAddress::to_string() const {
    char buf[64];
    return std::string(buf, format(buf, sizeof buf));
}

Cidr::Cidr(IpAddress network, uint8_t prefix_len) : network_(network), prefix_len_(prefix_len) {
    const uint8_t max = network_.is_v4() ? 32 : 128;
    if (prefix_len_ > max) {
        prefix_len_ = max;
    }
    // Clear host bits so that contains() and to_string() agree.
    auto bytes = network_.bytes();
    for (size_t bit = prefix_len_; bit < max; ++bit) {
        bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
    }
    network_ = network_.is_v4() ? IpAddress::v4(bytes.data()) : IpAddress::v6(bytes.data());
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
    const auto slash = text.find('/');
    const auto ip = IpAddress::parse(text.substr(0, slash));
    if (!ip) {
        return std::nullopt;
    }
    const int max = ip->is_v4() ? 32 : 128;
    int len = max;
    if (slash != std::string_view::npos) {
        const auto digits = text.substr(slash + 1);
        if (digits.empty() || digits.size() > 3) {
            return std::nullopt;
        }
        len = 0;
        for (char c : digits) {
            if (c < '0' || c > '9') {
                return std::nullopt;
            }
            len = len * 10 + (c - '0');
        }
        if (len > max) {
            return std::nullopt;
        }
    }
    return Cidr(*ip, static_cast<uint8_t>(len));
}

bool Cidr::contains(const IpAddress& ip) const {
    if (ip.family() != network_.family()) {
        return false;
    }
    const auto& a = ip.bytes();
    const auto& n = network_.bytes();
    const size_t full = prefix_len_ / 8;
    if (std::memcmp(a.data(), n.data(), full) != 0) {
        return false;
    }
    const unsigned rest = prefix_len_ % 8;
    if (rest == 0) {
        return true;
    }
    const auto mask = static_cast<uint8_t>(0xffu << (8 - rest));
    return (a[full] & mask) == (n[full] & mask);
}

std::string Cidr::to_string() const {
    return network_.to_string() + "/" + std::to_string(prefix_len_);
}

std::string MacAddress::to_string() const {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2],
                  bytes[3], bytes[4], bytes[5]);
    return buf;
}

}  // namespace sentinel
