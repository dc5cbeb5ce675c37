#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "capture/pcap_dir.h"
#include "capture/pcap_source.h"
#include "capture/pump.h"
#include "decode/decoder.h"

namespace sentinel::capture {
namespace {

namespace fs = std::filesystem;
using decode::Packet;

#define REQUIRE_PCAPS(dir)                                                                   \
    const fs::path dir = sentinel::testing::pcap_dir();                                      \
    if (dir.empty()) {                                                                       \
        GTEST_SKIP() << "reference captures not found (set SENTINEL_PCAP_DIR to the folder " \
                        "holding MANIFEST.md)";                                              \
    }

struct ManifestEntry {
    uint64_t packets = 0;
    std::string link;  // text of the link-type column, e.g. "Linux SLL2 (pcap)"
};

std::vector<std::string> split(const std::string& text, const std::string& sep) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t at; (at = text.find(sep, start)) != std::string::npos; start = at + sep.size()) {
        parts.push_back(text.substr(start, at - start));
    }
    parts.push_back(text.substr(start));
    return parts;
}

std::string trim(const std::string& s) {
    const size_t b = s.find_first_not_of(' ');
    const size_t e = s.find_last_not_of(' ');
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// Reads "| `data/pcaps/<path>` | source | <size> / <N> pkts / <duration> / <link type> |" rows.
// (Hand-parsed: std::regex trips GCC 12's -Wmaybe-uninitialized under the sanitizers.)
std::map<std::string, ManifestEntry> read_manifest(const fs::path& dir) {
    std::ifstream in(dir / "MANIFEST.md");
    std::map<std::string, ManifestEntry> out;
    const std::string prefix = "| `data/pcaps/";
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(prefix, 0) != 0) {
            continue;
        }
        const std::vector<std::string> cells = split(line, "|");
        if (cells.size() < 5) {
            continue;
        }
        const std::string path = trim(cells[1]);
        const std::vector<std::string> facts = split(cells[3], " / ");
        if (path.size() < 13 || facts.size() < 4 || facts[1].find(" pkts") == std::string::npos) {
            continue;
        }
        ManifestEntry entry;
        entry.packets = std::stoull(trim(facts[1]));
        entry.link = trim(facts.back());
        out[path.substr(12, path.size() - 13)] = entry;  // strip "`data/pcaps/" and "`"
    }
    return out;
}

int expected_dlt(const std::string& link) {
    if (link.rfind("Ethernet", 0) == 0)
        return decode::link_type::kEthernet;
    if (link.rfind("Linux SLL2", 0) == 0)
        return decode::link_type::kLinuxSll2;
    if (link.rfind("Linux SLL", 0) == 0)
        return decode::link_type::kLinuxSll;
    if (link.rfind("NULL", 0) == 0)
        return decode::link_type::kNull;
    return -1;
}

struct FileSummary {
    int dlt = -1;
    PumpStats stats;
    uint64_t layer_counts[32] = {};
    uint64_t port_hits = 0;
    uint64_t later_fragments = 0;
    uint64_t later_fragments_with_ports = 0;
    uint16_t last_vlan = 0;
};

FileSummary summarize(const fs::path& path, uint16_t port = 0, std::string bpf = {}) {
    FileSummary s;
    PcapFileSource source(path.string(), std::move(bpf));
    Status st = source.open();
    EXPECT_TRUE(st.is_ok()) << st.message();
    if (!st) {
        return s;
    }
    s.dlt = source.datalink();
    PacketPump pump(source);
    Status run = pump.run([&](const Packet& p) {
        for (int bit = 0; bit < 32; ++bit) {
            if (p.layers & (1u << bit)) {
                ++s.layer_counts[bit];
            }
        }
        if (port != 0 && (p.src_port == port || p.dst_port == port)) {
            ++s.port_hits;
        }
        if (p.is_later_fragment) {
            ++s.later_fragments;
            if (p.src_port != 0 || p.dst_port != 0 ||
                (p.layers & (decode::kLayerTcp | decode::kLayerUdp)) != 0) {
                ++s.later_fragments_with_ports;
            }
        }
        if (p.has(decode::kLayerVlan)) {
            s.last_vlan = p.vlan_id;
        }
    });
    EXPECT_TRUE(run.is_ok()) << run.message();
    s.stats = pump.stats();
    return s;
}

uint64_t count(const FileSummary& s, decode::Layer layer) {
    for (int bit = 0; bit < 32; ++bit) {
        if (layer == (1u << bit)) {
            return s.layer_counts[bit];
        }
    }
    return 0;
}

