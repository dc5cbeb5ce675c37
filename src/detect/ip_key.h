#pragma once

#include <cstdint>
#include <cstring>

#include "common/ip_address.h"

namespace sentinel::detect {

// Hash and equality for addresses as table keys: two 64-bit loads instead of a byte loop and a
// 17-byte memcmp. Relies on IpAddress zeroing the bytes an IPv4 address does not use.
inline uint64_t address_word(const IpAddress& ip, size_t half) {
    uint64_t w;
    std::memcpy(&w, ip.bytes().data() + 8 * half, sizeof(w));
    return w;
}

inline uint64_t mix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

struct IpHash {
    size_t operator()(const IpAddress& ip) const noexcept {
        return static_cast<size_t>(mix64(address_word(ip, 0) * 0x9e3779b97f4a7c15ull ^
                                         address_word(ip, 1) ^ static_cast<uint64_t>(ip.family())));
    }
};

inline bool same_address(const IpAddress& a, const IpAddress& b) {
    return address_word(a, 0) == address_word(b, 0) && address_word(a, 1) == address_word(b, 1) &&
           a.family() == b.family();
}

struct IpEqual {
    bool operator()(const IpAddress& a, const IpAddress& b) const noexcept {
        return same_address(a, b);
    }
};

}  // namespace sentinel::detect
