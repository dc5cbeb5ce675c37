#include "capture/pump.h"

#include "decode/decoder.h"

namespace sentinel::capture {

Result<size_t> PacketPump::run_batch(size_t max_frames, PacketCallback on_packet) {
    const int dlt = source_.datalink();
    return source_.next_batch(max_frames, [&](const RawFrame& frame) {
        ++stats_.frames;
        stats_.bytes += frame.wire_len;
        if (decode::decode_frame(dlt, frame.data, frame.wire_len, frame.ts, packet_,
                                 stats_.anomalies)) {
            ++stats_.decoded;
        }
        on_packet(packet_);
    });
}

Status PacketPump::run(PacketCallback on_packet, size_t batch_size) {
    while (!source_.finished()) {
        Result<size_t> n = run_batch(batch_size, on_packet);
        if (!n) {
            return n.status();
        }
    }
    return Status::ok();
}

std::string describe(const CaptureStats& capture, const PumpStats& pump) {
    std::string out =
        "frames " + std::to_string(pump.frames) + " (decoded " + std::to_string(pump.decoded) + ")";
    if (capture.kernel_stats) {
        out += ", kernel received " + std::to_string(capture.received) + " dropped " +
               std::to_string(capture.dropped) + " interface dropped " +
               std::to_string(capture.interface_dropped);
    }
    out += ", anomalies: " + pump.anomalies.summary();
    return out;
}

}  // namespace sentinel::capture
