#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz_decode target (tests/fuzz/corpus/fuzz_decode/).

Seeds are real frames taken from small reference captures (classic pcap files of
../shared/pcaps beside the checkout, see its MANIFEST.md) plus crafted malformed frames. Input format
(fuzz_pipeline.h): first byte = link-type index (| 0x80 when cut by the snap length), then the
frame. Usage: make_seed_corpus.py [PCAP_DIR] [OUT_DIR]
"""
import os
import struct
import sys

# Index of each link type in fuzz_pipeline.cc's table.
ETH, SLL, SLL2, NULL, LOOP, RAW, IPV4, IPV6, RAW_OBSD, LINKTYPE_RAW, UNSUPPORTED = range(11)
DLT_TO_INDEX = {1: ETH, 113: SLL, 276: SLL2, 0: NULL, 108: LOOP, 12: RAW, 101: RAW,
                228: IPV4, 229: IPV6}

REAL = [  # (capture, frames to keep at most)
    ("dns_tunnel/ndpi_dns_exf_single_query.pcap", 2),
    ("dns_tunnel/dmachard_iodine_handshake.pcap", 4),
    ("dns_tunnel/dmachard_dns2tcp.pcap", 3),
    ("dns_tunnel/ppa_bittorrent_mdns_long_names_BENIGN.pcap", 4),
    ("arp_spoofing/ppa_arp_request_reply_BENIGN.pcap", 2),
    ("arp_spoofing/packetlife_gratuitous_arp_hsrp_BENIGN.cap", 1),
    ("arp_spoofing/cce15_ettercap_arp_dns_spoof_SLL.pcap", 4),
    ("suspicious_ports/zeek_socks_loopback_NULL_linktype.pcap", 3),
    ("dns_tunnel/ndpi_dns2tcp_via_DoH443_SLL_NOT_VISIBLE.pcap", 2),
    ("exfiltration/suricata-verify_sll2_2.6MB_burst_BELOW_threshold.pcap", 2),
    ("icmp_flood/ppa_icmp_ping_NEGATIVE.pcap", 2),
    ("icmp_flood/ppa_icmp_traceroute_NEGATIVE.pcap", 2),
    ("benign/ndpi_reddit_ipv6_browsing.pcap", 5),
    ("benign/ndpi_iphone_background.pcap", 6),
    ("benign/wireshark_http.cap", 2),
    ("port_scan/ppa_portscan_29ports.pcap", 1),
    ("brute_force/evilfingers_xscan_vuln_scanner.pcap", 4),
]


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        return None, []
    dlt = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    frames, off = [], 24
    while off + 16 <= len(data):
        _, _, caplen, wirelen = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        frames.append((data[off:off + caplen], wirelen))
        off += caplen
    return dlt, frames


def signature(dlt, frame):
    """A coarse kind of frame, so the seeds cover different protocols."""
    if dlt == 1 and len(frame) >= 14:
        etype, rest = struct.unpack(">H", frame[12:14])[0], frame[14:]
    elif dlt == 113 and len(frame) >= 16:
        etype, rest = struct.unpack(">H", frame[14:16])[0], frame[16:]
    elif dlt == 276 and len(frame) >= 20:
        etype, rest = struct.unpack(">H", frame[0:2])[0], frame[20:]
    elif dlt == 0 and len(frame) >= 4:
        etype, rest = 0x0800 if frame[0] == 2 or frame[3] == 2 else 0x86DD, frame[4:]
    else:
        return (dlt, None)
    if etype == 0x0800 and len(rest) >= 24:
        ihl = (rest[0] & 15) * 4
        sport, dport = struct.unpack(">HH", rest[ihl:ihl + 4]) if len(rest) >= ihl + 4 else (0, 0)
        return (dlt, etype, rest[9], sport in (53, 5353), dport in (53, 5353))
    if etype == 0x86DD and len(rest) >= 44:
        sport, dport = struct.unpack(">HH", rest[40:44])
        return (dlt, etype, rest[6], sport in (53, 5353), dport in (53, 5353))
    if etype == 0x0806 and len(rest) >= 8:
        return (dlt, etype, rest[7])
    return (dlt, etype)


def real_seeds(pcap_dir):
    seeds = {}
    for rel, keep in REAL:
        dlt, frames = read_pcap(os.path.join(pcap_dir, rel))
        if dlt is None:
            print("skipped (not classic pcap):", rel)
            continue
        seen, taken = set(), 0
        for i, (frame, wirelen) in enumerate(frames):
            sig = signature(dlt, frame)
            if sig in seen:
                continue
            seen.add(sig)
            flag = 0x80 if wirelen > len(frame) else 0
            name = "real_%s_%03d" % (os.path.splitext(os.path.basename(rel))[0][:40], i)
            seeds[name] = bytes([DLT_TO_INDEX[dlt] | flag]) + frame
            taken += 1
            if taken == keep:
                break
    return seeds


# ---- crafted frames -------------------------------------------------------------------------
def u16(v):
    return struct.pack(">H", v)


def eth(etype):
    return bytes.fromhex("001122334455") + bytes.fromhex("66778899aabb") + u16(etype)


def ipv4(proto, payload, options=b"", frag=0, total=None, ihl=None):
    hl = 20 + len(options)
    first = 0x40 | ((ihl if ihl is not None else hl // 4) & 15)
    total = hl + len(payload) if total is None else total
    return (bytes([first, 0]) + u16(total) + u16(0x1234) + u16(frag) + bytes([64, proto]) +
            u16(0) + bytes([10, 0, 0, 1, 8, 8, 8, 8]) + options + payload)


def ipv6(nxt, payload, plen=None):
    plen = len(payload) if plen is None else plen
    return (b"\x60\x00\x00\x00" + u16(plen) + bytes([nxt, 64]) + bytes.fromhex(
        "20010db8000000000000000000000001") + bytes.fromhex(
        "20010db8000000000000000000000002") + payload)


def ext(nxt, hdr_len=0):
    return bytes([nxt, hdr_len]) + bytes((hdr_len + 1) * 8 - 2)


def tcp(sport, dport, flags, payload=b"", doff=5):
    return (u16(sport) + u16(dport) + struct.pack(">II", 1, 0) + bytes([doff << 4, flags]) +
            u16(65535) + u16(0) + u16(0) + bytes(max(0, doff * 4 - 20)) + payload)


def udp(sport, dport, payload, length=None):
    return u16(sport) + u16(dport) + u16(8 + len(payload) if length is None else length) + \
        u16(0) + payload


def name(dotted):
    out = b""
    for label in dotted.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def dns_hdr(qd=1, an=0, flags=0x0100):
    return u16(0xbeef) + u16(flags) + u16(qd) + u16(an) + u16(0) + u16(0)


def dns_udp(msg):
    return bytes([ETH]) + eth(0x0800) + ipv4(17, udp(5555, 53, msg))


def crafted():
    q = dns_hdr() + name("www.example.com") + u16(1) + u16(1)
    resp = (dns_hdr(1, 1, 0x8180) + name("example.com") + u16(1) + u16(1) +
            b"\xc0\x0c" + u16(1) + u16(1) + struct.pack(">I", 60) + u16(4) + bytes([1, 2, 3, 4]))
    chain = dns_hdr() + b"\x01a\x00"
    prev = 12
    for _ in range(40):
        here = 12 + len(chain) - 12
        chain += b"\x01b" + u16(0xC000 | prev)
        prev = here
    long_name = ".".join([c * 63 for c in "abcd"])
    seeds = {
        "crafted_dns_query": dns_udp(q),
        "crafted_dns_response_compressed": dns_udp(resp),
        "crafted_dns_pointer_self_loop": dns_udp(dns_hdr() + b"\x03abc\xc0\x0c" + bytes(4)),
        "crafted_dns_pointer_forward": dns_udp(dns_hdr() + b"\xc0\x20" + bytes(30)),
        "crafted_dns_pointer_chain": dns_udp(chain[:12] + chain[12:] + u16(1) + u16(1)),
        "crafted_dns_label_0x40": dns_udp(dns_hdr() + b"\x40" + b"a" * 70 + b"\x00"),
        "crafted_dns_name_too_long": dns_udp(dns_hdr() + name(long_name) + u16(1) + u16(1)),
        "crafted_dns_truncated_question": dns_udp(dns_hdr() + name("x.y") + b"\x00"),
        "crafted_dns_truncated_header": dns_udp(b"\x12\x34\x01"),
        "crafted_mdns": bytes([ETH]) + eth(0x0800) + ipv4(17, udp(5353, 5353, q)),
        "crafted_dns_tcp": bytes([ETH]) + eth(0x0800) + ipv4(
            6, tcp(40000, 53, 0x18, u16(len(q)) + q)),
        "crafted_dns_tcp_short_length": bytes([ETH]) + eth(0x0800) + ipv4(
            6, tcp(40000, 53, 0x18, u16(5) + q)),
        "crafted_qinq_dns": bytes([ETH]) + eth(0x88A8) + u16(200) + u16(0x8100) + u16(100) +
        u16(0x0800) + ipv4(17, udp(1, 53, q)),
        "crafted_vlan_too_deep": bytes([ETH]) + eth(0x8100) + (u16(1) + u16(0x8100)) * 6,
        "crafted_ipv4_bad_ihl": bytes([ETH]) + eth(0x0800) + ipv4(6, tcp(1, 2, 2), ihl=3),
        "crafted_ipv4_total_too_long": bytes([ETH]) + eth(0x0800) + ipv4(6, tcp(1, 2, 2), total=900),
        "crafted_ipv4_total_too_short": bytes([ETH]) + eth(0x0800) + ipv4(6, tcp(1, 2, 2), total=8),
        "crafted_ipv4_bad_options": bytes([ETH]) + eth(0x0800) + ipv4(
            17, udp(1, 2, b""), options=b"\x07\x09\x00\x00"),
        "crafted_ipv4_options_ok": bytes([ETH]) + eth(0x0800) + ipv4(
            17, udp(1, 2, b""), options=b"\x94\x04\x00\x00\x01\x01\x01\x00"),
        "crafted_ipv4_later_fragment": bytes([ETH]) + eth(0x0800) + ipv4(
            6, tcp(4444, 22, 2), frag=185),
        "crafted_ipv4_tiny_first_fragment": bytes([ETH]) + eth(0x0800) + ipv4(
            6, tcp(1, 2, 2)[:8], frag=0x2000),
        "crafted_tcp_bad_offset": bytes([ETH]) + eth(0x0800) + ipv4(6, tcp(1, 2, 2, doff=3)),
        "crafted_tcp_options_cut": bytes([ETH]) + eth(0x0800) + ipv4(6, tcp(1, 2, 2, doff=15)[:30]),
        "crafted_udp_bad_length": bytes([ETH]) + eth(0x0800) + ipv4(17, udp(1, 2, b"ab", 3)),
        "crafted_icmp_echo": bytes([ETH]) + eth(0x0800) + ipv4(1, b"\x08\x00\x00\x00\x00\x01\x00\x01"),
        "crafted_icmp_truncated": bytes([ETH]) + eth(0x0800) + ipv4(1, b"\x08"),
        "crafted_icmpv6_echo": bytes([ETH]) + eth(0x86DD) + ipv6(58, b"\x80\x00\x00\x00\x00\x01\x00\x01"),
        "crafted_ipv6_ext_chain": bytes([ETH]) + eth(0x86DD) + ipv6(
            0, ext(43) + ext(60, 1) + ext(51) + bytes([44, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]) +
            bytes([6, 0, 0, 1, 0, 0, 0, 7]) + tcp(5, 22, 2)),
        "crafted_ipv6_too_many_ext": bytes([ETH]) + eth(0x86DD) + ipv6(60, ext(60) * 12 + tcp(1, 2, 2)),
        "crafted_ipv6_later_fragment": bytes([ETH]) + eth(0x86DD) + ipv6(
            44, bytes([6, 0]) + u16(1448) + bytes(4) + tcp(1, 2, 2)),
        "crafted_ipv6_ext_truncated": bytes([ETH]) + eth(0x86DD) + ipv6(0, ext(6, 3)[:20]),
        "crafted_ipv6_bad_payload_length": bytes([ETH]) + eth(0x86DD) + ipv6(17, udp(1, 2, b""), plen=500),
        "crafted_arp_bad_hlen": bytes([ETH]) + eth(0x0806) + u16(1) + u16(0x0800) + bytes([8, 4]) + u16(2) + bytes(24),
        "crafted_arp_truncated": bytes([ETH]) + eth(0x0806) + u16(1) + u16(0x0800) + bytes([6, 4]) + u16(2) + bytes(5),
        "crafted_sll_truncated": bytes([SLL]) + bytes(10),
        "crafted_sll2_vlan": bytes([SLL2]) + u16(0x8100) + bytes(6) + u16(1) + bytes([0, 6]) +
        bytes(8) + u16(7) + u16(0x0800) + ipv4(17, udp(1, 53, q)),
        "crafted_null_unknown_family": bytes([NULL]) + b"\x07\x00\x00\x00" + ipv4(6, tcp(1, 2, 2)),
        "crafted_loop_ipv6": bytes([LOOP]) + b"\x00\x00\x00\x18" + ipv6(17, udp(1, 5353, q)),
        "crafted_raw_ipv6": bytes([RAW]) + ipv6(6, tcp(1, 2, 2)),
        "crafted_raw_bad_version": bytes([RAW]) + b"\x50" + bytes(30),
        "crafted_ipv4_link_v6_inside": bytes([IPV4]) + ipv6(6, tcp(1, 2, 2)),
        "crafted_ipv6_link": bytes([IPV6]) + ipv6(17, udp(1, 2, b"x")),
        "crafted_unsupported_link": bytes([UNSUPPORTED]) + bytes(40),
        "crafted_snapped_tcp": bytes([ETH | 0x80]) + eth(0x0800) + ipv4(6, tcp(1, 2, 2), total=1500),
        "crafted_empty_frame": bytes([ETH]),
    }
    return seeds


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    pcap_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "..", "shared", "pcaps")
    out_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "corpus", "fuzz_decode")
    os.makedirs(out_dir, exist_ok=True)
    seeds = real_seeds(pcap_dir)
    seeds.update(crafted())
    for name_, data in sorted(seeds.items()):
        with open(os.path.join(out_dir, name_), "wb") as f:
            f.write(data)
    print("wrote %d seeds to %s" % (len(seeds), out_dir))


if __name__ == "__main__":
    main()
