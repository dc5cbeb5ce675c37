#!/usr/bin/env python3
"""Pads every frame of a classic little-endian pcap to the 60-byte Ethernet minimum (zero
trailer, as a sending NIC does; the IP total length is left alone), so a 54-byte TCP SYN goes on
the veth as the 60-byte frame a real flood delivers.

    bench/capture/pad_frames.py IN.pcap OUT.pcap [MIN_BYTES=60]
"""
import struct
import sys


def main() -> None:
    src, dst = sys.argv[1], sys.argv[2]
    minimum = int(sys.argv[3]) if len(sys.argv) > 3 else 60
    with open(src, "rb") as inp, open(dst, "wb") as out:
        header = inp.read(24)
        if len(header) < 24 or struct.unpack("<I", header[:4])[0] not in (0xA1B2C3D4, 0xA1B23C4D):
            sys.exit(f"{src}: not a little-endian classic pcap")
        out.write(header)
        while True:
            record = inp.read(16)
            if len(record) < 16:
                break
            sec, sub, caplen, wirelen = struct.unpack("<IIII", record)
            data = inp.read(caplen)
            if caplen < minimum:
                data += b"\0" * (minimum - caplen)
                caplen, wirelen = minimum, max(wirelen, minimum)
            out.write(struct.pack("<IIII", sec, sub, caplen, wirelen) + data)


if __name__ == "__main__":
    main()