TEST(PcapFile, EveryReferenceCaptureMatchesTheManifest) {
    REQUIRE_PCAPS(dir);
    const auto manifest = read_manifest(dir);
    ASSERT_GE(manifest.size(), 75u) << "MANIFEST.md rows not recognised";
    size_t files = 0;
    uint64_t frames = 0, later_fragments = 0;
    decode::AnomalyCounters anomalies;
    for (const auto& [rel, entry] : manifest) {
        SCOPED_TRACE(rel);
        const fs::path path = dir / rel;
        ASSERT_TRUE(fs::exists(path));
        FileSummary s = summarize(path);
        EXPECT_EQ(s.stats.frames, entry.packets);
        EXPECT_EQ(s.dlt, expected_dlt(entry.link)) << entry.link;
        // Every reference capture is IP or ARP traffic: nearly all frames must decode.
        EXPECT_GE(s.stats.decoded * 100, s.stats.frames * 95)
            << s.stats.decoded << " of " << s.stats.frames << " decoded";
        EXPECT_EQ(s.later_fragments_with_ports, 0u);
        ++files;
        frames += s.stats.frames;
        later_fragments += s.later_fragments;
        anomalies.merge(s.stats.anomalies);
    }
    EXPECT_GE(files, 75u);
    EXPECT_GT(later_fragments, 0u);  // the large capture holds real fragmented traffic
    std::cout << files << " captures, " << frames << " frames, anomalies:";
    for (size_t i = 0; i < decode::kAnomalyCount; ++i) {
        const auto a = static_cast<decode::Anomaly>(i);
        if (anomalies.get(a) != 0) {
            std::cout << " " << decode::anomaly_name(a) << "=" << anomalies.get(a);
        }
    }
    std::cout << "\n";
}

TEST(PcapFile, LinuxCookedV2) {
    REQUIRE_PCAPS(dir);
    FileSummary s =
        summarize(dir / "exfiltration/suricata-verify_sll2_2.6MB_burst_BELOW_threshold.pcap");
    EXPECT_EQ(s.dlt, decode::link_type::kLinuxSll2);
    EXPECT_EQ(s.stats.frames, 159u);
    EXPECT_EQ(count(s, decode::kLayerTcp), 159u);
    EXPECT_EQ(s.stats.anomalies.total(), 0u);
}

TEST(PcapFile, LinuxCookedV1WithArp) {
    REQUIRE_PCAPS(dir);
    FileSummary s = summarize(dir / "arp_spoofing/cce15_ettercap_arp_dns_spoof_SLL.pcap");
    EXPECT_EQ(s.dlt, decode::link_type::kLinuxSll);
    EXPECT_GT(count(s, decode::kLayerArp), 0u);
    EXPECT_GT(count(s, decode::kLayerDns), 0u);
    EXPECT_EQ(s.stats.decoded, s.stats.frames);
}

TEST(PcapFile, BsdLoopbackNull) {
    REQUIRE_PCAPS(dir);
    FileSummary s =
        summarize(dir / "suspicious_ports/zeek_socks_loopback_NULL_linktype.pcap", 1080);
    EXPECT_EQ(s.dlt, decode::link_type::kNull);
    EXPECT_EQ(s.stats.frames, 18u);
    EXPECT_EQ(count(s, decode::kLayerTcp), 18u);
    EXPECT_GT(s.port_hits, 0u);
}

TEST(PcapFile, PcapngAndIpv6) {
    REQUIRE_PCAPS(dir);
    FileSummary ng = summarize(dir / "benign/ndpi_sites_mixed_tls.pcapng");
    EXPECT_EQ(ng.stats.frames, 699u);
    EXPECT_GT(count(ng, decode::kLayerIpv4), 0u);
    EXPECT_GT(count(ng, decode::kLayerIpv6), 0u);

    FileSummary v6 = summarize(dir / "benign/ndpi_reddit_ipv6_browsing.pcap");
    EXPECT_EQ(v6.stats.frames, 1942u);
    EXPECT_GT(count(v6, decode::kLayerIpv6) * 10, v6.stats.frames * 9);
    EXPECT_GT(count(v6, decode::kLayerTcp), 0u);
}

TEST(PcapFile, DnsQuestionsFromRealTunnels) {
    REQUIRE_PCAPS(dir);
    // dnsexfiltrator: 14 queries (and their answers), longest name 246 characters.
    const fs::path path = dir / "dns_tunnel/dmachard_dnsexfiltrator.pcap";
    PcapFileSource source(path.string());
    ASSERT_TRUE(source.open().is_ok());
    PacketPump pump(source);
    size_t queries = 0, longest = 0;
    ASSERT_TRUE(pump.run([&](const Packet& p) {
                        if (p.has(decode::kLayerDns) && !p.dns.is_response) {
                            ++queries;
                            longest = std::max(longest, p.dns.name().size());
                        }
                    })
                    .is_ok());
    EXPECT_EQ(queries, 14u);
    EXPECT_EQ(longest, 246u);
}

TEST(PcapFile, VlanTaggedCapture) {
    REQUIRE_PCAPS(dir);
    FileSummary s = summarize(dir / "port_scan/esnet_masscan_tcp_0-1000.pcap");
    EXPECT_EQ(s.stats.frames, 1005u);
    EXPECT_EQ(count(s, decode::kLayerVlan), 1005u);
    EXPECT_EQ(count(s, decode::kLayerTcp), 1005u);
    EXPECT_NE(s.last_vlan, 0);
}

