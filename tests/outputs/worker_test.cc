#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "outputs/output.h"
#include "outputs/outputs.h"
#include "support/test_support.h"

namespace sentinel::outputs {
namespace {

using sentinel::testing::eventually;

// A receiver under the test's control: up or down (transient failure) or refusing.
struct FakeReceiver {
    std::mutex mu;
    std::vector<std::string> got;
    std::atomic<bool> down{false};
    std::atomic<bool> refuse{false};
    std::atomic<int> attempts{0};
    std::vector<std::string> snapshot() {
        std::lock_guard lock(mu);
        return got;
    }
};

class FakeSink final : public Sink {
  public:
    explicit FakeSink(FakeReceiver* r) : r_(r) {}
    std::string name() const override { return "fake"; }
    std::string target() const override { return "fake://receiver"; }
    std::string format(const schema::Alert& a) const override { return a.id; }
    std::optional<DeliveryError> deliver(const std::vector<std::string>& records) override {
        ++r_->attempts;
        if (r_->down) {
            return DeliveryError{Failure::kTransient, "connection refused"};
        }
        if (r_->refuse) {
            return DeliveryError{Failure::kRejected, "HTTP status 400"};
        }
        std::lock_guard lock(r_->mu);
        r_->got.insert(r_->got.end(), records.begin(), records.end());
        return std::nullopt;
    }

