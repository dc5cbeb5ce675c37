#include "virustotal/file_cache.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "common/log.h"
#include "platform/platform.h"
#include "transport/crc32.h"

namespace sentinel::virustotal {

namespace {

constexpr std::string_view kHeader("NSVTC\x01\r\n", 8);
constexpr uint8_t kAnswer = 1;
constexpr uint8_t kBudget = 2;

void put_u16(std::string& out, uint16_t v) {
    out.push_back(static_cast<char>(v & 0xff));
    out.push_back(static_cast<char>(v >> 8));
}
void put_u32(std::string& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) {
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    }
}
void put_u64(std::string& out, uint64_t v) {
    for (int i = 0; i < 8; ++i) {
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    }
}

// Cuts text to at most `limit` bytes without splitting a UTF-8 sequence.
std::string_view bounded_text(std::string_view text, size_t limit) {
    if (text.size() <= limit) {
        return text;
    }
    size_t n = limit;
    while (n > 0 && (static_cast<uint8_t>(text[n]) & 0xC0) == 0x80) {
        --n;
    }
    return text.substr(0, n);
}

void put_text(std::string& out, std::string_view text) {
    put_u16(out, static_cast<uint16_t>(text.size()));
    out.append(text);
}

std::string frame(const std::string& body) {
    std::string out;
    out.reserve(8 + body.size());
    put_u32(out, static_cast<uint32_t>(body.size()));
    put_u32(out, transport::crc32(body));
    out += body;
    return out;
}

// A bounds-checked little-endian reader over one record body.
class Reader {
  public:
    explicit Reader(std::string_view data) : data_(data) {}
    bool u8(uint8_t& v) {
        if (data_.size() - pos_ < 1) {
            return false;
        }
        v = static_cast<uint8_t>(data_[pos_++]);
        return true;
    }
    bool u16(uint16_t& v) {
        uint64_t x = 0;
        if (!le(2, x)) {
            return false;
        }
        v = static_cast<uint16_t>(x);
        return true;
    }
    bool u32(uint32_t& v) {
        uint64_t x = 0;
        if (!le(4, x)) {
            return false;
        }
        v = static_cast<uint32_t>(x);
        return true;
    }
    bool i64(int64_t& v) {
        uint64_t x = 0;
        if (!le(8, x)) {
            return false;
        }
        v = static_cast<int64_t>(x);
        return true;
    }
    bool text(std::string& out, size_t limit) {
        uint16_t n = 0;
        if (!u16(n) || n > limit || data_.size() - pos_ < n) {
            return false;
        }
        out.assign(data_.substr(pos_, n));
        pos_ += n;
        return true;
    }
    bool done() const { return pos_ == data_.size(); }

  private:
    bool le(int bytes, uint64_t& v) {
        if (data_.size() - pos_ < static_cast<size_t>(bytes)) {
            return false;
        }
        v = 0;
        for (int i = 0; i < bytes; ++i) {
            v |= static_cast<uint64_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
        }
        pos_ += static_cast<size_t>(bytes);
        return true;
    }

    std::string_view data_;
    size_t pos_ = 0;
};

// Applies one record body to `out`; false when it does not parse exactly.
bool apply(std::string_view body, CacheContents& out) {
    Reader r(body);
    uint8_t type = 0;
    if (!r.u8(type)) {
        return false;
    }
    if (type == kAnswer) {
        std::string key;
        Report report;
        uint32_t reputation = 0;
        uint8_t not_found = 0;
        if (!r.text(key, CacheFileLimits::kMaxKey) || key.empty() || !r.u32(report.malicious) ||
            !r.u32(report.suspicious) || !r.u32(report.harmless) || !r.u32(report.undetected) ||
            !r.u32(reputation) || !r.u8(not_found) || not_found > 1 || !r.i64(report.expires_at) ||
            !r.text(report.country, CacheFileLimits::kMaxText) ||
            !r.text(report.as_owner, CacheFileLimits::kMaxText) || !r.done()) {
            return false;
        }
        report.reputation = static_cast<int32_t>(reputation);
        report.not_found = not_found == 1;
        out.reports.insert_or_assign(std::move(key), std::move(report));
        return true;
    }
    if (type == kBudget) {
        int64_t day = 0;
        uint32_t used = 0;
        if (!r.i64(day) || !r.u32(used) || !r.done()) {
            return false;
        }
        out.budget[day] = used;
        return true;
    }
    return false;
}

}  // namespace

