#include "synthetic.h"

#include <array>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

namespace sentinel::bench {
namespace {

constexpr uint32_t kSnap = 96;

struct Writer {
    std::FILE* f = nullptr;
    std::vector<uint8_t> frame;
    uint64_t ts_us = 1'700'000'000ull * 1'000'000;

    void header() {
        const uint32_t magic = 0xa1b2c3d4, snap = 65535, link = 1;
        const uint16_t major = 2, minor = 4;
        const int32_t zone = 0;
        const uint32_t sigfigs = 0;
        std::fwrite(&magic, 4, 1, f);
        std::fwrite(&major, 2, 1, f);
        std::fwrite(&minor, 2, 1, f);
        std::fwrite(&zone, 4, 1, f);
        std::fwrite(&sigfigs, 4, 1, f);
        std::fwrite(&snap, 4, 1, f);
        std::fwrite(&link, 4, 1, f);
    }
    // Writes the frame built so far; wire_len is the length it had on the wire.
    void emit(uint32_t wire_len) {
        const uint32_t cap = std::min<uint32_t>(static_cast<uint32_t>(frame.size()), kSnap);
        const uint32_t rec[4] = {static_cast<uint32_t>(ts_us / 1'000'000),
                                 static_cast<uint32_t>(ts_us % 1'000'000), cap,
                                 std::max<uint32_t>(wire_len, cap)};
        std::fwrite(rec, 4, 4, f);
        std::fwrite(frame.data(), 1, cap, f);
        ts_us += 100;
    }
};

// Byte loops rather than vector::insert: GCC 12 at -O3 reports a false array-bounds overflow.
void append(std::vector<uint8_t>& b, const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        b.push_back(p[i]);
    }
}

void put16(std::vector<uint8_t>& b, uint16_t v) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
}
void put32(std::vector<uint8_t>& b, uint32_t v) {
    put16(b, static_cast<uint16_t>(v >> 16));
    put16(b, static_cast<uint16_t>(v));
}

void ethernet(std::vector<uint8_t>& b, uint16_t type, uint8_t src_last) {
    b.clear();
    const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x01};
    const uint8_t src[6] = {0x02, 0, 0, 0, 0x10, src_last};
    append(b, dst, 6);
    append(b, src, 6);
    put16(b, type);
}

void ipv4(std::vector<uint8_t>& b, uint32_t src, uint32_t dst, uint8_t proto, uint16_t total) {
    b.push_back(0x45);
    b.push_back(0);
    put16(b, total);
    put16(b, 0);
    put16(b, 0x4000);
    b.push_back(64);
    b.push_back(proto);
    put16(b, 0);
    put32(b, src);
    put32(b, dst);
}

void ipv6(std::vector<uint8_t>& b, uint32_t src_low, uint32_t dst_low, uint8_t proto,
          uint16_t payload) {
    put32(b, 0x60000000);
    put16(b, payload);
    b.push_back(proto);
    b.push_back(64);
    const uint8_t pre_src[12] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0};
    const uint8_t pre_dst[12] = {0x2a, 0x00, 0x14, 0x50, 0, 2, 0, 0, 0, 0, 0, 0};
    append(b, pre_src, 12);
    put32(b, src_low);
    append(b, pre_dst, 12);
    put32(b, dst_low);
}

void tcp(std::vector<uint8_t>& b, uint16_t sport, uint16_t dport, uint8_t flags) {
    put16(b, sport);
    put16(b, dport);
    put32(b, 1000);
    put32(b, 2000);
    b.push_back(0x50);
    b.push_back(flags);
    put16(b, 65535);
    put16(b, 0);
    put16(b, 0);
}

void udp(std::vector<uint8_t>& b, uint16_t sport, uint16_t dport, uint16_t length) {
    put16(b, sport);
    put16(b, dport);
    put16(b, length);
    put16(b, 0);
}

// Sets the IPv4 total length and UDP length of a finished Ethernet/IPv4/UDP frame.
void fix_udp_lengths(std::vector<uint8_t>& b) {
    const auto ip_len = static_cast<uint16_t>(b.size() - 14);
    const auto udp_len = static_cast<uint16_t>(b.size() - 34);
    b[16] = static_cast<uint8_t>(ip_len >> 8);
    b[17] = static_cast<uint8_t>(ip_len);
    b[38] = static_cast<uint8_t>(udp_len >> 8);
    b[39] = static_cast<uint8_t>(udp_len);
}

void dns_query(std::vector<uint8_t>& b, const std::string& name) {
    put16(b, 0x1234);
    put16(b, 0x0100);
    put16(b, 1);
    put16(b, 0);
    put16(b, 0);
    put16(b, 0);
    size_t start = 0;
    while (start <= name.size()) {
        size_t dot = name.find('.', start);
        if (dot == std::string::npos) {
            dot = name.size();
        }
        b.push_back(static_cast<uint8_t>(dot - start));
        append(b, reinterpret_cast<const uint8_t*>(name.data()) + start, dot - start);
        start = dot + 1;
    }
    b.push_back(0);
    put16(b, 1);
    put16(b, 1);
}

}  // namespace

