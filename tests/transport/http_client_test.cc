#include "transport/http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>

#include "libcurl/library.h"
#include "support/test_support.h"

namespace sentinel::transport {
namespace {

class HttpClientTest : public ::testing::Test {
  protected:
    void SetUp() override {
        for (const char* name : {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}) {
            ::unsetenv(name);
        }
        ASSERT_TRUE(testing::make_test_pki(pki_.path()).is_ok());
        ASSERT_TRUE(server_.start(pki_.path(), out_.path()).is_ok());
    }
    HttpOptions options(const std::string& ca = "ca.crt") {
        HttpOptions o;
        o.base_url = server_.url() + "/";
        o.ca_cert = pki_.file(ca);
        o.headers = {"X-API-Key: test-key"};
        return o;
    }
    testing::TempDir pki_, out_;
    testing::StandInServer server_;
};

TEST_F(HttpClientTest, PostsJsonAndReadsRetryAfter) {
    // ctest runs each test in its own process: nothing has loaded libcurl before the first client.
    EXPECT_FALSE(libcurl::loaded());
    auto client = HttpClient::create(options());
    ASSERT_TRUE(client.is_ok()) << client.error();
    EXPECT_TRUE(libcurl::loaded());
    auto r = (*client)->post_json("/api/agent/heartbeat", R"({"agent_id":"a"})", 5000);
    ASSERT_TRUE(r.answered()) << r.error;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"ok": true})");
    EXPECT_FALSE(r.retry_after.has_value());

    ASSERT_TRUE(server_.command("fail 1 429 7").is_ok());
    r = (*client)->post_json("/api/alerts", R"({"alerts":[]})", 5000);
    ASSERT_TRUE(r.answered());
    EXPECT_EQ(r.status, 429);
    ASSERT_TRUE(r.retry_after.has_value());
    EXPECT_EQ(*r.retry_after, 7);
}

TEST_F(HttpClientTest, UnknownCaIsATlsFailure) {
    auto client = HttpClient::create(options("other_ca.crt"));
    ASSERT_TRUE(client.is_ok());
    const auto r = (*client)->post_json("/api/agent/heartbeat", "{}", 5000);
    EXPECT_EQ(r.failure, FailureKind::kTls);
    EXPECT_NE(r.error.find("certificate"), std::string::npos) << r.error;
    EXPECT_EQ(server_.stats()["requests"].get<int>(), 0);
}

TEST_F(HttpClientTest, InsecureSkipsVerification) {
    auto o = options("other_ca.crt");
    o.insecure = true;
    auto client = HttpClient::create(o);
    ASSERT_TRUE(client.is_ok());
    const auto r = (*client)->post_json("/api/agent/heartbeat", R"({"agent_id":"a"})", 5000);
    ASSERT_TRUE(r.answered()) << r.error;
    EXPECT_EQ(r.status, 200);
}

// VirusTotal's case: no CA file, the system store decides. It does not know the test CA.
TEST_F(HttpClientTest, SystemStoreOnlyWhenAskedFor) {
    auto o = options();
    o.ca_cert.clear();
    EXPECT_FALSE(HttpClient::create(o).is_ok());
    o.trust_system_store = true;
    auto client = HttpClient::create(o);
    ASSERT_TRUE(client.is_ok()) << client.error();
    const auto r = (*client)->post_json("/api/agent/heartbeat", "{}", 5000);
    EXPECT_EQ(r.failure, FailureKind::kTls) << r.error;
    EXPECT_EQ(server_.stats()["requests"].get<int>(), 0);
}

TEST_F(HttpClientTest, AnswerOverTheLimitFails) {
    auto o = options();
    o.max_body_bytes = 5;
    auto client = HttpClient::create(o);
    ASSERT_TRUE(client.is_ok());
    const auto r = (*client)->post_json("/api/agent/heartbeat", R"({"agent_id":"a"})", 5000);
    EXPECT_EQ(r.failure, FailureKind::kOther);
    EXPECT_NE(r.error.find("longer than 5 bytes"), std::string::npos) << r.error;
    EXPECT_TRUE(r.body.empty());
}

TEST_F(HttpClientTest, CancelFlagStopsTheRequest) {
    std::atomic<bool> cancel{true};
    auto o = options();
    o.cancel = &cancel;
    auto client = HttpClient::create(o);
    ASSERT_TRUE(client.is_ok());
    auto r = (*client)->post_json("/api/agent/heartbeat", R"({"agent_id":"a"})", 5000);
    EXPECT_FALSE(r.answered());
    cancel = false;
    r = (*client)->post_json("/api/agent/heartbeat", R"({"agent_id":"a"})", 5000);
    EXPECT_TRUE(r.answered()) << r.error;
}

TEST_F(HttpClientTest, RefusedConnectionIsAConnectFailure) {
    auto client = HttpClient::create(options());
    ASSERT_TRUE(client.is_ok());
    ASSERT_TRUE(server_.command("down").is_ok());
    const auto r = (*client)->post_json("/api/agent/heartbeat", "{}", 5000);
    EXPECT_EQ(r.failure, FailureKind::kConnect) << r.error;
}

TEST_F(HttpClientTest, CertificateForAnotherNameIsRefused) {
    // Signed by the right CA, but for "other.example" only: the address must be in the SAN list.
    testing::TempDir out;
    testing::StandInServer other;
    ASSERT_TRUE(other.start(pki_.path(), out.path(), "test-key", "wrong_name").is_ok());
    auto o = options();
    o.base_url = other.url();
    auto client = HttpClient::create(o);
    ASSERT_TRUE(client.is_ok());
    const auto r = (*client)->post_json("/api/agent/heartbeat", "{}", 5000);
    EXPECT_EQ(r.failure, FailureKind::kTls) << r.error;
    EXPECT_EQ(other.stats()["requests"].get<int>(), 0);
}

}  // namespace
}  // namespace sentinel::transport
