// libFuzzer entry point for the agent's spool reader: the input becomes a spool directory (an
// "ack" file and one or two segment files, raw or framed with valid checksums), which is opened,
// read, acknowledged, appended to and reopened. See README.md for the layout.
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
#include "transport/spool.h"

namespace {

using namespace sentinel::transport;
namespace fs = std::filesystem;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_spool: invariant failed: %s\n", what);
        std::abort();
    }
}

const std::string& spool_dir() {
    static const std::string dir = [] {
        spdlog::set_level(spdlog::level::off);  // torn records are logged; not of interest here
        char tmpl[] = "/tmp/fuzz_spool.XXXXXX";
        const char* d = ::mkdtemp(tmpl);
        check(d != nullptr, "mkdtemp");
        return std::string(d) + "/spool";
    }();
    return dir;
}

void write(const std::string& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    check(static_cast<bool>(out), "write");
}

std::string segment_name(uint64_t n) {
    char name[64];
    std::snprintf(name, sizeof(name), "/seg-%020llu.log", static_cast<unsigned long long>(n));
    return name;
}

// [u8 length][payload]... as spool records with correct lengths and checksums.
std::string frame(std::string_view in) {
    std::string out;
    while (!in.empty()) {
        const size_t n = std::min<size_t>(static_cast<uint8_t>(in[0]), in.size() - 1);
        const std::string_view payload = in.substr(1, n);
        char len[4];
        for (int i = 0; i < 4; ++i) {
            len[i] = static_cast<char>((n >> (8 * i)) & 0xffu);
        }
        const uint32_t crc = crc32(payload, crc32(std::string_view(len, 4)));
        out.append(len, 4);
        for (int i = 0; i < 4; ++i) {
            out.push_back(static_cast<char>((crc >> (8 * i)) & 0xffu));
        }
        out.append(payload);
        in.remove_prefix(1 + n);
    }
    return out;
}

std::vector<SpoolRecord> peek_all(Spool& spool) {
    auto recs = spool.peek(1'000'000, size_t{1} << 40);
    check(recs.is_ok(), "peek");
    return std::move(recs).value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) {
        return 0;
    }
    const uint8_t flags = data[0];
    const size_t ack_len = std::min<size_t>(data[1], size - 2);
    const std::string_view ack(reinterpret_cast<const char*>(data + 2), ack_len);
    std::string_view rest(reinterpret_cast<const char*>(data + 2 + ack_len), size - 2 - ack_len);

    const std::string& dir = spool_dir();
    std::error_code ec;
    fs::remove_all(dir, ec);
    fs::create_directories(dir);
    if (flags & 0x01) {
        write(dir + "/ack", ack);
    }
    std::string segment = (flags & 0x04) ? frame(rest) : std::string(rest);
    if ((flags & 0x08) && segment.size() >= 3) {
        segment.resize(segment.size() - 3);  // a torn tail
    }
    write(dir + segment_name(flags & 0x20 ? 7 : 1), segment);
    if (flags & 0x02) {
        write(dir + segment_name(2), segment.substr(segment.size() / 2));
    }

    SpoolOptions options;
    options.durable = false;
    const bool small = (flags & 0x10) != 0;
    options.max_bytes = small ? 2048 : uint64_t{64} << 20;
    auto opened = Spool::open(dir, options);
    if (!opened) {
        return 0;
    }
    Spool& spool = **opened;
    auto records = peek_all(spool);
    const SpoolStats before = spool.stats();
    check(before.depth == records.size(), "depth differs from the records peeked");
    check(spool.empty() == records.empty(), "empty()");
    for (size_t i = 1; i < records.size(); ++i) {
        check(records[i - 1].seq < records[i].seq, "seq order");
    }
    (void)spool.peek(3, 100);
    size_t consumed = 0;
    if (!records.empty() && (flags & 0x40)) {
        consumed = (records.size() + 1) / 2;
        check(spool.consume_through(records[consumed - 1].seq).is_ok(), "consume_through");
    }
    const bool appended = spool.append("{\"id\":\"after-reopen\"}").is_ok();
    check(spool.commit().is_ok(), "commit");
    const uint64_t depth = spool.stats().depth;
    if (!small) {
        check(appended, "append");
        check(depth == records.size() - consumed + 1, "depth after consume and append");
    }
    opened->reset();

    // What was left must read back the same after a restart.
    auto again = Spool::open(dir, options);
    check(again.is_ok(), "reopen");
    auto left = peek_all(**again);
    check(left.size() == depth, "records lost or invented across a reopen");
    if (!left.empty() && appended) {
        check(left.back().payload == "{\"id\":\"after-reopen\"}", "last record");
    }
    if (!small && records.size() > consumed) {
        check(left.front().payload == records[consumed].payload, "first record after reopen");
    }
    return 0;
}
