// Live capture inside two throw-away network namespaces joined by a veth pair: nothing leaves
// them, and they are deleted after each test. Skips (with the reason) when not root or when
// namespaces are not permitted.
#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>

#include "capture/pcap_source.h"
#include "capture/pump.h"
#include "decode/decoder.h"

namespace sentinel::capture {
namespace {

constexpr const char* kAddrA = "10.231.77.1";
constexpr const char* kAddrB = "10.231.77.2";

bool sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0; }

// Runs fn on a thread that has joined the named network namespace (only that thread moves).
void in_netns(const std::string& ns, const std::function<void()>& fn, std::string& error) {
    std::thread t([&] {
        const std::string path = "/var/run/netns/" + ns;
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
            error = "cannot enter network namespace " + ns;
            if (fd >= 0) {
                ::close(fd);
            }
            return;
        }
        ::close(fd);
        fn();
    });
    t.join();
}

class LiveCapture : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) {
            GTEST_SKIP() << "live capture test needs root (network namespaces and raw sockets)";
        }
        const std::string id = std::to_string(::getpid());
        ns_a_ = "sdc" + id + "a";
        ns_b_ = "sdc" + id + "b";
        veth_a_ = "vdc" + id + "a";
        veth_b_ = "vdc" + id + "b";
        if (!sh("ip netns add " + ns_a_)) {
            GTEST_SKIP() << "network namespaces are not permitted here (ip netns add failed)";
        }
        created_a_ = true;
        created_b_ = sh("ip netns add " + ns_b_);
        const bool ok =
            created_b_ && sh("ip link add " + veth_a_ + " type veth peer name " + veth_b_) &&
            sh("ip link set " + veth_a_ + " netns " + ns_a_) &&
            sh("ip link set " + veth_b_ + " netns " + ns_b_) &&
            sh("ip -n " + ns_a_ + " addr add " + kAddrA + "/24 dev " + veth_a_) &&
            sh("ip -n " + ns_b_ + " addr add " + kAddrB + "/24 dev " + veth_b_) &&
            sh("ip -n " + ns_a_ + " link set " + veth_a_ + " up") &&
            sh("ip -n " + ns_b_ + " link set " + veth_b_ + " up") &&
            sh("ip -n " + ns_a_ + " link set lo up") && sh("ip -n " + ns_b_ + " link set lo up");
        if (!ok) {
            GTEST_SKIP() << "could not build the veth pair between test namespaces";
        }
    }

    void TearDown() override {
        // Deleting a namespace destroys the veth end inside it, and with it the peer.
        if (created_a_) {
            sh("ip netns delete " + ns_a_);
        }
        if (created_b_) {
            sh("ip netns delete " + ns_b_);
        }
    }

    // Sends UDP datagrams of payload_size bytes from namespace A to B, alternating ports 9999
    // and 9998, until told to stop (or 500 pairs).
    void send_from_a(std::atomic<bool>& stop, std::string& error, size_t payload_size) {
        in_netns(
            ns_a_,
            [&] {
                const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
                sockaddr_in to{};
                to.sin_family = AF_INET;
                ::inet_pton(AF_INET, kAddrB, &to.sin_addr);
                const std::string msg(payload_size, 'x');
                for (int i = 0; i < 500 && !stop.load(); ++i) {
                    for (uint16_t port : {9999, 9998}) {
                        to.sin_port = htons(port);
                        (void)::sendto(fd, msg.data(), msg.size(), 0,
                                       reinterpret_cast<sockaddr*>(&to), sizeof(to));
                    }
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
                }
                ::close(fd);
            },
            error);
    }

    struct CaptureRun {
        std::string error;
        int dlt = -1;
        uint64_t matched = 0, unmatched = 0;
        CaptureStats stats;
        PumpStats pump;
        decode::Packet last;  // the last matching packet (payload view not kept)
    };

    // Captures on B's veth with `options` while A sends datagrams of payload_size bytes, until
    // `want` packets satisfied `match` (or 20 s pass).
    CaptureRun capture_while_sending(LiveOptions options, size_t payload_size, uint64_t want,
                                     const std::function<bool(const decode::Packet&)>& match) {
        CaptureRun run;
        std::atomic<bool> ready{false}, stop_sending{false};
        std::string send_error;
        std::thread capture([&] {
            in_netns(
                ns_b_,
                [&] {
                    if (options.interface.empty()) {
                        options.interface = veth_b_;
                    }
                    PcapLiveSource source(options);
                    if (Status s = source.open(); !s) {
                        run.error = s.message();
                        ready = true;
                        return;
                    }
                    run.dlt = source.datalink();
                    ready = true;
                    PacketPump pump(source);
                    const auto deadline =
                        std::chrono::steady_clock::now() + std::chrono::seconds(20);
                    while (run.matched < want && std::chrono::steady_clock::now() < deadline) {
                        Result<size_t> n = pump.run_batch(64, [&](const decode::Packet& p) {
                            if (match(p)) {
                                ++run.matched;
                                run.last = p;
                                run.last.payload = {};
                            } else {
                                ++run.unmatched;
                            }
                        });
                        if (!n) {
                            run.error = n.error();
                            break;
                        }
                    }
                    run.stats = source.stats();
                    run.pump = pump.stats();
                    source.close();
                },
                run.error);
        });
        while (!ready) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        std::thread sender([&] { send_from_a(stop_sending, send_error, payload_size); });
        capture.join();
        stop_sending = true;
        sender.join();
        if (run.error.empty() && !send_error.empty()) {
            run.error = send_error;
        }
        return run;
    }

    std::string ns_a_, ns_b_, veth_a_, veth_b_;
    bool created_a_ = false, created_b_ = false;
};

