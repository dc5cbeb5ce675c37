#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"

namespace sentinel::capture {

// One record of a capture file; data is valid until the next call to next().
struct CaptureRecord {
    int64_t ts_ns = 0;  // nanoseconds since the epoch
    uint32_t wire_len = 0;
    std::span<const uint8_t> data;
};

// A pcap and pcapng reader in plain C++, for the Windows agent (which must read files without
// Npcap). It gives the same records, timestamps and link type as libpcap: pcap in either byte
// order with micro- or nanosecond stamps; pcapng sections of either byte order with enhanced,
// simple and obsolete packet blocks, if_tsresol and if_tsoffset. As in libpcap, every interface
// of a pcapng file must share the first one's link type. Not thread-safe.
class CaptureFileReader {
  public:
    CaptureFileReader() = default;
    ~CaptureFileReader();
    CaptureFileReader(const CaptureFileReader&) = delete;
    CaptureFileReader& operator=(const CaptureFileReader&) = delete;

    // Opens the file and reads its header; the error is meant for a person.
    Status open(const std::string& path);
    // Reads the next packet into `out`: true when one was read, false at the end of the file.
    Result<bool> next(CaptureRecord& out);
    // The link type as a DLT_ value (pcap_datalink's answer), -1 before open().
    int datalink() const { return datalink_; }
    uint32_t snap_length() const { return snaplen_; }
    void close();

  private:
    struct Interface {
        int datalink = -1;
        uint64_t units_per_second = 1'000'000;  // 0: binary units (see shift)
        int binary_shift = -1;                  // if_tsresol with the high bit: 2^-shift
        int64_t offset_seconds = 0;
    };

    Result<bool> read_exact(void* out, size_t n, bool eof_ok);
    Result<bool> next_pcap(CaptureRecord& out);
    Result<bool> next_pcapng(CaptureRecord& out);
    Status read_section_header(uint32_t first_word_read);
    Status add_interface(const uint8_t* body, size_t size);
    int64_t to_ns(const Interface& itf, uint64_t ts) const;
    uint32_t u32(const uint8_t* p) const;
    uint16_t u16(const uint8_t* p) const;
    Status corrupt(const std::string& what) const;

    std::string path_;
    std::FILE* file_ = nullptr;
    bool pcapng_ = false;
    bool swapped_ = false;  // the file's byte order differs from little-endian reading
    bool nanos_ = false;    // pcap: nanosecond stamps
    int datalink_ = -1;
    uint32_t snaplen_ = 0;
    std::vector<Interface> interfaces_;
    std::vector<uint8_t> buffer_;
};

// Maps a file's LINKTYPE_ value to the DLT_ value libpcap reports for it.
int linktype_to_dlt(uint32_t linktype);

}  // namespace sentinel::capture
