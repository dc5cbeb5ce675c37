// Throughput of the agent's offline pipeline against a bare libpcap read loop over the same
// file, and the per-stage cost (decode, detect) in ns/packet. See docs/benchmarks.md.
//
//   pipeline_bench [--synthetic-packets N] [--file PCAP]... [google benchmark flags]
#include <benchmark/benchmark.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "capture/pcap_source.h"
#include "capture/pump.h"
#include "decode/decoder.h"
#include "detect/engine.h"
#include "intel/reputation.h"
#include "synthetic.h"

namespace {

using namespace sentinel;

struct NullSink final : detect::AlertSink {
    uint64_t alerts = 0;
    void emit(schema::Alert&&) override { ++alerts; }
};

// Wall-clock and CPU time of the calling thread: on a shared machine the CPU time is the
// steadier measure of work done (both loops read from the page cache, so they are CPU-bound).
struct Timing {
    uint64_t packets = 0;
    double seconds = 0;
    double cpu_seconds = 0;
    double pps() const { return seconds > 0 ? static_cast<double>(packets) / seconds : 0; }
    double cpu_pps() const {
        return cpu_seconds > 0 ? static_cast<double>(packets) / cpu_seconds : 0;
    }
};

double now_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

double cpu_seconds() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// (a) libpcap alone: open the file and hand every frame to a callback that only counts.
Timing bare_read(const std::string& path) {
    char errbuf[PCAP_ERRBUF_SIZE];
    const double start = now_seconds();
    const double cpu_start = cpu_seconds();
    pcap_t* p =
        pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (p == nullptr) {
        std::fprintf(stderr, "%s\n", errbuf);
        std::exit(1);
    }
    uint64_t count = 0;
    pcap_dispatch(
        p, -1,
        [](u_char* user, const pcap_pkthdr* h, const u_char* bytes) {
            auto* n = reinterpret_cast<uint64_t*>(user);
            *n += 1;
            benchmark::DoNotOptimize(h->caplen);
            benchmark::DoNotOptimize(bytes);
        },
        reinterpret_cast<u_char*>(&count));
    pcap_close(p);
    return {count, now_seconds() - start, cpu_seconds() - cpu_start};
}

// (b) What `sentinel-agent --read FILE --output none` runs: file source, decoder, every
// detector (reputation disabled), cooldown and a sink.
Timing full_pipeline(const std::string& path, uint64_t* alerts = nullptr) {
    intel::NullReputation reputation;
    NullSink sink;
    detect::Engine engine(reputation, sink);
    if (!engine.configure(config::DetectorConfig{}).is_ok()) {
        std::exit(1);
    }
    const double start = now_seconds();
    const double cpu_start = cpu_seconds();
    capture::PcapFileSource source(path);
    if (!source.open().is_ok()) {
        std::exit(1);
    }
    capture::PacketPump pump(source);
    if (!pump.run([&](const decode::Packet& p) { engine.on_packet(p); }).is_ok()) {
        std::exit(1);
    }
    const double seconds = now_seconds() - start;
    const double cpu = cpu_seconds() - cpu_start;
    if (alerts != nullptr) {
        *alerts = sink.alerts;
    }
    return {pump.stats().frames, seconds, cpu};
}

// Frames of a file held in memory, for the per-stage benchmarks.
struct Frames {
    int dlt = 1;
    std::vector<uint8_t> bytes;
    struct Frame {
        size_t offset;
        uint32_t caplen, wire_len;
        Timestamp ts;
    };
    std::vector<Frame> frames;
};

Frames load(const std::string& path) {
    Frames f;
    capture::PcapFileSource source(path);
    if (!source.open().is_ok()) {
        std::exit(1);
    }
    f.dlt = source.datalink();
    while (!source.finished()) {
        (void)source.next_batch(4096, [&](const capture::RawFrame& r) {
            f.frames.push_back(
                {f.bytes.size(), static_cast<uint32_t>(r.data.size()), r.wire_len, r.ts});
            f.bytes.insert(f.bytes.end(), r.data.begin(), r.data.end());
        });
    }
    return f;
}

void bm_decode(benchmark::State& state, const Frames* f) {
    decode::Packet packet;
    decode::AnomalyCounters anomalies;
    for (auto _ : state) {
        for (const auto& fr : f->frames) {
            decode::decode_frame(f->dlt, {f->bytes.data() + fr.offset, fr.caplen}, fr.wire_len,
                                 fr.ts, packet, anomalies);
            benchmark::DoNotOptimize(packet.layers);
        }
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * f->frames.size()));
    state.counters["ns_per_packet"] =
        benchmark::Counter(static_cast<double>(state.iterations() * f->frames.size()),
                           benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Detection alone over packets decoded beforehand (in batches, so the packets stay small in
// memory): the engine sees the same packets in the same order as in the pipeline.
void bm_detect(benchmark::State& state, const Frames* f) {
    constexpr size_t kBatch = 4096;
    std::vector<decode::Packet> batch(kBatch);
    decode::AnomalyCounters anomalies;
    intel::NullReputation reputation;
    NullSink sink;
    for (auto _ : state) {
        state.PauseTiming();
        detect::Engine engine(reputation, sink);
        (void)engine.configure(config::DetectorConfig{});
        state.ResumeTiming();
        for (size_t base = 0; base < f->frames.size(); base += kBatch) {
            const size_t n = std::min(kBatch, f->frames.size() - base);
            state.PauseTiming();
            for (size_t i = 0; i < n; ++i) {
                const auto& fr = f->frames[base + i];
                decode::decode_frame(f->dlt, {f->bytes.data() + fr.offset, fr.caplen}, fr.wire_len,
                                     fr.ts, batch[i], anomalies);
            }
            state.ResumeTiming();
            for (size_t i = 0; i < n; ++i) {
                engine.on_packet(batch[i]);
            }
        }
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * f->frames.size()));
    state.counters["ns_per_packet"] =
        benchmark::Counter(static_cast<double>(state.iterations() * f->frames.size()),
                           benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Timed manually (CPU time of the run): the engine's one-off start-up (allocating and zeroing
// its tables) is not per-packet work.
void bm_pipeline(benchmark::State& state, const std::string* path) {
    uint64_t packets = 0;
    for (auto _ : state) {
        const Timing t = full_pipeline(*path);
        packets += t.packets;
        state.SetIterationTime(t.cpu_seconds);
    }
    state.SetItemsProcessed(static_cast<int64_t>(packets));
    state.counters["ns_per_packet"] = benchmark::Counter(
        static_cast<double>(packets), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void bm_bare(benchmark::State& state, const std::string* path) {
    uint64_t packets = 0;
    for (auto _ : state) {
        packets += bare_read(*path).packets;
    }
    state.SetItemsProcessed(static_cast<int64_t>(packets));
    state.counters["ns_per_packet"] = benchmark::Counter(
        static_cast<double>(packets), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Runs (a) and (b) alternately `rounds` times and reports the median of each and their ratio,
// by CPU time and by wall-clock time.
void compare(const std::string& label, const std::string& path, int rounds) {
    std::vector<double> a, b, a_cpu, b_cpu;
    uint64_t packets = 0, alerts = 0;
    bare_read(path);  // warm the page cache
    for (int i = 0; i < rounds; ++i) {
        const Timing ta = bare_read(path);
        const Timing tb = full_pipeline(path, &alerts);
        a.push_back(ta.pps());
        b.push_back(tb.pps());
        a_cpu.push_back(ta.cpu_pps());
        b_cpu.push_back(tb.cpu_pps());
        packets = tb.packets;
    }
    const auto median = [](std::vector<double>& v) {
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    };
    const double ma = median(a), mb = median(b), ca = median(a_cpu), cb = median(b_cpu);
    std::printf("%s: %llu packets, %llu alerts\n", label.c_str(),
                static_cast<unsigned long long>(packets), static_cast<unsigned long long>(alerts));
    std::printf(
        "  CPU time:  (a) bare libpcap %12.0f pkt/s  (b) pipeline %12.0f pkt/s  b/a = %.2f\n", ca,
        cb, cb / ca);
    std::printf(
        "  wall time: (a) bare libpcap %12.0f pkt/s  (b) pipeline %12.0f pkt/s  b/a = %.2f\n", ma,
        mb, mb / ma);
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    uint64_t synthetic = 10'000'000;
    int rounds = 5;
    std::vector<std::string> files;
    std::vector<char*> rest = {argv[0]};
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--synthetic-packets") == 0 && i + 1 < argc) {
            synthetic = std::strtoull(argv[++i], nullptr, 10);
        } else if (std::strcmp(argv[i], "--file") == 0 && i + 1 < argc) {
            files.emplace_back(argv[++i]);
        } else if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
            rounds = std::max(1, std::atoi(argv[++i]));
        } else {
            rest.push_back(argv[i]);
        }
    }
    if (files.empty()) {
        const char* dir = std::getenv("SENTINEL_PCAP_DIR");
        // Beside the checkout, like the tests (SENTINEL_PCAP_DIR is the configured location).
        const std::string base = dir != nullptr ? dir : SENTINEL_PCAP_DIR;
        files.push_back(base + "/large/DERIVED_concat_316_real_captures.pcap");
    }

    char tmpl[] = "/tmp/sentinel-bench-XXXXXX";
    const char* tmpdir = ::mkdtemp(tmpl);
    if (tmpdir == nullptr) {
        return 1;
    }
    const std::string synthetic_path = std::string(tmpdir) + "/synthetic.pcap";
    if (synthetic > 0) {
        std::printf("writing %llu synthetic packets to %s\n",
                    static_cast<unsigned long long>(synthetic), synthetic_path.c_str());
        std::fflush(stdout);
        if (!sentinel::bench::write_synthetic_pcap(synthetic_path, synthetic).is_ok()) {
            return 1;
        }
        files.push_back(synthetic_path);
    }

    std::printf("\nThroughput, median of %d alternating rounds:\n", rounds);
    for (const auto& f : files) {
        compare(std::filesystem::path(f).filename().string(), f, rounds);
    }
    std::printf("\nPer stage (Google Benchmark):\n");
    std::fflush(stdout);

    std::vector<Frames> loaded;
    loaded.reserve(files.size());
    for (const auto& f : files) {
        loaded.push_back(load(f));
    }
    for (size_t i = 0; i < files.size(); ++i) {
        const std::string name = std::filesystem::path(files[i]).stem().string();
        benchmark::RegisterBenchmark(("bare_libpcap/" + name).c_str(), bm_bare, &files[i])
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("pipeline/" + name).c_str(), bm_pipeline, &files[i])
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("decode/" + name).c_str(), bm_decode, &loaded[i])
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("detect/" + name).c_str(), bm_detect, &loaded[i])
            ->Unit(benchmark::kMillisecond);
    }
    int bargc = static_cast<int>(rest.size());
    benchmark::Initialize(&bargc, rest.data());
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();

    std::filesystem::remove_all(tmpdir);
    return 0;
}
