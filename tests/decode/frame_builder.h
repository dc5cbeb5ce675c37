#pragma once

// Builds test frames byte by byte (tests, fuzz seeds and benchmarks; allocation is fine here).
#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace sentinel::testing {

using Bytes = std::vector<uint8_t>;

inline void put16(Bytes& b, uint16_t v) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
}
inline void put32(Bytes& b, uint32_t v) {
    put16(b, static_cast<uint16_t>(v >> 16));
    put16(b, static_cast<uint16_t>(v));
}
// Element by element: GCC 12 at -O3 misreports vector::insert of small vectors (-Warray-bounds).
inline void append(Bytes& b, const Bytes& more) {
    b.reserve(b.size() + more.size());
    for (uint8_t x : more) {
        b.push_back(x);
    }
}
inline Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& p : parts) {
        append(out, p);
    }
    return out;
}

inline Bytes ethernet(uint16_t type, Bytes dst = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55},
                      Bytes src = {0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb}) {
    Bytes b;
    append(b, dst);
    append(b, src);
    put16(b, type);
    return b;
}
inline Bytes vlan_tag(uint16_t tci, uint16_t next_type) {
    Bytes b;
    put16(b, tci);
    put16(b, next_type);
    return b;
}

inline Bytes ipv4(uint8_t proto, std::array<uint8_t, 4> src, std::array<uint8_t, 4> dst,
                  const Bytes& payload, const Bytes& options = {}, uint16_t frag = 0,
                  int total_override = -1) {
    Bytes b;
    const size_t ihl = 20 + options.size();
    b.push_back(static_cast<uint8_t>(0x40 | (ihl / 4)));
    b.push_back(0);
    put16(b, static_cast<uint16_t>(total_override >= 0 ? total_override : ihl + payload.size()));
    put16(b, 0x1234);
    put16(b, frag);
    b.push_back(64);
    b.push_back(proto);
    put16(b, 0);
    b.insert(b.end(), src.begin(), src.end());
    b.insert(b.end(), dst.begin(), dst.end());
    append(b, options);
    append(b, payload);
    return b;
}

inline Bytes ipv6(uint8_t next, const Bytes& payload, uint8_t src_last = 1, uint8_t dst_last = 2) {
    Bytes b = {0x60, 0, 0, 0};
    put16(b, static_cast<uint16_t>(payload.size()));
    b.push_back(next);
    b.push_back(64);
    Bytes src = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, src_last};
    Bytes dst = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, dst_last};
    append(b, src);
    append(b, dst);
    append(b, payload);
    return b;
}
// A generic IPv6 extension header of (hdr_len + 1) * 8 bytes.
inline Bytes ipv6_ext(uint8_t next, uint8_t hdr_len = 0) {
    Bytes b = {next, hdr_len};
    b.resize((hdr_len + 1u) * 8u, 0);
    return b;
}
inline Bytes ipv6_fragment(uint8_t next, uint16_t offset_bytes, bool more) {
    Bytes b = {next, 0};
    put16(b, static_cast<uint16_t>((offset_bytes & 0xFFF8) | (more ? 1 : 0)));
    put32(b, 0xabcdef01);
    return b;
}

inline Bytes tcp(uint16_t sport, uint16_t dport, uint8_t flags, const Bytes& payload = {},
                 const Bytes& options = {}) {
    Bytes b;
    put16(b, sport);
    put16(b, dport);
    put32(b, 1000);
    put32(b, 0);
    b.push_back(static_cast<uint8_t>(((20 + options.size()) / 4) << 4));
    b.push_back(flags);
    put16(b, 65535);
    put16(b, 0);
    put16(b, 0);
    append(b, options);
    append(b, payload);
    return b;
}
inline Bytes udp(uint16_t sport, uint16_t dport, const Bytes& payload, int len_override = -1) {
    Bytes b;
    put16(b, sport);
    put16(b, dport);
    put16(b, static_cast<uint16_t>(len_override >= 0 ? len_override : 8 + payload.size()));
    put16(b, 0);
    append(b, payload);
    return b;
}
inline Bytes icmp_echo(uint8_t type, const Bytes& data = {1, 2, 3, 4}) {
    Bytes b = {type, 0, 0, 0, 0, 1, 0, 1};
    append(b, data);
    return b;
}
inline Bytes arp(uint16_t op, Bytes sha, std::array<uint8_t, 4> spa, Bytes tha,
                 std::array<uint8_t, 4> tpa) {
    Bytes b;
    put16(b, 1);
    put16(b, 0x0800);
    b.push_back(6);
    b.push_back(4);
    put16(b, op);
    append(b, sha);
    b.insert(b.end(), spa.begin(), spa.end());
    append(b, tha);
    b.insert(b.end(), tpa.begin(), tpa.end());
    return b;
}

// Encodes "a.b.c" as DNS labels with the root terminator.
inline Bytes dns_name(std::string_view dotted) {
    Bytes b;
    size_t start = 0;
    while (start < dotted.size()) {
        size_t dot = dotted.find('.', start);
        if (dot == std::string_view::npos) {
            dot = dotted.size();
        }
        b.push_back(static_cast<uint8_t>(dot - start));
        for (size_t i = start; i < dot; ++i) {
            b.push_back(static_cast<uint8_t>(dotted[i]));
        }
        start = dot + 1;
    }
    b.push_back(0);
    return b;
}
inline Bytes dns_header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an = 0) {
    Bytes b;
    put16(b, id);
    put16(b, flags);
    put16(b, qd);
    put16(b, an);
    put16(b, 0);
    put16(b, 0);
    return b;
}
inline Bytes dns_query(uint16_t id, std::string_view name, uint16_t qtype = 1) {
    Bytes b = dns_header(id, 0x0100, 1);
    append(b, dns_name(name));
    put16(b, qtype);
    put16(b, 1);
    return b;
}

}  // namespace sentinel::testing
