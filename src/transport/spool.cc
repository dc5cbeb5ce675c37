#include "transport/spool.h"

#include <algorithm>
#include <cinttypes>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "common/log.h"
#include "platform/platform.h"
#include "transport/crc32.h"

namespace sentinel::transport {

namespace {

constexpr uint32_t kHeaderBytes = 8;
constexpr const char* kAckFile = "ack";
constexpr const char* kSegmentPrefix = "seg-";
constexpr const char* kSegmentSuffix = ".log";

void put_u32(char* out, uint32_t v) {
    for (int i = 0; i < 4; ++i) {
        out[i] = static_cast<char>((v >> (8 * i)) & 0xffu);
    }
}

uint32_t get_u32(const char* in) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
        v |= static_cast<uint32_t>(static_cast<uint8_t>(in[i])) << (8 * i);
    }
    return v;
}

uint32_t record_crc(const char* length_bytes, std::string_view payload) {
    return crc32(payload, crc32(std::string_view(length_bytes, 4)));
}

// "seg-00000000000000000042.log" -> 42; 0 for anything else.
uint64_t segment_number(const std::string& name) {
    const size_t prefix = std::strlen(kSegmentPrefix);
    const size_t suffix = std::strlen(kSegmentSuffix);
    if (name.size() <= prefix + suffix || name.rfind(kSegmentPrefix, 0) != 0 ||
        name.compare(name.size() - suffix, suffix, kSegmentSuffix) != 0) {
        return 0;
    }
    const std::string digits = name.substr(prefix, name.size() - prefix - suffix);
    if (digits.empty() ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return 0;
    }
    return std::strtoull(digits.c_str(), nullptr, 10);
}

}  // namespace

Spool::Spool(std::string dir, SpoolOptions options) : dir_(std::move(dir)), options_(options) {
    if (options_.segment_bytes == 0) {
        options_.segment_bytes =
            std::clamp<uint64_t>(options_.max_bytes / 8, 256, uint64_t{4} << 20);
    }
    options_.segment_bytes = std::min(options_.segment_bytes, options_.max_bytes / 2);
}

Spool::~Spool() {
    if (writer_ != nullptr) {
        std::fclose(writer_);
    }
}

Result<std::unique_ptr<Spool>> Spool::open(const std::string& dir, SpoolOptions options) {
    if (auto st = platform::create_directories(dir, 0700); !st) {
        return Error{st.message()};
    }
    std::unique_ptr<Spool> spool(new Spool(dir, options));
    if (auto st = spool->load(); !st) {
        return Error{st.message()};
    }
    return spool;
}

std::string Spool::segment_path(uint64_t number) const {
    char name[64];
    std::snprintf(name, sizeof(name), "%s%020" PRIu64 "%s", kSegmentPrefix, number, kSegmentSuffix);
    return dir_ + "/" + name;
}

Status Spool::load() {
    uint64_t ack_segment = 0;
    uint64_t ack_offset = 0;
    const std::string ack_path = dir_ + "/" + kAckFile;
    if (std::filesystem::exists(ack_path)) {
        auto text = platform::read_file(ack_path);
        if (!text) {
            return Status::error(text.error());
        }
        std::istringstream in(*text);
        if (!(in >> ack_segment >> ack_offset)) {
            // Without a position every record counts as waiting: the server drops repeats by id.
            SENTINEL_LOG(warn, "spool", "ignoring unreadable acknowledgement file {}", ack_path);
            ack_segment = ack_offset = 0;
        }
    }

    std::vector<uint64_t> numbers;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
        if (const uint64_t n = segment_number(entry.path().filename().string()); n > 0) {
            numbers.push_back(n);
        }
    }
    if (ec) {
        return Status::error("cannot list spool directory " + dir_ + ": " + ec.message());
    }
    std::sort(numbers.begin(), numbers.end());
    for (const uint64_t n : numbers) {
        next_segment_ = std::max(next_segment_, n + 1);
        if (n < ack_segment) {
            std::filesystem::remove(segment_path(n), ec);  // fully acknowledged before a crash
            continue;
        }
        if (auto st = scan_segment(n, ack_segment, ack_offset); !st) {
            return st;
        }
    }
    return reclaim();
}

