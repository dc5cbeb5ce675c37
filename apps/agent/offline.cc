#include "agent/offline.h"

#include <chrono>
#include <filesystem>
#include <utility>

#include <fmt/format.h>

#include "capture/pcap_source.h"
#include "capture/pump.h"
#include "intel/reputation.h"
#include "platform/platform.h"
#include "schema/alert_json.h"

namespace sentinel::agent {
namespace {

// Writes each alert as one JSON line, completing the identity fields the detectors leave empty.
// Alerts the agent's suppression rules drop are counted and not written, as the live agent drops
// them before its spool.
class JsonLinesSink final : public detect::AlertSink {
  public:
    JsonLinesSink(const OfflineOptions& options, const OfflineContext& context, std::FILE* out)
        : options_(options), context_(context), out_(out) {}

    void emit(schema::Alert&& alert) override {
        ++count_;
        alert.agent_id = options_.agent_id;
        alert.hostname = options_.hostname;
        alert.os = options_.os;
        if (context_.suppress && context_.suppress(alert)) {
            ++suppressed_;
            return;
        }
        if (options_.output == OutputFormat::kNone) {
            return;
        }
        alert.id = schema::make_alert_id();
        const std::string line = schema::to_json(alert);
        std::fwrite(line.data(), 1, line.size(), out_);
        std::fputc('\n', out_);
    }
    uint64_t count() const { return count_; }
    uint64_t suppressed() const { return suppressed_; }

  private:
    const OfflineOptions& options_;
    const OfflineContext& context_;
    std::FILE* out_;
    uint64_t count_ = 0;
    uint64_t suppressed_ = 0;
};

// Drops every alert: the first pass only wants the lookups.
class NullSink final : public detect::AlertSink {
  public:
    void emit(schema::Alert&&) override {}
};

// A one-line bar on a terminal, redrawn at most ten times a second.
class ProgressBar {
  public:
    ProgressBar(std::FILE* out, uint64_t total_bytes) : out_(out), total_(total_bytes) {}

    void update(uint64_t done_bytes, uint64_t packets) {
        const auto now = std::chrono::steady_clock::now();
        if (now - last_ < std::chrono::milliseconds(100)) {
            return;
        }
        last_ = now;
        draw(done_bytes, packets);
    }
    void finish(uint64_t packets) {
        draw(total_, packets);
        std::fputc('\n', out_);
    }

  private:
    void draw(uint64_t done, uint64_t packets) {
        constexpr int kWidth = 40;
        const double fraction =
            total_ == 0 ? 1.0 : std::min(1.0, static_cast<double>(done) / total_);
        const int filled = static_cast<int>(fraction * kWidth);
        std::fprintf(out_, "\r[%s%s] %3d%%  %llu packets", std::string(filled, '#').c_str(),
                     std::string(kWidth - filled, ' ').c_str(), static_cast<int>(fraction * 100),
                     static_cast<unsigned long long>(packets));
        std::fflush(out_);
    }

    std::FILE* out_;
    uint64_t total_;
    std::chrono::steady_clock::time_point last_{};
};

uint64_t file_size(const std::string& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    return ec ? 0 : static_cast<uint64_t>(size);
}

std::string human_bytes(uint64_t bytes) {
    if (bytes >= 1'000'000) {
        return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6);
    }
    if (bytes >= 1'000) {
        return fmt::format("{:.1f} kB", static_cast<double>(bytes) / 1e3);
    }
    return fmt::format("{} B", bytes);
}

}  // namespace

Result<std::vector<intel::LookupRequest>> collect_lookups(const OfflineOptions& options) {
    capture::PcapFileSource source(options.path);
    if (Status s = source.open(); !s.is_ok()) {
        return s;
    }
    // A LocalReputation that nobody answers: it filters (internal addresses, private names) and
    // deduplicates exactly as in live capture, and its request ring is drained after each batch
    // (a batch of 256 packets asks at most a few requests per packet).
    intel::LocalOptions local;
    local.ring_capacity = 4096;
    local.lookups = true;
    intel::LocalReputation collector(local);
    NullSink sink;
    detect::Engine engine(collector, sink);
    if (Status s = engine.configure(options.detectors, detect::builtin_registry(), options.only);
        !s.is_ok()) {
        return s;
    }
    std::vector<intel::LookupRequest> wanted;
    capture::PacketPump pump(source);
    while (!source.finished()) {
        Result<size_t> n =
            pump.run_batch(256, [&](const decode::Packet& p) { engine.on_packet(p); });
        if (!n) {
            return n.status();
        }
        intel::LookupRequest r;
        while (collector.take_request(r)) {
            wanted.push_back(r);
        }
    }
    source.close();
    return wanted;
}

