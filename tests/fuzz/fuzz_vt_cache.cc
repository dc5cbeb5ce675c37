// libFuzzer entry point for the VirusTotal cache file (virustotal::FileCache, the Windows
// agent's store): the input becomes a cache file, which is parsed, re-encoded and parsed again,
// and (every input with bit 0x02) opened as a FileCache, written to and reopened. Input format
// in README.md.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "transport/crc32.h"
#include "virustotal/file_cache.h"

namespace {

using namespace sentinel::virustotal;
namespace fs = std::filesystem;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_vt_cache: invariant failed: %s\n", what);
        std::abort();
    }
}

const std::string& cache_path() {
    static const std::string path = [] {
        spdlog::set_level(spdlog::level::off);  // damaged files are logged; not of interest here
        char tmpl[] = "/tmp/fuzz_vt_cache.XXXXXX";
        const char* dir = ::mkdtemp(tmpl);
        check(dir != nullptr, "mkdtemp");
        return std::string(dir) + "/reputation.cache";
    }();
    return path;
}

bool same(const Report& a, const Report& b) {
    return a.malicious == b.malicious && a.suspicious == b.suspicious && a.harmless == b.harmless &&
           a.undetected == b.undetected && a.reputation == b.reputation && a.country == b.country &&
           a.as_owner == b.as_owner && a.not_found == b.not_found && a.expires_at == b.expires_at;
}

bool same(const CacheContents& a, const CacheContents& b) {
    if (a.budget != b.budget || a.reports.size() != b.reports.size()) {
        return false;
    }
    for (const auto& [key, report] : a.reports) {
        const auto it = b.reports.find(key);
        if (it == b.reports.end() || !same(report, it->second)) {
            return false;
        }
    }
    return true;
}

// [u8 length][body]... as records with correct lengths and CRCs after a valid header, so the
// fuzzer reaches the body parser past the checksum.
std::string framed(std::string_view in) {
    std::string out = encode_cache_file({}, {});
    while (!in.empty()) {
        const size_t n = std::min<size_t>(static_cast<uint8_t>(in[0]), in.size() - 1);
        const std::string_view body = in.substr(1, n);
        const uint32_t length = static_cast<uint32_t>(n);
        const uint32_t crc = sentinel::transport::crc32(body);
        for (int i = 0; i < 4; ++i) {
            out.push_back(static_cast<char>((length >> (8 * i)) & 0xff));
        }
        for (int i = 0; i < 4; ++i) {
            out.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
        }
        out.append(body);
        in.remove_prefix(1 + n);
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) {
        return 0;
    }
    const uint8_t mode = data[0];
    const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    const std::string file = (mode & 0x01) != 0 ? framed(rest) : std::string(rest);

    const CacheContents parsed = parse_cache_file(file);
    check(parsed.valid_bytes + parsed.damaged_bytes == file.size(), "valid + damaged == size");
    check(parsed.valid_bytes == 0 || parsed.valid_bytes >= 8, "a valid prefix holds the header");
    check(parsed.reports.size() + parsed.budget.size() <= parsed.records, "entries <= records");

    // What was read survives being written again, exactly.
    const std::string again = encode_cache_file(parsed.reports, parsed.budget);
    const CacheContents reparsed = parse_cache_file(again);
    check(reparsed.damaged_bytes == 0, "a written file has no damage");
    check(reparsed.records == parsed.reports.size() + parsed.budget.size(), "one record each");
    check(same(parsed, reparsed), "encode then parse gives the same contents");

    if ((mode & 0x02) == 0) {
        return 0;
    }
    const std::string& path = cache_path();
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(file.data(), static_cast<std::streamsize>(file.size()));
        check(static_cast<bool>(out), "write");
    }
    auto opened = FileCache::open(path);
    check(opened.is_ok(), "a damaged file still opens");
    FileCache& cache = *opened.value();
    check(cache.size() == parsed.reports.size(), "open keeps what parses");
    check(cache.damaged_bytes() == parsed.damaged_bytes, "open counts the damaged bytes");
    Report added;
    added.malicious = 7;
    added.expires_at = 1'000;
    check(cache.put("ip:192.0.2.77", added).is_ok(), "put");
    check(cache.set_used(5, 9).is_ok(), "set_used");
    auto reopened = FileCache::open(path);
    check(reopened.is_ok(), "reopen");
    check(reopened.value()->damaged_bytes() == 0, "no damage after a rewrite and appends");
    const auto got = reopened.value()->get("ip:192.0.2.77", 999);
    check(got.has_value() && same(*got, added), "the added answer reads back");
    check(reopened.value()->used_on(5) == 9, "the budget reads back");
    return 0;
}