Status Spool::scan_segment(uint64_t number, uint64_t ack_segment, uint64_t ack_offset) {
    const std::string path = segment_path(number);
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Status::error("cannot read spool segment " + path);
    }
    in.seekg(0, std::ios::end);
    const uint64_t size = static_cast<uint64_t>(in.tellg());
    in.seekg(0);
    segments_.push_back({number, size});
    disk_bytes_ += size;

    uint64_t pos = 0;
    std::string payload;
    while (pos < size) {
        char header[kHeaderBytes];
        const uint64_t left = size - pos;
        if (left < kHeaderBytes || !in.read(header, kHeaderBytes)) {
            ++stats_.corrupt;
            SENTINEL_LOG(warn, "spool", "torn record at the end of {} (offset {}) skipped", path,
                         pos);
            break;
        }
        const uint32_t length = get_u32(header);
        if (length > kMaxRecordBytes || length > left - kHeaderBytes) {
            // A torn last record, or a damaged length: nothing after it can be framed.
            ++stats_.corrupt;
            SENTINEL_LOG(warn, "spool", "torn record in {} at offset {} skipped", path, pos);
            break;
        }
        payload.resize(length);
        if (!in.read(payload.data(), length)) {
            ++stats_.corrupt;
            break;
        }
        const uint32_t record_bytes = kHeaderBytes + length;
        if (record_crc(header, payload) != get_u32(header + 4)) {
            ++stats_.corrupt;
            SENTINEL_LOG(warn, "spool", "damaged record in {} at offset {} skipped (checksum)",
                         path, pos);
        } else if (number > ack_segment || pos >= ack_offset) {
            index_.push_back({next_seq_++, number, pos, record_bytes});
            live_bytes_ += record_bytes;
        }
        pos += record_bytes;
    }
    return Status::ok();
}

Status Spool::close_writer() {
    if (writer_ == nullptr) {
        return Status::ok();
    }
    Status st = options_.durable ? platform::sync_file(writer_) : Status::ok();
    if (std::fclose(writer_) != 0 && st) {
        st = Status::error("cannot close spool segment");
    }
    writer_ = nullptr;
    dirty_ = false;
    return st;
}

Status Spool::append(std::string_view payload) {
    const uint64_t record_bytes = kHeaderBytes + payload.size();
    // Files on disk hold the live records plus the acknowledged head of the oldest segment (less
    // than one segment), so keeping live records one segment below max_bytes bounds the disk
    // use while dropping exactly as many of the oldest records as needed.
    const uint64_t live_limit = options_.max_bytes - options_.segment_bytes;
    if (payload.size() > kMaxRecordBytes || record_bytes > live_limit) {
        return Status::error("record of " + std::to_string(payload.size()) +
                             " bytes does not fit the spool");
    }
    while (live_bytes_ + record_bytes > live_limit && !index_.empty()) {
        if (auto st = drop_oldest(); !st) {
            return st;
        }
    }
    if (writer_ != nullptr && segments_.back().size > 0 &&
        segments_.back().size + record_bytes > options_.segment_bytes) {
        if (auto st = close_writer(); !st) {
            return st;
        }
    }
    if (writer_ == nullptr) {
        const uint64_t number = next_segment_++;
        auto file = platform::open_for_append(segment_path(number), 0600);
        if (!file) {
            return Status::error(file.error());
        }
        writer_ = *file;
        segments_.push_back({number, 0});
        if (options_.durable) {
            if (auto st = platform::sync_directory(dir_); !st) {
                return st;
            }
        }
    }

    char header[kHeaderBytes];
    put_u32(header, static_cast<uint32_t>(payload.size()));
    put_u32(header + 4, record_crc(header, payload));
    if (std::fwrite(header, 1, kHeaderBytes, writer_) != kHeaderBytes ||
        std::fwrite(payload.data(), 1, payload.size(), writer_) != payload.size()) {
        // The segment may now end in a partial record: never append after it.
        std::fclose(writer_);
        writer_ = nullptr;
        return Status::error("cannot write spool segment " + segment_path(segments_.back().number));
    }
    Segment& seg = segments_.back();
    index_.push_back({next_seq_++, seg.number, seg.size, static_cast<uint32_t>(record_bytes)});
    live_bytes_ += record_bytes;
    seg.size += record_bytes;
    disk_bytes_ += record_bytes;
    ++stats_.appended;
    dirty_ = true;
    return Status::ok();
}