Status write_synthetic_pcap(const std::string& path, uint64_t packets, uint32_t seed) {
    // The stdio buffer must outlive the FILE: declared first, destroyed last.
    std::vector<uint8_t> buffer(1 << 20);
    Writer w;
    w.f = std::fopen(path.c_str(), "wb");
    if (w.f == nullptr) {
        return Status::error("cannot write " + path);
    }
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> guard(w.f, &std::fclose);
    std::setvbuf(w.f, reinterpret_cast<char*>(buffer.data()), _IOFBF, buffer.size());
    w.header();
    std::mt19937 rng(seed);
    const auto client = [&] { return 0x0a000000u | (rng() % 2000 + 2); };  // 10.0.x.x
    const auto server = [&] { return 0x5db8d800u | (rng() % 500); };       // 93.184.216.x
    const std::array<const char*, 6> names = {"www.example.com",        "cdn.example.net",
                                              "mail.example.org",       "api.service.io",
                                              "img.static.example.com", "updates.vendor.com"};
    // Traffic comes in flows, as on a real link: 4096 concurrent sessions, each replaced now and
    // then by a new one that starts with a connection attempt.
    struct Flow {
        uint32_t client = 0, server = 0;
        uint16_t cport = 0;
        uint8_t kind = 0;  // 0 TCP/IPv4, 1 QUIC (UDP/IPv4), 2 TCP/IPv6
    };
    std::vector<Flow> flows(4096);
    const auto new_flow = [&](Flow& f) {
        f.client = client();
        f.server = server();
        f.cport = static_cast<uint16_t>(30000 + rng() % 30000);
        const uint32_t k = rng() % 10;
        f.kind = k < 6 ? 0 : (k < 9 ? 1 : 2);
    };
    for (auto& f : flows) {
        new_flow(f);
    }
    auto& b = w.frame;
    for (uint64_t i = 0; i < packets; ++i) {
        const uint32_t r = rng() % 1000;
        const uint64_t phase = i % 200'000;
        if (phase < 300) {  // a port scan burst from one external host
            ethernet(b, 0x0800, 9);
            ipv4(b, 0xc6336407, 0x0a000005, 6, 40);
            tcp(b, 40000, static_cast<uint16_t>(1 + phase), 0x02);
            w.emit(54);
        } else if (phase < 800) {  // a SYN flood burst against a web server
            ethernet(b, 0x0800, 9);
            ipv4(b, 0xcb00710a, 0x0a000006, 6, 40);
            tcp(b, static_cast<uint16_t>(1024 + phase), 80, 0x02);
            w.emit(54);
        } else if (phase < 830) {  // a tunnelled DNS session
            ethernet(b, 0x0800, 7);
            ipv4(b, 0x0a000007, 0x08080808, 17, 0);
            std::string name;
            for (int k = 0; k < 56; ++k) {
                name.push_back("abcdefghijklmnopqrstuvwxyz234567"[rng() % 32]);
            }
            name += ".t.tunnel.example";
            udp(b, 53000, 53, 0);
            dns_query(b, name);
            fix_udp_lengths(b);
            w.emit(static_cast<uint32_t>(b.size()));
        } else if (r < 900) {  // a packet of one of the flows, either direction
            Flow& f = flows[rng() % flows.size()];
            const bool start = rng() % 64 == 0;
            if (start) {
                new_flow(f);
            }
            const bool up = start || (rng() & 1) != 0;
            const uint16_t size = start ? 60 : static_cast<uint16_t>(40 + rng() % 1460);
            const uint16_t sport = up ? f.cport : 443, dport = up ? 443 : f.cport;
            if (f.kind == 2) {
                ethernet(b, 0x86dd, static_cast<uint8_t>(f.client));
                ipv6(b, up ? f.client : f.server, up ? f.server : f.client, 6, size);
                tcp(b, sport, dport, start ? 0x02 : 0x18);
                w.emit(54u + size);
                continue;
            }
            ethernet(b, 0x0800, static_cast<uint8_t>(f.client));
            ipv4(b, up ? f.client : f.server, up ? f.server : f.client, f.kind == 0 ? 6 : 17, size);
            if (f.kind == 0) {
                tcp(b, sport, dport, start ? 0x02 : 0x18);
            } else {
                udp(b, sport, dport, static_cast<uint16_t>(size - 20));
            }
            w.emit(14u + size);
        } else if (r < 980) {  // DNS queries
            const uint32_t c = client();
            ethernet(b, 0x0800, static_cast<uint8_t>(c));
            const std::string name = names[rng() % names.size()];
            ipv4(b, c, 0x0a000001, 17, 0);
            udp(b, static_cast<uint16_t>(30000 + rng() % 30000), 53, 0);
            dns_query(b, name);
            fix_udp_lengths(b);
            w.emit(static_cast<uint32_t>(b.size()));
        } else if (r < 990) {  // ICMP echo
            const uint32_t c = client(), s = server();
            ethernet(b, 0x0800, static_cast<uint8_t>(c));
            ipv4(b, c, s, 1, 84);
            b.push_back(8);
            b.push_back(0);
            put16(b, 0);
            put32(b, static_cast<uint32_t>(i));
            w.emit(98);
        } else {  // ARP replies
            const uint32_t c = client();
            ethernet(b, 0x0806, static_cast<uint8_t>(c));
            put16(b, 1);
            put16(b, 0x0800);
            b.push_back(6);
            b.push_back(4);
            put16(b, 2);
            const uint8_t mac[6] = {0x02, 0, 0, 0, 0x10, static_cast<uint8_t>(c)};
            append(b, mac, 6);
            put32(b, c);
            append(b, mac, 6);
            put32(b, 0x0a000001);
            w.emit(42);
        }
    }
    if (std::fflush(w.f) != 0 || std::ferror(w.f)) {
        return Status::error("write error on " + path);
    }
    return Status::ok();
}

}  // namespace sentinel::bench
