#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "capture/function_ref.h"
#include "common/status.h"
#include "common/time.h"

namespace sentinel::capture {

// One captured frame. data points into the capture library's buffer and is valid only during
// the callback that receives it.
struct RawFrame {
    Timestamp ts;
    uint32_t wire_len = 0;  // original length; data.size() is the captured length
    std::span<const uint8_t> data;
};

using FrameCallback = FunctionRef<void(const RawFrame&)>;

// Counters of a source since it was opened.
struct CaptureStats {
    uint64_t delivered = 0;          // frames handed to callbacks
    uint64_t received = 0;           // frames the kernel passed the filter (live only)
    uint64_t dropped = 0;            // dropped for lack of buffer space in the kernel (live only)
    uint64_t interface_dropped = 0;  // dropped by the interface or driver (live only)
    bool kernel_stats = false;       // whether received/dropped come from the kernel
};

// A stream of captured frames: a live interface or a capture file. Not thread-safe except
// stop(), which any thread may call to end a blocking next_batch().
class PacketSource {
  public:
    virtual ~PacketSource() = default;

    // Opens the interface or file; the error text is meant for a person.
    virtual Status open() = 0;
    // Hands up to max_frames frames, in order, to on_frame and returns how many it handed over.
    // A live source returns 0 when its read timeout passes with no traffic. After the last
    // frame of a file, or after stop(), finished() turns true.
    virtual Result<size_t> next_batch(size_t max_frames, FrameCallback on_frame) = 0;
    // True once the file is exhausted or stop() was called.
    virtual bool finished() const = 0;
    // Link-layer type (DLT_* value) of the frames, for decode::decode_frame; -1 before open().
    virtual int datalink() const = 0;
    // Counters so far; live sources include the kernel's drop counts.
    virtual CaptureStats stats() const = 0;
    // Ends capture: a blocking next_batch() returns promptly and finished() turns true.
    virtual void stop() = 0;
    // Releases the handle; safe to call twice.
    virtual void close() = 0;
    // What is being read, for messages: the interface name or the file path.
    virtual const std::string& name() const = 0;
};

}  // namespace sentinel::capture
