#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "capture/function_ref.h"
#include "capture/packet_source.h"
#include "common/status.h"
#include "decode/anomaly.h"
#include "decode/packet.h"

namespace sentinel::capture {

using PacketCallback = FunctionRef<void(const decode::Packet&)>;

// Frame and decode counters of one pump (owned by the capture thread).
struct PumpStats {
    uint64_t frames = 0;   // frames read from the source
    uint64_t decoded = 0;  // frames with at least one decoded layer
    uint64_t bytes = 0;    // wire bytes of every frame
    decode::AnomalyCounters anomalies;
};

// Moves frames from an open source through the decoder into a callback, reusing one Packet:
// no allocation per frame. Every frame reaches the callback, decoded or not (layers == 0); the
// Packet (and its payload view) is valid only during the callback.
class PacketPump {
  public:
    explicit PacketPump(PacketSource& source) : source_(source) {}

    // Reads one batch of up to max_frames frames; returns how many frames it read.
    Result<size_t> run_batch(size_t max_frames, PacketCallback on_packet);
    // Reads batches until the source is finished (end of file, or stop()); returns the first
    // error.
    Status run(PacketCallback on_packet, size_t batch_size = 256);

    const PumpStats& stats() const { return stats_; }

  private:
    PacketSource& source_;
    PumpStats stats_;
    decode::Packet packet_;
};

// One line for the periodic stats output, e.g. "frames 1200 (decoded 1198), kernel received
// 1210 dropped 10 interface dropped 0, anomalies: truncated_ipv4=2". The kernel part appears
// only for live sources. Allocates: never call it per packet.
std::string describe(const CaptureStats& capture, const PumpStats& pump);

}  // namespace sentinel::capture
