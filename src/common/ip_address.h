#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sentinel {

// An IPv4 or IPv6 address held by value in 17 bytes; cheap to copy, hash and compare.
// IPv4 addresses keep their 4 bytes in network order at the start of bytes().
class IpAddress {
  public:
    enum class Family : uint8_t { kNone = 0, kV4 = 4, kV6 = 6 };

    constexpr IpAddress() = default;

    static IpAddress v4(const uint8_t* network_order_bytes);
    static IpAddress v4(uint32_t host_order);
    static IpAddress v6(const uint8_t* network_order_bytes);
    // Accepts dotted quads and RFC 4291 text (including "::ffff:1.2.3.4"); nullopt otherwise.
    static std::optional<IpAddress> parse(std::string_view text);

    Family family() const { return family_; }
    bool is_v4() const { return family_ == Family::kV4; }
    bool is_v6() const { return family_ == Family::kV6; }
    bool empty() const { return family_ == Family::kNone; }
    const std::array<uint8_t, 16>& bytes() const { return bytes_; }
    // Host-order value of an IPv4 address; 0 for other families.
    uint32_t v4_host_order() const;

    // The original's 'internal' list, used by every detector and by reputation lookups:
    // 10/8, 172.16/12, 192.168/16, 127/8, 169.254/16, 224/4, 240/4, and for IPv6 ::1, fe80::/10,
    // fc00::/7, ff00::/8. An IPv4-mapped IPv6 address is judged by its IPv4 part.
    bool is_internal() const;

    std::string to_string() const;
    // Writes the text form into out (at least 46 bytes) without allocating; returns its length.
    size_t format(char* out, size_t capacity) const;

    friend bool operator==(const IpAddress&, const IpAddress&) = default;
    friend auto operator<=>(const IpAddress&, const IpAddress&) = default;

  private:
    std::array<uint8_t, 16> bytes_{};
    Family family_ = Family::kNone;
};

struct IpAddressHash {
    size_t operator()(const IpAddress& ip) const noexcept {
        // FNV-1a over the used bytes: fast, and good enough for open-addressing tables.
        uint64_t h = 1469598103934665603ull ^ static_cast<uint64_t>(ip.family());
        const size_t n = ip.is_v4() ? 4 : 16;
        for (size_t i = 0; i < n; ++i) {
            h = (h ^ ip.bytes()[i]) * 1099511628211ull;
        }
        return static_cast<size_t>(h ^ (h >> 29));
    }
};

// A network prefix such as 10.0.0.0/8 or fe80::/10.
class Cidr {
  public:
    static std::optional<Cidr> parse(std::string_view text);
    Cidr(IpAddress network, uint8_t prefix_len);

    bool contains(const IpAddress& ip) const;
    const IpAddress& network() const { return network_; }
    uint8_t prefix_len() const { return prefix_len_; }
    std::string to_string() const;

  private:
    IpAddress network_;
    uint8_t prefix_len_;
};

// A 48-bit Ethernet address.
struct MacAddress {
    std::array<uint8_t, 6> bytes{};
    std::string to_string() const;  // lower-case, colon separated
    friend bool operator==(const MacAddress&, const MacAddress&) = default;
};

}  // namespace sentinel

template <>
struct std::hash<sentinel::IpAddress> {
    size_t operator()(const sentinel::IpAddress& ip) const noexcept {
        return sentinel::IpAddressHash{}(ip);
    }
};
