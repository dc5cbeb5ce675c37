#!/usr/bin/env python3
"""Writes a pcap of N TCP SYNs from random spoofed IPv4 sources to one victim (10.0.0.9:80),
100 000 per second of capture time: the on-the-wire twin of the BoundedState unit test.

    bench/memory/make_flood_pcap.py /tmp/flood_1m.pcap [N=1000000] [seed=42]
"""
import random
import struct
import sys


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def main() -> None:
    path = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 42)
    victim = bytes([10, 0, 0, 9])
    eth = bytes.fromhex("020000000002" "020000000001" "0800")
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(count):
            src = struct.pack("!I", rng.getrandbits(32) | 0x01000000)
            sport = rng.getrandbits(16)
            tcp = struct.pack("!HHIIBBHHH", sport, 80, rng.getrandbits(32), 0, 5 << 4, 0x02,
                              64240, 0, 0)
            pseudo = src + victim + struct.pack("!BBH", 0, 6, len(tcp))
            tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), i & 0xFFFF, 0, 64, 6, 0,
                             src, victim)
            ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
            frame = eth + ip + tcp
            usec = 1000 * 1_000_000 + i * 10  # 100 000 SYN/s from t = 1000 s
            out.write(struct.pack("<IIII", usec // 1_000_000, usec % 1_000_000, len(frame),
                                  len(frame)))
            out.write(frame)


if __name__ == "__main__":
    main()