TEST(PcapFile, BpfFilterAppliesToFiles) {
    REQUIRE_PCAPS(dir);
    FileSummary all = summarize(dir / "suspicious_ports/ndpi_socks_port1080.pcap", 1080);
    FileSummary filtered =
        summarize(dir / "suspicious_ports/ndpi_socks_port1080.pcap", 1080, "tcp port 1080");
    EXPECT_EQ(filtered.stats.frames, all.port_hits);
    EXPECT_EQ(filtered.port_hits, filtered.stats.frames);
    EXPECT_LT(filtered.stats.frames, all.stats.frames);
}

TEST(PcapFile, BadFilterIsAClearError) {
    REQUIRE_PCAPS(dir);
    PcapFileSource source((dir / "arp_spoofing/ppa_arp_request_reply_BENIGN.pcap").string(),
                          "tcp port eleventy");
    Status s = source.open();
    ASSERT_FALSE(s.is_ok());
    EXPECT_NE(s.message().find("invalid capture filter 'tcp port eleventy'"), std::string::npos)
        << s.message();
}

TEST(PcapFile, MissingAndGarbageFilesAreErrors) {
    PcapFileSource missing("/nonexistent/capture.pcap");
    Status s = missing.open();
    ASSERT_FALSE(s.is_ok());
    EXPECT_NE(s.message().find("/nonexistent/capture.pcap"), std::string::npos);

    const fs::path garbage =
        fs::temp_directory_path() / ("sentinel_garbage_" + std::to_string(::getpid()) + ".pcap");
    {
        std::ofstream out(garbage);
        out << "this is not a capture file at all";
    }
    PcapFileSource bad(garbage.string());
    EXPECT_FALSE(bad.open().is_ok());
    fs::remove(garbage);

    Result<size_t> not_open = missing.next_batch(10, [](const RawFrame&) {});
    EXPECT_FALSE(not_open.is_ok());
}

TEST(PcapFile, OpenSourcePicksTheFileWhenOneIsGiven) {
    REQUIRE_PCAPS(dir);
    SourceOptions options;
    options.read_file = (dir / "arp_spoofing/ppa_arp_request_reply_BENIGN.pcap").string();
    options.live.interface = "never-opened0";
    Result<std::unique_ptr<PacketSource>> source = open_source(options);
    ASSERT_TRUE(source.is_ok()) << source.error();
    EXPECT_EQ((*source)->name(), options.read_file);
    EXPECT_EQ((*source)->datalink(), decode::link_type::kEthernet);
    PacketPump pump(**source);
    ASSERT_TRUE(pump.run([](const Packet&) {}).is_ok());
    EXPECT_EQ(pump.stats().frames, 2u);
    EXPECT_EQ(pump.stats().anomalies.summary(), "none");
    EXPECT_EQ(describe((*source)->stats(), pump.stats()), "frames 2 (decoded 2), anomalies: none");
    CaptureStats live;
    live.kernel_stats = true;
    live.received = 12;
    live.dropped = 3;
    PumpStats counted;
    counted.frames = 9;
    counted.decoded = 8;
    counted.anomalies.add(decode::Anomaly::kTruncatedIpv4);
    EXPECT_EQ(describe(live, counted),
              "frames 9 (decoded 8), kernel received 12 dropped 3 interface dropped 0, "
              "anomalies: truncated_ipv4=1");

    options.read_file = "/nonexistent/x.pcap";
    Result<std::unique_ptr<PacketSource>> missing = open_source(options);
    ASSERT_FALSE(missing.is_ok());
    EXPECT_NE(missing.error().find("/nonexistent/x.pcap"), std::string::npos);
}

TEST(PcapFile, BatchesStopAndTimestamps) {
    REQUIRE_PCAPS(dir);
    PcapFileSource source((dir / "port_scan/ppa_portscan_29ports.pcap").string());
    ASSERT_TRUE(source.open().is_ok());
    EXPECT_EQ(source.name(), (dir / "port_scan/ppa_portscan_29ports.pcap").string());
    size_t total = 0;
    int64_t last_ns = 0;
    bool ordered = true;
    auto on_frame = [&](const RawFrame& f) {
        ordered = ordered && f.ts.ns >= last_ns;
        last_ns = f.ts.ns;
        EXPECT_GE(f.wire_len, f.data.size());
        ++total;
    };
    Result<size_t> first = source.next_batch(10, on_frame);
    ASSERT_TRUE(first.is_ok());
    EXPECT_EQ(*first, 10u);
    EXPECT_FALSE(source.finished());
    source.stop();
    EXPECT_TRUE(source.finished());
    Result<size_t> after_stop = source.next_batch(10, on_frame);
    ASSERT_TRUE(after_stop.is_ok());
    EXPECT_EQ(*after_stop, 0u);
    EXPECT_EQ(source.stats().delivered, 10u);
    EXPECT_TRUE(ordered);
    EXPECT_GT(last_ns, 1'000'000'000'000'000'000);  // an epoch time in nanoseconds (after 2001)
}

}  // namespace
}  // namespace sentinel::capture
