// The built-in pcap/pcapng reader the Windows agent uses instead of libpcap must give exactly
// what libpcap gives: this runs on Linux and compares the two on every capture we have.
#include "capture/capture_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "capture/pcap_dir.h"
#include "capture/pcap_source.h"

namespace sentinel::capture {
namespace {

namespace fs = std::filesystem;

struct Frame {
    int64_t ts = 0;
    uint32_t wire = 0;
    std::vector<uint8_t> data;
    bool operator==(const Frame&) const = default;
};

std::vector<fs::path> captures() {
    std::vector<fs::path> out;
    std::vector<fs::path> roots = {fs::path(SENTINEL_SOURCE_DIR) / "tests" / "traces"};
    if (const fs::path dir = sentinel::testing::pcap_dir(); !dir.empty()) {
        roots.push_back(dir);
    }
    for (const auto& root : roots) {
        for (const auto& e : fs::recursive_directory_iterator(root)) {
            const auto ext = e.path().extension();
            if (e.is_regular_file() && (ext == ".pcap" || ext == ".pcapng" || ext == ".cap") &&
                e.file_size() < (64u << 20)) {
                out.push_back(e.path());
            }
        }
    }
    return out;
}

TEST(CaptureFileReader, MatchesLibpcapOnEveryCapture) {
    const auto files = captures();
    ASSERT_GE(files.size(), 5u);
    size_t pcapng = 0;
    for (const auto& path : files) {
        SCOPED_TRACE(path.string());
        PcapFileSource reference(path.string());
        if (!reference.open().is_ok()) {
            continue;  // libpcap cannot read it either
        }
        CaptureFileReader reader;
        ASSERT_TRUE(reader.open(path.string()).is_ok());
        EXPECT_EQ(reader.datalink(), reference.datalink());
        std::ifstream probe(path, std::ios::binary);
        char magic[4] = {};
        probe.read(magic, 4);
        pcapng += magic[0] == 0x0a && magic[1] == 0x0d;

        size_t frames = 0;
        bool same = true;
        while (!reference.finished() && same) {
            auto n = reference.next_batch(512, [&](const RawFrame& f) {
                CaptureRecord r;
                auto more = reader.next(r);
                if (!more || !*more) {
                    same = false;
                    return;
                }
                const Frame a{f.ts.ns, f.wire_len, {f.data.begin(), f.data.end()}};
                const Frame b{r.ts_ns, r.wire_len, {r.data.begin(), r.data.end()}};
                if (!(a == b)) {
                    ADD_FAILURE() << "frame " << frames << " differs: ts " << a.ts << " vs " << b.ts
                                  << ", wire " << a.wire << " vs " << b.wire << ", captured "
                                  << a.data.size() << " vs " << b.data.size();
                    same = false;
                }
                ++frames;
            });
            ASSERT_TRUE(n.is_ok()) << n.error();
        }
        ASSERT_TRUE(same) << "after " << frames << " frames";
        CaptureRecord r;
        auto more = reader.next(r);
        ASSERT_TRUE(more.is_ok());
        EXPECT_FALSE(*more) << "the reader has frames libpcap does not";
    }
    EXPECT_GT(pcapng, 0u) << "no pcapng file was compared";
}

TEST(CaptureFileReader, RejectsWhatIsNotACapture) {
    const fs::path path = fs::temp_directory_path() / "ns_not_a_capture.txt";
    std::ofstream(path) << "hello, this is not a capture file";
    CaptureFileReader reader;
    const Status s = reader.open(path.string());
    ASSERT_FALSE(s.is_ok());
    EXPECT_NE(s.message().find("not pcap or pcapng"), std::string::npos) << s.message();
    fs::remove(path);
}

TEST(CaptureFileReader, ReportsATruncatedRecord) {
    const fs::path src =
        fs::path(SENTINEL_SOURCE_DIR) / "tests" / "traces" / "hydra_ssh_48tasks.pcap";
    const fs::path path = fs::temp_directory_path() / "ns_truncated.pcap";
    fs::copy_file(src, path, fs::copy_options::overwrite_existing);
    fs::resize_file(path, 24 + 16 + 10);  // header, one record header, part of its data
    CaptureFileReader reader;
    ASSERT_TRUE(reader.open(path.string()).is_ok());
    CaptureRecord r;
    auto more = reader.next(r);
    ASSERT_FALSE(more.is_ok());
    EXPECT_NE(more.error().find("truncated"), std::string::npos) << more.error();
    fs::remove(path);
}

}  // namespace
}  // namespace sentinel::capture