Result<OfflineSummary> run_offline(const OfflineOptions& options, std::FILE* alerts,
                                   std::FILE* diagnostics, const OfflineContext& context) {
    capture::PcapFileSource source(options.path);
    if (Status s = source.open(); !s.is_ok()) {
        return s;
    }
    intel::NullReputation no_reputation;
    intel::ReputationView& reputation =
        context.reputation != nullptr ? *context.reputation : no_reputation;
    JsonLinesSink sink(options, context, alerts);
    detect::Engine engine(reputation, sink);
    if (Status s = engine.configure(options.detectors, detect::builtin_registry(), options.only);
        !s.is_ok()) {
        return s;
    }

    capture::PacketPump pump(source);
    ProgressBar bar(diagnostics, file_size(options.path));
    // pcap record headers are 16 bytes; close enough to the file offset for a progress bar.
    uint64_t file_bytes = 24;
    const auto start = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point first_packet{};
    while (!source.finished()) {
        Result<size_t> n = pump.run_batch(256, [&](const decode::Packet& p) {
            if (engine.packets() == 0) {
                first_packet = std::chrono::steady_clock::now();
            }
            engine.on_packet(p);
            file_bytes += 16 + p.captured_len;
        });
        if (!n) {
            return n.status();
        }
        engine.between_batches();
        if (options.progress) {
            bar.update(file_bytes, pump.stats().frames);
        }
    }
    const auto elapsed = std::chrono::steady_clock::now() - start;
    if (options.progress) {
        bar.finish(pump.stats().frames);
    }
    std::fflush(alerts);
    source.close();

    OfflineSummary summary;
    summary.packets = pump.stats().frames;
    summary.bytes = pump.stats().bytes;
    summary.decoded = pump.stats().decoded;
    summary.seconds = std::chrono::duration<double>(elapsed).count();
    summary.alerts = sink.count();
    summary.categories = engine.category_stats();
    summary.anomalies = pump.stats().anomalies;
    summary.counters = engine.counters();
    summary.evictions = engine.total_evictions();
    summary.state_bytes = engine.state_bytes();
    summary.cap_bytes = engine.cap_bytes();
    summary.peak_resident_bytes = platform::peak_resident_bytes();
    summary.startup_seconds = std::chrono::duration<double>(
                                  (engine.packets() == 0 ? start : first_packet) - options.started)
                                  .count();
    summary.suppressed = sink.suppressed();
    summary.reputation = context.reputation_text.empty() ? "off" : context.reputation_text;
    return summary;
}

std::string format_summary(const OfflineSummary& s) {
    std::string out;
    const double rate = s.seconds > 0 ? static_cast<double>(s.packets) / s.seconds : 0;
    out += fmt::format("packets     {} ({} decoded)\n", s.packets, s.decoded);
    out += fmt::format("bytes       {}\n", human_bytes(s.bytes));
    out += fmt::format("elapsed     {:.3f} s, {:.0f} packets/s\n", s.seconds, rate);
    out += fmt::format("start-up    {:.1f} ms to the first packet\n", s.startup_seconds * 1e3);
    out += fmt::format("alerts      {}", s.alerts);
    std::string sep = ": ";
    for (const auto& c : s.categories) {
        if (c.emitted > 0 || c.suppressed > 0) {
            out += fmt::format("{}{} {} ({} suppressed by cooldown)", sep, c.category, c.emitted,
                               c.suppressed);
            sep = ", ";
        }
    }
    out += '\n';
    out += fmt::format("anomalies   {}", s.anomalies.total());
    sep = ": ";
    for (size_t i = 0; i < decode::kAnomalyCount; ++i) {
        const uint64_t n = s.anomalies.counts()[i];
        if (n > 0) {
            out += fmt::format("{}{} {}", sep,
                               decode::anomaly_name(static_cast<decode::Anomaly>(i)), n);
            sep = ", ";
        }
    }
    out += '\n';
    out += fmt::format("evictions   {}", s.evictions);
    sep = ": ";
    constexpr std::string_view kSuffix = ".evictions";
    for (const auto& c : s.counters) {
        if (c.value > 0 && c.name.ends_with(kSuffix)) {
            out += fmt::format("{}{} {}", sep, c.name.substr(0, c.name.size() - kSuffix.size()),
                               c.value);
            sep = ", ";
        }
    }
    out += '\n';
    out += fmt::format("reputation  {}\n", s.reputation.empty() ? "off" : s.reputation);
    if (s.suppressed > 0) {
        out += fmt::format("suppressed  {} by the agent's suppression rules\n", s.suppressed);
    }
    out += fmt::format("state       {} allocated for detector tables (at most {} at the caps)\n",
                       human_bytes(s.state_bytes), human_bytes(s.cap_bytes));
    out += fmt::format("memory      {} peak resident\n", human_bytes(s.peak_resident_bytes));
    return out;
}

std::string local_hostname() { return platform::hostname(); }

std::string local_os() { return platform::os_description(); }

}  // namespace sentinel::agent
