#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "virustotal/cache.h"

namespace sentinel::virustotal {

// The cache file's format (all integers little-endian):
//   header  "NSVTC\x01\r\n" (8 bytes: name, format version 1, and a CR LF that text-mode
//           copying would damage, so such a copy is refused instead of misread)
//   record  u32 length of body | u32 CRC-32 of body | body
//   body    u8 type, then
//           1 (answer): u16 key length, key, u32 malicious, u32 suspicious, u32 harmless,
//                       u32 undetected, i32 reputation, u8 not_found, i64 expires_at,
//                       u16 country length, country, u16 as_owner length, as_owner
//           2 (budget): i64 day, u32 used
// A later record for the same key or day replaces an earlier one. Reading stops at the first
// record that is cut short, fails its CRC, exceeds the limits below or does not parse exactly:
// what follows (a write torn by a crash, or damage) is dropped and counted.
struct CacheFileLimits {
    static constexpr size_t kMaxKey = 1024;            // "domain:" + a 253-byte name fits
    static constexpr size_t kMaxText = 1024;           // country, as_owner (longer ones are cut)
    static constexpr size_t kMaxRecord = 4096;         // one body
    static constexpr uint64_t kMaxFile = 64ull << 20;  // a larger file is not read at all
};

// What a cache file holds.
struct CacheContents {
    std::unordered_map<std::string, Report> reports;
    std::map<int64_t, uint32_t> budget;  // day -> requests used
    uint64_t records = 0;                // records read (replaced ones included)
    uint64_t valid_bytes = 0;            // the readable prefix, header included
    uint64_t damaged_bytes = 0;          // dropped after it (everything when the header is bad)
};

// Reads a cache file's bytes; never fails, whatever the input (bounded, no recursion).
CacheContents parse_cache_file(std::string_view bytes);
// The file holding exactly these answers and budget days (header included).
std::string encode_cache_file(const std::unordered_map<std::string, Report>& reports,
                              const std::map<int64_t, uint32_t>& budget);
// One record (length, CRC and body) of an answer or a budget day.
std::string encode_report_record(const std::string& key, const Report& report);
std::string encode_budget_record(int64_t day, uint32_t used);

// The Windows agent's store: the whole cache in memory, every change appended to the file as
// one record (flushed to disk), and the file rewritten atomically (platform::write_file_atomic)
// when prune() drops anything, when replaced records make up most of it, or when open() found
// damage. Plain C++ over the platform layer: it builds and is tested on Linux too.
class FileCache final : public Cache {
  public:
    // Reads path (creating it when missing); ":memory:" keeps nothing on disk. Fails only when
    // the file can neither be read nor created.
    static Result<std::unique_ptr<FileCache>> open(const std::string& path);

    std::optional<Report> get(const std::string& key, int64_t now) override;
    Status put(const std::string& key, const Report& report) override;
    Status for_each_valid(
        int64_t now, const std::function<void(const std::string& key, const Report&)>& fn) override;
    Status prune(int64_t now, uint64_t max_rows) override;
    uint64_t size() override { return reports_.size(); }
    uint32_t used_on(int64_t day) override;
    Status set_used(int64_t day, uint32_t used) override;

    // Bytes open() found damaged and dropped.
    uint64_t damaged_bytes() const { return damaged_bytes_; }
    // Bytes in the file now (header included).
    uint64_t file_bytes() const { return file_bytes_; }

  private:
    explicit FileCache(std::string path) : path_(std::move(path)) {}
    Status append(const std::string& record);
    Status rewrite();

    std::string path_;  // empty: in memory only
    std::unordered_map<std::string, Report> reports_;
    std::map<int64_t, uint32_t> budget_;
    uint64_t file_bytes_ = 0;
    uint64_t records_ = 0;  // records in the file
    uint64_t damaged_bytes_ = 0;
};

}  // namespace sentinel::virustotal
