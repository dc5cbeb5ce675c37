#include "platform/platform.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <vector>

#include "support/test_support.h"

namespace sentinel::platform {
namespace {

TEST(Platform, HostnameAndOs) {
    EXPECT_FALSE(hostname().empty());
    struct utsname u {};
    ASSERT_EQ(::uname(&u), 0);
#if defined(__APPLE__)
    EXPECT_EQ(os_description().rfind("macOS ", 0), 0u);
#else
    EXPECT_EQ(os_description(), std::string("Linux ") + u.release);
#endif
}

TEST(Platform, PeakResidentBytesFollowsTouchedMemory) {
    return_large_blocks_to_os();
    const uint64_t before = peak_resident_bytes();
    EXPECT_GT(before, 0u);
    {
        std::vector<char> block(64u << 20, 1);  // 64 MiB, every page written
        EXPECT_EQ(block[12345], 1);
    }
    EXPECT_GE(peak_resident_bytes(), before + (48u << 20));
}

TEST(Platform, ResidentBytesRisesAndFallsWithTouchedMemory) {
    // Pages of our own mapping, so that neither the allocator nor a sanitizer's quarantine
    // decides when they go back.
    constexpr size_t kSize = 64u << 20;
    const uint64_t before = resident_bytes();
    EXPECT_GT(before, 0u);
    void* block =
        ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(block, MAP_FAILED);
    std::memset(block, 1, kSize);
    EXPECT_GE(resident_bytes(), before + (48u << 20));
    ASSERT_EQ(::munmap(block, kSize), 0);
    EXPECT_LT(resident_bytes(), before + (16u << 20));
}

TEST(Platform, CreateDirectoriesIsPrivateAndIdempotent) {
    testing::TempDir tmp;
    const std::string dir = tmp.file("a/b/c");
    ASSERT_TRUE(create_directories(dir).is_ok());
    EXPECT_EQ(*file_mode(dir), 0700u);
    EXPECT_TRUE(create_directories(dir).is_ok());
    std::ofstream(tmp.file("plain")) << "x";
    const Status st = create_directories(tmp.file("plain/sub"));
    ASSERT_FALSE(st.is_ok());
    EXPECT_NE(st.message().find("plain"), std::string::npos);
}

TEST(Platform, AtomicWriteReplacesWithExactMode) {
    testing::TempDir tmp;
    const std::string path = tmp.file("f");
    ASSERT_TRUE(write_file_atomic(path, "one", 0600).is_ok());
    ASSERT_TRUE(write_file_atomic(path, "two", 0600).is_ok());
    EXPECT_EQ(*read_file(path), "two");
    EXPECT_EQ(*file_mode(path), 0600u);
    EXPECT_FALSE(read_file(tmp.file("f.tmp")).is_ok());  // no temporary left behind
    EXPECT_FALSE(read_file(tmp.file("missing")).is_ok());
}

TEST(Platform, LockFileIsExclusive) {
    testing::TempDir tmp;
    auto first = lock_file(tmp.file("lock"));
    ASSERT_TRUE(first.is_ok());
    auto second = lock_file(tmp.file("lock"));
    ASSERT_FALSE(second.is_ok());
    EXPECT_NE(second.error().find("another"), std::string::npos);
    *first = FileLock();  // released
    EXPECT_TRUE(lock_file(tmp.file("lock")).is_ok());
}

TEST(Platform, AppendFileHasExactMode) {
    testing::TempDir tmp;
    auto f = open_for_append(tmp.file("seg"), 0600);
    ASSERT_TRUE(f.is_ok());
    std::fputs("abc", *f);
    EXPECT_TRUE(sync_file(*f).is_ok());
    std::fclose(*f);
    EXPECT_EQ(*file_mode(tmp.file("seg")), 0600u);
    EXPECT_EQ(*read_file(tmp.file("seg")), "abc");
}

// What a service's log does (redirect_output, then cap_redirected_output), in a child process
// so this test's own output stays where it is.
TEST(Platform, RedirectedOutputIsCappedKeepingOneOlderCopy) {
    testing::TempDir tmp;
    const std::string log = tmp.file("service.log");
    std::fflush(nullptr);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        if (!redirect_output(log).is_ok()) {
            ::_exit(3);
        }
        std::printf("stdout line\n");
        std::fprintf(stderr, "stderr line\n");
        auto kept = cap_redirected_output(log, 1 << 20);
        auto capped = cap_redirected_output(log, 16);
        if (!kept.is_ok() || *kept || !capped.is_ok() || !*capped) {
            ::_exit(6);
        }
        std::printf("after the cap\n");
        ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    EXPECT_EQ(*read_file(log), "after the cap\n");
    EXPECT_EQ(*read_file(log + ".1"), "stdout line\nstderr line\n");
}

TEST(Platform, StopSignalIsRecorded) {
    reset_stop_request();
    ASSERT_TRUE(install_stop_handlers().is_ok());
    EXPECT_FALSE(stop_requested());
    EXPECT_FALSE(wait_for_stop(0.01));
    ::raise(SIGTERM);
    EXPECT_TRUE(wait_for_stop(10));
    EXPECT_EQ(stop_signal(), SIGTERM);
    reset_stop_request();
    EXPECT_FALSE(stop_requested());
}

}  // namespace
}  // namespace sentinel::platform