CacheContents parse_cache_file(std::string_view bytes) {
    CacheContents out;
    if (bytes.size() < kHeader.size() || bytes.substr(0, kHeader.size()) != kHeader) {
        out.damaged_bytes = bytes.size();
        return out;
    }
    size_t pos = kHeader.size();
    while (bytes.size() - pos >= 8) {
        Reader head(bytes.substr(pos, 8));
        uint32_t length = 0;
        uint32_t crc = 0;
        (void)head.u32(length);
        (void)head.u32(crc);
        if (length == 0 || length > CacheFileLimits::kMaxRecord ||
            bytes.size() - pos - 8 < length) {
            break;
        }
        const std::string_view body = bytes.substr(pos + 8, length);
        if (transport::crc32(body) != crc || !apply(body, out)) {
            break;
        }
        pos += 8 + length;
        ++out.records;
    }
    out.valid_bytes = pos;
    out.damaged_bytes = bytes.size() - pos;
    return out;
}

std::string encode_report_record(const std::string& key, const Report& r) {
    std::string body;
    body.push_back(static_cast<char>(kAnswer));
    put_text(body, key);
    put_u32(body, r.malicious);
    put_u32(body, r.suspicious);
    put_u32(body, r.harmless);
    put_u32(body, r.undetected);
    put_u32(body, static_cast<uint32_t>(r.reputation));
    body.push_back(static_cast<char>(r.not_found ? 1 : 0));
    put_u64(body, static_cast<uint64_t>(r.expires_at));
    put_text(body, bounded_text(r.country, CacheFileLimits::kMaxText));
    put_text(body, bounded_text(r.as_owner, CacheFileLimits::kMaxText));
    return frame(body);
}

std::string encode_budget_record(int64_t day, uint32_t used) {
    std::string body;
    body.push_back(static_cast<char>(kBudget));
    put_u64(body, static_cast<uint64_t>(day));
    put_u32(body, used);
    return frame(body);
}

std::string encode_cache_file(const std::unordered_map<std::string, Report>& reports,
                              const std::map<int64_t, uint32_t>& budget) {
    // In key order, so that the same contents always give the same file.
    std::vector<const std::pair<const std::string, Report>*> sorted;
    sorted.reserve(reports.size());
    for (const auto& entry : reports) {
        sorted.push_back(&entry);
    }
    std::sort(sorted.begin(), sorted.end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });
    std::string out(kHeader);
    for (const auto* entry : sorted) {
        out += encode_report_record(entry->first, entry->second);
    }
    for (const auto& [day, used] : budget) {
        out += encode_budget_record(day, used);
    }
    return out;
}

Result<std::unique_ptr<FileCache>> FileCache::open(const std::string& path) {
    if (path == ":memory:") {
        return std::unique_ptr<FileCache>(new FileCache(std::string()));
    }
    std::unique_ptr<FileCache> cache(new FileCache(path));
    std::error_code ec;
    const bool exists = std::filesystem::exists(path, ec);
    if (exists) {
        const auto size = std::filesystem::file_size(path, ec);
        if (ec) {
            return Error{"reputation cache " + path + " cannot be opened: " + ec.message()};
        }
        std::string bytes;
        if (size <= CacheFileLimits::kMaxFile) {
            auto read = platform::read_file(path);
            if (!read) {
                return Error{"reputation cache " + path + " cannot be opened: " + read.error()};
            }
            bytes = std::move(read.value());
        }
        CacheContents contents = parse_cache_file(bytes);
        if (size > CacheFileLimits::kMaxFile) {
            contents.damaged_bytes = size;
        }
        cache->reports_ = std::move(contents.reports);
        cache->budget_ = std::move(contents.budget);
        cache->records_ = contents.records;
        cache->file_bytes_ = contents.valid_bytes;
        cache->damaged_bytes_ = contents.damaged_bytes;
        if (contents.damaged_bytes == 0 && contents.valid_bytes >= kHeader.size()) {
            return cache;
        }
        if (contents.damaged_bytes > 0) {
            SENTINEL_LOG(warn, "reputation",
                         "the reputation cache {} ended in {} damaged bytes; they were dropped and "
                         "{} answers kept",
                         path, contents.damaged_bytes, cache->reports_.size());
        }
    }
    // A new file, or one whose damaged end must go before anything is appended after it.
    if (const Status s = cache->rewrite(); !s) {
        return Error{"reputation cache " + path + " cannot be opened: " + s.message()};
    }
    return cache;
}