TEST_F(LiveCapture, SeesFilteredTrafficOnAVethPair) {
    LiveOptions options;
    options.bpf = "udp and dst port 9999";
    options.immediate = true;
    options.timeout_ms = 50;
    options.buffer_bytes = 1 << 20;
    CaptureRun run = capture_while_sending(options, 9, 5, [](const decode::Packet& p) {
        return p.has(decode::kLayerIpv4 | decode::kLayerUdp) && p.dst_port == 9999 &&
               p.dst_ip.to_string() == kAddrB && p.src_ip.to_string() == kAddrA &&
               p.payload.size() == 9;
    });
    ASSERT_TRUE(run.error.empty()) << run.error;
    EXPECT_EQ(run.dlt, decode::link_type::kEthernet);
    EXPECT_GE(run.matched, 5u);
    EXPECT_EQ(run.unmatched, 0u) << "the filter let other traffic through";
    EXPECT_TRUE(run.stats.kernel_stats);
    EXPECT_GE(run.stats.received, run.matched);
    EXPECT_EQ(run.stats.dropped, 0u);
    EXPECT_EQ(run.stats.delivered, run.matched + run.unmatched);
    EXPECT_EQ(run.pump.anomalies.total(), 0u);
    EXPECT_NE(describe(run.stats, run.pump).find("kernel received"), std::string::npos);
    // Capture stamps are wall-clock nanoseconds (a unit slip would be off by 1000x).
    const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    EXPECT_LT(std::llabs(now_ns - run.last.ts.ns), int64_t{3600} * 1'000'000'000);
}

// The "any" pseudo-interface hands over Linux cooked frames, which decode like Ethernet ones.
TEST_F(LiveCapture, AnyInterfaceGivesLinuxCookedFrames) {
    LiveOptions options;
    options.interface = "any";
    options.bpf = "udp and dst port 9999";
    options.immediate = true;
    options.timeout_ms = 50;
    CaptureRun run = capture_while_sending(options, 9, 3, [](const decode::Packet& p) {
        return p.has(decode::kLayerIpv4 | decode::kLayerUdp) && p.dst_port == 9999;
    });
    ASSERT_TRUE(run.error.empty()) << run.error;
    EXPECT_TRUE(run.dlt == decode::link_type::kLinuxSll || run.dlt == decode::link_type::kLinuxSll2)
        << run.dlt;
    EXPECT_GE(run.matched, 3u);
    EXPECT_FALSE(run.last.has(decode::kLayerEthernet));
    EXPECT_EQ(run.pump.anomalies.total(), 0u) << run.pump.anomalies.summary();
}

// A short snap length keeps the headers, reports the original length, and is no anomaly.
TEST_F(LiveCapture, SnapLengthCutsFramesWithoutAnomalies) {
    LiveOptions options;
    options.bpf = "udp and dst port 9999";
    options.snap_length = 64;
    options.immediate = true;
    options.timeout_ms = 50;
    CaptureRun run = capture_while_sending(options, 500, 3, [](const decode::Packet& p) {
        return p.has(decode::kLayerUdp) && p.dst_port == 9999;
    });
    ASSERT_TRUE(run.error.empty()) << run.error;
    ASSERT_GE(run.matched, 3u);
    EXPECT_EQ(run.last.captured_len, 64u);
    EXPECT_EQ(run.last.wire_len, 14u + 20u + 8u + 500u);
    EXPECT_EQ(run.last.ip_total_len, 20u + 8u + 500u);
    EXPECT_EQ(run.pump.anomalies.total(), 0u) << run.pump.anomalies.summary();
}

// libpcap 1.10 on Linux sets up a TPACKET_V3 block ring unless immediate mode is asked for,
// which takes TPACKET_V2 (one slot per frame); the agent prints which one it got.
TEST_F(LiveCapture, RingIsBlockBasedUnlessImmediate) {
    std::string error;
    std::string blocks, immediate, closed;
    in_netns(
        ns_b_,
        [&] {
            LiveOptions options;
            options.interface = veth_b_;
            options.buffer_bytes = 1 << 20;
            PcapLiveSource block_source(options);
            if (Status s = block_source.open(); !s) {
                error = s.message();
                return;
            }
            blocks = block_source.ring_kind();
            block_source.close();
            closed = block_source.ring_kind();
            options.immediate = true;
            PcapLiveSource immediate_source(options);
            if (Status s = immediate_source.open(); !s) {
                error = s.message();
                return;
            }
            immediate = immediate_source.ring_kind();
        },
        error);
    ASSERT_TRUE(error.empty()) << error;
    EXPECT_EQ(blocks, "TPACKET_V3");
    EXPECT_EQ(immediate, "TPACKET_V2");
    EXPECT_EQ(closed, "");
}

TEST_F(LiveCapture, StopEndsABlockingCaptureFromAnotherThread) {
    std::string error;
    bool finished = false;
    std::chrono::steady_clock::duration waited{};
    in_netns(
        ns_b_,
        [&] {
            LiveOptions options;
            options.interface = veth_b_;
            options.bpf = "udp port 1";  // nothing will match
            options.timeout_ms = 60000;  // only stop() can end the wait early
            PcapLiveSource source(options);
            if (Status s = source.open(); !s) {
                error = s.message();
                return;
            }
            std::thread stopper([&] {
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
                source.stop();
            });
            const auto start = std::chrono::steady_clock::now();
            while (!source.finished()) {
                Result<size_t> n = source.next_batch(16, [](const RawFrame&) {});
                if (!n) {
                    error = n.error();
                    break;
                }
            }
            waited = std::chrono::steady_clock::now() - start;
            stopper.join();
            finished = source.finished();
        },
        error);
    ASSERT_TRUE(error.empty()) << error;
    EXPECT_TRUE(finished);
    // Without a working stop() the read would sit out its 60 s timeout.
    EXPECT_LT(waited, std::chrono::seconds(30));
}

TEST_F(LiveCapture, ChoosesTheOnlyUpInterfaceWithAnAddress) {
    std::string error;
    Result<std::string> chosen = Error{"not run"};
    Result<std::vector<InterfaceInfo>> all = Error{"not run"};
    in_netns(
        ns_b_,
        [&] {
            chosen = choose_interface();
            all = list_interfaces();
        },
        error);
    ASSERT_TRUE(error.empty()) << error;
    ASSERT_TRUE(chosen.is_ok()) << chosen.error();
    EXPECT_EQ(*chosen, veth_b_);
    ASSERT_TRUE(all.is_ok());
    bool saw_loopback = false;
    for (const InterfaceInfo& info : *all) {
        if (info.name == veth_b_) {
            EXPECT_TRUE(info.up);
            ASSERT_FALSE(info.addresses.empty());
            EXPECT_EQ(info.addresses.front(), kAddrB);
        }
        saw_loopback = saw_loopback || info.loopback;
    }
    EXPECT_TRUE(saw_loopback);
}

TEST_F(LiveCapture, ClearErrorsForBadFilterAndMissingInterface) {
    std::string error;
    Status bad_filter, missing;
    in_netns(
        ns_b_,
        [&] {
            LiveOptions options;
            options.interface = veth_b_;
            options.bpf = "udp prot 53";
            PcapLiveSource source(options);
            bad_filter = source.open();
            LiveOptions nothing;
            nothing.interface = "nosuchif0";
            PcapLiveSource none(nothing);
            missing = none.open();
        },
        error);
    ASSERT_TRUE(error.empty()) << error;
    ASSERT_FALSE(bad_filter.is_ok());
    EXPECT_NE(bad_filter.message().find("invalid capture filter 'udp prot 53'"), std::string::npos)
        << bad_filter.message();
    ASSERT_FALSE(missing.is_ok());
    EXPECT_NE(missing.message().find("nosuchif0"), std::string::npos) << missing.message();
    EXPECT_NE(missing.message().find("no such interface"), std::string::npos) << missing.message();
}

// Without privileges, opening an interface must explain how to get them.
TEST(LiveCapturePermissions, UnprivilegedOpenNamesRootAndCapNetRaw) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root to drop to an unprivileged user for the check";
    }
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(fds[0]);
        std::string text = "could not drop privileges";
        if (::setgroups(0, nullptr) == 0 && ::setgid(65534) == 0 && ::setuid(65534) == 0) {
            LiveOptions options;
            options.interface = "lo";
            PcapLiveSource source(options);
            const Status s = source.open();
            text = s.is_ok() ? "opened" : s.message();
        }
        (void)!::write(fds[1], text.data(), text.size());
        ::_exit(0);
    }
    ::close(fds[1]);
    std::string text;
    char buf[512];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof(buf))) > 0) {
        text.append(buf, static_cast<size_t>(n));
    }
    ::close(fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    EXPECT_NE(text.find("permission denied"), std::string::npos) << text;
    EXPECT_NE(text.find("CAP_NET_RAW"), std::string::npos) << text;
    EXPECT_NE(text.find("root"), std::string::npos) << text;
}

}  // namespace
}  // namespace sentinel::capture
