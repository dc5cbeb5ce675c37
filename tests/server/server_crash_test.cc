// kill -9 during ingest loses no acknowledged alert.
#include <curl/curl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "fixture.h"

namespace sentinel::server::testing {
namespace {

class ServerCrashTest : public ServerFixture {
  protected:
    pid_t spawn_runner(const std::string& ports_file) {
        const pid_t pid = fork();
        if (pid == 0) {
            execl(SERVER_RUNNER, SERVER_RUNNER, config_.data_dir.c_str(), cert_.c_str(),
                  key_.c_str(), kApiKey, ports_file.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        return pid;
    }
    // Waits (bounded by the runner's own start-up, not by a clock) for the ports file.
    bool read_ports(const std::string& ports_file, pid_t pid) {
        for (;;) {
            std::ifstream in(ports_file);
            if (in >> gui_port_ >> agent_port_)
                return true;
            int status = 0;
            if (waitpid(pid, &status, WNOHANG) == pid)
                return false;
            usleep(20'000);
        }
    }
};

size_t discard(char*, size_t size, size_t n, void*) { return size * n; }

TEST_F(ServerCrashTest, KillNineLosesNoAcknowledgedAlert) {
    const std::string ports = dir_ + "/ports";
    pid_t pid = spawn_runner(ports);
    ASSERT_TRUE(read_ports(ports, pid));

    std::mutex mu;
    std::set<std::string> acked;
    std::atomic<bool> stop{false};
    std::atomic<size_t> count{0};
    auto client = [&](int worker) {
        CURL* c = curl_easy_init();
        curl_slist* h = curl_slist_append(nullptr, "Content-Type: application/json");
        h = curl_slist_append(h, (std::string("X-API-Key: ") + kApiKey).c_str());
        const std::string url = agent_url("/api/alert");
        curl_easy_setopt(c, CURLOPT_URL, url.c_str());
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_CAINFO, cert_.c_str());
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
        curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
        for (int i = 0; !stop; ++i) {
            const std::string id = "w" + std::to_string(worker) + "-" + std::to_string(i);
            const std::string body = alert_body("crash", "HIGH", id);
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
            long status = 0;
            if (curl_easy_perform(c) != CURLE_OK)
                break;  // the server is gone
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
            if (status == 201) {
                std::lock_guard lock(mu);
                acked.insert(id);
                ++count;
            }
        }
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
    };
    std::thread t1(client, 1), t2(client, 2);
    while (count < 400)
        usleep(5'000);
    kill(pid, SIGKILL);  // in the middle of ingest
    int status = 0;
    waitpid(pid, &status, 0);
    stop = true;
    t1.join();
    t2.join();
    ASSERT_GE(acked.size(), 400u);

    auto token = create_api_token(config_, "check");
    ASSERT_TRUE(token.is_ok()) << token.error();
    std::remove(ports.c_str());
    pid = spawn_runner(ports);
    ASSERT_TRUE(read_ports(ports, pid));
    auto r =
        gui("GET", "/api/alerts/export?format=ndjson", "", {"Authorization: Bearer " + *token});
    ASSERT_EQ(r.status, 200);
    std::set<std::string> stored;
    size_t pos = 0;
    for (size_t nl; (nl = r.body.find('\n', pos)) != std::string::npos; pos = nl + 1) {
        stored.insert(nlohmann::json::parse(r.body.substr(pos, nl - pos))["id"].get<std::string>());
    }
    size_t missing = 0;
    for (const auto& id : acked)
        missing += stored.count(id) == 0;
    EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged";
    kill(pid, SIGTERM);  // graceful stop exits 0
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(ServerCrashTest, BinaryRunsFromConfigFileAndStopsOnSigterm) {
    const uint16_t gui = free_port(), agent = free_port(), redirect = free_port();
    const std::string cfg = dir_ + "/sentinel_config.json";
    {
        nlohmann::json j = {{"api_key", kApiKey},        {"server_host", "127.0.0.1"},
                            {"gui_port", gui},           {"agent_port", agent},
                            {"redirect_port", redirect}, {"server_cert", cert_},
                            {"server_key", key_},        {"data_dir", config_.data_dir}};
        std::ofstream(cfg) << j.dump();
    }
    const std::string out = dir_ + "/out.log";
    const pid_t pid = fork();
    if (pid == 0) {
        freopen(out.c_str(), "w", stdout);
        execl(SERVER_BINARY, SERVER_BINARY, "--config", cfg.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    gui_port_ = gui;
    agent_port_ = agent;
    Response r;
    for (int i = 0; i < 600 && r.status == 0; ++i) {  // until it listens (or it exited)
        int st = 0;
        ASSERT_NE(waitpid(pid, &st, WNOHANG), pid) << run_command("cat " + out).output;
        r = post_agent("/api/alert", alert_body("cli"));
        if (r.status == 0)
            usleep(50'000);
    }
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.body.rfind("{\"ok\":true,\"id\":", 0), 0u) << r.body;
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    const auto log = run_command("cat " + out).output;
    EXPECT_NE(log.find("Dashboard : https://127.0.0.1:" + std::to_string(gui) + "/"),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("NetSentinel server stopped"), std::string::npos) << log;
}

}  // namespace
}  // namespace sentinel::server::testing