Status FileCache::append(const std::string& record) {
    ++records_;
    if (path_.empty()) {
        return Status::ok();
    }
    // Replaced records make up most of the file: write it anew instead.
    if (records_ > 2 * (reports_.size() + budget_.size()) + 1024) {
        return rewrite();
    }
    auto file = platform::open_for_append(path_);
    if (!file) {
        return Status::error(file.error());
    }
    const bool written = std::fwrite(record.data(), 1, record.size(), *file) == record.size();
    const Status synced = written ? platform::sync_file(*file) : Status::error("short write");
    std::fclose(*file);
    if (!synced) {
        return Status::error("cannot append to " + path_ + ": " + synced.message());
    }
    file_bytes_ += record.size();
    return Status::ok();
}

Status FileCache::rewrite() {
    const std::string content = encode_cache_file(reports_, budget_);
    records_ = reports_.size() + budget_.size();
    if (path_.empty()) {
        return Status::ok();
    }
    const Status s = platform::write_file_atomic(path_, content);
    if (s) {
        file_bytes_ = content.size();
    }
    return s;
}

std::optional<Report> FileCache::get(const std::string& key, int64_t now) {
    const auto it = reports_.find(key);
    if (it == reports_.end() || it->second.expires_at <= now) {
        return std::nullopt;
    }
    return it->second;
}

Status FileCache::put(const std::string& key, const Report& report) {
    if (key.empty() || key.size() > CacheFileLimits::kMaxKey) {
        return Status::error("a cache key must have 1 to " +
                             std::to_string(CacheFileLimits::kMaxKey) + " bytes");
    }
    Report stored = report;
    stored.country = std::string(bounded_text(report.country, CacheFileLimits::kMaxText));
    stored.as_owner = std::string(bounded_text(report.as_owner, CacheFileLimits::kMaxText));
    reports_.insert_or_assign(key, stored);
    return append(encode_report_record(key, stored));
}

Status FileCache::for_each_valid(
    int64_t now, const std::function<void(const std::string& key, const Report&)>& fn) {
    std::vector<const std::pair<const std::string, Report>*> valid;
    for (const auto& entry : reports_) {
        if (entry.second.expires_at > now) {
            valid.push_back(&entry);
        }
    }
    std::sort(valid.begin(), valid.end(), [](const auto* a, const auto* b) {
        return a->second.expires_at != b->second.expires_at
                   ? a->second.expires_at < b->second.expires_at
                   : a->first < b->first;
    });
    for (const auto* entry : valid) {
        fn(entry->first, entry->second);
    }
    return Status::ok();
}

Status FileCache::prune(int64_t now, uint64_t max_rows) {
    const size_t before = reports_.size() + budget_.size();
    std::erase_if(reports_, [now](const auto& entry) { return entry.second.expires_at <= now; });
    if (reports_.size() > max_rows) {
        std::vector<std::pair<int64_t, std::string>> order;
        order.reserve(reports_.size());
        for (const auto& [key, report] : reports_) {
            order.emplace_back(report.expires_at, key);
        }
        std::sort(order.begin(), order.end());
        const size_t drop = reports_.size() - static_cast<size_t>(max_rows);
        for (size_t i = 0; i < drop; ++i) {
            reports_.erase(order[i].second);
        }
    }
    std::erase_if(budget_, [now](const auto& entry) { return entry.first < now / 86400 - 7; });
    if (reports_.size() + budget_.size() == before && records_ == before) {
        return Status::ok();  // nothing to drop, nothing replaced: the file is already minimal
    }
    return rewrite();
}

uint32_t FileCache::used_on(int64_t day) {
    const auto it = budget_.find(day);
    return it == budget_.end() ? 0 : it->second;
}

Status FileCache::set_used(int64_t day, uint32_t used) {
    budget_[day] = used;
    return append(encode_budget_record(day, used));
}

}  // namespace sentinel::virustotal