  private:
    FakeReceiver* r_;
};

WorkerOptions fast(size_t queue_max = 1000, size_t batch_max = 10) {
    WorkerOptions o;
    o.queue_max = queue_max;
    o.batch_max = batch_max;
    o.backoff_initial_s = 0.005;
    o.backoff_max_s = 0.02;
    o.max_rejected_retries = 2;
    return o;
}

std::vector<schema::Alert> alerts(int from, int to) {
    std::vector<schema::Alert> v;
    for (int i = from; i < to; ++i) {
        schema::Alert a;
        a.id = "a" + std::to_string(i);
        v.push_back(a);
    }
    return v;
}

std::vector<std::string> ids(int from, int to) {
    std::vector<std::string> v;
    for (int i = from; i < to; ++i) {
        v.push_back("a" + std::to_string(i));
    }
    return v;
}

TEST(OutputWorkerTest, DeliversEverythingInOrder) {
    FakeReceiver r;
    Output out(std::make_unique<FakeSink>(&r), fast());
    out.start();
    for (int i = 0; i < 250; i += 25) {
        out.submit(alerts(i, i + 25));
    }
    ASSERT_TRUE(eventually([&] { return out.stats().sent == 250; }, 30));
    EXPECT_EQ(r.snapshot(), ids(0, 250));
    const auto s = out.stats();
    EXPECT_EQ(s.name, "fake");
    EXPECT_EQ(s.dropped, 0u);
    EXPECT_EQ(s.retries, 0u);
    EXPECT_EQ(s.queue_depth, 0u);
    EXPECT_TRUE(s.connected);
}

TEST(OutputWorkerTest, RetriesWhileDownThenDeliversInOrder) {
    FakeReceiver r;
    r.down = true;
    Output out(std::make_unique<FakeSink>(&r), fast());
    out.start();
    out.submit(alerts(0, 30));
    ASSERT_TRUE(eventually([&] { return r.attempts >= 3; }, 30));
    auto s = out.stats();
    EXPECT_FALSE(s.connected);
    EXPECT_GE(s.retries, 2u);
    EXPECT_EQ(s.queue_depth, 30u);
    EXPECT_EQ(s.sent, 0u);
    out.submit(alerts(30, 40));
    r.down = false;
    ASSERT_TRUE(eventually([&] { return out.stats().sent == 40; }, 30));
    EXPECT_EQ(r.snapshot(), ids(0, 40));
    s = out.stats();
    EXPECT_TRUE(s.connected);
    EXPECT_EQ(s.dropped, 0u);
    EXPECT_EQ(s.queue_depth, 0u);
}

TEST(OutputWorkerTest, QueueBoundDropsTheOldestAndCountsThem) {
    FakeReceiver r;
    r.down = true;
    Output out(std::make_unique<FakeSink>(&r), fast(/*queue_max=*/10, /*batch_max=*/4));
    out.start();
    out.submit(alerts(0, 4));
    // The first four are in flight (retried); the queue then holds at most 10 more.
    ASSERT_TRUE(eventually([&] { return r.attempts >= 1; }, 30));
    out.submit(alerts(4, 30));
    auto s = out.stats();
    EXPECT_EQ(s.dropped, 16u);  // 26 queued into room for 10
    EXPECT_EQ(s.queue_depth, 14u);
    r.down = false;
    ASSERT_TRUE(eventually([&] { return out.stats().queue_depth == 0; }, 30));
    s = out.stats();
    EXPECT_EQ(s.sent, 14u);
    EXPECT_EQ(s.sent + s.dropped, 30u);
    std::vector<std::string> expected = ids(0, 4);
    const auto newest = ids(20, 30);
    expected.insert(expected.end(), newest.begin(), newest.end());
    EXPECT_EQ(r.snapshot(), expected);
}

TEST(OutputWorkerTest, RefusedBatchIsDroppedAfterTheRetryLimit) {
    FakeReceiver r;
    r.refuse = true;
    Output out(std::make_unique<FakeSink>(&r), fast(100, 5));
    out.start();
    out.submit(alerts(0, 5));
    ASSERT_TRUE(eventually([&] { return out.stats().dropped == 5; }, 30));
    EXPECT_EQ(r.attempts.load(), 3);  // first try + max_rejected_retries (2)
    EXPECT_EQ(out.stats().retries, 3u);
    r.refuse = false;
    out.submit(alerts(5, 7));
    ASSERT_TRUE(eventually([&] { return out.stats().sent == 2; }, 30));
    EXPECT_EQ(r.snapshot(), ids(5, 7));
}

TEST(OutputWorkerTest, StopDrainsWhatIsQueued) {
    FakeReceiver r;
    Output out(std::make_unique<FakeSink>(&r), fast(1000, 7));
    out.submit(alerts(0, 100));  // before start: all waits in the queue
    out.start();
    out.stop(30);
    EXPECT_EQ(r.snapshot(), ids(0, 100));
    EXPECT_EQ(out.stats().sent, 100u);
    out.submit(alerts(100, 101));  // after stop: counted, not queued
    EXPECT_EQ(out.stats().dropped, 1u);
}

TEST(OutputWorkerTest, StopGivesUpOnAnUnreachableReceiverAndCountsTheRest) {
    FakeReceiver r;
    r.down = true;
    Output out(std::make_unique<FakeSink>(&r), fast(1000, 10));
    out.start();
    out.submit(alerts(0, 25));
    ASSERT_TRUE(eventually([&] { return r.attempts >= 1; }, 30));
    out.stop(0);
    const auto s = out.stats();
    EXPECT_EQ(s.sent, 0u);
    EXPECT_EQ(s.dropped, 25u);
    EXPECT_EQ(s.queue_depth, 0u);
}

TEST(OutputsTest, NothingConfiguredMeansNoOutputs) {
    auto o = Outputs::create(config::Config{});
    ASSERT_TRUE(o) << o.error();
    EXPECT_TRUE((*o)->empty());
    EXPECT_TRUE((*o)->stats().empty());
}

TEST(OutputsTest, UnreadableFilesAreStartupErrorsNamingTheKey) {
    config::Config c;
    c.outputs.eve_log_path = "/nonexistent-dir/eve.json";
    auto o = Outputs::create(c);
    ASSERT_FALSE(o);
    EXPECT_NE(o.error().find("eve_log_path"), std::string::npos) << o.error();

    config::Config t;
    t.outputs.syslog_host = "127.0.0.1";
    t.outputs.syslog_transport = "tls";
    t.outputs.syslog_ca_file = "/nonexistent-ca.crt";
    o = Outputs::create(t);
    ASSERT_FALSE(o);
    EXPECT_NE(o.error().find("syslog_ca_file"), std::string::npos) << o.error();

    config::Config w;
    w.outputs.webhook_url = "https://127.0.0.1:1/hook";
    w.outputs.webhook_ca_file = "/nonexistent-ca.crt";
    o = Outputs::create(w);
    ASSERT_FALSE(o);
    EXPECT_NE(o.error().find("webhook_ca_file"), std::string::npos) << o.error();
}

}  // namespace
}  // namespace sentinel::outputs
