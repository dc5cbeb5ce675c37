#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "capture/packet_source.h"

struct pcap;

namespace sentinel::capture {

// Live-capture settings; the defaults suit an IDS sensor.
struct LiveOptions {
    std::string interface;     // empty: choose_interface()
    std::string bpf;           // empty: every frame
    bool promiscuous = true;   // also see traffic between other hosts
    int snap_length = 262144;  // bytes kept per frame (libpcap's default maximum)
    // Kernel ring: larger absorbs longer bursts, and all of it becomes resident memory of the
    // process. 2 MiB, tcpdump's size, keeps up with a busy host (docs/benchmarks.md).
    int buffer_bytes = 2 << 20;
    int timeout_ms = 100;    // longest wait before a partial batch is delivered
    bool immediate = false;  // deliver each frame at once (lower latency, more wake-ups)
};

// Reads a pcap or pcapng file (libpcap detects the format) with nanosecond timestamps.
class PcapFileSource final : public PacketSource {
  public:
    // bpf, when not empty, filters the file like a live capture would.
    explicit PcapFileSource(std::string path, std::string bpf = {});
    ~PcapFileSource() override;
    PcapFileSource(const PcapFileSource&) = delete;
    PcapFileSource& operator=(const PcapFileSource&) = delete;

    Status open() override;
    Result<size_t> next_batch(size_t max_frames, FrameCallback on_frame) override;
    bool finished() const override { return finished_.load(std::memory_order_relaxed); }
    int datalink() const override { return datalink_; }
    CaptureStats stats() const override;
    void stop() override;
    void close() override;
    const std::string& name() const override { return path_; }

  private:
    std::string path_;
    std::string bpf_;
    pcap* handle_ = nullptr;
    int datalink_ = -1;
    uint64_t delivered_ = 0;
    std::atomic<bool> finished_{false};
};

// Captures from a network interface through libpcap, in batches.
class PcapLiveSource final : public PacketSource {
  public:
    explicit PcapLiveSource(LiveOptions options);
    ~PcapLiveSource() override;
    PcapLiveSource(const PcapLiveSource&) = delete;
    PcapLiveSource& operator=(const PcapLiveSource&) = delete;

    Status open() override;
    Result<size_t> next_batch(size_t max_frames, FrameCallback on_frame) override;
    bool finished() const override { return finished_.load(std::memory_order_relaxed); }
    int datalink() const override { return datalink_; }
    CaptureStats stats() const override;
    void stop() override;
    void close() override;
    // The interface in use (chosen automatically when the options named none).
    const std::string& name() const override { return options_.interface; }
    // The kernel ring libpcap set up once open: "TPACKET_V3" (blocks of frames handed over when
    // full or after timeout_ms), "TPACKET_V2" (one slot per frame, as immediate mode asks) or
    // "TPACKET_V1"; empty when closed or not on Linux.
    std::string ring_kind() const;

  private:
    LiveOptions options_;
    pcap* handle_ = nullptr;
    int datalink_ = -1;
    bool nanoseconds_ = true;  // timestamp precision granted by the interface
    uint64_t delivered_ = 0;
    std::atomic<bool> finished_{false};
};

// Where the agent reads frames from: a capture file (--read) or a live interface.
struct SourceOptions {
    std::string read_file;  // when set, read this pcap/pcapng file instead of an interface
    LiveOptions live;       // interface settings; live.bpf also filters a file
};

// Creates and opens the source the options describe (a file when read_file is set, otherwise
// the named or automatically chosen interface).
Result<std::unique_ptr<PacketSource>> open_source(const SourceOptions& options);

// One capture interface as libpcap lists it.
struct InterfaceInfo {
    std::string name;
    std::string description;
    bool up = false;
    bool running = false;
    bool loopback = false;
    std::vector<std::string> addresses;  // IPv4 and IPv6 addresses in text form
};

// Every interface libpcap can open, in its order.
Result<std::vector<InterfaceInfo>> list_interfaces();
// The first interface that is up, not loopback and has an IPv4 or IPv6 address.
Result<std::string> choose_interface();

}  // namespace sentinel::capture