Status Spool::commit() {
    if (writer_ == nullptr || !dirty_) {
        return Status::ok();
    }
    dirty_ = false;
    if (options_.durable) {
        return platform::sync_file(writer_);
    }
    return std::fflush(writer_) == 0 ? Status::ok() : Status::error("cannot flush spool segment");
}

Result<std::vector<SpoolRecord>> Spool::peek(size_t max_records, size_t max_bytes) {
    std::vector<SpoolRecord> out;
    if (writer_ != nullptr && std::fflush(writer_) != 0) {
        return Error{"cannot flush spool segment"};
    }
    std::ifstream in;
    uint64_t open_segment = 0;
    size_t total = 0;
    for (const Ref& ref : index_) {
        if (out.size() >= max_records) {
            break;
        }
        const size_t length = ref.size - kHeaderBytes;
        if (!out.empty() && total + length > max_bytes) {
            break;
        }
        if (ref.segment != open_segment) {
            in = std::ifstream(segment_path(ref.segment), std::ios::binary);
            open_segment = ref.segment;
            if (!in) {
                return Error{"cannot read spool segment " + segment_path(ref.segment)};
            }
        }
        SpoolRecord rec;
        rec.seq = ref.seq;
        rec.payload.resize(length);
        in.seekg(static_cast<std::streamoff>(ref.offset + kHeaderBytes));
        if (!in.read(rec.payload.data(), static_cast<std::streamsize>(length))) {
            return Error{"cannot read spool segment " + segment_path(ref.segment)};
        }
        total += length;
        out.push_back(std::move(rec));
    }
    return out;
}

Status Spool::consume_through(uint64_t seq) {
    bool changed = false;
    while (!index_.empty() && index_.front().seq <= seq) {
        live_bytes_ -= index_.front().size;
        index_.pop_front();
        ++stats_.delivered;
        changed = true;
    }
    return changed ? reclaim() : Status::ok();
}

Status Spool::drop_oldest() {
    live_bytes_ -= index_.front().size;
    index_.pop_front();
    ++stats_.dropped;
    return reclaim();
}

Status Spool::persist_ack() {
    uint64_t segment = next_segment_;
    uint64_t offset = 0;
    if (!index_.empty()) {
        segment = index_.front().segment;
        offset = index_.front().offset;
    } else if (writer_ != nullptr) {
        segment = segments_.back().number;
        offset = segments_.back().size;
    }
    const std::string text = std::to_string(segment) + " " + std::to_string(offset) + "\n";
    return platform::write_file_atomic(dir_ + "/" + kAckFile, text, 0600, options_.durable);
}

// Persists the acknowledgement position first, then deletes the segments wholly before it, so a
// crash in between only leaves files that the next open deletes.
Status Spool::reclaim() {
    if (auto st = persist_ack(); !st) {
        return st;
    }
    while (!segments_.empty()) {
        const Segment& seg = segments_.front();
        const bool has_live = !index_.empty() && index_.front().segment == seg.number;
        const bool is_writer = writer_ != nullptr && segments_.size() == 1;
        if (has_live || is_writer) {
            break;
        }
        std::error_code ec;
        std::filesystem::remove(segment_path(seg.number), ec);
        if (ec) {
            return Status::error("cannot delete spool segment " + segment_path(seg.number) + ": " +
                                 ec.message());
        }
        disk_bytes_ -= seg.size;
        segments_.pop_front();
    }
    return Status::ok();
}

SpoolStats Spool::stats() const {
    SpoolStats s = stats_;
    s.depth = index_.size();
    s.bytes = disk_bytes_;
    return s;
}

}  // namespace sentinel::transport
