#include "transport/spool.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/test_support.h"
#include "transport/crc32.h"

namespace sentinel::transport {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

SpoolOptions small(uint64_t max_bytes = 1 << 20) {
    SpoolOptions o;
    o.max_bytes = max_bytes;
    o.durable = false;
    return o;
}

std::vector<std::string> payloads(Spool& spool, size_t n = 1000) {
    auto recs = spool.peek(n, 1 << 30);
    EXPECT_TRUE(recs.is_ok());
    std::vector<std::string> out;
    for (auto& r : *recs) {
        out.push_back(r.payload);
    }
    return out;
}

std::vector<fs::path> segments(const std::string& dir) {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().extension() == ".log") {
            out.push_back(e.path());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

TEST(Crc32, KnownVector) { EXPECT_EQ(crc32("123456789"), 0xCBF43926u); }

TEST(Spool, AppendPeekConsumeInOrder) {
    TempDir tmp;
    auto spool = Spool::open(tmp.path(), small());
    ASSERT_TRUE(spool.is_ok()) << spool.error();
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE((*spool)->append("rec" + std::to_string(i)).is_ok());
    }
    auto first = (*spool)->peek(2, 1 << 20);
    ASSERT_TRUE(first.is_ok());
    ASSERT_EQ(first->size(), 2u);
    EXPECT_EQ((*first)[0].payload, "rec0");
    EXPECT_EQ((*first)[1].payload, "rec1");
    ASSERT_TRUE((*spool)->consume_through((*first)[1].seq).is_ok());
    EXPECT_EQ(payloads(**spool), (std::vector<std::string>{"rec2", "rec3", "rec4"}));
    EXPECT_EQ((*spool)->stats().depth, 3u);
    EXPECT_EQ((*spool)->stats().delivered, 2u);
}

TEST(Spool, SurvivesReopenAndKeepsAckPosition) {
    TempDir tmp;
    {
        auto spool = Spool::open(tmp.path(), small());
        ASSERT_TRUE(spool.is_ok());
        for (int i = 0; i < 4; ++i) {
            ASSERT_TRUE((*spool)->append("r" + std::to_string(i)).is_ok());
        }
        ASSERT_TRUE((*spool)->commit().is_ok());
        auto recs = (*spool)->peek(1, 1 << 20);
        ASSERT_TRUE((*spool)->consume_through((*recs)[0].seq).is_ok());
    }
    auto spool = Spool::open(tmp.path(), small());
    ASSERT_TRUE(spool.is_ok());
    EXPECT_EQ(payloads(**spool), (std::vector<std::string>{"r1", "r2", "r3"}));
    ASSERT_TRUE((*spool)->append("r4").is_ok());
    EXPECT_EQ(payloads(**spool), (std::vector<std::string>{"r1", "r2", "r3", "r4"}));
    EXPECT_EQ((*spool)->stats().corrupt, 0u);
}

TEST(Spool, DeletesFullyAcknowledgedSegments) {
    TempDir tmp;
    SpoolOptions o = small(64 * 1024);
    o.segment_bytes = 100;  // a few records per segment
    auto spool = Spool::open(tmp.path(), o);
    ASSERT_TRUE(spool.is_ok());
    for (int i = 0; i < 30; ++i) {
        ASSERT_TRUE((*spool)->append(std::string(30, static_cast<char>('a' + i % 26))).is_ok());
    }
    EXPECT_GT(segments(tmp.path()).size(), 5u);
    auto recs = (*spool)->peek(100, 1 << 20);
    ASSERT_EQ(recs->size(), 30u);
    ASSERT_TRUE((*spool)->consume_through(recs->back().seq).is_ok());
    EXPECT_LE(segments(tmp.path()).size(), 1u);
    EXPECT_TRUE((*spool)->empty());
    auto reopened = Spool::open(tmp.path(), o);
    ASSERT_TRUE(reopened.is_ok());
    EXPECT_TRUE((*reopened)->empty());
}

TEST(Spool, FullSpoolDropsOldestAndCounts) {
    TempDir tmp;
    SpoolOptions o = small(4096);
    o.segment_bytes = 512;
    auto spool = Spool::open(tmp.path(), o);
    ASSERT_TRUE(spool.is_ok());
    const std::string filler(92, 'x');  // 100 bytes per record with the header
    for (int i = 0; i < 100; ++i) {
        char id[16];
        std::snprintf(id, sizeof(id), "%03d", i);
        ASSERT_TRUE((*spool)->append(id + filler.substr(3)).is_ok());
    }
    const SpoolStats st = (*spool)->stats();
    EXPECT_LE(st.bytes, 4096u);
    EXPECT_GT(st.dropped, 0u);
    EXPECT_EQ(st.dropped + st.depth, 100u);
    const auto left = payloads(**spool);
    ASSERT_FALSE(left.empty());
    EXPECT_EQ(left.back().substr(0, 3), "099");                           // the newest survive
    EXPECT_EQ(std::stoul(left.front().substr(0, 3)), 100 - left.size());  // exactly the oldest
    uint64_t on_disk = 0;
    for (const auto& p : segments(tmp.path())) {
        on_disk += fs::file_size(p);
    }
    EXPECT_LE(on_disk, 4096u);
}

TEST(Spool, RecordLargerThanSpoolIsRefused) {
    TempDir tmp;
    auto spool = Spool::open(tmp.path(), small(4096));
    ASSERT_TRUE(spool.is_ok());
    EXPECT_FALSE((*spool)->append(std::string(5000, 'x')).is_ok());
}

TEST(Spool, TornLastRecordIsSkippedAndCounted) {
    TempDir tmp;
    {
        auto spool = Spool::open(tmp.path(), small());
        ASSERT_TRUE(spool.is_ok());
        ASSERT_TRUE((*spool)->append("first").is_ok());
        ASSERT_TRUE((*spool)->append("second").is_ok());
        ASSERT_TRUE((*spool)->append("third-record").is_ok());
        ASSERT_TRUE((*spool)->commit().is_ok());
    }
    const auto segs = segments(tmp.path());
    ASSERT_EQ(segs.size(), 1u);
    fs::resize_file(segs[0], fs::file_size(segs[0]) - 5);  // cut the last record mid-payload
    auto spool = Spool::open(tmp.path(), small());
    ASSERT_TRUE(spool.is_ok());
    EXPECT_EQ(payloads(**spool), (std::vector<std::string>{"first", "second"}));
    EXPECT_EQ((*spool)->stats().corrupt, 1u);
    // New records go to a new segment and are read after the surviving ones.
    ASSERT_TRUE((*spool)->append("fourth").is_ok());
    EXPECT_EQ(payloads(**spool), (std::vector<std::string>{"first", "second", "fourth"}));
}

TEST(Spool, TornHeaderIsSkippedAndCounted) {
    TempDir tmp;
    {
        auto spool = Spool::open(tmp.path(), small());
        ASSERT_TRUE((*spool)->append("only").is_ok());
        ASSERT_TRUE((*spool)->commit().is_ok());
    }
    const auto segs = segments(tmp.path());
    std::ofstream(segs[0], std::ios::app | std::ios::binary).write("\x05\x00\x00", 3);
    auto spool = Spool::open(tmp.path(), small());
    EXPECT_EQ(payloads(**spool), (std::vector<std::string>{"only"}));
    EXPECT_EQ((*spool)->stats().corrupt, 1u);
}

TEST(Spool, DamagedPayloadFailsChecksumAndIsSkipped) {
    TempDir tmp;
    {
        auto spool = Spool::open(tmp.path(), small());
        ASSERT_TRUE((*spool)->append("alpha").is_ok());
        ASSERT_TRUE((*spool)->append("bravo").is_ok());
        ASSERT_TRUE((*spool)->append("charlie").is_ok());
        ASSERT_TRUE((*spool)->commit().is_ok());
    }
    const auto seg = segments(tmp.path())[0];
    {
        std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(8 + 5 + 8 + 1);  // second record's payload, second byte
        f.put('X');
    }
    auto spool = Spool::open(tmp.path(), small());
    EXPECT_EQ(payloads(**spool), (std::vector<std::string>{"alpha", "charlie"}));
    EXPECT_EQ((*spool)->stats().corrupt, 1u);
}

}  // namespace
}  // namespace sentinel::transport
