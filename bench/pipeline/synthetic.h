#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace sentinel::bench {

// Writes a classic pcap (Ethernet, microseconds) of `packets` frames of mixed traffic: 4096
// concurrent flows between 2000 internal clients and 500 external servers (TCP and QUIC-like UDP
// over IPv4, TCP over IPv6) that are replaced now and then (starting with a SYN), DNS queries,
// ICMP echo, ARP, plus short attack bursts every 200 000 frames (a port scan, a SYN flood, a
// tunnelled DNS session). Frames are cut at 96 bytes like a header-only capture; the IP length
// fields keep the real sizes. Timestamps advance 100 µs per frame (10 000 frames/s).
Status write_synthetic_pcap(const std::string& path, uint64_t packets, uint32_t seed = 1);

}  // namespace sentinel::bench
