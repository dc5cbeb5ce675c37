#include "intel/spsc_ring.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "intel/local_reputation.h"

namespace sentinel::intel {
namespace {

TEST(SpscRing, BoundedAndFifo) {
    SpscRing<int> ring(3);  // rounded up to 4
    EXPECT_EQ(ring.capacity(), 4u);
    for (int i = 0; i < 4; ++i) {
        EXPECT_TRUE(ring.push(i));
    }
    EXPECT_FALSE(ring.push(99));
    int v = -1;
    for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(ring.pop(v));
        EXPECT_EQ(v, i);
    }
    EXPECT_FALSE(ring.pop(v));
}

TEST(SpscRing, HandsOverEveryItemInOrderAcrossThreads) {
    SpscRing<uint64_t> ring(64);
    constexpr uint64_t kCount = 200'000;
    std::thread producer([&] {
        for (uint64_t i = 0; i < kCount;) {
            if (ring.push(i)) {
                ++i;
            } else {
                std::this_thread::yield();
            }
        }
    });
    uint64_t expected = 0;
    uint64_t v = 0;
    while (expected < kCount) {
        if (ring.pop(v)) {
            ASSERT_EQ(v, expected);
            ++expected;
        } else {
            std::this_thread::yield();
        }
    }
    producer.join();
}

// A worker thread answers every request while the packet thread keeps requesting and polling:
// every external address ends up with its verdict (run under TSan to check the hand-offs).
TEST(LocalReputationThreads, WorkerAnswersWhilePacketThreadPolls) {
    LocalOptions o;
    o.ring_capacity = 16;
    LocalReputation rep(o);
    std::atomic<bool> done{false};
    std::thread worker([&] {
        LookupRequest req;
        while (!done.load()) {
            if (rep.take_request(req)) {
                LookupResult r;
                r.ip = req.ip;
                r.found = true;
                r.malicious = req.ip.bytes()[3] % 2 == 0 ? 9 : 0;
                r.ttl_seconds = 3600;
                while (!rep.give_result(r) && !done.load()) {
                    std::this_thread::yield();
                }
            } else {
                rep.collect_retired();
                std::this_thread::yield();
            }
        }
    });
    bool all = false;
    for (int round = 0; round < 100'000 && !all; ++round) {
        all = true;
        for (uint32_t i = 1; i <= 100; ++i) {
            const IpAddress a = IpAddress::v4(0xCB007100u | i);
            rep.request(a, Priority::kDetector);
            const Tier want = i % 2 == 0 ? Tier::kCritical : Tier::kClean;
            all = all && rep.ip(a).tier == want && rep.counters().results.load() >= 100;
        }
        rep.poll();
        if (!all) {
            std::this_thread::yield();
        }
    }
    done.store(true);
    worker.join();
    EXPECT_TRUE(all);
}

}  // namespace
}  // namespace sentinel::intel
