// Decode cost per frame for typical frames, and reading the large reference capture with a bare
// libpcap loop versus PcapFileSource + decode. Figures only; not a test.
#include <benchmark/benchmark.h>
#include <pcap/pcap.h>

#include <filesystem>
#include <string>

#include "capture/pcap_dir.h"
#include "capture/pcap_source.h"
#include "capture/pump.h"
#include "decode/decoder.h"
#include "decode/frame_builder.h"

namespace {

using namespace sentinel;
using namespace sentinel::testing;

void run_decode(benchmark::State& state, const Bytes& frame) {
    decode::Packet packet;
    decode::AnomalyCounters anomalies;
    for (auto _ : state) {
        bool ok = decode::decode_frame(decode::link_type::kEthernet, frame,
                                       static_cast<uint32_t>(frame.size()), Timestamp{1}, packet,
                                       anomalies);
        benchmark::DoNotOptimize(ok);
        benchmark::DoNotOptimize(packet.layers);
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_DecodeTcpSyn(benchmark::State& state) {
    const Bytes opts = {2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0};
    run_decode(state, cat({ethernet(0x0800), ipv4(6, {10, 0, 0, 1}, {93, 184, 216, 34},
                                                  tcp(40000, 443, 0x02, {}, opts))}));
}
BENCHMARK(BM_DecodeTcpSyn);

void BM_DecodeUdpDnsQuery(benchmark::State& state) {
    run_decode(state, cat({ethernet(0x0800),
                           ipv4(17, {192, 168, 1, 10}, {192, 168, 1, 1},
                                udp(53124, 53, dns_query(0x4242, "www.example.com", 1)))}));
}
BENCHMARK(BM_DecodeUdpDnsQuery);

void BM_DecodeIpv6Tcp(benchmark::State& state) {
    run_decode(state, cat({ethernet(0x86dd), ipv6(6, tcp(50000, 443, 0x10, Bytes(100, 0x42)))}));
}
BENCHMARK(BM_DecodeIpv6Tcp);

void BM_DecodeArp(benchmark::State& state) {
    run_decode(state,
               cat({ethernet(0x0806), arp(2, {0xde, 0xad, 0xbe, 0xef, 0, 1}, {192, 168, 1, 1},
                                          {0, 0x11, 0x22, 0x33, 0x44, 0x55}, {192, 168, 1, 7})}));
}
BENCHMARK(BM_DecodeArp);

std::string large_capture() {
    const std::filesystem::path dir = sentinel::testing::pcap_dir();
    if (dir.empty()) {
        return {};
    }
    const std::filesystem::path file = dir / "large/DERIVED_concat_316_real_captures.pcap";
    return std::filesystem::exists(file) ? file.string() : std::string();
}

void BM_ReadLargeBarePcapNextEx(benchmark::State& state) {
    const std::string path = large_capture();
    if (path.empty()) {
        state.SkipWithError("large reference capture not found");
        return;
    }
    uint64_t packets = 0, bytes = 0;
    for (auto _ : state) {
        char errbuf[PCAP_ERRBUF_SIZE];
        pcap_t* p = pcap_open_offline(path.c_str(), errbuf);
        pcap_pkthdr* header = nullptr;
        const u_char* data = nullptr;
        while (pcap_next_ex(p, &header, &data) == 1) {
            ++packets;
            bytes += header->caplen;
            benchmark::DoNotOptimize(data[0]);
        }
        pcap_close(p);
    }
    state.SetItemsProcessed(static_cast<int64_t>(packets));
    state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_ReadLargeBarePcapNextEx)->Unit(benchmark::kMillisecond);

void BM_ReadLargeFileSourceAndDecode(benchmark::State& state) {
    const std::string path = large_capture();
    if (path.empty()) {
        state.SkipWithError("large reference capture not found");
        return;
    }
    uint64_t packets = 0, bytes = 0, decoded = 0;
    for (auto _ : state) {
        capture::PcapFileSource source(path);
        if (!source.open()) {
            state.SkipWithError("cannot open the large capture");
            return;
        }
        capture::PacketPump pump(source);
        uint32_t layers = 0;
        (void)pump.run([&](const decode::Packet& p) { layers |= p.layers; }, 512);
        benchmark::DoNotOptimize(layers);
        packets += pump.stats().frames;
        decoded += pump.stats().decoded;
        bytes += pump.stats().bytes;
    }
    state.SetItemsProcessed(static_cast<int64_t>(packets));
    state.SetBytesProcessed(static_cast<int64_t>(bytes));
    state.counters["decoded_share"] =
        packets == 0 ? 0.0 : static_cast<double>(decoded) / static_cast<double>(packets);
}
BENCHMARK(BM_ReadLargeFileSourceAndDecode)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
