#pragma once

#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sentinel::transport {

struct SpoolOptions {
    // Upper bound of the spool's files on disk. When an append would exceed it, the oldest
    // records are dropped (counted) until the new one fits. Up to one segment of it holds
    // already acknowledged records, so the alerts kept during an outage fill max - segment.
    uint64_t max_bytes = 64ull << 20;
    // Segment files are rotated at this size; 0 picks max_bytes / 8 within [256 B, 4 MiB].
    // Never more than max_bytes / 2.
    uint64_t segment_bytes = 0;
    // Flush appends (commit) and acknowledgements to the storage device, not just the page cache.
    bool durable = true;
};

struct SpoolStats {
    uint64_t depth = 0;      // records waiting for acknowledgement
    uint64_t bytes = 0;      // bytes of segment files on disk
    uint64_t dropped = 0;    // oldest records dropped because the spool was full
    uint64_t corrupt = 0;    // torn or damaged records found (checksum or length) and skipped
    uint64_t appended = 0;   // records appended since open
    uint64_t delivered = 0;  // records acknowledged since open
};

struct SpoolRecord {
    uint64_t seq = 0;  // position in this process's view of the spool; only for consume_through
    std::string payload;
};

// A durable FIFO of records on disk: append-only segment files of entries
// [u32 length][u32 CRC-32 of length and payload][payload], plus an "ack" file holding the position
// of the oldest record not yet acknowledged. A record leaves only when consumed (acknowledged) or
// dropped because the spool is full. A torn or damaged record (kill -9 mid-write, truncation) is
// detected by its length or checksum when the spool is opened, skipped and counted. Each open
// starts a new segment, so a torn tail is never followed by new data in the same file.
//
// Not thread-safe: one owner thread (the shipper's sender) calls everything.
class Spool {
  public:
    static constexpr uint32_t kMaxRecordBytes = 1u << 20;

    // Opens (creating if needed) the spool in `dir` and indexes every unacknowledged record.
    static Result<std::unique_ptr<Spool>> open(const std::string& dir, SpoolOptions options);
    ~Spool();
    Spool(const Spool&) = delete;
    Spool& operator=(const Spool&) = delete;

    // Appends one record (visible to peek at once, durable after commit). Drops the oldest
    // records first when the spool would exceed max_bytes. Fails for a record larger than the
    // spool or kMaxRecordBytes, or on a write error.
    Status append(std::string_view payload);

    // Makes every appended record durable (flush, and fdatasync when durable).
    Status commit();

    // Up to `max_records` of the oldest records, stopping before `max_bytes` of payload is
    // exceeded (but at least one record when any is waiting). They stay in the spool.
    Result<std::vector<SpoolRecord>> peek(size_t max_records, size_t max_bytes);

    // Acknowledges every record with seq <= `seq`: they leave the spool; the position is
    // persisted and fully acknowledged segment files are deleted.
    Status consume_through(uint64_t seq);

    SpoolStats stats() const;
    bool empty() const { return index_.empty(); }

  private:
    struct Ref {
        uint64_t seq;
        uint64_t segment;
        uint64_t offset;
        uint32_t size;  // header + payload
    };
    struct Segment {
        uint64_t number;
        uint64_t size;
    };

    Spool(std::string dir, SpoolOptions options);
    Status load();
    Status scan_segment(uint64_t number, uint64_t ack_segment, uint64_t ack_offset);
    std::string segment_path(uint64_t number) const;
    Status drop_oldest();
    Status reclaim();
    Status persist_ack();
    Status close_writer();

    std::string dir_;
    SpoolOptions options_;
    std::deque<Ref> index_;
    std::deque<Segment> segments_;  // on disk, oldest first; the writer's is the last
    std::FILE* writer_ = nullptr;   // appends go to segments_.back() while open
    uint64_t next_segment_ = 1;
    uint64_t next_seq_ = 1;
    uint64_t disk_bytes_ = 0;
    uint64_t live_bytes_ = 0;  // header + payload of every record in index_
    bool dirty_ = false;
    SpoolStats stats_;
};

}  // namespace sentinel::transport
